#!/usr/bin/env bash
# Live mode on net_af_xdp ports with the XDP pre-filter: chokepoint in the root namespace between
# a client (inside) and a server (outside) namespace, as in af_packet.sh, but on AF_XDP sockets.
#
#   client ns (192.0.2.10/24, 2001:db8:1::10/64) eth0 --veth-- [cpxi-<pid>] inside port
#   server ns (192.0.2.100/24, 2001:db8:1::8000/64) eth0 --veth-- [cpxs-<pid>] uplink
#
# Inside is 192.0.2.0/28 and 2001:db8:1::/113; the set "bad" (203.0.113.0/24) is reached by drop
# rules only, so its packets are drop-only; no rule passes a flow between two outside addresses.
# A drop rule "trap" (UDP port 7777, any to any) counts every such datagram that reaches the
# dataplane, so the checks can tell the XDP drops from the dataplane's:
#   - the pre-filter is attached to both ports, web and ping pass both ways;
#   - UDP/7777 frames between two outside addresses (IPv4 and IPv6) are dropped in XDP
#     (xdp_drop_total.out-of-space rises) and never reach the dataplane (trap stays 0);
#   - UDP/7777 frames from bad to the client are dropped in XDP (drop-only), trap stays 0;
#   - UDP/7777 frames from the server (outside, not bad) to the client reach the dataplane: trap
#     counts them (the zero above is not for want of a working trap);
#   - after a policy swap (chokectl serve + push, when chokectl is built) that lets bad reach the
#     client, the maps are refilled: bad's frames reach the dataplane (trap counts them) and
#     drop-only stops rising;
#   - with no object to load (CHOKEPOINT_XDP_OBJ pointing nowhere) each port says once that it
#     runs without the filter, and traffic still passes.
# Needs root, iproute2, curl, iputils-ping, ethtool, python3 with scapy; skips without namespaces
# or without AF_XDP support.
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh

CLIENT4=192.0.2.10
SERVER4=192.0.2.100
CLIENT6=2001:db8:1::10
SERVER6=2001:db8:1::8000
N=40    # crafted frames per kind
MAXT=3
CHOKECTL=${CHOKECTL:-build/ctrlplane/chokectl}
SWAPPED=0 # 1 once the swap phase ran

lt_init live-af-xdp
"$LT_PY" -c 'import scapy' 2>/dev/null || lt_die "python3 has no scapy (Debian: python3-scapy)"

# A deployment config on net_af_xdp ports: queue 0 of each veth end.
xdp_config() {
	cat >"$1" <<-CONF
		ports = (
		  { name = "inside"; role = "inside";
		    device = "net_af_xdp0,iface=$(lt_ifname xi),start_queue=0,queue_count=1"; },
		  { name = "up1"; role = "uplink";
		    device = "net_af_xdp1,iface=$(lt_ifname xs),start_queue=0,queue_count=1"; }
		);
		workers = 1;
		flows = 4096;
		control_socket = "$LT_DIR/dataplane.sock";
	CONF
}

setup() {
	lt_ns client && lt_ns server || return 1
	lt_veth client eth0 xi "$CLIENT4/24" "$CLIENT6/64" || return 1
	lt_veth server eth0 xs "$SERVER4/24" "$SERVER6/64" || return 1
	mkdir -p "$LT_DIR/www" && echo "chokepoint af_xdp test" >"$LT_DIR/www/index.html"
	lt_bg server http-80.log "$LT_PY" -m http.server 80 --bind :: --directory "$LT_DIR/www"
	lt_wait_listen server 80 || return 1
	xdp_config "$LT_DIR/deploy.conf"
	cat >"$LT_DIR/policy.conf" <<-'CONF'
		version = 1;
		inside = [ "192.0.2.0/28", "2001:db8:1::/113" ];
		sets = { bad = [ "203.0.113.0/24" ]; };
		rules = (
		  { name = "trap";  action = "drop"; proto = "udp"; dport = 7777; },
		  { name = "web";   action = "pass"; from = "inside"; to = "!@bad"; proto = "tcp"; dport = 80; },
		  { name = "ping";  action = "pass"; from = "inside"; to = "!@bad"; proto = "icmp"; },
		  { name = "ping6"; action = "pass"; from = "inside"; to = "!@bad"; proto = "icmp6"; }
		);
		settings = { non_ip = "pass"; };
	CONF
}

