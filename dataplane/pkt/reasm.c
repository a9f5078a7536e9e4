/* IP fragment reassembly for one worker (reasm.h). The originals are held here, per datagram, in
 * arrival order; a copy of each goes to rte_ip_frag, which rebuilds the datagram.
 *
 * Time: rte_ip_frag only compares its tms arguments with each other and with the table's
 * max_cycles, never with the TSC, so the caller's nanoseconds are passed as tms unchanged and the
 * table's max_cycles is timeout_ns. Both tables thus expire a datagram at exactly the same `now`
 * (first arrival + timeout < now), with real or replay's virtual time alike.
 *
 * Staying in step with rte_ip_frag: every copy it holds carries, in hash.usr, the index (+1) of the
 * entry holding its original. Whatever rte_ip_frag frees goes to the death row, which is read after
 * every call: a copy of ours there means rte_ip_frag dropped that datagram (overlap, duplicate
 * first or last fragment, more than RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments, expiry), so the entry
 * becomes dead: it refuses further fragments and its originals wait for cp_reasm_expire. When an
 * entry is forgotten (expiry), rte_ip_frag's datagram with that key is flushed by feeding it two
 * first fragments (the second is a duplicate first, which makes it free the datagram), so stale
 * copies do not linger in its table.
 *
 * Refused on sight: zero-length fragments, a middle fragment whose length is not a multiple of 8,
 * a fragment that would put the frame past CP_REASM_FRAME_MAX, IPv6 with extension headers before
 * the fragment header (rte_ip_frag of DPDK 22.11 would rebuild those wrongly), a full table. A
 * fragment that makes rte_ip_frag drop its datagram (an overlap, seen once the sizes add up past
 * the length; a duplicate first or last fragment; more than RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments)
 * is refused, and so is every later fragment of that datagram until cp_reasm_expire hands its held
 * originals back at the timeout. The pool must have room for max_held copies (plus two mbufs while
 * a datagram is flushed). */
#include "reasm.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#define ETH_P_IPV4     0x0800
#define ETH_P_IPV6     0x86dd
#define IPV4_MIN_HLEN  20
#define IPV4_MF	       0x2000
#define IPV4_OFF_MASK  0x1fff
#define IPV6_HLEN      40
#define IPV6_FRAG_HLEN 8
#define IPPROTO_FRAG_  44
#define IPPROTO_NONE_  59
#define KILL_DATA_LEN  8
#define NIL	       UINT32_MAX
#define MAX_DATAGRAMS  (1u << 20)
#define MAX_HELD       (1u << 22)

struct dg_key {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;	/* IPv4 only (RFC 791 keys by it); 0 for IPv6 */
	uint8_t pad[2];
	uint32_t
	    id; /* IPv4: the 16-bit identification; IPv6: the fragment header's; as on the wire */
	uint8_t src[16], dst[16];
};

struct slot {
	struct rte_mbuf *orig;
	struct rte_mbuf
	    *copy; /* the copy given to rte_ip_frag; only compared, never dereferenced */
	uint64_t tag;
	uint32_t next;
};

enum dg_state { DG_FREE = 0, DG_LIVE, DG_DEAD };

struct dg {
	struct dg_key key;
	uint64_t first_ns;
	uint64_t min_tag;
	uint32_t head, tail, n; /* held slots, arrival order */
	uint32_t hnext;		/* hash chain, or the free list */
	uint32_t prev, next;	/* entries in use, oldest first */
	uint8_t state;
	uint8_t expiring; /* cp_reasm_expire is handing its originals back */
};

struct cp_reasm {
	struct cp_reasm_cfg cfg;
	struct rte_mempool *pool;
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr;
	struct dg *dg;
	struct slot *slot;
	uint32_t *bucket;
	uint32_t bucket_mask;
	uint32_t dg_free, slot_free;
	uint32_t used_head, used_tail;
	uint32_t ndg, nheld;
	uint8_t *buf; /* CP_REASM_FRAME_MAX bytes: the last reassembled frame */
};

static inline uint32_t rd16(const uint8_t *b)
{
	return (uint32_t)b[0] << 8 | b[1];
}

