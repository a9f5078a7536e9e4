"""shutoff: a shutoff window from 100 to 200 s; flows before, during and after it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DENY, MALFORMED, PASS, REJECT, REJECTED, SHUTOFF, Capture,  # noqa: E402
                    TcpConn, arp_request,
                    dns_query, icmp_echo, main, tcp)

A, B = "175.45.176.100", "198.51.100.100"


def build():
    cap = Capture()
    c = TcpConn(A, B, 40000, 443)
    d = lambda fc=True: c.send(b"tick", from_client=fc)  # noqa: E731
    O = PASS("out")
    truncated_ip = bytes(tcp(A, B, 40001, 443, "S"))[:30]       # IPv4 header cut short
    plan = [
        (0.0, c.syn(), O), (0.1, c.synack(), O), (0.2, c.ack(), O),
        (1.0, tcp(B, A, 40002, 22, "S"), DENY),
        (50.0, d(), O), (50.1, d(False), O),
        (90.0, tcp(B, A, 40007, 445, "S", seq=1), REJECT("no-smb")),   # alive until 210
        (99.9, d(), O),
        (100.0, d(), SHUTOFF), (100.1, d(False), SHUTOFF),
        (120.0, dns_query(A, "192.0.2.53", "example.org"), SHUTOFF),   # a new flow
        (130.0, tcp(B, A, 40003, 22, "S"), SHUTOFF),
        (140.0, icmp_echo(A, B, ident=4), SHUTOFF),
        (150.0, truncated_ip, MALFORMED("malformed-ipv4-header")),
        (160.0, arp_request(A, "175.45.176.1"), SHUTOFF),              # non-IP crosses too
        (170.0, tcp(B, A, 40004, 445, "S"), SHUTOFF),                  # no reject while shut off
        (199.9, d(), SHUTOFF),
        (200.0, d(), O), (200.1, d(False), O),
        (201.0, tcp(B, A, 40005, 22, "S"), DENY),
        (202.0, icmp_echo(A, B, ident=5), O),
        (203.0, arp_request(A, "175.45.176.1"), PASS()),
        (204.0, tcp(B, A, 40006, 445, "S"), REJECT("no-smb")),
        (205.0, tcp(B, A, 40007, 445, "S", seq=1), REJECTED("no-smb")),   # rejected before
    ]
    for t, f, e in plan:
        cap.add(f, t, e)
    return cap


if __name__ == "__main__":
    main(build)
