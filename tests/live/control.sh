#!/usr/bin/env bash
# Live test of the control plane: chokepoint on af_packet ports between namespaces, driven by
# `chokectl serve` and the CLI. Grants (give, revoke, lapse, renew), policy reloads applying to an
# open connection (SIGHUP, inotify), a bad edit refused, shutoff/restore, a restart of either
# process losing nothing, and uplink failover and forcing.
#
#   client ns    (192.0.2.10/24)  eth0 --veth-- [cpci-<pid>] chokepoint port inside
#   fiber ns     (192.0.2.100/24) eth0 --veth-- [cpfb-<pid>] chokepoint uplink fiber (preferred)
#   satellite ns (192.0.2.100/24) eth0 --veth-- [cpst-<pid>] chokepoint uplink satellite
#
# Both outside namespaces carry the same address and MAC (the bump is L2): which one answers
# shows which uplink carried the traffic (the web servers answer with their namespace's name).
# Inside is 192.0.2.0/28. Needs root and iproute2, curl, ethtool, python3; skips without
# namespaces. LT_KEEP=1 keeps the logs.
# shellcheck disable=SC2119 # cl_serve_start takes optional extra arguments
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh
# shellcheck source=tests/live/control_lib.sh
. tests/live/control_lib.sh

CLIENT=192.0.2.10
SERVER=192.0.2.100
SERVER_MAC=02:00:00:00:02:64
WEB="http://$SERVER:80/"   # passed only with a grant
OPEN="http://$SERVER:8080/" # always passed

lt_init live-control
[ -x "$CHOKECTL" ] || lt_die "no chokectl binary at $CHOKECTL (build first)"

# The policy with the "chat" rule passing TCP port $1.
policy_text() {
	cat <<-CONF
		version = 1;
		inside = [ "192.0.2.0/28" ];
		rules = (
		  { name = "web";  action = "pass"; from = "inside"; proto = "tcp"; dport = 80;
		    grant = true; },
		  { name = "open"; action = "pass"; from = "inside"; proto = "tcp"; dport = 8080; },
		  { name = "chat"; action = "pass"; from = "inside"; proto = "tcp"; dport = $1; }
		);
	CONF
}

deploy_config() {
	{
		echo "ports = ("
		lt_port_line inside inside 0 ci ""
		lt_port_line fiber uplink 1 fb $',\n'
		lt_port_line satellite uplink 2 st $',\n'
		printf '\n);\nworkers = 1;\nflows = 4096;\n'
		echo "control_socket = \"$LT_DIR/dataplane.sock\";"
	} >"$1"
}

setup() {
	lt_ns client && lt_ns fiber && lt_ns satellite || return 1
	lt_veth client eth0 ci "$CLIENT/24" || return 1
	lt_veth fiber eth0 fb "$SERVER/24" || return 1
	lt_veth satellite eth0 st "$SERVER/24" || return 1
	lt_exec fiber ip link set eth0 address "$SERVER_MAC" || return 1
	lt_exec satellite ip link set eth0 address "$SERVER_MAC" || return 1
	cl_tools
	cl_servers fiber fiber && cl_servers satellite satellite || return 1
	deploy_config "$LT_DIR/deploy.conf"
	# The policy path is a symlink into another directory: serve watches the link's directory,
	# so an edit of the target is seen only on SIGHUP (check 3a); replacing the link (3b) is an
	# edit the watch sees.
	mkdir -p "$LT_DIR/etc" "$LT_DIR/src" || return 1
	policy_text 9000 >"$LT_DIR/src/policy.conf"
	ln -s "$LT_DIR/src/policy.conf" "$LT_DIR/etc/policy.conf"
	CL_POLICY=$LT_DIR/etc/policy.conf
	CL_SOCK=$LT_DIR/ctl.sock
}

# Seconds since $1 (a `date +%s.%N`), and sleeping until $1 + $2.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
sleep_until() {
	local left
	left=$(awk -v a="$1" -v d="$2" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", a + d - b }')
	awk -v l="$left" 'BEGIN { exit !(l > 0) }' && sleep "$left"
}

# "" when cl_fetch result $1 is a 200 (with body $2 when given), else why not.
want_ok() {
	local r=$1 body=${2:-}
	case "$r" in
	"0 200 "*)
		[ -z "$body" ] || [ "${r##* }" = "$body" ] || echo "answered by ${r##* }, not $body"
		;;
	*) echo "curl gave exit/code/secs/body $r, want a 200" ;;
	esac
}

