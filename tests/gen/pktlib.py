"""Frame builders and a deterministic pcap + expected-verdicts writer for the replay tests.

One job: turn a list of (frame, time, expected verdict) into OUTDIR/input.pcap (Ethernet,
microsecond timestamps, fixed epoch) and OUTDIR/expected.jsonl (the exact lines chokepoint writes
to verdicts.jsonl, docs/semantics.md). Everything is deterministic: MAC addresses derive from the
IP address, IP ids and sequence numbers are explicit, no scapy defaults that depend on the host.

Run with /usr/bin/python3 (it has scapy).
"""

import hashlib
import json
import os
import struct
import sys

import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    IPv6,
    IPv6ExtHdrFragment,
)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

# Every capture starts here (2023-11-14 22:13:20 UTC); times in the cases are relative to it.
EPOCH = 1700000000
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535

# ---------------------------------------------------------------------------------------------
# Expected verdicts


def verdict(v, rule=None, category=None, reason=None, detail=None):
    """One expected verdicts.jsonl object, keys in the order chokepoint writes them."""
    d = {"verdict": v, "rule": rule, "category": category, "reason": reason}
    if detail is not None:
        d["detail"] = detail
    return d


def PASS(rule=None, category=None):
    return verdict("pass", rule, category)


def DROP(rule, category=None):
    """Dropped by a rule whose action is drop."""
    return verdict("drop", rule, category)


def REJECT(rule, category=None):
    """The packet that met a reject rule."""
    return verdict("reject", rule, category)


def REJECTED(rule, category=None):
    """A later packet (either direction) of a rejected flow."""
    return verdict("drop", rule, category, "rejected")


DENY = verdict("drop", None, None, "default-deny")
EXPIRED = verdict("drop", None, None, "grant-expired")
SHUTOFF = verdict("drop", None, None, "shutoff")
FRAGMENT = verdict("drop", None, None, "fragment")
NON_IP_PASS = verdict("pass")
NON_IP_DROP = verdict("drop", None, None, "non-ip")


def MALFORMED(detail):
    return verdict("drop", None, None, "malformed", detail)


def verdict_line(n, d):
    """The exact line: {"n": 1, "verdict": ...} with ", " and ": " separators."""
    return json.dumps({"n": n, **d})


# ---------------------------------------------------------------------------------------------
# Addresses


def is_v6(addr):
    return ":" in addr


def mac_for(ip):
    """A stable locally administered unicast MAC for an address."""
    h = hashlib.sha256(ip.encode()).digest()
    return "02:%02x:%02x:%02x:%02x:%02x" % tuple(h[:5])


def group_mac(ip):
    """The Ethernet group address an IP multicast or broadcast destination maps to, else None."""
    import ipaddress
    try:
        a = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if a.version == 4 and a == ipaddress.IPv4Address("255.255.255.255"):
        return "ff:ff:ff:ff:ff:ff"
    if a.version == 4 and a.is_multicast:
        b = a.packed
        return "01:00:5e:%02x:%02x:%02x" % (b[1] & 0x7f, b[2], b[3])
    if a.version == 6 and a.is_multicast:
        return "33:33:%02x:%02x:%02x:%02x" % tuple(a.packed[12:])
    return None


def l2(src, dst, vlans=(), smac=None, dmac=None):
    """Ethernet header plus VLAN tags. vlans: () untagged, (10,) one 802.1Q tag, (100, 10) QinQ
    with an 802.1ad outer tag; a tag given as ("q", 100) forces TPID 0x8100 for the outer tag."""
    pkt = Ether(src=smac or mac_for(src), dst=dmac or group_mac(dst) or mac_for(dst))
    for i, v in enumerate(vlans):
        if isinstance(v, tuple):
            kind, vid = v
        else:
            kind, vid = ("ad" if (len(vlans) == 2 and i == 0) else "q"), v
        pkt = pkt / (Dot1AD(vlan=vid) if kind == "ad" else Dot1Q(vlan=vid))
    return pkt


def ip(src, dst, vlans=(), ident=1, ttl=64, **kw):
    """L2 + IPv4 or IPv6 header, chosen by the address family."""
    if is_v6(src):
        return l2(src, dst, vlans) / IPv6(src=src, dst=dst, hlim=ttl, **kw)
    return l2(src, dst, vlans) / IP(src=src, dst=dst, id=ident, ttl=ttl, **kw)


