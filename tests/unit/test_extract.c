/* Unit tests for the payload name extractors (dataplane/extract.c): ClientHellos, HTTP requests and
 * DNS queries built here from declarative tables (valid and hostile), every truncation of the valid
 * ones, records and segments split at every byte, and seeded random mutations of all of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract.h"

#define BUF_MAX	 (40u * 1024)
#define NAME_CAP CP_EXT_NAME_CAP

typedef enum cp_ext (*stream_fn)(const uint8_t *s, size_t len, char *name, size_t cap,
				 size_t *nlen);

struct buf {
	uint8_t b[BUF_MAX];
	size_t n;
};

static void put8(struct buf *w, unsigned v)
{
	assert_true(w->n < BUF_MAX);
	w->b[w->n++] = (uint8_t)v;
}

static void put16(struct buf *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v);
}

static void put_bytes(struct buf *w, const void *p, size_t n)
{
	assert_true(w->n + n <= BUF_MAX);
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put_str(struct buf *w, const char *s)
{
	put_bytes(w, s, strlen(s));
}

static void put_fill(struct buf *w, uint8_t v, size_t n)
{
	assert_true(w->n + n <= BUF_MAX);
	memset(w->b + w->n, v, n);
	w->n += n;
}

/* Reserve a 16-bit length at the current position; fix16 writes the bytes since, plus delta. */
static size_t mark16(struct buf *w)
{
	put16(w, 0);
	return w->n - 2;
}

static void fix16(struct buf *w, size_t at, int delta)
{
	long v = (long)(w->n - at - 2) + delta;

	w->b[at] = (uint8_t)(v >> 8);
	w->b[at + 1] = (uint8_t)v;
}

/* True when a name is what the extractors promise: 1..253 bytes of [a-z0-9._-] (or an IPv6
 * literal in brackets), NUL-terminated at nlen. */
static int name_is_normal(const char *n, size_t nlen)
{
	if (nlen == 0 || nlen > CP_EXT_NAME_MAX || strlen(n) != nlen)
		return 0;
	for (size_t i = 0; i < nlen; i++) {
		char c = n[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == '[' || c == ']' || c == ':'))
			return 0;
	}
	return 1;
}

/* gname and glen are read here, after the extractor call among the arguments has run. */
static void expect(const char *what, enum cp_ext got, const char *gname, const size_t *glenp,
		   enum cp_ext want, const char *wname)
{
	size_t glen = *glenp;

	if (got != want)
		fail_msg("%s: got %s, want %s", what, cp_ext_str(got), cp_ext_str(want));
	if (want == CP_EXT_FOUND) {
		if (strcmp(gname, wname) != 0 || glen != strlen(wname))
			fail_msg("%s: got name \"%s\" (%zu), want \"%s\"", what, gname, glen,
				 wname);
	} else if (gname[0] != '\0' || glen != 0) {
		fail_msg("%s: %s but name \"%s\" (%zu) left", what, cp_ext_str(got), gname, glen);
	}
}

/* Every strict prefix of a stream whose answer is FOUND gives MORE, or FOUND with the same name
 * (an extractor may answer before the end); never anything else. */
static void check_prefixes(const char *what, stream_fn fn, const uint8_t *s, size_t len,
			   const char *want, size_t found_from)
{
	char name[NAME_CAP];
	size_t nlen;

	for (size_t l = 0; l < len; l++) {
		enum cp_ext r = fn(s, l, name, sizeof(name), &nlen);

		if (l >= found_from && r == CP_EXT_FOUND && strcmp(name, want) == 0)
			continue;
		if (r != CP_EXT_MORE)
			fail_msg("%s: prefix %zu of %zu: got %s \"%s\"", what, l, len,
				 cp_ext_str(r), name);
	}
}

/* --- TLS ------------------------------------------------------------------------------------- */

#define GREASE_A 0x0a0a
#define GREASE_B 0xfafa

struct hello {
	const char *what;
	uint16_t rec_ver;  /* record layer version; 0: 0x0301 */
	uint16_t version;  /* legacy_version; 0: 0x0303 */
	uint8_t sid_len;   /* session_id bytes */
	uint16_t suites;   /* cipher_suites bytes; 0: 4 */
	uint8_t comp;	   /* compression methods; 0: 1 */
	uint8_t n_before;  /* unknown extensions before server_name */
	uint8_t n_after;   /* and after it */
	uint8_t grease;	   /* GREASE extensions around server_name */
	uint8_t tls13;	   /* supported_versions, key_share */
	uint8_t no_exts;   /* no extensions block at all */
	const char *sni;   /* NULL: no server_name extension */
	uint8_t sni_len;   /* 0: strlen(sni) */
	uint8_t sni_type;  /* name_type of the (first) entry */
	uint8_t other_1st; /* an entry of another name_type before the host_name */
	uint8_t also;	   /* a second host_name entry after the first */
	uint16_t pad;	   /* bytes of a padding extension before server_name */
	int d_ext, d_list, d_exts, d_hs, d_name; /* added to the lengths */
	uint16_t after_type;			 /* type of the extensions after; 0: 0x1000 + i */
	size_t recs[4];	   /* record payload sizes, the rest in a last record */
	uint8_t hs_type;   /* 0: ClientHello */
	uint8_t rec_type;  /* 0: handshake */
	uint8_t rec2_type; /* type of the second and later records; 0: handshake */
	enum cp_ext want;
	const char *name;
};

static void put_ext(struct buf *w, unsigned type, size_t len, uint8_t fill)
{
	put16(w, type);
	put16(w, (unsigned)len);
	put_fill(w, fill, len);
}

static size_t name_end_in_msg; /* where put_sni's name ended in the handshake message */

