"""grant-prefix: grants on prefixes (v4 and v6), renew and revoke by a covering prefix, renew and
revoke by a host inside a prefix grant (no effect on it), a grant replacing the previous one on
the same prefix. Every event time has a packet at exactly that time."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DENY, DROP, EXPIRED, PASS, Capture, TcpConn, main, udp  # noqa: E402

S, R = "198.51.100.91", "192.0.2.53"
S6 = "2001:db8:beef::1"
W, D, U = PASS("lib-web"), PASS("lib-dns"), DROP("lib-udp-drop")


def build():
    cap = Capture()
    fa = TcpConn("175.45.177.5", S, 40000, 443)    # in the /28
    fb = TcpConn("175.45.177.3", S, 40001, 80)     # in the /28
    fc = TcpConn("175.45.177.20", S, 40002, 80)    # outside the /28, never granted
    fd = TcpConn("175.45.177.40", S, 40003, 443)
    ff = TcpConn("175.45.177.50", S, 40005, 80)
    fg = TcpConn("175.45.177.51", S, 40006, 80)
    fv = TcpConn("2001:db8:1000:5::9", S6, 40007, 443)
    qe = lambda: udp("175.45.177.41", R, 40004, 53, b"q")  # noqa: E731
    d = lambda c, fc_=True: c.send(b"d", from_client=fc_)  # noqa: E731

    plan = [
        (0.0, fa.syn(), W), (0.1, fb.syn(), W), (0.2, fc.syn(), DENY), (0.3, fd.syn(), W),
        (0.4, qe(), D), (0.5, ff.syn(), W), (0.6, fg.syn(), W), (0.7, fv.syn(), W),
        (0.8, udp("175.45.177.42", R, 40008, 53, b"q"), U),     # never granted: next rule
        (50.0, d(ff), W), (50.1, d(fg), W),
        (100.0, d(fa), W),
        (100.1, d(ff), W),               # .50's grant was replaced at 50: ends at 1050, not 100
        (110.0, d(fg), EXPIRED),         # .51's grant was replaced at 50: ended at 110
        (150.0, d(fa), W),               # revoking .5 leaves the /28 alone
        (200.5, d(fa), W),               # the /28 was renewed at 100 by the /24: until 300
        (250.0, d(fb), W),               # renewing .5 does not renew the /28
        (299.9, d(fa), W),
        (300.0, d(fa), EXPIRED),         # lapsed: 100 + 200
        (300.1, d(fb, False), EXPIRED),
        (300.2, udp("175.45.177.5", R, 40009, 53, b"q"), U),    # a later rule matches
        (399.0, d(fd), W), (399.1, qe(), D),
        (400.0, d(fd), EXPIRED),         # revoked by the /24
        (400.1, qe(), U),                # the udp catch-all matches before grant-expired
        (400.2, d(ff), EXPIRED),
        (400.3, d(fc), DENY),
        (450.0, d(fv), W),
        (500.0, d(fv), EXPIRED),         # revoked by the /48
        # Events at the same time apply in file order: revoke then grant leaves a grant.
        (600.0, udp("175.45.177.61", R, 40010, 53, b"q"), D),
        (600.1, udp("175.45.177.62", R, 40011, 53, b"q"), D),
        (699.9, udp("175.45.177.61", R, 40010, 53, b"q"), D),
        (700.0, udp("175.45.177.61", R, 40010, 53, b"q"), U),   # for 100 ended
    ]
    for t, f, e in plan:
        cap.add(f, t, e)
    return cap


if __name__ == "__main__":
    main(build)
