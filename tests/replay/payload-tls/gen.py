"""payload-tls: the sni category list against TLS ClientHellos: a hello split over two TCP
segments and over two TLS records, GREASE and unknown extensions before server_name, an uppercase
name, the label boundary, an =exact entry, a /regex/ entry, malformed hellos (bad lengths: no
match although the bytes hold a listed name; extract_total sni malformed), TLS on port 8443."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (PASS, REJECT, REJECTED, Capture, TcpConn, main, tls_client_hello,  # noqa: E402
                    tls_client_hello_msg, tls_ext, tls_records, tls_sni_ext)

A = "203.0.113.10"
SRV = "198.51.100.10"
O = PASS("out")
SOC = ("no-social", "social")
ALERT = b"\x15\x03\x03\x00\x02\x02\x28"
SERVER_HELLO_ISH = b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00"
GROUPS = tls_ext(10, b"\x00\x02\x00\x1d")

# Flows whose hello the sni extractor parses (a name found or not) and the malformed ones:
# check.py holds the counters to these.
SNI_PARSED = 12
SNI_MALFORMED = 2
SOCIAL_FLOWS = 8


def build():
    cap = Capture()
    t = [0.0]
    port = [41000]

    def add(f, e):
        cap.add(f, t[0], e)
        t[0] += 0.05

    def conn(dport=443):
        port[0] += 1
        c = TcpConn(A, SRV, port[0], dport)
        for f in c.handshake():
            add(f, O)
        return c

    def hello_flow(hello, match, dport=443):
        """One flow: handshake, the hello in one segment, the server's answer."""
        c = conn(dport)
        add(c.send(hello), REJECT(*SOC) if match else O)
        add(c.send(ALERT if match else SERVER_HELLO_ISH, from_client=False),
            REJECTED(*SOC) if match else O)

    # 1. Split across two TCP segments, inside the name.
    c = conn()
    h = tls_client_hello("www.social.example")
    cut = h.index(b"www.social") + 6
    add(c.send(h[:cut]), O)
    add(c.send(h[cut:]), REJECT(*SOC))
    add(c.send(ALERT, from_client=False), REJECTED(*SOC))
    # 2. One ClientHello in two TLS records (cut inside the extensions), one TCP segment; then
    #    the same in two records in two segments.
    msg = tls_client_hello_msg(tls_sni_ext("social.example") + GROUPS, seed=2)
    hello_flow(tls_records(msg, (msg.index(b"social") - 3,)), True)
    c = conn()
    recs = tls_records(msg, (20,))
    add(c.send(recs[:5 + 20]), O)
    add(c.send(recs[5 + 20:]), REJECT(*SOC))
    add(c.ack(from_client=False), REJECTED(*SOC))
    # 3. GREASE, renegotiation_info, extended_master_secret and an unknown extension first.
    exts = (tls_ext(0x0a0a) + tls_ext(0xff01, b"\x00") + tls_ext(0x0017) +
            tls_ext(0x7777, b"junk!") + tls_sni_ext("m.social.example") + tls_ext(0x1a1a, b"\0"))
    hello_flow(tls_records(tls_client_hello_msg(exts, seed=3)), True)
    # 4. Uppercase name.
    hello_flow(tls_client_hello("WWW.SOCIAL.EXAMPLE"), True)
    # 5. Not on a label boundary; a suffix that is no subdomain.
    hello_flow(tls_client_hello("badsocial.example"), False)
    hello_flow(tls_client_hello("social.example.org"), False)
    # 6. =exact.example.net: that name only.
    hello_flow(tls_client_hello("exact.example.net"), True)
    hello_flow(tls_client_hello("a.exact.example.net"), False)
    # 7. /^tracker[0-9]+\.example\.org$/
    hello_flow(tls_client_hello("tracker42.example.org"), True)
    hello_flow(tls_client_hello("tracker.example.org"), False)
    # 8. Malformed hellos holding "social.example": the extensions block length is 4 too long;
    #    the server_name list length disagrees with the extension length.
    hello_flow(tls_records(tls_client_hello_msg(tls_sni_ext("social.example") + GROUPS,
                                                seed=8, exts_len_delta=4)), False)
    hello_flow(tls_records(tls_client_hello_msg(tls_sni_ext("social.example", -1) + GROUPS,
                                                seed=9)), False)
    # 9. TLS on another port.
    hello_flow(tls_client_hello("social.example", seed=10), True, dport=8443)
    return cap


if __name__ == "__main__":
    main(build)