# The same policy but ping may reach bad: bad is no longer drop-only.
swap_policy() {
	sed 's/to = "!@bad"; proto = "icmp"; }/proto = "icmp"; }/' "$LT_DIR/policy.conf" \
		>"$LT_DIR/policy2.conf"
	grep -q 'name = "ping";  action = "pass"; from = "inside"; proto = "icmp"' \
		"$LT_DIR/policy2.conf"
}

# chokectl serve in front of the dataplane, then push policy2.conf; bad's frames are sent again.
swap_and_send() {
	local sock="$LT_DIR/ctl.sock"
	"$CHOKECTL" serve --policy "$LT_DIR/policy.conf" --dataplane "$LT_DIR/dataplane.sock" \
		--socket "$sock" --state "$LT_DIR/state" >"$LT_DIR/serve.out" 2>"$LT_DIR/serve.err" &
	LT_PIDS+=("$!")
	lt_wait_for 5 test -S "$sock" || return 1
	swap_policy || return 1
	timeout 15 "$CHOKECTL" --socket "$sock" push "$LT_DIR/policy2.conf" \
		>"$LT_DIR/push.out" 2>&1 || return 1
	send_udp 203.0.113.5 "$CLIENT4" || return 1
	SWAPPED=1
}

# N UDP/7777 frames from SRC to DST sent on the server's eth0 to the client's MAC.
send_udp() {
	local mac
	mac=$(lt_exec client cat /sys/class/net/eth0/address) || return 1
	lt_exec server "$LT_PY" - "$mac" "$1" "$2" "$N" 2>>"$LT_DIR/scapy.log" <<-'PY'
		import sys
		from scapy.all import Ether, IP, IPv6, UDP, Raw, sendp
		mac, src, dst, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
		l3 = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
		sendp(Ether(dst=mac) / l3 / UDP(sport=40000, dport=7777) / Raw(b"x" * 16),
		      iface="eth0", count=n, verbose=False)
	PY
}

check_attached() {
	local bad="" port
	for port in inside up1; do
		grep -q "port $port: XDP pre-filter attached" "$LT_DIR/cp.out" ||
			bad="$bad; port $port: no 'XDP pre-filter attached' line"
	done
	lt_result xdp-attached "${bad#; }"
}

check_pass() {
	local bad="" out
	out=$(lt_exec client curl -s -o /dev/null -w '%{http_code}' --max-time "$MAXT" \
		"http://$SERVER4:80/")
	[ "$out" = 200 ] || bad="$bad; curl IPv4 gave $out"
	out=$(lt_exec client curl -s -o /dev/null -w '%{http_code}' --max-time "$MAXT" \
		"http://[$SERVER6]:80/")
	[ "$out" = 200 ] || bad="$bad; curl IPv6 gave $out"
	lt_exec client ping -q -c 3 -i 0.2 -W 2 "$SERVER4" >"$LT_DIR/ping4.log" 2>&1 ||
		bad="$bad; ping $SERVER4 failed"
	lt_exec client ping -6 -q -c 3 -i 0.2 -W 2 "$SERVER6" >"$LT_DIR/ping6.log" 2>&1 ||
		bad="$bad; ping -6 $SERVER6 failed"
	lt_result pass-through-af-xdp "${bad#; }"
}

send_all() {
	send_udp 198.51.100.77 198.51.100.78 &&
		send_udp 2001:db8:2::77 2001:db8:3::78 &&
		send_udp 203.0.113.5 "$CLIENT4" &&
		send_udp "$SERVER4" "$CLIENT4"
}