def pad60(frame):
    """Bytes of frame padded with zeros to the Ethernet minimum of 60 bytes (no FCS)."""
    b = bytes(frame)
    return b + b"\0" * (60 - len(b)) if len(b) < 60 else b


# ---------------------------------------------------------------------------------------------
# Frames


def tcp(src, dst, sport, dport, flags="S", seq=1000, ack=0, data=b"", vlans=(), ident=1,
        window=64240):
    f = ip(src, dst, vlans, ident) / TCP(sport=sport, dport=dport, flags=flags, seq=seq,
                                         ack=ack, window=window)
    if data:
        f = f / Raw(data)
    return f


def udp(src, dst, sport, dport, data=b"", vlans=(), ident=1):
    f = ip(src, dst, vlans, ident) / UDP(sport=sport, dport=dport)
    if data:
        f = f / Raw(data)
    return f


def icmp_echo(src, dst, ident=0x1234, seq=1, reply=False, vlans=(), data=b"chokepoint-ping"):
    if is_v6(src):
        cls = ICMPv6EchoReply if reply else ICMPv6EchoRequest
        return ip(src, dst, vlans) / cls(id=ident, seq=seq, data=data)
    return ip(src, dst, vlans) / ICMP(type=0 if reply else 8, id=ident, seq=seq) / Raw(data)


def proto_frame(src, dst, proto, data=b"\0" * 16, vlans=()):
    """An IP packet of an arbitrary protocol number with opaque payload."""
    if is_v6(src):
        return l2(src, dst, vlans) / IPv6(src=src, dst=dst, nh=proto) / Raw(data)
    return l2(src, dst, vlans) / IP(src=src, dst=dst, proto=proto, id=1) / Raw(data)


def dns_query(src, dst, name, sport=33333, qid=0x4242, vlans=(), qtype="A"):
    return udp(src, dst, sport, 53, vlans=vlans) / DNS(id=qid, rd=1, qd=DNSQR(qname=name,
                                                                             qtype=qtype))


def dns_response(src, dst, name, addr, dport=33333, qid=0x4242, vlans=()):
    """Answer from the resolver src back to the client dst."""
    return udp(src, dst, 53, dport, vlans=vlans) / DNS(
        id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name), an=DNSRR(rrname=name, ttl=300, rdata=addr))


