#!/usr/bin/env bash
# Live test of the Prometheus export: chokepoint on net_pcap ports (a fixed capture in, so the
# counters settle), `chokectl serve --metrics 127.0.0.1:PORT`, and a real Prometheus of this
# run's own (loopback, its own config and data directory, a bounded lifetime) scraping it every
# second. Checks: the exposition has HELP and TYPE for every SPEC section 7 name and the labels it
# documents; Prometheus scrapes the target without error; the values it stores match
# `chokectl stats --json`, also after a grant and a policy reload change them.
# Needs root, curl, python3 (with scapy) and prometheus (Debian: prometheus); skips without the
# prometheus binary. LT_KEEP=1 keeps the logs.
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/live/netns.sh
. tests/live/netns.sh
# shellcheck source=tests/live/control_lib.sh
. tests/live/control_lib.sh

PROMETHEUS=${PROMETHEUS:-prometheus}
PROM_LIFETIME=90 # seconds: the whole test is well within it
# SPEC section 7: each name with the labels its samples carry.
FAMILIES="packets_total:verdict bytes_total:verdict rule_packets_total:rule
rule_bytes_total:rule category_matches_total:category drop_reason_total:reason
port_packets_total:port,direction port_missed_total:port flows_active: flows_created_total:
flows_evicted_total: grants_active: policy_generation: uplink_active:uplink
worker_busy_ratio:worker"

LT_SUITE=live-prometheus
command -v "$PROMETHEUS" >/dev/null ||
	lt_skip "no prometheus binary (Debian: apt-get install prometheus)"
cl_init_plain live-prometheus
[ -x "$CHOKECTL" ] || lt_die "no chokectl binary at $CHOKECTL (build first)"
"$LT_PY" -c 'import scapy' 2>/dev/null || lt_die "python3 has no scapy (Debian: python3-scapy)"

policy_text() {
	cat <<-CONF
		version = 1;
		inside = [ "192.0.2.0/24" ];
		categories = ( { name = "social"; host = [ "social.example" ]; } );
		rules = (
		  { name = "no-social"; action = "drop"; from = "inside"; category = "social"; },
		  { name = "web"; action = "pass"; from = "inside"; proto = "tcp"; dport = $1; }
		);
	CONF
}

setup() {
	"$LT_PY" - "$LT_DIR" <<-'PYEOF' || return 1
		import sys
		from scapy.all import Ether, IP, TCP, UDP, wrpcap
		d = sys.argv[1]
		e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
		c, s = "192.0.2.5", "198.51.100.1"
		out = [e/IP(src=c, dst=s)/TCP(sport=1000+i, dport=80, flags="S") for i in range(10)]
		out += [e/IP(src=c, dst=s)/TCP(sport=2000+i, dport=22, flags="S") for i in range(5)]
		back = [e/IP(src=s, dst=c)/TCP(sport=80, dport=1000+i, flags="SA")
		        for i in range(10)]
		back += [e/IP(src="203.0.113.9", dst=c)/UDP(sport=4, dport=53) for i in range(3)]
		wrpcap(d + "/inside.pcap", out)
		wrpcap(d + "/up.pcap", back)
	PYEOF
	local d=$LT_DIR
	cat >"$d/deploy.conf" <<-CONF
		ports = (
		  { name = "inside"; role = "inside";
		    device = "net_pcap_in,rx_pcap=$d/inside.pcap,tx_pcap=$d/inside_out.pcap"; },
		  { name = "fiber"; role = "uplink";
		    device = "net_pcap_up,rx_pcap=$d/up.pcap,tx_pcap=$d/up_out.pcap"; }
		);
		workers = 1;
		flows = 4096;
		control_socket = "$d/dataplane.sock";
	CONF
	policy_text 80 >"$d/policy.conf"
	CL_POLICY=$d/policy.conf
	CL_SOCK=$d/ctl.sock
	METRICS_PORT=$(cl_free_port) && PROM_PORT=$(cl_free_port) || return 1
	while [ "$PROM_PORT" = "$METRICS_PORT" ]; do PROM_PORT=$(cl_free_port); done
	cat >"$d/prometheus.yml" <<-YML
		global:
		  scrape_interval: 1s
		  scrape_timeout: 1s
		  evaluation_interval: 1s
		scrape_configs:
		  - job_name: chokepoint
		    static_configs:
		      - targets: ["127.0.0.1:$METRICS_PORT"]
	YML
}

