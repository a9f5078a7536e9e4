/* Payload name extractors: TLS ClientHello SNI, HTTP/1.x request host, DNS query name (extract.h).
 * Hot path: every loop is bounded by the bytes given (and by CP_EXT_TLS_MAX / CP_EXT_HTTP_MAX),
 * no allocation, every read checked against the length first. Stateless: each call parses the
 * stream from its first byte, so a caller simply calls again when more bytes arrive. */
#include "extract.h"

#include <string.h>

#define CP_HOT __attribute__((hot))

#define LABEL_MAX    63
#define DNS_WIRE_MAX 255

#define TLS_REC_HDR	   5
#define TLS_REC_MAX	   16384
#define TLS_CT_HANDSHAKE   22
#define TLS_HS_HDR	   4
#define TLS_HS_CLIENTHELLO 1
#define TLS_RANDOM	   32
#define TLS_SID_MAX	   32
#define TLS_EXT_SNI	   0
#define TLS_SNI_HOSTNAME   0

#define HTTP_METHOD_MAX 20
#define HTTP_SCHEME_MAX 16

#define DNS_HDR	     12
#define DNS_QR	     0x80
#define DNS_QTAIL    4 /* QTYPE and QCLASS */
#define DNS_PTR_MASK 0xc0

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

static inline bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static void clear_out(char *name, size_t cap, size_t *nlen)
{
	if (name && cap > 0)
		name[0] = '\0';
	if (nlen)
		*nlen = 0;
}

/* Each byte as it goes into a host name: lowercase for [A-Za-z0-9_-], '.' for a dot, 0 for a byte
 * no host name holds. One load a byte where the tests would be a chain of compares. */
#define NC(c) [c] = c
#define UC(c) [c] = (c | 0x20)
static const uint8_t name_byte[256] = {
    NC('-'), NC('.'), NC('_'), NC('0'), NC('1'), NC('2'), NC('3'), NC('4'), NC('5'), NC('6'),
    NC('7'), NC('8'), NC('9'), NC('a'), NC('b'), NC('c'), NC('d'), NC('e'), NC('f'), NC('g'),
    NC('h'), NC('i'), NC('j'), NC('k'), NC('l'), NC('m'), NC('n'), NC('o'), NC('p'), NC('q'),
    NC('r'), NC('s'), NC('t'), NC('u'), NC('v'), NC('w'), NC('x'), NC('y'), NC('z'), UC('A'),
    UC('B'), UC('C'), UC('D'), UC('E'), UC('F'), UC('G'), UC('H'), UC('I'), UC('J'), UC('K'),
    UC('L'), UC('M'), UC('N'), UC('O'), UC('P'), UC('Q'), UC('R'), UC('S'), UC('T'), UC('U'),
    UC('V'), UC('W'), UC('X'), UC('Y'), UC('Z'),
};
#undef NC
#undef UC

/* Copy n raw bytes of a host name into name, normalized (lowercase, one trailing dot dropped) and
 * checked: 1..253 bytes of [a-z0-9_-] in dot-separated labels of 1..63. src may equal name. */
static enum cp_ext finish_name(const uint8_t *src, size_t n, char *name, size_t cap, size_t *nlen)
{
	size_t label_start = 0;

	if (n > 0 && src[n - 1] == '.')
		n--;
	if (n == 0 || n > CP_EXT_NAME_MAX || n >= cap)
		return CP_EXT_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = name_byte[src[i]];

		if (c == 0)
			return CP_EXT_MALFORMED;
		name[i] = (char)c;
		if (c != '.')
			continue;
		if (i == label_start || i - label_start > LABEL_MAX)
			return CP_EXT_MALFORMED;
		label_start = i + 1;
	}
	if (n == label_start || n - label_start > LABEL_MAX)
		return CP_EXT_MALFORMED;
	name[n] = '\0';
	*nlen = n;
	return CP_EXT_FOUND;
}

/* --- TLS ---------------------------------------------------------------------------------------
 * A cursor over the handshake bytes carried by consecutive handshake records: reads cross record
 * boundaries transparently, and never go past the handshake message (msg_left). CP_EXT_FOUND from
 * a cursor function means "done, go on". */
