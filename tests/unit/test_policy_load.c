/* Unit tests of the policy loader (SPEC §3): valid policies and the structures they load into,
 * invalid ones and the FILE:LINE errors they give, and every example policy in rules/. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

/* ---- helpers ---- */

struct loaded {
	char path[64];
	struct cp_diag diag;
	struct cp_policy_src *p;
};

/* Writes text to a fresh temp file; its name goes to path (64 bytes). */
static void write_temp(const char *text, char path[64])
{
	snprintf(path, 64, "/tmp/test_policy_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Writes text to a fresh temp file and loads it. */
static void load_text(const char *text, struct loaded *l)
{
	write_temp(text, l->path);
	cp_diag_init(&l->diag);
	l->p = cp_policy_load(l->path, &l->diag);
}

static void unload(struct loaded *l)
{
	cp_policy_free(l->p);
	cp_diag_free(&l->diag);
	unlink(l->path);
}

static void print_diag(const struct loaded *l)
{
	for (unsigned i = 0; i < l->diag.n; i++)
		print_message("  diag: %s\n", l->diag.lines[i]);
}

/* The k-th error line (0-based), or NULL. */
static const char *nth_error(const struct cp_diag *d, unsigned k)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strstr(d->lines[i], ": error: ") != NULL && k-- == 0)
			return d->lines[i];
	return NULL;
}

/* The line number of "PATH:LINE: error: ...", 0 for "PATH: error: ...", -1 when not of path. */
static int diag_line_number(const char *line, const char *path)
{
	size_t n = strlen(path);
	if (strncmp(line, path, n) != 0 || line[n] != ':')
		return -1;
	if (line[n + 1] == ' ')
		return 0;
	return atoi(line + n + 1);
}

static const struct cp_set *find_set(const struct cp_policy_src *p, const char *name)
{
	for (unsigned i = 0; i < p->n_sets; i++)
		if (strcmp(p->sets[i].name, name) == 0)
			return &p->sets[i];
	fail_msg("no set %s", name);
	return NULL;
}

static const struct cp_rule *rule(const struct cp_policy_src *p, const char *name)
{
	int i = cp_rule_find(p, name);
	if (i < 0)
		fail_msg("no rule %s", name);
	return &p->rules[i];
}

static struct cp_prefix pfx(const char *s)
{
	struct cp_prefix x;
	char err[128];
	assert_int_equal(cp_prefix_parse(s, &x, err, sizeof(err)), 0);
	return x;
}

static bool pfx_eq(const struct cp_prefix *a, const char *s)
{
	struct cp_prefix b = pfx(s);
	return a->family == b.family && a->len == b.len && memcmp(a->a, b.a, 16) == 0;
}

static bool set_has(const struct cp_set *s, const char *prefix)
{
	for (unsigned i = 0; i < s->n; i++)
		if (pfx_eq(&s->pfx[i], prefix))
			return true;
	return false;
}

#define HEAD "version = 1;\ninside = [ \"192.0.2.0/24\", \"2001:db8:1::/48\" ];\n"

/* ---- valid policies ---- */

static void check_minimal(const struct cp_policy_src *p)
{
	assert_int_equal(p->n_rules, 1);
	assert_int_equal(p->n_inside, 2);
	assert_true(pfx_eq(&p->inside[0], "192.0.2.0/24"));
	assert_true(pfx_eq(&p->inside[1], "2001:db8:1::/48"));
	const struct cp_rule *r = &p->rules[0];
	assert_string_equal(r->name, "rule1");
	assert_int_equal(r->line, 3);
	assert_int_equal(r->action, CP_ACT_PASS);
	assert_int_equal(r->proto, CP_PROTO_ANY);
	assert_int_equal(r->from.n, 0);
	assert_int_equal(r->to.n, 0);
	assert_int_equal(r->sport.n, 0);
	assert_int_equal(r->dport.n, 0);
	assert_int_equal(r->n_categories, 0);
	assert_false(r->grant);
	assert_int_equal(p->n_sets, 0);
	assert_int_equal(p->n_categories, 0);
	assert_int_equal(p->settings.inspect_bytes, 4096);
	assert_int_equal(p->settings.flow_timeout, 120);
	assert_int_equal(p->settings.fragments, CP_FRAG_DROP);
	assert_true(p->settings.non_ip_pass);
	assert_false(p->settings.monitor);
}

static void check_sets(const struct cp_policy_src *p)
{
	assert_int_equal(p->n_sets, 4);
	const struct cp_set *a = find_set(p, "a"), *b = find_set(p, "b"), *c = find_set(p, "c");
	const struct cp_set *d = find_set(p, "d");
	assert_int_equal(c->n, 1);
	assert_true(set_has(c, "2001:db8:ff::/48"));
	assert_int_equal(b->n, 2);
	assert_true(set_has(b, "198.51.100.0/24"));
	assert_true(set_has(b, "2001:db8:ff::/48"));
	assert_int_equal(a->n, 3);
	assert_true(set_has(a, "192.0.2.0/25"));
	assert_true(set_has(a, "198.51.100.0/24"));
	assert_true(set_has(a, "2001:db8:ff::/48"));
	assert_int_equal(a->line, 5);
	/* a diamond: d reaches c through a and b, and c's prefix comes once */
	assert_int_equal(d->n, 4);
	assert_true(set_has(d, "203.0.113.7"));
	const struct cp_rule *r = rule(p, "use-sets");
	assert_int_equal(r->from.n, 1);
	assert_int_equal(r->from.terms[0].kind, CP_TERM_SET);
	assert_string_equal(p->sets[r->from.terms[0].set].name, "d");
}