static uint32_t key_hash(const struct dg_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* ---- entries ---- */

static uint32_t dg_lookup(const struct cp_reasm *r, const struct dg_key *k)
{
	uint32_t i = r->bucket[key_hash(k) & r->bucket_mask];
	uint32_t steps = 0;

	while (i != NIL && steps++ < r->cfg.max_datagrams) {
		if (memcmp(&r->dg[i].key, k, sizeof(*k)) == 0)
			return i;
		i = r->dg[i].hnext;
	}
	return NIL;
}

static uint32_t dg_alloc(struct cp_reasm *r, const struct dg_key *k, uint64_t now, uint64_t tag)
{
	uint32_t i = r->dg_free;
	uint32_t b = key_hash(k) & r->bucket_mask;
	struct dg *d;

	if (i == NIL)
		return NIL;
	d = &r->dg[i];
	r->dg_free = d->hnext;
	memset(d, 0, sizeof(*d));
	d->key = *k;
	d->first_ns = now;
	d->min_tag = tag;
	d->head = d->tail = NIL;
	d->state = DG_LIVE;
	d->hnext = r->bucket[b];
	r->bucket[b] = i;
	d->prev = r->used_tail;
	d->next = NIL;
	if (r->used_tail != NIL)
		r->dg[r->used_tail].next = i;
	else
		r->used_head = i;
	r->used_tail = i;
	r->ndg++;
	return i;
}

/* Forgets entry i, which holds no slots. */
static void dg_release(struct cp_reasm *r, uint32_t i)
{
	struct dg *d = &r->dg[i];
	uint32_t *pp = &r->bucket[key_hash(&d->key) & r->bucket_mask];
	uint32_t steps = 0;

	while (*pp != NIL && *pp != i && steps++ < r->cfg.max_datagrams)
		pp = &r->dg[*pp].hnext;
	if (*pp == i)
		*pp = d->hnext;
	if (d->prev != NIL)
		r->dg[d->prev].next = d->next;
	else
		r->used_head = d->next;
	if (d->next != NIL)
		r->dg[d->next].prev = d->prev;
	else
		r->used_tail = d->prev;
	d->state = DG_FREE;
	d->hnext = r->dg_free;
	r->dg_free = i;
	r->ndg--;
}

static void slot_append(struct cp_reasm *r, uint32_t di, struct rte_mbuf *m, struct rte_mbuf *c,
			uint64_t tag)
{
	struct dg *d = &r->dg[di];
	uint32_t s = r->slot_free;

	r->slot_free = r->slot[s].next;
	r->slot[s] = (struct slot){.orig = m, .copy = c, .tag = tag, .next = NIL};
	if (d->tail != NIL)
		r->slot[d->tail].next = s;
	else
		d->head = s;
	d->tail = s;
	d->n++;
	if (tag < d->min_tag)
		d->min_tag = tag;
	r->nheld++;
}

/* Removes entry di's oldest slot and returns its original. */
static struct rte_mbuf *slot_pop(struct cp_reasm *r, uint32_t di)
{
	struct dg *d = &r->dg[di];
	uint32_t s = d->head;
	struct rte_mbuf *m = r->slot[s].orig;

	d->head = r->slot[s].next;
	if (d->head == NIL)
		d->tail = NIL;
	d->n--;
	r->slot[s].orig = NULL;
	r->slot[s].copy = NULL;
	r->slot[s].next = r->slot_free;
	r->slot_free = s;
	r->nheld--;
	return m;
}

static int dg_timed_out(const struct cp_reasm *r, const struct dg *d, uint64_t now)
{
	return now > d->first_ns && now - d->first_ns > r->cfg.timeout_ns;
}

/* ---- rte_ip_frag ---- */

/* Reads the death row after a call: marks dead every entry whose copy rte_ip_frag freed, says
 * whether c (may be NULL) is there, and frees the row. */
static int settle_death_row(struct cp_reasm *r, const struct rte_mbuf *c)
{
	int c_dropped = 0;

	for (uint32_t i = 0; i < r->dr.cnt && i < RTE_DIM(r->dr.row); i++) {
		const struct rte_mbuf *d = r->dr.row[i];
		uint32_t di;

		if (d == c) {
			c_dropped = 1;
			continue;
		}
		if (d->hash.usr == 0 || d->hash.usr > r->cfg.max_datagrams)
			continue;
		di = d->hash.usr - 1;
		if (r->dg[di].state != DG_LIVE)
			continue;
		for (uint32_t s = r->dg[di].head, n = 0; s != NIL && n < r->dg[di].n;
		     s = r->slot[s].next, n++) {
			if (r->slot[s].copy == d) {
				r->dg[di].state = DG_DEAD;
				break;
			}
		}
	}
	rte_ip_frag_free_death_row(&r->dr, 0);
	return c_dropped;
}

/* Gives copy c (l2_len and l3_len set) to rte_ip_frag. */
static struct rte_mbuf *frag_feed(struct cp_reasm *r, struct rte_mbuf *c, uint8_t family,
				  uint64_t now)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(c, uint8_t *, c->l2_len);

	if (family == 4)
		return rte_ipv4_frag_reassemble_packet(r->tbl, &r->dr, c, now,
						       (struct rte_ipv4_hdr *)ip);
	return rte_ipv6_frag_reassemble_packet(r->tbl, &r->dr, c, now, (struct rte_ipv6_hdr *)ip,
					       (struct rte_ipv6_fragment_ext *)(ip + IPV6_HLEN));
}

