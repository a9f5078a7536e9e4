/* Payload inspection of one flow (see inspect.h). */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

#include "extract.h"

int cp_insp_pool_init(struct cp_insp_pool *p, uint32_t n_ctx, uint32_t n_bufs)
{
	memset(p, 0, sizeof(*p));
	p->ctx = calloc(n_ctx + 1, sizeof(*p->ctx));
	p->ctx_free = calloc(n_ctx + 1, sizeof(*p->ctx_free));
	p->bufs = malloc((size_t)(n_bufs + 1) * CP_INSP_BUF);
	p->buf_free = calloc(n_bufs + 1, sizeof(*p->buf_free));
	if (p->ctx == NULL || p->ctx_free == NULL || p->bufs == NULL || p->buf_free == NULL) {
		cp_insp_pool_free(p);
		return -1;
	}
	p->n_ctx = n_ctx;
	p->n_bufs = n_bufs;
	for (uint32_t i = 0; i < n_ctx; i++)
		p->ctx_free[p->n_ctx_free++] = n_ctx - 1 - i;
	for (uint32_t i = 0; i < n_bufs; i++)
		p->buf_free[p->n_buf_free++] = n_bufs - 1 - i;
	return 0;
}

void cp_insp_pool_free(struct cp_insp_pool *p)
{
	free(p->ctx);
	free(p->ctx_free);
	free(p->bufs);
	free(p->buf_free);
	memset(p, 0, sizeof(*p));
}

static inline uint8_t *buf_of(struct cp_insp_pool *pool, uint32_t b)
{
	return pool->bufs + (size_t)b * CP_INSP_BUF;
}

static void buf_give(struct cp_insp_pool *pool, struct cp_insp *x)
{
	if (x->buf != CP_NO_INSP)
		pool->buf_free[pool->n_buf_free++] = x->buf;
	x->buf = CP_NO_INSP;
	x->buf_len = 0;
}

void cp_insp_release(struct cp_insp_pool *pool, struct cp_payload_rt *pl, unsigned w, uint32_t gen,
		     uint32_t *ctx)
{
	if (*ctx == CP_NO_INSP || *ctx >= pool->n_ctx)
		return;
	struct cp_insp *x = &pool->ctx[*ctx];
	if (pl != NULL && x->gen == gen)
		for (int d = 0; d < 2; d++)
			cp_pl_stream_give(pl, w, x->stream[d]);
	buf_give(pool, x);
	pool->ctx_free[pool->n_ctx_free++] = *ctx;
	*ctx = CP_NO_INSP;
}

/* ---- matching ---- */

struct match_ctx {
	const struct cp_payload_rt *pl;
	uint64_t *cat_ctr;
	uint64_t cats;
	int field;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *arg)
{
	struct match_ctx *m = arg;
	(void)from;
	(void)to;
	(void)flags;
	if (id < m->pl->dbs.n_ids[m->field]) {
		unsigned c = m->pl->dbs.id_category[m->field][id];
		m->cats |= 1ull << c;
		m->cat_ctr[c * 2]++;
	}
	return 0;
}

static void scan_name(struct cp_payload_rt *pl, unsigned w, int field, const char *name, size_t len,
		      struct cp_insp_out *out)
{
	cp_hs_scan_name(&pl->dbs, (enum cp_field)field, name, len, pl->wk[w].scratch, &out->cats,
			pl->wk[w].cat_ctr);
}

/* Whether the policy has any entry for name field f. */
static inline bool has_names(const struct cp_payload_rt *pl, int f)
{
	return pl->dbs.db[f] != NULL || pl->dbs.db[CP_DB_SNI_RE + f] != NULL;
}

/* One extractor over the initiator's bytes s[0..len): true when it is finished. cut: len stops
 * short of the datagram (inspect_bytes), so what is not complete is truncated, not malformed. */
