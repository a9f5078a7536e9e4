"""payload-scope: counters. Usage: check.py OUTDIR (chokepoint's --out directory)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
sys.path.insert(0, HERE)
from gen import FLOWS, HOST_PARSED, SNI_PARSED  # noqa: E402
from pktlib import check_counters  # noqa: E402


def main():
    want = []
    for cat, n in FLOWS.items():
        want.append(("category_flows_total", (cat,), "==", n))
        if n:
            want.append(("category_matches_total", (cat,), ">=", n))
        else:
            want.append(("category_matches_total", (cat,), "==", 0))
    want += [
        ("extract_total", ("host", "parsed"), "==", HOST_PARSED),
        ("extract_total", ("sni", "parsed"), "==", SNI_PARSED),
    ]
    return check_counters(sys.argv[1], want, "payload-scope")


if __name__ == "__main__":
    sys.exit(main())
