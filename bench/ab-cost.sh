#!/usr/bin/env bash
# A flow hit's cost in this tree next to another commit's (default: the commit before HEAD), the
# two cp-bench binaries run in turn on the same capture and policy (l34-hit-64B: 64-byte frames,
# established flows, the 1k-rule / 10k-prefix policy, one worker), and this tree once more with
# `--trace` (chokectl trace open, every decision sampled). Prints each run and the medians: a
# change that claims to cost nothing on the hot path (a closed trace) is checked this way.
# Usage: bench/ab-cost.sh [REF [ROUNDS]]   (needs a built build/; builds REF in a git worktree)
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${1:-HEAD~1}
ROUNDS=${2:-5}
tmp=$(mktemp -d)
wt="$tmp/ref"
trap 'git worktree remove --force "$wt" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$wt" "$REF"
meson setup "$wt/build" "$wt" >/dev/null
ninja -C "$wt/build" bench/cp-bench >/dev/null
build/bench/cp-gen --mix l34 --size 64 --packets 40000 --flows 4000 --seed 7 \
	--out "$tmp/hit.pcap" >/dev/null
/usr/bin/python3 bench/policies/make_l34_policy.py --out "$tmp/l34.conf" >/dev/null
run() { # BINARY [ARGS]: cycles per packet
	"$1" --no-huge -m 2048 --no-shconf --no-pci --no-telemetry --log-level='*:error' \
		--file-prefix="ab-$$" -l 0 -- --pcap "$tmp/hit.pcap" --policy "$tmp/l34.conf" \
		--seconds 1.5 --port-bursts "${@:2}" |
		/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["cycles_per_packet"])'
}
declare -A all
for r in $(seq 1 "$ROUNDS"); do
	a=$(run "$wt/build/bench/cp-bench")
	b=$(run build/bench/cp-bench)
	c=$(run build/bench/cp-bench --trace)
	echo "round $r: $REF $a, this tree $b, this tree with a trace open $c (cycles/packet)"
	all[ref]+="$a " all[tree]+="$b " all[open]+="$c "
done
med() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "median cycles/packet: $REF $(echo "${all[ref]}" | med), this tree $(echo "${all[tree]}" | med), open trace $(echo "${all[open]}" | med)"
