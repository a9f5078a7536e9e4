/* Reading chokepoint's own JSON (see json_scan.h). */
#include "json_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cp_js_find(const char *j, const char *key)
{
	char pat[160];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *at = strstr(j, pat);
	return at != NULL ? at + strlen(pat) : NULL;
}

/* Skip one value: a string, a number, a literal, or a nested object/array. */
static const char *skip_value(const char *p)
{
	int depth = 0;
	do {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '"')
				p++;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return p;
			depth--;
			p++;
		} else if (*p == ',' && depth == 0) {
			return p;
		} else if (*p != '\0') {
			p++;
		}
	} while (*p != '\0' && (depth > 0 || (*p != ',' && *p != '}' && *p != ']')));
	return p;
}

int cp_js_each(const char *obj,
	       void (*fn)(const char *name, size_t len, const char *val, void *arg), void *arg)
{
	const char *p = obj;
	int n = 0;
	if (p == NULL || *p != '{')
		return -1;
	for (p++;;) {
		while (*p == ' ' || *p == '\n' || *p == ',')
			p++;
		if (*p != '"')
			return n;
		const char *name = ++p;
		while (*p != '\0' && *p != '"')
			p++;
		if (*p != '"')
			return n;
		size_t len = (size_t)(p - name);
		p++;
		while (*p == ' ' || *p == ':')
			p++;
		fn(name, len, p, arg);
		n++;
		p = skip_value(p);
	}
}

double cp_js_num(const char *j, const char *key, const char *sub)
{
	const char *v = cp_js_find(j, key);
	if (v != NULL && sub != NULL) {
		const char *end = skip_value(v);
		char pat[160];
		snprintf(pat, sizeof(pat), "\"%s\": ", sub);
		const char *at = strstr(v, pat);
		v = at != NULL && at < end ? at + strlen(pat) : NULL;
	}
	return v != NULL ? strtod(v, NULL) : 0;
}
