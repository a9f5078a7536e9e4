/* Grants (SPEC §5): the control-side list, and the per-view slot table the workers read.
 * A grant is live at t while t < end and, with renew_every, t < last renewal + renew_every
 * (docs/semantics.md). The control side is single-threaded (the main lcore). */
#ifndef CP_GRANTS_H
#define CP_GRANTS_H

#include <stdbool.h>
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

/* What the workers read: a deadline per slot (0 = never granted; live while now < deadline).
 * Slots 0..n4-1 are the policy's inside IPv4 hosts, then one per IPv6 grant prefix. */
struct cp_grant_slots {
	uint32_t n4, n6;
	uint64_t *deadline;
	struct cp_prefix *pfx6;
};

#define CP_NO_SLOT UINT32_MAX

/* Lay the grants out over pol's inside space. Returns 0 or -1 (out of memory). */
int cp_grant_slots_build(const struct cp_grants *gs, const struct cp_rt_policy *pol,
			 struct cp_grant_slots *out);
void cp_grant_slots_free(struct cp_grant_slots *s);

#endif
