/* Summing and writing counters (see counters_out.h). Main lcore only. */
#include "counters_out.h"

#include <limits.h>
#include <string.h>

#include "view_build.h"
#include "dp.h"
#include "json_out.h"
#include "xdp_filter.h"

#include <rte_ethdev.h>

static void sum(const struct cp_dp *dp, struct cp_wcounters *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned w = 0; w < dp->n_workers; w++)
		cp_wcounters_add(s, &dp->workers[w].c);
}

static uint64_t flows_active(const struct cp_dp *dp)
{
	uint64_t n = 0;
	for (unsigned w = 0; w < dp->n_workers; w++)
		n += dp->workers[w].ft.active;
	return n;
}

struct rule_emit {
	FILE *f;
	int field; /* 0 packets, 1 bytes */
	bool first;
};

static void emit_rule(const char *name, uint64_t pkts, uint64_t bytes, void *arg)
{
	struct rule_emit *e = arg;
	fputs(e->first ? "" : ", ", e->f);
	cp_json_str(e->f, name);
	fprintf(e->f, ": %lu", (unsigned long)(e->field == 0 ? pkts : bytes));
	e->first = false;
}

static void verdict_map(FILE *f, const char *key, const uint64_t *v)
{
	fprintf(f, "  \"%s\": {", key);
	for (unsigned i = 0; i < CP_V_MAX; i++)
		fprintf(f, "%s\"%s\": %lu", i ? ", " : "", cp_verdict_name((enum cp_verdict)i),
			(unsigned long)v[i]);
	fputs("},\n", f);
}

void cp_counters_json(FILE *f, struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now)
{
	struct cp_wcounters s;
	sum(dp, &s);
	fputs("{\n", f);
	verdict_map(f, "packets_total", s.verdict_pkts);
	verdict_map(f, "bytes_total", s.verdict_bytes);
	for (int field = 0; field < 2; field++) {
		struct rule_emit e = {f, field, true};
		fprintf(f, "  \"%s\": {", field == 0 ? "rule_packets_total" : "rule_bytes_total");
		cp_ctl_rule_counters(ctl, emit_rule, &e);
		fputs("},\n", f);
	}
	for (int field = 0; field < 2; field++) {
		struct rule_emit e = {f, field, true};
		fprintf(f, "  \"%s\": {",
			field == 0 ? "category_matches_total" : "category_flows_total");
		cp_ctl_category_counters(ctl, emit_rule, &e);
		fputs("},\n", f);
	}
	fputs("  \"extract_total\": {", f);
	static const char *const outcomes[CP_XO_MAX] = {
#define OUTCOME_NAME(id, name) [CP_XO_##id] = name,
	    CP_EXTRACT_OUTCOMES(OUTCOME_NAME)
#undef OUTCOME_NAME
	};
	for (int x = 0; x < CP_NAME_FIELDS; x++) {
		fprintf(f, "%s\"%s\": {", x ? ", " : "", cp_field_name((enum cp_field)x));
		for (int o = 0; o < CP_XO_MAX; o++)
			fprintf(f, "%s\"%s\": %lu", o ? ", " : "", outcomes[o],
				(unsigned long)s.extract[x][o]);
		fputs("}", f);
	}
	fputs("},\n", f);
	fputs("  \"drop_reason_total\": {", f);
	bool first = true;
	for (unsigned r = 1; r < CP_R_MAX; r++) {
		if (s.reason[r] == 0)
			continue;
		fprintf(f, "%s\"%s\": %lu", first ? "" : ", ", cp_reason_name((enum cp_reason)r),
			(unsigned long)s.reason[r]);
		first = false;
	}
	fputs("},\n", f);
	/* The XDP pre-filter's drops (net_af_xdp ports running it): SPEC §7's drop reasons at
	 * stage "xdp"; absent when no port runs the filter. */
	uint64_t xdp[CP_XDP_R_MAX];
	if (!dp->replay && cp_xdp_drops_total(xdp)) {
		fputs("  \"xdp_drop_total\": {", f);
		for (unsigned r = 0; r < CP_XDP_R_MAX; r++)
			fprintf(f, "%s\"%s\": %lu", r ? ", " : "",
				cp_xdp_reason_name((enum cp_xdp_reason)r), (unsigned long)xdp[r]);
		fputs("},\n", f);
	}
	fputs("  \"port_packets_total\": {", f);
	for (unsigned p = 0; p < dp->n_ports; p++)
		fprintf(f, "%s\"%s\": {\"rx\": %lu, \"tx\": %lu}", p ? ", " : "", dp->ports[p].name,
			(unsigned long)s.port_rx_pkts[p], (unsigned long)s.port_tx_pkts[p]);
	fputs("},\n  \"port_bytes_total\": {", f);
	for (unsigned p = 0; p < dp->n_ports; p++)
		fprintf(f, "%s\"%s\": {\"rx\": %lu, \"tx\": %lu}", p ? ", " : "", dp->ports[p].name,
			(unsigned long)s.port_rx_bytes[p], (unsigned long)s.port_tx_bytes[p]);
	fputs("},\n  \"port_missed_total\": {", f);
	for (unsigned p = 0; p < dp->n_ports; p++) {
		struct rte_eth_stats st = {0};
		/* Replay's logical ports share one in-memory port that never misses. */
		if (!dp->replay)
			rte_eth_stats_get(dp->ports[p].port_id, &st);
		fprintf(f, "%s\"%s\": %lu", p ? ", " : "", dp->ports[p].name,
			(unsigned long)st.imissed);
	}
	fputs("},\n", f);
	fprintf(f, "  \"flows_active\": %lu,\n", (unsigned long)flows_active(dp));
#define CP_COUNTER_JSON(field, name, help)                                                         \
	fprintf(f, "  \"%s\": %lu,\n", name, (unsigned long)s.field);
	CP_SCALAR_COUNTERS(CP_COUNTER_JSON)
#undef CP_COUNTER_JSON
	fprintf(f, "  \"grants_active\": %u,\n", cp_grants_active(&ctl->grants, now));
	fprintf(f, "  \"uplink_changes_total\": %lu,\n", (unsigned long)ctl->uplink_changes);
	fprintf(f, "  \"policy_generation\": %u,\n", ctl->pol != NULL ? ctl->pol->gen : 0);
	fputs("  \"uplink_active\": {", f);
	first = true;
	for (unsigned p = 0; p < dp->n_ports; p++) {
		if (dp->ports[p].role != CP_ROLE_UPLINK)
			continue;
		fprintf(f, "%s\"%s\": %d", first ? "" : ", ", dp->ports[p].name, ctl->uplink == p);
		first = false;
	}
	fputs("}", f);
	/* Timing depends on the machine: left out of replay outputs, which must be reproducible. */
	if (!dp->replay) {
		fputs(",\n  \"worker_busy_ratio\": {", f);
		for (unsigned w = 0; w < dp->n_workers; w++) {
			const struct cp_wcounters *c = &dp->workers[w].c;
			fprintf(f, "%s\"%u\": %.4f", w ? ", " : "", w,
				c->total_cycles ? (double)c->busy_cycles / (double)c->total_cycles
						: 0.0);
		}
		fputs("}", f);
	}
	fputs("\n}\n", f);
}

