# shellcheck shell=bash
# A sourced library for live tests that run chokepoint on af_packet ports between network
# namespaces: hosts live in namespaces this run creates, chokepoint in the root namespace reads and
# writes the root-side ends of their veths, and everything is torn down on exit.
#
# Rules it enforces for every test built on it:
#   - names are unique per run (suffixed with the shell's pid, LT_ID), so runs never collide;
#   - every namespace, veth, background process and the temporary directory is registered and
#     removed by lt_cleanup, which lt_init installs on EXIT (INT and TERM exit through it);
#   - every wait is bounded (lt_wait_for); callers bound their own tools (curl --max-time, ping -W);
#   - only documentation addresses (RFC 5737, 2001:db8::/32) belong on the interfaces it creates;
#     root-side veth ends carry no address and have IPv6 disabled, so the host sends nothing.
#
# Functions (all return non-zero on failure unless they exit):
#   lt_init SUITE             check root and namespace support (else SKIP line, exit 0), check the
#                             tools, make LT_DIR, install the cleanup trap. SUITE labels the
#                             summary line ("SUITE: N passed, M failed").
#   lt_ns NAME                create namespace NAME (full name: $(lt_nsname NAME)), lo up.
#   lt_nsname NAME            print the full namespace name for NAME.
#   lt_exec NAME CMD...       run CMD inside namespace NAME.
#   lt_ifname TAG             print the root-side interface name for TAG (TAG: 1..5 of [a-z0-9]).
#   lt_veth NAME NSIF TAG [ADDR/LEN...]
#                             veth pair: NSIF inside namespace NAME with the addresses (IPv6 ones
#                             without DAD) and checksum offload off (`ethtool -K NSIF tx off`,
#                             else the far end sees bad checksums), and $(lt_ifname TAG) in the
#                             root namespace, up, no address, IPv6 off.
#   lt_bg NAME LOG CMD...     start CMD in namespace NAME in the background (stdout and stderr to
#                             $LT_DIR/LOG), register it; its pid is left in LT_BG_PID.
#   lt_wait_for SECS CMD...   run CMD every 0.1 s until it succeeds or SECS have passed.
#   lt_wait_listen NAME PORT [SECS]
#                             wait until something listens on TCP PORT in namespace NAME.
#   lt_deploy_config FILE INSIDE_TAG UPLINK_TAG...
#                             write a deployment config: the inside port on $(lt_ifname
#                             INSIDE_TAG), uplinks "up1", "up2"... on the others, all
#                             net_af_packet; workers = 1; a control socket under LT_DIR.
#   lt_cp_start CFG [POLICY]  start $CHOKEPOINT (default build/dataplane/chokepoint) on 2 lcores
#                             with --no-huge and a unique --file-prefix; wait (bounded) for
#                             "running with" on its stdout. Output: $LT_DIR/cp.out, cp.err.
#   lt_cp_stop                SIGINT, bounded wait (then SIGKILL); the counters JSON it prints
#                             goes to $LT_DIR/counters.json. Returns chokepoint's exit status.
#   lt_pings_answered LOG SECS  wait (bounded) for ping's summary in $LT_DIR/LOG; print how many
#                             echo requests were answered (0 when none or no summary).
#   lt_counter PATH           print one value of counters.json, PATH like "packets_total.pass"
#                             (0 when missing).
#   lt_pass CHECK [DETAIL] / lt_fail CHECK WHY
#                             print "PASS CHECK (DETAIL)" / "FAIL CHECK: WHY" and count it.
#   lt_result CHECK WHY       lt_pass CHECK when WHY is empty, else lt_fail CHECK WHY.
#   lt_die WHY                a setup failure: FAIL line, summary, exit 1 (cleanup runs).
#   lt_summary                print "SUITE: N passed, M failed"; return 0 when none failed.
#
# Environment: CHOKEPOINT (the binary), LT_KEEP=1 (keep LT_DIR: logs, configs, counters.json).

LT_ID=$$
LT_SUITE=live-netns
LT_DIR=""
LT_PASSED=0
LT_FAILED=0
LT_NS=()
LT_LINKS=()
LT_PIDS=()
LT_BG_PID=""
LT_OUT=1
LT_CP_PID=""
LT_CP_PREFIX="cp-netns-$LT_ID"
LT_PY=/usr/bin/python3
CHOKEPOINT=${CHOKEPOINT:-build/dataplane/chokepoint}

