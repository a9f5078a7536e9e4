"""reject-rst: recompute, from the input frames, what inject.pcap must hold and compare field by
field (dataplane/inject.h): per rejected TCP segment two RSTs (to its sender and on to its
receiver, in either order), per other rejected packet one ICMP/ICMPv6 administratively
prohibited to its sender, none for multicast/broadcast destinations or ICMP errors.
Usage: check.py OUTDIR (chokepoint's --out directory)."""
import importlib.util
import ipaddress
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
from pktlib import read_pcap  # noqa: E402

TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
VLAN_TPIDS = (0x8100, 0x88a8, 0x9100)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def l4_sum_ok(p, l4):
    """Checksum of an L4 segment with the IPv4/IPv6 pseudo-header sums to 0xffff."""
    if p["v"] == 4:
        ph = p["src"] + p["dst"] + struct.pack("!BBH", 0, p["proto"], len(l4))
    else:
        ph = p["src"] + p["dst"] + struct.pack("!IxxxB", len(l4), p["proto"])
    return csum(ph + l4) == 0xffff


def parse(b):
    """Ethernet/VLAN/IPv4/IPv6 (no extension headers needed here) and the L4 header fields."""
    p = {"dmac": b[0:6], "smac": b[6:12], "len": len(b)}
    off = 12
    while struct.unpack("!H", b[off:off + 2])[0] in VLAN_TPIDS:
        off += 4
    p["tags"] = b[12:off]
    p["etype"] = struct.unpack("!H", b[off:off + 2])[0]
    l3 = off + 2
    p["l3"] = l3
    if p["etype"] == 0x0800:
        ihl = (b[l3] & 0x0f) * 4
        tot = struct.unpack("!H", b[l3 + 2:l3 + 4])[0]
        p.update(v=4, ihl=ihl, l3_end=l3 + tot, ttl=b[l3 + 8], proto=b[l3 + 9],
                 ipid=struct.unpack("!H", b[l3 + 4:l3 + 6])[0],
                 ipflags=struct.unpack("!H", b[l3 + 6:l3 + 8])[0],
                 src=b[l3 + 12:l3 + 16], dst=b[l3 + 16:l3 + 20], l4=l3 + ihl,
                 hdr_ok=csum(b[l3:l3 + ihl]) == 0xffff)
    elif p["etype"] == 0x86dd:
        plen = struct.unpack("!H", b[l3 + 4:l3 + 6])[0]
        p.update(v=6, l3_end=l3 + 40 + plen, ttl=b[l3 + 7], proto=b[l3 + 6],
                 src=b[l3 + 8:l3 + 24], dst=b[l3 + 24:l3 + 40], l4=l3 + 40, hdr_ok=True)
    else:
        raise ValueError("not IP: ethertype 0x%04x" % p["etype"])
    l4 = b[p["l4"]:p["l3_end"]]
    p["l4bytes"] = l4
    if p["proto"] == 6:
        sp, dp, seq, ack, offf, flags, win = struct.unpack("!HHIIBBH", l4[:16])
        p.update(sport=sp, dport=dp, seq=seq, ack=ack, doff=(offf >> 4) * 4, flags=flags & 0x3f,
                 win=win)
        p["payload_len"] = len(l4) - p["doff"]
    elif p["proto"] == 17:
        p.update(sport=struct.unpack("!H", l4[0:2])[0], dport=struct.unpack("!H", l4[2:4])[0])
    elif p["proto"] in (1, 58):
        p.update(itype=l4[0], icode=l4[1])
    return p


def is_group(p):
    a = ipaddress.ip_address(bytes(p["dst"]))
    if a.version == 4:
        return a.is_multicast or a == ipaddress.IPv4Address("255.255.255.255")
    return a.is_multicast


def is_icmp_error(p):
    if p["proto"] == 1:
        return p["itype"] in (3, 4, 5, 11, 12)
    if p["proto"] == 58:
        return p["itype"] < 128
    return False


def check_l2_l3(errs, got, seg, to_sender):
    """Ethernet, VLAN tags and IP header of a generated frame."""
    if to_sender:
        want = (seg["smac"], seg["dmac"], seg["dst"], seg["src"])
    else:
        want = (seg["dmac"], seg["smac"], seg["src"], seg["dst"])
    if (got["dmac"], got["smac"]) != want[:2]:
        errs.append("ethernet addresses %s>%s, want %s>%s" % (
            got["smac"].hex(), got["dmac"].hex(), want[1].hex(), want[0].hex()))
    if got["tags"] != seg["tags"]:
        errs.append("VLAN tags %s, want %s" % (got["tags"].hex(), seg["tags"].hex()))
    if got["v"] != seg["v"]:
        errs.append("IP version %d, want %d" % (got["v"], seg["v"]))
        return False
    if (got["src"], got["dst"]) != want[2:]:
        errs.append("IP %s > %s, want %s > %s" % (
            ipaddress.ip_address(bytes(got["src"])), ipaddress.ip_address(bytes(got["dst"])),
            ipaddress.ip_address(bytes(want[2])), ipaddress.ip_address(bytes(want[3]))))
    if not got["hdr_ok"]:
        errs.append("bad IPv4 header checksum")
    return True


