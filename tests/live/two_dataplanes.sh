#!/usr/bin/env bash
# chokectl serve with two --dataplane sockets: both get the policy, a grant and a shutoff, and a
# restarted one is synced again while the other keeps running. Ports are net_pcap vdevs.
set -uo pipefail
CHOKEPOINT=${CHOKEPOINT:-build/dataplane/chokepoint}
CHOKECTL=${CHOKECTL:-build/ctrlplane/chokectl}
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
passed=0
failed=0
check() { if eval "$2"; then echo "PASS $1"; passed=$((passed + 1)); else echo "FAIL $1: $3"; failed=$((failed + 1)); fi; }

/usr/bin/python3 - "$dir" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, wrpcap
d = sys.argv[1]
wrpcap(d + "/in.pcap", [Ether()/IP(src="192.0.2.5", dst="198.51.100.1")/UDP(dport=53)])
PY
start_dp() { # N: a dataplane with its own ports, prefix and socket
	cat > "$dir/dp$1.conf" <<CONF
ports = (
  { name = "inside"; role = "inside"; device = "net_pcap_i$1,rx_pcap=$dir/in.pcap,tx_pcap=$dir/o$1i.pcap"; },
  { name = "fiber";  role = "uplink"; device = "net_pcap_u$1,rx_pcap=$dir/in.pcap,tx_pcap=$dir/o$1u.pcap"; }
);
workers = 1;
control_socket = "$dir/dp$1.sock";
CONF
	timeout -s INT 60 "$CHOKEPOINT" --no-huge -m 256 --no-shconf --no-pci --no-telemetry \
		--log-level='*:error' --file-prefix="cp-two-$$-$1" -l 0-1 -- --config "$dir/dp$1.conf" \
		>"$dir/dp$1.log" 2>&1 &
	pids+=($!)
	eval "dp$1=$!"
}
cat > "$dir/policy.conf" <<'CONF'
version = 1;
inside = [ "192.0.2.0/24" ];
rules = ( { name = "granted"; action = "pass"; from = "inside"; grant = true; } );
CONF
status() { "$CHOKECTL" --socket "$dir/dp$1.sock" status 2>/dev/null; }
wait_for() { # SECONDS COMMAND...: until the command succeeds, bounded
	local end=$((SECONDS + $1)); shift
	until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
has() { status "$1" | grep -q "$2"; }

start_dp 1
start_dp 2
wait_for 10 test -S "$dir/dp1.sock" && wait_for 10 test -S "$dir/dp2.sock"
"$CHOKECTL" serve --policy "$dir/policy.conf" --dataplane "$dir/dp1.sock" \
	--dataplane "$dir/dp2.sock" --state "$dir/state" --socket "$dir/cli.sock" >"$dir/serve.log" 2>&1 &
pids+=($!)
wait_for 10 test -S "$dir/cli.sock"
C=("$CHOKECTL" --socket "$dir/cli.sock")

check both-get-policy 'wait_for 5 has 1 "\"policy_generation\": 1" && wait_for 5 has 2 "\"policy_generation\": 1"' \
	"$(status 1) / $(status 2)"
"${C[@]}" grant 192.0.2.5 --for 1h >/dev/null
check both-get-grant 'has 1 "192.0.2.5" && has 2 "192.0.2.5"' "$(status 1) / $(status 2)"
"${C[@]}" shutoff >/dev/null
check both-shutoff 'has 1 "\"shutoff\": true" && has 2 "\"shutoff\": true"' "$(status 1) / $(status 2)"
# Restart the second: serve syncs it again (policy, grant, shutoff); the first is untouched.
kill -INT "$dp2"; wait "$dp2" 2>/dev/null
start_dp 2
check restarted-resynced 'wait_for 10 has 2 "192.0.2.5" && has 2 "\"shutoff\": true" && has 2 "\"policy_generation\": 1"' \
	"$(status 2); serve: $(tail -3 "$dir/serve.log")"
check other-untouched 'has 1 "192.0.2.5" && has 1 "\"shutoff\": true"' "$(status 1)"
check status-lists-both '"${C[@]}" status | grep -q "dp1.sock\", \"connected\": true" && "${C[@]}" status | grep -q "dp2.sock\", \"connected\": true"' \
	"$("${C[@]}" status)"
echo "live-two-dataplanes: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
