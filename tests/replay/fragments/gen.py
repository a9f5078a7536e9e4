"""fragments: IPv4 first (MF) and later (offset) fragments, IPv6 fragment headers, a whole
datagram with DF set (not a fragment), all on flows the rules pass."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (FRAGMENT, PASS, Capture, icmp_echo, ip, ipv4_fragments,  # noqa: E402
                    ipv6_fragments, main, udp)
from scapy.layers.inet import ICMP, UDP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

A, B = "175.45.176.140", "198.51.100.140"
A6, B6 = "2001:db8:1000::140", "2001:db8:beef::140"
P = PASS("all")


def build():
    cap = Capture()
    dgram = bytes(UDP(sport=40000, dport=5000, len=8 + 64, chksum=0) / Raw(b"f" * 64))
    f1, f2 = ipv4_fragments(A, B, dgram, ident=0x101, split=24)
    g1, g2 = ipv6_fragments(A6, B6, dgram, ident=0x202, split=24)
    ping = bytes(ICMP(type=8, id=77, seq=1) / Raw(b"p" * 40))
    p1, p2 = ipv4_fragments(B, A, ping, proto=1, ident=0x303, split=16)
    plan = [
        (udp(A, B, 40000, 5000, b"whole"), P),            # the flow passes
        (f1, FRAGMENT),
        (f2, FRAGMENT),
        (f2, FRAGMENT),                                   # a later fragment alone
        (ip(A, B, flags="DF") / UDP(sport=40000, dport=5000) / Raw(b"df"), P),
        (g1, FRAGMENT),
        (g2, FRAGMENT),
        (udp(A6, B6, 40000, 5000, b"whole6"), P),
        (p1, FRAGMENT),
        (p2, FRAGMENT),
        (icmp_echo(B, A, ident=77), P),
    ]
    for i, (f, e) in enumerate(plan):
        cap.add(f, 0.1 * i, e)
    return cap


if __name__ == "__main__":
    main(build)
