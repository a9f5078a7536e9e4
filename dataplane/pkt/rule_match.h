/* First match over per-field candidate bitmaps. Every field of a rule but the addresses (which the
 * address classes already give as bitmaps) gets one too: the protocol, and the initiator's and the
 * responder's port, each cut into classes of values that no rule tells apart. The candidates of a
 * flow are the AND of five bitmaps; what is left to check rule by rule is only what changes per
 * flow and per moment (grants, categories). Built once per policy, off the hot path.
 *
 * Why not rte_acl: it returns the best rule per category, while chokepoint needs the first rule
 * whose grant is live and whose categories have matched, both known only at lookup time, so the
 * ACL result would still be walked rule by rule. Bitmaps keep every candidate at once. */
#ifndef CP_RULE_MATCH_H
#define CP_RULE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* A port field: class i covers ports [lo[i], lo[i + 1]) (the last one up to 65535). A field
 * whose bitmaps would take more than CP_RULE_MATCH_MAX_BYTES is not indexed (one class, every
 * rule a candidate, exact false): its ports are then checked rule by rule. */
#define CP_RULE_MATCH_MAX_BYTES (64u << 20)

struct cp_port_classes {
	uint32_t n;
	bool exact;
	uint16_t *cls; /* port -> class: one load, no search (128 KiB) */
	uint16_t *lo;
	uint64_t *bits; /* n * nwords: bit r set when rule r's list allows the class */
};

struct cp_rule_match {
	unsigned nwords;
	uint8_t proto_cls[256]; /* protocol -> class */
	uint64_t *proto_bits;	/* classes * nwords */
	struct cp_port_classes sport, dport;
};

/* Build over rules[0..n) (nwords = ceil(n / 64)). Returns 0, or -1 out of memory. */
int cp_rule_match_build(struct cp_rule_match *rm, const struct cp_rule *rules, unsigned n,
			unsigned nwords);
void cp_rule_match_free(struct cp_rule_match *rm);
/* Bytes the tables take. */
size_t cp_rule_match_bytes(const struct cp_rule_match *rm);

static inline const uint64_t *cp_port_class_bits(const struct cp_port_classes *pc, unsigned nwords,
						 uint16_t port)
{
	return pc->bits + (size_t)pc->cls[port] * nwords;
}

/* The three bitmaps of a flow's protocol, initiator port and responder port. */
struct cp_rule_cand {
	const uint64_t *proto, *sport, *dport;
};

static inline struct cp_rule_cand cp_rule_match_cand(const struct cp_rule_match *rm, uint8_t proto,
						     uint16_t ip, uint16_t rp)
{
	return (struct cp_rule_cand){
	    rm->proto_bits + (size_t)rm->proto_cls[proto] * rm->nwords,
	    cp_port_class_bits(&rm->sport, rm->nwords, ip),
	    cp_port_class_bits(&rm->dport, rm->nwords, rp),
	};
}

#endif
