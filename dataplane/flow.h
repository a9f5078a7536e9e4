/* The per-worker flow table: bidirectional 5-tuple + VLANs -> cached decision. One rte_hash per
 * worker (no sharing, no locks); idle flows expire after the policy's flow_timeout and are swept a
 * few slots per burst. */
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
	uint8_t proto, family;
	uint8_t pad[6];
} __attribute__((aligned(8)));

struct cp_flow {
	uint64_t last_ns;    /* last packet */
	uint32_t gen;	     /* policy generation of the decision */
	uint32_t epoch;	     /* grant epoch of the decision */
	uint32_t grant_slot; /* slot of the grant the decision rests on, or CP_NO_SLOT */
	uint16_t rule;	     /* deciding rule, CP_NO_RULE for none */
	uint8_t verdict;     /* enum cp_verdict */
	uint8_t reason;	     /* enum cp_reason */
	uint8_t init_a;	     /* the initiator is the key's side a */
	uint8_t rejected;    /* the reject was sent: later packets drop */
	uint8_t category;    /* the deciding rule's matched category, CP_NO_CAT */
	uint8_t insp_state;  /* enum cp_insp_state */
	uint64_t cats;	     /* categories matched (indexes of policy generation gen) */
	uint64_t pending;    /* categories that would change the decision */
	uint32_t insp;	     /* inspection context, CP_NO_INSP */
	union {
		uint32_t isn[2];   /* TCP: SYN sequence numbers, [0] the initiator's */
		uint32_t useen[2]; /* UDP: payload bytes inspected per direction */
	};
	uint8_t tcp_seen; /* TCP: CP_SEEN_SYN << dir (isn known), CP_SEEN_FIN << dir */
	uint8_t pad[3];
};

#define CP_SEEN_SYN 0x1
#define CP_SEEN_FIN 0x4

/* Inspection: idle (no category could change the decision), under way, or over for good. */
enum cp_insp_state { CP_FI_IDLE = 0, CP_FI_ACTIVE = 1, CP_FI_OVER = 2 };

#define CP_NO_RULE UINT16_MAX

/* Build the canonical key; *from_a tells whether the packet's sender is side a. */
static inline void cp_flow_key_make(const struct cp_pkt *p, struct cp_flow_key *k, bool *from_a)
{
	unsigned alen = p->l3 == CP_L3_IPV4 ? 4 : 16;
	int c = memcmp(p->src, p->dst, alen);
	bool sa = c < 0 || (c == 0 && p->sport <= p->dport);
	memset(k, 0, sizeof(*k));
	memcpy(k->a, sa ? p->src : p->dst, alen);
	memcpy(k->b, sa ? p->dst : p->src, alen);
	k->pa = sa ? p->sport : p->dport;
	k->pb = sa ? p->dport : p->sport;
	k->vlan[0] = p->vlan[0];
	k->vlan[1] = p->vlan[1];
	k->proto = p->proto;
	k->family = p->l3;
	*from_a = sa;
}

struct rte_hash;

struct cp_flow_table {
	struct rte_hash *h;
	struct cp_flow *flows; /* indexed by the hash's key position */
	uint32_t cap;
	uint32_t sweep;	 /* next position to sweep */
	uint64_t active; /* keys in the table */
	/* Called for every flow the sweep removes (may be NULL). */
	void (*on_remove)(struct cp_flow *f, void *arg);
	void *on_remove_arg;
};

/* Create a table for cap flows (name must be unique in the process). Returns 0 or -1. */
int cp_flow_table_init(struct cp_flow_table *t, const char *name, uint32_t cap, int socket);
void cp_flow_table_free(struct cp_flow_table *t);

/* Look up n keys at once; pos[i] is the flow index or negative when absent. */
void cp_flow_lookup_bulk(struct cp_flow_table *t, const struct cp_flow_key **keys, unsigned n,
			 int32_t *pos);
/* Insert; returns the flow index (the existing one if the key is there) or -1 when the table is
 * full. The caller counts active flows. */
int32_t cp_flow_insert(struct cp_flow_table *t, const struct cp_flow_key *k);
/* Remove up to budget flows idle for more than timeout_ns at now, among the next `scan`
 * positions. Returns how many were removed. */
unsigned cp_flow_sweep(struct cp_flow_table *t, uint64_t now, uint64_t timeout_ns, unsigned scan);

#endif
