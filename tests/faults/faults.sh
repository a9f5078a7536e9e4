#!/usr/bin/env bash
# Faults and limits against a running chokepoint and `chokectl serve` (no namespaces: the ports
# are net_pcap vdevs; the inside one replays one UDP packet forever, so the worker always has
# traffic, and both write to /dev/null).
#
#   1 hostile control messages: headers refused before their payload (then closed), malformed
#     payloads answered with one ERROR line on a connection that stays usable;
#   2 slow and dead peers: a peer stalled mid-message is dropped, one holding every slot is
#     refused, a stopped serve: the worker forwards throughout and the socket keeps answering;
#   3 the control plane killed in the middle of a push: the dataplane stays on the old generation;
#   4 --state on a full and on a read-only filesystem (a 64 KiB tmpfs): the change is refused with
#     one line, nothing is applied, the running state is kept;
#   5 corrupt state files: serve refuses to start with one line, the file is left as it was;
#   6 access: a second uid is refused on both sockets, even when the file modes let it connect;
#     the owner of a serve that is not root is allowed;
#   7 large policies (FAULTS_BIG=1: 1M prefixes and 100k names, else 100k and 10k): `check`, a
#     replay and a push load them, or refuse them with one line; time and memory are printed.
#
# Needs root (tmpfs, setpriv), /usr/bin/python3 with scapy and /usr/bin/time. Prints one PASS or
# FAIL line per check and a summary; exit 0 when none failed. FAULTS_KEEP=1 keeps the directory.
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
CHOKEPOINT=${CHOKEPOINT:-build/dataplane/chokepoint}
CHOKECTL=${CHOKECTL:-build/ctrlplane/chokectl}
PY=/usr/bin/python3
CLIENT=tests/faults/ctl_client.py
NOBODY=65534
OTHER=65533 # a second uid that owns nothing
SUITE=faults

if [ "$(id -u)" != 0 ]; then
	echo "SKIP $SUITE: not running as root"
	exit 0
fi
for t in "$CHOKEPOINT" "$CHOKECTL" "$PY" /usr/bin/time setpriv; do
	command -v "$t" >/dev/null || {
		echo "FAIL $SUITE: missing $t"
		exit 1
	}
done

