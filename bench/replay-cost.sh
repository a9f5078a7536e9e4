#!/usr/bin/env bash
# The L3/L4 path's cost per packet with one worker, two ways, over captures cp-gen makes:
#  1. replay: chokepoint --replay of a large capture (1M packets, 20k flows), end to end, and the
#     worker's own cycles per packet as its summary reports them;
#  2. cp-bench: the worker code alone on one core, the capture's mbufs fed again and again
#     (established flows), no I/O.
# Usage: bench/replay-cost.sh [BUILD_DIR]
set -euo pipefail
B=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EAL=(--no-huge -m 1500 --no-shconf --no-pci --no-telemetry --log-level='*:error')
"$B/bench/cp-gen" --out "$tmp/big.pcap" --packets 1000000 --flows 20000 --seed 7
"$B/bench/cp-gen" --out "$tmp/small.pcap" --packets 20000 --flows 2000 --seed 7
echo "== replay, 1M packets, 20k flows, 1 worker"
/usr/bin/time -f "wall %e s" "$B/dataplane/chokepoint" --replay "$tmp/big.pcap" \
	--policy bench/policies/l34.conf --out "$tmp/out" --workers 1 | tail -1
echo "== cp-bench, worker only, 20k packets of 2k flows, 3 runs"
for i in 1 2 3; do
	"$B/bench/cp-bench" "${EAL[@]}" --file-prefix=cp-bench-$$ -l 0 -- \
		--pcap "$tmp/small.pcap" --policy bench/policies/l34.conf --seconds 2
done
