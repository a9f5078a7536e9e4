/* Summing and writing counters (see counters_out.h). Main lcore only. */
#include "counters_out.h"

#include <jansson.h>
#include <limits.h>
#include <string.h>

#include "view_build.h"
#include "dp.h"
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

/* One member per line, each value on its line as jansson writes it without indent (", " and ": "
 * between items): the layout counters.json has always had. */
static void write_members(FILE *f, json_t *o)
{
	const char *key;
	json_t *v;
	size_t i = 0, n = json_object_size(o);
	fputs("{\n", f);
	json_object_foreach(o, key, v)
	{
		fprintf(f, "  \"%s\": ", key);
		json_dumpf(v, f, JSON_ENCODE_ANY | JSON_REAL_PRECISION(4));
		fputs(++i < n ? ",\n" : "\n", f);
	}
	fputs("}\n", f);
}

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* A name the policy or the deployment chose, as a key (checked where it was loaded). */
static void set_named(json_t *o, const char *name, json_t *v)
{
	json_object_set_new_nocheck(o, name, v);
}

struct rule_emit {
	json_t *o;
	int field; /* 0 packets (or matches), 1 bytes (or flows) */
};

static void emit_rule(const char *name, uint64_t pkts, uint64_t bytes, void *arg)
{
	struct rule_emit *e = arg;
	set_named(e->o, name, u64(e->field == 0 ? pkts : bytes));
}

/* name -> the two counters of each rule (category: false) or category (true). */
static void named_pair(json_t *root, const char *key0, const char *key1, struct cp_ctl *ctl,
		       bool category)
{
	for (int field = 0; field < 2; field++) {
		struct rule_emit e = {json_object(), field};
		if (category)
			cp_ctl_category_counters(ctl, emit_rule, &e);
		else
			cp_ctl_rule_counters(ctl, emit_rule, &e);
		json_object_set_new(root, field == 0 ? key0 : key1, e.o);
	}
}

static json_t *verdict_map(const uint64_t *v)
{
	json_t *o = json_object();
	for (unsigned i = 0; i < CP_V_MAX; i++)
		json_object_set_new(o, cp_verdict_name((enum cp_verdict)i), u64(v[i]));
	return o;
}

static json_t *extract_map(const struct cp_wcounters *s)
{
	static const char *const outcomes[CP_XO_MAX] = {
#define OUTCOME_NAME(id, name) [CP_XO_##id] = name,
	    CP_EXTRACT_OUTCOMES(OUTCOME_NAME)
#undef OUTCOME_NAME
	};
	json_t *o = json_object();
	for (int x = 0; x < CP_NAME_FIELDS; x++) {
		json_t *e = json_object();
		for (int k = 0; k < CP_XO_MAX; k++)
			json_object_set_new(e, outcomes[k], u64(s->extract[x][k]));
		json_object_set_new(o, cp_field_name((enum cp_field)x), e);
	}
	return o;
}

/* port -> {"rx": N, "tx": N} */
static json_t *port_map(const struct cp_dp *dp, const uint64_t *rx, const uint64_t *tx)
{
	json_t *o = json_object();
	for (unsigned p = 0; p < dp->n_ports; p++)
		set_named(o, dp->ports[p].name,
			  json_pack("{s:I,s:I}", "rx", (json_int_t)rx[p], "tx", (json_int_t)tx[p]));
	return o;
}

static json_t *counters_object(struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now)
{
	struct cp_wcounters s;
	json_t *root = json_object(), *o;
	sum(dp, &s);
	json_object_set_new(root, "packets_total", verdict_map(s.verdict_pkts));
	json_object_set_new(root, "bytes_total", verdict_map(s.verdict_bytes));
	named_pair(root, "rule_packets_total", "rule_bytes_total", ctl, false);
	named_pair(root, "category_matches_total", "category_flows_total", ctl, true);
	json_object_set_new(root, "extract_total", extract_map(&s));
	o = json_object();
	for (unsigned r = 1; r < CP_R_MAX; r++)
		if (s.reason[r] != 0)
			json_object_set_new(o, cp_reason_name((enum cp_reason)r), u64(s.reason[r]));
	json_object_set_new(root, "drop_reason_total", o);
	/* The XDP pre-filter's drops (net_af_xdp ports running it): SPEC §7's drop reasons at
	 * stage "xdp"; absent when no port runs the filter. */
	uint64_t xdp[CP_XDP_R_MAX];
	if (!dp->replay && cp_xdp_drops_total(xdp)) {
		o = json_object();
		for (unsigned r = 0; r < CP_XDP_R_MAX; r++)
			json_object_set_new(o, cp_xdp_reason_name((enum cp_xdp_reason)r),
					    u64(xdp[r]));
		json_object_set_new(root, "xdp_drop_total", o);
	}
	json_object_set_new(root, "port_packets_total",
			    port_map(dp, s.port_rx_pkts, s.port_tx_pkts));
	json_object_set_new(root, "port_bytes_total",
			    port_map(dp, s.port_rx_bytes, s.port_tx_bytes));
	o = json_object();
	for (unsigned p = 0; p < dp->n_ports; p++) {
		struct rte_eth_stats st = {0};
		/* Replay's logical ports share one in-memory port that never misses. */
		if (!dp->replay)
			rte_eth_stats_get(dp->ports[p].port_id, &st);
		set_named(o, dp->ports[p].name, u64(st.imissed));
	}
	json_object_set_new(root, "port_missed_total", o);
	json_object_set_new(root, "flows_active", u64(flows_active(dp)));
#define CP_COUNTER_JSON(field, name, help) json_object_set_new(root, name, u64(s.field));
	CP_SCALAR_COUNTERS(CP_COUNTER_JSON)
#undef CP_COUNTER_JSON
	json_object_set_new(root, "grants_active", u64(cp_grants_active(&ctl->grants, now)));
	json_object_set_new(root, "uplink_changes_total", u64(ctl->uplink_changes));
	json_object_set_new(root, "policy_generation", u64(ctl->pol != NULL ? ctl->pol->gen : 0));
	o = json_object();
	for (unsigned p = 0; p < dp->n_ports; p++)
		if (dp->ports[p].role == CP_ROLE_UPLINK)
			set_named(o, dp->ports[p].name, u64(ctl->uplink == p));
	json_object_set_new(root, "uplink_active", o);
	/* Timing depends on the machine: left out of replay outputs, which must be reproducible.
	 * Four decimals, as a ratio is worth. */
	if (!dp->replay) {
		o = json_object();
		for (unsigned w = 0; w < dp->n_workers; w++) {
			const struct cp_wcounters *c = &dp->workers[w].c;
			char k[16];
			double r = c->total_cycles
				       ? (double)c->busy_cycles / (double)c->total_cycles
				       : 0.0;
			snprintf(k, sizeof(k), "%u", w);
			json_object_set_new(o, k,
					    json_real((double)(uint64_t)(r * 1e4 + 0.5) / 1e4));
		}
		json_object_set_new(root, "worker_busy_ratio", o);
	}
	return root;
}

void cp_counters_json(FILE *f, struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now)
{
	json_t *root = counters_object(dp, ctl, now);
	write_members(f, root);
	json_decref(root);
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
