# shellcheck shell=bash
# A sourced library for the end-to-end suite (tests/e2e/run.sh): the whole border in namespaces,
# on top of tests/live/netns.sh, tests/live/control_lib.sh and tests/live/payload_lib.sh (source
# those first). See tests/e2e/README.md for the picture.
#
#   c1, c2, c3   client hosts, one veth each into the bridge of namespace "in"
#   in           bridge: the clients and the veth to chokepoint's inside port (root: cpin-<pid>)
#   fib, sat     bridge: the veth from chokepoint's fiber / satellite uplink (root: cpfb-, cpst-)
#                and a veth to the server namespace
#   out          the server: a bridge over its veths from fib and from sat (isolated ports: never
#                forwarded from one to the other, so the two uplinks make no loop), the server's
#                addresses on the bridge; HTTP, HTTPS, DNS, iperf3
#
# Every veth end in a namespace has checksum offload off (`ethtool -K IF tx off`); bridges and
# the namespaces that only bridge have IPv6 off, so the hosts are the only ones that speak.
#
# Functions:
#   e2e_tools                 SKIP (exit 0) unless openssl, dnsmasq, dig and iperf3 are installed.
#   e2e_xdp_probe             "" when net_af_xdp ports can run here, else why not (one line).
#   e2e_topology              build the namespaces, veths and bridges above.
#   e2e_servers               HTTP (80, 8080), HTTPS (443), DNS (53) and iperf3 (5201) in "out".
#   e2e_deploy_config FILE PMD
#                             a deployment config: ports inside, fiber, satellite on the root-side
#                             veth ends, on net_af_packet or net_af_xdp; control socket in LT_DIR.
#   e2e_policy FILE           the policy template with the suite's addresses filled in.
#   e2e_root_bridge           a plain bridge in the root namespace over cpin and cpfb (the
#                             baseline that chokepoint replaces).
#   e2e_iperf NS LABEL        iperf3 -t $E2E_IPERF_SECS from NS to the server; prints
#                             "IPERF LABEL: ..." and returns iperf3's status.
#   e2e_skip CHECK WHY        print "SKIP CHECK: WHY" and count it.
#   e2e_summary               "SUITE: N passed, M failed, K skipped"; 0 when none failed.
#   e2e_snmp NS GROUP FIELD   a /proc/net/snmp counter of namespace NS (e.g. Icmp InEchos).
#   e2e_xdp_drops FILE        the sum of every counter under a key naming "xdp" and "drop" in a
#                             `chokectl stats --json` snapshot; "none" when there is no such key.

# Read by run.sh.
# shellcheck disable=SC2034
{
	E2E_C1=192.0.2.11
	E2E_C2=192.0.2.12
	E2E_C3=192.0.2.13
	E2E_C1V6=2001:db8:1::11
	E2E_STRAY=192.0.2.50 # on c1 too, but outside the inside prefix: out-of-space traffic
	E2E_SERVER=192.0.2.100
	E2E_SERVER6=2001:db8:1::8000
	E2E_INSIDE4=192.0.2.0/28
	E2E_INSIDE6=2001:db8:1::/113
	E2E_SOCIAL_IP=203.0.113.66  # what dnsmasq answers for social.example
	E2E_ALLOWED_IP=203.0.113.77 # and for allowed.example
	E2E_IPERF_SECS=${E2E_IPERF_SECS:-5}
	E2E_SKIPPED=0
}

e2e_skip() {
	echo "SKIP $1: $2"
	E2E_SKIPPED=$((E2E_SKIPPED + 1))
}

e2e_summary() {
	echo "$LT_SUITE: $LT_PASSED passed, $LT_FAILED failed, $E2E_SKIPPED skipped"
	[ "$LT_FAILED" = 0 ]
}

e2e_tools() {
	local tool missing=""
	for tool in openssl dnsmasq dig iperf3 bridge; do
		command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
	done
	[ -z "$missing" ] ||
		lt_skip "missing:$missing (Debian: openssl dnsmasq-base bind9-dnsutils iperf3 iproute2)"
}

