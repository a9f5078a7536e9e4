/* The control-socket wire protocol (format in ctl_msg.h): encoding into a growable buffer,
 * bounds-checked decoding of headers and TLVs, and structured requests and replies. */
#include "diag.h"
#include "ctl_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Small helpers ---- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
}

/* ---- Names ---- */

static const char *const req_names[CP_MSG_REQ_LAST + 1] = {
#define REQ_NAME(id, n) [CP_MSG_##id] = #id,
    CP_MSG_TYPES(REQ_NAME)
#undef REQ_NAME
};

static const char *const reply_names[CP_MSG_REQ_LAST + 1] = {
#define REPLY_NAME(id, n) [CP_MSG_##id] = #id " reply",
    CP_MSG_TYPES(REPLY_NAME)
#undef REPLY_NAME
};

static bool is_request(uint16_t type)
{
	return type >= 1 && type <= CP_MSG_REQ_LAST;
}

static bool is_ok_reply(uint16_t type)
{
	return type != CP_MSG_ERROR && (type & CP_MSG_REPLY) &&
	       is_request((uint16_t)(type & ~CP_MSG_REPLY));
}

bool cp_msg_type_known(uint16_t type)
{
	return is_request(type) || is_ok_reply(type) || type == CP_MSG_ERROR;
}

const char *cp_msg_type_name(uint16_t type)
{
	if (is_request(type))
		return req_names[type];
	if (is_ok_reply(type))
		return reply_names[type & ~CP_MSG_REPLY];
	if (type == CP_MSG_ERROR)
		return "ERROR";
	return "unknown";
}

/* How a known tag's value is checked. */
enum tag_kind { TK_U32, TK_U64, TK_U64_POS, TK_PREFIX, TK_TEXT, TK_HS_DB, TK_GRANT };

struct tag_info {
	const char *name;
	enum tag_kind kind;
	uint32_t min, max; /* value length bounds */
};

static const struct tag_info tag_info[CP_TAG_LAST + 1] = {
#define TAG_INFO(id, n, kind, min, max) [CP_TAG_##id] = {#id, kind, min, max},
    CP_TAGS(TAG_INFO)
#undef TAG_INFO
};

static const struct tag_info *tag_lookup(uint16_t tag)
{
	if (tag == 0 || tag > CP_TAG_LAST)
		return NULL;
	return &tag_info[tag];
}

const char *cp_tag_name(uint16_t tag)
{
	const struct tag_info *ti = tag_lookup(tag);
	return ti ? ti->name : "unknown";
}

/* ---- Prefixes ---- */

int cp_msg_prefix_check(const struct cp_prefix *p, char *err, size_t errlen)
{
	unsigned bits;

	if (p->family != 4 && p->family != 6) {
		cp_errf(err, errlen, "prefix family %u (expected 4 or 6)", p->family);
		return -1;
	}
	bits = p->family == 4 ? 32 : 128;
	if (p->len > bits) {
		cp_errf(err, errlen, "prefix length /%u exceeds %u for IPv%u", p->len, bits,
			p->family);
		return -1;
	}
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;
		uint8_t allowed;

		if (lo >= bits || p->len <= lo)
			allowed = 0;
		else if (p->len >= lo + 8)
			allowed = 0xff;
		else
			allowed = (uint8_t)(0xff << (8 - (p->len - lo)));
		if ((p->a[i] & (uint8_t)~allowed) == 0)
			continue;
		if (lo >= bits)
			cp_errf(err, errlen,
				"IPv4 prefix has nonzero bytes past its 4 address bytes");
		else
			cp_errf(err, errlen, "prefix has host bits set beyond /%u", p->len);
		return -1;
	}
	return 0;
}

static void prefix_read(const uint8_t *v, struct cp_prefix *p)
{
	p->family = v[0];
	p->len = v[1];
	memcpy(p->a, v + 2, 16);
}

static void prefix_write(uint8_t *v, const struct cp_prefix *p)
{
	v[0] = p->family;
	v[1] = p->len;
	memcpy(v + 2, p->a, 16);
}

static void grant_read(const uint8_t *v, struct cp_grant_entry *e)
{
	prefix_read(v, &e->pfx);
	e->end_ns = rd64(v + CP_MSG_PREFIX_LEN);
	e->renew_ns = rd64(v + CP_MSG_PREFIX_LEN + 8);
	e->last_ns = rd64(v + CP_MSG_PREFIX_LEN + 16);
}

/* ---- Checking a TLV value ---- */

