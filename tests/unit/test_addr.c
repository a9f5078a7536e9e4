/* Unit tests of common/addr: prefix parsing (good and hostile input), formatting, containment and
 * address matching, IPv4 and IPv6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

#define ERRLEN 256

/* ---- cp_prefix_parse: valid input ---- */

struct good_case {
	const char *text;
	uint8_t family, len;
	uint8_t a[16];
};

static const struct good_case good[] = {
    {"192.0.2.1", 4, 32, {192, 0, 2, 1}},
    {"192.0.2.1/32", 4, 32, {192, 0, 2, 1}},
    {"192.0.2.0/24", 4, 24, {192, 0, 2, 0}},
    {"192.0.2.128/25", 4, 25, {192, 0, 2, 128}},
    {"175.45.176.0/22", 4, 22, {175, 45, 176, 0}},
    {"10.0.0.0/8", 4, 8, {10}},
    {"0.0.0.0/0", 4, 0, {0}},
    {"255.255.255.255", 4, 32, {255, 255, 255, 255}},
    {"2001:db8::/32", 6, 32, {0x20, 0x01, 0x0d, 0xb8}},
    {"2001:db8:1000::/48", 6, 48, {0x20, 0x01, 0x0d, 0xb8, 0x10, 0x00}},
    {"2001:db8::1", 6, 128, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
    {"2001:db8::1/128", 6, 128, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
    {"::/0", 6, 0, {0}},
    {"::1", 6, 128, {[15] = 1}},
    {"::ffff:192.0.2.1", 6, 128, {[10] = 0xff, 0xff, 192, 0, 2, 1}},
    {"fe80::/10", 6, 10, {0xfe, 0x80}},
    {"2001:db8::8000:0/97", 6, 97, {0x20, 0x01, 0x0d, 0xb8, [12] = 0x80}},
};

static void test_parse_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct cp_prefix p;
		char err[ERRLEN] = "";
		memset(&p, 0xaa, sizeof(p));
		print_message("parse \"%s\"\n", good[i].text);
		assert_int_equal(cp_prefix_parse(good[i].text, &p, err, sizeof(err)), 0);
		assert_int_equal(p.family, good[i].family);
		assert_int_equal(p.len, good[i].len);
		/* IPv4 uses a[0..3], the rest must be zero. */
		assert_memory_equal(p.a, good[i].a, 16);
	}
}

/* ---- cp_prefix_parse: invalid input, and the message it gives ---- */

struct bad_case {
	const char *text;
	const char *msg_part; /* must appear in the error message */
};

static const struct bad_case bad[] = {
    /* host bits set: the message names the network */
    {"192.0.2.1/24", "network is 192.0.2.0/24"},
    {"192.0.2.129/25", "network is 192.0.2.128/25"},
    {"175.45.177.0/22", "network is 175.45.176.0/22"},
    {"10.0.0.1/0", "network is 0.0.0.0/0"},
    {"2001:db8::1/32", "network is 2001:db8::/32"},
    {"2001:db8:1:2::/48", "network is 2001:db8:1::/48"},
    {"192.0.2.1/24", "host bits"},
    /* bad lengths */
    {"192.0.2.0/33", "192.0.2.0/33"},
    {"2001:db8::/129", "2001:db8::/129"},
    {"192.0.2.0/", "prefix length"},
    {"192.0.2.0/-1", "prefix length"},
    {"192.0.2.0/+8", "prefix length"},
    {"192.0.2.0/24x", "prefix length"},
    {"192.0.2.0/ 24", "prefix length"},
    {"192.0.2.0/24 ", "prefix length"},
    {"192.0.2.0/24/24", "prefix length"},
    {"192.0.2.0/000024", "prefix length"},
    {"192.0.2.0/99999999999999999999", "prefix length"},
    {"192.0.2.0/4294967320", "prefix length"},
    /* bad addresses */
    {"/", "bad address"},
    {"/24", "bad address"},
    {"", "bad address"},
    {"junk", "bad address"},
    {"192.0.2", "bad address"},
    {"192.0.2.1.5", "bad address"},
    {"192.0.2.256", "bad address"},
    {"192.0.2.1:80", "bad address"},
    {" 192.0.2.1", "bad address"},
    {"192.0.2.1 ", "bad address"},
    {"2001:db8:::1", "bad address"},
    {"2001:db8::g", "bad address"},
    {"inside", "bad address"},
    {"@set", "bad address"},
    {"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:ffff:0000:1111",
     "bad address"},
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cp_prefix p;
		char err[ERRLEN] = "";
		print_message("parse \"%s\"\n", bad[i].text);
		assert_int_equal(cp_prefix_parse(bad[i].text, &p, err, sizeof(err)), -1);
		print_message("  -> %s\n", err);
		assert_non_null(strstr(err, bad[i].msg_part));
	}
}

