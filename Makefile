# chokepoint: `make` builds, `make demo` replays the bundled border capture, `make test` runs
# every test. Missing Debian packages are installed first (apt-get, as root).
BUILD ?= build
PY := /usr/bin/python3
DEBS := dpdk dpdk-dev libdpdk-dev libhyperscan-dev libbpf-dev libconfig-dev libjansson-dev libcmocka-dev libpcap-dev \
	meson ninja-build pkg-config gcc python3-scapy tcpdump iproute2 curl iputils-ping ethtool prometheus \
	openssl bind9-dnsutils dnsmasq-base valgrind clang llvm libclang-rt-14-dev iperf3 gnuplot-nox \
	libndpi-bin libjansson-dev debhelper dpkg-dev systemd tshark
CHOKEPOINT := $(BUILD)/dataplane/chokepoint
CHOKECTL := $(BUILD)/ctrlplane/chokectl

.PHONY: all deps build demo test test-unit test-rules test-replay test-corpus test-live test-swap \
	test-sanitizers test-e2e test-faults test-package fuzz test-fuzz bench bench-quick clean format

all: build

deps:
	@missing=""; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "run as root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@mkdir -p $(BUILD)/demo
	$(PY) tests/gen/border_demo.py $(BUILD)/demo/border.pcap
	$(CHOKEPOINT) --replay $(BUILD)/demo/border.pcap --policy rules/border.conf \
		--events rules/border.events.jsonl --out $(BUILD)/demo/out --workers 1

test: build
	@$(MAKE) --no-print-directory test-unit test-rules test-replay test-live test-e2e test-faults \
		test-swap test-corpus test-sanitizers test-fuzz test-package

# The unit and replay tests again under ASan+UBSan (leaks included), and one replay under
# valgrind memcheck.
ASAN_BUILD ?= build-asan
test-sanitizers: deps
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 CHOKEPOINT=$(ASAN_BUILD)/dataplane/chokepoint bash tests/replay/run.sh
	bash tests/valgrind/replay.sh $(CHOKEPOINT)

test-unit:
	meson test -C $(BUILD) --suite unit --print-errorlogs

test-rules:
	$(CHOKECTL) check rules/*.conf
	CHOKECTL=$(CHOKECTL) bash tests/cli/check.sh
	bash tests/cli/alerts.sh
	CHOKECTL=$(CHOKECTL) CHOKEPOINT=$(CHOKEPOINT) bash tests/cli/diff.sh

test-replay:
	CHOKEPOINT=$(CHOKEPOINT) bash tests/replay/run.sh

test-live:
	CHOKEPOINT=$(CHOKEPOINT) bash tests/live/pcap_ports.sh
	CHOKEPOINT=$(CHOKEPOINT) bash tests/live/af_packet.sh
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/live/control.sh
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/live/prometheus.sh
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/live/two_dataplanes.sh
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/live/payload.sh
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/live/inside_large.sh
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/live/af_xdp.sh
	CHOKEPOINT=$(CHOKEPOINT) bash tests/live/dumpcap.sh
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/live/trace.sh

# The whole border in namespaces, on af_packet and on af_xdp, with chokectl serve (tests/e2e).
test-e2e:
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/e2e/run.sh all

# Limits, faults and access: hostile control clients, killed peers, a full or read-only --state,
# corrupt state files, a second uid, large policies (FAULTS_BIG=1: 1M prefixes, 100k names).
test-faults:
	CHOKEPOINT=$(CHOKEPOINT) CHOKECTL=$(CHOKECTL) bash tests/faults/faults.sh

# The Debian package: built from the tree, installed, its units verified, its programs run, removed.
test-package:
	CHOKEPOINT=$(CHOKEPOINT) bash tests/package/package.sh

SWAP_EAL := --no-huge -m 1024 --no-shconf --no-pci --no-telemetry --log-level='*:error'
test-swap:
	$(BUILD)/tests/test-swap-noloss $(SWAP_EAL) --file-prefix=cp-swap1 -l 0-1 -- --packets 50000 --workers 1
	$(BUILD)/tests/test-swap-noloss $(SWAP_EAL) --file-prefix=cp-swap2 --lcores '(0-2)@(0-1)' -- --packets 50000 --workers 2

test-corpus:
	CHOKEPOINT=$(CHOKEPOINT) bash tests/corpus/run.sh

# libFuzzer harnesses (tests/fuzz/README.md): `make fuzz` runs each for FUZZ_SECONDS; make test
# replays every kept finding and runs each briefly.
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 12
fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

test-fuzz:
	bash tests/fuzz/regress.sh
	bash tests/fuzz/run.sh $(FUZZ_CI_SECONDS)

# Benchmarks (bench/README.md): the table, bench/results/latest.json and the plots.
bench: build
	$(PY) bench/run

bench-quick: build
	$(PY) bench/run --quick

format:
	clang-format -i common/*.[ch] dataplane/*.c dataplane/*/*.[ch] ctrlplane/*.[ch] tests/unit/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
