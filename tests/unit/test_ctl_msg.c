/* Unit tests of common/ctl_msg: the control protocol's wire format. Round trips of every request
 * and reply, the exact bytes of one message, hostile headers and payloads (every truncation of
 * every valid message, wrong tag lengths, bad values, duplicates, missing tags), prefix checks,
 * size limits, and skipping of unknown tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "ctl_msg.h"

#define ERRLEN	     256
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Helpers: raw bytes, built by hand so that they can be wrong ---- */

struct raw {
	uint8_t b[8192];
	size_t n;
};

static void raw_put(struct raw *r, const void *p, size_t n)
{
	assert_true(r->n + n <= sizeof(r->b));
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void raw_be(struct raw *r, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		uint8_t c = (uint8_t)(v >> (8 * (bytes - 1 - i)));
		raw_put(r, &c, 1);
	}
}

/* A TLV whose length field says len but whose value is the n bytes at v. */
static void raw_tlv_lie(struct raw *r, uint16_t tag, uint32_t len, const void *v, size_t n)
{
	raw_be(r, tag, 2);
	raw_be(r, len, 4);
	raw_put(r, v, n);
}

static void raw_tlv(struct raw *r, uint16_t tag, const void *v, size_t n)
{
	raw_tlv_lie(r, tag, (uint32_t)n, v, n);
}

static void raw_u64(struct raw *r, uint16_t tag, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	raw_tlv(r, tag, b, 8);
}

/* A whole message: header (with the payload's true length) + payload. */
static void raw_msg(struct raw *out, uint16_t type, uint32_t seq, const struct raw *payload)
{
	out->n = 0;
	raw_be(out, CP_MSG_MAGIC, 4);
	raw_be(out, CP_MSG_VERSION, 2);
	raw_be(out, type, 2);
	raw_be(out, payload->n, 4);
	raw_be(out, seq, 4);
	raw_put(out, payload->b, payload->n);
}

static const uint8_t P4_24[18] = {4, 24, 192, 0, 2, 0};
static const uint8_t P6_32[18] = {6, 32, 0x20, 0x01, 0x0d, 0xb8};

static struct cp_prefix pfx(const char *s)
{
	struct cp_prefix p;
	char err[ERRLEN];
	assert_int_equal(cp_prefix_parse(s, &p, err, sizeof(err)), 0);
	return p;
}

/* ---- Names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cp_msg_type_name(CP_MSG_GRANT), "GRANT");
	assert_string_equal(cp_msg_type_name(CP_MSG_GRANTS_SET), "GRANTS_SET");
	assert_string_equal(cp_msg_type_name(CP_MSG_GRANT | CP_MSG_REPLY), "GRANT reply");
	assert_string_equal(cp_msg_type_name(CP_MSG_ERROR), "ERROR");
	assert_string_equal(cp_msg_type_name(CP_MSG_TRACE), "TRACE");
	assert_string_equal(cp_msg_type_name(13), "unknown");
	assert_string_equal(cp_msg_type_name(0x8000), "unknown");
	assert_string_equal(cp_tag_name(CP_TAG_PREFIX), "PREFIX");
	assert_string_equal(cp_tag_name(CP_TAG_GRANT_ENTRY), "GRANT_ENTRY");
	assert_string_equal(cp_tag_name(CP_TAG_REASON), "REASON");
	assert_string_equal(cp_tag_name(0), "unknown");
	assert_string_equal(cp_tag_name(CP_TAG_LAST + 1), "unknown");
}

/* ---- The exact bytes of one message pin the wire format ---- */

static void test_golden_bytes(void **state)
{
	static const uint8_t want[] = {
	    0x43, 0x50, 0x4b, 0x31, 0x00, 0x01, 0x00, 0x04, /* CPK1, version 1, RENEW */
	    0x00, 0x00, 0x00, 0x18, 0x01, 0x02, 0x03, 0x04, /* length 24, seq */
	    0x00, 0x01, 0x00, 0x00, 0x00, 0x12,		    /* PREFIX, 18 bytes */
	    0x04, 0x18, 0xc0, 0x00, 0x02, 0x00, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_prefix p = pfx("192.0.2.0/24");
	(void)state;

	assert_int_equal(cp_msg_begin(&b, CP_MSG_RENEW, 0x01020304), 0);
	assert_int_equal(cp_msg_put_prefix(&b, CP_TAG_PREFIX, &p), 0);
	assert_int_equal(cp_msg_end(&b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));

	/* A u64 is big-endian too. */
	assert_int_equal(cp_msg_begin(&b, CP_MSG_GRANT, 7), 0);
	assert_int_equal(cp_msg_put_u64(&b, CP_TAG_FOR_NS, 0x0102030405060708ull), 0);
	assert_int_equal(cp_msg_end(&b), 0);
	static const uint8_t u64[] = {0, 2, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(b.len, CP_MSG_HDR_LEN + sizeof(u64));
	assert_memory_equal(b.data + CP_MSG_HDR_LEN, u64, sizeof(u64));
	cp_msg_buf_free(&b);
}

/* ---- Round trips of every request type ---- */

static const uint8_t policy_text[] = "inside = [\"192.0.2.0/24\"];\nrules = ();\n";
static const uint8_t db0[] = {1, 2, 3, 0, 5};
static const uint8_t db2[] = {0xff};
static const uint8_t db3[] = {0, 0, 0, 0, 0, 0, 0, 0, 9};

static const struct cp_grant_entry entries[] = {
    {{4, 32, {192, 0, 2, 7}}, 5000000000ull, 0, 1000000000ull},
    {{6, 64, {0x20, 0x01, 0x0d, 0xb8, 0, 1}}, UINT64_MAX, 60000000000ull, 42},
    {{4, 0, {0}}, 1, 1, 0},
};

static const struct cp_req req_cases[] = {
    {.type = CP_MSG_HELLO},
    {.type = CP_MSG_INSTALL_POLICY,
     .u.install = {.text = policy_text, .text_len = sizeof(policy_text) - 1}},
    {.type = CP_MSG_INSTALL_POLICY,
     .u.install =
	 {.text = policy_text,
	  .text_len = sizeof(policy_text) - 1,
	  .path = "/etc/chokepoint/policy.conf",
	  .hs_db = {{db0, sizeof(db0)}, {NULL, 0}, {db2, sizeof(db2)}, {db3, sizeof(db3)}}}},
    {.type = CP_MSG_GRANT, .u.grant = {.pfx = {4, 24, {192, 0, 2, 0}}, .for_ns = 90000000000ull}},
    {.type = CP_MSG_GRANT,
     .u.grant = {.pfx = {6, 128, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
		 .for_ns = 3600000000000ull,
		 .renew_ns = 300000000000ull,
		 .now_ns = 123456789,
		 .has_renew = true,
		 .has_now = true}},
    {.type = CP_MSG_GRANT,
     .u.grant = {.pfx = {4, 32, {10, 0, 0, 1}}, .for_ns = 1, .now_ns = 0, .has_now = true}},
    {.type = CP_MSG_RENEW, .u.prefix = {{4, 32, {192, 0, 2, 1}}}},
    {.type = CP_MSG_REVOKE, .u.prefix = {{6, 0, {0}}}},
    {.type = CP_MSG_SHUTOFF},
    {.type = CP_MSG_RESTORE},
    {.type = CP_MSG_UPLINK, .u.uplink = {"fiber"}},
    {.type = CP_MSG_UPLINK, .u.uplink = {"auto"}},
    {.type = CP_MSG_UPLINK,
     .u.uplink = {"a-port-name-of-exactly-sixty-three-bytes-xxxxxxxxxxxxxxxxxxxxxx"}},
    {.type = CP_MSG_COUNTERS},
    {.type = CP_MSG_STATUS},
    {.type = CP_MSG_GRANTS_SET},
    {.type = CP_MSG_GRANTS_SET,
     .u.grants_set = {.e = (struct cp_grant_entry *)entries,
		      .n = ARRAY_LEN(entries),
		      .now_ns = 77,
		      .has_now = true}},
    {.type = CP_MSG_TRACE},
    {.type = CP_MSG_TRACE, .u.trace = {.rule = "web", .verdict = "drop", .reason = "malformed"}},
    {.type = CP_MSG_TRACE, .u.trace = {.reason = "default-deny"}},
};

static void assert_prefix_equal(const struct cp_prefix *a, const struct cp_prefix *b)
{
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->a, b->a, 16);
}

static void assert_install_equal(const struct cp_req_install_policy *a,
				 const struct cp_req_install_policy *b)
{
	assert_int_equal(a->text_len, b->text_len);
	assert_memory_equal(a->text, b->text, a->text_len);
	assert_string_equal(a->path, b->path);
	for (unsigned f = 0; f < CP_MSG_HS_FIELDS; f++) {
		assert_int_equal(a->hs_db[f].data == NULL, b->hs_db[f].data == NULL);
		assert_int_equal(a->hs_db[f].len, b->hs_db[f].len);
		if (a->hs_db[f].data != NULL)
			assert_memory_equal(a->hs_db[f].data, b->hs_db[f].data, a->hs_db[f].len);
	}
}

static void assert_grants_set_equal(const struct cp_req_grants_set *a,
				    const struct cp_req_grants_set *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->has_now, b->has_now);
	assert_true(a->now_ns == b->now_ns);
	for (uint32_t i = 0; i < a->n; i++) {
		assert_prefix_equal(&a->e[i].pfx, &b->e[i].pfx);
		assert_true(a->e[i].end_ns == b->e[i].end_ns);
		assert_true(a->e[i].renew_ns == b->e[i].renew_ns);
		assert_true(a->e[i].last_ns == b->e[i].last_ns);
	}
}

static void assert_req_equal(const struct cp_req *a, const struct cp_req *b)
{
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case CP_MSG_INSTALL_POLICY:
		assert_install_equal(&a->u.install, &b->u.install);
		break;
	case CP_MSG_GRANT:
		assert_prefix_equal(&a->u.grant.pfx, &b->u.grant.pfx);
		assert_true(a->u.grant.for_ns == b->u.grant.for_ns);
		assert_int_equal(a->u.grant.has_renew, b->u.grant.has_renew);
		assert_int_equal(a->u.grant.has_now, b->u.grant.has_now);
		assert_true(a->u.grant.renew_ns == b->u.grant.renew_ns);
		assert_true(a->u.grant.now_ns == b->u.grant.now_ns);
		break;
	case CP_MSG_RENEW:
	case CP_MSG_REVOKE:
		assert_prefix_equal(&a->u.prefix.pfx, &b->u.prefix.pfx);
		break;
	case CP_MSG_UPLINK:
		assert_string_equal(a->u.uplink.name, b->u.uplink.name);
		break;
	case CP_MSG_GRANTS_SET:
		assert_grants_set_equal(&a->u.grants_set, &b->u.grants_set);
		break;
	case CP_MSG_TRACE:
		assert_string_equal(a->u.trace.rule, b->u.trace.rule);
		assert_string_equal(a->u.trace.verdict, b->u.trace.verdict);
		assert_string_equal(a->u.trace.reason, b->u.trace.reason);
		break;
	default:
		break;
	}
}

