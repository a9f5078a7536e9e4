"""first-match: overlapping rules; the earliest matching one decides."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DENY, DROP, PASS, REJECT, Capture, main, tcp, udp  # noqa: E402

OUT = "198.51.100.50"

CASES = [
    (tcp("175.45.176.5", OUT, 40000, 80, "S"), DROP("block-host")),
    (udp("175.45.176.5", OUT, 40001, 53, b"q"), DROP("block-host")),   # pass-host-5 comes later
    (tcp("175.45.176.6", OUT, 40002, 80, "S"), PASS("web-out")),     # before reject-some
    (tcp("175.45.176.6", OUT, 40003, 81, "S"), REJECT("reject-some")),  # before all-out
    (tcp("175.45.177.6", OUT, 40004, 81, "S"), PASS("all-out")),     # outside reject's /24
    (udp("175.45.176.6", OUT, 40005, 53, b"q"), PASS("all-out")),
    (tcp(OUT, "175.45.176.6", 40006, 22, "S"), DROP("all-in-drop")),  # before never
    (tcp("175.45.176.6", "175.45.177.7", 40007, 22, "S"), DENY),      # inside to inside
]


def build():
    cap = Capture()
    for i, (f, e) in enumerate(CASES):
        cap.add(f, 0.5 * i, e)
    return cap


if __name__ == "__main__":
    main(build)