dir=$(mktemp -d /tmp/cp-faults.XXXXXX) || exit 1
chmod 0711 "$dir" # other uids may reach the files we open up to them, and nothing else
pids=()
mounted=""
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$mounted" ] && umount "$mounted" 2>/dev/null
	if [ "${FAULTS_KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
passed=0
failed=0
pass() {
	echo "PASS $1${2:+ ($2)}"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}
# check NAME WHY: PASS when WHY is empty.
check() { if [ -z "$2" ]; then pass "$1" "${3:-}"; else fail "$1" "$2"; fi; }
wait_for() { # SECONDS COMMAND...: until the command succeeds, bounded
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
stop_pid() { # PID: TERM, bounded wait, KILL
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
json() { # PATH: the value at PATH ("a.b") of the JSON on stdin, or "missing"
	"$PY" -c '
import json, sys
try:
    v = json.load(sys.stdin)
    for k in sys.argv[1].split("."):
        v = v[k] if not isinstance(v, list) else v[int(k)]
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)
except Exception:
    print("missing")
' "$1"
}

# ---- the dataplane ----
DP=$dir/dp.sock
"$PY" - "$dir" <<'PY' || exit 1
import sys
from scapy.all import Ether, IP, UDP, wrpcap
d = sys.argv[1]
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
wrpcap(d + "/loop.pcap", [e / IP(src="192.0.2.5", dst="198.51.100.1") / UDP(sport=1000, dport=9) / (b"x" * 20)])
wrpcap(d + "/empty.pcap", [], linktype=1)
wrpcap(d + "/probe.pcap", [
    e / IP(src="192.0.2.5", dst="10.0.0.5") / UDP(sport=40000, dport=9),
    e / IP(src="192.0.2.5", dst="10.128.0.7") / UDP(sport=40001, dport=9),
    e / IP(src="192.0.2.5", dst="203.0.113.9") / UDP(sport=40002, dport=9),
])
PY
cat >"$dir/dp.conf" <<CONF
ports = (
  { name = "inside"; role = "inside";
    device = "net_pcap_fi$$,rx_pcap=$dir/loop.pcap,tx_pcap=/dev/null,infinite_rx=1"; },
  { name = "fiber";  role = "uplink"; device = "net_pcap_fu$$,rx_pcap=$dir/empty.pcap,tx_pcap=/dev/null"; }
);
workers = 1;
flows = 4096;
control_socket = "$DP";
CONF
# The policy serve pushes; "$1" names its rule, so each version is told apart in the counters.
policy() {
	cat <<-CONF
		version = 1;
		inside = [ "192.0.2.0/24" ];
		rules = ( { name = "$1"; action = "pass"; from = "inside"; to = "198.51.100.0/24"; } );
	CONF
}
timeout -s INT 300 "$CHOKEPOINT" --no-huge -m 1024 --no-shconf --no-pci --no-telemetry \
	--log-level='*:error' --file-prefix="cp-faults-$$" -l 0-1 -- --config "$dir/dp.conf" \
	>"$dir/dp.log" 2>&1 &
DP_PID=$!
pids+=("$DP_PID")
dp_rss() { # the dataplane's RSS (DP_PID is the timeout wrapper)
	local p
	p=$(pgrep -P "$DP_PID" | head -1)
	awk '/VmRSS/ {print $2, $3}' "/proc/${p:-$DP_PID}/status"
}
wait_for 20 test -S "$DP" || {
	echo "FAIL $SUITE: the dataplane did not start: $(tail -3 "$dir/dp.log" | tr '\n' ' ')"
	exit 1
}

dp_status() { timeout 10 "$CHOKECTL" --socket "$DP" status 2>/dev/null; }
dp_stat() { timeout 10 "$CHOKECTL" --socket "$DP" stats --json 2>/dev/null | json "$1"; }
# The inside port's rx count, read on socket $1 (the dataplane's, or serve's).
rx_on() { timeout 10 "$CHOKECTL" --socket "$1" stats --json 2>/dev/null | json port_packets_total.inside.rx; }
# The worker moves: the inside port's rx count grows over 0.3 s. Silent when it does.
moving() {
	local a b s=${1:-$DP}
	a=$(rx_on "$s")
	sleep 0.3
	b=$(rx_on "$s")
	if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]] && [ "$b" -gt "$a" ]; then
		return 0
	fi
	echo "rx did not grow ($a -> $b)"
	return 1
}
dp_alive() { kill -0 "$DP_PID" 2>/dev/null && dp_status | grep -q policy_generation; }

# ---- serve ----
CLI=$dir/cli.sock
STATE=$dir/state
SERVE_PID=""
policy p1 >"$dir/policy.conf"
serve_start() { # start serve on $dir/policy.conf, wait for "serving"
	"$CHOKECTL" serve --policy "$dir/policy.conf" --dataplane "$DP" --socket "$CLI" \
		--state "$STATE" >>"$dir/serve.out" 2>>"$dir/serve.err" &
	SERVE_PID=$!
	pids+=("$SERVE_PID")
	wait_for 30 grep -q "serving" "$dir/serve.out" && wait_for 5 test -S "$CLI"
}
serve_stop() {
	[ -n "$SERVE_PID" ] && stop_pid "$SERVE_PID"
	SERVE_PID=""
	: >"$dir/serve.out"
}
ctl() { timeout 60 "$CHOKECTL" --socket "$CLI" "$@"; }
gen() { dp_status | json policy_generation; }

# 4 (set up first: serve starts on it) --state on a 64 KiB tmpfs.
mkdir -p "$STATE"
if mount -t tmpfs -o size=64k,mode=0700 cp-faults "$STATE"; then
	mounted=$STATE
else
	echo "FAIL $SUITE: cannot mount a tmpfs on $STATE"
	exit 1
fi
serve_start || {
	echo "FAIL $SUITE: serve did not start: $(tail -3 "$dir/serve.err" | tr '\n' ' ')"
	exit 1
}
wait_for 10 sh -c "'$CHOKECTL' --socket '$DP' status 2>/dev/null | grep -q '\"policy_generation\": 1'"

