#!/usr/bin/env bash
# The Debian package, built from the tree (dpkg-buildpackage -us -uc -b), installed with dpkg -i,
# its systemd units checked with systemd-analyze verify, its programs run from their installed
# paths (check, a replay, a live dataplane with serve against it), then removed. Needs root.
set -euo pipefail
PY=/usr/bin/python3
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
installed=0
cleanup() {
	[ -n "${dp_pid:-}" ] && kill -INT "$dp_pid" 2>/dev/null || true
	[ -n "${sv_pid:-}" ] && kill "$sv_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ "$installed" = 1 ] && dpkg -P chokepoint >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL package: $*"; echo "package: 0 passed, 1 failed"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP package: needs root (dpkg -i)"; exit 0; }
if dpkg-query -W -f='${Status}' chokepoint 2>/dev/null | grep -q "ok installed"; then
	fail "a chokepoint package is installed already: not touching it"
fi

# The tree as git sees it (tracked and new files, no build directories).
mkdir "$dir/src"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 tar cf - 2>/dev/null) |
	tar xf - -C "$dir/src"
(cd "$dir/src" && timeout 1500 dpkg-buildpackage -us -uc -b >"$dir/build.log" 2>&1) ||
	fail "dpkg-buildpackage failed: $(tail -5 "$dir/build.log" | tr '\n' ' ')"
deb=$(ls "$dir"/chokepoint_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb in $dir"
dpkg -i "$deb" >"$dir/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -3 "$dir/dpkg.log" | tr '\n' ' ')"
installed=1

# What the package holds, where SPEC 12 and the man pages say.
for f in /usr/bin/chokepoint /usr/bin/chokectl /usr/lib/x86_64-linux-gnu/chokepoint/prefilter.bpf.o \
	/lib/systemd/system/chokepoint@.service /lib/systemd/system/chokectl-serve.service \
	/usr/share/man/man8/chokepoint.8.gz /usr/share/man/man8/chokectl.8.gz \
	/usr/share/man/man5/chokepoint.conf.5.gz /usr/share/man/man5/chokepoint-policy.5.gz \
	/usr/share/chokepoint/rules/border.conf; do
	dpkg -L chokepoint | grep -qx "$f" || fail "$f is not in the package"
	[ -e "$f" ] || fail "$f is not installed"
done
# Neither unit is enabled or started by the installation.
for u in chokepoint@.service chokectl-serve.service; do
	[ -z "$(find /etc/systemd/system -name "$u" 2>/dev/null)" ] || fail "$u was enabled"
done
out=$(systemd-analyze verify /lib/systemd/system/chokepoint@pkgtest.service \
	/lib/systemd/system/chokectl-serve.service 2>&1) || fail "systemd-analyze verify: $out"
case "$out" in *chokepoint*) fail "systemd-analyze verify: $out" ;; esac

# check, from the installed paths.
/usr/bin/chokectl check /usr/share/chokepoint/rules/*.conf >"$dir/check.out" 2>&1 ||
	fail "installed chokectl check: $(cat "$dir/check.out")"

# A replay of the demo capture, against the build tree's own replay of it when there is one.
$PY "$root/tests/gen/border_demo.py" "$dir/border.pcap" >/dev/null
/usr/bin/chokepoint --replay "$dir/border.pcap" --policy /usr/share/chokepoint/rules/border.conf \
	--events /usr/share/chokepoint/rules/border.events.jsonl --out "$dir/out" --quiet \
	>"$dir/replay.log" 2>&1 || fail "installed replay: $(tail -3 "$dir/replay.log")"
[ -s "$dir/out/verdicts.jsonl" ] && [ -s "$dir/out/counters.json" ] || fail "replay wrote no verdicts"
if [ -x "${CHOKEPOINT:-}" ]; then
	"$CHOKEPOINT" --replay "$dir/border.pcap" --policy "$root/rules/border.conf" \
		--events "$root/rules/border.events.jsonl" --out "$dir/out-tree" --quiet >/dev/null 2>&1
	cmp -s "$dir/out/verdicts.jsonl" "$dir/out-tree/verdicts.jsonl" ||
		fail "the installed replay's verdicts differ from the build tree's"
fi

# A live dataplane on net_pcap ports, and serve pushing a policy to it.
$PY - "$dir" <<'PYEOF'
import sys
from scapy.all import Ether, IP, TCP, wrpcap
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
wrpcap(sys.argv[1] + "/in.pcap", [e/IP(src="192.0.2.5", dst="198.51.100.1")/TCP(sport=1000+i, dport=80, flags="S") for i in range(5)])
wrpcap(sys.argv[1] + "/up.pcap", [e/IP(src="198.51.100.1", dst="192.0.2.5")/TCP(sport=80, dport=1000+i, flags="SA") for i in range(5)])
PYEOF
cat >"$dir/dep.conf" <<CONF
ports = (
  { name = "inside"; role = "inside"; device = "net_pcap_in,rx_pcap=$dir/in.pcap,tx_pcap=$dir/in_out.pcap"; },
  { name = "fiber";  role = "uplink"; device = "net_pcap_up,rx_pcap=$dir/up.pcap,tx_pcap=$dir/up_out.pcap"; }
);
workers = 1;
flows = 4096;
control_socket = "$dir/dp.sock";
CONF
cat >"$dir/policy.conf" <<CONF
version = 1;
inside = [ "192.0.2.0/24" ];
rules = ( { name = "web"; action = "pass"; from = "inside"; proto = "tcp"; dport = 80; } );
CONF
timeout -s INT 60 /usr/bin/chokepoint --no-huge -m 512 --no-shconf --no-pci --log-level='*:error' \
	--file-prefix=cp-pkg-$$ -l 0-1 -- --config "$dir/dep.conf" >"$dir/dp.out" 2>&1 &
dp_pid=$!
for _ in $(seq 1 50); do [ -S "$dir/dp.sock" ] && break; sleep 0.2; done
[ -S "$dir/dp.sock" ] || fail "the installed dataplane made no control socket: $(tail -3 "$dir/dp.out")"
timeout 60 /usr/bin/chokectl serve --policy "$dir/policy.conf" --dataplane "$dir/dp.sock" \
	--socket "$dir/ctl.sock" --state "$dir/state" >"$dir/serve.out" 2>&1 &
sv_pid=$!
stats=""
for _ in $(seq 1 50); do
	sleep 0.2
	[ -S "$dir/ctl.sock" ] || continue
	stats=$(timeout 5 /usr/bin/chokectl --socket "$dir/ctl.sock" stats --json 2>/dev/null) || continue
	case "$stats" in *'"policy_generation": 1'*) break ;; esac
done
case "$stats" in
*'"policy_generation": 1'*) ;;
*) fail "serve did not install the policy on the installed dataplane: $stats $(tail -2 "$dir/serve.out")" ;;
esac
kill "$sv_pid"
kill -INT "$dp_pid"
wait "$sv_pid" 2>/dev/null || true
wait "$dp_pid" 2>/dev/null || true
dp_pid="" sv_pid=""

dpkg -P chokepoint >"$dir/dpkg.log" 2>&1 || fail "dpkg -P: $(tail -3 "$dir/dpkg.log")"
installed=0
[ ! -e /usr/bin/chokepoint ] && [ ! -e /usr/bin/chokectl ] || fail "programs left after removal"
echo "PASS package: built, installed, units verified, check/replay/serve ran, removed"
echo "package: 1 passed, 0 failed"
