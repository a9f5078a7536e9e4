#!/usr/bin/env bash
# Live test of payload categories: chokepoint on af_packet ports between namespaces, its policy
# pushed by `chokectl serve`. A category "social" (sni, host and dns: social.example) is rejected
# from inside; HTTPS, HTTP and DNS are passed otherwise. Real clients (curl, dig) against real
# servers (openssl s_server, dnsmasq, python's http.server):
#
#   client ns (192.0.2.10/24)  eth0 --veth-- [cpci-<pid>] chokepoint port inside
#   server ns (192.0.2.100/24) eth0 --veth-- [cpsv-<pid>] chokepoint uplink "up1"
#
# Checks: HTTPS to an allowed SNI succeeds and one to a social SNI is reset (RSTs injected,
# category counted); the same for the HTTP Host; a DNS query for an allowed name is answered and
# one for a social name is rejected with an ICMP administratively-prohibited that reaches the
# client, and never reaches the server. Inside is 192.0.2.0/28. Needs root and iproute2, curl,
# ethtool, python3, openssl, dnsmasq, dig; skips without namespaces. LT_KEEP=1 keeps the logs.
# shellcheck disable=SC2119 # cl_serve_start takes optional extra arguments
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh
# shellcheck source=tests/live/control_lib.sh
. tests/live/control_lib.sh
# shellcheck source=tests/live/payload_lib.sh
. tests/live/payload_lib.sh

CLIENT=192.0.2.10
SERVER=192.0.2.100
SOCIAL_IP=203.0.113.66  # what dnsmasq answers for social.example (must never reach the client)
ALLOWED_IP=203.0.113.77 # what it answers for allowed.example

lt_init live-payload
[ -x "$CHOKECTL" ] || lt_die "no chokectl binary at $CHOKECTL (build first)"
pl_tools

policy_text() {
	cat <<-'CONF'
		version = 1;
		inside = [ "192.0.2.0/28" ];
		categories = (
		  { name = "social"; sni = [ "social.example" ]; host = [ "social.example" ];
		    dns = [ "social.example" ]; }
		);
		rules = (
		  { name = "no-social"; action = "reject"; from = "inside"; category = "social"; },
		  { name = "web";  action = "pass"; from = "inside"; proto = "tcp"; dport = [ 443, 80 ]; },
		  { name = "dns";  action = "pass"; from = "inside"; proto = "udp"; dport = 53; },
		  { name = "ping"; action = "pass"; from = "inside"; proto = "icmp"; }
		);
		settings = { non_ip = "pass"; };
	CONF
}

setup() {
	lt_ns client && lt_ns server || return 1
	lt_veth client eth0 ci "$CLIENT/24" || return 1
	lt_veth server eth0 sv "$SERVER/24" || return 1
	pl_tls_server server allowed.example || return 1
	pl_dns_server server "$SERVER" "social.example=$SOCIAL_IP" \
		"allowed.example=$ALLOWED_IP" || return 1
	cl_tools
	cl_servers server plain || return 1
	lt_deploy_config "$LT_DIR/deploy.conf" ci sv
	policy_text >"$LT_DIR/policy.conf"
	CL_POLICY=$LT_DIR/policy.conf
	CL_SOCK=$LT_DIR/ctl.sock
}

