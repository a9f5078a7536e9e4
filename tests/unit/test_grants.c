/* Unit tests of dataplane/grants: the grant list (give, renew, revoke, active, deadlines and the
 * epoch, as docs/semantics.md fixes them) and the two slot layouts laid over hand-made inside
 * spaces: the direct table and the intervals, case by case, against a direct reading of the
 * semantics over random grants, and against each other. */
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
#include "view.h"

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

/* ---- the slot layouts ---- */

/* A hand-made inside space, as policy_rt keeps it (prefixes sorted, none within another), laid
 * out directly or as intervals. */
#define MAX_IN4 256
#define MAX_IN6 8

struct inside {
	struct cp_rt_policy pol;
	struct cp_inside4 in4[MAX_IN4];
	struct cp_prefix in6[MAX_IN6];
};

static void inside_from(struct inside *in, const struct cp_prefix *p, unsigned n, bool direct)
{
	memset(in, 0, sizeof(*in));
	in->pol.in4 = in->in4;
	in->pol.in6 = in->in6;
	for (unsigned i = 0; i < n; i++) {
		if (p[i].family == 6) {
			assert_true(in->pol.n_in6 < MAX_IN6);
			in->in6[in->pol.n_in6++] = p[i];
			continue;
		}
		assert_true(in->pol.n_in4 < MAX_IN4);
		struct cp_inside4 *x = &in->in4[in->pol.n_in4++];
		x->mask = p[i].len == 0 ? 0 : ~0u << (32 - p[i].len);
		x->net = (uint32_t)p[i].a[0] << 24 | (uint32_t)p[i].a[1] << 16 |
			 (uint32_t)p[i].a[2] << 8 | p[i].a[3];
		x->base = (uint32_t)in->pol.n_hosts4;
		in->pol.n_hosts4 += (uint64_t)1 << (32 - p[i].len);
	}
	in->pol.direct4 = direct;
}

/* The same from strings (at most 8, NULL-terminated). */
static void inside_make(struct inside *in, const char *const *s, bool direct)
{
	struct cp_prefix p[8];
	unsigned n = 0;
	while (n < 8 && s[n] != NULL) {
		p[n] = pfx(s[n]);
		n++;
	}
	inside_from(in, p, n, direct);
}

static void build(const struct cp_grants *gs, const struct inside *in, struct cp_grant_slots *sl)
{
	char err[128] = "";
	if (cp_grant_slots_build(gs, &in->pol, sl, err, sizeof(err)) != 0)
		fail_msg("cp_grant_slots_build: %s", err);
}

/* An address (family fam, its value x: IPv4 in the low 32 bits) as 16 bytes, network order. */
static void addr_bytes(uint8_t fam, cp_u128 x, uint8_t a[16])
{
	unsigned n = fam == 4 ? 4 : 16;
	memset(a, 0, 16);
	for (unsigned i = 0; i < n; i++)
		a[i] = (uint8_t)(x >> (8 * (n - 1 - i)));
}

static cp_u128 addr_value(const char *s, uint8_t *fam)
{
	struct cp_prefix p = pfx(s);
	cp_u128 x = 0;
	for (unsigned i = 0; i < (p.family == 4 ? 4u : 16u); i++)
		x = x << 8 | p.a[i];
	*fam = p.family;
	return x;
}

static const char *addr_str(uint8_t fam, const uint8_t *a, char *buf)
{
	struct cp_prefix p = {.family = fam, .len = fam == 4 ? 32 : 128};
	memcpy(p.a, a, fam == 4 ? 4 : 16);
	return cp_prefix_format(&p, buf, CP_PREFIX_STRLEN);
}

static bool inside_has(const struct inside *in, uint8_t fam, const uint8_t *a)
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	for (unsigned i = 0; fam == 4 && i < in->pol.n_in4; i++)
		if ((x & in->in4[i].mask) == in->in4[i].net)
			return true;
	for (unsigned i = 0; fam == 6 && i < in->pol.n_in6; i++)
		if (cp_prefix_match(&in->in6[i], 6, a))
			return true;
	return false;
}

/* docs/semantics.md, read directly: an inside address's deadline is the latest among the grants
 * whose prefix contains it; 0 when none does (covered false) or it is not inside. */