static void put_sni(struct buf *w, const struct hello *h)
{
	size_t ext, list, n = h->sni_len ? h->sni_len : strlen(h->sni);

	put16(w, 0);
	ext = mark16(w);
	list = mark16(w);
	if (h->other_1st) {
		put8(w, 7);
		put16(w, 3);
		put_str(w, "abc");
	}
	put8(w, h->sni_type);
	put16(w, (unsigned)((int)n + h->d_name));
	put_bytes(w, h->sni, n);
	name_end_in_msg = w->n;
	if (h->also) {
		put8(w, 0);
		put16(w, 8);
		put_str(w, "also.net");
	}
	fix16(w, list, h->d_list);
	fix16(w, ext, h->d_ext);
}

static void put_extensions(struct buf *w, const struct hello *h)
{
	size_t exts = mark16(w);

	if (h->grease)
		put_ext(w, GREASE_A, 0, 0);
	for (unsigned i = 0; i < h->n_before; i++)
		put_ext(w, 0xff00 + i, i % 7, (uint8_t)i);
	if (h->tls13) {
		put16(w, 43); /* supported_versions: TLS 1.3, 1.2 */
		put16(w, 5);
		put8(w, 4);
		put16(w, 0x0304);
		put16(w, 0x0303);
		put_ext(w, 51, 38, 0x33); /* key_share (opaque here) */
	}
	if (h->pad)
		put_ext(w, 21, h->pad, 0);
	if (h->sni)
		put_sni(w, h);
	if (h->grease)
		put_ext(w, GREASE_B, 1, 0);
	for (unsigned i = 0; i < h->n_after; i++)
		put_ext(w, h->after_type ? h->after_type : 0x1000 + i, 3, 0x2d);
	fix16(w, exts, h->d_exts);
}

/* The handshake message: header and ClientHello body. */
static void build_handshake(struct buf *w, const struct hello *h)
{
	size_t at, body_len;
	long hs_len;

	put8(w, h->hs_type ? h->hs_type : 1);
	at = w->n;
	put8(w, 0);
	put16(w, 0);
	put16(w, h->version ? h->version : 0x0303);
	put_fill(w, 0x42, 32);
	put8(w, h->sid_len);
	put_fill(w, 0x5a, h->sid_len);
	put16(w, h->suites ? h->suites : 4);
	put_fill(w, 0x13, h->suites ? h->suites : 4);
	put8(w, h->comp ? h->comp : 1);
	put_fill(w, 0, h->comp ? h->comp : 1);
	if (!h->no_exts)
		put_extensions(w, h);
	body_len = w->n - at - 3;
	hs_len = (long)body_len + h->d_hs;
	w->b[at] = (uint8_t)(hs_len >> 16);
	w->b[at + 1] = (uint8_t)(hs_len >> 8);
	w->b[at + 2] = (uint8_t)hs_len;
}

static void put_record(struct buf *w, const struct hello *h, unsigned type, const uint8_t *p,
		       size_t n)
{
	put8(w, type);
	put16(w, h->rec_ver ? h->rec_ver : 0x0301);
	put16(w, (unsigned)n);
	put_bytes(w, p, n);
}

/* The stream: the handshake message cut into records of the sizes in recs (or of rec_size each
 * when rec_size is not 0). Returns the stream length at which the server name is complete (the
 * stream length when there is no name). */
static size_t build_tls(struct buf *out, const struct hello *h, size_t rec_size)
{
	static struct buf msg;
	size_t off = 0, i = 0, sni_end = 0;

	msg.n = 0;
	name_end_in_msg = 0;
	build_handshake(&msg, h);
	out->n = 0;
	while (off < msg.n) {
		size_t n = msg.n - off;
		unsigned type =
		    i == 0 ? (h->rec_type ? h->rec_type : 22) : (h->rec2_type ? h->rec2_type : 22);

		if (rec_size)
			n = n < rec_size ? n : rec_size;
		else if (i < 4 && h->recs[i])
			n = h->recs[i];
		if (name_end_in_msg > off && name_end_in_msg <= off + n)
			sni_end = out->n + 5 + (name_end_in_msg - off);
		put_record(out, h, type, msg.b + off, n);
		off += n;
		i++;
	}
	return sni_end ? sni_end : out->n;
}

static char long_name[300];

/* "aaa...a.bbb...b.example" of total length n. */
static const char *name_of_len(size_t n)
{
	assert_true(n < sizeof(long_name));
	for (size_t i = 0; i < n; i++)
		long_name[i] = (i % 50 == 49) ? '.' : (char)('a' + i % 26);
	long_name[n] = '\0';
	if (n > 0 && long_name[n - 1] == '.')
		long_name[n - 1] = 'z';
	return long_name;
}