static void encode_case(struct cp_msg_buf *b, size_t i)
{
	char err[ERRLEN] = "";
	if (cp_req_encode(b, (uint32_t)(1000 + i), &req_cases[i], err, sizeof(err)) != 0)
		fail_msg("case %zu: encode: %s", i, err);
}

static void test_request_round_trip(void **state)
{
	bool seen[CP_MSG_REQ_LAST + 1] = {false};
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(req_cases); i++) {
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		struct cp_msg m;
		struct cp_req r;
		char err[ERRLEN] = "";

		print_message("round trip %zu: %s\n", i, cp_msg_type_name(req_cases[i].type));
		encode_case(&b, i);
		if (cp_msg_view(&b, &m, err, sizeof(err)) != 0)
			fail_msg("view: %s", err);
		assert_int_equal(m.type, req_cases[i].type);
		assert_int_equal(m.seq, 1000 + i);
		assert_int_equal(m.total, b.len);
		if (cp_req_decode(&m, &r, err, sizeof(err)) != 0)
			fail_msg("decode: %s", err);
		assert_int_equal(r.seq, 1000 + i);
		assert_req_equal(&req_cases[i], &r);
		seen[r.type] = true;
		cp_req_free(&r);
		cp_msg_buf_free(&b);
	}
	for (unsigned t = 1; t <= CP_MSG_REQ_LAST; t++)
		if (!seen[t])
			fail_msg("request type %u has no round-trip case", t);
}