# The problems "$@" as one line ("" for none).
why_of() { [ $# -eq 0 ] || printf '%s; ' "$@" | sed 's/; $//'; }

# report CHECK SNAP1 SNAP2 DETAIL PROBLEM...: PASS with DETAIL when there is no PROBLEM, else FAIL
# with the problems; both with the counters' rises between the snapshots.
report() {
	local name=$1 a=$2 b=$3 detail=$4
	shift 4
	detail="$detail; $(counters_seen "$a" "$b")"
	if [ $# -eq 0 ]; then
		lt_pass "$name" "$detail"
	else
		lt_fail "$name" "$(why_of "$@") [$detail]"
	fi
}

# Is $1 (a number) below $2?
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

# The counters a check looks at, from snapshot $1 to $2, on one line.
counters_seen() {
	local k out=""
	for k in category_flows_total.social category_matches_total.social \
		rule_packets_total.no-social packets_total.reject injected_total \
		extract_total.sni.parsed extract_total.host.parsed extract_total.dns.parsed \
		drop_reason_total.out-of-order drop_reason_total.inspect-busy; do
		out="$out $k+$(pl_delta "$1" "$2" "$k")"
	done
	echo "counters:$out"
}

# Problems with the counters of a flow that must have been inspected (extractor $3 found its
# protocol) and passed untouched (snapshots $1, $2).
untouched() {
	local d
	d=$(pl_delta "$1" "$2" "extract_total.$3.parsed")
	[ "$d" -ge 1 ] 2>/dev/null || echo "extract_total.$3.parsed rose by $d, want >= 1"
	d=$(pl_delta "$1" "$2" category_flows_total.social)
	[ "$d" = 0 ] || echo "category_flows_total.social rose by $d"
	d=$(pl_delta "$1" "$2" injected_total)
	[ "$d" = 0 ] || echo "injected_total rose by $d"
	d=$(pl_delta "$1" "$2" packets_total.reject)
	[ "$d" = 0 ] || echo "packets_total.reject rose by $d"
}

# Problems with the counters of a flow that the category rule must have rejected, with at least
# $3 frames injected (snapshots $1, $2).
rejected() {
	local d
	d=$(pl_delta "$1" "$2" category_flows_total.social)
	[ "$d" -ge 1 ] 2>/dev/null || echo "category_flows_total.social rose by $d, want >= 1"
	d=$(pl_delta "$1" "$2" rule_packets_total.no-social)
	[ "$d" -ge 1 ] 2>/dev/null || echo "rule_packets_total.no-social rose by $d, want >= 1"
	d=$(pl_delta "$1" "$2" packets_total.reject)
	[ "$d" -ge 1 ] 2>/dev/null || echo "packets_total.reject rose by $d, want >= 1"
	d=$(pl_delta "$1" "$2" injected_total)
	[ "$d" -ge "$3" ] 2>/dev/null || echo "injected_total rose by $d, want >= $3"
}

# Problems with result $1 of pl_https: want a 200.
want_ok() {
	case "$1" in
	"0 200 "*) ;;
	*) echo "curl gave exit/code/secs/error $1, want exit 0 and a 200" ;;
	esac
}

# Problems with result $1 of pl_https: want a connection reset well before the max-time
# (a drop would show as a timeout, exit 28).
want_reset() {
	local rc=${1%% *} secs err
	secs=$(echo "$1" | cut -d' ' -f3)
	err=$(echo "$1" | cut -d' ' -f4-)
	case "$rc" in
	35 | 56) ;;
	*)
		echo "curl gave exit/code/secs/error $1, want a reset (35 or 56)"
		return
		;;
	esac
	echo "$err" | grep -qi reset || echo "curl exit $rc but its error is not a reset: $err"
	below "$secs" $((PL_MAXT / 2)) || echo "the reset came after $secs s (max-time $PL_MAXT)"
}

# 1. HTTPS with an SNI no category names passes (and is not counted as social).
check_https_allowed() {
	local name=1-https-allowed-sni bad=() r why
	pl_snap s1a
	r=$(pl_https client allowed.example "$SERVER")
	pl_snap s1b
	why=$(want_ok "$r")
	[ -z "$why" ] || bad+=("$why")
	mapfile -t -O "${#bad[@]}" bad < <(untouched s1a s1b sni)
	report "$name" s1a s1b "exit/code/secs $r" "${bad[@]}"
}

# 2. HTTPS with a social SNI (a subdomain) is reset at its ClientHello: RSTs both ways.
check_https_social() {
	local name=2-https-social-sni-reset bad=() r why
	pl_snap s2a
	r=$(pl_https client www.social.example "$SERVER")
	pl_snap s2b
	why=$(want_reset "$r")
	[ -z "$why" ] || bad+=("$why")
	mapfile -t -O "${#bad[@]}" bad < <(rejected s2a s2b 2)
	report "$name" s2a s2b "exit/code/secs/error $r" "${bad[@]}"
}

