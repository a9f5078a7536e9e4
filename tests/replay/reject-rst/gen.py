"""reject-rst: rejected TCP segments of every shape (SYN, data with ACK, FIN without ACK, VLAN,
QinQ, IPv6, IPv4 options, inbound) and rejected UDP/ICMP (v4, v6, large, multicast, broadcast,
ICMP errors). check.py recomputes the injected frames and compares them with inject.pcap."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (REJECT, REJECTED, Capture, icmp_echo, ip, l2, main, tcp, udp)  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, IPerror, IPOption_NOP, UDPerror  # noqa: E402

A, B, C = "175.45.176.170", "198.51.100.170", "203.0.113.170"
A6, B6 = "2001:db8:1000::170", "2001:db8:beef::170"


def build():
    plan = [
        (tcp(A, B, 40000, 80, "S", seq=0x11111111), REJECT("rej-web")),
        (tcp(A, B, 40000, 80, "S", seq=0x11111111), REJECTED("rej-web")),
        (tcp(B, A, 80, 40000, "SA", seq=0x22222222, ack=0x11111112), REJECTED("rej-web")),
        (tcp(A, B, 40001, 443, "PA", seq=0xfffffff0, ack=0x33333333, data=b"x" * 100),
         REJECT("rej-web")),                                  # mid-stream, seq wraps
        (tcp(A, B, 40002, 80, "F", seq=5000, data=b"bye!!"), REJECT("rej-web")),  # FIN no ACK
        (tcp(A, B, 40009, 80, "S", seq=0xffffffff), REJECT("rej-web")),   # the ack wraps to 0
        (tcp(A, B, 40003, 80, "FA", seq=6000, ack=7000, data=b"last"), REJECT("rej-web")),
        (tcp(A, B, 40004, 80, "S", seq=8000, vlans=(10,)), REJECT("rej-web")),
        (tcp(A, B, 40005, 80, "S", seq=9000, vlans=(100, 20)), REJECT("rej-web")),
        (tcp(A6, B6, 40006, 443, "S", seq=10000), REJECT("rej-web")),
        (tcp(A6, B6, 40007, 443, "PA", seq=11000, ack=12000, data=b"y" * 33, vlans=(30,)),
         REJECT("rej-web")),
        (l2(A, B) / IP(src=A, dst=B, id=5, options=[IPOption_NOP()] * 4) /
         TCP(sport=40008, dport=80, flags="S", seq=13000), REJECT("rej-web")),
        (tcp(C, A, 50000, 22, "S", seq=14000), REJECT("rej-in")),
        (tcp(C, A, 50001, 22, "A", seq=15000, ack=16000), REJECT("rej-in")),
        (udp(A, "192.0.2.53", 40010, 53, b"\x12\x34\x01\x00\x00\x01" + b"\0" * 6),
         REJECT("rej-udp")),
        (udp(A, "192.0.2.53", 40010, 53, b"again"), REJECTED("rej-udp")),
        (udp("192.0.2.53", A, 53, 40010, b"answer"), REJECTED("rej-udp")),
        (udp(A, B, 40011, 9999, b"q" * 1000, vlans=(10,)), REJECT("rej-udp")),
        (udp(A6, B6, 40012, 53, b"six"), REJECT("rej-udp")),
        (udp(A6, B6, 40013, 9999, b"L" * 1400), REJECT("rej-udp")),   # quote cut at 1280
        (udp(A, "224.0.0.251", 5353, 5353, b"mdns"), REJECT("rej-udp")),       # no ICMP
        (udp(A, "255.255.255.255", 68, 67, b"dhcp"), REJECT("rej-udp")),       # no ICMP
        (udp(A6, "ff02::fb", 5353, 5353, b"mdns6"), REJECT("rej-udp")),        # no ICMP
        (icmp_echo(A, B, ident=0x4321), REJECT("rej-ping")),
        (icmp_echo(A6, B6, ident=0x4322), REJECT("rej-ping6")),
        (udp(C, A, 5000, 6000, b"inbound"), REJECT("rej-udp-in")),
        (ip(C, A) / ICMP(type=3, code=1) / IPerror(src=A, dst=C, proto=17, id=1) /
         UDPerror(sport=6000, dport=5000), REJECT("rej-icmp-in")),            # error: no ICMP
    ]
    cap = Capture()
    for i, (f, e) in enumerate(plan):
        cap.add(f, 0.1 * i, e)
    return cap


if __name__ == "__main__":
    main(build)