struct tls_cur {
	const uint8_t *s;
	size_t len;	 /* stream bytes usable (at most CP_EXT_TLS_MAX) */
	size_t pos;	 /* next stream byte */
	size_t rec_left; /* bytes left in the current record */
	size_t msg_left; /* bytes left in the handshake message */
	bool at_cap;	 /* the stream reached CP_EXT_TLS_MAX: no more bytes will be looked at */
};

static inline enum cp_ext tls_more(const struct tls_cur *c)
{
	return c->at_cap ? CP_EXT_MALFORMED : CP_EXT_MORE;
}

static inline bool tls_rec_version_ok(const uint8_t *h)
{
	return h[1] == 3 && h[2] <= 4;
}

/* Enter the record that starts at c->pos: a handshake record of 1..2^14 bytes. */
static enum cp_ext tls_next_record(struct tls_cur *c)
{
	const uint8_t *h = c->s + c->pos;
	size_t rlen;

	if (c->len - c->pos < TLS_REC_HDR)
		return tls_more(c);
	if (h[0] != TLS_CT_HANDSHAKE || !tls_rec_version_ok(h))
		return CP_EXT_MALFORMED;
	rlen = rd16(h + 3);
	if (rlen == 0 || rlen > TLS_REC_MAX)
		return CP_EXT_MALFORMED;
	c->pos += TLS_REC_HDR;
	c->rec_left = rlen;
	return CP_EXT_FOUND;
}

/* tls_take across records or past the bytes here (n already counted off msg_left). */
static enum cp_ext tls_take_slow(struct tls_cur *c, uint8_t *out, size_t n)
{
	while (n > 0) {
		size_t chunk;

		if (c->rec_left == 0) {
			enum cp_ext r = tls_next_record(c);

			if (r != CP_EXT_FOUND)
				return r;
		}
		chunk = n < c->rec_left ? n : c->rec_left;
		if (chunk > c->len - c->pos)
			chunk = c->len - c->pos;
		if (chunk == 0)
			return tls_more(c);
		if (out) {
			memcpy(out, c->s + c->pos, chunk);
			out += chunk;
		}
		c->pos += chunk;
		c->rec_left -= chunk;
		n -= chunk;
	}
	return CP_EXT_FOUND;
}

/* Take n handshake bytes, copying them to out unless out is NULL. Inline for the usual case, bytes
 * within the current record and here: most takes are of one or two bytes, where a call and a
 * memcpy would cost more than the copy. */
static inline enum cp_ext tls_take(struct tls_cur *c, uint8_t *out, size_t n)
{
	if (n > c->msg_left)
		return CP_EXT_MALFORMED;
	c->msg_left -= n;
	if (n > c->rec_left || n > c->len - c->pos)
		return tls_take_slow(c, out, n);
	if (out != NULL && n > 0) {
		const uint8_t *p = c->s + c->pos;
		out[0] = p[0];
		if (n == 2)
			out[1] = p[1];
		else if (n > 2)
			memcpy(out + 1, p + 1, n - 1);
	}
	c->pos += n;
	c->rec_left -= n;
	return CP_EXT_FOUND;
}

static enum cp_ext tls_u8(struct tls_cur *c, size_t *v)
{
	uint8_t b;
	enum cp_ext r = tls_take(c, &b, 1);

	*v = b;
	return r;
}

static enum cp_ext tls_u16(struct tls_cur *c, size_t *v)
{
	uint8_t b[2] = {0, 0};
	enum cp_ext r = tls_take(c, b, 2);

	*v = rd16(b);
	return r;
}

/* The first bytes must be a handshake record holding a ClientHello; SSLv2 hellos are not. */
static enum cp_ext tls_check_start(const uint8_t *s, size_t len)
{
	if (len >= 1 && s[0] != TLS_CT_HANDSHAKE)
		return CP_EXT_NOT_THIS;
	if (len >= 2 && s[1] != 3)
		return CP_EXT_NOT_THIS;
	if (len >= 3 && !tls_rec_version_ok(s))
		return CP_EXT_NOT_THIS;
	if (len < TLS_REC_HDR + 1)
		return CP_EXT_MORE; /* the record header alone: its length is judged with the type
				     */
	if (s[TLS_REC_HDR] != TLS_HS_CLIENTHELLO)
		return CP_EXT_NOT_THIS;
	return CP_EXT_FOUND;
}

