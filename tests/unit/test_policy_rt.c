/* Unit tests of dataplane/policy_rt: the runtime policy's FIB lookups agree with the address
 * classes (cp_space_lookup) over hand-picked, boundary and pseudo-random addresses; the direct
 * inside-host slots of a small inside; a large inside (a country's) laid out for interval grants,
 * looked up through the view; the refusal of a policy that does not fit in DPDK memory. Needs the
 * DPDK EAL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eal_test.h"
#include "hog_test.h"

#include <rte_eal.h>
#include <rte_malloc.h>

#include "grants.h"
#include "policy_rt.h"
#include "view.h"

/* 512 MiB: a runtime policy takes about 128 MiB of DPDK memory (the 2^24-entry first levels of
 * its two FIBs), and test_two_generations keeps two alive at once. */
static int eal_setup(void **state)
{
	(void)state;
	return cp_test_eal_init("policy-rt", "512");
}

/* ---- helpers ---- */

static struct cp_policy_src *load_text(const char *text)
{
	char path[64];
	struct cp_diag d;
	snprintf(path, sizeof(path), "/tmp/test_policy_rt_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	cp_diag_init(&d);
	struct cp_policy_src *p = cp_policy_load(path, &d);
	for (unsigned i = 0; p == NULL && i < d.n; i++)
		print_message("  load: %s\n", d.lines[i]);
	cp_diag_free(&d);
	unlink(path);
	assert_non_null(p);
	return p;
}

static uint32_t next_gen = 1;

/* Policies alive in the current test: a failing test leaves them to the teardown, so that their
 * DPDK memory (64 MiB of DIR24_8 table each) does not starve the next tests. */
static struct cp_rt_policy *alive[4];

static void keep(struct cp_rt_policy *p)
{
	for (unsigned i = 0; i < 4; i++)
		if (alive[i] == NULL) {
			alive[i] = p;
			return;
		}
	fail_msg("more than 4 policies alive");
}

static void release(struct cp_rt_policy *p)
{
	for (unsigned i = 0; i < 4; i++)
		if (alive[i] == p)
			alive[i] = NULL;
	cp_rt_policy_free(p);
}

static int release_all(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++)
		release(alive[i]);
	return 0;
}

static struct cp_rt_policy *build_text(const char *text)
{
	char err[256] = "";
	struct cp_policy_src *src = load_text(text);
	struct cp_rt_policy *p = cp_rt_policy_build(src, next_gen++, 2, err, sizeof(err));
	if (p == NULL) {
		cp_policy_free(src);
		fail_msg("build: %s", err);
	}
	assert_ptr_equal(p->src, src);
	keep(p);
	return p;
}

/* cp_rt_leaf and the slow class walk give the same leaf. */
static void agree(const struct cp_rt_policy *p, uint8_t fam, const uint8_t *a)
{
	const struct cp_leaf *fast = cp_rt_leaf(p, fam, a);
	uint32_t slow = cp_space_lookup(&p->space, fam, a);
	if (fast != &p->space.leaves[slow]) {
		struct cp_prefix x = {.family = fam, .len = fam == 4 ? 32 : 128};
		char b[CP_PREFIX_STRLEN];
		memcpy(x.a, a, fam == 4 ? 4 : 16);
		fail_msg("%s: fib leaf %ld, class leaf %u", cp_prefix_format(&x, b, sizeof(b)),
			 (long)(fast - p->space.leaves), slow);
	}
}

static void agree_str(const struct cp_rt_policy *p, const char *s)
{
	struct cp_prefix a;
	if (cp_addr_parse(s, &a) != 0)
		fail_msg("bad test address \"%s\"", s);
	agree(p, a.family, a.a);
}

/* Add or subtract one at the last bit of an address (wrapping). */
static void step(uint8_t *a, unsigned bytes, int dir)
{
	for (int i = (int)bytes - 1; i >= 0; i--) {
		a[i] = (uint8_t)(a[i] + dir);
		if ((dir > 0 && a[i] != 0) || (dir < 0 && a[i] != 0xff))
			break;
	}
}