# Can net_af_xdp ports run here: the kernel's AF_XDP socket family and DPDK's driver?
e2e_xdp_probe() {
	local lib
	"$LT_PY" -c 'import socket; socket.socket(44, socket.SOCK_RAW).close()' 2>/dev/null || {
		echo "the kernel has no AF_XDP sockets (socket(AF_XDP) fails)"
		return
	}
	# chokepoint links DPDK's shared libraries; the drivers are plugins next to librte_eal.
	lib=$(ldd "$CHOKEPOINT" 2>/dev/null | awk '/librte_eal\.so/ { print $3; exit }')
	if ldd "$CHOKEPOINT" 2>/dev/null | grep -q librte_net_af_xdp; then
		return
	fi
	if [ -n "$lib" ] && compgen -G "$(dirname "$lib")/dpdk/pmds-*/librte_net_af_xdp.so*" \
		>/dev/null; then
		return
	fi
	echo "DPDK's net_af_xdp driver is not installed (librte_net_af_xdp: Debian dpdk)"
}

# A veth between two namespaces of this run, with checksum offload off on both ends, both up.
e2e_link() {
	local ns1 ns2
	ns1=$(lt_nsname "$1")
	ns2=$(lt_nsname "$3")
	ip -n "$ns1" link add "$2" type veth peer name "$4" netns "$ns2" || return 1
	ip netns exec "$ns1" ethtool -K "$2" tx off >/dev/null || return 1
	ip netns exec "$ns2" ethtool -K "$4" tx off >/dev/null || return 1
	ip -n "$ns1" link set "$2" up && ip -n "$ns2" link set "$4" up
}

# A bridge br0 in namespace $1 over the interfaces $2...: no STP (no loop to break: see above).
e2e_bridge() {
	local ns if
	ns=$(lt_nsname "$1")
	shift
	ip -n "$ns" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	for if in "$@"; do
		ip -n "$ns" link set "$if" master br0 || return 1
	done
	ip netns exec "$ns" ethtool -K br0 tx off >/dev/null || return 1
	ip -n "$ns" link set br0 up
}

e2e_no_ipv6() {
	lt_exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

e2e_topology() {
	local ns
	for ns in c1 c2 c3 in fib sat out; do
		lt_ns "$ns" || return 1
	done
	for ns in c2 c3 in fib sat; do
		e2e_no_ipv6 "$ns" || return 1
	done
	# Chokepoint's three ports: the root-side ends of these veths.
	lt_veth in up0 in && lt_veth fib up0 fb && lt_veth sat up0 st || return 1
	# The clients on the inside bridge.
	e2e_link c1 eth0 in p1 && e2e_link c2 eth0 in p2 && e2e_link c3 eth0 in p3 || return 1
	e2e_bridge in up0 p1 p2 p3 || return 1
	lt_exec c1 ip addr add "$E2E_C1/24" dev eth0 || return 1
	lt_exec c1 ip addr add "$E2E_STRAY/24" dev eth0 || return 1
	lt_exec c1 ip addr add "$E2E_C1V6/64" dev eth0 nodad || return 1
	lt_exec c2 ip addr add "$E2E_C2/24" dev eth0 || return 1
	lt_exec c3 ip addr add "$E2E_C3/24" dev eth0 || return 1
	# Each uplink namespace bridges its uplink veth to the server.
	e2e_link fib down0 out fib0 && e2e_link sat down0 out sat0 || return 1
	e2e_bridge fib up0 down0 && e2e_bridge sat up0 down0 || return 1
	e2e_bridge out fib0 sat0 || return 1
	bridge -n "$(lt_nsname out)" link set dev fib0 isolated on || return 1
	bridge -n "$(lt_nsname out)" link set dev sat0 isolated on || return 1
	lt_exec out ip addr add "$E2E_SERVER/24" dev br0 || return 1
	lt_exec out ip addr add "$E2E_SERVER6/64" dev br0 nodad
}

e2e_servers() {
	pl_tls_server out allowed.example || return 1
	pl_dns_server out "$E2E_SERVER" "social.example=$E2E_SOCIAL_IP" \
		"allowed.example=$E2E_ALLOWED_IP" || return 1
	cl_tools
	cl_servers out out || return 1
	lt_bg out iperf3-server.log iperf3 -s -B "$E2E_SERVER" -p 5201
	lt_wait_listen out 5201
}

e2e_device() {
	case "$1" in
	af_packet) echo "net_af_packet$2,iface=$(lt_ifname "$3")" ;;
	af_xdp) echo "net_af_xdp$2,iface=$(lt_ifname "$3")" ;;
	*) return 1 ;;
	esac
}

