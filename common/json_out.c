#include "json_out.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 256 /* input bytes escaped at a time by cp_json_str */

/* The n bytes at s escaped (no quotes) into dst; returns the end. */
static char *escape(char *dst, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			*dst++ = '\\';
			*dst++ = (char)c;
		} else if (c < 0x20) {
			memcpy(dst, "\\u00", 4);
			dst[4] = hex[c >> 4];
			dst[5] = hex[c & 0xf];
			dst += 6;
		} else {
			*dst++ = (char)c;
		}
	}
	return dst;
}

char *cp_json_str_mem(char *dst, const char *s)
{
	if (s == NULL) {
		memcpy(dst, "null", 4);
		return dst + 4;
	}
	*dst++ = '"';
	dst = escape(dst, (const unsigned char *)s, strlen(s));
	*dst++ = '"';
	return dst;
}

void cp_json_str(FILE *f, const char *s)
{
	char buf[6 * CHUNK];
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	/* A chunk at a time, so that a long string needs no buffer of its size. */
	for (size_t left = strlen(s); left > 0;) {
		size_t n = left < CHUNK ? left : CHUNK;
		char *end = escape(buf, (const unsigned char *)s, n);
		fwrite(buf, 1, (size_t)(end - buf), f);
		s += n;
		left -= n;
	}
	fputc('"', f);
}

json_t *cp_json_text(const char *s)
{
	return s != NULL ? json_string_nocheck(s) : json_null();
}

json_t *cp_json_tenths(double v)
{
	char text[64];
	snprintf(text, sizeof(text), "%.1f", v); /* printf's rounding, whatever the value */
	return json_real(strtod(text, NULL));
}

json_t *cp_json_grant(const char *prefix, uint64_t left_s)
{
	return json_pack("{s:s,s:I}", "prefix", prefix, "left_s", (json_int_t)left_s);
}

char *cp_json_dump(json_t *o, size_t *len)
{
	/* 15 significant digits: a value rounded to tenths comes back with its one decimal. */
	char *text = o != NULL ? json_dumps(o, JSON_REAL_PRECISION(15)) : NULL;
	json_decref(o);
	if (text != NULL)
		*len = strlen(text);
	return text;
}
