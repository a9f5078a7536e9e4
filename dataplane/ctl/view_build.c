/* Control operations on the published view (see view_build.h). Main lcore only. */
#include "view_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

/* The entry named name in t, added when missing; NULL when out of memory. */
static struct cp_total *totals_at(struct cp_totals *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	if (t->n == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 64;
		struct cp_total *n = realloc(t->e, cap * sizeof(*n));
		if (n == NULL)
			return NULL; /* these counters are lost, nothing else */
		t->e = n;
		t->cap = cap;
	}
	struct cp_total *e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

/* Rule r's (or category r's) two counters in policy p, summed over the workers. */
static void policy_sum(const struct cp_rt_policy *p, bool cat, unsigned r, uint64_t v[2])
{
	v[0] = v[1] = 0;
	for (unsigned w = 0; w < p->n_workers; w++) {
		const uint64_t *ctr = cat ? p->pl->wk[w].cat_ctr : cp_rt_rule_ctr(p, w);
		v[0] += ctr[r * 2];
		v[1] += ctr[r * 2 + 1];
	}
}

static const char *policy_name(const struct cp_rt_policy *p, bool cat, unsigned r)
{
	return cat ? p->src->categories[r].name : p->src->rules[r].name;
}

static unsigned policy_count(const struct cp_rt_policy *p, bool cat)
{
	return cat ? (p->pl != NULL ? p->pl->n_cats : 0) : p->n_rules;
}

/* A retiring policy's counters go to the totals, by name. */
static void fold_totals(struct cp_ctl *c, const struct cp_rt_policy *p)
{
	for (int cat = 0; cat < 2; cat++)
		for (unsigned r = 0; r < policy_count(p, cat); r++) {
			uint64_t v[2];
			struct cp_total *t = totals_at(&c->totals[cat], policy_name(p, cat, r));
			policy_sum(p, cat, r, v);
			if (t != NULL) {
				t->v[0] += v[0];
				t->v[1] += v[1];
			}
		}
}

static void policy_unref(struct cp_ctl *c, struct cp_rt_policy *p)
{
	if (p == NULL || --p->refs > 0)
		return;
	fold_totals(c, p);
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
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cp_grant_slots_build(&c->grants, pol, &v->gr, err, errlen) != 0) {
		free(v);
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
	for (int cat = 0; cat < 2; cat++) {
		free(c->totals[cat].e);
		memset(&c->totals[cat], 0, sizeof(c->totals[cat]));
	}
}

int cp_ctl_set_policy_dbs(struct cp_ctl *c, struct cp_policy_src *src, struct cp_hs_dbs *dbs,
			  char *err, size_t errlen)
{
	struct cp_rt_policy *p =
	    cp_rt_policy_build(src, c->next_gen, c->dp->n_workers, err, errlen);
	if (p == NULL) {
		cp_hs_free(dbs);
		return -1;
	}
	if (src->n_categories > 0) {
		const struct cp_rt_policy *prev = c->pol;
		uint32_t streams = 2 * (c->dp->insp_ctx > 0 ? c->dp->insp_ctx : 64);
		p->pl = cp_payload_rt_build(src, dbs, prev != NULL ? prev->src : NULL,
					    prev != NULL ? prev->gen : 0, c->dp->n_workers, streams,
					    err, errlen);
		if (p->pl == NULL) {
			p->src = NULL;
			cp_rt_policy_free(p);
			return -1;
		}
	} else {
		cp_hs_free(dbs);
	}
	if (publish(c, p, err, errlen) != 0) {
		p->src = NULL; /* the caller keeps src */
		cp_rt_policy_free(p);
		return -1;
	}
	c->next_gen++;
	if (c->on_policy != NULL)
		c->on_policy(p, c->on_policy_arg);
	return 0;
}

int cp_ctl_set_policy(struct cp_ctl *c, struct cp_policy_src *src, char *err, size_t errlen)
{
	struct cp_hs_dbs dbs = {0};
	if (src->n_categories > 0) {
		struct cp_diag d;
		cp_diag_init(&d);
		int rc = cp_hs_compile(src, &dbs, &d);
		if (rc != 0)
			snprintf(err, errlen, "%s",
				 d.n > 0 ? d.lines[0] : "category patterns do not compile");
		cp_diag_free(&d);
		if (rc != 0)
			return -1;
	}
	return cp_ctl_set_policy_dbs(c, src, &dbs, err, errlen);
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
		if (c->dp->ports[p].role == CP_ROLE_UPLINK &&
		    strcmp(c->dp->ports[p].name, name) == 0) {
			c->forced_uplink = (int)p;
			return 0;
		}
	snprintf(err, errlen, "no uplink named \"%s\" (or \"auto\")", name);
	return -1;
}

/* Totals of retired policies (first-seen order) plus the current policy's share, then the current
 * policy's names not seen before. */
static void named_counters(struct cp_ctl *c, bool cat,
			   void (*fn)(const char *name, uint64_t a, uint64_t b, void *arg),
			   void *arg)
{
	const struct cp_rt_policy *p = c->pol;
	const struct cp_totals *t = &c->totals[cat];
	unsigned n = p != NULL ? policy_count(p, cat) : 0;
	for (unsigned i = 0; i < t->n; i++) {
		uint64_t a = t->e[i].v[0], b = t->e[i].v[1], v[2];
		for (unsigned r = 0; r < n; r++)
			if (strcmp(policy_name(p, cat, r), t->e[i].name) == 0) {
				policy_sum(p, cat, r, v);
				a += v[0];
				b += v[1];
				break;
			}
		fn(t->e[i].name, a, b, arg);
	}
	for (unsigned r = 0; r < n; r++) {
		bool seen = false;
		uint64_t v[2];
		for (unsigned i = 0; i < t->n && !seen; i++)
			seen = strcmp(t->e[i].name, policy_name(p, cat, r)) == 0;
		if (seen)
			continue;
		policy_sum(p, cat, r, v);
		fn(policy_name(p, cat, r), v[0], v[1], arg);
	}
}

void cp_ctl_rule_counters(struct cp_ctl *c,
			  void (*fn)(const char *name, uint64_t pkts, uint64_t bytes, void *arg),
			  void *arg)
{
	named_counters(c, false, fn, arg);
}

void cp_ctl_category_counters(struct cp_ctl *c,
			      void (*fn)(const char *name, uint64_t matches, uint64_t flows,
					 void *arg),
			      void *arg)
{
	named_counters(c, true, fn, arg);
}
