/* DPDK memory taken from the heaps so that a unit test can run short of it (the EAL started with
 * eal_test.h). */
#ifndef CP_HOG_TEST_H
#define CP_HOG_TEST_H

#include <stdint.h>

#include <rte_malloc.h>

#include "policy_rt.h"

#define CP_TEST_HOG_MAX 64

struct cp_test_hog {
	void *block[CP_TEST_HOG_MAX];
	unsigned n;
};

/* Take socket 0's memory, largest free block first, until at most about `leave` bytes are
 * free. */
static inline void cp_test_hog_take(struct cp_test_hog *h, uint64_t leave)
{
	h->n = 0;
	while (h->n < CP_TEST_HOG_MAX && cp_dpdk_free_bytes() > leave) {
		struct rte_malloc_socket_stats st;
		uint64_t want = cp_dpdk_free_bytes() - leave;
		if (rte_malloc_get_socket_stats(0, &st) != 0)
			break;
		if (want > st.greatest_free_size)
			want = st.greatest_free_size;
		if (want < 4096 || (h->block[h->n] = rte_malloc(NULL, want - 1024, 0)) == NULL)
			break;
		h->n++;
	}
}

static inline void cp_test_hog_give_back(struct cp_test_hog *h)
{
	for (unsigned i = 0; i < h->n; i++)
		rte_free(h->block[i]);
	h->n = 0;
}

#endif
