/* Unit tests of common/duration: the duration forms operators write, and the ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "duration.h"

static void test_good(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t seconds;
	} cases[] = {
	    {"90", 90},
	    {"90s", 90},
	    {"5m", 300},
	    {"1h", 3600},
	    {"2d", 172800},
	    {"0", 0},
	    {"0s", 0},
	    {"007", 7},
	    {"3600", 3600},
	    {"300s", 300},
	    {"24h", 86400},
	    {"18446744073", 18446744073ull}, /* the largest that still fits in nanoseconds */
	    {"213503d", 213503ull * 86400},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t s = 12345;
		print_message("duration \"%s\"\n", cases[i].text);
		assert_int_equal(cp_duration_parse(cases[i].text, &s), 0);
		assert_int_equal(s, cases[i].seconds);
	}
}

static void test_bad(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "",
	    "m",
	    "s",
	    "5x",
	    "-1",
	    "+1",
	    "5mm",
	    "5ms",
	    "5 m",
	    " 5",
	    "5 ",
	    "5M",
	    "1.5h",
	    "1e3",
	    "0x10",
	    "5m5",
	    "1h30m",
	    "18446744074",	    /* more than UINT64_MAX nanoseconds */
	    "213504d",		    /* likewise, through the unit */
	    "18446744073709551615", /* UINT64_MAX seconds */
	    "18446744073709551616", /* UINT64_MAX + 1 */
	    "99999999999999999999999999999999",
	    "307445734561825861m", /* overflows the multiplication itself */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t s = 0;
		print_message("duration \"%s\"\n", cases[i]);
		assert_int_equal(cp_duration_parse(cases[i], &s), -1);
	}
}

static void test_null(void **state)
{
	(void)state;
	uint64_t s = 0;
	assert_int_equal(cp_duration_parse(NULL, &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