static void check_terms(const struct cp_policy_src *p)
{
	const struct cp_rule *r = rule(p, "terms");
	assert_int_equal(r->from.n, 6);
	const struct cp_addr_term *t = r->from.terms;
	assert_int_equal(t[0].kind, CP_TERM_INSIDE);
	assert_true(t[0].negate);
	assert_int_equal(t[1].kind, CP_TERM_SET);
	assert_false(t[1].negate);
	assert_string_equal(p->sets[t[1].set].name, "s");
	assert_int_equal(t[2].kind, CP_TERM_PREFIX);
	assert_true(pfx_eq(&t[2].pfx, "198.51.100.7"));
	assert_int_equal(t[2].pfx.len, 32);
	assert_int_equal(t[3].kind, CP_TERM_PREFIX);
	assert_true(t[3].negate);
	assert_true(pfx_eq(&t[3].pfx, "2001:db8::/32"));
	assert_int_equal(t[4].kind, CP_TERM_ANY);
	assert_int_equal(t[5].kind, CP_TERM_OUTSIDE);
	assert_true(t[5].negate);
	assert_int_equal(r->to.n, 1);
	assert_int_equal(r->to.terms[0].kind, CP_TERM_SET);
	assert_true(r->to.terms[0].negate);
}

static void check_ports(const struct cp_policy_src *p)
{
	const struct cp_rule *r = rule(p, "web");
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->dport.n, 3);
	assert_int_equal(r->dport.r[0].lo, 1000);
	assert_int_equal(r->dport.r[0].hi, 2000);
	assert_int_equal(r->dport.r[1].lo, 80);
	assert_int_equal(r->dport.r[1].hi, 80);
	assert_int_equal(r->dport.r[2].lo, 443);
	assert_int_equal(r->dport.r[2].hi, 443);
	assert_int_equal(r->sport.n, 1);
	assert_int_equal(r->sport.r[0].lo, 1024);
	assert_int_equal(r->sport.r[0].hi, 65535);
	r = rule(p, "dns");
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->dport.n, 2);
	assert_int_equal(r->dport.r[0].lo, 53);
	assert_int_equal(r->dport.r[1].lo, 5353);
	assert_int_equal(r->dport.r[1].hi, 5354);
	r = rule(p, "numeric");
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->dport.n, 1);
	assert_int_equal(r->dport.r[0].lo, 0);
	assert_int_equal(r->dport.r[0].hi, 65535);
	r = rule(p, "int64");
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->dport.r[0].lo, 123);
}

static void check_protos(const struct cp_policy_src *p)
{
	assert_int_equal(rule(p, "rule1")->proto, 1);
	assert_int_equal(rule(p, "rule2")->proto, 58);
	assert_int_equal(rule(p, "rule3")->proto, CP_PROTO_ANY);
	assert_int_equal(rule(p, "rule4")->proto, 0);
	assert_int_equal(rule(p, "rule5")->proto, 255);
	assert_int_equal(rule(p, "rule5")->action, CP_ACT_REJECT);
	assert_int_equal(rule(p, "rule6")->action, CP_ACT_DROP);
	assert_int_equal(cp_rule_find(p, "rule7"), -1);
	assert_int_equal(cp_rule_find(p, "rule6"), 5);
}

static void check_settings(const struct cp_policy_src *p)
{
	assert_int_equal(p->settings.inspect_bytes, 1048576);
	assert_int_equal(p->settings.flow_timeout, 604800);
	assert_int_equal(p->settings.fragments, CP_FRAG_REASSEMBLE);
	assert_false(p->settings.non_ip_pass);
	assert_true(p->settings.monitor);
}

static void check_settings_low(const struct cp_policy_src *p)
{
	assert_int_equal(p->settings.inspect_bytes, 0);
	assert_int_equal(p->settings.flow_timeout, 1);
	assert_int_equal(p->settings.fragments, CP_FRAG_DROP);
	assert_true(p->settings.non_ip_pass);
	assert_false(p->settings.monitor);
}