/* The first and last address of every class, and their neighbours outside. */
static void agree_boundaries(const struct cp_rt_policy *p)
{
	for (unsigned c = 0; c < p->space.n_cls; c++) {
		const struct cp_prefix *pf = &p->space.cls[c].pfx;
		unsigned bytes = pf->family == 4 ? 4 : 16, bits = bytes * 8;
		uint8_t lo[16] = {0}, hi[16] = {0};
		memcpy(lo, pf->a, bytes);
		memcpy(hi, pf->a, bytes);
		for (unsigned i = pf->len; i < bits; i++)
			hi[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
		agree(p, pf->family, lo);
		agree(p, pf->family, hi);
		step(lo, bytes, -1);
		step(hi, bytes, +1);
		agree(p, pf->family, lo);
		agree(p, pf->family, hi);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* ---- leaves ---- */

static const char policy_text[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/24\", \"198.51.100.0/25\", \"2001:db8:1000::/48\" ];\n"
    "sets = {\n"
    "  big  = [ \"10.0.0.0/22\", \"2001:db8:2000::/48\", \"2001:db8:2000:1::1\" ];\n"
    "  web  = [ \"203.0.113.0/24\", \"203.0.113.128/25\", \"203.0.113.200\" ];\n"
    "};\n"
    "categories = ( { name = \"social\"; sni = [ \"social.example\" ]; } );\n"
    "rules = (\n"
    "  { name = \"a\"; action = \"pass\"; from = \"inside\"; to = \"!@web\"; },\n"
    "  { name = \"b\"; action = \"drop\"; from = \"10.0.1.0/24\"; to = \"10.0.1.7\"; },\n"
    "  { name = \"c\"; action = \"reject\"; from = [ \"@big\", \"192.0.2.64/26\" ];\n"
    "    proto = \"tcp\"; dport = [ \"80\", \"8000-8080\" ]; category = \"social\"; },\n"
    "  { name = \"d\"; action = \"pass\"; from = \"inside\"; grant = true; proto = 17;\n"
    "    sport = 53; },\n"
    "  { name = \"e\"; action = \"pass\"; to = [ \"::/1\", \"128.0.0.0/1\" ]; },\n"
    "  { name = \"f\"; action = \"drop\"; }\n"
    ");\n"
    "settings = { flow_timeout = 30; };\n";

static void test_leaves_agree(void **state)
{
	(void)state;
	static const char *const addrs[] = {
	    "192.0.2.0",
	    "192.0.2.63",
	    "192.0.2.64",
	    "192.0.2.127",
	    "192.0.2.128",
	    "192.0.2.255",
	    "198.51.100.0",
	    "198.51.100.127",
	    "198.51.100.128",
	    "10.0.0.0",
	    "10.0.1.6",
	    "10.0.1.7",
	    "10.0.1.8",
	    "10.0.3.255",
	    "10.0.4.0",
	    "203.0.113.0",
	    "203.0.113.127",
	    "203.0.113.128",
	    "203.0.113.200",
	    "203.0.113.201",
	    "127.255.255.255",
	    "128.0.0.0",
	    "0.0.0.0",
	    "255.255.255.255",
	    "2001:db8:1000::",
	    "2001:db8:1000:ffff:ffff:ffff:ffff:ffff",
	    "2001:db8:1001::",
	    "2001:db8:2000:1::1",
	    "2001:db8:2000:1::2",
	    "::",
	    "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "8000::",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	struct cp_rt_policy *p = build_text(policy_text);
	assert_int_equal(p->n_rules, 6);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		print_message("%s\n", addrs[i]);
		agree_str(p, addrs[i]);
	}
	agree_boundaries(p);
	for (unsigned i = 0; i < 100000; i++) {
		uint8_t a[16];
		for (unsigned k = 0; k < 16; k += 4) {
			uint32_t r = rnd();
			memcpy(a + k, &r, 4);
		}
		agree(p, 4, a);
		agree(p, 6, a);
	}
	/* a few known leaves, so that agreeing on a wrong FIB cannot pass */
	static const struct {
		const char *addr;
		bool inside, from_a, from_c, to_a, to_e;
	} known[] = {
	    {"192.0.2.70", true, true, true, true, true},
	    {"192.0.2.7", true, true, false, true, true},
	    {"203.0.113.200", false, false, false, false, true},
	    {"10.0.0.5", false, false, true, true, false},
	    {"2001:db8:2000:1::1", false, false, true, true, true},
	    {"2001:db8:1000::9", true, true, false, true, true},
	    {"8000::1", false, false, false, true, false},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct cp_prefix x;
		assert_int_equal(cp_addr_parse(known[i].addr, &x), 0);
		const struct cp_leaf *l = cp_rt_leaf(p, x.family, x.a);
		print_message("%s\n", known[i].addr);
		assert_int_equal(l->inside, known[i].inside);
		assert_int_equal(cp_bit(l->from, 0), known[i].from_a);
		assert_int_equal(cp_bit(l->from, 2), known[i].from_c);
		assert_int_equal(cp_bit(l->to, 0), known[i].to_a);
		assert_int_equal(cp_bit(l->to, 4), known[i].to_e);
		assert_true(cp_bit(l->from, 5));
		assert_true(cp_bit(l->to, 5));
	}
	release(p);
}

/* The runtime rules mirror the source rules. */
static void test_rules(void **state)
{
	(void)state;
	static const struct {
		int16_t proto;
		uint8_t action, grant, has_category, has_ports;
	} want[] = {
	    {CP_PROTO_ANY, CP_ACT_PASS, 0, 0, 0}, {CP_PROTO_ANY, CP_ACT_DROP, 0, 0, 0},
	    {6, CP_ACT_REJECT, 0, 1, 1},	  {17, CP_ACT_PASS, 1, 0, 1},
	    {CP_PROTO_ANY, CP_ACT_PASS, 0, 0, 0}, {CP_PROTO_ANY, CP_ACT_DROP, 0, 0, 0},
	};
	struct cp_rt_policy *p = build_text(policy_text);
	assert_int_equal(p->n_rules, 6);
	assert_int_equal(p->flow_timeout_ns, 30ull * 1000000000ull);
	assert_int_equal(p->n_workers, 2);
	for (unsigned r = 0; r < 6; r++) {
		const struct cp_rt_rule *rr = &p->rules[r];
		print_message("rule %u\n", r);
		assert_ptr_equal(rr->src, &p->src->rules[r]);
		assert_int_equal(rr->proto, want[r].proto);
		assert_int_equal(rr->action, want[r].action);
		assert_int_equal(rr->grant, want[r].grant);
		assert_int_equal(rr->has_category, want[r].has_category);
		assert_int_equal(rr->has_ports, want[r].has_ports);
	}
	/* the per-worker rule counters exist and start at zero */
	for (unsigned w = 0; w < 2; w++)
		for (unsigned k = 0; k < 12; k++)
			assert_int_equal(cp_rt_rule_ctr(p, w)[k], 0);
	release(p);
}

/* Many prefixes of every length, nested in each other, in both families (the FIBs' second-level
 * tables included): the FIBs still agree with the classes. */
static void test_leaves_agree_dense(void **state)
{
	(void)state;
	enum { NPFX = 300 };
	static char text[65536];
	size_t off = (size_t)snprintf(text, sizeof(text),
				      "version = 1;\n"
				      "inside = [ \"10.1.0.0/16\", \"2001:db8:1::/48\" ];\n"
				      "sets = {\n");
	for (unsigned s = 0; s < 3; s++) {
		off += (size_t)snprintf(text + off, sizeof(text) - off, "  s%u = [ ", s);
		for (unsigned i = 0; i < NPFX / 3; i++) {
			struct cp_prefix pf = {0};
			char b[CP_PREFIX_STRLEN];
			if (rnd() & 1) {
				pf.family = 4;
				pf.len = (uint8_t)(18 + rnd() % 15);
				uint32_t v = 0x0a000000u | (rnd() & 0x0003ffffu); /* 10.0-3.x.x */
				v &= pf.len ? ~0u << (32 - pf.len) : 0;
				pf.a[0] = (uint8_t)(v >> 24);
				pf.a[1] = (uint8_t)(v >> 16);
				pf.a[2] = (uint8_t)(v >> 8);
				pf.a[3] = (uint8_t)v;
			} else {
				pf.family = 6;
				pf.len = (uint8_t)(50 + rnd() % 79);
				const uint8_t base[6] = {0x20, 0x01, 0x0d, 0xb8, 0, 0};
				memcpy(pf.a, base, 6);
				pf.a[5] = (uint8_t)(rnd() & 3);
				for (unsigned k = 6; k < 16; k++)
					pf.a[k] = (uint8_t)(rnd() & 0x81);
				for (unsigned k = pf.len; k < 128; k++)
					pf.a[k >> 3] &= (uint8_t) ~(0x80u >> (k & 7));
			}
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\"%s\"",
						i ? ", " : "", cp_prefix_format(&pf, b, sizeof(b)));
		}
		off += (size_t)snprintf(text + off, sizeof(text) - off, " ];\n");
	}
	off += (size_t)snprintf(
	    text + off, sizeof(text) - off,
	    "};\nrules = (\n"
	    "  { action = \"pass\"; from = \"@s0\"; to = \"!@s1\"; },\n"
	    "  { action = \"pass\"; from = [ \"!@s2\", \"inside\" ]; to = \"@s1\"; },\n"
	    "  { action = \"drop\"; from = \"@s2\"; to = \"@s0\"; },\n"
	    "  { action = \"drop\"; }\n);\n");
	assert_true(off < sizeof(text) - 1);

	struct cp_rt_policy *p = build_text(text);
	print_message("%u classes, %u leaves\n", p->space.n_cls, p->space.n_leaves);
	assert_true(p->space.n_leaves > 4);
	agree_boundaries(p);
	for (unsigned i = 0; i < 200000; i++) {
		uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0};
		uint32_t v4 = 0x0a000000u | (rnd() & 0x0003ffffu);
		uint8_t b4[4] = {(uint8_t)(v4 >> 24), (uint8_t)(v4 >> 16), (uint8_t)(v4 >> 8),
				 (uint8_t)v4};
		a[5] = (uint8_t)(rnd() & 3);
		for (unsigned k = 6; k < 16; k++)
			a[k] = (uint8_t)(rnd() & 0x83);
		agree(p, 4, b4);
		agree(p, 6, a);
	}
	release(p);
}

/* ---- inside host slots ---- */

struct inside_case {
	const char *inside; /* the inside = [...] list */
	uint32_t hosts;	    /* distinct inside IPv4 hosts */
	const char *in[6];  /* some inside hosts */
	const char *out[6]; /* some addresses that are not */
};

static const struct inside_case inside_cases[] = {
    {"\"192.0.2.0/24\", \"198.51.100.0/25\", \"175.45.176.0/22\", \"2001:db8:1000::/48\"",
     256 + 128 + 1024,
     {"192.0.2.0", "192.0.2.255", "198.51.100.127", "175.45.176.0", "175.45.179.255",
      "175.45.177.5"},
     {"192.0.3.0", "192.0.1.255", "198.51.100.128", "175.45.180.0", "175.45.175.255", "0.0.0.0"}},
    /* a prefix within another adds no host, whatever the order */
    {"\"192.0.2.0/24\", \"192.0.2.128/25\", \"192.0.2.7\"",
     256,
     {"192.0.2.7", "192.0.2.128", "192.0.2.255", "192.0.2.0"},
     {"192.0.3.0", "192.0.1.255"}},
    /* the same prefix twice counts once */
    {"\"198.51.100.0/25\", \"198.51.100.0/25\"",
     128,
     {"198.51.100.0", "198.51.100.127"},
     {"198.51.100.128"}},
    {"\"192.0.2.128/25\", \"192.0.2.7\", \"192.0.2.0/24\"",
     256,
     {"192.0.2.7", "192.0.2.128", "192.0.2.255", "192.0.2.0"},
     {"192.0.3.0"}},
    /* single hosts */
    {"\"203.0.113.9\", \"203.0.113.10\", \"2001:db8::/32\"",
     2,
     {"203.0.113.9", "203.0.113.10"},
     {"203.0.113.8", "203.0.113.11"}},
    /* IPv6 only */
    {"\"2001:db8:1000::/48\"", 0, {NULL}, {"192.0.2.1", "0.0.0.0", "32.1.13.184"}},
    /* the largest inside space allowed */
    {"\"10.0.0.0/10\"", 1u << 22, {"10.0.0.0", "10.63.255.255"}, {"10.64.0.0", "9.255.255.255"}},
};

static int64_t host4(const struct cp_rt_policy *p, const char *s)
{
	struct cp_prefix a;
	if (cp_addr_parse(s, &a) != 0 || a.family != 4)
		fail_msg("bad test address \"%s\"", s);
	return cp_rt_host4(p, a.a);
}

/* Every inside host has its own slot below n_hosts4 (checked by walking all of them). */
static void check_all_slots(const struct cp_rt_policy *p)
{
	uint8_t *seen = calloc(p->n_hosts4 + 1, 1);
	assert_non_null(seen);
	uint64_t total = 0;
	for (unsigned i = 0; i < p->n_in4; i++) {
		uint64_t n = (uint64_t)(~p->in4[i].mask) + 1;
		for (uint64_t k = 0; k < n; k++) {
			uint32_t x = p->in4[i].net + (uint32_t)k;
			uint8_t a[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8),
					(uint8_t)x};
			int64_t s = cp_rt_host4(p, a);
			if (s < 0 || s >= (int64_t)p->n_hosts4 || seen[s])
				fail_msg("host %08x: slot %lld of %u (seen %d)", x, (long long)s,
					 p->n_hosts4,
					 s >= 0 && s < (int64_t)p->n_hosts4 ? seen[s] : -1);
			seen[s] = 1;
			total++;
		}
	}
	assert_int_equal(total, p->n_hosts4);
	free(seen);
}

/* The inside prefixes as the policy keeps them: sorted by address, none within another, IPv4
 * then IPv6, every prefix of the policy's inside within one of them. */
static void check_inside_lists(const struct cp_rt_policy *p)
{
	for (unsigned i = 1; i < p->n_in4; i++)
		assert_true((p->in4[i - 1].net | ~p->in4[i - 1].mask) < p->in4[i].net);
	for (unsigned i = 1; i < p->n_in6; i++) {
		assert_true(memcmp(p->in6[i - 1].a, p->in6[i].a, 16) < 0);
		assert_false(cp_prefix_contains(&p->in6[i - 1], &p->in6[i]));
	}
	for (unsigned i = 0; i < p->src->n_inside; i++) {
		const struct cp_prefix *x = &p->src->inside[i];
		bool found = false;
		for (unsigned k = 0; x->family == 4 && k < p->n_in4 && !found; k++) {
			struct cp_prefix in = {.family = 4};
			uint32_t net = p->in4[k].net;
			in.len = (uint8_t)__builtin_popcount(p->in4[k].mask);
			in.a[0] = (uint8_t)(net >> 24);
			in.a[1] = (uint8_t)(net >> 16);
			in.a[2] = (uint8_t)(net >> 8);
			in.a[3] = (uint8_t)net;
			found = cp_prefix_contains(&in, x);
		}
		for (unsigned k = 0; x->family == 6 && k < p->n_in6 && !found; k++)
			found = cp_prefix_contains(&p->in6[k], x);
		assert_true(found);
	}
}

static void test_inside_slots(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(inside_cases) / sizeof(inside_cases[0]); c++) {
		const struct inside_case *ic = &inside_cases[c];
		char text[512];
		snprintf(text, sizeof(text),
			 "version = 1;\ninside = [ %s ];\n"
			 "rules = ( { action = \"pass\"; from = \"inside\"; } );\n",
			 ic->inside);
		print_message("inside = [ %s ]\n", ic->inside);
		struct cp_rt_policy *p = build_text(text);
		assert_int_equal(p->n_hosts4, ic->hosts);
		assert_true(p->direct4);
		check_inside_lists(p);
		check_all_slots(p);
		for (unsigned k = 0; k < 6 && ic->in[k] != NULL; k++) {
			int64_t s = host4(p, ic->in[k]);
			print_message("  %s -> %lld\n", ic->in[k], (long long)s);
			assert_in_range(s, 0, (int64_t)p->n_hosts4 - 1);
		}
		for (unsigned k = 0; k < 6 && ic->out[k] != NULL; k++)
			assert_int_equal(host4(p, ic->out[k]), -1);
		/* the slots agree with the leaves: inside exactly when a slot */
		for (unsigned i = 0; i < 20000; i++) {
			uint32_t r = rnd();
			uint8_t a[4] = {(uint8_t)(r >> 24), (uint8_t)(r >> 16), (uint8_t)(r >> 8),
					(uint8_t)r};
			if (i & 1)
				a[0] = ic->inside[1] == '1' ? 192 : 10; /* stay near the space */
			assert_int_equal(cp_rt_host4(p, a) >= 0, cp_rt_leaf(p, 4, a)->inside);
		}
		release(p);
	}
}