check_counters() {
	local oos dro trapn
	oos=$(lt_counter xdp_drop_total.out-of-space)
	dro=$(lt_counter xdp_drop_total.drop-only)
	trapn=$(lt_counter rule_packets_total.trap)
	if [ "$oos" -ge $((2 * N)) ] 2>/dev/null; then
		lt_pass xdp-out-of-space "out-of-space=$oos"
	else
		lt_fail xdp-out-of-space "xdp_drop_total.out-of-space=$oos, want >= $((2 * N))"
	fi
	if [ "$dro" -ge "$N" ] 2>/dev/null; then
		lt_pass xdp-drop-only "drop-only=$dro"
	else
		lt_fail xdp-drop-only "xdp_drop_total.drop-only=$dro, want >= $N"
	fi
	# Only the N frames from the server (and, after the swap, N more from bad) may reach trap.
	local want=$((N + SWAPPED * N))
	if [ "$trapn" = "$want" ]; then
		lt_pass xdp-drops-unseen-by-dataplane "trap=$trapn"
	else
		lt_fail xdp-drops-unseen-by-dataplane "rule_packets_total.trap=$trapn, want $want"
	fi
	[ "$SWAPPED" = 1 ] || return 0
	# After the swap bad's frames reach the dataplane; drop-only kept its pre-swap count.
	if [ "$trapn" = "$want" ] && [ "$dro" = "$N" ]; then
		lt_pass xdp-refill-on-swap "trap=$trapn drop-only=$dro"
	else
		lt_fail xdp-refill-on-swap "trap=$trapn (want $want), drop-only=$dro (want $N)"
	fi
}

check_fallback() {
	local bad="" port n
	for port in inside up1; do
		n=$(grep -c "port $port: XDP pre-filter unavailable" "$LT_DIR/cp.out")
		[ "$n" = 1 ] || bad="$bad; port $port: $n 'unavailable' lines, want 1"
	done
	lt_exec client ping -q -c 3 -i 0.2 -W 2 "$SERVER4" >"$LT_DIR/ping4b.log" 2>&1 ||
		bad="$bad; ping $SERVER4 failed without the filter"
	lt_result xdp-unavailable-fallback "${bad#; }"
}

setup || lt_die "cannot build the topology (namespaces, veths, server)"
if ! lt_cp_start "$LT_DIR/deploy.conf" "$LT_DIR/policy.conf"; then
	if grep -qi "af_xdp\|xsk\|XDP" "$LT_DIR/cp.err" "$LT_DIR/cp.out" 2>/dev/null &&
		! grep -q "running with" "$LT_DIR/cp.out"; then
		lt_skip "net_af_xdp ports cannot be set up here: $(tail -n 2 "$LT_DIR/cp.err" | tr '\n' ' ')"
	fi
	lt_die "chokepoint did not start: $(tail -q -n 5 "$LT_DIR/cp.err" "$LT_DIR/cp.out" | tr '\n' ' ')"
fi
check_attached
check_pass
send_all || lt_fail send-frames "scapy could not send the crafted frames"
if [ -x "$CHOKECTL" ]; then
	swap_and_send || lt_fail xdp-refill-on-swap "swap failed: $(tail -q -n 3 "$LT_DIR/serve.err" \
		"$LT_DIR/push.out" 2>/dev/null | tr '\n' ' ')"
else
	echo "note: no chokectl at $CHOKECTL: the swap check is left out"
fi
if lt_cp_stop; then
	check_counters
else
	lt_fail counters-at-exit "chokepoint exited with a failure: $(tail -n 5 "$LT_DIR/cp.err" |
		tr '\n' ' ')"
fi

# Again without an object to load: each port runs without the filter and says so once.
export CHOKEPOINT_XDP_OBJ=/nonexistent/prefilter.bpf.o
if lt_cp_start "$LT_DIR/deploy.conf" "$LT_DIR/policy.conf"; then
	check_fallback
	lt_cp_stop >/dev/null || lt_fail fallback-exit "chokepoint exited with a failure"
else
	lt_fail xdp-unavailable-fallback "chokepoint did not start without the object: $(tail -q -n 5 \
		"$LT_DIR/cp.err" "$LT_DIR/cp.out" | tr '\n' ' ')"
fi
unset CHOKEPOINT_XDP_OBJ
lt_summary
