/* Mbuf pools for replay (see mbuf_pool.h): rte_pktmbuf_pool_create's steps, with the memory
 * reserved and faulted in here. */
#include "mbuf_pool.h"

#include <sys/mman.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_memzone.h>

#define PAGE 4096u

static void free_zone(struct rte_mempool_memhdr *mh, void *opaque)
{
	(void)mh;
	rte_memzone_free(opaque);
}

/* The stack driver when there is one, else what DPDK picks for mbufs. */
static int set_ops(struct rte_mempool *mp)
{
	if (rte_mempool_set_ops_byname(mp, "stack", NULL) == 0)
		return 0;
	return rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
}

/* One memory chunk for all n objects, faulted in at once, given to the pool. Returns 0 or -1. */
static int populate(struct rte_mempool *mp, const char *name, unsigned n, int socket)
{
	/* Objects packed one after the other: replay does no DMA, they may cross pages. */
	size_t len = (size_t)n * (mp->header_size + mp->elt_size + mp->trailer_size);
	const struct rte_memzone *mz = rte_memzone_reserve_aligned(name, len, socket, 0, PAGE);
	if (mz == NULL)
		return -1;
	/* Best effort: before Linux 5.14 the pages fault in one by one, as they would anyway. */
	(void)madvise(mz->addr, RTE_ALIGN_CEIL(mz->len, PAGE), MADV_POPULATE_WRITE);
	int got = rte_mempool_populate_iova(mp, mz->addr, mz->iova, mz->len, free_zone,
					    (void *)(uintptr_t)mz);
	if (got <= 0)
		rte_memzone_free(mz); /* else the pool owns it */
	return got == (int)n ? 0 : -1;
}

struct rte_mempool *cp_mbuf_pool_create(const char *name, unsigned n, unsigned cache,
					uint16_t data_room, int socket)
{
	struct rte_pktmbuf_pool_private priv = {.mbuf_data_room_size = data_room};
	char zone[RTE_MEMZONE_NAMESIZE];
	struct rte_mempool *mp =
	    rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + data_room, cache,
				     sizeof(priv), socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	snprintf(zone, sizeof(zone), "%s_mem", name);
	if (set_ops(mp) != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (populate(mp, zone, n, socket) != 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:;
	int e = rte_errno != 0 ? rte_errno : ENOMEM;
	rte_mempool_free(mp);
	rte_errno = e;
	return NULL;
}