/* The inside of a large country: 10.0.0.0/8, 200 /16s, IPv6 prefixes (one within another). */
static void country_inside(char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "\"10.0.0.0/8\"");
	for (unsigned i = 0; i < 200 && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, ", \"%u.%u.0.0/16\"", 100 + i / 50,
					i % 50 * 5);
	if (off < len)
		snprintf(
		    buf + off, len - off,
		    ", \"2001:db8:1000::/48\", \"2001:db8:8000::/33\", \"2001:db8:8000:1::/64\"");
}

struct large_case {
	const char *inside; /* NULL: the country */
	uint64_t hosts;
	unsigned n_in4, n_in6;
};

static const struct large_case large_cases[] = {
    {"\"10.0.0.0/9\"", 1u << 23, 1, 0},
    {"\"10.0.0.0/10\", \"192.0.2.1\"", (1u << 22) + 1, 2, 0},
    {"\"0.0.0.0/0\", \"10.0.0.0/8\", \"::/0\"", 1ull << 32, 1, 1},
    {"\"10.128.0.0/11\", \"10.0.0.0/11\", \"10.64.0.0/11\"", 3u << 21, 3, 0},
    {NULL, (1u << 24) + 200 * (1u << 16), 201, 2},
};

/* An inside space larger than the direct table allows is laid out as intervals: the policy loads,
 * its inside lists hold, and its leaves say inside exactly where the lists do. */
