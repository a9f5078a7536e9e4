/* Unit tests for hs_patterns.c: entry translation, compiled databases scanned with Hyperscan
 * (names in block mode, payload in streaming mode across writes), errors at their lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_patterns.h"

#define SF HS_FLAG_SINGLEMATCH
#define CI HS_FLAG_CASELESS

/* ---- translation tables ---- */

struct xlat_case {
	const char *entry;
	int rc;
	const char *expr;  /* expected expression when rc == 0 (NULL: not checked) */
	unsigned flags;	   /* expected flags when rc == 0 */
	const char *error; /* substring of the message when rc != 0 */
};

#define L63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"
#define L61 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghija"

static const struct xlat_case name_cases[] = {
    {"example.com", 0, "moc\\x2eelpmaxe\\x2e", CI | SF, NULL},
    {"example.com.", 0, "moc\\x2eelpmaxe\\x2e", CI | SF, NULL},
    {"Ex-am_ple.COM", 0, "MOC\\x2eelp\\x5fma\\x2dxE\\x2e", CI | SF, NULL},
    {"localhost", 0, "tsohlacol\\x2e", CI | SF, NULL},
    {"=cdn.example.net", 0, "ten\\x2eelpmaxe\\x2endc\\x2e", CI | SF, NULL},
    {"=cdn.example.net.", 0, "ten\\x2eelpmaxe\\x2endc\\x2e", CI | SF, NULL},
    {"/foo/", 0, "foo", SF, NULL},
    {"/^img[0-9]+$/ism", 0, "^img[0-9]+$", SF | CI | HS_FLAG_DOTALL | HS_FLAG_MULTILINE, NULL},
    {"/a/b/i", 0, "a/b", SF | CI, NULL},
    {L63 ".com", 0, NULL, CI | SF, NULL},
    {L63 "." L63 "." L63 "." L61, 0, NULL, CI | SF, NULL}, /* 253 characters */
    {L63 "." L63 "." L63 "." L61 ".", 0, NULL, CI | SF, NULL},
    {"", -1, NULL, 0, "empty domain name"},
    {".", -1, NULL, 0, "empty domain name"},
    {"=", -1, NULL, 0, "empty domain name"},
    {"a..b", -1, NULL, 0, "empty label"},
    {".example.com", -1, NULL, 0, "empty label"},
    {"example.com..", -1, NULL, 0, "empty label"},
    {L63 "x.com", -1, NULL, 0, "label longer than 63"},
    {L63 "." L63 "." L63 "." L61 "x", -1, NULL, 0, "longer than 253"},
    {"exa mple.com", -1, NULL, 0, "character ' ' not allowed"},
    {"*.example.com", -1, NULL, 0, "character '*' not allowed"},
    {"example.com/x", -1, NULL, 0, "character '/' not allowed"},
    {"=x/y", -1, NULL, 0, "character '/' not allowed"},
    {"ex\nample", -1, NULL, 0, "byte 0x0a not allowed"},
    {"ex\xc3\xa9mple", -1, NULL, 0, "byte 0xc3 not allowed"},
    {"/a", -1, NULL, 0, "closing '/'"},
    {"/", -1, NULL, 0, "closing '/'"},
    {"//", -1, NULL, 0, "empty regex"},
    {"//i", -1, NULL, 0, "empty regex"},
    {"/a/q", -1, NULL, 0, "unknown regex flag: character 'q'"},
    {"/a/iH", -1, NULL, 0, "unknown regex flag: character 'H'"},
};

static const struct xlat_case payload_cases[] = {
    {"forbidden-term", 0, "forbidden\\x2dterm", SF, NULL},
    {"Forbidden", 0, "Forbidden", SF, NULL},
    {"a b", 0, "a\\x20b", SF, NULL},
    {"\xde\xad\\", 0, "\\xde\\xad\\x5c", SF, NULL},
    {"(.*)", 0, "\\x28\\x2e\\x2a\\x29", SF, NULL},
    {"/secret\\s+word/i", 0, "secret\\s+word", SF | CI, NULL},
    {"/a.b/s", 0, "a.b", SF | HS_FLAG_DOTALL, NULL},
    {"", -1, NULL, 0, "empty string"},
    {"/x/z", -1, NULL, 0, "unknown regex flag"},
    {"/x", -1, NULL, 0, "closing '/'"},
    {"//", -1, NULL, 0, "empty regex"},
};

