/* Category list entries (SPEC §3) translated into Hyperscan expressions, validated one by one (so
 * that every bad entry is reported at its own line), then compiled into one database per field. */
#include "diag.h"
#include "hs_patterns.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN  253 /* a domain name, without its trailing dot */
#define LABEL_MAX_LEN 63
#define SHOW_MAX      120 /* bytes of an entry quoted in a message */

/* A bounded string being built; overflow is remembered instead of writing past cap. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->overflow = (p == NULL || cap == 0);
	if (!b->overflow)
		p[0] = '\0';
}

static void sb_putc(struct sbuf *b, char c)
{
	if (b->overflow || b->len + 1 >= b->cap) {
		b->overflow = true;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s != '\0')
		sb_putc(b, *s++);
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A byte as a literal in a Hyperscan expression: letters and digits as they are, the rest \xHH. */
static void sb_put_literal(struct sbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (is_alnum(c)) {
		sb_putc(b, (char)c);
		return;
	}
	sb_puts(b, "\\x");
	sb_putc(b, hex[c >> 4]);
	sb_putc(b, hex[c & 0xf]);
}

/* "character 'x'" for printable bytes, "byte 0xHH" for the others. */
static void describe_byte(unsigned char c, char *out, size_t outlen)
{
	if (c >= 0x20 && c < 0x7f && c != '\'')
		snprintf(out, outlen, "character '%c'", c);
	else
		snprintf(out, outlen, "byte 0x%02x", c);
}

static bool is_name_char(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

/* Check a domain name as written in an entry; *len gets its length without the trailing dot. */
static int check_domain(const char *name, size_t *len, char *err, size_t errlen)
{
	size_t n = strlen(name), label = 0;
	char what[32];

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0) {
		cp_errf(err, errlen, "empty domain name");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!is_name_char(c)) {
			describe_byte(c, what, sizeof(what));
			cp_errf(err, errlen,
				"%s not allowed in a domain name (letters, digits, '-', '_', '.'; "
				"\"/re/\" for a regex)",
				what);
			return -1;
		}
	}
	if (n > NAME_MAX_LEN) {
		cp_errf(err, errlen, "domain name longer than %d characters", NAME_MAX_LEN);
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && name[i] != '.') {
			label++;
			continue;
		}
		if (label == 0) {
			cp_errf(err, errlen, "empty label in domain name");
			return -1;
		}
		if (label > LABEL_MAX_LEN) {
			cp_errf(err, errlen, "label longer than %d characters in domain name",
				LABEL_MAX_LEN);
			return -1;
		}
		label = 0;
	}
	*len = n;
	return 0;
}

static int regex_flag(unsigned char c, unsigned *flags, char *err, size_t errlen)
{
	char what[32];

	switch (c) {
	case 'i':
		*flags |= HS_FLAG_CASELESS;
		return 0;
	case 's':
		*flags |= HS_FLAG_DOTALL;
		return 0;
	case 'm':
		*flags |= HS_FLAG_MULTILINE;
		return 0;
	default:
		describe_byte(c, what, sizeof(what));
		cp_errf(err, errlen, "unknown regex flag: %s (allowed: i, s, m)", what);
		return -1;
	}
}

/* "/re/flags": the regex as written (no anchors added), flags i, s, m. */
static int regex_expr(const char *entry, struct sbuf *expr, unsigned *flags, char *err,
		      size_t errlen)
{
	const char *body = entry + 1;
	const char *close = strrchr(body, '/');

	if (close == NULL) {
		cp_errf(err, errlen, "regex without its closing '/'");
		return -1;
	}
	if (close == body) {
		cp_errf(err, errlen, "empty regex");
		return -1;
	}
	*flags = HS_FLAG_SINGLEMATCH;
	for (const char *f = close + 1; *f != '\0'; f++)
		if (regex_flag((unsigned char)*f, flags, err, errlen) != 0)
			return -1;
	for (const char *c = body; c < close; c++)
		sb_putc(expr, *c);
	return 0;
}