/* A first fragment (offset 0, more fragments, 8 zero bytes) with key k, no L2 header. */
static int build_kill(struct rte_mbuf *m, const struct dg_key *k)
{
	uint32_t l3 = k->family == 4 ? IPV4_MIN_HLEN : IPV6_HLEN + IPV6_FRAG_HLEN;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l3 + KILL_DATA_LEN));

	if (b == NULL)
		return -1;
	memset(b, 0, l3 + KILL_DATA_LEN);
	m->l2_len = 0;
	m->l3_len = l3;
	m->hash.usr = 0;
	if (k->family == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)b;
		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16(IPV4_MIN_HLEN + KILL_DATA_LEN);
		memcpy(&h->packet_id, &k->id, 2); /* as read from the wire */
		h->fragment_offset = rte_cpu_to_be_16(IPV4_MF);
		h->time_to_live = 1;
		h->next_proto_id = k->proto;
		memcpy(&h->src_addr, k->src, 4);
		memcpy(&h->dst_addr, k->dst, 4);
	} else {
		b[0] = 0x60;
		b[4] = 0;
		b[5] = IPV6_FRAG_HLEN + KILL_DATA_LEN;
		b[6] = IPPROTO_FRAG_;
		b[7] = 1;
		memcpy(b + 8, k->src, 16);
		memcpy(b + 24, k->dst, 16);
		b[IPV6_HLEN] = IPPROTO_NONE_;
		b[IPV6_HLEN + 3] = 1; /* offset 0, M */
		memcpy(b + IPV6_HLEN + 4, &k->id, 4);
	}
	return 0;
}

/* Makes rte_ip_frag drop whatever it holds for key k: a first fragment, and if that one was kept,
 * a second (a duplicate first fragment makes rte_ip_frag free the whole datagram). Copies of ours
 * it frees mark their entries dead. Without two mbufs nothing is done; a stale datagram then ends
 * by rte_ip_frag's own timeout, and a completion it causes is handled by cp_reasm_push. */
static void frag_flush(struct cp_reasm *r, const struct dg_key *k, uint64_t now)
{
	struct rte_mbuf *kill[2];
	struct rte_mbuf *out;

	if (rte_pktmbuf_alloc_bulk(r->pool, kill, 2) != 0)
		return;
	if (build_kill(kill[0], k) != 0 || build_kill(kill[1], k) != 0) {
		rte_pktmbuf_free_bulk(kill, 2);
		return;
	}
	for (int i = 0; i < 2; i++) {
		out = frag_feed(r, kill[i], k->family, now);
		if (out != NULL) {
			settle_death_row(r, NULL);
			rte_pktmbuf_free(out);
			if (i == 0)
				rte_pktmbuf_free(kill[1]);
			return;
		}
		if (settle_death_row(r, kill[i])) {
			if (i == 0)
				rte_pktmbuf_free(kill[1]);
			return;
		}
	}
	/* Both kept: cannot happen (the second is a duplicate first fragment). */
}