static void check_categories(const struct cp_policy_src *p)
{
	assert_int_equal(p->n_categories, 2);
	const struct cp_category *c = &p->categories[0];
	assert_string_equal(c->name, "a");
	assert_int_equal(c->line, 4);
	assert_int_equal(c->n_pat[CP_FIELD_SNI], 1);
	assert_string_equal(c->pat[CP_FIELD_SNI][0].text, "a.example");
	assert_int_equal(c->pat[CP_FIELD_SNI][0].line, 5);
	assert_int_equal(c->n_pat[CP_FIELD_DNS], 2);
	assert_string_equal(c->pat[CP_FIELD_DNS][1].text, "=b.example");
	assert_int_equal(c->pat[CP_FIELD_DNS][0].line, 6);
	assert_int_equal(c->pat[CP_FIELD_DNS][1].line, 7);
	assert_int_equal(c->n_pat[CP_FIELD_HOST], 0);
	c = &p->categories[1];
	assert_string_equal(c->name, "b");
	assert_int_equal(c->n_pat[CP_FIELD_PAYLOAD], 1);
	assert_string_equal(c->pat[CP_FIELD_PAYLOAD][0].text, "/x\\s+y/i");
	const struct cp_rule *r = rule(p, "cats");
	assert_int_equal(r->n_categories, 2);
	assert_int_equal(r->categories[0], 1);
	assert_int_equal(r->categories[1], 0);
	assert_true(r->grant);
	r = rule(p, "one");
	assert_int_equal(r->n_categories, 1);
	assert_int_equal(r->categories[0], 0);
}

static void check_spec_example(const struct cp_policy_src *p)
{
	assert_int_equal(p->n_inside, 3);
	assert_int_equal(p->n_sets, 4);
	assert_int_equal(p->n_categories, 2);
	assert_int_equal(p->n_rules, 5);
	const struct cp_set *academic = find_set(p, "academic");
	assert_int_equal(academic->n, 2);
	assert_true(set_has(academic, "203.0.113.64/26"));
	assert_int_equal(find_set(p, "library")->n, 2);
	assert_string_equal(p->categories[0].name, "social");
	assert_int_equal(p->categories[0].n_pat[CP_FIELD_DNS], 2);
	assert_string_equal(p->categories[1].pat[CP_FIELD_PAYLOAD][1].text, "/secret\\s+word/i");
	const struct cp_rule *r = rule(p, "library-web");
	assert_int_equal(r->action, CP_ACT_PASS);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->dport.n, 2);
	assert_int_equal(r->dport.r[1].lo, 443);
	assert_true(r->grant);
	r = rule(p, "no-social");
	assert_int_equal(r->action, CP_ACT_REJECT);
	assert_int_equal(r->from.terms[0].kind, CP_TERM_INSIDE);
	assert_int_equal(r->n_categories, 1);
	assert_int_equal(rule(p, "deny")->action, CP_ACT_DROP);
	assert_int_equal(cp_rule_find(p, "deny"), 4);
}

/* SPEC §3's example, verbatim. */
static const char spec_example[] =
    "version = 1;\n"
    "\n"
    "# The routable space behind the border (\"inside\" in rules). Required.\n"
    "inside = [ \"175.45.176.0/22\", \"210.52.109.0/24\", \"2001:db8:1000::/48\" ];\n"
    "\n"
    "# Named address sets; rules refer to them as \"@name\". Optional.\n"
    "sets = {\n"
    "  trusted  = [ \"175.45.176.8/29\" ];\n"
    "  library  = [ \"175.45.177.0/27\", \"2001:db8:1000:5::/64\" ];\n"
    "  academic = [ \"198.51.100.0/24\", \"@mirrors\" ];   # sets may include sets\n"
    "  mirrors  = [ \"203.0.113.64/26\" ];\n"
    "};\n"
    "\n"
    "# Payload categories, matched with Hyperscan. Optional.\n"
    "categories = (\n"
    "  { name = \"social\";   sni = [ \"social.example\" ]; host = [ \"social.example\" ];\n"
    "                       dns = [ \"social.example\", \"=cdn.example.net\" ]; },\n"
    "  { name = \"keywords\"; payload = [ \"forbidden-term\", \"/secret\\\\s+word/i\" ]; }\n"
    ");\n"
    "\n"
    "# Rules: the first that matches decides. Required.\n"
    "rules = (\n"
    "  { name = \"trusted-out\"; action = \"pass\";   from = \"@trusted\"; },\n"
    "  { name = \"no-social\";   action = \"reject\"; from = \"inside\"; category = \"social\"; "
    "},\n"
    "  { name = \"library-web\"; action = \"pass\";   from = \"@library\"; to = \"@academic\";\n"
    "    proto = \"tcp\"; dport = [ 80, 443 ]; grant = true; },\n"
    "  { name = \"library-dns\"; action = \"pass\";   from = \"@library\"; to = \"@academic\";\n"
    "    proto = \"udp\"; dport = 53; grant = true; },\n"
    "  { name = \"deny\";        action = \"drop\"; }\n"
    ");\n"
    "\n"
    "settings = {                # all optional, defaults shown\n"
    "  inspect_bytes = 4096;     # payload bytes per direction inspected per flow\n"
    "  flow_timeout  = 120;      # seconds of idleness before a flow is forgotten\n"
    "  fragments     = \"drop\";   # or \"reassemble\"\n"
    "  non_ip        = \"pass\";   # ARP and other non-IP frames: \"pass\" or \"drop\"\n"
    "  monitor       = false;    # true: count verdicts but forward everything\n"
    "};\n";