static int finish(const struct sbuf *expr, char *err, size_t errlen)
{
	if (expr->overflow) {
		cp_errf(err, errlen, "entry too long");
		return -1;
	}
	return 0;
}

int cp_hs_name_expr(const char *entry, char *expr, size_t exprlen, unsigned *flags, char *err,
		    size_t errlen)
{
	struct sbuf b;
	size_t len;
	bool exact;

	sb_init(&b, expr, exprlen);
	if (entry == NULL || flags == NULL) {
		cp_errf(err, errlen, "missing entry");
		return -1;
	}
	if (entry[0] == '/') {
		if (regex_expr(entry, &b, flags, err, errlen) != 0)
			return -1;
		return finish(&b, err, errlen);
	}
	exact = entry[0] == '=';
	if (exact)
		entry++;
	if (check_domain(entry, &len, err, errlen) != 0)
		return -1;
	/* A plain literal, reversed, with the label boundary after it: names are scanned reversed
	 * with a '.' after them (cp_hs_scan_name), and a match counts only when it starts the
	 * subject (and, for =name, ends it). Domain lists share their endings (".com"), which a
	 * literal matcher keys on: reversed, they differ where the matcher looks. */
	(void)exact;
	for (size_t i = len; i > 0; i--)
		sb_put_literal(&b, (unsigned char)entry[i - 1]);
	sb_puts(&b, "\\x2e");
	*flags = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
	return finish(&b, err, errlen);
}

int cp_hs_payload_expr(const char *entry, char *expr, size_t exprlen, unsigned *flags, char *err,
		       size_t errlen)
{
	struct sbuf b;

	sb_init(&b, expr, exprlen);
	if (entry == NULL || flags == NULL) {
		cp_errf(err, errlen, "missing entry");
		return -1;
	}
	if (entry[0] == '/') {
		if (regex_expr(entry, &b, flags, err, errlen) != 0)
			return -1;
		return finish(&b, err, errlen);
	}
	if (entry[0] == '\0') {
		cp_errf(err, errlen, "empty string");
		return -1;
	}
	for (const char *c = entry; *c != '\0'; c++)
		sb_put_literal(&b, (unsigned char)*c);
	*flags = HS_FLAG_SINGLEMATCH;
	return finish(&b, err, errlen);
}

/* An entry (or a name) fit for a one-line message: non-printables as \xHH, long ones cut. */
static void show(const char *s, size_t max, char *out, size_t outlen)
{
	struct sbuf b;
	size_t n = 0;

	sb_init(&b, out, outlen);
	if (s == NULL) {
		sb_puts(&b, "(null)");
		return;
	}
	for (; n < max && *s != '\0'; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			sb_putc(&b, (char)c);
		else
			sb_put_literal(&b, c);
	}
	if (n == max && *s != '\0')
		sb_puts(&b, "...");
}

static void report(const struct cp_policy_src *p, struct cp_diag *diag, unsigned cat,
		   enum cp_field f, const struct cp_pattern *pat, const char *msg)
{
	char name[SHOW_MAX * 4 + 8], text[SHOW_MAX * 4 + 8];

	if (diag == NULL)
		return;
	show(p->categories[cat].name, CP_NAME_MAX - 1, name, sizeof(name));
	show(pat->text, SHOW_MAX, text, sizeof(text));
	cp_diag_error(diag, p->file != NULL ? p->file : "(policy)", pat->line,
		      "category \"%s\": %s entry \"%s\": %s", name, cp_field_name((enum cp_field)f),
		      text, msg);
}

static unsigned field_mode(enum cp_field f)
{
	return f == CP_FIELD_PAYLOAD ? HS_MODE_STREAM : HS_MODE_BLOCK;
}

