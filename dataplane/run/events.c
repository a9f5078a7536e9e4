/* Loads the replay events file (SPEC §6): one strict, flat JSON object a line, checked key by key
 * into struct cp_event, every bad line reported as FILE:LINE, the result sorted by time. */
#include "events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define MAX_LINE     4096
#define MAX_MEMBERS  16
#define ERR_LEN	     256
#define NS_PER_S     1000000000ull
#define MAX_AT_S     (10ull * 36525 * 864) /* 10 years of 365.25 days, in seconds */
#define MAX_PERIOD_S (10 * MAX_AT_S)	   /* "for" and "renew_every": 100 years */
#define MAX_EXP	     100000		   /* exponents are clamped here before use */

/* ---- A strict JSON object of scalars, one line. ---- */

enum jtype { J_STRING, J_NUMBER, J_TRUE, J_FALSE, J_NULL };

struct jmember {
	const char *key; /* NUL-terminated, in the parser's scratch buffer */
	enum jtype type;
	const char *str; /* J_STRING: decoded, NUL-terminated (never holds a NUL) */
	const char *num; /* J_NUMBER: the number's text in the line */
	size_t num_len;
};

struct jparser {
	const char *s;
	size_t len, pos;
	char *scratch; /* decoded strings; never longer than the line */
	size_t used;
	struct jmember m[MAX_MEMBERS];
	unsigned n;
	char *err;
};

static int jfail(struct jparser *j, const char *what)
{
	snprintf(j->err, ERR_LEN, "bad JSON at column %zu: %s", j->pos + 1, what);
	return -1;
}

static void skip_ws(struct jparser *j)
{
	while (j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
				   j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
		j->pos++;
}

static int peek(const struct jparser *j)
{
	return j->pos < j->len ? (unsigned char)j->s[j->pos] : -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX after the backslash and 'u': only ASCII other than NUL is accepted. */
static int parse_uescape(struct jparser *j, char *outc)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(peek(j));
		if (h < 0)
			return jfail(j, "bad \\u escape");
		v = v * 16 + (unsigned)h;
		j->pos++;
	}
	if (v == 0 || v > 0x7f)
		return jfail(j, "only ASCII other than NUL may be written as \\u");
	*outc = (char)v;
	return 0;
}

static int parse_escape(struct jparser *j, char *outc)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	int c = peek(j);
	const char *at = c > 0 ? strchr(from, c) : NULL;
	if (c == 'u') {
		j->pos++;
		return parse_uescape(j, outc);
	}
	if (at == NULL)
		return jfail(j, "bad escape in string");
	*outc = to[at - from];
	j->pos++;
	return 0;
}

/* A string at the opening quote; its decoded text goes to the scratch buffer. */
static int parse_string(struct jparser *j, const char **out)
{
	char *dst = j->scratch + j->used;
	size_t n = 0;
	j->pos++; /* the opening quote */
	for (;;) {
		int c = peek(j);
		if (c < 0)
			return jfail(j, "unterminated string");
		if (c < 0x20)
			return jfail(j, "control character in string");
		if (c == '"')
			break;
		if (c == '\\') {
			j->pos++;
			if (parse_escape(j, &dst[n]) != 0)
				return -1;
		} else {
			dst[n] = (char)c;
			j->pos++;
		}
		n++;
	}
	j->pos++; /* the closing quote */
	dst[n] = '\0';
	j->used += n + 1;
	*out = dst;
	return 0;
}

static size_t skip_digits(struct jparser *j)
{
	size_t start = j->pos;
	while (peek(j) >= '0' && peek(j) <= '9')
		j->pos++;
	return j->pos - start;
}

/* A number per the JSON grammar; its text is kept for an exact conversion later. */
static int parse_number(struct jparser *j, struct jmember *m)
{
	size_t start = j->pos, int_digits;
	if (peek(j) == '-')
		j->pos++;
	int_digits = skip_digits(j);
	if (int_digits == 0)
		return jfail(j, "bad number");
	if (int_digits > 1 && j->s[j->pos - int_digits] == '0')
		return jfail(j, "number with a leading zero");
	if (peek(j) == '.') {
		j->pos++;
		if (skip_digits(j) == 0)
			return jfail(j, "bad number: digits must follow '.'");
	}
	if (peek(j) == 'e' || peek(j) == 'E') {
		j->pos++;
		if (peek(j) == '+' || peek(j) == '-')
			j->pos++;
		if (skip_digits(j) == 0)
			return jfail(j, "bad number: digits must follow the exponent");
	}
	m->type = J_NUMBER;
	m->num = j->s + start;
	m->num_len = j->pos - start;
	return 0;
}

