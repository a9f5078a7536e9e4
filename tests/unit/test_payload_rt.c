/* Unit tests of dataplane/payload_rt: each rule's categories as a mask, the remap of categories by
 * name from the policy being replaced, the per-worker state (scratch, stream slab, category
 * counters), taking and giving back streams, and the refusal of a payload database that cannot
 * stream. Needs the DPDK EAL (the per-worker array is DPDK memory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eal_test.h"

#include "payload_rt.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int eal_setup(void **state)
{
	(void)state;
	return cp_test_eal_init("payload-rt", "64");
}

/* ---- helpers ---- */

static struct cp_policy_src *load(const char *text)
{
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *p = cp_policy_load_text("t.conf", text, strlen(text), &d);
	for (unsigned i = 0; p == NULL && i < d.n; i++)
		print_message("  load: %s\n", d.lines[i]);
	cp_diag_free(&d);
	assert_non_null(p);
	return p;
}

/* A policy whose categories are named names[0..n) (each with one payload literal, or one sni entry
 * when names_only), every one used by a rule of its own. */
static struct cp_policy_src *load_cats(const char *const *names, unsigned n, int names_only)
{
	char text[4096];
	size_t k = 0;
	k += (size_t)snprintf(text + k, sizeof(text) - k,
			      "version = 1;\ninside = [ \"192.0.2.0/24\" ];\ncategories = (\n");
	for (unsigned i = 0; i < n; i++)
		k += (size_t)snprintf(
		    text + k, sizeof(text) - k, "  { name = \"%s\"; %s = [ \"%s.example\" ]; }%s\n",
		    names[i], names_only ? "sni" : "payload", names[i], i + 1 < n ? "," : "");
	k += (size_t)snprintf(text + k, sizeof(text) - k, ");\nrules = (\n");
	for (unsigned i = 0; i < n; i++)
		k += (size_t)snprintf(text + k, sizeof(text) - k,
				      "  { action = \"drop\"; category = \"%s\"; },\n", names[i]);
	k += (size_t)snprintf(text + k, sizeof(text) - k, "  { action = \"pass\"; }\n);\n");
	assert_true(k < sizeof(text));
	return load(text);
}

static struct cp_payload_rt *build(const struct cp_policy_src *src,
				   const struct cp_policy_src *prev, uint32_t prev_gen,
				   unsigned n_workers, uint32_t n_streams)
{
	struct cp_diag d;
	struct cp_hs_dbs dbs;
	char err[256] = "";
	cp_diag_init(&d);
	assert_int_equal(cp_hs_compile(src, &dbs, &d), 0);
	cp_diag_free(&d);
	struct cp_payload_rt *pl =
	    cp_payload_rt_build(src, &dbs, prev, prev_gen, n_workers, n_streams, err, sizeof(err));
	if (pl == NULL)
		fail_msg("build: %s", err);
	/* dbs is taken over */
	for (int f = 0; f < CP_FIELD_MAX; f++) {
		assert_null(dbs.db[f]);
		assert_null(dbs.id_category[f]);
	}
	return pl;
}

/* ---- rule_cats ---- */