/* The per-type decoders refuse another type. */
static void test_decoder_type_mismatch(void **state)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_msg m;
	struct cp_req_grant g;
	struct cp_req_prefix p;
	struct cp_req_uplink u;
	struct cp_req_install_policy ip;
	struct cp_req_grants_set gs;
	struct cp_reply rep;
	struct cp_req r;
	char err[ERRLEN] = "";
	(void)state;

	encode_case(&b, 6); /* RENEW */
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_req_grant_decode(&m, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected a GRANT message, got RENEW"));
	assert_int_equal(cp_req_uplink_decode(&m, &u, err, sizeof(err)), -1);
	assert_int_equal(cp_req_install_decode(&m, &ip, err, sizeof(err)), -1);
	assert_int_equal(cp_req_grants_set_decode(&m, &gs, err, sizeof(err)), -1);
	assert_int_equal(cp_req_empty_decode(&m, err, sizeof(err)), -1);
	assert_int_equal(cp_reply_decode(&m, &rep, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a reply"));
	assert_int_equal(cp_req_prefix_decode(&m, &p, err, sizeof(err)), 0);

	/* A reply is not a request. */
	struct cp_reply ok = {.type = CP_MSG_RENEW | CP_MSG_REPLY};
	assert_int_equal(cp_reply_encode(&b, 1, &ok, err, sizeof(err)), 0);
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_req_decode(&m, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a request"));
	assert_int_equal(cp_req_prefix_decode(&m, &p, err, sizeof(err)), -1);
	cp_msg_buf_free(&b);
}

/* ---- Replies ---- */

static const struct cp_reply reply_cases[] = {
    {.type = CP_MSG_HELLO | CP_MSG_REPLY, .json = "{\"ports\":[]}", .json_len = 12},
    {.type = CP_MSG_INSTALL_POLICY | CP_MSG_REPLY, .generation = 7, .has_generation = true},
    {.type = CP_MSG_GRANT | CP_MSG_REPLY, .message = "granted", .message_len = 7},
    {.type = CP_MSG_STATUS | CP_MSG_REPLY,
     .json = "{}",
     .json_len = 2,
     .message = "",
     .message_len = 0,
     .generation = UINT32_MAX,
     .has_generation = true},
    {.type = CP_MSG_SHUTOFF | CP_MSG_REPLY},
    {.type = CP_MSG_ERROR, .message = "p.conf:3: unknown set \"x\"", .message_len = 25},
    {.type = CP_MSG_ERROR, .message = "line one\nline two", .message_len = 17},
};

static void test_reply_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(reply_cases); i++) {
		const struct cp_reply *want = &reply_cases[i];
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		struct cp_msg m;
		struct cp_reply got;
		char err[ERRLEN] = "";

		print_message("reply %zu: %s\n", i, cp_msg_type_name(want->type));
		if (cp_reply_encode(&b, (uint32_t)i + 5, want, err, sizeof(err)) != 0)
			fail_msg("encode: %s", err);
		assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
		assert_int_equal(m.seq, i + 5);
		if (cp_reply_decode(&m, &got, err, sizeof(err)) != 0)
			fail_msg("decode: %s", err);
		assert_int_equal(got.type, want->type);
		assert_int_equal(got.json == NULL, want->json == NULL);
		assert_int_equal(got.json_len, want->json_len);
		if (want->json_len)
			assert_memory_equal(got.json, want->json, want->json_len);
		assert_int_equal(got.message == NULL, want->message == NULL);
		assert_int_equal(got.message_len, want->message_len);
		if (want->message_len)
			assert_memory_equal(got.message, want->message, want->message_len);
		assert_int_equal(got.has_generation, want->has_generation);
		assert_int_equal(got.generation, want->generation);
		cp_msg_buf_free(&b);
	}
}

static void test_reply_error_helper(void **state)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_msg m;
	struct cp_reply r;
	char err[ERRLEN] = "";
	char *big = malloc(CP_MSG_MESSAGE_MAX + 100);
	(void)state;

	assert_int_equal(cp_reply_error(&b, 9, "no such port \"%s\"", "sat"), 0);
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, CP_MSG_ERROR);
	assert_int_equal(m.seq, 9);
	assert_int_equal(cp_reply_decode(&m, &r, err, sizeof(err)), 0);
	assert_int_equal(r.message_len, strlen("no such port \"sat\""));
	assert_memory_equal(r.message, "no such port \"sat\"", r.message_len);

	/* An overlong message is cut to the limit, not refused. */
	assert_non_null(big);
	memset(big, 'x', CP_MSG_MESSAGE_MAX + 99);
	big[CP_MSG_MESSAGE_MAX + 99] = '\0';
	assert_int_equal(cp_reply_error(&b, 10, "%s", big), 0);
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_reply_decode(&m, &r, err, sizeof(err)), 0);
	assert_int_equal(r.message_len, CP_MSG_MESSAGE_MAX);
	free(big);
	cp_msg_buf_free(&b);
}

/* ---- Headers ---- */

struct hdr_case {
	uint32_t magic;
	uint16_t version, type;
	uint32_t length;
	const char *err; /* NULL: accepted */
};

static const struct hdr_case hdr_cases[] = {
    {CP_MSG_MAGIC, 1, CP_MSG_HELLO, 0, NULL},
    {CP_MSG_MAGIC, 1, CP_MSG_GRANTS_SET, 100, NULL},
    {CP_MSG_MAGIC, 1, CP_MSG_HELLO | CP_MSG_REPLY, 0, NULL},
    {CP_MSG_MAGIC, 1, CP_MSG_GRANTS_SET | CP_MSG_REPLY, 0, NULL},
    {CP_MSG_MAGIC, 1, CP_MSG_ERROR, 0, NULL},
    {CP_MSG_MAGIC, 1, CP_MSG_STATUS, CP_MSG_MAX_PAYLOAD, NULL},
    {0x314b5043, 1, CP_MSG_HELLO, 0, "bad magic"}, /* byte-swapped */
    {0, 1, CP_MSG_HELLO, 0, "bad magic"},
    {0x48545450, 1, CP_MSG_HELLO, 0, "bad magic"}, /* "HTTP" */
    {CP_MSG_MAGIC, 0, CP_MSG_HELLO, 0, "version 0"},
    {CP_MSG_MAGIC, 2, CP_MSG_HELLO, 0, "version 2"},
    {CP_MSG_MAGIC, 0x0100, CP_MSG_HELLO, 0, "version 256"},
    {CP_MSG_MAGIC, 1, 0, 0, "unknown message type 0x0000"},
    {CP_MSG_MAGIC, 1, CP_MSG_REQ_LAST + 1, 0, "unknown message type 0x000d"},
    {CP_MSG_MAGIC, 1, 0x7fff, 0, "unknown message type"},
    {CP_MSG_MAGIC, 1, 0x8000, 0, "unknown message type 0x8000"},
    {CP_MSG_MAGIC, 1, 0x800d, 0, "unknown message type 0x800d"},
    {CP_MSG_MAGIC, 1, 0xfffe, 0, "unknown message type 0xfffe"},
    {CP_MSG_MAGIC, 1, CP_MSG_HELLO, CP_MSG_MAX_PAYLOAD + 1, "exceeds the maximum"},
    {CP_MSG_MAGIC, 1, CP_MSG_HELLO, 1u << 30, "payload length 1073741824 exceeds"},
    {CP_MSG_MAGIC, 1, CP_MSG_HELLO, UINT32_MAX, "exceeds the maximum"},
};

static void test_header_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(hdr_cases); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		struct raw r = {.n = 0};
		struct cp_msg_hdr h;
		struct cp_msg m;
		char err[ERRLEN] = "";
		int rc;

		raw_be(&r, c->magic, 4);
		raw_be(&r, c->version, 2);
		raw_be(&r, c->type, 2);
		raw_be(&r, c->length, 4);
		raw_be(&r, 0xa1b2c3d4, 4);
		print_message("header %zu: want %s\n", i, c->err ? c->err : "ok");
		rc = cp_msg_hdr_parse(r.b, &h, err, sizeof(err));
		/* Every field is read even when refused, so that seq can be echoed. */
		assert_int_equal(h.seq, 0xa1b2c3d4);
		assert_int_equal(h.type, c->type);
		assert_int_equal(h.length, c->length);
		if (c->err == NULL) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, -1);
		if (strstr(err, c->err) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err, c->err);
		/* cp_msg_parse refuses it at once too, with only the header at hand. */
		assert_int_equal(cp_msg_parse(r.b, r.n, &m, err, sizeof(err)), -1);
	}
}

/* A partial header whose first bytes are already wrong is refused without waiting for more. */
static void test_partial_bad_magic(void **state)
{
	static const uint8_t junk[] = "GET / HTTP/1.1\r\n";
	static const uint8_t good[] = {0x43, 0x50, 0x4b, 0x31, 0, 1};
	struct cp_msg m;
	char err[ERRLEN];
	(void)state;

	for (size_t n = 1; n < CP_MSG_HDR_LEN; n++)
		assert_int_equal(cp_msg_parse(junk, n, &m, err, sizeof(err)), -1);
	for (size_t n = 0; n <= sizeof(good); n++)
		assert_int_equal(cp_msg_parse(good, n, &m, err, sizeof(err)), 1);
}

/* ---- Truncation: every prefix of every valid message ---- */

/* Offsets (in the payload) where a TLV starts or the payload ends. */
static void tlv_boundaries(const struct cp_msg *m, bool *at)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	char err[ERRLEN];

	at[0] = true;
	cp_tlv_iter_init(&it, m);
	while (cp_tlv_next(&it, &t, err, sizeof(err)) == 1)
		at[it.off] = true;
}

