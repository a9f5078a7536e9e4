/* Prometheus text exposition (see prom.h): escaping, name checks, samples, and the conversion of
 * counters JSON objects (read with jansson). */
#include "catalog.h"
#include "diag.h"
#include "prom.h"

#include <math.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN   256 /* metric names made from JSON keys, prefix included */
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

/* ---- reading the counters JSON (jansson) ---- */

/* Values are objects of numbers or of such objects, at most JSON_MAX_DEPTH objects deep, numbers
 * not negative. Returns NULL, or what is wrong. */
static const char *value_problem(const json_t *v, int depth)
{
	const char *key;
	json_t *m;
	if (json_is_integer(v))
		return json_integer_value(v) < 0 ? "negative number" : NULL;
	if (json_is_real(v))
		return json_real_value(v) < 0 ? "negative number" : NULL;
	if (!json_is_object(v))
		return "number or object expected";
	if (depth >= JSON_MAX_DEPTH)
		return "objects nested too deep";
	json_object_foreach((json_t *)v, key, m)
	{
		const char *why = value_problem(m, depth + 1);
		if (why != NULL)
			return why;
	}
	return NULL;
}

/* Parses text into an object; returns it, or NULL with the message in err. */
static json_t *json_parse(const char *text, char *err, size_t errlen)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	const char *why;
	if (v == NULL) {
		cp_errf(err, errlen, "counters JSON: offset %d: %s", je.position, je.text);
		return NULL;
	}
	why = json_is_object(v) ? value_problem(v, 0) : "an object expected";
	if (why != NULL) {
		cp_errf(err, errlen, "counters JSON: %s", why);
		json_decref(v);
		return NULL;
	}
	return v;
}

/* A number of the JSON as exposition text: integers as they are, others with the fewest digits
 * that read back as the same double. */
static void number_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else
		format_double(json_real_value(v), buf, len);
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
	json_t **docs;
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

/* Whether v is a number (levels == 0), an object of numbers (1) or of objects of numbers (2). */
static bool all_numbers(const json_t *v, int levels)
{
	const char *key;
	json_t *m;
	if (!json_is_object(v))
		return levels == 0;
	if (levels == 0)
		return false;
	json_object_foreach((json_t *)v, key, m)
	{
		if (!all_numbers(m, levels - 1))
			return false;
	}
	return true;
}

static int shape_levels(const struct family *f)
{
	return f->label == NULL ? 0 : f->label2 == NULL ? 1 : 2;
}

static int note_unknown(struct conversion *cv, const char *key, const json_t *v, unsigned d)
{
	size_t len = strlen(key);
	if (json_is_object(v)) {
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
	const char *key;
	json_t *v;
	json_object_foreach(cv->docs[d], key, v)
	{
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

/* Whether s is valid UTF-8 without NUL (jansson makes no string of anything else). */
static bool utf8_ok(const char *s)
{
	json_t *j = json_string(s);
	json_decref(j);
	return j != NULL;
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

static void write_number(FILE *out, const char *name, const char *const *names,
			 const char *const *values, unsigned n, const json_t *v)
{
	char text[48];
	number_text(v, text, sizeof(text));
	write_sample(out, name, names, values, n, text);
}

/* The samples of one family from document d (with alias a's fixed label when a is not NULL). */
static void emit_doc(FILE *out, const struct conversion *cv, unsigned d, const char *name,
		     const struct family *f, const struct alias *a, json_t *v)
{
	const char *names[MAX_LABELS], *values[MAX_LABELS];
	const char *k1, *k2;
	json_t *inner, *num;
	unsigned n = 0;
	if (cv->extra_name != NULL) {
		names[n] = cv->extra_name;
		values[n++] = cv->extra_values[d];
	}
	if (f == NULL || f->label == NULL) {
		write_number(out, name, names, values, n, v);
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
	json_object_foreach(v, k1, inner)
	{
		values[n] = k1;
		if (f->label2 == NULL) {
			write_number(out, name, names, values, nt, inner);
			continue;
		}
		json_object_foreach(inner, k2, num)
		{
			values[n + 1] = k2;
			write_number(out, name, names, values, nt, num);
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
		json_t *v = json_object_get(cv->docs[d], key);
		if (v != NULL)
			emit_doc(out, cv, d, name, f, NULL, v);
	}
	for (size_t i = 0; f != NULL && i < N_ALIASES; i++) {
		if (strcmp(aliases[i].family, key) != 0)
			continue;
		for (unsigned d = 0; d < cv->n_docs; d++) {
			json_t *v = json_object_get(cv->docs[d], aliases[i].key);
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
		cv->docs[d] = json_parse(jsons[d], cv->err, cv->errlen);
		if (cv->docs[d] == NULL)
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
	json_t **docs = calloc(n, sizeof(*docs));
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
		json_decref(docs[d]);
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
