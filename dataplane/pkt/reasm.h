/* IP fragment reassembly for one worker (settings.fragments = "reassemble", docs/semantics.md).
 * The original fragment frames are held, unchanged, until their datagram is complete; a copy of
 * each goes to rte_ip_frag, which rebuilds the datagram. The complete datagram is handed back as
 * one linear frame to classify, with the held originals, which then get its verdict. Bounded: at
 * most max_datagrams in reassembly and max_held frames held; nothing allocated after create but
 * mbufs from the worker's pool. Not thread-safe: one per worker. */
#ifndef CP_REASM_H
#define CP_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

struct rte_mbuf;
struct rte_mempool;
struct cp_reasm;

struct cp_reasm_cfg {
	uint32_t max_datagrams; /* datagrams in reassembly at once */
	uint32_t max_held;	/* original frames held at once */
	uint64_t timeout_ns;	/* a datagram not complete this long after its first fragment */
};

/* The frame of a reassembled datagram is at most this long (Ethernet + VLANs + 64 KiB IP). */
#define CP_REASM_FRAME_MAX 65535u

enum cp_reasm_rc {
	CP_REASM_HELD = 0, /* m is held; nothing to do now */
	CP_REASM_DONE,	   /* the datagram is complete: see cp_reasm_push */
	CP_REASM_REFUSED,  /* m was not kept (tables full, bad or overlapping fragment, too
			      long): the caller drops it */
};

/* name must be unique in the process; pool gives the copies. NULL on failure. */
struct cp_reasm *cp_reasm_create(const char *name, int socket, const struct cp_reasm_cfg *cfg,
				 struct rte_mempool *pool);
/* Frees everything, held frames included. */
void cp_reasm_free(struct cp_reasm *r);

/* Give the module a fragment: m is its frame, p what cp_parse found in it (p->frag != NONE), tag
 * an opaque number the caller keeps with it (replay: the input position), now the time.
 * HELD: m is kept.
 * DONE: the datagram is complete. *frame points at a linear frame: the first fragment's L2
 *   header followed by the whole IP datagram (IPv4 header without fragment bits, IPv6 without the
 *   fragment header), *flen bytes, valid until the next call on r; held[0..*nheld) are the
 *   originals of the datagram in arrival order, m last; they belong to the caller again. cap must
 *   be at least max_held + 1.
 * REFUSED: m is not kept. */
enum cp_reasm_rc cp_reasm_push(struct cp_reasm *r, struct rte_mbuf *m, const struct cp_pkt *p,
			       uint64_t tag, uint64_t now, const uint8_t **frame, size_t *flen,
			       struct rte_mbuf **held, unsigned cap, unsigned *nheld);

/* Hand back (into out, at most cap) the originals of every datagram whose first fragment arrived
 * before now - timeout_ns, or whose oldest held frame has a tag <= max_tag (pass 0 for none);
 * the datagram is forgotten. The caller drops them. Returns how many were written; call again
 * while it returns cap. */
unsigned cp_reasm_expire(struct cp_reasm *r, uint64_t now, uint64_t max_tag, struct rte_mbuf **out,
			 unsigned cap);

/* Frames held now. */
unsigned cp_reasm_held(const struct cp_reasm *r);

#endif
