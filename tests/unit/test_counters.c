/* Unit tests of dataplane/counters and common/reasons: verdict and drop-reason names, the verdict
 * reason each drop reason reports, and the field-by-field sum of per-worker counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "counters.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- verdict names ---- */

static void test_verdict_names(void **state)
{
	(void)state;
	static const struct {
		enum cp_verdict v;
		const char *name;
	} cases[] = {
	    {CP_V_PASS, "pass"},
	    {CP_V_DROP, "drop"},
	    {CP_V_REJECT, "reject"},
	    {CP_V_MAX, "unknown"},
	    {(enum cp_verdict)(CP_V_MAX + 1), "unknown"},
	    {(enum cp_verdict)1000, "unknown"},
	    {(enum cp_verdict) - 1, "unknown"},
	    {(enum cp_verdict)INT32_MIN, "unknown"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("verdict %d\n", (int)cases[i].v);
		assert_string_equal(cp_verdict_name(cases[i].v), cases[i].name);
	}
}

/* ---- reasons ---- */

/* The X-macro list once more, as data, so each entry can be checked against the functions. */
static const struct {
	enum cp_reason r;
	const char *id, *name, *verdict;
} reason_list[] = {
#define CP_REASON_ROW(id, name, verdict) {CP_R_##id, #id, name, verdict},
    CP_REASONS(CP_REASON_ROW)
#undef CP_REASON_ROW
};

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Names are exported (Prometheus labels, JSON): lowercase letters, digits, single inner dashes. */
static void check_name_chars(const char *name)
{
	size_t len = strlen(name);
	assert_true(len > 0 && len < 64);
	assert_true(name[0] != '-' && name[len - 1] != '-');
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		assert_true((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
		assert_false(c == '-' && name[i + 1] == '-');
	}
}

static void test_reason_table(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_LEN(reason_list), CP_R_MAX);
	for (size_t i = 0; i < ARRAY_LEN(reason_list); i++) {
		enum cp_reason r = reason_list[i].r;
		print_message("reason %s\n", reason_list[i].id);
		assert_int_equal(r, i); /* dense, in list order */
		assert_non_null(cp_reason_name(r));
		assert_string_equal(cp_reason_name(r), reason_list[i].name);
		check_name_chars(cp_reason_name(r));
		if (reason_list[i].verdict == NULL)
			assert_null(cp_reason_verdict(r));
		else
			assert_string_equal(cp_reason_verdict(r), reason_list[i].verdict);
	}
}

static void test_reason_names_unique(void **state)
{
	(void)state;
	for (int a = 0; a < CP_R_MAX; a++)
		for (int b = a + 1; b < CP_R_MAX; b++) {
			const char *na = cp_reason_name((enum cp_reason)a);
			const char *nb = cp_reason_name((enum cp_reason)b);
			if (strcmp(na, nb) == 0)
				fail_msg("reasons %d and %d are both \"%s\"", a, b, na);
		}
	/* nor is any the name out-of-range inputs get */
	for (int r = 0; r < CP_R_MAX; r++)
		assert_string_not_equal(cp_reason_name((enum cp_reason)r), "unknown");
}

/* NONE and RULE have no verdict reason (the rule says it all); every "malformed-*" counter reports
 * "malformed"; every other reason reports its own name. */
static void test_reason_verdicts(void **state)
{
	(void)state;
	unsigned malformed = 0;
	for (int i = 0; i < CP_R_MAX; i++) {
		enum cp_reason r = (enum cp_reason)i;
		const char *name = cp_reason_name(r), *verdict = cp_reason_verdict(r);
		print_message("reason %s -> %s\n", name, verdict != NULL ? verdict : "(null)");
		if (r == CP_R_NONE || r == CP_R_RULE) {
			assert_null(verdict);
		} else if (starts_with(name, "malformed-")) {
			assert_non_null(verdict);
			assert_string_equal(verdict, "malformed");
			assert_true(strlen(name) > strlen("malformed-"));
			malformed++;
		} else {
			assert_non_null(verdict);
			assert_string_equal(verdict, name);
			assert_string_not_equal(name, "malformed");
		}
	}
	assert_true(malformed >= 10);
}

/* The reasons SPEC §5/§6 names, by counter name, and what each reports in verdicts.jsonl. */
static void test_reasons_spec(void **state)
{
	(void)state;
	static const struct {
		enum cp_reason r;
		const char *name, *verdict;
	} cases[] = {
	    {CP_R_NONE, "none", NULL},
	    {CP_R_RULE, "rule", NULL},
	    {CP_R_DEFAULT_DENY, "default-deny", "default-deny"},
	    {CP_R_SHUTOFF, "shutoff", "shutoff"},
	    {CP_R_GRANT_EXPIRED, "grant-expired", "grant-expired"},
	    {CP_R_FRAGMENT, "fragment", "fragment"},
	    {CP_R_MAL_ETH, "malformed-eth", "malformed"},
	    {CP_R_MAL_IPV4_HDR, "malformed-ipv4-header", "malformed"},
	    {CP_R_MAL_IPV6_EXT, "malformed-ipv6-exthdr", "malformed"},
	    {CP_R_MAL_ICMP, "malformed-icmp", "malformed"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("spec reason %s\n", cases[i].name);
		assert_string_equal(cp_reason_name(cases[i].r), cases[i].name);
		if (cases[i].verdict == NULL)
			assert_null(cp_reason_verdict(cases[i].r));
		else
			assert_string_equal(cp_reason_verdict(cases[i].r), cases[i].verdict);
	}
}

static void test_reason_out_of_range(void **state)
{
	(void)state;
	static const int bad[] = {CP_R_MAX, CP_R_MAX + 1, 255, 256, 1 << 20, -1, INT32_MIN};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		print_message("reason %d\n", bad[i]);
		assert_string_equal(cp_reason_name((enum cp_reason)bad[i]), "unknown");
		assert_null(cp_reason_verdict((enum cp_reason)bad[i]));
	}
}

/* ---- summing per-worker counters ---- */

/* Gives every field of c its own value, base + its index; returns how many fields there are. */
static size_t fill(struct cp_wcounters *c, uint64_t base)
{
	size_t k = 0;
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < CP_V_MAX; i++) {
		c->verdict_pkts[i] = base + k++;
		c->verdict_bytes[i] = base + k++;
	}
	for (int i = 0; i < CP_R_MAX; i++)
		c->reason[i] = base + k++;
	for (int i = 0; i < CP_MAX_PORTS; i++) {
		c->port_rx_pkts[i] = base + k++;
		c->port_rx_bytes[i] = base + k++;
		c->port_tx_pkts[i] = base + k++;
		c->port_tx_bytes[i] = base + k++;
	}
#define CP_FILL_FIELD(f, name, help) c->f = base + k++;
	CP_SCALAR_COUNTERS(CP_FILL_FIELD)
#undef CP_FILL_FIELD
	for (int x = 0; x < 3; x++)
		for (int o = 0; o < 3; o++)
			c->extract[x][o] = base + k++;
	c->busy_cycles = base + k++;
	c->total_cycles = base + k++;
	c->work_cycles = base + k++;
	return k;
}

