/* The per-worker flow table: bidirectional 5-tuple + VLANs -> cached decision. No sharing, no
 * locks. A bucketed hash of our own (two candidate buckets of 8 signatures per key, the key kept
 * in the flow record) so that a burst's lookups are three prefetched passes, and so that a full
 * table can make room the way conntrack's early drop does: a new flow replaces the oldest flow of
 * its two buckets that has not completed a handshake. Idle flows expire after the policy's
 * flow_timeout and are swept a few slots per burst. */
#ifndef CP_FLOW_H
#define CP_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"

/* Canonical key: side a is the lower (address, port); both directions give the same key. */
struct cp_flow_key {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint16_t vlan[2];
	uint8_t proto, family; /* family 0: a free flow record */
	uint8_t pad[6];
} __attribute__((aligned(8)));

_Static_assert(sizeof(struct cp_flow_key) == 48, "the key is hashed and compared as 6 words");

/* What a packet gets, and what a flow caches of its classification. */
struct cp_decision {
	uint32_t grant_slot; /* slot of the grant the decision rests on, or CP_NO_SLOT */
	uint16_t rule;	     /* deciding rule, CP_NO_RULE for none */
	uint8_t verdict;     /* enum cp_verdict */
	uint8_t reason;	     /* enum cp_reason */
	uint8_t category;    /* the deciding rule's matched category, CP_NO_CAT */
	uint8_t pad[3];
};

_Static_assert(sizeof(struct cp_decision) == 12, "copied whole on every cache hit");

/* A packet's direction in its flow, computed once after the lookup. */
enum cp_dir { CP_DIR_ORIG = 0, CP_DIR_REPLY = 1 };

struct cp_flow {
	/* Line 0: what the lookup and a cache hit read. */
	struct cp_flow_key key;
	uint64_t last_ns; /* last packet */
	uint32_t gen;	  /* policy generation of the decision */
	uint32_t epoch;	  /* grant epoch of the decision */
	/* Line 1: the decision and the inspection state. */
	struct cp_decision d;
	uint8_t init_a;	    /* the initiator is the key's side a */
	uint8_t rejected;   /* the reject was sent: later packets drop */
	uint8_t insp_state; /* enum cp_insp_state */
	uint8_t tcp_seen;   /* TCP: CP_SEEN_SYN << dir (isn known), CP_SEEN_FIN << dir */
	uint8_t state;	    /* CP_FS_* */
	uint8_t pad[3];
	uint64_t cats;	  /* categories matched (indexes of policy generation gen) */
	uint64_t pending; /* categories that would change the decision */
	uint32_t insp;	  /* inspection context, CP_NO_INSP */
	union {
		uint32_t isn[2];   /* TCP: SYN sequence numbers, [CP_DIR_ORIG] the initiator's */
		uint32_t useen[2]; /* UDP: payload bytes inspected per direction */
	};
	uint8_t pad2[12];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct cp_flow) == 128, "a flow record is two cache lines");

#define CP_SEEN_SYN 0x1
#define CP_SEEN_FIN 0x4

/* Flow states that decide what a full table gives up first. */
#define CP_FS_REPLIED	  0x1 /* the responder has sent a packet */
#define CP_FS_ESTABLISHED 0x2 /* TCP: the initiator spoke after the reply; else: a reply */

/* Inspection: idle (no category could change the decision), under way, or over for good. */
enum cp_insp_state { CP_FI_IDLE = 0, CP_FI_ACTIVE = 1, CP_FI_OVER = 2 };

#define CP_NO_RULE UINT16_MAX

static inline uint32_t cp_be32(const uint8_t *a)
{
	uint32_t v;
	memcpy(&v, a, sizeof(v)); /* one load and a byte swap */
	return __builtin_bswap32(v);
}

/* Keys are compared and hashed as words. */
typedef uint64_t __attribute__((may_alias)) cp_word;