/* legacy_version, random, session_id, cipher_suites, compression_methods. */
static enum cp_ext tls_hello_fixed(struct tls_cur *c)
{
	uint8_t ver[2] = {0, 0};
	size_t n = 0;
	enum cp_ext r;

	if ((r = tls_take(c, ver, 2)) != CP_EXT_FOUND)
		return r;
	if (ver[0] != 3)
		return CP_EXT_MALFORMED;
	if ((r = tls_take(c, NULL, TLS_RANDOM)) != CP_EXT_FOUND)
		return r;
	if ((r = tls_u8(c, &n)) != CP_EXT_FOUND)
		return r;
	if (n > TLS_SID_MAX)
		return CP_EXT_MALFORMED;
	if ((r = tls_take(c, NULL, n)) != CP_EXT_FOUND)
		return r;
	if ((r = tls_u16(c, &n)) != CP_EXT_FOUND)
		return r;
	if (n < 2 || n % 2 != 0)
		return CP_EXT_MALFORMED;
	if ((r = tls_take(c, NULL, n)) != CP_EXT_FOUND)
		return r;
	if ((r = tls_u8(c, &n)) != CP_EXT_FOUND)
		return r;
	if (n < 1)
		return CP_EXT_MALFORMED;
	return tls_take(c, NULL, n);
}

/* The server_name extension of elen bytes, checked whole: FOUND with its first host_name, NONE
 * when the list holds no host_name. */
static enum cp_ext tls_sni_ext(struct tls_cur *c, size_t elen, char *name, size_t cap, size_t *nlen)
{
	size_t list = 0, found = 0;
	enum cp_ext r;

	if (elen < 2)
		return CP_EXT_MALFORMED;
	if ((r = tls_u16(c, &list)) != CP_EXT_FOUND)
		return r;
	if (list == 0 || list != elen - 2)
		return CP_EXT_MALFORMED;
	while (list > 0) {
		size_t type = 0, n = 0;
		bool take;

		if (list < 3)
			return CP_EXT_MALFORMED;
		if ((r = tls_u8(c, &type)) != CP_EXT_FOUND || (r = tls_u16(c, &n)) != CP_EXT_FOUND)
			return r;
		list -= 3;
		if (n > list)
			return CP_EXT_MALFORMED;
		list -= n;
		take = type == TLS_SNI_HOSTNAME && found == 0;
		if (take && (n == 0 || n > CP_EXT_NAME_MAX + 1 || n >= cap))
			return CP_EXT_MALFORMED;
		if ((r = tls_take(c, take ? (uint8_t *)name : NULL, n)) != CP_EXT_FOUND)
			return r;
		if (take)
			found = n;
	}
	if (found == 0)
		return CP_EXT_NONE;
	return finish_name((const uint8_t *)name, found, name, cap, nlen);
}

/* The extensions block: walk all (GREASE and unknown ones are skipped by length). */
static enum cp_ext tls_extensions(struct tls_cur *c, char *name, size_t cap, size_t *nlen)
{
	size_t total = 0;
	enum cp_ext r;

	if (c->msg_left == 0)
		return CP_EXT_NONE; /* no extensions at all */
	if ((r = tls_u16(c, &total)) != CP_EXT_FOUND)
		return r;
	if (total != c->msg_left)
		return CP_EXT_MALFORMED;
	while (c->msg_left > 0) {
		size_t type = 0, elen = 0;

		if ((r = tls_u16(c, &type)) != CP_EXT_FOUND ||
		    (r = tls_u16(c, &elen)) != CP_EXT_FOUND)
			return r;
		if (elen > c->msg_left)
			return CP_EXT_MALFORMED;
		if (type == TLS_EXT_SNI) {
			r = tls_sni_ext(c, elen, name, cap, nlen);
			if (r != CP_EXT_NONE)
				return r;
		} else if ((r = tls_take(c, NULL, elen)) != CP_EXT_FOUND) {
			return r;
		}
	}
	return CP_EXT_NONE;
}