static int parse_word(struct jparser *j, const char *word, enum jtype t, struct jmember *m)
{
	size_t n = strlen(word);
	if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0)
		return jfail(j, "unexpected character");
	j->pos += n;
	m->type = t;
	return 0;
}

static int parse_value(struct jparser *j, struct jmember *m)
{
	int c = peek(j);
	switch (c) {
	case '"':
		m->type = J_STRING;
		return parse_string(j, &m->str);
	case 't':
		return parse_word(j, "true", J_TRUE, m);
	case 'f':
		return parse_word(j, "false", J_FALSE, m);
	case 'n':
		return parse_word(j, "null", J_NULL, m);
	case '{':
	case '[':
		return jfail(j, "nested objects and arrays are not allowed");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(j, m);
		return jfail(j, c < 0 ? "value expected" : "unexpected character");
	}
}

static int parse_member(struct jparser *j)
{
	struct jmember *m;
	if (peek(j) != '"')
		return jfail(j, "string key expected");
	if (j->n == MAX_MEMBERS)
		return jfail(j, "too many keys");
	m = &j->m[j->n];
	if (parse_string(j, &m->key) != 0)
		return -1;
	for (unsigned i = 0; i < j->n; i++)
		if (strcmp(j->m[i].key, m->key) == 0)
			return jfail(j, "duplicate key");
	skip_ws(j);
	if (peek(j) != ':')
		return jfail(j, "':' expected after key");
	j->pos++;
	skip_ws(j);
	if (parse_value(j, m) != 0)
		return -1;
	j->n++;
	return 0;
}

/* Parse s[0..len) as one object and nothing else. */
static int parse_object(struct jparser *j)
{
	skip_ws(j);
	if (peek(j) != '{')
		return jfail(j, "an object '{...}' expected");
	j->pos++;
	skip_ws(j);
	if (peek(j) == '}') {
		j->pos++;
	} else {
		for (;;) {
			if (parse_member(j) != 0)
				return -1;
			skip_ws(j);
			if (peek(j) == '}') {
				j->pos++;
				break;
			}
			if (peek(j) != ',')
				return jfail(j, "',' or '}' expected");
			j->pos++;
			skip_ws(j);
		}
	}
	skip_ws(j);
	if (j->pos != j->len)
		return jfail(j, "trailing characters after the object");
	return 0;
}

/* ---- Numbers and durations to nanoseconds, exactly. ---- */

/* The JSON number text (already validated) as nanoseconds, sub-nanosecond digits dropped.
 * Returns 0, or -1 when negative (and not zero) or above max_ns. */
static int number_to_ns(const char *s, size_t len, uint64_t max_ns, uint64_t *ns)
{
	char digits[MAX_LINE + 1];
	size_t nd = 0, i = 0, frac = 0;
	long exp = 0, e10;
	bool neg = false, in_frac = false;
	uint64_t v = 0;

	if (s[i] == '-') {
		neg = true;
		i++;
	}
	for (; i < len && s[i] != 'e' && s[i] != 'E'; i++) {
		if (s[i] == '.') {
			in_frac = true;
			continue;
		}
		frac += in_frac;
		if (nd > 0 || s[i] != '0')
			digits[nd++] = s[i];
	}
	if (i < len) {
		bool eneg = s[++i] == '-';
		if (s[i] == '-' || s[i] == '+')
			i++;
		for (; i < len; i++)
			if (exp < MAX_EXP)
				exp = exp * 10 + (s[i] - '0');
		exp = eneg ? -exp : exp;
	}
	if (nd == 0) {
		*ns = 0;
		return 0;
	}
	if (neg)
		return -1;
	/* value = digits * 10^e10 nanoseconds */
	e10 = exp - (long)frac + 9;
	if ((long)nd + e10 > 20)
		return -1;
	for (long k = 0; k < (long)nd + (e10 < 0 ? e10 : 0); k++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(digits[k] - '0');
	}
	for (long k = 0; k < e10; k++) {
		if (v > UINT64_MAX / 10)
			return -1;
		v *= 10;
	}
	if (v > max_ns)
		return -1;
	*ns = v;
	return 0;
}

/* "for"/"renew_every": seconds as a number, or a duration string; > 0 and at most 100 years. */
static int period_ns(const struct jmember *m, const char *key, uint64_t *ns, char *err)
{
	uint64_t s;
	if (m->type == J_NUMBER) {
		if (number_to_ns(m->num, m->num_len, MAX_PERIOD_S * NS_PER_S, ns) != 0) {
			snprintf(err, ERR_LEN, "\"%s\" must be a number of seconds in (0, %llu]",
				 key, MAX_PERIOD_S);
			return -1;
		}
	} else if (m->type == J_STRING) {
		if (cp_duration_parse(m->str, &s) != 0 || s > MAX_PERIOD_S) {
			snprintf(err, ERR_LEN, "\"%s\": bad duration \"%.64s\"", key, m->str);
			return -1;
		}
		*ns = s * NS_PER_S;
	} else {
		snprintf(err, ERR_LEN, "\"%s\" must be a number of seconds or a duration string",
			 key);
		return -1;
	}
	if (*ns == 0) {
		snprintf(err, ERR_LEN, "\"%s\" must be greater than 0", key);
		return -1;
	}
	return 0;
}

