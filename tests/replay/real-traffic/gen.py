"""real-traffic: a capture of real TLS, HTTP and DNS traffic made by this script, replayed with the
payload category expected.

Two network namespaces joined by a veth pair: the client (198.51.100.10, inside) and the server
(203.0.113.7) running `openssl s_server` (throwaway self-signed certificate), `python3 -m
http.server` and dnsmasq. tcpdump records the client's side while the client runs openssl
s_client, curl and dig (UDP and TCP), each once with an allowed name and once with a name under
social.example. Everything runs under timeout(1); every process and namespace is removed at the
end, also on failure.

The capture is real, so how many packets each exchange took varies from run to run: the expected
verdicts are computed from the capture itself, from flow identity and order only (policy.conf):
a flow's packets pass by its protocol/port rule until the packet that completes a social name
(the ClientHello with the server_name, the HTTP request's header block, the DNS question) from the
initiator; that packet is rejected by no-social (category social) and every later packet of the
flow, either direction, is dropped as rejected. The recording went on as if nothing was blocked:
in the replay chokepoint injects RSTs / ICMP, the recorded peers did not see them.

The capture is filtered to IPv4 and ARP (IPv6 is disabled in both namespaces as well); ARP frames
pass without a rule (non_ip = "pass"). The script also writes OUTDIR/summary.json (counts for
check.py: social flows, names extracted per extractor, frames chokepoint must inject).

Exit 77 (skip, one-line reason) when not root, without `ip netns`, or without a tool.
Usage (as root): /usr/bin/python3 gen.py OUTDIR     (KEEP_TMP=1 keeps the servers' logs and the
raw capture in /tmp/cpreal.*)
"""
import ipaddress
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
from pktlib import (DENY, NON_IP_PASS, PASS, REJECT, REJECTED, read_pcap,  # noqa: E402
                    verdict_line, write_pcap)

CLIENT, SERVER = "198.51.100.10", "203.0.113.7"
SOCIAL_ADDR = "203.0.113.8"
CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:0a", "02:00:00:00:00:07"
INSIDE = ipaddress.ip_network("198.51.100.0/24")  # policy.conf's inside
SOCIAL = "social.example"                          # policy.conf's category entries
FLOW_TIMEOUT_US = 120 * 1000000                    # policy.conf's flow_timeout
TOOLS = ("ip", "openssl", "curl", "dig", "dnsmasq", "tcpdump", "timeout", "ethtool", "ss",
         "sysctl")
SKIP = 77


class CaptureError(Exception):
    """The capture cannot be turned into deterministic expectations (or the run went wrong)."""


def skip(reason):
    print(reason)
    sys.exit(SKIP)


