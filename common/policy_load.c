/* Loads a policy file (SPEC §3, libconfig syntax) into a struct cp_policy_src that owns all of its
 * memory, reporting every problem as FILE:LINE through cp_diag (sorted by line). */
#include "policy.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_text.h"
#include "hs_patterns.h"
#include "policy_compile.h"

#define MAX_FLAT_PREFIXES   (1u << 22) /* all sets together, includes expanded */
#define MAX_SET_STEPS	    (1u << 26) /* work allowed to expand includes */
#define MAX_MSGS	    1000       /* problems shown; the rest are counted */
#define MAX_SETTING_INSPECT 1048576
#define MAX_SETTING_TIMEOUT 604800

/* One problem, kept until the end of loading so that they come out in line order. */
struct msg {
	int line;
	unsigned seq;
	bool error;
	char *file; /* NULL: the policy file itself */
	char *text;
};

/* A name and where it came from, sortable: for lookups and duplicate checks. */
struct name_ref {
	const char *name;
	unsigned idx;
	const config_setting_t *cfg;
	bool implicit; /* a default name (rules: "rule<N>") */
};

/* A set as written, before includes are expanded. */
struct set_tmp {
	const config_setting_t *cfg;
	struct cp_prefix *own;
	unsigned n_own;
	unsigned *incl; /* indexes of included sets */
	unsigned n_incl;
};

struct loader {
	const char *path;
	char dir[4096]; /* the policy file's directory, where @include looks; "" for the cwd */
	struct cp_policy_src *p;
	struct msg *msgs;
	unsigned n_msgs, cap_msgs;
	unsigned not_shown, not_shown_errors; /* problems past MAX_MSGS */
	bool oom;
	struct set_tmp *st;
	struct name_ref *set_names; /* sorted by name */
	struct name_ref *cat_names; /* sorted by name */
	unsigned n_cat_names;
};

/* ---- problems ---- */

static void vreport(struct loader *ld, bool error, const char *file, int line, const char *fmt,
		    va_list ap)
{
	char text[1024];

	if (ld->n_msgs >= MAX_MSGS) {
		ld->not_shown++;
		ld->not_shown_errors += error;
		return;
	}
	vsnprintf(text, sizeof(text), fmt, ap);
	for (char *c = text; *c != '\0'; c++) /* one line per problem, no terminal escapes */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (ld->n_msgs == ld->cap_msgs) {
		unsigned cap = ld->cap_msgs ? ld->cap_msgs * 2 : 16;
		struct msg *m = realloc(ld->msgs, cap * sizeof(*m));
		if (m == NULL) {
			ld->oom = true;
			return;
		}
		ld->msgs = m;
		ld->cap_msgs = cap;
	}
	struct msg *m = &ld->msgs[ld->n_msgs];
	m->line = line;
	m->seq = ld->n_msgs;
	m->error = error;
	m->text = strdup(text);
	m->file = NULL;
	if (file != NULL && strcmp(file, ld->path) != 0) {
		/* a file named by @include: libconfig keeps the name as written */
		size_t len = strlen(ld->dir) + strlen(file) + 2;
		m->file = malloc(len);
		if (m->file != NULL && (file[0] == '/' || ld->dir[0] == '\0'))
			snprintf(m->file, len, "%s", file);
		else if (m->file != NULL)
			snprintf(m->file, len, "%s/%s", ld->dir, file);
	}
	if (m->text == NULL) {
		free(m->file);
		ld->oom = true;
		return;
	}
	ld->n_msgs++;
}

static const char *src_file(const config_setting_t *s)
{
	return s != NULL ? config_setting_source_file(s) : NULL;
}

static int src_line(const config_setting_t *s)
{
	return s != NULL ? (int)config_setting_source_line(s) : 0;
}

/* An error at the line of s (s NULL: no line). */
__attribute__((format(printf, 3, 4))) static void err(struct loader *ld, const config_setting_t *s,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ld, true, src_file(s), src_line(s), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void warn(struct loader *ld, const config_setting_t *s,
						       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ld, false, src_file(s), src_line(s), fmt, ap);
	va_end(ap);
}

/* An error at a line of the policy file itself. */
__attribute__((format(printf, 3, 4))) static void err_line(struct loader *ld, int line,
							   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ld, true, NULL, line, fmt, ap);
	va_end(ap);
}

/* Records that memory ran out; the load fails. */
static void no_memory(struct loader *ld)
{
	ld->oom = true;
}

static int msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Hands the collected problems to diag, sorted by line (stable), and forgets them. */
static void flush_msgs(struct loader *ld, struct cp_diag *diag)
{
	if (ld->n_msgs > 1)
		qsort(ld->msgs, ld->n_msgs, sizeof(*ld->msgs), msg_cmp);
	for (unsigned i = 0; i < ld->n_msgs; i++) {
		struct msg *m = &ld->msgs[i];
		const char *file = m->file != NULL ? m->file : ld->path;
		if (m->error)
			cp_diag_error(diag, file, m->line, "%s", m->text);
		else
			cp_diag_warn(diag, file, m->line, "%s", m->text);
		free(m->text);
		free(m->file);
	}
	if (ld->not_shown_errors > 0)
		cp_diag_error(diag, ld->path, 0, "%u more problems not shown", ld->not_shown);
	else if (ld->not_shown > 0)
		cp_diag_warn(diag, ld->path, 0, "%u more warnings not shown", ld->not_shown);
	if (ld->oom)
		cp_diag_error(diag, ld->path, 0, "out of memory");
	free(ld->msgs);
	ld->msgs = NULL;
	ld->n_msgs = ld->cap_msgs = 0;
}