static uint64_t model(const struct cp_grants *gs, const struct inside *in, uint8_t fam,
		      const uint8_t *a, bool *covered)
{
	uint64_t d = 0;
	*covered = false;
	if (!inside_has(in, fam, a))
		return 0;
	for (unsigned i = 0; i < gs->n; i++)
		if (cp_prefix_match(&gs->g[i].pfx, fam, a)) {
			uint64_t x = cp_grant_deadline(&gs->g[i]);
			*covered = true;
			d = x > d ? x : d;
		}
	return d;
}

/* The slot the workers find for a (through cp_view_grant_slot, as worker.c calls it). */
static uint32_t slot_of(const struct cp_grant_slots *sl, const struct inside *in, uint8_t fam,
			const uint8_t *a)
{
	struct cp_view v = {.pol = &in->pol, .gr = *sl};
	uint32_t s = cp_view_grant_slot(&v, fam, a);
	assert_true(s == CP_NO_SLOT || s < sl->n4 + sl->n_iv4 + sl->n_iv6);
	return s;
}

/* The workers' answer for a agrees with the model: the same deadline; in the interval layout a
 * slot exactly where a grant covers a, in the direct one exactly where a is inside. */
static void check_addr(const struct cp_grants *gs, const struct inside *in,
		       const struct cp_grant_slots *sl, uint8_t fam, const uint8_t *a)
{
	bool covered;
	uint64_t want = model(gs, in, fam, a, &covered);
	uint32_t s = slot_of(sl, in, fam, a);
	uint64_t got = s == CP_NO_SLOT ? 0 : sl->deadline[s];
	bool has = fam == 4 && in->pol.direct4 ? inside_has(in, fam, a) : covered;
	char b[CP_PREFIX_STRLEN];
	if (got != want || (s != CP_NO_SLOT) != has)
		fail_msg("%s: slot %u deadline %llu, want deadline %llu (%s slot)",
			 addr_str(fam, a, b), s, (unsigned long long)got, (unsigned long long)want,
			 has ? "a" : "no");
}

static void check_value(const struct cp_grants *gs, const struct inside *in,
			const struct cp_grant_slots *sl, uint8_t fam, cp_u128 x)
{
	uint8_t a[16];
	addr_bytes(fam, x, a);
	check_addr(gs, in, sl, fam, a);
}

#define U128_MAX (~(cp_u128)0)

/* Around one boundary pair: lo - 1, lo, hi, hi + 1 (within the family's space). */
static void check_around(const struct cp_grants *gs, const struct inside *in,
			 const struct cp_grant_slots *sl, uint8_t fam, cp_u128 lo, cp_u128 hi)
{
	cp_u128 top = fam == 4 ? 0xffffffffu : U128_MAX;
	if (lo > 0)
		check_value(gs, in, sl, fam, lo - 1);
	check_value(gs, in, sl, fam, lo);
	check_value(gs, in, sl, fam, hi);
	if (hi < top)
		check_value(gs, in, sl, fam, hi + 1);
}

/* The intervals are sorted and disjoint; then every boundary of every interval and of every
 * inside prefix, either side, agrees with the model. */
static void check_layout(const struct cp_grants *gs, const struct inside *in,
			 const struct cp_grant_slots *sl)
{
	for (uint32_t i = 0; i < sl->n_iv4; i++) {
		assert_true(sl->lo4[i] <= sl->hi4[i]);
		assert_true(i == 0 || sl->hi4[i - 1] < sl->lo4[i]);
		check_around(gs, in, sl, 4, sl->lo4[i], sl->hi4[i]);
	}
	for (uint32_t i = 0; i < sl->n_iv6; i++) {
		assert_true(sl->lo6[i] <= sl->hi6[i]);
		assert_true(i == 0 || sl->hi6[i - 1] < sl->lo6[i]);
		check_around(gs, in, sl, 6, sl->lo6[i], sl->hi6[i]);
	}
	for (unsigned i = 0; i < in->pol.n_in4; i++)
		check_around(gs, in, sl, 4, in->in4[i].net, in->in4[i].net | ~in->in4[i].mask);
	for (unsigned i = 0; i < in->pol.n_in6; i++) {
		uint8_t fam;
		char b[CP_PREFIX_STRLEN];
		cp_u128 lo = addr_value(cp_prefix_format(&in->in6[i], b, sizeof(b)), &fam);
		cp_u128 host =
		    in->in6[i].len == 0 ? U128_MAX : ((cp_u128)1 << (128 - in->in6[i].len)) - 1;
		(void)fam;
		check_around(gs, in, sl, 6, lo & ~host, lo | host);
	}
}

