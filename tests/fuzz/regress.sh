#!/bin/bash
# Replays the inputs that once found bugs (tests/fuzz/regress/<harness>/*) through their
# harnesses, each once: fails when any of them fails again. This is what `make test` runs.
#
# Usage: tests/fuzz/regress.sh [HARNESS...]
# Environment: FUZZ_DIR (default build-fuzz; the binaries go to FUZZ_DIR/bin).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
# shellcheck source=tests/fuzz/options.sh
. tests/fuzz/options.sh

HARNESSES=${*:-$FUZZ_HARNESSES}
DIR=${FUZZ_DIR:-build-fuzz}

# shellcheck disable=SC2086 # a list of names
tests/fuzz/build.sh "$DIR/bin" $HARNESSES >/dev/null || exit 2
failed=0
for h in $HARNESSES; do
	files=()
	for f in "tests/fuzz/regress/$h"/*; do
		[ -f "$f" ] && files+=("$f")
	done
	[ ${#files[@]} = 0 ] && continue
	# shellcheck disable=SC2046
	if "$DIR/bin/fuzz_$h" $(fuzz_opts "$h") -rss_limit_mb=2048 "${files[@]}" \
		>"$DIR/regress-$h.log" 2>&1; then
		echo "PASS fuzz regress $h (${#files[@]} inputs)"
	else
		echo "FAIL fuzz regress $h: see $DIR/regress-$h.log"
		grep -E '^(Running:|==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$DIR/regress-$h.log" |
			tail -4 | sed 's/^/  /'
		failed=1
	fi
done
exit $failed
