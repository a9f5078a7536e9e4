/* Building the per-field candidate bitmaps (see rule_match.h). Control path only. */
#include "rule_match.h"

#include <stdlib.h>
#include <string.h>

static void set_bit(uint64_t *w, unsigned r)
{
	w[r >> 6] |= 1ull << (r & 63);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The class holding port (its start is the last one <= port). */
static uint32_t class_of(const struct cp_port_classes *pc, uint32_t port)
{
	uint32_t lo = 0, hi = pc->n;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (pc->lo[mid] <= port)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static const struct cp_port_list *port_list(const struct cp_rule *r, bool sport)
{
	return sport ? &r->sport : &r->dport;
}

/* Classes of one port field: cut at every range's start and just past its end. */
static int build_ports(struct cp_port_classes *pc, const struct cp_rule *rules, unsigned n,
		       unsigned nwords, bool sport)
{
	size_t nb = 1;
	for (unsigned r = 0; r < n; r++)
		nb += 2 * (size_t)port_list(&rules[r], sport)->n;
	uint32_t *cut = malloc(nb * sizeof(*cut));
	if (cut == NULL)
		return -1;
	size_t k = 0;
	cut[k++] = 0;
	for (unsigned r = 0; r < n; r++) {
		const struct cp_port_list *l = port_list(&rules[r], sport);
		for (unsigned i = 0; i < l->n; i++) {
			cut[k++] = l->r[i].lo;
			if (l->r[i].hi < 65535)
				cut[k++] = (uint32_t)l->r[i].hi + 1;
		}
	}
	qsort(cut, k, sizeof(*cut), cmp_u32);
	uint32_t nc = 0;
	for (size_t i = 0; i < k; i++)
		if (i == 0 || cut[i] != cut[i - 1])
			cut[nc++] = cut[i];
	pc->exact = (size_t)nc * nwords * sizeof(uint64_t) <= CP_RULE_MATCH_MAX_BYTES;
	if (!pc->exact)
		nc = 1;
	pc->n = nc;
	pc->lo = malloc(nc * sizeof(*pc->lo));
	pc->bits = calloc((size_t)nc * nwords, sizeof(uint64_t));
	if (pc->lo == NULL || pc->bits == NULL) {
		free(cut);
		return -1;
	}
	for (uint32_t c = 0; c < nc; c++)
		pc->lo[c] = (uint16_t)cut[c];
	free(cut);
	pc->cls = malloc(65536 * sizeof(*pc->cls));
	if (pc->cls == NULL)
		return -1;
	for (uint32_t port = 0, c = 0; port < 65536; port++) {
		while (c + 1 < nc && pc->lo[c + 1] <= port)
			c++;
		pc->cls[port] = (uint16_t)c;
	}
	for (unsigned r = 0; r < n; r++) {
		const struct cp_port_list *l = port_list(&rules[r], sport);
		if (l->n == 0 || !pc->exact) { /* any port, or checked rule by rule */
			for (uint32_t c = 0; c < nc; c++)
				set_bit(pc->bits + (size_t)c * nwords, r);
			continue;
		}
		for (unsigned i = 0; i < l->n; i++)
			for (uint32_t c = class_of(pc, l->r[i].lo);
			     c < nc && pc->lo[c] <= l->r[i].hi; c++)
				set_bit(pc->bits + (size_t)c * nwords, r);
	}
	return 0;
}

/* Protocol classes: one per protocol a rule names, and one for every other protocol (class 0). */
static int build_protos(struct cp_rule_match *rm, const struct cp_rule *rules, unsigned n,
			unsigned nwords)
{
	unsigned nc = 1;
	memset(rm->proto_cls, 0, sizeof(rm->proto_cls));
	for (unsigned r = 0; r < n; r++) {
		int p = rules[r].proto;
		if (p != CP_PROTO_ANY && rm->proto_cls[p] == 0)
			rm->proto_cls[p] = (uint8_t)nc++;
	}
	rm->proto_bits = calloc((size_t)nc * nwords, sizeof(uint64_t));
	if (rm->proto_bits == NULL)
		return -1;
	for (unsigned r = 0; r < n; r++) {
		int p = rules[r].proto;
		for (unsigned c = 0; c < nc; c++)
			if (p == CP_PROTO_ANY || (c != 0 && rm->proto_cls[p] == c))
				set_bit(rm->proto_bits + (size_t)c * nwords, r);
	}
	return 0;
}

int cp_rule_match_build(struct cp_rule_match *rm, const struct cp_rule *rules, unsigned n,
			unsigned nwords)
{
	memset(rm, 0, sizeof(*rm));
	rm->nwords = nwords;
	if (nwords == 0)
		nwords = rm->nwords = 1; /* a policy without rules: every bitmap is empty */
	if (build_protos(rm, rules, n, nwords) != 0 ||
	    build_ports(&rm->sport, rules, n, nwords, true) != 0 ||
	    build_ports(&rm->dport, rules, n, nwords, false) != 0) {
		cp_rule_match_free(rm);
		return -1;
	}
	return 0;
}

void cp_rule_match_free(struct cp_rule_match *rm)
{
	free(rm->proto_bits);
	free(rm->sport.cls);
	free(rm->dport.cls);
	free(rm->sport.lo);
	free(rm->sport.bits);
	free(rm->dport.lo);
	free(rm->dport.bits);
	memset(rm, 0, sizeof(*rm));
}

size_t cp_rule_match_bytes(const struct cp_rule_match *rm)
{
	unsigned npc = 1;
	for (unsigned p = 0; p < 256; p++)
		npc = rm->proto_cls[p] + 1u > npc ? rm->proto_cls[p] + 1u : npc;
	return ((size_t)npc + rm->sport.n + rm->dport.n) * rm->nwords * sizeof(uint64_t) +
	       ((size_t)rm->sport.n + rm->dport.n + 2 * 65536) * sizeof(uint16_t);
}