static bool extract_one(struct cp_payload_rt *pl, unsigned w, int field, const uint8_t *s,
			size_t len, bool tcp, bool cut, struct cp_insp_out *out)
{
	char name[CP_EXT_NAME_CAP];
	size_t nlen = 0;
	enum cp_ext r = field == CP_FIELD_SNI ? cp_extract_sni(s, len, name, sizeof(name), &nlen)
			: field == CP_FIELD_HOST
			    ? cp_extract_http_host(s, len, name, sizeof(name), &nlen)
			    : cp_extract_dns(s, len, tcp, name, sizeof(name), &nlen);
	if (cut && (r == CP_EXT_MORE || r == CP_EXT_MALFORMED)) {
		out->c->extract[field][CP_XO_TRUNCATED]++;
		return true;
	}
	switch (r) {
	case CP_EXT_MORE:
		return false;
	case CP_EXT_FOUND:
		scan_name(pl, w, field, name, nlen, out);
		out->c->extract[field][CP_XO_PARSED]++;
		break;
	case CP_EXT_NONE:
		out->c->extract[field][CP_XO_PARSED]++;
		break;
	case CP_EXT_MALFORMED:
		out->c->extract[field][CP_XO_MALFORMED]++;
		break;
	case CP_EXT_NOT_THIS:
		break;
	}
	return true;
}

/* Run the pending extractors over s; clear the bits of those that finished. */
static void extract_all(struct cp_payload_rt *pl, unsigned w, struct cp_insp *x, const uint8_t *s,
			size_t len, struct cp_insp_out *out)
{
	for (int f = 0; f < CP_NAME_BITS; f++)
		if ((x->names & (1u << f)) && extract_one(pl, w, f, s, len, true, false, out))
			x->names &= (uint8_t) ~(1u << f);
}

static void names_truncated(struct cp_insp *x, struct cp_insp_out *out)
{
	for (int f = 0; f < CP_NAME_BITS; f++)
		if (x->names & (1u << f))
			out->c->extract[f][CP_XO_TRUNCATED]++;
	x->names = 0;
}

/* The initiator's next n in-order bytes, for the name extractors. Returns false when a buffer was
 * needed and none is free (nothing changed then but names already decided). */
static bool feed_names(struct cp_insp_pool *pool, struct cp_payload_rt *pl, unsigned w,
		       struct cp_insp *x, const uint8_t *data, uint32_t n, bool last,
		       struct cp_insp_out *out)
{
	if (x->names == 0)
		return true;
	if (x->buf == CP_NO_INSP) {
		if (x->seen[0] != 0) { /* earlier bytes were not kept: too late for a name */
			names_truncated(x, out);
			return true;
		}
		extract_all(pl, w, x, data, n, out);
		if (x->names == 0)
			return true;
		if (last || n >= CP_INSP_BUF) {
			names_truncated(x, out);
			return true;
		}
		if (pool->n_buf_free == 0)
			return false;
		x->buf = pool->buf_free[--pool->n_buf_free];
		memcpy(buf_of(pool, x->buf), data, n);
		x->buf_len = n;
		return true;
	}
	uint32_t room = CP_INSP_BUF - x->buf_len, k = n < room ? n : room;
	memcpy(buf_of(pool, x->buf) + x->buf_len, data, k);
	x->buf_len += k;
	extract_all(pl, w, x, buf_of(pool, x->buf), x->buf_len, out);
	if (x->names != 0 && (last || x->buf_len == CP_INSP_BUF))
		names_truncated(x, out);
	if (x->names == 0)
		buf_give(pool, x);
	return true;
}

/* Byte patterns over the next n bytes of direction d (its stream, for TCP, taken already). */
static void scan_payload(struct cp_payload_rt *pl, unsigned w, struct cp_insp *x, int d,
			 const uint8_t *data, uint32_t n, bool tcp, struct cp_insp_out *out)
{
	const hs_database_t *db = pl->dbs.db[CP_FIELD_PAYLOAD];
	struct cp_pl_worker *pw = &pl->wk[w];
	struct match_ctx m = {pl, pw->cat_ctr, 0, CP_FIELD_PAYLOAD};

	if (db == NULL || n == 0)
		return;
	if (!tcp) { /* each datagram on its own */
		hs_scan_stream(pw->dgram, (const char *)data, n, 0, pw->scratch, on_match, &m);
		hs_reset_stream(pw->dgram, 0, pw->scratch, on_match, &m);
		out->cats |= m.cats;
		return;
	}
	hs_scan_stream(pw->streams[x->stream[d]], (const char *)data, n, 0, pw->scratch, on_match,
		       &m);
	out->cats |= m.cats;
}