/* ---- One line to one event. ---- */

static const char *const kind_names[] = {"grant",   "renew",   "revoke",
					 "shutoff", "restore", "policy"};

/* Keys allowed per kind, "at" and "do" included. */
static const char *const kind_keys[][6] = {
    [CP_EV_GRANT] = {"at", "do", "host", "for", "renew_every", NULL},
    [CP_EV_RENEW] = {"at", "do", "host", NULL},
    [CP_EV_REVOKE] = {"at", "do", "host", NULL},
    [CP_EV_SHUTOFF] = {"at", "do", NULL},
    [CP_EV_RESTORE] = {"at", "do", NULL},
    [CP_EV_POLICY] = {"at", "do", "file", NULL},
};

static const struct jmember *find(const struct jparser *j, const char *key)
{
	for (unsigned i = 0; i < j->n; i++)
		if (strcmp(j->m[i].key, key) == 0)
			return &j->m[i];
	return NULL;
}

static bool key_allowed(enum cp_event_kind k, const char *key)
{
	for (const char *const *p = kind_keys[k]; *p != NULL; p++)
		if (strcmp(*p, key) == 0)
			return true;
	return false;
}

static int get_kind(const struct jparser *j, enum cp_event_kind *k, char *err)
{
	const struct jmember *m = find(j, "do");
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"do\"");
		return -1;
	}
	if (m->type != J_STRING) {
		snprintf(err, ERR_LEN, "\"do\" must be a string");
		return -1;
	}
	for (unsigned i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(m->str, kind_names[i]) == 0) {
			*k = (enum cp_event_kind)i;
			return 0;
		}
	}
	snprintf(err, ERR_LEN,
		 "unknown \"do\": \"%.64s\" (grant, renew, revoke, shutoff, restore or policy)",
		 m->str);
	return -1;
}

static int get_at(const struct jparser *j, uint64_t *at_ns, char *err)
{
	const struct jmember *m = find(j, "at");
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"at\"");
		return -1;
	}
	if (m->type != J_NUMBER ||
	    number_to_ns(m->num, m->num_len, MAX_AT_S * NS_PER_S, at_ns) != 0) {
		snprintf(err, ERR_LEN, "\"at\" must be a number of seconds in [0, %llu]", MAX_AT_S);
		return -1;
	}
	return 0;
}

static int get_host(const struct jparser *j, struct cp_prefix *host, char *err)
{
	const struct jmember *m = find(j, "host");
	char perr[ERR_LEN - 16];
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"host\"");
		return -1;
	}
	if (m->type != J_STRING) {
		snprintf(err, ERR_LEN, "\"host\" must be a string");
		return -1;
	}
	if (strlen(m->str) > 64) {
		snprintf(err, ERR_LEN, "\"host\": bad address \"%.64s...\"", m->str);
		return -1;
	}
	if (cp_prefix_parse(m->str, host, perr, sizeof(perr)) != 0) {
		snprintf(err, ERR_LEN, "\"host\": %s", perr);
		return -1;
	}
	return 0;
}

/* The policy file, joined to the events file's directory when relative. */
static int get_file(const struct jparser *j, const char *events_path, char **file, char *err)
{
	const struct jmember *m = find(j, "file");
	const char *slash = strrchr(events_path, '/');
	size_t dir = (m != NULL && m->type == J_STRING && m->str[0] != '/' && slash != NULL)
			 ? (size_t)(slash - events_path) + 1
			 : 0;
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"file\"");
		return -1;
	}
	if (m->type != J_STRING || m->str[0] == '\0') {
		snprintf(err, ERR_LEN, "\"file\" must be a non-empty string");
		return -1;
	}
	*file = malloc(dir + strlen(m->str) + 1);
	if (*file == NULL) {
		snprintf(err, ERR_LEN, "out of memory");
		return -1;
	}
	memcpy(*file, events_path, dir);
	strcpy(*file + dir, m->str);
	return 0;
}

static int get_grant(const struct jparser *j, struct cp_event *ev, char *err)
{
	const struct jmember *m = find(j, "for");
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"for\"");
		return -1;
	}
	if (period_ns(m, "for", &ev->for_ns, err) != 0)
		return -1;
	m = find(j, "renew_every");
	if (m != NULL && period_ns(m, "renew_every", &ev->renew_ns, err) != 0)
		return -1;
	return 0;
}