/* Parse n bytes copied into an allocation of exactly n (a read past it is caught by valgrind). */
static int parse_copy(const uint8_t *data, size_t n, bool fix_length, struct cp_msg *m,
		      uint8_t **keep)
{
	char err[ERRLEN];
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, data, n);
	if (fix_length) {
		uint32_t len = (uint32_t)(n - CP_MSG_HDR_LEN);
		p[8] = (uint8_t)(len >> 24);
		p[9] = (uint8_t)(len >> 16);
		p[10] = (uint8_t)(len >> 8);
		p[11] = (uint8_t)len;
	}
	*keep = p;
	return cp_msg_parse(p, n, m, err, sizeof(err));
}

static void truncate_one(const struct cp_msg_buf *b)
{
	struct cp_msg full, m;
	bool *at = calloc(b->len + 1, 1);
	char err[ERRLEN];
	uint8_t *p;

	assert_non_null(at);
	assert_int_equal(cp_msg_view(b, &full, err, sizeof(err)), 0);
	tlv_boundaries(&full, at);
	for (size_t n = 0; n < b->len; n++) {
		/* As received so far: incomplete, never complete, never an error. */
		if (parse_copy(b->data, n, false, &m, &p) != 1)
			fail_msg("prefix of %zu of %zu bytes not reported incomplete", n, b->len);
		free(p);
		if (n < CP_MSG_HDR_LEN)
			continue;
		/* Cut, with the header's length made to agree: whole only at a TLV boundary. */
		int rc = parse_copy(b->data, n, true, &m, &p);
		if (rc == 0) {
			struct cp_req r;
			if (!at[n - CP_MSG_HDR_LEN])
				fail_msg("cut at payload byte %zu accepted", n - CP_MSG_HDR_LEN);
			if (cp_req_decode(&m, &r, err, sizeof(err)) == 0)
				cp_req_free(&r);
		} else if (rc != -1 || at[n - CP_MSG_HDR_LEN]) {
			fail_msg("cut at payload byte %zu: rc %d", n - CP_MSG_HDR_LEN, rc);
		}
		free(p);
	}
	assert_int_equal(parse_copy(b->data, b->len, false, &m, &p), 0);
	free(p);
	free(at);
}

static void test_every_truncation(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(req_cases); i++) {
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		print_message("truncating case %zu (%s)\n", i, cp_msg_type_name(req_cases[i].type));
		encode_case(&b, i);
		truncate_one(&b);
		cp_msg_buf_free(&b);
	}
	for (size_t i = 0; i < ARRAY_LEN(reply_cases); i++) {
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		char err[ERRLEN];
		assert_int_equal(cp_reply_encode(&b, 1, &reply_cases[i], err, sizeof(err)), 0);
		truncate_one(&b);
		cp_msg_buf_free(&b);
	}
}

/* Two messages back to back: the first parses on its own, total says where the next starts. */
static void test_stream_of_two(void **state)
{
	struct cp_msg_buf a = CP_MSG_BUF_INIT, b = CP_MSG_BUF_INIT;
	struct raw r = {.n = 0};
	struct cp_msg m;
	char err[ERRLEN];
	(void)state;

	encode_case(&a, 3);
	encode_case(&b, 10);
	raw_put(&r, a.data, a.len);
	raw_put(&r, b.data, b.len);
	assert_int_equal(cp_msg_parse(r.b, r.n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, CP_MSG_GRANT);
	assert_int_equal(m.total, a.len);
	assert_int_equal(cp_msg_parse(r.b + m.total, r.n - m.total, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, CP_MSG_UPLINK);
	/* A buffer must hold exactly one message for cp_msg_view. */
	assert_int_equal(cp_msg_buf_reserve(&a, r.n), 0);
	memcpy(a.data, r.b, r.n);
	a.len = r.n;
	assert_int_equal(cp_msg_view(&a, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "after the message"));
	cp_msg_buf_free(&a);
	cp_msg_buf_free(&b);
}

/* ---- Malformed payloads: parse errors and decode errors ---- */

enum stage { AT_PARSE, AT_DECODE };

struct bad_case {
	const char *name;
	uint16_t type;
	void (*build)(struct raw *payload);
	enum stage stage;
	const char *err;
};

static void b_past_end(struct raw *r)
{
	raw_tlv_lie(r, CP_TAG_PREFIX, 18, P4_24, 10);
}
static void b_past_end_huge(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_tlv_lie(r, 0x7777, UINT32_MAX, "abc", 3);
}
static void b_past_end_unknown(struct raw *r)
{
	raw_tlv_lie(r, 0x7777, 4, "ab", 2);
}
static void b_trailing1(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_put(r, "\0", 1);
}
static void b_trailing5(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_put(r, "\0\1\0\0\0", 5);
}
static void b_prefix17(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 17);
}
static void b_prefix19(struct raw *r)
{
	uint8_t v[19] = {4, 24, 192, 0, 2, 0};
	raw_tlv(r, CP_TAG_PREFIX, v, 19);
}
static void b_for4(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_tlv(r, CP_TAG_FOR_NS, "\0\0\0\1", 4);
}
static void b_for9(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_tlv(r, CP_TAG_FOR_NS, "\0\0\0\0\0\0\0\0\1", 9);
}
static void b_now0(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_u64(r, CP_TAG_FOR_NS, 1);
	raw_tlv(r, CP_TAG_NOW_NS, "", 0);
}
static void b_gen8(struct raw *r)
{
	raw_u64(r, CP_TAG_GENERATION, 1);
}
static void b_grant41(struct raw *r)
{
	uint8_t v[41] = {4, 24, 192, 0, 2, 0};
	raw_tlv(r, CP_TAG_GRANT_ENTRY, v, 41);
}
static void b_hs1(struct raw *r)
{
	raw_tlv(r, CP_TAG_POLICY_TEXT, "x", 1);
	raw_tlv(r, CP_TAG_HS_DB, "\0", 1);
}
static void b_hs_field7(struct raw *r)
{
	raw_tlv(r, CP_TAG_POLICY_TEXT, "x", 1);
	raw_tlv(r, CP_TAG_HS_DB, "\7db", 3);
}
static void b_name_empty(struct raw *r)
{
	raw_tlv(r, CP_TAG_NAME, "", 0);
}
static void b_name64(struct raw *r)
{
	char n[64];
	memset(n, 'n', sizeof(n));
	raw_tlv(r, CP_TAG_NAME, n, sizeof(n));
}
static void b_name_nul(struct raw *r)
{
	raw_tlv(r, CP_TAG_NAME, "fi\0ber", 6);
}
static void b_path_long(struct raw *r)
{
	char p[CP_MSG_PATH_MAX + 1];
	memset(p, '/', sizeof(p));
	raw_tlv(r, CP_TAG_POLICY_TEXT, "x", 1);
	raw_tlv(r, CP_TAG_POLICY_PATH, p, sizeof(p));
}
static void b_text_empty(struct raw *r)
{
	raw_tlv(r, CP_TAG_POLICY_TEXT, "", 0);
}
static void b_text_nul(struct raw *r)
{
	raw_tlv(r, CP_TAG_POLICY_TEXT, "rules\0", 6);
}
static void b_message_nul(struct raw *r)
{
	raw_tlv(r, CP_TAG_MESSAGE, "a\0b", 3);
}
static void b_json_nul(struct raw *r)
{
	raw_tlv(r, CP_TAG_JSON, "{}\0", 3);
}
static void b_family5(struct raw *r)
{
	uint8_t v[18] = {5, 24, 192, 0, 2, 0};
	raw_tlv(r, CP_TAG_PREFIX, v, 18);
}
static void b_v4_33(struct raw *r)
{
	uint8_t v[18] = {4, 33, 192, 0, 2, 0};
	raw_tlv(r, CP_TAG_PREFIX, v, 18);
}
static void b_v6_129(struct raw *r)
{
	uint8_t v[18] = {6, 129, 0x20, 0x01};
	raw_tlv(r, CP_TAG_PREFIX, v, 18);
}
static void b_host_bits(struct raw *r)
{
	uint8_t v[18] = {4, 24, 192, 0, 2, 1};
	raw_tlv(r, CP_TAG_PREFIX, v, 18);
}
static void b_v4_tail(struct raw *r)
{
	uint8_t v[18] = {4, 32, 192, 0, 2, 1, [17] = 1};
	raw_tlv(r, CP_TAG_PREFIX, v, 18);
}
static void b_for_zero(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_u64(r, CP_TAG_FOR_NS, 0);
}
static void b_renew_zero(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_u64(r, CP_TAG_FOR_NS, 5);
	raw_u64(r, CP_TAG_RENEW_NS, 0);
}
static void b_grant_bad_prefix(struct raw *r)
{
	uint8_t v[CP_MSG_GRANT_LEN] = {6, 8, 0x20, 0x01};
	raw_tlv(r, CP_TAG_GRANT_ENTRY, v, sizeof(v));
}
/* A known tag is checked even where the message type does not use it. */
static void b_unused_bad(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 17);
}
static void b_dup_prefix(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_u64(r, CP_TAG_FOR_NS, 5);
	raw_tlv(r, CP_TAG_PREFIX, P6_32, 18);
}
static void b_dup_for(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_u64(r, CP_TAG_FOR_NS, 5);
	raw_u64(r, CP_TAG_FOR_NS, 6);
}
static void b_dup_now(struct raw *r)
{
	raw_u64(r, CP_TAG_NOW_NS, 5);
	raw_u64(r, CP_TAG_NOW_NS, 6);
}
static void b_dup_rule(struct raw *r)
{
	raw_tlv(r, CP_TAG_RULE, "web", 3);
	raw_tlv(r, CP_TAG_RULE, "dns", 3);
}
static void b_rule64(struct raw *r)
{
	char n[64];
	memset(n, 'r', sizeof(n));
	raw_tlv(r, CP_TAG_RULE, n, sizeof(n));
}
static void b_verdict_empty(struct raw *r)
{
	raw_tlv(r, CP_TAG_VERDICT, "", 0);
}
static void b_dup_hs(struct raw *r)
{
	raw_tlv(r, CP_TAG_POLICY_TEXT, "x", 1);
	raw_tlv(r, CP_TAG_HS_DB, "\2ab", 3);
	raw_tlv(r, CP_TAG_HS_DB, "\2cd", 3);
}
static void b_dup_text(struct raw *r)
{
	raw_tlv(r, CP_TAG_POLICY_TEXT, "x", 1);
	raw_tlv(r, CP_TAG_POLICY_TEXT, "y", 1);
}
static void b_dup_name(struct raw *r)
{
	raw_tlv(r, CP_TAG_NAME, "a", 1);
	raw_tlv(r, CP_TAG_NAME, "b", 1);
}
static void b_dup_message(struct raw *r)
{
	raw_tlv(r, CP_TAG_MESSAGE, "a", 1);
	raw_tlv(r, CP_TAG_MESSAGE, "b", 1);
}
static void b_only_for(struct raw *r)
{
	raw_u64(r, CP_TAG_FOR_NS, 5);
}
static void b_only_prefix(struct raw *r)
{
	raw_tlv(r, CP_TAG_PREFIX, P4_24, 18);
	raw_u64(r, CP_TAG_RENEW_NS, 5);
}
static void b_empty(struct raw *r)
{
	(void)r;
}
static void b_only_unknown(struct raw *r)
{
	raw_tlv(r, 0x4242, P4_24, 18);
}
static void b_only_path(struct raw *r)
{
	raw_tlv(r, CP_TAG_POLICY_PATH, "/p", 2);
	raw_tlv(r, CP_TAG_HS_DB, "\0ab", 3);
}
static void b_name_as_prefix(struct raw *r)
{
	raw_tlv(r, CP_TAG_NAME, "192.0.2.0/24", 12);
}

