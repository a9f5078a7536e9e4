"""Writes the bundled demo capture for rules/border.conf: an hour at a national border.

Usage: /usr/bin/python3 tests/gen/border_demo.py OUT.pcap [--seed N]

Deterministic (seeded, fixed epoch): the same command writes the same bytes. The capture holds a
few thousand Ethernet frames whose timestamps span about 3600 s. Replayed with
    chokepoint --replay OUT.pcap --policy rules/border.conf \\
               --events rules/border.events.jsonl --out DIR
it exercises every part of the policy:
  - government hosts browsing anywhere, pinging, over IPv4 and IPv6 (pass);
  - the national resolvers querying foreign resolvers over UDP and TCP (pass), and their queries
    for blocked names (reject, ICMP prohibited);
  - universities reaching foreign academic networks and mirrors (pass) and other sites (drop);
  - library terminals browsing while granted (pass), before a grant or after it lapsed, ended or
    was revoked (drop, "grant-expired"), with DNS to public resolvers; a reading room granted as
    a prefix; a granted terminal opening a blocked news site (reject, RSTs);
  - unprivileged hosts trying the web (drop) and foreign resolvers (reject, ICMP prohibited);
  - the world reaching the national portals (pass) and scanning other hosts (drop);
  - the shutoff window of rules/border.events.jsonl (everything dropped, "shutoff");
  - ARP (pass), IP fragments (drop, "fragment"), malformed frames (drop, "malformed").
Sessions whose traffic the policy drops look as they would on the wire: the client retransmits
its first packet and gives up, nobody answers; rejected TCP sessions stop after the request.
"""

import argparse
import ipaddress
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import (TcpConn, arp_reply, arp_request, dns_query, dns_response,  # noqa: E402
                    http_request, http_response, icmp_echo, ip, ipv4_fragments, tcp,
                    tls_client_hello, write_pcap)
from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402
from scapy.layers.inet import UDP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = os.path.join(HERE, "..", "..", "rules", "border.events.jsonl")
HOUR = 3600.0

# --- Hosts (rules/border.conf tiers) ---
GOVERNMENT = ["175.45.176.2", "175.45.176.3", "175.45.176.5", "210.52.109.5",
              "2001:db8:1000:1::2"]
RESOLVER4, RESOLVER6 = "175.45.176.53", "2001:db8:1000:1::53"
PORTALS = ["175.45.176.81", "175.45.176.82", "2001:db8:1000:80::1"]
UNIVERSITY = ["175.45.178.%d" % i for i in range(10, 31, 4)] + ["2001:db8:1000:20::10"]
LIBRARY = ["175.45.177.10", "175.45.177.11", "175.45.177.12", "175.45.177.13",
           "175.45.177.20", "77.94.35.66", "77.94.35.70", "77.94.35.90", "2001:db8:1000:5::10"]
UNPRIVILEGED = (["175.45.179.%d" % i for i in range(20, 200, 20)] +
                ["210.52.109.%d" % i for i in (100, 150, 200)] + ["77.94.35.12", "77.94.35.20"])
GATEWAYS = {"175.45.176.1": ["175.45.176.2", "175.45.176.53", "175.45.179.20"],
            "210.52.109.1": ["210.52.109.5", "210.52.109.100"],
            "77.94.35.1": ["77.94.35.66", "77.94.35.12"]}

# --- The world ---
WEB = ["203.0.113.10", "203.0.113.20", "203.0.113.30", "192.0.2.80", "2001:db8:beef::80"]
ACADEMIC = ["198.51.100.10", "198.51.100.20", "203.0.113.70", "203.0.113.100",
            "2001:db8:ac::10"]
NEWS = "203.0.113.40"
FOREIGN_DNS = ["192.0.2.53", "192.0.2.153", "203.0.113.53"]
FOREIGN_DNS6 = "2001:db8:ffff::53"
PUBLIC_DNS = ["192.0.2.53", "192.0.2.153"]
VISITORS = ["198.18.%d.%d" % (i, j) for i in (1, 2, 3) for j in (7, 77, 177)] + \
    ["2001:db8:f00d::%d" % i for i in (1, 2)]
SCANNERS = ["203.0.113.201", "203.0.113.222", "198.18.9.99"]

NAMES = ["www.example.com", "mail.example.net", "cdn.example.org", "api.example.com",
         "docs.example.org", "weather.example", "maps.example.net", "time.example.com"]
BLOCKED_NAMES = ["www.news.example", "headlines.example.org", "vpn.example", "proxy.example"]
ACADEMIC_NAMES = ["arxiv.example.edu", "mirror.example.edu", "journals.example.ac"]


def v4(hosts):
    return [h for h in hosts if ":" not in h]


