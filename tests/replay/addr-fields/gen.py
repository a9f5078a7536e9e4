"""addr-fields: every kind of address expression in from/to, matched and not matched."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import DROP, PASS, Capture, main, tcp  # noqa: E402

D = DROP("deny")

# (from, to, dport, expected) - one SYN each, every one its own flow.
CASES = [
    ("175.45.176.10", "198.51.100.7", 1001, PASS("host-to-host")),
    ("175.45.176.11", "198.51.100.7", 1001, D),          # other source host
    ("175.45.176.10", "198.51.100.8", 1001, D),          # other destination host
    ("175.45.177.200", "198.51.100.127", 1002, PASS("prefix-to-prefix")),
    ("175.45.177.0", "198.51.100.0", 1002, PASS("prefix-to-prefix")),
    ("175.45.178.1", "198.51.100.1", 1002, D),           # source outside the /24
    ("175.45.177.1", "198.51.100.128", 1002, D),         # destination outside the /25
    ("175.45.179.255", "8.8.8.8", 1003, PASS("inside-to-outside")),
    ("210.52.109.9", "8.8.4.4", 1003, PASS("inside-to-outside")),
    ("2001:db8:1000:ffff::9", "2001:db8:beef::9", 1003, PASS("inside-to-outside")),
    ("175.45.176.1", "175.45.177.1", 1003, D),           # inside to inside
    ("8.8.8.8", "175.45.176.1", 1003, D),                # outside to inside
    ("175.45.180.1", "8.8.8.8", 1003, D),                # just past the /22: outside
    ("8.8.8.8", "210.52.109.3", 1004, PASS("outside-to-inside")),
    ("2001:db8:beef::9", "2001:db8:1000::9", 1004, PASS("outside-to-inside")),
    ("175.45.176.1", "175.45.176.2", 1004, D),           # from inside
    ("8.8.8.8", "8.8.4.4", 1004, D),                     # to outside
    ("175.45.177.1", "203.0.113.1", 1005, PASS("negated")),
    ("175.45.176.1", "203.0.113.1", 1005, D),            # source in the negated /24
    ("175.45.177.1", "198.51.100.200", 1005, D),         # destination in the negated /24
    ("2001:db8:1000::5", "2001:db8:beef::5", 1005, PASS("negated")),  # v6 is not in the v4 /24
    ("175.45.176.20", "192.0.2.1", 1006, PASS("array")),
    ("210.52.109.77", "192.0.2.200", 1006, PASS("array")),
    ("2001:db8:1000::77", "2001:db8:beef::77", 1006, D),  # v6 to entry, but from not listed
    ("175.45.176.21", "192.0.2.1", 1006, D),
    ("175.45.176.20", "192.0.2.2", 1006, D),             # in neither to entry
    ("175.45.176.5", "8.8.8.8", 1007, PASS("negated-array")),
    ("175.45.177.5", "8.8.8.8", 1007, PASS("negated-array")),
    ("175.45.176.6", "8.8.8.8", 1007, D),
    ("175.45.176.6", "9.9.9.9", 1008, PASS("not-inside")),
    ("9.9.9.9", "175.45.176.6", 1008, D),
    ("2001:db8:1000::1", "2001:db8:beef::1", 1009, PASS("v6-host")),
    ("2001:db8:1000::2", "2001:db8:beef::1", 1009, D),
]


def build():
    cap = Capture()
    t = 0.0
    for i, (src, dst, dport, expect) in enumerate(CASES):
        assert (":" in src) == (":" in dst), "mixed address families"
        cap.add(tcp(src, dst, 40000 + i, dport, "S", seq=1000 + i), t, expect)
        t += 0.5
    return cap


if __name__ == "__main__":
    main(build)
