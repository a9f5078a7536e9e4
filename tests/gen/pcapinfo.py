"""Link type and packet count of a capture file, the way libpcap would read it.

Usage: pcapinfo.py FILE...  prints "LINKTYPE COUNT FILE" per file (LINKTYPE -1: not a capture
libpcap opens). Understands classic pcap (both byte orders, microsecond and nanosecond magic) and
pcapng (SHB, IDB, EPB, SPB, OPB; link type of the first IDB). Like libpcap, it stops at the first
truncated record. Standalone (no scapy), so it runs on any python3.
"""

import struct
import sys

PCAP_MAGICS = {
    0xa1b2c3d4: "<", 0xa1b23c4d: "<",
    0xd4c3b2a1: ">", 0x4d3cb2a1: ">",
}
SHB, IDB, PB, SPB, EPB = 0x0a0d0d0a, 1, 2, 3, 6
BYTE_ORDER_MAGIC = 0x1a2b3c4d


def pcap_info(data):
    e = PCAP_MAGICS.get(struct.unpack("<I", data[:4])[0])
    if e is None or len(data) < 24:
        return -1, 0
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x03ffffff  # FCS bits off
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        if off + 16 + incl > len(data):
            break
        off += 16 + incl
        n += 1
    return linktype, n


def pcapng_info(data):
    """Link type of the first IDB and the number of packet blocks that follow a valid start."""
    off, n, linktype, e = 0, 0, -1, None
    n_idb = 0
    while off + 12 <= len(data):
        btype_le = struct.unpack("<I", data[off:off + 4])[0]
        if btype_le == SHB:
            bom = data[off + 8:off + 12]
            if bom == struct.pack("<I", BYTE_ORDER_MAGIC):
                e = "<"
            elif bom == struct.pack(">I", BYTE_ORDER_MAGIC):
                e = ">"
            else:
                break
        if e is None:
            break
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(data):
            break
        if btype == SHB:
            n_idb = 0
        elif btype == IDB:
            if blen < 20:
                break
            lt = struct.unpack(e + "H", data[off + 8:off + 10])[0]
            if linktype == -1:
                linktype = lt
            n_idb += 1
        elif btype in (EPB, SPB, PB):
            if n_idb == 0:
                break
            n += 1
        off += blen
    return linktype, n


def info(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return -1, 0
    if len(data) < 4:
        return -1, 0
    if struct.unpack("<I", data[:4])[0] == SHB:
        return pcapng_info(data)
    return pcap_info(data)


def main():
    for path in sys.argv[1:]:
        lt, n = info(path)
        print("%d %d %s" % (lt, n, path))


if __name__ == "__main__":
    main()
