/* Unit tests of dataplane/grants: the grant list (give, renew, revoke, active, deadlines and the
 * epoch, as docs/semantics.md fixes them) and the per-slot deadline table laid over a hand-made
 * inside space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grants.h"
#include "policy_rt.h"

#define S 1000000000ull /* one second in nanoseconds */

static struct cp_prefix pfx(const char *s)
{
	struct cp_prefix p;
	char err[128];
	if (cp_prefix_parse(s, &p, err, sizeof(err)) != 0)
		fail_msg("bad test prefix \"%s\": %s", s, err);
	return p;
}

static void give(struct cp_grants *gs, const char *p, uint64_t now, uint64_t for_ns,
		 uint64_t renew_ns)
{
	struct cp_prefix x = pfx(p);
	assert_int_equal(cp_grants_give(gs, &x, now, for_ns, renew_ns), 0);
}

static unsigned renew(struct cp_grants *gs, const char *p, uint64_t now)
{
	struct cp_prefix x = pfx(p);
	return cp_grants_renew(gs, &x, now);
}

static unsigned revoke(struct cp_grants *gs, const char *p, uint64_t now)
{
	struct cp_prefix x = pfx(p);
	return cp_grants_revoke(gs, &x, now);
}

/* The grant on exactly p, or NULL. */
static const struct cp_grant *find(const struct cp_grants *gs, const char *p)
{
	struct cp_prefix x = pfx(p);
	for (unsigned i = 0; i < gs->n; i++)
		if (memcmp(&gs->g[i].pfx, &x, sizeof(x)) == 0)
			return &gs->g[i];
	return NULL;
}

static uint64_t deadline_of(const struct cp_grants *gs, const char *p)
{
	const struct cp_grant *g = find(gs, p);
	assert_non_null(g);
	return cp_grant_deadline(g);
}

/* ---- cp_grant_deadline ---- */

/* One grant given at 0, then renewed and revoked as listed: its deadline. Built through the API so
 * that the test holds whatever the struct's representation. */
struct deadline_case {
	uint64_t for_s, renew_s;
	uint64_t renew_at[3]; /* seconds, 0 = none */
	uint64_t revoke_at;   /* seconds, 0 = none */
	uint64_t want_s;
};

static const struct deadline_case deadline_cases[] = {
    {100, 0, {0}, 0, 100},	     /* for only */
    {100, 30, {0}, 0, 30},	     /* lapses first */
    {100, 30, {20}, 0, 50},	     /* renewed once */
    {100, 30, {20, 45}, 0, 75},	     /* twice */
    {100, 30, {20, 45, 74}, 0, 100}, /* the end comes first */
    {100, 30, {20, 45, 70}, 0, 100}, /* lapse and end at once */
    {100, 30, {20, 45, 69}, 0, 99},  /* the lapse, just before the end */
    {100, 0, {0}, 40, 40},	     /* revoked */
    {100, 30, {0}, 20, 20},	     /* revoked before the lapse */
    {100, 30, {10}, 35, 35},	     /* renewed, then revoked */
};

static void test_deadline(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(deadline_cases) / sizeof(deadline_cases[0]); i++) {
		const struct deadline_case *c = &deadline_cases[i];
		struct cp_grants gs;
		print_message("case %zu\n", i);
		cp_grants_init(&gs);
		give(&gs, "192.0.2.5", 0, c->for_s * S, c->renew_s * S);
		for (unsigned k = 0; k < 3 && c->renew_at[k] != 0; k++)
			assert_int_equal(renew(&gs, "192.0.2.5", c->renew_at[k] * S), 1);
		if (c->revoke_at != 0)
			assert_int_equal(revoke(&gs, "192.0.2.5", c->revoke_at * S), 1);
		assert_int_equal(deadline_of(&gs, "192.0.2.5"), c->want_s * S);
		cp_grants_free(&gs);
	}
}

/* ---- the grant list ---- */