static struct cp_insp *ctx_get(struct cp_insp_pool *pool, struct cp_payload_rt *pl, uint32_t gen,
			       uint32_t *ctx, const struct cp_insp_in *in)
{
	if (*ctx == CP_NO_INSP) {
		if (pool->n_ctx_free == 0)
			return NULL;
		*ctx = pool->ctx_free[--pool->n_ctx_free];
		struct cp_insp *x = &pool->ctx[*ctx];
		memset(x, 0, sizeof(*x));
		x->stream[0] = x->stream[1] = CP_NO_STREAM;
		x->buf = CP_NO_INSP;
		x->gen = gen;
		for (int f = 0; f < CP_NAME_BITS; f++)
			if (has_names(pl, f))
				x->names |= (uint8_t)(1u << f);
		/* DNS names are looked for on port 53 only; in UDP, per datagram. */
		if (!in->tcp || in->resp_port != 53)
			x->names &= (uint8_t) ~(1u << CP_FIELD_DNS);
		if (!in->tcp)
			x->names = 0;
	}
	struct cp_insp *x = &pool->ctx[*ctx];
	if (x->gen != gen) { /* a new policy: its streams start now (those of the old one die) */
		x->gen = gen;
		x->stream[0] = x->stream[1] = CP_NO_STREAM;
	}
	return x;
}

enum cp_insp_rc cp_inspect(struct cp_insp_pool *pool, struct cp_payload_rt *pl, unsigned w,
			   uint32_t gen, uint32_t inspect_bytes, uint32_t *ctx,
			   const struct cp_insp_in *in, struct cp_insp_out *out)
{
	const uint8_t *data = in->data;
	uint32_t len = in->len;
	int d = in->dir;

	if (len == 0)
		return CP_INSP_MORE;
	if (!in->tcp) { /* each datagram on its own: only the byte counts are kept, in the flow */
		uint32_t seen = in->useen[d];
		uint32_t n = seen < inspect_bytes ? inspect_bytes - seen : 0;
		if (n > len)
			n = len;
		if (n > 0) {
			cp_insp_prefetch(data, n);
			if (d == 0 && in->resp_port == 53 && has_names(pl, CP_FIELD_DNS))
				extract_one(pl, w, CP_FIELD_DNS, data, n, false, n < len, out);
			scan_payload(pl, w, NULL, d, data, n, false, out);
			in->useen[d] = seen + n;
		}
		return in->useen[0] >= inspect_bytes && in->useen[1] >= inspect_bytes
			   ? CP_INSP_DONE
			   : CP_INSP_MORE;
	}
	struct cp_insp *x = ctx_get(pool, pl, gen, ctx, in);
	if (x == NULL)
		return CP_INSP_BUSY;
	if (!(x->seq_known & (1u << d))) {
		x->next[d] = in->isn_known ? in->isn + 1 : in->seq;
		x->seq_known |= (uint8_t)(1u << d);
	}
	int32_t off = (int32_t)(in->seq - x->next[d]);
	if (off > 0)
		return CP_INSP_GAP;
	if ((int64_t)off + len <= 0) {
		out->c->payload_retransmits++;
		return CP_INSP_MORE;
	}
	if (off < 0) {
		out->c->payload_overlaps++;
		data += -(int64_t)off;
		len -= (uint32_t) - (int64_t)off;
	}
	uint32_t left = x->seen[d] < inspect_bytes ? inspect_bytes - x->seen[d] : 0;
	uint32_t n = len < left ? len : left;
	if (n > 0) {
		cp_insp_prefetch(data, n);
		if (pl->dbs.db[CP_FIELD_PAYLOAD] != NULL && x->stream[d] == CP_NO_STREAM &&
		    (x->stream[d] = cp_pl_stream_take(pl, w)) == CP_NO_STREAM)
			return CP_INSP_BUSY;
		if (d == 0 && !feed_names(pool, pl, w, x, data, n, n == left, out))
			return CP_INSP_BUSY;
		scan_payload(pl, w, x, d, data, n, true, out);
		x->seen[d] += n;
	}
	x->next[d] += len;
	return x->seen[0] >= inspect_bytes && x->seen[1] >= inspect_bytes ? CP_INSP_DONE
									  : CP_INSP_MORE;
}
