"""A hostile (or merely minimal) client of the control protocol (common/ctl_msg.h).

usage: ctl_client.py SOCKET CASE [ARG]

CASE is one of:
  status            send STATUS, print the reply's JSON.
  bad-magic, bad-version, bad-type, oversized
                    a header the receiver must refuse before any payload byte; prints the ERROR
                    line, then "closed" if the receiver then closed the connection.
  bad-tlv, trailing, bad-prefix
                    a whole message whose payload is malformed; prints the ERROR line, then
                    sends STATUS on the same connection and prints "status ok" when answered.
  half-push FILE    an INSTALL_POLICY of FILE's text cut in the middle of its payload; then the
                    process kills itself (SIGKILL), as a control plane dying mid-push would.
  stall SECONDS     half a header, then nothing for SECONDS; prints "dropped" when the receiver
                    closes the connection first, "held" otherwise.
  idle SECONDS      connect and send nothing for SECONDS (holds a connection slot).
Exit 0 when the receiver behaved as described, 1 otherwise.
"""
import os
import signal
import socket
import struct
import sys
import time

MAGIC = 0x43504B31
HELLO, INSTALL_POLICY, STATUS, GRANT = 1, 2, 10, 3
ERROR = 0xFFFF
TAG_PREFIX, TAG_FOR_NS, TAG_POLICY_TEXT, TAG_POLICY_PATH, TAG_MESSAGE, TAG_JSON = 1, 2, 5, 6, 9, 10


def tlv(tag, val):
    return struct.pack(">HI", tag, len(val)) + val


def msg(mtype, payload=b"", seq=7, magic=MAGIC, version=1, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">IHHII", magic, version, mtype, n, seq) + payload


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def recv_msg(s):
    h = recv_exact(s, 16)
    if h is None:
        return None
    magic, _, mtype, n, seq = struct.unpack(">IHHII", h)
    p = recv_exact(s, n)
    if magic != MAGIC or p is None:
        return None
    tags = {}
    i = 0
    while i + 6 <= len(p):
        tag, ln = struct.unpack(">HI", p[i:i + 6])
        tags[tag] = p[i + 6:i + 6 + ln]
        i += 6 + ln
    return mtype, seq, tags


def closed(s, secs=3.0):
    s.settimeout(secs)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def error_line(rep):
    if rep is None or rep[0] != ERROR:
        return None
    return rep[2].get(TAG_MESSAGE, b"").decode(errors="replace")


def main():
    path, case = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    s = connect(path)
    if case == "status":
        s.sendall(msg(STATUS))
        rep = recv_msg(s)
        if rep is None or rep[0] != STATUS | 0x8000:
            print("no status reply")
            return 1
        print(rep[2].get(TAG_JSON, b"").decode())
        return 0
    if case in ("bad-magic", "bad-version", "bad-type", "oversized"):
        m = {
            "bad-magic": msg(STATUS, magic=0x47455420),  # "GET "
            "bad-version": msg(STATUS, version=9),
            "bad-type": msg(0x1234),
            "oversized": msg(INSTALL_POLICY, length=(64 << 20) + 1),
        }[case]
        s.sendall(m + b"x" * 64)  # bytes that must stay unread
        line = error_line(recv_msg(s))
        print("error: %s" % line)
        ok = line is not None and closed(s)
        print("closed" if ok else "not closed")
        return 0 if ok else 1
    if case in ("bad-tlv", "trailing", "bad-prefix"):
        p = {
            "bad-tlv": struct.pack(">HI", TAG_POLICY_TEXT, 1000) + b"short",
            "trailing": tlv(TAG_POLICY_TEXT, b"version = 1;") + b"\x00\x05",
            "bad-prefix": tlv(TAG_PREFIX, bytes([4, 40]) + bytes(16)) + tlv(TAG_FOR_NS, struct.pack(">Q", 10**9)),
        }[case]
        s.sendall(msg(GRANT if case == "bad-prefix" else INSTALL_POLICY, p, seq=41))
        rep = recv_msg(s)
        line = error_line(rep)
        print("error: %s" % line)
        if line is None or rep[1] != 41:
            return 1
        s.sendall(msg(STATUS, seq=42))
        rep = recv_msg(s)
        ok = rep is not None and rep[0] == STATUS | 0x8000 and rep[1] == 42
        print("status ok" if ok else "no status after the error")
        return 0 if ok else 1
    if case == "half-push":
        text = open(arg, "rb").read()
        payload = tlv(TAG_POLICY_TEXT, text) + tlv(TAG_POLICY_PATH, b"half.conf")
        m = msg(INSTALL_POLICY, payload)
        s.sendall(m[: len(m) // 2])
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)
    if case == "stall":
        s.sendall(msg(STATUS)[:6])
        ok = closed(s, float(arg))
        print("dropped" if ok else "held")
        return 0
    if case == "idle":
        time.sleep(float(arg))
        return 0
    print("unknown case %s" % case)
    return 2


sys.exit(main())
