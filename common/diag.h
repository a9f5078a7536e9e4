/* Diagnostics in pfctl style: every problem as "FILE:LINE: message", collected, then printed. */
#ifndef CP_DIAG_H
#define CP_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct cp_diag {
	char **lines; /* "FILE:LINE: error: ..." or "FILE:LINE: warning: ..." */
	unsigned n, cap;
	unsigned errors, warnings;
};

void cp_diag_init(struct cp_diag *d);
void cp_diag_free(struct cp_diag *d);
/* line <= 0 prints "FILE: message". */
void cp_diag_error(struct cp_diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cp_diag_warn(struct cp_diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cp_diag_print(const struct cp_diag *d, FILE *f);

/* printf into a caller's one-line error buffer (nothing when err is NULL or errlen 0). */
void cp_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
