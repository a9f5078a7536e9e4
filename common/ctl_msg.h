/* The control-socket wire protocol spoken by chokectl (CLI and serve) and the chokepoint
 * dataplane: message framing, TLV encoding and decoding, and a structured decode of every
 * request and reply. Pure code: no I/O (common/ctl_sock.h moves the bytes).
 *
 * Wire format (all integers big-endian)
 * -------------------------------------
 * A message is a 16-byte header followed by `length` bytes of payload:
 *
 *   offset 0   u32 magic    0x43504b31 ("CPK1")
 *   offset 4   u16 version  1
 *   offset 6   u16 type     see enum cp_msg_type
 *   offset 8   u32 length   payload bytes, 0 .. CP_MSG_MAX_PAYLOAD (64 MiB)
 *   offset 12  u32 seq      chosen by the requester, echoed unchanged in the reply
 *
 * A header with another magic, another version, a type not in enum cp_msg_type, or a length above
 * CP_MSG_MAX_PAYLOAD is refused before any payload is read; the stream is then out of step and the
 * connection must be closed (the receiver may first send an ERROR echoing the header's seq).
 *
 * The payload is a sequence of TLVs that fill it exactly:
 *
 *   u16 tag, u32 len, len bytes of value
 *
 * A TLV running past the end of the payload, or 1..5 trailing bytes that cannot hold a TLV header,
 * make the message malformed. Readers skip tags they do not know (forward compatibility), but a
 * known tag whose length or content is wrong makes the message malformed, wherever it appears. A
 * known tag that a message type does not use is checked and ignored. HS_DB and GRANT_ENTRY may
 * repeat; any other tag given twice in one message is an error (which one would win?).
 *
 * Requests (type) and their tags ("?" optional, "*" zero or more):
 *   HELLO 1            -  (the dataplane replies with its status JSON)
 *   INSTALL_POLICY 2   POLICY_TEXT, POLICY_PATH?, HS_DB* (at most one per field)
 *   GRANT 3            PREFIX, FOR_NS, RENEW_NS?, NOW_NS?
 *   RENEW 4            PREFIX
 *   REVOKE 5           PREFIX
 *   SHUTOFF 6          -
 *   RESTORE 7          -
 *   UPLINK 8           NAME (a port name, or "auto")
 *   COUNTERS 9         -  (the reply carries JSON)
 *   STATUS 10          -  (the reply carries JSON)
 *   GRANTS_SET 11      GRANT_ENTRY*, NOW_NS?  (the whole grant list, replacing the receiver's)
 *   TRACE 12           RULE?, VERDICT?, REASON?  (open or keep open a trace with that filter;
 *                      the reply's JSON carries the decisions sampled since the last one)
 * Replies: type = request type | 0x8000 on success, with JSON?, GENERATION?, MESSAGE?;
 *   ERROR 0xFFFF with MESSAGE (required).
 *
 * Tags and their values:
 *   PREFIX 1        18 bytes: family u8 (4 or 6), len u8 (<= 32 or <= 128), 16 address bytes.
 *                   IPv4 uses bytes 0..3, the other 12 must be zero; host bits must be clear.
 *   FOR_NS 2        u64, > 0: the grant lasts this long.
 *   RENEW_NS 3      u64, > 0: the grant ends unless renewed within this long.
 *   NOW_NS 4        u64: the sender's clock when it sent the message, so that a receiver can
 *                   translate the sender's times onto its own clock.
 *   POLICY_TEXT 5   the policy file's text: 1 .. CP_MSG_MAX_PAYLOAD - 6 bytes, no NUL (it is
 *                   fed to a C-string parser).
 *   POLICY_PATH 6   the policy's file name (for messages): 1 .. CP_MSG_PATH_MAX bytes, no NUL.
 *   HS_DB 7         u8 field (0 sni, 1 host, 2 dns, 3 payload: enum cp_field in policy.h),
 *                   then a serialized Hyperscan database (hs_serialize_database), >= 1 byte.
 *   NAME 8          1 .. CP_MSG_NAME_MAX bytes, no NUL.
 *   MESSAGE 9       0 .. CP_MSG_MESSAGE_MAX bytes, no NUL (may hold several lines).
 *   JSON 10         0 .. CP_MSG_JSON_MAX bytes, no NUL.
 *   GENERATION 11   u32: the policy generation the receiver runs.
 *   GRANT_ENTRY 12  42 bytes: PREFIX's 18 bytes, then end_ns, renew_ns (0: none), last_ns, u64s.
 *   RULE 13, VERDICT 14, REASON 15
 *                   1 .. CP_MSG_NAME_MAX bytes, no NUL: a rule's name, a verdict ("pass"), a
 *                   reason ("default-deny", or "malformed" for every malformed-* reason).
 * Strings carry no terminating NUL and are not checked for UTF-8. Times are nanoseconds.
 *
 * Errors are reported as one line into a caller buffer (char *err, size_t errlen); err may be NULL
 * when errlen is 0. Nothing here reads outside the bytes it is given. */
