"""payload-fragments: counters. Usage: check.py OUTDIR (chokepoint's --out directory)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
sys.path.insert(0, HERE)
from gen import DNS_PARSED, FRAGMENT_TIMEOUTS, SOCIAL_FLOWS  # noqa: E402
from pktlib import check_counters  # noqa: E402


def main():
    return check_counters(sys.argv[1], [
        ("category_flows_total", ("social",), "==", SOCIAL_FLOWS),
        ("category_matches_total", ("social",), ">=", SOCIAL_FLOWS),
        ("extract_total", ("dns", "parsed"), "==", DNS_PARSED),
        ("extract_total", ("dns", "malformed"), "==", 0),
        ("drop_reason_total", ("fragment-timeout",), "==", FRAGMENT_TIMEOUTS),
        ("drop_reason_total", ("fragment",), "==", 0),
    ], "payload-fragments")


if __name__ == "__main__":
    sys.exit(main())