/* ---- the fragment ---- */

struct frag_info {
	struct dg_key key;
	uint32_t l2_len, l3_len; /* l3_len: IPv4 header, or IPv6 header + fragment header */
	uint32_t ofs, len;	 /* data offset in the datagram, data bytes */
	uint32_t out_hlen;	 /* IP header length in the reassembled frame */
	int more;
};

/* Reads the fragment's key and geometry from its frame. 0 when it can be reassembled. */
static int frag_info(const struct rte_mbuf *m, const struct cp_pkt *p, struct frag_info *fi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t dlen = rte_pktmbuf_data_len(m);
	uint32_t l3 = p->l3_off, end = p->l3_end;

	memset(fi, 0, sizeof(*fi));
	if (end > rte_pktmbuf_pkt_len(m) || l3 >= end)
		return -1;
	fi->l2_len = l3;
	if (p->l3 == CP_L3_IPV4) {
		const uint8_t *h = f + l3;
		uint32_t hlen, tot, ff;

		if (p->ethertype != ETH_P_IPV4 || l3 + IPV4_MIN_HLEN > dlen)
			return -1;
		hlen = (uint32_t)(h[0] & 0x0f) * 4;
		tot = rd16(h + 2);
		ff = rd16(h + 6);
		if (hlen < IPV4_MIN_HLEN || l3 + hlen > dlen || tot < hlen || l3 + tot != end)
			return -1;
		fi->key.family = 4;
		fi->key.proto = h[9];
		memcpy(&fi->key.id, h + 4, 2);
		memcpy(fi->key.src, h + 12, 4);
		memcpy(fi->key.dst, h + 16, 4);
		fi->l3_len = hlen;
		fi->out_hlen = hlen;
		fi->ofs = (ff & IPV4_OFF_MASK) * 8;
		fi->more = (ff & IPV4_MF) != 0;
		fi->len = tot - hlen;
	} else if (p->l3 == CP_L3_IPV6) {
		const uint8_t *h = f + l3;
		uint32_t fo;

		/* rte_ip_frag (22.11) handles only a fragment header right after the IPv6 header.
		 */
		if (p->ethertype != ETH_P_IPV6 || l3 + IPV6_HLEN + IPV6_FRAG_HLEN > dlen ||
		    h[6] != IPPROTO_FRAG_ || l3 + IPV6_HLEN + IPV6_FRAG_HLEN > end ||
		    l3 + IPV6_HLEN + rd16(h + 4) != end)
			return -1;
		fo = rd16(h + IPV6_HLEN + 2);
		fi->key.family = 6;
		memcpy(&fi->key.id, h + IPV6_HLEN + 4, 4);
		memcpy(fi->key.src, h + 8, 16);
		memcpy(fi->key.dst, h + 24, 16);
		fi->l3_len = IPV6_HLEN + IPV6_FRAG_HLEN;
		fi->out_hlen = IPV6_HLEN;
		fi->ofs = (fo >> 3) * 8;
		fi->more = fo & 1;
		fi->len = end - l3 - IPV6_HLEN - IPV6_FRAG_HLEN;
	} else {
		return -1;
	}
	if (fi->len == 0 || (fi->more && fi->len % 8 != 0) || (fi->ofs == 0 && !fi->more))
		return -1;
	if ((uint64_t)fi->l2_len + fi->out_hlen + fi->ofs + fi->len > CP_REASM_FRAME_MAX)
		return -1;
	return 0;
}