struct valid_case {
	const char *name;
	const char *text;
	void (*check)(const struct cp_policy_src *p);
};

static const struct valid_case valid_cases[] = {
    {"minimal with defaults", HEAD "rules = ( { action = \"pass\"; } );\n", check_minimal},
    {"sets flattened through includes",
     HEAD "rules = ( { name = \"use-sets\"; action = \"pass\"; from = \"@d\"; } );\n"
	  "sets = {\n"
	  "  a = [ \"192.0.2.0/25\", \"@b\" ];\n"
	  "  b = [ \"@c\", \"198.51.100.0/24\" ];\n"
	  "  c = [ \"2001:db8:ff::/48\" ];\n"
	  "  d = [ \"@a\", \"@b\", \"203.0.113.7\" ];\n"
	  "};\n",
     check_sets},
    {"address terms and negation",
     HEAD "sets = { s = \"198.51.100.0/24\"; };\n"
	  "rules = ( { name = \"terms\"; action = \"drop\";\n"
	  "  from = [ \"!inside\", \"@s\", \"198.51.100.7\", \"!2001:db8::/32\", \"any\",\n"
	  "           \"!outside\" ];\n"
	  "  to = \"!@s\"; } );\n",
     check_terms},
    {"ports and ranges",
     HEAD "rules = (\n"
	  "  { name = \"web\"; action = \"pass\"; proto = \"tcp\";\n"
	  "    dport = ( \"1000-2000\", 80, \"443\" ); sport = \"1024-65535\"; },\n"
	  "  { name = \"dns\"; action = \"pass\"; proto = \"udp\"; dport = ( 53, \"5353-5354\" ); "
	  "},\n"
	  "  { name = \"numeric\"; action = \"pass\"; proto = 6; dport = \"0-65535\"; },\n"
	  "  { name = \"int64\"; action = \"pass\"; proto = 17L; dport = [ 123L ]; }\n"
	  ");\n",
     check_ports},
    {"protocols, actions, default names",
     HEAD "rules = (\n"
	  "  { action = \"pass\"; proto = \"icmp\"; },\n"
	  "  { action = \"pass\"; proto = \"icmp6\"; },\n"
	  "  { action = \"pass\"; proto = \"any\"; },\n"
	  "  { action = \"pass\"; proto = 0; },\n"
	  "  { action = \"reject\"; proto = 255; },\n"
	  "  { action = \"drop\"; }\n"
	  ");\n",
     check_protos},
    {"settings at their maxima",
     "version = 1L;\ninside = \"192.0.2.0/24\";\nrules = ( { action = \"pass\"; } );\n"
     "settings = { inspect_bytes = 1048576L; flow_timeout = 604800; fragments = "
     "\"reassemble\";\n"
     "  non_ip = \"drop\"; monitor = true; };\n",
     check_settings},
    {"settings at their minima",
     HEAD "rules = ( { action = \"pass\"; } );\n"
	  "settings = { inspect_bytes = 0; flow_timeout = 1; fragments = \"drop\"; "
	  "non_ip = \"pass\";\n"
	  "  monitor = false; };\n",
     check_settings_low},
    {"categories and their lines",
     HEAD "categories = (\n"
	  "  { name = \"a\";\n"
	  "    sni = \"a.example\";\n"
	  "    dns = [ \"a.example\",\n"
	  "            \"=b.example\" ]; },\n"
	  "  { name = \"b\"; payload = \"/x\\\\s+y/i\"; }\n"
	  ");\n"
	  "rules = ( { name = \"cats\"; action = \"drop\"; category = [ \"b\", \"a\" ]; grant = "
	  "true; },\n"
	  "  { name = \"one\"; action = \"drop\"; category = \"a\"; } );\n",
     check_categories},
    {"SPEC section 3 example, verbatim", spec_example, check_spec_example},
};

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		const struct valid_case *c = &valid_cases[i];
		struct loaded l;
		print_message("valid: %s\n", c->name);
		load_text(c->text, &l);
		if (l.p == NULL || l.diag.errors != 0)
			print_diag(&l);
		assert_non_null(l.p);
		assert_int_equal(l.diag.errors, 0);
		assert_string_equal(l.p->file, l.path);
		c->check(l.p);
		unload(&l);
	}
}

/* ---- invalid policies ---- */

struct invalid_case {
	const char *name;
	const char *text;
	unsigned errors;    /* how many */
	const char *first;  /* substring of the first error */
	int line;	    /* its line; 0: no line */
	const char *second; /* optional: the second error */
	int line2;
};

#define RULE_OK "rules = ( { action = \"pass\"; } );\n"