/* A grant ends `for` after it was given: live at t while t < end. */
static void test_give_for(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	assert_int_equal(cp_grants_active(&gs, 0), 0);
	give(&gs, "192.0.2.5", 10 * S, 100 * S, 0);
	assert_int_equal(gs.n, 1);
	static const struct {
		uint64_t t;
		unsigned active;
	} at[] = {{10 * S, 1}, {50 * S, 1}, {110 * S - 1, 1}, {110 * S, 0}, {500 * S, 0}};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		assert_int_equal(cp_grants_active(&gs, at[i].t), at[i].active);
	assert_int_equal(deadline_of(&gs, "192.0.2.5"), 110 * S);
	cp_grants_free(&gs);
	assert_null(gs.g);
}

/* With renew_every the grant lapses when not renewed in time; a renewal moves the lapse, never
 * the end. */
static void test_renew_every(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	give(&gs, "175.45.177.5", 0, 3600 * S, 300 * S);
	assert_int_equal(cp_grants_active(&gs, 299 * S), 1);
	assert_int_equal(cp_grants_active(&gs, 300 * S), 0);

	assert_int_equal(renew(&gs, "175.45.177.5", 290 * S), 1);
	assert_int_equal(deadline_of(&gs, "175.45.177.5"), 590 * S);
	assert_int_equal(cp_grants_active(&gs, 589 * S), 1);
	assert_int_equal(cp_grants_active(&gs, 590 * S), 0);

	/* renewing near the end: the end stays */
	for (uint64_t t = 580; t < 3600; t += 280)
		assert_int_equal(renew(&gs, "175.45.177.5", t * S), 1);
	assert_int_equal(deadline_of(&gs, "175.45.177.5"), 3600 * S);
	assert_int_equal(renew(&gs, "175.45.177.5", 3599 * S), 1);
	assert_int_equal(deadline_of(&gs, "175.45.177.5"), 3600 * S);
	assert_int_equal(cp_grants_active(&gs, 3600 * S - 1), 1);
	assert_int_equal(cp_grants_active(&gs, 3600 * S), 0);
	cp_grants_free(&gs);
}

/* Renewing a grant that lapsed or ended does nothing. */
static void test_renew_lapsed(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	give(&gs, "175.45.177.5", 0, 3600 * S, 300 * S);
	give(&gs, "175.45.177.6", 0, 100 * S, 0);
	assert_int_equal(renew(&gs, "175.45.177.5", 300 * S), 0);
	assert_int_equal(deadline_of(&gs, "175.45.177.5"), 300 * S);
	assert_int_equal(cp_grants_active(&gs, 301 * S), 0);
	assert_int_equal(renew(&gs, "175.45.177.5", 1000 * S), 0);
	assert_int_equal(deadline_of(&gs, "175.45.177.5"), 300 * S);
	/* an ended grant without renew_every */
	assert_int_equal(renew(&gs, "175.45.177.6", 100 * S), 0);
	assert_int_equal(deadline_of(&gs, "175.45.177.6"), 100 * S);
	cp_grants_free(&gs);
}

/* renew P acts on the grants whose prefix lies within P, and only those. */
static void test_renew_within(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	give(&gs, "192.0.2.5", 0, 1000 * S, 60 * S);
	give(&gs, "192.0.2.6", 0, 1000 * S, 60 * S);
	give(&gs, "192.0.2.128/25", 0, 1000 * S, 60 * S);
	give(&gs, "198.51.100.1", 0, 1000 * S, 60 * S);
	give(&gs, "2001:db8:1000::5", 0, 1000 * S, 60 * S);
	/* a host within a granted prefix does not renew the prefix's grant */
	assert_int_equal(renew(&gs, "192.0.2.130", 10 * S), 0);
	assert_int_equal(renew(&gs, "192.0.2.0/24", 50 * S), 3);
	assert_int_equal(cp_grants_active(&gs, 70 * S), 3);
	assert_int_equal(deadline_of(&gs, "192.0.2.5"), 110 * S);
	assert_int_equal(deadline_of(&gs, "192.0.2.128/25"), 110 * S);
	assert_int_equal(deadline_of(&gs, "198.51.100.1"), 60 * S);
	assert_int_equal(deadline_of(&gs, "2001:db8:1000::5"), 60 * S);
	/* IPv6, and the other family's zero prefix does not reach it */
	assert_int_equal(renew(&gs, "0.0.0.0/0", 100 * S), 3);
	assert_int_equal(renew(&gs, "2001:db8::/32", 50 * S), 1);
	assert_int_equal(deadline_of(&gs, "2001:db8:1000::5"), 110 * S);
	cp_grants_free(&gs);
}

