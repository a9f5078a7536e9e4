#!/usr/bin/env bash
# The end-to-end suite: the whole border in network namespaces (tests/e2e/README.md), chokepoint
# between three client hosts and a server reached over a fiber and a satellite uplink, driven by
# `chokectl serve`, checked with real clients (curl, dig, ping, iperf3).
#
#   run.sh [af_packet|af_xdp|bridge|all]      (default: all)
#
# af_packet, af_xdp: one pass with chokepoint's ports on that PMD: web, HTTPS with SNI, DNS, ping
# per client; the "social" category rejected; a guest's grant given, revoked and lapsed;
# shutoff and restore; failover to satellite when the fiber veth goes down, and back; traffic
# from outside the inside space dropped (and counted by the XDP pre-filter on af_xdp); the
# dataplane killed and restarted, policy and grants restored by serve; iperf3 through it.
# bridge: the same topology with a plain bridge in chokepoint's place; iperf3 only (the baseline).
# all: the three passes, then the iperf3 figures side by side. Throughput is printed, never
# asserted.
#
# Needs root, namespaces and iproute2, curl, iputils-ping, ethtool, python3, openssl, dnsmasq,
# dig, iperf3; prints "SKIP ..." and exits 0 without them. af_xdp also skips, saying why, where the
# kernel has no AF_XDP or DPDK no net_af_xdp driver. LT_KEEP=1 keeps the logs.
# shellcheck disable=SC2119 # cl_serve_start takes optional extra arguments
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

MODE=${1:-all}

if [ "$MODE" = all ]; then
	out=$(mktemp /tmp/cp-e2e.XXXXXX) || exit 1
	trap 'rm -f "$out"' EXIT
	trap 'exit 130' INT TERM
	rc=0
	for m in af_packet af_xdp bridge; do
		# A pass that hangs is stopped; its own trap cleans up on TERM.
		timeout -s TERM 200 bash "$0" "$m" | tee -a "$out"
		r=${PIPESTATUS[0]}
		[ "$r" = 0 ] || {
			echo "e2e-$m: exit status $r"
			rc=1
		}
	done
	if grep -q '^IPERF ' "$out"; then
		echo "e2e: iperf3 client -> server, ${E2E_IPERF_SECS:-5} s each:"
		grep '^IPERF ' "$out" | sed 's/^IPERF /  /'
	fi
	exit $rc
fi

case "$MODE" in
af_packet | af_xdp | bridge) ;;
*)
	echo "usage: $0 [af_packet|af_xdp|bridge|all]" >&2
	exit 2
	;;
esac

# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh
# shellcheck source=tests/live/control_lib.sh
. tests/live/control_lib.sh
# shellcheck source=tests/live/payload_lib.sh
. tests/live/payload_lib.sh
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

lt_init "e2e-$MODE"
[ -x "$CHOKECTL" ] || lt_die "no chokectl binary at $CHOKECTL (build first)"
e2e_tools
if [ "$MODE" = af_xdp ]; then
	why=$(e2e_xdp_probe)
	[ -z "$why" ] || lt_skip "$why"
fi

C3=$E2E_C3
SERVER=$E2E_SERVER
WEB="http://$SERVER:80/"

# The problems "$@" as one line ("" for none).
why_of() { [ $# -eq 0 ] || printf '%s; ' "$@" | sed 's/; $//'; }

# "" when cl_fetch / pl_https result $1 is a 200, else why not.
want_ok() {
	case "$1" in
	"0 200 "*) ;;
	*) echo "curl gave exit/code/secs/... $1, want a 200" ;;
	esac
}

# "" when result $1 is a timeout (the drop), else why not.
want_drop() {
	case "$1" in
	28\ *) ;;
	*) echo "curl gave exit/code/secs/... $1, want a timeout (28)" ;;
	esac
}

# "" when pl_https result $1 is a connection reset, else why not.
want_reset() {
	case "${1%% *}" in
	35 | 56) echo "$1" | grep -qi reset || echo "curl exit ${1%% *} but not a reset: $1" ;;
	*) echo "curl gave exit/code/secs/error $1, want a reset (35 or 56)" ;;
	esac
}

# ping from NS ($1) to $2 with extra options; 0 when answered.
pings() {
	local ns=$1 dst=$2
	shift 2
	lt_exec "$ns" ping -q -c 2 -i 0.2 -W 1 "$@" "$dst" >"$LT_DIR/ping.log" 2>&1
}

cp_line_after() { cl_line_after "$LT_DIR/cp.out" "$@"; }

# Does `chokectl grants` output $1 list host $2?
listed() { grep -Eq "^${2//./\\.}(/32)?[[:space:]]" "$1"; }