static void test_inside_large(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(large_cases) / sizeof(large_cases[0]); c++) {
		const struct large_case *lc = &large_cases[c];
		char inside[8192], text[9000];
		if (lc->inside != NULL)
			snprintf(inside, sizeof(inside), "%s", lc->inside);
		else
			country_inside(inside, sizeof(inside));
		snprintf(text, sizeof(text),
			 "version = 1;\ninside = [ %s ];\n"
			 "rules = ( { action = \"pass\"; from = \"inside\"; grant = true; } );\n",
			 inside);
		print_message("inside = [ %.60s... ]\n", inside);
		struct cp_rt_policy *p = build_text(text);
		assert_false(p->direct4);
		assert_true(p->n_hosts4 == lc->hosts);
		assert_int_equal(p->n_in4, lc->n_in4);
		assert_int_equal(p->n_in6, lc->n_in6);
		check_inside_lists(p);
		for (unsigned i = 0; i < 50000; i++) {
			uint32_t r = rnd();
			uint8_t a[4] = {(uint8_t)(r >> 24), (uint8_t)(r >> 16), (uint8_t)(r >> 8),
					(uint8_t)r};
			bool in = false;
			if (i & 1)
				a[0] = (uint8_t)(i & 2 ? 10 : 100 + (r & 3)); /* near the space */
			uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
				     (uint32_t)a[2] << 8 | a[3];
			for (unsigned k = 0; k < p->n_in4 && !in; k++)
				in = (x & p->in4[k].mask) == p->in4[k].net;
			assert_int_equal(in, cp_rt_leaf(p, 4, a)->inside);
		}
		release(p);
	}
}

