/* Prometheus text exposition (see prom.h): escaping, name checks, samples, and the conversion of
 * counters JSON objects, with the small JSON reader that conversion needs. */
#include "catalog.h"
#include "diag.h"
#include "prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN   256 /* metric names made from JSON keys, prefix included */
#define NUM_MAX_LEN    64  /* longest number token accepted in the JSON */
#define JSON_MAX_DEPTH 3   /* top object, label object, rx/tx object */
#define MAX_LABELS     4   /* extra label, at most two family labels, an alias's fixed label */
#define MAX_UNKNOWN    1024

/* ---- names ---- */

static bool name_ok(const char *s, bool colon)
{
	if (s == NULL || *s == '\0')
		return false;
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (colon && c == ':');
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

bool cp_prom_metric_name_ok(const char *name)
{
	return name_ok(name, true);
}

bool cp_prom_label_name_ok(const char *name)
{
	return name_ok(name, false);
}

/* ---- escaping and lines ---- */

/* s with backslash and newline escaped, and double quote too when quote is set. */
static void write_escaped(FILE *out, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (quote && *s == '"')
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

static bool type_ok(const char *type)
{
	static const char *const types[] = {"counter", "gauge", "untyped", "summary", "histogram"};
	if (type == NULL)
		return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

int cp_prom_family(FILE *out, const char *name, const char *help, const char *type)
{
	if (!cp_prom_metric_name_ok(name) || help == NULL || !type_ok(type))
		return -1;
	fprintf(out, "# HELP %s ", name);
	write_escaped(out, help, false);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
	return 0;
}

static bool labels_ok(const char *const *names, const char *const *values, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!cp_prom_label_name_ok(names[i]) || values[i] == NULL)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return false;
	}
	return true;
}

/* The sample line, with value already spelled; names and labels already checked. */
static void write_sample(FILE *out, const char *name, const char *const *names,
			 const char *const *values, unsigned n, const char *value)
{
	fputs(name, out);
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "%s%s=\"", i == 0 ? "{" : ",", names[i]);
		write_escaped(out, values[i], true);
		fputc('"', out);
	}
	fprintf(out, "%s %s\n", n > 0 ? "}" : "", value);
}

int cp_prom_sample(FILE *out, const char *name, const char *const *label_names,
		   const char *const *label_values, unsigned n_labels, uint64_t value)
{
	char text[32];
	if (!cp_prom_metric_name_ok(name) || !labels_ok(label_names, label_values, n_labels))
		return -1;
	snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
	write_sample(out, name, label_names, label_values, n_labels, text);
	return 0;
}

/* v with the fewest significant digits that read back as v. */
static void format_double(double v, char *buf, size_t len)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* The format wants '.', whatever LC_NUMERIC says. */
	for (char *p = buf; *p != '\0'; p++)
		if (*p == ',')
			*p = '.';
}

int cp_prom_sample_double(FILE *out, const char *name, const char *const *label_names,
			  const char *const *label_values, unsigned n_labels, double value)
{
	char text[48];
	if (!cp_prom_metric_name_ok(name) || !labels_ok(label_names, label_values, n_labels))
		return -1;
	format_double(value, text, sizeof(text));
	write_sample(out, name, label_names, label_values, n_labels, text);
	return 0;
}

/* ---- a small JSON reader: objects of strings to numbers or objects ---- */

struct jmember;

struct jval {
	bool is_obj;
	char num[NUM_MAX_LEN + 1]; /* the number as written, when !is_obj */
	struct jmember *members;   /* when is_obj, in the order of the text */
	size_t n, cap;
};

struct jmember {
	char *key;
	struct jval val;
};

struct jparser {
	const char *start, *p, *end;
	char *err;
	size_t errlen;
	bool failed;
};

/* Records the first error, with the offset where it was found; returns false. */
static bool perr(struct jparser *ps, const char *what)
{
	if (ps->failed)
		return false;
	ps->failed = true;
	cp_errf(ps->err, ps->errlen, "counters JSON: offset %zu: %s", (size_t)(ps->p - ps->start),
		what);
	return false;
}