def http_request(host, path="/", absolute=False):
    target = ("http://%s%s" % (host, path)) if absolute else path
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: chokepoint-test/1\r\nAccept: */*\r\n\r\n"
            % (target, host)).encode()


def http_response(body=b"ok\n"):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n%s" % (
        len(body), body)


def tls_client_hello(sni, seed=0):
    """A minimal TLS 1.2 ClientHello record with a server_name extension."""
    name = sni.encode()
    sni_list = struct.pack("!BH", 0, len(name)) + name
    sni_ext = struct.pack("!HH", 0, len(sni_list) + 2) + struct.pack("!H", len(sni_list)) + sni_list
    groups = struct.pack("!HHH", 10, 4, 2) + struct.pack("!H", 0x001d)
    exts = sni_ext + groups
    rnd = hashlib.sha256(b"random" + sni.encode() + bytes([seed & 0xff])).digest()
    suites = struct.pack("!HHHH", 6, 0x1301, 0xc02f, 0x002f)
    body = struct.pack("!H", 0x0303) + rnd + b"\x00" + suites + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def arp_request(src_ip, dst_ip, vlans=()):
    return l2(src_ip, "ff", vlans, dmac="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=mac_for(src_ip), psrc=src_ip, hwdst="00:00:00:00:00:00", pdst=dst_ip)


def arp_reply(src_ip, dst_ip, vlans=()):
    return l2(src_ip, dst_ip, vlans) / ARP(op=2, hwsrc=mac_for(src_ip), psrc=src_ip,
                                            hwdst=mac_for(dst_ip), pdst=dst_ip)


def ipv4_fragments(src, dst, proto_payload, proto=17, ident=0x77, split=16):
    """Two IPv4 fragments (first with MF, then the rest) of one datagram whose L4 bytes are
    proto_payload (e.g. bytes(UDP(...)/Raw(...)) with a correct length)."""
    first = ip(src, dst, ident=ident, flags="MF", frag=0, proto=proto) / Raw(proto_payload[:split])
    later = ip(src, dst, ident=ident, frag=split // 8, proto=proto) / Raw(proto_payload[split:])
    return first, later


def ipv6_fragments(src, dst, proto_payload, nh=17, ident=0x99, split=16):
    first = l2(src, dst) / IPv6(src=src, dst=dst) / IPv6ExtHdrFragment(
        nh=nh, offset=0, m=1, id=ident) / Raw(proto_payload[:split])
    later = l2(src, dst) / IPv6(src=src, dst=dst) / IPv6ExtHdrFragment(
        nh=nh, offset=split // 8, m=0, id=ident) / Raw(proto_payload[split:])
    return first, later


class TcpConn:
    """A TCP connection between a client and a server that tracks sequence numbers, so that the
    handshake, data and FIN segments it returns are consistent."""

    def __init__(self, client, server, cport, sport, vlans=(), cisn=1000, sisn=5000000):
        self.c, self.s, self.cport, self.sport, self.vlans = client, server, cport, sport, vlans
        self.cseq, self.sseq = cisn, sisn
        self.ident = 1

    def _seg(self, from_client, flags, data=b"", ack=True):
        self.ident += 1
        if from_client:
            f = tcp(self.c, self.s, self.cport, self.sport, flags, self.cseq,
                    self.sseq if ack else 0, data, self.vlans, self.ident)
        else:
            f = tcp(self.s, self.c, self.sport, self.cport, flags, self.sseq,
                    self.cseq if ack else 0, data, self.vlans, self.ident)
        adv = len(data) + (1 if "S" in flags else 0) + (1 if "F" in flags else 0)
        if from_client:
            self.cseq = (self.cseq + adv) & 0xffffffff
        else:
            self.sseq = (self.sseq + adv) & 0xffffffff
        return f

    def syn(self):
        return self._seg(True, "S", ack=False)

    def synack(self):
        return self._seg(False, "SA")

    def ack(self, from_client=True):
        return self._seg(from_client, "A")

    def send(self, data, from_client=True):
        return self._seg(from_client, "PA", data)

    def fin(self, from_client=True):
        return self._seg(from_client, "FA")

    def handshake(self):
        return [self.syn(), self.synack(), self.ack()]


# ---------------------------------------------------------------------------------------------
# Output


class Capture:
    """Frames with their relative times (seconds from the first packet) and expected verdicts."""

    def __init__(self):
        self.items = []  # (bytes, time_us, expected dict or None)

    def add(self, frame, t, expect=None):
        b = frame if isinstance(frame, (bytes, bytearray)) else bytes(frame)
        us = int(round(t * 1000000))
        if self.items and us < self.items[-1][1]:
            raise ValueError("packet %d at %.6f goes back in time" % (len(self.items) + 1, t))
        self.items.append((bytes(b), us, expect))
        return len(self.items)

    def __len__(self):
        return len(self.items)

    def frames(self):
        return [b for b, _, _ in self.items]

    def write_pcap(self, path):
        write_pcap(path, [(b, us) for b, us, _ in self.items])

    def write_expected(self, path):
        with open(path, "w") as f:
            for n, (_, _, e) in enumerate(self.items, 1):
                if e is None:
                    raise ValueError("packet %d has no expected verdict" % n)
                f.write(verdict_line(n, e) + "\n")

    def write(self, outdir):
        os.makedirs(outdir, exist_ok=True)
        self.write_pcap(os.path.join(outdir, "input.pcap"))
        self.write_expected(os.path.join(outdir, "expected.jsonl"))


def write_pcap(path, packets, linktype=LINKTYPE_ETHERNET):
    """Classic little-endian pcap, microsecond timestamps; packets: (bytes, relative time in us)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, SNAPLEN, linktype))
        for b, us in packets:
            sec = EPOCH + us // 1000000
            f.write(struct.pack("<IIII", sec, us % 1000000, len(b), len(b)))
            f.write(b)


def read_pcap(path):
    """(bytes, seconds float, usec) of every packet of a classic pcap (either byte order, usec or
    nsec magic). Enough for the check scripts; the corpus runner has its own reader."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: short pcap header" % path)
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e = ">"
    else:
        raise ValueError("%s: not a pcap" % path)
    nsec = magic in (0xa1b23c4d, 0x4d3cb2a1)
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise ValueError("%s: truncated packet" % path)
        out.append((data[off:off + incl], sec, frac // 1000 if nsec else frac))
        off += incl
    if off != len(data):
        raise ValueError("%s: trailing bytes" % path)
    return out


def main(build):
    """Entry point of a case's gen.py: build() returns a Capture; argv[1] is OUTDIR."""
    if len(sys.argv) != 2:
        sys.stderr.write("usage: %s OUTDIR\n" % sys.argv[0])
        sys.exit(2)
    build().write(sys.argv[1])


# ---------------------------------------------------------------------------------------------
# Payload classification helpers (appended for the payload-* replay cases)


def tls_ext(etype, data=b""):
    """One TLS extension: type, length, data."""
    return struct.pack("!HH", etype, len(data)) + data


def tls_sni_ext(sni, list_len_delta=0):
    """A server_name extension naming sni; list_len_delta skews the server_name_list length (a
    malformed extension when not 0)."""
    name = sni.encode()
    sni_list = struct.pack("!BH", 0, len(name)) + name
    return tls_ext(0, struct.pack("!H", len(sni_list) + list_len_delta) + sni_list)


def tls_client_hello_msg(exts, seed=0, exts_len_delta=0):
    """A ClientHello handshake message (type 1, 3-byte length, body) whose extensions block is the
    concatenation of exts (bytes from tls_ext / tls_sni_ext); exts_len_delta skews the extensions
    block length (a malformed hello when not 0)."""
    rnd = hashlib.sha256(b"random" + exts + bytes([seed & 0xff])).digest()
    suites = struct.pack("!HHHH", 6, 0x1301, 0xc02f, 0x002f)
    body = struct.pack("!H", 0x0303) + rnd + b"\x00" + suites + b"\x01\x00"
    body += struct.pack("!H", len(exts) + exts_len_delta) + exts
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def tls_records(msg, splits=()):
    """Handshake bytes msg carried in TLS 1.0-versioned handshake records, cut at the offsets in
    splits (one record when splits is empty)."""
    out = b""
    cuts = [0] + list(splits) + [len(msg)]
    for a, b in zip(cuts, cuts[1:]):
        out += b"\x16\x03\x01" + struct.pack("!H", b - a) + msg[a:b]
    return out


def tcp_raw(conn, data, seq, from_client=True, flags="PA"):
    """A segment of conn with an explicit sequence number (for gaps, retransmissions and overlaps).
    The ack is the other side's current sequence; conn's own sequence numbers are not moved."""
    conn.ident += 1
    if from_client:
        return tcp(conn.c, conn.s, conn.cport, conn.sport, flags, seq & 0xffffffff, conn.sseq,
                   data, conn.vlans, conn.ident)
    return tcp(conn.s, conn.c, conn.sport, conn.cport, flags, seq & 0xffffffff, conn.cseq,
               data, conn.vlans, conn.ident)


def l4_bytes(src, dst, l4):
    """The L4 bytes of l4 (e.g. UDP()/DNS()) as carried from src to dst, checksum computed with
    the IPv4 or IPv6 pseudo-header: the input of ipv4_fragments / ipv6_fragments."""
    if is_v6(src):
        return bytes(IPv6(src=src, dst=dst) / l4)[40:]
    return bytes(IP(src=src, dst=dst) / l4)[20:]


def load_counters(outdir):
    """OUTDIR/counters.json as a dict."""
    with open(os.path.join(outdir, "counters.json")) as f:
        return json.load(f)


def counter(counters, name, *labels):
    """counters[name][label]... (docs/semantics.md "Counters": a labelled metric is an object
    keyed by its labels in order); 0 when a label is absent (only counts above 0 are listed)."""
    v = counters[name]
    for lab in labels:
        if not isinstance(v, dict):
            raise ValueError("%s: not labelled by %r" % (name, lab))
        v = v.get(lab, 0)
    return v


def check_counters(outdir, expect, tag):
    """expect: [(name, labels tuple, op, value)], op one of "==", ">=". Prints every mismatch
    with the metric's whole object; returns the process exit status (0 all hold, 1 otherwise)."""
    c = load_counters(outdir)
    bad = 0
    for name, labels, op, want in expect:
        if name not in c:
            print("%s: counters.json has no %s" % (tag, name))
            bad += 1
            continue
        try:
            got = counter(c, name, *labels)
        except ValueError as e:
            print("%s: %s (got %s)" % (tag, e, json.dumps(c[name])))
            bad += 1
            continue
        ok = got == want if op == "==" else got >= want
        if not ok:
            print("%s: %s%s = %s, want %s %s (whole: %s)" % (
                tag, name, "".join("{%s}" % lab for lab in labels), got, op, want,
                json.dumps(c[name])))
            bad += 1
    return 1 if bad else 0