/* revoke P ends every live grant within P at once. */
static void test_revoke_within(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	give(&gs, "175.45.177.5", 0, 3600 * S, 0);
	give(&gs, "175.45.177.6", 0, 3600 * S, 0);
	give(&gs, "175.45.178.1", 0, 3600 * S, 0);
	give(&gs, "175.45.176.0/22", 0, 3600 * S, 0);
	/* a host within a granted prefix does not revoke the prefix's grant */
	assert_int_equal(revoke(&gs, "175.45.178.2", 10 * S), 0);
	assert_int_equal(cp_grants_active(&gs, 10 * S), 4);
	assert_int_equal(revoke(&gs, "175.45.177.0/24", 400 * S), 2);
	assert_int_equal(cp_grants_active(&gs, 400 * S - 1), 4);
	assert_int_equal(cp_grants_active(&gs, 400 * S), 2);
	assert_true(deadline_of(&gs, "175.45.177.5") <= 400 * S);
	assert_true(deadline_of(&gs, "175.45.177.6") <= 400 * S);
	assert_int_equal(deadline_of(&gs, "175.45.178.1"), 3600 * S);
	/* a revoked grant cannot be renewed, nor revoked again */
	assert_int_equal(renew(&gs, "175.45.177.5", 500 * S), 0);
	assert_int_equal(revoke(&gs, "175.45.177.5", 500 * S), 0);
	assert_true(deadline_of(&gs, "175.45.177.5") <= 400 * S);
	assert_int_equal(revoke(&gs, "0.0.0.0/0", 600 * S), 2);
	assert_int_equal(cp_grants_active(&gs, 600 * S), 0);
	cp_grants_free(&gs);
}

/* A grant given and revoked at the capture's first instant (time 0) is not live at time 0. */
static void test_revoke_at_zero(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	give(&gs, "175.45.177.5", 0, 3600 * S, 0);
	assert_int_equal(cp_grants_active(&gs, 0), 1);
	assert_int_equal(revoke(&gs, "175.45.177.5", 0), 1);
	assert_int_equal(cp_grants_active(&gs, 0), 0);
	assert_int_equal(deadline_of(&gs, "175.45.177.5"), 0);
	cp_grants_free(&gs);
}

/* The longest durations cp_duration_parse accepts, given at a wall-clock time (live mode), give a
 * grant that is live, not one whose end wrapped around into the past. */
static void test_long_durations(void **state)
{
	(void)state;
	const uint64_t now = 1700000000ull * S, longest = 18446744073ull * S;
	struct cp_grants gs;
	cp_grants_init(&gs);
	give(&gs, "192.0.2.1", now, longest, 0);
	give(&gs, "192.0.2.2", now, 3600 * S, longest);
	give(&gs, "192.0.2.3", now, longest, longest);
	assert_int_equal(cp_grants_active(&gs, now), 3);
	assert_int_equal(cp_grants_active(&gs, now + 3599 * S), 3);
	assert_int_equal(cp_grants_active(&gs, now + 3600 * S), 2);
	assert_true(deadline_of(&gs, "192.0.2.1") > now + 50ull * 365 * 86400 * S);
	assert_true(deadline_of(&gs, "192.0.2.3") > now + 50ull * 365 * 86400 * S);
	cp_grants_free(&gs);
}

