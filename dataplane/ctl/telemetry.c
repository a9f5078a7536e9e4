/* DPDK telemetry commands (see telemetry.h). */
#include "telemetry.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "view_build.h"
#include "dp.h"

#define SNAP_GRANTS 128 /* grants listed; the count is always exact */

struct snapshot {
	pthread_mutex_t lock;
	uint32_t gen;
	unsigned n_rules, n_inside;
	char file[128];
	unsigned grants_active;
	unsigned n;
	struct {
		char pfx[CP_PREFIX_STRLEN];
		uint64_t left_s;
	} g[SNAP_GRANTS];
};

static struct cp_dp *tel_dp;
static struct snapshot snap = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cp_wcounters s = {0};
	(void)cmd;
	(void)params;
	for (unsigned w = 0; w < tel_dp->n_workers; w++)
		cp_wcounters_add(&s, &tel_dp->workers[w].c);
	rte_tel_data_start_dict(d);
	for (unsigned v = 0; v < CP_V_MAX; v++) {
		char k[64];
		snprintf(k, sizeof(k), "packets_%s", cp_verdict_name((enum cp_verdict)v));
		rte_tel_data_add_dict_u64(d, k, s.verdict_pkts[v]);
		snprintf(k, sizeof(k), "bytes_%s", cp_verdict_name((enum cp_verdict)v));
		rte_tel_data_add_dict_u64(d, k, s.verdict_bytes[v]);
	}
#define CP_COUNTER_TEL(field, name, help) rte_tel_data_add_dict_u64(d, name, s.field);
	CP_SCALAR_COUNTERS(CP_COUNTER_TEL)
#undef CP_COUNTER_TEL
	for (unsigned r = 2; r < CP_R_MAX; r++) {
		char k[64];
		if (s.reason[r] == 0)
			continue;
		/* Telemetry names take no '-': drop_default_deny, drop_malformed_tcp, ... */
		snprintf(k, sizeof(k), "drop_%s", cp_reason_name((enum cp_reason)r));
		for (char *c = k; *c != '\0'; c++)
			*c = *c == '-' ? '_' : *c;
		rte_tel_data_add_dict_u64(d, k, s.reason[r]);
	}
	return 0;
}

static int cmd_policy(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&snap.lock);
	rte_tel_data_add_dict_u64(d, "generation", snap.gen);
	rte_tel_data_add_dict_string(d, "file", snap.gen ? snap.file : "");
	rte_tel_data_add_dict_u64(d, "rules", snap.n_rules);
	rte_tel_data_add_dict_u64(d, "inside_prefixes", snap.n_inside);
	pthread_mutex_unlock(&snap.lock);
	return 0;
}

static int cmd_grants(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&snap.lock);
	rte_tel_data_add_dict_u64(d, "active", snap.grants_active);
	for (unsigned i = 0; i < snap.n && i < RTE_TEL_MAX_DICT_ENTRIES - 1; i++)
		rte_tel_data_add_dict_u64(d, snap.g[i].pfx, snap.g[i].left_s);
	pthread_mutex_unlock(&snap.lock);
	return 0;
}

int cp_telemetry_register(struct cp_dp *dp)
{
	tel_dp = dp;
	if (rte_telemetry_register_cmd("/chokepoint/stats", cmd_stats,
				       "Packets and bytes per verdict, drop reasons, flows. No "
				       "parameters") != 0 ||
	    rte_telemetry_register_cmd(
		"/chokepoint/policy", cmd_policy,
		"The running policy: generation, file, rules. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/chokepoint/grants", cmd_grants,
				       "Live grants: prefix -> seconds left. No parameters") != 0)
		return -1;
	return 0;
}

void cp_telemetry_refresh(struct cp_ctl *ctl, uint64_t now)
{
	pthread_mutex_lock(&snap.lock);
	snap.gen = ctl->pol != NULL ? ctl->pol->gen : 0;
	snap.n_rules = ctl->pol != NULL ? ctl->pol->n_rules : 0;
	snap.n_inside = ctl->pol != NULL ? ctl->pol->src->n_inside : 0;
	snprintf(snap.file, sizeof(snap.file), "%s", ctl->pol != NULL ? ctl->pol->src->file : "");
	snap.grants_active = cp_grants_active(&ctl->grants, now);
	snap.n = 0;
	for (unsigned i = 0; i < ctl->grants.n && snap.n < SNAP_GRANTS; i++) {
		uint64_t d = cp_grant_deadline(&ctl->grants.g[i]);
		if (d <= now)
			continue;
		cp_prefix_format(&ctl->grants.g[i].pfx, snap.g[snap.n].pfx, CP_PREFIX_STRLEN);
		snap.g[snap.n].left_s = (d - now) / 1000000000u;
		snap.n++;
	}
	pthread_mutex_unlock(&snap.lock);
}
