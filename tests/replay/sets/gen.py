"""sets: @set references, nested includes, negated sets, arrays of sets and prefixes."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DENY, DROP, PASS, Capture, main, tcp, udp  # noqa: E402

# (from, to, proto, expected); every packet is the first of its own flow.
CASES = [
    ("175.45.176.9", "203.0.113.70", "tcp", PASS("trusted-academic")),   # mirrors via academic
    ("175.45.176.15", "198.51.100.5", "udp", PASS("trusted-academic")),
    ("175.45.176.9", "8.8.8.8", "tcp", PASS("staff-not-mirrors")),       # trusted via staff
    ("175.45.178.1", "198.51.100.5", "tcp", PASS("staff-not-mirrors")),
    ("175.45.178.1", "203.0.113.127", "tcp", DENY),                      # to a mirror: !@mirrors
    ("175.45.178.1", "203.0.113.127", "udp", DROP("research")),          # ... research drops udp
    ("2001:db8:1000:1::5", "2001:db8:ac::5", "tcp", PASS("staff-not-mirrors")),
    ("2001:db8:1000:2::5", "2001:db8:ac::5", "tcp", DENY),               # not staff
    ("2001:db8:1000:2::5", "2001:db8:ac::5", "udp", DROP("research")),
    ("175.45.176.16", "198.51.100.5", "tcp", DENY),                      # just past trusted /29
    ("175.45.176.7", "198.51.100.5", "udp", DROP("research")),
    ("203.0.113.100", "175.45.179.4", "tcp", PASS("mirrors-in")),
    ("203.0.113.100", "175.45.176.12", "tcp", PASS("mirrors-in")),       # staff via trusted
    ("203.0.113.100", "175.45.177.4", "tcp", DENY),
    ("203.0.113.130", "175.45.179.4", "tcp", DENY),                      # past the mirrors /26
    ("175.45.177.3", "192.0.2.15", "udp", DROP("research")),
    ("175.45.177.3", "192.0.2.16", "udp", DENY),                         # past research's /28
]


def build():
    cap = Capture()
    t = 0.0
    for i, (src, dst, proto, expect) in enumerate(CASES):
        if proto == "tcp":
            f = tcp(src, dst, 41000 + i, 443, "S", seq=7000 + i)
        else:
            f = udp(src, dst, 41000 + i, 9000, b"datagram %d" % i)
        cap.add(f, t, expect)
        t += 0.25
    return cap


if __name__ == "__main__":
    main(build)
