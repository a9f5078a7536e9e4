/* libFuzzer harness: the payload name extractors (dataplane/extract.c): SNI, HTTP Host, DNS over
 * UDP and over TCP, each on the whole input and on its first half. Asserts the result contract of
 * extract.h, and for the stream extractors that a final answer on a prefix is kept when more bytes
 * of the same stream come. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { X_SNI, X_HTTP, X_DNS_UDP, X_DNS_TCP, X_N };

struct res {
	enum cp_ext r;
	size_t nlen;
	char name[CP_EXT_NAME_CAP];
};

static void run(int x, const uint8_t *s, size_t len, struct res *o)
{
	memset(o->name, 'X', sizeof(o->name));
	o->nlen = 12345;
	switch (x) {
	case X_SNI:
		o->r = cp_extract_sni(s, len, o->name, sizeof(o->name), &o->nlen);
		break;
	case X_HTTP:
		o->r = cp_extract_http_host(s, len, o->name, sizeof(o->name), &o->nlen);
		break;
	case X_DNS_UDP:
		o->r = cp_extract_dns(s, len, false, o->name, sizeof(o->name), &o->nlen);
		break;
	default:
		o->r = cp_extract_dns(s, len, true, o->name, sizeof(o->name), &o->nlen);
		break;
	}
	CHECK(o->r <= CP_EXT_MALFORMED);
	CHECK(cp_ext_str(o->r) != NULL);
	if (o->r != CP_EXT_FOUND) {
		CHECK(o->nlen == 0 && o->name[0] == '\0');
		return;
	}
	CHECK(o->nlen >= 1 && o->nlen <= CP_EXT_NAME_MAX);
	CHECK(o->name[o->nlen] == '\0' && strlen(o->name) == o->nlen);
	CHECK(o->name[o->nlen - 1] != '.');
	for (size_t i = 0; i < o->nlen; i++) {
		unsigned char c = (unsigned char)o->name[i];

		CHECK(c < 0x80 && !(c >= 'A' && c <= 'Z'));
	}
}

/* A buffer holding exactly n bytes, so that ASan sees a read past a shorter length. */
static uint8_t *copy(const uint8_t *data, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	CHECK(b != NULL);
	if (n)
		memcpy(b, data, n);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t half = size / 2;
	uint8_t *h = copy(data, half);
	char small[8];
	size_t nl = 99;

	for (int x = 0; x < X_N; x++) {
		struct res all, part;

		run(x, data, size, &all);
		run(x, h, half, &part);
		if (x != X_DNS_UDP && part.r != CP_EXT_MORE) {
			CHECK(part.r == all.r);
			CHECK(part.nlen == all.nlen && strcmp(part.name, all.name) == 0);
		}
	}
	/* A buffer below CP_EXT_NAME_CAP is refused. */
	CHECK(cp_extract_sni(data, size, small, sizeof(small), &nl) == CP_EXT_MALFORMED);
	CHECK(nl == 0 && small[0] == '\0');
	free(h);
	return 0;
}
