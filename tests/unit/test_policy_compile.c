/* Unit tests of common/policy_compile: the address classes and their from/to rule bitmaps
 * (inside, sets, literals, negation, arrays, nested prefixes, IPv6, more than 64 rules), and the
 * shadowed-rule analysis with its FILE:LINE warnings. Policies are written as text and loaded
 * with cp_policy_load; the analysis is then run again on a fresh diag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy_compile.h"

/* ---- helpers ---- */

struct loaded {
	char path[64];
	const char *text;
	struct cp_policy_src *p;
};

static void load_text(const char *text, struct loaded *l)
{
	struct cp_diag d;
	snprintf(l->path, sizeof(l->path), "/tmp/test_policy_compile_XXXXXX");
	int fd = mkstemp(l->path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	l->text = text;
	cp_diag_init(&d);
	l->p = cp_policy_load(l->path, &d);
	unlink(l->path); /* the diag lines keep its name */
	for (unsigned i = 0; l->p == NULL && i < d.n; i++)
		print_message("  load: %s\n", d.lines[i]);
	cp_diag_free(&d);
	assert_non_null(l->p);
}

static void unload(struct loaded *l)
{
	cp_policy_free(l->p);
}

/* 1-based line of the first occurrence of needle in text. */
static int line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	int line = 1;
	assert_non_null(at);
	for (const char *c = text; c < at; c++)
		line += *c == '\n';
	return line;
}

static void addr_ok(const char *s, struct cp_prefix *a)
{
	if (cp_addr_parse(s, a) != 0)
		fail_msg("bad test address \"%s\"", s);
}

/* ---- address classes ---- */