/* ---- small helpers ---- */

static bool is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static bool is_seq(const config_setting_t *s)
{
	return config_setting_is_array(s) || config_setting_is_list(s);
}

/* Policy names: [a-z0-9_-]+, shorter than CP_NAME_MAX. Reports and returns false otherwise. */
static bool check_name(struct loader *ld, const config_setting_t *s, const char *what,
		       const char *name)
{
	size_t len = strlen(name);

	if (len == 0) {
		err(ld, s, "%s name is empty", what);
		return false;
	}
	if (len >= CP_NAME_MAX) {
		err(ld, s, "%s name \"%.20s...\" is too long (at most %d characters)", what, name,
		    CP_NAME_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			err(ld, s, "bad %s name \"%s\": use only a-z, 0-9, '_' and '-'", what,
			    name);
			return false;
		}
	}
	return true;
}

static void copy_name(char dst[CP_NAME_MAX], const char *src)
{
	snprintf(dst, CP_NAME_MAX, "%s", src);
}

/* A string, or a non-empty array or list of strings: returns how many elements, or -1 after
 * reporting "KEY must be a string or an array of strings". Elements that are not strings are
 * reported here; str_list_elem gives NULL for them. */
static int str_list_len(struct loader *ld, const config_setting_t *s, const char *key)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1;
	if (!is_seq(s)) {
		err(ld, s, "%s must be a string or an array of strings", key);
		return -1;
	}
	int n = config_setting_length(s);
	if (n <= 0) {
		err(ld, s, "%s must not be empty", key);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (e != NULL && config_setting_type(e) != CONFIG_TYPE_STRING)
			err(ld, e, "%s must be a string or an array of strings", key);
	}
	return n;
}

/* String element i of a value that str_list_len accepted, or NULL when it is not a string. */
static const config_setting_t *str_list_elem(const config_setting_t *s, int i)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return s;
	const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
	if (e == NULL || config_setting_type(e) != CONFIG_TYPE_STRING)
		return NULL;
	return e;
}

