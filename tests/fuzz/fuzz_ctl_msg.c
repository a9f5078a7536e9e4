/* libFuzzer harness: the control-socket message decoder (common/ctl_msg.c). The input is a byte
 * stream: every complete message in it is parsed, its TLVs read with every typed getter, and its
 * payload decoded as each request type and as a reply. A request or reply that decodes must encode
 * again, and decode to the same encoding (the encoding is canonical). A strict prefix of a complete
 * message must parse as incomplete. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_msg.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define MAX_MSGS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char err[512];

static void getters(const struct cp_msg *m)
{
	struct cp_tlv_iter it;
	struct cp_tlv t;
	char s[CP_MSG_NAME_MAX + 1];
	uint32_t v32, n;
	uint64_t v64;
	struct cp_prefix pfx;
	struct cp_grant_entry ge;
	uint8_t field;
	const uint8_t *db;

	cp_tlv_iter_init(&it, m);
	while (cp_tlv_next(&it, &t, err, sizeof(err)) == 1) {
		CHECK(t.val >= m->payload && t.val + t.len <= m->payload + m->len);
		(void)cp_tag_name(t.tag);
		(void)cp_tlv_u32(&t, &v32, err, sizeof(err));
		(void)cp_tlv_u64(&t, &v64, err, sizeof(err));
		if (cp_tlv_prefix(&t, &pfx, err, sizeof(err)) == 0)
			CHECK(cp_msg_prefix_check(&pfx, err, sizeof(err)) == 0);
		if (cp_tlv_str(&t, s, sizeof(s), err, sizeof(err)) == 0)
			CHECK(strlen(s) == t.len);
		if (cp_tlv_hs_db(&t, &field, &db, &n, err, sizeof(err)) == 0)
			CHECK(field < CP_MSG_HS_FIELDS && n >= 1 && db + n <= t.val + t.len);
		(void)cp_tlv_grant_entry(&t, &ge, err, sizeof(err));
	}
}

/* Every per-type decoder on the message's payload, whatever its type says. */
static void typed_decoders(const struct cp_msg *m0)
{
	static const uint16_t types[] = {CP_MSG_HELLO,	 CP_MSG_INSTALL_POLICY, CP_MSG_GRANT,
					 CP_MSG_RENEW,	 CP_MSG_REVOKE,		CP_MSG_SHUTOFF,
					 CP_MSG_RESTORE, CP_MSG_UPLINK,		CP_MSG_COUNTERS,
					 CP_MSG_STATUS,	 CP_MSG_GRANTS_SET};
	struct cp_msg m = *m0;
	struct cp_req_install_policy *inst = malloc(sizeof(*inst));
	struct cp_req_grant g;
	struct cp_req_prefix p;
	struct cp_req_uplink u;
	struct cp_req_grants_set gs;

	CHECK(inst != NULL);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		m.type = types[i];
		(void)cp_req_install_decode(&m, inst, err, sizeof(err));
		(void)cp_req_grant_decode(&m, &g, err, sizeof(err));
		(void)cp_req_prefix_decode(&m, &p, err, sizeof(err));
		if (cp_req_uplink_decode(&m, &u, err, sizeof(err)) == 0)
			CHECK(strlen(u.name) >= 1 && strlen(u.name) <= CP_MSG_NAME_MAX);
		memset(&gs, 0, sizeof(gs));
		if (cp_req_grants_set_decode(&m, &gs, err, sizeof(err)) == 0)
			CHECK((gs.n == 0) == (gs.e == NULL));
		free(gs.e);
		(void)cp_req_empty_decode(&m, err, sizeof(err));
	}
	free(inst);
}

/* decode -> encode -> decode -> encode: the two encodings must be equal. */
static void req_roundtrip(const struct cp_msg *m)
{
	struct cp_req *r1 = calloc(1, sizeof(*r1)), *r2 = calloc(1, sizeof(*r2));
	struct cp_msg_buf b1 = CP_MSG_BUF_INIT, b2 = CP_MSG_BUF_INIT;
	struct cp_msg v;

	CHECK(r1 != NULL && r2 != NULL);
	if (cp_req_decode(m, r1, err, sizeof(err)) == 0) {
		CHECK(r1->type == m->type && r1->seq == m->seq);
		CHECK(cp_req_encode(&b1, m->seq, r1, err, sizeof(err)) == 0);
		CHECK(cp_msg_view(&b1, &v, err, sizeof(err)) == 0);
		CHECK(cp_req_decode(&v, r2, err, sizeof(err)) == 0);
		CHECK(cp_req_encode(&b2, m->seq, r2, err, sizeof(err)) == 0);
		CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
		cp_req_free(r2);
		cp_req_free(r1);
	}
	cp_msg_buf_free(&b1);
	cp_msg_buf_free(&b2);
	free(r1);
	free(r2);
}

static void reply_roundtrip(const struct cp_msg *m)
{
	struct cp_reply r1, r2;
	struct cp_msg_buf b1 = CP_MSG_BUF_INIT, b2 = CP_MSG_BUF_INIT;
	struct cp_msg v;

	if (cp_reply_decode(m, &r1, err, sizeof(err)) == 0) {
		CHECK(r1.type == m->type);
		CHECK(r1.type != CP_MSG_ERROR || r1.message != NULL);
		CHECK(cp_reply_encode(&b1, m->seq, &r1, err, sizeof(err)) == 0);
		CHECK(cp_msg_view(&b1, &v, err, sizeof(err)) == 0);
		CHECK(cp_reply_decode(&v, &r2, err, sizeof(err)) == 0);
		CHECK(cp_reply_encode(&b2, m->seq, &r2, err, sizeof(err)) == 0);
		CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
	}
	cp_msg_buf_free(&b1);
	cp_msg_buf_free(&b2);
}

/* The first n bytes of a complete message, in a buffer of exactly that size. */
static void prefix_incomplete(const uint8_t *data, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	struct cp_msg m;

	CHECK(c != NULL);
	memcpy(c, data, n);
	CHECK(cp_msg_parse(c, n, &m, err, sizeof(err)) == 1);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	struct cp_msg_hdr h;

	if (size >= CP_MSG_HDR_LEN)
		(void)cp_msg_hdr_parse(data, &h, err, sizeof(err));
	for (int i = 0; i < MAX_MSGS && off < size; i++) {
		struct cp_msg m;
		int rc = cp_msg_parse(data + off, size - off, &m, err, sizeof(err));

		CHECK(rc >= -1 && rc <= 1);
		if (rc != 0)
			break;
		CHECK(m.total == CP_MSG_HDR_LEN + (size_t)m.len && m.total <= size - off);
		CHECK(cp_msg_type_known(m.type));
		(void)cp_msg_type_name(m.type);
		getters(&m);
		typed_decoders(&m);
		req_roundtrip(&m);
		reply_roundtrip(&m);
		prefix_incomplete(data + off, m.total - 1);
		prefix_incomplete(data + off, m.total / 2);
		off += m.total;
	}
	return 0;
}