#define ERR_REPLY CP_MSG_ERROR
static const struct bad_case bad_cases[] = {
    {"TLV past end", CP_MSG_RENEW, b_past_end, AT_PARSE, "runs past the end"},
    {"TLV length 2^32-1", CP_MSG_RENEW, b_past_end_huge, AT_PARSE, "length 4294967295 runs past"},
    {"unknown TLV past end", CP_MSG_HELLO, b_past_end_unknown, AT_PARSE, "runs past the end"},
    {"1 trailing byte", CP_MSG_RENEW, b_trailing1, AT_PARSE, "partial TLV header: 1 trailing"},
    {"5 trailing bytes", CP_MSG_RENEW, b_trailing5, AT_PARSE, "partial TLV header: 5 trailing"},
    {"PREFIX 17", CP_MSG_RENEW, b_prefix17, AT_PARSE, "PREFIX: length 17, expected 18"},
    {"PREFIX 19", CP_MSG_REVOKE, b_prefix19, AT_PARSE, "PREFIX: length 19, expected 18"},
    {"FOR_NS 4", CP_MSG_GRANT, b_for4, AT_PARSE, "FOR_NS: length 4, expected 8"},
    {"FOR_NS 9", CP_MSG_GRANT, b_for9, AT_PARSE, "FOR_NS: length 9, expected 8"},
    {"NOW_NS 0", CP_MSG_GRANT, b_now0, AT_PARSE, "NOW_NS: length 0, expected 8"},
    {"GENERATION 8", CP_MSG_INSTALL_POLICY | CP_MSG_REPLY, b_gen8, AT_PARSE,
     "GENERATION: length 8, expected 4"},
    {"GRANT_ENTRY 41", CP_MSG_GRANTS_SET, b_grant41, AT_PARSE, "GRANT_ENTRY: length 41, expected"},
    {"HS_DB 1", CP_MSG_INSTALL_POLICY, b_hs1, AT_PARSE, "HS_DB: length 1 outside"},
    {"HS_DB field 7", CP_MSG_INSTALL_POLICY, b_hs_field7, AT_PARSE, "HS_DB: field 7"},
    {"NAME empty", CP_MSG_UPLINK, b_name_empty, AT_PARSE, "NAME: length 0 outside 1..63"},
    {"NAME 64", CP_MSG_UPLINK, b_name64, AT_PARSE, "NAME: length 64 outside 1..63"},
    {"NAME NUL", CP_MSG_UPLINK, b_name_nul, AT_PARSE, "NAME: contains a NUL"},
    {"POLICY_PATH long", CP_MSG_INSTALL_POLICY, b_path_long, AT_PARSE, "POLICY_PATH: length 4097"},
    {"POLICY_TEXT empty", CP_MSG_INSTALL_POLICY, b_text_empty, AT_PARSE, "POLICY_TEXT: length 0"},
    {"POLICY_TEXT NUL", CP_MSG_INSTALL_POLICY, b_text_nul, AT_PARSE, "POLICY_TEXT: contains a NUL"},
    {"MESSAGE NUL", ERR_REPLY, b_message_nul, AT_PARSE, "MESSAGE: contains a NUL"},
    {"JSON NUL", CP_MSG_STATUS | CP_MSG_REPLY, b_json_nul, AT_PARSE, "JSON: contains a NUL"},
    {"family 5", CP_MSG_RENEW, b_family5, AT_PARSE, "PREFIX: prefix family 5"},
    {"IPv4 /33", CP_MSG_RENEW, b_v4_33, AT_PARSE, "/33 exceeds 32"},
    {"IPv6 /129", CP_MSG_RENEW, b_v6_129, AT_PARSE, "/129 exceeds 128"},
    {"host bits", CP_MSG_REVOKE, b_host_bits, AT_PARSE, "host bits set beyond /24"},
    {"IPv4 tail bytes", CP_MSG_REVOKE, b_v4_tail, AT_PARSE, "nonzero bytes past"},
    {"FOR_NS zero", CP_MSG_GRANT, b_for_zero, AT_PARSE, "FOR_NS: must not be zero"},
    {"RENEW_NS zero", CP_MSG_GRANT, b_renew_zero, AT_PARSE, "RENEW_NS: must not be zero"},
    {"GRANT_ENTRY prefix", CP_MSG_GRANTS_SET, b_grant_bad_prefix, AT_PARSE,
     "GRANT_ENTRY: prefix has host bits"},
    {"bad unused tag", CP_MSG_SHUTOFF, b_unused_bad, AT_PARSE, "PREFIX: length 17"},
    {"dup PREFIX", CP_MSG_GRANT, b_dup_prefix, AT_DECODE, "duplicate PREFIX"},
    {"dup FOR_NS", CP_MSG_GRANT, b_dup_for, AT_DECODE, "duplicate FOR_NS"},
    {"dup NOW_NS", CP_MSG_GRANTS_SET, b_dup_now, AT_DECODE, "duplicate NOW_NS"},
    {"dup RULE", CP_MSG_TRACE, b_dup_rule, AT_DECODE, "duplicate RULE"},
    {"RULE 64", CP_MSG_TRACE, b_rule64, AT_PARSE, "RULE: length 64 outside 1..63"},
    {"VERDICT empty", CP_MSG_TRACE, b_verdict_empty, AT_PARSE, "VERDICT: length 0 outside"},
    {"dup PREFIX renew", CP_MSG_RENEW, b_dup_prefix, AT_DECODE, "duplicate PREFIX"},
    {"dup HS_DB field", CP_MSG_INSTALL_POLICY, b_dup_hs, AT_DECODE, "duplicate HS_DB for field 2"},
    {"dup POLICY_TEXT", CP_MSG_INSTALL_POLICY, b_dup_text, AT_DECODE, "duplicate POLICY_TEXT"},
    {"dup NAME", CP_MSG_UPLINK, b_dup_name, AT_DECODE, "duplicate NAME"},
    {"dup MESSAGE", ERR_REPLY, b_dup_message, AT_DECODE, "duplicate MESSAGE"},
    {"GRANT no PREFIX", CP_MSG_GRANT, b_only_for, AT_DECODE, "GRANT: missing PREFIX"},
    {"GRANT no FOR_NS", CP_MSG_GRANT, b_only_prefix, AT_DECODE, "GRANT: missing FOR_NS"},
    {"GRANT empty", CP_MSG_GRANT, b_empty, AT_DECODE, "GRANT: missing PREFIX"},
    {"RENEW empty", CP_MSG_RENEW, b_only_unknown, AT_DECODE, "RENEW: missing PREFIX"},
    {"REVOKE empty", CP_MSG_REVOKE, b_empty, AT_DECODE, "REVOKE: missing PREFIX"},
    {"UPLINK empty", CP_MSG_UPLINK, b_empty, AT_DECODE, "UPLINK: missing NAME"},
    {"UPLINK wrong tag", CP_MSG_UPLINK, b_only_prefix, AT_DECODE, "UPLINK: missing NAME"},
    {"RENEW wrong tag", CP_MSG_RENEW, b_name_as_prefix, AT_DECODE, "RENEW: missing PREFIX"},
    {"INSTALL no text", CP_MSG_INSTALL_POLICY, b_only_path, AT_DECODE,
     "INSTALL_POLICY: missing POLICY_TEXT"},
    {"ERROR no MESSAGE", ERR_REPLY, b_only_unknown, AT_DECODE, "ERROR: missing MESSAGE"},
};

