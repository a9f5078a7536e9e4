/* Loads the replay events file (SPEC §6): one flat JSON object a line (jansson), checked key by key
 * into struct cp_event, every bad line reported as FILE:LINE, the result sorted by time. */
#include "events.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
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

/* ---- One line: a flat JSON object (jansson), duplicate keys refused. ---- */

/* Parse s[0..len) as one object of scalars and nothing else; NULL with the message in err. */
static json_t *parse_object(const char *s, size_t len, char *err)
{
	json_error_t je;
	const char *key;
	json_t *v, *m;
	v = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		snprintf(err, ERR_LEN, "bad JSON at column %d: %s", je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		snprintf(err, ERR_LEN, "bad JSON: an object '{...}' expected");
		json_decref(v);
		return NULL;
	}
	if (json_object_size(v) > MAX_MEMBERS) {
		snprintf(err, ERR_LEN, "bad JSON: too many keys");
		json_decref(v);
		return NULL;
	}
	json_object_foreach(v, key, m)
	{
		if (json_is_object(m) || json_is_array(m)) {
			snprintf(err, ERR_LEN,
				 "bad JSON: \"%.64s\": nested objects and arrays are not allowed",
				 key);
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

/* ---- Numbers and durations to nanoseconds. ---- */

/* A decimal number's text as nanoseconds, exactly, sub-nanosecond digits dropped. Returns 0, or -1
 * when negative (and not zero) or above max_ns. */
static int text_to_ns(const char *s, size_t len, uint64_t max_ns, uint64_t *ns)
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

/* A JSON number of seconds as nanoseconds: integers exactly, decimals through the shortest text
 * that reads back as the same double (0.1 is 100000000 ns). */
static int number_to_ns(const json_t *m, uint64_t max_ns, uint64_t *ns)
{
	char text[64];
	if (json_is_integer(m)) {
		snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(m));
	} else {
		double v = json_real_value(m);
		if (!isfinite(v))
			return -1;
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(text, sizeof(text), "%.*e", prec - 1, v);
			if (strtod(text, NULL) == v)
				break;
		}
	}
	return text_to_ns(text, strlen(text), max_ns, ns);
}

/* "for"/"renew_every": seconds as a number, or a duration string; > 0 and at most 100 years. */
static int period_ns(const json_t *m, const char *key, uint64_t *ns, char *err)
{
	uint64_t s;
	if (json_is_number(m)) {
		if (number_to_ns(m, MAX_PERIOD_S * NS_PER_S, ns) != 0) {
			snprintf(err, ERR_LEN, "\"%s\" must be a number of seconds in (0, %llu]",
				 key, MAX_PERIOD_S);
			return -1;
		}
	} else if (json_is_string(m)) {
		if (cp_duration_parse(json_string_value(m), &s) != 0 || s > MAX_PERIOD_S) {
			snprintf(err, ERR_LEN, "\"%s\": bad duration \"%.64s\"", key,
				 json_string_value(m));
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

/* The string value of m, or NULL when m is not a string. */
static const char *str(const json_t *m)
{
	return json_string_value(m);
}

static bool key_allowed(enum cp_event_kind k, const char *key)
{
	for (const char *const *p = kind_keys[k]; *p != NULL; p++)
		if (strcmp(*p, key) == 0)
			return true;
	return false;
}

static int get_kind(const json_t *j, enum cp_event_kind *k, char *err)
{
	const json_t *m = json_object_get(j, "do");
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"do\"");
		return -1;
	}
	if (str(m) == NULL) {
		snprintf(err, ERR_LEN, "\"do\" must be a string");
		return -1;
	}
	for (unsigned i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(str(m), kind_names[i]) == 0) {
			*k = (enum cp_event_kind)i;
			return 0;
		}
	}
	snprintf(err, ERR_LEN,
		 "unknown \"do\": \"%.64s\" (grant, renew, revoke, shutoff, restore or policy)",
		 str(m));
	return -1;
}

static int get_at(const json_t *j, uint64_t *at_ns, char *err)
{
	const json_t *m = json_object_get(j, "at");
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"at\"");
		return -1;
	}
	if (!json_is_number(m) || number_to_ns(m, MAX_AT_S * NS_PER_S, at_ns) != 0) {
		snprintf(err, ERR_LEN, "\"at\" must be a number of seconds in [0, %llu]", MAX_AT_S);
		return -1;
	}
	return 0;
}

static int get_host(const json_t *j, struct cp_prefix *host, char *err)
{
	const json_t *m = json_object_get(j, "host");
	char perr[ERR_LEN - 16];
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"host\"");
		return -1;
	}
	if (str(m) == NULL) {
		snprintf(err, ERR_LEN, "\"host\" must be a string");
		return -1;
	}
	if (strlen(str(m)) > 64) {
		snprintf(err, ERR_LEN, "\"host\": bad address \"%.64s...\"", str(m));
		return -1;
	}
	if (cp_prefix_parse(str(m), host, perr, sizeof(perr)) != 0) {
		snprintf(err, ERR_LEN, "\"host\": %s", perr);
		return -1;
	}
	return 0;
}

/* The policy file, joined to the events file's directory when relative. */
static int get_file(const json_t *j, const char *events_path, char **file, char *err)
{
	const json_t *m = json_object_get(j, "file");
	const char *slash = strrchr(events_path, '/');
	const char *name = str(m);
	size_t dir = (name != NULL && name[0] != '/' && slash != NULL)
			 ? (size_t)(slash - events_path) + 1
			 : 0;
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"file\"");
		return -1;
	}
	if (name == NULL || name[0] == '\0') {
		snprintf(err, ERR_LEN, "\"file\" must be a non-empty string");
		return -1;
	}
	*file = malloc(dir + strlen(name) + 1);
	if (*file == NULL) {
		snprintf(err, ERR_LEN, "out of memory");
		return -1;
	}
	memcpy(*file, events_path, dir);
	strcpy(*file + dir, name);
	return 0;
}

static int get_grant(const json_t *j, struct cp_event *ev, char *err)
{
	const json_t *m = json_object_get(j, "for");
	if (m == NULL) {
		snprintf(err, ERR_LEN, "missing \"for\"");
		return -1;
	}
	if (period_ns(m, "for", &ev->for_ns, err) != 0)
		return -1;
	m = json_object_get(j, "renew_every");
	if (m != NULL && period_ns(m, "renew_every", &ev->renew_ns, err) != 0)
		return -1;
	return 0;
}

/* Check the parsed object and fill ev. Returns 0, or -1 with one message in err. */
static int to_event(const json_t *j, const char *events_path, struct cp_event *ev, char *err)
{
	enum cp_event_kind k;
	const char *key;
	json_t *m;
	if (get_kind(j, &k, err) != 0)
		return -1;
	json_object_foreach((json_t *)j, key, m)
	{
		if (!key_allowed(k, key)) {
			snprintf(err, ERR_LEN, "unknown key \"%.64s\" for \"%s\"", key,
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
	struct cp_event ev = {.line = line};
	json_t *j = parse_object(s, len, err);

	if (j == NULL || to_event(j, l->path, &ev, err) != 0) {
		cp_diag_error(l->diag, l->path, line, "%s", err);
		json_decref(j);
		free(ev.file);
		return;
	}
	json_decref(j);
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