static int check_len(const struct tag_info *ti, size_t len, char *err, size_t errlen)
{
	if (len >= ti->min && len <= ti->max)
		return 0;
	if (ti->min == ti->max)
		cp_errf(err, errlen, "%s: length %zu, expected %u", ti->name, len, ti->min);
	else
		cp_errf(err, errlen, "%s: length %zu outside %u..%u", ti->name, len, ti->min,
			ti->max);
	return -1;
}

static int check_value(const struct tag_info *ti, const uint8_t *val, size_t len, char *err,
		       size_t errlen)
{
	struct cp_prefix p;
	char why[128];

	switch (ti->kind) {
	case TK_U64_POS:
		if (rd64(val) == 0) {
			cp_errf(err, errlen, "%s: must not be zero", ti->name);
			return -1;
		}
		return 0;
	case TK_PREFIX:
	case TK_GRANT:
		prefix_read(val, &p);
		if (cp_msg_prefix_check(&p, why, sizeof(why)) != 0) {
			cp_errf(err, errlen, "%s: %s", ti->name, why);
			return -1;
		}
		return 0;
	case TK_TEXT:
		if (len > 0 && memchr(val, '\0', len) != NULL) {
			cp_errf(err, errlen, "%s: contains a NUL byte", ti->name);
			return -1;
		}
		return 0;
	case TK_HS_DB:
		if (val[0] >= CP_MSG_HS_FIELDS) {
			cp_errf(err, errlen, "HS_DB: field %u (expected 0..%u)", val[0],
				CP_MSG_HS_FIELDS - 1);
			return -1;
		}
		return 0;
	case TK_U32:
	case TK_U64:
		return 0;
	}
	return 0;
}

int cp_tlv_check(uint16_t tag, const uint8_t *val, size_t len, char *err, size_t errlen)
{
	const struct tag_info *ti = tag_lookup(tag);

	if (ti == NULL)
		return 0;
	if (check_len(ti, len, err, errlen) != 0)
		return -1;
	return check_value(ti, val, len, err, errlen);
}

/* ---- Encoding ---- */

void cp_msg_buf_free(struct cp_msg_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int cp_msg_buf_reserve(struct cp_msg_buf *b, size_t n)
{
	const size_t limit = (size_t)CP_MSG_HDR_LEN + CP_MSG_MAX_PAYLOAD;
	size_t cap;
	uint8_t *p;

	if (n > limit)
		return -1;
	if (n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < n)
		cap *= 2;
	if (cap > limit)
		cap = limit;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

__attribute__((format(printf, 2, 3))) static int fail(struct cp_msg_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->failed) {
		va_start(ap, fmt);
		vsnprintf(b->why, sizeof(b->why), fmt, ap);
		va_end(ap);
	}
	b->failed = true;
	return -1;
}

int cp_msg_begin(struct cp_msg_buf *b, uint16_t type, uint32_t seq)
{
	b->len = 0;
	b->failed = false;
	b->why[0] = '\0';
	if (!cp_msg_type_known(type))
		return fail(b, "unknown message type 0x%04x", type);
	if (cp_msg_buf_reserve(b, CP_MSG_HDR_LEN) != 0)
		return fail(b, "out of memory");
	wr32(b->data, CP_MSG_MAGIC);
	wr16(b->data + 4, CP_MSG_VERSION);
	wr16(b->data + 6, type);
	wr32(b->data + 8, 0);
	wr32(b->data + 12, seq);
	b->len = CP_MSG_HDR_LEN;
	return 0;
}

struct part {
	const void *p;
	size_t n;
};

/* Append a TLV whose value is the concatenation of parts, then check it in place (rolled back when
 * refused). */
static int put_parts(struct cp_msg_buf *b, uint16_t tag, const struct part *parts, size_t nparts)
{
	size_t vlen = 0, at, room;
	char why[sizeof(b->why)];

	if (b->failed)
		return -1;
	if (b->len < CP_MSG_HDR_LEN || b->data == NULL)
		return fail(b, "no message begun");
	room = (size_t)CP_MSG_MAX_PAYLOAD - (b->len - CP_MSG_HDR_LEN);
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].n > CP_MSG_MAX_PAYLOAD)
			return fail(b, "%s: value too long", cp_tag_name(tag));
		vlen += parts[i].n;
	}
	if (room < CP_MSG_TLV_HDR_LEN || vlen > room - CP_MSG_TLV_HDR_LEN)
		return fail(b, "%s: message payload would exceed %u bytes", cp_tag_name(tag),
			    CP_MSG_MAX_PAYLOAD);
	if (cp_msg_buf_reserve(b, b->len + CP_MSG_TLV_HDR_LEN + vlen) != 0)
		return fail(b, "out of memory");
	at = b->len + CP_MSG_TLV_HDR_LEN;
	wr16(b->data + b->len, tag);
	wr32(b->data + b->len + 2, (uint32_t)vlen);
	for (size_t i = 0, off = at; i < nparts; off += parts[i].n, i++)
		if (parts[i].n > 0)
			memcpy(b->data + off, parts[i].p, parts[i].n);
	if (cp_tlv_check(tag, b->data + at, vlen, why, sizeof(why)) != 0)
		return fail(b, "%s", why);
	b->len = at + vlen;
	return 0;
}

