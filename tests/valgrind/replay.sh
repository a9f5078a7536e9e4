#!/bin/bash
# One replay under valgrind memcheck: the payload case (categories, streams, reassembly off) and
# the fragments case (reassembly on), each must run with no memcheck error and no definite leak.
# Usage: tests/valgrind/replay.sh [CHOKEPOINT]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
CHOKEPOINT=${1:-build/dataplane/chokepoint}
if ! command -v valgrind >/dev/null; then
	echo "valgrind: SKIP: valgrind is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-valgrind.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
failed=0
for case in category payload-fragments; do
	dir=tests/replay/$case
	/usr/bin/python3 "$dir/gen.py" "$tmp/$case" >/dev/null || { echo "valgrind: $case: gen.py failed"; exit 1; }
	if timeout 300 valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite -q "$CHOKEPOINT" --replay "$tmp/$case/input.pcap" \
		--policy "$dir/policy.conf" --out "$tmp/$case/out" --workers 1 --quiet \
		>"$tmp/$case.log" 2>&1 && cmp -s "$tmp/$case/expected.jsonl" "$tmp/$case/out/verdicts.jsonl"; then
		echo "PASS valgrind $case"
	else
		echo "FAIL valgrind $case"
		tail -n 30 "$tmp/$case.log"
		failed=1
	fi
done
exit $failed