/* grant P replaces the grant on exactly P (a revoked one included); other prefixes are new. */
static void test_give_replaces(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	give(&gs, "192.0.2.0/24", 0, 100 * S, 0);
	give(&gs, "192.0.2.0/24", 5 * S, 10 * S, 3 * S);
	assert_int_equal(gs.n, 1);
	assert_int_equal(deadline_of(&gs, "192.0.2.0/24"), 8 * S);
	assert_int_equal(find(&gs, "192.0.2.0/24")->end_ns, 15 * S);

	give(&gs, "192.0.2.0/25", 5 * S, 10 * S, 0);
	give(&gs, "192.0.2.1", 5 * S, 10 * S, 0);
	give(&gs, "2001:db8::/32", 5 * S, 10 * S, 0);
	assert_int_equal(gs.n, 4);

	assert_int_equal(revoke(&gs, "192.0.2.0/25", 6 * S), 2);
	assert_int_equal(cp_grants_active(&gs, 6 * S), 2);
	give(&gs, "192.0.2.0/25", 7 * S, 50 * S, 0);
	assert_int_equal(gs.n, 4);
	assert_int_equal(deadline_of(&gs, "192.0.2.0/25"), 57 * S);
	assert_int_equal(cp_grants_active(&gs, 7 * S), 3);
	cp_grants_free(&gs);
}

/* The epoch moves on give and revoke (flows are evaluated again), not on renew. */
static void test_epoch(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	uint32_t e = gs.epoch;
	give(&gs, "192.0.2.5", 0, 100 * S, 10 * S);
	assert_int_not_equal(gs.epoch, e);
	e = gs.epoch;
	give(&gs, "192.0.2.5", 1 * S, 100 * S, 10 * S);
	assert_int_not_equal(gs.epoch, e);
	e = gs.epoch;
	assert_int_equal(renew(&gs, "192.0.2.5", 2 * S), 1);
	assert_int_equal(gs.epoch, e);
	assert_int_equal(revoke(&gs, "192.0.2.5", 3 * S), 1);
	assert_int_not_equal(gs.epoch, e);
	cp_grants_free(&gs);
}

/* The table holds CP_MAX_GRANTS; when full, a new grant takes the place of the one that ended
 * longest ago, and is refused while every grant is live. */
static void test_full(void **state)
{
	(void)state;
	struct cp_grants gs;
	cp_grants_init(&gs);
	for (unsigned i = 0; i < CP_MAX_GRANTS; i++) {
		struct cp_prefix p = {.family = 4, .len = 32, .a = {10, 1, i >> 8, i & 0xff}};
		uint64_t for_ns = i == 9 ? 50 * S : i == 7 ? 60 * S : 100 * S;
		assert_int_equal(cp_grants_give(&gs, &p, 0, for_ns, 0), 0);
	}
	assert_int_equal(gs.n, CP_MAX_GRANTS);
	assert_int_equal(cp_grants_active(&gs, 0), CP_MAX_GRANTS);

	struct cp_prefix extra = pfx("10.2.0.1");
	uint32_t e = gs.epoch;
	assert_int_equal(cp_grants_give(&gs, &extra, 10 * S, 100 * S, 0), -1);
	assert_int_equal(gs.epoch, e);
	assert_null(find(&gs, "10.2.0.1"));
	/* replacing an existing prefix needs no new slot */
	give(&gs, "10.1.0.3", 10 * S, 200 * S, 0);
	assert_int_equal(gs.n, CP_MAX_GRANTS);

	/* at 70 s grants 7 and 9 have ended; 9 ended first */
	give(&gs, "10.2.0.1", 70 * S, 100 * S, 0);
	assert_int_equal(gs.n, CP_MAX_GRANTS);
	assert_null(find(&gs, "10.1.0.9"));
	assert_non_null(find(&gs, "10.1.0.7"));
	give(&gs, "10.2.0.2", 70 * S, 100 * S, 0);
	assert_null(find(&gs, "10.1.0.7"));
	assert_int_equal(cp_grants_give(&gs, &extra, 70 * S, 1, 0), 0); /* a replacement */
	struct cp_prefix more = pfx("10.2.0.3");
	assert_int_equal(cp_grants_give(&gs, &more, 70 * S, 100 * S, 0), -1);
	assert_int_equal(cp_grants_active(&gs, 70 * S), CP_MAX_GRANTS);
	cp_grants_free(&gs);
}

/* ---- the slot table ---- */