/* Decode m as whatever it is: a request or a reply. */
static int decode_any(const struct cp_msg *m, char *err, size_t errlen)
{
	struct cp_req r;
	struct cp_reply rep;

	if (m->type & CP_MSG_REPLY)
		return cp_reply_decode(m, &rep, err, errlen);
	if (cp_req_decode(m, &r, err, errlen) != 0)
		return -1;
	cp_req_free(&r);
	return 0;
}

static void test_bad_payloads(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct raw payload = {.n = 0}, msg;
		struct cp_msg m;
		char err[ERRLEN] = "";
		uint8_t *p;
		int rc;

		print_message("bad payload: %s\n", c->name);
		c->build(&payload);
		raw_msg(&msg, c->type, 1, &payload);
		p = malloc(msg.n); /* exact size: a read past the end shows under valgrind */
		assert_non_null(p);
		memcpy(p, msg.b, msg.n);
		rc = cp_msg_parse(p, msg.n, &m, err, sizeof(err));
		if (c->stage == AT_PARSE) {
			assert_int_equal(rc, -1);
		} else {
			if (rc != 0)
				fail_msg("parse: %s", err);
			assert_int_equal(decode_any(&m, err, sizeof(err)), -1);
		}
		if (strstr(err, c->err) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err, c->err);
		assert_null(strchr(err, '\n'));
		free(p);
	}
}