static const struct hello hellos[] = {
    {.what = "TLS 1.0",
     .rec_ver = 0x0301,
     .version = 0x0301,
     .sni = "example.com",
     .want = CP_EXT_FOUND,
     .name = "example.com"},
    {.what = "TLS 1.1",
     .rec_ver = 0x0301,
     .version = 0x0302,
     .sni = "www.example.org",
     .want = CP_EXT_FOUND,
     .name = "www.example.org"},
    {.what = "TLS 1.2",
     .rec_ver = 0x0303,
     .version = 0x0303,
     .sni = "a.b.c",
     .n_before = 3,
     .want = CP_EXT_FOUND,
     .name = "a.b.c"},
    {.what = "TLS 1.3",
     .tls13 = 1,
     .sid_len = 32,
     .grease = 1,
     .sni = "social.example",
     .n_after = 4,
     .want = CP_EXT_FOUND,
     .name = "social.example"},
    {.what = "SSL 3.0 record",
     .rec_ver = 0x0300,
     .version = 0x0300,
     .sni = "x.y",
     .want = CP_EXT_FOUND,
     .name = "x.y"},
    {.what = "no SNI", .tls13 = 1, .n_before = 5, .want = CP_EXT_NONE},
    {.what = "no extensions", .no_exts = 1, .want = CP_EXT_NONE},
    {.what = "GREASE only", .grease = 1, .want = CP_EXT_NONE},
    {.what = "SNI last after 40 extensions",
     .n_before = 40,
     .tls13 = 1,
     .grease = 1,
     .sni = "last.example",
     .want = CP_EXT_FOUND,
     .name = "last.example"},
    {.what = "session id 32",
     .sid_len = 32,
     .sni = "sid.example",
     .want = CP_EXT_FOUND,
     .name = "sid.example"},
    {.what = "many suites",
     .suites = 400,
     .comp = 3,
     .sni = "s.example",
     .want = CP_EXT_FOUND,
     .name = "s.example"},
    {.what = "two records",
     .recs = {60},
     .tls13 = 1,
     .sni = "two.example",
     .want = CP_EXT_FOUND,
     .name = "two.example"},
    {.what = "three records",
     .recs = {30, 50},
     .tls13 = 1,
     .n_before = 3,
     .sni = "three.example",
     .want = CP_EXT_FOUND,
     .name = "three.example"},
    {.what = "record split inside the name",
     .recs = {65},
     .sni = "split.inside.example",
     .want = CP_EXT_FOUND,
     .name = "split.inside.example"},
    {.what = "uppercase",
     .sni = "WWW.Example.COM",
     .want = CP_EXT_FOUND,
     .name = "www.example.com"},
    {.what = "trailing dot", .sni = "example.com.", .want = CP_EXT_FOUND, .name = "example.com"},
    {.what = "other name type first",
     .other_1st = 1,
     .sni = "second.example",
     .want = CP_EXT_FOUND,
     .name = "second.example"},
    {.what = "second host_name ignored",
     .also = 1,
     .sni = "first.example",
     .want = CP_EXT_FOUND,
     .name = "first.example"},
    {.what = "only another name type", .sni = "opaque", .sni_type = 9, .want = CP_EXT_NONE},
    {.what = "name 0 bytes", .sni = "", .want = CP_EXT_MALFORMED},
    {.what = "name with NUL", .sni = "exa\0mple.com", .sni_len = 12, .want = CP_EXT_MALFORMED},
    {.what = "name with space", .sni = "exa mple.com", .want = CP_EXT_MALFORMED},
    {.what = "name with empty label", .sni = "a..b", .want = CP_EXT_MALFORMED},
    {.what = "name of a dot", .sni = ".", .want = CP_EXT_MALFORMED},
    {.what = "name with leading dot", .sni = ".a.b", .want = CP_EXT_MALFORMED},
    {.what = "name with high byte", .sni = "caf\xc3\xa9.example", .want = CP_EXT_MALFORMED},
    {.what = "extension length past the end",
     .sni = "a.example",
     .d_ext = 100,
     .want = CP_EXT_MALFORMED},
    {.what = "extension length short", .sni = "a.example", .d_ext = -3, .want = CP_EXT_MALFORMED},
    {.what = "SNI list length +1", .sni = "a.example", .d_list = 1, .want = CP_EXT_MALFORMED},
    {.what = "SNI list length -1", .sni = "a.example", .d_list = -1, .want = CP_EXT_MALFORMED},
    {.what = "SNI list empty", .sni = "a.example", .d_list = -12, .want = CP_EXT_MALFORMED},
    {.what = "extensions length +1", .sni = "a.example", .d_exts = 1, .want = CP_EXT_MALFORMED},
    {.what = "extensions length -1", .sni = "a.example", .d_exts = -1, .want = CP_EXT_MALFORMED},
    {.what = "handshake length -1", .sni = "a.example", .d_hs = -1, .want = CP_EXT_MALFORMED},
    {.what = "handshake length short", .sni = "a.example", .d_hs = -40, .want = CP_EXT_MALFORMED},
    {.what = "name length past the list",
     .sni = "abc.example",
     .d_name = 2,
     .n_after = 1,
     .after_type = 0x2d2d,
     .want = CP_EXT_MALFORMED},
    {.what = "name length short", .sni = "abc.example", .d_name = -1, .want = CP_EXT_MALFORMED},
    {.what = "session id 33", .sid_len = 33, .sni = "a.example", .want = CP_EXT_MALFORMED},
    {.what = "odd cipher suites", .suites = 3, .sni = "a.example", .want = CP_EXT_MALFORMED},
    {.what = "legacy version 2.0", .version = 0x0200, .sni = "a.example", .want = CP_EXT_MALFORMED},
    {.what = "record version 3.5", .rec_ver = 0x0305, .sni = "a.example", .want = CP_EXT_NOT_THIS},
    {.what = "record version 2.0", .rec_ver = 0x0200, .sni = "a.example", .want = CP_EXT_NOT_THIS},
    {.what = "application data record",
     .rec_type = 23,
     .sni = "a.example",
     .want = CP_EXT_NOT_THIS},
    {.what = "ServerHello", .hs_type = 2, .sni = "a.example", .want = CP_EXT_NOT_THIS},
    {.what = "second record not handshake",
     .recs = {20},
     .rec2_type = 21,
     .sni = "a.example",
     .want = CP_EXT_MALFORMED},
};

static void test_tls_table(void **state)
{
	static struct buf s;
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	for (size_t i = 0; i < sizeof(hellos) / sizeof(hellos[0]); i++) {
		const struct hello *h = &hellos[i];
		size_t sni_end = build_tls(&s, h, 0);
		enum cp_ext r = cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen);

		expect(h->what, r, name, &nlen, h->want, h->name);
		if (h->want == CP_EXT_FOUND || h->want == CP_EXT_NONE)
			check_prefixes(h->what, cp_extract_sni, s.b, s.n, h->name ? h->name : "",
				       sni_end);
		/* bytes after the ClientHello change nothing */
		put_record(&s, h, 23, (const uint8_t *)"xyz", 3);
		r = cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen);
		if (h->want != CP_EXT_MALFORMED)
			expect(h->what, r, name, &nlen, h->want, h->name);
	}
}

