"""payload-stream: counters. Usage: check.py OUTDIR (chokepoint's --out directory)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
sys.path.insert(0, HERE)
from gen import KEYWORD_FLOWS, OUT_OF_ORDER, OVERLAPS, RETRANSMITS  # noqa: E402
from pktlib import check_counters  # noqa: E402


def main():
    return check_counters(sys.argv[1], [
        ("category_flows_total", ("keywords",), "==", KEYWORD_FLOWS),
        ("category_matches_total", ("keywords",), ">=", KEYWORD_FLOWS),
        ("payload_retransmits_total", (), "==", RETRANSMITS),
        ("payload_overlaps_total", (), "==", OVERLAPS),
        ("drop_reason_total", ("out-of-order",), "==", OUT_OF_ORDER),
    ], "payload-stream")


if __name__ == "__main__":
    sys.exit(main())
