"""proto: each protocol keyword and a protocol number, IPv4 and IPv6; replies share the flow."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DENY, DROP, PASS, REJECT, REJECTED, Capture, TcpConn, icmp_echo,  # noqa: E402
                    ip, main, proto_frame, tcp, udp)
from scapy.layers.inet import ICMP, IPerror, UDPerror  # noqa: E402
from scapy.layers.inet6 import ICMPv6DestUnreach, IPerror6  # noqa: E402

IN4, OUT4 = "175.45.176.30", "198.51.100.30"
IN6, OUT6 = "2001:db8:1000::30", "2001:db8:beef::30"


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.1

    c = TcpConn(IN4, OUT4, 40001, 80)
    for f in c.handshake():
        add(f, PASS("web"))
    add(tcp(IN4, OUT4, 40002, 81, "S"), DENY)                # tcp, other port
    add(tcp(OUT4, IN4, 40003, 80, "S"), PASS("web"))         # web has no from: inbound too
    c6 = TcpConn(IN6, OUT6, 40004, 80)
    for f in c6.handshake():
        add(f, PASS("web"))
    add(udp(IN4, OUT4, 5000, 6000, b"u1"), PASS("udp-out"))
    add(udp(OUT4, IN4, 6000, 5000, b"u2"), PASS("udp-out"))  # reply
    add(udp(OUT4, IN4, 6001, 5001, b"u3"), DENY)             # unsolicited inbound udp
    add(udp(IN6, OUT6, 5000, 6000, b"u6"), PASS("udp-out"))
    add(icmp_echo(IN4, OUT4, ident=7), PASS("ping"))
    add(icmp_echo(OUT4, IN4, ident=7, reply=True), PASS("ping"))
    add(icmp_echo(OUT4, IN4, ident=8), PASS("ping"))         # ping has no from: inbound too
    add(icmp_echo(IN6, OUT6, ident=9), PASS("ping6"))
    add(icmp_echo(OUT6, IN6, ident=9, reply=True), PASS("ping6"))
    add(icmp_echo(OUT6, IN6, ident=10), DENY)                # icmp6 inbound: from inside fails
    # An ICMPv6 error (not neighbour discovery) from inside is proto icmp6 too.
    add(ip(IN6, OUT6) / ICMPv6DestUnreach(code=4) / IPerror6(src=OUT6, dst=IN6, nh=17) /
        UDPerror(sport=53, dport=33000), PASS("ping6"))
    # ICMPv4 is not icmp6 and the other way round (v4 unreachable from outside: ping, any icmp).
    add(ip(OUT4, IN4) / ICMP(type=3, code=3) / IPerror(src=IN4, dst=OUT4, proto=17, id=1) /
        UDPerror(sport=33000, dport=53), PASS("ping"))
    add(proto_frame(IN4, OUT4, 47), PASS("gre"))
    add(proto_frame(OUT4, IN4, 47), PASS("gre"))
    add(proto_frame(IN6, OUT6, 47), PASS("gre"))
    add(proto_frame(IN4, OUT4, 50), DROP("esp"))
    add(proto_frame(OUT4, IN4, 50, b"\1" * 16), DROP("esp"))  # the same flow, reply direction
    # Protocols without parsed ports: one flow per address pair (the first 4 bytes, which SCTP
    # would read as ports, are kept equal so that the flow is one either way).
    add(proto_frame(IN4, OUT4, 132), REJECT("sctp"))
    add(proto_frame(IN4, OUT4, 132, b"\0" * 4 + b"\2" * 12), REJECTED("sctp"))
    add(proto_frame(OUT4, IN4, 132, b"\0" * 4 + b"\3" * 12), REJECTED("sctp"))
    add(proto_frame(OUT4, "175.45.176.31", 132), DENY)        # sctp from outside: no rule
    add(proto_frame(IN4, OUT4, 99), DENY)
    add(proto_frame(IN4, "192.0.2.9", 99), PASS("any-to-lab"))
    add(tcp(IN4, "192.0.2.9", 40005, 22, "S"), PASS("any-to-lab"))
    add(proto_frame(IN6, OUT6, 99), DENY)
    return cap


if __name__ == "__main__":
    main(build)