/* The error message is cut to errlen, never written past it. */
static void test_parse_error_truncated(void **state)
{
	(void)state;
	char buf[32];
	struct cp_prefix p;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(cp_prefix_parse("2001:db8:1:2:3:4:5:6/16", &p, buf, 8), -1);
	assert_int_equal(strlen(buf), 7);
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');
}

/* ---- cp_addr_parse ---- */

static void test_addr_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		uint8_t family;
	} cases[] = {
	    {"192.0.2.1", 0, 4}, {"2001:db8::1", 0, 6},	   {"::", 0, 6}, {"192.0.2.0/24", -1, 0},
	    {"", -1, 0},	 {"2001:db8::/32", -1, 0}, {"x", -1, 0}, {"1.2.3", -1, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_prefix p;
		print_message("addr \"%s\"\n", cases[i].text);
		assert_int_equal(cp_addr_parse(cases[i].text, &p), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(p.family, cases[i].family);
			assert_int_equal(p.len, cases[i].family == 4 ? 32 : 128);
		}
	}
}

/* ---- cp_prefix_format ---- */

static void test_format(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"192.0.2.1", "192.0.2.1"},		{"192.0.2.1/32", "192.0.2.1"},
	    {"192.0.2.0/24", "192.0.2.0/24"},	{"0.0.0.0/0", "0.0.0.0/0"},
	    {"2001:db8::/32", "2001:db8::/32"}, {"2001:DB8:0:0::1", "2001:db8::1"},
	    {"2001:db8::1/128", "2001:db8::1"}, {"::/0", "::/0"},
	    {"fe80::/10", "fe80::/10"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_prefix p;
		char err[ERRLEN], buf[CP_PREFIX_STRLEN];
		assert_int_equal(cp_prefix_parse(cases[i].in, &p, err, sizeof(err)), 0);
		assert_string_equal(cp_prefix_format(&p, buf, sizeof(buf)), cases[i].out);
		/* and it parses back to the same prefix */
		struct cp_prefix q;
		assert_int_equal(cp_prefix_parse(buf, &q, err, sizeof(err)), 0);
		assert_memory_equal(&p, &q, sizeof(p));
	}
}

/* The longest IPv6 text fits CP_PREFIX_STRLEN; a short buffer is cut, not overrun. */
static void test_format_bounds(void **state)
{
	(void)state;
	struct cp_prefix p;
	char err[ERRLEN], buf[CP_PREFIX_STRLEN + 8];
	assert_int_equal(cp_prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.0/120", &p, err,
					 sizeof(err)),
			 0);
	cp_prefix_format(&p, buf, CP_PREFIX_STRLEN);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120");

	memset(buf, 'Z', sizeof(buf));
	cp_prefix_format(&p, buf, 6);
	assert_string_equal(buf, "ffff:");
	for (size_t i = 6; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');
}

/* ---- cp_prefix_contains ---- */

static void parse_ok(const char *s, struct cp_prefix *p)
{
	char err[ERRLEN];
	if (cp_prefix_parse(s, p, err, sizeof(err)) != 0)
		fail_msg("cannot parse \"%s\": %s", s, err);
}