# ---- 1. hostile control messages against the running dataplane ----
why=""
for c in bad-magic bad-version bad-type oversized bad-tlv trailing bad-prefix; do
	out=$(timeout 20 "$PY" "$CLIENT" "$DP" "$c" 2>&1)
	rc=$?
	line=$(echo "$out" | sed -n 's/^error: //p' | head -1)
	if [ "$rc" != 0 ] || [ -z "$line" ] || [ "$line" = None ]; then
		why+="$c: rc $rc, $(echo "$out" | tr '\n' '|'); "
	fi
	echo "  $c -> $line"
done
[ -z "$why" ] && ! dp_alive && why="the dataplane died"
[ -z "$why" ] && why=$(moving)
check 1-hostile-messages-answered-and-survived "$why" "7 cases"

# ---- 2. slow and dead peers ----
# A peer stalled mid-header is dropped after 5 s; meanwhile the worker forwards and others are
# answered.
timeout 20 "$PY" "$CLIENT" "$DP" stall 9 >"$dir/stall.out" 2>&1 &
stall=$!
sleep 0.5
why=$(moving)
[ -z "$why" ] && ! dp_status >/dev/null && why="status not answered beside a stalled peer"
wait "$stall"
[ -z "$why" ] && ! grep -q dropped "$dir/stall.out" && why="stalled peer: $(cat "$dir/stall.out")"
check 2a-stalled-peer-dropped-worker-forwards "$why"

# serve stopped (SIGSTOP): the dataplane forwards and answers on its own.
kill -STOP "$SERVE_PID"
why=$(moving)
[ -z "$why" ] && ! dp_status >/dev/null && why="status not answered with serve stopped"
kill -CONT "$SERVE_PID"
check 2b-stopped-serve-never-blocks-dataplane "$why"

# Every connection slot held by idle peers (serve holds one, 7 more): the next is refused (closed
# without an answer), the worker forwards; once they leave, the socket answers again.
idle=()
for _ in 1 2 3 4 5 6 7; do
	timeout 20 "$PY" "$CLIENT" "$DP" idle 4 >/dev/null 2>&1 &
	idle+=($!)
done
sleep 0.5
why=""
out=$(timeout 10 "$PY" "$CLIENT" "$DP" status 2>&1) && why="a 9th peer was answered: $out"
[ -z "$why" ] && why=$(moving "$CLI") # through serve's connection, the one slot left to us
for p in "${idle[@]}"; do wait "$p"; done
[ -z "$why" ] && ! wait_for 5 dp_status >/dev/null && why="no answer after the idle peers left"
check 2c-full-connection-slots-refuse-then-recover "$why"

# ---- 3. the control plane killed in the middle of a push ----
# A push cut in the middle of its payload by the death of its sender: nothing applied.
g0=$(gen)
policy p2 >"$dir/p2.conf"
(timeout 20 "$PY" "$CLIENT" "$DP" half-push "$dir/p2.conf" >/dev/null 2>&1; true)
sleep 0.3
why=""
g1=$(gen)
[ "$g1" = "$g0" ] || why="generation $g0 -> $g1 after half a push"
[ -z "$why" ] && ! dp_stat rule_packets_total | grep -q '"p1"' && why="p1 no longer counts"
[ -z "$why" ] && why=$(moving)
check 3a-half-push-leaves-old-generation "$why" "generation $g1"

# serve SIGKILLed while it reloads a larger policy (compile, then a ~600 KB message): the dataplane
# runs a whole generation, the old or the new, and the restarted serve brings the new one.
"$PY" tests/faults/gen_policy.py "$dir/big-reload.conf" 30000 0 24
g0=$(gen)
mv "$dir/big-reload.conf" "$dir/policy.conf"
sleep 0.25
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
g1=$(gen)
why=""
case "$g1" in
"$g0") ;;
$((g0 + 1))) dp_status | grep -q '"policy": "[^"]*policy.conf"' || why="generation $g1 without its file" ;;
*) why="generation $g0 -> $g1" ;;
esac
[ -z "$why" ] && why=$(moving)
: >"$dir/serve.out"
[ -z "$why" ] && ! serve_start && why="serve did not restart: $(tail -2 "$dir/serve.err")"
[ -z "$why" ] && ! wait_for 30 sh -c "[ \"\$('$CHOKECTL' --socket '$DP' status 2>/dev/null | grep -o '\"policy_generation\": [0-9]*' | grep -o '[0-9]*$')\" -gt $g1 ]" &&
	why="the restarted serve did not push (generation $(gen))"