static void jval_free(struct jval *v)
{
	if (!v->is_obj)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->members[i].key);
		jval_free(&v->members[i].val);
	}
	free(v->members);
	v->members = NULL;
	v->n = v->cap = 0;
}

static void skip_ws(struct jparser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the valid UTF-8 sequence at s (at most left bytes), or 0 when it is not valid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (left < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static bool utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t left = strlen(s);
	while (left > 0) {
		size_t n = utf8_len(u, left);
		if (n == 0)
			return false;
		u += n;
		left -= n;
	}
	return true;
}

/* Four hex digits at p (bounds checked by the caller), or -1. */
static long hex4(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = is_digit(c)		 ? c - '0'
			: (c >= 'a' && c <= 'f') ? c - 'a' + 10
			: (c >= 'A' && c <= 'F') ? c - 'A' + 10
						 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *o, long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The code point of the \u escape at ps->p (a pair for characters above U+FFFF), or -1. */
static long read_u_escape(struct jparser *ps)
{
	long cp = ps->end - ps->p < 6 ? -1 : hex4(ps->p + 2);
	if (cp < 0)
		return perr(ps, "bad \\u escape"), -1;
	ps->p += 6;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return perr(ps, "lone low surrogate"), -1;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
			return perr(ps, "lone high surrogate"), -1;
		long lo = hex4(ps->p + 2);
		if (lo < 0xDC00 || lo > 0xDFFF)
			return perr(ps, "bad surrogate pair"), -1;
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	if (cp == 0)
		return perr(ps, "\\u0000 in a string"), -1;
	return cp;
}

/* One escape at ps->p == '\\', decoded to o; returns its decoded length, or 0 on error. */
static size_t read_escape(struct jparser *ps, char *o)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	if (ps->end - ps->p < 2)
		return perr(ps, "unterminated string"), 0;
	for (size_t i = 0; i + 1 < sizeof(simple); i += 2)
		if (ps->p[1] == simple[i]) {
			*o = simple[i + 1];
			ps->p += 2;
			return 1;
		}
	if (ps->p[1] != 'u')
		return perr(ps, "bad escape"), 0;
	long cp = read_u_escape(ps);
	return cp < 0 ? 0 : put_utf8(o, cp);
}

/* A string at ps->p == '"', decoded into a malloc'd buffer (never longer than the text). */
static char *read_string(struct jparser *ps)
{
	const char *open = ps->p++;
	char *buf = malloc((size_t)(ps->end - open));
	size_t n = 0;
	if (buf == NULL)
		return perr(ps, "out of memory"), NULL;
	while (!ps->failed) {
		if (ps->p >= ps->end) {
			perr(ps, "unterminated string");
		} else if (*ps->p == '"') {
			ps->p++;
			buf[n] = '\0';
			return buf;
		} else if (*ps->p == '\\') {
			n += read_escape(ps, buf + n);
		} else if ((unsigned char)*ps->p < 0x20) {
			perr(ps, "control character in a string");
		} else {
			size_t len =
			    utf8_len((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
			if (len == 0)
				perr(ps, "invalid UTF-8 in a string");
			memcpy(buf + n, ps->p, len);
			n += len;
			ps->p += len;
		}
	}
	free(buf);
	return NULL;
}

/* Skips [0-9]+ and says whether there was at least one digit. */
static bool skip_digits(struct jparser *ps)
{
	const char *from = ps->p;
	while (ps->p < ps->end && is_digit(*ps->p))
		ps->p++;
	return ps->p > from;
}

/* Integer part, optional fraction, optional exponent; integers must fit in 64 bits. */
static bool read_number(struct jparser *ps, struct jval *v)
{
	const char *from = ps->p;
	bool integer = true;
	if (*ps->p == '0' && ps->end - ps->p > 1 && is_digit(ps->p[1]))
		return perr(ps, "leading zero in a number");
	skip_digits(ps);
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		integer = false;
		if (!skip_digits(ps))
			return perr(ps, "digits expected after '.'");
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		integer = false;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!skip_digits(ps))
			return perr(ps, "digits expected in the exponent");
	}
	size_t len = (size_t)(ps->p - from);
	if (len > NUM_MAX_LEN)
		return perr(ps, "number too long");
	if (integer && (len > 20 || (len == 20 && memcmp(from, "18446744073709551615", 20) > 0)))
		return perr(ps, "integer above 2^64 - 1");
	memcpy(v->num, from, len);
	v->num[len] = '\0';
	v->is_obj = false;
	return true;
}

static bool read_object(struct jparser *ps, struct jval *v, int depth);

/* A number or an object; *v is always left safe to free. */
static bool read_value(struct jparser *ps, struct jval *v, int depth)
{
	memset(v, 0, sizeof(*v));
	skip_ws(ps);
	if (ps->p >= ps->end)
		return perr(ps, "value expected");
	if (*ps->p == '{')
		return read_object(ps, v, depth);
	if (is_digit(*ps->p))
		return read_number(ps, v);
	if (*ps->p == '-')
		return perr(ps, "negative number");
	return perr(ps, "number or object expected");
}

/* Appends key and val to obj, which owns them from then on (freed here on failure). */
static bool add_member(struct jparser *ps, struct jval *obj, char *key, struct jval *val)
{
	if (obj->n == obj->cap) {
		size_t cap = obj->cap ? obj->cap * 2 : 8;
		struct jmember *m = realloc(obj->members, cap * sizeof(*m));
		if (m == NULL) {
			free(key);
			jval_free(val);
			return perr(ps, "out of memory");
		}
		obj->members = m;
		obj->cap = cap;
	}
	obj->members[obj->n].key = key;
	obj->members[obj->n].val = *val;
	obj->n++;
	return true;
}

/* One "key": value pair at ps->p. */
static bool read_member(struct jparser *ps, struct jval *obj, int depth)
{
	struct jval val;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return perr(ps, "string key expected");
	char *key = read_string(ps);
	if (key == NULL)
		return false;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':') {
		free(key);
		return perr(ps, "':' expected");
	}
	ps->p++;
	if (!read_value(ps, &val, depth + 1)) {
		free(key);
		jval_free(&val);
		return false;
	}
	return add_member(ps, obj, key, &val);
}