static const struct invalid_case invalid_cases[] = {
    {"syntax error", HEAD "rules = ( { action = \"pass\"; } ;\n", 1, "syntax error", 3, NULL, 0},
    {"syntax error reported alone", HEAD "bogus = 1;\nrules = ( { action = \"pass\" ) );\n", 1,
     "syntax error", 4, NULL, 0},
    {"unknown top-level key", HEAD RULE_OK "rule = 5;\n", 1, "unknown key \"rule\"", 4, NULL, 0},
    {"missing inside", "version = 1;\n" RULE_OK, 1, "missing \"inside\"", 0, NULL, 0},
    {"missing rules", HEAD, 1, "missing \"rules\"", 0, NULL, 0},
    {"missing version", "inside = \"192.0.2.0/24\";\n" RULE_OK, 1, "missing \"version", 0, NULL, 0},
    {"empty file", "", 3, "missing", 0, NULL, 0},
    {"version 2", "version = 2;\ninside = \"192.0.2.0/24\";\n" RULE_OK, 1, "unsupported version 2",
     1, NULL, 0},
    {"empty inside", "version = 1;\ninside = [];\n" RULE_OK, 1, "inside must not be empty", 2, NULL,
     0},
    {"bad prefix", "version = 1;\ninside = [ \"192.0.2.0/33\" ];\n" RULE_OK, 1, "bad prefix length",
     2, NULL, 0},
    {"bad address", "version = 1;\ninside = [ \"192.0.2.300\" ];\n" RULE_OK, 1, "bad address", 2,
     NULL, 0},
    {"host bits set", "version = 1;\ninside = [ \"192.0.2.1/24\" ];\n" RULE_OK, 1, "host bits set",
     2, NULL, 0},
    {"undefined @set in a set", HEAD RULE_OK "sets = {\n  a = [ \"@nope\" ];\n};\n", 1,
     "undefined set \"@nope\"", 5, NULL, 0},
    {"undefined @set in a rule", HEAD "rules = ( { action = \"pass\"; to = \"@nope\"; } );\n", 1,
     "undefined set \"@nope\"", 3, NULL, 0},
    {"set cycle",
     HEAD RULE_OK "sets = {\n  a = [ \"@b\" ];\n  b = [ \"@c\", \"192.0.2.0/25\" ];\n"
		  "  c = [ \"@a\" ];\n};\n",
     1, "set cycle: a -> b -> c -> a", 5, NULL, 0},
    {"set including itself", HEAD RULE_OK "sets = { a = [ \"@a\" ]; };\n", 1, "set cycle: a -> a",
     4, NULL, 0},
    {"bad set name", HEAD RULE_OK "sets = { Trusted = [ \"192.0.2.0/25\" ]; };\n", 1,
     "bad set name \"Trusted\"", 4, NULL, 0},
    {"set members not strings, each reported", HEAD RULE_OK "sets = { a = [ 1, 2 ]; };\n", 2,
     "must be a string or an array of strings", 4, NULL, 0},
    {"unknown category",
     HEAD "categories = ( { name = \"a\"; sni = \"a.example\"; } );\n"
	  "rules = ( { action = \"drop\"; category = [ \"a\", \"nope\" ]; } );\n",
     1, "unknown category \"nope\"", 4, NULL, 0},
    {"category without entries", HEAD "categories = ( { name = \"a\"; } );\n" RULE_OK, 1,
     "has no entries", 3, NULL, 0},
    {"category without name", HEAD "categories = ( { sni = \"a.example\"; } );\n" RULE_OK, 1,
     "category has no name", 3, NULL, 0},
    {"unknown category key",
     HEAD "categories = ( { name = \"a\"; sni = \"a.example\";\n  url = \"x\"; } );\n" RULE_OK, 1,
     "unknown category key \"url\"", 4, NULL, 0},
    {"duplicate category names",
     HEAD "categories = ( { name = \"a\"; sni = \"a.example\"; },\n"
	  "  { name = \"a\"; dns = \"b.example\"; } );\n" RULE_OK,
     1, "duplicate category name \"a\" (also at line 3)", 4, NULL, 0},
    {"categories not a list", HEAD "categories = { name = \"a\"; };\n" RULE_OK, 1,
     "categories must be a list of groups", 3, NULL, 0},
    {"duplicate rule names",
     HEAD "rules = (\n  { name = \"x\"; action = \"pass\"; },\n"
	  "  { name = \"x\"; action = \"drop\"; }\n);\n",
     1, "duplicate rule name \"x\" (also at line 4)", 5, NULL, 0},
    {"default name collides with an explicit one",
     HEAD "rules = (\n  { name = \"rule2\"; action = \"pass\"; },\n  { action = \"drop\"; }\n);\n",
     1, "duplicate rule name \"rule2\"", 5, NULL, 0},
    {"ports without proto", HEAD "rules = ( { action = \"pass\";\n  dport = 80; } );\n", 1,
     "ports need proto tcp or udp", 4, NULL, 0},
    {"ports with icmp",
     HEAD "rules = ( { action = \"pass\"; proto = \"icmp\";\n  sport = 8; } );\n", 1,
     "ports need proto tcp or udp", 4, NULL, 0},
    {"port range 90-80",
     HEAD "rules = ( { action = \"pass\"; proto = \"tcp\"; dport = \"90-80\"; } );\n", 1,
     "bad port range \"90-80\"", 3, NULL, 0},
    {"port 70000",
     HEAD "rules = ( { action = \"pass\"; proto = \"tcp\";\n  dport = [ 80, 70000 ]; } );\n", 1,
     "port 70000 is out of range", 4, NULL, 0},
    {"port string 70000",
     HEAD "rules = ( { action = \"pass\"; proto = \"udp\"; dport = \"70000\"; } );\n", 1,
     "bad port \"70000\"", 3, NULL, 0},
    {"port garbage", HEAD "rules = ( { action = \"pass\"; proto = \"udp\"; dport = \"8o\"; } );\n",
     1, "bad port \"8o\"", 3, NULL, 0},
    {"negative port", HEAD "rules = ( { action = \"pass\"; proto = \"udp\"; dport = -1; } );\n", 1,
     "port -1 is out of range", 3, NULL, 0},
    {"empty port list", HEAD "rules = ( { action = \"pass\"; proto = \"udp\"; dport = []; } );\n",
     1, "dport must not be empty", 3, NULL, 0},
    {"integer libconfig would wrap",
     HEAD "rules = ( { action = \"pass\"; proto = \"tcp\";\n  dport = 4294967376; } );\n", 1,
     "integer 4294967376 is out of range", 4, NULL, 0},
    {"bad action", HEAD "rules = ( { action = \"allow\"; } );\n", 1, "bad action \"allow\"", 3,
     NULL, 0},
    {"missing action", HEAD "rules = ( { name = \"x\"; } );\n", 1, "has no action", 3, NULL, 0},
    {"bad proto name", HEAD "rules = ( { action = \"pass\"; proto = \"sctp\"; } );\n", 1,
     "bad proto \"sctp\"", 3, NULL, 0},
    {"proto out of range", HEAD "rules = ( { action = \"pass\"; proto = 256; } );\n", 1,
     "proto 256 is out of range", 3, NULL, 0},
    {"bad rule name", HEAD "rules = ( { name = \"Web Out\"; action = \"pass\"; } );\n", 1,
     "bad rule name \"Web Out\"", 3, NULL, 0},
    {"rule name too long",
     HEAD "rules = ( { name = "
	  "\"a123456789012345678901234567890123456789012345678901234567890123\"; action = "
	  "\"pass\"; } );\n",
     1, "too long", 3, NULL, 0},
    {"unknown rule key", HEAD "rules = ( { action = \"pass\";\n  prot = \"tcp\"; } );\n", 1,
     "unknown rule key \"prot\"", 4, NULL, 0},
    {"from of the wrong type", HEAD "rules = ( { action = \"pass\"; from = 5; } );\n", 1,
     "from must be a string or an array of strings", 3, NULL, 0},
    {"double negation", HEAD "rules = ( { action = \"pass\"; from = \"!!inside\"; } );\n", 1,
     "double negation", 3, NULL, 0},
    {"bad address in to",
     HEAD "rules = ( { action = \"pass\"; to = [ \"inside\", \"insde\" ]; } );\n", 1,
     "to: bad address \"insde\"", 3, NULL, 0},
    {"grant not a bool", HEAD "rules = ( { action = \"pass\"; grant = \"yes\"; } );\n", 1,
     "grant must be true or false", 3, NULL, 0},
    {"empty rules", HEAD "rules = ();\n", 1, "rules must be a non-empty list", 3, NULL, 0},
    {"rule not a group", HEAD "rules = ( \"pass\" );\n", 1, "rule must be a group", 3, NULL, 0},
    {"bad fragments setting", HEAD RULE_OK "settings = {\n  fragments = \"keep\";\n};\n", 1,
     "fragments must be \"drop\" or \"reassemble\"", 5, NULL, 0},
    {"inspect_bytes too large", HEAD RULE_OK "settings = { inspect_bytes = 2000000; };\n", 1,
     "inspect_bytes = 2000000 is out of range", 4, NULL, 0},
    {"flow_timeout zero", HEAD RULE_OK "settings = { flow_timeout = 0; };\n", 1,
     "flow_timeout = 0 is out of range", 4, NULL, 0},
    {"monitor not a bool", HEAD RULE_OK "settings = { monitor = 1; };\n", 1,
     "monitor must be true or false", 4, NULL, 0},
    {"non_ip bad", HEAD RULE_OK "settings = { non_ip = \"forward\"; };\n", 1,
     "non_ip must be \"pass\" or \"drop\"", 4, NULL, 0},
    {"unknown setting", HEAD RULE_OK "settings = { workers = 4; };\n", 1,
     "unknown setting \"workers\"", 4, NULL, 0},
    {"two independent errors, keeps going",
     "version = 1;\ninside = [ \"192.0.2.0/33\" ];\nrules = (\n  { action = \"pass\"; },\n"
     "  { action = \"allow\"; }\n);\n",
     2, "bad prefix length", 2, "bad action \"allow\"", 5},
    {"errors come out in line order",
     HEAD "settings = { fragments = \"x\"; };\nsets = { a = [ \"@b\" ]; };\n" RULE_OK, 2,
     "fragments must be", 3, "undefined set \"@b\"", 4},
    {"regex Hyperscan rejects, at its line",
     HEAD "categories = ( { name = \"kw\";\n  payload = [ \"fine\",\n    \"/(/\" ]; } );\n" RULE_OK,
     1, "payload entry \"/(/\"", 5, NULL, 0},
};

