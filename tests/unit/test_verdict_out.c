/* Unit tests of dataplane/verdict_out: every line is byte-identical to what the stdio writer it
 * replaced wrote (kept here as the reference), over a table of lines (every n width, names that
 * need escapes, nulls, long names, details) and over every result a worker can record (each
 * verdict and reason, rules and categories in and out of range, no policy), and never writes
 * beyond the room it asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp.h"
#include "json_out.h"
#include "payload_rt.h"
#include "policy_rt.h"
#include "verdict_out.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The replay's verdict writer before verdict_out, on a stdio stream. */
static void reference_line(FILE *f, const struct cp_rt_policy *pol, const struct cp_meta *m)
{
	const char *rule = m->rule != CP_NO_RULE && pol != NULL && m->rule < pol->n_rules
			       ? pol->src->rules[m->rule].name
			       : NULL;
	const char *reason = cp_reason_verdict((enum cp_reason)m->reason);
	fprintf(f, "{\"n\": %u, \"verdict\": \"%s\", \"rule\": ", m->n,
		cp_verdict_name((enum cp_verdict)m->verdict));
	cp_json_str(f, rule);
	fputs(", \"category\": ", f);
	cp_json_str(f,
		    m->category != CP_NO_CAT && pol != NULL && m->category < pol->src->n_categories
			? pol->src->categories[m->category].name
			: NULL);
	fputs(", \"reason\": ", f);
	cp_json_str(f, reason);
	if (reason != NULL && strcmp(reason, "malformed") == 0) {
		fputs(", \"detail\": ", f);
		cp_json_str(f, cp_reason_name((enum cp_reason)m->reason));
	}
	fputs("}\n", f);
}

/* The same fields as reference_line, written by the stdio code from a cp_verdict_line. */
static char *reference_of_fields(const struct cp_verdict_line *v, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	fprintf(f, "{\"n\": %u, \"verdict\": \"%s\", \"rule\": ", v->n, v->verdict);
	cp_json_str(f, v->rule);
	fputs(", \"category\": ", f);
	cp_json_str(f, v->category);
	fputs(", \"reason\": ", f);
	cp_json_str(f, v->reason);
	if (v->detail != NULL) {
		fputs(", \"detail\": ", f);
		cp_json_str(f, v->detail);
	}
	fputs("}\n", f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* cp_verdict_line_put(v) equals want[0..len), within its room (a guard byte after it). */
static void check_put(const struct cp_verdict_line *v, const char *want, size_t len)
{
	size_t room = cp_verdict_line_room(v);
	char *buf = malloc(room + 1);
	assert_non_null(buf);
	buf[room] = 0x5a;
	char *end = cp_verdict_line_put(buf, v);
	assert_true(end > buf && (size_t)(end - buf) <= room);
	assert_int_equal((size_t)(end - buf), len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(buf[room], 0x5a);
	free(buf);
}

static void test_lines(void **state)
{
	(void)state;
	char long_name[64];
	memset(long_name, '"', sizeof(long_name) - 1); /* the worst case: every byte escaped */
	long_name[sizeof(long_name) - 1] = '\0';
	static const uint32_t ns[] = {0,	   1,		9,	10,	    99,
				      100,	   65535,	65536,	999999,	    1000000,
				      4294967294u, 4294967295u, 123456, 1000000000u};
	const struct cp_verdict_line lines[] = {
	    {0, "pass", "trusted-out", NULL, NULL, NULL},
	    {0, "drop", NULL, NULL, "default-deny", NULL},
	    {0, "reject", "no-news", "news", NULL, NULL},
	    {0, "drop", NULL, NULL, "malformed", "malformed-ipv4-header"},
	    {0, "drop", "a\"b\\c", "cat\n\t", "rejected", NULL},
	    {0, "pass", "", "", "", ""},
	    {0, "drop", "\x01\x1f", "caf\xc3\xa9", "grant-expired", NULL},
	    {0, "drop", long_name, long_name, "inspect-busy", long_name},
	    {0, "unknown", NULL, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		for (size_t k = 0; k < ARRAY_LEN(ns); k++) {
			struct cp_verdict_line v = lines[i];
			size_t len;
			v.n = ns[k];
			print_message("line %zu, n %u\n", i, v.n);
			char *want = reference_of_fields(&v, &len);
			check_put(&v, want, len);
			free(want);
		}
}

/* A policy with rules and categories by those names only (what the verdict line reads). */
struct fake_policy {
	struct cp_rt_policy rt;
	struct cp_policy_src src;
	struct cp_rule rules[3];
	struct cp_category cats[2];
};

static void fake_policy_init(struct fake_policy *p)
{
	static const char *const rules[3] = {"trusted-out", "no-\"news\"", "deny"};
	static const char *const cats[2] = {"news", "tools\\x"};
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < 3; i++)
		snprintf(p->rules[i].name, sizeof(p->rules[i].name), "%s", rules[i]);
	for (unsigned i = 0; i < 2; i++)
		snprintf(p->cats[i].name, sizeof(p->cats[i].name), "%s", cats[i]);
	p->src.rules = p->rules;
	p->src.n_rules = 3;
	p->src.categories = p->cats;
	p->src.n_categories = 2;
	p->rt.src = &p->src;
	p->rt.n_rules = 3;
}

/* Every verdict, reason, rule and category index (in range, out of range, none), with the
 * policy and without: cp_verdict_line_of then cp_verdict_line_put give the reference's line. */
static void test_results(void **state)
{
	(void)state;
	struct fake_policy fp;
	fake_policy_init(&fp);
	static const uint16_t rules[] = {0, 1, 2, 3, 500, CP_NO_RULE};
	static const uint8_t cats[] = {0, 1, 2, 200, CP_NO_CAT};
	const struct cp_rt_policy *pols[] = {&fp.rt, NULL};
	unsigned lines = 0;
	for (size_t p = 0; p < ARRAY_LEN(pols); p++)
		for (unsigned verdict = 0; verdict <= CP_V_MAX; verdict++)
			for (unsigned reason = 0; reason < CP_R_MAX; reason++)
				for (size_t r = 0; r < ARRAY_LEN(rules); r++)
					for (size_t c = 0; c < ARRAY_LEN(cats); c++) {
						struct cp_meta m = {.n = 1 + lines * 7919u,
								    .rule = rules[r],
								    .verdict = (uint8_t)verdict,
								    .reason = (uint8_t)reason,
								    .category = cats[c]};
						struct cp_verdict_line v;
						char *want = NULL;
						size_t len = 0;
						FILE *f = open_memstream(&want, &len);
						assert_non_null(f);
						reference_line(f, pols[p], &m);
						assert_int_equal(fclose(f), 0);
						cp_verdict_line_of(&v, pols[p], &m);
						check_put(&v, want, len);
						free(want);
						lines++;
					}
	print_message("%u results checked\n", lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
