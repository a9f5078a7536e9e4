/* Building and freeing the payload half of the runtime policy (see payload_rt.h). Control path. */
#include "payload_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hs_fail(char *err, size_t errlen, const char *what, hs_error_t rc)
{
	snprintf(err, errlen, "Hyperscan: cannot %s (error %d)", what, (int)rc);
	return -1;
}

/* One scratch for every database, cloned per worker; the streams of the payload database. */
static int build_worker(struct cp_payload_rt *pl, struct cp_pl_worker *pw, hs_scratch_t *proto,
			char *err, size_t errlen)
{
	const hs_database_t *sdb = pl->dbs.db[CP_FIELD_PAYLOAD];
	hs_error_t rc;

	if (proto != NULL && (rc = hs_clone_scratch(proto, &pw->scratch)) != HS_SUCCESS)
		return hs_fail(err, errlen, "allocate scratch", rc);
	pw->cat_ctr = calloc((size_t)pl->n_cats * 2 + 1, sizeof(uint64_t));
	if (pw->cat_ctr == NULL)
		goto oom;
	if (sdb == NULL)
		return 0;
	pw->streams = calloc(pl->n_streams, sizeof(*pw->streams));
	pw->free = calloc(pl->n_streams, sizeof(*pw->free));
	if (pw->streams == NULL || pw->free == NULL)
		goto oom;
	if ((rc = hs_open_stream(sdb, 0, &pw->dgram)) != HS_SUCCESS)
		return hs_fail(err, errlen, "open a stream", rc);
	for (uint32_t s = 0; s < pl->n_streams; s++) {
		if ((rc = hs_open_stream(sdb, 0, &pw->streams[s])) != HS_SUCCESS)
			return hs_fail(err, errlen, "open a stream", rc);
		pw->free[pw->n_free++] = pl->n_streams - 1 - s;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory for payload inspection state");
	return -1;
}

struct cp_payload_rt *cp_payload_rt_build(const struct cp_policy_src *src, struct cp_hs_dbs *dbs,
					  const struct cp_policy_src *prev, uint32_t prev_gen,
					  unsigned n_workers, uint32_t n_streams, char *err,
					  size_t errlen)
{
	struct cp_payload_rt *pl = calloc(1, sizeof(*pl));
	hs_scratch_t *proto = NULL;

	if (pl == NULL) {
		cp_hs_free(dbs);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pl->dbs = *dbs;
	memset(dbs, 0, sizeof(*dbs));
	pl->n_cats = src->n_categories;
	pl->n_workers = n_workers;
	pl->n_streams = n_streams;
	pl->prev_gen = prev_gen;
	memset(pl->remap, CP_NO_CAT, sizeof(pl->remap));
	for (unsigned o = 0; prev != NULL && o < prev->n_categories && o < CP_MAX_CATEGORIES; o++)
		for (unsigned c = 0; c < src->n_categories; c++)
			if (strcmp(prev->categories[o].name, src->categories[c].name) == 0)
				pl->remap[o] = (uint8_t)c;
	pl->rule_cats = calloc(src->n_rules + 1, sizeof(*pl->rule_cats));
	/* Plain memory (cache-line aligned): it holds pointers to Hyperscan's allocations. */
	pl->wk = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*pl->wk) * (n_workers + 1));
	if (pl->wk != NULL)
		memset(pl->wk, 0, sizeof(*pl->wk) * (n_workers + 1));
	if (pl->rule_cats == NULL || pl->wk == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned r = 0; r < src->n_rules; r++)
		for (unsigned k = 0; k < src->rules[r].n_categories; k++)
			pl->rule_cats[r] |= 1ull << src->rules[r].categories[k];
	for (int f = 0; f < CP_DB_MAX; f++) {
		hs_error_t rc;
		if (pl->dbs.db[f] != NULL &&
		    (rc = hs_alloc_scratch(pl->dbs.db[f], &proto)) != HS_SUCCESS) {
			hs_fail(err, errlen, "allocate scratch", rc);
			goto fail;
		}
	}
	for (unsigned w = 0; w < n_workers; w++)
		if (build_worker(pl, &pl->wk[w], proto, err, errlen) != 0)
			goto fail;
	hs_free_scratch(proto);
	return pl;
fail:
	hs_free_scratch(proto);
	cp_payload_rt_free(pl);
	return NULL;
}

void cp_payload_rt_free(struct cp_payload_rt *pl)
{
	if (pl == NULL)
		return;
	for (unsigned w = 0; pl->wk != NULL && w < pl->n_workers; w++) {
		struct cp_pl_worker *pw = &pl->wk[w];
		for (uint32_t s = 0; pw->streams != NULL && s < pl->n_streams; s++)
			if (pw->streams[s] != NULL)
				hs_close_stream(pw->streams[s], NULL, NULL, NULL);
		if (pw->dgram != NULL)
			hs_close_stream(pw->dgram, NULL, NULL, NULL);
		free(pw->streams);
		free(pw->free);
		free(pw->cat_ctr);
		hs_free_scratch(pw->scratch);
	}
	free(pl->wk);
	free(pl->rule_cats);
	cp_hs_free(&pl->dbs);
	free(pl);
}