/* An object at ps->p == '{'; depth counts the objects it is in, itself included. */
static bool read_object(struct jparser *ps, struct jval *v, int depth)
{
	v->is_obj = true;
	if (depth > JSON_MAX_DEPTH)
		return perr(ps, "objects nested too deep");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return true;
	}
	for (;;) {
		if (!read_member(ps, v, depth))
			return false;
		skip_ws(ps);
		if (ps->p >= ps->end || (*ps->p != ',' && *ps->p != '}'))
			return perr(ps, "',' or '}' expected");
		if (*ps->p++ == '}')
			return true;
	}
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key that an object (or one inside it) holds twice, or NULL; *oom on no memory. */
static const char *duplicate_key(const struct jval *v, bool *oom)
{
	const char *dup = NULL;
	if (!v->is_obj || v->n == 0)
		return NULL;
	const char **keys = malloc(v->n * sizeof(*keys));
	if (keys == NULL) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++)
		keys[i] = v->members[i].key;
	qsort(keys, v->n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < v->n && dup == NULL; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	for (size_t i = 0; i < v->n && dup == NULL && !*oom; i++)
		dup = duplicate_key(&v->members[i].val, oom);
	return dup;
}

/* Parses text into *v (an object); returns 0, or -1 with the message in err. */
static int json_parse(const char *text, struct jval *v, char *err, size_t errlen)
{
	struct jparser ps = {text, text, text + strlen(text), err, errlen, false};
	bool oom = false;
	memset(v, 0, sizeof(*v));
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{')
		perr(&ps, "an object expected");
	else
		read_object(&ps, v, 1);
	skip_ws(&ps);
	if (!ps.failed && ps.p != ps.end)
		perr(&ps, "text after the object");
	if (!ps.failed) {
		const char *dup = duplicate_key(v, &oom);
		if (oom)
			cp_errf(err, errlen, "counters JSON: out of memory");
		else if (dup != NULL)
			cp_errf(err, errlen, "counters JSON: key \"%.64s\" appears twice", dup);
		ps.failed = oom || dup != NULL;
	}
	if (ps.failed) {
		jval_free(v);
		return -1;
	}
	return 0;
}

/* ---- counters JSON to exposition ---- */

struct family {
	const char *key;    /* JSON key; the metric is CP_PROM_PREFIX key */
	const char *type;   /* "counter" or "gauge" */
	const char *label;  /* NULL: a number; else an object of label value -> number */
	const char *label2; /* not NULL: label value -> {label2 value -> number} */
	const char *help;
};

/* The catalogue's families (catalog.h). */
static const struct family families[] = {
#define FAMILY(key, type, label, label2, help) {key, type, label, label2, help},
#define SCALAR(field, key, help)	       {key, "counter", NULL, NULL, help},
    CP_COUNTER_FAMILIES(FAMILY, SCALAR)
#undef FAMILY
#undef SCALAR
};

#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

/* Keys whose samples belong to a family above: written as its samples, with one more label of a
 * fixed value last (the XDP pre-filter's drops are drop reasons at stage "xdp"). */
struct alias {
	const char *key; /* JSON key, shaped like the family's */
	const char *family;
	const char *label, *value;
};

static const struct alias aliases[] = {
#define ALIAS(key, family, label, value) {key, family, label, value},
    CP_COUNTER_ALIASES(ALIAS)
#undef ALIAS
};

#define N_ALIASES (sizeof(aliases) / sizeof(aliases[0]))

/* Everything a conversion needs, checked before a byte is written. */
struct conversion {
	struct jval *docs;
	unsigned n_docs;
	const char *extra_name;
	const char *const *extra_values;
	const char *unknown[MAX_UNKNOWN]; /* keys exported as they are, in order of appearance */
	unsigned n_unknown;
	char *err;
	size_t errlen;
};

static const struct family *family_find(const char *key)
{
	for (size_t i = 0; i < N_FAMILIES; i++)
		if (strcmp(families[i].key, key) == 0)
			return &families[i];
	return NULL;
}

static const struct alias *alias_find(const char *key)
{
	for (size_t i = 0; i < N_ALIASES; i++)
		if (strcmp(aliases[i].key, key) == 0)
			return &aliases[i];
	return NULL;
}

static const struct jval *member_find(const struct jval *obj, const char *key)
{
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->members[i].key, key) == 0)
			return &obj->members[i].val;
	return NULL;
}

