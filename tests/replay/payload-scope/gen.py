"""payload-scope: a flow that no category rule could change (a pass rule for @trusted first) is
never inspected; a category that matches where no rule before the deciding one names it is
counted and changes nothing (inspection goes on and a later match decides); the verdict before a
match is that of the first matching rule without category, a drop one included (an allow-list
category then passes the flow); ICMP is never inspected."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DROP, PASS, REJECT, REJECTED, Capture, TcpConn, http_request,  # noqa: E402
                    http_response, icmp_echo, main, tls_client_hello)

TRUSTED = "203.0.113.9"
A = "203.0.113.40"
SRV = "198.51.100.40"
T, W, DENY = PASS("trusted-out"), PASS("web"), DROP("deny")
SOC = ("no-social", "social")
ALLOW = PASS("allow-tls", "allowed")

# check.py holds the counters to these.
FLOWS = {"social": 2, "keywords": 1, "allowed": 1, "secret": 0}
HOST_PARSED = 2   # the trusted flow's request is not looked at
SNI_PARSED = 2


def build():
    cap = Capture()
    t = [0.0]
    port = [44000]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.05

    def conn(client, dport, verdict):
        port[0] += 1
        c = TcpConn(client, SRV, port[0], dport)
        for f in c.handshake():
            add(f, verdict)
        return c

    # 1. @trusted: nothing after trusted-out can change it, so it is not inspected at all.
    c = conn(TRUSTED, 80, T)
    add(c.send(http_request("social.example")), T)
    add(c.send(b"trusted-only-needle social-token forbidden-term"), T)
    add(c.send(http_response(b"social-token forbidden-term\n"), from_client=False), T)
    # 2. keywords matches, but only no-keywords (after web, the deciding rule) names it: counted,
    #    the verdict stays web, and inspection goes on until social matches.
    c = conn(A, 80, W)
    add(c.send(http_request("example.org")), W)
    add(c.send(b"q=forbidden-term"), W)
    add(c.send(http_response(), from_client=False), W)
    add(c.send(b"then a social-token"), REJECT(*SOC))
    add(c.ack(from_client=False), REJECTED(*SOC))
    # 3. The same host name rejects on a flow of the same client to port 80 (the Host).
    c = conn(A, 80, W)
    add(c.send(http_request("www.social.example")), REJECT(*SOC))
    add(c.ack(from_client=False), REJECTED(*SOC))
    # 4. Allow-list: port 443 is dropped by deny until the hello names allowed.example.
    c = conn(A, 443, DENY)
    add(c.send(tls_client_hello("www.allowed.example")), ALLOW)
    add(c.send(b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00", from_client=False), ALLOW)
    add(c.send(b"\x17\x03\x03\x00\x03abc"), ALLOW)
    # 5. Another name stays dropped by deny.
    c = conn(A, 443, DENY)
    add(c.send(tls_client_hello("other.example")), DENY)
    add(c.send(b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00", from_client=False), DENY)
    # 6. ICMP is never inspected: deny decides although no-social's other fields match.
    add(icmp_echo(A, SRV, ident=7, data=b"social-token forbidden-term"), DENY)
    add(icmp_echo(SRV, A, ident=7, reply=True, data=b"social-token forbidden-term"), DENY)
    return cap


if __name__ == "__main__":
    main(build)