start_prometheus() {
	timeout -s TERM "$PROM_LIFETIME" "$PROMETHEUS" --config.file="$LT_DIR/prometheus.yml" \
		--storage.tsdb.path="$LT_DIR/prom-data" --storage.tsdb.retention.time=1h \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
		>"$LT_DIR/prometheus.log" 2>&1 &
	LT_PIDS+=("$!")
	lt_wait_for 20 prom_ready
}

prom_ready() { curl -sf --max-time 1 "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null; }

# GET a Prometheus API path; prints the JSON.
prom_api() { curl -s --max-time 3 -G "http://127.0.0.1:$PROM_PORT/api/v1/$1" "${@:2}"; }

# The value of an instant query that must give one sample ("none" when it gives none).
prom_value() {
	prom_api query --data-urlencode "query=$1" | "$LT_PY" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if len(r) == 1 else "none")
except Exception:
    print("none")
'
}

# The chokepoint target's health and last error, as "HEALTH ERROR".
prom_target() {
	prom_api targets | "$LT_PY" -c '
import json, sys
try:
    t = [t for t in json.load(sys.stdin)["data"]["activeTargets"]
         if t["labels"].get("job") == "chokepoint"]
    print(t[0]["health"], t[0].get("lastError", ""))
except Exception:
    print("unknown")
'
}

target_up() { [ "$(prom_target)" = "up " ]; }

# Wait until Prometheus has stored what stats --json says for (QUERY, STATS PATH); "" or why not.
prom_matches() {
	local query=$1 path=$2 want got i
	for i in $(seq 1 50); do
		want=$(cl_stat "$path")
		got=$(prom_value "$query")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "$query is $got in Prometheus, stats --json $path says $want"
}

check_exposition() {
	local name=exposition-help-type bad
	if ! curl -s --max-time 3 -o "$LT_DIR/metrics.txt" \
		"http://127.0.0.1:$METRICS_PORT/metrics"; then
		lt_fail "$name" "GET /metrics on 127.0.0.1:$METRICS_PORT failed"
		return
	fi
	bad=$("$LT_PY" - "$LT_DIR/metrics.txt" "$FAMILIES" <<-'PYEOF'
		import re, sys
		text = open(sys.argv[1]).read().splitlines()
		bad = []
		for item in sys.argv[2].split():
		    fam, labels = item.split(":")
		    name = "chokepoint_" + fam
		    want_type = "counter" if fam.endswith("_total") else "gauge"
		    helps = [l for l in text if re.match(r"# HELP %s \S" % name, l)]
		    types = [l.split()[3] for l in text
		             if l.startswith("# TYPE %s " % name) and len(l.split()) == 4]
		    if len(helps) != 1:
		        bad.append("%s: %d HELP lines" % (name, len(helps)))
		    if types != [want_type]:
		        bad.append("%s: TYPE %s, want %s" % (name, types, want_type))
		    want = sorted(x for x in labels.split(",") if x)
		    for l in text:
		        m = re.match(r"%s(\{(.*)\})? \S+$" % name, l)
		        if m is None:
		            continue
		        got = sorted(re.findall(r'(\w+)="', m.group(2) or ""))
		        if got != want:
		            bad.append("%s: sample labels %s, want %s" % (name, got, want))
		            break
		print("; ".join(bad))
	PYEOF
	)
	# promtool (in the prometheus package) lints the exposition format and naming.
	if command -v promtool >/dev/null &&
		! promtool check metrics <"$LT_DIR/metrics.txt" >"$LT_DIR/promtool.log" 2>&1; then
		bad="${bad:+$bad; }promtool check metrics: $(cl_tail "$LT_DIR/promtool.log")"
	fi
	lt_result "$name" "$bad"
}

