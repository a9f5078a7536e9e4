#!/bin/bash
# Builds the seed corpora of the libFuzzer harnesses into OUT_DIR/<harness>/:
#   parse, extract  frames (and their TCP/UDP payloads) of ../shared/corpus/tcpdump/*.pcap and of
#                   the captures tests/replay/*/gen.py generate
#   policy          rules/*.conf, tests/replay/*/policy*.conf, tests/corpus/policy.conf
#   events          rules/*.jsonl, tests/replay/*/events.jsonl (whole files and single lines)
#   ctl_msg         hand-built messages of every type (seeds.py)
# Each harness's regression inputs (tests/fuzz/regress/<harness>/) are added too.
#
# Usage: tests/fuzz/seeds.sh OUT_DIR
# Environment: SEEDS_MAX (files per frame corpus and source, 5000), SEEDS_PER_PCAP (frames per
# tcpdump capture, 6).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: seeds.sh OUT_DIR}
PY=/usr/bin/python3
MAX=${SEEDS_MAX:-5000}
cd "$ROOT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-fuzz-seeds.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The replay cases' captures, every frame (a case whose gen.py fails or skips is left out); the
# first frames of each tcpdump capture (there are hundreds).
pcaps=()
for gen in tests/replay/*/gen.py; do
	c=$(basename "$(dirname "$gen")")
	if timeout 60 "$PY" "$gen" "$TMP/$c" >/dev/null 2>&1 && [ -f "$TMP/$c/input.pcap" ]; then
		pcaps+=("$TMP/$c/input.pcap")
	fi
done
shopt -s nullglob
"$PY" tests/fuzz/seeds.py frames "$OUT/parse" "$OUT/extract" "$MAX" 100000 "${pcaps[@]}"
"$PY" tests/fuzz/seeds.py frames "$OUT/parse" "$OUT/extract" "$MAX" "${SEEDS_PER_PCAP:-6}" \
	../shared/corpus/tcpdump/*.pcap
"$PY" tests/fuzz/seeds.py ctl_msg "$OUT/ctl_msg"
"$PY" tests/fuzz/seeds.py files "$OUT/policy" rules/*.conf tests/replay/*/policy*.conf \
	tests/corpus/policy.conf
"$PY" tests/fuzz/seeds.py lines "$OUT/events" rules/*.jsonl tests/replay/*/events.jsonl

for h in parse extract ctl_msg policy events; do
	mkdir -p "$OUT/$h"
	if [ -d "tests/fuzz/regress/$h" ]; then
		for f in "tests/fuzz/regress/$h"/*; do
			cp "$f" "$OUT/$h/regress-$(basename "$f")"
		done
	fi
	echo "seeds: $h $(find "$OUT/$h" -type f | wc -l)"
done
