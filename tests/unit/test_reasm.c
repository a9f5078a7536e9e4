/* Unit tests of dataplane/reasm: IPv4 and IPv6 datagrams in every order, interleaved, the limits,
 * hostile fragments (duplicate first, overlap, too long, zero length, too many fragments), expiry
 * by time and by tag, a completion whose entry was already expired, and no mbuf leaked. Needs the
 * DPDK EAL (no hugepages, no PCI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eal_test.h"

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "parse.h"
#include "reasm.h"

#define S	   1000000000ull
#define T0	   (5 * S)
#define TIMEOUT	   (10 * S)
#define NMBUF	   511
#define MAXF	   16
#define FRAME_ROOM 2048
#define ETH_HLEN   14
#define V4_HLEN	   20
#define V6_HLEN	   48 /* fixed header + fragment header */
#define UDP_HLEN   8

static struct rte_mempool *pool;

static int eal_setup(void **state)
{
	(void)state;
	if (cp_test_eal_init("reasm", "256") != 0)
		return -1;
	/* no per-lcore cache, so that the available count is exact */
	pool = rte_pktmbuf_pool_create("reasm_test", NMBUF, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int eal_teardown(void **state)
{
	rte_mempool_free(pool);
	return cp_test_eal_teardown(state);
}

/* ---- frames ---- */

struct frags {
	uint8_t b[MAXF][FRAME_ROOM];
	uint32_t len[MAXF];
	unsigned n;
	uint8_t payload[8192]; /* the UDP payload */
	uint32_t plen;
	int family;
};

static void wr16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* One fragment frame: data[0..dlen) of the datagram at offset ofs. */
static void put_frag(struct frags *f, int family, uint32_t id, uint8_t host, uint32_t ofs,
		     const uint8_t *data, uint32_t dlen, int more)
{
	uint8_t *b = f->b[f->n];
	uint32_t hl = family == 4 ? V4_HLEN : V6_HLEN;

	assert_true(f->n < MAXF);
	assert_true(ETH_HLEN + hl + dlen <= FRAME_ROOM);
	memset(b, 0, FRAME_ROOM);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (family == 4) {
		uint8_t *h = b + ETH_HLEN;

		wr16(b + 12, 0x0800);
		h[0] = 0x45;
		wr16(h + 2, V4_HLEN + dlen);
		wr16(h + 4, id);
		wr16(h + 6, (ofs / 8) | (more ? 0x2000 : 0));
		h[8] = 64;
		h[9] = 17;
		memcpy(h + 12, (uint8_t[]){192, 0, 2, host}, 4);
		memcpy(h + 16, (uint8_t[]){198, 51, 100, 1}, 4);
		((struct rte_ipv4_hdr *)h)->hdr_checksum = rte_ipv4_cksum((struct rte_ipv4_hdr *)h);
	} else {
		uint8_t *h = b + ETH_HLEN;

		wr16(b + 12, 0x86dd);
		h[0] = 0x60;
		wr16(h + 4, 8 + dlen);
		h[6] = 44;
		h[7] = 64;
		memcpy(h + 8, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
		h[23] = host;
		memcpy(h + 24, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
		h[39] = 2;
		h[40] = 17;
		wr16(h + 42, ofs | (more ? 1 : 0));
		h[44] = (uint8_t)(id >> 24);
		h[45] = (uint8_t)(id >> 16);
		h[46] = (uint8_t)(id >> 8);
		h[47] = (uint8_t)id;
	}
	memcpy(b + ETH_HLEN + hl, data, dlen);
	f->len[f->n] = ETH_HLEN + hl + dlen;
	f->n++;
}

/* A UDP datagram of plen payload bytes split into fragments of chunk data bytes (multiple of 8). */
static void mk_dgram(struct frags *f, int family, uint32_t id, uint8_t host, uint32_t plen,
		     uint32_t chunk)
{
	uint8_t dg[8192 + UDP_HLEN];
	uint32_t total = UDP_HLEN + plen;

	memset(f, 0, sizeof(*f));
	f->family = family;
	f->plen = plen;
	for (uint32_t i = 0; i < plen; i++)
		f->payload[i] = (uint8_t)(i * 7 + id + host);
	wr16(dg, 40000 + host);
	wr16(dg + 2, 5000);
	wr16(dg + 4, total);
	wr16(dg + 6, 0);
	memcpy(dg + UDP_HLEN, f->payload, plen);
	for (uint32_t ofs = 0; ofs < total; ofs += chunk) {
		uint32_t n = total - ofs < chunk ? total - ofs : chunk;

		put_frag(f, family, id, host, ofs, dg + ofs, n, ofs + n < total);
	}
}

static struct rte_mbuf *to_mbuf(const uint8_t *b, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), b, len);
	return m;
}

/* ---- the module ---- */

struct ctx {
	struct cp_reasm *r;
	unsigned avail0;
	struct rte_mbuf *held[64];
	unsigned nheld;
	const uint8_t *frame;
	size_t flen;
	struct rte_mbuf *last; /* the mbuf of the last push */
};

static void ctx_open(struct ctx *c, uint32_t max_dg, uint32_t max_held)
{
	struct cp_reasm_cfg cfg = {
	    .max_datagrams = max_dg, .max_held = max_held, .timeout_ns = TIMEOUT};

	memset(c, 0, sizeof(*c));
	c->avail0 = rte_mempool_avail_count(pool);
	c->r = cp_reasm_create("reasm_t", SOCKET_ID_ANY, &cfg, pool);
	assert_non_null(c->r);
}

/* Frees the module and checks that every mbuf came back. */
static void ctx_close(struct ctx *c)
{
	cp_reasm_free(c->r);
	assert_int_equal(rte_mempool_avail_count(pool), c->avail0);
}

static enum cp_reasm_rc push(struct ctx *c, const struct frags *f, unsigned i, uint64_t tag,
			     uint64_t now)
{
	struct cp_pkt p;
	struct rte_mbuf *m;
	enum cp_reasm_rc rc;

	assert_int_equal(cp_parse(f->b[i], f->len[i], &p), CP_R_NONE);
	assert_int_not_equal(p.frag, CP_FRAG_NONE);
	m = to_mbuf(f->b[i], f->len[i]);
	c->last = m;
	rc = cp_reasm_push(c->r, m, &p, tag, now, &c->frame, &c->flen, c->held, 64, &c->nheld);
	if (rc == CP_REASM_REFUSED)
		rte_pktmbuf_free(m);
	if (rc != CP_REASM_DONE)
		assert_int_equal(c->nheld, 0);
	return rc;
}

static void free_held(struct ctx *c)
{
	for (unsigned i = 0; i < c->nheld; i++)
		rte_pktmbuf_free(c->held[i]);
	c->nheld = 0;
}

/* Expires and frees; returns how many frames came back. */
static unsigned expire_all(struct ctx *c, uint64_t now, uint64_t max_tag)
{
	struct rte_mbuf *out[64];
	unsigned n, total = 0;

	for (int i = 0; i < 100; i++) {
		n = cp_reasm_expire(c->r, now, max_tag, out, 64);
		for (unsigned k = 0; k < n; k++)
			rte_pktmbuf_free(out[k]);
		total += n;
		if (n < 64)
			break;
	}
	return total;
}

/* The reassembled frame is the original datagram, unfragmented. */
static void check_frame(const struct ctx *c, const struct frags *f)
{
	struct cp_pkt p;
	uint32_t hl = f->family == 4 ? V4_HLEN : 40;

	assert_non_null(c->frame);
	assert_int_equal(c->flen, ETH_HLEN + hl + UDP_HLEN + f->plen);
	assert_int_equal(cp_parse(c->frame, (uint32_t)c->flen, &p), CP_R_NONE);
	assert_int_equal(p.frag, CP_FRAG_NONE);
	assert_int_equal(p.l3, f->family == 4 ? CP_L3_IPV4 : CP_L3_IPV6);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 5000);
	assert_int_equal(p.payload_len, f->plen);
	assert_memory_equal(c->frame + p.payload_off, f->payload, f->plen);
	assert_memory_equal(c->frame, f->b[0], ETH_HLEN); /* the first fragment's L2 header */
	if (f->family == 4) {
		struct rte_ipv4_hdr h;

		memcpy(&h, c->frame + ETH_HLEN, sizeof(h));
		assert_int_equal(h.fragment_offset, 0);
		uint16_t sum = h.hdr_checksum;
		h.hdr_checksum = 0;
		assert_int_equal(rte_ipv4_cksum(&h), sum);
	}
}

/* ---- complete datagrams in any order ---- */

struct order_case {
	const char *name;
	int family;
	uint32_t plen, chunk;
	const char *order; /* fragment indexes, one digit each */
};

static const struct order_case order_cases[] = {
    {"v4 in order", 4, 200, 64, "0123"},
    {"v4 reversed", 4, 200, 64, "3210"},
    {"v4 shuffled", 4, 200, 64, "2031"},
    {"v4 two", 4, 1000, 1000, "10"},
    {"v4 eight (the most)", 4, 1000, 128, "70123456"},
    {"v6 in order", 6, 200, 64, "0123"},
    {"v6 reversed", 6, 200, 64, "3210"},
    {"v6 last first", 6, 1400, 512, "201"},
    {"v4 odd last", 4, 101, 24, "40213"},
};

static void test_orders(void **state)
{
	(void)state;
	static struct frags f;

	for (size_t k = 0; k < sizeof(order_cases) / sizeof(order_cases[0]); k++) {
		const struct order_case *oc = &order_cases[k];
		size_t n = strlen(oc->order);
		struct rte_mbuf *pushed[MAXF];
		struct ctx c;

		print_message("case %s\n", oc->name);
		mk_dgram(&f, oc->family, 0x1234 + (uint32_t)k, 7, oc->plen, oc->chunk);
		assert_int_equal(f.n, n);
		ctx_open(&c, 4, 16);
		for (size_t i = 0; i < n; i++) {
			enum cp_reasm_rc rc =
			    push(&c, &f, (unsigned)(oc->order[i] - '0'), i + 1, T0 + i);
			pushed[i] = c.last;
			assert_int_equal(rc, i + 1 < n ? CP_REASM_HELD : CP_REASM_DONE);
			assert_int_equal(cp_reasm_held(c.r), i + 1 < n ? i + 1 : 0);
		}
		check_frame(&c, &f);
		assert_int_equal(c.nheld, n);
		for (size_t i = 0; i < n; i++)
			assert_ptr_equal(c.held[i], pushed[i]); /* arrival order, m last */
		free_held(&c);
		assert_int_equal(expire_all(&c, T0 + 100 * S, 0), 0);
		ctx_close(&c);
	}
}

/* Two datagrams of one address pair, fragments alternating; then two of IPv6. */
static void test_interleaved(void **state)
{
	(void)state;
	static struct frags a, b, v6a, v6b;
	struct ctx c;

	mk_dgram(&a, 4, 100, 9, 120, 64);
	mk_dgram(&b, 4, 101, 9, 120, 64);
	mk_dgram(&v6a, 6, 100, 9, 120, 64);
	mk_dgram(&v6b, 6, 101, 9, 120, 64);
	ctx_open(&c, 8, 16);
	assert_int_equal(push(&c, &a, 0, 1, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &b, 1, 2, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &v6a, 1, 3, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &v6b, 0, 4, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &b, 0, 5, T0), CP_REASM_DONE);
	check_frame(&c, &b);
	assert_int_equal(c.nheld, 2);
	free_held(&c);
	assert_int_equal(push(&c, &v6a, 0, 6, T0), CP_REASM_DONE);
	check_frame(&c, &v6a);
	free_held(&c);
	assert_int_equal(push(&c, &a, 1, 7, T0), CP_REASM_DONE);
	check_frame(&c, &a);
	free_held(&c);
	assert_int_equal(cp_reasm_held(c.r), 1);
	assert_int_equal(push(&c, &v6b, 1, 8, T0), CP_REASM_DONE);
	check_frame(&c, &v6b);
	free_held(&c);
	assert_int_equal(cp_reasm_held(c.r), 0);
	ctx_close(&c);
}

/* ---- hostile and refused fragments ---- */

/* A duplicate first fragment: rte_ip_frag drops the datagram. The duplicate is refused, so is
 * every later fragment of that datagram; the held original comes back at the timeout. */
static void test_duplicate_first(void **state)
{
	(void)state;
	static struct frags f;
	struct ctx c;

	mk_dgram(&f, 4, 7, 3, 200, 64);
	ctx_open(&c, 4, 16);
	assert_int_equal(push(&c, &f, 0, 1, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &f, 0, 2, T0), CP_REASM_REFUSED);
	assert_int_equal(push(&c, &f, 1, 3, T0), CP_REASM_REFUSED);
	assert_int_equal(push(&c, &f, 2, 4, T0), CP_REASM_REFUSED);
	assert_int_equal(push(&c, &f, 3, 5, T0), CP_REASM_REFUSED);
	assert_int_equal(cp_reasm_held(c.r), 1);
	assert_int_equal(expire_all(&c, T0 + TIMEOUT, 0), 0);
	assert_int_equal(expire_all(&c, T0 + TIMEOUT + 1, 0), 1);
	assert_int_equal(cp_reasm_held(c.r), 0);
	/* the key is free again: the whole datagram now reassembles */
	for (unsigned i = 0; i < f.n; i++)
		assert_int_equal(push(&c, &f, i, 10 + i, T0 + TIMEOUT + 2),
				 i + 1 < f.n ? CP_REASM_HELD : CP_REASM_DONE);
	check_frame(&c, &f);
	free_held(&c);
	ctx_close(&c);
}

/* Overlapping fragments: refused by the fragment that shows the sizes do not add up (the last one
 * here); the others wait for the timeout. A duplicate last fragment likewise. */
static void test_overlap(void **state)
{
	(void)state;
	static struct frags f, g;
	uint8_t data[64];
	struct ctx c;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	memset(&f, 0, sizeof(f));
	f.family = 4;
	wr16(data + 4, 32); /* UDP length: the datagram is 32 bytes */
	put_frag(&f, 4, 9, 4, 0, data, 16, 1);
	put_frag(&f, 4, 9, 4, 8, data + 8, 16, 1);
	put_frag(&f, 4, 9, 4, 24, data + 24, 8, 0);
	ctx_open(&c, 4, 16);
	assert_int_equal(push(&c, &f, 0, 1, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &f, 1, 2, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &f, 2, 3, T0), CP_REASM_REFUSED);
	assert_int_equal(cp_reasm_held(c.r), 2);
	assert_int_equal(push(&c, &f, 2, 4, T0), CP_REASM_REFUSED);
	assert_int_equal(expire_all(&c, T0 + TIMEOUT + 1, 0), 2);

	/* a duplicate last fragment (IPv6) */
	mk_dgram(&g, 6, 77, 4, 200, 64);
	assert_int_equal(push(&c, &g, 3, 1, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &g, 3, 2, T0), CP_REASM_REFUSED);
	assert_int_equal(push(&c, &g, 0, 3, T0), CP_REASM_REFUSED);
	assert_int_equal(expire_all(&c, T0 + TIMEOUT + 1, 0), 1);
	ctx_close(&c);
}

/* Fragments refused on sight: held table untouched. */
struct bad_case {
	const char *name;
	int family;
	uint32_t ofs, dlen;
	int more;
	int hbh; /* IPv6: a hop-by-hop header before the fragment header */
};

static const struct bad_case bad_cases[] = {
    {"v4 zero length", 4, 8, 0, 1, 0},
    {"v4 past the frame limit", 4, 65512, 16, 0, 0},
    {"v4 middle not a multiple of 8", 4, 8, 12, 1, 0},
    {"v6 zero length", 6, 16, 0, 1, 0},
    {"v6 past the frame limit", 6, 65496, 32, 0, 0},
    {"v6 hop-by-hop before the fragment header", 6, 0, 16, 1, 1},
};

static void test_refused_on_sight(void **state)
{
	(void)state;
	static struct frags f;
	uint8_t data[64] = {0};
	struct ctx c;

	ctx_open(&c, 4, 16);
	for (size_t k = 0; k < sizeof(bad_cases) / sizeof(bad_cases[0]); k++) {
		const struct bad_case *bc = &bad_cases[k];

		print_message("case %s\n", bc->name);
		memset(&f, 0, sizeof(f));
		wr16(data + 4, 200);
		put_frag(&f, bc->family, 5, 6, bc->ofs, data, bc->dlen, bc->more);
		if (bc->hbh) {
			/* move the fragment header and data 8 bytes on, insert hop-by-hop */
			uint8_t *h = f.b[0] + ETH_HLEN;
			uint32_t rest = f.len[0] - ETH_HLEN - 40;

			memmove(h + 48, h + 40, rest);
			memset(h + 40, 0, 8);
			h[40] = 44; /* next: fragment; length 0 (8 bytes); PadN */
			h[42] = 1;
			h[43] = 4;
			h[6] = 0;
			wr16(h + 4, rest + 8);
			f.len[0] += 8;
		}
		assert_int_equal(push(&c, &f, 0, 1, T0), CP_REASM_REFUSED);
		assert_int_equal(cp_reasm_held(c.r), 0);
	}
	ctx_close(&c);
}

/* More fragments than rte_ip_frag takes (RTE_LIBRTE_IP_FRAG_MAX_FRAG, 8 in DPDK 22.11): the
 * datagram is dropped at the seventh middle fragment. */
static void test_too_many_fragments(void **state)
{
	(void)state;
	static struct frags f;
	struct ctx c;

	mk_dgram(&f, 4, 8, 2, 1000, 96);
	assert_int_equal(f.n, 11);
	ctx_open(&c, 4, 16);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(push(&c, &f, i, i + 1, T0), CP_REASM_HELD);
	for (unsigned i = 7; i < f.n; i++)
		assert_int_equal(push(&c, &f, i, i + 1, T0), CP_REASM_REFUSED);
	assert_int_equal(cp_reasm_held(c.r), 7);
	ctx_close(&c); /* frees held frames too */
}

static void test_limits(void **state)
{
	(void)state;
	static struct frags a, b;
	struct ctx c;

	mk_dgram(&a, 4, 1, 1, 200, 64);
	mk_dgram(&b, 4, 2, 1, 200, 64);
	/* max_datagrams = 1 */
	ctx_open(&c, 1, 16);
	assert_int_equal(push(&c, &a, 0, 1, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &b, 0, 2, T0), CP_REASM_REFUSED);
	assert_int_equal(push(&c, &a, 1, 3, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &a, 2, 4, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &a, 3, 5, T0), CP_REASM_DONE);
	free_held(&c);
	assert_int_equal(push(&c, &b, 0, 6, T0), CP_REASM_HELD); /* room again */
	ctx_close(&c);

	/* max_held = 2 */
	ctx_open(&c, 4, 2);
	assert_int_equal(push(&c, &a, 0, 1, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &b, 0, 2, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &a, 1, 3, T0), CP_REASM_REFUSED);
	assert_int_equal(push(&c, &b, 1, 4, T0), CP_REASM_REFUSED);
	assert_int_equal(cp_reasm_held(c.r), 2);
	/* a held array smaller than max_held + 1 is refused */
	{
		struct cp_pkt p;
		struct rte_mbuf *m = to_mbuf(a.b[3], a.len[3]);
		const uint8_t *fr;
		size_t fl;
		unsigned nh;

		assert_int_equal(cp_parse(a.b[3], a.len[3], &p), CP_R_NONE);
		assert_int_equal(cp_reasm_push(c.r, m, &p, 5, T0, &fr, &fl, c.held, 2, &nh),
				 CP_REASM_REFUSED);
		rte_pktmbuf_free(m);
	}
	assert_int_equal(expire_all(&c, T0 + TIMEOUT + 1, 0), 2);
	ctx_close(&c);

	/* bad configurations */
	struct cp_reasm_cfg bad[] = {
	    {.max_datagrams = 0, .max_held = 4, .timeout_ns = S},
	    {.max_datagrams = 4, .max_held = 0, .timeout_ns = S},
	    {.max_datagrams = 4, .max_held = 4, .timeout_ns = 0},
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		assert_null(cp_reasm_create("reasm_bad", SOCKET_ID_ANY, &bad[k], pool));
	assert_null(
	    cp_reasm_create("reasm_bad", SOCKET_ID_ANY, &(struct cp_reasm_cfg){4, 4, S}, NULL));
}

/* ---- expiry ---- */

static void test_timeout(void **state)
{
	(void)state;
	static struct frags f, g;
	struct rte_mbuf *out[4];
	struct rte_mbuf *first;
	struct ctx c;

	mk_dgram(&f, 4, 21, 5, 200, 64);
	mk_dgram(&g, 6, 22, 5, 200, 64);
	ctx_open(&c, 4, 16);
	assert_int_equal(push(&c, &f, 0, 1, T0), CP_REASM_HELD);
	first = c.last;
	assert_int_equal(push(&c, &f, 1, 2, T0 + S), CP_REASM_HELD);
	assert_int_equal(push(&c, &g, 2, 3, T0 + 2 * S), CP_REASM_HELD);
	assert_int_equal(cp_reasm_expire(c.r, T0 + TIMEOUT, 0, out, 4), 0);
	/* a fragment of a timed-out datagram is refused until expire hands it back */
	assert_int_equal(push(&c, &f, 2, 4, T0 + TIMEOUT + 1), CP_REASM_REFUSED);
	/* first arrival counts, not the last: f times out, g not yet */
	assert_int_equal(cp_reasm_expire(c.r, T0 + TIMEOUT + 1, 0, out, 4), 2);
	assert_ptr_equal(out[0], first);
	rte_pktmbuf_free(out[0]);
	rte_pktmbuf_free(out[1]);
	assert_int_equal(cp_reasm_held(c.r), 1);
	/* the rest of f alone does not complete: rte_ip_frag forgot it too */
	assert_int_equal(push(&c, &f, 2, 5, T0 + TIMEOUT + 2), CP_REASM_HELD);
	assert_int_equal(push(&c, &f, 3, 6, T0 + TIMEOUT + 2), CP_REASM_HELD);
	/* and its first fragments, sent again, complete it */
	assert_int_equal(push(&c, &f, 0, 7, T0 + TIMEOUT + 3), CP_REASM_HELD);
	assert_int_equal(push(&c, &f, 1, 8, T0 + TIMEOUT + 3), CP_REASM_DONE);
	assert_int_equal(c.nheld, 4);
	check_frame(&c, &f);
	free_held(&c);
	/* g, with cap 1: one frame a call */
	assert_int_equal(cp_reasm_expire(c.r, T0 + 2 * S + TIMEOUT + 1, 0, out, 1), 1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(cp_reasm_expire(c.r, T0 + 2 * S + TIMEOUT + 1, 0, out, 1), 0);
	assert_int_equal(cp_reasm_held(c.r), 0);
	ctx_close(&c);
}

static void test_tag_expiry(void **state)
{
	(void)state;
	static struct frags a, b;
	struct rte_mbuf *out[8];
	struct rte_mbuf *a0, *a1;
	struct ctx c;

	mk_dgram(&a, 4, 31, 8, 200, 64);
	mk_dgram(&b, 6, 32, 8, 200, 64);
	ctx_open(&c, 4, 16);
	assert_int_equal(push(&c, &a, 3, 10, T0), CP_REASM_HELD);
	a0 = c.last;
	assert_int_equal(push(&c, &b, 0, 11, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &a, 1, 12, T0), CP_REASM_HELD);
	a1 = c.last;
	assert_int_equal(push(&c, &b, 1, 20, T0), CP_REASM_HELD);
	assert_int_equal(cp_reasm_expire(c.r, T0, 0, out, 8), 0); /* 0: no tag limit */
	assert_int_equal(cp_reasm_expire(c.r, T0, 9, out, 8), 0);
	/* oldest tag of a is 10, of b 11; cap 1 hands a back in two calls */
	assert_int_equal(cp_reasm_expire(c.r, T0, 10, out, 1), 1);
	assert_ptr_equal(out[0], a0);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(cp_reasm_expire(c.r, T0, 10, out, 1), 1);
	assert_ptr_equal(out[0], a1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(cp_reasm_expire(c.r, T0, 10, out, 8), 0);
	assert_int_equal(cp_reasm_held(c.r), 2);
	/* a's remaining fragments no longer complete anything */
	assert_int_equal(push(&c, &a, 0, 21, T0), CP_REASM_HELD);
	assert_int_equal(push(&c, &a, 2, 22, T0), CP_REASM_HELD);
	assert_int_equal(expire_all(&c, T0, 22), 4);
	ctx_close(&c);
}

/* When rte_ip_frag still holds copies of an expired datagram (the pool was empty when it was to be
 * flushed), it can complete it without an entry here: DONE with m alone. */
static void test_done_without_entry(void **state)
{
	(void)state;
	static struct frags f;
	static struct rte_mbuf *hog[NMBUF];
	unsigned nhog = 0;
	struct ctx c;

	mk_dgram(&f, 4, 41, 9, 120, 64);
	assert_int_equal(f.n, 2);
	ctx_open(&c, 4, 16);
	assert_int_equal(push(&c, &f, 0, 1, T0), CP_REASM_HELD);
	while (nhog < NMBUF && (hog[nhog] = rte_pktmbuf_alloc(pool)) != NULL)
		nhog++;
	assert_int_equal(expire_all(&c, T0, 1), 1);
	for (unsigned i = 0; i < nhog; i++)
		rte_pktmbuf_free(hog[i]);
	assert_int_equal(push(&c, &f, 1, 2, T0), CP_REASM_DONE);
	assert_int_equal(c.nheld, 1);
	assert_ptr_equal(c.held[0], c.last);
	check_frame(&c, &f);
	free_held(&c);
	assert_int_equal(cp_reasm_held(c.r), 0);
	ctx_close(&c);
}

/* Freeing the module frees what it holds, in both tables. */
static void test_free_with_held(void **state)
{
	(void)state;
	static struct frags f, g;
	struct ctx c;

	mk_dgram(&f, 4, 51, 1, 500, 64);
	mk_dgram(&g, 6, 52, 1, 500, 64);
	ctx_open(&c, 4, 32);
	for (unsigned i = 0; i + 1 < f.n; i++)
		assert_int_equal(push(&c, &f, i, i, T0), CP_REASM_HELD);
	for (unsigned i = 1; i < g.n; i++)
		assert_int_equal(push(&c, &g, i, i, T0), CP_REASM_HELD);
	assert_int_equal(cp_reasm_held(c.r), f.n - 1 + g.n - 1);
	ctx_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_orders),	     cmocka_unit_test(test_interleaved),
	    cmocka_unit_test(test_duplicate_first),  cmocka_unit_test(test_overlap),
	    cmocka_unit_test(test_refused_on_sight), cmocka_unit_test(test_too_many_fragments),
	    cmocka_unit_test(test_limits),	     cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_tag_expiry),	     cmocka_unit_test(test_done_without_entry),
	    cmocka_unit_test(test_free_with_held),
	};
	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