int cp_msg_put_bytes(struct cp_msg_buf *b, uint16_t tag, const void *p, size_t n)
{
	struct part part = {p, n};
	return put_parts(b, tag, &part, 1);
}

int cp_msg_put_u32(struct cp_msg_buf *b, uint16_t tag, uint32_t v)
{
	uint8_t raw[4];
	wr32(raw, v);
	return cp_msg_put_bytes(b, tag, raw, sizeof(raw));
}

int cp_msg_put_u64(struct cp_msg_buf *b, uint16_t tag, uint64_t v)
{
	uint8_t raw[8];
	wr64(raw, v);
	return cp_msg_put_bytes(b, tag, raw, sizeof(raw));
}

int cp_msg_put_str(struct cp_msg_buf *b, uint16_t tag, const char *s)
{
	return cp_msg_put_bytes(b, tag, s, strlen(s));
}

int cp_msg_put_prefix(struct cp_msg_buf *b, uint16_t tag, const struct cp_prefix *p)
{
	uint8_t raw[CP_MSG_PREFIX_LEN];
	prefix_write(raw, p);
	return cp_msg_put_bytes(b, tag, raw, sizeof(raw));
}

int cp_msg_put_hs_db(struct cp_msg_buf *b, uint8_t field, const void *db, size_t n)
{
	struct part parts[2] = {{&field, 1}, {db, n}};
	return put_parts(b, CP_TAG_HS_DB, parts, 2);
}

int cp_msg_put_grant_entry(struct cp_msg_buf *b, const struct cp_grant_entry *e)
{
	uint8_t raw[CP_MSG_GRANT_LEN];

	prefix_write(raw, &e->pfx);
	wr64(raw + CP_MSG_PREFIX_LEN, e->end_ns);
	wr64(raw + CP_MSG_PREFIX_LEN + 8, e->renew_ns);
	wr64(raw + CP_MSG_PREFIX_LEN + 16, e->last_ns);
	return cp_msg_put_bytes(b, CP_TAG_GRANT_ENTRY, raw, sizeof(raw));
}

int cp_msg_end(struct cp_msg_buf *b)
{
	if (b->failed)
		return -1;
	if (b->len < CP_MSG_HDR_LEN || b->data == NULL)
		return fail(b, "no message begun");
	wr32(b->data + 8, (uint32_t)(b->len - CP_MSG_HDR_LEN));
	return 0;
}

/* ---- Decoding ---- */

int cp_msg_hdr_parse(const uint8_t *p, struct cp_msg_hdr *h, char *err, size_t errlen)
{
	h->magic = rd32(p);
	h->version = rd16(p + 4);
	h->type = rd16(p + 6);
	h->length = rd32(p + 8);
	h->seq = rd32(p + 12);
	if (h->magic != CP_MSG_MAGIC) {
		cp_errf(err, errlen, "bad magic 0x%08x (expected 0x%08x): not a chokepoint peer",
			h->magic, CP_MSG_MAGIC);
		return -1;
	}
	if (h->version != CP_MSG_VERSION) {
		cp_errf(err, errlen, "unsupported protocol version %u (expected %u)", h->version,
			CP_MSG_VERSION);
		return -1;
	}
	if (!cp_msg_type_known(h->type)) {
		cp_errf(err, errlen, "unknown message type 0x%04x", h->type);
		return -1;
	}
	if (h->length > CP_MSG_MAX_PAYLOAD) {
		cp_errf(err, errlen, "payload length %u exceeds the maximum %u", h->length,
			CP_MSG_MAX_PAYLOAD);
		return -1;
	}
	return 0;
}

void cp_tlv_iter_init(struct cp_tlv_iter *it, const struct cp_msg *m)
{
	it->p = m->payload;
	it->left = m->len;
	it->off = 0;
}

