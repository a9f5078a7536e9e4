#!/bin/bash
# Corpus check of the payload name extractors: for every capture in
# /work/shared/corpus/suricata-verify (or $CORPUS), the names tshark decodes that a SPEC §3
# category can match must be seen by tests/extract/extract_pcap.c (the extractors driven over the
# capture) with the same name, normalized the same way, at the same packet number or earlier.
#
# Usage: tests/extract/corpus_check.sh [-v] [DRIVER]   (default DRIVER: build/tests/extract-pcap;
# when missing, the driver is compiled by hand into a temporary directory). Needs tshark. Prints one
# line per failing capture (-v: every capture), the accepted differences by class, then
# "extract-corpus: N passed, M failed"; exits 1 on a failure. tshark's output is cached per
# capture (content hash, tshark version, fields) in $EXTRACT_CORPUS_CACHE (default
# build/extract-corpus-cache; EXTRACT_CORPUS_CACHE=none: no cache).
#
# What tshark shows that counts (a name a category can match, SPEC §3):
#  - sni:  tls.handshake.extensions_server_name in a frame whose transport is TCP;
#  - host: http.host (HTTP/1.x requests) in a frame whose transport is TCP, port stripped;
#  - dns:  the first dns.qry.name of each query message (QR 0) in a frame to UDP or TCP port 53.
# Names are normalized as the extractors do (lowercase, trailing dot dropped) and count only when
# they are host names: labels of 1..63 bytes of [a-z0-9_-], 253 bytes at most (or, for host, an
# IPv6 literal in brackets); tshark's "<Root>" and names with other bytes do not count.
#
# Accepted differences, each counted by class in the output (what tshark shows there is not what
# the dataplane classifies by):
#  - tunnel: a frame whose TCP/UDP does not follow a single IP header (VXLAN, GRE, IP-in-IP,
#    Teredo...): the dataplane classifies the outer flow and does not decapsulate;
#  - quic: an SNI in a QUIC Initial (UDP): encrypted, not a TLS ClientHello on TCP;
#  - http-udp: an HTTP-like request over UDP (SSDP's M-SEARCH and NOTIFY): not HTTP/1.x on TCP;
#  - dns-port: DNS to another port than 53 (mDNS 5353, LLMNR 5355, DNS over port 80...);
#  - dns-later-question: the second and later questions of one query (QDCOUNT > 1): DNS servers
#    answer one question, and cp_extract_dns returns the first;
#  - dns-pointer: a UDP query whose first question starts with a compression pointer (it can only
#    point forward or into the header, which RFC 1035 does not allow): refused as malformed;
#  - absolute-form: a request whose target is absolute (or a CONNECT authority) and names another
#    host than its Host header: the target's host wins (RFC 9112 §3.2.2), so the driver must have
#    reported that one at the frame instead.
# Captures with no name that counts are neither passed nor failed.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${CORPUS:-/work/shared/corpus/suricata-verify}
fields=(frame.number frame.protocols udp.dstport tcp.dstport dns.flags.response dns.count.queries
	tls.handshake.extensions_server_name http.host dns.qry.name http.request.method
	http.request.uri udp.payload)

# tshark's fields for capture $1 on stdout, from the cache when it is there.
tshark_fields() {
	local f=$1 key cached x args=()
	for x in "${fields[@]}"; do args+=(-e "$x"); done
	if [ "$cache" = none ]; then
		tshark -n -r "$f" -2 -T fields -E separator=/t -E occurrence=a -E aggregator=, \
			"${args[@]}" 2>/dev/null
		return
	fi
	key=$( (sha1sum <"$f"; echo "$tsver ${fields[*]}") | sha1sum | cut -c1-40)
	cached=$cache/$key
	if [ ! -f "$cached" ]; then
		tshark -n -r "$f" -2 -T fields -E separator=/t -E occurrence=a -E aggregator=, \
			"${args[@]}" >"$cached.tmp$$" 2>/dev/null
		mv "$cached.tmp$$" "$cached"
	fi
	cat "$cached"
}

