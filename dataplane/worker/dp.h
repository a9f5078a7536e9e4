/* The dataplane's shared context: ports, workers, the published view, the RCU state. Written by
 * the main lcore before workers start, or through the RCU-published view after that. */
#ifndef CP_DP_H
#define CP_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "counters.h"
#include "flow.h"
#include "inspect.h"
#include "trace.h"
#include "view.h"

#define CP_BURST       32
#define CP_MAX_WORKERS 64

/* Fragment reassembly per worker: datagrams in reassembly, fragments held, timeout. */
#define CP_WK_FRAG_DATAGRAMS 256
#define CP_WK_FRAG_HELD	     1024
#define CP_WK_FRAG_HELD_MAX  (CP_WK_FRAG_HELD + 1)
#define CP_WK_FRAG_TIMEOUT   (10ull * 1000000000ull)

enum cp_role { CP_ROLE_INSIDE = 0, CP_ROLE_UPLINK = 1 };

struct cp_port {
	char name[32];
	char device[256];
	uint16_t port_id;
	uint8_t role;  /* enum cp_role */
	uint8_t index; /* position in cp_dp.ports */
};

/* Replay: what a worker tells the collector about each packet (an mbuf dynamic field). */
struct cp_meta {
	uint64_t ts_ns;	   /* capture timestamp */
	uint32_t n;	   /* 1-based input position */
	uint16_t rule;	   /* CP_NO_RULE for none */
	uint8_t verdict;   /* enum cp_verdict */
	uint8_t reason;	   /* enum cp_reason */
	uint8_t inject;	   /* 1: a frame the appliance made for packet n */
	uint8_t in_port;   /* port index the packet entered on */
	uint8_t forwarded; /* 1: the frame left the appliance (monitor mode forwards drops) */
	uint8_t category;  /* the deciding rule's matched category, CP_NO_CAT */
};

struct rte_mbuf;
struct rte_mempool;
struct rte_rcu_qsbr;
struct rte_ring;
struct cp_dp;

/* Worker stages, for cycles per stage (built with -Dstage_cycles=true only). */
enum cp_stage { CP_ST_PARSE, CP_ST_FLOW, CP_ST_CLASSIFY, CP_ST_PAYLOAD, CP_ST_TX, CP_ST_MAX };

struct cp_worker {
	struct cp_flow_table ft;
	struct cp_insp_pool insp;
	struct cp_wcounters c;
	struct cp_dp *dp;
	struct cp_reasm *reasm;	   /* fragments held for reassembly */
	struct rte_mbuf **held;	   /* CP_WK_FRAG_HELD_MAX: a completed datagram's fragments */
	uint64_t stage[CP_ST_MAX]; /* cycles per stage (CP_STAGE_CYCLES builds) */
	uint64_t stage_last;
	unsigned id;
	unsigned loops;
	uint64_t last_now;		 /* latest time seen (virtual in replay) */
	struct cp_trace_w tr;		 /* live: chokectl trace's records */
	struct {			 /* replay only */
		struct rte_ring *record; /* every packet and injected frame goes here */
		uint64_t flushed;	 /* dp->rp.flush_n last honoured */
	} rp;
} __rte_cache_aligned;

struct cp_dp {
	struct cp_view *view; /* RCU-published; read once per burst */
	struct cp_port ports[CP_MAX_PORTS];
	unsigned n_ports;
	uint16_t
	    rx_port_id[CP_MAX_PORTS]; /* what workers poll: the ports live, one ring in replay */
	unsigned n_rx;
	unsigned n_workers;
	struct cp_worker *workers;
	struct rte_rcu_qsbr *qsv;
	struct rte_mempool *pool;
	volatile bool quit;
	bool replay;	   /* virtual time from the rx timestamp; results to worker->rp.record */
	uint32_t insp_ctx; /* flows under inspection at once, per worker (cp_worker_init) */
	uint64_t tsc_hz;
	uint64_t ns_mult;	   /* (1e9 << 32) / tsc_hz, set by cp_dp_clock_init */
	struct cp_trace_ctl trace; /* the open trace, if any (ctl/trace_out.h) */
	struct {		   /* replay only */
		uint64_t flush_n;  /* held fragments up to this input position are given up */
		int meta_off;	   /* struct cp_meta dynfield offset */
	} rp;
};

static inline struct cp_meta *cp_meta(const struct cp_dp *dp, struct rte_mbuf *m)
{
	return (struct cp_meta *)((char *)m + dp->rp.meta_off);
}

static inline uint64_t cp_rx_ts(const struct cp_dp *dp, struct rte_mbuf *m)
{
	return ((const struct cp_meta *)((const char *)m + dp->rp.meta_off))->ts_ns;
}

/* Nanoseconds of the live clock. */
uint64_t cp_clock_ns(const struct cp_dp *dp);

static inline void cp_dp_clock_init(struct cp_dp *dp, uint64_t tsc_hz)
{
	dp->tsc_hz = tsc_hz;
	dp->ns_mult = (uint64_t)(((__uint128_t)1000000000u << 32) / tsc_hz);
}

/* Set up worker id of dp (whose pool must exist) with a flow table for flows flows, its inspection
 * pool (it sets dp->insp_ctx) and its reassembly table. Returns 0, or -1 with a message on
 * stderr. */
int cp_worker_init(struct cp_worker *wk, struct cp_dp *dp, unsigned id, uint32_t flows);
void cp_worker_fini(struct cp_worker *wk);

/* The worker lcore loop (l3fwd style): rx burst per port -> parse -> flow -> classify -> act. */
int cp_worker_main(void *arg);

/* Process one burst that arrived on port index in_port (exposed for tests and benchmarks). */
void cp_worker_burst(struct cp_worker *wk, unsigned in_port, struct rte_mbuf **pkts, unsigned n);

#endif