/* Copies chain c into r->buf and fixes the IPv4 checksum. Returns the length, 0 if too long. */
static size_t linearize(struct cp_reasm *r, const struct rte_mbuf *c)
{
	size_t len = 0;
	uint32_t nseg = 0;

	if (rte_pktmbuf_pkt_len(c) > CP_REASM_FRAME_MAX)
		return 0;
	for (const struct rte_mbuf *s = c; s != NULL && nseg < c->nb_segs; s = s->next, nseg++) {
		uint32_t n = rte_pktmbuf_data_len(s);

		if (len + n > CP_REASM_FRAME_MAX)
			return 0;
		memcpy(r->buf + len, rte_pktmbuf_mtod(s, const uint8_t *), n);
		len += n;
	}
	if (len != rte_pktmbuf_pkt_len(c))
		return 0;
	if (c->l3_len >= IPV4_MIN_HLEN && len >= (size_t)c->l2_len + c->l3_len &&
	    (r->buf[c->l2_len] >> 4) == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)(r->buf + c->l2_len);

		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	}
	return len;
}

enum cp_reasm_rc cp_reasm_push(struct cp_reasm *r, struct rte_mbuf *m, const struct cp_pkt *p,
			       uint64_t tag, uint64_t now, const uint8_t **frame, size_t *flen,
			       struct rte_mbuf **held, unsigned cap, unsigned *nheld)
{
	struct frag_info fi;
	struct rte_mbuf *c, *out;
	uint32_t di;
	int fresh = 0, c_dropped;
	size_t len;

	*nheld = 0;
	*frame = NULL;
	*flen = 0;
	if (m == NULL || p == NULL || p->frag == CP_FRAG_NONE || cap < r->cfg.max_held + 1u)
		return CP_REASM_REFUSED;
	if (frag_info(m, p, &fi) != 0)
		return CP_REASM_REFUSED;
	di = dg_lookup(r, &fi.key);
	if (di != NIL) {
		/* A timed-out datagram takes nothing more: cp_reasm_expire hands it back. */
		if (r->dg[di].state != DG_LIVE || dg_timed_out(r, &r->dg[di], now))
			return CP_REASM_REFUSED;
	} else if (r->ndg >= r->cfg.max_datagrams) {
		return CP_REASM_REFUSED;
	}
	if (r->nheld >= r->cfg.max_held)
		return CP_REASM_REFUSED;
	c = rte_pktmbuf_copy(m, r->pool, 0, UINT32_MAX);
	if (c == NULL)
		return CP_REASM_REFUSED;
	if (rte_pktmbuf_data_len(c) < fi.l2_len + fi.l3_len) {
		rte_pktmbuf_free(c);
		return CP_REASM_REFUSED;
	}
	if (di == NIL) {
		di = dg_alloc(r, &fi.key, now, tag);
		fresh = 1;
	}
	c->l2_len = fi.l2_len;
	c->l3_len = fi.l3_len;
	c->hash.usr = di + 1;
	out = frag_feed(r, c, fi.key.family, now);
	c_dropped = settle_death_row(r, c);

	if (out != NULL) {
		struct dg *d = &r->dg[di];
		unsigned n = 0;

		len = linearize(r, out);
		rte_pktmbuf_free(out);
		if (len == 0) {
			d->state = DG_DEAD;
			if (d->n == 0)
				dg_release(r, di);
			return CP_REASM_REFUSED;
		}
		if (d->state == DG_LIVE) {
			while (d->n > 0 && n < cap - 1u)
				held[n++] = slot_pop(r, di);
		}
		held[n++] = m;
		if (d->n == 0)
			dg_release(r, di);
		else
			d->state = DG_DEAD; /* cannot happen: cap covers max_held */
		*nheld = n;
		*frame = r->buf;
		*flen = len;
		return CP_REASM_DONE;
	}
	if (c_dropped) {
		if (fresh)
			dg_release(r, di);
		return CP_REASM_REFUSED;
	}
	if (r->dg[di].state != DG_LIVE) {
		/* rte_ip_frag dropped this datagram's earlier copies and began a new one with c. */
		frag_flush(r, &fi.key, now);
		return CP_REASM_REFUSED;
	}
	slot_append(r, di, m, c, tag);
	return CP_REASM_HELD;
}

