#!/bin/bash
# Fuzzes each harness for SECONDS: builds the harnesses (tests/fuzz/build.sh), makes the seed
# corpora once (tests/fuzz/seeds.sh), runs each harness over its growing corpus
# (FUZZ_DIR/corpus/<harness>/, kept between runs) and prints per harness the inputs executed and
# the findings. A finding's input is copied to tests/fuzz/regress/<harness>/ (replayed by
# regress.sh); the exit status is 1 when there was any. One harness at a time.
#
# Usage: tests/fuzz/run.sh SECONDS [HARNESS...]    (default: every harness)
# Environment: FUZZ_DIR (default build-fuzz: binaries, seeds, corpora, logs), FUZZ_NICE (nice
# level, default 10), FUZZ_ARGS (more libFuzzer flags).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
# shellcheck source=tests/fuzz/options.sh
. tests/fuzz/options.sh

SECS=${1:?usage: run.sh SECONDS [HARNESS...]}
shift
HARNESSES=${*:-$FUZZ_HARNESSES}
DIR=${FUZZ_DIR:-build-fuzz}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# shellcheck disable=SC2086 # a list of names
tests/fuzz/build.sh "$DIR/bin" $HARNESSES >/dev/null || exit 2
if [ ! -d "$DIR/seeds" ]; then
	tests/fuzz/seeds.sh "$DIR/seeds.tmp" >/dev/null || exit 2
	mv "$DIR/seeds.tmp" "$DIR/seeds"
fi

found=0
printf '%-8s %8s %12s %10s %8s %s\n' harness seconds executions exec/s corpus findings
for h in $HARNESSES; do
	art="$DIR/artifacts/$h"
	corpus="$DIR/corpus/$h"
	log="$DIR/logs/$h.log"
	mkdir -p "$art" "$corpus" "$DIR/logs"
	seeds=("$DIR/seeds/$h")
	[ -d "tests/fuzz/regress/$h" ] && seeds+=("tests/fuzz/regress/$h")
	before=$(find "$art" -type f | sort)
	start=$(date +%s)
	# shellcheck disable=SC2046,SC2086
	nice -n "${FUZZ_NICE:-10}" "$DIR/bin/fuzz_$h" $(fuzz_opts "$h") -rss_limit_mb=2048 \
		-max_total_time="$SECS" -print_final_stats=1 -artifact_prefix="$art/" \
		${FUZZ_ARGS:-} "$corpus" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
	rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log" | tail -1)
	new=$(comm -13 <(echo "$before") <(find "$art" -type f | sort) | grep -v '/slow-unit-')
	n=0
	for f in $new; do
		mkdir -p "tests/fuzz/regress/$h"
		cp "$f" "tests/fuzz/regress/$h/"
		n=$((n + 1))
	done
	if [ "$rc" != 0 ] && [ "$n" = 0 ]; then
		n="rc=$rc"
	fi
	printf '%-8s %8s %12s %10s %8s %s\n' "$h" "$took" "${execs:-?}" "${rate:-?}" \
		"$(find "$corpus" -type f | wc -l)" "$n"
	if [ "$n" != 0 ]; then
		found=1
		for f in $new; do echo "  $f -> tests/fuzz/regress/$h/$(basename "$f")"; done
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/  /'
		echo "  log: $log"
	fi
done
exit $found