# "" when cl_fetch result $1 is a timeout (the drop), else why not.
want_drop() {
	case "$1" in
	28\ *) ;;
	*) echo "curl gave exit/code/secs/body $1, want a timeout (28)" ;;
	esac
}

# Wait for new replies on a chat log: "" when it got at least $2 more within $3 s.
chat_flows() {
	local log=$1 want=$2 secs=$3 c0
	c0=$(cl_replies "$log")
	lt_wait_for "$secs" chat_more "$log" $((c0 + want)) ||
		echo "no replies: $c0 then $(cl_replies "$log")"
}
chat_more() { [ "$(cl_replies "$1")" -ge "$2" ]; }

# "" when chat log $1 got no reply in 1.2 s after a 0.4 s grace (packets in flight).
chat_stopped() {
	local c1 c2
	sleep 0.4
	c1=$(cl_replies "$1")
	sleep 1.2
	c2=$(cl_replies "$1")
	[ "$c1" = "$c2" ] || echo "replies went on: $c1 then $c2"
}

# The problems "$@" as one line ("" for none).
why_of() { [ $# -eq 0 ] || printf '%s; ' "$@" | sed 's/; $//'; }

# Does `chokectl grants` output $1 list the client (a host grant: with or without "/32")?
listed() { grep -Eq "^${CLIENT//./\\.}(/32)?[[:space:]]" "$1"; }

cp_line_after() { cl_line_after "$LT_DIR/cp.out" "$@"; }

# 1. A grant = true rule passes only while the client holds a grant.
check_grant() {
	local name=1-grant-revoke bad=() r
	r=$(cl_fetch client "$WEB")
	[ -z "$(want_drop "$r")" ] || bad+=("before the grant: $(want_drop "$r")")
	cl_ctl grant "$CLIENT" --for 1h >"$LT_DIR/grant.log" 2>&1 ||
		bad+=("grant failed: $(tr '\n' ' ' <"$LT_DIR/grant.log")")
	r=$(cl_fetch client "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("with the grant: $(want_ok "$r")")
	cl_ctl grants >"$LT_DIR/grants.txt" 2>&1
	listed "$LT_DIR/grants.txt" ||
		bad+=("'chokectl grants' with the grant: $(tr '\n' '|' <"$LT_DIR/grants.txt")")
	cl_ctl revoke "$CLIENT" >"$LT_DIR/revoke.log" 2>&1 ||
		bad+=("revoke failed: $(tr '\n' ' ' <"$LT_DIR/revoke.log")")
	r=$(cl_fetch client "$WEB")
	[ -z "$(want_drop "$r")" ] || bad+=("after revoke: $(want_drop "$r")")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 2. --renew-every: lapses without renew, lives on with one.
check_lapse() {
	local name=2a-grant-lapse bad=() r t0 gx
	t0=$(date +%s.%N)
	cl_ctl grant "$CLIENT" --for 1h --renew-every 3s >/dev/null 2>&1 || bad+=("grant failed")
	r=$(cl_fetch client "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("at once ($(since "$t0") s): $(want_ok "$r")")
	sleep_until "$t0" 5
	r=$(cl_fetch client "$WEB")
	[ -z "$(want_drop "$r")" ] || bad+=("at 5 s with no renew: $(want_drop "$r")")
	gx=$(cl_stat drop_reason_total.grant-expired)
	[ "$gx" -gt 0 ] 2>/dev/null || bad+=("drop_reason_total.grant-expired is $gx, want > 0")
	lt_result "$name" "$(why_of "${bad[@]}")"

	name=2b-grant-renew
	bad=()
	t0=$(date +%s.%N)
	cl_ctl grant "$CLIENT" --for 1h --renew-every 3s >/dev/null 2>&1 || bad+=("grant failed")
	sleep_until "$t0" 2
	cl_ctl renew "$CLIENT" >"$LT_DIR/renew.log" 2>&1 ||
		bad+=("renew failed: $(tr '\n' ' ' <"$LT_DIR/renew.log")")
	sleep_until "$t0" 4
	r=$(cl_fetch client "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("at 4 s, renewed at 2 s: $(want_ok "$r")")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 3. A reload applies to an open connection at its next packet: SIGHUP, then the inotify watch.
check_policy_edit() {
	local name=3a-policy-sighup bad=() mark why
	cl_chat_start client "$SERVER" 9000 chat-a.log
	why=$(chat_flows chat-a.log 3 3)
	[ -z "$why" ] || bad+=("chat on 9000 before the edit: $why")
	mark=$(cl_mark "$LT_DIR/serve.out")
	policy_text 9001 >"$LT_DIR/src/policy.conf" # the link's target: no inotify event
	sleep 0.5
	why=$(chat_flows chat-a.log 1 1)
	[ -z "$why" ] || bad+=("chat stopped before SIGHUP: $why")
	kill -HUP "$CL_SERVE_PID"
	cl_wait_line "$LT_DIR/serve.out" "$mark" 3 "SIGHUP: policy .* reloaded" ||
		bad+=("no 'SIGHUP: ... reloaded' line: $(cl_tail "$LT_DIR/serve.out" 0 "$mark")")
	why=$(chat_stopped chat-a.log)
	[ -z "$why" ] || bad+=("open connection after the reload: $why")
	lt_stop_pid "$CL_CHAT_PID"
	lt_result "$name" "$(why_of "${bad[@]}")"

	name=3b-policy-inotify
	bad=()
	# An editor's save: a new file renamed over the path (the link goes, a file takes its
	# place).
	mark=$(cl_mark "$LT_DIR/serve.out")
	policy_text 9000 >"$LT_DIR/etc/.policy.conf.new"
	mv -f "$LT_DIR/etc/.policy.conf.new" "$CL_POLICY"
	cl_wait_line "$LT_DIR/serve.out" "$mark" 3 "^chokectl serve: policy .* reloaded" ||
		bad+=("no reload after a rename over the policy")
	cl_chat_start client "$SERVER" 9000 chat-b.log
	why=$(chat_flows chat-b.log 3 3)
	[ -z "$why" ] || bad+=("chat on 9000 after the rename: $why")
	# An edit in place.
	mark=$(cl_mark "$LT_DIR/serve.out")
	policy_text 9001 >"$CL_POLICY"
	cl_wait_line "$LT_DIR/serve.out" "$mark" 3 "^chokectl serve: policy .* reloaded" ||
		bad+=("no reload after an edit in place")
	why=$(chat_stopped chat-b.log)
	[ -z "$why" ] || bad+=("open connection after the in-place edit: $why")
	lt_stop_pid "$CL_CHAT_PID"
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# Rewrite the policy in place with chat on $1 and wait for the reload; 0 when it came.
reload_with() {
	local mark
	mark=$(cl_mark "$LT_DIR/serve.out")
	policy_text "$1" >"$CL_POLICY"
	cl_wait_line "$LT_DIR/serve.out" "$mark" 3 "^chokectl serve: policy .* reloaded"
}

# 4. A policy that fails check is refused and the running one kept.
check_bad_edit() {
	local name=4-bad-edit-refused bad=() mark gen0 rev0 gen rev r
	reload_with 9000 || bad+=("the good policy was not reloaded first")
	gen0=$(cl_stat policy_generation)
	rev0=$(cl_ctl status | cl_json revision)
	mark=$(cl_mark "$LT_DIR/serve.out")
	printf 'version = 1;\ninside = [ "192.0.2.0/28" ];\nrules = ( { action = "pass" \n' \
		>"$CL_POLICY"
	cl_wait_line "$LT_DIR/serve.out" "$mark" 3 "refused, the running one is kept" ||
		bad+=("no refusal line: $(cl_tail "$LT_DIR/serve.out" 0 "$mark")")
	sleep 0.2
	gen=$(cl_stat policy_generation)
	rev=$(cl_ctl status | cl_json revision)
	[ "$gen" = "$gen0" ] && [ "$gen0" != 0 ] ||
		bad+=("policy_generation $gen0 before, $gen after the refused edit")
	[ "$rev" = "$rev0" ] || bad+=("status revision $rev0 before, $rev after the refused edit")
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_ok "$r")" ] || bad+=("port 8080 after the refused edit: $(want_ok "$r")")
	cl_chat_start client "$SERVER" 9000 chat-c.log
	r=$(chat_flows chat-c.log 2 3)
	[ -z "$r" ] || bad+=("chat on 9000 after the refused edit: $r")
	lt_stop_pid "$CL_CHAT_PID"
	reload_with 9000 || bad+=("the good policy was not reloaded after the bad one")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 5. shutoff drops everything (reason shutoff) until restore.
check_shutoff() {
	local name=5-shutoff-restore bad=() r n
	cl_ctl shutoff >/dev/null 2>&1 || bad+=("shutoff failed")
	[ "$(cl_ctl status | cl_json shutoff)" = True ] || bad+=("status does not say shutoff")
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_drop "$r")" ] || bad+=("during shutoff: $(want_drop "$r")")
	n=$(cl_stat drop_reason_total.shutoff)
	[ "$n" -gt 0 ] 2>/dev/null || bad+=("drop_reason_total.shutoff is $n, want > 0")
	cl_ctl restore >/dev/null 2>&1 || bad+=("restore failed")
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_ok "$r")" ] || bad+=("after restore: $(want_ok "$r")")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 6. A restart of chokectl serve keeps the grants (--state) and syncs them back.
check_serve_restart() {
	local name=6-serve-restart-keeps-grants bad=() mark r
	cl_ctl grant "$CLIENT" --for 1h >/dev/null 2>&1 || bad+=("grant failed")
	cl_serve_stop
	mark=$(cl_mark "$LT_DIR/serve.out")
	if ! cl_serve_start; then
		lt_fail "$name" "serve did not start again: $(cl_tail "$LT_DIR/serve.err")"
		return
	fi
	cl_wait_line "$LT_DIR/serve.out" "$mark" 5 "synced" ||
		bad+=("no 'synced' line after the restart")
	cl_ctl grants >"$LT_DIR/grants.txt" 2>&1
	listed "$LT_DIR/grants.txt" ||
		bad+=("'chokectl grants' after the restart: $(tr '\n' '|' <"$LT_DIR/grants.txt")")
	r=$(cl_fetch client "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("granted client after the restart: $(want_ok "$r")")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 7. A dataplane that restarts with no policy gets policy and grants back from serve.
check_dataplane_restart() {
	local name=7-dataplane-restart-resync bad=() mark t0 r g dt=""
	kill -KILL "$LT_CP_PID" 2>/dev/null
	wait "$LT_CP_PID" 2>/dev/null
	LT_CP_PID=""
	mark=$(cl_mark "$LT_DIR/serve.out")
	if ! lt_cp_start "$LT_DIR/deploy.conf"; then
		lt_die "chokepoint did not start again: $(cl_tail "$LT_DIR/cp.err")"
	fi
	t0=$(date +%s.%N)
	if cl_wait_line "$LT_DIR/serve.out" "$mark" 5 "dataplane .* synced"; then
		dt=$(since "$t0")
		r=$(cl_fetch client "$WEB")
		[ -z "$(want_ok "$r")" ] ||
			bad+=("granted client after the resync: $(want_ok "$r")")
		g=$(cl_stat grants_active)
		[ "$g" -ge 1 ] 2>/dev/null || bad+=("grants_active is $g after the resync")
	else
		bad+=("no 'dataplane ... synced' line within 5 s of the restart")
	fi
	cl_result "$name" "$(why_of "${bad[@]}")" "synced $dt s after chokepoint was running"
}

# 8a. The fiber link goes down: outbound traffic moves to satellite at once, and comes back.
check_failover() {
	local name=8a-uplink-failover bad=() mark t0 r up dt=""
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_ok "$r" fiber)" ] || bad+=("before: $(want_ok "$r" fiber)")
	mark=$(cl_mark "$LT_DIR/cp.out")
	t0=$(date +%s.%N)
	ip link set "$(lt_ifname fb)" down
	if lt_wait_for 2 cp_line_after "$mark" "active uplink now satellite"; then
		dt=$(since "$t0")
		awk -v s="$dt" 'BEGIN { exit !(s < 1.0) }' ||
			bad+=("'active uplink now satellite' came $dt s after the link went down")
	else
		bad+=("no 'active uplink now satellite' within 2 s of fiber going down")
	fi
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_ok "$r" satellite)" ] || bad+=("fiber down: $(want_ok "$r" satellite)")
	up=$(cl_stat uplink_active)
	[ "$(echo "$up" | cl_json satellite)" = 1 ] && [ "$(echo "$up" | cl_json fiber)" = 0 ] ||
		bad+=("uplink_active with fiber down: $up")
	mark=$(cl_mark "$LT_DIR/cp.out")
	ip link set "$(lt_ifname fb)" up
	lt_wait_for 3 cp_line_after "$mark" "active uplink now fiber" ||
		bad+=("no 'active uplink now fiber' within 3 s of fiber coming back")
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_ok "$r" fiber)" ] || bad+=("fiber back: $(want_ok "$r" fiber)")
	cl_result "$name" "$(why_of "${bad[@]}")" "satellite within $dt s"
}

# 8b. `chokectl uplink satellite` forces it with fiber up; `uplink auto` releases it.
check_force() {
	local name=8b-uplink-force bad=() mark r n0 n
	n0=$(cl_stat uplink_changes_total)
	mark=$(cl_mark "$LT_DIR/cp.out")
	cl_ctl uplink satellite >"$LT_DIR/uplink.log" 2>&1 ||
		bad+=("uplink satellite failed: $(tr '\n' ' ' <"$LT_DIR/uplink.log")")
	lt_wait_for 2 cp_line_after "$mark" "active uplink now satellite" ||
		bad+=("no 'active uplink now satellite' after forcing it")
	[ "$(cl_ctl status | cl_json uplink_forced)" = satellite ] ||
		bad+=("status uplink_forced is not satellite")
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_ok "$r" satellite)" ] || bad+=("forced satellite: $(want_ok "$r" satellite)")
	[ "$(cl_stat uplink_active.satellite)" = 1 ] || bad+=("uplink_active.satellite is not 1")
	cl_ctl uplink nowhere >/dev/null 2>&1 &&
		bad+=("'uplink nowhere' (no such uplink) succeeded")
	mark=$(cl_mark "$LT_DIR/cp.out")
	cl_ctl uplink auto >/dev/null 2>&1 || bad+=("uplink auto failed")
	lt_wait_for 2 cp_line_after "$mark" "active uplink now fiber" ||
		bad+=("no 'active uplink now fiber' after 'uplink auto'")
	r=$(cl_fetch client "$OPEN")
	[ -z "$(want_ok "$r" fiber)" ] || bad+=("after auto: $(want_ok "$r" fiber)")
	n=$(cl_stat uplink_changes_total)
	[ "$n" -ge $((n0 + 2)) ] 2>/dev/null || bad+=("uplink_changes_total $n0 then $n, want +2")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

setup || lt_die "cannot build the topology (namespaces, veths, servers)"
lt_cp_start "$LT_DIR/deploy.conf" ||
	lt_die "chokepoint did not start: $(cl_tail "$LT_DIR/cp.err") $(cl_tail "$LT_DIR/cp.out")"
cl_serve_start || lt_die "chokectl serve did not start: $(cl_tail "$LT_DIR/serve.err")"
cl_wait_line "$LT_DIR/serve.out" 0 5 "dataplane .* synced" ||
	lt_die "serve did not sync the dataplane: $(tr '\n' ' ' <"$LT_DIR/serve.out")"
r=$(cl_fetch client "$OPEN")
[ -z "$(want_ok "$r" fiber)" ] || lt_die "port 8080 through fiber: $(want_ok "$r" fiber)"

check_grant
check_lapse
check_policy_edit
check_bad_edit
check_shutoff
check_serve_restart
check_dataplane_restart
check_force
check_failover
lt_summary