/* Field number k of c (in fill() order) is base + step * k, wrapping like uint64_t. */
static void check_fields(const struct cp_wcounters *c, uint64_t base, uint64_t step)
{
	uint64_t k = 0;
#define EXPECT(field)                                                                              \
	do {                                                                                       \
		assert_int_equal((field), base + step * k);                                        \
		k++;                                                                               \
	} while (0)
	for (int i = 0; i < CP_V_MAX; i++) {
		EXPECT(c->verdict_pkts[i]);
		EXPECT(c->verdict_bytes[i]);
	}
	for (int i = 0; i < CP_R_MAX; i++)
		EXPECT(c->reason[i]);
	for (int i = 0; i < CP_MAX_PORTS; i++) {
		EXPECT(c->port_rx_pkts[i]);
		EXPECT(c->port_rx_bytes[i]);
		EXPECT(c->port_tx_pkts[i]);
		EXPECT(c->port_tx_bytes[i]);
	}
#define CP_CHECK_FIELD(f, name, help) EXPECT(c->f);
	CP_SCALAR_COUNTERS(CP_CHECK_FIELD)
#undef CP_CHECK_FIELD
	for (int x = 0; x < 3; x++)
		for (int o = 0; o < 3; o++)
			EXPECT(c->extract[x][o]);
	EXPECT(c->busy_cycles);
	EXPECT(c->total_cycles);
	EXPECT(c->work_cycles);
#undef EXPECT
}