def is_inside(a):
    return any(ipaddress.ip_address(a) in ipaddress.ip_network(p) for p in
               ("175.45.176.0/22", "210.52.109.0/24", "77.94.35.0/24", "2001:db8:1000::/48"))


class Grants:
    """Enough of the grant and shutoff semantics to decide whether the wire shows an answer."""

    def __init__(self, path):
        with open(path) as f:
            self.events = [json.loads(line) for line in f if line.strip()]

    def _state(self, t):
        grants, shut = {}, False
        for e in self.events:
            if e["at"] > t:
                break
            if e["do"] == "grant":
                grants[ipaddress.ip_network(e["host"])] = [e["at"] + e["for"],
                                                           e.get("renew_every"), e["at"]]
            elif e["do"] in ("renew", "revoke"):
                p = ipaddress.ip_network(e["host"])
                for g in list(grants):
                    if g.version == p.version and g.subnet_of(p):
                        if e["do"] == "revoke":
                            del grants[g]
                        else:
                            grants[g][2] = e["at"]
            elif e["do"] == "shutoff":
                shut = True
            elif e["do"] == "restore":
                shut = False
        return grants, shut

    def live(self, host, t):
        grants, _ = self._state(t)
        a = ipaddress.ip_address(host)
        for p, (end, every, last) in grants.items():
            if p.version == a.version and a in p and t < end and (every is None or
                                                                  t < last + every):
                return True
        return False

    def shut(self, t):
        return self._state(t)[1]