static void test_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		struct loaded l;
		print_message("invalid: %s\n", c->name);
		load_text(c->text, &l);
		const char *first = nth_error(&l.diag, 0);
		if (l.diag.errors != c->errors || first == NULL ||
		    strstr(first, c->first) == NULL || diag_line_number(first, l.path) != c->line)
			print_diag(&l);
		assert_null(l.p);
		assert_int_equal(l.diag.errors, c->errors);
		assert_non_null(first);
		assert_non_null(strstr(first, c->first));
		assert_int_equal(diag_line_number(first, l.path), c->line);
		if (c->second != NULL) {
			const char *second = nth_error(&l.diag, 1);
			assert_non_null(second);
			assert_non_null(strstr(second, c->second));
			assert_int_equal(diag_line_number(second, l.path), c->line2);
		}
		unload(&l);
	}
}

/* ---- files ---- */

static void test_unreadable(void **state)
{
	(void)state;
	struct cp_diag d;
	const char *paths[] = {"/nonexistent/policy.conf", "/tmp"};
	const char *why[] = {"cannot read: No such file or directory",
			     "cannot read: Is a directory"};
	for (size_t i = 0; i < 2; i++) {
		cp_diag_init(&d);
		assert_null(cp_policy_load(paths[i], &d));
		assert_int_equal(d.errors, 1);
		assert_int_equal(d.n, 1);
		assert_int_equal(strncmp(d.lines[0], paths[i], strlen(paths[i])), 0);
		assert_non_null(strstr(d.lines[0], why[i]));
		assert_int_equal(diag_line_number(d.lines[0], paths[i]), 0);
		cp_diag_free(&d);
	}
}