/* Inside: 192.0.2.0/24 (slots 0..255) and 198.51.100.0/25 (slots 256..383). */
static void make_pol(struct cp_rt_policy *pol, struct cp_inside4 in4[2])
{
	memset(pol, 0, sizeof(*pol));
	in4[0] = (struct cp_inside4){.net = 0xc0000200u, .mask = 0xffffff00u, .base = 0};
	in4[1] = (struct cp_inside4){.net = 0xc6336400u, .mask = 0xffffff80u, .base = 256};
	pol->in4 = in4;
	pol->n_in4 = 2;
	pol->n_hosts4 = 384;
}

#define N4 384

struct grant_spec {
	const char *pfx;
	uint64_t for_s;
};

/* Expected slot deadlines: [lo, hi] get `deadline` seconds (later rows override earlier ones). */
struct span {
	unsigned lo, hi;
	uint64_t deadline_s;
};

struct slots_case {
	const char *what;
	struct grant_spec g[4];
	struct span want[4];
};

static const struct slots_case slots_cases[] = {
    {"no grant", {{NULL, 0}}, {{0, 0, 0}}},
    {"first host", {{"192.0.2.0", 100}}, {{0, 0, 100}}},
    {"a host", {{"192.0.2.5", 100}}, {{5, 5, 100}}},
    {"last host of the first prefix", {{"192.0.2.255", 100}}, {{255, 255, 100}}},
    {"a host of the second prefix", {{"198.51.100.7", 100}}, {{263, 263, 100}}},
    {"last inside host", {{"198.51.100.127", 100}}, {{383, 383, 100}}},
    {"just outside",
     {{"198.51.100.128", 100}, {"192.0.3.0", 100}, {"192.0.1.255", 100}},
     {{0, 0, 0}}},
    {"an outside prefix", {{"203.0.113.0/24", 100}}, {{0, 0, 0}}},
    {"a prefix partly covering", {{"192.0.2.64/26", 100}}, {{64, 127, 100}}},
    {"a prefix partly covering the second", {{"198.51.100.96/27", 100}}, {{352, 383, 100}}},
    {"a prefix larger than an inside one", {{"198.51.100.0/24", 100}}, {{256, 383, 100}}},
    {"a whole inside prefix", {{"192.0.2.0/24", 100}}, {{0, 255, 100}}},
    {"covering both inside prefixes", {{"192.0.0.0/2", 100}}, {{0, N4 - 1, 100}}},
    {"everything", {{"0.0.0.0/0", 100}}, {{0, N4 - 1, 100}}},
    {"overlap, host longer",
     {{"192.0.2.0/24", 300}, {"192.0.2.5", 500}},
     {{0, 255, 300}, {5, 5, 500}}},
    {"overlap, prefix longer", {{"192.0.2.5", 500}, {"192.0.2.0/24", 700}}, {{0, 255, 700}}},
    {"overlap, three",
     {{"192.0.2.0/25", 200}, {"192.0.2.0/24", 100}, {"192.0.2.64/26", 300}},
     {{0, 255, 100}, {0, 127, 200}, {64, 127, 300}}},
};

static void check_span_table(const struct cp_grant_slots *sl, const struct span *want)
{
	uint64_t exp[N4] = {0};
	for (unsigned k = 0; k < 4 && want[k].deadline_s != 0; k++)
		for (unsigned i = want[k].lo; i <= want[k].hi; i++)
			exp[i] = 10 * S + want[k].deadline_s * S;
	for (unsigned i = 0; i < N4; i++)
		if (sl->deadline[i] != exp[i])
			fail_msg("slot %u: deadline %llu, want %llu", i,
				 (unsigned long long)sl->deadline[i], (unsigned long long)exp[i]);
}

static void test_slots(void **state)
{
	(void)state;
	struct cp_rt_policy pol;
	struct cp_inside4 in4[2];
	make_pol(&pol, in4);
	for (size_t c = 0; c < sizeof(slots_cases) / sizeof(slots_cases[0]); c++) {
		const struct slots_case *sc = &slots_cases[c];
		struct cp_grants gs;
		struct cp_grant_slots sl;
		print_message("case: %s\n", sc->what);
		cp_grants_init(&gs);
		for (unsigned k = 0; k < 4 && sc->g[k].pfx != NULL; k++)
			give(&gs, sc->g[k].pfx, 10 * S, sc->g[k].for_s * S, 0);
		assert_int_equal(cp_grant_slots_build(&gs, &pol, &sl), 0);
		assert_int_equal(sl.n4, N4);
		assert_int_equal(sl.n6, 0);
		check_span_table(&sl, sc->want);
		cp_grant_slots_free(&sl);
		assert_null(sl.deadline);
		cp_grants_free(&gs);
	}
}