def preflight():
    if os.geteuid() != 0:
        skip("needs root (network namespaces)")
    for t in TOOLS:
        if shutil.which(t) is None:
            skip("%s not found" % t)
    try:
        r = subprocess.run(["ip", "netns", "list"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        skip("ip netns unavailable (%s)" % e)
    if r.returncode != 0:
        skip("ip netns unavailable (%s)" % r.stderr.decode(errors="replace").strip())


# ---------------------------------------------------------------------------------------------
# Live part: namespaces, servers, capture, clients


class Lab:
    def __init__(self, tmp):
        pid = os.getpid()
        self.tmp = tmp
        self.cns, self.sns = "cpreal-c-%d" % pid, "cpreal-s-%d" % pid
        self.cif, self.sif = "cprc%d" % pid, "cprs%d" % pid
        self.procs = []  # (name, Popen) started in their own session
        self.netns = []

    def sh(self, *argv, ns=None, check=True, timeout=15, stdin=subprocess.DEVNULL):
        cmd = (["ip", "netns", "exec", ns] if ns else []) + ["timeout", str(timeout)] + list(argv)
        try:
            r = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=timeout + 5)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise CaptureError("%s: %s" % (" ".join(argv), e))
        if check and r.returncode != 0:
            raise CaptureError("%s: exit %d: %s" % (" ".join(argv), r.returncode,
                                                    r.stderr.decode(errors="replace").strip()))
        return r

    def setup(self):
        for ns in (self.cns, self.sns):
            self.sh("ip", "netns", "add", ns)
            self.netns.append(ns)
            # No IPv6 at all: no ND, MLD or router solicitations in the capture.
            self.sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
            self.sh("ip", "link", "set", "lo", "up", ns=ns)
        self.sh("ip", "link", "add", self.cif, "netns", self.cns, "address", CLIENT_MAC,
                "type", "veth", "peer", "name", self.sif, "netns", self.sns,
                "address", SERVER_MAC)
        for ns, dev, addr, peer_net in ((self.cns, self.cif, CLIENT, "203.0.113.0/24"),
                                        (self.sns, self.sif, SERVER, "198.51.100.0/24")):
            # Checksums computed in software: the capture holds correct ones, and no GSO.
            self.sh("ethtool", "-K", dev, "tx", "off", ns=ns)
            self.sh("ethtool", "-K", dev, "gso", "off", "tso", "off", ns=ns, check=False)
            self.sh("ip", "addr", "add", addr + "/24", "dev", dev, ns=ns)
            self.sh("ip", "link", "set", dev, "up", ns=ns)
            self.sh("ip", "route", "add", peer_net, "dev", dev, ns=ns)

    def start(self, name, argv, ns):
        log = open(os.path.join(self.tmp, name + ".log"), "wb")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdin=subprocess.DEVNULL,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs.append((name, p))
        return p

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, name + ".log"), "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_for(self, what, test, tries=100):
        for _ in range(tries):
            for name, p in self.procs:
                if p.poll() is not None:
                    raise CaptureError("%s exited %d early: %s" % (
                        name, p.returncode, self.log(name).strip()[-300:]))
            if test():
                return
            time.sleep(0.1)
        raise CaptureError("%s not ready after %.0f s" % (what, tries * 0.1))

    def listening(self):
        out = self.sh("ss", "-Hlntu", ns=self.sns).stdout.decode()
        need = [("tcp", ":443"), ("tcp", ":80"), ("udp", SERVER + ":53")]
        lines = out.splitlines()
        return all(any(ln.startswith(proto) and (" " + port) in ln or
                       ln.startswith(proto) and (port + " ") in ln for ln in lines)
                   for proto, port in need)

    def servers(self):
        key, cert = os.path.join(self.tmp, "key.pem"), os.path.join(self.tmp, "cert.pem")
        self.sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                "-days", "1", "-subj", "/CN=server.example", timeout=30)
        www = os.path.join(self.tmp, "www")
        os.mkdir(www)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("chokepoint real-traffic test\n")
        self.start("s_server", ["timeout", "120", "openssl", "s_server", "-accept", "443",
                                "-cert", cert, "-key", key, "-www", "-quiet"], self.sns)
        self.start("http", ["timeout", "120", "/usr/bin/python3", "-m", "http.server", "80",
                            "--bind", SERVER, "--directory", www], self.sns)
        self.start("dnsmasq", ["timeout", "120", "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                               "--no-resolv", "--no-hosts", "--bind-interfaces",
                               "--listen-address=" + SERVER, "--port=53", "--user=root",
                               "--pid-file=" + os.path.join(self.tmp, "dnsmasq.pid"),
                               "--log-facility=" + os.path.join(self.tmp, "dnsmasq-q.log"),
                               "--log-queries",
                               "--address=/allowed.example/" + SERVER,
                               "--address=/" + SOCIAL + "/" + SOCIAL_ADDR], self.sns)
        self.wait_for("servers", self.listening)

    def capture(self, raw):
        self.start("tcpdump", ["timeout", "120", "tcpdump", "-i", self.cif, "-n", "-U",
                               "--immediate-mode",
                               "-s", "0", "-w", raw, "ip or arp"], self.cns)
        self.wait_for("tcpdump", lambda: "listening on" in self.log("tcpdump"))

    def clients(self):
        """Each client once with an allowed name and once with a social one. The exchanges must
        have worked (the servers answered), or the capture is not the test it claims to be."""
        dig = ["dig", "@" + SERVER, "+time=1", "+tries=1", "+short"]
        for extra, name, want in (([], "www.allowed.example", SERVER),
                                  ([], "www." + SOCIAL, SOCIAL_ADDR),
                                  (["+tcp"], "m." + SOCIAL, SOCIAL_ADDR)):
            r = self.sh(*(dig + extra + [name]), ns=self.cns, timeout=5)
            if r.stdout.decode().strip() != want:
                raise CaptureError("dig %s %s answered %r, want %s" % (
                    " ".join(extra), name, r.stdout.decode().strip(), want))
        for host in ("www.allowed.example", "www." + SOCIAL):
            r = self.sh("curl", "-s", "--max-time", "3", "-H", "Host: " + host,
                        "http://%s/" % SERVER, ns=self.cns, timeout=5)
            if b"chokepoint real-traffic test" not in r.stdout:
                raise CaptureError("curl Host %s: unexpected answer %r" % (host, r.stdout[:80]))
        for sni in ("www.allowed.example", "blocked." + SOCIAL):
            r = self.sh("openssl", "s_client", "-connect", SERVER + ":443", "-servername", sni,
                        "-brief", ns=self.cns, check=False, timeout=5)
            out = (r.stdout + r.stderr).decode(errors="replace")
            if "CONNECTION ESTABLISHED" not in out:
                raise CaptureError("s_client %s: no handshake: %s" % (sni, out.strip()[-300:]))

    def stop(self, name, sig=signal.SIGINT):
        for n, p in self.procs:
            if n == name and p.poll() is None:
                os.killpg(p.pid, sig)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(timeout=5)

    def teardown(self):
        for name, p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                        p.wait(timeout=5)
                    except (ProcessLookupError, subprocess.TimeoutExpired):
                        pass
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=15)