/* Every bad prefix of the table above also fails the typed getter on a hand-made TLV. */
static void test_getters(void **state)
{
	uint8_t v8[8] = {0, 0, 0, 0, 0, 0, 1, 0};
	uint8_t bad_pfx[18] = {4, 8, 10, 1};
	struct cp_tlv t;
	uint32_t u32;
	uint64_t u64;
	struct cp_prefix p;
	char s[4];
	char err[ERRLEN];
	(void)state;

	t = (struct cp_tlv){0x5555, 8, v8}; /* unknown tag: only the shape counts */
	assert_int_equal(cp_tlv_u64(&t, &u64, err, sizeof(err)), 0);
	assert_true(u64 == 256);
	assert_int_equal(cp_tlv_u32(&t, &u32, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "length 8, expected 4"));
	t = (struct cp_tlv){CP_TAG_GENERATION, 4, v8 + 4};
	assert_int_equal(cp_tlv_u32(&t, &u32, err, sizeof(err)), 0);
	assert_int_equal(u32, 256);
	t = (struct cp_tlv){CP_TAG_PREFIX, 18, bad_pfx};
	assert_int_equal(cp_tlv_prefix(&t, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "host bits"));
	t = (struct cp_tlv){CP_TAG_PREFIX, 18, P6_32};
	assert_int_equal(cp_tlv_prefix(&t, &p, err, sizeof(err)), 0);
	assert_prefix_equal(&p, &(struct cp_prefix){6, 32, {0x20, 0x01, 0x0d, 0xb8}});
	t = (struct cp_tlv){CP_TAG_NAME, 4, (const uint8_t *)"abcd"};
	assert_int_equal(cp_tlv_str(&t, s, sizeof(s), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "do not fit"));
	t.len = 3;
	assert_int_equal(cp_tlv_str(&t, s, sizeof(s), err, sizeof(err)), 0);
	assert_string_equal(s, "abc");
	t = (struct cp_tlv){0x5555, 2, (const uint8_t *)"a\0"};
	assert_int_equal(cp_tlv_str(&t, s, sizeof(s), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	uint8_t field;
	const uint8_t *db;
	uint32_t n;
	t = (struct cp_tlv){CP_TAG_NAME, 3, (const uint8_t *)"\1ab"};
	assert_int_equal(cp_tlv_hs_db(&t, &field, &db, &n, err, sizeof(err)), -1);
	t.tag = CP_TAG_HS_DB;
	assert_int_equal(cp_tlv_hs_db(&t, &field, &db, &n, err, sizeof(err)), 0);
	assert_int_equal(field, 1);
	assert_int_equal(n, 2);
	assert_memory_equal(db, "ab", 2);
}

/* ---- Prefix validation ---- */

struct pfx_case {
	struct cp_prefix p;
	const char *err; /* NULL: valid */
};

static const struct pfx_case pfx_cases[] = {
    {{4, 0, {0}}, NULL},
    {{4, 24, {192, 0, 2, 0}}, NULL},
    {{4, 25, {192, 0, 2, 128}}, NULL},
    {{4, 32, {255, 255, 255, 255}}, NULL},
    {{6, 0, {0}}, NULL},
    {{6, 32, {0x20, 0x01, 0x0d, 0xb8}}, NULL},
    {{6, 97, {0x20, 0x01, 0x0d, 0xb8, [12] = 0x80}}, NULL},
    {{6, 128, {[15] = 1}}, NULL},
    {{0, 0, {0}}, "family 0"},
    {{5, 8, {10}}, "family 5"},
    {{46, 8, {10}}, "family 46"},
    {{4, 33, {10}}, "/33 exceeds 32"},
    {{4, 255, {10}}, "/255 exceeds 32"},
    {{6, 129, {0}}, "/129 exceeds 128"},
    {{4, 0, {1}}, "host bits set beyond /0"},
    {{4, 24, {192, 0, 2, 1}}, "host bits set beyond /24"},
    {{4, 25, {192, 0, 2, 192}}, "host bits set beyond /25"},
    {{4, 32, {192, 0, 2, 1, 1}}, "nonzero bytes past"},
    {{4, 32, {192, 0, 2, 1, [15] = 1}}, "nonzero bytes past"},
    {{6, 64, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}, "host bits set beyond /64"},
    {{6, 97, {0x20, 0x01, 0x0d, 0xb8, [12] = 0xc0}}, "host bits set beyond /97"},
    {{6, 0, {[15] = 1}}, "host bits set beyond /0"},
};

static void test_prefix_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(pfx_cases); i++) {
		const struct pfx_case *c = &pfx_cases[i];
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		char err[ERRLEN] = "";
		int rc = cp_msg_prefix_check(&c->p, err, sizeof(err));

		print_message("prefix %zu: want %s\n", i, c->err ? c->err : "ok");
		assert_int_equal(rc, c->err ? -1 : 0);
		if (c->err && strstr(err, c->err) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err, c->err);
		/* The encoder refuses what a reader would refuse. */
		assert_int_equal(cp_msg_begin(&b, CP_MSG_REVOKE, 1), 0);
		assert_int_equal(cp_msg_put_prefix(&b, CP_TAG_PREFIX, &c->p), rc);
		assert_int_equal(cp_msg_end(&b), rc);
		cp_msg_buf_free(&b);
	}
	/* What cp_prefix_parse accepts passes. */
	static const char *const texts[] = {
	    "192.0.2.1",     "10.0.0.0/8", "0.0.0.0/0",	      "::/0",
	    "2001:db8::/32", "fe80::/10",  "::ffff:192.0.2.1"};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		struct cp_prefix p = pfx(texts[i]);
		assert_int_equal(cp_msg_prefix_check(&p, NULL, 0), 0);
	}
}

/* ---- Encoder refusals ---- */