static const char space_policy[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/24\", \"198.51.100.0/25\", \"2001:db8:1000::/48\" ];\n"
    "sets = {\n"
    "  big  = [ \"10.0.0.0/22\", \"2001:db8:2000::/48\" ];\n"
    "  web  = [ \"203.0.113.0/24\" ];\n"
    "  both = [ \"@web\", \"10.9.0.0/16\" ];\n"
    "};\n"
    "rules = (\n"
    "  { name = \"inside-out\"; action = \"pass\"; from = \"inside\"; to = \"outside\"; },\n"
    "  { name = \"not-inside\"; action = \"pass\"; from = \"!inside\"; },\n"
    "  { name = \"set\"; action = \"pass\"; from = \"@big\"; to = \"!@web\"; },\n"
    "  { name = \"nested\"; action = \"drop\"; from = \"10.0.1.0/24\"; to = \"10.0.1.7\"; },\n"
    "  { name = \"array\"; action = \"pass\"; from = [ \"198.51.100.0/26\", \"@web\" ];\n"
    "    to = [ \"inside\", \"2001:db8:2000::/48\" ]; },\n"
    "  { name = \"v6\"; action = \"pass\"; from = \"2001:db8:1000::/48\";\n"
    "    to = \"!2001:db8::/32\"; },\n"
    "  { name = \"any\"; action = \"drop\"; },\n"
    "  { name = \"set-of-sets\"; action = \"pass\"; from = \"@both\"; to = \"!10.0.0.0/8\"; }\n"
    ");\n";

enum { R_INOUT, R_NOTIN, R_SET, R_NESTED, R_ARRAY, R_V6, R_ANY, R_SETS, R_COUNT };
static const char *const rule_names[R_COUNT] = {
    "inside-out", "not-inside", "set", "nested", "array", "v6", "any", "set-of-sets",
};

#define B(r) (1u << (r))

struct space_case {
	const char *addr;
	bool inside;
	unsigned from, to; /* bitmaps over the R_ rules */
};

/* Worked out by hand from space_policy. Note "!<IPv6 prefix>" holds for every IPv4 address. */
static const struct space_case space_cases[] = {
    /* inside, in no set */
    {"192.0.2.10", true, B(R_INOUT) | B(R_ANY),
     B(R_NOTIN) | B(R_SET) | B(R_ARRAY) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    {"192.0.2.0", true, B(R_INOUT) | B(R_ANY),
     B(R_NOTIN) | B(R_SET) | B(R_ARRAY) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    /* inside, in the /26 literal of "array" */
    {"198.51.100.5", true, B(R_INOUT) | B(R_ARRAY) | B(R_ANY),
     B(R_NOTIN) | B(R_SET) | B(R_ARRAY) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    /* inside /25 but past the /26 */
    {"198.51.100.100", true, B(R_INOUT) | B(R_ANY),
     B(R_NOTIN) | B(R_SET) | B(R_ARRAY) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    /* just past the inside /25: outside */
    {"198.51.100.200", false, B(R_NOTIN) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    /* in the /22 of @big, outside the /24 literal */
    {"10.0.0.1", false, B(R_NOTIN) | B(R_SET) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY)},
    {"10.0.3.255", false, B(R_NOTIN) | B(R_SET) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY)},
    /* the /24 literal inside the /22 set */
    {"10.0.1.1", false, B(R_NOTIN) | B(R_SET) | B(R_NESTED) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY)},
    /* the /32 inside the /24 inside the /22 */
    {"10.0.1.7", false, B(R_NOTIN) | B(R_SET) | B(R_NESTED) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_NESTED) | B(R_V6) | B(R_ANY)},
    {"10.0.1.8", false, B(R_NOTIN) | B(R_SET) | B(R_NESTED) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY)},
    /* in 10/8 only */
    {"10.0.4.1", false, B(R_NOTIN) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY)},
    /* @web, hence @both (a set that includes a set) */
    {"203.0.113.9", false, B(R_NOTIN) | B(R_ARRAY) | B(R_ANY) | B(R_SETS),
     B(R_INOUT) | B(R_NOTIN) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    /* @both through its own prefix, inside 10/8 */
    {"10.9.3.3", false, B(R_NOTIN) | B(R_ANY) | B(R_SETS),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY)},
    /* nothing named */
    {"8.8.8.8", false, B(R_NOTIN) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    {"0.0.0.0", false, B(R_NOTIN) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    /* IPv6 inside */
    {"2001:db8:1000::1", true, B(R_INOUT) | B(R_V6) | B(R_ANY),
     B(R_NOTIN) | B(R_SET) | B(R_ARRAY) | B(R_ANY) | B(R_SETS)},
    {"2001:db8:1000:ffff::1", true, B(R_INOUT) | B(R_V6) | B(R_ANY),
     B(R_NOTIN) | B(R_SET) | B(R_ARRAY) | B(R_ANY) | B(R_SETS)},
    /* IPv6 in @big and in the literal of "array" */
    {"2001:db8:2000::5", false, B(R_NOTIN) | B(R_SET) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_ARRAY) | B(R_ANY) | B(R_SETS)},
    /* IPv6 in 2001:db8::/32 only */
    {"2001:db8:3000::1", false, B(R_NOTIN) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_ANY) | B(R_SETS)},
    /* IPv6 nowhere */
    {"2001:db9::1", false, B(R_NOTIN) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY) | B(R_SETS)},
    {"::ffff:192.0.2.10", false, B(R_NOTIN) | B(R_ANY),
     B(R_INOUT) | B(R_NOTIN) | B(R_SET) | B(R_V6) | B(R_ANY) | B(R_SETS)},
};

static unsigned bits_of(const uint64_t *w, unsigned nrules)
{
	unsigned m = 0;
	for (unsigned r = 0; r < nrules; r++)
		if (cp_bit(w, r))
			m |= 1u << r;
	return m;
}

static void test_space_classes(void **state)
{
	(void)state;
	struct loaded l;
	struct cp_space s;
	load_text(space_policy, &l);
	assert_int_equal(l.p->n_rules, R_COUNT);
	for (unsigned r = 0; r < R_COUNT; r++)
		assert_int_equal(cp_rule_find(l.p, rule_names[r]), (int)r);
	assert_int_equal(cp_space_build(l.p, &s), 0);
	assert_int_equal(s.nwords, 1);
	for (size_t i = 0; i < sizeof(space_cases) / sizeof(space_cases[0]); i++) {
		const struct space_case *c = &space_cases[i];
		struct cp_prefix a;
		addr_ok(c->addr, &a);
		uint32_t li = cp_space_lookup(&s, a.family, a.a);
		assert_in_range(li, 0, s.n_leaves - 1);
		const struct cp_leaf *lf = &s.leaves[li];
		unsigned from = bits_of(lf->from, R_COUNT), to = bits_of(lf->to, R_COUNT);
		print_message("%-22s leaf %u inside %d from %#04x to %#04x\n", c->addr, li,
			      lf->inside, from, to);
		assert_int_equal(lf->inside, c->inside);
		assert_int_equal(from, c->from);
		assert_int_equal(to, c->to);
		/* no stray bits past the last rule */
		assert_int_equal(lf->from[0] >> R_COUNT, 0);
		assert_int_equal(lf->to[0] >> R_COUNT, 0);
	}
	cp_space_free(&s);
	unload(&l);
}

