"""inside-large: grants over a country-sized inside (10.0.0.0/8, 200 /16s, two IPv6 prefixes),
laid out as address intervals: host and prefix grants in the /8, in a /16 and in IPv6, nested
grants (the latest deadline wins), a grant partly inside (96.0.0.0/4), a replaced grant, renew
and revoke by a covering prefix, lapses, and grants on 0.0.0.0/0 and ::/0 that still give no
outside initiator a grant. Every event time has a packet at exactly that time. check.py wants the
same verdicts under a small inside (the direct table)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DENY, DROP, EXPIRED, PASS, Capture, TcpConn, main, udp  # noqa: E402

S, R = "198.51.100.91", "192.0.2.53"  # outside: a web server and a resolver
S6, O6 = "2001:db8:1::80", "2001:db8:1::53"  # outside IPv6 hosts
W, D, U, A = PASS("lib-web"), PASS("lib-dns"), DROP("lib-udp-drop"), PASS("any-granted")


def build():
    cap = Capture()
    fa = TcpConn("10.20.0.5", S, 40000, 443)      # in the /28 grant
    fb = TcpConn("10.20.0.3", S, 40001, 80)       # in the /28 grant
    fc = TcpConn("10.20.0.20", S, 40002, 80)      # library, never granted
    fd = TcpConn("10.20.5.40", S, 40003, 443)     # a host grant in the /8
    ff = TcpConn("101.40.7.50", S, 40005, 80)     # a host grant within the /16 grant, replaced
    fg = TcpConn("101.40.9.9", S, 40006, 80)      # the /16 grant and the partly-inside /4
    fv = TcpConn("2001:db8:1000:5::9", S6, 40007, 443)
    fw = TcpConn("2001:db8:8000::7", S6, 40008, 443)   # the /40 grant
    fx = TcpConn("2001:db8:8100::1", S6, 40009, 443)   # library, outside the /40: never granted
    fi = TcpConn("10.21.0.1", S, 40010, 80)       # inside, not library
    qe = lambda: udp("10.20.5.40", R, 40004, 53, b"q")  # noqa: E731
    d = lambda c, fc_=True: c.send(b"d", from_client=fc_)  # noqa: E731
    g1 = TcpConn("10.20.7.7", S, 40020, 80)
    g2 = TcpConn("2001:db8:8100::1", S6, 40021, 443)
    g3 = TcpConn("10.20.7.7", S, 40022, 8080)
    o4 = TcpConn(S, "10.20.7.7", 40023, 8080)     # outside initiators: no grant, ever
    o6 = TcpConn(O6, "2001:db8:8100::1", 40024, 8080)

    plan = [
        (0.0, fa.syn(), W), (0.1, fb.syn(), W), (0.2, fc.syn(), DENY), (0.3, fd.syn(), W),
        (0.4, qe(), D), (0.5, ff.syn(), W), (0.6, fg.syn(), W), (0.7, fv.syn(), W),
        (0.8, fw.syn(), W),
        (0.9, udp("10.20.7.7", R, 40011, 53, b"q"), U),          # never granted: next rule
        (1.0, fi.syn(), DENY), (1.1, fx.syn(), DENY),
        (50.0, d(ff), W),
        (60.0, d(fg), W),                # the /4 ended at 50, the /16 lasts until 1000
        (100.0, d(fa), W),
        (100.1, d(ff), W),               # .50's grant was replaced at 50: until 1150
        (150.0, d(fa), W),               # revoking .5 (no grant of its own) leaves the /28
        (200.5, d(fa), W),               # the /28 was renewed at 100 by the /16: until 300
        (299.9, d(fa), W), (299.95, d(fw), W),
        (300.0, d(fa), EXPIRED),         # lapsed: 100 + 200
        (300.1, d(fb, False), EXPIRED),
        (300.2, d(fw), EXPIRED),         # the /40 ended: 300
        (300.3, udp("10.20.0.5", R, 40012, 53, b"q"), U),        # a later rule matches
        (399.0, d(fd), W), (399.1, qe(), D),
        (400.0, d(fd), EXPIRED),         # revoked by the /16
        (400.1, qe(), U),                # the udp catch-all matches before grant-expired
        (450.0, d(fv), W),
        (500.0, d(fv), EXPIRED),         # revoked by the /48
        (999.9, d(fg), W),
        (1000.0, d(fg), EXPIRED),        # the /16 ended
        (1000.1, d(ff), W),              # within the /16, its own grant lasts longer
        (1149.9, d(ff), W),
        (1150.0, d(ff), EXPIRED),
        (1150.1, d(fc), DENY),
        # Everything granted for 10 s: every inside initiator, no outside one.
        (1200.0, g1.syn(), W), (1200.1, g2.syn(), W), (1200.2, g3.syn(), A),
        (1200.3, o4.syn(), DENY), (1200.4, o6.syn(), DENY), (1200.5, d(fi), DENY),
        (1209.9, d(g1), W),
        (1210.0, d(g1), EXPIRED), (1210.1, d(g2), EXPIRED), (1210.2, d(g3), EXPIRED),
    ]
    for t, f, e in plan:
        cap.add(f, t, e)
    return cap


if __name__ == "__main__":
    main(build)
