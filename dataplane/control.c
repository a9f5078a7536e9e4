/* Control operations on the published view (see control.h). Main lcore only. */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

static void fold_rule_totals(struct cp_ctl *c, const struct cp_rt_policy *p)
{
	for (unsigned r = 0; r < p->n_rules; r++) {
		uint64_t pk = 0, by = 0;
		for (unsigned w = 0; w < p->n_workers; w++) {
			const uint64_t *ctr = cp_rt_rule_ctr(p, w);
			pk += ctr[r * 2];
			by += ctr[r * 2 + 1];
		}
		const char *name = p->src->rules[r].name;
		struct cp_rule_total *t = NULL;
		for (unsigned i = 0; i < c->n_totals && t == NULL; i++)
			if (strcmp(c->totals[i].name, name) == 0)
				t = &c->totals[i];
		if (t == NULL) {
			if (c->n_totals == c->cap_totals) {
				unsigned cap = c->cap_totals ? c->cap_totals * 2 : 64;
				struct cp_rule_total *n = realloc(c->totals, cap * sizeof(*n));
				if (n == NULL)
					continue; /* counters of this rule are lost, nothing else */
				c->totals = n;
				c->cap_totals = cap;
			}
			t = &c->totals[c->n_totals++];
			memset(t, 0, sizeof(*t));
			snprintf(t->name, sizeof(t->name), "%s", name);
		}
		t->pkts += pk;
		t->bytes += by;
	}
}

static void policy_unref(struct cp_ctl *c, struct cp_rt_policy *p)
{
	if (p == NULL || --p->refs > 0)
		return;
	fold_rule_totals(c, p);
	cp_rt_policy_free(p);
}

static void view_free(struct cp_ctl *c, struct cp_view *v)
{
	if (v == NULL)
		return;
	policy_unref(c, (struct cp_rt_policy *)v->pol);
	cp_grant_slots_free(&v->gr);
	free(v);
}

/* Build a view of the control state with policy pol, publish it, wait out the grace period and
 * free the old one. */