int cp_counters_write_file(struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now, const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/counters.json", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	cp_counters_json(f, dp, ctl, now);
	return fclose(f) == 0 ? 0 : -1;
}

static void summary_rule(const char *name, uint64_t pkts, uint64_t bytes, void *arg)
{
	if (pkts > 0)
		fprintf(arg, "  %-28s %10lu %14lu\n", name, (unsigned long)pkts,
			(unsigned long)bytes);
}

static void summary_category(const char *name, uint64_t matches, uint64_t flows, void *arg)
{
	fprintf(arg, "  %-28s %10lu %14lu\n", name, (unsigned long)flows, (unsigned long)matches);
}

void cp_counters_summary(FILE *f, struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now,
			 const char *in, const char *out)
{
	struct cp_wcounters s;
	uint64_t total = 0;
	sum(dp, &s);
	for (unsigned v = 0; v < CP_V_MAX; v++)
		total += s.verdict_pkts[v];
	fprintf(f, "chokepoint replay: %s -> %s (%u worker%s)\n", in, out, dp->n_workers,
		dp->n_workers == 1 ? "" : "s");
	fprintf(f, "  %-28s %10s %14s\n", "verdict", "packets", "bytes");
	for (unsigned v = 0; v < CP_V_MAX; v++)
		fprintf(f, "  %-28s %10lu %14lu\n", cp_verdict_name((enum cp_verdict)v),
			(unsigned long)s.verdict_pkts[v], (unsigned long)s.verdict_bytes[v]);
	fprintf(f, "  %-28s %10lu\n", "total", (unsigned long)total);
	fprintf(f, "  %-28s %10s %14s\n", "rule", "packets", "bytes");
	cp_ctl_rule_counters(ctl, summary_rule, f);
	if (ctl->pol != NULL && ctl->pol->pl != NULL) {
		fprintf(f, "  %-28s %10s %14s\n", "category", "flows", "matches");
		cp_ctl_category_counters(ctl, summary_category, f);
	}
	fprintf(f, "  %-28s %10s\n", "drop reason", "packets");
	for (unsigned r = 2; r < CP_R_MAX; r++)
		if (s.reason[r] > 0)
			fprintf(f, "  %-28s %10lu\n", cp_reason_name((enum cp_reason)r),
				(unsigned long)s.reason[r]);
	fprintf(f,
		"  flows: %lu created, %lu evicted, %lu active; %lu frames injected; %u grants "
		"active at the end\n",
		(unsigned long)s.flows_created, (unsigned long)s.flows_evicted,
		(unsigned long)flows_active(dp), (unsigned long)s.injected,
		cp_grants_active(&ctl->grants, now));
	if (total > 0)
		fprintf(
		    f,
		    "  workers: %.1f cycles/packet of work (parse to act), %.1f with rx and "
		    "polling; busy %.0f%%\n",
		    (double)s.work_cycles / (double)total, (double)s.busy_cycles / (double)total,
		    s.total_cycles ? 100.0 * (double)s.busy_cycles / (double)s.total_cycles : 0);
}
