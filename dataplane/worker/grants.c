/* The grant list and its per-view slot layouts (see grants.h). Control path only. */
#include "grants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_rt.h"

void cp_grants_init(struct cp_grants *gs)
{
	memset(gs, 0, sizeof(*gs));
}

void cp_grants_free(struct cp_grants *gs)
{
	free(gs->g);
	memset(gs, 0, sizeof(*gs));
}

static bool same_prefix(const struct cp_prefix *a, const struct cp_prefix *b)
{
	return a->family == b->family && a->len == b->len && memcmp(a->a, b->a, 16) == 0;
}

/* Slot for a new grant: a free one, else the one that ended longest ago. */
static struct cp_grant *slot_for(struct cp_grants *gs, uint64_t now)
{
	if (gs->n < gs->cap)
		return &gs->g[gs->n++];
	if (gs->cap < CP_MAX_GRANTS) {
		unsigned cap = gs->cap ? gs->cap * 2 : 64;
		struct cp_grant *g = realloc(gs->g, cap * sizeof(*g));
		if (g == NULL)
			return NULL;
		gs->g = g;
		gs->cap = cap;
		return &gs->g[gs->n++];
	}
	struct cp_grant *oldest = NULL;
	for (unsigned i = 0; i < gs->n; i++) {
		uint64_t d = cp_grant_deadline(&gs->g[i]);
		if (d <= now && (oldest == NULL || d < cp_grant_deadline(oldest)))
			oldest = &gs->g[i];
	}
	return oldest;
}

int cp_grants_give(struct cp_grants *gs, const struct cp_prefix *pfx, uint64_t now, uint64_t for_ns,
		   uint64_t renew_ns)
{
	struct cp_grant *g = NULL;
	for (unsigned i = 0; i < gs->n && g == NULL; i++)
		if (same_prefix(&gs->g[i].pfx, pfx))
			g = &gs->g[i];
	if (g == NULL)
		g = slot_for(gs, now);
	if (g == NULL)
		return -1;
	g->pfx = *pfx;
	g->end_ns = for_ns > UINT64_MAX - now ? UINT64_MAX : now + for_ns;
	g->renew_ns = renew_ns;
	g->last_ns = now;
	g->revoked_ns = 0;
	g->revoked = false;
	gs->epoch++;
	return 0;
}

unsigned cp_grants_renew(struct cp_grants *gs, const struct cp_prefix *pfx, uint64_t now)
{
	unsigned n = 0;
	for (unsigned i = 0; i < gs->n; i++) {
		struct cp_grant *g = &gs->g[i];
		if (cp_prefix_contains(pfx, &g->pfx) && now < cp_grant_deadline(g)) {
			g->last_ns = now;
			n++;
		}
	}
	return n;
}

unsigned cp_grants_revoke(struct cp_grants *gs, const struct cp_prefix *pfx, uint64_t now)
{
	unsigned n = 0;
	for (unsigned i = 0; i < gs->n; i++) {
		struct cp_grant *g = &gs->g[i];
		if (cp_prefix_contains(pfx, &g->pfx) && now < cp_grant_deadline(g)) {
			g->revoked_ns = now;
			g->revoked = true;
			n++;
		}
	}
	if (n > 0)
		gs->epoch++;
	return n;
}

unsigned cp_grants_active(const struct cp_grants *gs, uint64_t now)
{
	unsigned n = 0;
	for (unsigned i = 0; i < gs->n; i++)
		n += now < cp_grant_deadline(&gs->g[i]);
	return n;
}

static void fill4(const struct cp_grant *g, const struct cp_rt_policy *pol, uint64_t *deadline)
{
	uint64_t d = cp_grant_deadline(g);
	uint32_t gnet = (uint32_t)g->pfx.a[0] << 24 | (uint32_t)g->pfx.a[1] << 16 |
			(uint32_t)g->pfx.a[2] << 8 | g->pfx.a[3];
	uint32_t gmask = g->pfx.len == 0 ? 0 : ~0u << (32 - g->pfx.len);
	for (unsigned i = 0; i < pol->n_in4; i++) {
		const struct cp_inside4 *in = &pol->in4[i];
		/* The intersection of two prefixes is the longer one, when they overlap. */
		uint32_t mask =
		    gmask > in->mask ? gmask : in->mask; /* longer prefix: larger mask */
		uint32_t net = gmask > in->mask ? gnet : in->net;
		if ((net & in->mask) != in->net || (net & gmask) != gnet)
			continue;
		uint64_t count = (uint64_t)(~mask) + 1;
		uint32_t first = in->base + (net - in->net);
		for (uint64_t k = 0; k < count; k++)
			if (deadline[first + k] < d)
				deadline[first + k] = d;
	}
}

/* ---- the interval layout ---- */

/* An address range, inclusive; IPv4 in the low 32 bits. */
struct range {
	cp_u128 lo, hi;
};

/* A grant intersected with one inside prefix. Any two pieces are nested or disjoint (both are
 * prefixes), which is what sweep() relies on. */
struct piece {
	struct range r;
	uint64_t deadline;
};

