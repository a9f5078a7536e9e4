/* Unit tests for name_set.c: table-driven matches (domain, exact, case, fields, duplicates,
 * limits), then the set against what the reversed-literal Hyperscan database of cp_hs_compile
 * answers for the same entries, over random names and entries from a small alphabet (where
 * suffixes, dots and repeats collide often). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_patterns.h"
#include "name_set.h"

#define MAX_CATS    4
#define MAX_ENTRIES 64

struct entry {
	unsigned cat;
	enum cp_field field;
	const char *text;
};

/* A policy holding only categories and their entries. */
struct test_policy {
	struct cp_policy_src src;
	struct cp_category cats[MAX_CATS];
	struct cp_pattern pats[MAX_CATS][CP_FIELD_MAX][MAX_ENTRIES];
	char text[MAX_ENTRIES][80];
};

static void build(struct test_policy *tp, const struct entry *e, unsigned n)
{
	memset(tp, 0, sizeof(*tp));
	tp->src.file = (char *)"t.conf";
	tp->src.categories = tp->cats;
	tp->src.n_categories = MAX_CATS;
	for (unsigned c = 0; c < MAX_CATS; c++) {
		snprintf(tp->cats[c].name, sizeof(tp->cats[c].name), "c%u", c);
		for (int f = 0; f < CP_FIELD_MAX; f++)
			tp->cats[c].pat[f] = tp->pats[c][f];
	}
	for (unsigned i = 0; i < n; i++) {
		struct cp_category *cat = &tp->cats[e[i].cat];
		unsigned k = cat->n_pat[e[i].field]++;
		assert_true(k < MAX_ENTRIES && i < MAX_ENTRIES);
		snprintf(tp->text[i], sizeof(tp->text[i]), "%s", e[i].text);
		cat->pat[e[i].field][k].text = tp->text[i];
		cat->pat[e[i].field][k].line = (int)i + 1;
	}
}

/* ---- table ---- */

#define S CP_FIELD_SNI
#define H CP_FIELD_HOST
#define D CP_FIELD_DNS

static const struct entry entries[] = {
    {0, S, "example.com"},
    {0, S, "=exact.example.org"},
    {1, S, "Video.Example"},
    {1, H, "=video.example"},
    {2, S, "example.com"},
    {2, S, "example.com."},
    {3, D, "a.a"},
    {3, S, "/^re[0-9]+$/"},
    {3, H, "deep.sub.example.net"},
    {0, D, "=a.a.a"},
};

struct match_case {
	enum cp_field field;
	const char *name;
	uint64_t cats;
	unsigned hits;
	uint64_t ctr[MAX_CATS]; /* cat_ctr[2c] after the match */
};

static const struct match_case match_cases[] = {
    /* a domain entry: the name and its subdomains on a label boundary, three entries here */
    {S, "example.com", 0x5, 3, {1, 0, 2, 0}},
    {S, "www.example.com", 0x5, 3, {1, 0, 2, 0}},
    {S, "a.b.c.example.com", 0x5, 3, {1, 0, 2, 0}},
    {S, "badexample.com", 0, 0, {0}},
    {S, "example.com.evil", 0, 0, {0}},
    {S, "xample.com", 0, 0, {0}},
    {S, "com", 0, 0, {0}},
    {S, ".example.com", 0x5, 3, {1, 0, 2, 0}},
    {S, "a..example.com", 0x5, 3, {1, 0, 2, 0}},
    /* caseless both ways */
    {S, "WWW.EXAMPLE.Com", 0x5, 3, {1, 0, 2, 0}},
    {S, "m.video.example", 0x2, 1, {0, 1, 0, 0}},
    /* an exact entry: the whole name only */
    {S, "exact.example.org", 0x1, 1, {1, 0, 0, 0}},
    {S, "www.exact.example.org", 0, 0, {0}},
    {H, "video.example", 0x2, 1, {0, 1, 0, 0}},
    {H, "m.video.example", 0, 0, {0}},
    /* fields apart: sni entries are not host entries */
    {H, "example.com", 0, 0, {0}},
    {D, "video.example", 0, 0, {0}},
    {H, "x.deep.sub.example.net", 0x8, 1, {0, 0, 0, 1}},
    {H, "sub.example.net", 0, 0, {0}},
    /* repeated labels: "a.a" is a suffix of "a.a.a" twice over, counted once; and "=a.a.a" */
    {D, "a.a.a", 0x9, 2, {1, 0, 0, 1}},
    {D, "a.a", 0x8, 1, {0, 0, 0, 1}},
    {D, "b.a", 0, 0, {0}},
    /* regex entries are not in the set */
    {S, "re12", 0, 0, {0}},
    /* nothing to match */
    {S, "", 0, 0, {0}},
    {CP_FIELD_PAYLOAD, "example.com", 0, 0, {0}},
};