static uint32_t leaf_of(const struct cp_space *s, const char *addr)
{
	struct cp_prefix a;
	addr_ok(addr, &a);
	return cp_space_lookup(s, a.family, a.a);
}

/* Every prefix the policy names is a class; addresses that match the same expressions share one
 * leaf, and addresses that do not, do not. */
static void test_space_shared_leaves(void **state)
{
	(void)state;
	static const char *const named[] = {
	    "192.0.2.0/24",	  "198.51.100.0/25",
	    "2001:db8:1000::/48", "10.0.0.0/22",
	    "2001:db8:2000::/48", "203.0.113.0/24",
	    "10.9.0.0/16",	  "10.0.1.0/24",
	    "10.0.1.7",		  "198.51.100.0/26",
	    "2001:db8::/32",	  "10.0.0.0/8",
	    "0.0.0.0/0",	  "::/0",
	};
	struct loaded l;
	struct cp_space s;
	load_text(space_policy, &l);
	assert_int_equal(cp_space_build(l.p, &s), 0);
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		struct cp_prefix p;
		char err[128];
		bool found = false;
		assert_int_equal(cp_prefix_parse(named[i], &p, err, sizeof(err)), 0);
		for (unsigned c = 0; c < s.n_cls && !found; c++)
			found = memcmp(&s.cls[c].pfx, &p, sizeof(p)) == 0;
		print_message("class %s\n", named[i]);
		assert_true(found);
	}
	assert_true(s.n_leaves < s.n_cls);
	assert_int_equal(leaf_of(&s, "192.0.2.10"), leaf_of(&s, "198.51.100.100"));
	assert_int_equal(leaf_of(&s, "8.8.8.8"), leaf_of(&s, "198.51.100.200"));
	assert_int_equal(leaf_of(&s, "10.0.0.1"), leaf_of(&s, "10.0.2.1"));
	assert_int_not_equal(leaf_of(&s, "192.0.2.10"), leaf_of(&s, "198.51.100.5"));
	assert_int_not_equal(leaf_of(&s, "10.0.1.7"), leaf_of(&s, "10.0.1.6"));
	assert_int_not_equal(leaf_of(&s, "10.0.0.1"), leaf_of(&s, "10.0.4.1"));
	cp_space_free(&s);
	unload(&l);
}

/* More than 64 rules: the bitmaps span two words. Rule k (k < 69) is from 10.k.0.0/16, rule 69
 * from everything but 10.68.0.0/16. */
static void test_space_many_rules(void **state)
{
	(void)state;
	enum { N = 70 };
	static char text[16384];
	size_t off = (size_t)snprintf(text, sizeof(text),
				      "version = 1;\ninside = [ \"192.0.2.0/24\" ];\nrules = (\n");
	for (unsigned k = 0; k < N - 1; k++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"  { action = \"pass\"; from = \"10.%u.0.0/16\"; },\n", k);
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"  { action = \"drop\"; from = \"!10.68.0.0/16\"; }\n);\n");
	assert_true(off < sizeof(text));

	struct loaded l;
	struct cp_space s;
	load_text(text, &l);
	assert_int_equal(l.p->n_rules, N);
	assert_int_equal(cp_space_build(l.p, &s), 0);
	assert_int_equal(s.nwords, 2);
	static const struct {
		const char *addr;
		int only; /* the one /16 rule that matches, or -1 */
	} cases[] = {{"10.0.0.1", 0},	{"10.3.200.1", 3}, {"10.63.0.0", 63}, {"10.64.1.1", 64},
		     {"10.68.9.9", 68}, {"10.69.0.1", -1}, {"11.0.0.1", -1},  {"2001:db8::1", -1}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cp_leaf *lf = &s.leaves[leaf_of(&s, cases[i].addr)];
		print_message("%s\n", cases[i].addr);
		for (unsigned r = 0; r < N - 1; r++)
			assert_int_equal(cp_bit(lf->from, r), (int)r == cases[i].only);
		assert_int_equal(cp_bit(lf->from, N - 1), cases[i].only != 68);
		for (unsigned r = 0; r < N; r++)
			assert_true(cp_bit(lf->to, r));
		assert_int_equal(lf->from[1] >> (N - 64), 0);
		assert_int_equal(lf->to[1] >> (N - 64), 0);
	}
	cp_space_free(&s);
	unload(&l);
}