class Demo:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.grants = Grants(EVENTS)
        self.packets = []  # (time, order, bytes)

    def emit(self, t, frame):
        if 0.0 <= t < HOUR:
            self.packets.append((t, len(self.packets), bytes(frame)))

    def port(self):
        return self.rng.randrange(32768, 61000)

    def conn(self, client, server, sport):
        return TcpConn(client, server, self.port(), sport, cisn=self.rng.getrandbits(32),
                       sisn=self.rng.getrandbits(32))

    def unanswered(self, t, frame):
        """A first packet nobody answers: sent, then retransmitted after 1 and 3 s."""
        for dt in (0.0, 1.0, 3.0):
            self.emit(t + dt, frame)

    def passes(self, t, client):
        """Whether a session a granted tier starts at t gets through (grant and shutoff)."""
        if self.grants.shut(t) or self.grants.shut(t + 2.0):
            return False
        return self.grants.live(client, t) if client in LIBRARY else True

    # --- Sessions ---
    def web(self, t, client, server, name, answered=True, tls=None, reset=False):
        """TCP handshake, an HTTP GET or TLS ClientHello, the answer, FIN both ways."""
        tls = self.rng.random() < 0.6 if tls is None else tls
        c = self.conn(client, server, 443 if tls else 80)
        rtt = self.rng.uniform(0.02, 0.25)
        if not answered:
            self.unanswered(t, c.syn())
            return
        self.emit(t, c.syn())
        self.emit(t + rtt, c.synack())
        self.emit(t + rtt + 0.001, c.ack())
        req = tls_client_hello(name, self.rng.randrange(256)) if tls else http_request(name)
        self.emit(t + rtt + 0.002, c.send(req))
        if reset:
            return  # the appliance answered with RSTs; both ends stop
        t2 = t + 2 * rtt + 0.01
        body = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randrange(200, 1400)))
        self.emit(t2, c.send(body if tls else http_response(body[:600])))
        if self.rng.random() < 0.5:
            self.emit(t2 + 0.001, c.send(body[:900], from_client=False))
        self.emit(t2 + rtt, c.ack())
        self.emit(t2 + rtt + 0.5, c.fin())
        self.emit(t2 + 2 * rtt + 0.5, c.fin(from_client=False))
        self.emit(t2 + 3 * rtt + 0.5, c.ack())

    def dns(self, t, client, resolver, name, answered=True, rejected=False):
        sport, qid = self.port(), self.rng.getrandbits(16)
        q = dns_query(client, resolver, name, sport=sport, qid=qid,
                      qtype="AAAA" if ":" in client else "A")
        if rejected:
            self.emit(t, q)  # ICMP prohibited comes back: the stub gives up at once
        elif not answered:
            self.unanswered(t, q)
        else:
            self.emit(t, q)
            addr = "198.51.100.%d" % self.rng.randrange(1, 255)
            self.emit(t + self.rng.uniform(0.005, 0.2),
                      dns_response(resolver, client, name, addr, dport=sport, qid=qid))

    def dns_tcp(self, t, client, resolver, name):
        c = self.conn(client, resolver, 53)
        q = bytes(DNS(id=self.rng.getrandbits(16), rd=1, qd=DNSQR(qname=name, qtype="TXT")))
        a = bytes(DNS(id=1, qr=1, qd=DNSQR(qname=name, qtype="TXT"),
                      an=DNSRR(rrname=name, type="TXT", rdata="v=demo " + "x" * 200)))
        for i, f in enumerate(c.handshake()):
            self.emit(t + 0.01 * i, f)
        self.emit(t + 0.03, c.send(len(q).to_bytes(2, "big") + q))
        self.emit(t + 0.06, c.send(len(a).to_bytes(2, "big") + a, from_client=False))
        self.emit(t + 0.07, c.fin())
        self.emit(t + 0.08, c.fin(from_client=False))
        self.emit(t + 0.09, c.ack())

    def ping(self, t, a, b, count, answered=True):
        ident = self.rng.getrandbits(16)
        for i in range(count):
            self.emit(t + i, icmp_echo(a, b, ident=ident, seq=i + 1))
            if answered:
                self.emit(t + i + self.rng.uniform(0.01, 0.3),
                          icmp_echo(b, a, ident=ident, seq=i + 1, reply=True))

    def scan(self, t, scanner, targets, ports):
        for i, (dst, p) in enumerate((d, p) for d in targets for p in ports):
            sport = 40000 + i
            self.emit(t + 0.05 * i, tcp(scanner, dst, sport, p, "S",
                                        seq=self.rng.getrandbits(32)))

    # --- Tiers ---
    def government(self, t):
        g = self.rng.choice(GOVERNMENT)
        v6 = ":" in g
        kind = self.rng.random()
        if kind < 0.75:
            server = "2001:db8:beef::80" if v6 else self.rng.choice(v4(WEB) + [NEWS])
            name = self.rng.choice(NAMES + BLOCKED_NAMES[:1])  # unfiltered, news included
            self.web(t, g, server, name, answered=not self.grants.shut(t))
        else:
            peer = "2001:db8:beef::1" if v6 else self.rng.choice(v4(WEB))
            self.ping(t, g, peer, 3, answered=not self.grants.shut(t))

    def resolver(self, t):
        v6 = self.rng.random() < 0.2
        res = RESOLVER6 if v6 else RESOLVER4
        fwd = FOREIGN_DNS6 if v6 else self.rng.choice(FOREIGN_DNS)
        shut = self.grants.shut(t)
        r = self.rng.random()
        if r < 0.08:
            # A blocked name: the query itself matches the category and is rejected.
            self.dns(t, res, fwd, self.rng.choice(BLOCKED_NAMES), rejected=not shut,
                     answered=False)
        elif r < 0.13 and not shut:
            self.dns_tcp(t, res, fwd, self.rng.choice(NAMES))
        else:
            self.dns(t, res, fwd, self.rng.choice(NAMES + ACADEMIC_NAMES), answered=not shut)

    def university(self, t):
        u = self.rng.choice(UNIVERSITY)
        v6 = ":" in u
        ok = not self.grants.shut(t)
        r = self.rng.random()
        if r < 0.6:
            dst = "2001:db8:ac::10" if v6 else self.rng.choice(ACADEMIC[:4])
            self.web(t, u, dst, self.rng.choice(ACADEMIC_NAMES), answered=ok)
        elif r < 0.7:
            dst = "2001:db8:ac::10" if v6 else self.rng.choice(ACADEMIC[:4])
            c = self.conn(u, dst, 22)
            if not ok:
                self.unanswered(t, c.syn())
                return
            for i, f in enumerate(c.handshake()):
                self.emit(t + 0.05 * i, f)
            for i in range(6):
                self.emit(t + 0.2 + i, c.send(bytes(self.rng.getrandbits(8) for _ in range(48))))
                self.emit(t + 0.25 + i, c.send(bytes(self.rng.getrandbits(8)
                                                     for _ in range(96)), from_client=False))
        elif r < 0.8:
            dst = "2001:db8:ac::10" if v6 else self.rng.choice(ACADEMIC[:4])
            self.ping(t, u, dst, 2, answered=ok)
        else:
            dst = "2001:db8:beef::80" if v6 else self.rng.choice(v4(WEB))
            self.web(t, u, dst, self.rng.choice(NAMES), answered=False)  # not academic

    def library(self, t):
        h = self.rng.choice(LIBRARY)
        v6 = ":" in h
        ok = self.passes(t, h)
        r = self.rng.random()
        if r < 0.25 and not v6:
            # DNS to a public resolver: passes while granted, else stray-dns rejects it.
            self.dns(t, h, self.rng.choice(PUBLIC_DNS), self.rng.choice(NAMES),
                     answered=ok, rejected=not ok and not self.grants.shut(t))
        elif r < 0.33 and ok and not v6:
            # A granted terminal opens a blocked news site: RSTs after the ClientHello.
            self.web(t, h, NEWS, self.rng.choice(BLOCKED_NAMES[:2]), tls=True, reset=True)
        else:
            dst = "2001:db8:beef::80" if v6 else self.rng.choice(v4(WEB))
            self.web(t, h, dst, self.rng.choice(NAMES), answered=ok)

    def unprivileged(self, t):
        h = self.rng.choice(UNPRIVILEGED)
        if self.rng.random() < 0.4:
            shut = self.grants.shut(t)
            self.dns(t, h, self.rng.choice(FOREIGN_DNS), self.rng.choice(NAMES),
                     answered=False, rejected=not shut)
        else:
            self.web(t, h, self.rng.choice(v4(WEB)), self.rng.choice(NAMES), answered=False)

    def visitor(self, t):
        v = self.rng.choice(VISITORS)
        v6 = ":" in v
        portal = PORTALS[2] if v6 else self.rng.choice(PORTALS[:2])
        ok = not self.grants.shut(t)
        if self.rng.random() < 0.85:
            self.web(t, v, portal, "portal.example.kp", answered=ok)
        else:
            c = self.conn(v, portal, 22)   # not a web port: dropped
            self.unanswered(t, c.syn())

    def inbound_ping(self, t):
        src = self.rng.choice(SCANNERS + VISITORS[:3])
        dst = self.rng.choice(UNPRIVILEGED + UNIVERSITY[:2])
        if (":" in src) == (":" in dst):
            self.ping(t, src, dst, 2, answered=False)

    def arp(self, t):
        gw = self.rng.choice(sorted(GATEWAYS))
        host = self.rng.choice(GATEWAYS[gw])
        self.emit(t, arp_request(host, gw))
        self.emit(t + 0.0005, arp_reply(gw, host))

    def oddities(self):
        """Fragments and malformed frames at fixed times."""
        dgram = bytes(UDP(sport=40404, dport=443, len=8 + 1200, chksum=0) / Raw(b"q" * 1200))
        first, later = ipv4_fragments("198.18.2.77", PORTALS[0], dgram, ident=0x5151, split=600)
        self.emit(700.0, first)
        self.emit(700.001, later)
        good = bytes(tcp("203.0.113.201", PORTALS[0], 41000, 443, "S"))
        self.emit(1000.0, good[:20])                                  # truncated Ethernet/IPv4
        bad_ihl = bytearray(good)
        bad_ihl[14] = 0x43                                            # IHL 3
        self.emit(2000.0, bytes(bad_ihl))
        self.emit(2900.0, tcp("203.0.113.222", UNPRIVILEGED[0], 41001, 80, "SF"))  # SYN+FIN
        self.emit(3100.0, ip("198.18.9.99", PORTALS[1], ident=7) / UDP(sport=1, dport=2, len=4))

    def build(self):
        plan = [  # (sessions over the hour, tier)
            (130, self.government), (420, self.resolver), (90, self.university),
            (260, self.library), (90, self.unprivileged), (110, self.visitor),
            (25, self.inbound_ping), (120, self.arp),
        ]
        for count, fn in plan:
            for _ in range(count):
                fn(self.rng.uniform(0.0, HOUR - 10.0))
        # Library terminals around their grant changes, so that the edges show.
        for h, times in (("175.45.177.12", (880.0, 905.0, 1000.0)),
                         ("175.45.177.13", (1490.0, 1510.0)),
                         ("175.45.177.11", (1850.0, 1870.0)),
                         ("77.94.35.66", (1190.0, 1210.0, 2390.0, 2530.0)),
                         ("175.45.177.20", (300.0, 1300.0))):
            for t in times:
                self.web(t, h, WEB[0], NAMES[0], answered=self.passes(t, h), tls=False)
        for i, (scanner, targets, ports) in enumerate((
                (SCANNERS[0], ["175.45.179.20", "175.45.179.40"], [22, 23, 80, 443, 3389, 8080]),
                (SCANNERS[1], PORTALS[:2], [22, 80, 443, 8443]),
                (SCANNERS[2], ["210.52.109.%d" % i for i in range(100, 110)], [445]))):
            self.scan(400.0 + 1100.0 * i, scanner, targets, ports)
        self.oddities()
        # Anchor the capture's clock: the first packet at 0 (events are relative to it), the
        # last one just before the hour.
        self.emit(0.0, arp_request("175.45.176.2", "175.45.176.1"))
        self.emit(HOUR - 0.5, arp_request("175.45.176.2", "175.45.176.1"))
        self.packets.sort(key=lambda p: (p[0], p[1]))
        return [(b, int(round(t * 1e6))) for t, _, b in self.packets]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="pcap file to write")
    ap.add_argument("--seed", type=int, default=20240301)
    args = ap.parse_args()
    packets = Demo(args.seed).build()
    write_pcap(args.out, packets)
    print("%s: %d packets over %.0f s" % (args.out, len(packets), packets[-1][1] / 1e6))


if __name__ == "__main__":
    main()