typedef int (*xlat_fn)(const char *, char *, size_t, unsigned *, char *, size_t);

static void run_xlat(xlat_fn fn, const struct xlat_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct xlat_case *c = &cases[i];
		char expr[1024], err[256] = "";
		unsigned flags = 0;
		int rc = fn(c->entry, expr, sizeof(expr), &flags, err, sizeof(err));

		print_message("entry \"%s\" -> %d %s\n", c->entry, rc, rc == 0 ? expr : err);
		assert_int_equal(rc, c->rc);
		if (rc == 0) {
			assert_int_equal(flags, c->flags);
			if (c->expr != NULL)
				assert_string_equal(expr, c->expr);
		} else {
			assert_non_null(strstr(err, c->error));
		}
	}
}

static void test_name_translation(void **state)
{
	(void)state;
	run_xlat(cp_hs_name_expr, name_cases, sizeof(name_cases) / sizeof(name_cases[0]));
}

static void test_payload_translation(void **state)
{
	(void)state;
	run_xlat(cp_hs_payload_expr, payload_cases,
		 sizeof(payload_cases) / sizeof(payload_cases[0]));
}

/* Buffers too small, NULL arguments: an error, never a write past the end. */
static void test_translation_limits(void **state)
{
	char expr[32], err[64];
	unsigned flags;
	(void)state;

	memset(expr, 'Z', sizeof(expr));
	assert_int_equal(cp_hs_name_expr("example.com", expr, 10, &flags, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(expr[10], 'Z');
	assert_int_equal(cp_hs_payload_expr("abcdefgh-", expr, 12, &flags, err, sizeof(err)), -1);
	assert_int_equal(expr[12], 'Z');
	assert_int_equal(cp_hs_payload_expr("/abcdefghijklmn/", expr, 8, &flags, NULL, 0), -1);
	assert_int_equal(cp_hs_name_expr("a.b", NULL, 0, &flags, err, sizeof(err)), -1);
	assert_int_equal(cp_hs_name_expr(NULL, expr, sizeof(expr), &flags, err, sizeof(err)), -1);
	assert_int_equal(cp_hs_payload_expr("x", expr, sizeof(expr), NULL, err, sizeof(err)), -1);
	/* the message is cut to the buffer, NUL-terminated */
	assert_int_equal(cp_hs_name_expr("a b", expr, sizeof(expr), &flags, err, 8), -1);
	assert_int_equal(strlen(err), 7);
}

/* ---- policies built by hand ---- */

struct entry {
	unsigned cat;
	enum cp_field field;
	const char *text;
	int line;
};

#define MAX_CATS 4
#define MAX_PATS 8

struct test_policy {
	struct cp_policy_src src;
	struct cp_category cats[MAX_CATS];
	struct cp_pattern pats[MAX_CATS][CP_FIELD_MAX][MAX_PATS];
};

static void build(struct test_policy *tp, const char *const *names, unsigned n_cats,
		  const struct entry *e, unsigned n)
{
	memset(tp, 0, sizeof(*tp));
	tp->src.file = (char *)"t.conf";
	tp->src.categories = tp->cats;
	tp->src.n_categories = n_cats;
	for (unsigned c = 0; c < n_cats; c++) {
		snprintf(tp->cats[c].name, sizeof(tp->cats[c].name), "%s", names[c]);
		for (int f = 0; f < CP_FIELD_MAX; f++)
			tp->cats[c].pat[f] = tp->pats[c][f];
	}
	for (unsigned i = 0; i < n; i++) {
		struct cp_category *cat = &tp->cats[e[i].cat];
		unsigned k = cat->n_pat[e[i].field]++;
		assert_true(k < MAX_PATS);
		cat->pat[e[i].field][k].text = (char *)e[i].text;
		cat->pat[e[i].field][k].line = e[i].line;
	}
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	const unsigned *map = ((const unsigned **)ctx)[0];
	unsigned *mask = ((unsigned **)ctx)[1];
	(void)from;
	(void)to;
	(void)flags;
	*mask |= 1u << map[id];
	return 0;
}

/* Bit c set when category c matched the name. */
static unsigned scan_name(const struct cp_hs_dbs *dbs, enum cp_field f, const char *name)
{
	hs_scratch_t *scratch = NULL;
	uint64_t cats = 0;

	for (int d = 0; d < CP_DB_MAX; d++)
		if (dbs->db[d] != NULL)
			assert_int_equal(hs_alloc_scratch(dbs->db[d], &scratch), HS_SUCCESS);
	assert_true(cp_hs_scan_name(dbs, f, name, strlen(name), scratch, &cats, NULL) > 0);
	hs_free_scratch(scratch);
	return (unsigned)cats;
}

/* The payload written in two parts to one stream. */
static unsigned scan_stream(const struct cp_hs_dbs *dbs, const char *part1, const char *part2)
{
	const hs_database_t *db = dbs->db[CP_FIELD_PAYLOAD];
	hs_scratch_t *scratch = NULL;
	hs_stream_t *stream = NULL;
	unsigned mask = 0;
	const void *ctx[2] = {dbs->id_category[CP_FIELD_PAYLOAD], &mask};

	assert_non_null(db);
	assert_int_equal(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
	assert_int_equal(hs_open_stream(db, 0, &stream), HS_SUCCESS);
	assert_int_equal(hs_scan_stream(stream, part1, (unsigned)strlen(part1), 0, scratch,
					on_match, (void *)ctx),
			 HS_SUCCESS);
	assert_int_equal(hs_scan_stream(stream, part2, (unsigned)strlen(part2), 0, scratch,
					on_match, (void *)ctx),
			 HS_SUCCESS);
	assert_int_equal(hs_close_stream(stream, scratch, on_match, (void *)ctx), HS_SUCCESS);
	hs_free_scratch(scratch);
	return mask;
}

static void compile_ok(const struct test_policy *tp, struct cp_hs_dbs *dbs)
{
	struct cp_diag diag;

	cp_diag_init(&diag);
	int rc = cp_hs_compile(&tp->src, dbs, &diag);
	cp_diag_print(&diag, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(diag.errors, 0);
	cp_diag_free(&diag);
}

/* ---- name fields ---- */

static const char *const name_cats[] = {"social", "video"};
static const struct entry name_entries[] = {
    {0, CP_FIELD_SNI, "social.example", 2},
    {0, CP_FIELD_SNI, "=cdn.example.net", 3},
    {0, CP_FIELD_SNI, "/^img[0-9]+\\.pics\\.test$/", 4},
    {0, CP_FIELD_DNS, "social.example.", 5},
    {1, CP_FIELD_SNI, "video.example", 7},
    {1, CP_FIELD_SNI, "tube.social.example", 8},
    {1, CP_FIELD_HOST, "=Video.Example", 9},
};

struct name_case {
	enum cp_field field;
	const char *name;
	unsigned mask;
};

static const struct name_case name_scans[] = {
    {CP_FIELD_SNI, "social.example", 1},	{CP_FIELD_SNI, "WWW.Social.Example", 1},
    {CP_FIELD_SNI, "a.b.social.example", 1},	{CP_FIELD_SNI, "badsocial.example", 0},
    {CP_FIELD_SNI, "social.example.org", 0},	{CP_FIELD_SNI, "social.exampl", 0},
    {CP_FIELD_SNI, "social.example\n", 0},	{CP_FIELD_SNI, "", 0},
    {CP_FIELD_SNI, "cdn.example.net", 1},	{CP_FIELD_SNI, "CDN.Example.NET", 1},
    {CP_FIELD_SNI, "x.cdn.example.net", 0},	{CP_FIELD_SNI, "cdn.example.net.x", 0},
    {CP_FIELD_SNI, "cdn.example.ne", 0},	{CP_FIELD_SNI, "img42.pics.test", 1},
    {CP_FIELD_SNI, "IMG42.pics.test", 0}, /* the regex has no i flag */
    {CP_FIELD_SNI, "ximg42.pics.test", 0},	{CP_FIELD_SNI, "video.example", 2},
    {CP_FIELD_SNI, "tube.social.example", 3}, /* both categories */
    {CP_FIELD_SNI, "x.tube.social.example", 3}, {CP_FIELD_HOST, "video.example", 2},
    {CP_FIELD_HOST, "VIDEO.EXAMPLE", 2},	{CP_FIELD_HOST, "www.video.example", 0},
    {CP_FIELD_HOST, "social.example", 0},	{CP_FIELD_DNS, "social.example", 1},
    {CP_FIELD_DNS, "www.social.example", 1},	{CP_FIELD_DNS, "video.example", 0},
};

static void test_name_scans(void **state)
{
	struct test_policy tp;
	struct cp_hs_dbs dbs;
	(void)state;

	build(&tp, name_cats, 2, name_entries, sizeof(name_entries) / sizeof(name_entries[0]));
	compile_ok(&tp, &dbs);
	assert_int_equal(dbs.n_ids[CP_FIELD_SNI], 4);
	assert_int_equal(dbs.n_ids[CP_DB_SNI_RE], 1); /* the regex has its own database */
	assert_null(dbs.db[CP_DB_HOST_RE]);
	assert_int_equal(dbs.n_ids[CP_FIELD_HOST], 1);
	assert_int_equal(dbs.n_ids[CP_FIELD_DNS], 1);
	assert_int_equal(dbs.n_ids[CP_FIELD_PAYLOAD], 0);
	assert_null(dbs.db[CP_FIELD_PAYLOAD]);
	assert_null(dbs.id_category[CP_FIELD_PAYLOAD]);
	for (size_t i = 0; i < sizeof(name_scans) / sizeof(name_scans[0]); i++) {
		const struct name_case *c = &name_scans[i];
		unsigned mask = scan_name(&dbs, c->field, c->name);
		print_message("field %d \"%s\" -> %u\n", c->field, c->name, mask);
		assert_int_equal(mask, c->mask);
	}
	cp_hs_free(&dbs);
	assert_null(dbs.db[CP_FIELD_SNI]);
	cp_hs_free(&dbs); /* twice is fine */
}

/* ---- payload ---- */

static const char *const payload_cats[] = {"keywords", "other"};
static const struct entry payload_entries[] = {
    {0, CP_FIELD_PAYLOAD, "forbidden-term", 3},
    {0, CP_FIELD_PAYLOAD, "/secret\\s+word/i", 4},
    {1, CP_FIELD_PAYLOAD, "Forbidden", 6},
    {1, CP_FIELD_PAYLOAD, "\xde\xad\xbe\xef", 7},
};

struct stream_case {
	const char *part1, *part2;
	unsigned mask;
};

static const struct stream_case stream_scans[] = {
    {"GET /forbidden-term HTTP/1.1", "", 1},
    {"xxx forbid", "den-term yyy", 1},
    {"xxx forbidden-ter", "m", 1},
    {"xxx FORBIDDEN-TERM yyy", "", 0}, /* literals are case-sensitive */
    {"forbidden-ter", "", 0},
    {"forbidden", "term", 0},
    {"a Forbidden", "-term", 2},
    {"a Forbidden-t", "erm", 2},
    {"forbidden-term and Forbidden", "", 3},
    {"SECRET  ", "Word", 1},
    {"secretword", "", 0},
    {"ab\xde\xad", "\xbe\xef cd", 2},
    {"ab\xde\xad", "\xbe", 0},
    {"", "", 0},
};

static void test_payload_stream(void **state)
{
	struct test_policy tp;
	struct cp_hs_dbs dbs;
	(void)state;

	build(&tp, payload_cats, 2, payload_entries,
	      sizeof(payload_entries) / sizeof(payload_entries[0]));
	compile_ok(&tp, &dbs);
	for (int f = 0; f < CP_FIELD_PAYLOAD; f++)
		assert_null(dbs.db[f]);
	assert_int_equal(dbs.n_ids[CP_FIELD_PAYLOAD], 4);
	for (size_t i = 0; i < sizeof(stream_scans) / sizeof(stream_scans[0]); i++) {
		const struct stream_case *c = &stream_scans[i];
		unsigned mask = scan_stream(&dbs, c->part1, c->part2);
		print_message("case %zu -> %u\n", i, mask);
		assert_int_equal(mask, c->mask);
	}
	cp_hs_free(&dbs);
}

/* ---- errors ---- */

struct want {
	const char *prefix; /* start of the diag line */
	const char *text;   /* somewhere after it */
};

struct error_case {
	struct entry e[4];
	unsigned n;
	struct want want[3];
	unsigned n_want;
};

#define PFX(line, cat, field, entry)                                                               \
	"t.conf:" #line ": error: category \"" cat "\": " field " entry \"" entry "\": "

static const struct error_case error_cases[] = {
    {{{0, CP_FIELD_SNI, "/(/", 7}}, 1, {{PFX(7, "c0", "sni", "/(/"), "parenthesis"}}, 1},
    {{{0, CP_FIELD_SNI, "/a/q", 3}}, 1, {{PFX(3, "c0", "sni", "/a/q"), "flag"}}, 1},
    {{{1, CP_FIELD_DNS, "/a", 4}}, 1, {{PFX(4, "c1", "dns", "/a"), "closing '/'"}}, 1},
    {{{0, CP_FIELD_HOST, "//", 5}}, 1, {{PFX(5, "c0", "host", "//"), "empty regex"}}, 1},
    {{{0, CP_FIELD_PAYLOAD, "/(/", 11}}, 1, {{PFX(11, "c0", "payload", "/(/"), "parenthesis"}}, 1},
    {{{0, CP_FIELD_PAYLOAD, "/a*/", 6}},
     1,
     {{PFX(6, "c0", "payload", "/a*/"), "matches empty input"}},
     1},
    {{{0, CP_FIELD_SNI, "/^$/m", 6}}, 1, {{PFX(6, "c0", "sni", "/^$/m"), "empty input"}}, 1},
    {{{0, CP_FIELD_PAYLOAD, "", 8}}, 1, {{PFX(8, "c0", "payload", ""), "empty string"}}, 1},
    {{{0, CP_FIELD_SNI, "bad name", 9}},
     1,
     {{PFX(9, "c0", "sni", "bad name"), "character ' ' not allowed"}},
     1},
    {{{0, CP_FIELD_DNS, "a\nb\"", 2}}, 1, {{PFX(2, "c0", "dns", "a\\x0ab\\x22"), "byte 0x0a"}}, 1},
    {{{0, CP_FIELD_PAYLOAD, "/a{1000}{1000}/", 12}},
     1,
     {{PFX(12, "c0", "payload", "/a{1000}{1000}/"), "repeat"}},
     1},
    /* two bad entries, two errors, in order; the good ones between them do not count */
    {{{0, CP_FIELD_SNI, "/(/", 3},
      {0, CP_FIELD_SNI, "ok.example", 4},
      {1, CP_FIELD_SNI, "a..b", 6},
      {1, CP_FIELD_PAYLOAD, "/x/y", 9}},
     4,
     {{PFX(3, "c0", "sni", "/(/"), "parenthesis"},
      {PFX(6, "c1", "sni", "a..b"), "empty label"},
      {PFX(9, "c1", "payload", "/x/y"), "flag"}},
     3},
};

static const char *const error_cats[] = {"c0", "c1"};

static void test_errors(void **state)
{
	static const struct cp_hs_dbs zero;
	(void)state;

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct test_policy tp;
		struct cp_hs_dbs dbs;
		struct cp_diag diag;

		build(&tp, error_cats, 2, c->e, c->n);
		cp_diag_init(&diag);
		memset(&dbs, 0xa5, sizeof(dbs));
		assert_int_equal(cp_hs_compile(&tp.src, &dbs, &diag), -1);
		cp_diag_print(&diag, stderr);
		assert_memory_equal(&dbs, &zero, sizeof(dbs));
		assert_int_equal(diag.errors, c->n_want);
		assert_int_equal(diag.n, c->n_want);
		for (unsigned k = 0; k < c->n_want; k++) {
			const char *line = diag.lines[k];
			size_t plen = strlen(c->want[k].prefix);
			assert_int_equal(strncmp(line, c->want[k].prefix, plen), 0);
			assert_non_null(strstr(line + plen, c->want[k].text));
			assert_null(strchr(line, '\n'));
		}
		cp_diag_free(&diag);
	}
}

/* No categories (or none with entries): success, nothing built; NULL arguments refused. */
static void test_empty_and_null(void **state)
{
	static const struct cp_hs_dbs zero;
	struct test_policy tp;
	struct cp_hs_dbs dbs;
	struct cp_diag diag;
	(void)state;

	build(&tp, error_cats, 2, NULL, 0);
	cp_diag_init(&diag);
	assert_int_equal(cp_hs_compile(&tp.src, &dbs, &diag), 0);
	assert_memory_equal(&dbs, &zero, sizeof(dbs));
	assert_int_equal(cp_hs_compile(NULL, &dbs, &diag), -1);
	assert_int_equal(cp_hs_compile(&tp.src, NULL, &diag), -1);
	assert_int_equal(diag.errors, 0);
	cp_diag_free(&diag);
	cp_hs_free(&dbs);
	cp_hs_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_translation),   cmocka_unit_test(test_payload_translation),
	    cmocka_unit_test(test_translation_limits), cmocka_unit_test(test_name_scans),
	    cmocka_unit_test(test_payload_stream),     cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_empty_and_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