check 3b-serve-killed-mid-reload "$why" "generation $g0 -> $g1 at the kill, $(gen) after the restart"
policy p1 >"$dir/policy.conf.new" && mv "$dir/policy.conf.new" "$dir/policy.conf"
wait_for 30 sh -c "'$CHOKECTL' --socket '$DP' stats --json 2>/dev/null | grep -q '\"p1\"'"

# ---- 4. --state full or read-only ----
has_grant() { ctl grants 2>/dev/null | grep -q "$1"; }
dp_has_grant() { dp_status | grep -Eq "\"$1(/32)?\""; }
why=""
ctl grant 192.0.2.50 --for 1h >/dev/null 2>"$dir/g.err" || why="grant on a fine disk: $(cat "$dir/g.err")"
dd if=/dev/zero of="$STATE/fill" bs=4k count=64 2>/dev/null # fills it: dd stops at ENOSPC
cp "$STATE/state" "$dir/state.before"
if ctl grant 192.0.2.51 --for 1h >/dev/null 2>"$dir/g.err"; then
	why+="a grant on a full disk succeeded; "
fi
errl=$(cat "$dir/g.err")
[ "$(wc -l <"$dir/g.err")" = 1 ] && grep -q "No space left" "$dir/g.err" || why+="error: '$errl'; "
has_grant 192.0.2.51 && why+="serve lists the refused grant; "
dp_has_grant 192.0.2.51 && why+="the dataplane got the refused grant; "
has_grant 192.0.2.50 || why+="the earlier grant is gone; "
cmp -s "$STATE/state" "$dir/state.before" || why+="the state file changed; "
ctl shutoff >/dev/null 2>"$dir/s.err" && why+="shutoff on a full disk succeeded; "
[ "$(dp_status | json shutoff)" = False ] || why+="the dataplane was shut off by a refused shutoff; "
kill -0 "$SERVE_PID" || why+="serve died; "
check 4a-full-state-disk-refused-and-kept "$why" "$errl"

why=""
rm -f "$STATE/fill"
ctl grant 192.0.2.51 --for 1h >/dev/null 2>"$dir/g.err" || why="grant after freeing space: $(cat "$dir/g.err")"
[ -z "$why" ] && ! wait_for 5 dp_has_grant 192.0.2.51 && why="the dataplane did not get it"
mount -o remount,ro "$STATE" || why+="cannot remount read-only; "
ctl grant 192.0.2.52 --for 1h >/dev/null 2>"$dir/g.err" && why+="a grant on a read-only disk succeeded; "
errl=$(cat "$dir/g.err")
grep -q "Read-only file system" "$dir/g.err" || why+="error: '$errl'; "
dp_has_grant 192.0.2.52 && why+="the dataplane got the refused grant; "
ctl revoke 192.0.2.50 >/dev/null 2>&1 && why+="a revoke on a read-only disk succeeded; "
dp_has_grant 192.0.2.50 || why+="the dataplane lost a grant whose revoke was refused; "
mount -o remount,rw "$STATE"
ctl grant 192.0.2.52 --for 1h >/dev/null 2>&1 || why+="no grant once writable again; "
check 4b-read-only-state-refused-and-kept "$why" "$errl"

