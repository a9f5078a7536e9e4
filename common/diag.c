#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cp_diag_init(struct cp_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void cp_diag_free(struct cp_diag *d)
{
	for (unsigned i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}

static void add(struct cp_diag *d, const char *kind, const char *file, int line, const char *fmt,
		va_list ap)
{
	char msg[1024], full[1400];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s: %s", file, line, kind, msg);
	else
		snprintf(full, sizeof(full), "%s: %s: %s", file, kind, msg);
	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 16;
		char **l = realloc(d->lines, cap * sizeof(*l));
		if (l == NULL)
			return; /* out of memory: the count below still records the problem */
		d->lines = l;
		d->cap = cap;
	}
	d->lines[d->n] = strdup(full);
	if (d->lines[d->n] != NULL)
		d->n++;
}

void cp_diag_error(struct cp_diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, "error", file, line, fmt, ap);
	va_end(ap);
	d->errors++;
}

void cp_diag_warn(struct cp_diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, "warning", file, line, fmt, ap);
	va_end(ap);
	d->warnings++;
}

void cp_diag_print(const struct cp_diag *d, FILE *f)
{
	for (unsigned i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->lines[i]);
}

void cp_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
