/* Unit tests of common/json_out: every string comes out as one valid JSON string (quotes, escapes
 * of '"', '\\' and control characters as \u00XX) that decodes back to the input; NULL is null.
 * cp_json_str_mem writes the same bytes as cp_json_str, within cp_json_str_room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_out.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* What cp_json_str writes for s, as a malloc'd string (its length to *len). */
static char *render(const char *s, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	cp_json_str(f, s);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	*len = n;
	return buf;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One JSON escape at in[0] == '\\' (RFC 8259 §7, \u below 0x80 only: the writer emits no other);
 * the byte it stands for goes to *out. Returns its length, or 0 when it is not valid. */
static size_t decode_escape(const char *in, size_t left, char *out)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	if (left < 2)
		return 0;
	for (size_t i = 0; i + 1 < sizeof(simple); i += 2)
		if (in[1] == simple[i]) {
			*out = simple[i + 1];
			return 2;
		}
	if (in[1] != 'u' || left < 6)
		return 0;
	int v = 0;
	for (size_t i = 2; i < 6; i++) {
		int h = hex_value(in[i]);
		if (h < 0)
			return 0;
		v = v * 16 + h;
	}
	if (v == 0 || v >= 0x80)
		return 0; /* \u0000 would cut the C string; the writer never needs more */
	*out = (char)v;
	return 6;
}

/* Decodes the JSON string literal in[0..len) into out (at least len bytes). Returns 0, or -1 when
 * it is not exactly one valid JSON string: quotes at both ends, no raw control character, no raw
 * quote or backslash, only valid escapes. */
static int json_decode(const char *in, size_t len, char *out)
{
	if (len < 2 || in[0] != '"' || in[len - 1] != '"')
		return -1;
	size_t o = 0;
	for (size_t i = 1; i < len - 1;) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == '"')
			return -1;
		if (c != '\\') {
			out[o++] = (char)c;
			i++;
			continue;
		}
		size_t used = decode_escape(in + i, len - 1 - i, &out[o++]);
		if (used == 0)
			return -1;
		i += used;
	}
	out[o] = '\0';
	return 0;
}

/* Renders s, checks it is valid JSON that decodes back to s, and returns the rendering. */
static char *render_checked(const char *s, size_t *len)
{
	char *got = render(s, len);
	assert_int_equal(strlen(got), *len); /* no NUL written */
	char *back = malloc(*len + 1);
	assert_non_null(back);
	assert_int_equal(json_decode(got, *len, back), 0);
	assert_string_equal(back, s);
	free(back);
	return got;
}

/* ---- the checker itself must reject what is not a JSON string ---- */

static void test_checker_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",	      "\"",	 "abc",	      "\"abc",	     "abc\"",	    "\"a\"b\"",
	    "\"\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u00zz\"", "\"\\u0000\"", "\"a\nb\"",
	    "\"\t\"", "\"a\"\"", "null",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char out[32];
		print_message("checker rejects case %zu\n", i);
		assert_int_equal(json_decode(bad[i], strlen(bad[i]), out), -1);
	}
	char out[32];
	static const char good[] = "\"a\\\"\\\\\\n\\u001f\"";
	assert_int_equal(json_decode(good, strlen(good), out), 0);
	assert_string_equal(out, "a\"\\\n\x1f");
}

/* ---- exact renderings ---- */