/* Hyperscan's verdict on one expression alone; msg gets its complaint. */
static int check_expr(const char *expr, unsigned flags, unsigned mode, bool full_compile, char *msg,
		      size_t msglen)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	bool empty;

	if (hs_expression_info(expr, flags, &info, &cerr) != HS_SUCCESS) {
		cp_errf(msg, msglen, "%s", cerr != NULL ? cerr->message : "rejected by Hyperscan");
		hs_free_compile_error(cerr);
		return -1;
	}
	empty = info->min_width == 0;
	free(info); /* allocated by Hyperscan's misc allocator: malloc by default */
	if (empty) {
		cp_errf(msg, msglen, "matches empty input");
		return -1;
	}
	if (!full_compile)
		return 0;
	if (hs_compile(expr, flags, mode, NULL, &db, &cerr) != HS_SUCCESS) {
		cp_errf(msg, msglen, "%s", cerr != NULL ? cerr->message : "rejected by Hyperscan");
		hs_free_compile_error(cerr);
		return -1;
	}
	hs_free_database(db);
	return 0;
}

/* cp_hs_scan_name's match handler for a regex database: the category of the match, counted. */
struct name_match {
	const struct cp_hs_dbs *dbs;
	int slot;
	uint64_t *cats, *cat_ctr;
};

static int on_name_match(unsigned id, unsigned long long from, unsigned long long to,
			 unsigned flags, void *arg)
{
	struct name_match *m = arg;
	(void)from;
	(void)to;
	(void)flags;
	if (id >= m->dbs->n_ids[m->slot])
		return 0;
	unsigned c = m->dbs->id_category[m->slot][id];
	*m->cats |= 1ull << c;
	if (m->cat_ctr != NULL)
		m->cat_ctr[c * 2]++;
	return 0;
}

/* The entries of one database slot across every category, ready for hs_compile_multi. */
struct field_set {
	char **expr;
	unsigned *flags;
	unsigned *ids;
	unsigned *cat;		       /* category of each expression */
	const struct cp_pattern **pat; /* its entry, for messages */
	unsigned n;
};

static void field_set_free(struct field_set *s)
{
	if (s->expr != NULL)
		for (unsigned i = 0; i < s->n; i++)
			free(s->expr[i]);
	free(s->expr);
	free(s->flags);
	free(s->ids);
	free(s->cat);
	free(s->pat);
	memset(s, 0, sizeof(*s));
}

/* The field whose entries go to database slot d, and whether slot d takes an entry. */
static enum cp_field slot_field(int d)
{
	return d < CP_FIELD_MAX ? (enum cp_field)d : (enum cp_field)(d - CP_DB_SNI_RE);
}

static bool slot_takes(int d, const struct cp_pattern *pat)
{
	return cp_hs_slot(slot_field(d), pat->text) == d;
}

/* Number of entries of slot d in p; -1 when it does not fit an unsigned. */
static long long count_entries(const struct cp_policy_src *p, int d)
{
	enum cp_field f = slot_field(d);
	unsigned long long total = 0;

	for (unsigned c = 0; c < p->n_categories; c++)
		for (unsigned k = 0;
		     p->categories[c].pat[f] != NULL && k < p->categories[c].n_pat[f]; k++)
			total += slot_takes(d, &p->categories[c].pat[f][k]);
	return total > UINT32_MAX ? -1 : (long long)total;
}

static int field_set_alloc(struct field_set *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	if (cap == 0)
		return 0;
	s->expr = calloc(cap, sizeof(*s->expr));
	s->flags = calloc(cap, sizeof(*s->flags));
	s->ids = calloc(cap, sizeof(*s->ids));
	s->cat = calloc(cap, sizeof(*s->cat));
	s->pat = calloc(cap, sizeof(*s->pat));
	if (s->expr == NULL || s->flags == NULL || s->ids == NULL || s->cat == NULL ||
	    s->pat == NULL) {
		field_set_free(s);
		return -1;
	}
	return 0;
}

/* Translate and check one entry; on success it is appended to s. Returns 0, -1 (reported), or
 * -2 when out of memory. */