static int name_ref_cmp(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Index of name among n sorted refs (the lowest index when it occurs twice), or -1. */
static int name_find(const struct name_ref *refs, unsigned n, const char *name)
{
	unsigned lo = 0, hi = n;
	if (refs == NULL)
		return -1;
	while (lo < hi) { /* first ref not below name */
		unsigned mid = lo + (hi - lo) / 2;
		if (strcmp(refs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && strcmp(refs[lo].name, name) == 0)
		return (int)refs[lo].idx;
	return -1;
}

/* Reports every name of sorted refs that an earlier one already used. */
static void report_duplicates(struct loader *ld, const struct name_ref *refs, unsigned n,
			      const char *what)
{
	unsigned first = 0;
	for (unsigned i = 1; i < n; i++) {
		if (strcmp(refs[first].name, refs[i].name) != 0) {
			first = i;
			continue;
		}
		if (refs[i].name[0] == '\0')
			continue;
		if (refs[first].implicit)
			err(ld, refs[i].cfg,
			    "duplicate %s name \"%s\" (the default name of the %s at "
			    "line %d)",
			    what, refs[i].name, what, src_line(refs[first].cfg));
		else if (refs[i].implicit)
			err(ld, refs[i].cfg,
			    "duplicate %s name \"%s\" (this %s's default name; also at "
			    "line %d)",
			    what, refs[i].name, what, src_line(refs[first].cfg));
		else
			err(ld, refs[i].cfg, "duplicate %s name \"%s\" (also at line %d)", what,
			    refs[i].name, src_line(refs[first].cfg));
	}
}

/* ---- inside ---- */

static void load_inside(struct loader *ld, const config_setting_t *s)
{
	int n = str_list_len(ld, s, "inside");
	if (n < 0)
		return;
	ld->p->inside = calloc((size_t)n, sizeof(*ld->p->inside));
	if (ld->p->inside == NULL) {
		no_memory(ld);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = str_list_elem(s, i);
		char emsg[256];
		struct cp_prefix *pfx = &ld->p->inside[ld->p->n_inside];
		if (e == NULL)
			continue;
		if (cp_prefix_parse(config_setting_get_string(e), pfx, emsg, sizeof(emsg)) != 0)
			err(ld, e, "inside: %s", emsg);
		else
			ld->p->n_inside++;
	}
}

/* ---- sets ---- */

/* Parses the members of one set: own prefixes now, "@name" includes resolved by name. */
static void load_set_members(struct loader *ld, unsigned i)
{
	struct set_tmp *t = &ld->st[i];
	const char *name = ld->p->sets[i].name;
	char key[CP_NAME_MAX + 8];
	snprintf(key, sizeof(key), "set \"%s\"", name);
	int n = str_list_len(ld, t->cfg, key);
	if (n < 0)
		return;
	t->own = calloc((size_t)n, sizeof(*t->own));
	t->incl = calloc((size_t)n, sizeof(*t->incl));
	if (t->own == NULL || t->incl == NULL) {
		no_memory(ld);
		return;
	}
	for (int k = 0; k < n; k++) {
		const config_setting_t *e = str_list_elem(t->cfg, k);
		if (e == NULL)
			continue;
		const char *v = config_setting_get_string(e);
		char emsg[256];
		if (v[0] == '@') {
			int j = name_find(ld->set_names, ld->p->n_sets, v + 1);
			if (j < 0)
				err(ld, e, "set \"%s\": undefined set \"%s\"", name, v);
			else
				t->incl[t->n_incl++] = (unsigned)j;
		} else if (cp_prefix_parse(v, &t->own[t->n_own], emsg, sizeof(emsg)) != 0) {
			err(ld, e, "set \"%s\": %s", name, emsg);
		} else {
			t->n_own++;
		}
	}
}

/* Reports the include cycle on stack[from..depth-1] that closes back at stack[from]. */
static void report_cycle(struct loader *ld, const unsigned *stack, unsigned from, unsigned depth)
{
	char buf[768];
	size_t len = 0;
	for (unsigned k = from; k <= depth && len < sizeof(buf); k++) {
		unsigned s = k < depth ? stack[k] : stack[from];
		int w = snprintf(buf + len, sizeof(buf) - len, "%s%s", k > from ? " -> " : "",
				 ld->p->sets[s].name);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (len >= sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	err(ld, ld->st[stack[from]].cfg, "set cycle: %s", buf);
}

/* Depth-first search over includes with an explicit stack (no recursion on hostile input);
 * every back edge is a cycle. */
static void check_set_cycles(struct loader *ld)
{
	unsigned n = ld->p->n_sets;
	unsigned char *color = calloc(n, 1); /* 0 unseen, 1 on the stack, 2 done */
	unsigned *stack = calloc(n, sizeof(*stack));
	unsigned *next = calloc(n, sizeof(*next));
	unsigned *pos = calloc(n, sizeof(*pos));
	if (color == NULL || stack == NULL || next == NULL || pos == NULL) {
		no_memory(ld);
		goto out;
	}
	for (unsigned root = 0; root < n; root++) {
		unsigned depth = 0;
		if (color[root] != 0)
			continue;
		stack[depth] = root;
		pos[root] = depth++;
		color[root] = 1;
		next[root] = 0;
		while (depth > 0) {
			unsigned u = stack[depth - 1];
			if (next[u] == ld->st[u].n_incl) {
				color[u] = 2;
				depth--;
				continue;
			}
			unsigned v = ld->st[u].incl[next[u]++];
			if (color[v] == 1) {
				report_cycle(ld, stack, pos[v], depth);
			} else if (color[v] == 0) {
				color[v] = 1;
				next[v] = 0;
				pos[v] = depth;
				stack[depth++] = v;
			}
		}
	}
out:
	free(color);
	free(stack);
	free(next);
	free(pos);
}

/* Every set reachable from i (i included, each once, cycles tolerated) into vis; returns the
 * count, or 0 when that would take more than *budget steps (hostile nesting). */
static unsigned reachable_sets(const struct loader *ld, unsigned i, unsigned *stamp, unsigned *vis,
			       size_t *budget)
{
	unsigned nvis = 0, done = 0;
	stamp[i] = i + 1;
	vis[nvis++] = i;
	while (done < nvis) {
		const struct set_tmp *t = &ld->st[vis[done++]];
		if (*budget <= t->n_incl)
			return 0;
		*budget -= t->n_incl + 1u;
		for (unsigned k = 0; k < t->n_incl; k++) {
			unsigned v = t->incl[k];
			if (stamp[v] != i + 1) {
				stamp[v] = i + 1;
				vis[nvis++] = v;
			}
		}
	}
	return nvis;
}

/* Fills each cp_set with its own prefixes plus those of every set it reaches through includes. */
static void flatten_sets(struct loader *ld)
{
	unsigned n = ld->p->n_sets;
	size_t total = 0, budget = MAX_SET_STEPS;
	unsigned *stamp = calloc(n, sizeof(*stamp));
	unsigned *vis = calloc(n, sizeof(*vis));
	if (stamp == NULL || vis == NULL) {
		no_memory(ld);
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		struct cp_set *set = &ld->p->sets[i];
		unsigned nvis = reachable_sets(ld, i, stamp, vis, &budget);
		size_t count = 0;
		if (nvis == 0) {
			err(ld, ld->st[i].cfg, "sets include each other too deeply to expand");
			break;
		}
		for (unsigned k = 0; k < nvis; k++)
			count += ld->st[vis[k]].n_own;
		total += count;
		if (total > MAX_FLAT_PREFIXES) {
			err(ld, ld->st[i].cfg, "sets expand to more than %u prefixes in all",
			    MAX_FLAT_PREFIXES);
			break;
		}
		if (count == 0) {
			warn(ld, ld->st[i].cfg, "set \"%s\" is empty", set->name);
			continue;
		}
		set->pfx = calloc(count, sizeof(*set->pfx));
		if (set->pfx == NULL) {
			no_memory(ld);
			break;
		}
		for (unsigned k = 0; k < nvis; k++) {
			const struct set_tmp *t = &ld->st[vis[k]];
			memcpy(set->pfx + set->n, t->own, t->n_own * sizeof(*t->own));
			set->n += t->n_own;
		}
	}
out:
	free(stamp);
	free(vis);
}

static void load_sets(struct loader *ld, const config_setting_t *s)
{
	struct cp_policy_src *p = ld->p;
	if (!config_setting_is_group(s)) {
		err(ld, s, "sets must be a group: sets = { name = [ \"prefix\", \"@set\" ]; }");
		return;
	}
	int n = config_setting_length(s);
	if (n <= 0)
		return;
	p->sets = calloc((size_t)n, sizeof(*p->sets));
	ld->st = calloc((size_t)n, sizeof(*ld->st));
	ld->set_names = calloc((size_t)n, sizeof(*ld->set_names));
	if (p->sets == NULL || ld->st == NULL || ld->set_names == NULL) {
		no_memory(ld);
		return;
	}
	p->n_sets = (unsigned)n;
	for (unsigned i = 0; i < p->n_sets; i++) {
		const config_setting_t *m = config_setting_get_elem(s, i);
		const char *name = config_setting_name(m);
		check_name(ld, m, "set", name);
		copy_name(p->sets[i].name, name);
		p->sets[i].line = (int)config_setting_source_line(m);
		ld->st[i].cfg = m;
		ld->set_names[i] = (struct name_ref){p->sets[i].name, i, m, false};
	}
	qsort(ld->set_names, p->n_sets, sizeof(*ld->set_names), name_ref_cmp);
	for (unsigned i = 0; i < p->n_sets; i++)
		load_set_members(ld, i);
	if (ld->oom)
		return;
	check_set_cycles(ld);
	flatten_sets(ld);
}

/* ---- categories ---- */

static const char *const field_keys[CP_FIELD_MAX] = {
#define FIELD_KEY(id, name) [CP_FIELD_##id] = name,
    CP_FIELDS(FIELD_KEY)
#undef FIELD_KEY
};

const char *cp_field_name(enum cp_field f)
{
	return (unsigned)f < CP_FIELD_MAX ? field_keys[f] : NULL;
}

static void load_category_field(struct loader *ld, struct cp_category *c, enum cp_field f,
				const config_setting_t *s)
{
	int n = str_list_len(ld, s, field_keys[f]);
	if (n < 0)
		return;
	c->pat[f] = calloc((size_t)n, sizeof(*c->pat[f]));
	if (c->pat[f] == NULL) {
		no_memory(ld);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = str_list_elem(s, i);
		if (e == NULL)
			continue;
		const char *v = config_setting_get_string(e);
		if (v[0] == '\0') {
			err(ld, e, "%s entry is empty", field_keys[f]);
			continue;
		}
		struct cp_pattern *pat = &c->pat[f][c->n_pat[f]];
		pat->text = strdup(v);
		if (pat->text == NULL) {
			no_memory(ld);
			return;
		}
		pat->line = (int)config_setting_source_line(e);
		c->n_pat[f]++;
	}
}

static void load_category(struct loader *ld, unsigned i, const config_setting_t *g)
{
	struct cp_category *c = &ld->p->categories[i];
	bool named = false, has_fields = false;

	c->line = (int)config_setting_source_line(g);
	for (int k = 0; k < config_setting_length(g); k++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
		const char *key = config_setting_name(m);
		int f;
		for (f = 0; f < CP_FIELD_MAX && strcmp(key, field_keys[f]) != 0; f++)
			;
		if (f < CP_FIELD_MAX) {
			has_fields = true;
			load_category_field(ld, c, (enum cp_field)f, m);
		} else if (strcmp(key, "name") == 0) {
			named = true;
			if (config_setting_type(m) != CONFIG_TYPE_STRING)
				err(ld, m, "category name must be a string");
			else if (check_name(ld, m, "category", config_setting_get_string(m)))
				copy_name(c->name, config_setting_get_string(m));
		} else {
			err(ld, m,
			    "unknown category key \"%s\" (use name, sni, host, dns, payload)", key);
		}
	}
	if (!named)
		err(ld, g, "category has no name");
	if (!has_fields)
		err(ld, g, "category%s%s%s has no entries (sni, host, dns or payload)",
		    named ? " \"" : "", c->name, named ? "\"" : "");
}

static void load_categories(struct loader *ld, const config_setting_t *s)
{
	struct cp_policy_src *p = ld->p;
	int n = is_seq(s) ? config_setting_length(s) : -1;
	if (n < 0 || (n > 0 && !config_setting_is_list(s))) {
		err(ld, s, "categories must be a list of groups: ( { name = \"x\"; sni = ...; } )");
		return;
	}
	if (n == 0)
		return;
	if (n > CP_MAX_CATEGORIES) {
		err(ld, s, "too many categories (%d; at most %d)", n, CP_MAX_CATEGORIES);
		return;
	}
	p->categories = calloc((size_t)n, sizeof(*p->categories));
	ld->cat_names = calloc((size_t)n, sizeof(*ld->cat_names));
	if (p->categories == NULL || ld->cat_names == NULL) {
		no_memory(ld);
		return;
	}
	p->n_categories = (unsigned)n;
	for (unsigned i = 0; i < p->n_categories; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			err(ld, g, "category must be a group: { name = \"x\"; sni = ...; }");
			continue;
		}
		load_category(ld, i, g);
		if (p->categories[i].name[0] != '\0')
			ld->cat_names[ld->n_cat_names++] =
			    (struct name_ref){p->categories[i].name, i, g, false};
	}
	qsort(ld->cat_names, ld->n_cat_names, sizeof(*ld->cat_names), name_ref_cmp);
	report_duplicates(ld, ld->cat_names, ld->n_cat_names, "category");
}

/* ---- rules ---- */

/* One address expression: any, inside, outside, address, prefix, @set, maybe behind '!'. */
static bool parse_term(struct loader *ld, const config_setting_t *e, const char *key,
		       struct cp_addr_term *t)
{
	const char *v = config_setting_get_string(e);
	char emsg[256];

	memset(t, 0, sizeof(*t));
	if (v[0] == '!') {
		t->negate = true;
		v++;
	}
	if (v[0] == '!') {
		err(ld, e, "%s: double negation in \"%s\"", key, v - 1);
		return false;
	}
	if (v[0] == '\0') {
		err(ld, e, "%s: empty address expression", key);
		return false;
	}
	if (strcmp(v, "any") == 0) {
		t->kind = CP_TERM_ANY;
	} else if (strcmp(v, "inside") == 0) {
		t->kind = CP_TERM_INSIDE;
	} else if (strcmp(v, "outside") == 0) {
		t->kind = CP_TERM_OUTSIDE;
	} else if (v[0] == '@') {
		int j = name_find(ld->set_names, ld->p->n_sets, v + 1);
		if (j < 0) {
			err(ld, e, "%s: undefined set \"%s\"", key, v);
			return false;
		}
		t->kind = CP_TERM_SET;
		t->set = (unsigned)j;
	} else if (cp_prefix_parse(v, &t->pfx, emsg, sizeof(emsg)) == 0) {
		t->kind = CP_TERM_PREFIX;
	} else {
		err(ld, e, "%s: %s", key, emsg);
		return false;
	}
	return true;
}

static void load_addr_expr(struct loader *ld, const config_setting_t *s, const char *key,
			   struct cp_addr_expr *x)
{
	int n = str_list_len(ld, s, key);
	if (n < 0)
		return;
	x->terms = calloc((size_t)n, sizeof(*x->terms));
	if (x->terms == NULL) {
		no_memory(ld);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = str_list_elem(s, i);
		if (e != NULL && parse_term(ld, e, key, &x->terms[x->n]))
			x->n++;
	}
}

/* Decimal digits of a port at *s, advancing it. Returns 0..65535, or -1 (none, or too large). */
static long parse_port_num(const char **s)
{
	long v = 0;
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		if (v > 65535)
			return -1;
		p++;
	}
	*s = p;
	return v;
}

/* One port value: an integer, "n" or "lo-hi". */
static bool parse_port(struct loader *ld, const config_setting_t *e, const char *key,
		       struct cp_port_range *r)
{
	if (is_int(e)) {
		long long v = config_setting_get_int64(e);
		if (v < 0 || v > 65535) {
			err(ld, e, "%s: port %lld is out of range (0-65535)", key, v);
			return false;
		}
		r->lo = r->hi = (uint16_t)v;
		return true;
	}
	if (config_setting_type(e) != CONFIG_TYPE_STRING) {
		err(ld, e, "%s must be a port, a \"lo-hi\" range or an array of those", key);
		return false;
	}
	const char *v = config_setting_get_string(e), *p = v;
	long lo = parse_port_num(&p), hi = lo;
	if (lo >= 0 && *p == '-') {
		p++;
		hi = parse_port_num(&p);
	}
	if (lo < 0 || hi < 0 || *p != '\0') {
		err(ld, e, "%s: bad port \"%s\" (use 0-65535 or \"lo-hi\")", key, v);
		return false;
	}
	if (lo > hi) {
		err(ld, e, "%s: bad port range \"%s\" (start above end)", key, v);
		return false;
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return true;
}

static void load_ports(struct loader *ld, const config_setting_t *s, const char *key,
		       struct cp_port_list *pl)
{
	int n = 1;
	if (is_seq(s)) {
		n = config_setting_length(s);
		if (n <= 0) {
			err(ld, s, "%s must not be empty", key);
			return;
		}
	}
	pl->r = calloc((size_t)n, sizeof(*pl->r));
	if (pl->r == NULL) {
		no_memory(ld);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = is_seq(s) ? config_setting_get_elem(s, (unsigned)i) : s;
		if (e != NULL && parse_port(ld, e, key, &pl->r[pl->n]))
			pl->n++;
	}
}

/* Returns false when proto is invalid (already reported). */
static bool load_proto(struct loader *ld, const config_setting_t *s, int *proto)
{
	static const struct {
		const char *name;
		int num;
	} names[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmp6", 58}, {"any", CP_PROTO_ANY}};

	if (is_int(s)) {
		long long v = config_setting_get_int64(s);
		if (v < 0 || v > 255) {
			err(ld, s, "proto %lld is out of range (0-255)", v);
			return false;
		}
		*proto = (int)v;
		return true;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		err(ld, s, "proto must be a name (tcp, udp, icmp, icmp6, any) or a number");
		return false;
	}
	const char *v = config_setting_get_string(s);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i].name) == 0) {
			*proto = names[i].num;
			return true;
		}
	}
	err(ld, s, "bad proto \"%s\": use tcp, udp, icmp, icmp6, any or a number 0-255", v);
	return false;
}

static void load_action(struct loader *ld, const config_setting_t *s, enum cp_action *a)
{
	const char *v =
	    config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
	if (v != NULL && strcmp(v, "pass") == 0)
		*a = CP_ACT_PASS;
	else if (v != NULL && strcmp(v, "drop") == 0)
		*a = CP_ACT_DROP;
	else if (v != NULL && strcmp(v, "reject") == 0)
		*a = CP_ACT_REJECT;
	else if (v != NULL)
		err(ld, s, "bad action \"%s\": use pass, drop or reject", v);
	else
		err(ld, s, "action must be a string: pass, drop or reject");
}

static void load_rule_categories(struct loader *ld, const config_setting_t *s, struct cp_rule *r)
{
	int n = str_list_len(ld, s, "category");
	if (n < 0)
		return;
	r->categories = calloc((size_t)n, sizeof(*r->categories));
	if (r->categories == NULL) {
		no_memory(ld);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = str_list_elem(s, i);
		if (e == NULL)
			continue;
		const char *v = config_setting_get_string(e);
		int c = name_find(ld->cat_names, ld->n_cat_names, v);
		if (c < 0)
			err(ld, e, "unknown category \"%s\"", v);
		else
			r->categories[r->n_categories++] = (unsigned)c;
	}
}

static const char *const rule_keys[] = {"name",	 "action", "from",     "to",   "proto",
					"sport", "dport",  "category", "grant"};

static bool known_rule_key(const char *key)
{
	for (size_t i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++)
		if (strcmp(key, rule_keys[i]) == 0)
			return true;
	return false;
}

static void load_rule_name(struct loader *ld, unsigned i, const config_setting_t *g)
{
	struct cp_rule *r = &ld->p->rules[i];
	const config_setting_t *s = config_setting_get_member(g, "name");
	if (s == NULL) {
		snprintf(r->name, sizeof(r->name), "rule%u", i + 1);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		err(ld, s, "rule name must be a string");
	else if (check_name(ld, s, "rule", config_setting_get_string(s)))
		copy_name(r->name, config_setting_get_string(s));
}

static void load_rule(struct loader *ld, unsigned i, const config_setting_t *g)
{
	struct cp_rule *r = &ld->p->rules[i];
	const config_setting_t *s;
	bool proto_ok = true;

	r->line = (int)config_setting_source_line(g);
	r->proto = CP_PROTO_ANY;
	for (int k = 0; k < config_setting_length(g); k++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
		if (!known_rule_key(config_setting_name(m)))
			err(ld, m, "unknown rule key \"%s\"", config_setting_name(m));
	}
	load_rule_name(ld, i, g);
	if ((s = config_setting_get_member(g, "action")) != NULL)
		load_action(ld, s, &r->action);
	else
		err(ld, g, "rule \"%s\" has no action (pass, drop or reject)", r->name);
	if ((s = config_setting_get_member(g, "from")) != NULL)
		load_addr_expr(ld, s, "from", &r->from);
	if ((s = config_setting_get_member(g, "to")) != NULL)
		load_addr_expr(ld, s, "to", &r->to);
	if ((s = config_setting_get_member(g, "proto")) != NULL)
		proto_ok = load_proto(ld, s, &r->proto);
	const char *port_keys[2] = {"sport", "dport"};
	struct cp_port_list *lists[2] = {&r->sport, &r->dport};
	for (int k = 0; k < 2; k++) {
		if ((s = config_setting_get_member(g, port_keys[k])) == NULL)
			continue;
		if (proto_ok && r->proto != 6 && r->proto != 17)
			err(ld, s, "%s: ports need proto tcp or udp", port_keys[k]);
		load_ports(ld, s, port_keys[k], lists[k]);
	}
	if ((s = config_setting_get_member(g, "category")) != NULL)
		load_rule_categories(ld, s, r);
	if ((s = config_setting_get_member(g, "grant")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			err(ld, s, "grant must be true or false");
		else
			r->grant = config_setting_get_bool(s) != 0;
	}
}

static void check_rule_names(struct loader *ld, const config_setting_t *const *cfg)
{
	struct cp_policy_src *p = ld->p;
	struct name_ref *refs = calloc(p->n_rules, sizeof(*refs));
	if (refs == NULL) {
		no_memory(ld);
		return;
	}
	for (unsigned i = 0; i < p->n_rules; i++) {
		bool implicit = !config_setting_is_group(cfg[i]) ||
				config_setting_get_member(cfg[i], "name") == NULL;
		refs[i] = (struct name_ref){p->rules[i].name, i, cfg[i], implicit};
	}
	qsort(refs, p->n_rules, sizeof(*refs), name_ref_cmp);
	report_duplicates(ld, refs, p->n_rules, "rule");
	free(refs);
}

static void load_rules(struct loader *ld, const config_setting_t *s)
{
	struct cp_policy_src *p = ld->p;
	int n = config_setting_is_list(s) ? config_setting_length(s) : -1;
	if (n <= 0) {
		err(ld, s,
		    "rules must be a non-empty list of groups: ( { action = \"pass\"; ... } )");
		return;
	}
	const config_setting_t **cfg = calloc((size_t)n, sizeof(*cfg));
	p->rules = calloc((size_t)n, sizeof(*p->rules));
	if (p->rules == NULL || cfg == NULL) {
		free(cfg);
		no_memory(ld);
		return;
	}
	p->n_rules = (unsigned)n;
	for (unsigned i = 0; i < p->n_rules; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		cfg[i] = g;
		if (!config_setting_is_group(g)) {
			snprintf(p->rules[i].name, CP_NAME_MAX, "rule%u", i + 1);
			err(ld, g, "rule must be a group: { action = \"pass\"; ... }");
			continue;
		}
		load_rule(ld, i, g);
	}
	check_rule_names(ld, cfg);
	free(cfg);
}

/* ---- settings and version ---- */

/* An integer setting within lo..hi. */
static void load_uint_setting(struct loader *ld, const config_setting_t *s, long long lo,
			      long long hi, uint32_t *out)
{
	const char *key = config_setting_name(s);
	if (!is_int(s)) {
		err(ld, s, "settings: %s must be an integer", key);
		return;
	}
	long long v = config_setting_get_int64(s);
	if (v < lo || v > hi) {
		err(ld, s, "settings: %s = %lld is out of range (%lld-%lld)", key, v, lo, hi);
		return;
	}
	*out = (uint32_t)v;
}

/* A string setting that is one of two words; returns 0 for a, 1 for b, -1 when wrong. */
static int load_choice(struct loader *ld, const config_setting_t *s, const char *a, const char *b)
{
	const char *key = config_setting_name(s);
	const char *v =
	    config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
	if (v != NULL && strcmp(v, a) == 0)
		return 0;
	if (v != NULL && strcmp(v, b) == 0)
		return 1;
	err(ld, s, "settings: %s must be \"%s\" or \"%s\"", key, a, b);
	return -1;
}

static void load_settings(struct loader *ld, const config_setting_t *s)
{
	struct cp_settings *st = &ld->p->settings;
	if (!config_setting_is_group(s)) {
		err(ld, s, "settings must be a group: settings = { key = value; }");
		return;
	}
	for (int k = 0; k < config_setting_length(s); k++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)k);
		const char *key = config_setting_name(m);
		int c;
		if (strcmp(key, "inspect_bytes") == 0) {
			load_uint_setting(ld, m, 0, MAX_SETTING_INSPECT, &st->inspect_bytes);
		} else if (strcmp(key, "flow_timeout") == 0) {
			load_uint_setting(ld, m, 1, MAX_SETTING_TIMEOUT, &st->flow_timeout);
		} else if (strcmp(key, "fragments") == 0) {
			if ((c = load_choice(ld, m, "drop", "reassemble")) >= 0)
				st->fragments = c ? CP_FRAG_REASSEMBLE : CP_FRAG_DROP;
		} else if (strcmp(key, "non_ip") == 0) {
			if ((c = load_choice(ld, m, "pass", "drop")) >= 0)
				st->non_ip_pass = c == 0;
		} else if (strcmp(key, "monitor") == 0) {
			if (config_setting_type(m) != CONFIG_TYPE_BOOL)
				err(ld, m, "settings: monitor must be true or false");
			else
				st->monitor = config_setting_get_bool(m) != 0;
		} else {
			err(ld, m,
			    "unknown setting \"%s\" (use inspect_bytes, flow_timeout, fragments, "
			    "non_ip, monitor)",
			    key);
		}
	}
}

static void load_version(struct loader *ld, const config_setting_t *s)
{
	if (!is_int(s))
		err(ld, s, "version must be an integer");
	else if (config_setting_get_int64(s) != 1)
		err(ld, s, "unsupported version %lld (this chokepoint reads version 1)",
		    config_setting_get_int64(s));
}

/* ---- integers libconfig would wrap ---- */

static void report_wrapping_int(int line, const char *tok, size_t len, void *arg)
{
	int shown = (int)(len > 40 ? 40 : len);
	err_line(arg, line, "integer %.*s is out of range (write %.*sL for a 64-bit integer)",
		 shown, tok, shown, tok);
}

/* ---- the file ---- */

static const char *const top_keys[] = {"version",    "inside", "sets",
				       "categories", "rules",  "settings"};

static void load_top(struct loader *ld, const config_setting_t *root)
{
	const config_setting_t *s;
	for (int k = 0; k < config_setting_length(root); k++) {
		const config_setting_t *m = config_setting_get_elem(root, (unsigned)k);
		size_t i;
		for (i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++)
			if (strcmp(config_setting_name(m), top_keys[i]) == 0)
				break;
		if (i == sizeof(top_keys) / sizeof(top_keys[0]))
			err(ld, m, "unknown key \"%s\"", config_setting_name(m));
	}
	if ((s = config_setting_get_member(root, "version")) != NULL)
		load_version(ld, s);
	else
		err(ld, NULL, "missing \"version = 1;\"");
	if ((s = config_setting_get_member(root, "inside")) != NULL)
		load_inside(ld, s);
	else
		err(ld, NULL, "missing \"inside\" (the prefixes behind the border)");
	if ((s = config_setting_get_member(root, "sets")) != NULL)
		load_sets(ld, s);
	if ((s = config_setting_get_member(root, "categories")) != NULL)
		load_categories(ld, s);
	if ((s = config_setting_get_member(root, "rules")) != NULL)
		load_rules(ld, s);
	else
		err(ld, NULL, "missing \"rules\"");
	if ((s = config_setting_get_member(root, "settings")) != NULL)
		load_settings(ld, s);
}

static void set_include_dir(config_t *cf, const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return;
	size_t len = (size_t)(slash - path);
	if (len == 0)
		len = 1; /* "/x.conf" */
	if (len >= dirlen)
		return;
	memcpy(dir, path, len);
	dir[len] = '\0';
	config_set_include_dir(cf, dir);
}

/* libconfig stops at its first problem: "FILE:LINE: error: syntax error: TEXT". */
static void report_parse_error(const config_t *cf, const char *path, struct cp_diag *diag)
{
	const char *file = config_error_file(cf) ? config_error_file(cf) : path;
	const char *text = config_error_text(cf) ? config_error_text(cf) : "syntax error";
	if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
		cp_diag_error(diag, file, 0, "cannot read: %s", strerror(errno));
	else if (strcmp(text, "syntax error") == 0)
		cp_diag_error(diag, file, config_error_line(cf), "syntax error");
	else
		cp_diag_error(diag, file, config_error_line(cf), "syntax error: %s", text);
}

/* Parses the file with libconfig and validates it; problems go to ld. Returns false when libconfig
 * could not parse it (reported directly to diag). */
static bool parse_and_validate(struct loader *ld, const char *text, size_t len,
			       struct cp_diag *diag)
{
	config_t cf;

	config_init(&cf);
	set_include_dir(&cf, ld->path, ld->dir, sizeof(ld->dir));
	/* Parse the very text that was read (and scanned), not the file again. */
	if (!config_read_string(&cf, text)) {
		report_parse_error(&cf, ld->path, diag);
		config_destroy(&cf);
		return false;
	}
	cp_cfg_scan_ints(text, len, report_wrapping_int, ld);
	load_top(ld, config_root_setting(&cf));
	flush_msgs(ld, diag); /* before config_destroy: nothing points into cf after this */
	config_destroy(&cf);
	return true;
}

static void loader_free(struct loader *ld)
{
	if (ld->st != NULL && ld->p != NULL) {
		for (unsigned i = 0; i < ld->p->n_sets; i++) {
			free(ld->st[i].own);
			free(ld->st[i].incl);
		}
	}
	free(ld->st);
	free(ld->set_names);
	free(ld->cat_names);
	for (unsigned i = 0; i < ld->n_msgs; i++) {
		free(ld->msgs[i].text);
		free(ld->msgs[i].file);
	}
	free(ld->msgs);
}

/* Hyperscan must accept every pattern (each on its own: whoever needs the databases builds
 * them); then the shadowed-rule warnings. */
static void final_checks(const struct cp_policy_src *p, struct cp_diag *diag, unsigned errors0)
{
	if (p->n_categories > 0 && cp_hs_check(p, diag) != 0 && diag->errors == errors0)
		cp_diag_error(diag, p->file, 0, "categories could not be compiled");
	if (diag->errors == errors0)
		cp_policy_shadow_check(p, diag);
}

/* Load from text (NUL-terminated, len bytes) named path in messages; lint: the final checks too. */
static struct cp_policy_src *load_text(const char *path, const char *text, size_t len, bool lint,
				       struct cp_diag *diag)
{
	struct loader ld;
	unsigned errors0 = diag->errors;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.p = calloc(1, sizeof(*ld.p));
	if (ld.p == NULL || (ld.p->file = strdup(path)) == NULL) {
		cp_diag_error(diag, path, 0, "out of memory");
		free(ld.p);
		return NULL;
	}
	ld.p->settings = (struct cp_settings){.inspect_bytes = 4096,
					      .flow_timeout = 120,
					      .fragments = CP_FRAG_DROP,
					      .non_ip_pass = true,
					      .monitor = false};
	bool parsed = parse_and_validate(&ld, text, len, diag);
	loader_free(&ld);
	if (lint && parsed && diag->errors == errors0)
		final_checks(ld.p, diag, errors0);
	if (diag->errors != errors0) {
		cp_policy_free(ld.p);
		return NULL;
	}
	return ld.p;
}

static struct cp_policy_src *load_file(const char *path, bool lint, struct cp_diag *diag)
{
	size_t len = 0;
	char *text = cp_cfg_read_text(path, &len, diag);
	if (text == NULL)
		return NULL;
	struct cp_policy_src *p = load_text(path, text, len, lint, diag);
	free(text);
	return p;
}

struct cp_policy_src *cp_policy_load(const char *path, struct cp_diag *diag)
{
	return load_file(path, true, diag);
}

struct cp_policy_src *cp_policy_read(const char *path, struct cp_diag *diag)
{
	return load_file(path, false, diag);
}

static struct cp_policy_src *pushed_text(const char *name, const char *text, size_t len, bool lint,
					 struct cp_diag *diag)
{
	if (memchr(text, '\0', len) != NULL) {
		cp_diag_error(diag, name, 0, "policy text holds a NUL byte");
		return NULL;
	}
	/* A pushed policy stands alone: @include would read files of the receiver's choosing. */
	int line = 1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			line++;
		else if (text[i] == '@' && len - i >= 8 && memcmp(text + i, "@include", 8) == 0) {
			cp_diag_error(diag, name, line,
				      "@include is not allowed in a pushed policy");
			return NULL;
		}
	}
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		cp_diag_error(diag, name, 0, "out of memory");
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	struct cp_policy_src *p = load_text(name, copy, len, lint, diag);
	free(copy);
	return p;
}

