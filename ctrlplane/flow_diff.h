/* The flows whose decision changes between two replays of one capture: fed packet by packet (the
 * parsed packet, the old and the new verdict line's verdict and rule), it keeps, per flow, the
 * first packet where the two differ. The engine of `chokectl diff` (diff.c). */
#ifndef CP_FLOW_DIFF_H
#define CP_FLOW_DIFF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"

struct cp_decided {
	char verdict[8]; /* pass, drop, reject */
	char rule[64];	 /* "" for none */
};

/* A flow as it is listed: its initiator (the sender of its first packet) and responder. */
struct cp_diff_change {
	uint64_t n; /* the first packet (1-based) that differs */
	bool has_ends;
	uint8_t l3, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	struct cp_decided old, new;
};

struct cp_flow_diff {
	struct cp_diff_flow *slot; /* open addressing */
	uint64_t cap, used;
	struct cp_diff_change *ch;
	uint64_t n_changes, ch_cap;
	uint64_t flows; /* flows seen (each packet without a 5-tuple counts as one) */
};

void cp_flow_diff_init(struct cp_flow_diff *d);
void cp_flow_diff_free(struct cp_flow_diff *d);
/* Packet n (1-based, in capture order), parsed with rc (CP_R_NONE: p holds its tuple). A flow is
 * changed when the verdict or the deciding rule differs. Returns -1 on out of memory. */
int cp_flow_diff_feed(struct cp_flow_diff *d, uint64_t n, enum cp_reason rc, const struct cp_pkt *p,
		      const struct cp_decided *old, const struct cp_decided *new);
/* The text report: one line per changed flow, then the count by old and new rule. */
void cp_flow_diff_text(const struct cp_flow_diff *d, FILE *out);
/* One JSON object a line per changed flow (SPEC 12), nothing else. */
void cp_flow_diff_json(const struct cp_flow_diff *d, FILE *out);

#endif
