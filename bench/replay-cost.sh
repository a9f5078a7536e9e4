#!/usr/bin/env bash
# The L3/L4 path's cost per packet with one worker, three ways, over captures cp-gen makes:
#  1. ceiling: cp-pcapfwd, a bare net_pcap forwarder (rx_pcap -> tx_pcap, one pcap out), over a
#     large capture (1M packets, 20k flows);
#  2. replay: chokepoint --replay of the same capture, end to end (verdicts.jsonl, pass.pcap,
#     drop.pcap, inject.pcap, counters.json), its wall time over the forwarder's, and the
#     worker's own cycles per packet as its summary reports them;
#  3. cp-bench: the worker code alone on one core, the capture's mbufs fed again and again
#     (established flows), no I/O.
# The payload mix (TLS/HTTP/DNS, a 150-name policy) has its replay row in bench/run
# (bench/run --replay-only).
# Usage: bench/replay-cost.sh [BUILD_DIR]
set -euo pipefail
B=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EAL=(--no-huge -m 1500 --no-shconf --no-pci --no-telemetry --log-level='*:error')
"$B/bench/cp-gen" --out "$tmp/big.pcap" --packets 1000000 --flows 20000 --seed 7
"$B/bench/cp-gen" --out "$tmp/small.pcap" --packets 20000 --flows 2000 --seed 7

wall() { # command...: runs it, prints its wall time in seconds
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$tmp/last.out"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
echo "== 1M packets, 20k flows: cp-pcapfwd, then chokepoint --replay with 1 worker"
fwd=$(wall "$B/bench/cp-pcapfwd" "$tmp/big.pcap" "$tmp/fwd.pcap")
rm -f "$tmp/fwd.pcap"
rep=$(wall "$B/dataplane/chokepoint" --replay "$tmp/big.pcap" \
	--policy bench/policies/l34.conf --out "$tmp/out" --workers 1)
tail -1 "$tmp/last.out"
printf 'forwarder %.2f s, replay %.2f s: %.2fx the forwarder\n' "$fwd" "$rep" \
	"$(echo "$rep / $fwd" | bc -l)"
echo "== cp-bench, worker only, 20k packets of 2k flows, 3 runs"
for i in 1 2 3; do
	"$B/bench/cp-bench" "${EAL[@]}" --file-prefix=cp-bench-$$ -l 0 -- \
		--pcap "$tmp/small.pcap" --policy bench/policies/l34.conf --seconds 2
done