/* A hand-built policy with no rule and no inside: the two roots, one leaf. */
static void test_space_empty(void **state)
{
	(void)state;
	struct cp_policy_src p;
	struct cp_space s;
	memset(&p, 0, sizeof(p));
	p.file = "empty.conf";
	assert_int_equal(cp_space_build(&p, &s), 0);
	assert_int_equal(s.nwords, 1);
	assert_int_equal(s.n_cls, 2);
	assert_int_equal(s.n_leaves, 1);
	assert_false(s.leaves[0].inside);
	assert_int_equal(leaf_of(&s, "192.0.2.1"), 0);
	assert_int_equal(leaf_of(&s, "2001:db8::1"), 0);
	cp_space_free(&s);
	assert_null(s.cls);

	struct cp_diag d;
	cp_diag_init(&d);
	cp_policy_shadow_check(&p, &d);
	assert_int_equal(d.n, 0);
	cp_diag_free(&d);
}

/* ---- shadowed rules ---- */

#define HEAD                                                                                       \
	"version = 1;\n"                                                                           \
	"inside = [ \"192.0.2.0/24\", \"2001:db8:1000::/48\" ];\n"                                 \
	"sets = { web = [ \"203.0.113.0/24\", \"2001:db8:2000::/48\" ]; };\n"                      \
	"categories = ( { name = \"social\"; sni = [ \"social.example\" ]; } );\n"                 \
	"rules = (\n"
#define TAIL ");\n"

/* One expected warning: rule `rule` is shadowed by `by`, or (by == NULL) matches no pair. */
struct want {
	const char *rule, *by;
};

struct shadow_case {
	const char *what;
	const char *text;
	struct want want[3];
};

#define RULE(name, body) "  { name = \"" name "\"; " body " },\n"
#define LAST(name, body) "  { name = \"" name "\"; " body " }\n"

