# Per-harness libFuzzer options and the sanitizer environment; sourced by run.sh and regress.sh.
# shellcheck shell=bash

# shellcheck disable=SC2034 # used by the scripts that source this
FUZZ_HARNESSES="parse extract ctl_msg policy events"

# fuzz_opts HARNESS: input size cap (extract: past the 16 KiB the SNI extractor looks at; policy:
# Hyperscan compiles are slow on big texts) and the per-input time limit.
fuzz_opts() {
	case $1 in
	parse) echo "-max_len=9100 -timeout=10" ;;
	extract) echo "-max_len=17000 -timeout=10" ;;
	ctl_msg) echo "-max_len=8192 -timeout=10" ;;
	policy) echo "-max_len=4096 -timeout=30" ;;
	events) echo "-max_len=8192 -timeout=10" ;;
	esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan.supp:print_suppressions=0}