/* Inside: 192.0.2.0/24 (slots 0..255) and 198.51.100.0/25 (slots 256..383). */
static const char *const small_inside[] = {"192.0.2.0/24", "198.51.100.0/25", NULL};

#define N4 384

/* Host i of the small inside, as an address. */
static void small_host(unsigned i, uint8_t a[16])
{
	addr_bytes(4, i < 256 ? 0xc0000200u + i : 0xc6336400u + (i - 256), a);
}

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

static void expected_spans(const struct span *want, uint64_t exp[N4])
{
	memset(exp, 0, N4 * sizeof(*exp));
	for (unsigned k = 0; k < 4 && want[k].deadline_s != 0; k++)
		for (unsigned i = want[k].lo; i <= want[k].hi; i++)
			exp[i] = 10 * S + want[k].deadline_s * S;
}

/* The direct table: host i's deadline at slot i. */
static void check_span_table(const struct cp_grant_slots *sl, const uint64_t *exp)
{
	for (unsigned i = 0; i < N4; i++)
		if (sl->deadline[i] != exp[i])
			fail_msg("slot %u: deadline %llu, want %llu", i,
				 (unsigned long long)sl->deadline[i], (unsigned long long)exp[i]);
}

/* The intervals: host i's deadline through its slot, none outside the inside. */
static void check_span_intervals(const struct cp_grant_slots *sl, const struct inside *in,
				 const uint64_t *exp)
{
	static const char *const outside[] = {"192.0.1.255", "192.0.3.0", "198.51.99.255",
					      "198.51.100.128", "203.0.113.1"};
	for (unsigned i = 0; i < N4; i++) {
		uint8_t a[16];
		small_host(i, a);
		uint32_t s = slot_of(sl, in, 4, a);
		uint64_t got = s == CP_NO_SLOT ? 0 : sl->deadline[s];
		if (got != exp[i])
			fail_msg("host %u: slot %u deadline %llu, want %llu", i, s,
				 (unsigned long long)got, (unsigned long long)exp[i]);
	}
	for (size_t k = 0; k < sizeof(outside) / sizeof(outside[0]); k++) {
		struct cp_prefix o = pfx(outside[k]);
		assert_int_equal(slot_of(sl, in, 4, o.a), CP_NO_SLOT);
	}
}

/* Each case in both layouts over the same small inside: the same deadline for every host. */
static void test_slots(void **state)
{
	(void)state;
	struct inside direct, iv;
	inside_make(&direct, small_inside, true);
	inside_make(&iv, small_inside, false);
	for (size_t c = 0; c < sizeof(slots_cases) / sizeof(slots_cases[0]); c++) {
		const struct slots_case *sc = &slots_cases[c];
		struct cp_grants gs;
		struct cp_grant_slots sl;
		uint64_t exp[N4];
		print_message("case: %s\n", sc->what);
		expected_spans(sc->want, exp);
		cp_grants_init(&gs);
		for (unsigned k = 0; k < 4 && sc->g[k].pfx != NULL; k++)
			give(&gs, sc->g[k].pfx, 10 * S, sc->g[k].for_s * S, 0);
		build(&gs, &direct, &sl);
		assert_int_equal(sl.n4, N4);
		assert_int_equal(sl.n_iv4, 0);
		assert_int_equal(sl.n_iv6, 0);
		check_span_table(&sl, exp);
		cp_grant_slots_free(&sl);
		assert_null(sl.deadline);
		build(&gs, &iv, &sl);
		assert_int_equal(sl.n4, 0);
		check_span_intervals(&sl, &iv, exp);
		check_layout(&gs, &iv, &sl);
		cp_grant_slots_free(&sl);
		cp_grants_free(&gs);
	}
}