/* Problems of an earlier file in the same diag do not fail the next one. */
static void test_diag_shared(void **state)
{
	(void)state;
	struct loaded bad;
	char good[64];
	load_text("version = 2;\n", &bad);
	assert_null(bad.p);
	assert_int_equal(bad.diag.errors, 3);
	write_temp(HEAD RULE_OK, good);
	struct cp_policy_src *p = cp_policy_load(good, &bad.diag);
	assert_non_null(p);
	assert_int_equal(bad.diag.errors, 3);
	cp_policy_free(p);
	unlink(good);
	unload(&bad);
}

/* Builds a policy text of n repetitions of a formatted piece between a head and a tail. */
static char *repeat_text(const char *head, const char *piece, unsigned n, const char *tail)
{
	size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(piece) + 16) + 1, len;
	char *t = malloc(cap);
	assert_non_null(t);
	len = (size_t)snprintf(t, cap, "%s", head);
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len, piece, i + 1, i);
	snprintf(t + len, cap - len, "%s", tail);
	return t;
}

/* Inputs meant to hurt: control characters, floods of errors, deep include chains. */
static void test_hostile(void **state)
{
	(void)state;
	struct loaded l;

	load_text(HEAD "rules = ( { action = \"pa\\nss\\x1b[2J\"; } );\n", &l);
	assert_null(l.p);
	assert_int_equal(l.diag.errors, 1);
	assert_non_null(strstr(l.diag.lines[0], "bad action \"pa?ss?[2J\""));
	unload(&l);

	char *t = repeat_text("version = 1;\nrules = ( { action = \"pass\"; } );\ninside = [\n",
			      "\"x%u\", # %u\n", 1500, "\"192.0.2.0/24\" ];\n");
	load_text(t, &l);
	free(t);
	assert_null(l.p);
	assert_int_equal(l.diag.errors, 1001);
	assert_non_null(strstr(l.diag.lines[l.diag.n - 1], "500 more problems not shown"));
	unload(&l);

	t = repeat_text(HEAD RULE_OK "sets = {\n  s0 = [ \"192.0.2.0/25\" ];\n",
			"  s%u = [ \"@s%u\" ];\n", 12000, "};\n");
	load_text(t, &l);
	free(t);
	assert_null(l.p);
	assert_int_equal(l.diag.errors, 1);
	assert_non_null(strstr(l.diag.lines[0], "too deeply"));
	unload(&l);

	load_text(HEAD "rules = ( { action = \"pass\"; proto = 0x100000006; } );\n", &l);
	assert_null(l.p);
	assert_int_equal(l.diag.errors, 1);
	assert_non_null(strstr(l.diag.lines[0], "integer 0x100000006 is out of range"));
	unload(&l);
}

