/* Writing JSON strings safely (escaped) to a stdio stream. */
#ifndef CP_JSON_OUT_H
#define CP_JSON_OUT_H

#include <stdio.h>

/* "s" with quotes and escapes; NULL writes null. */
void cp_json_str(FILE *f, const char *s);

#endif