int cp_tlv_next(struct cp_tlv_iter *it, struct cp_tlv *t, char *err, size_t errlen)
{
	uint16_t tag;
	uint32_t len;

	if (it->left == 0)
		return 0;
	if (it->left < CP_MSG_TLV_HDR_LEN) {
		cp_errf(err, errlen, "partial TLV header: %zu trailing bytes at payload offset %zu",
			it->left, it->off);
		return -1;
	}
	tag = rd16(it->p);
	len = rd32(it->p + 2);
	if (len > it->left - CP_MSG_TLV_HDR_LEN) {
		cp_errf(err, errlen,
			"%s TLV (tag %u) at payload offset %zu: length %u runs past the end (%zu "
			"bytes left)",
			cp_tag_name(tag), tag, it->off, len, it->left - CP_MSG_TLV_HDR_LEN);
		return -1;
	}
	if (cp_tlv_check(tag, it->p + CP_MSG_TLV_HDR_LEN, len, err, errlen) != 0)
		return -1;
	t->tag = tag;
	t->len = len;
	t->val = it->p + CP_MSG_TLV_HDR_LEN;
	it->p += CP_MSG_TLV_HDR_LEN + len;
	it->left -= CP_MSG_TLV_HDR_LEN + len;
	it->off += CP_MSG_TLV_HDR_LEN + len;
	return 1;
}

/* A partial header whose bytes so far already differ from a valid header's is refused early. */
static int partial_hdr(const uint8_t *data, size_t n, char *err, size_t errlen)
{
	uint8_t magic[4];

	wr32(magic, CP_MSG_MAGIC);
	if (memcmp(data, magic, n < 4 ? n : 4) != 0) {
		cp_errf(err, errlen, "bad magic: not a chokepoint peer");
		return -1;
	}
	cp_errf(err, errlen, "incomplete header: %zu of %u bytes", n, CP_MSG_HDR_LEN);
	return 1;
}

int cp_msg_parse(const uint8_t *data, size_t n, struct cp_msg *m, char *err, size_t errlen)
{
	struct cp_msg_hdr h;
	struct cp_tlv_iter it;
	struct cp_tlv t;
	int rc;

	if (n < CP_MSG_HDR_LEN)
		return partial_hdr(data, n, err, errlen);
	if (cp_msg_hdr_parse(data, &h, err, errlen) != 0)
		return -1;
	if (n - CP_MSG_HDR_LEN < h.length) {
		cp_errf(err, errlen, "incomplete message: %zu of %zu bytes", n,
			(size_t)CP_MSG_HDR_LEN + h.length);
		return 1;
	}
	m->type = h.type;
	m->seq = h.seq;
	m->payload = data + CP_MSG_HDR_LEN;
	m->len = h.length;
	m->total = (size_t)CP_MSG_HDR_LEN + h.length;
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1)
		;
	return rc;
}

int cp_msg_view(const struct cp_msg_buf *b, struct cp_msg *m, char *err, size_t errlen)
{
	int rc;

	if (b->data == NULL || b->failed) {
		cp_errf(err, errlen, "no message in the buffer");
		return -1;
	}
	rc = cp_msg_parse(b->data, b->len, m, err, errlen);
	if (rc != 0)
		return -1;
	if (m->total != b->len) {
		cp_errf(err, errlen, "%zu bytes after the message", b->len - m->total);
		return -1;
	}
	return 0;
}

/* ---- Typed getters ---- */

static int getter_check(const struct cp_tlv *t, size_t want, char *err, size_t errlen)
{
	if (t->len != want) {
		cp_errf(err, errlen, "%s: length %u, expected %zu", cp_tag_name(t->tag), t->len,
			want);
		return -1;
	}
	return cp_tlv_check(t->tag, t->val, t->len, err, errlen);
}

int cp_tlv_u32(const struct cp_tlv *t, uint32_t *v, char *err, size_t errlen)
{
	if (getter_check(t, 4, err, errlen) != 0)
		return -1;
	*v = rd32(t->val);
	return 0;
}

int cp_tlv_u64(const struct cp_tlv *t, uint64_t *v, char *err, size_t errlen)
{
	if (getter_check(t, 8, err, errlen) != 0)
		return -1;
	*v = rd64(t->val);
	return 0;
}

int cp_tlv_prefix(const struct cp_tlv *t, struct cp_prefix *p, char *err, size_t errlen)
{
	char why[128];

	if (getter_check(t, CP_MSG_PREFIX_LEN, err, errlen) != 0)
		return -1;
	prefix_read(t->val, p);
	if (cp_msg_prefix_check(p, why, sizeof(why)) != 0) {
		cp_errf(err, errlen, "%s: %s", cp_tag_name(t->tag), why);
		return -1;
	}
	return 0;
}

