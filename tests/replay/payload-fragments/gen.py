"""payload-fragments: with fragments = "reassemble" a datagram is classified (and inspected) whole
and each of its fragments gets its verdict, verdict lines in input order. DNS queries whose name
is cut by the fragment boundary, IPv4 and IPv6, in order and in reverse order, with unfragmented
packets of the same flow before and after; a fragmented query for an unlisted name; incomplete
datagrams dropped with reason fragment-timeout (10 s of virtual time, and at the end of the
capture); a later fragment arriving after its datagram timed out does not complete it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DROP, PASS, Capture, dns_query, dns_response, ipv4_fragments,  # noqa: E402
                    ipv6_fragments, l4_bytes, main, verdict)
from scapy.layers.dns import DNS, DNSQR  # noqa: E402
from scapy.layers.inet import UDP  # noqa: E402

A, RES = "203.0.113.50", "192.0.2.53"
A6, RES6 = "2001:db8:1000::50", "2001:db8:53::53"
D = PASS("dns")
SOC = DROP("no-social", "social")
TIMEOUT = verdict("drop", None, None, "fragment-timeout")

# check.py holds the counters to these.
SOCIAL_FLOWS = 3
DNS_PARSED = 10
FRAGMENT_TIMEOUTS = 3


def query_l4(src, dst, sport, qid, name):
    """The UDP bytes of a DNS query: 8 + 12 header bytes, so the name starts at offset 20 and a
    fragment boundary at 24 cuts it."""
    return l4_bytes(src, dst, UDP(sport=sport, dport=53) / DNS(id=qid, rd=1,
                                                               qd=DNSQR(qname=name)))


def build():
    cap = Capture()
    t = [0.0]

    def add(f, e, dt=0.05):
        cap.add(f, t[0], e)
        t[0] += dt

    # 1. IPv4, in order: an unfragmented query of the flow passes, then a fragmented one for a
    #    listed name drops both fragments, then the resolver's answer is dropped too.
    add(dns_query(A, RES, "example.org", sport=33001, qid=1), D)
    add(dns_response(RES, A, "example.org", "192.0.2.1", dport=33001, qid=1), D)
    f1, f2 = ipv4_fragments(A, RES, query_l4(A, RES, 33001, 2, "www.social.example"),
                            ident=0x101, split=24)
    add(f1, SOC)
    add(f2, SOC)
    add(dns_response(RES, A, "www.social.example", "192.0.2.2", dport=33001, qid=2), SOC)
    # 2. IPv4, reverse order.
    f1, f2 = ipv4_fragments(A, RES, query_l4(A, RES, 33002, 3, "m.social.example"),
                            ident=0x102, split=24)
    add(f2, SOC)
    add(f1, SOC)
    add(dns_query(A, RES, "example.org", sport=33002, qid=4), SOC)
    # 3. IPv4, an unlisted name: both fragments pass.
    add(dns_query(A, RES, "example.net", sport=33003, qid=5), D)
    f1, f2 = ipv4_fragments(A, RES, query_l4(A, RES, 33003, 6, "notsocial.example"),
                            ident=0x103, split=24)
    add(f1, D)
    add(f2, D)
    add(dns_response(RES, A, "notsocial.example", "192.0.2.3", dport=33003, qid=6), D)
    # 4. IPv6, in order, unfragmented queries before and after.
    add(dns_query(A6, RES6, "example.org", sport=33004, qid=7), D)
    g1, g2 = ipv6_fragments(A6, RES6, query_l4(A6, RES6, 33004, 8, "cdn.social.example"),
                            ident=0x201, split=24)
    add(g1, SOC)
    add(g2, SOC)
    add(dns_query(A6, RES6, "example.org", sport=33004, qid=9), SOC)
    # 5. IPv6, reverse order, unlisted name.
    g1, g2 = ipv6_fragments(A6, RES6, query_l4(A6, RES6, 33005, 10, "example.com"),
                            ident=0x202, split=24)
    add(g2, D)
    add(g1, D)
    # 6. An incomplete datagram (first fragment only): dropped as timed out once a packet more
    #    than 10 s later arrives; a lone later fragment 12 s after its first does not complete
    #    the first's datagram: both time out.
    f1, _ = ipv4_fragments(A, RES, query_l4(A, RES, 33006, 11, "lost.social.example"),
                           ident=0x104, split=24)
    add(f1, TIMEOUT)
    h1, h2 = ipv4_fragments(A, RES, query_l4(A, RES, 33007, 12, "late.example"),
                            ident=0x105, split=24)
    add(h1, TIMEOUT, dt=12.0)
    add(dns_query(A, RES, "example.org", sport=33008, qid=13), D)
    add(h2, TIMEOUT)
    add(dns_query(A, RES, "example.org", sport=33009, qid=14), D)
    return cap


if __name__ == "__main__":
    main(build)