CP_HOT enum cp_ext cp_extract_sni(const uint8_t *s, size_t len, char *name, size_t cap,
				  size_t *nlen)
{
	struct tls_cur c = {.s = s, .len = len, .msg_left = TLS_HS_HDR};
	uint8_t hdr[TLS_HS_HDR] = {0, 0, 0, 0};
	enum cp_ext r;

	clear_out(name, cap, nlen);
	if (!name || !nlen || cap < CP_EXT_NAME_CAP)
		return CP_EXT_MALFORMED;
	if (!s)
		c.len = len = 0;
	if ((r = tls_check_start(s, len)) != CP_EXT_FOUND)
		return r;
	if (c.len >= CP_EXT_TLS_MAX) {
		c.len = CP_EXT_TLS_MAX;
		c.at_cap = true;
	}
	if ((r = tls_take(&c, hdr, TLS_HS_HDR)) != CP_EXT_FOUND)
		return r;
	c.msg_left = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if ((r = tls_hello_fixed(&c)) != CP_EXT_FOUND)
		return r;
	r = tls_extensions(&c, name, cap, nlen);
	if (r != CP_EXT_FOUND)
		clear_out(name, cap, nlen);
	return r;
}

/* --- HTTP --------------------------------------------------------------------------------------
 * Host values and authorities: host [":" port], host a reg-name, an IPv4 literal or an IPv6
 * literal in brackets (returned with its brackets). NONE for an empty value. */
static enum cp_ext http_ipv6_literal(const uint8_t *v, size_t n, char *name, size_t cap,
				     size_t *nlen, size_t *used)
{
	size_t i = 1;

	while (i < n && v[i] != ']') {
		uint8_t c = lower(v[i]);

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.'))
			return CP_EXT_MALFORMED;
		i++;
	}
	if (i >= n || i < 3 || i + 1 > CP_EXT_NAME_MAX || i + 1 >= cap)
		return CP_EXT_MALFORMED;
	for (size_t k = 0; k <= i; k++)
		name[k] = (char)lower(v[k]);
	name[i + 1] = '\0';
	*nlen = i + 1;
	*used = i + 1;
	return CP_EXT_FOUND;
}

static enum cp_ext http_host_port(const uint8_t *v, size_t n, char *name, size_t cap, size_t *nlen)
{
	size_t host_end = 0;
	enum cp_ext r;

	if (n == 0)
		return CP_EXT_NONE;
	if (v[0] == '[') {
		r = http_ipv6_literal(v, n, name, cap, nlen, &host_end);
	} else {
		while (host_end < n && v[host_end] != ':')
			host_end++;
		r = finish_name(v, host_end, name, cap, nlen);
	}
	if (r != CP_EXT_FOUND)
		return r;
	if (host_end == n)
		return CP_EXT_FOUND;
	if (v[host_end] != ':')
		return CP_EXT_MALFORMED;
	for (size_t i = host_end + 1; i < n; i++)
		if (!is_digit(v[i]))
			return CP_EXT_MALFORMED;
	return CP_EXT_FOUND;
}

/* The authority of an absolute-form target "scheme://[userinfo@]host[:port][/...]", or of a
 * CONNECT target; *has is false when the target is in origin or asterisk form. */
static enum cp_ext http_target_host(const uint8_t *t, size_t n, bool connect, char *name,
				    size_t cap, size_t *nlen, bool *has)
{
	size_t i = 0, end, at;

	*has = false;
	if (!connect) {
		if (n == 0 || !((lower(t[0]) >= 'a' && lower(t[0]) <= 'z')))
			return CP_EXT_NONE;
		while (i < n && i <= HTTP_SCHEME_MAX &&
		       ((lower(t[i]) >= 'a' && lower(t[i]) <= 'z') || is_digit(t[i]) ||
			t[i] == '+' || t[i] == '-' || t[i] == '.'))
			i++;
		if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
			return CP_EXT_NONE;
		i += 3;
	}
	end = i;
	while (end < n && t[end] != '/' && t[end] != '?' && t[end] != '#')
		end++;
	at = end;
	while (at > i && t[at - 1] != '@')
		at--;
	*has = true;
	if (http_host_port(t + at, end - at, name, cap, nlen) != CP_EXT_FOUND)
		return CP_EXT_MALFORMED;
	return CP_EXT_FOUND;
}