static void test_matches(void **state)
{
	struct test_policy tp;
	struct cp_name_set s;
	(void)state;

	build(&tp, entries, sizeof(entries) / sizeof(entries[0]));
	assert_int_equal(cp_name_set_build(&tp.src, &s), 0);
	assert_int_equal(s.n_field[S], 5); /* not the regex */
	assert_int_equal(s.n_field[H], 2);
	assert_int_equal(s.n_field[D], 2);
	/* one key per distinct name, whatever its fields, kind or case; its bytes once */
	assert_int_equal(s.n_keys, 6);
	assert_int_equal(s.n_entries, 9);
	size_t chars = 0;
	for (uint32_t k = 0; k < s.n_keys; k++) { /* packed one after another */
		assert_int_equal(s.keys[k].off, chars);
		chars += s.keys[k].len;
	}
	assert_int_equal(chars, strlen("example.comexact.example.orgvideo.examplea.a"
				       "deep.sub.example.neta.a.a"));
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		uint64_t cats = 0, ctr[MAX_CATS * 2];
		memset(ctr, 0, sizeof(ctr));
		unsigned hits =
		    cp_name_set_match(&s, c->field, c->name, strlen(c->name), &cats, ctr);
		if (hits != c->hits || cats != c->cats)
			fail_msg("%s (field %d): %u hits, cats 0x%llx; want %u, 0x%llx", c->name,
				 (int)c->field, hits, (unsigned long long)cats, c->hits,
				 (unsigned long long)c->cats);
		for (unsigned k = 0; k < MAX_CATS; k++) {
			assert_int_equal(ctr[2 * k], c->ctr[k]);
			assert_int_equal(ctr[2 * k + 1], 0);
		}
		cats = 0; /* without counters: the same categories */
		assert_int_equal(
		    cp_name_set_match(&s, c->field, c->name, strlen(c->name), &cats, NULL), hits);
		assert_int_equal(cats, c->cats);
	}
	cp_name_set_free(&s);
	assert_null(s.slots);
}

/* Names of 253 bytes match, longer ones nothing (as cp_hs_scan_name, which looks at 253 at most).
 */
static void test_limits(void **state)
{
	static const struct entry e[] = {{1, S, "tld"}};
	char name[300];
	struct test_policy tp;
	struct cp_name_set s;
	(void)state;

	build(&tp, e, 1);
	assert_int_equal(cp_name_set_build(&tp.src, &s), 0);
	for (size_t len = 250; len <= 256; len++) {
		uint64_t cats = 0;
		memset(name, 'a', len - 4);
		memcpy(name + len - 4, ".tld", 4);
		unsigned want = len <= CP_NAME_SET_MAX;
		assert_int_equal(cp_name_set_match(&s, S, name, len, &cats, NULL), want);
		assert_int_equal(cats, want ? 0x2 : 0);
	}
	/* a name that is mostly dots: a suffix after every one of them */
	memset(name, '.', CP_NAME_SET_MAX - 4);
	memcpy(name + CP_NAME_SET_MAX - 4, ".tld", 4);
	uint64_t cats = 0;
	assert_int_equal(cp_name_set_match(&s, S, name, CP_NAME_SET_MAX, &cats, NULL), 1);
	assert_int_equal(cats, 0x2);
	cp_name_set_free(&s);
}

/* No domain or exact entry (none at all, or regexes only): an empty set that holds no memory and
 * matches nothing. */
static void test_empty(void **state)
{
	static const struct entry e[] = {{0, S, "/x/"}, {0, CP_FIELD_PAYLOAD, "x"}};
	static const struct cp_name_set zero;
	struct test_policy tp;
	struct cp_name_set s;
	uint64_t cats = 0;
	(void)state;

	for (unsigned n = 0; n <= 2; n++) {
		build(&tp, e, n);
		assert_int_equal(cp_name_set_build(&tp.src, &s), 0);
		assert_memory_equal(&s, &zero, sizeof(s));
		assert_int_equal(cp_name_set_match(&s, S, "x", 1, &cats, NULL), 0);
		assert_int_equal(cats, 0);
		cp_name_set_free(&s);
	}
}

/* ---- against the Hyperscan literal database ---- */

struct ref_match {
	const struct cp_hs_dbs *dbs;
	int slot;
	const unsigned *len; /* per id: literal length + 1 (the '.' after it) */
	const unsigned char *exact;
	unsigned long long subject_len;
	uint64_t cats;
	unsigned hits;
};