/* Grants on the country-sized inside, through the view the workers read: a host, a /16, an IPv6
 * prefix; their neighbours, and grants partly or wholly outside. */
static void test_inside_large_grants(void **state)
{
	(void)state;
	char inside[8192], text[9000], err[256] = "";
	country_inside(inside, sizeof(inside));
	snprintf(text, sizeof(text),
		 "version = 1;\ninside = [ %s ];\n"
		 "rules = ( { action = \"pass\"; from = \"inside\"; grant = true; } );\n",
		 inside);
	struct cp_rt_policy *p = build_text(text);
	static const struct {
		const char *pfx;
		uint64_t for_s;
	} give[] = {{"10.1.2.3", 100},		 {"100.5.0.0/16", 200},
		    {"96.0.0.0/4", 50},		 {"2001:db8:8000::/40", 300},
		    {"2001:db8:1000:5::9", 400}, {"198.51.100.0/24", 500}};
	static const struct {
		const char *a;
		uint64_t deadline_s; /* 0: no slot */
	} at[] = {{"10.1.2.3", 100},
		  {"10.1.2.2", 0},
		  {"10.1.2.4", 0},
		  {"100.5.0.0", 200},
		  {"100.5.255.255", 200},
		  {"100.4.255.255", 0},
		  {"100.0.0.0", 50},
		  {"103.245.255.255", 50},
		  {"100.1.0.0", 0},
		  {"104.0.0.0", 0},
		  {"198.51.100.1", 0},
		  {"2001:db8:8000::", 300},
		  {"2001:db8:80ff:ffff:ffff:ffff:ffff:ffff", 300},
		  {"2001:db8:8100::", 0},
		  {"2001:db8:1000:5::9", 400},
		  {"2001:db8:1000:5::8", 0}};
	struct cp_grants gs;
	struct cp_view v = {.pol = p};
	cp_grants_init(&gs);
	for (size_t k = 0; k < sizeof(give) / sizeof(give[0]); k++) {
		struct cp_prefix x;
		assert_int_equal(cp_prefix_parse(give[k].pfx, &x, err, sizeof(err)), 0);
		assert_int_equal(cp_grants_give(&gs, &x, 0, give[k].for_s * 1000000000ull, 0), 0);
	}
	if (cp_grant_slots_build(&gs, p, &v.gr, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(v.gr.n4, 0);
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		struct cp_prefix x;
		assert_int_equal(cp_addr_parse(at[k].a, &x), 0);
		uint32_t s = cp_view_grant_slot(&v, x.family, x.a);
		print_message("  %s -> slot %u\n", at[k].a, s);
		if (at[k].deadline_s == 0)
			assert_int_equal(s, CP_NO_SLOT);
		else
			assert_int_equal(v.gr.deadline[s], at[k].deadline_s * 1000000000ull);
	}
	cp_grant_slots_free(&v.gr);
	cp_grants_free(&gs);
	release(p);
}

/* A policy whose prefix tables do not fit in the free DPDK memory is refused with one line that
 * says how much they need against how much is free; nothing of it stays allocated, the source
 * stays the caller's, and once memory is back the same policy builds. */
static void test_policy_memory(void **state)
{
	(void)state;
	static const char text[] = "version = 1;\n"
				   "inside = [ \"192.0.2.0/24\", \"2001:db8:1000::/48\" ];\n"
				   "rules = ( { action = \"pass\"; from = \"inside\"; } );\n";
	struct cp_test_hog hog;
	char err[256] = "";
	cp_test_hog_take(&hog, 8u << 20);
	uint64_t before = cp_dpdk_free_bytes();
	struct cp_policy_src *src = load_text(text);
	struct cp_rt_policy *p = cp_rt_policy_build(src, next_gen++, 1, err, sizeof(err));
	uint64_t after = cp_dpdk_free_bytes();
	cp_test_hog_give_back(&hog);
	print_message("%.1f MiB free: %s\n", (double)before / 1048576.0, err);
	if (p != NULL)
		keep(p);
	assert_null(p);
	double need = 0, freed = 0;
	assert_int_equal(sscanf(err, "the prefix tables need %lf MiB of DPDK memory, %lf MiB free",
				&need, &freed),
			 2);
	assert_true(need > freed);
	assert_true(need >= 16 + 32); /* the two first levels alone */
	assert_null(strchr(err, '\n'));
	assert_true(after == before);
	assert_int_equal(src->n_inside, 2);
	p = cp_rt_policy_build(src, next_gen++, 1, err, sizeof(err));
	if (p == NULL)
		cp_policy_free(src);
	assert_non_null(p);
	release(p);
}

/* Two policies can live at once (the old one until every worker moved on), and a generation can
 * be built again once its policy is freed. */
static void test_two_generations(void **state)
{
	(void)state;
	char err[256];
	struct cp_rt_policy *a = build_text(policy_text);
	struct cp_rt_policy *b = build_text(policy_text);
	agree_str(a, "10.0.1.7");
	agree_str(b, "10.0.1.7");
	uint32_t gen = a->gen;
	release(a);
	struct cp_policy_src *src = load_text(policy_text);
	struct cp_rt_policy *c = cp_rt_policy_build(src, gen, 1, err, sizeof(err));
	if (c == NULL)
		cp_policy_free(src);
	assert_non_null(c);
	keep(c);
	agree_boundaries(c);
	release(b);
	release(c);
	cp_rt_policy_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_leaves_agree, release_all),
	    cmocka_unit_test_teardown(test_rules, release_all),
	    cmocka_unit_test_teardown(test_leaves_agree_dense, release_all),
	    cmocka_unit_test_teardown(test_inside_slots, release_all),
	    cmocka_unit_test_teardown(test_inside_large, release_all),
	    cmocka_unit_test_teardown(test_inside_large_grants, release_all),
	    cmocka_unit_test_teardown(test_policy_memory, release_all),
	    cmocka_unit_test_teardown(test_two_generations, release_all),
	};
	return cmocka_run_group_tests(tests, eal_setup, cp_test_eal_teardown);
}
