"""payload-stream: payload patterns over each direction's TCP stream in sequence order: a
literal split over three segments; a /i regex from the server; a gap (the segment beyond the next
expected byte is dropped, reason out-of-order, and its retransmission completes the match); a
whole retransmission not scanned again; overlaps (only new bytes scanned, first copy wins);
inspect_bytes (256) per direction; a flow picked up mid-stream; UDP datagrams each on their own."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DROP, PASS, Capture, TcpConn, main, tcp, tcp_raw, udp,  # noqa: E402
                    verdict)

A = "203.0.113.30"
SRV = "198.51.100.30"
W, U = PASS("web"), PASS("udp")
KW = ("no-keywords", "keywords")
OOO = verdict("drop", None, None, "out-of-order")
LIMIT = 256

# check.py holds the counters to these.
KEYWORD_FLOWS = 8
RETRANSMITS = 1
OVERLAPS = 2
OUT_OF_ORDER = 1


def build():
    cap = Capture()
    t = [0.0]
    port = [43000]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.05

    def conn():
        port[0] += 1
        c = TcpConn(A, SRV, port[0], 9000)
        for f in c.handshake():
            add(f, W)
        return c

    # 1. The literal over three segments.
    c = conn()
    add(c.send(b"hello forbi"), W)
    add(c.send(b"dden-t"), W)
    add(c.send(b"erm, bye"), DROP(*KW))
    add(c.ack(from_client=False), DROP(*KW))
    # 2. The regex, case-insensitive, \s+ spanning a tab and spaces, from the server.
    c = conn()
    add(c.send(b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"), W)
    add(c.send(b"HTTP/1.1 200 OK\r\n\r\nthe SeCrEt \t  WORD is out", from_client=False),
        DROP(*KW))
    add(c.ack(), DROP(*KW))
    # 3. A gap: bytes [20, 30) arrive before [10, 20); dropped as out-of-order, then the stream
    #    is inspected in order and the retransmission completes the literal.
    c = conn()
    base = c.cseq
    data = b"0123456789" + b"abcdforbid" + b"den-term.."
    add(tcp_raw(c, data[0:10], base), W)
    add(tcp_raw(c, data[20:30], base + 20), OOO)
    add(tcp_raw(c, data[10:20], base + 10), W)
    add(tcp_raw(c, data[20:30], base + 20), DROP(*KW))
    c.cseq = base + 30
    add(c.ack(from_client=False), DROP(*KW))
    # 4. A whole retransmission is not scanned again: scanning its copy after the original would
    #    read "...forbidden-term..." across the two.
    c = conn()
    base = c.cseq
    seg = b"term; forbidden-"
    add(tcp_raw(c, seg, base), W)
    add(tcp_raw(c, seg, base), W)
    c.cseq = base + len(seg)
    add(c.send(b"fun"), W)
    add(c.send(b"HTTP/1.1 204 No Content\r\n\r\n", from_client=False), W)
    # 5. Overlap, first copy wins, new bytes scanned: [0,10) "0123forbid", then [4,18)
    #    "FORBIDden-term": the stream is "0123forbidden-term" and matches.
    c = conn()
    base = c.cseq
    add(tcp_raw(c, b"0123forbid", base), W)
    add(tcp_raw(c, b"FORBIDden-term", base + 4), DROP(*KW))
    c.cseq = base + 18
    add(c.ack(from_client=False), DROP(*KW))
    # 6. Overlap whose old bytes would complete the literal: [0,10) "0123abcdef", then [4,18)
    #    "forbidden-term": the stream is "0123abcdefden-term", no match.
    c = conn()
    base = c.cseq
    add(tcp_raw(c, b"0123abcdef", base), W)
    add(tcp_raw(c, b"forbidden-term", base + 4), W)
    c.cseq = base + 18
    add(c.ack(from_client=False), W)
    # 7. inspect_bytes: a literal ending exactly at byte 256 of the client's stream matches.
    c = conn()
    add(c.send(b"a" * (LIMIT - 14)), W)
    add(c.send(b"forbidden-term" + b"zz"), DROP(*KW))
    # 8. One starting at byte 256 does not; one straddling 256 neither; the server's direction
    #    has its own 256 bytes.
    c = conn()
    add(c.send(b"b" * LIMIT), W)
    add(c.send(b"forbidden-term"), W)
    add(c.send(b"c" * (LIMIT - 6) + b"forbidden-term", from_client=False), W)
    c2 = conn()
    add(c2.send(b"d" * (LIMIT - 6)), W)
    add(c2.send(b"forbidden-term"), W)
    add(c2.send(b"forbidden-term", from_client=False), DROP(*KW))
    add(c2.ack(), DROP(*KW))
    # 9. Picked up mid-stream (no SYN seen): the first data segment sets the next expected byte;
    #    the literal spans it and the next one.
    port[0] += 1
    add(tcp(A, SRV, port[0], 9000, "PA", seq=777000, ack=888000, data=b"xyz forbid", ident=9), W)
    add(tcp(SRV, A, 9000, port[0], "A", seq=888000, ack=777010, ident=10), W)
    add(tcp(A, SRV, port[0], 9000, "PA", seq=777010, ack=888000, data=b"den-term", ident=11),
        DROP(*KW))
    # 10. UDP: each datagram on its own.
    add(udp(A, SRV, 45000, 7000, b"one forbid"), U)
    add(udp(A, SRV, 45000, 7000, b"den-term two"), U)
    add(udp(SRV, A, 7000, 45000, b"reply"), U)
    add(udp(A, SRV, 45000, 7000, b"three forbidden-term"), DROP(*KW))
    add(udp(SRV, A, 7000, 45000, b"reply"), DROP(*KW))
    return cap


if __name__ == "__main__":
    main(build)
