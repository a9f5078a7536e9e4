#!/bin/bash
# Corpus run: replays every capture of the tcpdump test corpus through chokepoint with a
# permissive policy. An Ethernet capture (link type 1) must exit 0 with exactly one verdict line
# per packet libpcap reads from it; any other capture must exit non-zero with exactly one line on
# stderr. A crash (exit >= 128) or a timeout (124) always fails.
#
# Usage: tests/corpus/run.sh [FILE...]
# Environment: CHOKEPOINT (default build/dataplane/chokepoint), CORPUS (default
# ../shared/corpus/tcpdump from the repository root), JOBS (default 2), KEEP=1 keeps temp dirs.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
export CHOKEPOINT=${CHOKEPOINT:-build/dataplane/chokepoint}
CORPUS=${CORPUS:-../shared/corpus/tcpdump}
JOBS=${JOBS:-2}
export PY=/usr/bin/python3
export TIMEOUT=30

if [ ! -x "$CHOKEPOINT" ]; then
	echo "corpus: $CHOKEPOINT is not an executable (set CHOKEPOINT)" >&2
	exit 2
fi
if [ ! -d "$CORPUS" ]; then
	echo "corpus: no corpus directory $CORPUS (set CORPUS)" >&2
	exit 2
fi

TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-corpus.XXXXXX") || exit 2
export TMPROOT
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		echo "corpus: outputs kept in $TMPROOT"
	else
		rm -rf "$TMPROOT"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check_one FILE: replays one capture; prints "PASS name" or "FAIL name: why".
check_one() {
	local f=$1 name tmp lt npkt rc nlines nerr why
	name=$(basename "$f")
	tmp=$(mktemp -d "$TMPROOT/one.XXXXXX")
	# Link type from the file header (first IDB for pcapng); packets: what libpcap reads,
	# counted from tcpdump's re-written copy (tcpdump -nr prints several lines for some).
	read -r lt _ _ < <("$PY" tests/gen/pcapinfo.py "$f")
	npkt=$(tcpdump -r "$f" -w - 2>/dev/null | "$PY" tests/gen/pcapinfo.py /dev/stdin |
		awk '{ print ($1 < 0) ? 0 : $2 }')
	timeout "$TIMEOUT" "$CHOKEPOINT" --replay "$f" --policy tests/corpus/policy.conf \
		--out "$tmp/out" --workers 1 >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	nerr=$(wc -l <"$tmp/stderr")
	if [ $rc -ge 124 ]; then
		case $rc in
		124) why="timeout after ${TIMEOUT}s" ;;
		125 | 126 | 127) why="could not run" ;;
		*) why="killed by signal $((rc - 128))" ;;
		esac
		echo "FAIL $name: exit $rc ($why), link type $lt: $(tail -n 1 "$tmp/stderr")"
	elif [ "$lt" = 1 ]; then
		nlines=$( (wc -l <"$tmp/out/verdicts.jsonl") 2>/dev/null || echo 0)
		if [ $rc -ne 0 ]; then
			echo "FAIL $name: Ethernet capture, exit $rc: $(tail -n 1 "$tmp/stderr")"
		elif [ ! -f "$tmp/out/verdicts.jsonl" ]; then
			echo "FAIL $name: Ethernet capture, no verdicts.jsonl"
		elif [ "$nlines" -ne "$npkt" ]; then
			echo "FAIL $name: $nlines verdict lines for $npkt packets"
		else
			echo "PASS $name"
		fi
	else
		if [ $rc -eq 0 ]; then
			echo "FAIL $name: link type $lt accepted (exit 0)"
		elif [ "$nerr" -ne 1 ]; then
			echo "FAIL $name: link type $lt, exit $rc with $nerr lines on stderr" \
				"(want exactly 1)"
		else
			echo "PASS $name"
		fi
	fi
	rm -rf "$tmp"
}
export -f check_one

# The captures to replay, NUL-separated: the arguments, else every capture of the corpus.
list_inputs() {
	if [ $# -gt 0 ]; then
		printf '%s\0' "$@"
	else
		find "$CORPUS" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o \
			-name '*.cap' \) -print0 | sort -z
	fi
}

# shellcheck disable=SC2016 # "$1" is expanded by the child bash
list_inputs "$@" | xargs -0 -P "$JOBS" -I{} bash -c 'check_one "$1"' _ {} \
	>"$TMPROOT/results" 2>"$TMPROOT/stderr"

grep '^FAIL' "$TMPROOT/results" | sort
passed=$(grep -c '^PASS' "$TMPROOT/results")
failed=$(grep -c '^FAIL' "$TMPROOT/results")
echo "corpus: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