static void test_exact(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", "\"\""},
	    {"abc", "\"abc\""},
	    {"trusted-out", "\"trusted-out\""},
	    {" ", "\" \""},
	    {"\"", "\"\\\"\""},
	    {"\\", "\"\\\\\""},
	    {"a\"b\\c", "\"a\\\"b\\\\c\""},
	    {"\"\"\"", "\"\\\"\\\"\\\"\""},
	    {"\\\\", "\"\\\\\\\\\""},
	    {"\n", "\"\\u000a\""},
	    {"\r\n", "\"\\u000d\\u000a\""},
	    {"\t", "\"\\u0009\""},
	    {"\b\f", "\"\\u0008\\u000c\""},
	    {"\x01", "\"\\u0001\""},
	    {"\x1f", "\"\\u001f\""},
	    {"\x1b[31mred", "\"\\u001b[31mred\""},
	    {"/", "\"/\""},
	    {"~\x7f", "\"~\x7f\""},
	    {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
	    {"\xe2\x82\xac", "\"\xe2\x82\xac\""},
	    {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
	    {"{\"a\": [1, 2]}", "\"{\\\"a\\\": [1, 2]}\""},
	    {"</script>", "\"</script>\""},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t len;
		print_message("exact case %zu\n", i);
		char *got = render_checked(cases[i].in, &len);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void test_null(void **state)
{
	(void)state;
	size_t len;
	char *got = render(NULL, &len);
	assert_int_equal(len, 4);
	assert_string_equal(got, "null");
	free(got);
}

/* Every control character alone and between letters: \u00XX, lowercase hex. */
static void test_every_control(void **state)
{
	(void)state;
	for (int c = 1; c < 0x20; c++) {
		char in[4] = {'a', (char)c, 'b', '\0'}, want[16];
		size_t len;
		snprintf(want, sizeof(want), "\"a\\u%04x%s", c, "b\"");
		char *got = render_checked(in, &len);
		assert_string_equal(got, want);
		assert_int_equal(len, 10);
		free(got);
	}
}

/* Every byte 0x20..0x7f alone: the two special ones escaped, the rest as they are. */
static void test_every_printable(void **state)
{
	(void)state;
	for (int c = 0x20; c <= 0x7f; c++) {
		char in[2] = {(char)c, '\0'}, want[8];
		size_t len;
		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\"\\%c\"", c);
		else
			snprintf(want, sizeof(want), "\"%c\"", c);
		char *got = render_checked(in, &len);
		assert_string_equal(got, want);
		free(got);
	}
}

/* Bytes from 0x80 up pass through unchanged, so UTF-8 stays UTF-8. */
static void test_high_bytes(void **state)
{
	(void)state;
	for (int c = 0x80; c <= 0xff; c++) {
		char in[2] = {(char)c, '\0'};
		size_t len;
		char *got = render(in, &len);
		assert_int_equal(len, 3);
		assert_int_equal((unsigned char)got[1], c);
		free(got);
	}
}

/* A long hostile string: every byte value, many times over; nothing is lost or cut. */
static void test_long(void **state)
{
	(void)state;
	static const size_t sizes[] = {1, 255, 4096, 65536, 1u << 20};
	for (size_t k = 0; k < ARRAY_LEN(sizes); k++) {
		size_t n = sizes[k], len;
		char *in = malloc(n + 1);
		assert_non_null(in);
		for (size_t i = 0; i < n; i++)
			in[i] = (char)(i % 127 + 1); /* 1..127: every ASCII byte but NUL */
		in[n] = '\0';
		print_message("long string of %zu bytes\n", n);
		char *got = render_checked(in, &len);
		assert_true(len >= n + 2);
		free(got);
		free(in);
	}
}

/* Two strings in a row, as the callers write objects: each is complete on its own. */
static void test_in_object(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	fputs("{\"rule\": ", f);
	cp_json_str(f, "a\"b");
	fputs(", \"category\": ", f);
	cp_json_str(f, NULL);
	fputs(", \"reason\": ", f);
	cp_json_str(f, "\n");
	fputs("}", f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf,
			    "{\"rule\": \"a\\\"b\", \"category\": null, \"reason\": \"\\u000a\"}");
	free(buf);
}

/* ---- cp_json_str_mem: the same bytes as the stream writer, within its room ---- */

/* Checks that cp_json_str_mem(s) is byte-identical to cp_json_str(s) and stays within the room
 * it promises (a guard byte after the room must be untouched). */
static void check_mem_same(const char *s)
{
	size_t want_len;
	char *want = render(s, &want_len);
	size_t room = cp_json_str_room(s != NULL ? strlen(s) : 0);
	char *buf = malloc(room + 1);
	assert_non_null(buf);
	buf[room] = 0x5a;
	char *end = cp_json_str_mem(buf, s);
	assert_true(end >= buf && (size_t)(end - buf) <= room);
	assert_int_equal((size_t)(end - buf), want_len);
	assert_memory_equal(buf, want, want_len);
	assert_int_equal(buf[room], 0x5a);
	free(buf);
	free(want);
}

static void test_mem_table(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "",
	    "a",
	    "trusted-out",
	    "\"",
	    "\\",
	    "a\"b\\c",
	    "\x01",
	    "\x1f",
	    "\n",
	    "\r\n",
	    "\x7f",
	    "~",
	    "caf\xc3\xa9",
	    "\xe2\x82\xac",
	    "/",
	    " ",
	    "default-deny",
	    "grant-expired",
	    "\x1b[31m",
	    "\"\"\"",
	    "\\\\",
	};
	check_mem_same(NULL);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("mem case %zu\n", i);
		check_mem_same(cases[i]);
	}
}

