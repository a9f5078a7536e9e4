#!/usr/bin/env bash
# `chokectl check` as an operator meets it: exit 0 and one summary line per good file; exit 1
# and every problem as FILE:LINE on stderr for a bad one; shadowed rules warned, not refused.
set -uo pipefail
CHOKECTL=${CHOKECTL:-build/ctrlplane/chokectl}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
ko() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

cat > "$dir/good.conf" <<'CONF'
version = 1;
inside = [ "192.0.2.0/24" ];
rules = ( { name = "web"; action = "pass"; from = "inside"; proto = "tcp"; dport = 80; },
          { name = "deny"; action = "drop"; } );
CONF
cat > "$dir/bad.conf" <<'CONF'
version = 1;
inside = [ "192.0.2.1/24" ];
rules = (
  { name = "a"; action = "pass"; from = "@nowhere"; },
  { name = "b"; action = "maybe"; proto = "udp"; dport = "90-80"; }
);
CONF
cat > "$dir/shadow.conf" <<'CONF'
version = 1;
inside = [ "192.0.2.0/24" ];
rules = (
  { name = "all"; action = "drop"; },
  { name = "never"; action = "pass"; from = "inside"; }
);
CONF

out=$("$CHOKECTL" check "$dir/good.conf" 2>"$dir/err"); rc=$?
if [ $rc -eq 0 ] && [ "$out" = "$dir/good.conf: ok: 2 rules, 0 sets, 0 categories, 1 inside prefix, 0 warnings" ] && [ ! -s "$dir/err" ]; then
	ok good
else
	ko good "rc=$rc out=$out err=$(cat "$dir/err")"
fi

"$CHOKECTL" check "$dir/bad.conf" >"$dir/out" 2>"$dir/err"; rc=$?
if [ $rc -eq 1 ] && [ ! -s "$dir/out" ] &&
	grep -q "^$dir/bad.conf:2: error: .*host bits set" "$dir/err" &&
	grep -q "^$dir/bad.conf:4: error: .*nowhere" "$dir/err" &&
	grep -q "^$dir/bad.conf:5: error: .*maybe" "$dir/err" &&
	grep -q "^$dir/bad.conf:5: error: .*90-80" "$dir/err"; then
	ok bad-every-problem
else
	ko bad-every-problem "rc=$rc stderr: $(cat "$dir/err")"
fi

"$CHOKECTL" check "$dir/shadow.conf" >"$dir/out" 2>"$dir/err"; rc=$?
if [ $rc -eq 0 ] && grep -q "^$dir/shadow.conf:5: warning: rule \"never\" is never reached" "$dir/err"; then
	ok shadow-warning
else
	ko shadow-warning "rc=$rc stderr: $(cat "$dir/err")"
fi

"$CHOKECTL" check "$dir/good.conf" "$dir/missing.conf" >"$dir/out" 2>"$dir/err"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "missing.conf" "$dir/err"; then
	ok missing-file
else
	ko missing-file "rc=$rc stderr: $(cat "$dir/err")"
fi

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