static void test_encoder_refusals(void **state)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_prefix bad = {4, 24, {192, 0, 2, 1}};
	char name64[65];
	char err[ERRLEN];
	(void)state;

	/* Nothing begun. */
	assert_int_equal(cp_msg_put_u32(&b, CP_TAG_GENERATION, 1), -1);
	assert_int_equal(cp_msg_end(&b), -1);
	assert_non_null(strstr(b.why, "no message begun"));
	assert_int_equal(cp_msg_begin(&b, 0, 1), -1);
	assert_int_equal(cp_msg_begin(&b, 0x800d, 1), -1);
	assert_int_equal(cp_msg_end(&b), -1);

	/* Each refusal: -1, the buffer failed with a reason, later puts and end fail too. */
	memset(name64, 'n', 64);
	name64[64] = '\0';
	for (int k = 0; k < 8; k++) {
		int rc = 0;
		const char *why = "";
		assert_int_equal(cp_msg_begin(&b, CP_MSG_GRANT, 1), 0);
		switch (k) {
		case 0:
			rc = cp_msg_put_u32(&b, CP_TAG_FOR_NS, 5), why = "FOR_NS: length 4";
			break;
		case 1:
			rc = cp_msg_put_u64(&b, CP_TAG_FOR_NS, 0), why = "must not be zero";
			break;
		case 2:
			rc = cp_msg_put_prefix(&b, CP_TAG_PREFIX, &bad), why = "host bits";
			break;
		case 3:
			rc = cp_msg_put_str(&b, CP_TAG_NAME, name64), why = "NAME: length 64";
			break;
		case 4:
			rc = cp_msg_put_bytes(&b, CP_TAG_NAME, "a\0b", 3), why = "NUL";
			break;
		case 5:
			rc = cp_msg_put_hs_db(&b, 7, "db", 2), why = "HS_DB: field 7";
			break;
		case 6:
			rc = cp_msg_put_hs_db(&b, 0, "", 0), why = "HS_DB: length 1";
			break;
		case 7:
			rc = cp_msg_put_u64(&b, CP_TAG_GENERATION, 1), why = "GENERATION: length 8";
			break;
		}
		print_message("refusal %d: %s\n", k, b.why);
		assert_int_equal(rc, -1);
		assert_true(b.failed);
		assert_non_null(strstr(b.why, why));
		assert_int_equal(b.len, CP_MSG_HDR_LEN); /* rolled back */
		assert_int_equal(cp_msg_put_u64(&b, CP_TAG_FOR_NS, 5), -1);
		assert_int_equal(cp_msg_end(&b), -1);
	}

	/* Structured encoders report the reason. */
	struct cp_req r = {.type = CP_MSG_GRANT, .u.grant = {.pfx = bad, .for_ns = 1}};
	assert_int_equal(cp_req_encode(&b, 1, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "GRANT: PREFIX: prefix has host bits"));
	r = (struct cp_req){.type = CP_MSG_UPLINK};
	assert_int_equal(cp_req_encode(&b, 1, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NAME: length 0"));
	r = (struct cp_req){.type = CP_MSG_GRANT | CP_MSG_REPLY};
	assert_int_equal(cp_req_encode(&b, 1, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a request"));
	r = (struct cp_req){.type = CP_MSG_GRANTS_SET, .u.grants_set = {.n = 2}};
	assert_int_equal(cp_req_encode(&b, 1, &r, err, sizeof(err)), -1);
	assert_int_equal(cp_msg_end(&b), -1);
	struct cp_reply rep = {.type = CP_MSG_ERROR};
	assert_int_equal(cp_reply_encode(&b, 1, &rep, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing MESSAGE"));
	rep = (struct cp_reply){.type = CP_MSG_GRANT};
	assert_int_equal(cp_reply_encode(&b, 1, &rep, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a reply"));
	/* A new begin clears the failure. */
	assert_int_equal(cp_msg_begin(&b, CP_MSG_HELLO, 2), 0);
	assert_int_equal(cp_msg_end(&b), 0);
	cp_msg_buf_free(&b);
}

/* ---- Size limits ---- */

static void test_oversize(void **state)
{
	const size_t max_val = CP_MSG_MAX_PAYLOAD - CP_MSG_TLV_HDR_LEN;
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	uint8_t *big = malloc(CP_MSG_MAX_PAYLOAD + 1);
	struct cp_msg m;
	struct cp_req r;
	char err[ERRLEN];
	(void)state;

	assert_non_null(big);
	memset(big, 'p', CP_MSG_MAX_PAYLOAD + 1);

	/* One byte too many for the payload. */
	assert_int_equal(cp_msg_begin(&b, CP_MSG_INSTALL_POLICY, 1), 0);
	assert_int_equal(cp_msg_put_bytes(&b, CP_TAG_POLICY_TEXT, big, max_val + 1), -1);
	assert_non_null(strstr(b.why, "exceed"));
	assert_int_equal(cp_msg_end(&b), -1);
	/* Unknown tags are bounded by the payload too. */
	assert_int_equal(cp_msg_begin(&b, CP_MSG_HELLO, 1), 0);
	assert_int_equal(cp_msg_put_bytes(&b, 0x7777, big, CP_MSG_MAX_PAYLOAD + 1), -1);

	/* Exactly full: accepted, parsed, decoded; then not one more TLV fits. */
	assert_int_equal(cp_msg_begin(&b, CP_MSG_INSTALL_POLICY, 1), 0);
	assert_int_equal(cp_msg_put_bytes(&b, CP_TAG_POLICY_TEXT, big, max_val), 0);
	assert_int_equal(cp_msg_end(&b), 0);
	assert_int_equal(b.len, CP_MSG_HDR_LEN + CP_MSG_MAX_PAYLOAD);
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_req_decode(&m, &r, err, sizeof(err)), 0);
	assert_int_equal(r.u.install.text_len, max_val);
	assert_int_equal(cp_msg_put_bytes(&b, 0x7777, NULL, 0), -1);
	assert_int_equal(cp_msg_end(&b), -1);

	/* Several TLVs adding up past the limit: the last one is refused. */
	assert_int_equal(cp_msg_begin(&b, CP_MSG_STATUS | CP_MSG_REPLY, 1), 0);
	size_t total = 0;
	int rc = 0;
	while ((rc = cp_msg_put_bytes(&b, 0x7777, big, 10u << 20)) == 0)
		total += CP_MSG_TLV_HDR_LEN + (10u << 20);
	assert_int_equal(total, 6 * (CP_MSG_TLV_HDR_LEN + (10u << 20)));
	assert_int_equal(b.len, CP_MSG_HDR_LEN + total);

	/* Per-tag bounds. */
	assert_int_equal(cp_msg_begin(&b, CP_MSG_STATUS | CP_MSG_REPLY, 1), 0);
	assert_int_equal(cp_msg_put_bytes(&b, CP_TAG_JSON, big, CP_MSG_JSON_MAX + 1), -1);
	assert_int_equal(cp_msg_begin(&b, CP_MSG_STATUS | CP_MSG_REPLY, 1), 0);
	assert_int_equal(cp_msg_put_bytes(&b, CP_TAG_JSON, big, CP_MSG_JSON_MAX), 0);
	assert_int_equal(cp_msg_put_bytes(&b, CP_TAG_MESSAGE, big, CP_MSG_MESSAGE_MAX + 1), -1);
	assert_int_equal(cp_msg_begin(&b, CP_MSG_ERROR, 1), 0);
	assert_int_equal(cp_msg_put_bytes(&b, CP_TAG_MESSAGE, big, CP_MSG_MESSAGE_MAX), 0);
	assert_int_equal(cp_msg_end(&b), 0);

	/* The buffer never grows past one maximal message. */
	assert_int_equal(cp_msg_buf_reserve(&b, CP_MSG_HDR_LEN + CP_MSG_MAX_PAYLOAD + 1), -1);
	assert_true(b.cap <= CP_MSG_HDR_LEN + CP_MSG_MAX_PAYLOAD);
	free(big);
	cp_msg_buf_free(&b);
}

/* ---- Unknown tags are skipped ---- */

static void build_grant_with_unknowns(struct raw *r, bool unknowns)
{
	static const uint8_t junk[300] = {1, 2, 3};
	if (unknowns)
		raw_tlv(r, 0, "", 0);
	raw_tlv(r, CP_TAG_PREFIX, P6_32, 18);
	if (unknowns) {
		raw_tlv(r, CP_TAG_LAST + 1, junk, 17);
		raw_tlv(r, CP_TAG_NAME, "unused", 6); /* known, valid, not used by GRANT */
	}
	raw_u64(r, CP_TAG_FOR_NS, 99);
	if (unknowns)
		raw_tlv(r, 0xffff, junk, sizeof(junk));
	raw_u64(r, CP_TAG_RENEW_NS, 7);
	if (unknowns)
		raw_tlv(r, 0x7777, junk, 1);
}

static void test_unknown_tags_skipped(void **state)
{
	struct cp_req plain, skip;
	(void)state;

	for (int u = 0; u < 2; u++) {
		struct raw payload = {.n = 0}, msg;
		struct cp_msg m;
		char err[ERRLEN] = "";
		struct cp_req *r = u ? &skip : &plain;

		build_grant_with_unknowns(&payload, u);
		raw_msg(&msg, CP_MSG_GRANT, 3, &payload);
		if (cp_msg_parse(msg.b, msg.n, &m, err, sizeof(err)) != 0)
			fail_msg("parse: %s", err);
		if (cp_req_decode(&m, r, err, sizeof(err)) != 0)
			fail_msg("decode: %s", err);
	}
	assert_req_equal(&plain, &skip);
	assert_true(skip.u.grant.for_ns == 99);
	assert_true(skip.u.grant.has_renew && skip.u.grant.renew_ns == 7);
	assert_false(skip.u.grant.has_now);

	/* The iterator shows unknown tags to whoever wants them. */
	struct raw payload = {.n = 0}, msg;
	struct cp_msg m;
	struct cp_tlv t;
	struct cp_tlv_iter it;
	char err[ERRLEN];
	unsigned n = 0;
	build_grant_with_unknowns(&payload, true);
	raw_msg(&msg, CP_MSG_HELLO, 3, &payload);
	assert_int_equal(cp_msg_parse(msg.b, msg.n, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_req_empty_decode(&m, err, sizeof(err)), 0);
	cp_tlv_iter_init(&it, &m);
	while (cp_tlv_next(&it, &t, err, sizeof(err)) == 1)
		n++;
	assert_int_equal(n, 8);
	assert_int_equal(it.off, m.len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_golden_bytes),
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_decoder_type_mismatch),
	    cmocka_unit_test(test_reply_round_trip),
	    cmocka_unit_test(test_reply_error_helper),
	    cmocka_unit_test(test_header_table),
	    cmocka_unit_test(test_partial_bad_magic),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_stream_of_two),
	    cmocka_unit_test(test_bad_payloads),
	    cmocka_unit_test(test_getters),
	    cmocka_unit_test(test_prefix_check),
	    cmocka_unit_test(test_encoder_refusals),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_unknown_tags_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