/* Whether every member of v is a number (levels == 1) or an object of numbers (levels == 2). */
static bool all_numbers(const struct jval *v, int levels)
{
	if (!v->is_obj)
		return levels == 0;
	if (levels == 0)
		return false;
	for (size_t i = 0; i < v->n; i++)
		if (!all_numbers(&v->members[i].val, levels - 1))
			return false;
	return true;
}

static int shape_levels(const struct family *f)
{
	return f->label == NULL ? 0 : f->label2 == NULL ? 1 : 2;
}

static int note_unknown(struct conversion *cv, const char *key, const struct jval *v, unsigned d)
{
	size_t len = strlen(key);
	if (v->is_obj) {
		cp_errf(cv->err, cv->errlen, "counters JSON %u: unknown labelled counter \"%.64s\"",
			d, key);
		return -1;
	}
	if (len + strlen(CP_PROM_PREFIX) >= NAME_MAX_LEN || !cp_prom_metric_name_ok(key)) {
		cp_errf(cv->err, cv->errlen, "counters JSON %u: \"%.64s\" is not a metric name", d,
			key);
		return -1;
	}
	for (unsigned i = 0; i < cv->n_unknown; i++)
		if (strcmp(cv->unknown[i], key) == 0)
			return 0;
	if (cv->n_unknown == MAX_UNKNOWN) {
		cp_errf(cv->err, cv->errlen, "counters JSON %u: too many unknown counters", d);
		return -1;
	}
	cv->unknown[cv->n_unknown++] = key;
	return 0;
}

