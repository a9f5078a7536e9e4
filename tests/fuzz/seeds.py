"""Seed corpora for the libFuzzer harnesses (run by seeds.sh).

  seeds.py frames OUT_PARSE OUT_EXTRACT MAX PER PCAP...  Ethernet frames of classic pcap files
      (the first PER of each), one file each, into OUT_PARSE; the TCP/UDP payloads of all
      frames into OUT_EXTRACT (payloads to name ports first). At most MAX files each, duplicates
      dropped.
  seeds.py ctl_msg OUT   hand-built valid control messages (common/ctl_msg.h), one per request
      and reply type, and a stream of two.
  seeds.py lines OUT FILE...   each file as it is, and each of its lines on its own.
  seeds.py files OUT FILE...   each file as it is.
"""
import hashlib
import os
import struct
import sys

LINKTYPE_ETHERNET = 1
NAME_PORTS = {53, 80, 443, 853, 8080, 8443}


def pcap_frames(path):
    """Frames of a classic pcap file with Ethernet link type ([] for anything else)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return []
    if struct.unpack(end + "I", data[20:24])[0] != LINKTYPE_ETHERNET:
        return []
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16
        if incl > 65535 or off + incl > len(data):
            break
        out.append(data[off:off + incl])
        off += incl
    return out


def l4_payload(fr):
    """(dport, sport, payload) of a TCP/UDP frame over IPv4/IPv6 (VLAN tags skipped), or None."""
    off = 12
    while off + 2 <= len(fr) and fr[off:off + 2] in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
        off += 4
    if off + 2 > len(fr):
        return None
    et = fr[off:off + 2]
    off += 2
    if et == b"\x08\x00" and off + 20 <= len(fr):
        ihl = (fr[off] & 15) * 4
        tot = struct.unpack(">H", fr[off + 2:off + 4])[0]
        if struct.unpack(">H", fr[off + 6:off + 8])[0] & 0x1fff:
            return None
        proto, end, off = fr[off + 9], min(len(fr), off + tot), off + ihl
    elif et == b"\x86\xdd" and off + 40 <= len(fr):
        plen = struct.unpack(">H", fr[off + 4:off + 6])[0]
        proto, end, off = fr[off + 6], min(len(fr), off + 40 + plen), off + 40
    else:
        return None
    if proto == 6 and off + 20 <= end:
        h = (fr[off + 12] >> 4) * 4
        return struct.unpack(">HH", fr[off:off + 4])[::-1] + (fr[off + h:end],)
    if proto == 17 and off + 8 <= end:
        return struct.unpack(">HH", fr[off:off + 4])[::-1] + (fr[off + 8:end],)
    return None


def write(outdir, data, seen):
    h = hashlib.sha1(data).hexdigest()
    if h in seen:
        return False
    seen.add(h)
    with open(os.path.join(outdir, h), "wb") as f:
        f.write(data)
    return True


def frames(out_parse, out_extract, cap, per, pcaps):
    os.makedirs(out_parse, exist_ok=True)
    os.makedirs(out_extract, exist_ok=True)
    seen_f, seen_p, n_f = set(), set(), 0
    named, other = [], []
    for path in pcaps:
        for i, fr in enumerate(pcap_frames(path)):
            if i < per and n_f < cap and write(out_parse, fr, seen_f):
                n_f += 1
            pl = l4_payload(fr)
            if pl and pl[2]:
                (named if pl[0] in NAME_PORTS or pl[1] in NAME_PORTS else other).append(pl[2])
    n_p = 0
    for p, is_named in [(p, True) for p in named] + [(p, False) for p in other]:
        if n_p >= cap:
            break
        if write(out_extract, p, seen_p):
            n_p += 1
        # the DNS-over-TCP framing of a (UDP) DNS message
        if is_named and n_p < cap and len(p) < 65536:
            if write(out_extract, struct.pack(">H", len(p)) + p, seen_p):
                n_p += 1
    print("frames: %d parse seeds, %d extract seeds" % (n_f, n_p))


def msg(mtype, seq, tlvs):
    payload = b"".join(struct.pack(">HI", t, len(v)) + v for t, v in tlvs)
    return struct.pack(">IHHII", 0x43504B31, 1, mtype, len(payload), seq) + payload


def prefix(fam, plen, addr):
    return bytes([fam, plen]) + addr + bytes(16 - len(addr))


def ctl_msg(out):
    os.makedirs(out, exist_ok=True)
    u64 = lambda v: struct.pack(">Q", v)  # noqa: E731
    p4 = prefix(4, 24, bytes([198, 51, 100, 0]))
    p6 = prefix(6, 32, bytes([0x20, 0x01, 0x0d, 0xb8]))
    pol = b'version = 1;\ninside = [ "192.0.2.0/24" ];\nrules = ( { name = "d"; action = "drop"; } );\n'
    grant = p4 + u64(3600 * 10**9) + u64(0) + u64(5)
    msgs = {
        "hello": msg(1, 1, []),
        "install": msg(2, 2, [(5, pol), (6, b"rules/x.conf"), (7, b"\x00\x01\x02\x03"),
                              (7, b"\x03\x09")]),
        "grant": msg(3, 3, [(1, p4), (2, u64(10**9)), (3, u64(3 * 10**8)), (4, u64(77))]),
        "renew": msg(4, 4, [(1, p6)]),
        "revoke": msg(5, 5, [(1, p4), (99, b"unknown tag")]),
        "shutoff": msg(6, 6, []),
        "restore": msg(7, 7, []),
        "uplink": msg(8, 8, [(8, b"auto")]),
        "counters": msg(9, 9, []),
        "status": msg(10, 10, []),
        "grants_set": msg(11, 11, [(12, grant), (12, prefix(6, 128, bytes(range(16))) + grant[18:]),
                                   (4, u64(9))]),
        "reply": msg(0x8003, 3, [(10, b'{"ok": true}'), (11, struct.pack(">I", 4)),
                                 (9, b"granted")]),
        "error": msg(0xFFFF, 2, [(9, b"policy.conf:3: error: bad rule\nsecond line")]),
    }
    msgs["stream"] = msgs["grant"] + msgs["reply"]
    for name, m in msgs.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(m)
    print("ctl_msg: %d seeds" % len(msgs))


def lines(out, files, split=True):
    os.makedirs(out, exist_ok=True)
    seen = set()
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        write(out, data, seen)
        for ln in data.splitlines(keepends=True) if split else []:
            if ln.strip():
                write(out, ln, seen)
    print("%s: %d seeds" % (out, len(seen)))


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "frames":
        frames(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6:])
    elif len(sys.argv) == 3 and sys.argv[1] == "ctl_msg":
        ctl_msg(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] in ("lines", "files"):
        lines(sys.argv[2], sys.argv[3:], sys.argv[1] == "lines")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
