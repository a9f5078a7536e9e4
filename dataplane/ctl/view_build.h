/* The control state of one dataplane (main lcore only): the policy, the grants, shutoff and the
 * uplink choice. Every change builds a new view and publishes it; the old one is freed after
 * rte_rcu_qsbr_synchronize: every worker has passed a quiescent point (the main lcore waits for
 * the workers, never the other way). Nothing is applied half-way: a change that fails leaves the
 * published view as it was. */
#ifndef CP_CONTROL_H
#define CP_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "grants.h"
#include "hs_patterns.h"

/* Counters of retired policies by name, in first-seen order: rules (packets, bytes) and
 * categories (matches, flows). */
struct cp_total {
	char name[CP_NAME_MAX];
	uint64_t v[2];
};

struct cp_totals {
	struct cp_total *e;
	unsigned n, cap;
};

struct cp_ctl {
	struct cp_dp *dp;
	struct cp_grants grants;
	struct cp_rt_policy *pol; /* current */
	uint32_t next_gen;
	bool shutoff;
	int forced_uplink;	    /* port index, or -1 for auto */
	uint8_t uplink;		    /* active uplink port index or CP_NO_PORT */
	struct cp_view *view;	    /* the one published */
	struct cp_totals totals[2]; /* [0] rules, [1] categories */
	uint64_t last_swap_cycles;  /* last publish until every worker ran the new view (TSC) */
	uint64_t uplink_changes;    /* times the active uplink changed */
	/* Called after a new policy is published (may be NULL): e.g. the XDP pre-filter's maps. */
	void (*on_policy)(const struct cp_rt_policy *pol, void *arg);
	void *on_policy_arg;
};

int cp_ctl_init(struct cp_ctl *c, struct cp_dp *dp, char *err, size_t errlen);
void cp_ctl_fini(struct cp_ctl *c);

/* Install a loaded policy (ownership taken on success); its category patterns are compiled. */
int cp_ctl_set_policy(struct cp_ctl *c, struct cp_policy_src *src, char *err, size_t errlen);
/* The same with the Hyperscan databases already built (dbs taken over, also on failure; its
 * id maps must be those of src, see cp_hs_ids). */
int cp_ctl_set_policy_dbs(struct cp_ctl *c, struct cp_policy_src *src, struct cp_hs_dbs *dbs,
			  char *err, size_t errlen);
int cp_ctl_grant(struct cp_ctl *c, const struct cp_prefix *pfx, uint64_t now, uint64_t for_ns,
		 uint64_t renew_ns, char *err, size_t errlen);
int cp_ctl_renew(struct cp_ctl *c, const struct cp_prefix *pfx, uint64_t now, char *err,
		 size_t errlen);
int cp_ctl_revoke(struct cp_ctl *c, const struct cp_prefix *pfx, uint64_t now, char *err,
		  size_t errlen);
int cp_ctl_shutoff(struct cp_ctl *c, bool on, char *err, size_t errlen);
/* Set the active uplink (port index or CP_NO_PORT). */
int cp_ctl_uplink(struct cp_ctl *c, uint8_t port, char *err, size_t errlen);
/* Force an uplink by port name, or "auto" to follow link state again. The link watch applies
 * it. Returns 0, or -1 when name is neither an uplink's name nor "auto". */
int cp_ctl_force_uplink(struct cp_ctl *c, const char *name, char *err, size_t errlen);

/* Rule counters: totals of retired policies plus the current one, summed over workers. Calls
 * fn(name, pkts, bytes, arg) in a stable order. */
void cp_ctl_rule_counters(struct cp_ctl *c,
			  void (*fn)(const char *name, uint64_t pkts, uint64_t bytes, void *arg),
			  void *arg);
/* Category counters the same way: fn(name, matches, flows, arg). */
void cp_ctl_category_counters(struct cp_ctl *c,
			      void (*fn)(const char *name, uint64_t matches, uint64_t flows,
					 void *arg),
			      void *arg);

#endif
