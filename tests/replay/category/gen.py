"""category: each category field on the wire; the verdict before and after the match."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DROP, PASS, REJECT, REJECTED, Capture, TcpConn, dns_query,  # noqa: E402
                    dns_response, http_request, http_response, main, tls_client_hello)
from scapy.layers.dns import DNS, DNSQR  # noqa: E402

A = "175.45.176.180"
WEB, RES = "198.51.100.180", "192.0.2.53"
W, D, DT = PASS("web"), PASS("dns"), PASS("dns-tcp")
SOC = ("no-social", "social")
KW = ("no-keywords", "keywords")


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.1

    def http_flow(port, request, first_verdict, later_verdict, answer=True):
        c = TcpConn(A, WEB, port, 80)
        for f in c.handshake():
            add(f, W)
        add(c.send(request), first_verdict)
        if answer:
            add(c.send(http_response(), from_client=False), later_verdict)

    # DNS over UDP: the query itself matches.
    add(dns_query(A, RES, "www.social.example", sport=33001), REJECT(*SOC))
    add(dns_response(RES, A, "www.social.example", "192.0.2.1", dport=33001), REJECTED(*SOC))
    add(dns_query(A, RES, "social.example.", sport=33002, qid=2), REJECT(*SOC))
    add(dns_query(A, RES, "WWW.Social.Example", sport=33003, qid=3), REJECT(*SOC))
    add(dns_query(A, RES, "badsocial.example", sport=33004, qid=4), D)   # not a label boundary
    add(dns_response(RES, A, "badsocial.example", "192.0.2.2", dport=33004, qid=4), D)
    add(dns_query(A, RES, "social.example.org", sport=33005, qid=5), D)
    add(dns_query(A, RES, "cdn.example.net", sport=33006, qid=6), REJECT(*SOC))   # =exact
    add(dns_query(A, RES, "img.cdn.example.net", sport=33007, qid=7), D)
    # DNS over TCP.
    c = TcpConn(A, RES, 33008, 53)
    for f in c.handshake():
        add(f, DT)
    q = bytes(DNS(id=8, rd=1, qd=DNSQR(qname="m.social.example")))
    add(c.send(struct.pack("!H", len(q)) + q), REJECT(*SOC))
    add(c.ack(from_client=False), REJECTED(*SOC))
    # HTTP Host.
    http_flow(40001, http_request("social.example"), REJECT(*SOC), REJECTED(*SOC))
    http_flow(40002, http_request("www.social.example:8080"), REJECT(*SOC), REJECTED(*SOC))
    http_flow(40003, http_request("example.org"), W, W)
    http_flow(40004, b"GET http://m.social.example/feed HTTP/1.0\r\nAccept: */*\r\n\r\n",
              REJECT(*SOC), REJECTED(*SOC))
    http_flow(40005, http_request("notsocial.example"), W, W)
    # TLS SNI.
    c = TcpConn(A, WEB, 40006, 443)
    for f in c.handshake():
        add(f, W)
    add(c.send(tls_client_hello("video.social.example")), REJECT(*SOC))
    add(c.send(b"\x15\x03\x03\x00\x02\x02\x28", from_client=False), REJECTED(*SOC))
    c = TcpConn(A, WEB, 40007, 443)
    for f in c.handshake():
        add(f, W)
    add(c.send(tls_client_hello("social.example.com")), W)
    add(c.send(b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00", from_client=False), W)
    # Payload literal in one segment; the flow's later packets stay dropped by the rule.
    c = TcpConn(A, WEB, 40008, 80)
    for f in c.handshake():
        add(f, W)
    add(c.send(b"POST /form HTTP/1.1\r\nHost: example.org\r\n\r\n"), W)
    add(c.send(b"q=the+forbidden-term+here"), DROP(*KW))
    add(c.ack(from_client=False), DROP(*KW))
    # The literal split across two segments.
    c = TcpConn(A, WEB, 40009, 80)
    for f in c.handshake():
        add(f, W)
    add(c.send(b"POST /x HTTP/1.1\r\nHost: example.org\r\n\r\nq=forbid"), W)
    add(c.send(b"den-term"), DROP(*KW))
    # The regex (case-insensitive, \s+) in the server's direction.
    c = TcpConn(A, WEB, 40010, 80)
    for f in c.handshake():
        add(f, W)
    add(c.send(http_request("example.org")), W)
    add(c.send(b"HTTP/1.1 200 OK\r\n\r\nthe SECRET \t Word is out", from_client=False), DROP(*KW))
    add(c.send(b"more"), DROP(*KW))
    # "forbidden-term" only after inspect_bytes (512) bytes each way: never matched.
    c = TcpConn(A, WEB, 40011, 80)
    for f in c.handshake():
        add(f, W)
    add(c.send(b"POST /big HTTP/1.1\r\nHost: example.org\r\n\r\n" + b"a" * 600), W)
    add(c.send(b"HTTP/1.1 100 Continue\r\n\r\n" + b"b" * 600, from_client=False), W)
    add(c.send(b"forbidden-term"), W)
    add(c.send(b"forbidden-term", from_client=False), W)
    # A case-sensitive literal: different case does not match.
    c = TcpConn(A, WEB, 40012, 80)
    for f in c.handshake():
        add(f, W)
    add(c.send(b"POST / HTTP/1.1\r\nHost: example.org\r\n\r\nFORBIDDEN-TERM"), W)
    return cap


if __name__ == "__main__":
    main(build)