int cp_tlv_str(const struct cp_tlv *t, char *dst, size_t dstlen, char *err, size_t errlen)
{
	if (cp_tlv_check(t->tag, t->val, t->len, err, errlen) != 0)
		return -1;
	if ((size_t)t->len >= dstlen) {
		cp_errf(err, errlen, "%s: %u bytes do not fit in %zu", cp_tag_name(t->tag), t->len,
			dstlen);
		return -1;
	}
	if (t->len > 0 && memchr(t->val, '\0', t->len) != NULL) {
		cp_errf(err, errlen, "%s: contains a NUL byte", cp_tag_name(t->tag));
		return -1;
	}
	if (t->len > 0)
		memcpy(dst, t->val, t->len);
	dst[t->len] = '\0';
	return 0;
}

int cp_tlv_hs_db(const struct cp_tlv *t, uint8_t *field, const uint8_t **db, uint32_t *n, char *err,
		 size_t errlen)
{
	if (t->tag != CP_TAG_HS_DB) {
		cp_errf(err, errlen, "%s: not an HS_DB", cp_tag_name(t->tag));
		return -1;
	}
	if (cp_tlv_check(t->tag, t->val, t->len, err, errlen) != 0)
		return -1;
	*field = t->val[0];
	*db = t->val + 1;
	*n = t->len - 1;
	return 0;
}

int cp_tlv_grant_entry(const struct cp_tlv *t, struct cp_grant_entry *e, char *err, size_t errlen)
{
	char why[128];

	if (getter_check(t, CP_MSG_GRANT_LEN, err, errlen) != 0)
		return -1;
	grant_read(t->val, e);
	if (cp_msg_prefix_check(&e->pfx, why, sizeof(why)) != 0) {
		cp_errf(err, errlen, "%s: %s", cp_tag_name(t->tag), why);
		return -1;
	}
	return 0;
}

/* ---- Structured decoding ---- */

static int expect_type(const struct cp_msg *m, uint16_t type, char *err, size_t errlen)
{
	if (m->type == type)
		return 0;
	cp_errf(err, errlen, "expected a %s message, got %s (0x%04x)", cp_msg_type_name(type),
		cp_msg_type_name(m->type), m->type);
	return -1;
}

/* Note a singleton tag; a second one is an error. */
static int once(uint32_t *seen, const struct cp_tlv *t, char *err, size_t errlen)
{
	uint32_t bit = 1u << t->tag;

	if (*seen & bit) {
		cp_errf(err, errlen, "duplicate %s", cp_tag_name(t->tag));
		return -1;
	}
	*seen |= bit;
	return 0;
}

static int need(uint32_t seen, uint16_t tag, uint16_t type, char *err, size_t errlen)
{
	if (seen & (1u << tag))
		return 0;
	cp_errf(err, errlen, "%s: missing %s", cp_msg_type_name(type), cp_tag_name(tag));
	return -1;
}

static int install_tlv(struct cp_req_install_policy *r, uint32_t *seen, const struct cp_tlv *t,
		       char *err, size_t errlen)
{
	uint8_t field;
	const uint8_t *db;
	uint32_t n;

	switch (t->tag) {
	case CP_TAG_POLICY_TEXT:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		r->text = t->val;
		r->text_len = t->len;
		return 0;
	case CP_TAG_POLICY_PATH:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		return cp_tlv_str(t, r->path, sizeof(r->path), err, errlen);
	case CP_TAG_HS_DB:
		if (cp_tlv_hs_db(t, &field, &db, &n, err, errlen) != 0)
			return -1;
		if (r->hs_db[field].data != NULL) {
			cp_errf(err, errlen, "duplicate HS_DB for field %u", field);
			return -1;
		}
		r->hs_db[field].data = db;
		r->hs_db[field].len = n;
		return 0;
	default:
		return 0;
	}
}

int cp_req_install_decode(const struct cp_msg *m, struct cp_req_install_policy *r, char *err,
			  size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t seen = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (expect_type(m, CP_MSG_INSTALL_POLICY, err, errlen) != 0)
		return -1;
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1)
		if (install_tlv(r, &seen, &t, err, errlen) != 0)
			return -1;
	if (rc < 0)
		return -1;
	return need(seen, CP_TAG_POLICY_TEXT, m->type, err, errlen);
}

