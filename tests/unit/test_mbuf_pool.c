/* Unit tests of dataplane/mbuf_pool: a pool made by cp_mbuf_pool_create holds exactly n mbufs,
 * each a usable pktmbuf of the pool (data room, headroom, refcount, distinct buffers writable
 * end to end), that go back and come out again; sizes from one mbuf to replay's pool and 64 KiB
 * rooms; names taken twice, no mbufs or a cache too large are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "eal_test.h"
#include "mbuf_pool.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Takes every mbuf of mp and checks each, then one more must fail; gives them all back. */
static void check_pool(struct rte_mempool *mp, unsigned n, uint16_t room)
{
	struct rte_mbuf **m = calloc(n + 1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(rte_mempool_avail_count(mp), n);
	assert_int_equal(rte_pktmbuf_data_room_size(mp), room);
	for (unsigned i = 0; i < n; i++) {
		m[i] = rte_pktmbuf_alloc(mp);
		assert_non_null(m[i]);
		assert_ptr_equal(m[i]->pool, mp);
		assert_int_equal(m[i]->buf_len, room);
		assert_int_equal(rte_pktmbuf_headroom(m[i]), RTE_MIN(RTE_PKTMBUF_HEADROOM, room));
		assert_int_equal(rte_mbuf_refcnt_read(m[i]), 1);
		assert_int_equal(m[i]->nb_segs, 1);
		memset(m[i]->buf_addr, (int)(i & 0xff), m[i]->buf_len);
	}
	assert_null(rte_pktmbuf_alloc(mp));
	/* No two share a buffer: each still holds the bytes written last. */
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *b = m[i]->buf_addr;
		assert_int_equal(b[0], i & 0xff);
		assert_int_equal(b[m[i]->buf_len - 1], i & 0xff);
	}
	rte_pktmbuf_free_bulk(m, n);
	assert_int_equal(rte_mempool_avail_count(mp), n);
	for (unsigned i = 0; i < n; i++)
		assert_non_null(m[i] = rte_pktmbuf_alloc(mp));
	rte_pktmbuf_free_bulk(m, n);
	free(m);
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		unsigned n, cache;
		uint16_t room;
	} cases[] = {
	    {1, 0, RTE_MBUF_DEFAULT_BUF_SIZE},
	    {63, 0, UINT16_MAX},
	    {100, 0, 64},
	    {1000, 32, 2048},
	    {16383, 256, RTE_MBUF_DEFAULT_BUF_SIZE},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char name[32];
		snprintf(name, sizeof(name), "tpool%zu", i);
		print_message("pool of %u mbufs, cache %u, room %u\n", cases[i].n, cases[i].cache,
			      cases[i].room);
		struct rte_mempool *mp = cp_mbuf_pool_create(name, cases[i].n, cases[i].cache,
							     cases[i].room, SOCKET_ID_ANY);
		assert_non_null(mp);
		check_pool(mp, cases[i].n, cases[i].room);
		rte_mempool_free(mp);
	}
}

static void test_refused(void **state)
{
	(void)state;
	struct rte_mempool *mp = cp_mbuf_pool_create("tdup", 10, 0, 2048, SOCKET_ID_ANY);
	assert_non_null(mp);
	assert_null(cp_mbuf_pool_create("tdup", 10, 0, 2048, SOCKET_ID_ANY));
	assert_int_not_equal(rte_errno, 0);
	rte_mempool_free(mp);
	/* Freed, the name can be taken again (its memory went with it). */
	mp = cp_mbuf_pool_create("tdup", 10, 0, 2048, SOCKET_ID_ANY);
	assert_non_null(mp);
	rte_mempool_free(mp);
	assert_null(cp_mbuf_pool_create("tzero", 0, 0, 2048, SOCKET_ID_ANY));
	assert_null(cp_mbuf_pool_create("tcache", 100, RTE_MEMPOOL_CACHE_MAX_SIZE + 1, 2048,
					SOCKET_ID_ANY));
	assert_null(cp_mbuf_pool_create("thuge", 1u << 20, 0, UINT16_MAX, SOCKET_ID_ANY));
}

static int setup(void **state)
{
	(void)state;
	return cp_test_eal_init("mbuf_pool", "256");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, cp_test_eal_teardown);
}