static const struct shadow_case shadow_cases[] = {
    {"after a match-all drop",
     HEAD RULE("all", "action = \"drop\";")
	 RULE("web", "action = \"pass\"; from = \"inside\"; proto = \"tcp\"; dport = 80;")
	     LAST("deny", "action = \"reject\";") TAIL,
     {{"web", "all"}, {"deny", "all"}}},
    {"after a narrower rule",
     HEAD RULE("half", "action = \"pass\"; from = \"192.0.2.0/25\";")
	 RULE("web-only", "action = \"pass\"; to = \"@web\";")
	     LAST("inside", "action = \"drop\"; from = \"inside\";") TAIL,
     {{NULL, NULL}}},
    {"after a category rule",
     HEAD RULE("social", "action = \"reject\"; category = \"social\";")
	 LAST("rest", "action = \"pass\"; from = \"inside\";") TAIL,
     {{NULL, NULL}}},
    {"after a grant rule",
     HEAD RULE("granted", "action = \"pass\"; from = \"inside\"; grant = true;")
	 LAST("rest", "action = \"drop\"; from = \"inside\";") TAIL,
     {{NULL, NULL}}},
    {"dport list covers a port",
     HEAD RULE("web", "action = \"pass\"; proto = \"tcp\"; dport = [ 80, 443 ];")
	 LAST("tls", "action = \"drop\"; proto = \"tcp\"; dport = 443;") TAIL,
     {{"tls", "web"}}},
    {"dport range covers a port",
     HEAD RULE("low", "action = \"pass\"; proto = \"tcp\"; dport = \"1-1024\";")
	 LAST("http", "action = \"drop\"; proto = \"tcp\"; dport = 80;") TAIL,
     {{"http", "low"}}},
    {"a port does not cover a range",
     HEAD RULE("http", "action = \"pass\"; proto = \"tcp\"; dport = 80;")
	 LAST("two", "action = \"drop\"; proto = \"tcp\"; dport = \"80-81\";") TAIL,
     {{NULL, NULL}}},
    {"adjacent ranges cover together",
     HEAD RULE("both", "action = \"pass\"; proto = \"udp\"; dport = [ \"101-200\", \"1-100\" ];")
	 LAST("mid", "action = \"drop\"; proto = \"udp\"; dport = \"50-150\";") TAIL,
     {{"mid", "both"}}},
    {"ranges with a gap do not",
     HEAD RULE("gap", "action = \"pass\"; proto = \"udp\"; dport = [ \"1-100\", \"102-200\" ];")
	 LAST("mid", "action = \"drop\"; proto = \"udp\"; dport = \"50-150\";") TAIL,
     {{NULL, NULL}}},
    {"ports do not cover any port",
     HEAD RULE("http", "action = \"pass\"; proto = \"tcp\"; dport = 80;")
	 LAST("tcp", "action = \"drop\"; proto = \"tcp\";") TAIL,
     {{NULL, NULL}}},
    {"sport and dport both covered",
     HEAD RULE("high", "action = \"pass\"; proto = \"tcp\"; sport = \"1024-65535\";")
	 LAST("one", "action = \"drop\"; proto = \"tcp\"; sport = 2000; dport = 80;") TAIL,
     {{"one", "high"}}},
    {"sport not covered",
     HEAD RULE("high", "action = \"pass\"; proto = \"tcp\"; sport = \"1024-65535\";")
	 LAST("low", "action = \"drop\"; proto = \"tcp\"; sport = 80; dport = 80;") TAIL,
     {{NULL, NULL}}},
    {"proto any covers tcp",
     HEAD RULE("in", "action = \"drop\"; from = \"inside\";")
	 LAST("in-tcp", "action = \"pass\"; from = \"inside\"; proto = \"tcp\";") TAIL,
     {{"in-tcp", "in"}}},
    {"tcp does not cover udp",
     HEAD RULE("tcp", "action = \"pass\"; proto = \"tcp\";")
	 RULE("udp", "action = \"pass\"; proto = \"udp\";") LAST("any", "action = \"drop\";") TAIL,
     {{NULL, NULL}}},
    {"a protocol number covers itself",
     HEAD RULE("gre", "action = \"pass\"; proto = 47;")
	 LAST("gre2", "action = \"drop\"; proto = 47; from = \"inside\";") TAIL,
     {{"gre2", "gre"}}},
    {"inside covers a prefix within it",
     HEAD RULE("in", "action = \"pass\"; from = \"inside\";")
	 LAST("half", "action = \"drop\"; from = \"192.0.2.128/25\";") TAIL,
     {{"half", "in"}}},
    {"negation",
     HEAD RULE("out", "action = \"pass\"; from = \"!inside\";")
	 RULE("doc", "action = \"drop\"; from = \"198.51.100.0/24\";")
	     LAST("half", "action = \"drop\"; from = \"192.0.2.0/25\";") TAIL,
     {{"doc", "out"}}},
    {"negated set",
     HEAD RULE("not-web", "action = \"pass\"; to = \"!@web\";")
	 RULE("web-host", "action = \"drop\"; to = \"203.0.113.5\";")
	     LAST("doc", "action = \"drop\"; to = \"198.51.100.0/24\";") TAIL,
     {{"doc", "not-web"}}},
    {"array covers",
     HEAD RULE("two", "action = \"pass\"; from = [ \"10.0.0.0/8\", \"192.0.2.0/24\" ];")
	 LAST("ten", "action = \"drop\"; from = \"10.1.0.0/16\";") TAIL,
     {{"ten", "two"}}},
    {"to side",
     HEAD RULE("out", "action = \"pass\"; to = \"outside\";")
	 RULE("in-host", "action = \"drop\"; to = \"192.0.2.1\";")
	     LAST("web", "action = \"drop\"; to = \"203.0.113.5\";") TAIL,
     {{"web", "out"}}},
    {"IPv4 only does not cover both families",
     HEAD RULE("v4", "action = \"pass\"; from = \"0.0.0.0/0\";")
	 RULE("web", "action = \"drop\"; to = \"@web\";")
	     LAST("v6", "action = \"drop\"; from = \"::/0\"; to = \"@web\";") TAIL,
     {{"v6", "web"}}},
    {"the first shadowing rule is named",
     HEAD RULE("in", "action = \"pass\"; from = \"inside\";")
	 RULE("in-tcp", "action = \"pass\"; from = \"inside\"; proto = \"tcp\";") LAST(
	     "in-http", "action = \"drop\"; from = \"inside\"; proto = \"tcp\"; dport = 80;") TAIL,
     {{"in-tcp", "in"}, {"in-http", "in"}}},
    {"a category or grant rule after a broader one",
     HEAD RULE("in", "action = \"pass\"; from = \"inside\";")
	 RULE("social", "action = \"reject\"; from = \"inside\"; category = \"social\";")
	     LAST("granted", "action = \"pass\"; from = \"192.0.2.7\"; grant = true;") TAIL,
     {{"social", "in"}, {"granted", "in"}}},
    {"negated any",
     HEAD RULE("never", "action = \"pass\"; from = \"!any\";") LAST("any", "action = \"drop\";")
	 TAIL,
     {{"never", NULL}}},
    {"a rule over several lines is reported at its first line",
     HEAD RULE("tcp", "action = \"pass\"; proto = \"tcp\";")
	 LAST("ssh", "action = \"drop\";\n    proto = \"tcp\";\n    dport = 22;") TAIL,
     {{"ssh", "tcp"}}},
    {"no address pair",
     HEAD RULE("mixed", "action = \"pass\"; from = \"192.0.2.0/24\"; to = \"2001:db8:2000::/48\";")
	 LAST("any", "action = \"drop\";") TAIL,
     {{"mixed", NULL}}},
    {"no address pair, both families",
     HEAD RULE("mixed", "action = \"pass\"; from = [ \"192.0.2.0/24\", \"2001:db8:1000::/48\" ];"
			" to = [ \"2001:db8:2000::/48\", \"203.0.113.0/24\" ];")
	 LAST("cross", "action = \"drop\"; from = \"2001:db8:1000::/48\";"
		       " to = \"203.0.113.0/24\";") TAIL,
     {{"cross", NULL}}},
};

