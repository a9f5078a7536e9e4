/* Changed flows between two replays (flow_diff.h). */
#include "flow_diff.h"

#include "flow.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"

/* A flow as the dataplane keys it (flow.h: both directions alike; family 0 is a free slot). */
struct cp_diff_flow {
	struct cp_flow_key k;
	bool changed;
	bool init_a; /* the flow's first packet came from side a */
};

void cp_flow_diff_init(struct cp_flow_diff *d)
{
	memset(d, 0, sizeof(*d));
}

void cp_flow_diff_free(struct cp_flow_diff *d)
{
	free(d->slot);
	free(d->ch);
	memset(d, 0, sizeof(*d));
}

static uint64_t key_hash(const struct cp_flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static struct cp_diff_flow *find_slot(struct cp_diff_flow *slot, uint64_t cap,
				      const struct cp_flow_key *k)
{
	for (uint64_t i = key_hash(k) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (slot[i].k.family == 0 || cp_flow_key_eq(&slot[i].k, k))
			return &slot[i];
}

static int grow(struct cp_flow_diff *d)
{
	uint64_t cap = d->cap ? d->cap * 2 : 1024;
	struct cp_diff_flow *s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return -1;
	for (uint64_t i = 0; i < d->cap; i++)
		if (d->slot[i].k.family != 0)
			*find_slot(s, cap, &d->slot[i].k) = d->slot[i];
	free(d->slot);
	d->slot = s;
	d->cap = cap;
	return 0;
}

static bool same(const struct cp_decided *x, const struct cp_decided *y)
{
	return strcmp(x->verdict, y->verdict) == 0 && strcmp(x->rule, y->rule) == 0;
}

static int add_change(struct cp_flow_diff *d, const struct cp_diff_change *c)
{
	if (d->n_changes == d->ch_cap) {
		uint64_t cap = d->ch_cap ? d->ch_cap * 2 : 64;
		struct cp_diff_change *ch = realloc(d->ch, cap * sizeof(*ch));
		if (ch == NULL)
			return -1;
		d->ch = ch;
		d->ch_cap = cap;
	}
	d->ch[d->n_changes++] = *c;
	return 0;
}

int cp_flow_diff_feed(struct cp_flow_diff *d, uint64_t n, enum cp_reason rc, const struct cp_pkt *p,
		      const struct cp_decided *old, const struct cp_decided *new)
{
	struct cp_diff_change c = {.n = n, .old = *old, .new = *new};
	bool differs = !same(old, new);
	if (rc != CP_R_NONE || p->l3 == CP_L3_NONE) { /* no 5-tuple: a flow of its own */
		d->flows++;
		return differs ? add_change(d, &c) : 0;
	}
	if ((d->used + 1) * 2 > d->cap && grow(d) != 0)
		return -1;
	struct cp_flow_key k;
	bool from_a;
	cp_flow_key_make(p, &k, &from_a);
	struct cp_diff_flow *f = find_slot(d->slot, d->cap, &k);
	if (f->k.family == 0) {
		f->k = k;
		f->changed = false;
		f->init_a = from_a;
		d->used++;
		d->flows++;
	}
	if (f->changed || !differs)
		return 0;
	f->changed = true;
	c.has_ends = true;
	c.l3 = k.family;
	c.proto = k.proto;
	memcpy(c.src, f->init_a ? k.a : k.b, 16);
	memcpy(c.dst, f->init_a ? k.b : k.a, 16);
	c.sport = f->init_a ? k.pa : k.pb;
	c.dport = f->init_a ? k.pb : k.pa;
	return add_change(d, &c);
}

static const char *proto_name(const struct cp_diff_change *c, char *buf, size_t len)
{
	return c->has_ends ? cp_ip_proto_name(c->proto, buf, len) : "other";
}

static void addr_text(const struct cp_diff_change *c, const uint8_t *a, char *buf, size_t len)
{
	inet_ntop(c->l3 == CP_L3_IPV4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len);
}

static const char *rule_or(const struct cp_decided *x, const char *none)
{
	return x->rule[0] ? x->rule : none;
}

void cp_flow_diff_text(const struct cp_flow_diff *d, FILE *out)
{
	for (uint64_t i = 0; i < d->n_changes; i++) {
		const struct cp_diff_change *c = &d->ch[i];
		char pb[8], s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
		fprintf(out, "%8llu %-5s ", (unsigned long long)c->n,
			proto_name(c, pb, sizeof(pb)));
		if (c->has_ends) {
			addr_text(c, c->src, s, sizeof(s));
			addr_text(c, c->dst, t, sizeof(t));
			const char *fmt =
			    c->l3 == CP_L3_IPV6 ? "[%s]:%u -> [%s]:%u" : "%s:%u -> %s:%u";
			fprintf(out, fmt, s, c->sport, t, c->dport);
		} else {
			fprintf(out, "(no 5-tuple)");
		}
		fprintf(out, "  %s/%s -> %s/%s\n", c->old.verdict, rule_or(&c->old, "-"),
			c->new.verdict, rule_or(&c->new, "-"));
	}
	/* The count by old and new decision: the pairs in order of their first flow. */
	bool *done = calloc(d->n_changes ? d->n_changes : 1, sizeof(*done));
	fprintf(out, "%llu of %llu flows changed\n", (unsigned long long)d->n_changes,
		(unsigned long long)d->flows);
	for (uint64_t i = 0; done != NULL && i < d->n_changes; i++) {
		if (done[i])
			continue;
		const struct cp_diff_change *c = &d->ch[i];
		uint64_t count = 0;
		for (uint64_t j = i; j < d->n_changes; j++)
			if (!done[j] && same(&d->ch[j].old, &c->old) &&
			    same(&d->ch[j].new, &c->new)) {
				done[j] = true;
				count++;
			}
		fprintf(out, "  %s/%s -> %s/%s: %llu %s\n", c->old.verdict, rule_or(&c->old, "-"),
			c->new.verdict, rule_or(&c->new, "-"), (unsigned long long)count,
			count == 1 ? "flow" : "flows");
	}
	free(done);
}

static json_t *decided_json(const struct cp_decided *x)
{
	return json_pack("{s:s, s:o}", "verdict", x->verdict, "rule",
			 x->rule[0] ? json_string(x->rule) : json_null());
}

void cp_flow_diff_json(const struct cp_flow_diff *d, FILE *out)
{
	for (uint64_t i = 0; i < d->n_changes; i++) {
		const struct cp_diff_change *c = &d->ch[i];
		char pb[8], s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
		json_t *o = json_pack("{s:I, s:s}", "n", (json_int_t)c->n, "proto",
				      proto_name(c, pb, sizeof(pb)));
		if (o == NULL)
			continue;
		if (c->has_ends) {
			addr_text(c, c->src, s, sizeof(s));
			addr_text(c, c->dst, t, sizeof(t));
			json_object_set_new(o, "src", json_string(s));
			json_object_set_new(o, "sport", json_integer(c->sport));
			json_object_set_new(o, "dst", json_string(t));
			json_object_set_new(o, "dport", json_integer(c->dport));
		} else {
			json_object_set_new(o, "src", json_null());
			json_object_set_new(o, "sport", json_null());
			json_object_set_new(o, "dst", json_null());
			json_object_set_new(o, "dport", json_null());
		}
		json_object_set_new(o, "old", decided_json(&c->old));
		json_object_set_new(o, "new", decided_json(&c->new));
		char *line = json_dumps(o, JSON_PRESERVE_ORDER);
		if (line != NULL)
			fprintf(out, "%s\n", line);
		free(line);
		json_decref(o);
	}
}
