#!/usr/bin/env bash
# The two grant layouts' cost, with one worker: the same new-flows capture (cp-gen --mix new:
# every packet a new flow from one of 1000 hosts of 175.45.176.0/22, TCP 80/443 or UDP 53) under a
# grant rule, the same ~5000 grants (a host grant for each of the 1000 hosts, 4000 hosts and /24s
# spread over 10.0.0.0/8 and 200 /16s), and three insides:
#   small   175.45.176.0/22 (1024 hosts): the direct table
#   medium  the same plus 10.0.0.0/11 (2^21 hosts): still the direct table, at 16 MiB
#   large   the same /22 plus 10.0.0.0/8 and 200 /16s (29.9M hosts): address intervals
# Every pass sees its flows new (cp-bench --fresh), so every packet is classified and looks its
# grant up. Per inside, over REPS runs (the insides alternated): cycles per packet, the least and
# the median (on a shared VM the least is the cost, the rest is neighbours), Mpps (median); the
# installed policy's memory (address tables, and the direct grant table: 8 bytes an inside host,
# there with or without grants); what the grants took (the list, about 100 bytes a grant, and the
# interval layout); the intervals that layout holds. All in one run: compare rows, not machines.
# Usage: bench/inside-cost.sh [BUILD_DIR] [SECONDS] [REPS]
set -euo pipefail
B=${1:-build}
S=${2:-2}
REPS=${3:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EAL=(--no-huge -m 1000 --no-shconf --no-pci --no-telemetry --log-level='*:error' -l 0)
INSIDES="small medium large"

# policy NAME INSIDE...: a policy passing granted web and DNS from the inside.
policy() {
	local name=$1 list
	shift
	list=$(printf '"%s", ' "$@")
	cat >"$tmp/$name.conf" <<-CONF
		version = 1;
		inside = [ ${list%, } ];
		rules = (
		  { name = "web"; action = "pass"; from = "inside"; proto = "tcp"; dport = [ 80, 443 ];
		    grant = true; },
		  { name = "dns"; action = "pass"; from = "inside"; proto = "udp"; dport = 53;
		    grant = true; },
		  { name = "deny"; action = "drop"; }
		);
	CONF
}

nets=() # the first two octets of the 200 /16s
for ((i = 0; i < 200; i++)); do
	nets+=("$((100 + i / 50)).$((i % 50 * 5))")
done
policy small 175.45.176.0/22
policy medium 175.45.176.0/22 10.0.0.0/11
policy large 175.45.176.0/22 10.0.0.0/8 "${nets[@]/%/.0.0/16}"

# The grants: every cp-gen host, then hosts and /24s over the /8 and the /16s (deterministic).
{
	for ((h = 0; h < 1000; h++)); do
		echo "175.45.$((176 + h / 256)).$((h % 256))"
	done
	for ((k = 0; k < 4000; k++)); do
		x=$((k * 2654435761 % 4294967296))
		a=$(((x >> 16) & 255)) b=$(((x >> 8) & 255)) c=$((x & 255))
		case $((k % 4)) in
		0) echo "10.$a.$b.$c" ;;
		1) echo "10.$a.$b.0/24" ;;
		2) echo "${nets[$((a % 200))]}.$b.$c" ;;
		3) echo "${nets[$((a % 200))]}.$b.0/24" ;;
		esac
	done
} | sort -u >"$tmp/grants.txt"

"$B/bench/cp-gen" --mix new --packets 100000 --seed 11 --out "$tmp/new.pcap" >/dev/null
for ((r = 0; r < REPS; r++)); do
	for name in $INSIDES; do
		"$B/bench/cp-bench" "${EAL[@]}" --file-prefix="cpi$$" -- --pcap "$tmp/new.pcap" \
			--policy "$tmp/$name.conf" --grants "$tmp/grants.txt" --seconds "$S" --fresh |
			tail -n 1 >>"$tmp/$name.jsonl"
	done
done
echo "$(wc -l <"$tmp/grants.txt") grants; 100000 new flows a pass; $REPS runs of $S s each"
# shellcheck disable=SC2086 # one argument per inside
/usr/bin/python3 - "$tmp" $INSIDES <<'PYEOF'
import json, statistics, sys
print("%-7s %8s %8s %7s %11s %11s %10s  %s" % (
    "inside", "cyc/pkt", "(median)", "Mpps", "policy_MiB", "grants_MiB", "intervals",
    "cycles/packet of each run"))
for name in sys.argv[2:]:
    rows = [json.loads(l) for l in open("%s/%s.jsonl" % (sys.argv[1], name))]
    cpp = [r["cycles_per_packet"] for r in rows]
    print("%-7s %8.1f %8.1f %7.3f %11.1f %11.2f %10d  %s" % (
        name, min(cpp), statistics.median(cpp), statistics.median(r["mpps"] for r in rows),
        rows[0]["policy_bytes"] / 2**20, rows[0]["grant_bytes"] / 2**20,
        rows[0]["grant_intervals"], " ".join("%.0f" % c for c in cpp)))
PYEOF