/* A slot holds the grant's deadline whatever ended it: lapse, revoke. */
static void test_slots_deadlines(void **state)
{
	(void)state;
	struct inside in;
	struct cp_grants gs;
	struct cp_grant_slots sl;
	inside_make(&in, small_inside, true);
	cp_grants_init(&gs);
	give(&gs, "192.0.2.1", 0, 3600 * S, 300 * S);
	give(&gs, "192.0.2.2", 0, 3600 * S, 0);
	give(&gs, "192.0.2.3", 0, 3600 * S, 0);
	assert_int_equal(renew(&gs, "192.0.2.1", 100 * S), 1);
	assert_int_equal(revoke(&gs, "192.0.2.2", 50 * S), 1);
	build(&gs, &in, &sl);
	assert_int_equal(sl.deadline[1], 400 * S);
	assert_int_equal(sl.deadline[2], 50 * S);
	assert_int_equal(sl.deadline[3], 3600 * S);
	assert_int_equal(sl.deadline[4], 0);
	cp_grant_slots_free(&sl);
	cp_grants_free(&gs);
}

/* ---- the interval layout, case by case ---- */

struct iv_grant {
	const char *pfx;
	uint64_t for_s;	   /* given at 10 s */
	uint64_t revoke_s; /* 0: not revoked */
};

struct iv_want {
	const char *lo, *hi;
	uint64_t deadline_s;
};

struct iv_case {
	const char *what;
	const char *inside[4];
	struct iv_grant g[5];
	struct iv_want want[8]; /* IPv4 intervals, then IPv6 ones, in address order */
};