/* The handshake cut into records of every size from 1 byte up. */
static void test_tls_records_every_size(void **state)
{
	static struct buf s;
	const struct hello h = {.tls13 = 1, .grease = 1, .n_before = 2, .sni = "rec.Example.NET"};
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	for (size_t size = 1; size <= 200; size++) {
		size_t sni_end = build_tls(&s, &h, size);
		enum cp_ext r = cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen);
		char what[64];

		snprintf(what, sizeof(what), "records of %zu", size);
		expect(what, r, name, &nlen, CP_EXT_FOUND, "rec.example.net");
		if (size <= 7)
			check_prefixes(what, cp_extract_sni, s.b, s.n, "rec.example.net", sni_end);
	}
}

static void test_tls_name_lengths(void **state)
{
	static struct buf s;
	struct hello h = {.sni = NULL};
	char name[NAME_CAP], want[320];
	size_t nlen;

	(void)state;
	for (size_t n = 250; n <= 256; n++) {
		enum cp_ext r;

		snprintf(want, sizeof(want), "%s", name_of_len(n));
		h.sni = want;
		build_tls(&s, &h, 0);
		r = cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen);
		expect(want, r, name, &nlen, n <= CP_EXT_NAME_MAX ? CP_EXT_FOUND : CP_EXT_MALFORMED,
		       want);
	}
	/* 253 bytes and a trailing dot: 254 on the wire, fine */
	snprintf(want, sizeof(want), "%s.", name_of_len(253));
	h.sni = want;
	build_tls(&s, &h, 0);
	want[253] = '\0';
	expect("253 and a dot", cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen), name, &nlen,
	       CP_EXT_FOUND, want);
	/* a 64-byte label */
	memset(want, 'q', 64);
	strcpy(want + 64, ".example");
	h.sni = want;
	build_tls(&s, &h, 0);
	expect("label 64", cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen), name, &nlen,
	       CP_EXT_MALFORMED, NULL);
	memset(want, 'q', 63);
	strcpy(want + 63, ".example");
	build_tls(&s, &h, 0);
	expect("label 63", cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen), name, &nlen,
	       CP_EXT_FOUND, want);
}

static void test_tls_raw(void **state)
{
	static const struct {
		const char *what;
		const uint8_t b[16];
		size_t n;
		enum cp_ext want;
	} raw[] = {
	    {"empty", {0}, 0, CP_EXT_MORE},
	    {"one byte", {22}, 1, CP_EXT_MORE},
	    {"record header only", {22, 3, 1, 0, 80}, 5, CP_EXT_MORE},
	    {"not a record", {'G', 'E', 'T'}, 3, CP_EXT_NOT_THIS},
	    {"SSLv2 hello", {0x80, 0x2e, 0x01, 0x03, 0x01, 0, 0x15}, 7, CP_EXT_NOT_THIS},
	    {"bad major", {22, 2}, 2, CP_EXT_NOT_THIS},
	    {"bad minor", {22, 3, 9}, 3, CP_EXT_NOT_THIS},
	    {"record length 0", {22, 3, 1, 0, 0, 1}, 6, CP_EXT_MALFORMED},
	    {"record length 2^14+1", {22, 3, 1, 0x40, 1, 1, 0, 0}, 8, CP_EXT_MALFORMED},
	    {"hello length 0", {22, 3, 1, 0, 4, 1, 0, 0, 0}, 9, CP_EXT_MALFORMED},
	    {"hello cut by its length", {22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3}, 11, CP_EXT_MALFORMED},
	};
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		expect(raw[i].what, cp_extract_sni(raw[i].b, raw[i].n, name, sizeof(name), &nlen),
		       name, &nlen, raw[i].want, NULL);
	expect("small cap", cp_extract_sni(raw[0].b, 0, name, 100, &nlen), name, &nlen,
	       CP_EXT_MALFORMED, NULL);
}

/* A ClientHello over 16 KiB whose name comes late: no answer within the window. */
static void test_tls_window(void **state)
{
	static struct buf s;
	const struct hello late = {.pad = 17000, .sni = "late.example", .recs = {10000}};
	const struct hello early = {.n_after = 0, .sni = "early.example"};
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	build_tls(&s, &late, 0);
	assert_true(s.n > CP_EXT_TLS_MAX);
	expect("late name", cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen), name, &nlen,
	       CP_EXT_MALFORMED, NULL);
	expect("late name, short", cp_extract_sni(s.b, 16000, name, sizeof(name), &nlen), name,
	       &nlen, CP_EXT_MORE, NULL);
	build_tls(&s, &early, 0);
	expect("early name", cp_extract_sni(s.b, s.n, name, sizeof(name), &nlen), name, &nlen,
	       CP_EXT_FOUND, "early.example");
}

/* --- HTTP ------------------------------------------------------------------------------------ */