#ifndef CP_CTL_MSG_H
#define CP_CTL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "catalog.h"

#define CP_MSG_MAGIC	   0x43504b31u
#define CP_MSG_VERSION	   1
#define CP_MSG_HDR_LEN	   16
#define CP_MSG_TLV_HDR_LEN 6
#define CP_MSG_MAX_PAYLOAD (64u << 20)
#define CP_MSG_PATH_MAX	   4096u       /* POLICY_PATH bytes */
#define CP_MSG_NAME_MAX	   63u	       /* NAME bytes (fits a 64-byte buffer with its NUL) */
#define CP_MSG_MESSAGE_MAX 65536u      /* MESSAGE bytes */
#define CP_MSG_JSON_MAX	   (16u << 20) /* JSON bytes */
#define CP_MSG_HS_FIELDS   7	       /* HS_DB slots 0..6, = CP_DB_MAX (hs_patterns.h) */
#define CP_MSG_PREFIX_LEN  18
#define CP_MSG_GRANT_LEN   (CP_MSG_PREFIX_LEN + 3 * 8)

#define CP_MSG_TLV_VAL_MAX (CP_MSG_MAX_PAYLOAD - CP_MSG_TLV_HDR_LEN)

/* Types and tags: their lists are in catalog.h. */
enum cp_msg_type {
#define CP_MSG_TYPE_ENUM(id, n) CP_MSG_##id = n,
	CP_MSG_TYPES(CP_MSG_TYPE_ENUM)
#undef CP_MSG_TYPE_ENUM
	    CP_MSG_REQ_LAST = CP_MSG_TRACE,
	CP_MSG_REPLY = 0x8000, /* flag: ored into a request type for its success reply */
	CP_MSG_ERROR = 0xFFFF,
};

enum cp_tag {
#define CP_TAG_ENUM(id, n, kind, min, max) CP_TAG_##id = n,
	CP_TAGS(CP_TAG_ENUM)
#undef CP_TAG_ENUM
	    CP_TAG_LAST = CP_TAG_REASON,
};

/* True for 1..CP_MSG_REQ_LAST, their replies, and CP_MSG_ERROR. */
bool cp_msg_type_known(uint16_t type);
/* "GRANT", "GRANT reply", "ERROR", or "unknown". */
const char *cp_msg_type_name(uint16_t type);
/* "PREFIX", ..., or "unknown". */
const char *cp_tag_name(uint16_t tag);

/* ---- Encoding ---- */

/* A growable message buffer; zero it (CP_MSG_BUF_INIT) before first use. data[0..len) holds one
 * message (being built, or received by cp_msg_recv). A failed put makes the buffer "failed" until
 * the next cp_msg_begin, with the reason in why: later puts and cp_msg_end fail too, so a caller
 * may check only the end. */
struct cp_msg_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
	char why[160];
};
/* clang-format off */
#define CP_MSG_BUF_INIT {.data = NULL}
/* clang-format on */

void cp_msg_buf_free(struct cp_msg_buf *b);
/* Make room for n bytes in all (n <= CP_MSG_HDR_LEN + CP_MSG_MAX_PAYLOAD). 0 or -1. */
int cp_msg_buf_reserve(struct cp_msg_buf *b, size_t n);

/* Start a message (discarding what the buffer held). 0, or -1 (out of memory, unknown type). */
int cp_msg_begin(struct cp_msg_buf *b, uint16_t type, uint32_t seq);
/* Append one TLV. Known tags are checked as a reader would check them (length, content); the
 * payload may not grow past CP_MSG_MAX_PAYLOAD. 0, or -1 (and the buffer is failed). */