# 3. A DNS query for a name no category names is answered.
check_dns_allowed() {
	local name=3-dns-allowed-answered bad=() r
	pl_snap s3a
	r=$(pl_dig client "$SERVER" allowed.example)
	pl_snap s3b
	[ "$r" = "0 NOERROR $ALLOWED_IP" ] ||
		bad+=("dig gave exit/status/answers $r, want 0 NOERROR $ALLOWED_IP ($(cl_tail \
			"$LT_DIR/dig-allowed.example.out" 3))")
	lt_wait_for 2 pl_queried allowed.example || bad+=("dnsmasq logged no query for allowed.example")
	mapfile -t -O "${#bad[@]}" bad < <(untouched s3a s3b dns)
	report "$name" s3a s3b "exit/status/answers $r" "${bad[@]}"
}

# 4. A DNS query for a social name is rejected: the query never reaches the server, the client
# gets an ICMP administratively-prohibited and no answer.
check_dns_social() {
	local name=4-dns-social-rejected bad=() r u0 u1 said out=$LT_DIR/dig-www.social.example.out
	u0=$(pl_unreach client)
	pl_snap s4a
	r=$(pl_dig client "$SERVER" www.social.example)
	pl_snap s4b
	u1=$(pl_unreach client)
	case "$r" in
	0\ *) bad+=("dig gave exit/status/answers $r, want a failure (no reply)") ;;
	esac
	grep -q "$SOCIAL_IP" "$out" && bad+=("the client got $SOCIAL_IP")
	grep -q "ANSWER SECTION" "$out" && bad+=("dig printed an ANSWER SECTION")
	pl_queried www.social.example && bad+=("the query reached dnsmasq")
	[ "$((u1 - u0))" -ge 1 ] 2>/dev/null ||
		bad+=("the client's IcmpInDestUnreachs went $u0 -> $u1, want a rise")
	mapfile -t -O "${#bad[@]}" bad < <(rejected s4a s4b 1)
	said=$(grep -m1 -E 'error|timed out|unreachable|refused' "$out" | tr -s ' ')
	report "$name" s4a s4b "exit/status/answers $r; dig: ${said:--}; IcmpInDestUnreachs $u0 -> $u1" \
		"${bad[@]}"
}

# 5. Plain HTTP: an allowed Host passes, a social Host is reset at its request.
check_http_host() {
	local name=5a-http-allowed-host bad=() r why
	pl_snap s5a
	r=$(pl_https client allowed.example "$SERVER" http)
	pl_snap s5b
	why=$(want_ok "$r")
	[ -z "$why" ] || bad+=("$why")
	mapfile -t -O "${#bad[@]}" bad < <(untouched s5a s5b host)
	report "$name" s5a s5b "exit/code/secs $r" "${bad[@]}"

	name=5b-http-social-host-reset
	bad=()
	r=$(pl_https client www.social.example "$SERVER" http)
	pl_snap s5c
	why=$(want_reset "$r")
	[ -z "$why" ] || bad+=("$why")
	mapfile -t -O "${#bad[@]}" bad < <(rejected s5b s5c 2)
	report "$name" s5b s5c "exit/code/secs/error $r" "${bad[@]}"
}

setup || lt_die "cannot build the topology (namespaces, veths, servers): $(cl_tail \
	"$LT_DIR/dnsmasq.log" 2) $(cl_tail "$LT_DIR/s_server.log" 2)"
"$CHOKECTL" check "$CL_POLICY" >"$LT_DIR/check.log" 2>&1 ||
	lt_die "chokectl check refuses the policy: $(cl_tail "$LT_DIR/check.log")"
lt_cp_start "$LT_DIR/deploy.conf" ||
	lt_die "chokepoint did not start: $(cl_tail "$LT_DIR/cp.err") $(cl_tail "$LT_DIR/cp.out")"
cl_serve_start || lt_die "chokectl serve did not start: $(cl_tail "$LT_DIR/serve.err")"
cl_wait_line "$LT_DIR/serve.out" 0 5 "dataplane .* synced" ||
	lt_die "serve did not sync the dataplane: $(tr '\n' ' ' <"$LT_DIR/serve.out")"
# The path works and ARP is resolved before the checks (the ping rule passes ICMP).
lt_exec client ping -q -c 1 -W 2 "$SERVER" >"$LT_DIR/ping.log" 2>&1 ||
	lt_die "no ping through chokepoint: $(cl_tail "$LT_DIR/ping.log" 2)"

check_https_allowed
check_https_social
check_dns_allowed
check_dns_social
check_http_host
lt_summary
