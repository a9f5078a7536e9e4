"""grants: grant, renew keeping a grant alive, lapse without renewal, end after "for" (renewal
never moves it), revoke, a grant given while a flow is denied, a second grant after a lapse.
Every event time (events.jsonl) has a packet at exactly that time."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DENY, EXPIRED, PASS, REJECT, REJECTED, Capture, TcpConn, main,  # noqa: E402
                    udp)

S, R = "198.51.100.90", "192.0.2.53"
H1, H2, H3, H4 = "175.45.177.5", "175.45.177.6", "175.45.177.7", "175.45.177.8"
H5, H6 = "175.45.177.9", "175.45.177.10"
W, D = PASS("lib-web"), PASS("lib-dns")


def build():
    cap = Capture()
    f1 = TcpConn(H1, S, 40001, 443)
    f2 = TcpConn(H2, S, 40002, 80)
    f4 = TcpConn(H4, S, 40004, 80)
    f5 = TcpConn(H5, S, 40005, 80)
    f6 = TcpConn(H6, S, 40006, 443)
    f7 = TcpConn(S, H1, 50000, 8080)       # inbound to a granted host
    f8 = TcpConn(H1, S, 40008, 22)         # a port no grant rule covers
    f9 = TcpConn(H1, S, 40009, 80)
    f10 = TcpConn(H4, S, 40010, 25)       # rejected before grants change elsewhere
    q3 = lambda: udp(H3, R, 40003, 53, b"q3")  # noqa: E731
    a3 = lambda: udp(R, H3, 53, 40003, b"a3")  # noqa: E731
    data = lambda c, fc=True: c.send(b"data", from_client=fc)  # noqa: E731

    plan = [
        (0.0, f1.syn(), W), (0.1, f1.synack(), W), (0.2, f1.ack(), W),
        (1.0, f2.syn(), W), (1.1, f2.synack(), W),
        (2.0, q3(), D), (2.1, a3(), D),
        (3.0, f4.syn(), DENY), (3.1, f4.syn(), DENY),           # never granted
        (4.0, f6.syn(), W),
        (5.0, f7.syn(), DENY),                                  # initiator outside: no grant
        (6.0, f8.syn(), DENY),                                  # no grant rule for port 22
        (7.0, f10.syn(), REJECT("no-smtp")),
        (10.0, f5.syn(), DENY),                                 # grant comes at 20
        (20.0, f5.syn(), W), (20.1, f5.synack(), W),            # the new grant re-evaluates
        (21.0, f10.syn(), REJECTED("no-smtp")),                 # still rejected: no new reject
        (250.0, data(f1), W), (250.1, data(f6), W),
        (299.0, data(f1), W), (301.0, data(f1), W),             # renewed at 250: until 550
        (301.5, data(f6), W),
        (399.0, q3(), D),
        (400.0, q3(), EXPIRED), (400.1, a3(), EXPIRED),         # revoked
        (400.2, data(f2), W),                                   # other grants unaffected
        (400.3, f10.syn(), REJECTED("no-smtp")),
        (449.0, data(f6), W), (450.0, data(f6), W),
        (499.9, data(f6), W),
        (500.0, data(f1), W),                                   # renewed at 500: until 800
        (500.1, data(f6), EXPIRED),                             # for 500 ended at 500
        (500.2, data(f6, False), EXPIRED),
        (599.9, data(f2), W),
        (600.0, data(f2), EXPIRED), (600.1, data(f2, False), EXPIRED),  # for 600 ended
        (799.9, data(f1), W),
        (800.0, data(f1), EXPIRED), (800.1, data(f1, False), EXPIRED),  # lapsed: 500 + 300
        (850.0, data(f8), DENY),                                # still no grant rule for 22
        (850.1, f4.syn(), DENY),
        (900.0, data(f1), W),                                   # granted again, for 60
        (959.9, data(f1, False), W),
        (960.0, data(f1), EXPIRED),
        (960.1, f9.syn(), EXPIRED),                             # a new flow, grant ended
        (961.0, data(f5), W),
    ]
    for t, f, e in plan:
        cap.add(f, t, e)
    return cap


if __name__ == "__main__":
    main(build)