int cp_msg_put_u32(struct cp_msg_buf *b, uint16_t tag, uint32_t v);
int cp_msg_put_u64(struct cp_msg_buf *b, uint16_t tag, uint64_t v);
int cp_msg_put_bytes(struct cp_msg_buf *b, uint16_t tag, const void *p, size_t n);
int cp_msg_put_str(struct cp_msg_buf *b, uint16_t tag, const char *s);
int cp_msg_put_prefix(struct cp_msg_buf *b, uint16_t tag, const struct cp_prefix *p);
int cp_msg_put_hs_db(struct cp_msg_buf *b, uint8_t field, const void *db, size_t n);
struct cp_grant_entry;
int cp_msg_put_grant_entry(struct cp_msg_buf *b, const struct cp_grant_entry *e);
/* Write the payload length into the header. 0, or -1 when a put failed or nothing was begun. */
int cp_msg_end(struct cp_msg_buf *b);

/* ---- Decoding ---- */

struct cp_msg_hdr {
	uint32_t magic;
	uint16_t version, type;
	uint32_t length, seq;
};

/* Read the 16 bytes at p into h (every field, even when refused: h->seq may be echoed in an
 * ERROR), then check magic, version, type and length. 0 or -1. */
int cp_msg_hdr_parse(const uint8_t *p, struct cp_msg_hdr *h, char *err, size_t errlen);

/* A received message: a view into bytes the caller keeps alive. */
struct cp_msg {
	uint16_t type;
	uint32_t seq;
	const uint8_t *payload;
	uint32_t len; /* payload bytes */
	size_t total; /* CP_MSG_HDR_LEN + len: where the next message would start */
};

/* Parse the message at the start of data[0..n): header, then the whole TLV structure (known tags
 * checked). Returns 0 (complete; bytes after m->total are not looked at), 1 (incomplete: a valid
 * prefix of a message so far, more bytes needed), or -1 (malformed, with a message). */
int cp_msg_parse(const uint8_t *data, size_t n, struct cp_msg *m, char *err, size_t errlen);
/* The same on a buffer that must hold exactly one complete message. 0 or -1. */
int cp_msg_view(const struct cp_msg_buf *b, struct cp_msg *m, char *err, size_t errlen);

/* TLV iteration over a message's payload. */
struct cp_tlv {
	uint16_t tag;
	uint32_t len;
	const uint8_t *val;
};
struct cp_tlv_iter {
	const uint8_t *p;
	size_t left;
	size_t off; /* offset of p in the payload, for messages */
};
void cp_tlv_iter_init(struct cp_tlv_iter *it, const struct cp_msg *m);
/* 1: *t holds the next TLV (known tags already checked); 0: end of payload; -1: malformed. */
int cp_tlv_next(struct cp_tlv_iter *it, struct cp_tlv *t, char *err, size_t errlen);

/* Check a TLV's value as a reader must: for a known tag its length and content; unknown tags
 * pass. 0 or -1. */
int cp_tlv_check(uint16_t tag, const uint8_t *val, size_t len, char *err, size_t errlen);
/* Check a prefix: family 4 or 6, length in range, unused bytes and host bits zero. 0 or -1. */
int cp_msg_prefix_check(const struct cp_prefix *p, char *err, size_t errlen);

/* Typed getters: the TLV must have exactly that shape (and pass cp_tlv_check). 0 or -1. */
int cp_tlv_u32(const struct cp_tlv *t, uint32_t *v, char *err, size_t errlen);
int cp_tlv_u64(const struct cp_tlv *t, uint64_t *v, char *err, size_t errlen);
int cp_tlv_prefix(const struct cp_tlv *t, struct cp_prefix *p, char *err, size_t errlen);
/* Copy a string value into dst with its NUL; fails when it does not fit or holds a NUL. */
int cp_tlv_str(const struct cp_tlv *t, char *dst, size_t dstlen, char *err, size_t errlen);
int cp_tlv_hs_db(const struct cp_tlv *t, uint8_t *field, const uint8_t **db, uint32_t *n, char *err,
		 size_t errlen);
int cp_tlv_grant_entry(const struct cp_tlv *t, struct cp_grant_entry *e, char *err, size_t errlen);

/* ---- Requests and replies, structured ---- */

