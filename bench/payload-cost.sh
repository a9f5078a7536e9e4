#!/usr/bin/env bash
# The payload path's cost per packet with one worker, next to raw Hyperscan over the same bytes.
# One capture of cp-gen's payload mix (TLS, HTTP, DNS flows; 10% of names from the policy's lists)
# and one policy of 10k domain names (sni, host, dns) and 100 payload regexes; every pass sees its
# flows new (cp-bench --fresh), so every flow is classified and inspected:
#   l34       the same capture under bench/policies/l34.conf (no categories): flows, classify, act
#   payload   under the 10k-name policy: the same plus extraction, name and stream matching
#   raw-block hs_scan of every payload byte with every pattern, block mode (cp-hsraw)
#   raw-stream the same with the payload patterns in streaming mode, as the dataplane runs them
# All in one run, so the ratios hold even though this VM's absolute timings drift by +-25%.
# Usage: bench/payload-cost.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
B=${1:-build}
S=${2:-3}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EAL=(--no-huge -m 2000 --no-shconf --no-pci --no-telemetry --log-level='*:error' -l 0)

"$PY" bench/policies/make_payload_policy.py --names 10000 --regexes 100 \
	--out-policy "$tmp/p10k.conf" --out-names "$tmp/names.txt" >/dev/null
"$B/bench/cp-gen" --mix payload --names "$tmp/names.txt" --blocked-ratio 0.1 \
	--packets 100000 --flows 200 --seed 5 --out "$tmp/pay.pcap" 2>"$tmp/gen.log"
cat "$tmp/gen.log"
start=$(date +%s.%N)
"$B/ctrlplane/chokectl" check "$tmp/p10k.conf" >/dev/null
echo "check + compile of the 10k-name policy: $(echo "$(date +%s.%N) - $start" | bc) s"

run() { # name, command...: prints "name cycles_per_packet mpps"
	local name=$1
	shift
	"$@" | sed -E 's/.*"cycles_per_packet": ([0-9.]+).*"mpps": ([0-9.]+).*/'"$name"' \1 \2/'
}
printf '%-12s %18s %8s\n' system cycles/packet Mpps
for i in 1 2; do
	run l34 "$B/bench/cp-bench" "${EAL[@]}" --file-prefix="cpb$$" -- --pcap "$tmp/pay.pcap" \
		--policy bench/policies/l34.conf --seconds "$S" --fresh
	run payload "$B/bench/cp-bench" "${EAL[@]}" --file-prefix="cpb$$" -- --pcap "$tmp/pay.pcap" \
		--policy "$tmp/p10k.conf" --seconds "$S" --fresh
	run raw-block "$B/bench/cp-hsraw" --pcap "$tmp/pay.pcap" --policy "$tmp/p10k.conf" \
		--seconds "$S"
	run raw-stream "$B/bench/cp-hsraw" --pcap "$tmp/pay.pcap" --policy "$tmp/p10k.conf" \
		--seconds "$S" --stream
done | awk '{ printf "%-12s %18s %8s\n", $1, $2, $3 }'
