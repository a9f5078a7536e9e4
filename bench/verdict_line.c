/* verdicts.jsonl writers compared: the replay collector's own (cp_verdict_line_put) against
 * jansson building and dumping the same object. Both write the same bytes (checked); prints
 * ns per line for each. Usage: cp-verdict-line [LINES] (default 2,000,000). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verdict_out.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The line with jansson: an object in key order, dumped with ", " and ": " separators. */
static size_t jansson_line(char *dst, size_t cap, const struct cp_verdict_line *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "n", json_integer(v->n));
	json_object_set_new(o, "verdict", json_string(v->verdict));
	json_object_set_new(o, "rule", str_or_null(v->rule));
	json_object_set_new(o, "category", str_or_null(v->category));
	json_object_set_new(o, "reason", str_or_null(v->reason));
	if (v->detail != NULL)
		json_object_set_new(o, "detail", json_string(v->detail));
	size_t n = json_dumpb(o, dst, cap - 1, 0);
	json_decref(o);
	dst[n] = '\n';
	return n + 1;
}

int main(int argc, char **argv)
{
	unsigned long lines = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
	static const struct cp_verdict_line kinds[] = {
	    {0, "pass", "web", NULL, NULL, NULL},
	    {0, "drop", NULL, NULL, "default-deny", NULL},
	    {0, "drop", "no-social", "social", NULL, NULL},
	    {0, "drop", NULL, NULL, "malformed", "malformed-tcp"},
	};
	char a[512], b[512];
	size_t total = 0;
	for (unsigned k = 0; k < 4; k++) {
		struct cp_verdict_line v = kinds[k];
		v.n = 123456;
		size_t la = (size_t)(cp_verdict_line_put(a, &v) - a);
		size_t lb = jansson_line(b, sizeof(b), &v);
		if (la != lb || memcmp(a, b, la) != 0) {
			fprintf(stderr, "writers differ:\n%.*s%.*s", (int)la, a, (int)lb, b);
			return 1;
		}
	}
	double t0 = now_s();
	for (unsigned long i = 0; i < lines; i++) {
		struct cp_verdict_line v = kinds[i & 3];
		v.n = (uint32_t)i + 1;
		total += (size_t)(cp_verdict_line_put(a, &v) - a);
	}
	double t1 = now_s();
	for (unsigned long i = 0; i < lines; i++) {
		struct cp_verdict_line v = kinds[i & 3];
		v.n = (uint32_t)i + 1;
		total += jansson_line(b, sizeof(b), &v);
	}
	double t2 = now_s();
	printf("lines %lu: own writer %.1f ns/line, jansson %.1f ns/line (%zu bytes)\n", lines,
	       (t1 - t0) * 1e9 / (double)lines, (t2 - t1) * 1e9 / (double)lines, total);
	return 0;
}