static const struct {
	const char *what;
	const char *req;
	enum cp_ext want;
	const char *name;
} http_cases[] = {
    {"GET", "GET / HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n", CP_EXT_FOUND,
     "www.example.com"},
    {"POST", "POST /form HTTP/1.1\r\nContent-Length: 3\r\nHost: a.example\r\n\r\n", CP_EXT_FOUND,
     "a.example"},
    {"CONNECT", "CONNECT social.example:443 HTTP/1.1\r\nHost: social.example:443\r\n\r\n",
     CP_EXT_FOUND, "social.example"},
    {"CONNECT without Host", "CONNECT tunnel.example:443 HTTP/1.1\r\n\r\n", CP_EXT_FOUND,
     "tunnel.example"},
    {"CONNECT wins", "CONNECT real.example:443 HTTP/1.1\r\nHost: decoy.example\r\n\r\n",
     CP_EXT_FOUND, "real.example"},
    {"HTTP/1.0", "GET / HTTP/1.0\r\nHost: old.example\r\n\r\n", CP_EXT_FOUND, "old.example"},
    {"Host with port", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", CP_EXT_FOUND,
     "example.com"},
    {"HOST in caps", "GET / HTTP/1.1\r\nHOST: EXAMPLE.Com\r\n\r\n", CP_EXT_FOUND, "example.com"},
    {"host lowercase, tabs", "GET / HTTP/1.1\r\nhost:\t example.com \t\r\n\r\n", CP_EXT_FOUND,
     "example.com"},
    {"no space after colon", "GET / HTTP/1.1\r\nHost:example.com\r\n\r\n", CP_EXT_FOUND,
     "example.com"},
    {"space before colon", "GET / HTTP/1.1\r\nHost : example.com\r\n\r\n", CP_EXT_FOUND,
     "example.com"},
    {"trailing dot", "GET / HTTP/1.1\r\nHost: example.com.\r\n\r\n", CP_EXT_FOUND, "example.com"},
    {"IPv4 literal", "GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n", CP_EXT_FOUND, "192.0.2.1"},
    {"IPv6 literal", "GET / HTTP/1.1\r\nHost: [2001:DB8::1]:8080\r\n\r\n", CP_EXT_FOUND,
     "[2001:db8::1]"},
    {"IPv6 literal no port", "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", CP_EXT_FOUND, "[::1]"},
    {"underscore", "GET / HTTP/1.1\r\nHost: my_host.example\r\n\r\n", CP_EXT_FOUND,
     "my_host.example"},
    {"absolute-form", "GET http://abs.example/x?y HTTP/1.1\r\n\r\n", CP_EXT_FOUND, "abs.example"},
    {"absolute-form wins", "GET http://abs.example:81/ HTTP/1.1\r\nHost: host.example\r\n\r\n",
     CP_EXT_FOUND, "abs.example"},
    {"absolute-form userinfo", "GET http://u:p@abs.example/ HTTP/1.1\r\n\r\n", CP_EXT_FOUND,
     "abs.example"},
    {"absolute-form HTTPS caps", "GET HTTPS://Abs.Example HTTP/1.1\r\nHost: x\r\n\r\n",
     CP_EXT_FOUND, "abs.example"},
    {"absolute-form empty host", "GET http:///x HTTP/1.1\r\nHost: a.example\r\n\r\n",
     CP_EXT_MALFORMED, NULL},
    {"LF only", "GET / HTTP/1.1\nUser-Agent: x\nHost: lf.example\n\n", CP_EXT_FOUND, "lf.example"},
    {"mixed line ends", "GET / HTTP/1.1\r\nHost: mix.example\n\r\n", CP_EXT_FOUND, "mix.example"},
    {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: lead.example\r\n\r\n", CP_EXT_FOUND,
     "lead.example"},
    {"odd method", "PROPFIND /d HTTP/1.1\r\nHost: dav.example\r\n\r\n", CP_EXT_FOUND,
     "dav.example"},
    {"M-SEARCH", "M-SEARCH * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\n\r\n", CP_EXT_FOUND,
     "239.255.255.250"},
    {"same Host twice", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: A.example:80\r\n\r\n",
     CP_EXT_FOUND, "a.example"},
    {"obs-fold elsewhere", "GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\nHost: f.example\r\n\r\n",
     CP_EXT_FOUND, "f.example"},
    {"short lines before Host", "GET / HTTP/1.1\r\nH:\r\nHo: x\r\nh\r\nHost: s.example\r\n\r\n",
     CP_EXT_FOUND, "s.example"},
    {"h-names before Host", "GET / HTTP/1.1\r\nhst: x\r\nHosts: y\r\nHost: h.example\r\n\r\n",
     CP_EXT_FOUND, "h.example"},
    {"obs-fold after a short line", "GET / HTTP/1.1\r\nHost: a.example\r\nX: 1\r\n b\r\n\r\n",
     CP_EXT_FOUND, "a.example"},
    {"obs-fold after an h-name", "GET / HTTP/1.1\r\nHost: a.example\r\nhx: 1\r\n b\r\n\r\n",
     CP_EXT_FOUND, "a.example"},
    {"Host name bytes", "GET / HTTP/1.1\r\nHost: Z-9_a.EXAMPLE.\r\n\r\n", CP_EXT_FOUND,
     "z-9_a.example"},
    {"Host byte 0x80", "GET / HTTP/1.1\r\nHost: a\x80.example\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host leading dot", "GET / HTTP/1.1\r\nHost: .a.example\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host only a dot", "GET / HTTP/1.1\r\nHost: .\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"missing Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", CP_EXT_NONE, NULL},
    {"empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", CP_EXT_NONE, NULL},
    {"Hostname is not Host", "GET / HTTP/1.1\r\nHostname: x.example\r\n\r\n", CP_EXT_NONE, NULL},
    {"no version", "GET /x?y\r\nHost: nover.example\r\n\r\n", CP_EXT_FOUND, "nover.example"},
    {"HTTP/0.9 alone", "GET /\r\n", CP_EXT_MORE, NULL},
    {"no version, odd method", "FETCH /x\r\nHost: a.example\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"duplicate Host", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
     CP_EXT_MALFORMED, NULL},
    {"empty then Host", "GET / HTTP/1.1\r\nHost:\r\nHost: b.example\r\n\r\n", CP_EXT_MALFORMED,
     NULL},
    {"obs-fold Host", "GET / HTTP/1.1\r\nHost: a.example\r\n b.example\r\n\r\n", CP_EXT_MALFORMED,
     NULL},
    {"Host with path", "GET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a.example\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host bad port", "GET / HTTP/1.1\r\nHost: a.example:8x\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host two names", "GET / HTTP/1.1\r\nHost: a.example b.example\r\n\r\n", CP_EXT_MALFORMED,
     NULL},
    {"Host empty label", "GET / HTTP/1.1\r\nHost: a..example\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host port only", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host empty IPv6", "GET / HTTP/1.1\r\nHost: []\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host IPv6 one colon", "GET / HTTP/1.1\r\nHost: [:]:80\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"Host unclosed IPv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"absolute-form userinfo only", "GET http://u@/ HTTP/1.1\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"bare CR in request line", "GET /a\rb HTTP/1.1\r\nHost: a.example\r\n\r\n", CP_EXT_NOT_THIS,
     NULL},
    {"version HTTP/1.10", "GET / HTTP/1.10\r\nHost: a.example\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"Host bad IPv6", "GET / HTTP/1.1\r\nHost: [fe80::1%eth0]\r\n\r\n", CP_EXT_MALFORMED, NULL},
    {"TLS", "\x16\x03\x01\x02\x00\x01", CP_EXT_NOT_THIS, NULL},
    {"SSH", "SSH-2.0-OpenSSH_9.2\r\n", CP_EXT_NOT_THIS, NULL},
    {"SMTP", "EHLO mail.example\r\n", CP_EXT_NOT_THIS, NULL},
    {"SIP", "INVITE sip:a@b SIP/2.0\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"lowercase method", "get / HTTP/1.1\r\nHost: a.example\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"method too long", "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"space first", " GET / HTTP/1.1\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"control in line", "GET /\x01 HTTP/1.1\r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"no target", "GET  \r\n\r\n", CP_EXT_NOT_THIS, NULL},
    {"binary", "\x01\x02\x03", CP_EXT_NOT_THIS, NULL},
};

static void test_http_table(void **state)
{
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	for (size_t i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		const uint8_t *req = (const uint8_t *)http_cases[i].req;
		size_t n = strlen(http_cases[i].req);
		enum cp_ext r;

		r = cp_extract_http_host(req, n, name, sizeof(name), &nlen);
		expect(http_cases[i].what, r, name, &nlen, http_cases[i].want, http_cases[i].name);
		if (http_cases[i].want == CP_EXT_FOUND || http_cases[i].want == CP_EXT_NONE)
			check_prefixes(http_cases[i].what, cp_extract_http_host, req, n,
				       http_cases[i].name ? http_cases[i].name : "", n);
	}
}

/* A body after the header block and a second request change nothing. */
static void test_http_after_headers(void **state)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: first.example\r\nContent-Length: 30\r\n"
				  "\r\nHost: body.example\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n";
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	expect("body",
	       cp_extract_http_host((const uint8_t *)req, strlen(req), name, sizeof(name), &nlen),
	       name, &nlen, CP_EXT_FOUND, "first.example");
}

/* Header blocks around the 8 KiB window. */
static void test_http_window(void **state)
{
	static struct buf s;
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	/* 9 KiB header block, Host first: found though the block has not ended in the window */
	s.n = 0;
	put_str(&s, "GET / HTTP/1.1\r\nHost: early.example\r\n");
	for (int i = 0; i < 90; i++) {
		put_str(&s, "X-Filler: ");
		put_fill(&s, 'f', 90);
		put_str(&s, "\r\n");
	}
	put_str(&s, "Host: late.example\r\n\r\n");
	assert_true(s.n > 9000);
	expect("9 KiB, Host first", cp_extract_http_host(s.b, s.n, name, sizeof(name), &nlen), name,
	       &nlen, CP_EXT_FOUND, "early.example");
	expect("9 KiB, Host first, 8000 bytes",
	       cp_extract_http_host(s.b, 8000, name, sizeof(name), &nlen), name, &nlen, CP_EXT_MORE,
	       NULL);
	/* Host only after 8 KiB: none */
	s.n = 0;
	put_str(&s, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 90; i++) {
		put_str(&s, "X-Filler: ");
		put_fill(&s, 'f', 90);
		put_str(&s, "\r\n");
	}
	put_str(&s, "Host: late.example\r\n\r\n");
	expect("9 KiB, Host late", cp_extract_http_host(s.b, s.n, name, sizeof(name), &nlen), name,
	       &nlen, CP_EXT_NONE, NULL);
	/* a request line of 9 KiB */
	s.n = 0;
	put_str(&s, "GET /");
	put_fill(&s, 'u', 9000);
	put_str(&s, " HTTP/1.1\r\nHost: a.example\r\n\r\n");
	expect("9 KiB request line", cp_extract_http_host(s.b, s.n, name, sizeof(name), &nlen),
	       name, &nlen, CP_EXT_MALFORMED, NULL);
	/* a header block just under the window */
	s.n = 0;
	put_str(&s, "GET / HTTP/1.1\r\n");
	while (s.n < CP_EXT_HTTP_MAX - 200) {
		put_str(&s, "X-Filler: ");
		put_fill(&s, 'f', 90);
		put_str(&s, "\r\n");
	}
	put_str(&s, "Host: fits.example\r\n\r\n");
	assert_true(s.n < CP_EXT_HTTP_MAX);
	expect("just under 8 KiB", cp_extract_http_host(s.b, s.n, name, sizeof(name), &nlen), name,
	       &nlen, CP_EXT_FOUND, "fits.example");
	check_prefixes("just under 8 KiB", cp_extract_http_host, s.b, s.n, "fits.example", s.n);
}

static void test_http_name_lengths(void **state)
{
	static struct buf s;
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	for (size_t n = 251; n <= 256; n++) {
		const char *h = name_of_len(n);

		s.n = 0;
		put_str(&s, "GET / HTTP/1.1\r\nHost: ");
		put_str(&s, h);
		put_str(&s, ":80\r\n\r\n");
		expect(h, cp_extract_http_host(s.b, s.n, name, sizeof(name), &nlen), name, &nlen,
		       n <= CP_EXT_NAME_MAX ? CP_EXT_FOUND : CP_EXT_MALFORMED, h);
	}
}

/* --- DNS ------------------------------------------------------------------------------------- */

/* A query (or response, when flags say so) for qname given in dotted form; "" is the root. */
static void build_dns(struct buf *w, const char *qname, unsigned flags, unsigned qdcount)
{
	const char *p = qname;

	put16(w, 0x1234);
	put16(w, flags);
	put16(w, qdcount);
	put16(w, 0);
	put16(w, 0);
	put16(w, 0);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		put8(w, (unsigned)l);
		put_bytes(w, p, l);
		p += l;
		if (*p == '.')
			p++;
	}
	put8(w, 0);
	put16(w, 1);
	put16(w, 1);
}

static void check_dns(const char *what, const struct buf *m, enum cp_ext want, const char *wname)
{
	static struct buf t;
	char name[NAME_CAP];
	size_t nlen;
	enum cp_ext r = cp_extract_dns(m->b, m->n, false, name, sizeof(name), &nlen);

	expect(what, r, name, &nlen, want, wname);
	/* the same message over TCP, whole and at every split */
	t.n = 0;
	put16(&t, (unsigned)m->n);
	put_bytes(&t, m->b, m->n);
	expect(what, cp_extract_dns(t.b, t.n, true, name, sizeof(name), &nlen), name, &nlen, want,
	       wname);
	for (size_t l = 0; l < t.n; l++) {
		r = cp_extract_dns(t.b, l, true, name, sizeof(name), &nlen);
		if (r == CP_EXT_MORE || (want != CP_EXT_FOUND && r == want))
			continue;
		fail_msg("%s: TCP prefix %zu of %zu: got %s", what, l, t.n, cp_ext_str(r));
	}
	/* UDP cut short: never MORE, never a wrong name */
	for (size_t l = 0; l < m->n; l++) {
		r = cp_extract_dns(m->b, l, false, name, sizeof(name), &nlen);
		if (r == CP_EXT_MORE || (r == CP_EXT_FOUND && (!wname || strcmp(name, wname) != 0)))
			fail_msg("%s: UDP cut at %zu: got %s", what, l, cp_ext_str(r));
	}
}

static void test_dns_table(void **state)
{
	static const struct {
		const char *what, *qname;
		unsigned flags, qdcount;
		enum cp_ext want;
		const char *name;
	} cases[] = {
	    {"normal", "www.example.com", 0x0100, 1, CP_EXT_FOUND, "www.example.com"},
	    {"uppercase", "WWW.Example.COM", 0x0100, 1, CP_EXT_FOUND, "www.example.com"},
	    {"srv", "_ldap._tcp.dc.example", 0x0100, 1, CP_EXT_FOUND, "_ldap._tcp.dc.example"},
	    {"single label", "wpad", 0, 1, CP_EXT_FOUND, "wpad"},
	    {"two questions", "first.example", 0x0100, 2, CP_EXT_FOUND, "first.example"},
	    {"opcode update", "zone.example", 0x2800, 1, CP_EXT_FOUND, "zone.example"},
	    {"response", "www.example.com", 0x8180, 1, CP_EXT_NONE, NULL},
	    {"no question", "www.example.com", 0x0100, 0, CP_EXT_NONE, NULL},
	    {"root", "", 0x0100, 1, CP_EXT_NONE, NULL},
	    {"space in label", "a b.example", 0x0100, 1, CP_EXT_MALFORMED, NULL},
	    {"star", "*.example", 0x0100, 1, CP_EXT_MALFORMED, NULL},
	};
	static struct buf m;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m.n = 0;
		build_dns(&m, cases[i].qname, cases[i].flags, cases[i].qdcount);
		check_dns(cases[i].what, &m, cases[i].want, cases[i].name);
	}
}

