/* The payload half of the runtime policy: the Hyperscan databases (one block database per name
 * field, one streaming database for byte patterns), the match id -> category maps, each rule's
 * categories as a mask, and per worker a scratch, a slab of pre-opened streams and category
 * counters. Built off the hot path with the policy it belongs to and freed with it; workers only
 * take and give back streams of their own slab. */
#ifndef CP_PAYLOAD_RT_H
#define CP_PAYLOAD_RT_H

#include <stdint.h>

#include <hs.h>
#include <rte_common.h>

#include "hs_patterns.h"
#include "policy.h"

#define CP_NO_STREAM UINT32_MAX
#define CP_NO_CAT    0xff

struct cp_pl_worker {
	hs_scratch_t *scratch;
	hs_stream_t **streams; /* n_streams pre-opened streams of the payload database */
	uint32_t *free;	       /* stack of free stream slots */
	uint32_t n_free;
	hs_stream_t *dgram; /* one more stream, for UDP datagrams (reset after each) */
	uint64_t *cat_ctr;  /* [category][0 matches, 1 flows] */
} __rte_cache_aligned;

struct cp_payload_rt {
	struct cp_hs_dbs dbs; /* owned */
	unsigned n_cats;
	uint64_t *rule_cats;		  /* per rule: its categories as a mask */
	uint32_t prev_gen;		  /* generation of the policy this one replaced */
	uint8_t remap[CP_MAX_CATEGORIES]; /* category of prev_gen -> ours, CP_NO_CAT */
	uint32_t n_streams;		  /* per worker */
	unsigned n_workers;
	struct cp_pl_worker *wk;
};

/* Build for policy src (not owned) with n_workers workers and n_streams streams each: dbs is
 * taken over (also on failure), prev is the payload of the policy being replaced (generation
 * prev_gen; NULL when none) for the category remap. NULL with a message in err on failure. */
struct cp_payload_rt *cp_payload_rt_build(const struct cp_policy_src *src, struct cp_hs_dbs *dbs,
					  const struct cp_policy_src *prev, uint32_t prev_gen,
					  unsigned n_workers, uint32_t n_streams, char *err,
					  size_t errlen);
void cp_payload_rt_free(struct cp_payload_rt *pl);

/* Take a stream of worker w's slab, reset to the start of a stream; CP_NO_STREAM when none is
 * free or the policy has no payload database. */
static inline uint32_t cp_pl_stream_take(struct cp_payload_rt *pl, unsigned w)
{
	struct cp_pl_worker *pw = &pl->wk[w];
	if (pw->n_free == 0)
		return CP_NO_STREAM;
	uint32_t s = pw->free[--pw->n_free];
	hs_reset_stream(pw->streams[s], 0, NULL, NULL, NULL);
	return s;
}

static inline void cp_pl_stream_give(struct cp_payload_rt *pl, unsigned w, uint32_t s)
{
	if (s != CP_NO_STREAM && s < pl->n_streams)
		pl->wk[w].free[pl->wk[w].n_free++] = s;
}

#endif
