#!/usr/bin/env bash
# chokectl diff: a real tightening (rules/border-tightened.conf: the library terminals lose plain
# HTTP) against the demo capture lists exactly the flows it affects: those the old replay passed by
# library-web to port 80, found here independently from the old replay's verdicts and the capture
# (scapy). Then: identical policies change nothing; --fail-on-change; --json is one object a line
# and nothing else; bad input (not Ethernet, a policy failing check, usage) is one line, exit 2.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHOKECTL=${CHOKECTL:-build/ctrlplane/chokectl}
export CHOKEPOINT=${CHOKEPOINT:-build/dataplane/chokepoint}
PY=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
ok() { echo "PASS diff-$1"; pass=$((pass + 1)); }
fail() { echo "FAIL diff-$1: $2"; echo "diff: $pass passed, 1 failed"; exit 1; }

$PY tests/gen/border_demo.py "$dir/border.pcap" >/dev/null
ev=rules/border.events.jsonl
"$CHOKEPOINT" --replay "$dir/border.pcap" --policy rules/border.conf --events $ev \
	--out "$dir/old" --quiet
"$CHOKECTL" diff rules/border.conf rules/border-tightened.conf --capture "$dir/border.pcap" \
	--events $ev --json >"$dir/changes.jsonl"
$PY - "$dir" <<'PYEOF' || fail tightened "the listed flows are not the affected ones"
import json, sys
from scapy.all import rdpcap, IP, IPv6, TCP
d = sys.argv[1]
pk = rdpcap(d + "/border.pcap")
old = [json.loads(l) for l in open(d + "/old/verdicts.jsonl")]
first, want = {}, set()
for i, p in enumerate(pk):
    ip = p[IP] if IP in p else (p[IPv6] if IPv6 in p else None)
    if ip is None or TCP not in p:
        continue
    ends = tuple(sorted([(ip.src, p[TCP].sport), (ip.dst, p[TCP].dport)]))
    first.setdefault(ends, (ip.src, p[TCP].sport, ip.dst, p[TCP].dport))
    if old[i]["rule"] == "library-web" and first[ends][3] == 80:
        want.add(first[ends])
got = [json.loads(l) for l in open(d + "/changes.jsonl")]
have = {(c["src"], c["sport"], c["dst"], c["dport"]) for c in got}
assert got and len(have) == len(got), "empty or duplicate flows"
assert all(set(c) == {"n", "proto", "src", "sport", "dst", "dport", "old", "new"} for c in got)
assert all(c["old"] == {"verdict": "pass", "rule": "library-web"} and c["new"]["verdict"] != "pass"
           for c in got), "a listed flow did not lose its pass"
assert [c["n"] for c in got] == sorted(c["n"] for c in got), "not in packet order"
missing, extra = want - have, have - want
assert not missing and not extra, "missing %s extra %s" % (sorted(missing)[:3], sorted(extra)[:3])
print("%d flows, as expected" % len(have))
PYEOF
ok tightened

"$CHOKECTL" diff rules/border.conf rules/border-tightened.conf --capture "$dir/border.pcap" \
	--events $ev >"$dir/text"
n=$(wc -l <"$dir/changes.jsonl")
grep -q "^$n of [0-9]* flows changed$" "$dir/text" || fail text "no count line for $n flows"
grep -q "^  pass/library-web -> drop/-: $n flows$" "$dir/text" || fail text "no summary by rule"
ok text

rc=0
"$CHOKECTL" diff rules/border.conf rules/border-tightened.conf --capture "$dir/border.pcap" \
	--events $ev --fail-on-change >/dev/null || rc=$?
[ $rc = 1 ] || fail fail-on-change "exit $rc, want 1"
rc=0
out=$("$CHOKECTL" diff rules/border.conf rules/border.conf --capture "$dir/border.pcap" \
	--events $ev --fail-on-change) || rc=$?
[ $rc = 0 ] && case "$out" in "0 of "*" flows changed") true ;; *) false ;; esac ||
	fail unchanged "exit $rc: $out"
ok fail-on-change

# Bad input: one line on stderr, nothing on stdout, exit 2.
$PY -c "
from scapy.all import IP, UDP, wrpcap
wrpcap('$dir/raw.pcap', [IP(dst='192.0.2.1')/UDP()], linktype=101)"
printf 'version = 1;\nrules = ( { action = "pass"; } );\n' >"$dir/bad.conf"
for args in "rules/border.conf rules/border.conf --capture $dir/raw.pcap" \
	"rules/border.conf rules/border.conf --capture $dir/border.pcap --bogus" \
	"rules/border.conf $dir/bad.conf --capture $dir/border.pcap" \
	"rules/border.conf rules/border.conf --capture $dir/missing.pcap" \
	"rules/border.conf --capture $dir/border.pcap"; do
	rc=0
	# shellcheck disable=SC2086
	"$CHOKECTL" diff $args >"$dir/o" 2>"$dir/e" || rc=$?
	[ $rc = 2 ] && [ ! -s "$dir/o" ] && [ "$(wc -l <"$dir/e")" = 1 ] ||
		fail bad-input "diff $args: exit $rc, stderr: $(cat "$dir/e")"
done
ok bad-input
echo "diff: $pass passed, 0 failed"