/* A match counts only when it starts the subject (and, for =name, ends it). */
static int on_ref(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		  void *arg)
{
	struct ref_match *m = arg;
	(void)from;
	(void)flags;
	if (to != m->len[id] || (m->exact[id] && to != m->subject_len))
		return 0;
	m->cats |= 1ull << m->dbs->id_category[m->slot][id];
	m->hits++;
	return 0;
}

/* What the database of field f answers for name: scanned reversed with a '.' after it. */
static void ref_scan(const struct cp_hs_dbs *dbs, const struct test_policy *tp, enum cp_field f,
		     const char *name, hs_scratch_t *scratch, uint64_t *cats, unsigned *hits)
{
	unsigned len[MAX_ENTRIES], n = 0;
	unsigned char exact[MAX_ENTRIES];
	char rev[CP_NAME_SET_MAX + 2];
	size_t l = strlen(name);

	for (unsigned c = 0; c < MAX_CATS; c++) /* ids in cp_hs_compile's order */
		for (unsigned k = 0; k < tp->cats[c].n_pat[f]; k++) {
			const char *t = tp->cats[c].pat[f][k].text;
			size_t tl;
			exact[n] = t[0] == '=';
			t += exact[n];
			tl = strlen(t);
			if (tl > 0 && t[tl - 1] == '.')
				tl--; /* "name." is "name" */
			len[n++] = (unsigned)tl + 1;
		}
	struct ref_match m = {dbs, f, len, exact, l + 1, 0, 0};
	for (size_t i = 0; i < l; i++)
		rev[i] = name[l - 1 - i];
	rev[l] = '.';
	if (dbs->db[f] != NULL)
		assert_int_equal(hs_scan(dbs->db[f], rev, (unsigned)l + 1, 0, scratch, on_ref, &m),
				 HS_SUCCESS);
	*cats = m.cats;
	*hits = m.hits;
}

static unsigned long long rnd_state = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

/* 1..3 labels of 1..3 letters of "aB" (mixed case: matched caselessly). */
static void rnd_domain(char *out, size_t cap)
{
	static const char letters[] = "aBb";
	size_t n = 0;
	unsigned labels = 1 + rnd(3);
	for (unsigned l = 0; l < labels; l++) {
		if (l > 0)
			out[n++] = '.';
		for (unsigned k = 0, len = 1 + rnd(3); k < len; k++)
			out[n++] = letters[rnd(3)];
	}
	assert_true(n < cap);
	out[n] = '\0';
}

static void test_against_hyperscan(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 40; round++) {
		struct entry e[24];
		char texts[24][16];
		struct test_policy tp;
		struct cp_hs_dbs dbs;
		struct cp_diag diag;
		hs_scratch_t *scratch = NULL;
		unsigned n = 4 + rnd(20);

		for (unsigned i = 0; i < n; i++) {
			unsigned exact = rnd(3) == 0;
			texts[i][0] = '=';
			rnd_domain(texts[i] + exact, sizeof(texts[i]) - 2);
			if (rnd(5) == 0)
				strcat(texts[i], ".");
			e[i] = (struct entry){rnd(MAX_CATS), (enum cp_field)rnd(3), texts[i]};
		}
		build(&tp, e, n);
		cp_diag_init(&diag);
		assert_int_equal(cp_hs_compile(&tp.src, &dbs, &diag), 0);
		cp_diag_free(&diag);
		for (int f = 0; f < CP_FIELD_PAYLOAD; f++)
			if (dbs.db[f] != NULL)
				assert_int_equal(hs_alloc_scratch(dbs.db[f], &scratch), HS_SUCCESS);
		for (unsigned q = 0; q < 200; q++) {
			char name[32];
			enum cp_field f = (enum cp_field)rnd(3);
			uint64_t want = 0, got = 0;
			unsigned want_hits = 0;
			rnd_domain(name, sizeof(name));
			ref_scan(&dbs, &tp, f, name, scratch, &want, &want_hits);
			unsigned hits =
			    cp_name_set_match(&dbs.names, f, name, strlen(name), &got, NULL);
			if (got != want || hits != want_hits)
				fail_msg("round %u, field %d, name %s: 0x%llx (%u hits), Hyperscan "
					 "0x%llx "
					 "(%u hits)",
					 round, (int)f, name, (unsigned long long)got, hits,
					 (unsigned long long)want, want_hits);
		}
		hs_free_scratch(scratch);
		cp_hs_free(&dbs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_against_hyperscan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
