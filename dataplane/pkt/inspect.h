/* Payload inspection of one flow (docs/semantics.md, "Payload categories"): in-order TCP stream
 * tracking per direction, the name extractors over the initiator's stream (with a bounded buffer
 * when a name spans segments), the name databases, and the streaming byte-pattern database, within
 * inspect_bytes per direction. State lives in a per-worker pool of contexts, one per flow under
 * inspection, taken at its first payload byte and given back when inspection ends. Hot path: no
 * allocation, no locks; a pool that runs dry makes the packet's inspection fail (CP_INSP_BUSY). */
#ifndef CP_INSPECT_H
#define CP_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_prefetch.h>

#include "counters.h"
#include "payload_rt.h"

#define CP_NO_INSP   UINT32_MAX
#define CP_INSP_BUF  16384u /* initiator bytes a name may span */
#define CP_NAME_BITS 3	    /* sni, host, dns (enum cp_field order) */

struct cp_insp {
	uint32_t next[2];   /* next expected sequence number per direction (0: from initiator) */
	uint32_t seen[2];   /* bytes inspected per direction */
	uint32_t stream[2]; /* stream slots of policy generation gen, CP_NO_STREAM */
	uint32_t gen;
	uint32_t buf; /* name buffer, CP_NO_INSP */
	uint32_t buf_len;
	uint8_t seq_known; /* bit per direction */
	uint8_t names;	   /* bit per name field still looked for (1 << CP_FIELD_*) */
	uint8_t pad[2];
};

struct cp_insp_pool {
	struct cp_insp *ctx;
	uint32_t *ctx_free;
	uint32_t n_ctx, n_ctx_free;
	uint8_t *bufs;
	uint32_t *buf_free;
	uint32_t n_bufs, n_buf_free;
};

int cp_insp_pool_init(struct cp_insp_pool *p, uint32_t n_ctx, uint32_t n_bufs);
void cp_insp_pool_free(struct cp_insp_pool *p);

/* One packet's payload, as seen by inspection. */
struct cp_insp_in {
	const uint8_t *data; /* L4 payload */
	uint32_t len;
	uint32_t seq;	    /* TCP sequence number */
	uint32_t isn;	    /* the sender's SYN sequence number, when isn_known */
	uint32_t *useen;    /* UDP: the flow's bytes inspected per direction (no context needed) */
	uint8_t isn_known;  /* the handshake was seen for this direction */
	uint8_t tcp;	    /* else UDP */
	uint8_t dir;	    /* 0: from the initiator */
	uint16_t resp_port; /* the responder's port (53: DNS) */
};

enum cp_insp_rc {
	CP_INSP_MORE = 0, /* inspected; go on */
	CP_INSP_DONE,	  /* inspect_bytes reached both ways: inspection is over */
	CP_INSP_GAP,	  /* a TCP segment beyond the next expected byte: not inspected */
	CP_INSP_BUSY,	  /* no context, stream or buffer free: not inspected */
};

/* Where inspection reports: the worker's counters and the categories matched. */
struct cp_insp_out {
	struct cp_wcounters *c;
	uint64_t cats; /* categories matched by this packet (bits added) */
};

/* Ask for the first bytes of a payload about to be inspected, every cache line at once (at most
 * CP_INSP_PREFETCH_MAX: past it the hardware prefetcher has caught on to the scan's sequential
 * reads). The parser touches only the headers, so the payload is usually cold: issued together, the
 * misses overlap, where the extractors and the scan would wait for each line in turn. cp_inspect
 * calls it; a caller that knows the next packet can call it earlier. */
#define CP_INSP_PREFETCH_MAX 2048u

static inline void cp_insp_prefetch(const uint8_t *p, uint32_t n)
{
	if (n == 0)
		return;
	if (n > CP_INSP_PREFETCH_MAX)
		n = CP_INSP_PREFETCH_MAX;
	for (uint32_t o = 0; o < n; o += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(p + o);
	rte_prefetch0(p + n - 1);
}

/* Inspect one packet of a flow whose context index is *ctx (CP_NO_INSP: none yet; taken here;
 * TCP only: UDP keeps its byte counts in in->useen and takes no context). pl is the running
 * policy's payload (generation gen), w the worker. */
enum cp_insp_rc cp_inspect(struct cp_insp_pool *pool, struct cp_payload_rt *pl, unsigned w,
			   uint32_t gen, uint32_t inspect_bytes, uint32_t *ctx,
			   const struct cp_insp_in *in, struct cp_insp_out *out);

/* Give a flow's context back (its streams too when they belong to generation gen of pl, which may
 * be NULL). *ctx becomes CP_NO_INSP; a flow without one is left alone. */
void cp_insp_release(struct cp_insp_pool *pool, struct cp_payload_rt *pl, unsigned w, uint32_t gen,
		     uint32_t *ctx);

#endif