/* Checks the shape of every key of document d against the family table. */
static int check_doc(struct conversion *cv, unsigned d)
{
	const struct jval *doc = &cv->docs[d];
	for (size_t i = 0; i < doc->n; i++) {
		const char *key = doc->members[i].key;
		const struct jval *v = &doc->members[i].val;
		const struct alias *a = alias_find(key);
		const struct family *f = family_find(a != NULL ? a->family : key);
		if (f == NULL) {
			if (note_unknown(cv, key, v, d) < 0)
				return -1;
		} else if (!all_numbers(v, shape_levels(f))) {
			cp_errf(cv->err, cv->errlen, "counters JSON %u: \"%s\" should be %s", d,
				key,
				shape_levels(f) == 0   ? "a number"
				: shape_levels(f) == 1 ? "an object of numbers"
						       : "an object of objects of numbers");
			return -1;
		}
	}
	return 0;
}

/* The extra label must be a label name no family uses, with distinct valid values. */
static int check_extra(struct conversion *cv)
{
	if (cv->extra_name == NULL && cv->n_docs > 1) {
		cp_errf(cv->err, cv->errlen, "several counters JSON need an extra label");
		return -1;
	}
	if (cv->extra_name == NULL)
		return 0;
	bool ok = cp_prom_label_name_ok(cv->extra_name) && cv->extra_values != NULL;
	for (size_t i = 0; ok && i < N_FAMILIES; i++)
		ok = strcmp(cv->extra_name, families[i].label ? families[i].label : "") != 0 &&
		     strcmp(cv->extra_name, families[i].label2 ? families[i].label2 : "") != 0;
	for (size_t i = 0; ok && i < N_ALIASES; i++)
		ok = strcmp(cv->extra_name, aliases[i].label) != 0;
	if (!ok) {
		cp_errf(cv->err, cv->errlen, "bad extra label name");
		return -1;
	}
	for (unsigned i = 0; i < cv->n_docs; i++) {
		const char *v = cv->extra_values[i];
		ok = v != NULL && utf8_ok(v);
		for (unsigned j = 0; ok && j < i; j++)
			ok = strcmp(v, cv->extra_values[j]) != 0;
		if (!ok) {
			cp_errf(cv->err, cv->errlen,
				"extra label value %u missing, repeated or not UTF-8", i);
			return -1;
		}
	}
	return 0;
}

/* The samples of one family from document d (with alias a's fixed label when a is not NULL). */
static void emit_doc(FILE *out, const struct conversion *cv, unsigned d, const char *name,
		     const struct family *f, const struct alias *a, const struct jval *v)
{
	const char *names[MAX_LABELS], *values[MAX_LABELS];
	unsigned n = 0;
	if (cv->extra_name != NULL) {
		names[n] = cv->extra_name;
		values[n++] = cv->extra_values[d];
	}
	if (f == NULL || f->label == NULL) {
		write_sample(out, name, names, values, n, v->num);
		return;
	}
	unsigned nf = f->label2 == NULL ? n + 1 : n + 2; /* labels before the alias's */
	unsigned nt = a != NULL ? nf + 1 : nf;
	names[n] = f->label;
	names[n + 1] = f->label2;
	if (a != NULL) {
		names[nf] = a->label;
		values[nf] = a->value;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct jval *inner = &v->members[i].val;
		values[n] = v->members[i].key;
		if (f->label2 == NULL) {
			write_sample(out, name, names, values, nt, inner->num);
			continue;
		}
		for (size_t j = 0; j < inner->n; j++) {
			values[n + 1] = inner->members[j].key;
			write_sample(out, name, names, values, nt, inner->members[j].val.num);
		}
	}
}

