#!/bin/bash
# Replay test suite: for every case directory under tests/replay/, generate its capture, replay it
# through chokepoint with one worker and with two, and require (1) verdicts.jsonl identical to the
# case's expected.jsonl, (2) every output file byte-identical between the two runs, (3) pass.pcap
# and drop.pcap together holding as many packets as the input, (4) the case's check.py, if any,
# to succeed. A gen.py that exits 77 skips its case (the last line of its output says why: no root,
# no network namespaces, a tool missing); skips are counted apart and do not fail the suite.
#
# Usage: tests/replay/run.sh [CASE...]    (run from anywhere; works from the repository root)
# Environment: CHOKEPOINT (default build/dataplane/chokepoint), KEEP=1 keeps the temp dirs.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
CHOKEPOINT=${CHOKEPOINT:-build/dataplane/chokepoint}
PY=/usr/bin/python3
OUTPUTS="verdicts.jsonl pass.pcap drop.pcap inject.pcap counters.json"
TIMEOUT=60

if [ ! -x "$CHOKEPOINT" ]; then
	echo "replay: $CHOKEPOINT is not an executable (set CHOKEPOINT)" >&2
	exit 2
fi

TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-replay.XXXXXX") || exit 2
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		echo "replay: outputs kept in $TMPROOT"
	else
		rm -rf "$TMPROOT"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
skipped=0
WHY=""
DETAIL=""
SKIPPED=""

# Packets in a pcap (0 when the file is missing or unreadable).
count_packets() {
	"$PY" tests/gen/pcapinfo.py "$1" | awk '{ print ($1 < 0) ? 0 : $2 }'
}

# run_chokepoint CASE_DIR GEN_DIR OUT_DIR WORKERS LOG: one replay under the time limit.
run_chokepoint() {
	local dir=$1 gen=$2 out=$3 workers=$4 log=$5
	local args=(--replay "$gen/input.pcap" --policy "$dir/policy.conf" --out "$out"
		--workers "$workers")
	[ -f "$dir/events.jsonl" ] && args+=(--events "$dir/events.jsonl")
	mkdir -p "$out"
	timeout "$TIMEOUT" "$CHOKEPOINT" "${args[@]}" >"$log" 2>&1
}

# run_case DIR: sets WHY (empty on success), DETAIL (more lines to show on failure) and SKIPPED
# (the reason when gen.py exited 77).
run_case() {
	local dir=$1 name tmp rc f n_in n_pass n_drop
	name=$(basename "$dir")
	tmp="$TMPROOT/$name"
	mkdir -p "$tmp"
	WHY=""
	DETAIL=""
	SKIPPED=""
	"$PY" "$dir/gen.py" "$tmp/gen" >"$tmp/gen.log" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		SKIPPED=$(tail -n 1 "$tmp/gen.log")
		SKIPPED=${SKIPPED:-gen.py exited 77}
		return
	fi
	if [ $rc -ne 0 ]; then
		WHY="gen.py failed"
		DETAIL=$(tail -n 20 "$tmp/gen.log")
		return
	fi
	run_chokepoint "$dir" "$tmp/gen" "$tmp/out1" 1 "$tmp/run1.log"
	rc=$?
	if [ $rc -ne 0 ]; then
		WHY="chokepoint --workers 1 exited $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
		DETAIL=$(tail -n 20 "$tmp/run1.log")
		return
	fi
	if [ ! -f "$tmp/out1/verdicts.jsonl" ]; then
		WHY="no verdicts.jsonl"
		return
	fi
	if ! DETAIL=$(diff -u --label expected.jsonl --label verdicts.jsonl \
		"$tmp/gen/expected.jsonl" "$tmp/out1/verdicts.jsonl"); then
		WHY="verdicts differ from expected.jsonl"
		DETAIL=$(printf '%s\n' "$DETAIL" | head -n 80)
		return
	fi
	DETAIL=""
	n_in=$(count_packets "$tmp/gen/input.pcap")
	n_pass=$(count_packets "$tmp/out1/pass.pcap")
	n_drop=$(count_packets "$tmp/out1/drop.pcap")
	if [ $((n_pass + n_drop)) -ne "$n_in" ]; then
		WHY="pass.pcap ($n_pass) + drop.pcap ($n_drop) != input ($n_in) packets"
		return
	fi
	run_chokepoint "$dir" "$tmp/gen" "$tmp/out2" 2 "$tmp/run2.log"
	rc=$?
	if [ $rc -ne 0 ]; then
		WHY="chokepoint --workers 2 exited $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
		DETAIL=$(tail -n 20 "$tmp/run2.log")
		return
	fi
	for f in $OUTPUTS; do
		if [ ! -f "$tmp/out1/$f" ]; then
			WHY="$f missing"
			return
		fi
		if ! cmp -s "$tmp/out1/$f" "$tmp/out2/$f"; then
			WHY="$f differs between --workers 1 and --workers 2"
			if [ "$f" = verdicts.jsonl ] || [ "$f" = counters.json ]; then
				DETAIL=$(diff -u "$tmp/out1/$f" "$tmp/out2/$f" | head -n 40)
			fi
			return
		fi
	done
	if [ -f "$dir/check.py" ]; then
		if ! DETAIL=$(timeout "$TIMEOUT" "$PY" "$dir/check.py" "$tmp/out1" 2>&1); then
			WHY="check.py failed"
			DETAIL=$(printf '%s\n' "$DETAIL" | head -n 40)
			return
		fi
		DETAIL=""
	fi
}

if [ $# -gt 0 ]; then
	cases=()
	for c in "$@"; do
		cases+=("tests/replay/$(basename "$c")/")
	done
else
	cases=(tests/replay/*/)
fi

for dir in "${cases[@]}"; do
	dir=${dir%/}
	name=$(basename "$dir")
	if [ ! -f "$dir/gen.py" ] || [ ! -f "$dir/policy.conf" ]; then
		echo "FAIL $name: no gen.py or policy.conf"
		failed=$((failed + 1))
		continue
	fi
	run_case "$dir"
	if [ -n "$SKIPPED" ]; then
		echo "SKIP $name: $SKIPPED"
		skipped=$((skipped + 1))
	elif [ -z "$WHY" ]; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name: $WHY"
		[ -n "$DETAIL" ] && printf '%s\n' "$DETAIL" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done

echo "replay: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