/* Where the line starting at from ends: *lend excludes the CRLF or LF, *next is past it. */
static bool http_line(const uint8_t *s, size_t from, size_t end, size_t *lend, size_t *next)
{
	const uint8_t *lf = memchr(s + from, '\n', end - from);
	size_t at;

	if (!lf)
		return false;
	at = (size_t)(lf - s);
	*next = at + 1;
	*lend = (at > from && s[at - 1] == '\r') ? at - 1 : at;
	return true;
}

/* Bounded check of the request line's bytes seen so far: METHOD (an uppercase token of at most
 * HTTP_METHOD_MAX bytes) then whitespace then printable bytes. FOUND once its LF is in. */
static enum cp_ext http_check_line(const uint8_t *s, size_t from, size_t end, size_t *meth_end)
{
	size_t i = from;

	while (i < end && s[i] != ' ' && s[i] != '\t') {
		uint8_t c = s[i];

		if (!((c >= 'A' && c <= 'Z') ||
		      (i > from && (is_digit(c) || c == '-' || c == '_'))))
			return CP_EXT_NOT_THIS;
		if (i - from >= HTTP_METHOD_MAX)
			return CP_EXT_NOT_THIS;
		i++;
	}
	*meth_end = i;
	if (i == from && i < end)
		return CP_EXT_NOT_THIS;
	for (; i < end && s[i] != '\n'; i++) {
		uint8_t c = s[i];

		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return CP_EXT_NOT_THIS;
		if (c == '\r' && i + 1 < end && s[i + 1] != '\n')
			return CP_EXT_NOT_THIS;
	}
	return i < end ? CP_EXT_FOUND : CP_EXT_MORE;
}

static size_t skip_ws(const uint8_t *s, size_t i, size_t end)
{
	while (i < end && is_ws(s[i]))
		i++;
	return i;
}

static size_t skip_word(const uint8_t *s, size_t i, size_t end)
{
	while (i < end && !is_ws(s[i]))
		i++;
	return i;
}

/* The methods of RFC 9110 and PATCH (RFC 5789). */
static bool http_std_method(const uint8_t *m, size_t n)
{
	static const char *const methods[] = {"GET",	 "HEAD",    "POST",  "PUT",  "DELETE",
					      "CONNECT", "OPTIONS", "TRACE", "PATCH"};

	for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
		if (strlen(methods[k]) == n && memcmp(methods[k], m, n) == 0)
			return true;
	return false;
}

/* The request line [from, lend) whose method ends at meth_end: the target is the first word, the
 * version the last, HTTP/1.x. A line without a version (HTTP/0.9 style, which lenient servers take
 * with headers all the same) is a request only with a standard method. */
static enum cp_ext http_request_line(const uint8_t *s, size_t from, size_t meth_end, size_t lend,
				     size_t *tgt, size_t *tgt_end)
{
	size_t v, vend = lend;

	*tgt = skip_ws(s, meth_end, lend);
	*tgt_end = skip_word(s, *tgt, lend);
	while (vend > *tgt_end && is_ws(s[vend - 1]))
		vend--;
	if (*tgt == *tgt_end)
		return CP_EXT_NOT_THIS;
	if (vend == *tgt_end)
		return http_std_method(s + from, meth_end - from) ? CP_EXT_FOUND : CP_EXT_NOT_THIS;
	v = vend;
	while (v > *tgt_end && !is_ws(s[v - 1]))
		v--;
	if (vend - v != 8 || memcmp(s + v, "HTTP/1.", 7) != 0 || !is_digit(s[v + 7]))
		return CP_EXT_NOT_THIS;
	return CP_EXT_FOUND;
}

/* What the header block has told so far. */
struct http_hosts {
	char hdr[CP_EXT_NAME_CAP]; /* the first Host header's host ("" when empty) */
	size_t hdr_len;
	bool seen;    /* a Host header was seen */
	bool in_host; /* the last header line was Host (an obs-fold would continue it) */
};

