"""ipv6: rules on IPv6 prefixes and hosts, extension headers, ICMPv6 echo, reject on v6."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DENY, PASS, REJECT, REJECTED, Capture, TcpConn, icmp_echo, l2,  # noqa: E402
                    main, tcp, udp)
from scapy.layers.inet import TCP  # noqa: E402
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop  # noqa: E402
from scapy.packet import Raw  # noqa: E402

H, S = "2001:db8:1000:10::5", "2001:db8:beef::443"


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.1

    c = TcpConn(H, S, 50000, 443)
    for f in c.handshake():
        add(f, PASS("v6-web"))
    add(c.send(b"\x16\x03\x01\x00\x05hello"), PASS("v6-web"))
    add(c.send(b"\x16\x03\x03\x00\x02hi", from_client=False), PASS("v6-web"))
    # Hop-by-hop and destination options before TCP: the same flow.
    ext = (l2(H, S) / IPv6(src=H, dst=S) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
           TCP(sport=50000, dport=443, flags="PA", seq=c.cseq, ack=c.sseq) / Raw(b"more"))
    add(ext, PASS("v6-web"))
    add(ext.__class__(bytes(ext)), PASS("v6-web"))  # retransmission
    # Extension headers on a fresh flow.
    ext2 = (l2(H, S) / IPv6(src=H, dst=S) / IPv6ExtHdrDestOpt() /
            TCP(sport=50001, dport=443, flags="S", seq=77))
    add(ext2, PASS("v6-web"))
    add(tcp(H, "2001:db8:bee0::1", 50002, 443, "S"), DENY)             # outside the /48
    add(tcp("2001:db8:1000:11::5", S, 50003, 443, "S"), DENY)           # outside the /64
    add(tcp(H, S, 50004, 80, "S"), DENY)
    add(icmp_echo(H, S, ident=1), PASS("v6-ping"))
    add(icmp_echo(S, H, ident=1, reply=True), PASS("v6-ping"))
    add(icmp_echo(S, H, ident=2), DENY)                                 # inbound ping
    add(icmp_echo(H, S, ident=2, reply=True), DENY)                     # ... and its reply
    add(udp("2001:db8:1000::53", "2001:db8:beef::1", 5353, 53, b"q"), PASS("v6-dns"))
    add(udp("2001:db8:beef::1", "2001:db8:1000::53", 53, 5353, b"a"), PASS("v6-dns"))
    add(udp("2001:db8:1000::54", "2001:db8:beef::1", 5353, 53, b"q"), DENY)
    add(tcp("2001:db8:1000:66::1", S, 50005, 22, "S"), REJECT("v6-reject"))
    add(tcp(S, "2001:db8:1000:66::1", 22, 50005, "SA", seq=1, ack=1001), REJECTED("v6-reject"))
    add(tcp("175.45.176.9", "198.51.100.9", 50006, 22, "S"), PASS("v4-only"))
    add(tcp("2001:db8:1000:67::1", S, 50006, 22, "S"), DENY)
    return cap


if __name__ == "__main__":
    main(build)