struct pieces {
	struct piece *p;
	size_t n, cap;
};

/* Intervals as the sweep makes them, each array sized for the worst case (2n - 1 for n pieces). */
struct layout {
	cp_u128 *lo, *hi;
	uint64_t *deadline;
	size_t n;
};

#define U128_MAX (~(cp_u128)0)

static struct range prefix_range(const struct cp_prefix *p)
{
	unsigned bits = p->family == 4 ? 32 : 128;
	cp_u128 x = 0;
	for (unsigned i = 0; i < bits / 8; i++)
		x = x << 8 | p->a[i];
	cp_u128 host = bits - p->len >= 128 ? U128_MAX : ((cp_u128)1 << (bits - p->len)) - 1;
	return (struct range){x & ~host, x | host};
}

/* The inside prefixes of family fam as ranges, sorted and disjoint (as the policy keeps them). */
static struct range *inside_ranges(const struct cp_rt_policy *pol, unsigned fam, unsigned *n)
{
	*n = fam == 4 ? pol->n_in4 : pol->n_in6;
	struct range *r = malloc((*n + 1) * sizeof(*r));
	for (unsigned i = 0; r != NULL && i < *n; i++)
		r[i] = fam == 4
			   ? (struct range){pol->in4[i].net, pol->in4[i].net | ~pol->in4[i].mask}
			   : prefix_range(&pol->in6[i]);
	return r;
}

static int pieces_add(struct pieces *ps, cp_u128 lo, cp_u128 hi, uint64_t deadline)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		struct piece *p = realloc(ps->p, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		ps->p = p;
		ps->cap = cap;
	}
	ps->p[ps->n++] = (struct piece){{lo, hi}, deadline};
	return 0;
}

/* Every grant of family fam intersected with each of the n sorted inside ranges it meets. */
static int pieces_make(const struct cp_grants *gs, unsigned fam, const struct range *in, unsigned n,
		       struct pieces *ps)
{
	for (unsigned i = 0; i < gs->n; i++) {
		const struct cp_grant *g = &gs->g[i];
		if (g->pfx.family != fam)
			continue;
		struct range gr = prefix_range(&g->pfx);
		unsigned lo = 0, hi = n; /* the first inside range that ends at or after gr.lo */
		while (lo < hi) {
			unsigned mid = lo + (hi - lo) / 2;
			if (in[mid].hi < gr.lo)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (unsigned k = lo; k < n && in[k].lo <= gr.hi; k++)
			if (pieces_add(ps, in[k].lo > gr.lo ? in[k].lo : gr.lo,
				       in[k].hi < gr.hi ? in[k].hi : gr.hi,
				       cp_grant_deadline(g)) != 0)
				return -1;
	}
	return 0;
}

/* By start, and the larger first where two start together: a piece before those within it. */
static int cmp_piece(const void *a, const void *b)
{
	const struct range *x = &((const struct piece *)a)->r, *y = &((const struct piece *)b)->r;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi < y->hi) - (x->hi > y->hi);
}

static void emit(struct layout *l, cp_u128 lo, cp_u128 hi, uint64_t deadline)
{
	l->lo[l->n] = lo;
	l->hi[l->n] = hi;
	l->deadline[l->n] = deadline;
	l->n++;
}

/* Sorted pieces to disjoint intervals: one wherever the set of pieces covering an address
 * changes, with the latest deadline of that set. The pieces covering the sweep position are
 * nested, so they form a stack (outermost first) that also carries the running maximum; n pieces
 * give at most 2n - 1 intervals. Adjacent intervals are never merged, even with equal deadlines:
 * where the boundaries lie must not depend on times (grants.h). */
static void sweep(const struct piece *p, size_t n, struct piece *stack, struct layout *l)
{
	cp_u128 pos = 0;   /* the first address not yet laid out */
	bool done = false; /* the top of the address space was laid out: pos wrapped */
	size_t top = 0;
	for (size_t i = 0; i <= n; i++) {
		/* Close the pieces that end before the next one starts (all of them at the end). */
		while (top > 0 && (i == n || stack[top - 1].r.hi < p[i].r.lo)) {
			const struct piece *t = &stack[--top];
			if (!done && pos <= t->r.hi) {
				emit(l, pos, t->r.hi, t->deadline);
				done = t->r.hi == U128_MAX;
				pos = t->r.hi + 1;
			}
		}
		if (i == n)
			break;
		if (top > 0 && pos < p[i].r.lo) /* the enclosing piece, up to this one */
			emit(l, pos, p[i].r.lo - 1, stack[top - 1].deadline);
		pos = p[i].r.lo;
		stack[top] = p[i];
		if (top > 0 && stack[top - 1].deadline > stack[top].deadline)
			stack[top].deadline = stack[top - 1].deadline;
		top++;
	}
}

static void layout_free(struct layout *l)
{
	free(l->lo);
	free(l->hi);
	free(l->deadline);
	memset(l, 0, sizeof(*l));
}