/* One header line [i, lend): note a Host header; MALFORMED for a bad or conflicting one. */
static enum cp_ext http_header(const uint8_t *s, size_t i, size_t lend, struct http_hosts *h)
{
	char val[CP_EXT_NAME_CAP];
	size_t vlen = 0, colon = i, name_end, vs, ve;
	enum cp_ext r;

	if (is_ws(s[i]))
		return h->in_host ? CP_EXT_MALFORMED : CP_EXT_FOUND; /* obs-fold */
	h->in_host = false;
	if (lend - i < 5 || lower(s[i]) != 'h')
		return CP_EXT_FOUND; /* too short for "host:", or another name: ignored, as below */
	while (colon < lend && s[colon] != ':')
		colon++;
	if (colon == lend)
		return CP_EXT_FOUND; /* no field: ignored */
	name_end = colon;
	while (name_end > i && is_ws(s[name_end - 1]))
		name_end--;
	if (name_end - i != 4 || lower(s[i]) != 'h' || lower(s[i + 1]) != 'o' ||
	    lower(s[i + 2]) != 's' || lower(s[i + 3]) != 't')
		return CP_EXT_FOUND;
	h->in_host = true;
	vs = skip_ws(s, colon + 1, lend);
	ve = lend;
	while (ve > vs && is_ws(s[ve - 1]))
		ve--;
	r = http_host_port(s + vs, ve - vs, val, sizeof(val), &vlen);
	if (r == CP_EXT_MALFORMED)
		return r;
	if (!h->seen) {
		h->seen = true;
		memcpy(h->hdr, val, vlen + 1);
		h->hdr_len = vlen;
		if (r == CP_EXT_NONE)
			h->hdr[0] = '\0';
		return CP_EXT_FOUND;
	}
	if (vlen != h->hdr_len || memcmp(val, h->hdr, vlen) != 0)
		return CP_EXT_MALFORMED;
	return CP_EXT_FOUND;
}

/* The answer once the header block ended (or the window is full): the target's host wins. */
static enum cp_ext http_answer(bool tgt_has, const struct http_hosts *h, char *name, size_t *nlen)
{
	if (tgt_has)
		return CP_EXT_FOUND;
	if (!h->seen || h->hdr_len == 0)
		return CP_EXT_NONE;
	memcpy(name, h->hdr, h->hdr_len + 1);
	*nlen = h->hdr_len;
	return CP_EXT_FOUND;
}

static enum cp_ext http_headers(const uint8_t *s, size_t i, size_t end, bool at_cap, bool tgt_has,
				char *name, size_t *nlen)
{
	struct http_hosts h = {.hdr_len = 0};

	h.hdr[0] = '\0';
	while (i < end) {
		size_t lend, next;
		enum cp_ext r;

		if (!http_line(s, i, end, &lend, &next))
			break;
		if (lend == i)
			return http_answer(tgt_has, &h, name, nlen);
		if ((r = http_header(s, i, lend, &h)) != CP_EXT_FOUND)
			return r;
		i = next;
	}
	if (!at_cap)
		return CP_EXT_MORE;
	return http_answer(tgt_has, &h, name, nlen);
}

CP_HOT enum cp_ext cp_extract_http_host(const uint8_t *s, size_t len, char *name, size_t cap,
					size_t *nlen)
{
	size_t end = len, i = 0, meth_end = 0, lend, next, tgt, tgt_end;
	bool at_cap = false, tgt_has = false, connect;
	enum cp_ext r;

	clear_out(name, cap, nlen);
	if (!name || !nlen || cap < CP_EXT_NAME_CAP)
		return CP_EXT_MALFORMED;
	if (!s)
		end = 0;
	if (end >= CP_EXT_HTTP_MAX) {
		end = CP_EXT_HTTP_MAX;
		at_cap = true;
	}
	while (i < end && (s[i] == '\r' || s[i] == '\n'))
		i++; /* RFC 9112 §2.2: empty lines before the request line */
	r = http_check_line(s, i, end, &meth_end);
	if (r == CP_EXT_MORE)
		return at_cap ? CP_EXT_MALFORMED : CP_EXT_MORE;
	if (r != CP_EXT_FOUND)
		return r;
	if (!http_line(s, i, end, &lend, &next))
		return CP_EXT_MORE; /* not reached: http_check_line saw the LF */
	if ((r = http_request_line(s, i, meth_end, lend, &tgt, &tgt_end)) != CP_EXT_FOUND)
		return r;
	connect = meth_end - i == 7 && memcmp(s + i, "CONNECT", 7) == 0;
	r = http_target_host(s + tgt, tgt_end - tgt, connect, name, cap, nlen, &tgt_has);
	if (r == CP_EXT_MALFORMED) {
		clear_out(name, cap, nlen); /* a bad host may be half written */
		return r;
	}
	r = http_headers(s, next, end, at_cap, tgt_has, name, nlen);
	if (r != CP_EXT_FOUND)
		clear_out(name, cap, nlen);
	return r;
}