static void test_contains(void **state)
{
	(void)state;
	static const struct {
		const char *outer, *inner;
		bool want;
	} cases[] = {
	    {"10.0.0.0/8", "10.1.0.0/16", true},
	    {"10.1.0.0/16", "10.0.0.0/8", false},
	    {"10.0.0.0/8", "10.0.0.0/8", true},
	    {"10.0.0.0/8", "11.0.0.0/16", false},
	    {"192.0.2.0/25", "192.0.2.0/24", false}, /* same bits, outer longer */
	    {"2001:db8::/33", "2001:db8::/32", false},
	    {"0.0.0.0/1", "0.0.0.0/0", false},
	    {"175.45.176.0/22", "175.45.179.255", true},
	    {"175.45.176.0/22", "175.45.180.0", false},
	    {"175.45.176.0/22", "175.45.177.0/24", true},
	    {"192.0.2.0/27", "192.0.2.31", true},
	    {"192.0.2.0/27", "192.0.2.32", false},
	    {"192.0.2.0/25", "192.0.2.128/25", false},
	    {"192.0.2.0/23", "192.0.3.0/24", true},
	    {"0.0.0.0/0", "203.0.113.7", true},
	    {"0.0.0.0/0", "::/0", false},
	    {"::/0", "0.0.0.0/0", false},
	    {"::/0", "2001:db8::1", true},
	    {"::/0", "192.0.2.1", false},
	    {"2001:db8::/32", "2001:db8:ffff::/48", true},
	    {"2001:db8::/32", "2001:db9::/48", false},
	    {"2001:db8:1000::/48", "2001:db8:1000:5::/64", true},
	    {"2001:db8:1000:5::/64", "2001:db8:1000::/48", false},
	    {"fe80::/10", "febf::1", true},
	    {"fe80::/10", "fec0::1", false},
	    {"192.0.2.1", "192.0.2.1", true},
	    {"192.0.2.1", "192.0.2.2", false},
	    {"::ffff:192.0.2.0/120", "192.0.2.1", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_prefix o, n;
		parse_ok(cases[i].outer, &o);
		parse_ok(cases[i].inner, &n);
		print_message("%s contains %s?\n", cases[i].outer, cases[i].inner);
		assert_int_equal(cp_prefix_contains(&o, &n), cases[i].want);
	}
}

/* ---- cp_prefix_match ---- */

static void test_match(void **state)
{
	(void)state;
	static const struct {
		const char *pfx, *addr;
		bool want;
	} cases[] = {
	    {"192.0.2.0/24", "192.0.2.0", true},
	    {"192.0.2.0/24", "192.0.2.255", true},
	    {"192.0.2.0/24", "192.0.3.0", false},
	    {"192.0.2.0/24", "192.0.1.255", false},
	    {"192.0.2.64/26", "192.0.2.127", true},
	    {"192.0.2.64/26", "192.0.2.128", false},
	    {"192.0.2.64/26", "192.0.2.63", false},
	    {"192.0.2.7", "192.0.2.7", true},
	    {"192.0.2.7", "192.0.2.6", false},
	    {"128.0.0.0/1", "200.1.1.1", true},
	    {"128.0.0.0/1", "127.255.255.255", false},
	    {"0.0.0.0/0", "1.2.3.4", true},
	    {"0.0.0.0/0", "2001:db8::1", false},
	    {"::/0", "1.2.3.4", false},
	    {"::/0", "2001:db8::1", true},
	    {"2001:db8::/32", "2001:db8:abcd::1", true},
	    {"2001:db8::/32", "2001:db9::1", false},
	    {"2001:db8::8000:0/97", "2001:db8::ffff:ffff", true},
	    {"2001:db8::8000:0/97", "2001:db8::7fff:ffff", false},
	    {"2001:db8::1", "2001:db8::1", true},
	    {"2001:db8::1", "2001:db8::", false},
	    {"::/0", "::", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_prefix p, a;
		parse_ok(cases[i].pfx, &p);
		assert_int_equal(cp_addr_parse(cases[i].addr, &a), 0);
		print_message("%s matches %s?\n", cases[i].pfx, cases[i].addr);
		assert_int_equal(cp_prefix_match(&p, a.family, a.a), cases[i].want);
	}
}

/* cp_addr_bit numbers bits from the most significant one. */
static void test_addr_bit(void **state)
{
	(void)state;
	const uint8_t a[4] = {0x80, 0x01, 0x00, 0xff};
	assert_int_equal(cp_addr_bit(a, 0), 1);
	assert_int_equal(cp_addr_bit(a, 1), 0);
	assert_int_equal(cp_addr_bit(a, 14), 0);
	assert_int_equal(cp_addr_bit(a, 15), 1);
	assert_int_equal(cp_addr_bit(a, 16), 0);
	assert_int_equal(cp_addr_bit(a, 24), 1);
	assert_int_equal(cp_addr_bit(a, 31), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_parse_error_truncated),
	    cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_bounds),
	    cmocka_unit_test(test_contains),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_addr_bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
