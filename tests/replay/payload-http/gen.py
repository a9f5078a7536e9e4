"""payload-http: the host category list against HTTP/1.x requests: Host with a port, an
absolute-form target (it wins over the Host header), a Host header split over three segments, a
lowercase header name, a request without Host, a keep-alive second request naming a listed host
(not looked at: a name is extracted once per TCP flow), and a payload literal in a POST body."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DROP, PASS, REJECT, REJECTED, Capture, TcpConn, http_request,  # noqa: E402
                    http_response, main)

A = "203.0.113.20"
SRV = "198.51.100.20"
W = PASS("web")
SOC = ("no-social", "social")
KW = ("no-keywords", "keywords")

# check.py holds the counters to these.
HOST_PARSED = 8
SOCIAL_FLOWS = 4
KEYWORD_FLOWS = 1


def build():
    cap = Capture()
    t = [0.0]
    port = [42000]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.05

    def conn(dport=80):
        port[0] += 1
        c = TcpConn(A, SRV, port[0], dport)
        for f in c.handshake():
            add(f, W)
        return c

    # 1. Host with a port, on port 8080.
    c = conn(8080)
    add(c.send(http_request("www.social.example:8080")), REJECT(*SOC))
    add(c.send(http_response(), from_client=False), REJECTED(*SOC))
    # 2. Absolute-form target naming a listed host; the Host header names another (RFC 9112
    #    §3.2.2: the target's host wins).
    c = conn()
    add(c.send(b"GET http://social.example/feed HTTP/1.1\r\nHost: example.org\r\n\r\n"),
        REJECT(*SOC))
    add(c.ack(from_client=False), REJECTED(*SOC))
    # 3. Host header split over three segments.
    c = conn()
    add(c.send(b"GET /index.html HTTP/1.1\r\nHo"), W)
    add(c.send(b"st: img.soc"), W)
    add(c.send(b"ial.example\r\nAccept: */*\r\n\r\n"), REJECT(*SOC))
    add(c.send(http_response(), from_client=False), REJECTED(*SOC))
    # 4. Lowercase header name, mixed-case value.
    c = conn()
    add(c.send(b"GET / HTTP/1.1\r\nhost: Social.EXAMPLE\r\naccept: */*\r\n\r\n"), REJECT(*SOC))
    add(c.send(http_response(), from_client=False), REJECTED(*SOC))
    # 5. No Host at all (parsed, no name): no match.
    c = conn()
    add(c.send(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), W)
    add(c.send(http_response(), from_client=False), W)
    # 6. A host that is not listed (label boundary).
    c = conn()
    add(c.send(http_request("notsocial.example")), W)
    add(c.send(http_response(), from_client=False), W)
    # 7. Keep-alive: the second request names a listed host; only the first request's host is
    #    looked at.
    c = conn()
    add(c.send(http_request("example.org")), W)
    add(c.send(http_response(), from_client=False), W)
    add(c.send(http_request("social.example", "/second")), W)
    add(c.send(http_response(), from_client=False), W)
    # 8. POST: headers, then a body holding the literal.
    c = conn()
    add(c.send(b"POST /form HTTP/1.1\r\nHost: example.org\r\nContent-Length: 25\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"), W)
    add(c.send(b"q=the+forbidden-term+here"), DROP(*KW))
    add(c.ack(from_client=False), DROP(*KW))
    add(c.send(b"more"), DROP(*KW))
    return cap


if __name__ == "__main__":
    main(build)