/* A slot holds the grant's deadline whatever ended it: lapse, revoke. */
static void test_slots_deadlines(void **state)
{
	(void)state;
	struct cp_rt_policy pol;
	struct cp_inside4 in4[2];
	struct cp_grants gs;
	struct cp_grant_slots sl;
	make_pol(&pol, in4);
	cp_grants_init(&gs);
	give(&gs, "192.0.2.1", 0, 3600 * S, 300 * S);
	give(&gs, "192.0.2.2", 0, 3600 * S, 0);
	give(&gs, "192.0.2.3", 0, 3600 * S, 0);
	assert_int_equal(renew(&gs, "192.0.2.1", 100 * S), 1);
	assert_int_equal(revoke(&gs, "192.0.2.2", 50 * S), 1);
	assert_int_equal(cp_grant_slots_build(&gs, &pol, &sl), 0);
	assert_int_equal(sl.deadline[1], 400 * S);
	assert_int_equal(sl.deadline[2], 50 * S);
	assert_int_equal(sl.deadline[3], 3600 * S);
	assert_int_equal(sl.deadline[4], 0);
	cp_grant_slots_free(&sl);
	cp_grants_free(&gs);
}

/* IPv6 grants get one slot each after the IPv4 hosts, with their prefix. */
static void test_slots_ipv6(void **state)
{
	(void)state;
	static const char *const v6[] = {"2001:db8:1000::/48", "2001:db8:1000:5::7",
					 "2001:db8:9999::/64"};
	struct cp_rt_policy pol;
	struct cp_inside4 in4[2];
	struct cp_grants gs;
	struct cp_grant_slots sl;
	make_pol(&pol, in4);
	cp_grants_init(&gs);
	give(&gs, v6[0], 0, 100 * S, 0);
	give(&gs, "192.0.2.9", 0, 50 * S, 0);
	give(&gs, v6[1], 0, 200 * S, 0);
	give(&gs, v6[2], 0, 300 * S, 0);
	assert_int_equal(cp_grant_slots_build(&gs, &pol, &sl), 0);
	assert_int_equal(sl.n4, N4);
	assert_int_equal(sl.n6, 3);
	assert_int_equal(sl.deadline[9], 50 * S);
	for (unsigned k = 0; k < 3; k++) {
		struct cp_prefix want = pfx(v6[k]);
		bool found = false;
		for (unsigned i = 0; i < sl.n6; i++) {
			if (memcmp(&sl.pfx6[i], &want, sizeof(want)) != 0)
				continue;
			found = true;
			assert_int_equal(sl.deadline[N4 + i], (k + 1) * 100 * S);
		}
		print_message("%s\n", v6[k]);
		assert_true(found);
	}
	cp_grant_slots_free(&sl);

	/* without a policy: no IPv4 slot, the IPv6 ones from slot 0 */
	assert_int_equal(cp_grant_slots_build(&gs, NULL, &sl), 0);
	assert_int_equal(sl.n4, 0);
	assert_int_equal(sl.n6, 3);
	assert_int_equal(sl.deadline[0], 100 * S);
	cp_grant_slots_free(&sl);
	cp_grants_free(&gs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deadline),
	    cmocka_unit_test(test_give_for),
	    cmocka_unit_test(test_renew_every),
	    cmocka_unit_test(test_renew_lapsed),
	    cmocka_unit_test(test_renew_within),
	    cmocka_unit_test(test_revoke_within),
	    cmocka_unit_test(test_revoke_at_zero),
	    cmocka_unit_test(test_long_durations),
	    cmocka_unit_test(test_give_replaces),
	    cmocka_unit_test(test_epoch),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_slots),
	    cmocka_unit_test(test_slots_deadlines),
	    cmocka_unit_test(test_slots_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