def record(tmp):
    """Run the lab; the raw capture's path."""
    raw = os.path.join(tmp, "raw.pcap")
    lab = Lab(tmp)
    try:
        lab.setup()
        lab.servers()
        lab.capture(raw)
        lab.clients()
        time.sleep(0.5)  # the last FINs and ACKs
        lab.stop("tcpdump")
        log = lab.log("tcpdump").splitlines()
        got = [int(ln.split()[0]) for ln in log if ln.endswith(" packets captured")]
        lost = [ln for ln in log if ln.endswith(" dropped by kernel") and not ln.startswith("0 ")]
        if len(got) != 1 or lost:
            raise CaptureError("tcpdump lost packets: %s" % " / ".join(log))
        if len(read_pcap(raw)) != got[0]:
            raise CaptureError("tcpdump captured %d packets, wrote %d" % (
                got[0], len(read_pcap(raw))))
    finally:
        lab.teardown()
    return raw


# ---------------------------------------------------------------------------------------------
# Names, as chokepoint's extractors find them (dataplane/extract.h): each returns (status, name)
# for the initiator's bytes so far, status "found", "more", "none" or "not-this".


def norm(name):
    return name.lower().rstrip(".")


def tls_sni(s):
    """The ClientHello's first host_name, found once the server_name extension is complete."""
    if len(s) < 1:
        return "more", None
    if s[0] != 0x16:
        return "not-this", None
    hs = b""  # handshake bytes from the records so far
    off = 0
    while off + 5 <= len(s) and s[off] == 0x16:
        rlen = struct.unpack("!H", s[off + 3:off + 5])[0]
        hs += s[off + 5:off + 5 + rlen]
        off += 5 + rlen
    if len(hs) < 4:
        return "more", None
    if hs[0] != 1:
        return "not-this", None
    p = 4 + 2 + 32  # handshake header, version, random
    need = lambda n: p + n <= len(hs)  # noqa: E731
    if not need(1):
        return "more", None
    p += 1 + hs[p]  # session id
    if not need(2):
        return "more", None
    p += 2 + struct.unpack("!H", hs[p:p + 2])[0]  # cipher suites
    if not need(1):
        return "more", None
    p += 1 + hs[p]  # compression methods
    if not need(2):
        return "more", None
    end = p + 2 + struct.unpack("!H", hs[p:p + 2])[0]
    p += 2
    while p < end:
        if not need(4):
            return "more", None
        etype, elen = struct.unpack("!HH", hs[p:p + 4])
        p += 4
        if etype == 0:
            if not need(elen):
                return "more", None
            q = p + 2
            while q + 3 <= p + elen:
                ntype, nlen = hs[q], struct.unpack("!H", hs[q + 1:q + 3])[0]
                if ntype == 0:
                    return "found", norm(hs[q + 3:q + 3 + nlen].decode())
                q += 3 + nlen
            return "none", None
        p += elen
    return "none", None


