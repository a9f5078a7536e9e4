/* The per-worker flow table (see flow.h). Two candidate buckets per key, each one cache line of
 * eight 32-bit signatures and flow indexes; the key lives in the flow record, so a hit reads the
 * bucket and then the record it will use anyway. Buckets are sized for half occupancy at full
 * capacity, so a key rarely finds both of its buckets full before the record pool is empty. */
#include "flow.h"

#include <stdio.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#define HASH_SEED 0x1f2e3d4c

/* CRC32-C over the key's six words: SSE4.2's crc32 where the build has it (DPDK's baseline on
 * x86 does), DPDK's table-driven fallback elsewhere. */
uint32_t cp_flow_hash(const struct cp_flow_key *k)
{
	const cp_word *w = (const cp_word *)k;
#ifdef __SSE4_2__
	uint64_t h = HASH_SEED;
	h = _mm_crc32_u64(h, w[0]);
	h = _mm_crc32_u64(h, w[1]);
	h = _mm_crc32_u64(h, w[2]);
	h = _mm_crc32_u64(h, w[3]);
	h = _mm_crc32_u64(h, w[4]);
	h = _mm_crc32_u64(h, w[5]);
	return (uint32_t)h;
#else
	uint32_t h = HASH_SEED;
	for (unsigned i = 0; i < sizeof(*k) / 8; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
#endif
}

/* A signature is never 0 (0 marks an empty way). */
static inline uint32_t sig_of(uint32_t h)
{
	return h | 1u;
}

static inline uint32_t bucket1(const struct cp_flow_table *t, uint32_t h)
{
	return h & t->bmask;
}

/* The second bucket, from the bits the first one does not use. */
static inline uint32_t bucket2(const struct cp_flow_table *t, uint32_t h)
{
	return ((h >> 16 | h << 16) * 0x9e3779b1u) & t->bmask;
}

/* The ways of b whose signature is sig, as a bit mask. */
static inline unsigned sig_match(const struct cp_flow_bucket *b, uint32_t sig)
{
#ifdef __SSE2__
	__m128i s = _mm_set1_epi32((int)sig);
	__m128i lo = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)b->sig), s);
	__m128i hi = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)b->sig + 1), s);
	return (unsigned)_mm_movemask_ps(_mm_castsi128_ps(lo)) |
	       (unsigned)_mm_movemask_ps(_mm_castsi128_ps(hi)) << 4;
#else
	unsigned m = 0;
	for (unsigned w = 0; w < CP_FLOW_WAYS; w++)
		m |= (unsigned)(b->sig[w] == sig) << w;
	return m;
#endif
}

/* The index of key k (hash h) in bucket b, or -1. */
static inline int32_t find_in(const struct cp_flow_table *t, const struct cp_flow_bucket *b,
			      uint32_t sig, const struct cp_flow_key *k)
{
	for (unsigned m = sig_match(b, sig); m != 0; m &= m - 1) {
		uint32_t i = b->idx[__builtin_ctz(m)];
		if (cp_flow_key_eq(&t->flows[i].key, k))
			return (int32_t)i;
	}
	return -1;
}

static int32_t find(const struct cp_flow_table *t, const struct cp_flow_key *k, uint32_t h)
{
	int32_t i = find_in(t, &t->bk[bucket1(t, h)], sig_of(h), k);
	return i >= 0 ? i : find_in(t, &t->bk[bucket2(t, h)], sig_of(h), k);
}

int cp_flow_table_init(struct cp_flow_table *t, const char *name, uint32_t cap, int socket)
{
	memset(t, 0, sizeof(*t));
	if (cap < 64)
		cap = 64;
	if (cap > (1u << 30))
		return -1;
	uint32_t nb = rte_align32pow2((cap + 3) / 4); /* 8 ways: half full at cap flows */
	t->cap = cap;
	t->bmask = nb - 1;
	t->bk = rte_zmalloc_socket(name, (size_t)nb * sizeof(*t->bk), 64, socket);
	t->flows = rte_zmalloc_socket(name, (size_t)cap * sizeof(*t->flows), 64, socket);
	t->free_idx = rte_malloc_socket(name, (size_t)cap * sizeof(uint32_t), 64, socket);
	if (t->bk == NULL || t->flows == NULL || t->free_idx == NULL) {
		cp_flow_table_free(t);
		return -1;
	}
	/* Popped from the top: records are handed out from index 0 up. */
	for (uint32_t i = 0; i < cap; i++)
		t->free_idx[i] = cap - 1 - i;
	t->n_free = cap;
	return 0;
}

void cp_flow_table_free(struct cp_flow_table *t)
{
	rte_free(t->bk);
	rte_free(t->flows);
	rte_free(t->free_idx);
	memset(t, 0, sizeof(*t));
}

