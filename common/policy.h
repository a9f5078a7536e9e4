/* The policy as written (SPEC §3), validated. Loaded from libconfig by policy_load.c; compiled into
 * address classes by policy_compile.c; into runtime tables by the dataplane. Immutable once loaded.
 */
#ifndef CP_POLICY_H
#define CP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "catalog.h"
#include "diag.h"

#define CP_NAME_MAX 64 /* names of rules, sets, categories, including the NUL */
/* Categories a policy may define: a flow's matched categories are one 64-bit mask. */
#define CP_MAX_CATEGORIES 64

enum cp_action { CP_ACT_PASS = 0, CP_ACT_DROP = 1, CP_ACT_REJECT = 2 };

enum cp_term_kind {
	CP_TERM_ANY = 0,
	CP_TERM_INSIDE,
	CP_TERM_OUTSIDE,
	CP_TERM_PREFIX, /* pfx */
	CP_TERM_SET,	/* set: index into cp_policy_src.sets */
};

/* One address expression: any, inside, outside, an address/prefix or @set, maybe negated. */
struct cp_addr_term {
	enum cp_term_kind kind;
	bool negate;
	struct cp_prefix pfx;
	unsigned set;
};

/* from/to: matches when any term matches. n == 0 means "any". */
struct cp_addr_expr {
	struct cp_addr_term *terms;
	unsigned n;
};

struct cp_port_range {
	uint16_t lo, hi; /* inclusive */
};

/* n == 0 means any port. */
struct cp_port_list {
	struct cp_port_range *r;
	unsigned n;
};

#define CP_PROTO_ANY (-1)

struct cp_rule {
	char name[CP_NAME_MAX];
	int line;
	enum cp_action action;
	struct cp_addr_expr from, to;
	int proto; /* CP_PROTO_ANY or 0..255 (tcp 6, udp 17, icmp 1, icmp6 58) */
	struct cp_port_list sport, dport;
	unsigned *categories; /* indexes into cp_policy_src.categories; any of them */
	unsigned n_categories;
	bool grant;
};

/* A named set, resolved: its own prefixes plus those of every set it includes (transitively). */
struct cp_set {
	char name[CP_NAME_MAX];
	int line;
	struct cp_prefix *pfx;
	unsigned n;
};

enum cp_field {
#define CP_FIELD_ENUM(id, name) CP_FIELD_##id,
	CP_FIELDS(CP_FIELD_ENUM)
#undef CP_FIELD_ENUM
	    CP_FIELD_MAX
};

/* "sni", "host", "dns", "payload" (catalog.h); NULL for anything else. */
const char *cp_field_name(enum cp_field f);

/* One entry of a category list, as written ("social.example", "=x.example", "/re/i"). */
struct cp_pattern {
	char *text;
	int line;
};

struct cp_category {
	char name[CP_NAME_MAX];
	int line;
	struct cp_pattern *pat[CP_FIELD_MAX];
	unsigned n_pat[CP_FIELD_MAX];
};

enum cp_frag_mode { CP_FRAG_DROP = 0, CP_FRAG_REASSEMBLE = 1 };

struct cp_settings {
	uint32_t inspect_bytes; /* default 4096 */
	uint32_t flow_timeout;	/* seconds, default 120 */
	enum cp_frag_mode fragments;
	bool non_ip_pass; /* default true */
	bool monitor;	  /* default false */
};

struct cp_policy_src {
	char *file; /* path as given */
	struct cp_prefix *inside;
	unsigned n_inside;
	struct cp_set *sets;
	unsigned n_sets;
	struct cp_category *categories;
	unsigned n_categories;
	struct cp_rule *rules;
	unsigned n_rules;
	struct cp_settings settings;
};

/* Load and lint a policy file: what `chokectl check`, `push` and serve's reload run. Every problem
 * goes to diag as FILE:LINE (loading goes on after the first one). Returns the policy when this
 * load added no error to diag, else NULL. Beyond the checks of cp_policy_read, every category
 * entry is checked with Hyperscan on its own, and shadowed-rule warnings are added. */
struct cp_policy_src *cp_policy_load(const char *path, struct cp_diag *diag);
/* The same from text (len bytes; a pushed policy): name stands for the file in messages, and
 * @include is refused. */
struct cp_policy_src *cp_policy_load_text(const char *name, const char *text, size_t len,
					  struct cp_diag *diag);
/* What the dataplane runs: load and check what installing the policy needs to be safe (syntax,
 * every key, value and reference, limits), without the lint: no Hyperscan check of each entry (the
 * databases come built and are checked as they are deserialized, or cp_hs_compile reports a bad
 * entry as it builds them) and no shadowing analysis. */
struct cp_policy_src *cp_policy_read(const char *path, struct cp_diag *diag);
struct cp_policy_src *cp_policy_read_text(const char *name, const char *text, size_t len,
					  struct cp_diag *diag);
void cp_policy_free(struct cp_policy_src *p);

int cp_rule_find(const struct cp_policy_src *p, const char *name);

#endif