# 1. Staff clients: web, HTTPS to an allowed SNI, DNS; ping only for c1 (and IPv6 too).
check_staff() {
	local name=1-staff-web-dns-ping bad=() r
	r=$(cl_fetch c1 "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("c1 http: $(want_ok "$r")")
	r=$(cl_fetch c2 "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("c2 http: $(want_ok "$r")")
	r=$(pl_https c2 allowed.example "$SERVER")
	[ -z "$(want_ok "$r")" ] || bad+=("c2 https allowed.example: $(want_ok "$r")")
	r=$(pl_dig c1 "$SERVER" allowed.example)
	[ "$r" = "0 NOERROR $E2E_ALLOWED_IP" ] ||
		bad+=("c1 dig allowed.example gave exit/status/answers $r")
	pings c1 "$SERVER" || bad+=("c1 ping: $(cl_tail "$LT_DIR/ping.log" 2)")
	pings c1 "$E2E_SERVER6" -6 || bad+=("c1 ping -6: $(cl_tail "$LT_DIR/ping.log" 2)")
	pings c2 "$SERVER" && bad+=("c2 ping answered (no rule passes it)")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 2. The social category: HTTPS SNI and HTTP Host reset, the DNS query rejected before the server.
check_social() {
	local name=2-social-category-rejected bad=() r d
	pl_snap s2a
	r=$(pl_https c1 www.social.example "$SERVER")
	[ -z "$(want_reset "$r")" ] || bad+=("https SNI: $(want_reset "$r")")
	r=$(pl_https c2 social.example "$SERVER" http)
	[ -z "$(want_reset "$r")" ] || bad+=("http Host: $(want_reset "$r")")
	r=$(pl_dig c1 "$SERVER" www.social.example)
	case "$r" in
	0\ *) bad+=("dig www.social.example gave exit/status/answers $r, want no reply") ;;
	esac
	pl_queried www.social.example && bad+=("the social DNS query reached dnsmasq")
	pl_snap s2b
	d=$(pl_delta s2a s2b category_flows_total.social)
	[ "$d" -ge 3 ] 2>/dev/null || bad+=("category_flows_total.social rose by $d, want >= 3")
	d=$(pl_delta s2a s2b injected_total)
	[ "$d" -ge 5 ] 2>/dev/null || bad+=("injected_total rose by $d, want >= 5 (2 RSTs x2, ICMP)")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 3. The guest (c3) reaches the server only while it holds a grant: grant, then revoke.
check_grant_revoke() {
	local name=3-guest-grant-revoke bad=() r
	r=$(cl_fetch c3 "$WEB")
	[ -z "$(want_drop "$r")" ] || bad+=("before the grant: $(want_drop "$r")")
	cl_ctl grant "$C3" --for 1h >"$LT_DIR/grant.log" 2>&1 ||
		bad+=("grant failed: $(cl_tail "$LT_DIR/grant.log")")
	r=$(cl_fetch c3 "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("with the grant: $(want_ok "$r")")
	pings c3 "$SERVER" || bad+=("ping with the grant: $(cl_tail "$LT_DIR/ping.log" 2)")
	cl_ctl grants >"$LT_DIR/grants.txt" 2>&1
	listed "$LT_DIR/grants.txt" "$C3" ||
		bad+=("'chokectl grants' does not list $C3: $(cl_tail "$LT_DIR/grants.txt")")
	cl_ctl revoke "$C3" >"$LT_DIR/revoke.log" 2>&1 ||
		bad+=("revoke failed: $(cl_tail "$LT_DIR/revoke.log")")
	r=$(cl_fetch c3 "$WEB")
	[ -z "$(want_drop "$r")" ] || bad+=("after the revoke: $(want_drop "$r")")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 4. A grant with --renew-every that is not renewed lapses.
check_lapse() {
	local name=4-guest-grant-lapse bad=() r t0 gx
	t0=$(date +%s.%N)
	cl_ctl grant "$C3" --for 1h --renew-every 3s >/dev/null 2>&1 || bad+=("grant failed")
	r=$(cl_fetch c3 "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("at once: $(want_ok "$r")")
	sleep "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { d = a + 5 - b; print (d > 0 ? d : 0) }')"
	r=$(cl_fetch c3 "$WEB")
	[ -z "$(want_drop "$r")" ] || bad+=("5 s later, not renewed: $(want_drop "$r")")
	gx=$(cl_stat drop_reason_total.grant-expired)
	[ "$gx" -gt 0 ] 2>/dev/null || bad+=("drop_reason_total.grant-expired is $gx, want > 0")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 5. shutoff drops everything until restore.
check_shutoff() {
	local name=5-shutoff-restore bad=() r n
	cl_ctl shutoff >/dev/null 2>&1 || bad+=("shutoff failed")
	r=$(cl_fetch c1 "$WEB")
	[ -z "$(want_drop "$r")" ] || bad+=("c1 during the shutoff: $(want_drop "$r")")
	pings c1 "$SERVER" && bad+=("c1 ping answered during the shutoff")
	n=$(cl_stat drop_reason_total.shutoff)
	[ "$n" -gt 0 ] 2>/dev/null || bad+=("drop_reason_total.shutoff is $n, want > 0")
	cl_ctl restore >/dev/null 2>&1 || bad+=("restore failed")
	r=$(cl_fetch c1 "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("c1 after the restore: $(want_ok "$r")")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 6. The fiber veth goes down (its end in "fib"): traffic leaves by satellite; then back.
check_failover() {
	local name=6-failover-satellite bad=() mark r d
	mark=$(cl_mark "$LT_DIR/cp.out")
	lt_exec fib ip link set up0 down
	lt_wait_for 3 cp_line_after "$mark" "active uplink now satellite" ||
		bad+=("no 'active uplink now satellite' within 3 s of the fiber veth going down")
	[ "$(cl_stat uplink_active.satellite)" = 1 ] && [ "$(cl_stat uplink_active.fiber)" = 0 ] ||
		bad+=("uplink_active with fiber down: $(cl_stat uplink_active)")
	pl_snap s6a
	r=$(cl_fetch c1 "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("c1 http via satellite: $(want_ok "$r")")
	r=$(pl_dig c2 "$SERVER" allowed.example)
	[ "$r" = "0 NOERROR $E2E_ALLOWED_IP" ] || bad+=("c2 dig via satellite gave $r")
	pl_snap s6b
	d=$(pl_delta s6a s6b port_packets_total.satellite.tx)
	[ "$d" -ge 3 ] 2>/dev/null || bad+=("satellite tx rose by $d, want >= 3")
	d=$(pl_delta s6a s6b port_packets_total.fiber.tx)
	[ "$d" = 0 ] || bad+=("fiber tx rose by $d while down")
	mark=$(cl_mark "$LT_DIR/cp.out")
	lt_exec fib ip link set up0 up
	lt_wait_for 5 cp_line_after "$mark" "active uplink now fiber" ||
		bad+=("no 'active uplink now fiber' within 5 s of the fiber veth coming back")
	pl_snap s6c
	r=$(cl_fetch c1 "$WEB")
	[ -z "$(want_ok "$r")" ] || bad+=("c1 http via fiber again: $(want_ok "$r")")
	pl_snap s6d
	d=$(pl_delta s6c s6d port_packets_total.fiber.tx)
	[ "$d" -ge 3 ] 2>/dev/null || bad+=("fiber tx rose by $d after it came back, want >= 3")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 7. Out-of-space traffic (neither end inside: c1's stray address to the server) never crosses;
# on af_xdp the XDP pre-filter drops it in the kernel and counts it.
check_out_of_space() {
	local name=7-out-of-space-dropped bad=() e0 e1 x0 x1 n=20
	e0=$(e2e_snmp out Icmp InEchos)
	pl_snap s7a
	lt_exec c1 ping -q -c $n -i 0.02 -W 1 -I "$E2E_STRAY" "$SERVER" >"$LT_DIR/stray.log" 2>&1 &&
		bad+=("ping from $E2E_STRAY was answered")
	pl_snap s7b
	e1=$(e2e_snmp out Icmp InEchos)
	[ "$e1" = "$e0" ] || bad+=("the server got $((e1 - e0)) echo requests from $E2E_STRAY")
	lt_result "$name" "$(why_of "${bad[@]}")"
	name=7b-xdp-drop-counter
	if [ "$MODE" != af_xdp ]; then
		return
	fi
	x0=$(e2e_xdp_drops s7a)
	x1=$(e2e_xdp_drops s7b)
	if [ "$x0" = none ] || [ "$x1" = none ]; then
		e2e_skip "$name" "'chokectl stats --json' has no XDP drop counter yet (the XDP pre-filter is not in this build)"
	elif [ $((x1 - x0)) -ge $n ]; then
		lt_pass "$name" "xdp drops $x0 -> $x1"
	else
		lt_fail "$name" "xdp drop counters rose by $((x1 - x0)) ($x0 -> $x1), want >= $n"
	fi
}

# 8. The dataplane killed (-9) and started again with no policy: serve pushes policy and grants
# back; the granted guest passes without a new grant, the category is enforced again.
check_dataplane_restart() {
	local name=8-dataplane-restart-resync bad=() mark r g
	cl_ctl grant "$C3" --for 1h >/dev/null 2>&1 || bad+=("grant failed")
	kill -KILL "$LT_CP_PID" 2>/dev/null
	wait "$LT_CP_PID" 2>/dev/null
	LT_CP_PID=""
	mark=$(cl_mark "$LT_DIR/serve.out")
	lt_cp_start "$LT_DIR/deploy.conf" ||
		lt_die "chokepoint did not start again: $(cl_tail "$LT_DIR/cp.err") $(cl_tail \
			"$LT_DIR/cp.out")"
	if cl_wait_line "$LT_DIR/serve.out" "$mark" 5 "dataplane .* synced"; then
		# The reject first: its RSTs are the first frames the new dataplane makes itself.
		r=$(pl_https c1 www.social.example "$SERVER")
		[ -z "$(want_reset "$r")" ] || bad+=("social SNI after the resync: $(want_reset "$r")")
		r=$(cl_fetch c3 "$WEB")
		[ -z "$(want_ok "$r")" ] || bad+=("granted c3 after the resync: $(want_ok "$r")")
		g=$(cl_stat grants_active)
		[ "$g" -ge 1 ] 2>/dev/null || bad+=("grants_active is $g after the resync")
		r=$(cl_fetch c2 "$WEB")
		[ -z "$(want_ok "$r")" ] || bad+=("c2 http after the resync: $(want_ok "$r")")
	else
		bad+=("no 'dataplane ... synced' within 5 s: $(cl_tail "$LT_DIR/serve.out" 3)")
	fi
	cl_ctl revoke "$C3" >/dev/null 2>&1
	[ ${#bad[@]} = 0 ] || [ "$MODE" != af_xdp ] ||
		bad+=("restarted dataplane said: $(grep -h -e 'XDP pre-filter' -e 'already attached' \
			"$LT_DIR/cp.out" "$LT_DIR/cp.err" | sort -u | head -n 4 | tr '\n' ' ')")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 9. iperf3 from c1 to the server (completes; its figure is printed, never judged).
check_iperf() {
	local name=$1 line
	line=$(e2e_iperf c1 "$MODE")
	local rc=$?
	echo "$line"
	if [ "$rc" = 0 ]; then
		lt_pass "$name" "${line#IPERF "$MODE": }"
	else
		lt_fail "$name" "$line"
	fi
}

e2e_topology || lt_die "cannot build the topology (namespaces, veths, bridges)"
e2e_servers || lt_die "cannot start the servers: $(cl_tail "$LT_DIR/dnsmasq.log" 2) $(cl_tail \
	"$LT_DIR/s_server.log" 2) $(cl_tail "$LT_DIR/iperf3-server.log" 2)"

if [ "$MODE" = bridge ]; then
	e2e_root_bridge || lt_die "cannot bridge $(lt_ifname in) and $(lt_ifname fb)"
	lt_wait_for 5 pings c1 "$SERVER" ||
		lt_die "no ping over the plain bridge: $(cl_tail "$LT_DIR/ping.log" 2)"
	check_iperf 1-iperf3-plain-bridge
	e2e_summary
	exit
fi

e2e_deploy_config "$LT_DIR/deploy.conf" "$MODE"
CL_POLICY=$LT_DIR/policy.conf
CL_SOCK=$LT_DIR/ctl.sock
e2e_policy "$CL_POLICY" || lt_die "the policy template left a placeholder: $CL_POLICY"
"$CHOKECTL" check "$CL_POLICY" >"$LT_DIR/check.log" 2>&1 ||
	lt_die "chokectl check refuses the policy: $(cl_tail "$LT_DIR/check.log")"
lt_cp_start "$LT_DIR/deploy.conf" ||
	lt_die "chokepoint did not start: $(cl_tail "$LT_DIR/cp.err") $(cl_tail "$LT_DIR/cp.out")"
cl_serve_start || lt_die "chokectl serve did not start: $(cl_tail "$LT_DIR/serve.err")"
cl_wait_line "$LT_DIR/serve.out" 0 5 "dataplane .* synced" ||
	lt_die "serve did not sync the dataplane: $(cl_tail "$LT_DIR/serve.out")"
[ "$(cl_stat uplink_active.fiber)" = 1 ] ||
	lt_die "fiber is not the active uplink: $(cl_stat uplink_active)"
# The path works (and ARP is resolved) before the checks.
lt_wait_for 5 pings c1 "$SERVER" ||
	lt_die "no ping through chokepoint: $(cl_tail "$LT_DIR/ping.log" 2)"

check_staff
check_social
check_grant_revoke
check_lapse
check_shutoff
check_failover
check_out_of_space
check_dataplane_restart
check_iperf 9-iperf3
e2e_summary
