"""policy-switch: a "policy" event at 100 s; established flows take the new policy's verdict at
their next packet, both directions; new flows too."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DENY, DROP, PASS, REJECT, REJECTED, Capture, TcpConn, main,  # noqa: E402
                    udp)

A, B, R = "175.45.176.110", "198.51.100.110", "192.0.2.53"


def build():
    cap = Capture()
    web = TcpConn(A, B, 40000, 80)
    tls = TcpConn(A, B, 40001, 443)
    ssh = TcpConn(A, B, 40002, 22)
    new_web = TcpConn(A, B, 40003, 80)
    d = lambda c, fc=True: c.send(b"x", from_client=fc)  # noqa: E731
    q = lambda: udp(A, R, 40004, 53, b"q")  # noqa: E731
    a = lambda: udp(R, A, 53, 40004, b"a")  # noqa: E731
    plan = [
        (0.0, web.syn(), PASS("web")), (0.1, web.synack(), PASS("web")),
        (0.2, web.ack(), PASS("web")),
        (1.0, tls.syn(), PASS("tls")), (1.1, tls.synack(), PASS("tls")),
        (2.0, ssh.syn(), DROP("deny")), (2.1, ssh.syn(), DROP("deny")),
        (3.0, q(), PASS("dns")), (3.1, a(), PASS("dns")),
        (99.9, d(web, False), PASS("web")),
        (100.0, d(web), DROP("web-blocked")),        # the first packet at the event's time
        (100.1, d(web, False), DROP("web-blocked")),
        (101.0, d(tls), REJECT("tls-rejected")),      # an established flow meets reject
        (101.1, d(tls, False), REJECTED("tls-rejected")),
        (102.0, ssh.syn(), PASS("ssh")),              # a dropped flow now passes
        (102.1, ssh.synack(), PASS("ssh")),
        (103.0, q(), PASS("dns")), (103.1, a(), PASS("dns")),
        (104.0, new_web.syn(), DROP("web-blocked")),
        (105.0, udp(A, R, 40005, 123, b"ntp"), DENY),  # policy2 has no catch-all
    ]
    for t, f, e in plan:
        cap.add(f, t, e)
    return cap


if __name__ == "__main__":
    main(build)