/* --- DNS ---------------------------------------------------------------------------------------
 * The message is m[0..mlen) of which avail bytes are here (avail < mlen only over TCP). */
static inline enum cp_ext dns_need(size_t upto, size_t mlen, size_t avail)
{
	if (upto > mlen)
		return CP_EXT_MALFORMED;
	return upto > avail ? CP_EXT_MORE : CP_EXT_FOUND;
}

/* The first question: QNAME (no compression, labels 1..63, 255 bytes on the wire) and its type
 * and class. The labels are written dot-separated to name, then normalized in place. */
static CP_HOT enum cp_ext dns_question(const uint8_t *m, size_t mlen, size_t avail, char *name,
				       size_t cap, size_t *nlen)
{
	size_t off = DNS_HDR, out = 0;
	enum cp_ext r;

	for (;;) {
		size_t l, pres;

		if ((r = dns_need(off + 1, mlen, avail)) != CP_EXT_FOUND)
			return r;
		l = m[off];
		if (l == 0)
			break;
		if (l & DNS_PTR_MASK)
			return CP_EXT_MALFORMED; /* compression pointer or extended label type */
		pres = out + (out > 0) + l;	 /* the name's length with this label */
		if (pres + 2 > DNS_WIRE_MAX || pres >= cap)
			return CP_EXT_MALFORMED;
		if ((r = dns_need(off + 1 + l, mlen, avail)) != CP_EXT_FOUND)
			return r;
		if (memchr(m + off + 1, '.', l))
			return CP_EXT_MALFORMED;
		if (out > 0)
			name[out++] = '.';
		memcpy(name + out, m + off + 1, l);
		out += l;
		off += 1 + l;
	}
	if ((r = dns_need(off + 1 + DNS_QTAIL, mlen, avail)) != CP_EXT_FOUND)
		return r;
	if (out == 0)
		return CP_EXT_NONE; /* the root */
	return finish_name((const uint8_t *)name, out, name, cap, nlen);
}

CP_HOT enum cp_ext cp_extract_dns(const uint8_t *msg, size_t len, bool tcp, char *name, size_t cap,
				  size_t *nlen)
{
	size_t mlen = len, avail = len;
	enum cp_ext r;

	clear_out(name, cap, nlen);
	if (!name || !nlen || cap < CP_EXT_NAME_CAP)
		return CP_EXT_MALFORMED;
	if (!msg)
		mlen = avail = len = 0;
	if (tcp) {
		if (len < 2)
			return CP_EXT_MORE;
		mlen = rd16(msg);
		avail = len - 2 < mlen ? len - 2 : mlen;
		msg += 2;
	}
	if ((r = dns_need(DNS_HDR, mlen, avail)) != CP_EXT_FOUND)
		return r;
	if (msg[2] & DNS_QR)
		return CP_EXT_NONE;
	if (rd16(msg + 4) == 0)
		return CP_EXT_NONE;
	r = dns_question(msg, mlen, avail, name, cap, nlen);
	if (r != CP_EXT_FOUND)
		clear_out(name, cap, nlen);
	return r;
}

const char *cp_ext_str(enum cp_ext r)
{
	switch (r) {
	case CP_EXT_FOUND:
		return "found";
	case CP_EXT_MORE:
		return "more";
	case CP_EXT_NONE:
		return "none";
	case CP_EXT_NOT_THIS:
		return "not-this";
	case CP_EXT_MALFORMED:
		return "malformed";
	}
	return "?";
}
