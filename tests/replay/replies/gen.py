"""replies: both directions of passed flows pass; inbound flows are classified by their own
initiator, so a reply-looking packet that opens a flow is matched as what it is."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DENY, PASS, REJECT, REJECTED, Capture, TcpConn, dns_query,  # noqa: E402
                    dns_response, main, pad60, tcp, udp)

A, S = "175.45.176.80", "198.51.100.80"
SRV = "175.45.176.10"
SCANNER = "203.0.113.66"


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e, dt=0.05):
        cap.add(f, t[0], e)
        t[0] += dt

    O = PASS("out")
    c = TcpConn(A, S, 45000, 80)
    for f in c.handshake():
        add(f, O)
    add(c.send(b"GET /index.html HTTP/1.1\r\nHost: s\r\n\r\n"), O)
    add(c.ack(from_client=False), O)
    add(c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000,
               from_client=False), O)
    add(pad60(c.ack()), O)                                   # a padded 60-byte frame
    add(c.fin(from_client=False), O)
    add(c.fin(), O)
    add(pad60(c.ack(from_client=False)), O)
    # DNS out and its answer.
    add(dns_query(A, "192.0.2.53", "www.example.org", sport=33001), O)
    add(dns_response("192.0.2.53", A, "www.example.org", "192.0.2.80", dport=33001), O)
    # An answer-looking datagram nobody asked for: its sender is the initiator.
    add(dns_response("192.0.2.53", A, "evil.example", "192.0.2.66", dport=33002), DENY)
    add(udp(A, "192.0.2.53", 33002, 53, b"icmp-ish answer"), DENY)
    # Inbound ssh to the server that accepts it: both ways pass.
    s = TcpConn(SCANNER, SRV, 51000, 22)
    for f in s.handshake():
        add(f, PASS("ssh-in"))
    add(s.send(b"SSH-2.0-OpenSSH_9.2\r\n", from_client=False), PASS("ssh-in"))
    # The same outside host to another inside host or port: no rule.
    add(tcp(SCANNER, SRV, 51001, 23, "S"), DENY)
    add(tcp(SRV, SCANNER, 23, 51001, "RA", seq=0, ack=1001), DENY)  # the RST reply: same flow
    add(tcp(SCANNER, "175.45.176.11", 51002, 22, "S"), DENY)
    add(tcp("175.45.176.11", SCANNER, 22, 51002, "SA", seq=1, ack=1001), DENY)
    # A SYN-ACK arriving first (backscatter): its sender is the initiator, from outside.
    add(tcp(S, A, 80, 45001, "SA", seq=1, ack=1), DENY)
    add(tcp(A, S, 45001, 80, "R", seq=1), DENY)
    # Inside server answering an outside client it reached first? No: A's SYN-ACK to a port it
    # never heard from opens an outbound flow, which "out" passes.
    add(tcp(A, S, 45002, 8080, "SA", seq=1, ack=1), O)
    add(tcp(S, A, 8080, 45002, "R", seq=1), O)
    # A port scan of the reject target: each port is a flow, each first SYN is rejected.
    for port in (21, 22, 25, 80, 443):
        add(tcp(SCANNER, "175.45.176.99", 52000, port, "S", seq=port), REJECT("scan-reject"))
    add(tcp(SCANNER, "175.45.176.99", 52000, 80, "S", seq=80), REJECTED("scan-reject"))
    return cap


if __name__ == "__main__":
    main(build)
