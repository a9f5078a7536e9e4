#!/usr/bin/env bash
# chokectl trace on a live dataplane (af_packet ports, namespaces), through chokectl serve: a
# client inside pings a server outside (rule "ping" passes it) and tries TCP port 80 (default
# deny drops it). Checks: each filter (--rule, --reason, --verdict) gives only what it names, with
# time, port and 5-tuple; bad filters get one line and exit 2 (names) or 1 (a rule the policy does
# not have); Ctrl-C ends a trace cleanly; the dataplane's trace closes by itself once nobody asks
# (its lease), also after a trace client killed outright, while forwarding never stops; a trace
# whose dataplane goes away ends with one line.
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh
# shellcheck source=tests/live/control_lib.sh
. tests/live/control_lib.sh

CLIENT4=192.0.2.10
SERVER4=192.0.2.100

lt_init live-trace
lt_ns client && lt_ns server || lt_die "namespaces"
lt_veth client eth0 ci "$CLIENT4/24" || lt_die "veth client"
lt_veth server eth0 sv "$SERVER4/24" || lt_die "veth server"
lt_deploy_config "$LT_DIR/dep.conf" ci sv || lt_die "deployment config"
CL_POLICY=$LT_DIR/policy.conf
CL_SOCK=$LT_DIR/cli.sock
cat >"$CL_POLICY" <<CONF
version = 1;
inside = [ "192.0.2.0/28" ];
rules = ( { name = "ping"; action = "pass"; from = "inside"; proto = "icmp"; } );
CONF
lt_cp_start "$LT_DIR/dep.conf" || lt_die "chokepoint did not start: $(tail -3 "$LT_DIR/cp.err")"
cl_serve_start || lt_die "serve did not start: $(cl_tail "$LT_DIR/serve.err")"
dp_status() { timeout 5 "$CHOKECTL" --socket "$LT_DIR/dataplane.sock" status 2>/dev/null; }
trace_open() { [ "$(dp_status | cl_json trace_open)" = "$1" ]; }

trace_open False && lt_pass closed-at-start "no trace open before anyone asks" ||
	lt_fail closed-at-start "status says trace_open $(dp_status | cl_json trace_open)"

# Traffic all along (bounded): pings, and TCP SYNs to port 80 that default deny drops.
lt_bg client ping.log ping -c 150 -i 0.2 -W 1 "$SERVER4"
lt_bg client curl.log bash -c "for i in \$(seq 30); do curl -s --max-time 1 http://$SERVER4/; done"

# check NAME FILE WANT_LINES PYTHON-CONDITION-ON-s: every line of FILE a JSON sample meeting it.
check() {
	local why
	why=$("$LT_PY" - "$2" "$3" "$4" "$CLIENT4" "$SERVER4" "$LT_DIR/dataplane.sock" <<'PY'
import json, re, sys
path, want, cond, client, server, dp = sys.argv[1:]
lines = open(path).read().splitlines()
if len(lines) != int(want):
    sys.exit(print("%d lines, want %s" % (len(lines), want)))
for l in lines:
    s = json.loads(l)
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", s["time"]):
        sys.exit(print("bad time: " + l))
    if s["port"] not in ("inside", "up1") or s["dataplane"] != dp:
        sys.exit(print("bad port or dataplane: " + l))
    if not eval(cond):
        sys.exit(print("not %s: %s" % (cond, l)))
PY
)
	cl_result "$1" "$why" "$3 samples, each $4"
}

cl_ctl trace --count 5 --rule ping >"$LT_DIR/t1.out" 2>"$LT_DIR/t1.err"
rc=$?
[ $rc = 0 ] || lt_fail rule-filter "exit $rc: $(cl_tail "$LT_DIR/t1.err")"
check rule-filter "$LT_DIR/t1.out" 5 \
	's["rule"] == "ping" and s["verdict"] == "pass" and s["proto"] == "icmp" and s["reason"] is None and {s["src"], s["dst"]} == {client, server}'
trace_open True && lt_pass open-while-tracing "status says trace_open true" ||
	lt_fail open-while-tracing "status says trace_open $(dp_status | cl_json trace_open)"

# (The namespaces' own IPv6 chatter, MLD reports, is dropped by default deny too.)
cl_ctl trace --count 6 --reason default-deny >"$LT_DIR/t2.out" 2>"$LT_DIR/t2.err"
check reason-filter "$LT_DIR/t2.out" 6 \
	's["verdict"] == "drop" and s["reason"] == "default-deny" and s["rule"] is None'
syn=$(grep -c "\"proto\": \"tcp\", \"src\": \"$CLIENT4\", \"sport\": [0-9]*, \"dst\": \"$SERVER4\", \"dport\": 80," "$LT_DIR/t2.out")
[ "$syn" -ge 1 ] && lt_pass reason-filter-tuple "$syn of 6 are the client's SYNs to $SERVER4:80" ||
	lt_fail reason-filter-tuple "no SYN from $CLIENT4 to $SERVER4:80 among: $(cl_tail "$LT_DIR/t2.out" 2)"