unsigned cp_reasm_expire(struct cp_reasm *r, uint64_t now, uint64_t max_tag, struct rte_mbuf **out,
			 unsigned cap)
{
	unsigned n = 0;
	uint32_t i = r->used_head, steps = 0, limit = r->ndg;

	while (i != NIL && n < cap && steps++ < limit) {
		struct dg *d = &r->dg[i];
		uint32_t next = d->next;

		if (!d->expiring) {
			if (!dg_timed_out(r, d, now) && !(max_tag != 0 && d->min_tag <= max_tag)) {
				i = next;
				continue;
			}
			d->expiring = 1;
			if (d->state == DG_LIVE)
				frag_flush(r, &d->key, now);
			d->state = DG_DEAD;
		}
		while (d->n > 0 && n < cap)
			out[n++] = slot_pop(r, i);
		if (d->n == 0)
			dg_release(r, i);
		i = next;
	}
	return n;
}

unsigned cp_reasm_held(const struct cp_reasm *r)
{
	return r->nheld;
}

struct cp_reasm *cp_reasm_create(const char *name, int socket, const struct cp_reasm_cfg *cfg,
				 struct rte_mempool *pool)
{
	struct cp_reasm *r;
	uint32_t nb, buckets;

	if (name == NULL || cfg == NULL || pool == NULL || cfg->max_datagrams == 0 ||
	    cfg->max_datagrams > MAX_DATAGRAMS || cfg->max_held == 0 || cfg->max_held > MAX_HELD ||
	    cfg->timeout_ns == 0)
		return NULL;
	r = rte_zmalloc_socket(name, sizeof(*r), RTE_CACHE_LINE_SIZE, socket);
	if (r == NULL)
		return NULL;
	r->cfg = *cfg;
	r->pool = pool;
	nb = pow2_at_least(cfg->max_datagrams * 2);
	r->bucket_mask = nb - 1;
	r->dg = rte_zmalloc_socket(name, sizeof(*r->dg) * cfg->max_datagrams, RTE_CACHE_LINE_SIZE,
				   socket);
	r->slot =
	    rte_zmalloc_socket(name, sizeof(*r->slot) * cfg->max_held, RTE_CACHE_LINE_SIZE, socket);
	r->bucket = rte_zmalloc_socket(name, sizeof(*r->bucket) * nb, RTE_CACHE_LINE_SIZE, socket);
	r->buf = rte_zmalloc_socket(name, CP_REASM_FRAME_MAX, RTE_CACHE_LINE_SIZE, socket);
	/* Four entries a bucket, as many buckets as datagrams: room for twice max_datagrams. */
	buckets = pow2_at_least(cfg->max_datagrams);
	r->tbl =
	    rte_ip_frag_table_create(buckets, 4, cfg->max_datagrams * 2, cfg->timeout_ns, socket);
	if (r->dg == NULL || r->slot == NULL || r->bucket == NULL || r->buf == NULL ||
	    r->tbl == NULL) {
		cp_reasm_free(r);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		r->bucket[i] = NIL;
	for (uint32_t i = 0; i < cfg->max_datagrams; i++)
		r->dg[i].hnext = i + 1 < cfg->max_datagrams ? i + 1 : NIL;
	for (uint32_t i = 0; i < cfg->max_held; i++)
		r->slot[i].next = i + 1 < cfg->max_held ? i + 1 : NIL;
	r->dg_free = 0;
	r->slot_free = 0;
	r->used_head = r->used_tail = NIL;
	return r;
}

void cp_reasm_free(struct cp_reasm *r)
{
	if (r == NULL)
		return;
	if (r->dg != NULL && r->slot != NULL) {
		for (uint32_t i = r->used_head, steps = 0; i != NIL && steps < r->cfg.max_datagrams;
		     steps++) {
			uint32_t next = r->dg[i].next;

			while (r->dg[i].n > 0)
				rte_pktmbuf_free(slot_pop(r, i));
			i = next;
		}
	}
	if (r->tbl != NULL)
		rte_ip_frag_table_destroy(r->tbl); /* frees the copies it holds */
	rte_ip_frag_free_death_row(&r->dr, 0);
	rte_free(r->buf);
	rte_free(r->bucket);
	rte_free(r->slot);
	rte_free(r->dg);
	rte_free(r);
}