static void test_rule_cats(void **state)
{
	(void)state;
	static const char text[] =
	    "version = 1;\ninside = [ \"192.0.2.0/24\" ];\n"
	    "categories = (\n"
	    "  { name = \"a\"; payload = [ \"aaa\" ]; },\n"
	    "  { name = \"b\"; sni = [ \"b.example\" ]; },\n"
	    "  { name = \"c\"; host = [ \"c.example\" ]; dns = [ \"c.example\" ]; }\n"
	    ");\n"
	    "rules = (\n"
	    "  { name = \"r-a\"; action = \"drop\"; category = \"a\"; },\n"
	    "  { name = \"r-bc\"; action = \"drop\"; proto = \"tcp\"; category = [ \"b\", \"c\" ]; "
	    "},\n"
	    "  { name = \"r-none\"; action = \"pass\"; from = \"inside\"; },\n"
	    "  { name = \"r-ca\"; action = \"reject\"; proto = \"udp\"; category = [ \"c\", \"a\" "
	    "]; },\n"
	    "  { name = \"r-all\"; action = \"drop\"; proto = \"icmp\"; category = [ \"a\", \"b\", "
	    "\"c\" ]; },\n"
	    "  { name = \"deny\"; action = \"drop\"; }\n"
	    ");\n";
	static const struct {
		const char *rule;
		uint64_t mask;
	} cases[] = {
	    {"r-a", 0x1}, {"r-bc", 0x6}, {"r-none", 0}, {"r-ca", 0x5}, {"r-all", 0x7}, {"deny", 0},
	};
	struct cp_policy_src *src = load(text);
	struct cp_payload_rt *pl = build(src, NULL, 0, 1, 2);
	assert_int_equal(pl->n_cats, 3);
	assert_int_equal(src->n_rules, N_OF(cases));
	for (size_t i = 0; i < N_OF(cases); i++) {
		int r = cp_rule_find(src, cases[i].rule);
		assert_true(r >= 0);
		if (pl->rule_cats[r] != cases[i].mask)
			fail_msg("rule %s: mask %#llx, want %#llx", cases[i].rule,
				 (unsigned long long)pl->rule_cats[r],
				 (unsigned long long)cases[i].mask);
	}
	/* Every field with entries has its database, none other. */
	for (int f = 0; f < CP_FIELD_MAX; f++)
		assert_non_null(pl->dbs.db[f]);
	cp_payload_rt_free(pl);
	cp_policy_free(src);
}

/* ---- remap ---- */

#define MAXN 5

static void test_remap(void **state)
{
	(void)state;
	static const char *const prev_names[] = {"a", "b", "c"};
	static const struct {
		const char *what;
		const char *names[MAXN]; /* the new policy's categories */
		unsigned n;
		int no_prev;	  /* build without a previous policy */
		uint8_t remap[3]; /* a, b, c -> */
	} cases[] = {
	    {"same", {"a", "b", "c"}, 3, 0, {0, 1, 2}},
	    {"reordered", {"c", "a", "b"}, 3, 0, {1, 2, 0}},
	    {"renamed", {"a", "bb", "c"}, 3, 0, {0, CP_NO_CAT, 2}},
	    {"removed", {"c"}, 1, 0, {CP_NO_CAT, CP_NO_CAT, 0}},
	    {"added in front", {"x", "a", "b", "c"}, 4, 0, {1, 2, 3}},
	    {"a prefix is not the name", {"ab", "b", "c"}, 3, 0, {CP_NO_CAT, 1, 2}},
	    {"all new", {"x", "y"}, 2, 0, {CP_NO_CAT, CP_NO_CAT, CP_NO_CAT}},
	    {"no previous policy", {"a", "b", "c"}, 3, 1, {CP_NO_CAT, CP_NO_CAT, CP_NO_CAT}},
	};
	struct cp_policy_src *prev = load_cats(prev_names, 3, 0);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct cp_policy_src *src = load_cats(cases[i].names, cases[i].n, 0);
		struct cp_payload_rt *pl =
		    build(src, cases[i].no_prev ? NULL : prev, 41 + (uint32_t)i, 1, 1);
		assert_int_equal(pl->prev_gen, 41 + (uint32_t)i);
		assert_int_equal(pl->n_cats, cases[i].n);
		for (unsigned o = 0; o < CP_MAX_CATEGORIES; o++) {
			uint8_t want = o < 3 ? cases[i].remap[o] : CP_NO_CAT;
			if (pl->remap[o] != want)
				fail_msg("%s: remap[%u] = %u, want %u", cases[i].what, o,
					 pl->remap[o], want);
		}
		cp_payload_rt_free(pl);
		cp_policy_free(src);
	}
	cp_policy_free(prev);
}

/* ---- per-worker state ---- */

