/* chokectl trace, the worker's side: while a trace is open, each worker writes the decisions that
 * pass the trace's filter into its own single-producer, single-consumer ring (rte_ring), a burst
 * at a time; the main lcore drains the rings when a trace request comes (ctl/trace_out.h). A full
 * ring drops the record and counts it lost. A closed trace costs one read per burst. */
#ifndef CP_TRACE_H
#define CP_TRACE_H

#include <stdint.h>

#include <rte_common.h>

#define CP_TRACE_RING	  1024	 /* records per worker between two drains */
#define CP_TRACE_ANY_RULE 0xfffe /* a filter without a rule (CP_NO_RULE is "no rule decided") */

/* One sampled decision. */
struct cp_trace_rec {
	uint64_t t_ns;		  /* the dataplane clock */
	uint8_t src[16], dst[16]; /* as the packet carries them */
	uint16_t sport, dport;
	uint16_t rule; /* CP_NO_RULE for none */
	uint16_t gen;  /* low bits of the policy generation the rule index belongs to */
	uint8_t l3;    /* enum cp_l3: CP_L3_NONE when the packet has no addresses */
	uint8_t proto;
	uint8_t verdict; /* enum cp_verdict */
	uint8_t reason;	 /* enum cp_reason */
	uint8_t category;
	uint8_t in_port;
};
_Static_assert(sizeof(struct cp_trace_rec) == 56, "a trace record is 56 bytes");
_Static_assert(sizeof(struct cp_trace_rec) % 4 == 0, "rte_ring elements are multiples of 4");

/* The open trace (struct cp_dp.trace): written by the main lcore, read by the workers. */
struct cp_trace_ctl {
	volatile uint8_t on; /* read once per burst */
	uint8_t verdicts;    /* bit per enum cp_verdict */
	uint16_t rule;	     /* CP_TRACE_ANY_RULE, or a rule index of generation gen */
	uint32_t gen;
	uint64_t reasons; /* bit per enum cp_reason */
	/* Main lcore only. */
	uint64_t until_ns;  /* the trace closes when no request comes before */
	uint64_t lost_seen; /* the workers' lost records at the last drain */
};

/* A worker's part (struct cp_worker.tr). */
struct cp_trace_w {
	struct rte_ring *ring;
	uint64_t lost; /* records the ring had no room for (written by the worker only) */
	unsigned n;    /* records in rec[] */
	struct cp_trace_rec rec[32];
};

/* Does decision (verdict, reason, rule of generation gen) pass filter t? */
static inline int cp_trace_wants(const struct cp_trace_ctl *t, unsigned verdict, unsigned reason,
				 unsigned rule, uint32_t gen)
{
	return (t->verdicts >> verdict & 1) && (t->reasons >> reason & 1) &&
	       (t->rule == CP_TRACE_ANY_RULE || (t->rule == rule && t->gen == gen));
}

/* Create (name unique per process) and free a worker's ring. 0 or -1. */
int cp_trace_w_init(struct cp_trace_w *w, const char *name, int socket);
void cp_trace_w_free(struct cp_trace_w *w);
/* Put the records of rec[] on the ring (the worker, at the end of a burst or when rec[] fills). */
void cp_trace_w_flush(struct cp_trace_w *w);

#endif
