"""non-ip-pass: ARP (plain and tagged), LLDP, an unknown ethertype, an 802.3/LLC frame and ICMPv6
neighbour discovery (types 133-137) pass with no rule; IP frames around them meet the rules.
non-ip-drop/gen.py builds the same frames with the other setting's expectations."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen"))
from pktlib import (DROP, NON_IP_DROP, NON_IP_PASS, Capture, arp_reply,  # noqa: E402
                    arp_request, icmp_echo, ip, main, pad60, tcp)
from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect,  # noqa
                                ICMPv6ND_RS, ICMPv6NDOptSrcLLAddr, ICMPv6Unknown)
from scapy.layers.l2 import LLC, Dot3, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

A, B = "175.45.176.130", "198.51.100.130"
A6, GW6 = "2001:db8:1000::130", "fe80::1"
LL6 = "fe80::2:130"


def frames():
    """(frame, is_non_ip) in capture order."""
    lldp = Ether(src="02:00:00:00:01:30", dst="01:80:c2:00:00:0e", type=0x88cc) / Raw(
        b"\x02\x07\x04\x02\x00\x00\x00\x01\x30\x04\x03\x05\x65\x30\x06\x02\x00\x78\x00\x00")
    unknown = Ether(src="02:00:00:00:01:30", dst="02:00:00:00:01:31", type=0x88b5) / Raw(b"x" * 46)
    llc = Dot3(src="02:00:00:00:01:30", dst="01:80:c2:00:00:00") / LLC(
        dsap=0x42, ssap=0x42, ctrl=3) / Raw(b"\x00" * 35)
    return [
        (arp_request(A, "175.45.176.1"), True),
        (arp_reply("175.45.176.1", A), True),
        (arp_request(B, "198.51.100.1", vlans=(10,)), True),
        (tcp(A, B, 40000, 80, "S"), False),
        (pad60(lldp), True),
        (pad60(unknown), True),
        (pad60(llc), True),
        (ip(LL6, "ff02::2", ttl=255) / ICMPv6ND_RS(), True),
        (ip(GW6, "ff02::1", ttl=255) / ICMPv6ND_RA(), True),
        (ip(A6, "ff02::1:ff00:1", ttl=255) / ICMPv6ND_NS(tgt="2001:db8:1000::1") /
         ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:01:30"), True),
        (ip("2001:db8:1000::1", A6, ttl=255) / ICMPv6ND_NA(tgt="2001:db8:1000::1", R=1, S=1),
         True),
        (ip(GW6, A6, ttl=255) / ICMPv6ND_Redirect(tgt=GW6, dst="2001:db8:beef::1"), True),
        (icmp_echo(A6, "2001:db8:beef::1", ident=9), False),          # echo is not ND
        (ip(A6, "ff02::2", ttl=255) / ICMPv6Unknown(type=138, code=0, msgbody=b"\0" * 4), False),
        (arp_request(A, "175.45.176.1", vlans=(100, 20)), True),
        (tcp(B, A, 80, 40000, "SA", seq=1, ack=1001), False),
    ]


def build(non_ip_pass=True, ip_verdict=DROP("deny")):
    cap = Capture()
    for i, (f, non_ip) in enumerate(frames()):
        if non_ip:
            e = NON_IP_PASS if non_ip_pass else NON_IP_DROP
        else:
            e = ip_verdict
        cap.add(f, 0.2 * i, e)
    return cap


if __name__ == "__main__":
    main(build)