static void test_workers(void **state)
{
	(void)state;
	static const char *const names[] = {"a", "b", "c", "d"};
	static const struct {
		unsigned n_workers;
		uint32_t n_streams;
		int names_only;
	} cases[] = {
	    {1, 1, 0},
	    {3, 5, 0},
	    {2, 4, 1},
	    {4, 0, 1},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct cp_policy_src *src = load_cats(names, 4, cases[i].names_only);
		struct cp_payload_rt *pl =
		    build(src, NULL, 0, cases[i].n_workers, cases[i].n_streams);
		assert_int_equal(pl->n_workers, cases[i].n_workers);
		assert_int_equal(pl->n_streams, cases[i].n_streams);
		assert_int_equal(pl->n_cats, 4);
		if (cases[i].names_only) {
			assert_null(pl->dbs.db[CP_FIELD_PAYLOAD]);
			assert_non_null(pl->dbs.db[CP_FIELD_SNI]);
		} else {
			assert_non_null(pl->dbs.db[CP_FIELD_PAYLOAD]);
			assert_null(pl->dbs.db[CP_FIELD_SNI]);
		}
		for (unsigned w = 0; w < cases[i].n_workers; w++) {
			struct cp_pl_worker *pw = &pl->wk[w];
			assert_non_null(pw->scratch);
			assert_non_null(pw->cat_ctr);
			for (unsigned k = 0; k < pl->n_cats * 2; k++)
				assert_int_equal(pw->cat_ctr[k], 0);
			/* distinct per worker */
			for (unsigned v = 0; v < w; v++) {
				assert_ptr_not_equal(pl->wk[v].cat_ctr, pw->cat_ctr);
				assert_ptr_not_equal(pl->wk[v].scratch, pw->scratch);
			}
			if (cases[i].names_only) {
				/* no payload database: no streams, take always fails */
				assert_null(pw->streams);
				assert_null(pw->dgram);
				assert_int_equal(pw->n_free, 0);
				assert_int_equal(cp_pl_stream_take(pl, w), CP_NO_STREAM);
				assert_int_equal(cp_pl_stream_take(pl, w), CP_NO_STREAM);
				continue;
			}
			assert_non_null(pw->dgram);
			assert_int_equal(pw->n_free, cases[i].n_streams);
			for (uint32_t s = 0; s < cases[i].n_streams; s++)
				assert_non_null(pw->streams[s]);
		}
		cp_payload_rt_free(pl);
		cp_policy_free(src);
	}
}

/* A policy without categories: nothing to scan, still one (empty) state per worker. */
static void test_no_categories(void **state)
{
	(void)state;
	static const char text[] = "version = 1;\ninside = [ \"192.0.2.0/24\" ];\n"
				   "rules = ( { action = \"pass\"; } );\n";
	struct cp_policy_src *src = load(text);
	struct cp_payload_rt *pl = build(src, NULL, 0, 2, 8);
	assert_int_equal(pl->n_cats, 0);
	for (int f = 0; f < CP_FIELD_MAX; f++)
		assert_null(pl->dbs.db[f]);
	assert_int_equal(pl->rule_cats[0], 0);
	for (unsigned w = 0; w < 2; w++) {
		assert_non_null(pl->wk[w].cat_ctr);
		assert_int_equal(cp_pl_stream_take(pl, w), CP_NO_STREAM);
	}
	cp_payload_rt_free(pl);
	cp_policy_free(src);
}

/* ---- streams ---- */

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *arg)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(unsigned *)arg)++;
	return 0;
}

static unsigned scan(struct cp_payload_rt *pl, unsigned w, uint32_t s, const char *bytes)
{
	unsigned n = 0;
	assert_int_equal(hs_scan_stream(pl->wk[w].streams[s], bytes, (unsigned)strlen(bytes), 0,
					pl->wk[w].scratch, on_match, &n),
			 HS_SUCCESS);
	return n;
}

