"""ports: single ports, ranges with their bounds, arrays, sport and dport together; the ports
of a flow are its initiator's, whichever direction a later packet goes."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DROP, PASS, Capture, TcpConn, main, tcp, udp  # noqa: E402

A, B = "175.45.176.40", "198.51.100.40"
D = DROP("deny")

# (proto, sport, dport, expected) for first packets from A to B.
FIRSTS = [
    ("tcp", 40000, 22, PASS("ssh")),
    ("tcp", 40001, 21, D),
    ("tcp", 40002, 23, D),
    ("udp", 40003, 22, D),            # ssh is tcp only
    ("tcp", 40004, 8000, PASS("alt-web")),
    ("tcp", 40005, 8080, PASS("alt-web")),
    ("tcp", 40006, 8042, PASS("alt-web")),
    ("tcp", 40007, 7999, D),
    ("tcp", 40008, 8081, D),
    ("udp", 40009, 53, PASS("udp-mix")),
    ("udp", 40010, 5000, PASS("udp-mix")),
    ("udp", 40011, 5010, PASS("udp-mix")),
    ("udp", 40012, 5011, D),
    ("udp", 40013, 4999, D),
    ("udp", 40014, 123, PASS("udp-mix")),
    ("udp", 40015, 124, D),
    ("tcp", 40016, 53, D),            # udp-mix is udp only
    ("tcp", 1023, 9999, PASS("privileged-src")),
    ("tcp", 1, 9999, PASS("privileged-src")),
    ("tcp", 1024, 9999, D),
    ("tcp", 1000, 9998, D),
    ("udp", 68, 67, PASS("dhcp")),
    ("udp", 67, 68, PASS("dhcp")),
    ("udp", 68, 69, D),
    ("udp", 69, 67, D),
    ("tcp", 40017, 443, DROP("one-port-range")),
    ("tcp", 40018, 444, D),
]


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.1

    for i, (proto, sport, dport, e) in enumerate(FIRSTS):
        if proto == "tcp":
            add(tcp(A, B, sport, dport, "S", seq=100 * i), e)
        else:
            add(udp(A, B, sport, dport, b"q%d" % i), e)
    # Replies travel from the responder's port: still the flow A:40000 -> B:22.
    c = TcpConn(A, B, 40100, 22)
    for f in c.handshake():
        add(f, PASS("ssh"))
    add(c.send(b"SSH-2.0-server\r\n", from_client=False), PASS("ssh"))
    # A flow started from port 22 towards A's high port: its dport is 40101, not 22.
    add(tcp(B, A, 22, 40101, "S"), D)
    add(tcp(A, B, 40101, 22, "SA", seq=1, ack=1001), D)     # A's answer belongs to B's flow
    # udp reply from 53 belongs to the query's flow.
    add(udp(A, B, 40200, 53, b"query"), PASS("udp-mix"))
    add(udp(B, A, 53, 40200, b"answer"), PASS("udp-mix"))
    add(udp(B, A, 53, 40201, b"unsolicited"), D)
    return cap


if __name__ == "__main__":
    main(build)