static int add_entry(const struct cp_policy_src *p, struct cp_diag *diag, enum cp_field f,
		     unsigned cat, const struct cp_pattern *pat, struct field_set *s)
{
	size_t len = pat->text != NULL ? strlen(pat->text) : 0;
	size_t cap = len * 4 + 32; /* worst case: every byte as \xHH, plus anchors */
	bool is_regex = pat->text != NULL && pat->text[0] == '/';
	char msg[512];
	unsigned flags = 0;
	char *expr;
	int rc;

	if (len > (SIZE_MAX - 32) / 4 || (expr = malloc(cap)) == NULL)
		return -2;
	if (f == CP_FIELD_PAYLOAD)
		rc = cp_hs_payload_expr(pat->text, expr, cap, &flags, msg, sizeof(msg));
	else
		rc = cp_hs_name_expr(pat->text, expr, cap, &flags, msg, sizeof(msg));
	/* Only regexes, as written by people, get a compile of their own: the expressions built
	 * from names and literals cannot fail one, and long lists would make it slow. */
	if (rc == 0)
		rc = check_expr(expr, flags, field_mode(f), is_regex, msg, sizeof(msg));
	if (rc != 0) {
		report(p, diag, cat, f, pat, msg);
		free(expr);
		return -1;
	}
	s->expr[s->n] = expr;
	s->flags[s->n] = flags;
	s->ids[s->n] = s->n;
	s->cat[s->n] = cat;
	s->pat[s->n] = pat;
	s->n++;
	return 0;
}

static void out_of_memory(const struct cp_policy_src *p, struct cp_diag *diag)
{
	if (diag != NULL)
		cp_diag_error(diag, p->file != NULL ? p->file : "(policy)", 0,
			      "out of memory compiling category patterns");
}

/* Every entry of field f into its slot's set in sets[] (entries in the order written, so that
 * errors are reported in that order); returns the number of failures (-1: out of memory). */
static int collect_field(const struct cp_policy_src *p, struct cp_diag *diag, enum cp_field f,
			 struct field_set *sets)
{
	int slots[2] = {(int)f, f == CP_FIELD_PAYLOAD ? -1 : CP_DB_SNI_RE + (int)f};
	int failures = 0;

	for (int k = 0; k < 2; k++) {
		long long total = slots[k] < 0 ? 0 : count_entries(p, slots[k]);
		if (total < 0 ||
		    (slots[k] >= 0 && field_set_alloc(&sets[slots[k]], (size_t)total) != 0))
			return -1;
	}
	for (unsigned c = 0; c < p->n_categories; c++) {
		const struct cp_category *cat = &p->categories[c];
		for (unsigned k = 0; cat->pat[f] != NULL && k < cat->n_pat[f]; k++) {
			int d = cp_hs_slot(f, cat->pat[f][k].text);
			int rc = add_entry(p, diag, f, c, &cat->pat[f][k], &sets[d]);
			if (rc == -2)
				return -1;
			failures += rc != 0;
		}
	}
	return failures;
}

/* Every entry of every field into sets[CP_DB_MAX]; the number of failures, -1 when out of
 * memory (reported). */
static int collect_all(const struct cp_policy_src *p, struct cp_diag *diag, struct field_set *sets)
{
	int failures = 0;
	memset(sets, 0, sizeof(*sets) * CP_DB_MAX);
	for (int f = 0; f < CP_FIELD_MAX; f++) {
		int n = collect_field(p, diag, (enum cp_field)f, sets);
		if (n < 0) {
			out_of_memory(p, diag);
			return -1;
		}
		failures += n;
	}
	return failures;
}

/* Compile the (all valid) entries of s; a failure is mapped back to its entry when possible. */
static int compile_slot(const struct cp_policy_src *p, struct cp_diag *diag, int d,
			const struct field_set *s, hs_database_t **db)
{
	enum cp_field f = slot_field(d);
	hs_compile_error_t *cerr = NULL;
	const char *msg;

	if (s->n == 0)
		return 0;
	if (hs_compile_multi((const char *const *)s->expr, s->flags, s->ids, s->n, field_mode(f),
			     NULL, db, &cerr) == HS_SUCCESS)
		return 0;
	*db = NULL;
	msg = cerr != NULL ? cerr->message : "rejected by Hyperscan";
	if (cerr != NULL && cerr->expression >= 0 && (unsigned)cerr->expression < s->n)
		report(p, diag, s->cat[cerr->expression], f, s->pat[cerr->expression], msg);
	else if (diag != NULL)
		cp_diag_error(diag, p->file != NULL ? p->file : "(policy)", 0, "%s patterns: %s",
			      cp_field_name((enum cp_field)f), msg);
	hs_free_compile_error(cerr);
	return -1;
}