static int publish(struct cp_ctl *c, struct cp_rt_policy *pol, char *err, size_t errlen)
{
	struct cp_view *v = calloc(1, sizeof(*v));
	if (v == NULL || cp_grant_slots_build(&c->grants, pol, &v->gr) != 0) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	v->pol = pol;
	v->gen = pol != NULL ? pol->gen : 0;
	v->epoch = c->grants.epoch;
	v->shutoff = c->shutoff;
	v->uplink = c->uplink;
	if (pol != NULL)
		pol->refs++;
	struct cp_view *old = c->view;
	c->view = v;
	c->pol = pol;
	uint64_t t0 = rte_rdtsc();
	__atomic_store_n(&c->dp->view, v, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(c->dp->qsv, RTE_QSBR_THRID_INVALID);
	/* From the store until every worker has passed a quiescent point, i.e. runs this view. */
	c->last_swap_cycles = rte_rdtsc() - t0;
	view_free(c, old);
	return 0;
}

int cp_ctl_init(struct cp_ctl *c, struct cp_dp *dp, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->dp = dp;
	c->next_gen = 1;
	c->forced_uplink = -1;
	c->uplink = CP_NO_PORT;
	for (unsigned p = 0; p < dp->n_ports && c->uplink == CP_NO_PORT; p++)
		if (dp->ports[p].role == CP_ROLE_UPLINK)
			c->uplink = (uint8_t)p;
	cp_grants_init(&c->grants);
	return publish(c, NULL, err, errlen);
}

void cp_ctl_fini(struct cp_ctl *c)
{
	view_free(c, c->view);
	c->dp->view = NULL;
	c->view = NULL;
	cp_grants_free(&c->grants);
	free(c->totals);
	c->totals = NULL;
}

int cp_ctl_set_policy(struct cp_ctl *c, struct cp_policy_src *src, char *err, size_t errlen)
{
	struct cp_rt_policy *p =
	    cp_rt_policy_build(src, c->next_gen, c->dp->n_workers, err, errlen);
	if (p == NULL)
		return -1;
	if (publish(c, p, err, errlen) != 0) {
		p->src = NULL; /* the caller keeps src */
		cp_rt_policy_free(p);
		return -1;
	}
	c->next_gen++;
	return 0;
}

int cp_ctl_grant(struct cp_ctl *c, const struct cp_prefix *pfx, uint64_t now, uint64_t for_ns,
		 uint64_t renew_ns, char *err, size_t errlen)
{
	if (cp_grants_give(&c->grants, pfx, now, for_ns, renew_ns) != 0) {
		snprintf(err, errlen, "grant table full (%u grants)", CP_MAX_GRANTS);
		return -1;
	}
	return publish(c, c->pol, err, errlen);
}

/* After renew or revoke touched n grants within pfx: publish, or say there was none. */
static int grants_touched(struct cp_ctl *c, const struct cp_prefix *pfx, unsigned n, char *err,
			  size_t errlen)
{
	if (n == 0) {
		char b[CP_PREFIX_STRLEN];
		snprintf(err, errlen, "no live grant within %s",
			 cp_prefix_format(pfx, b, sizeof(b)));
		return -1;
	}
	return publish(c, c->pol, err, errlen);
}

int cp_ctl_renew(struct cp_ctl *c, const struct cp_prefix *pfx, uint64_t now, char *err,
		 size_t errlen)
{
	return grants_touched(c, pfx, cp_grants_renew(&c->grants, pfx, now), err, errlen);
}

int cp_ctl_revoke(struct cp_ctl *c, const struct cp_prefix *pfx, uint64_t now, char *err,
		  size_t errlen)
{
	return grants_touched(c, pfx, cp_grants_revoke(&c->grants, pfx, now), err, errlen);
}

int cp_ctl_shutoff(struct cp_ctl *c, bool on, char *err, size_t errlen)
{
	c->shutoff = on;
	return publish(c, c->pol, err, errlen);
}

int cp_ctl_uplink(struct cp_ctl *c, uint8_t port, char *err, size_t errlen)
{
	if (port != c->uplink)
		c->uplink_changes++;
	c->uplink = port;
	return publish(c, c->pol, err, errlen);
}

int cp_ctl_force_uplink(struct cp_ctl *c, const char *name, char *err, size_t errlen)
{
	if (strcmp(name, "auto") == 0) {
		c->forced_uplink = -1;
		return 0;
	}
	for (unsigned p = 0; p < c->dp->n_ports; p++)
		if (c->dp->ports[p].role == CP_ROLE_UPLINK && strcmp(c->dp->ports[p].name, name) == 0) {
			c->forced_uplink = (int)p;
			return 0;
		}
	snprintf(err, errlen, "no uplink named \"%s\" (or \"auto\")", name);
	return -1;
}

void cp_ctl_rule_counters(struct cp_ctl *c,
			  void (*fn)(const char *name, uint64_t pkts, uint64_t bytes, void *arg),
			  void *arg)
{
	const struct cp_rt_policy *p = c->pol;
	/* Retired totals first, in first-seen order, plus the current policy's share. */
	for (unsigned i = 0; i < c->n_totals; i++) {
		uint64_t pk = c->totals[i].pkts, by = c->totals[i].bytes;
		int r = p != NULL ? cp_rule_find(p->src, c->totals[i].name) : -1;
		for (unsigned w = 0; r >= 0 && w < p->n_workers; w++) {
			pk += cp_rt_rule_ctr(p, w)[r * 2];
			by += cp_rt_rule_ctr(p, w)[r * 2 + 1];
		}
		fn(c->totals[i].name, pk, by, arg);
	}
	for (unsigned r = 0; p != NULL && r < p->n_rules; r++) {
		bool seen = false;
		for (unsigned i = 0; i < c->n_totals && !seen; i++)
			seen = strcmp(c->totals[i].name, p->src->rules[r].name) == 0;
		if (seen)
			continue;
		uint64_t pk = 0, by = 0;
		for (unsigned w = 0; w < p->n_workers; w++) {
			pk += cp_rt_rule_ctr(p, w)[r * 2];
			by += cp_rt_rule_ctr(p, w)[r * 2 + 1];
		}
		fn(p->src->rules[r].name, pk, by, arg);
	}
}
