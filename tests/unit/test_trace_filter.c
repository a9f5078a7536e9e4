/* Unit tests of common/trace_filter: verdict and reason names to bit sets, table-driven, with
 * the names refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reasons.h"
#include "trace_filter.h"

#define BIT(r) (1ull << (r))
#define MALFORMED                                                                                  \
	(BIT(CP_R_MAL_ETH) | BIT(CP_R_MAL_VLAN) | BIT(CP_R_MAL_ARP) | BIT(CP_R_MAL_IPV4_HDR) |     \
	 BIT(CP_R_MAL_IPV4_LEN) | BIT(CP_R_MAL_IPV4_OPT) | BIT(CP_R_MAL_IPV6_HDR) |                \
	 BIT(CP_R_MAL_IPV6_LEN) | BIT(CP_R_MAL_IPV6_EXT) | BIT(CP_R_MAL_FRAG) |                    \
	 BIT(CP_R_MAL_TCP) | BIT(CP_R_MAL_TCP_FLAGS) | BIT(CP_R_MAL_UDP) | BIT(CP_R_MAL_ICMP))
#define ALL_REASONS ((1ull << CP_R_MAX) - 1)

struct tcase {
	const char *verdict, *reason;
	int rc;
	uint8_t verdicts;
	uint64_t reasons;
	const char *err; /* rc -1: in the message */
};

static const struct tcase cases[] = {
    {NULL, NULL, 0, 0x7, ALL_REASONS, NULL},
    {"", "", 0, 0x7, ALL_REASONS, NULL},
    {"pass", NULL, 0, 0x1, ALL_REASONS, NULL},
    {"drop", NULL, 0, 0x2, ALL_REASONS, NULL},
    {"reject", "", 0, 0x4, ALL_REASONS, NULL},
    {NULL, "default-deny", 0, 0x7, BIT(CP_R_DEFAULT_DENY), NULL},
    {"drop", "shutoff", 0, 0x2, BIT(CP_R_SHUTOFF), NULL},
    {NULL, "malformed", 0, 0x7, MALFORMED, NULL},
    {NULL, "malformed-tcp", 0, 0x7, BIT(CP_R_MAL_TCP), NULL},
    {NULL, "inspect-busy", 0, 0x7, BIT(CP_R_INSPECT_BUSY), NULL},
    {NULL, "rule", 0, 0x7, BIT(CP_R_RULE), NULL},
    {"PASS", NULL, -1, 0, 0, "unknown verdict \"PASS\""},
    {"passed", NULL, -1, 0, 0, "unknown verdict"},
    {"throttle", NULL, -1, 0, 0, "(pass, drop or reject)"},
    {NULL, "default", -1, 0, 0, "unknown reason \"default\""},
    {NULL, "Malformed", -1, 0, 0, "unknown reason"},
    {"pass", "nope", -1, 0, 0, "unknown reason \"nope\""},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		uint8_t v = 0;
		uint64_t r = 0;
		char err[256] = "";
		int rc = cp_trace_filter_parse(c->verdict, c->reason, &v, &r, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("case %zu (%s, %s): rc %d, want %d (%s)", i, c->verdict, c->reason,
				 rc, c->rc, err);
		if (rc == 0) {
			assert_int_equal(v, c->verdicts);
			if (r != c->reasons)
				fail_msg("case %zu: reasons %#llx, want %#llx", i,
					 (unsigned long long)r, (unsigned long long)c->reasons);
		} else if (strstr(err, c->err) == NULL) {
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, c->err);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
