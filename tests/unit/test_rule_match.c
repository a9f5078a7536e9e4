/* Unit tests of dataplane/rule_match: the per-field candidate bitmaps give exactly the rules whose
 * protocol and port lists allow a flow, for hand-made edge cases and against a rule-by-rule check
 * over random policies; a field too large to index falls back to "every rule". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_match.h"

static bool ports_allow(const struct cp_port_list *l, uint16_t port)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->r[i].lo <= port && port <= l->r[i].hi)
			return true;
	return l->n == 0;
}

/* What the bitmaps must say for rule r: the rule-by-rule check they replace. */
static bool brute(const struct cp_rule *r, uint8_t proto, uint16_t ip, uint16_t rp)
{
	return (r->proto == CP_PROTO_ANY || r->proto == proto) && ports_allow(&r->sport, ip) &&
	       ports_allow(&r->dport, rp);
}

static bool cand(const struct cp_rule_match *rm, unsigned r, uint8_t proto, uint16_t ip,
		 uint16_t rp)
{
	struct cp_rule_cand c = cp_rule_match_cand(rm, proto, ip, rp);
	unsigned w = r / 64;
	uint64_t b = 1ull << (r % 64);
	return (c.proto[w] & c.sport[w] & c.dport[w] & b) != 0;
}

static void check_all(const struct cp_rule *rules, unsigned n, const struct cp_rule_match *rm,
		      uint8_t proto, uint16_t ip, uint16_t rp)
{
	for (unsigned r = 0; r < n; r++)
		if (cand(rm, r, proto, ip, rp) != brute(&rules[r], proto, ip, rp))
			fail_msg("rule %u proto %u ports %u -> %u: bitmap %d, rule says %d", r,
				 proto, ip, rp, cand(rm, r, proto, ip, rp),
				 brute(&rules[r], proto, ip, rp));
}

static struct cp_port_range r_any[1], r_80[1] = {{80, 80}}, r_low[1] = {{0, 1023}},
				      r_top[1] = {{65000, 65535}},
				      r_two[2] = {{53, 53}, {443, 444}};

/* Edge cases: ranges at 0 and 65535, adjacent and overlapping ranges, any protocol. */
static void test_edges(void **state)
{
	(void)state;
	(void)r_any;
	struct cp_rule rules[] = {
	    {.proto = 6, .dport = {r_80, 1}},
	    {.proto = CP_PROTO_ANY, .sport = {r_low, 1}},
	    {.proto = 17, .dport = {r_two, 2}},
	    {.proto = 1},
	    {.proto = CP_PROTO_ANY, .sport = {r_top, 1}, .dport = {r_top, 1}},
	    {.proto = CP_PROTO_ANY},
	};
	unsigned n = sizeof(rules) / sizeof(rules[0]);
	struct cp_rule_match rm;
	assert_int_equal(cp_rule_match_build(&rm, rules, n, 1), 0);
	static const uint16_t ports[] = {0,   1,   52,	53,   54,   79,	   80,	  81,	442,
					 443, 444, 445, 1023, 1024, 64999, 65000, 65535};
	static const uint8_t protos[] = {0, 1, 6, 17, 58, 255};
	for (unsigned a = 0; a < sizeof(protos); a++)
		for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
			for (unsigned j = 0; j < sizeof(ports) / sizeof(ports[0]); j++)
				check_all(rules, n, &rm, protos[a], ports[i], ports[j]);
	assert_true(rm.sport.exact && rm.dport.exact);
	assert_true(cp_rule_match_bytes(&rm) > 0);
	cp_rule_match_free(&rm);
}

/* Random policies of up to 300 rules (several words), checked at random flows and at every
 * range boundary. */
static void test_random(void **state)
{
	(void)state;
	srand(7);
	for (unsigned round = 0; round < 20; round++) {
		unsigned n = 1 + (unsigned)rand() % 300, nw = (n + 63) / 64;
		struct cp_rule *rules = calloc(n, sizeof(*rules));
		struct cp_port_range *pool = calloc(n * 6, sizeof(*pool));
		unsigned used = 0;
		assert_non_null(rules);
		assert_non_null(pool);
		for (unsigned r = 0; r < n; r++) {
			static const int protos[] = {CP_PROTO_ANY, 6, 17, 1, 58, 47};
			rules[r].proto = protos[rand() % 6];
			for (int f = 0; f < 2; f++) {
				struct cp_port_list *l = f ? &rules[r].dport : &rules[r].sport;
				l->n = (unsigned)rand() % 4;
				l->r = &pool[used];
				for (unsigned i = 0; i < l->n; i++) {
					uint16_t lo =
					    (uint16_t)(rand() % 2 ? rand() % 1100 : rand());
					uint16_t len = (uint16_t)(rand() % 3 ? 0 : rand() % 3000);
					pool[used].lo = lo;
					pool[used].hi =
					    lo > 65535 - len ? 65535 : (uint16_t)(lo + len);
					used++;
				}
			}
		}
		struct cp_rule_match rm;
		assert_int_equal(cp_rule_match_build(&rm, rules, n, nw), 0);
		for (unsigned k = 0; k < 2000; k++)
			check_all(rules, n, &rm, (uint8_t)(rand() % 2 ? 6 : rand()),
				  (uint16_t)rand(), (uint16_t)(rand() % 1200));
		for (unsigned i = 0; i < used; i++) {
			uint16_t b[4] = {pool[i].lo, pool[i].hi, (uint16_t)(pool[i].lo - 1),
					 (uint16_t)(pool[i].hi + 1)};
			for (unsigned x = 0; x < 4; x++)
				check_all(rules, n, &rm, 6, b[x], b[3 - x]);
		}
		cp_rule_match_free(&rm);
		free(pool);
		free(rules);
	}
}

/* A port field whose bitmaps would be too large is left unindexed: every rule stays a candidate
 * for it, and exact says so (the worker then checks that field rule by rule). */
static void test_too_large(void **state)
{
	(void)state;
	unsigned n = 20000, nw = (n + 63) / 64; /* 20k classes x 313 words x 8 B = 50 MB... */
	struct cp_rule *rules = calloc(n, sizeof(*rules));
	struct cp_port_range *pool = calloc(n, sizeof(*pool));
	assert_non_null(rules);
	assert_non_null(pool);
	for (unsigned r = 0; r < n; r++) {
		pool[r].lo = pool[r].hi =
		    (uint16_t)(r * 3); /* ... 40k classes: 100 MB, too large */
		rules[r].proto = CP_PROTO_ANY;
		rules[r].dport = (struct cp_port_list){&pool[r], 1};
	}
	struct cp_rule_match rm;
	assert_int_equal(cp_rule_match_build(&rm, rules, n, nw), 0);
	assert_false(rm.dport.exact);
	assert_true(rm.sport.exact);
	assert_int_equal(rm.dport.n, 1);
	for (unsigned r = 0; r < n; r += 997)
		assert_true(cand(&rm, r, 6, 1, 12345));
	cp_rule_match_free(&rm);
	free(pool);
	free(rules);
}

/* No rules at all: nothing is a candidate. */
static void test_empty(void **state)
{
	(void)state;
	struct cp_rule_match rm;
	assert_int_equal(cp_rule_match_build(&rm, NULL, 0, 0), 0);
	struct cp_rule_cand c = cp_rule_match_cand(&rm, 6, 1, 2);
	assert_int_equal(c.proto[0] & c.sport[0] & c.dport[0], 0);
	cp_rule_match_free(&rm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