/* The intervals of family fam's grants over pol's inside; *bytes grows by what that takes. */
static int layout_family(const struct cp_grants *gs, const struct cp_rt_policy *pol, unsigned fam,
			 struct layout *l, uint64_t *bytes)
{
	struct pieces ps = {0};
	struct piece *stack = NULL;
	unsigned n_in;
	struct range *in = inside_ranges(pol, fam, &n_in);
	int rc = in != NULL ? pieces_make(gs, fam, in, n_in, &ps) : -1;
	size_t cap = 2 * ps.n + 1;
	*bytes += (n_in + 1) * sizeof(*in) + (ps.cap + ps.n + 1) * sizeof(struct piece) +
		  cap * (2 * sizeof(cp_u128) + sizeof(uint64_t));
	if (rc == 0) {
		stack = malloc((ps.n + 1) * sizeof(*stack));
		l->lo = malloc(cap * sizeof(cp_u128));
		l->hi = malloc(cap * sizeof(cp_u128));
		l->deadline = malloc(cap * sizeof(uint64_t));
		rc =
		    stack == NULL || l->lo == NULL || l->hi == NULL || l->deadline == NULL ? -1 : 0;
	}
	if (rc == 0) {
		if (ps.n > 1) /* none: ps.p may be NULL */
			qsort(ps.p, ps.n, sizeof(*ps.p), cmp_piece);
		sweep(ps.p, ps.n, stack, l);
	} else {
		layout_free(l);
	}
	free(in);
	free(ps.p);
	free(stack);
	return rc;
}

/* The worker-side arrays for n4 direct slots and the two families' intervals. */
static int slots_alloc(struct cp_grant_slots *s, uint32_t n4, const struct layout *l4,
		       const struct layout *l6, uint64_t *bytes)
{
	size_t n = (size_t)n4 + l4->n + l6->n;
	*bytes += (n + 1) * sizeof(uint64_t) + (l4->n + 1) * 2 * sizeof(uint32_t) +
		  (l6->n + 1) * 2 * sizeof(cp_u128);
	if (n >= CP_NO_SLOT)
		return -1;
	s->deadline = calloc(n + 1, sizeof(uint64_t));
	s->lo4 = calloc(l4->n + 1, sizeof(uint32_t));
	s->hi4 = calloc(l4->n + 1, sizeof(uint32_t));
	s->lo6 = calloc(l6->n + 1, sizeof(cp_u128));
	s->hi6 = calloc(l6->n + 1, sizeof(cp_u128));
	if (s->deadline == NULL || s->lo4 == NULL || s->hi4 == NULL || s->lo6 == NULL ||
	    s->hi6 == NULL)
		return -1;
	s->n4 = n4;
	s->n_iv4 = (uint32_t)l4->n;
	s->n_iv6 = (uint32_t)l6->n;
	return 0;
}

/* Copy the intervals in: IPv4 ones after the direct slots, IPv6 ones after those. */
static void slots_fill_intervals(struct cp_grant_slots *s, const struct layout *l4,
				 const struct layout *l6)
{
	uint64_t *d4 = s->deadline + s->n4, *d6 = d4 + s->n_iv4;
	for (size_t i = 0; i < l4->n; i++) {
		s->lo4[i] = (uint32_t)l4->lo[i];
		s->hi4[i] = (uint32_t)l4->hi[i];
		d4[i] = l4->deadline[i];
	}
	for (size_t i = 0; i < l6->n; i++) {
		s->lo6[i] = l6->lo[i];
		s->hi6[i] = l6->hi[i];
		d6[i] = l6->deadline[i];
	}
}

int cp_grant_slots_build(const struct cp_grants *gs, const struct cp_rt_policy *pol,
			 struct cp_grant_slots *out, char *err, size_t errlen)
{
	struct layout l4 = {0}, l6 = {0};
	uint64_t bytes = 0;
	uint32_t n4 = pol != NULL && pol->direct4 ? (uint32_t)pol->n_hosts4 : 0;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (pol != NULL && !pol->direct4)
		rc = layout_family(gs, pol, 4, &l4, &bytes);
	if (pol != NULL && rc == 0)
		rc = layout_family(gs, pol, 6, &l6, &bytes);
	if (rc == 0)
		rc = slots_alloc(out, n4, &l4, &l6, &bytes);
	if (rc == 0) {
		slots_fill_intervals(out, &l4, &l6);
		for (unsigned i = 0; n4 > 0 && i < gs->n; i++)
			if (gs->g[i].pfx.family == 4)
				fill4(&gs->g[i], pol, out->deadline);
	} else {
		cp_grant_slots_free(out);
		snprintf(err, errlen, "out of memory: laying out %u grants takes %.1f MiB", gs->n,
			 (double)bytes / (1024.0 * 1024.0));
	}
	layout_free(&l4);
	layout_free(&l6);
	return rc;
}

void cp_grant_slots_free(struct cp_grant_slots *s)
{
	free(s->deadline);
	free(s->lo4);
	free(s->hi4);
	free(s->lo6);
	free(s->hi6);
	memset(s, 0, sizeof(*s));
}