check_scrape() {
	local name=prometheus-scrapes-target t
	if lt_wait_for 15 target_up; then
		lt_pass "$name"
	else
		t=$(prom_target)
		lt_fail "$name" "target health/last error after 15 s: ${t:-none} ($(tail -n 3 \
			"$LT_DIR/prometheus.log" | tr '\n' ' '))"
	fi
}

check_values() {
	local name=prometheus-values-match-stats bad=() why q p
	local dd='chokepoint_drop_reason_total{reason="default-deny"}'
	for q in "chokepoint_policy_generation policy_generation" \
		'chokepoint_packets_total{verdict="pass"} packets_total.pass' \
		'chokepoint_packets_total{verdict="drop"} packets_total.drop' \
		"$dd drop_reason_total.default-deny" \
		'chokepoint_uplink_active{uplink="fiber"} uplink_active.fiber'; do
		p=${q##* }
		why=$(prom_matches "${q% *}" "$p")
		[ -z "$why" ] || bad+=("$why")
	done
	[ "$(cl_stat packets_total.pass)" -gt 0 ] 2>/dev/null ||
		bad+=("packets_total.pass is $(cl_stat packets_total.pass): nothing went through")
	[ ${#bad[@]} -eq 0 ] || bad+=("$(cl_diag)")
	lt_result "$name" "$(printf '%s; ' "${bad[@]}" | sed 's/; $//')"
}

# A change on the control plane shows in Prometheus at the next scrapes.
check_changes() {
	local name=prometheus-follows-changes bad=() why gen0 mark
	cl_ctl grant 192.0.2.5 --for 1h >/dev/null 2>&1 || bad+=("grant failed")
	why=$(prom_matches chokepoint_grants_active grants_active)
	[ -z "$why" ] || bad+=("after a grant: $why")
	[ "$(cl_stat grants_active)" = 1 ] || bad+=("grants_active is $(cl_stat grants_active)")
	gen0=$(cl_stat policy_generation)
	mark=$(cl_mark "$LT_DIR/serve.out")
	policy_text 443 >"$CL_POLICY"
	cl_wait_line "$LT_DIR/serve.out" "$mark" 3 "policy .* reloaded" || bad+=("no reload")
	why=$(prom_matches chokepoint_policy_generation policy_generation)
	[ -z "$why" ] || bad+=("after a reload: $why")
	[ "$(cl_stat policy_generation)" -gt "$gen0" ] 2>/dev/null ||
		bad+=("policy_generation $gen0 then $(cl_stat policy_generation)")
	[ ${#bad[@]} -eq 0 ] || bad+=("$(cl_diag)")
	lt_result "$name" "$(printf '%s; ' "${bad[@]}" | sed 's/; $//')"
}

setup || lt_die "cannot write the capture and the configs"
# With the policy from the start: the capture goes through at once.
lt_cp_start "$LT_DIR/deploy.conf" "$CL_POLICY" ||
	lt_die "chokepoint did not start: $(cl_tail "$LT_DIR/cp.err") $(cl_tail "$LT_DIR/cp.out")"
cl_serve_start --metrics "127.0.0.1:$METRICS_PORT" ||
	lt_die "chokectl serve did not start: $(tail -n 5 "$LT_DIR/serve.err" | tr '\n' ' ')"
cl_wait_line "$LT_DIR/serve.out" 0 5 "dataplane .* synced" ||
	lt_die "serve did not sync the dataplane: $(tr '\n' ' ' <"$LT_DIR/serve.out")"
start_prometheus ||
	lt_die "prometheus did not get ready: $(tail -n 5 "$LT_DIR/prometheus.log" | tr '\n' ' ')"

check_exposition
check_scrape
check_values
check_changes
lt_summary