def http_host(s):
    """The request's Host (port stripped), found at the end of the header block."""
    sp = s.find(b" ")
    if sp <= 0:
        return ("more", None) if len(s) < 16 and s.isupper() else ("not-this", None)
    if not s[:sp].isalpha() or not s[:sp].isupper():
        return "not-this", None
    end = s.find(b"\r\n\r\n")
    if end < 0:
        return "more", None
    lines = s[:end].decode(errors="replace").split("\r\n")
    target = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else ""
    host = None
    if target.lower().startswith("http://") or target.lower().startswith("https://"):
        host = target.split("/")[2]
    else:
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            if k.strip().lower() == "host":
                host = v.strip()
    if not host:
        return "none", None
    return "found", norm(host.rsplit(":", 1)[0] if host.count(":") == 1 else host)


def dns_qname(msg, tcp):
    """The first question's name of a query; TCP: after the 2-byte length prefix."""
    if tcp:
        if len(msg) < 2:
            return "more", None
        mlen = struct.unpack("!H", msg[:2])[0]
        msg = msg[2:2 + mlen]
    if len(msg) < 12:
        return ("more", None) if tcp else ("not-this", None)
    flags, qd = struct.unpack("!H", msg[2:4])[0], struct.unpack("!H", msg[4:6])[0]
    if flags & 0x8000 or qd == 0:
        return "none", None
    p, labels = 12, []
    while True:
        if p >= len(msg):
            return ("more", None) if tcp else ("not-this", None)
        n = msg[p]
        if n == 0:
            break
        labels.append(msg[p + 1:p + 1 + n].decode(errors="replace"))
        p += 1 + n
    if p + 5 > len(msg):
        return ("more", None) if tcp else ("not-this", None)
    return "found", norm(".".join(labels)) if labels else None


def social(name):
    return name is not None and (name == SOCIAL or name.endswith("." + SOCIAL))


# ---------------------------------------------------------------------------------------------
# Expectations from the capture


def seq_after(a, b):
    """a is after b in sequence space."""
    return 0 < ((a - b) & 0xffffffff) < 0x80000000


class Flow:
    def __init__(self, src, sport, dst, dport, proto, us):
        self.init = (src, sport)
        self.proto, self.dport = proto, dport
        self.last = us
        self.rejected = False
        self.stream = b""           # the initiator's TCP bytes, in order
        self.next = {}              # direction (sender) -> next expected sequence number
        self.name_done = False
        self.extractors = None      # TCP: extractors still trying
        inside = ipaddress.ip_address(src) in INSIDE
        self.base = None
        if inside and proto == 6 and dport in (80, 443):
            self.base = "web-out"
        elif inside and proto == 6 and dport == 53:
            self.base = "dns-tcp"
        elif inside and proto == 17 and dport == 53:
            self.base = "dns-udp"


def ipv4_fields(b):
    if len(b) < 34 or struct.unpack("!H", b[12:14])[0] != 0x0800:
        return None
    ihl = (b[14] & 0x0f) * 4
    tot = struct.unpack("!H", b[16:18])[0]
    frag = struct.unpack("!H", b[20:22])[0]
    f = {"proto": b[23], "src": str(ipaddress.ip_address(b[26:30])),
         "dst": str(ipaddress.ip_address(b[30:34])), "frag": frag & 0x3fff,
         "l4": b[14 + ihl:14 + tot]}
    return f


