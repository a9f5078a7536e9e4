#!/usr/bin/python3
"""Writes a deterministic L3/L4 policy of many outside prefixes and many rules for the benchmarks.

Usage: make_l34_policy.py --out P.conf [--prefixes N] [--rules R] [--pass-at K] [--seed S]

The policy: inside 175.45.176.0/22 (cp-gen's inside hosts); N IPv4 outside prefixes (default
10000) in sets of 100: "peers" holds the 64 /24s of 198.51.0.0/18, where cp-gen's outside hosts
are (198.51.0.0 plus an offset below its --outside, at most 16384), and random prefixes elsewhere;
"ext000", "ext001", ... hold random prefixes (/12 to /32) that never overlap inside or
198.51.0.0/18. R rules (default 1000), the last a default "deny". cp-gen's traffic (TCP 80/443
and UDP 53 from inside to peers) passes by "web" and "dns" at positions K and K+1 (default 70% of
R): every rule before them is evaluated and misses, half of them on the addresses (inside to an
extNNN set, or from an extNNN set) and half only on the protocol or the port (inside to @peers on
other ports, UDP port ranges, ICMP), so classification does real work. Rules after them are of
the same kinds. No rule matches everything, so `chokectl check` finds none unreachable.
"""

import argparse
import ipaddress
import random
import sys

INSIDE = ipaddress.ip_network("175.45.176.0/22")
PEERS = ipaddress.ip_network("198.51.0.0/18")
SET_SIZE = 100
WEB_PORTS = (53, 80, 443)


def random_prefix(rng, seen):
    """A random routable IPv4 prefix, /12 to /32, disjoint from INSIDE and PEERS, not in seen."""
    while True:
        first = rng.randrange(1, 224)
        if first in (10, 127):
            continue
        plen = rng.choice((12, 16, 20, 22, 24, 24, 24, 26, 28, 32, 32))
        addr = first << 24 | rng.getrandbits(24)
        net = ipaddress.ip_network((addr, plen), strict=False)
        if net.overlaps(INSIDE) or net.overlaps(PEERS) or net in seen:
            continue
        seen.add(net)
        return net


def make_sets(rng, n_prefixes):
    """[(name, [prefix strings])], n_prefixes in all; the first set is "peers"."""
    seen = set()
    peers = list(PEERS.subnets(new_prefix=24))
    seen.update(peers)
    sets = [("peers", [str(p) for p in peers])]
    while len(sets[0][1]) < min(SET_SIZE, n_prefixes):
        sets[0][1].append(str(random_prefix(rng, seen)))
    left = n_prefixes - len(sets[0][1])
    i = 0
    while left > 0:
        k = min(SET_SIZE, left)
        sets.append(("ext%03d" % i, [str(random_prefix(rng, seen)) for _ in range(k)]))
        left -= k
        i += 1
    return sets


def other_port(rng, used):
    """A TCP/UDP port cp-gen does not use, not in used (every rule gets its own)."""
    while True:
        p = rng.randrange(1, 65536)
        if p not in WEB_PORTS and p not in used:
            used.add(p)
            return p


class Filler:
    """Rules that never match cp-gen's flows, each with something of its own (a port, a port
    range, a protocol) so that no rule covers another and none is unreachable."""

    def __init__(self, rng, ext_names):
        self.rng, self.ext, self.used = rng, ext_names, set()
        self.protos = [p for p in range(1, 256) if p not in (6, 17)]
        rng.shuffle(self.protos)
        self.n = [0] * 6

    def rule(self, i):
        """Rule i (1-based position), of kind i % 6."""
        rng, kind = self.rng, i % 6
        if kind in (0, 1) and not self.ext:
            kind = 2
        j = self.n[kind]
        self.n[kind] += 1
        head = '{ name = "r%04d"; action = "%s"; ' % (i, rng.choice(("drop", "reject", "pass")))
        port = other_port(rng, self.used)
        if kind == 0:  # address miss: inside to an ext set
            return head + ('from = "inside"; to = "@%s"; proto = "tcp"; dport = [ 80, 443, %d ]; }'
                           % (self.ext[j % len(self.ext)], port))
        if kind == 1:  # address miss: from an ext set
            return head + ('from = "@%s"; to = "inside"; proto = "udp"; dport = [ 53, %d ]; }'
                           % (self.ext[j % len(self.ext)], port))
        if kind == 2:  # port miss: inside to peers, another TCP port
            return head + 'from = "inside"; to = "@peers"; proto = "tcp"; dport = %d; }' % port
        if kind == 3:  # port miss: a UDP range of its own above 1024
            lo = 1024 + 100 * (j % 640)
            return head + ('from = "inside"; to = "@peers"; proto = "udp"; dport = "%d-%d"; }'
                           % (lo, lo + 50))
        if kind == 4:  # source port miss: cp-gen's source ports are 1024 and above
            lo = 1 + 6 * (j % 170)
            return head + ('from = "inside"; to = "@peers"; proto = "tcp"; sport = "%d-%d"; '
                           'dport = [ 80, 443, %d ]; }' % (lo, lo + 4, port))
        # protocol miss: a protocol number of its own
        return head + 'from = "inside"; to = "@peers"; proto = %d; }' % (
            self.protos[j % len(self.protos)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefixes", type=int, default=10000)
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--pass-at", type=int, default=0, help="position of the web rule (1-based)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not 64 <= a.prefixes <= 1000000 or not 4 <= a.rules <= 60000:
        sys.exit("make_l34_policy.py: --prefixes 64..1000000, --rules 4..60000")
    pass_at = a.pass_at or max(1, a.rules * 7 // 10)
    if not 1 <= pass_at <= a.rules - 2:
        sys.exit("make_l34_policy.py: --pass-at 1..rules-2")
    rng = random.Random(a.seed)
    sets = make_sets(rng, a.prefixes)
    ext_names = [name for name, _ in sets[1:]]
    filler = Filler(rng, ext_names)
    rules = []
    for i in range(1, a.rules):
        if i == pass_at:
            rules.append('{ name = "web"; action = "pass"; from = "inside"; to = "@peers"; '
                         'proto = "tcp"; dport = [ 80, 443 ]; }')
        elif i == pass_at + 1:
            rules.append('{ name = "dns"; action = "pass"; from = "inside"; to = "@peers"; '
                         'proto = "udp"; dport = 53; }')
        else:
            rules.append(filler.rule(i))
    rules.append('{ name = "deny"; action = "drop"; }')
    out = ["# Generated by bench/policies/make_l34_policy.py --prefixes %d --rules %d --pass-at %d "
           "--seed %d:" % (a.prefixes, a.rules, pass_at, a.seed),
           "# cp-gen's traffic passes by rules %d (web) and %d (dns)." % (pass_at, pass_at + 1),
           "version = 1;", 'inside = [ "%s" ];' % INSIDE, "", "sets = {"]
    for name, prefixes in sets:
        lines = ",\n".join("    " + ", ".join('"%s"' % p for p in prefixes[j:j + 4])
                           for j in range(0, len(prefixes), 4))
        out.append("  %s = [\n%s\n  ];" % (name, lines))
    out += ["};", "", "rules = (", ",\n".join("  " + r for r in rules), ");"]
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