struct cp_req_install_policy {
	const uint8_t *text; /* POLICY_TEXT, not NUL-terminated */
	uint32_t text_len;
	char path[CP_MSG_PATH_MAX + 1]; /* "" when absent */
	struct {
		const uint8_t *data; /* NULL when absent */
		uint32_t len;
	} hs_db[CP_MSG_HS_FIELDS];
};

struct cp_req_grant {
	struct cp_prefix pfx;
	uint64_t for_ns, renew_ns, now_ns;
	bool has_renew, has_now;
};

/* RENEW and REVOKE. */
struct cp_req_prefix {
	struct cp_prefix pfx;
};

struct cp_req_uplink {
	char name[CP_MSG_NAME_MAX + 1];
};

struct cp_grant_entry {
	struct cp_prefix pfx;
	uint64_t end_ns, renew_ns, last_ns;
};

/* TRACE: each filter "" when absent (anything matches). */
struct cp_req_trace {
	char rule[CP_MSG_NAME_MAX + 1], verdict[CP_MSG_NAME_MAX + 1], reason[CP_MSG_NAME_MAX + 1];
};

struct cp_req_grants_set {
	struct cp_grant_entry *e; /* decode: malloc'd (free with cp_req_free), NULL when n is 0 */
	uint32_t n;
	uint64_t now_ns;
	bool has_now;
};

/* Any request. Pointers (policy text, HS databases) point into the message's bytes. */
struct cp_req {
	uint16_t type;
	uint32_t seq;
	union {
		struct cp_req_install_policy install;
		struct cp_req_grant grant;
		struct cp_req_prefix prefix; /* RENEW, REVOKE */
		struct cp_req_uplink uplink;
		struct cp_req_grants_set grants_set;
		struct cp_req_trace trace;
	} u; /* nothing for HELLO, SHUTOFF, RESTORE, COUNTERS, STATUS */
};

/* Decode a request of any type (the message's). Missing required tags, duplicates and bad values
 * are errors. 0, or -1 (nothing to free). */
int cp_req_decode(const struct cp_msg *m, struct cp_req *r, char *err, size_t errlen);
/* Free what a decode allocated (GRANTS_SET entries); safe on a zeroed cp_req. */
void cp_req_free(struct cp_req *r);
/* Build the message for r (r->type; seq given). 0, or -1. */
int cp_req_encode(struct cp_msg_buf *b, uint32_t seq, const struct cp_req *r, char *err,
		  size_t errlen);

/* Decoders for one type: the message must be of that type (RENEW or REVOKE for _prefix; any of
 * HELLO, SHUTOFF, RESTORE, COUNTERS, STATUS for _empty). */
int cp_req_install_decode(const struct cp_msg *m, struct cp_req_install_policy *r, char *err,
			  size_t errlen);
int cp_req_grant_decode(const struct cp_msg *m, struct cp_req_grant *r, char *err, size_t errlen);
int cp_req_prefix_decode(const struct cp_msg *m, struct cp_req_prefix *r, char *err, size_t errlen);
int cp_req_uplink_decode(const struct cp_msg *m, struct cp_req_uplink *r, char *err, size_t errlen);
int cp_req_grants_set_decode(const struct cp_msg *m, struct cp_req_grants_set *r, char *err,
			     size_t errlen);
int cp_req_trace_decode(const struct cp_msg *m, struct cp_req_trace *r, char *err, size_t errlen);
int cp_req_empty_decode(const struct cp_msg *m, char *err, size_t errlen);

/* A reply. Strings point into the message's bytes (not NUL-terminated): print with "%.*s". */
struct cp_reply {
	uint16_t type;	  /* request type | CP_MSG_REPLY, or CP_MSG_ERROR */
	const char *json; /* NULL when absent */
	uint32_t json_len;
	const char *message; /* NULL when absent; always present in an ERROR */
	uint32_t message_len;
	uint32_t generation;
	bool has_generation;
};

/* Decode a success reply or an ERROR. 0 (r->type tells which), or -1. */
int cp_reply_decode(const struct cp_msg *m, struct cp_reply *r, char *err, size_t errlen);
/* Build a reply from r (type, optional fields). 0, or -1. */
int cp_reply_encode(struct cp_msg_buf *b, uint32_t seq, const struct cp_reply *r, char *err,
		    size_t errlen);
/* Build an ERROR reply with a printf-style message (cut to CP_MSG_MESSAGE_MAX, NUL-free). 0/-1. */
int cp_reply_error(struct cp_msg_buf *b, uint32_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