def expectations(frames):
    """(expected verdicts, summary) for [(bytes, us)]."""
    flows = {}
    out = []
    summary = {"social_flows": 0, "extract": {"sni": 0, "host": 0, "dns": 0},
               "inject_frames": 0, "packets": len(frames)}
    for n, (b, us) in enumerate(frames, 1):
        etype = struct.unpack("!H", b[12:14])[0] if len(b) >= 14 else None
        if etype == 0x0806:
            out.append(NON_IP_PASS)
            continue
        f = ipv4_fields(b)
        if f is None:
            raise CaptureError("packet %d: neither IPv4 nor ARP (ethertype %s)" % (n, etype))
        if f["frag"]:
            raise CaptureError("packet %d: an IPv4 fragment" % n)
        proto, l4 = f["proto"], f["l4"]
        if proto in (6, 17):
            sport, dport = struct.unpack("!HH", l4[:4])
        elif proto == 1 and l4[0] in (0, 8):
            sport = dport = struct.unpack("!H", l4[4:6])[0]
        else:
            sport = dport = 0
        a, z = (f["src"], sport), (f["dst"], dport)
        key = (proto,) + (min(a, z), max(a, z))
        fl = flows.get(key)
        if fl is None or us - fl.last > FLOW_TIMEOUT_US:
            fl = flows[key] = Flow(f["src"], sport, f["dst"], dport, proto, us)
        fl.last = us
        from_init = (f["src"], sport) == fl.init
        if fl.rejected:
            out.append(REJECTED("no-social", "social"))
            continue
        status, name = "none", None
        if proto == 6 and fl.base is not None:
            status, name = tcp_segment(fl, l4, from_init, n)
        elif proto == 17 and fl.base is not None and from_init and fl.dport == 53:
            status, name = dns_qname(l4[8:], False)
            if status in ("found", "none"):
                summary["extract"]["dns"] += 1
        if status == "found" and proto == 6:
            summary["extract"][fl.name_done] += 1
        if social(name):
            fl.rejected = True
            summary["social_flows"] += 1
            summary["inject_frames"] += 2 if proto == 6 else 1
            out.append(REJECT("no-social", "social"))
        elif fl.base is not None:
            out.append(PASS(fl.base))
        else:
            out.append(DENY)
    if summary["social_flows"] != 4 or summary["extract"] != {"sni": 2, "host": 2, "dns": 3}:
        raise CaptureError("capture does not hold the exchanges the test made: %s" % summary)
    return out, summary


def tcp_segment(fl, l4, from_init, n):
    """Track one TCP segment of a flow under inspection; (status, name) of the initiator's name
    when this segment completed it."""
    seq = struct.unpack("!I", l4[4:8])[0]
    doff = (l4[12] >> 4) * 4
    flags = l4[13]
    data = l4[doff:]
    d = "i" if from_init else "r"
    if flags & 0x02:  # SYN
        fl.next[d] = (seq + 1) & 0xffffffff
        return "none", None
    if d not in fl.next and data:
        fl.next[d] = seq
    if d in fl.next and (data or flags & 0x01):
        if seq_after(seq, fl.next[d]):
            raise CaptureError("packet %d: a TCP gap (out-of-order segment): expectations would "
                               "depend on inspection state; run again" % n)
        new = data[(fl.next[d] - seq) & 0xffffffff:] if not seq_after(fl.next[d], seq + len(
            data)) else b""
        end = (seq + len(data) + (1 if flags & 0x01 else 0)) & 0xffffffff
        if seq_after(end, fl.next[d]):
            fl.next[d] = end
        if not from_init or not new or fl.name_done:
            return "none", None
        fl.stream += new
        tries = [("dns", lambda s: dns_qname(s, True))] if fl.dport == 53 else []
        tries += [("sni", tls_sni), ("host", http_host)]
        pending = False
        for ext, fn in tries:
            status, name = fn(fl.stream)
            if status in ("found", "none"):
                fl.name_done = ext
                return "found", name
            pending = pending or status == "more"
        if not pending:
            fl.name_done = "none"
    return "none", None


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: %s OUTDIR\n" % sys.argv[0])
        return 2
    preflight()
    # A TERM (timeout(1), a test runner) unwinds like an interrupt: the lab is torn down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="cpreal.")
    try:
        raw = record(tmp)
        pkts = read_pcap(raw)
        if not pkts:
            raise CaptureError("empty capture")
        t0 = pkts[0][1] * 1000000 + pkts[0][2]
        frames = [(b, s * 1000000 + us - t0) for b, s, us in pkts]
        expected, summary = expectations(frames)
    except CaptureError as e:
        print("real-traffic: %s" % e)
        return 1
    finally:
        if not os.environ.get("KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    write_pcap(os.path.join(outdir, "input.pcap"), frames)
    with open(os.path.join(outdir, "expected.jsonl"), "w") as f:
        for n, e in enumerate(expected, 1):
            f.write(verdict_line(n, e) + "\n")
    with open(os.path.join(outdir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")
    print("real-traffic: %d packets, %s" % (len(frames), json.dumps(summary, sort_keys=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
