/* Address expressions compiled into address classes. Every prefix the policy names (inside, sets,
 * rule literals) is collected; an address's class is its longest match among them (or the
 * family's root). All addresses of a class match exactly the same from/to expressions, so each
 * class carries two bitmaps over the rules: which rules' `from`, and which rules' `to`, it
 * matches. Equal classes share one leaf. The dataplane loads the classes into rte_fib/rte_fib6 and
 * ANDs the two bitmaps of a new flow; `check` uses them for exact shadowing analysis. */
#ifndef CP_POLICY_COMPILE_H
#define CP_POLICY_COMPILE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct cp_leaf {
	bool inside;
	const uint64_t *from; /* nwords words; bit r: rule r's from matches */
	const uint64_t *to;
};

struct cp_addr_class {
	struct cp_prefix pfx;
	uint32_t leaf;
};

struct cp_space {
	unsigned nwords;
	struct cp_addr_class *cls; /* IPv4 and IPv6 classes, the two roots included */
	unsigned n_cls;
	struct cp_leaf *leaves;
	unsigned n_leaves;
	uint64_t *bits;
};

/* Returns 0, or -1 when memory ran out. */
int cp_space_build(const struct cp_policy_src *p, struct cp_space *s);
void cp_space_free(struct cp_space *s);

/* Leaf of an address, by walking the classes (slow path for tests and tools; the dataplane uses
 * its FIB). */
uint32_t cp_space_lookup(const struct cp_space *s, uint8_t family, const uint8_t *addr);

/* Warn (FILE:LINE) about every rule that can never decide because an earlier rule without
 * category or grant conditions matches everything it matches. */
void cp_policy_shadow_check(const struct cp_policy_src *p, struct cp_diag *d);

static inline bool cp_bit(const uint64_t *w, unsigned i)
{
	return (w[i >> 6] >> (i & 63)) & 1u;
}

#endif
