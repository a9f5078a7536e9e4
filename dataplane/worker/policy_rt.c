/* Building and freeing the runtime policy object (see policy_rt.h). Control path only. */
#include "policy_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_errno.h>
#include <rte_malloc.h>

static uint32_t be32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Inside prefixes by family, then address, then shorter first: a prefix comes before those
 * within it. */
static int cmp_prefix(const void *a, const void *b)
{
	const struct cp_prefix *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int c = memcmp(x->a, y->a, sizeof(x->a));
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* The inside prefixes of s, sorted, without those within another (they add no address); n of
 * them. Sorted, a prefix within a kept one follows it with no other kept prefix in between, so
 * one comparison each suffices. */
static struct cp_prefix *inside_top(const struct cp_policy_src *s, unsigned *n)
{
	struct cp_prefix *v = malloc((s->n_inside + 1) * sizeof(*v));
	unsigned k = 0;
	if (v == NULL)
		return NULL;
	if (s->n_inside > 0)
		memcpy(v, s->inside, s->n_inside * sizeof(*v));
	qsort(v, s->n_inside, sizeof(*v), cmp_prefix);
	for (unsigned i = 0; i < s->n_inside; i++)
		if (k == 0 || !cp_prefix_contains(&v[k - 1], &v[i]))
			v[k++] = v[i];
	*n = k;
	return v;
}

/* The inside space by family; a small IPv4 one also numbered for the direct grant table. */
static int build_inside(struct cp_rt_policy *p)
{
	unsigned n;
	struct cp_prefix *top = inside_top(p->src, &n);
	if (top == NULL)
		return -1;
	p->in4 = calloc(n + 1, sizeof(*p->in4));
	p->in6 = calloc(n + 1, sizeof(*p->in6));
	if (p->in4 == NULL || p->in6 == NULL) {
		free(top);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct cp_prefix *pf = &top[i];
		if (pf->family == 6) {
			p->in6[p->n_in6++] = *pf;
			continue;
		}
		struct cp_inside4 *in = &p->in4[p->n_in4++];
		in->mask = pf->len == 0 ? 0 : ~0u << (32 - pf->len);
		in->net = be32(pf->a) & in->mask;
		in->base = (uint32_t)p->n_hosts4; /* meaningful while direct4 */
		p->n_hosts4 += (uint64_t)1 << (32 - pf->len);
	}
	p->direct4 = p->n_hosts4 <= CP_DIRECT_MAX_HOSTS4;
	free(top);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The tbl8 groups a DIR24_8 table needs: one per distinct /24 holding a prefix longer than /24. */
static unsigned count_tbl8(const struct cp_rt_policy *p, unsigned long4)
{
	uint32_t *g = long4 ? malloc(long4 * sizeof(*g)) : NULL;
	unsigned n = 0, k = 0;
	if (g == NULL)
		return long4;
	for (unsigned i = 0; i < p->space.n_cls; i++) {
		const struct cp_addr_class *c = &p->space.cls[i];
		if (c->pfx.family == 4 && c->pfx.len > 24)
			g[n++] = be32(c->pfx.a) >> 8;
	}
	qsort(g, n, sizeof(*g), cmp_u32);
	for (unsigned i = 0; i < n; i++)
		k += i == 0 || g[i] != g[i - 1];
	free(g);
	return k;
}

#define MIB (1024.0 * 1024.0)

/* What rte_fib_create/rte_fib6_create take (DPDK 22.11's dir24_8.c, trie.c and rte_rib.c): a
 * first level of 2^24 next hops, num_tbl8 + 1 groups of 256 and their index, and two RIB nodes
 * per route (about 208 bytes each in their mempool, measured). Within 1% of the heap's own count
 * for 2 to 100000 routes. nh_sz is the log2 of a next hop's bytes in both enums. */
static uint64_t fib_bytes(unsigned nh_sz, unsigned num_tbl8, int max_routes)
{
	uint64_t nh = (uint64_t)1 << nh_sz;
	return (nh << 24) + 256 * nh * ((uint64_t)num_tbl8 + 1) + 4 * (uint64_t)num_tbl8 +
	       2 * 208 * (uint64_t)max_routes;
}

uint64_t cp_dpdk_free_bytes(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t n = 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			n += st.heap_freesz_bytes;
	return n;
}

static int build_fibs(struct cp_rt_policy *p, char *err, size_t errlen)
{
	unsigned n4 = 0, n6 = 0, long4 = 0;
	uint32_t root4 = 0, root6 = 0;
	char name[32];

	for (unsigned i = 0; i < p->space.n_cls; i++) {
		const struct cp_addr_class *c = &p->space.cls[i];
		if (c->pfx.family == 4) {
			n4++;
			long4 += c->pfx.len > 24;
			if (c->pfx.len == 0)
				root4 = c->leaf;
		} else {
			n6++;
			if (c->pfx.len == 0)
				root6 = c->leaf;
		}
	}
	/* The narrowest next hop that holds every leaf index: the 2^24-entry first level is most
	 * of the memory (and of the build time), 16 MiB per byte of next hop. */
	unsigned nl = p->space.n_leaves, tbl8 = count_tbl8(p, long4) + 16;
	if (nl < tbl8)
		nl = tbl8; /* the next hop size also bounds num_tbl8 */
	enum rte_fib_dir24_8_nh_sz nh4 = nl < 0x80     ? RTE_FIB_DIR24_8_1B
					 : nl < 0x8000 ? RTE_FIB_DIR24_8_2B
						       : RTE_FIB_DIR24_8_4B;
	unsigned tbl8_6 = n6 * 14 + 16; /* at most 14 groups below the 24-bit first level */
	enum rte_fib_trie_nh_sz nh6 =
	    p->space.n_leaves < 0x8000 && tbl8_6 < 0x8000 ? RTE_FIB6_TRIE_2B : RTE_FIB6_TRIE_4B;
	struct rte_fib_conf c4 = {
	    .type = RTE_FIB_DIR24_8,
	    .default_nh = root4,
	    .max_routes = (int)n4 + 1,
	    .dir24_8 = {.nh_sz = nh4, .num_tbl8 = tbl8},
	};
	snprintf(name, sizeof(name), "cpfib4_%u", p->gen);
	/* A family with no prefix but its root needs no table: every address is the root leaf. */
	p->root4 = root4;
	p->root6 = root6;
	if (n4 > 1)
		p->fib4 = rte_fib_create(name, SOCKET_ID_ANY, &c4);
	struct rte_fib6_conf c6 = {
	    .type = RTE_FIB6_TRIE,
	    .default_nh = root6,
	    .max_routes = (int)n6 + 1,
	    .trie = {.nh_sz = nh6, .num_tbl8 = tbl8_6},
	};
	snprintf(name, sizeof(name), "cpfib6_%u", p->gen);
	if (n6 > 1)
		p->fib6 = rte_fib6_create(name, SOCKET_ID_ANY, &c6);
	if ((n4 > 1 && p->fib4 == NULL) || (n6 > 1 && p->fib6 == NULL)) {
		uint64_t need = (n4 > 1 ? fib_bytes(nh4, tbl8, c4.max_routes) : 0) +
				(n6 > 1 ? fib_bytes(nh6, tbl8_6, c6.max_routes) : 0);
		uint64_t free_b = cp_dpdk_free_bytes();
		if (need > free_b)
			snprintf(err, errlen,
				 "the prefix tables need %.1f MiB of DPDK memory, %.1f MiB free",
				 (double)need / MIB, (double)free_b / MIB);
		else
			snprintf(err, errlen, "cannot create the prefix tables (%.1f MiB): %s",
				 (double)need / MIB, rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned i = 0; i < p->space.n_cls; i++) {
		const struct cp_addr_class *c = &p->space.cls[i];
		int rc;
		if (c->pfx.len == 0)
			continue;
		if (c->pfx.family == 4)
			rc = rte_fib_add(p->fib4, be32(c->pfx.a), c->pfx.len, c->leaf);
		else
			rc = rte_fib6_add(p->fib6, c->pfx.a, c->pfx.len, c->leaf);
		if (rc != 0) {
			char b[CP_PREFIX_STRLEN];
			snprintf(err, errlen, "cannot add %s to the prefix table: %s",
				 cp_prefix_format(&c->pfx, b, sizeof(b)), strerror(-rc));
			return -1;
		}
	}
	return 0;
}

struct cp_rt_policy *cp_rt_policy_build(struct cp_policy_src *src, uint32_t gen, unsigned n_workers,
					char *err, size_t errlen)
{
	struct cp_rt_policy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto oom;
	p->gen = gen;
	p->src = src;
	p->n_rules = src->n_rules;
	p->n_workers = n_workers;
	p->flow_timeout_ns = (uint64_t)src->settings.flow_timeout * 1000000000ull;
	p->rules = calloc(src->n_rules, sizeof(*p->rules));
	p->rule_ctr = rte_zmalloc(
	    "cp_rule_ctr",
	    (size_t)n_workers * cp_rt_rule_ctr_stride(src->n_rules) * sizeof(uint64_t) + 64, 64);
	if (p->rules == NULL || p->rule_ctr == NULL)
		goto oom;
	for (unsigned r = 0; r < src->n_rules; r++) {
		const struct cp_rule *s = &src->rules[r];
		struct cp_rt_rule *d = &p->rules[r];
		d->src = s;
		d->proto = (int16_t)s->proto;
		d->action = (uint8_t)s->action;
		d->grant = s->grant;
		d->has_category = s->n_categories > 0;
		d->has_ports = s->sport.n > 0 || s->dport.n > 0;
	}
	if (cp_space_build(src, &p->space) != 0 ||
	    cp_rule_match_build(&p->rm, src->rules, src->n_rules, p->space.nwords) != 0)
		goto oom;
	if (build_inside(p) != 0)
		goto oom;
	if (build_fibs(p, err, errlen) != 0)
		goto fail;
	return p;
oom:
	snprintf(err, errlen, "out of memory while building the policy");
fail:
	if (p != NULL) {
		p->src = NULL; /* the caller keeps it on failure */
		cp_rt_policy_free(p);
	}
	return NULL;
}

void cp_rt_policy_free(struct cp_rt_policy *p)
{
	if (p == NULL)
		return;
	if (p->fib4 != NULL)
		rte_fib_free(p->fib4);
	if (p->fib6 != NULL)
		rte_fib6_free(p->fib6);
	cp_space_free(&p->space);
	cp_rule_match_free(&p->rm);
	free(p->in4);
	free(p->in6);
	free(p->rules);
	rte_free(p->rule_ctr);
	cp_payload_rt_free(p->pl);
	cp_policy_free(p->src);
	free(p);
}

const struct cp_leaf *cp_rt_leaf(const struct cp_rt_policy *p, uint8_t family, const uint8_t *a)
{
	uint64_t nh;
	if (family == 4) {
		uint32_t ip = be32(a);
		nh = p->root4;
		if (p->fib4 != NULL)
			rte_fib_lookup_bulk(p->fib4, &ip, &nh, 1);
	} else {
		uint8_t ip[1][16];
		memcpy(ip[0], a, 16);
		nh = p->root6;
		if (p->fib6 != NULL)
			rte_fib6_lookup_bulk(p->fib6, ip, &nh, 1);
	}
	return &p->space.leaves[nh < p->space.n_leaves ? nh : 0];
}

void cp_rt_leaf2(const struct cp_rt_policy *p, uint8_t family, const uint8_t *a, const uint8_t *b,
		 const struct cp_leaf **la, const struct cp_leaf **lb)
{
	uint64_t nh[2];
	if (family == 4) {
		uint32_t ip[2] = {be32(a), be32(b)};
		nh[0] = nh[1] = p->root4;
		if (p->fib4 != NULL)
			rte_fib_lookup_bulk(p->fib4, ip, nh, 2);
	} else {
		uint8_t ip[2][16];
		memcpy(ip[0], a, 16);
		memcpy(ip[1], b, 16);
		nh[0] = nh[1] = p->root6;
		if (p->fib6 != NULL)
			rte_fib6_lookup_bulk(p->fib6, ip, nh, 2);
	}
	*la = &p->space.leaves[nh[0] < p->space.n_leaves ? nh[0] : 0];
	*lb = &p->space.leaves[nh[1] < p->space.n_leaves ? nh[1] : 0];
}
