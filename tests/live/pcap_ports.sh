#!/usr/bin/env bash
# Live mode on real DPDK ports (net_pcap vdevs named in the deployment config, probed by
# chokepoint itself): inside and uplink traffic in, forwarded frames out, counters read through
# DPDK telemetry (dpdk-telemetry.py) while it runs and printed on exit.
set -euo pipefail
CHOKEPOINT=${CHOKEPOINT:-build/dataplane/chokepoint}
PY=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL live-pcap-ports: $*"; echo "live: 0 passed, 1 failed"; exit 1; }

$PY - "$dir" <<'PYEOF'
import sys
from scapy.all import Ether, IP, TCP, UDP, wrpcap
d = sys.argv[1]
e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
inside = [e/IP(src="192.0.2.5", dst="198.51.100.1")/TCP(sport=1000+i, dport=80, flags="S") for i in range(10)]
inside += [e/IP(src="192.0.2.5", dst="198.51.100.1")/TCP(sport=2000+i, dport=22, flags="S") for i in range(5)]
up = [e/IP(src="198.51.100.1", dst="192.0.2.5")/TCP(sport=80, dport=1000+i, flags="SA") for i in range(10)]
up += [e/IP(src="203.0.113.9", dst="192.0.2.5")/UDP(sport=4, dport=53) for i in range(3)]
wrpcap(d + "/inside.pcap", inside)
wrpcap(d + "/up.pcap", up)
PYEOF
cat > "$dir/dep.conf" <<CONF
ports = (
  { name = "inside"; role = "inside"; device = "net_pcap_in,rx_pcap=$dir/inside.pcap,tx_pcap=$dir/inside_out.pcap"; },
  { name = "fiber";  role = "uplink"; device = "net_pcap_up,rx_pcap=$dir/up.pcap,tx_pcap=$dir/up_out.pcap"; }
);
workers = 1;
flows = 4096;
control_socket = "$dir/dp.sock";
CONF
cat > "$dir/policy.conf" <<CONF
version = 1;
inside = [ "192.0.2.0/24" ];
rules = ( { name = "web"; action = "pass"; from = "inside"; proto = "tcp"; dport = 80; } );
CONF
prefix=cp-live-$$
timeout -s INT 20 "$CHOKEPOINT" --no-huge -m 512 --no-shconf --no-pci --log-level='*:error' \
	--file-prefix=$prefix -l 0-1 -- --config "$dir/dep.conf" --policy "$dir/policy.conf" \
	> "$dir/stdout" 2> "$dir/stderr" &
pid=$!
# DPDK telemetry: /chokepoint/stats once the capture has gone through (bounded wait).
tel=""
for _ in $(seq 1 50); do
	sleep 0.2
	[ -S /var/run/dpdk/$prefix/dpdk_telemetry.v2 ] || continue
	tel=$(printf '/chokepoint/stats\n/chokepoint/policy\n' | dpdk-telemetry.py -f $prefix 2>/dev/null | tail -2)
	case "$tel" in *'"packets_pass": 20'*) break ;; esac
done
kill -INT $pid 2>/dev/null
wait $pid || [ $? = 124 ] || fail "exit status $?: $(cat "$dir/stderr")"
case "$tel" in
*'"packets_pass": 20'*'"drop_default_deny": 8'*'"generation": 1'*) ;;
*) fail "telemetry said: $tel" ;;
esac
count() { $PY -c 'import sys; from scapy.all import rdpcap; print(len(rdpcap(sys.argv[1])))' "$1"; }
# 10 web SYNs leave by the uplink, their 10 SYN-ACKs come back inside; port 22 and UDP are dropped.
[ "$(count "$dir/up_out.pcap")" = 10 ] || fail "uplink got $(count "$dir/up_out.pcap") frames, want 10"
[ "$(count "$dir/inside_out.pcap")" = 10 ] || fail "inside got $(count "$dir/inside_out.pcap") frames, want 10"
grep -q '"drop_reason_total": {"default-deny": 8}' "$dir/stdout" || fail "counters: $(cat "$dir/stdout")"
grep -q '"rule_packets_total": {"web": 20}' "$dir/stdout" || fail "rule counters: $(cat "$dir/stdout")"
echo "PASS live-pcap-ports"
echo "live: 1 passed, 0 failed"