/* Every byte value alone and between letters; the worst case (all escaped) at its room. */
static void test_mem_every_byte(void **state)
{
	(void)state;
	for (int c = 1; c <= 0xff; c++) {
		char one[2] = {(char)c, '\0'}, three[4] = {'a', (char)c, 'b', '\0'};
		check_mem_same(one);
		check_mem_same(three);
	}
	char ctl[32];
	for (int c = 1; c < 0x20; c++)
		ctl[c - 1] = (char)c;
	ctl[31] = '\0';
	check_mem_same(ctl);
}

/* Long strings, across cp_json_str's chunks (256 input bytes): the same bytes either way. */
static void test_mem_long(void **state)
{
	(void)state;
	static const size_t sizes[] = {255, 256, 257, 511, 512, 513, 4096, 65537};
	for (size_t k = 0; k < ARRAY_LEN(sizes); k++) {
		size_t n = sizes[k];
		char *in = malloc(n + 1);
		assert_non_null(in);
		for (size_t i = 0; i < n; i++)
			in[i] = (char)(i % 127 + 1);
		in[n] = '\0';
		print_message("mem long string of %zu bytes\n", n);
		check_mem_same(in);
		free(in);
	}
}

/* The control replies' JSON (jansson): one line, ", " and ": ", tenths as "%.1f" writes them,
 * text and null, a grant. */
static void test_dump(void **state)
{
	(void)state;
	static const double tenths[] = {0, 0.04, 0.05, 0.25, 5, 12.34, 12.35, 99.95, 1234567.89};
	for (size_t i = 0; i < sizeof(tenths) / sizeof(tenths[0]); i++) {
		char want[96];
		size_t len = 0;
		snprintf(want, sizeof(want), "{\"swap_us\": %.1f}", tenths[i]);
		char *got =
		    cp_json_dump(json_pack("{s:o}", "swap_us", cp_json_tenths(tenths[i])), &len);
		assert_non_null(got);
		assert_string_equal(got, want);
		assert_int_equal(len, strlen(want));
		free(got);
	}
	size_t len = 0;
	char *got = cp_json_dump(json_pack("{s:o,s:o,s:b,s:[o]}", "policy", cp_json_text("a\"b"),
					   "uplink", cp_json_text(NULL), "shutoff", 1, "grants",
					   cp_json_grant("192.0.2.0/24", 5)),
				 &len);
	assert_string_equal(got, "{\"policy\": \"a\\\"b\", \"uplink\": null, \"shutoff\": true, "
				 "\"grants\": [{\"prefix\": \"192.0.2.0/24\", \"left_s\": 5}]}");
	free(got);
	assert_null(cp_json_dump(NULL, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checker_rejects),
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_null),
	    cmocka_unit_test(test_every_control),
	    cmocka_unit_test(test_every_printable),
	    cmocka_unit_test(test_high_bytes),
	    cmocka_unit_test(test_long),
	    cmocka_unit_test(test_in_object),
	    cmocka_unit_test(test_mem_table),
	    cmocka_unit_test(test_mem_every_byte),
	    cmocka_unit_test(test_mem_long),
	    cmocka_unit_test(test_dump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
