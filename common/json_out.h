/* Writing JSON strings safely (escaped): to a stdio stream, or into memory for writers that
 * gather their output in a buffer of their own. */
#ifndef CP_JSON_OUT_H
#define CP_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>

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

#endif
