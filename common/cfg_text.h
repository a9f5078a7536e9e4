/* Reading libconfig files as every chokepoint config is read (policy, deployment config). */
#ifndef CP_CFG_TEXT_H
#define CP_CFG_TEXT_H

#include <stddef.h>

#include "diag.h"

/* The whole file, NUL-terminated (at most 64 MiB); reports "FILE: cannot read: ..." and returns
 * NULL on failure. The caller frees it. */
char *cp_cfg_read_text(const char *path, size_t *len, struct cp_diag *diag);

/* libconfig 1.5 keeps a plain integer in an int and wraps silently (4294967376 reads as 80): call
 * fn for every plain decimal above 2147483647 and hex above 0x7fffffff, walking the text as
 * libconfig's scanner would (strings and comments skipped). */
typedef void (*cp_cfg_int_fn)(int line, const char *tok, size_t len, void *arg);
void cp_cfg_scan_ints(const char *text, size_t n, cp_cfg_int_fn fn, void *arg);

#endif
