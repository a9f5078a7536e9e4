/* libFuzzer harness: the policy loader, text to compiled policy (common/policy_load.c and what it
 * uses): cp_policy_load_text, then on a loaded policy the address classes (cp_space_build), the
 * Hyperscan match ids and, when the policy has few patterns, the Hyperscan databases. Everything
 * is freed: a leak is a finding. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hs_patterns.h"
#include "policy.h"
#include "policy_compile.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define MAX_COMPILE_PATTERNS 16 /* Hyperscan compiles take long on big lists */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned n_patterns(const struct cp_policy_src *p)
{
	unsigned n = 0;

	for (unsigned c = 0; c < p->n_categories; c++)
		for (int f = 0; f < CP_FIELD_MAX; f++)
			n += p->categories[c].n_pat[f];
	return n;
}

static void compiled(const struct cp_policy_src *p)
{
	struct cp_space s;
	struct cp_hs_dbs ids, dbs;
	struct cp_diag d;

	memset(&s, 0, sizeof(s));
	CHECK(cp_space_build(p, &s) == 0);
	CHECK(s.n_cls >= 2 && s.n_leaves >= 1);
	for (unsigned i = 0; i < s.n_cls; i++)
		CHECK(s.cls[i].leaf < s.n_leaves);
	cp_space_free(&s);

	memset(&ids, 0, sizeof(ids));
	CHECK(cp_hs_ids(p, &ids) == 0);
	cp_hs_free(&ids);

	if (n_patterns(p) <= MAX_COMPILE_PATTERNS) {
		cp_diag_init(&d);
		memset(&dbs, 0, sizeof(dbs));
		/* The loader validated every entry: the compile must succeed. */
		CHECK(cp_hs_compile(p, &dbs, &d) == 0);
		cp_hs_free(&dbs);
		cp_diag_free(&d);
	}
	for (unsigned r = 0; r < p->n_rules; r++)
		CHECK(cp_rule_find(p, p->rules[r].name) >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_diag d;
	struct cp_policy_src *p;

	cp_diag_init(&d);
	p = cp_policy_load_text("fuzz.conf", (const char *)data, size, &d);
	if (p != NULL) {
		CHECK(d.errors == 0);
		compiled(p);
		cp_policy_free(p);
	} else {
		CHECK(d.errors > 0);
	}
	cp_diag_free(&d);
	return 0;
}