lt_nsname() { echo "cp-$LT_ID-$1"; }
lt_ifname() { echo "cp$1-$LT_ID"; }
lt_exec() {
	local ns
	ns=$(lt_nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

lt_pass() {
	echo "PASS $1${2:+ ($2)}"
	LT_PASSED=$((LT_PASSED + 1))
}

lt_fail() {
	echo "FAIL $1: $2"
	LT_FAILED=$((LT_FAILED + 1))
}

lt_result() {
	if [ -z "$2" ]; then
		lt_pass "$1"
	else
		lt_fail "$1" "$2"
	fi
}

lt_summary() {
	echo "$LT_SUITE: $LT_PASSED passed, $LT_FAILED failed"
	[ "$LT_FAILED" = 0 ]
}

lt_die() {
	echo "FAIL $LT_SUITE setup: $1"
	LT_FAILED=$((LT_FAILED + 1))
	lt_summary
	exit 1
}

lt_skip() {
	echo "SKIP $LT_SUITE because $1"
	echo "$LT_SUITE: 0 passed, 0 failed, 1 skipped"
	exit 0
}

# Stop one process this run started: TERM, up to TENTHS/10 s (default 2 s), then KILL.
lt_stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 "${2:-20}"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

lt_cleanup() {
	local pid ns link
	trap - EXIT INT TERM
	# TERM, not INT: a background job may have inherited SIGINT ignored, and chokepoint only
	# handles its signals once it runs; TERM stops it in either state.
	[ -n "$LT_CP_PID" ] && lt_stop_pid "$LT_CP_PID" 50
	for pid in "${LT_PIDS[@]}"; do
		lt_stop_pid "$pid"
	done
	for ns in "${LT_NS[@]}"; do
		# Anything still running in a namespace of ours was started by this run.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			lt_stop_pid "$pid"
		done
		ip netns del "$ns" 2>/dev/null
	done
	for link in "${LT_LINKS[@]}"; do
		ip link show "$link" >/dev/null 2>&1 && ip link del "$link" 2>/dev/null
	done
	rm -rf "/var/run/dpdk/$LT_CP_PREFIX"
	if [ -n "${LT_KEEP:-}" ] && [ -n "$LT_DIR" ]; then
		echo "$LT_SUITE: kept $LT_DIR (LT_KEEP)" >&"$LT_OUT"
	elif [ -n "$LT_DIR" ]; then
		rm -rf "$LT_DIR"
	fi
	return 0
}

# Can this machine give us a namespace and a veth? Leaves nothing behind.
lt_probe() {
	local ns="cp-$LT_ID-probe" ok=0
	[ "$(id -u)" = 0 ] || {
		echo "not running as root"
		return 1
	}
	command -v ip >/dev/null || {
		echo "iproute2 (ip) is not installed"
		return 1
	}
	if ! ip netns add "$ns" 2>/dev/null; then
		echo "'ip netns add' fails here"
		return 1
	fi
	ip link add "cpp-$LT_ID" type veth peer name probe0 netns "$ns" 2>/dev/null || ok=1
	ip link del "cpp-$LT_ID" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	[ $ok = 0 ] || echo "veth pairs cannot be created here"
	return $ok
}

lt_init() {
	local why tool missing=""
	LT_SUITE=${1:-live-netns}
	why=$(lt_probe) || lt_skip "$why"
	for tool in curl ping ethtool ss "$LT_PY"; do
		command -v "$tool" >/dev/null || missing="$missing $tool"
	done
	[ -z "$missing" ] ||
		lt_die "missing:$missing (Debian: iproute2 curl iputils-ping ethtool python3)"
	[ -x "$CHOKEPOINT" ] || lt_die "no chokepoint binary at $CHOKEPOINT (build first)"
	LT_DIR=$(mktemp -d /tmp/cp-netns.XXXXXX) || lt_die "mktemp failed"
	trap lt_cleanup EXIT
	# The message goes to the original stdout even when a signal lands inside a redirection.
	exec {LT_OUT}>&1
	trap 'echo "$LT_SUITE: interrupted" >&"$LT_OUT"; exit 130' INT TERM
}

lt_ns() {
	local ns
	ns=$(lt_nsname "$1")
	ip netns add "$ns" || return 1
	LT_NS+=("$ns")
	ip -n "$ns" link set lo up
}

lt_veth() {
	local name=$1 nsif=$2 root ns addr
	[[ "$3" =~ ^[a-z0-9]{1,5}$ ]] || {
		echo "lt_veth: tag \"$3\" must be 1..5 of [a-z0-9]" >&2
		return 1
	}
	root=$(lt_ifname "$3")
	ns=$(lt_nsname "$name")
	shift 3
	ip link add "$root" type veth peer name "$nsif" netns "$ns" || return 1
	LT_LINKS+=("$root")
	# The root side is a wire for chokepoint: no address, no IPv6 chatter of the host's own.
	if [ -w "/proc/sys/net/ipv6/conf/$root/disable_ipv6" ]; then
		echo 1 >"/proc/sys/net/ipv6/conf/$root/disable_ipv6"
	fi
	for addr in "$@"; do
		case "$addr" in
		*:*) ip -n "$ns" addr add "$addr" dev "$nsif" nodad || return 1 ;;
		*) ip -n "$ns" addr add "$addr" dev "$nsif" || return 1 ;;
		esac
	done
	ip netns exec "$ns" ethtool -K "$nsif" tx off >/dev/null || return 1
	ip -n "$ns" link set "$nsif" up || return 1
	ip link set "$root" up
}