# ---- 5. corrupt state files: refused at start, never trusted, left as they were ----
serve_stop
umount "$STATE" && mounted=""
H="chokepoint-state 1"
corrupt() { # NAME CONTENT(printf format)
	local name=$1 out rc
	rm -rf "$STATE" && mkdir -p "$STATE" && chmod 0700 "$STATE"
	# shellcheck disable=SC2059 # the content is a printf format on purpose
	printf "$2" >"$STATE/state"
	cp "$STATE/state" "$dir/corrupt.orig"
	out=$(timeout 20 "$CHOKECTL" serve --policy "$dir/policy.conf" --dataplane "$DP" \
		--socket "$dir/cli2.sock" --state "$STATE" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 0 ] || [ "$rc" = 124 ]; then
		why+="$name: serve ran (rc $rc); "
	elif [ "$(echo "$out" | wc -l)" != 1 ] || ! echo "$out" | grep -q "corrupt state, refused"; then
		why+="$name: '$out'; "
	fi
	cmp -s "$STATE/state" "$dir/corrupt.orig" || why+="$name: the file was changed; "
	echo "  $name -> $out"
}
why=""
corrupt not-a-state-file 'GET / HTTP/1.1\r\n\r\n'
corrupt empty ''
corrupt bad-prefix "$H\\ngrant 192.0.2.999/32 10 0 5\\nshutoff 0\\nuplink -\\n"
corrupt negative-time "$H\\ngrant 192.0.2.5/32 -1 0 5\\nshutoff 0\\nuplink -\\n"
corrupt overflowing-time "$H\\ngrant 192.0.2.5/32 99999999999999999999999 0 5\\n"
corrupt renewed-after-end "$H\\ngrant 192.0.2.5/32 10 0 50\\n"
corrupt torn-last-line "$H\\ngrant 192.0.2.5/32 4000000000000000000 0 1\\nshutof"
corrupt binary "$H\\n\\001\\002\\377\\376\\n"
corrupt unknown-line "$H\\nshutoff 1\\nopen all\\n"
corrupt long-line "$H\\ngrant $(head -c 400 /dev/zero | tr '\0' 1)\\n"
check 5-corrupt-state-refused "$why" "10 files"
# A good file is trusted: its grant reaches the dataplane.
printf '%s\ngrant 192.0.2.60/32 4000000000000000000 0 %s\nshutoff 0\nuplink -\n' "$H" \
	"$(date +%s)000000000" >"$STATE/state"
why=""
serve_start || why="serve did not start on a good file: $(tail -1 "$dir/serve.err")"
[ -z "$why" ] && ! wait_for 5 dp_has_grant 192.0.2.60 && why="the grant did not reach the dataplane"
check 5b-good-state-restored "$why"
serve_stop

# ---- 6. access: a second uid on both sockets ----
as() { # UID CMD...: run CMD as UID (gid the same, no groups)
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}
serve_start
why=""
for s in "$DP" "$CLI"; do
	n=$(basename "$s")
	out=$(as $NOBODY timeout 10 "$CHOKECTL" --socket "$s" status 2>&1) && why+="$n: nobody was answered; "
	echo "  $n, mode 0600, as nobody -> $out"
	[ "$(echo "$out" | wc -l)" = 1 ] || why+="$n: not one line: $out; "
	# The file mode is a first fence; the peer check must hold without it.
	chmod 0666 "$s"
	out=$(as $NOBODY timeout 10 "$PY" "$CLIENT" "$s" status 2>&1) && why+="$n: nobody was answered through 0666: $out; "
	echo "  $n, mode 0666, as nobody -> $(echo "$out" | tail -1)"
	out=$(as $NOBODY timeout 10 "$CHOKECTL" --socket "$s" grant 192.0.2.70 --for 1h 2>&1) &&
		why+="$n: nobody could grant; "
	chmod 0600 "$s"
	timeout 10 "$CHOKECTL" --socket "$s" status >/dev/null 2>&1 || why+="$n: root was refused; "
done
dp_has_grant 192.0.2.70 && why+="a refused peer's grant reached the dataplane; "
check 6a-second-uid-refused-on-both-sockets "$why"
serve_stop

# A serve run by nobody: its owner and root are allowed, a third uid is not.
nb=$dir/nobody
mkdir -p "$nb" && chown $NOBODY:$NOBODY "$nb" && chmod 0711 "$nb"
cp "$dir/policy.conf" "$nb/policy.conf" && chmod 0644 "$nb/policy.conf"
setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$CHOKECTL" serve --policy "$nb/policy.conf" --dataplane "$DP" --socket "$nb/cli.sock" \
	--state "$nb/state" >"$nb/serve.out" 2>&1 &