static int grant_tlv(struct cp_req_grant *r, uint32_t *seen, const struct cp_tlv *t, char *err,
		     size_t errlen)
{
	switch (t->tag) {
	case CP_TAG_PREFIX:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		return cp_tlv_prefix(t, &r->pfx, err, errlen);
	case CP_TAG_FOR_NS:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		return cp_tlv_u64(t, &r->for_ns, err, errlen);
	case CP_TAG_RENEW_NS:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		r->has_renew = true;
		return cp_tlv_u64(t, &r->renew_ns, err, errlen);
	case CP_TAG_NOW_NS:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		r->has_now = true;
		return cp_tlv_u64(t, &r->now_ns, err, errlen);
	default:
		return 0;
	}
}

int cp_req_grant_decode(const struct cp_msg *m, struct cp_req_grant *r, char *err, size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t seen = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (expect_type(m, CP_MSG_GRANT, err, errlen) != 0)
		return -1;
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1)
		if (grant_tlv(r, &seen, &t, err, errlen) != 0)
			return -1;
	if (rc < 0)
		return -1;
	if (need(seen, CP_TAG_PREFIX, m->type, err, errlen) != 0 ||
	    need(seen, CP_TAG_FOR_NS, m->type, err, errlen) != 0)
		return -1;
	return 0;
}

int cp_req_prefix_decode(const struct cp_msg *m, struct cp_req_prefix *r, char *err, size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t seen = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (m->type != CP_MSG_RENEW && expect_type(m, CP_MSG_REVOKE, err, errlen) != 0)
		return -1;
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1) {
		if (t.tag != CP_TAG_PREFIX)
			continue;
		if (once(&seen, &t, err, errlen) != 0 ||
		    cp_tlv_prefix(&t, &r->pfx, err, errlen) != 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	return need(seen, CP_TAG_PREFIX, m->type, err, errlen);
}

int cp_req_uplink_decode(const struct cp_msg *m, struct cp_req_uplink *r, char *err, size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t seen = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (expect_type(m, CP_MSG_UPLINK, err, errlen) != 0)
		return -1;
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1) {
		if (t.tag != CP_TAG_NAME)
			continue;
		if (once(&seen, &t, err, errlen) != 0 ||
		    cp_tlv_str(&t, r->name, sizeof(r->name), err, errlen) != 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	return need(seen, CP_TAG_NAME, m->type, err, errlen);
}

int cp_req_trace_decode(const struct cp_msg *m, struct cp_req_trace *r, char *err, size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t seen = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (expect_type(m, CP_MSG_TRACE, err, errlen) != 0)
		return -1;
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1) {
		char *dst = t.tag == CP_TAG_RULE      ? r->rule
			    : t.tag == CP_TAG_VERDICT ? r->verdict
			    : t.tag == CP_TAG_REASON  ? r->reason
						      : NULL;
		if (dst != NULL && (once(&seen, &t, err, errlen) != 0 ||
				    cp_tlv_str(&t, dst, CP_MSG_NAME_MAX + 1, err, errlen) != 0))
			return -1;
	}
	return rc;
}

/* GRANTS_SET, first pass: count the entries and read NOW_NS. */
static int grants_set_scan(const struct cp_msg *m, struct cp_req_grants_set *r, char *err,
			   size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t seen = 0;
	int rc;

	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1) {
		if (t.tag == CP_TAG_GRANT_ENTRY) {
			r->n++;
		} else if (t.tag == CP_TAG_NOW_NS) {
			if (once(&seen, &t, err, errlen) != 0 ||
			    cp_tlv_u64(&t, &r->now_ns, err, errlen) != 0)
				return -1;
			r->has_now = true;
		}
	}
	return rc;
}

/* Second pass: read the entries into r->e (room for r->n). */
static int grants_set_fill(const struct cp_msg *m, struct cp_req_grants_set *r, char *err,
			   size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t i = 0;
	int rc;

	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1) {
		if (t.tag != CP_TAG_GRANT_ENTRY)
			continue;
		if (i >= r->n) {
			cp_errf(err, errlen, "GRANTS_SET: entries changed while decoding");
			return -1;
		}
		if (cp_tlv_grant_entry(&t, &r->e[i], err, errlen) != 0)
			return -1;
		i++;
	}
	return rc;
}