cl_ctl trace --count 4 --verdict pass >"$LT_DIR/t3.out" 2>"$LT_DIR/t3.err"
check verdict-filter "$LT_DIR/t3.out" 4 's["verdict"] == "pass"'
grep -q "4 decisions shown" "$LT_DIR/t3.err" && [ "$(wc -l <"$LT_DIR/t3.err")" = 1 ] &&
	lt_pass count-summary "$(cat "$LT_DIR/t3.err")" ||
	lt_fail count-summary "stderr: $(cl_tail "$LT_DIR/t3.err")"

# The lease: nobody asks, the trace closes (2 s) and the workers stop sampling.
lt_wait_for 6 trace_open False && lt_pass lease-closes "trace_open false once nobody asks" ||
	lt_fail lease-closes "trace still open 6 s after the last request"

# Bad filters: one line each.
bad() { # NAME WANT_RC PATTERN ARGS...
	local name=$1 want=$2 pat=$3 rc
	shift 3
	cl_ctl trace "$@" >"$LT_DIR/bad.out" 2>"$LT_DIR/bad.err"
	rc=$?
	if [ $rc = "$want" ] && [ "$(wc -l <"$LT_DIR/bad.err")" = 1 ] &&
		grep -q "$pat" "$LT_DIR/bad.err" && [ ! -s "$LT_DIR/bad.out" ]; then
		lt_pass "$name" "exit $rc: $(cat "$LT_DIR/bad.err")"
	else
		lt_fail "$name" "exit $rc, stderr: $(cl_tail "$LT_DIR/bad.err")"
	fi
}
bad bad-verdict 2 'unknown verdict "maybe"' --verdict maybe
bad bad-reason 2 'unknown reason "sunspots"' --reason sunspots
bad bad-count 2 'count' --count 0
bad unknown-rule 1 'no rule "nosuch" in the running policy' --rule nosuch

# Ctrl-C: a trace without --count runs until interrupted, then ends cleanly (exit 0, one line).
"$CHOKECTL" --socket "$CL_SOCK" trace >"$LT_DIR/t4.out" 2>"$LT_DIR/t4.err" &
tpid=$!
LT_PIDS+=("$tpid")
sleep 1.5
kill -INT "$tpid"
lt_wait_for 5 bash -c "! kill -0 $tpid 2>/dev/null"
wait "$tpid"
rc=$?
n=$(wc -l <"$LT_DIR/t4.out")
if [ $rc = 0 ] && [ "$n" -ge 3 ] && [ "$(wc -l <"$LT_DIR/t4.err")" = 1 ]; then
	lt_pass ctrl-c "exit 0 after $n samples: $(cat "$LT_DIR/t4.err")"
else
	lt_fail ctrl-c "exit $rc, $n samples, stderr: $(cl_tail "$LT_DIR/t4.err")"
fi

# A trace client killed outright: nothing is left open for long, forwarding goes on.
"$CHOKECTL" --socket "$CL_SOCK" trace >/dev/null 2>&1 &
tpid=$!
LT_PIDS+=("$tpid")
sleep 1
kill -KILL "$tpid"
wait "$tpid" 2>/dev/null

lt_wait_for 6 trace_open False && lt_pass lease-after-kill "trace closed after its client was killed" ||
	lt_fail lease-after-kill "trace still open after its client was killed"
sleep 1
recv=$(lt_pings_answered ping.log 40)
[ "$recv" -ge 140 ] && lt_pass forwarding-unaffected "$recv of 150 pings answered while traced" ||
	lt_fail forwarding-unaffected "$recv of 150 pings answered"


# The dataplane goes away mid-trace: the trace ends with one line, exit 1.
"$CHOKECTL" --socket "$CL_SOCK" trace >"$LT_DIR/t5.out" 2>"$LT_DIR/t5.err" &
tpid=$!
LT_PIDS+=("$tpid")
sleep 1
lt_cp_stop >/dev/null || lt_fail clean-exit "chokepoint exit status $?"
lt_wait_for 10 bash -c "! kill -0 $tpid 2>/dev/null"
kill -0 "$tpid" 2>/dev/null && kill -TERM "$tpid"
wait "$tpid"
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <"$LT_DIR/t5.err")" = 1 ] && grep -q "ended: " "$LT_DIR/t5.err"; then
	lt_pass dataplane-gone "$(cat "$LT_DIR/t5.err")"
else
	lt_fail dataplane-gone "exit $rc, stderr: $(cl_tail "$LT_DIR/t5.err")"
fi
lt_summary