void cp_flow_lookup_bulk(struct cp_flow_table *t, const struct cp_flow_key **keys, unsigned n,
			 int32_t *pos, uint32_t *hash)
{
	uint32_t h[64], b1[64];
	n = n > 64 ? 64 : n;
	/* Pass 1: hash, prefetch the first bucket (a flow is in its second only when the first was
	 * full at its insertion: rare below half load). */
	for (unsigned i = 0; i < n; i++) {
		h[i] = cp_flow_hash(keys[i]);
		b1[i] = bucket1(t, h[i]);
		rte_prefetch0(&t->bk[b1[i]]);
		if (hash != NULL)
			hash[i] = h[i];
	}
	/* Pass 2: the first way whose signature matches; prefetch its record. */
	for (unsigned i = 0; i < n; i++) {
		const struct cp_flow_bucket *b = &t->bk[b1[i]];
		unsigned m = sig_match(b, sig_of(h[i]));
		if (m == 0) {
			b = &t->bk[bucket2(t, h[i])];
			m = sig_match(b, sig_of(h[i]));
		}
		pos[i] = m != 0 ? (int32_t)b->idx[__builtin_ctz(m)] : -1;
		if (pos[i] >= 0) { /* both lines: the key, then the decision */
			rte_prefetch0(&t->flows[pos[i]]);
			rte_prefetch0((const char *)&t->flows[pos[i]] + 64);
		}
	}
	/* Pass 3: the keys; a signature collision (rare) searches both buckets whole. */
	for (unsigned i = 0; i < n; i++)
		if (pos[i] >= 0 && !cp_flow_key_eq(&t->flows[pos[i]].key, keys[i]))
			pos[i] = find(t, keys[i], h[i]);
}

/* The way of bucket b that holds flow index i, or -1. */
static int way_of(const struct cp_flow_bucket *b, uint32_t i)
{
	for (unsigned w = 0; w < CP_FLOW_WAYS; w++)
		if (b->sig[w] != 0 && b->idx[w] == i)
			return (int)w;
	return -1;
}

static void unlink_flow(struct cp_flow_table *t, uint32_t i)
{
	uint32_t h = cp_flow_hash(&t->flows[i].key);
	struct cp_flow_bucket *b = &t->bk[bucket1(t, h)];
	int w = way_of(b, i);
	if (w < 0) {
		b = &t->bk[bucket2(t, h)];
		w = way_of(b, i);
	}
	if (w >= 0)
		b->sig[w] = 0;
}

void cp_flow_remove(struct cp_flow_table *t, uint32_t i)
{
	if (i >= t->cap || t->flows[i].key.family == 0)
		return;
	unlink_flow(t, i);
	if (t->on_remove != NULL)
		t->on_remove(&t->flows[i], t->on_remove_arg);
	t->flows[i].key.family = 0;
	t->free_idx[t->n_free++] = i;
	t->active--;
}

/* The oldest flow of buckets x and y that has not completed a handshake, or -1: what a full
 * table gives up for a new flow (a flood's flows never complete one). */
static int32_t early_drop_victim(const struct cp_flow_table *t, const struct cp_flow_bucket *x,
				 const struct cp_flow_bucket *y)
{
	const struct cp_flow_bucket *bs[2] = {x, y};
	int32_t best = -1;
	for (unsigned k = 0; k < 2; k++)
		for (unsigned w = 0; w < CP_FLOW_WAYS; w++) {
			if (bs[k]->sig[w] == 0)
				continue;
			uint32_t i = bs[k]->idx[w];
			const struct cp_flow *f = &t->flows[i];
			if (f->state & CP_FS_ESTABLISHED)
				continue;
			if (best < 0 || f->last_ns < t->flows[best].last_ns)
				best = (int32_t)i;
		}
	return best;
}

/* A free way of b (-1: none). */
static int free_way(const struct cp_flow_bucket *b)
{
	unsigned m = sig_match(b, 0);
	return m != 0 ? __builtin_ctz(m) : -1;
}

int32_t cp_flow_insert_hashed(struct cp_flow_table *t, const struct cp_flow_key *k, uint32_t h,
			      bool *created)
{
	int32_t found = find(t, k, h);
	*created = false;
	if (found >= 0)
		return found;
	struct cp_flow_bucket *x = &t->bk[bucket1(t, h)], *y = &t->bk[bucket2(t, h)];
	int wx = free_way(x), wy = free_way(y);
	if (t->n_free == 0 || (wx < 0 && wy < 0)) {
		int32_t v = early_drop_victim(t, x, y);
		if (v < 0)
			return -1;
		cp_flow_remove(t, (uint32_t)v);
		t->early_drop++;
		wx = free_way(x);
		wy = free_way(y);
	}
	/* The first bucket while it has room: a lookup reads (and prefetches) only it, the second
	 * is looked at when the first misses. */
	bool use_x = wx >= 0;
	struct cp_flow_bucket *b = use_x ? x : y;
	int w = use_x ? wx : wy;
	uint32_t i = t->free_idx[--t->n_free];
	struct cp_flow *f = &t->flows[i];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	b->sig[w] = sig_of(h);
	b->idx[w] = i;
	t->active++;
	*created = true;
	return (int32_t)i;
}

unsigned cp_flow_sweep(struct cp_flow_table *t, uint64_t now, uint64_t timeout_ns, unsigned scan)
{
	unsigned removed = 0;
	for (unsigned n = 0; n < scan && n < t->cap; n++) {
		uint32_t i = t->sweep;
		t->sweep = i + 1 >= t->cap ? 0 : i + 1;
		const struct cp_flow *f = &t->flows[i];
		if (f->key.family != 0 && now - f->last_ns > timeout_ns && now > f->last_ns) {
			cp_flow_remove(t, i);
			removed++;
		}
	}
	return removed;
}
