#!/usr/bin/env bash
# Live test of a country-sized inside: chokepoint on af_packet ports between namespaces, driven by
# `chokectl serve`, with an inside of 10.0.0.0/8, 200 /16s, the client's 192.0.2.0/28 and two IPv6
# prefixes (far above the 2^22 IPv4 hosts of the direct grant table: grants are address intervals).
# Checks: the policy loads and passes traffic; an IPv4 and an IPv6 host grant pass only their
# host (a neighbour stays out) until revoked; a prefix grant lapses.
#
#   client ns (192.0.2.10, .11/24; 2001:db8:1000::10, ::11/64)
#             eth0 --veth-- [cpci-<pid>] chokepoint port inside
#   server ns (192.0.2.100/24; 2001:db8:1000::8000/64)
#             eth0 --veth-- [cpup-<pid>] chokepoint uplink up1
#
# Namespaces are named cpin<pid>-NAME. Needs root and iproute2, curl, ethtool, python3; skips
# without namespaces. LT_KEEP=1 keeps the logs.
# shellcheck disable=SC2119 # cl_serve_start takes optional extra arguments
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh
# shellcheck source=tests/live/control_lib.sh
. tests/live/control_lib.sh

lt_nsname() { echo "cpin$LT_ID-$1"; }

C4=192.0.2.10
N4=192.0.2.11 # the client's neighbour: inside, never granted a grant of its own
S4=192.0.2.100
C6=2001:db8:1000::10
N6=2001:db8:1000::11
S6=2001:db8:1000::8000 # on the client's link, but outside the inside /120
WEB4="http://$S4:80/"
WEB6="http://[$S6]:80/"
OPEN4="http://$S4:8080/"

lt_init live-inside-large
[ -x "$CHOKECTL" ] || lt_die "no chokectl binary at $CHOKECTL (build first)"

# 10.0.0.0/8 and 200 /16s (100.0/16, 100.5/16, ... 103.245/16), the client's /28, IPv6.
policy_text() {
	local i
	echo 'version = 1;'
	printf 'inside = [ "192.0.2.0/28", "10.0.0.0/8"'
	for ((i = 0; i < 200; i++)); do
		printf ', "%u.%u.0.0/16"' $((100 + i / 50)) $((i % 50 * 5))
	done
	echo ', "2001:db8:1000::/120", "2001:db8:8000::/33" ];'
	cat <<-CONF
		rules = (
		  { name = "nd";   action = "pass"; proto = "icmp6"; },
		  { name = "web";  action = "pass"; from = "inside"; proto = "tcp"; dport = 80;
		    grant = true; },
		  { name = "open"; action = "pass"; from = "inside"; proto = "tcp"; dport = 8080; }
		);
	CONF
}

setup() {
	lt_ns client && lt_ns server || return 1
	lt_veth client eth0 ci "$C4/24" "$N4/24" "$C6/64" "$N6/64" || return 1
	lt_veth server eth0 up "$S4/24" "$S6/64" || return 1
	mkdir -p "$LT_DIR/www" && echo large >"$LT_DIR/www/index.html" || return 1
	# One dual-stack server per port (http.server binds :: with IPV6_V6ONLY off).
	lt_bg server web80.log "$LT_PY" -m http.server 80 --bind :: --directory "$LT_DIR/www"
	lt_bg server web8080.log "$LT_PY" -m http.server 8080 --bind :: --directory "$LT_DIR/www"
	lt_wait_listen server 80 && lt_wait_listen server 8080 || return 1
	lt_deploy_config "$LT_DIR/deploy.conf" ci up
	policy_text >"$LT_DIR/policy.conf"
	CL_POLICY=$LT_DIR/policy.conf
	CL_SOCK=$LT_DIR/ctl.sock
}

# curl from the client namespace, from source address $1, to URL $2: "EXIT HTTPCODE SECS BODY".
fetch_from() {
	local out rc body
	rm -f "$LT_DIR/body"
	out=$(lt_exec client curl -s -o "$LT_DIR/body" -w '%{http_code} %{time_total}' \
		--interface "$1" --max-time "$CL_MAXT" "$2")
	rc=$?
	body=$(head -c 80 "$LT_DIR/body" 2>/dev/null | tr -d '\n')
	echo "$rc ${out:-000 ?} $body"
}

