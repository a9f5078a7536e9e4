"""payload-http: counters. Usage: check.py OUTDIR (chokepoint's --out directory)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
sys.path.insert(0, HERE)
from gen import HOST_PARSED, KEYWORD_FLOWS, SOCIAL_FLOWS  # noqa: E402
from pktlib import check_counters  # noqa: E402


def main():
    return check_counters(sys.argv[1], [
        ("category_flows_total", ("social",), "==", SOCIAL_FLOWS),
        ("category_matches_total", ("social",), ">=", SOCIAL_FLOWS),
        ("category_flows_total", ("keywords",), "==", KEYWORD_FLOWS),
        ("category_matches_total", ("keywords",), ">=", KEYWORD_FLOWS),
        ("extract_total", ("host", "parsed"), "==", HOST_PARSED),
        ("extract_total", ("host", "malformed"), "==", 0),
        ("extract_total", ("host", "truncated"), "==", 0),
        ("drop_reason_total", ("rejected",), "==", SOCIAL_FLOWS),
        ("drop_reason_total", ("rule",), "==", SOCIAL_FLOWS + 3),
    ], "payload-http")


if __name__ == "__main__":
    sys.exit(main())
