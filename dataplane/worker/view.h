/* What a worker reads at the start of every burst: the policy, the grants laid out over its inside
 * space, shutoff and the active uplink. Immutable; every control change publishes a new view and
 * the old one is freed once every worker has been quiescent (rte_rcu_qsbr). */
#ifndef CP_VIEW_H
#define CP_VIEW_H

#include <stdint.h>

#include "grants.h"
#include "policy_rt.h"

#define CP_NO_PORT 0xff

struct cp_view {
	const struct cp_rt_policy *pol; /* NULL: no policy yet (drop, reason no-policy) */
	uint32_t gen;			/* policy generation; 0 without a policy */
	uint32_t epoch;			/* grant epoch (see grants.h) */
	uint8_t shutoff;
	uint8_t uplink; /* port index of the active uplink, CP_NO_PORT when none is up */
	struct cp_grant_slots gr;
};

/* The grant slot that covers the initiator address a, or CP_NO_SLOT (grants.h: the layouts). */
static inline uint32_t cp_view_grant_slot(const struct cp_view *v, uint8_t family, const uint8_t *a)
{
	if (family != 4)
		return cp_grant_slot6(&v->gr, a);
	if (v->gr.n4 == 0) /* the interval layout (or no inside IPv4 host at all) */
		return cp_grant_slot4(&v->gr, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
						  (uint32_t)a[2] << 8 | a[3]);
	int64_t h = cp_rt_host4(v->pol, a);
	return h < 0 || (uint64_t)h >= v->gr.n4 ? CP_NO_SLOT : (uint32_t)h;
}

#endif