e2e_deploy_config() {
	local file=$1 pmd=$2
	cat >"$file" <<-CONF
		ports = (
		  { name = "inside";    role = "inside"; device = "$(e2e_device "$pmd" 0 in)"; },
		  { name = "fiber";     role = "uplink"; device = "$(e2e_device "$pmd" 1 fb)"; },
		  { name = "satellite"; role = "uplink"; device = "$(e2e_device "$pmd" 2 st)"; }
		);
		workers = 1;
		flows = 4096;
		control_socket = "$LT_DIR/dataplane.sock";
	CONF
}

e2e_policy() {
	sed -e "s|@C1V6@|$E2E_C1V6|g" -e "s|@C1@|$E2E_C1|g" -e "s|@C2@|$E2E_C2|g" \
		-e "s|@C3@|$E2E_C3|g" -e "s|@INSIDE4@|$E2E_INSIDE4|g" \
		-e "s|@INSIDE6@|$E2E_INSIDE6|g" -e "s|@SERVER6@|$E2E_SERVER6|g" \
		-e "s|@SERVER@|$E2E_SERVER|g" tests/e2e/policy.conf.in >"$1"
	! grep -q '@[A-Z0-9]*@' "$1"
}

e2e_root_bridge() {
	local br="cpbr-$LT_ID"
	ip link add "$br" type bridge stp_state 0 forward_delay 0 || return 1
	LT_LINKS+=("$br")
	if [ -w "/proc/sys/net/ipv6/conf/$br/disable_ipv6" ]; then
		echo 1 >"/proc/sys/net/ipv6/conf/$br/disable_ipv6"
	fi
	ip link set "$(lt_ifname in)" master "$br" &&
		ip link set "$(lt_ifname fb)" master "$br" && ip link set "$br" up
}

e2e_iperf() {
	local ns=$1 label=$2 json=$LT_DIR/iperf-$2.json rc
	timeout $((E2E_IPERF_SECS + 15)) ip netns exec "$(lt_nsname "$ns")" \
		iperf3 -c "$E2E_SERVER" -p 5201 -t "$E2E_IPERF_SECS" -J >"$json" 2>&1
	rc=$?
	"$LT_PY" - "$json" "$label" "$rc" <<-'PYEOF'
		import json, sys
		path, label, rc = sys.argv[1], sys.argv[2], sys.argv[3]
		try:
		    end = json.load(open(path))["end"]
		    recv = end["sum_received"]["bits_per_second"] / 1e6
		    sent = end["sum_sent"]
		    print("IPERF %s: %.0f Mbit/s received (%.0f Mbit/s sent, %d retransmits, %.1f s)"
		          % (label, recv, sent["bits_per_second"] / 1e6, sent.get("retransmits", 0),
		             end["sum_received"]["seconds"]))
		except Exception as e:
		    print("IPERF %s: no result (iperf3 exit %s: %s)" % (label, rc, e))
	PYEOF
	return "$rc"
}

e2e_snmp() {
	# shellcheck disable=SC2016 # an awk program
	lt_exec "$1" awk -v g="$2:" -v f="$3" '$1 == g { if (!h) { for (i = 2; i <= NF; i++)
		c[$i] = i; h = 1 } else print $c[f] }' /proc/net/snmp
}

e2e_xdp_drops() {
	"$LT_PY" - "$LT_DIR/$1" <<-'PYEOF'
		import json, sys
		def walk(v, under):
		    if isinstance(v, dict):
		        return sum(walk(x, under or ("xdp" in k and "drop" in k)) for k, x in v.items())
		    return v if under and isinstance(v, (int, float)) else 0
		def named(v):
		    return isinstance(v, dict) and any(
		        ("xdp" in k and "drop" in k) or named(x) for k, x in v.items())
		try:
		    v = json.load(open(sys.argv[1]))
		except Exception:
		    v = {}
		print(int(walk(v, False)) if named(v) else "none")
	PYEOF
}
