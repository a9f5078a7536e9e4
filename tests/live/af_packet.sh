#!/usr/bin/env bash
# Live mode on net_af_packet ports: real TCP, ICMP and ICMPv6 between two network namespaces on
# one L2 segment, with chokepoint in the root namespace as the transparent bump between them.
#
#   client ns (192.0.2.10/24, 2001:db8:1::10/64) eth0 --veth-- [cpci-<pid>] chokepoint inside port
#   server ns (192.0.2.100/24, 2001:db8:1::8000/64) eth0 --veth-- [cpsv-<pid>] chokepoint uplink
#
# Inside is 192.0.2.0/28 and 2001:db8:1::/113, so the client is inside and the server is not.
# Checks: passed web and ping both ways of the flow; a port the policy does not pass; an
# unsolicited connection from outside; a reject rule's RST; the counters printed at exit.
# Needs root and iproute2, curl, iputils-ping, ethtool, python3; skips without namespaces.
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh

CLIENT4=192.0.2.10
SERVER4=192.0.2.100
CLIENT6=2001:db8:1::10
SERVER6=2001:db8:1::8000
MAXT=3 # seconds curl may wait where a drop must show as a timeout

lt_init live-netns

setup() {
	lt_ns client && lt_ns server || return 1
	lt_veth client eth0 ci "$CLIENT4/24" "$CLIENT6/64" || return 1
	lt_veth server eth0 sv "$SERVER4/24" "$SERVER6/64" || return 1
	mkdir -p "$LT_DIR/www" && echo "chokepoint live test" >"$LT_DIR/www/index.html"
	# Servers outside on 80 (passed), 81 (rejected) and 8080 (not passed); one inside on 80 for
	# the unsolicited check. "--bind ::" listens on IPv4 and IPv6 alike.
	local port
	for port in 80 81 8080; do
		lt_bg server "http-$port.log" "$LT_PY" -m http.server "$port" --bind :: \
			--directory "$LT_DIR/www"
	done
	lt_bg client http-client.log "$LT_PY" -m http.server 80 --bind "$CLIENT4" \
		--directory "$LT_DIR/www"
	for port in 80 81 8080; do
		lt_wait_listen server "$port" || return 1
	done
	lt_wait_listen client 80 || return 1
	lt_deploy_config "$LT_DIR/deploy.conf" ci sv
	cat >"$LT_DIR/policy.conf" <<-'CONF'
		version = 1;
		inside = [ "192.0.2.0/28", "2001:db8:1::/113" ];
		rules = (
		  { name = "web";      action = "pass";   from = "inside"; proto = "tcp"; dport = 80; },
		  { name = "ping";     action = "pass";   from = "inside"; proto = "icmp"; },
		  { name = "ping6";    action = "pass";   from = "inside"; proto = "icmp6"; },
		  { name = "reject81"; action = "reject"; from = "inside"; proto = "tcp"; dport = 81; }
		);
		settings = { non_ip = "pass"; };
	CONF
}

# curl from namespace NS; prints "EXIT HTTPCODE SECONDS".
fetch() {
	local out rc
	out=$(lt_exec "$1" curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time "$MAXT" "$2")
	rc=$?
	echo "$rc ${out:-000 ?}"
}

check_pass() {
	local name=pass-web-ping r bad=""
	r=$(fetch client "http://$SERVER4:80/")
	[ "${r% *}" = "0 200" ] || bad="$bad; curl IPv4 port 80 gave exit/code/secs $r"
	r=$(fetch client "http://[$SERVER6]:80/")
	[ "${r% *}" = "0 200" ] || bad="$bad; curl IPv6 port 80 gave exit/code/secs $r"
	lt_exec client ping -q -c 3 -i 0.2 -W 2 "$SERVER4" >"$LT_DIR/ping4.log" 2>&1 ||
		bad="$bad; ping $SERVER4: $(tail -2 "$LT_DIR/ping4.log" | tr '\n' ' ')"
	lt_exec client ping -6 -q -c 3 -i 0.2 -W 2 "$SERVER6" >"$LT_DIR/ping6.log" 2>&1 ||
		bad="$bad; ping -6 $SERVER6: $(tail -2 "$LT_DIR/ping6.log" | tr '\n' ' ')"
	lt_result "$name" "${bad#; }"
}

check_unpassed_port() {
	local name=drop-unpassed-port r
	r=$(fetch client "http://$SERVER4:8080/")
	case "$r" in
	28\ *) lt_pass "$name" "timed out: exit/code/secs $r" ;;
	*) lt_fail "$name" "curl to port 8080 gave exit/code/secs $r, want a timeout (28)" ;;
	esac
}

check_unsolicited() {
	local name=drop-unsolicited-inbound r
	r=$(fetch server "http://$CLIENT4:80/")
	case "$r" in
	28\ *) lt_pass "$name" "timed out: exit/code/secs $r" ;;
	*) lt_fail "$name" "curl from outside gave exit/code/secs $r, want a timeout (28)" ;;
	esac
}

check_reject() {
	local name=reject-rst r secs
	r=$(fetch client "http://$SERVER4:81/")
	secs=${r##* }
	case "$r" in
	7\ * | 56\ *)
		if awk -v s="$secs" 'BEGIN { exit !(s < 1.5) }'; then
			lt_pass "$name" "reset: exit/code/secs $r"
		else
			lt_fail "$name" "reset came late: exit/code/secs $r"
		fi
		;;
	*) lt_fail "$name" "curl to port 81 gave exit/code/secs $r, want a reset (7 or 56)" ;;
	esac
}

check_counters() {
	local name=counters-at-exit bad="" key v
	for key in packets_total.pass packets_total.drop packets_total.reject rule_packets_total.web \
		rule_packets_total.ping rule_packets_total.ping6 rule_packets_total.reject81 \
		drop_reason_total.default-deny; do
		v=$(lt_counter "$key")
		[ "$v" -gt 0 ] 2>/dev/null || bad="$bad $key=$v"
	done
	[ -z "$bad" ] || bad="want > 0:$bad ($(tr -d '\n' <"$LT_DIR/counters.json" | head -c 600))"
	lt_result "$name" "$bad"
}

setup || lt_die "cannot build the topology (namespaces, veths, servers)"
if ! lt_cp_start "$LT_DIR/deploy.conf" "$LT_DIR/policy.conf"; then
	lt_die "chokepoint did not start: $(tail -q -n 5 "$LT_DIR/cp.err" "$LT_DIR/cp.out" | tr '\n' ' ')"
fi
check_pass
check_unpassed_port
check_unsolicited
check_reject
if lt_cp_stop; then
	check_counters
else
	lt_fail counters-at-exit "chokepoint exited with a failure: $(tail -n 5 "$LT_DIR/cp.err" |
		tr '\n' ' ')"
fi
lt_summary