def check_rst(got, seg, to_sender):
    errs = []
    if not check_l2_l3(errs, got, seg, to_sender):
        return errs
    if got["proto"] != 6:
        return errs + ["protocol %d, want 6" % got["proto"]]
    if got["ttl"] != 64:
        errs.append("TTL/hop limit %d, want 64" % got["ttl"])
    if got["v"] == 4:
        if got["ipflags"] & 0x4000:
            errs.append("DF set")
        if got["ipid"] != 0:
            errs.append("IP id %d, want 0" % got["ipid"])
        if got["ihl"] != 20:
            errs.append("IPv4 header %d bytes, want 20" % got["ihl"])
    ports = (seg["dport"], seg["sport"]) if to_sender else (seg["sport"], seg["dport"])
    if (got["sport"], got["dport"]) != ports:
        errs.append("ports %d>%d, want %d>%d" % (got["sport"], got["dport"], *ports))
    has_ack = bool(seg["flags"] & TCP_ACK)
    if to_sender:
        if has_ack:
            want_seq, want_flags, want_ack = seg["ack"], TCP_RST, None
        else:
            adv = seg["payload_len"] + bool(seg["flags"] & TCP_SYN) + bool(seg["flags"] & TCP_FIN)
            want_seq, want_flags = 0, TCP_RST | TCP_ACK
            want_ack = (seg["seq"] + adv) & 0xffffffff
    else:
        want_seq = seg["seq"]
        want_flags = TCP_RST | (TCP_ACK if has_ack else 0)
        want_ack = seg["ack"] if has_ack else None
    if got["seq"] != want_seq:
        errs.append("seq %#x, want %#x" % (got["seq"], want_seq))
    if got["flags"] != want_flags:
        errs.append("flags %#x, want %#x" % (got["flags"], want_flags))
    if want_ack is not None and got["ack"] != want_ack:
        errs.append("ack %#x, want %#x" % (got["ack"], want_ack))
    if got["doff"] != 20 or got["payload_len"] != 0:
        errs.append("TCP header %d bytes and %d payload bytes, want 20 and 0"
                    % (got["doff"], got["payload_len"]))
    if got["win"] != 0:
        errs.append("window %d, want 0" % got["win"])
    if not l4_sum_ok(got, got["l4bytes"]):
        errs.append("bad TCP checksum")
    return errs


def check_icmp(got, seg, frame):
    errs = []
    if not check_l2_l3(errs, got, seg, True):
        return errs
    want_proto, want_tc = (1, (3, 13)) if seg["v"] == 4 else (58, (1, 1))
    if got["proto"] != want_proto:
        return errs + ["protocol %d, want %d" % (got["proto"], want_proto)]
    l4 = got["l4bytes"]
    if (l4[0], l4[1]) != want_tc:
        errs.append("ICMP type/code %d/%d, want %d/%d" % (l4[0], l4[1], *want_tc))
    if l4[4:8] != b"\0\0\0\0":
        errs.append("ICMP unused field %s, want zero" % l4[4:8].hex())
    if seg["v"] == 4:
        if csum(l4) != 0xffff:
            errs.append("bad ICMP checksum")
        orig = frame[seg["l3"]:seg["l3_end"]]
        want_quote = orig[:seg["ihl"] + 8]
        if l4[8:] != want_quote:
            errs.append("quote of %d bytes, want the IP header + 8 bytes (%d)"
                        % (len(l4) - 8, len(want_quote)))
    else:
        if not l4_sum_ok(got, l4):
            errs.append("bad ICMPv6 checksum")
        orig = frame[seg["l3"]:seg["l3_end"]]
        quote = l4[8:]
        total = 40 + len(l4)
        if total > 1280:
            errs.append("ICMPv6 packet of %d bytes, over 1280" % total)
        if quote != orig[:len(quote)]:
            errs.append("quote is not the start of the offending packet")
        want_len = min(len(orig), 1280 - 48)
        if len(quote) != want_len:
            errs.append("quote of %d bytes, want %d" % (len(quote), want_len))
    return errs


def load_gen():
    spec = importlib.util.spec_from_file_location("reject_rst_gen", os.path.join(HERE, "gen.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def expected_injections(cap):
    """[(n, frame, parsed, kind)] kind: "rst" (two frames) or "icmp" (one)."""
    out = []
    for n, (frame, _, e) in enumerate(cap.items, 1):
        if e["verdict"] != "reject":
            continue
        seg = parse(frame)
        if seg["proto"] == 6:
            out.append((n, frame, seg, "rst"))
        elif not is_group(seg) and not is_icmp_error(seg):
            out.append((n, frame, seg, "icmp"))
    return out


def main():
    out = sys.argv[1]
    injected = [b for b, _, _ in read_pcap(os.path.join(out, "inject.pcap"))]
    want = expected_injections(load_gen().build())
    need = sum(2 if k == "rst" else 1 for _, _, _, k in want)
    errors = []
    if len(injected) != need:
        errors.append("inject.pcap holds %d frames, want %d" % (len(injected), need))
    i = 0
    for n, frame, seg, kind in want:
        if kind == "rst":
            pair = injected[i:i + 2]
            i += 2
            if len(pair) < 2:
                errors.append("packet %d: missing RSTs" % n)
                break
            a, b = parse(pair[0]), parse(pair[1])
            # Either order: the one whose destination is the segment's sender goes back to it.
            back, on = (a, b) if a["dst"] == seg["src"] else (b, a)
            for what, got, to_sender in (("RST to sender", back, True),
                                         ("RST to receiver", on, False)):
                for e in check_rst(got, seg, to_sender):
                    errors.append("packet %d, %s: %s" % (n, what, e))
        else:
            if i >= len(injected):
                errors.append("packet %d: missing ICMP" % n)
                break
            got = parse(injected[i])
            i += 1
            for e in check_icmp(got, seg, frame):
                errors.append("packet %d, ICMP: %s" % (n, e))
    for e in errors:
        print("reject-rst: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
