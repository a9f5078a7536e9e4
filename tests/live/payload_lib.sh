# shellcheck shell=bash
# A sourced library for live tests of payload categories, on top of tests/live/netns.sh and
# tests/live/control_lib.sh (source those first): a TLS server and a DNS server for a namespace,
# an HTTPS and a DNS client whose results are one line, and snapshots of `chokectl stats --json`
# to compare counters before and after a check. Every process it starts is registered for
# lt_cleanup; every wait and every client is bounded.
#
# Functions:
#   pl_tools                  lt_die unless openssl, dnsmasq and dig are installed.
#   pl_tls_server NS CN       a self-signed certificate for CN in LT_DIR, then
#                             `openssl s_server -www` on TCP 443 in NS (it answers GET / over TLS
#                             with a 200); waits until it listens.
#   pl_dns_server NS ADDR NAME=IP...
#                             dnsmasq in NS on ADDR port 53 answering NAME and its subdomains with
#                             IP, nothing else (no upstream, no hosts file); every query logged to
#                             $LT_DIR/dnsmasq.log; waits until it listens.
#   pl_queried NAME           did dnsmasq log a query for NAME?
#   pl_https NS NAME ADDR [SCHEME]
#                             curl SCHEME://NAME/ (https by default) from NS with NAME resolved
#                             to ADDR, --max-time $PL_MAXT; prints "EXIT HTTPCODE SECONDS ERROR"
#                             (ERROR: curl's message, "-" when none).
#   pl_dig NS ADDR NAME       dig @ADDR +time=2 +tries=1 NAME (A) from NS, whole output in
#                             $LT_DIR/dig-NAME.out; prints "EXIT STATUS ANSWERS" (STATUS: the
#                             header's status or "-" when no reply; ANSWERS: the A records,
#                             comma-separated, or "-").
#   pl_snap FILE              `chokectl stats --json` into $LT_DIR/FILE (empty on failure).
#   pl_val FILE PATH          the value at PATH ("a.b") in snapshot FILE (0 when missing).
#   pl_delta FILE1 FILE2 PATH pl_val FILE2 PATH minus pl_val FILE1 PATH.
#   pl_unreach NS             the ICMP destination-unreachable messages NS has received
#                             (IcmpInDestUnreachs of its /proc/net/snmp).

PL_MAXT=${PL_MAXT:-5} # seconds a curl may take; a reset must come well before

pl_tools() {
	local tool missing=""
	for tool in openssl dnsmasq dig; do
		command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
	done
	[ -z "$missing" ] || lt_die "missing:$missing (Debian: openssl dnsmasq-base bind9-dnsutils)"
}

pl_tls_server() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$2" -keyout "$LT_DIR/tls.key" -out "$LT_DIR/tls.crt" \
		>"$LT_DIR/openssl-req.log" 2>&1 || return 1
	lt_bg "$1" s_server.log openssl s_server -accept 443 -www -quiet \
		-cert "$LT_DIR/tls.crt" -key "$LT_DIR/tls.key"
	lt_wait_listen "$1" 443
}

pl_dns_server() {
	local ns=$1 addr=$2 a args=()
	shift 2
	for a in "$@"; do
		args+=("--address=/${a%%=*}/${a#*=}")
	done
	# --user=root: the default user (nobody or dnsmasq) may not exist in a minimal image.
	lt_bg "$ns" dnsmasq.log "$(command -v dnsmasq || echo /usr/sbin/dnsmasq)" --no-daemon \
		--no-resolv --no-hosts --user=root --listen-address="$addr" --bind-interfaces \
		--pid-file="$LT_DIR/dnsmasq.pid" --log-queries --log-facility=- "${args[@]}"
	lt_wait_listen "$ns" 53
}

pl_queried() { grep -q "query\[A\] $1 " "$LT_DIR/dnsmasq.log" 2>/dev/null; }

pl_https() {
	local ns=$1 name=$2 addr=$3 scheme=${4:-https} port=443 out rc err
	[ "$scheme" = http ] && port=80
	out=$(lt_exec "$ns" curl -sSk -o /dev/null -w '%{http_code} %{time_total}' \
		--max-time "$PL_MAXT" --resolve "$name:$port:$addr" "$scheme://$name/" \
		2>"$LT_DIR/curl.err")
	rc=$?
	err=$(head -n 1 "$LT_DIR/curl.err" | tr -s ' \t' ' ')
	echo "$rc ${out:-000 ?} ${err:--}"
}

pl_dig() {
	local ns=$1 addr=$2 name=$3 out=$LT_DIR/dig-$3.out rc status answers
	lt_exec "$ns" dig @"$addr" +time=2 +tries=1 "$name" A >"$out" 2>&1
	rc=$?
	status=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' "$out" | head -n 1)
	answers=$(awk '!/^;/ && $4 == "A" { print $5 }' "$out" | paste -sd, -)
	echo "$rc ${status:--} ${answers:--}"
}

pl_snap() { cl_ctl stats --json >"$LT_DIR/$1" 2>>"$LT_DIR/ctl.err" || : >"$LT_DIR/$1"; }

pl_val() { cl_json "$2" <"$LT_DIR/$1"; }

pl_delta() {
	local a b
	a=$(pl_val "$1" "$3")
	b=$(pl_val "$2" "$3")
	echo $((${b:-0} - ${a:-0}))
}

pl_unreach() {
	# shellcheck disable=SC2016 # an awk program
	lt_exec "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["InDestUnreachs"] }' /proc/net/snmp
}
