/* Counters (SPEC §7): kept per worker in its own cache lines, summed on read by the main lcore.
 * Scalar counters are one X-macro list: X(field, exported name, help). */
#ifndef CP_COUNTERS_H
#define CP_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

#include "reasons.h"

enum cp_verdict { CP_V_PASS = 0, CP_V_DROP = 1, CP_V_REJECT = 2, CP_V_MAX };

#define CP_MAX_PORTS 8

#define CP_SCALAR_COUNTERS(X)                                                                      \
	X(flows_created, "flows_created_total", "Flows created")                                   \
	X(flows_evicted, "flows_evicted_total", "Flows removed after their idle timeout")          \
	X(flows_early_dropped, "flows_early_dropped_total",                                        \
	  "Flows not yet established given up to make room for a new flow in a full table")        \
	X(flows_untracked, "flows_untracked_total",                                                \
	  "Packets decided without a flow entry because the flow table was full")                  \
	X(flows_reevaluated, "flows_reevaluated_total",                                            \
	  "Flow decisions taken again after a policy or grant change")                             \
	X(injected, "injected_total", "RST and ICMP frames generated for rejects")                 \
	X(inject_failed, "inject_failed_total", "Rejects whose frames could not be generated")     \
	X(payload_retransmits, "payload_retransmits_total",                                        \
	  "TCP segments under inspection that repeated bytes already inspected")                   \
	X(payload_overlaps, "payload_overlaps_total",                                              \
	  "TCP segments under inspection that partly repeated bytes already inspected")

struct cp_wcounters {
	uint64_t verdict_pkts[CP_V_MAX], verdict_bytes[CP_V_MAX];
	uint64_t reason[CP_R_MAX];
	uint64_t port_rx_pkts[CP_MAX_PORTS], port_rx_bytes[CP_MAX_PORTS];
	uint64_t port_tx_pkts[CP_MAX_PORTS], port_tx_bytes[CP_MAX_PORTS];
#define CP_COUNTER_FIELD(f, name, help) uint64_t f;
	CP_SCALAR_COUNTERS(CP_COUNTER_FIELD)
#undef CP_COUNTER_FIELD
	uint64_t extract[3][3];		    /* [sni, host, dns][parsed, malformed, truncated] */
	uint64_t busy_cycles, total_cycles; /* loop iterations with and without packets */
	uint64_t work_cycles;		    /* inside cp_worker_burst: the per-packet work */
} __attribute__((aligned(64)));

const char *cp_verdict_name(enum cp_verdict v);

/* s += w */
void cp_wcounters_add(struct cp_wcounters *s, const struct cp_wcounters *w);

#endif
