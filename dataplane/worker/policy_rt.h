/* The policy the workers run: one immutable object, built off the hot path from a loaded policy
 * and swapped in with RCU. Address classes live in rte_fib/rte_fib6 (leaf = index of the two rule
 * bitmaps). A small inside IPv4 space is also laid out for direct indexing (host -> grant slot);
 * a larger one, and IPv6, get their grants as address intervals (grants.h). */
#ifndef CP_POLICY_RT_H
#define CP_POLICY_RT_H

#include <stdbool.h>
#include <stdint.h>

#include "payload_rt.h"
#include "policy.h"
#include "policy_compile.h"
#include "rule_match.h"

struct rte_fib;
struct rte_fib6;

struct cp_rt_rule {
	const struct cp_rule *src; /* name, ports, categories */
	int16_t proto;		   /* CP_PROTO_ANY or a number */
	uint8_t action;		   /* enum cp_action */
	uint8_t grant;
	uint8_t has_category;
	uint8_t has_ports;
};

struct cp_inside4 {
	uint32_t net, mask; /* host order */
	uint32_t base;	    /* first host slot */
};

/* The largest inside IPv4 space whose grants are a direct table (one deadline per host, 32 MiB
 * at most per view); a larger one gets the interval layout. */
#define CP_DIRECT_MAX_HOSTS4 (1u << 22)

struct cp_rt_policy {
	uint32_t gen;
	struct cp_policy_src *src; /* owned */
	uint64_t flow_timeout_ns;
	unsigned n_rules;
	struct cp_rt_rule *rules;
	struct cp_space space;
	struct cp_rule_match rm; /* per-field candidate bitmaps */
	struct rte_fib *fib4;
	struct rte_fib6 *fib6;
	uint32_t root4, root6; /* leaves of the two roots (used when a family has no table) */
	/* The inside prefixes, none within another, by address: IPv4 with their direct slots, and
	 * IPv6. */
	struct cp_inside4 *in4;
	unsigned n_in4;
	struct cp_prefix *in6;
	unsigned n_in6;
	uint64_t n_hosts4; /* inside IPv4 hosts */
	bool direct4;	   /* n_hosts4 <= CP_DIRECT_MAX_HOSTS4: in4's bases and cp_rt_host4 hold */
	unsigned n_workers;
	uint64_t *rule_ctr; /* [worker][rule][0 packets, 1 bytes], each worker writes its own */
	struct cp_payload_rt *pl; /* categories; NULL when the policy has none (owned) */
	unsigned refs;		  /* views referring to it (control side only) */
};

/* Build; takes ownership of src when it succeeds. Returns NULL with a message in err. */
struct cp_rt_policy *cp_rt_policy_build(struct cp_policy_src *src, uint32_t gen, unsigned n_workers,
					char *err, size_t errlen);
void cp_rt_policy_free(struct cp_rt_policy *p);

/* Free bytes in the DPDK heaps, all sockets (what a refused policy is told it had). */
uint64_t cp_dpdk_free_bytes(void);

/* Leaf of an address (family 4 or 6). */
const struct cp_leaf *cp_rt_leaf(const struct cp_rt_policy *p, uint8_t family, const uint8_t *a);
/* Leaves of two addresses of one family, in one table lookup. */
void cp_rt_leaf2(const struct cp_rt_policy *p, uint8_t family, const uint8_t *a, const uint8_t *b,
		 const struct cp_leaf **la, const struct cp_leaf **lb);

/* Direct slot of an inside IPv4 host, or -1 when the address is not inside (direct4 only). */
static inline int64_t cp_rt_host4(const struct cp_rt_policy *p, const uint8_t *a)
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	for (unsigned i = 0; i < p->n_in4; i++)
		if ((x & p->in4[i].mask) == p->in4[i].net)
			return (int64_t)p->in4[i].base + (x - p->in4[i].net);
	return -1;
}

/* Words of one worker's rule counters, rounded up to whole cache lines: two workers never write
 * the same line. */
static inline size_t cp_rt_rule_ctr_stride(unsigned n_rules)
{
	return ((size_t)n_rules * 2 + 7) & ~(size_t)7;
}

static inline uint64_t *cp_rt_rule_ctr(const struct cp_rt_policy *p, unsigned worker)
{
	return p->rule_ctr + (size_t)worker * cp_rt_rule_ctr_stride(p->n_rules);
}

#endif
