/* chokectl trace, the main lcore's side (see trace_out.h). */
#include "trace_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "json_out.h"
#include "policy_rt.h"
#include "trace_filter.h"
#include "verdict_out.h"
#include "view_build.h"

static int by_time(const void *a, const void *b)
{
	const struct cp_trace_rec *x = a, *y = b;
	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

/* The rule index of name in pol, CP_TRACE_ANY_RULE for no name. -1 when pol has no such rule. */
static int rule_index(const struct cp_rt_policy *pol, const char *name, uint16_t *idx, char *err,
		      size_t errlen)
{
	*idx = CP_TRACE_ANY_RULE;
	if (name[0] == '\0')
		return 0;
	for (unsigned i = 0; pol != NULL && i < pol->n_rules; i++)
		if (strcmp(pol->src->rules[i].name, name) == 0) {
			*idx = (uint16_t)i;
			return 0;
		}
	snprintf(err, errlen, "no rule \"%s\" in the running policy", name);
	return -1;
}

/* "2026-12-05T21:30:01.123456Z" */
static json_t *wall_text(uint64_t ns)
{
	char b[40];
	struct tm tm;
	time_t s = (time_t)(ns / 1000000000u);
	gmtime_r(&s, &tm);
	size_t n = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(b + n, sizeof(b) - n, ".%06uZ", (unsigned)(ns % 1000000000u / 1000u));
	return json_string(b);
}

static json_t *addr_json(const struct cp_trace_rec *r, const uint8_t *a)
{
	char b[INET6_ADDRSTRLEN];
	if (r->l3 == CP_L3_NONE)
		return json_null();
	inet_ntop(r->l3 == CP_L3_IPV4 ? AF_INET : AF_INET6, a, b, sizeof(b));
	return json_string(b);
}

static json_t *sample_json(const struct cp_dp *dp, const struct cp_rt_policy *pol,
			   const struct cp_trace_rec *r, uint64_t now, uint64_t wall_ns)
{
	struct cp_meta m = {
	    .rule = r->rule, .verdict = r->verdict, .reason = r->reason, .category = r->category};
	struct cp_verdict_line v;
	char pb[8];
	bool ports = r->l3 != CP_L3_NONE && (r->proto == 6 || r->proto == 17);
	cp_verdict_line_of(&v, pol, &m); /* the names verdicts.jsonl gives */
	json_t *o = json_pack(
	    "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o}", "time",
	    wall_text(wall_ns - (now > r->t_ns ? now - r->t_ns : 0)), "port",
	    cp_json_text(r->in_port < dp->n_ports ? dp->ports[r->in_port].name : NULL), "proto",
	    r->l3 != CP_L3_NONE ? json_string(cp_ip_proto_name(r->proto, pb, sizeof(pb)))
				: json_null(),
	    "src", addr_json(r, r->src), "sport", ports ? json_integer(r->sport) : json_null(),
	    "dst", addr_json(r, r->dst), "dport", ports ? json_integer(r->dport) : json_null(),
	    "verdict", v.verdict, "rule", cp_json_text(v.rule), "category",
	    cp_json_text(v.category), "reason", cp_json_text(v.reason));
	if (o != NULL && v.detail != NULL)
		json_object_set_new(o, "detail", json_string(v.detail));
	return o;
}

/* Every record the workers' rings hold, oldest first (malloc'd; *n of them), and the sum of the
 * workers' lost counts. */
static struct cp_trace_rec *drain(struct cp_dp *dp, unsigned *n, uint64_t *lost)
{
	struct cp_trace_rec *all = malloc((size_t)dp->n_workers * CP_TRACE_RING * sizeof(*all));
	*n = 0;
	*lost = 0;
	for (unsigned w = 0; w < dp->n_workers; w++) {
		struct cp_worker *wk = &dp->workers[w];
		*lost += __atomic_load_n(&wk->tr.lost, __ATOMIC_RELAXED);
		if (wk->tr.ring == NULL)
			continue;
		if (all == NULL) { /* out of memory: the records go, counted lost */
			struct cp_trace_rec tmp[64];
			unsigned k;
			while ((k = rte_ring_sc_dequeue_burst_elem(wk->tr.ring, tmp, sizeof(tmp[0]),
								   RTE_DIM(tmp), NULL)) > 0)
				*lost += k;
			continue;
		}
		*n += rte_ring_sc_dequeue_burst_elem(wk->tr.ring, all + *n, sizeof(*all),
						     CP_TRACE_RING, NULL);
	}
	if (all != NULL)
		qsort(all, *n, sizeof(*all), by_time);
	return all;
}

char *cp_trace_poll(struct cp_ctl *ctl, const struct cp_req_trace *r, uint64_t now,
		    uint64_t wall_ns, size_t *len, char *err, size_t errlen)
{
	struct cp_dp *dp = ctl->dp;
	struct cp_trace_ctl *t = &dp->trace;
	const struct cp_rt_policy *pol = ctl->pol;
	uint8_t verdicts;
	uint64_t reasons, lost;
	uint16_t rule;
	unsigned n;
	if (cp_trace_filter_parse(r->verdict, r->reason, &verdicts, &reasons, err, errlen) != 0 ||
	    rule_index(pol, r->rule, &rule, err, errlen) != 0)
		return NULL;
	if (!t->on) { /* a trace opens clean: what the rings hold is an earlier trace's */
		free(drain(dp, &n, &lost));
		t->lost_seen = lost;
	}
	t->verdicts = verdicts;
	t->reasons = reasons;
	t->rule = rule;
	t->gen = pol != NULL ? pol->gen : 0;
	t->until_ns = now + CP_TRACE_LEASE_NS;
	__atomic_store_n(&t->on, 1, __ATOMIC_RELEASE);

	struct cp_trace_rec *rec = drain(dp, &n, &lost);
	json_t *samples = json_array();
	for (unsigned i = 0; rec != NULL && i < n; i++) {
		const struct cp_trace_rec *x = &rec[i];
		/* The filter again: records written while it changed, and rules of another
		 * generation (an index means nothing in another policy). */
		if (x->rule != CP_NO_RULE && x->gen != (uint16_t)t->gen)
			continue;
		if (!cp_trace_wants(t, x->verdict, x->reason, x->rule, t->gen))
			continue;
		json_array_append_new(samples, sample_json(dp, pol, x, now, wall_ns));
	}
	free(rec);
	uint64_t new_lost = lost >= t->lost_seen ? lost - t->lost_seen : 0;
	t->lost_seen = lost;
	return cp_json_dump(
	    json_pack("{s:o,s:I}", "samples", samples, "lost", (json_int_t)new_lost), len);
}

void cp_trace_tick(struct cp_dp *dp, uint64_t now)
{
	if (dp->trace.on && now >= dp->trace.until_ns)
		__atomic_store_n(&dp->trace.on, 0, __ATOMIC_RELEASE);
}