int cp_req_grants_set_decode(const struct cp_msg *m, struct cp_req_grants_set *r, char *err,
			     size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (expect_type(m, CP_MSG_GRANTS_SET, err, errlen) != 0)
		return -1;
	if (grants_set_scan(m, r, err, errlen) != 0)
		return -1;
	if (r->n == 0)
		return 0;
	r->e = calloc(r->n, sizeof(*r->e));
	if (r->e == NULL) {
		cp_errf(err, errlen, "out of memory for %u grant entries", r->n);
		return -1;
	}
	if (grants_set_fill(m, r, err, errlen) != 0) {
		free(r->e);
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return 0;
}

int cp_req_empty_decode(const struct cp_msg *m, char *err, size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	int rc;

	switch (m->type) {
	case CP_MSG_HELLO:
	case CP_MSG_SHUTOFF:
	case CP_MSG_RESTORE:
	case CP_MSG_COUNTERS:
	case CP_MSG_STATUS:
		break;
	default:
		cp_errf(err, errlen, "%s (0x%04x) is not a request without arguments",
			cp_msg_type_name(m->type), m->type);
		return -1;
	}
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1)
		;
	return rc;
}

int cp_req_decode(const struct cp_msg *m, struct cp_req *r, char *err, size_t errlen)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->type = m->type;
	r->seq = m->seq;
	switch (m->type) {
	case CP_MSG_INSTALL_POLICY:
		rc = cp_req_install_decode(m, &r->u.install, err, errlen);
		break;
	case CP_MSG_GRANT:
		rc = cp_req_grant_decode(m, &r->u.grant, err, errlen);
		break;
	case CP_MSG_RENEW:
	case CP_MSG_REVOKE:
		rc = cp_req_prefix_decode(m, &r->u.prefix, err, errlen);
		break;
	case CP_MSG_UPLINK:
		rc = cp_req_uplink_decode(m, &r->u.uplink, err, errlen);
		break;
	case CP_MSG_GRANTS_SET:
		rc = cp_req_grants_set_decode(m, &r->u.grants_set, err, errlen);
		break;
	case CP_MSG_TRACE:
		rc = cp_req_trace_decode(m, &r->u.trace, err, errlen);
		break;
	default:
		if (!is_request(m->type)) {
			cp_errf(err, errlen, "%s (0x%04x) is not a request",
				cp_msg_type_name(m->type), m->type);
			return -1;
		}
		rc = cp_req_empty_decode(m, err, errlen);
		break;
	}
	return rc;
}

void cp_req_free(struct cp_req *r)
{
	if (r->type == CP_MSG_GRANTS_SET) {
		free(r->u.grants_set.e);
		r->u.grants_set.e = NULL;
		r->u.grants_set.n = 0;
	}
}

/* ---- Structured encoding ---- */

static void encode_install(struct cp_msg_buf *b, const struct cp_req_install_policy *r)
{
	cp_msg_put_bytes(b, CP_TAG_POLICY_TEXT, r->text, r->text_len);
	if (r->path[0] != '\0')
		cp_msg_put_str(b, CP_TAG_POLICY_PATH, r->path);
	for (unsigned f = 0; f < CP_MSG_HS_FIELDS; f++)
		if (r->hs_db[f].data != NULL)
			cp_msg_put_hs_db(b, (uint8_t)f, r->hs_db[f].data, r->hs_db[f].len);
}

static void encode_grant(struct cp_msg_buf *b, const struct cp_req_grant *r)
{
	cp_msg_put_prefix(b, CP_TAG_PREFIX, &r->pfx);
	cp_msg_put_u64(b, CP_TAG_FOR_NS, r->for_ns);
	if (r->has_renew)
		cp_msg_put_u64(b, CP_TAG_RENEW_NS, r->renew_ns);
	if (r->has_now)
		cp_msg_put_u64(b, CP_TAG_NOW_NS, r->now_ns);
}

static void encode_grants_set(struct cp_msg_buf *b, const struct cp_req_grants_set *r)
{
	if (r->n > 0 && r->e == NULL) {
		fail(b, "GRANTS_SET: %u entries but no array", r->n);
		return;
	}
	for (uint32_t i = 0; i < r->n && !b->failed; i++)
		cp_msg_put_grant_entry(b, &r->e[i]);
	if (r->has_now)
		cp_msg_put_u64(b, CP_TAG_NOW_NS, r->now_ns);
}

static void encode_trace(struct cp_msg_buf *b, const struct cp_req_trace *r)
{
	if (r->rule[0] != '\0')
		cp_msg_put_str(b, CP_TAG_RULE, r->rule);
	if (r->verdict[0] != '\0')
		cp_msg_put_str(b, CP_TAG_VERDICT, r->verdict);
	if (r->reason[0] != '\0')
		cp_msg_put_str(b, CP_TAG_REASON, r->reason);
}

