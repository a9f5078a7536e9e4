"""payload-tls: counters. Usage: check.py OUTDIR (chokepoint's --out directory)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
sys.path.insert(0, HERE)
from gen import SNI_MALFORMED, SNI_PARSED, SOCIAL_FLOWS  # noqa: E402
from pktlib import check_counters, read_pcap  # noqa: E402


def main():
    out = sys.argv[1]
    rc = check_counters(out, [
        ("category_flows_total", ("social",), "==", SOCIAL_FLOWS),
        ("category_matches_total", ("social",), ">=", SOCIAL_FLOWS),
        ("extract_total", ("sni", "parsed"), "==", SNI_PARSED),
        ("extract_total", ("sni", "malformed"), "==", SNI_MALFORMED),
        ("extract_total", ("sni", "truncated"), "==", 0),
        ("drop_reason_total", ("rejected",), "==", SOCIAL_FLOWS),
    ], "payload-tls")
    n = len(read_pcap(os.path.join(out, "inject.pcap")))
    if n != 2 * SOCIAL_FLOWS:
        print("payload-tls: inject.pcap holds %d frames, want %d (two RSTs per reject)"
              % (n, 2 * SOCIAL_FLOWS))
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
