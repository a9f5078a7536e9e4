"""actions: pass, drop and reject on tcp, udp and icmp, with later packets of each flow."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DROP, PASS, REJECT, REJECTED, Capture, TcpConn, icmp_echo, main,  # noqa: E402
                    tcp, udp)

A, B = "175.45.176.60", "198.51.100.60"


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e, dt=0.1):
        cap.add(f, t[0], e)
        t[0] += dt

    c = TcpConn(A, B, 40000, 80)
    for f in c.handshake():
        add(f, PASS("web"))
    add(c.send(b"GET / HTTP/1.1\r\nHost: b\r\n\r\n"), PASS("web"))
    add(c.send(b"HTTP/1.1 204 No Content\r\n\r\n", from_client=False), PASS("web"))
    add(c.fin(), PASS("web"))
    add(c.fin(from_client=False), PASS("web"))
    add(c.ack(), PASS("web"))
    # drop: every packet of the flow, both ways, says the rule.
    add(tcp(A, B, 40001, 23, "S", seq=1), DROP("no-telnet"))
    add(tcp(A, B, 40001, 23, "S", seq=1), DROP("no-telnet"))         # retransmission
    add(tcp(B, A, 23, 40001, "SA", seq=9, ack=2), DROP("no-telnet"))
    # reject tcp: first packet reject, then drop/rejected both ways.
    add(tcp(A, B, 40002, 25, "S", seq=100), REJECT("no-smtp"))
    add(tcp(A, B, 40002, 25, "S", seq=100), REJECTED("no-smtp"))
    add(tcp(B, A, 25, 40002, "SA", seq=500, ack=101), REJECTED("no-smtp"))
    add(tcp(A, B, 40002, 25, "A", seq=101, ack=501), REJECTED("no-smtp"))
    # reject tcp with an established-looking first packet (mid-stream start, ACK set).
    add(tcp(A, B, 40003, 25, "PA", seq=7000, ack=9000, data=b"MAIL FROM:<a@b>\r\n"),
        REJECT("no-smtp"))
    # reject udp
    add(udp(A, B, 40004, 69, b"\x00\x01file\x00octet\x00"), REJECT("no-tftp"))
    add(udp(A, B, 40004, 69, b"\x00\x01file\x00octet\x00"), REJECTED("no-tftp"))
    add(udp(B, A, 69, 40004, b"\x00\x05\x00\x01err\x00"), REJECTED("no-tftp"))
    # reject icmp echo: request, its retransmission and a reply share the flow.
    add(icmp_echo(A, B, ident=0x55, seq=1), REJECT("no-ping"))
    add(icmp_echo(A, B, ident=0x55, seq=2), REJECTED("no-ping"))
    add(icmp_echo(B, A, ident=0x55, seq=1, reply=True), REJECTED("no-ping"))
    add(icmp_echo(A, B, ident=0x56, seq=1), REJECT("no-ping"))       # another identifier
    # udp drop, then the other side talks: the same flow, still dropped by its rule.
    add(udp(B, A, 40005, 7000, b"in"), DROP("udp-drop"))
    add(udp(A, B, 7000, 40005, b"back"), DROP("udp-drop"))
    # Long after, the rejected smtp flow has been forgotten (flow_timeout 120): a fresh flow
    # meets the reject rule again.
    t[0] = 300.0
    add(tcp(A, B, 40002, 25, "S", seq=100), REJECT("no-smtp"))
    add(tcp(A, B, 40002, 25, "S", seq=100), REJECTED("no-smtp"))
    return cap


if __name__ == "__main__":
    main(build)