struct cp_policy_src *cp_policy_load_text(const char *name, const char *text, size_t len,
					  struct cp_diag *diag)
{
	return pushed_text(name, text, len, true, diag);
}

struct cp_policy_src *cp_policy_read_text(const char *name, const char *text, size_t len,
					  struct cp_diag *diag)
{
	return pushed_text(name, text, len, false, diag);
}

void cp_policy_free(struct cp_policy_src *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n_sets; i++)
		free(p->sets[i].pfx);
	for (unsigned i = 0; i < p->n_categories; i++) {
		for (int f = 0; f < CP_FIELD_MAX; f++) {
			for (unsigned k = 0; k < p->categories[i].n_pat[f]; k++)
				free(p->categories[i].pat[f][k].text);
			free(p->categories[i].pat[f]);
		}
	}
	for (unsigned i = 0; i < p->n_rules; i++) {
		struct cp_rule *r = &p->rules[i];
		free(r->from.terms);
		free(r->to.terms);
		free(r->sport.r);
		free(r->dport.r);
		free(r->categories);
	}
	free(p->sets);
	free(p->categories);
	free(p->rules);
	free(p->inside);
	free(p->file);
	free(p);
}

int cp_rule_find(const struct cp_policy_src *p, const char *name)
{
	if (p == NULL || name == NULL)
		return -1;
	for (unsigned i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return (int)i;
	return -1;
}
