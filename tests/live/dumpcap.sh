#!/usr/bin/env bash
# dpdk-dumpcap on a running live dataplane (rte_pdump): a client inside pings a server outside
# through chokepoint on af_packet ports; dpdk-dumpcap, a DPDK secondary process, captures on the
# inside port and must see the client's echo requests (received there) and the server's replies
# (sent there), while the dataplane keeps forwarding. Needs root, namespaces and dpdk-dumpcap (Debian dpdk).
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh

CLIENT4=192.0.2.10
SERVER4=192.0.2.100

lt_init live-dumpcap
command -v dpdk-dumpcap >/dev/null || { echo "SKIP live-dumpcap: no dpdk-dumpcap"; exit 0; }
lt_ns client && lt_ns server || lt_die "namespaces"
lt_veth client eth0 ci "$CLIENT4/24" || lt_die "veth client"
lt_veth server eth0 sv "$SERVER4/24" || lt_die "veth server"
lt_deploy_config "$LT_DIR/dep.conf" ci sv || lt_die "deployment config"
cat >"$LT_DIR/policy.conf" <<CONF
version = 1;
inside = [ "192.0.2.0/28" ];
rules = ( { name = "ping"; action = "pass"; from = "inside"; proto = "icmp"; } );
CONF
# dpdk-dumpcap is a secondary process: it maps the primary's memory, which must be hugepages
# (a --no-huge primary has nothing it can map). 192 2-MiB pages are made for the test and the
# count put back at exit; where none can be made, the test skips.
HP=/proc/sys/vm/nr_hugepages
hp_before=$(cat $HP)
hp_restore() { echo "$hp_before" >$HP 2>/dev/null; [ -n "${hp_mnt:-}" ] && umount "$hp_mnt"; }
trap 'hp_restore; lt_cleanup' EXIT
trap 'exit 1' INT TERM
sync; echo 1 >/proc/sys/vm/compact_memory 2>/dev/null
echo $((hp_before + 192)) >$HP 2>/dev/null
if ! mount | grep -q "type hugetlbfs"; then
	hp_mnt=/dev/hugepages
	mkdir -p $hp_mnt && mount -t hugetlbfs nodev $hp_mnt || hp_mnt=""
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -lt 160 ] || ! mount | grep -q "type hugetlbfs"; then
	echo "SKIP live-dumpcap: no hugepages could be made ($free free)"
	exit 0
fi
LT_CP_MEM="-m 320" lt_cp_start "$LT_DIR/dep.conf" "$LT_DIR/policy.conf" ||
	lt_die "chokepoint did not start: $(tail -3 "$LT_DIR/cp.err")"
grep -q "dpdk-dumpcap unavailable" "$LT_DIR/cp.out" && lt_die "$(grep dumpcap "$LT_DIR/cp.out")"

# Pings all along (bounded), dumpcap for 30 packets or 20 s on the inside port (index 0).
lt_bg client ping.log ping -c 60 -i 0.2 -W 1 "$SERVER4"
timeout 30 dpdk-dumpcap --file-prefix="$LT_CP_PREFIX" -i 0 -c 30 -a duration:20 -q \
	-w "$LT_DIR/inside.pcapng" >"$LT_DIR/dumpcap.log" 2>&1
rc=$?
[ "$rc" = 0 ] || lt_fail dumpcap-runs "exit $rc: $(tail -3 "$LT_DIR/dumpcap.log")"
got=$(tshark -r "$LT_DIR/inside.pcapng" -Y "icmp.type == 8 && ip.src == $CLIENT4 && ip.dst == $SERVER4" 2>/dev/null | wc -l)
if [ "$got" -ge 5 ]; then
	lt_pass dumpcap-sees-requests "$got echo requests captured on the inside port"
else
	lt_fail dumpcap-sees-requests "$got echo requests in the capture: $(tail -2 "$LT_DIR/dumpcap.log")"
fi
got=$(tshark -r "$LT_DIR/inside.pcapng" -Y "icmp.type == 0 && ip.src == $SERVER4 && ip.dst == $CLIENT4" 2>/dev/null | wc -l)
if [ "$got" -ge 5 ]; then
	lt_pass dumpcap-sees-replies "$got echo replies sent on the inside port captured"
else
	lt_fail dumpcap-sees-replies "$got echo replies in the capture"
fi
# The dataplane forwarded all along: replies came back while it was captured.
recv=$(lt_pings_answered ping.log 15)
[ "$recv" -ge 30 ] && lt_pass forwarding-unaffected "$recv of 60 pings answered" ||
	lt_fail forwarding-unaffected "$recv of 60 pings answered"
lt_cp_stop >/dev/null || lt_fail clean-exit "chokepoint exit status $?"
lt_summary