/* HELP, TYPE and the samples of every document for one family (f NULL: an unknown key). */
static void emit_family(FILE *out, const struct conversion *cv, const struct family *f,
			const char *key)
{
	char name[NAME_MAX_LEN];
	char help[NAME_MAX_LEN + 32];
	snprintf(name, sizeof(name), "%s%s", CP_PROM_PREFIX, key);
	if (f == NULL) {
		size_t len = strlen(key);
		bool total = len >= 6 && strcmp(key + len - 6, "_total") == 0;
		snprintf(help, sizeof(help), "Counter %s of the dataplane", key);
		cp_prom_family(out, name, help, total ? "counter" : "gauge");
	} else {
		cp_prom_family(out, name, f->help, f->type);
	}
	for (unsigned d = 0; d < cv->n_docs; d++) {
		const struct jval *v = member_find(&cv->docs[d], key);
		if (v != NULL)
			emit_doc(out, cv, d, name, f, NULL, v);
	}
	for (size_t i = 0; f != NULL && i < N_ALIASES; i++) {
		if (strcmp(aliases[i].family, key) != 0)
			continue;
		for (unsigned d = 0; d < cv->n_docs; d++) {
			const struct jval *v = member_find(&cv->docs[d], aliases[i].key);
			if (v != NULL)
				emit_doc(out, cv, d, name, f, &aliases[i], v);
		}
	}
}

static int convert(struct conversion *cv, const char *const *jsons, FILE *out)
{
	for (unsigned d = 0; d < cv->n_docs; d++) {
		if (jsons[d] == NULL) {
			cp_errf(cv->err, cv->errlen, "counters JSON %u missing", d);
			return -1;
		}
		if (json_parse(jsons[d], &cv->docs[d], cv->err, cv->errlen) < 0)
			return -1;
	}
	if (check_extra(cv) < 0)
		return -1;
	for (unsigned d = 0; d < cv->n_docs; d++)
		if (check_doc(cv, d) < 0)
			return -1;
	for (size_t i = 0; i < N_FAMILIES; i++)
		emit_family(out, cv, &families[i], families[i].key);
	for (unsigned i = 0; i < cv->n_unknown; i++)
		emit_family(out, cv, NULL, cv->unknown[i]);
	if (ferror(out)) {
		cp_errf(cv->err, cv->errlen, "write error");
		return -1;
	}
	return 0;
}

int cp_prom_from_counters_jsons(const char *const *jsons, unsigned n, FILE *out,
				const char *extra_name, const char *const *extra_values, char *err,
				size_t errlen)
{
	if (jsons == NULL || n == 0 || out == NULL) {
		cp_errf(err, errlen, "no counters JSON");
		return -1;
	}
	struct conversion *cv = calloc(1, sizeof(*cv));
	struct jval *docs = calloc(n, sizeof(*docs));
	int rc = -1;
	if (cv == NULL || docs == NULL) {
		cp_errf(err, errlen, "out of memory");
	} else {
		*cv = (struct conversion){.docs = docs,
					  .n_docs = n,
					  .extra_name = extra_name,
					  .extra_values = extra_values,
					  .err = err,
					  .errlen = errlen};
		rc = convert(cv, jsons, out);
	}
	for (unsigned d = 0; docs != NULL && d < n; d++)
		jval_free(&docs[d]);
	free(docs);
	free(cv);
	return rc;
}

int cp_prom_from_counters_json(const char *json, FILE *out, const char *extra_name,
			       const char *extra_value, char *err, size_t errlen)
{
	const char *const values[1] = {extra_value};
	return cp_prom_from_counters_jsons(&json, 1, out, extra_name, values, err, errlen);
}