static void test_dns_lengths(void **state)
{
	static struct buf m;
	char q[320], want[320];

	(void)state;
	/* labels of 63 and 64 bytes (a 64 on the wire has the top bits 01: refused) */
	memset(q, 'l', 63);
	strcpy(q + 63, ".example");
	m.n = 0;
	build_dns(&m, q, 0x0100, 1);
	check_dns("label 63", &m, CP_EXT_FOUND, q);
	memset(q, 'l', 64);
	strcpy(q + 64, ".example");
	m.n = 0;
	build_dns(&m, q, 0x0100, 1);
	check_dns("label 64", &m, CP_EXT_MALFORMED, NULL);
	/* names of 253 and 254 bytes */
	for (size_t n = 250; n <= 255; n++) {
		snprintf(q, sizeof(q), "%s", name_of_len(n));
		m.n = 0;
		build_dns(&m, q, 0x0100, 1);
		snprintf(want, sizeof(want), "%s", q);
		check_dns(q, &m, n <= CP_EXT_NAME_MAX ? CP_EXT_FOUND : CP_EXT_MALFORMED, want);
	}
}

static void test_dns_raw(void **state)
{
	static const struct {
		const char *what;
		uint8_t b[40];
		size_t n;
		bool tcp;
		enum cp_ext want;
		const char *name;
	} raw[] = {
	    {"pointer in question",
	     {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12, 0, 1, 0, 1},
	     20,
	     false,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"pointer first",
	     {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1},
	     18,
	     false,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"extended label type",
	     {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1},
	     19,
	     false,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"dot in label",
	     {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1},
	     21,
	     false,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"NUL in label",
	     {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', 0, 'b', 0, 0, 1, 0, 1},
	     21,
	     false,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"label past the end",
	     {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'a', 'b'},
	     15,
	     false,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"no QTYPE",
	     {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1},
	     17,
	     false,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"short header", {0, 1, 1, 0, 0, 1}, 6, false, CP_EXT_MALFORMED, NULL},
	    {"empty", {0}, 0, false, CP_EXT_MALFORMED, NULL},
	    {"TCP empty", {0}, 0, true, CP_EXT_MORE, NULL},
	    {"TCP one byte", {0}, 1, true, CP_EXT_MORE, NULL},
	    {"TCP prefix 11",
	     {0, 11, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0},
	     13,
	     true,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"TCP prefix 0", {0, 0}, 2, true, CP_EXT_MALFORMED, NULL},
	    {"TCP question past the prefix",
	     {0, 16, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1},
	     21,
	     true,
	     CP_EXT_MALFORMED,
	     NULL},
	    {"TCP question complete, rest to come",
	     {0, 30, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 'a', 0, 0, 1, 0, 1},
	     21,
	     true,
	     CP_EXT_FOUND,
	     "a"},
	    {"TCP header not in yet", {0, 30, 0, 1, 1, 0, 0, 1}, 8, true, CP_EXT_MORE, NULL},
	    {"TCP response",
	     {0, 12, 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0},
	     14,
	     true,
	     CP_EXT_NONE,
	     NULL},
	};
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		expect(raw[i].what,
		       cp_extract_dns(raw[i].b, raw[i].n, raw[i].tcp, name, sizeof(name), &nlen),
		       name, &nlen, raw[i].want, raw[i].name);
	expect("NULL", cp_extract_dns(NULL, 5, false, name, sizeof(name), &nlen), name, &nlen,
	       CP_EXT_MALFORMED, NULL);
}

/* Two TCP messages back to back: the first one's question is the answer. */
static void test_dns_tcp_two(void **state)
{
	static struct buf m, t;
	char name[NAME_CAP];
	size_t nlen;

	(void)state;
	t.n = 0;
	m.n = 0;
	build_dns(&m, "one.example", 0x0100, 1);
	put16(&t, (unsigned)m.n);
	put_bytes(&t, m.b, m.n);
	m.n = 0;
	build_dns(&m, "two.example", 0x0100, 1);
	put16(&t, (unsigned)m.n);
	put_bytes(&t, m.b, m.n);
	expect("two messages", cp_extract_dns(t.b, t.n, true, name, sizeof(name), &nlen), name,
	       &nlen, CP_EXT_FOUND, "one.example");
}

/* --- all three on hostile bytes ------------------------------------------------------------ */

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void run_all(const uint8_t *b, size_t n)
{
	char name[NAME_CAP];
	size_t nlen;
	enum cp_ext r[4];

	r[0] = cp_extract_sni(b, n, name, sizeof(name), &nlen);
	if (r[0] == CP_EXT_FOUND && !name_is_normal(name, nlen))
		fail_msg("sni: abnormal name \"%s\"", name);
	r[1] = cp_extract_http_host(b, n, name, sizeof(name), &nlen);
	if (r[1] == CP_EXT_FOUND && !name_is_normal(name, nlen))
		fail_msg("http: abnormal name \"%s\"", name);
	r[2] = cp_extract_dns(b, n, false, name, sizeof(name), &nlen);
	if (r[2] == CP_EXT_FOUND && !name_is_normal(name, nlen))
		fail_msg("dns: abnormal name \"%s\"", name);
	r[3] = cp_extract_dns(b, n, true, name, sizeof(name), &nlen);
	if (r[3] == CP_EXT_FOUND && !name_is_normal(name, nlen))
		fail_msg("dns/tcp: abnormal name \"%s\"", name);
	for (int i = 0; i < 4; i++)
		if (r[i] > CP_EXT_MALFORMED)
			fail_msg("result %d out of range", (int)r[i]);
}

/* Seeded mutations of valid inputs: flipped bytes, patched lengths, cuts; checked under ASan in
 * the sanitizer build: no read outside the buffer (each case is copied to an exact-size heap
 * block), and a FOUND name is always normalized. */
static void test_mutations(void **state)
{
	static struct buf seed;
	const struct hello h = {.tls13 = 1, .grease = 1, .n_before = 3, .sni = "mut.example"};
	const char *req = "GET http://m.example/ HTTP/1.1\r\nHost: m.example:80\r\nX: y\r\n\r\n";

	(void)state;
	for (int kind = 0; kind < 3; kind++) {
		seed.n = 0;
		if (kind == 0)
			build_tls(&seed, &h, 40);
		else if (kind == 1)
			put_str(&seed, req);
		else
			build_dns(&seed, "mutated.Example.org", 0x0100, 1);
		for (int iter = 0; iter < 20000; iter++) {
			size_t n = seed.n;
			uint8_t *b = malloc(n ? n : 1);
			unsigned flips = 1 + rng() % 4;

			assert_non_null(b);
			memcpy(b, seed.b, n);
			for (unsigned f = 0; f < flips; f++) {
				size_t at = rng() % n;

				b[at] = (rng() & 1) ? (uint8_t)rng()
						    : (uint8_t)(b[at] ^ (1u << (rng() % 8)));
			}
			if (rng() % 4 == 0)
				n = rng() % (n + 1);
			run_all(b, n);
			free(b);
		}
	}
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rng() % 64;
		uint8_t *b = malloc(n ? n : 1);

		assert_non_null(b);
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rng();
		if (n > 0 && rng() % 2)
			b[0] = 22;
		run_all(b, n);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls_table),
	    cmocka_unit_test(test_tls_records_every_size),
	    cmocka_unit_test(test_tls_name_lengths),
	    cmocka_unit_test(test_tls_raw),
	    cmocka_unit_test(test_tls_window),
	    cmocka_unit_test(test_http_table),
	    cmocka_unit_test(test_http_after_headers),
	    cmocka_unit_test(test_http_window),
	    cmocka_unit_test(test_http_name_lengths),
	    cmocka_unit_test(test_dns_table),
	    cmocka_unit_test(test_dns_lengths),
	    cmocka_unit_test(test_dns_raw),
	    cmocka_unit_test(test_dns_tcp_two),
	    cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
