/* Writing JSON strings safely (escaped): to a stdio stream, or into memory for writers that
 * gather their output in a buffer of their own (verdicts.jsonl); and the helpers the control
 * replies' JSON is built with (jansson). */
#ifndef CP_JSON_OUT_H
#define CP_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* "s" with quotes and escapes; NULL writes null. */
void cp_json_str(FILE *f, const char *s);

/* At most how many bytes cp_json_str_mem writes for a string of len bytes (or NULL). */
static inline size_t cp_json_str_room(size_t len)
{
	return 6 * len + 4; /* \u00XX for every byte, two quotes; "null" for NULL */
}

/* What cp_json_str writes for s, into dst (room for cp_json_str_room(strlen(s)) bytes, not
 * NUL-terminated). Returns the end of what it wrote. */
char *cp_json_str_mem(char *dst, const char *s);

/* ---- Building the control replies' JSON with jansson ---- */

/* s as a JSON string (bytes as they are: names and paths were checked where they were read), or
 * null for NULL. */
json_t *cp_json_text(const char *s);
/* v rounded to one decimal, written as "%.1f" writes it (by cp_json_dump). */
json_t *cp_json_tenths(double v);
/* {"prefix": prefix, "left_s": left_s}: a grant in a status reply. */
json_t *cp_json_grant(const char *prefix, uint64_t left_s);
/* o on one line (", " and ": " between items), malloc'd, its length in *len; o is released.
 * NULL (o released too) when o is NULL or out of memory. */
char *cp_json_dump(json_t *o, size_t *len);

#endif
