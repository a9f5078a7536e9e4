"""malformed: truncated and inconsistent frames, one per parser check, each named by its counter
(common/reasons.h) in "detail"; valid frames (padded, with a trailer, with IPv4 options) pass."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import MALFORMED, PASS, Capture, arp_request, l2, main, pad60, tcp, udp  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, IPOption_NOP  # noqa: E402
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop  # noqa: E402
from scapy.packet import Raw  # noqa: E402

A, B = "175.45.176.160", "198.51.100.160"
A6, B6 = "2001:db8:1000::160", "2001:db8:beef::160"
ETH = 14
P = PASS("all")


def patch(frame, off, data):
    b = bytearray(bytes(frame))
    b[off:off + len(data)] = data
    return bytes(b)


def be16(v):
    return v.to_bytes(2, "big")


def build():
    syn = tcp(A, B, 40000, 80, "S")
    syn6 = tcp(A6, B6, 40000, 80, "S")
    u = udp(A, B, 40001, 53, b"abcdefgh")
    eth_ip = bytes(l2(A, B))[:12] + b"\x08\x00"
    eth_ip6 = bytes(l2(A6, B6))[:12] + b"\x86\xdd"
    plan = [
        (syn, P),
        (bytes(syn)[:10], MALFORMED("malformed-eth")),                      # 10-byte frame
        (bytes(syn)[:13], MALFORMED("malformed-eth")),
        (bytes(l2(A, B))[:12] + b"\x81\x00\x00\x0a", MALFORMED("malformed-vlan")),  # cut tag
        (bytes(arp_request(A, "175.45.176.1"))[:ETH + 20], MALFORMED("malformed-arp")),
        (eth_ip + bytes(IP(src=A, dst=B))[:12], MALFORMED("malformed-ipv4-header")),  # short
        (patch(syn, ETH, b"\x55"), MALFORMED("malformed-ipv4-header")),    # version 5
        (patch(syn, ETH, b"\x44"), MALFORMED("malformed-ipv4-header")),    # IHL 4
        (patch(syn, ETH, b"\x4f"), MALFORMED("malformed-ipv4-header")),    # IHL 15 past the end
        (patch(syn, ETH + 2, be16(41)), MALFORMED("malformed-ipv4-length")),  # past the frame
        (patch(syn, ETH + 2, be16(19)), MALFORMED("malformed-ipv4-length")),  # below the header
        (eth_ip + bytes(IP(src=A, dst=B, ihl=6, proto=6, len=44,
                           options=[]) / Raw(b"\x07\x0a\x04\x00"))[:24] +
         bytes(TCP(sport=40000, dport=80, flags="S")), MALFORMED("malformed-ipv4-options")),
        (eth_ip + bytes(IP(src=A, dst=B, proto=6, frag=8190, id=9) / Raw(b"z" * 100)),
         MALFORMED("malformed-fragment")),                                  # ends past 65535
        (syn6, P),
        (bytes(syn6)[:ETH + 30], MALFORMED("malformed-ipv6-header")),      # short header
        (patch(syn6, ETH + 4, be16(21)), MALFORMED("malformed-ipv6-length")),  # past the frame
        (eth_ip6 + bytes(IPv6(src=A6, dst=B6, nh=0, plen=16) / IPv6ExtHdrHopByHop(nh=6))[:40] +
         b"\x06\x05" + b"\x01\x00" * 3 + b"\x00" * 8, MALFORMED("malformed-ipv6-exthdr")),
        (patch(syn, ETH + 20 + 12, b"\xf0"), MALFORMED("malformed-tcp")),   # offset 60 > 20
        (patch(syn, ETH + 20 + 12, b"\x40"), MALFORMED("malformed-tcp")),   # offset 16 < 20
        (patch(syn6, ETH + 40 + 12, b"\xf0"), MALFORMED("malformed-tcp")),
        (eth_ip + bytes(IP(src=A, dst=B, proto=6, id=3) / Raw(b"\x9c\x40\x00\x50" + b"\0" * 8)),
         MALFORMED("malformed-tcp")),                                       # 12 bytes of TCP
        (patch(u, ETH + 20 + 4, be16(200)), MALFORMED("malformed-udp")),    # longer than the IP
        (patch(u, ETH + 20 + 4, be16(4)), MALFORMED("malformed-udp")),      # shorter than 8
        (tcp(A, B, 40002, 80, "SF"), MALFORMED("malformed-tcp-flags")),
        (tcp(A, B, 40003, 80, "SR"), MALFORMED("malformed-tcp-flags")),
        (eth_ip + bytes(IP(src=A, dst=B, proto=1, id=4) / Raw(b"\x08\x00\x00\x00")),
         MALFORMED("malformed-icmp")),                                      # 4 bytes of ICMP
        # Valid frames: an Ethernet trailer after the datagram, IPv4 options, padding.
        (bytes(u) + b"TRAILER-BYTES", P),
        (l2(A, B) / IP(src=A, dst=B, options=[IPOption_NOP()] * 4) /
         TCP(sport=40004, dport=80, flags="S"), P),
        (pad60(l2(A, B) / IP(src=A, dst=B) / ICMP(type=8, id=1, seq=1)), P),
        (pad60(arp_request(A, "175.45.176.1")), PASS()),
    ]
    cap = Capture()
    for i, (f, e) in enumerate(plan):
        cap.add(f, 0.1 * i, e)
    return cap


if __name__ == "__main__":
    main(build)
