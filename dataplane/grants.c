/* The grant list and its per-view slot table (see grants.h). Control path only. */
#include "grants.h"

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

int cp_grant_slots_build(const struct cp_grants *gs, const struct cp_rt_policy *pol,
			 struct cp_grant_slots *out)
{
	uint32_t n6 = 0, n4 = pol != NULL ? pol->n_hosts4 : 0;
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < gs->n; i++)
		n6 += gs->g[i].pfx.family == 6;
	out->deadline = calloc((size_t)n4 + n6 + 1, sizeof(uint64_t));
	out->pfx6 = calloc((size_t)n6 + 1, sizeof(struct cp_prefix));
	if (out->deadline == NULL || out->pfx6 == NULL) {
		cp_grant_slots_free(out);
		return -1;
	}
	out->n4 = n4;
	for (unsigned i = 0; i < gs->n; i++) {
		const struct cp_grant *g = &gs->g[i];
		if (g->pfx.family == 4) {
			if (pol != NULL)
				fill4(g, pol, out->deadline);
		} else {
			out->pfx6[out->n6] = g->pfx;
			out->deadline[n4 + out->n6] = cp_grant_deadline(g);
			out->n6++;
		}
	}
	return 0;
}

void cp_grant_slots_free(struct cp_grant_slots *s)
{
	free(s->deadline);
	free(s->pfx6);
	memset(s, 0, sizeof(*s));
}