int cp_req_encode(struct cp_msg_buf *b, uint32_t seq, const struct cp_req *r, char *err,
		  size_t errlen)
{
	if (!is_request(r->type)) {
		cp_msg_begin(b, 0, seq); /* leaves the buffer failed */
		cp_errf(err, errlen, "type 0x%04x is not a request", r->type);
		return -1;
	}
	cp_msg_begin(b, r->type, seq);
	switch (r->type) {
	case CP_MSG_INSTALL_POLICY:
		encode_install(b, &r->u.install);
		break;
	case CP_MSG_GRANT:
		encode_grant(b, &r->u.grant);
		break;
	case CP_MSG_RENEW:
	case CP_MSG_REVOKE:
		cp_msg_put_prefix(b, CP_TAG_PREFIX, &r->u.prefix.pfx);
		break;
	case CP_MSG_UPLINK:
		cp_msg_put_str(b, CP_TAG_NAME, r->u.uplink.name);
		break;
	case CP_MSG_GRANTS_SET:
		encode_grants_set(b, &r->u.grants_set);
		break;
	case CP_MSG_TRACE:
		encode_trace(b, &r->u.trace);
		break;
	default:
		break;
	}
	if (cp_msg_end(b) != 0) {
		cp_errf(err, errlen, "%s: %s", cp_msg_type_name(r->type), b->why);
		return -1;
	}
	return 0;
}

/* ---- Replies ---- */

static int reply_tlv(struct cp_reply *r, uint32_t *seen, const struct cp_tlv *t, char *err,
		     size_t errlen)
{
	switch (t->tag) {
	case CP_TAG_JSON:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		r->json = (const char *)t->val;
		r->json_len = t->len;
		return 0;
	case CP_TAG_MESSAGE:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		r->message = (const char *)t->val;
		r->message_len = t->len;
		return 0;
	case CP_TAG_GENERATION:
		if (once(seen, t, err, errlen) != 0)
			return -1;
		r->has_generation = true;
		return cp_tlv_u32(t, &r->generation, err, errlen);
	default:
		return 0;
	}
}

int cp_reply_decode(const struct cp_msg *m, struct cp_reply *r, char *err, size_t errlen)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	uint32_t seen = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!is_ok_reply(m->type) && m->type != CP_MSG_ERROR) {
		cp_errf(err, errlen, "%s (0x%04x) is not a reply", cp_msg_type_name(m->type),
			m->type);
		return -1;
	}
	r->type = m->type;
	cp_tlv_iter_init(&it, m);
	while ((rc = cp_tlv_next(&it, &t, err, errlen)) == 1)
		if (reply_tlv(r, &seen, &t, err, errlen) != 0)
			return -1;
	if (rc < 0)
		return -1;
	if (m->type == CP_MSG_ERROR)
		return need(seen, CP_TAG_MESSAGE, m->type, err, errlen);
	return 0;
}

int cp_reply_encode(struct cp_msg_buf *b, uint32_t seq, const struct cp_reply *r, char *err,
		    size_t errlen)
{
	if (!is_ok_reply(r->type) && r->type != CP_MSG_ERROR) {
		cp_msg_begin(b, 0, seq);
		cp_errf(err, errlen, "type 0x%04x is not a reply", r->type);
		return -1;
	}
	if (r->type == CP_MSG_ERROR && r->message == NULL) {
		cp_msg_begin(b, 0, seq);
		cp_errf(err, errlen, "ERROR: missing MESSAGE");
		return -1;
	}
	cp_msg_begin(b, r->type, seq);
	if (r->json != NULL)
		cp_msg_put_bytes(b, CP_TAG_JSON, r->json, r->json_len);
	if (r->has_generation)
		cp_msg_put_u32(b, CP_TAG_GENERATION, r->generation);
	if (r->message != NULL)
		cp_msg_put_bytes(b, CP_TAG_MESSAGE, r->message, r->message_len);
	if (cp_msg_end(b) != 0) {
		cp_errf(err, errlen, "%s: %s", cp_msg_type_name(r->type), b->why);
		return -1;
	}
	return 0;
}

int cp_reply_error(struct cp_msg_buf *b, uint32_t seq, const char *fmt, ...)
{
	va_list ap;
	char *msg = malloc(CP_MSG_MESSAGE_MAX + 1);
	int rc;

	if (msg == NULL) {
		cp_msg_begin(b, CP_MSG_ERROR, seq);
		return fail(b, "out of memory");
	}
	va_start(ap, fmt);
	vsnprintf(msg, CP_MSG_MESSAGE_MAX + 1, fmt, ap);
	va_end(ap);
	cp_msg_begin(b, CP_MSG_ERROR, seq);
	cp_msg_put_bytes(b, CP_TAG_MESSAGE, msg, strlen(msg));
	rc = cp_msg_end(b);
	free(msg);
	return rc;
}
