#!/bin/bash
# Builds the libFuzzer harnesses with clang (-fsanitize=fuzzer,address,undefined) straight from
# the project's sources: no meson, no DPDK.
#
# Usage: tests/fuzz/build.sh OUT_DIR [HARNESS...]   (default: every harness)
# Environment: CC (default clang), FUZZ_CFLAGS (extra flags).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: build.sh OUT_DIR [HARNESS...]}
shift
CC=${CC:-clang}
ALL="parse extract ctl_msg policy events"
HARNESSES=${*:-$ALL}

mkdir -p "$OUT"
cd "$ROOT"

# The project sources each harness links, and its libraries.
srcs() {
	case $1 in
	parse) echo dataplane/pkt/parse.c ;;
	extract) echo dataplane/pkt/extract.c ;;
	ctl_msg) echo common/ctl_msg.c common/diag.c common/addr.c ;;
	policy) echo common/policy_load.c common/policy_compile.c common/hs_patterns.c common/name_set.c \
		common/cfg_text.c common/diag.c common/addr.c common/duration.c ;;
	events) echo dataplane/run/events.c common/duration.c common/addr.c common/diag.c ;;
	*) echo "build.sh: unknown harness $1" >&2; return 1 ;;
	esac
}
libs() {
	case $1 in
	policy) echo "$(pkg-config --libs libhs libconfig) -lstdc++ -lm" ;;
	events) echo "$(pkg-config --libs jansson) -lm" ;;
	*) echo "" ;;
	esac
}
cflags() {
	case $1 in
	policy) pkg-config --cflags libhs libconfig ;;
	*) echo "" ;;
	esac
}

# shellcheck disable=SC2054 # the commas are in one flag
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-fno-omit-frame-pointer -D_GNU_SOURCE -std=c11 -Wall -Wextra -Werror -I common -I dataplane/pkt -I dataplane/run)

for h in $HARNESSES; do
	s=$(srcs "$h")
	# shellcheck disable=SC2046,SC2086
	"$CC" "${CFLAGS[@]}" $(cflags "$h") ${FUZZ_CFLAGS:-} -o "$OUT/fuzz_$h" \
		"tests/fuzz/fuzz_$h.c" $s $(libs "$h")
	echo "built $OUT/fuzz_$h"
done