static void test_stream_take_give(void **state)
{
	(void)state;
	static const char *const names[] = {"kw"}; /* payload literal "kw.example" */
	enum { NS = 3 };
	struct cp_policy_src *src = load_cats(names, 1, 0);
	struct cp_payload_rt *pl = build(src, NULL, 0, 2, NS);
	uint32_t got[NS];

	/* Take every slot of worker 0: distinct, in range. */
	for (unsigned i = 0; i < NS; i++) {
		got[i] = cp_pl_stream_take(pl, 0);
		assert_true(got[i] < NS);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(got[i], got[j]);
		assert_int_equal(pl->wk[0].n_free, NS - 1 - i);
	}
	/* Exhausted: NO_STREAM, again and again, while worker 1 still has all of its own. */
	assert_int_equal(cp_pl_stream_take(pl, 0), CP_NO_STREAM);
	assert_int_equal(cp_pl_stream_take(pl, 0), CP_NO_STREAM);
	assert_int_equal(pl->wk[0].n_free, 0);
	assert_int_equal(pl->wk[1].n_free, NS);

	/* Giving back what is not a slot changes nothing. */
	static const uint32_t bogus[] = {CP_NO_STREAM, NS, NS + 1, UINT32_MAX - 1};
	for (size_t i = 0; i < N_OF(bogus); i++) {
		cp_pl_stream_give(pl, 0, bogus[i]);
		assert_int_equal(pl->wk[0].n_free, 0);
		assert_int_equal(cp_pl_stream_take(pl, 0), CP_NO_STREAM);
	}

	/* A stream given back mid-pattern comes back reset to the start of a stream. */
	assert_int_equal(scan(pl, 0, got[1], "kw.exa"), 0);
	cp_pl_stream_give(pl, 0, got[1]);
	assert_int_equal(pl->wk[0].n_free, 1);
	uint32_t again = cp_pl_stream_take(pl, 0);
	assert_int_equal(again, got[1]);
	assert_int_equal(scan(pl, 0, again, "mple"), 0);
	assert_int_equal(scan(pl, 0, again, "xkw.example"), 1);
	assert_int_equal(cp_pl_stream_take(pl, 0), CP_NO_STREAM);

	/* Everything back: all slots available again. */
	for (unsigned i = 0; i < NS; i++)
		cp_pl_stream_give(pl, 0, got[i]);
	assert_int_equal(pl->wk[0].n_free, NS);
	for (unsigned i = 0; i < NS; i++)
		assert_true(cp_pl_stream_take(pl, 0) < NS);
	assert_int_equal(cp_pl_stream_take(pl, 0), CP_NO_STREAM);
	cp_payload_rt_free(pl);
	cp_policy_free(src);
}

/* ---- failures ---- */

static void test_build_fails(void **state)
{
	(void)state;
	static const char *const names[] = {"a"};
	static const struct {
		const char *what;
		int payload_from; /* the field whose database is put in the payload slot */
		const char *error;
	} cases[] = {
	    {"a block-mode database in the payload slot", CP_FIELD_SNI,
	     "Hyperscan: cannot open a stream"},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct cp_policy_src *src = load_cats(names, 1, 1); /* sni only */
		struct cp_diag d;
		struct cp_hs_dbs dbs;
		char err[256] = "";
		cp_diag_init(&d);
		assert_int_equal(cp_hs_compile(src, &dbs, &d), 0);
		cp_diag_free(&d);
		int f = cases[i].payload_from;
		assert_null(dbs.db[CP_FIELD_PAYLOAD]);
		dbs.db[CP_FIELD_PAYLOAD] = dbs.db[f];
		dbs.db[f] = NULL;
		struct cp_payload_rt *pl =
		    cp_payload_rt_build(src, &dbs, NULL, 0, 2, 4, err, sizeof(err));
		assert_null(pl);
		print_message("%s: %s\n", cases[i].what, err);
		assert_non_null(strstr(err, cases[i].error));
		/* dbs was taken over (and freed) on failure too */
		for (int k = 0; k < CP_FIELD_MAX; k++) {
			assert_null(dbs.db[k]);
			assert_null(dbs.id_category[k]);
		}
		cp_policy_free(src);
	}
}

static void test_free_null(void **state)
{
	(void)state;
	cp_payload_rt_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_cats),	     cmocka_unit_test(test_remap),
	    cmocka_unit_test(test_workers),	     cmocka_unit_test(test_no_categories),
	    cmocka_unit_test(test_stream_take_give), cmocka_unit_test(test_build_fails),
	    cmocka_unit_test(test_free_null),
	};
	return cmocka_run_group_tests(tests, eal_setup, cp_test_eal_teardown);
}
