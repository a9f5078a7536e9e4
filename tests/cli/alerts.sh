#!/usr/bin/env bash
# The alerting rules: promtool checks them and runs their unit tests, and every chokepoint metric
# they use is one the code exports (a renamed counter must not silence an alert).
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL alerts: $*"; exit 1; }
command -v promtool >/dev/null || fail "promtool not installed (Debian prometheus)"
promtool check rules rules/prometheus/alerts.yml >/dev/null || fail "promtool check rules"
(cd rules/prometheus && promtool test rules alerts_test.yml >/dev/null) || fail "promtool test rules"
# chokepoint_store_connected comes with the etcd store (SPEC 11); the rest must exist now.
for m in $(grep -o 'chokepoint_[a-z_]*' rules/prometheus/alerts.yml | sort -u); do
	[ "$m" = chokepoint_store_connected ] && continue
	short=${m#chokepoint_}
	grep -rqF -e "\"$m\"" -e "\"$short\"" common ctrlplane dataplane || fail "$m is not exported"
done
echo "PASS alerts: rules checked, unit tests pass, metrics exported"