static bool has_line(const struct cp_diag *d, const char *line)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->lines[i], line) == 0)
			return true;
	return false;
}

static void expect_warning(const struct loaded *l, const struct cp_diag *d, const struct want *w)
{
	char needle[128], line[512];
	snprintf(needle, sizeof(needle), "{ name = \"%s\"; action", w->rule);
	int at = line_of(l->text, needle);
	if (w->by == NULL) {
		snprintf(line, sizeof(line),
			 "%s:%d: warning: rule \"%s\" matches no address pair: it can never decide",
			 l->path, at, w->rule);
	} else {
		snprintf(needle, sizeof(needle), "{ name = \"%s\"; action", w->by);
		snprintf(line, sizeof(line),
			 "%s:%d: warning: rule \"%s\" is never reached: rule \"%s\" (line %d) "
			 "matches everything it matches first",
			 l->path, at, w->rule, w->by, line_of(l->text, needle));
	}
	if (!has_line(d, line))
		fail_msg("missing: %s", line);
}

static void test_shadow(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shadow_cases) / sizeof(shadow_cases[0]); i++) {
		const struct shadow_case *c = &shadow_cases[i];
		struct loaded l;
		struct cp_diag d;
		unsigned nwant = 0;
		print_message("case: %s\n", c->what);
		load_text(c->text, &l);
		cp_diag_init(&d);
		cp_policy_shadow_check(l.p, &d);
		for (unsigned k = 0; k < d.n; k++)
			print_message("  %s\n", d.lines[k]);
		for (; nwant < 3 && c->want[nwant].rule != NULL; nwant++)
			expect_warning(&l, &d, &c->want[nwant]);
		assert_int_equal(d.errors, 0);
		assert_int_equal(d.warnings, nwant);
		assert_int_equal(d.n, nwant);
		cp_diag_free(&d);
		unload(&l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_space_classes),    cmocka_unit_test(test_space_shared_leaves),
	    cmocka_unit_test(test_space_many_rules), cmocka_unit_test(test_space_empty),
	    cmocka_unit_test(test_shadow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