# One capture: print "PASS F N [class=count...]", "SKIP F [...]" or "FAIL F: details".
check_one() {
	local f=$1 drv=$2 tmp rc
	tmp=$(mktemp -d) || exit 2
	tshark_fields "$f" >"$tmp/ts"
	"$drv" "$f" >"$tmp/drv" 2>"$tmp/drv.err"
	rc=$?
	awk -F'\t' -v file="$(basename "$f")" -v drvrc=$rc -v drv="$tmp/drv" '
	function norm(s, kind,   n, i, lab) {
		s = tolower(s)
		if (kind == "host") {
			if (s ~ /^\[/) { sub(/\].*$/, "]", s); return s ~ /^\[[0-9a-f:.]+\]$/ ? s : "" }
			sub(/:[0-9]*$/, "", s)
		}
		sub(/\.$/, "", s)
		if (length(s) == 0 || length(s) > 253) return ""
		if (s !~ /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/) return ""
		n = split(s, lab, ".")
		for (i = 1; i <= n; i++) if (length(lab[i]) > 63) return ""
		return s
	}
	# the transport right after the only IP header, or "" (tunnelled, or none)
	function transport(protos,   p, n, i, ips) {
		n = split(protos, p, ":")
		ips = 0
		for (i = 1; i <= n; i++) {
			if (p[i] == "ip" || p[i] == "ipv6") ips++
			if (p[i] == "tcp" || p[i] == "udp") return ips == 1 ? p[i] : ""
			if (p[i] !~ /^(eth|ethertype|vlan|ip|ipv6(\..*)?)$/) return ""
		}
		return ""
	}
	function want(frame, kind, name) {
		if (name == "") return
		nwant++
		wf[nwant] = frame; wk[nwant] = kind; wn[nwant] = name
	}
	function accept(class, name) { if (name != "") acc[class]++ }
	function first(s,   a) { split(s, a, ","); return a[1] }
	# the authority host of an absolute-form target (any target of CONNECT), or ""
	function target_host(uri, method,   s) {
		s = uri
		if (method != "CONNECT") {
			if (s !~ /^[A-Za-z][A-Za-z0-9+.-]*:\/\//) return ""
			sub(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, "", s)
		}
		sub(/[\/?#].*$/, "", s)
		sub(/^.*@/, "", s)
		return norm(s, "host")
	}
	function sni(t, list,   n, v, i) {
		n = split(list, v, ",")
		for (i = 1; i <= n; i++)
			if (t == "tcp") want($1, "sni", norm(v[i], "sni"))
			else accept(t == "udp" ? "quic" : "tunnel", norm(v[i], "sni"))
	}
	function host(t, list,   n, v, nm, meth, nu, uri, i, h, th) {
		n = split(list, v, ","); nm = split($10, meth, ","); nu = split($11, uri, ",")
		for (i = 1; i <= n; i++) {
			h = norm(v[i], "host")
			if (t != "tcp") { accept(t == "udp" ? "http-udp" : "tunnel", h); continue }
			th = (n == nm && n == nu) ? target_host(uri[i], meth[i]) : ""
			if (th != "" && th != h && h != "") { accept("absolute-form", h); h = th }
			want($1, "host", h)
		}
	}
	function dns(t,   nc, cnt, nr, resp, nq, q, k, m, j, port) {
		port = t == "udp" ? first($3) : t == "tcp" ? first($4) : ""
		nc = split($6, cnt, ","); nr = split($5, resp, ","); nq = split($9, q, ",")
		k = 0
		for (m = 1; m <= nc; m++) {
			if (resp[m] == "0" && cnt[m] >= 1 && k + 1 <= nq) {
				if (t == "") accept("tunnel", norm(q[k + 1], "dns"))
				else if (port != 53) accept("dns-port", norm(q[k + 1], "dns"))
				else if (t == "udp" && nc == 1 && substr($12, 25, 1) ~ /[c-f]/)
					accept("dns-pointer", norm(q[k + 1], "dns"))
				else want($1, "dns", norm(q[k + 1], "dns"))
				for (j = 2; j <= cnt[m]; j++)
					accept("dns-later-question", norm(q[k + j], "dns"))
			}
			k += cnt[m]
		}
	}
	FILENAME == drv {
		split($0, d, " ")
		key = d[2] SUBSEP d[3]
		if (!(key in seenat) || d[1] + 0 < seenat[key]) seenat[key] = d[1] + 0
		next
	}
	{
		t = transport($2)
		if ($7 != "") sni(t, $7)
		if ($8 != "") host(t, $8)
		if ($9 != "") dns(t)
	}
	END {
		if (drvrc != 0) { printf "FAIL %s: driver exit status %d\n", file, drvrc; exit }
		accs = ""
		for (c in acc) accs = accs sprintf(" %s=%d", c, acc[c])
		if (nwant == 0) { printf "SKIP %s 0%s\n", file, accs; exit }
		bad = 0; msg = ""
		for (i = 1; i <= nwant; i++) {
			key = wk[i] SUBSEP wn[i]
			if (key in seenat && seenat[key] <= wf[i] + 0) continue
			bad++
			if (bad <= 5)
				msg = msg sprintf(" [frame %s %s %s: %s]", wf[i], wk[i], wn[i], \
					(key in seenat) ? "driver at " seenat[key] : "driver never")
		}
		if (bad) printf "FAIL %s: %d of %d names missed:%s\n", file, bad, nwant, msg
		else printf "PASS %s %d%s\n", file, nwant, accs
	}' "$tmp/drv" "$tmp/ts"
	rm -rf "$tmp"
}

if [ "${1:-}" = "--one" ]; then # from xargs: --one DRIVER CACHE TSVERSION FILE
	cache=$3 tsver=$4
	check_one "$5" "$2"
	exit 0
fi

verbose=0
if [ "${1:-}" = "-v" ]; then
	verbose=1
	shift
fi
command -v tshark >/dev/null || { echo "extract-corpus: tshark not installed" >&2; exit 2; }
[ -d "$corpus" ] || { echo "extract-corpus: no corpus at $corpus" >&2; exit 2; }
cache=${EXTRACT_CORPUS_CACHE:-$root/build/extract-corpus-cache}
[ "$cache" = none ] || mkdir -p "$cache" || exit 2
tsver=$(tshark -v 2>/dev/null | head -1 | tr -c 'A-Za-z0-9.\n' _)

drv=${1:-$root/build/tests/extract-pcap}
built=""
if [ ! -x "$drv" ]; then
	built=$(mktemp -d)
	drv=$built/extract-pcap
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$root/dataplane/pkt" -I"$root/common" \
		"$root/tests/extract/extract_pcap.c" "$root/dataplane/pkt/extract.c" \
		"$root/dataplane/pkt/parse.c" -lpcap -o "$drv" || exit 2
fi

out=$(find "$corpus" -name '*.pcap' -print0 | sort -z |
	xargs -0 -P2 -n1 "$0" --one "$drv" "$cache" "$tsver")
[ -n "$built" ] && rm -rf "$built"
pass=$(grep -c '^PASS ' <<<"$out")
fail=$(grep -c '^FAIL ' <<<"$out")
skip=$(grep -c '^SKIP ' <<<"$out")
if [ $verbose = 1 ]; then
	sort <<<"$out"
else
	grep '^FAIL ' <<<"$out" | sort
fi
awk '$1 != "FAIL" { for (i = 4; i <= NF; i++) { split($i, a, "="); n[a[1]] += a[2] } }
	END { for (c in n) printf "extract-corpus: accepted %s: %d names\n", c, n[c] }' \
	<<<"$out" | sort
echo "extract-corpus: $skip captures without a name that counts"
echo "extract-corpus: $pass passed, $fail failed"
[ "$fail" = 0 ]