lt_bg() {
	local ns log=$2
	ns=$(lt_nsname "$1")
	shift 2
	ip netns exec "$ns" "$@" >"$LT_DIR/$log" 2>&1 &
	LT_BG_PID=$!
	LT_PIDS+=("$LT_BG_PID")
}

lt_wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

lt_listening() { lt_exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q LISTEN; }

lt_wait_listen() { lt_wait_for "${3:-10}" lt_listening "$1" "$2"; }

lt_port_line() {
	printf '%s  { name = "%s"; role = "%s"; device = "net_af_packet%s,iface=%s"; }' \
		"$5" "$1" "$2" "$3" "$(lt_ifname "$4")"
}

lt_deploy_config() {
	local file=$1 n=0 tag
	shift
	{
		echo "ports = ("
		lt_port_line inside inside 0 "$1" ""
		shift
		for tag in "$@"; do
			n=$((n + 1))
			lt_port_line "up$n" uplink "$n" "$tag" $',\n'
		done
		printf '\n);\n'

		echo "workers = 1;"
		echo "flows = 4096;"
		echo "control_socket = \"$LT_DIR/dataplane.sock\";"
	} >"$file"
}

lt_cp_running() { grep -q "running with" "$LT_DIR/cp.out" 2>/dev/null; }

lt_cp_start() {
	local cfg=$1 policy=${2:-}
	local args=(--config "$cfg")
	[ -n "$policy" ] && args+=(--policy "$policy")
	# LT_CP_MEM: the EAL memory options (default: no hugepages, no shared config).
	# shellcheck disable=SC2086
	"$CHOKEPOINT" ${LT_CP_MEM:---no-huge -m 512 --no-shconf} --no-pci --log-level='*:error' \
		--file-prefix="$LT_CP_PREFIX" -l 0-1 -- "${args[@]}" \
		>"$LT_DIR/cp.out" 2>"$LT_DIR/cp.err" &
	LT_CP_PID=$!
	for _ in $(seq 1 150); do
		lt_cp_running && return 0
		kill -0 "$LT_CP_PID" 2>/dev/null || break
		sleep 0.1
	done
	lt_cp_running
}

lt_cp_stop() {
	local rc
	[ -n "$LT_CP_PID" ] || return 1
	kill -INT "$LT_CP_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$LT_CP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$LT_CP_PID" 2>/dev/null
	wait "$LT_CP_PID"
	rc=$?
	LT_CP_PID=""
	# The counters are the JSON object that starts at the first line "{".
	sed -n '/^{$/,$p' "$LT_DIR/cp.out" >"$LT_DIR/counters.json"
	return $rc
}

lt_pings_answered() {
	lt_wait_for "$2" grep -q "received" "$LT_DIR/$1"
	local n
	n=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LT_DIR/$1" 2>/dev/null)
	echo "${n:-0}"
}

lt_counter() {
	"$LT_PY" - "$LT_DIR/counters.json" "$1" <<'PYEOF'
import json, sys
try:
    v = json.load(open(sys.argv[1]))
    for k in sys.argv[2].split("."):
        v = v[k]
    print(v)
except Exception:
    print(0)
PYEOF
}