int cp_hs_compile(const struct cp_policy_src *p, struct cp_hs_dbs *out, struct cp_diag *diag)
{
	struct field_set sets[CP_DB_MAX];
	int failures = 0, rc = -1;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	memset(sets, 0, sizeof(sets));
	if (p == NULL || (p->n_categories > 0 && p->categories == NULL))
		return -1;
	failures = collect_all(p, diag, sets);
	if (failures != 0)
		goto done;
	for (int d = 0; d < CP_DB_MAX; d++)
		if (compile_slot(p, diag, d, &sets[d], &out->db[d]) != 0)
			goto done;
	for (int d = 0; d < CP_DB_MAX; d++) {
		out->id_category[d] = sets[d].cat; /* ownership moves to out */
		out->n_ids[d] = sets[d].n;
		sets[d].cat = NULL;
	}
	if (cp_name_set_build(p, &out->names) != 0) {
		out_of_memory(p, diag);
		goto done;
	}
	rc = 0;
done:
	for (int d = 0; d < CP_DB_MAX; d++)
		field_set_free(&sets[d]);
	if (rc != 0)
		cp_hs_free(out);
	return rc;
}

void cp_hs_free(struct cp_hs_dbs *dbs)
{
	if (dbs == NULL)
		return;
	for (int d = 0; d < CP_DB_MAX; d++) {
		hs_free_database(dbs->db[d]); /* NULL is fine */
		free(dbs->id_category[d]);
	}
	cp_name_set_free(&dbs->names);
	memset(dbs, 0, sizeof(*dbs));
}

int cp_hs_check(const struct cp_policy_src *p, struct cp_diag *diag)
{
	struct field_set sets[CP_DB_MAX];
	int failures = collect_all(p, diag, sets);
	for (int d = 0; d < CP_DB_MAX; d++)
		field_set_free(&sets[d]);
	return failures != 0 ? -1 : 0;
}

int cp_hs_ids(const struct cp_policy_src *p, struct cp_hs_dbs *out)
{
	memset(out, 0, sizeof(*out));
	for (int d = 0; d < CP_DB_MAX; d++) {
		long long total = count_entries(p, d);
		enum cp_field f = slot_field(d);
		unsigned n = 0;
		if (total < 0)
			goto oom;
		if (total == 0)
			continue;
		out->id_category[d] = calloc((size_t)total, sizeof(unsigned));
		if (out->id_category[d] == NULL)
			goto oom;
		for (unsigned c = 0; c < p->n_categories; c++)
			for (unsigned k = 0;
			     p->categories[c].pat[f] != NULL && k < p->categories[c].n_pat[f]; k++)
				if (slot_takes(d, &p->categories[c].pat[f][k]))
					out->id_category[d][n++] = c;
		out->n_ids[d] = n;
	}
	if (cp_name_set_build(p, &out->names) != 0)
		goto oom;
	return 0;
oom:
	cp_hs_free(out);
	return -1;
}

int cp_hs_scan_name(const struct cp_hs_dbs *dbs, enum cp_field f, const char *name, size_t len,
		    hs_scratch_t *scratch, uint64_t *cats, uint64_t *cat_ctr)
{
	struct name_match m = {dbs, CP_DB_SNI_RE + (int)f, cats, cat_ctr};
	int n = 0;

	if (f >= CP_FIELD_PAYLOAD || len > CP_HS_NAME_MAX)
		return 0;
	if (dbs->names.n_field[f] > 0) {
		cp_name_set_match(&dbs->names, f, name, len, cats, cat_ctr);
		n++;
	}
	if (dbs->db[m.slot] != NULL) {
		hs_scan(dbs->db[m.slot], name, (unsigned)len, 0, scratch, on_name_match, &m);
		n++;
	}
	return n;
}
