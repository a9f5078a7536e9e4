/* Counters (SPEC §7): kept per worker in its own cache lines, summed on read by the main lcore.
 * Their names and help are in catalog.h. */
#ifndef CP_COUNTERS_H
#define CP_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

#include "catalog.h"
#include "reasons.h"

enum cp_verdict {
#define CP_VERDICT_ENUM(id, name) CP_V_##id,
	CP_VERDICTS(CP_VERDICT_ENUM)
#undef CP_VERDICT_ENUM
	    CP_V_MAX
};

#define CP_MAX_PORTS 8

/* extract_total outcomes */
enum cp_ext_outcome {
#define CP_XO_ENUM(id, name) CP_XO_##id,
	CP_EXTRACT_OUTCOMES(CP_XO_ENUM)
#undef CP_XO_ENUM
	    CP_XO_MAX
};

struct cp_wcounters {
	uint64_t verdict_pkts[CP_V_MAX], verdict_bytes[CP_V_MAX];
	uint64_t reason[CP_R_MAX];
	uint64_t port_rx_pkts[CP_MAX_PORTS], port_rx_bytes[CP_MAX_PORTS];
	uint64_t port_tx_pkts[CP_MAX_PORTS], port_tx_bytes[CP_MAX_PORTS];
#define CP_COUNTER_FIELD(f, name, help) uint64_t f;
	CP_SCALAR_COUNTERS(CP_COUNTER_FIELD)
#undef CP_COUNTER_FIELD
	uint64_t extract[CP_NAME_FIELDS][CP_XO_MAX]; /* [field][outcome] */
	uint64_t busy_cycles, total_cycles;	     /* loop iterations with and without packets */
	uint64_t work_cycles; /* inside cp_worker_burst: the per-packet work */
} __attribute__((aligned(64)));

const char *cp_verdict_name(enum cp_verdict v);

/* s += w */
void cp_wcounters_add(struct cp_wcounters *s, const struct cp_wcounters *w);

#endif