static const struct iv_case iv_cases[] = {
    {"no grant", {"10.0.0.0/8", "2001:db8:1000::/48"}, {{NULL}}, {{NULL}}},
    {"a host", {"10.0.0.0/8"}, {{"10.1.2.3", 100, 0}}, {{"10.1.2.3", "10.1.2.3", 110}}},
    {"nested, the inner ones later",
     {"10.0.0.0/8"},
     {{"10.1.0.0/16", 100, 0}, {"10.1.2.0/24", 300, 0}, {"10.1.2.3", 200, 0}},
     {{"10.1.0.0", "10.1.1.255", 110},
      {"10.1.2.0", "10.1.2.2", 310},
      {"10.1.2.3", "10.1.2.3", 310},
      {"10.1.2.4", "10.1.2.255", 310},
      {"10.1.3.0", "10.1.255.255", 110}}},
    {"nested, the outer one later",
     {"10.0.0.0/8"},
     {{"10.1.2.3", 100, 0}, {"10.1.0.0/16", 500, 0}},
     {{"10.1.0.0", "10.1.2.2", 510},
      {"10.1.2.3", "10.1.2.3", 510},
      {"10.1.2.4", "10.1.255.255", 510}}},
    {"siblings within one grant",
     {"10.0.0.0/8"},
     {{"10.0.0.0/16", 100, 0}, {"10.0.1.0/24", 200, 0}, {"10.0.3.0/24", 300, 0}},
     {{"10.0.0.0", "10.0.0.255", 110},
      {"10.0.1.0", "10.0.1.255", 210},
      {"10.0.2.0", "10.0.2.255", 110},
      {"10.0.3.0", "10.0.3.255", 310},
      {"10.0.4.0", "10.0.255.255", 110}}},
    /* equal deadlines stay apart: boundaries never depend on times */
    {"adjacent",
     {"10.0.0.0/8"},
     {{"10.0.0.128/25", 100, 0}, {"10.0.0.0/25", 100, 0}},
     {{"10.0.0.0", "10.0.0.127", 110}, {"10.0.0.128", "10.0.0.255", 110}}},
    {"the same block from two grants",
     {"10.0.0.0/8"},
     {{"10.0.0.0/8", 100, 0}, {"0.0.0.0/0", 300, 0}},
     {{"10.0.0.0", "10.255.255.255", 310}}},
    {"partly inside",
     {"10.0.0.0/8", "11.0.0.0/16"},
     {{"8.0.0.0/6", 100, 0}},
     {{"10.0.0.0", "10.255.255.255", 110}, {"11.0.0.0", "11.0.255.255", 110}}},
    {"a grant larger than the inside prefix",
     {"10.0.0.0/8", "11.0.0.0/16"},
     {{"11.0.0.0/8", 100, 0}},
     {{"11.0.0.0", "11.0.255.255", 110}}},
    {"outside only",
     {"10.0.0.0/8", "11.0.0.0/16"},
     {{"12.0.0.0/8", 100, 0}, {"9.255.255.255", 100, 0}, {"11.1.0.0/16", 100, 0}},
     {{NULL}}},
    {"everything, both families",
     {"10.0.0.0/8", "11.0.0.0/16", "2001:db8:1000::/48"},
     {{"0.0.0.0/0", 100, 0}, {"::/0", 200, 0}},
     {{"10.0.0.0", "10.255.255.255", 110},
      {"11.0.0.0", "11.0.255.255", 110},
      {"2001:db8:1000::", "2001:db8:1000:ffff:ffff:ffff:ffff:ffff", 210}}},
    {"the top of the IPv4 space",
     {"10.0.0.0/8", "255.255.0.0/16"},
     {{"255.0.0.0/8", 100, 0}, {"255.255.255.255", 200, 0}},
     {{"255.255.0.0", "255.255.255.254", 110}, {"255.255.255.255", "255.255.255.255", 210}}},
    {"revoked and lapsed ones keep their deadline",
     {"10.0.0.0/8"},
     {{"10.0.0.1", 100, 50}, {"10.0.0.2", 5, 0}, {"10.0.0.0/30", 20, 0}, {"10.0.0.9", 100, 10}},
     {{"10.0.0.0", "10.0.0.0", 30},
      {"10.0.0.1", "10.0.0.1", 50},
      {"10.0.0.2", "10.0.0.2", 30},
      {"10.0.0.3", "10.0.0.3", 30},
      {"10.0.0.9", "10.0.0.9", 10}}},
    {"IPv6: a covering grant and a host",
     {"2001:db8:1000::/48", "2001:db8:2000::/36"},
     {{"2001:db8::/32", 100, 0}, {"2001:db8:1000::5", 300, 0}, {"2001:db8:9999::/64", 400, 0}},
     {{"2001:db8:1000::", "2001:db8:1000::4", 110},
      {"2001:db8:1000::5", "2001:db8:1000::5", 310},
      {"2001:db8:1000::6", "2001:db8:1000:ffff:ffff:ffff:ffff:ffff", 110},
      {"2001:db8:2000::", "2001:db8:2fff:ffff:ffff:ffff:ffff:ffff", 110}}},
    {"IPv6: the top of the space",
     {"2001:db8:1000::/48", "ffff::/16"},
     {{"::/0", 100, 0}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 200, 0}},
     {{"2001:db8:1000::", "2001:db8:1000:ffff:ffff:ffff:ffff:ffff", 110},
      {"ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 110},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 210}}},
};

static void give_iv(struct cp_grants *gs, const struct iv_grant *g)
{
	give(gs, g->pfx, 10 * S, g->for_s * S, 0);
	if (g->revoke_s != 0)
		assert_int_equal(revoke(gs, g->pfx, g->revoke_s * S), 1);
}

/* Interval k of the layout (IPv4 ones first): its family, bounds and deadline. */
static uint8_t interval(const struct cp_grant_slots *sl, uint32_t k, cp_u128 *lo, cp_u128 *hi)
{
	if (k < sl->n_iv4) {
		*lo = sl->lo4[k];
		*hi = sl->hi4[k];
		return 4;
	}
	*lo = sl->lo6[k - sl->n_iv4];
	*hi = sl->hi6[k - sl->n_iv4];
	return 6;
}

/* Exactly the wanted intervals, each found at both ends by its own slot. */
static void check_want(const struct cp_grant_slots *sl, const struct inside *in,
		       const struct iv_want *want)
{
	uint32_t n = 0;
	while (n < 8 && want[n].lo != NULL)
		n++;
	assert_int_equal(sl->n_iv4 + sl->n_iv6, n);
	for (uint32_t k = 0; k < n; k++) {
		uint8_t fam, f2, a[16];
		cp_u128 lo, hi;
		uint8_t got = interval(sl, k, &lo, &hi);
		print_message("  [%s, %s] %llu s\n", want[k].lo, want[k].hi,
			      (unsigned long long)want[k].deadline_s);
		assert_true(addr_value(want[k].lo, &fam) == lo);
		assert_true(addr_value(want[k].hi, &f2) == hi);
		assert_int_equal(got, fam);
		assert_int_equal(sl->deadline[sl->n4 + k], want[k].deadline_s * S);
		addr_bytes(fam, lo, a);
		assert_int_equal(slot_of(sl, in, fam, a), sl->n4 + k);
		addr_bytes(fam, hi, a);
		assert_int_equal(slot_of(sl, in, fam, a), sl->n4 + k);
	}
}

static void test_intervals(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(iv_cases) / sizeof(iv_cases[0]); c++) {
		const struct iv_case *ic = &iv_cases[c];
		struct inside in;
		struct cp_grants gs;
		struct cp_grant_slots sl;
		print_message("case: %s\n", ic->what);
		inside_make(&in, ic->inside, false);
		cp_grants_init(&gs);
		for (unsigned k = 0; k < 5 && ic->g[k].pfx != NULL; k++)
			give_iv(&gs, &ic->g[k]);
		build(&gs, &in, &sl);
		assert_int_equal(sl.n4, 0);
		check_want(&sl, &in, ic->want);
		check_layout(&gs, &in, &sl);
		cp_grant_slots_free(&sl);
		cp_grants_free(&gs);
	}
}

/* ---- random grants against the model ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* An address near the inside: within a random inside prefix (3 in 4), else anywhere. */
static cp_u128 random_addr(const struct inside *in, uint8_t fam)
{
	cp_u128 x = (cp_u128)rnd() << 64 | rnd();
	if (fam == 4) {
		const struct cp_inside4 *p = &in->in4[rnd() % in->pol.n_in4];
		return rnd() % 4 ? p->net | ((uint32_t)x & ~p->mask) : (uint32_t)x;
	}
	const struct cp_prefix *p = &in->in6[rnd() % in->pol.n_in6];
	cp_u128 net = 0;
	for (unsigned i = 0; i < 16; i++)
		net = net << 8 | p->a[i];
	cp_u128 host = p->len == 0 ? U128_MAX : ((cp_u128)1 << (128 - p->len)) - 1;
	return rnd() % 4 ? (net & ~host) | (x & host) : x;
}

/* A random grant near the inside, given at 0..999 s for 1..1000 s; some renewed every so
 * often, some renewed later, some revoked. */
static void random_grant(struct cp_grants *gs, const struct inside *in, uint8_t fam)
{
	unsigned bits = fam == 4 ? 32 : 128;
	struct cp_prefix p = {.family = fam};
	unsigned lens4[] = {0, 6, 8, 12, 15, 16, 17, 20, 24, 28, 31, 32, 32, 32};
	unsigned lens6[] = {0, 16, 32, 36, 40, 47, 48, 49, 64, 96, 127, 128, 128, 128};
	p.len = (uint8_t)(fam == 4 ? lens4[rnd() % 14] : lens6[rnd() % 14]);
	cp_u128 x = random_addr(in, fam);
	cp_u128 host = bits - p.len >= 128 ? U128_MAX : ((cp_u128)1 << (bits - p.len)) - 1;
	addr_bytes(fam, x & ~host, p.a);
	uint64_t at = rnd() % 1000 * S, renew_every = rnd() % 3 == 0 ? (1 + rnd() % 100) * S : 0;
	assert_int_equal(cp_grants_give(gs, &p, at, (1 + rnd() % 1000) * S, renew_every), 0);
	if (rnd() % 5 == 0)
		cp_grants_renew(gs, &p, at + rnd() % 200 * S);
	if (rnd() % 5 == 0)
		cp_grants_revoke(gs, &p, at + rnd() % 500 * S);
}

/* n random grants of both families, then the layout against the model: every boundary, and
 * `probes` random addresses of each family. */
static void random_round(const struct inside *in, unsigned n, unsigned probes)
{
	struct cp_grants gs;
	struct cp_grant_slots sl;
	cp_grants_init(&gs);
	for (unsigned i = 0; i < n; i++)
		random_grant(&gs, in, rnd() % 3 ? 4 : 6);
	build(&gs, in, &sl);
	check_layout(&gs, in, &sl);
	for (unsigned i = 0; i < probes; i++) {
		check_value(&gs, in, &sl, 4, random_addr(in, 4));
		check_value(&gs, in, &sl, 6, random_addr(in, 6));
	}
	cp_grant_slots_free(&sl);
	cp_grants_free(&gs);
}

/* The inside of a large country: 10.0.0.0/8, 200 /16s and two IPv6 prefixes (2^24 + 200 * 2^16
 * IPv4 hosts: far above CP_DIRECT_MAX_HOSTS4). */
static void large_inside(struct inside *in)
{
	struct cp_prefix p[203];
	unsigned n = 0;
	p[n++] = pfx("10.0.0.0/8");
	for (unsigned i = 0; i < 200; i++) {
		char b[32];
		snprintf(b, sizeof(b), "%u.%u.0.0/16", 100 + i / 50, i % 50 * 5);
		p[n++] = pfx(b);
	}
	p[n++] = pfx("2001:db8:1000::/48");
	p[n++] = pfx("2001:db8:8000::/33");
	inside_from(in, p, n, false);
	assert_int_equal(in->pol.n_hosts4, (1u << 24) + 200 * (1u << 16));
}

static void test_intervals_large(void **state)
{
	(void)state;
	struct inside in;
	large_inside(&in);
	for (unsigned round = 0; round < 4; round++)
		random_round(&in, round == 0 ? 3 : 1500, 20000);
}

/* The direct table and the intervals over one small inside give every address the same
 * deadline, whatever the grants. */
static void test_layouts_agree(void **state)
{
	(void)state;
	static const char *const inside[] = {"192.0.2.0/24", "198.51.100.0/25", "203.0.113.8/29",
					     "2001:db8:1000::/48", NULL};
	struct inside direct, iv;
	inside_make(&direct, inside, true);
	inside_make(&iv, inside, false);
	for (unsigned round = 0; round < 30; round++) {
		struct cp_grants gs;
		struct cp_grant_slots a, b;
		cp_grants_init(&gs);
		for (unsigned i = 0, n = 1 + round * 4; i < n; i++)
			random_grant(&gs, &direct, rnd() % 4 ? 4 : 6);
		build(&gs, &direct, &a);
		build(&gs, &iv, &b);
		check_layout(&gs, &direct, &a);
		check_layout(&gs, &iv, &b);
		for (unsigned i = 0; i < 3000; i++) {
			uint8_t fam = i % 4 ? 4 : 6, x[16];
			addr_bytes(fam, random_addr(&direct, fam), x);
			uint32_t sa = slot_of(&a, &direct, fam, x), sb = slot_of(&b, &iv, fam, x);
			uint64_t da = sa == CP_NO_SLOT ? 0 : a.deadline[sa];
			uint64_t db = sb == CP_NO_SLOT ? 0 : b.deadline[sb];
			char s[CP_PREFIX_STRLEN];
			if (da != db)
				fail_msg("%s: direct %llu, intervals %llu", addr_str(fam, x, s),
					 (unsigned long long)da, (unsigned long long)db);
		}
		cp_grant_slots_free(&a);
		cp_grant_slots_free(&b);
		cp_grants_free(&gs);
	}
}

/* A renew changes deadlines only: the intervals (the slots flows hold) stay where they were,
 * even when it changes which grant is the latest. */
static void test_renew_keeps_layout(void **state)
{
	(void)state;
	struct inside in;
	struct cp_grants gs;
	struct cp_grant_slots a, b;
	large_inside(&in);
	cp_grants_init(&gs);
	give(&gs, "10.1.0.0/16", 0, 1000 * S, 100 * S);
	give(&gs, "10.1.2.3", 0, 150 * S, 0);
	give(&gs, "2001:db8:1000::/64", 0, 1000 * S, 100 * S);
	give(&gs, "2001:db8:1000::9", 0, 150 * S, 0);
	build(&gs, &in, &a);
	/* each renews the host too, which has no renew_every: its deadline stays */
	assert_int_equal(renew(&gs, "10.1.0.0/16", 90 * S), 2);
	assert_int_equal(renew(&gs, "2001:db8:1000::/64", 90 * S), 2);
	build(&gs, &in, &b);
	assert_int_equal(a.n_iv4, 3);
	assert_int_equal(a.n_iv6, 3);
	assert_int_equal(b.n_iv4, a.n_iv4);
	assert_int_equal(b.n_iv6, a.n_iv6);
	assert_memory_equal(a.lo4, b.lo4, a.n_iv4 * sizeof(uint32_t));
	assert_memory_equal(a.hi4, b.hi4, a.n_iv4 * sizeof(uint32_t));
	assert_memory_equal(a.lo6, b.lo6, a.n_iv6 * sizeof(cp_u128));
	assert_memory_equal(a.hi6, b.hi6, a.n_iv6 * sizeof(cp_u128));
	/* before: the prefix until 100 s around the host, the host until 150 s; after: the prefix
	 * until 190 s, now the latest at the host too */
	for (uint32_t k = 0; k < 6; k++) {
		assert_int_equal(a.deadline[k], k % 3 == 1 ? 150 * S : 100 * S);
		assert_int_equal(b.deadline[k], 190 * S);
	}
	check_layout(&gs, &in, &b);
	cp_grant_slots_free(&a);
	cp_grant_slots_free(&b);
	cp_grants_free(&gs);
}

/* IPv6 grants go to intervals in either layout, intersected with the inside; without a policy
 * there is no slot at all. */
static void test_slots_ipv6(void **state)
{
	(void)state;
	static const char *const inside[] = {"192.0.2.0/24", "198.51.100.0/25",
					     "2001:db8:1000::/48", NULL};
	struct inside in;
	struct cp_grants gs;
	struct cp_grant_slots sl;
	char err[128];
	inside_make(&in, inside, true);
	cp_grants_init(&gs);
	give(&gs, "2001:db8:1000::/48", 0, 100 * S, 0);
	give(&gs, "192.0.2.9", 0, 50 * S, 0);
	give(&gs, "2001:db8:1000:5::7", 0, 200 * S, 0);
	give(&gs, "2001:db8:9999::/64", 0, 300 * S, 0); /* outside */
	build(&gs, &in, &sl);
	assert_int_equal(sl.n4, N4);
	assert_int_equal(sl.n_iv4, 0);
	assert_int_equal(sl.n_iv6, 3);
	assert_int_equal(sl.deadline[9], 50 * S);
	static const struct {
		const char *a;
		uint64_t d_s; /* 0: no slot */
	} at[] = {{"2001:db8:1000::", 100},    {"2001:db8:1000:5::6", 100},
		  {"2001:db8:1000:5::7", 200}, {"2001:db8:1000:5::8", 100},
		  {"2001:db8:9999::1", 0},     {"2001:db8:fff:ffff:ffff:ffff:ffff:ffff", 0},
		  {"2001:db8:1001::", 0},      {"2001:db8:1000:ffff:ffff:ffff:ffff:ffff", 100}};
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		struct cp_prefix x = pfx(at[k].a);
		uint32_t s = slot_of(&sl, &in, 6, x.a);
		print_message("%s -> %u\n", at[k].a, s);
		if (at[k].d_s == 0)
			assert_int_equal(s, CP_NO_SLOT);
		else
			assert_int_equal(sl.deadline[s], at[k].d_s * S);
	}
	check_layout(&gs, &in, &sl);
	cp_grant_slots_free(&sl);

	assert_int_equal(cp_grant_slots_build(&gs, NULL, &sl, err, sizeof(err)), 0);
	assert_int_equal(sl.n4 + sl.n_iv4 + sl.n_iv6, 0);
	assert_non_null(sl.deadline);
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
	    cmocka_unit_test(test_intervals),
	    cmocka_unit_test(test_intervals_large),
	    cmocka_unit_test(test_layouts_agree),
	    cmocka_unit_test(test_renew_keeps_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
