"""vlan: one 5-tuple on untagged, 802.1Q and QinQ links; each (VLAN stack, 5-tuple) is a flow."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DENY, PASS, Capture, icmp_echo, main, tcp, udp  # noqa: E402

A, B = "175.45.176.70", "198.51.100.70"
A6, B6 = "2001:db8:1000::70", "2001:db8:beef::70"
P = PASS("out")


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.1

    def out_(vlans, flags="S"):      # A -> B, the inside host talks first
        return tcp(A, B, 40000, 443, flags, seq=1, ack=0 if flags == "S" else 2, vlans=vlans)

    def in_(vlans, flags="SA"):      # B -> A, the same 5-tuple the other way
        return tcp(B, A, 443, 40000, flags, seq=1, ack=2, vlans=vlans)

    add(out_(()), P)                    # untagged: A initiates
    add(in_((10,), "S"), DENY)          # VLAN 10: B initiates its own flow
    add(out_((10,), "A"), DENY)         # A's answer on VLAN 10 belongs to B's flow
    add(in_(()), P)                     # the untagged reply still belongs to A's flow
    add(out_((20,)), P)                 # VLAN 20: A initiates
    add(in_((20,)), P)
    add(in_((30,), "S"), DENY)          # VLAN 30: B first
    add(in_((100, 10), "S"), DENY)      # QinQ 100/10 (802.1ad outer): B first
    add(out_((100, 10), "A"), DENY)
    add(out_((100, 20)), P)             # QinQ 100/20: A first
    add(in_((100, 20)), P)
    add(out_((200, 10)), P)             # QinQ 200/10: A first, not the flow of 100/10
    add(in_((200, 10)), P)
    add(in_((10,), "A"), DENY)          # VLAN 10 again: still B's flow
    add(in_((10, 100), "S"), DENY)      # inner/outer swapped: another flow, B first
    add(out_((10, 100), "A"), DENY)
    add(out_((("q", 300), ("q", 10))), P)  # 802.1Q-in-802.1Q (TPID 0x8100 twice): A first
    add(in_((("q", 300), ("q", 10))), P)
    add(in_((("ad", 300), ("q", 10)), "A"), P)  # the outer TPID is not part of the flow key
    # UDP and ICMP, IPv6 too.
    add(udp(B, A, 53, 33000, b"x", vlans=(5,)), DENY)
    add(udp(A, B, 33000, 53, b"y", vlans=(5,)), DENY)
    add(udp(A, B, 33000, 53, b"z", vlans=(6,)), P)
    add(udp(B, A, 53, 33000, b"w", vlans=(6,)), P)
    add(icmp_echo(A6, B6, ident=3, vlans=(7,)), P)
    add(icmp_echo(B6, A6, ident=3, reply=True, vlans=(7,)), P)
    add(icmp_echo(B6, A6, ident=3, reply=True, vlans=(8,)), DENY)
    return cap


if __name__ == "__main__":
    main(build)