# "" when fetch result $1 is a 200 from our server, else why not.
want_ok() {
	case "$1" in
	"0 200 "*large) ;;
	*) echo "curl gave exit/code/secs/body $1, want a 200" ;;
	esac
}

# "" when fetch result $1 is a timeout (the drop), else why not.
want_drop() {
	case "$1" in
	28\ *) ;;
	*) echo "curl gave exit/code/secs/body $1, want a timeout (28)" ;;
	esac
}

# The problems "$@" as one line ("" for none).
why_of() { [ $# -eq 0 ] || printf '%s; ' "$@" | sed 's/; $//'; }

# Append to array `bad` (the caller's) why fetch from $2 to $3 is not $1 (ok or drop), labelled $4.
expect() {
	local r why
	r=$(fetch_from "$2" "$3")
	if [ "$1" = ok ]; then why=$(want_ok "$r"); else why=$(want_drop "$r"); fi
	[ -z "$why" ] || bad+=("$4: $why")
}

# 1. The policy loads (serve pushed it): a rule without a grant passes, one with a grant does not.
check_loads() {
	local name=1-policy-loads bad=() gen
	gen=$(cl_stat policy_generation)
	[ "$gen" -ge 1 ] 2>/dev/null || bad+=("stats policy_generation is $gen, want >= 1")
	expect ok "$C4" "$OPEN4" "port 8080 (no grant needed)"
	expect drop "$C4" "$WEB4" "port 80 before any grant"
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 2, 3. A host grant passes that host only, until revoked.
check_host_grant() {
	local name=$1 host=$2 neighbour=$3 url=$4 bad=()
	expect drop "$host" "$url" "before the grant"
	cl_ctl grant "$host" --for 1h >"$LT_DIR/grant.log" 2>&1 ||
		bad+=("grant failed: $(tr '\n' ' ' <"$LT_DIR/grant.log")")
	expect ok "$host" "$url" "with the grant"
	expect drop "$neighbour" "$url" "the neighbour $neighbour"
	cl_ctl revoke "$host" >"$LT_DIR/revoke.log" 2>&1 ||
		bad+=("revoke failed: $(tr '\n' ' ' <"$LT_DIR/revoke.log")")
	expect drop "$host" "$url" "after revoke"
	lt_result "$name" "$(why_of "${bad[@]}")"
}

# 4. A prefix grant covers both hosts, then lapses.
check_prefix_lapse() {
	local name=4-prefix-lapse bad=() t0 gx left
	t0=$(date +%s.%N)
	cl_ctl grant 192.0.2.0/28 --for 4s >/dev/null 2>&1 || bad+=("grant 192.0.2.0/28 failed")
	expect ok "$C4" "$WEB4" "$C4 under the /28"
	expect ok "$N4" "$WEB4" "$N4 under the /28"
	left=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", a + 5 - b }')
	awk -v l="$left" 'BEGIN { exit !(l > 0) }' && sleep "$left"
	expect drop "$C4" "$WEB4" "$C4 after the lapse"
	gx=$(cl_stat drop_reason_total.grant-expired)
	[ "$gx" -gt 0 ] 2>/dev/null || bad+=("drop_reason_total.grant-expired is $gx, want > 0")
	lt_result "$name" "$(why_of "${bad[@]}")"
}

setup || lt_die "cannot build the topology (namespaces, veths, servers)"
lt_cp_start "$LT_DIR/deploy.conf" ||
	lt_die "chokepoint did not start: $(cl_tail "$LT_DIR/cp.err") $(cl_tail "$LT_DIR/cp.out")"
cl_serve_start || lt_die "chokectl serve did not start: $(cl_tail "$LT_DIR/serve.err")"
cl_wait_line "$LT_DIR/serve.out" 0 5 "dataplane .* synced" ||
	lt_die "serve did not sync the dataplane: $(tr '\n' ' ' <"$LT_DIR/serve.out") $(cl_tail "$LT_DIR/cp.err")"

check_loads
check_host_grant 2-grant-ipv4 "$C4" "$N4" "$WEB4"
check_host_grant 3-grant-ipv6 "$C6" "$N6" "$WEB6"
check_prefix_lapse
lt_summary
