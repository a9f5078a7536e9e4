/* Reading libconfig files as every chokepoint config is read: the text at most 64 MiB, and every
 * integer literal libconfig 1.5 would silently wrap into 32 bits found first. */
#include "cfg_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (64u << 20)

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '*' || c == '-';
}

/* Length of the number token at s (digits, letters, '.', and a signed exponent). */
static size_t number_len(const char *s, const char *end)
{
	const char *p = s;
	bool hex = end - s > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	while (p < end && ((ident_char(*p) && *p != '-' && *p != '*') || *p == '.')) {
		p++;
		if (!hex && (p[-1] == 'e' || p[-1] == 'E') && p < end && (*p == '+' || *p == '-'))
			p++;
	}
	return (size_t)(p - s);
}

/* True for a plain decimal above 2147483647 or hex above 0x7fffffff (no L suffix). */
static bool wraps(const char *tok, size_t len)
{
	bool hex = len > 1 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X');
	unsigned long long v = 0, max = hex ? 0x7fffffffull : 2147483647ull;
	if (len > 0 && tok[len - 1] == 'L')
		return false; /* 64-bit, range checked where it is used */
	for (size_t i = hex ? 2 : 0; i < len; i++) {
		char c = tok[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false; /* a float or something libconfig already judged */
		if (v <= max)
			v = v * (hex ? 16 : 10) + d;
	}
	return v > max;
}

void cp_cfg_scan_ints(const char *text, size_t n, cp_cfg_int_fn fn, void *arg)
{
	int line = 1;
	size_t i = 0;
	while (i < n) {
		char c = text[i];
		if (c == '\n') {
			line++;
			i++;
		} else if (c == '"') {
			for (i++; i < n && text[i] != '"'; i++) {
				if (text[i] == '\\' && i + 1 < n)
					i++;
				if (text[i] == '\n')
					line++;
			}
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < n && text[i + 1] == '/')) {
			while (i < n && text[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
			for (i += 2; i < n && !(text[i] == '*' && i + 1 < n && text[i + 1] == '/');
			     i++)
				if (text[i] == '\n')
					line++;
			i += 2;
		} else if (c >= '0' && c <= '9') {
			size_t len = number_len(text + i, text + n);
			if (wraps(text + i, len))
				fn(line, text + i, len, arg);
			i += len;
		} else if (ident_char(c)) {
			while (i < n && ident_char(text[i]))
				i++;
		} else {
			i++;
		}
	}
}

/* Reads the whole file; reports "cannot read" and returns NULL on failure. */
char *cp_cfg_read_text(const char *path, size_t *len, struct cp_diag *diag)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int e = 0;

	if (f == NULL) {
		cp_diag_error(diag, path, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = ncap <= MAX_FILE_BYTES ? realloc(buf, ncap + 1) : NULL;
			if (nb == NULL) {
				e = cap >= MAX_FILE_BYTES ? EFBIG : ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			e = ferror(f) ? errno : 0;
			break;
		}
	}
	fclose(f);
	if (e != 0 || buf == NULL) {
		cp_diag_error(diag, path, 0, "cannot read: %s", strerror(e ? e : ENOMEM));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}
