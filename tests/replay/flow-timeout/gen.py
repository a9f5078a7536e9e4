"""flow-timeout: idle flows are forgotten after flow_timeout; the next packet's sender becomes
the new initiator. Exactly flow_timeout later is still the same flow; dropped packets keep a
flow alive like any other."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DENY, PASS, Capture, main, tcp, udp  # noqa: E402

A, B = "175.45.176.120", "198.51.100.120"
O = PASS("out")


def build():
    cap = Capture()

    def ab(sport, dport, flags="A"):
        return tcp(A, B, sport, dport, flags, seq=1, ack=1)

    def ba(sport, dport, flags="A"):
        return tcp(B, A, sport, dport, flags, seq=1, ack=1)

    plan = [
        # Flow 1: A opens, goes idle, B talks after 30.1 s: a new flow initiated by B.
        (0.0, ab(40000, 80, "S"), O),
        (0.1, ba(80, 40000, "SA"), O),
        (20.0, ab(40000, 80), O),
        (50.1, ba(80, 40000), DENY),
        (55.0, ab(40000, 80), DENY),               # A's packet now belongs to B's flow
        (100.0, ab(40000, 80), O),                 # idle 45 s again: A opens anew
        # Flow 2: exactly 30 s of idleness is not more than flow_timeout.
        (101.0, ab(40001, 443, "S"), O),
        (131.0, ba(443, 40001, "SA"), O),
        # Flow 3: B opens (denied) and keeps talking every 20 s; the flow never idles 30 s,
        # so A's packet at 180 is still part of B's flow.
        (140.0, ba(5000, 40002, "S"), DENY),
        (160.0, ba(5000, 40002, "S"), DENY),
        (180.0, ab(40002, 5000, "SA"), DENY),
        # UDP the same way.
        (200.0, udp(A, B, 40003, 53, b"q"), O),
        (229.0, udp(B, A, 53, 40003, b"a"), O),
        (300.0, udp(B, A, 53, 40003, b"late"), DENY),
    ]
    for t, f, e in plan:
        cap.add(f, t, e)
    return cap


if __name__ == "__main__":
    main(build)