static void test_free_null(void **state)
{
	(void)state;
	cp_policy_free(NULL);
	assert_int_equal(cp_rule_find(NULL, "x"), -1);
}

/* Every example policy in rules/ loads without error (run from the repository root). */
static void test_rules_dir(void **state)
{
	(void)state;
	DIR *dir = opendir("rules");
	assert_non_null(dir);
	unsigned loaded = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".conf") != 0)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "rules/%s", e->d_name);
		struct cp_diag d;
		cp_diag_init(&d);
		struct cp_policy_src *p = cp_policy_load(path, &d);
		if (p == NULL || d.errors != 0)
			cp_diag_print(&d, stderr);
		assert_non_null(p);
		assert_int_equal(d.errors, 0);
		assert_true(p->n_rules > 0);
		cp_policy_free(p);
		cp_diag_free(&d);
		loaded++;
	}
	closedir(dir);
	assert_true(loaded >= 3);
}

/* A pushed policy: loaded from text, named in messages, and never allowed to read files. */
static const struct text_case {
	const char *what, *text;
	int ok, line;
	const char *error;
} text_cases[] = {
    {"valid", "version = 1;\ninside = [ \"192.0.2.0/24\" ];\nrules = ( { action = \"drop\"; } );\n",
     1, 0, NULL},
    {"error named by the push",
     "version = 1;\ninside = [ \"192.0.2.0/33\" ];\n"
     "rules = ( { action = \"drop\"; } );\n",
     0, 2, "push.conf:2: error: "},
    {"@include refused", "version = 1;\n@include \"/etc/passwd\"\n", 0, 2,
     "push.conf:2: error: @include is not allowed"},
    {"syntax error", "version = 1;\ninside = [\n", 0, 3, "push.conf:3: error: syntax error"},
};

static void test_load_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct text_case *c = &text_cases[i];
		struct cp_diag d;
		cp_diag_init(&d);
		struct cp_policy_src *p =
		    cp_policy_load_text("push.conf", c->text, strlen(c->text), &d);
		print_message("text: %s\n", c->what);
		if (c->ok) {
			assert_non_null(p);
			assert_int_equal(d.errors, 0);
			assert_string_equal(p->file, "push.conf");
		} else {
			assert_null(p);
			assert_true(d.errors >= 1);
			assert_non_null(strstr(d.lines[0], c->error));
		}
		cp_policy_free(p);
		cp_diag_free(&d);
	}
	/* A NUL inside the text is refused, not read as the end. */
	static const char nul[] = "version = 1;\0 inside = [];";
	struct cp_diag d;
	cp_diag_init(&d);
	assert_null(cp_policy_load_text("push.conf", nul, sizeof(nul) - 1, &d));
	assert_non_null(strstr(d.lines[0], "NUL"));
	cp_diag_free(&d);
}

/* The lint (cp_policy_load*: check, push, serve's reload) against what the dataplane runs
 * (cp_policy_read*): a bad Hyperscan entry and a shadowed rule are the lint's alone; everything
 * the install needs is refused by both. */
static void test_lint_and_read(void **state)
{
	(void)state;
	static const struct {
		const char *what, *text;
		bool lint_ok, read_ok;
		unsigned lint_warnings;
		const char *lint_error; /* a part of the first line when !lint_ok */
	} cases[] = {
	    {"regex Hyperscan rejects",
	     HEAD "categories = ( { name = \"kw\";\n  payload = [ \"/(/\" ]; } );\n" RULE_OK, false,
	     true, 0, "payload entry \"/(/\""},
	    {"shadowed rule",
	     HEAD
	     "rules = ( { action = \"pass\"; },\n  { action = \"drop\"; proto = \"tcp\"; } );\n",
	     true, true, 1, NULL},
	    {"bad action", HEAD "rules = ( { action = \"allow\"; } );\n", false, false, 0,
	     "bad action"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_diag lint, read;
		size_t len = strlen(cases[i].text);
		print_message("lint and read: %s\n", cases[i].what);
		cp_diag_init(&lint);
		cp_diag_init(&read);
		struct cp_policy_src *a = cp_policy_load_text("p.conf", cases[i].text, len, &lint);
		struct cp_policy_src *b = cp_policy_read_text("p.conf", cases[i].text, len, &read);
		assert_int_equal(a != NULL, cases[i].lint_ok);
		assert_int_equal(b != NULL, cases[i].read_ok);
		assert_int_equal(lint.warnings, cases[i].lint_warnings);
		assert_int_equal(read.warnings, 0);
		if (!cases[i].lint_ok)
			assert_non_null(strstr(lint.lines[0], cases[i].lint_error));
		cp_policy_free(a);
		cp_policy_free(b);
		cp_diag_free(&lint);
		cp_diag_free(&read);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),	  cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_unreadable),	  cmocka_unit_test(test_diag_shared),
	    cmocka_unit_test(test_free_null),	  cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_rules_dir),	  cmocka_unit_test(test_load_text),
	    cmocka_unit_test(test_lint_and_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
