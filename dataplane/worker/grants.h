/* Grants (SPEC §5): the control-side list, and the per-view slot table the workers read.
 * A grant is live at t while t < end and, with renew_every, t < last renewal + renew_every
 * (docs/semantics.md). The control side is single-threaded (the main lcore). */
#ifndef CP_GRANTS_H
#define CP_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct cp_rt_policy;

struct cp_grant {
	struct cp_prefix pfx;
	uint64_t end_ns;     /* given + for */
	uint64_t renew_ns;   /* 0: no renewal needed */
	uint64_t last_ns;    /* given or last renewed */
	uint64_t revoked_ns; /* when revoked */
	bool revoked;
};

#define CP_MAX_GRANTS 65536

struct cp_grants {
	struct cp_grant *g;
	unsigned n, cap;
	uint32_t epoch; /* bumped by every give and revoke: flows are evaluated again */
};

/* The instant a grant stops being live (it may lie in the past). */
static inline uint64_t cp_grant_deadline(const struct cp_grant *g)
{
	uint64_t d = g->end_ns;
	if (g->renew_ns != 0 && g->last_ns < d && g->renew_ns < d - g->last_ns)
		d = g->last_ns + g->renew_ns; /* written so that it cannot overflow */
	if (g->revoked && g->revoked_ns < d)
		d = g->revoked_ns;
	return d;
}

void cp_grants_init(struct cp_grants *gs);
void cp_grants_free(struct cp_grants *gs);
/* Give (or replace) the grant on exactly pfx. Returns 0, or -1 when the table is full. */
int cp_grants_give(struct cp_grants *gs, const struct cp_prefix *pfx, uint64_t now, uint64_t for_ns,
		   uint64_t renew_ns);
/* Renew every live grant within pfx; returns how many. */
unsigned cp_grants_renew(struct cp_grants *gs, const struct cp_prefix *pfx, uint64_t now);
/* Revoke every live grant within pfx; returns how many. */
unsigned cp_grants_revoke(struct cp_grants *gs, const struct cp_prefix *pfx, uint64_t now);
unsigned cp_grants_active(const struct cp_grants *gs, uint64_t now);

/* What the workers read: a deadline per slot (0 = never granted; live while now < deadline), in
 * one of two layouts (docs/design.md):
 *  - direct, where the policy's inside IPv4 space is small (cp_rt_policy.direct4): slots
 *    0..n4-1 are the inside IPv4 hosts (cp_rt_host4), one index per lookup;
 *  - intervals, for a larger inside IPv4 space and for IPv6: sorted disjoint address intervals,
 *    each covered by the same grants (the intersections of the grants with the inside), found by
 *    binary search; an interval's deadline is the latest among the grants covering it. IPv4
 *    interval i is slot n4 + i (n4 = 0 then), IPv6 interval i slot n4 + n_iv4 + i.
 * The layout depends on the inside and on the grants' prefixes only, never on their times: a
 * renew publishes a new view without bumping the epoch, and every slot a flow holds must keep its
 * meaning. Addresses no grant covers have no slot (CP_NO_SLOT). */
typedef unsigned __int128 cp_u128;

struct cp_grant_slots {
	uint32_t n4;	       /* direct IPv4 slots */
	uint32_t n_iv4, n_iv6; /* intervals */
	uint32_t *lo4, *hi4;   /* IPv4 intervals, inclusive, host order, sorted */
	cp_u128 *lo6, *hi6;    /* IPv6 intervals, likewise */
	uint64_t *deadline;    /* n4 + n_iv4 + n_iv6 */
};

#define CP_NO_SLOT UINT32_MAX

/* Lay the grants out over pol's inside space (pol NULL: no slot at all). Returns 0, or -1 with
 * one line in err saying how much memory the layout needed. */
int cp_grant_slots_build(const struct cp_grants *gs, const struct cp_rt_policy *pol,
			 struct cp_grant_slots *out, char *err, size_t errlen);
void cp_grant_slots_free(struct cp_grant_slots *s);

/* cp_iv4_rank/cp_iv6_rank: how many of the n sorted keys are at or below x, i.e. the index after
 * the last one; branch-free halving, the same number of steps for every x. */
#define CP_IV_RANK(name, T)                                                                        \
	static inline uint32_t name(const T *lo, uint32_t n, T x)                                  \
	{                                                                                          \
		const T *base = lo;                                                                \
		while (n > 1) {                                                                    \
			uint32_t half = n / 2;                                                     \
			base = base[half] <= x ? base + half : base;                               \
			n -= half;                                                                 \
		}                                                                                  \
		return (uint32_t)(base - lo) + (n == 1 && *base <= x);                             \
	}
CP_IV_RANK(cp_iv4_rank, uint32_t)
CP_IV_RANK(cp_iv6_rank, cp_u128)
#undef CP_IV_RANK

/* The IPv4 interval slot of host-order address x, or CP_NO_SLOT. */
static inline uint32_t cp_grant_slot4(const struct cp_grant_slots *s, uint32_t x)
{
	uint32_t r = cp_iv4_rank(s->lo4, s->n_iv4, x);
	return r > 0 && x <= s->hi4[r - 1] ? s->n4 + r - 1 : CP_NO_SLOT;
}

/* The IPv6 interval slot of address a (16 bytes, network order), or CP_NO_SLOT. */
static inline uint32_t cp_grant_slot6(const struct cp_grant_slots *s, const uint8_t *a)
{
	cp_u128 x = 0;
	for (unsigned i = 0; i < 16; i++)
		x = x << 8 | a[i];
	uint32_t r = cp_iv6_rank(s->lo6, s->n_iv6, x);
	return r > 0 && x <= s->hi6[r - 1] ? s->n4 + s->n_iv4 + r - 1 : CP_NO_SLOT;
}

#endif
