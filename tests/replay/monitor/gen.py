"""monitor: pass, drop, reject, rejected, default-deny, non-ip, malformed and fragment verdicts
in monitor mode; check.py asserts that everything was forwarded and nothing injected."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DENY, DROP, FRAGMENT, MALFORMED, NON_IP_DROP, PASS, REJECT,  # noqa: E402
                    REJECTED, Capture, TcpConn, arp_request, ipv4_fragments, main, tcp, udp)
from scapy.layers.inet import UDP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

A, B = "175.45.176.150", "198.51.100.150"


def build():
    cap = Capture()
    c = TcpConn(A, B, 40000, 80)
    dgram = bytes(UDP(sport=40005, dport=5000, len=8 + 32, chksum=0) / Raw(b"m" * 32))
    f1, f2 = ipv4_fragments(A, B, dgram, ident=0x404, split=16)
    bad_udp = bytearray(bytes(udp(A, B, 40006, 53, b"abcd")))
    bad_udp[14 + 20 + 4:14 + 20 + 6] = (4).to_bytes(2, "big")   # UDP length below 8
    plan = [
        (c.syn(), PASS("web")), (c.synack(), PASS("web")), (c.ack(), PASS("web")),
        (tcp(A, B, 40001, 23, "S"), DROP("no-telnet")),
        (tcp(A, B, 40002, 25, "S", seq=5), REJECT("no-smtp")),
        (tcp(B, A, 25, 40002, "SA", seq=9, ack=6), REJECTED("no-smtp")),
        (udp(A, B, 40003, 69, b"\x00\x01f\x00octet\x00"), REJECT("no-tftp")),
        (udp(A, B, 40003, 69, b"\x00\x01f\x00octet\x00"), REJECTED("no-tftp")),
        (tcp(B, A, 40004, 22, "S"), DENY),
        (arp_request(A, "175.45.176.1"), NON_IP_DROP),
        (f1, FRAGMENT), (f2, FRAGMENT),
        (bytes(bad_udp), MALFORMED("malformed-udp")),
        (c.send(b"GET / HTTP/1.0\r\n\r\n"), PASS("web")),
    ]
    for i, (f, e) in enumerate(plan):
        cap.add(f, 0.1 * i, e)
    return cap


if __name__ == "__main__":
    main(build)