/* Check the parsed object and fill ev. Returns 0, or -1 with one message in err. */
static int to_event(const struct jparser *j, const char *events_path, struct cp_event *ev,
		    char *err)
{
	enum cp_event_kind k;
	if (get_kind(j, &k, err) != 0)
		return -1;
	for (unsigned i = 0; i < j->n; i++) {
		if (!key_allowed(k, j->m[i].key)) {
			snprintf(err, ERR_LEN, "unknown key \"%.64s\" for \"%s\"", j->m[i].key,
				 kind_names[k]);
			return -1;
		}
	}
	ev->kind = k;
	if (get_at(j, &ev->at_ns, err) != 0)
		return -1;
	switch (k) {
	case CP_EV_GRANT:
		if (get_host(j, &ev->host, err) != 0)
			return -1;
		return get_grant(j, ev, err);
	case CP_EV_RENEW:
	case CP_EV_REVOKE:
		return get_host(j, &ev->host, err);
	case CP_EV_POLICY:
		return get_file(j, events_path, &ev->file, err);
	default:
		return 0;
	}
}

/* ---- The file. ---- */

struct loader {
	const char *path;
	struct cp_diag *diag;
	struct cp_event *ev;
	unsigned n, cap;
	char scratch[MAX_LINE + 1];
};

/* Read one line (without its newline) into buf. Returns its length, or -1 at the end of the
 * file; *too_long when it had more than MAX_LINE bytes (the rest is consumed). */
static long read_line(FILE *f, char *buf, bool *too_long)
{
	size_t n = 0;
	int c = getc(f);
	*too_long = false;
	if (c == EOF)
		return -1;
	for (; c != EOF && c != '\n'; c = getc(f)) {
		if (n == MAX_LINE)
			*too_long = true;
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return (long)n;
}

static bool skippable(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i == len || s[i] == '#';
}

static int add_event(struct loader *l, const struct cp_event *ev)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		struct cp_event *e = realloc(l->ev, cap * sizeof(*e));
		if (e == NULL)
			return -1;
		l->ev = e;
		l->cap = cap;
	}
	l->ev[l->n++] = *ev;
	return 0;
}

static void load_line(struct loader *l, const char *s, size_t len, int line)
{
	char err[ERR_LEN];
	struct jparser j = {.s = s, .len = len, .scratch = l->scratch, .err = err};
	struct cp_event ev = {.line = line};

	if (parse_object(&j) != 0 || to_event(&j, l->path, &ev, err) != 0) {
		cp_diag_error(l->diag, l->path, line, "%s", err);
		free(ev.file);
		return;
	}
	if (add_event(l, &ev) != 0) {
		cp_diag_error(l->diag, l->path, line, "out of memory");
		free(ev.file);
	}
}

static int cmp_event(const void *a, const void *b)
{
	const struct cp_event *x = a, *y = b;
	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line); /* lines are unique: a stable order */
}

int cp_events_load(const char *path, struct cp_event **out, unsigned *n, struct cp_diag *diag)
{
	struct loader *l;
	char *buf;
	FILE *f;
	unsigned errors;
	int line = 0;
	long len;
	bool too_long;

	*out = NULL;
	*n = 0;
	f = fopen(path, "r");
	if (f == NULL) {
		cp_diag_error(diag, path, 0, "cannot open events file: %s", strerror(errno));
		return -1;
	}
	l = calloc(1, sizeof(*l));
	buf = malloc(MAX_LINE + 1);
	if (l == NULL || buf == NULL) {
		cp_diag_error(diag, path, 0, "out of memory");
		free(l);
		free(buf);
		fclose(f);
		return -1;
	}
	l->path = path;
	l->diag = diag;
	errors = diag->errors;
	while ((len = read_line(f, buf, &too_long)) >= 0) {
		line++;
		if (too_long)
			cp_diag_error(diag, path, line, "line longer than %d bytes", MAX_LINE);
		else if (!skippable(buf, (size_t)len))
			load_line(l, buf, (size_t)len, line);
	}
	if (ferror(f))
		cp_diag_error(diag, path, 0, "read error: %s", strerror(errno));
	fclose(f);
	free(buf);
	if (diag->errors != errors) {
		cp_events_free(l->ev, l->n);
		free(l);
		return -1;
	}
	if (l->n > 0)
		qsort(l->ev, l->n, sizeof(*l->ev), cmp_event);
	*out = l->ev;
	*n = l->n;
	free(l);
	return 0;
}

void cp_events_free(struct cp_event *ev, unsigned n)
{
	if (ev == NULL)
		return;
	for (unsigned i = 0; i < n; i++)
		free(ev[i].file);
	free(ev);
}