/* Build the canonical key; *from_a tells whether the packet's sender is side a. */
static inline void cp_flow_key_make(const struct cp_pkt *p, struct cp_flow_key *k, bool *from_a)
{
	bool sa;
	memset(k, 0, sizeof(*k)); /* padding included: keys are hashed and compared whole */
	if (p->l3 == CP_L3_IPV4) {
		uint32_t s = cp_be32(p->src), d = cp_be32(p->dst);
		sa = s < d || (s == d && p->sport <= p->dport);
		memcpy(k->a, sa ? p->src : p->dst, 4);
		memcpy(k->b, sa ? p->dst : p->src, 4);
	} else {
		int c = memcmp(p->src, p->dst, 16);
		sa = c < 0 || (c == 0 && p->sport <= p->dport);
		memcpy(k->a, sa ? p->src : p->dst, 16);
		memcpy(k->b, sa ? p->dst : p->src, 16);
	}
	k->pa = sa ? p->sport : p->dport;
	k->pb = sa ? p->dport : p->sport;
	k->vlan[0] = p->vlan[0];
	k->vlan[1] = p->vlan[1];
	k->proto = p->proto;
	k->family = p->l3;
	*from_a = sa;
}

static inline bool cp_flow_key_eq(const struct cp_flow_key *x, const struct cp_flow_key *y)
{
	const cp_word *a = (const cp_word *)x, *b = (const cp_word *)y;
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
		(a[5] ^ b[5])) == 0;
}

#define CP_FLOW_WAYS 8

/* Eight signatures and the flow indexes they stand for: one cache line. */
struct cp_flow_bucket {
	uint32_t sig[CP_FLOW_WAYS]; /* 0: an empty way */
	uint32_t idx[CP_FLOW_WAYS];
} __attribute__((aligned(64)));

struct cp_flow_table {
	struct cp_flow_bucket *bk;
	uint32_t bmask;	       /* buckets - 1 */
	struct cp_flow *flows; /* cap records */
	uint32_t *free_idx;    /* a stack of the free records */
	uint32_t n_free;
	uint32_t cap;
	uint32_t sweep;	     /* next record to sweep */
	uint64_t active;     /* keys in the table */
	uint64_t early_drop; /* flows given up to make room for a new one */
	/* Called for every flow removed by the sweep or by an early drop (may be NULL). */
	void (*on_remove)(struct cp_flow *f, void *arg);
	void *on_remove_arg;
};

/* Create a table for cap flows (name is for the allocations). Returns 0 or -1. */
int cp_flow_table_init(struct cp_flow_table *t, const char *name, uint32_t cap, int socket);
void cp_flow_table_free(struct cp_flow_table *t);

/* Look up n keys at once (n <= 64): pos[i] is the flow index or -1 when absent; hash[i] (when
 * hash is not NULL) the key's hash, for cp_flow_insert_hashed. */
void cp_flow_lookup_bulk(struct cp_flow_table *t, const struct cp_flow_key **keys, unsigned n,
			 int32_t *pos, uint32_t *hash);
uint32_t cp_flow_hash(const struct cp_flow_key *k);
/* Insert; returns the flow index (the existing one if the key is there, *created false) or -1
 * when there is no room. A new record is zeroed but for its key. When the table (or the key's two
 * buckets) is full, the oldest flow of the two buckets not yet established is removed to make
 * room (counted in early_drop); with none, -1. Counts active flows. */
int32_t cp_flow_insert_hashed(struct cp_flow_table *t, const struct cp_flow_key *k, uint32_t h,
			      bool *created);
static inline int32_t cp_flow_insert(struct cp_flow_table *t, const struct cp_flow_key *k)
{
	bool created;
	return cp_flow_insert_hashed(t, k, cp_flow_hash(k), &created);
}
/* Remove the flow at index i (calls on_remove). */
void cp_flow_remove(struct cp_flow_table *t, uint32_t i);
/* Remove up to budget flows idle for more than timeout_ns at now, among the next `scan`
 * records. Returns how many were removed. */
unsigned cp_flow_sweep(struct cp_flow_table *t, uint64_t now, uint64_t timeout_ns, unsigned scan);

#endif