/* fill() reaches every field: the last field ends where the counted fields do, so the struct
 * holds no field this test (or a word-by-word sum) does not know about. */
static void test_fill_covers_struct(void **state)
{
	(void)state;
	struct cp_wcounters c;
	size_t fields = fill(&c, 1);
	assert_int_equal(offsetof(struct cp_wcounters, work_cycles) + sizeof(uint64_t),
			 fields * sizeof(uint64_t));
	/* whole cache lines (no false sharing), and no more than the fields need: a field added
	 * after work_cycles shows here (C cannot list fields; padding could hide one only when it
	 * fits in the tail of the last cache line, which is empty today) */
	assert_int_equal(sizeof(c) % 64, 0);
	assert_int_equal(sizeof(c), (fields * sizeof(uint64_t) + 63) / 64 * 64);
	check_fields(&c, 1, 1); /* every field got a distinct value */
}

static void test_add(void **state)
{
	(void)state;
	static const struct {
		uint64_t s, w;
	} cases[] = {
	    {0, 0},
	    {1000, 1},
	    {1, 1u << 20},
	    {1ull << 40, 3ull << 40},
	    {UINT64_MAX - 10, 5}, /* some fields wrap, as uint64_t does */
	    {UINT64_MAX / 2, UINT64_MAX / 2},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct cp_wcounters s, w, w_copy;
		print_message("add: %llu + %llu per field\n", (unsigned long long)cases[i].s,
			      (unsigned long long)cases[i].w);
		fill(&s, cases[i].s);
		fill(&w, cases[i].w);
		w_copy = w;
		cp_wcounters_add(&s, &w);
		check_fields(&s, cases[i].s + cases[i].w, 2);
		assert_memory_equal(&w, &w_copy, sizeof(w)); /* the source is left alone */
	}
}

/* Adding zero changes nothing; adding a struct to itself doubles it; sums accumulate. */
static void test_add_identities(void **state)
{
	(void)state;
	struct cp_wcounters s, zero, orig;
	fill(&s, 100);
	orig = s;
	memset(&zero, 0, sizeof(zero));
	cp_wcounters_add(&s, &zero);
	assert_memory_equal(&s, &orig, sizeof(s));

	cp_wcounters_add(&s, &s);
	check_fields(&s, 200, 2);

	/* workers summed one by one into a zeroed total, as the main lcore does */
	struct cp_wcounters total, worker;
	memset(&total, 0, sizeof(total));
	for (uint64_t wk = 0; wk < 4; wk++) {
		fill(&worker, wk * 1000);
		cp_wcounters_add(&total, &worker);
	}
	/* fields are 0+k, 1000+k, 2000+k, 3000+k: the sum is 6000 + 4k */
	check_fields(&total, 6000, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict_names),	cmocka_unit_test(test_reason_table),
	    cmocka_unit_test(test_reason_names_unique), cmocka_unit_test(test_reason_verdicts),
	    cmocka_unit_test(test_reasons_spec),	cmocka_unit_test(test_reason_out_of_range),
	    cmocka_unit_test(test_fill_covers_struct),	cmocka_unit_test(test_add),
	    cmocka_unit_test(test_add_identities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