NB_PID=$!
pids+=("$NB_PID")
why=""
wait_for 10 test -S "$nb/cli.sock" || why="serve as nobody did not start: $(cat "$nb/serve.out")"
if [ -z "$why" ]; then
	timeout 10 "$CHOKECTL" --socket "$nb/cli.sock" status >/dev/null 2>&1 || why+="root was refused; "
	as $NOBODY timeout 10 "$CHOKECTL" --socket "$nb/cli.sock" status >/dev/null 2>&1 ||
		why+="the owner was refused; "
	chmod 0666 "$nb/cli.sock"
	out=$(as $OTHER timeout 10 "$CHOKECTL" --socket "$nb/cli.sock" status 2>&1) &&
		why+="uid $OTHER was answered; "
	echo "  serve owned by nobody, as uid $OTHER -> $out"
fi
stop_pid "$NB_PID"
check 6b-owner-allowed-others-refused "$why"

# ---- 7. large policies ----
if [ "${FAULTS_BIG:-0}" = 1 ]; then NP=1000000 NN=100000; else NP=100000 NN=10000; fi
"$PY" tests/faults/gen_policy.py "$dir/big.conf" "$NP" "$NN"
tv() { # LABEL CMD...: run under /usr/bin/time -v; prints "LABEL: S s, K KiB"; returns its rc
	local label=$1 rc
	shift
	/usr/bin/time -v -o "$dir/time.out" "$@" >"$dir/tv.out" 2>"$dir/tv.err"
	rc=$?
	echo "  $label: $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/time.out") wall," \
		"$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time.out") KiB max RSS, rc $rc"
	return $rc
}
size=$(du -k "$dir/big.conf" | cut -f1)
echo "  policy: $NP prefixes, $NN names (dns and sni), $size KiB"
why=""
tv check timeout 300 "$CHOKECTL" check "$dir/big.conf" || why+="check: $(tail -1 "$dir/tv.err"); "
tv replay timeout 300 "$CHOKEPOINT" --replay "$dir/probe.pcap" --policy "$dir/big.conf" \
	--out "$dir/big-out" --workers 1
rc=$?
if [ $rc = 0 ]; then
	v=$(cut -d'"' -f6 "$dir/big-out/verdicts.jsonl" | tr '\n' ' ')
	[ "$v" = "pass pass drop " ] || why+="replay verdicts: $v; "
elif [ "$(grep -c . "$dir/tv.err")" != 1 ]; then
	why+="replay refused without one clear line: $(tr '\n' '|' <"$dir/tv.err"); "
else
	why+="replay refused: $(cat "$dir/tv.err"); "
fi
check 7a-large-policy-check-and-replay "$why" "$NP prefixes, $NN names"

# The same pushed to the running dataplane through serve: loaded, or refused with one line and
# the running generation kept; the worker forwards throughout.
g0=$(gen)
echo "  dataplane RSS before: $(dp_rss)"
cp "$dir/big.conf" "$dir/policy.conf.new" && mv "$dir/policy.conf.new" "$dir/policy.conf"
why=""
t0=$SECONDS
serve_start || why="serve did not start: $(tail -2 "$dir/serve.err")"
[ -z "$why" ] && ! wait_for 280 grep -qE "synced|refused" "$dir/serve.out" && why="no sync"
if [ -z "$why" ]; then
	g1=$(gen)
	if [ "$g1" = "$((g0 + 1))" ]; then
		echo "  push: loaded, generation $g1, $((SECONDS - t0)) s from serve's start"
	elif [ "$g1" = "$g0" ]; then
		r=$(grep -E "refused|away" "$dir/serve.out" | head -1)
		echo "  push: refused: $r"
		[ -n "$r" ] || why="neither loaded nor refused"
	else
		why="generation $g0 -> $g1"
	fi
fi
[ -z "$why" ] && ! dp_alive && why="the dataplane died"
[ -z "$why" ] && why=$(moving)
echo "  dataplane RSS: $(dp_rss)"
check 7b-large-policy-push "$why"
serve_stop

echo "$SUITE: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
