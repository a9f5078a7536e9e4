/* Mbuf pools for replay, set up for what replay does with them: many mbufs, each taken and given
 * back on different lcores (net_pcap's rx on the dispatcher, workers' injected frames, frees on
 * the collector). */
#ifndef CP_MBUF_POOL_H
#define CP_MBUF_POOL_H

#include <stdint.h>

struct rte_mempool;

/* As rte_pktmbuf_pool_create(name, n, cache, 0, data_room, socket), but:
 *  - the pool's memory is faulted in by one madvise(MADV_POPULATE_WRITE) before its mbufs are
 *    initialised: on a VM, the page faults of touching 40 MB a page at a time cost about twice as
 *    much (0.2 s for the replay pool here);
 *  - it is a stack (LIFO) where DPDK's stack mempool driver is present: an mbuf given back on one
 *    lcore and taken on another is the most recently used one, still in cache, rather than the
 *    oldest of the whole pool.
 * Returns NULL with rte_errno set. */
struct rte_mempool *cp_mbuf_pool_create(const char *name, unsigned n, unsigned cache,
					uint16_t data_room, int socket);

#endif
