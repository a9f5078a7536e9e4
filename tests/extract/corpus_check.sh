#!/bin/bash
# Corpus check of the payload name extractors: for every capture in
# /work/shared/corpus/suricata-verify (or $CORPUS), the names tshark decodes that a SPEC §3
# category can match must be seen by tests/extract/extract_pcap.c (the extractors driven over the
# capture) with the same name, normalized the same way, at the same packet number or earlier.
#
# Usage: tests/extract/corpus_check.sh [DRIVER]   (default: build/tests/extract-pcap, else the
# driver is compiled by hand into a temporary directory). Needs tshark. Prints one line per failing
# capture (-v: every capture), then "extract-corpus: N passed, M failed"; exits 1 on a failure.
#
# What tshark shows that counts (a name a category can match, SPEC §3):
#  - sni:  tls.handshake.extensions_server_name in a frame whose transport is TCP;
#  - host: http.host (HTTP/1.x requests) in a frame whose transport is TCP, port stripped;
#  - dns:  the first dns.qry.name of each query message (QR 0) in a frame to UDP or TCP port 53.
# Names are normalized as the extractors do (lowercase, trailing dot dropped) and count only when
# they are host names: labels of 1..63 bytes of [a-z0-9_-], 253 bytes at most (or, for host, an
# IPv6 literal in brackets); tshark's "<Root>" and names with other bytes do not count.
#
# Accepted differences (what tshark shows there is not what the dataplane would classify by):
#  - tunnel: a frame whose transport is not the first one after a single IP header (VXLAN, GRE,
#    IP-in-IP, Teredo...): the dataplane classifies the outer flow and does not decapsulate;
#  - quic: SNI in a QUIC Initial (UDP): encrypted, not a TLS ClientHello on TCP;
#  - other ports: DNS to another port than 53 (mDNS 5353, LLMNR 5355, DNS over port 80...);
#  - later questions: the second and later questions of one query message (QDCOUNT > 1: DNS
#    servers answer one question; cp_extract_dns returns the first);
#  - absolute-form: a request whose target is in absolute form (or a CONNECT authority) naming
#    another host than its Host header: the extractor returns the target's host (RFC 9112 §3.2.2),
#    and the driver must have reported that one at the frame instead.
# Captures with no name that counts are not counted as passed or failed.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${CORPUS:-/work/shared/corpus/suricata-verify}

# One capture: compare, print "PASS F", "SKIP F" or "FAIL F: details".
check_one() {
	local f=$1 drv=$2 tmp
	tmp=$(mktemp -d) || exit 2
	tshark -n -r "$f" -2 -T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e frame.number -e frame.protocols -e udp.dstport -e tcp.dstport \
		-e dns.flags.response -e dns.count.queries \
		-e tls.handshake.extensions_server_name -e http.host -e dns.qry.name \
		-e http.request.method -e http.request.uri >"$tmp/ts" 2>/dev/null
	"$drv" "$f" >"$tmp/drv" 2>"$tmp/drv.err"
	local rc=$?
	awk -F'\t' -v file="$(basename "$f")" -v drvrc=$rc -v drv="$tmp/drv" '
	function norm(s, kind) {
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
	function first(s,   a) { split(s, a, ","); return a[1] }
	# the authority host of an absolute-form target, or ""
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
	FILENAME == drv {
		split($0, d, " ")
		k = d[2] SUBSEP d[3]
		if (!(k in seenat) || d[1] + 0 < seenat[k]) seenat[k] = d[1] + 0
		next
	}
	{
		t = transport($2)
		if (t == "tcp") {
			if ($7 != "") { n = split($7, v, ","); for (i = 1; i <= n; i++) want($1, "sni", norm(v[i], "sni")) }
			if ($8 != "") {
				n = split($8, v, ","); nm = split($10, meth, ","); nu = split($11, uri, ",")
				for (i = 1; i <= n; i++) {
					h = norm(v[i], "host")
					th = (n == nm && n == nu) ? target_host(uri[i], meth[i]) : ""
					if (th != "") h = th
					want($1, "host", h)
				}
			}
		}
		if ($9 != "" && (t == "udp" && first($3) == 53 || t == "tcp" && first($4) == 53)) {
			nc = split($6, cnt, ","); nr = split($5, resp, ","); nq = split($9, q, ",")
			k = 0
			for (m = 1; m <= nc; m++) {
				if (resp[m] == "0" && cnt[m] >= 1 && k + 1 <= nq) want($1, "dns", norm(q[k + 1], "dns"))
				k += cnt[m]
			}
		}
	}
	END {
		if (drvrc != 0) { printf "FAIL %s: driver exit status %d\n", file, drvrc; exit }
		if (nwant == 0) { printf "SKIP %s\n", file; exit }
		bad = 0; msg = ""
		for (i = 1; i <= nwant; i++) {
			key = wk[i] SUBSEP wn[i]
			if (key in seenat && seenat[key] + 0 <= wf[i] + 0) continue
			bad++
			if (bad <= 5)
				msg = msg sprintf(" [frame %s %s %s: %s]", wf[i], wk[i], wn[i], \
					(key in seenat) ? "driver at " seenat[key] : "driver never")
		}
		if (bad) printf "FAIL %s: %d of %d names missed:%s\n", file, bad, nwant, msg
		else printf "PASS %s %d\n", file, nwant
	}' "$tmp/drv" "$tmp/ts"
	rm -rf "$tmp"
}

if [ "${1:-}" = "--one" ]; then
	check_one "$3" "$2" # xargs gives: --one DRIVER FILE
	exit 0
fi

verbose=0
if [ "${1:-}" = "-v" ]; then
	verbose=1
	shift
fi
command -v tshark >/dev/null || { echo "extract-corpus: tshark not installed" >&2; exit 2; }
[ -d "$corpus" ] || { echo "extract-corpus: no corpus at $corpus" >&2; exit 2; }

drv=${1:-$root/build/tests/extract-pcap}
built=""
if [ ! -x "$drv" ]; then
	built=$(mktemp -d)
	drv=$built/extract-pcap
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$root/dataplane" -I"$root/common" \
		"$root/tests/extract/extract_pcap.c" "$root/dataplane/extract.c" \
		"$root/dataplane/parse.c" -lpcap -o "$drv" || exit 2
fi

out=$(find "$corpus" -name '*.pcap' -print0 | sort -z |
	xargs -0 -P2 -n1 "$0" --one "$drv" 2>/dev/null)
[ -n "$built" ] && rm -rf "$built"
pass=$(grep -c '^PASS ' <<<"$out")
fail=$(grep -c '^FAIL ' <<<"$out")
skip=$(grep -c '^SKIP ' <<<"$out")
if [ $verbose = 1 ]; then
	sort <<<"$out"
else
	grep '^FAIL ' <<<"$out" | sort
fi
echo "extract-corpus: $skip captures without a name that counts"
echo "extract-corpus: $pass passed, $fail failed"
[ "$fail" = 0 ]
