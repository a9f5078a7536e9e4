/* The worker: run-to-completion over bursts (l3fwd style). Per burst: read the view once, parse
 * and prefetch, look the flows up in bulk, decide (cached verdict or classification), inspect,
 * act (forward, drop, inject), count. No locks, no allocation but mbufs, no syscalls, no
 * logging. Live and replay share one inlined body, specialised at compile time by a constant
 * flag: the live entry point has no replay test in it.
 *
 * Stages, in the order of this file:
 *   1. burst context and per-packet record
 *   2. the rules that apply in several places (reject once, fail closed)
 *   3. classification (first match)
 *   4. the flow stage (cache, inspection, handshake state)
 *   5. the act stage (count, forward, drop, inject)
 *   6. fragments
 *   7. the burst and the lcore loop */
#include "dp.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "inject.h"
#include "inspect.h"
#include "reasm.h"

/* Cycles per stage: bench builds only (meson -Dstage_cycles=true); nothing otherwise. */
#ifdef CP_STAGE_CYCLES
#define STAGE_START(wk) ((wk)->stage_last = rte_rdtsc())
#define STAGE(wk, s)                                                                               \
	do {                                                                                       \
		uint64_t now_ = rte_rdtsc();                                                       \
		(wk)->stage[s] += now_ - (wk)->stage_last;                                         \
		(wk)->stage_last = now_;                                                           \
	} while (0)
#else
#define STAGE_START(wk) ((void)0)
#define STAGE(wk, s)	((void)0)
#endif

#define SWEEP_EVERY	64 /* loops between two sweeps */
#define SWEEP_SCAN	64 /* flow slots looked at per sweep */
#define CP_INSP_CTX_MAX 8192u
#ifndef PARSE_AHEAD
#define PARSE_AHEAD 4 /* frames prefetched ahead of the one parsed */
#endif

_Static_assert(sizeof(struct cp_wcounters) % 64 == 0, "counters fill whole cache lines");
_Static_assert(CP_BURST <= 64, "cp_flow_lookup_bulk takes at most 64 keys");

uint64_t cp_clock_ns(const struct cp_dp *dp)
{
	/* ns = tsc * 1e9 / hz, as a multiply by a 32.32 fixed-point factor (no division). */
	uint64_t mult = dp->ns_mult;
	if (unlikely(mult == 0))
		mult = (uint64_t)(((__uint128_t)1000000000u << 32) / dp->tsc_hz);
	return (uint64_t)(((__uint128_t)rte_rdtsc() * mult) >> 32);
}

/* ==== 1. Burst context and per-packet record ==== */

/* Frames to send, per output port (live); results for the collector (replay). */
struct txq {
	struct rte_mbuf *m[CP_MAX_PORTS][CP_BURST * 3];
	unsigned n[CP_MAX_PORTS];
	struct rte_mbuf *rec[CP_BURST * 3]; /* put on the record ring once per burst */
	unsigned nrec;
};

/* What every stage of one burst shares: who, what view, where from, when. */
struct burst {
	struct cp_worker *wk;
	struct cp_dp *dp;
	const struct cp_view *v;
	unsigned in_port;
	unsigned out_port; /* where a forwarded packet goes: the uplink, or port 0 (inside) */
	uint64_t now;	   /* live: the burst's clock; replay: 0 (each packet has its own) */
	/* What the act stage reads of the view, taken once per burst. */
	bool monitor;
	bool trace;	    /* a trace is open: decisions are sampled (trace.h) */
	uint32_t gen;	    /* the policy's generation, 0 without one */
	uint64_t *rule_ctr; /* this worker's rule counters, NULL without a policy */
	struct txq *q;
};

/* One packet on its way through the stages. */
struct pkt {
	struct rte_mbuf *m;
	const uint8_t *frame;
	uint32_t flen;
	uint8_t parse_rc; /* enum cp_reason of the parser */
	uint8_t from_a;	  /* the sender is side a of the flow key */
	uint8_t dir;	  /* enum cp_dir, once the flow is known */
	uint8_t inject;	  /* build the reject's frames for this packet */
	uint64_t t;	  /* the packet's time: the burst's (live) or its capture's (replay) */
	struct cp_decision d;
	struct cp_pkt p;
};

static inline void decision_set(struct cp_decision *d, uint8_t verdict, uint8_t reason)
{
	d->grant_slot = CP_NO_SLOT;
	d->rule = CP_NO_RULE;
	d->verdict = verdict;
	d->reason = reason;
	d->category = CP_NO_CAT;
}

/* ==== 2. Rules that apply in several places ==== */

/* Reject once: the ends get their RSTs (or the ICMP error) with the first packet a reject
 * decides; while the decision still rejects, the flow's later packets are dropped (reason
 * rejected). A decision that no longer rejects forgets it. */
static inline void reject_once(struct cp_flow *f, struct cp_decision *d)
{
	if (d->verdict != CP_V_REJECT) {
		f->rejected = 0;
	} else if (f->rejected) {
		d->verdict = CP_V_DROP;
		d->reason = CP_R_REJECTED;
	}
}

/* Fail closed: a packet that would pass but whose payload could not be inspected (no context,
 * a gap in the stream) is dropped with the reason why. */
static inline void fail_closed(struct cp_decision *d, enum cp_reason why)
{
	if (d->verdict == CP_V_PASS)
		decision_set(d, CP_V_DROP, (uint8_t)why);
}

static inline bool grant_live(const struct cp_view *v, uint32_t slot, uint64_t now)
{
	return slot != CP_NO_SLOT && now < v->gr.deadline[slot];
}

/* ==== 3. Classification ==== */

static inline bool ports_match(const struct cp_port_list *l, uint16_t port)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->r[i].lo <= port && port <= l->r[i].hi)
			return true;
	return l->n == 0;
}

/* A flow as the rules see it: initiator and responder. */
struct flow_ends {
	const uint8_t *ia, *ra;
	uint16_t ip, rp;
};

static inline struct flow_ends flow_ends(const struct cp_pkt *p, unsigned dir)
{
	bool s = dir == CP_DIR_ORIG;
	return (struct flow_ends){s ? p->src : p->dst, s ? p->dst : p->src, s ? p->sport : p->dport,
				  s ? p->dport : p->sport};
}

/* First-match evaluation of a flow with the categories cats matched so far. The candidate rules
 * are the AND of five bitmaps: the two address classes', the protocol's and the two ports'
 * (rule_match.h); what is left to check rule by rule is the grant and the categories. A category
 * rule whose categories have not matched is skipped, and its categories returned in *pending. */
static void classify(const struct cp_view *v, const struct cp_pkt *p, unsigned dir, uint64_t now,
		     uint64_t cats, struct cp_decision *d, uint64_t *pending)
{
	const struct cp_rt_policy *pol = v->pol;
	struct flow_ends e = flow_ends(p, dir);
	const struct cp_leaf *ls, *ld;
	cp_rt_leaf2(pol, p->l3, e.ia, e.ra, &ls, &ld);
	struct cp_rule_cand c = cp_rule_match_cand(&pol->rm, p->proto, e.ip, e.rp);
	bool ports_exact = pol->rm.sport.exact && pol->rm.dport.exact;
	uint32_t slot = CP_NO_SLOT;
	bool slot_known = false, grant_miss = false;

	decision_set(d, CP_V_DROP, CP_R_DEFAULT_DENY);
	*pending = 0;
	for (unsigned w = 0; w < pol->space.nwords; w++) {
		uint64_t m = ls->from[w] & ld->to[w] & c.proto[w] & c.sport[w] & c.dport[w];
		while (m != 0) {
			unsigned r = w * 64 + (unsigned)__builtin_ctzll(m);
			const struct cp_rt_rule *ru = &pol->rules[r];
			m &= m - 1;
			if (unlikely(!ports_exact) && ru->has_ports &&
			    !(ports_match(&ru->src->sport, e.ip) &&
			      ports_match(&ru->src->dport, e.rp)))
				continue;
			if (ru->grant) {
				if (!slot_known) {
					slot = cp_view_grant_slot(v, p->l3, e.ia);
					slot_known = true;
				}
				if (!grant_live(v, slot, now)) {
					grant_miss = true;
					continue;
				}
			}
			if (ru->has_category) {
				uint64_t rc = pol->pl->rule_cats[r];
				if ((rc & cats) == 0) {
					*pending |= rc;
					continue;
				}
				d->category = (uint8_t)__builtin_ctzll(rc & cats);
			}
			d->grant_slot = ru->grant ? slot : CP_NO_SLOT;
			d->rule = (uint16_t)r;
			d->verdict = ru->action == CP_ACT_PASS	 ? CP_V_PASS
				     : ru->action == CP_ACT_DROP ? CP_V_DROP
								 : CP_V_REJECT;
			d->reason = ru->action == CP_ACT_PASS ? CP_R_NONE : CP_R_RULE;
			return;
		}
	}
	if (grant_miss && slot != CP_NO_SLOT && v->gr.deadline[slot] != 0)
		d->reason = CP_R_GRANT_EXPIRED;
}

/* Classify flow f at packet p with categories cats, and cache the decision. */
static void classify_flow(const struct cp_view *v, const struct cp_pkt *p, unsigned dir,
			  struct cp_flow *f, uint64_t now, uint64_t cats, struct cp_decision *d)
{
	classify(v, p, dir, now, cats, d, &f->pending);
	f->gen = v->gen;
	f->epoch = v->epoch;
	f->d = *d;
	f->cats = cats;
}

/* The categories a flow matched under policy generation gen, in the indexes of the running
 * policy: kept by name across one swap, forgotten across more. */
static uint64_t cats_now(const struct cp_view *v, const struct cp_flow *f)
{
	const struct cp_payload_rt *pl = v->pol->pl;
	uint64_t in = f->cats, out = 0;
	if (f->gen == v->gen || in == 0)
		return in;
	if (pl == NULL || pl->prev_gen != f->gen)
		return 0;
	while (in != 0) {
		unsigned c = (unsigned)__builtin_ctzll(in);
		in &= in - 1;
		if (pl->remap[c] != CP_NO_CAT)
			out |= 1ull << pl->remap[c];
	}
	return out;
}

/* Decisions that need no flow: malformed, shutoff, non-IP, no policy, fragments. Returns true
 * when d is final. */
static inline bool decide_stateless(const struct cp_view *v, enum cp_reason pr,
				    const struct cp_pkt *p, struct cp_decision *d)
{
	if (likely(pr == CP_R_NONE && !v->shutoff && v->pol != NULL && p->frag == CP_FRAG_NONE &&
		   p->proto != CP_IPPROTO_ICMPV6))
		return false;
	decision_set(d, CP_V_DROP, CP_R_NONE);
	if (pr != CP_R_NONE && pr != CP_R_NON_IP) {
		d->reason = (uint8_t)pr;
		return true;
	}
	if (v->shutoff) {
		d->reason = CP_R_SHUTOFF;
		return true;
	}
	if (v->pol == NULL) {
		d->reason = CP_R_NO_POLICY;
		return true;
	}
	bool nd = p->l3 == CP_L3_IPV6 && p->proto == CP_IPPROTO_ICMPV6 && p->icmp_type >= 133 &&
		  p->icmp_type <= 137 && p->frag == CP_FRAG_NONE;
	if (pr == CP_R_NON_IP || nd) {
		bool pass = v->pol->src->settings.non_ip_pass;
		d->verdict = pass ? CP_V_PASS : CP_V_DROP;
		d->reason = pass ? CP_R_NONE : CP_R_NON_IP;
		return true;
	}
	if (p->frag != CP_FRAG_NONE) {
		d->reason = CP_R_FRAGMENT; /* reassembly comes with payload classification */
		return true;
	}
	return false;
}

/* ==== 4. The flow stage ==== */

static void flow_release(struct cp_worker *wk, const struct cp_view *v, struct cp_flow *f)
{
	if (f->insp != CP_NO_INSP)
		cp_insp_release(&wk->insp, v->pol != NULL ? v->pol->pl : NULL, wk->id, v->gen,
				&f->insp);
}

/* A new flow in record f, first seen at packet k. */
static void flow_start(struct cp_worker *wk, const struct cp_view *v, struct cp_flow *f,
		       const struct pkt *k)
{
	f->init_a = k->from_a;
	f->insp = CP_NO_INSP;
	f->insp_state = CP_FI_IDLE;
	f->tcp_seen = 0;
	f->state = 0;
	f->rejected = 0;
	f->useen[0] = f->useen[1] = 0;
	f->cats = 0;
	f->gen = v->gen;
	wk->c.flows_created++;
}

/* A flow's decision, from the cache when it still holds, else evaluated again. */
static __rte_always_inline void decide_flow(struct cp_worker *wk, const struct cp_view *v,
					    struct pkt *k, struct cp_flow *f, bool fresh)
{
	struct cp_decision *d = &k->d;
	if (likely(!fresh && f->gen == v->gen && f->epoch == v->epoch &&
		   (f->d.grant_slot == CP_NO_SLOT || grant_live(v, f->d.grant_slot, k->t)))) {
		*d = f->d;
		reject_once(f, d);
		return;
	}
	if (fresh)
		flow_start(wk, v, f, k);
	else
		wk->c.flows_reevaluated++;
	classify_flow(v, &k->p, k->dir, f, k->t, fresh ? 0 : cats_now(v, f), d);
	/* Inspection: only where a category could change the decision, for TCP and UDP. */
	if (f->insp_state != CP_FI_OVER) {
		bool can = f->pending != 0 &&
			   (k->p.proto == CP_IPPROTO_TCP || k->p.proto == CP_IPPROTO_UDP);
		if (!can)
			flow_release(wk, v, f);
		f->insp_state = can ? CP_FI_ACTIVE : CP_FI_IDLE;
	}
	reject_once(f, d);
}

/* Inspect the payload of packet k of flow f under inspection; on a category match that changes
 * the decision, classify again (final). A packet that could not be inspected fails closed. */
static void inspect_packet(struct cp_worker *wk, const struct cp_view *v, struct pkt *k,
			   struct cp_flow *f)
{
	struct cp_payload_rt *pl = v->pol->pl;
	const struct cp_pkt *p = &k->p;
	unsigned dir = k->dir;
	struct cp_insp_in in = {
	    .data = k->frame + p->payload_off,
	    .len = p->payload_len,
	    .seq = p->seq,
	    .isn = f->isn[dir],
	    .useen = f->useen,
	    .isn_known = (f->tcp_seen >> dir) & CP_SEEN_SYN,
	    .tcp = p->proto == CP_IPPROTO_TCP,
	    .dir = (uint8_t)dir,
	    .resp_port = dir == CP_DIR_ORIG ? p->dport : p->sport,
	};
	struct cp_insp_out out = {&wk->c, 0};
	enum cp_insp_rc rc = cp_inspect(&wk->insp, pl, wk->id, v->gen,
					v->pol->src->settings.inspect_bytes, &f->insp, &in, &out);
	uint64_t fresh_cats = out.cats & ~f->cats;
	for (uint64_t b = fresh_cats; b != 0; b &= b - 1)
		pl->wk[wk->id].cat_ctr[(unsigned)__builtin_ctzll(b) * 2 + 1]++;
	f->cats |= out.cats;
	if (fresh_cats & f->pending) {
		classify_flow(v, p, dir, f, k->t, f->cats, &k->d);
		reject_once(f, &k->d);
		rc = CP_INSP_DONE;
	}
	if (rc == CP_INSP_DONE) {
		f->insp_state = CP_FI_OVER;
		flow_release(wk, v, f);
	} else if (rc == CP_INSP_GAP || rc == CP_INSP_BUSY) {
		fail_closed(&k->d, rc == CP_INSP_GAP ? CP_R_OUT_OF_ORDER : CP_R_INSPECT_BUSY);
	}
}

/* What a full table gives up first: flows that have not completed a handshake. A flow is
 * established once its responder replied and, for TCP, its initiator spoke again without SYN. */
static inline void track_handshake(struct cp_flow *f, const struct cp_pkt *p, unsigned dir)
{
	if (dir == CP_DIR_REPLY)
		f->state |= CP_FS_REPLIED;
	if ((f->state & CP_FS_REPLIED) &&
	    (p->proto != CP_IPPROTO_TCP || (dir == CP_DIR_ORIG && !(p->tcp_flags & CP_TCP_SYN))))
		f->state |= CP_FS_ESTABLISHED;
}

/* A TCP stream that ends (RST, or FIN both ways) has nothing more to inspect; a SYN gives the
 * sequence number inspection counts from. */
static inline void track_tcp(struct cp_worker *wk, const struct cp_view *v, struct cp_flow *f,
			     const struct cp_pkt *p, unsigned dir, bool before_inspect)
{
	if (before_inspect) {
		if (f->insp_state != CP_FI_OVER && (p->tcp_flags & CP_TCP_SYN)) {
			f->isn[dir] = p->seq;
			f->tcp_seen |= (uint8_t)(CP_SEEN_SYN << dir);
		}
		return;
	}
	if (f->insp_state != CP_FI_ACTIVE || !(p->tcp_flags & (CP_TCP_FIN | CP_TCP_RST)))
		return;
	if (p->tcp_flags & CP_TCP_FIN)
		f->tcp_seen |= (uint8_t)(CP_SEEN_FIN << dir);
	if ((p->tcp_flags & CP_TCP_RST) ||
	    (f->tcp_seen & (CP_SEEN_FIN | CP_SEEN_FIN << 1)) == (CP_SEEN_FIN | CP_SEEN_FIN << 1)) {
		f->insp_state = CP_FI_OVER;
		flow_release(wk, v, f);
	}
}

/* A packet whose flow could not be remembered (the table is full of established flows): decided
 * by the policy alone; payload a category could block fails closed, with nothing to inspect it
 * with. */
static void flow_untracked(struct cp_worker *wk, const struct cp_view *v, struct pkt *k)
{
	struct cp_flow tmp = {0};
	wk->c.flows_untracked++;
	k->dir = CP_DIR_ORIG;
	decide_flow(wk, v, k, &tmp, true);
	if (tmp.insp_state == CP_FI_ACTIVE && k->p.payload_len > 0)
		fail_closed(&k->d, CP_R_INSPECT_BUSY);
}

/* The flow stage of packet k whose lookup gave fp (negative: absent; h its hash): insert,
 * decide, note the handshake, inspect. */
static __rte_always_inline void flow_step(struct cp_worker *wk, const struct cp_view *v,
					  struct pkt *k, const struct cp_flow_key *key, int32_t fp,
					  uint32_t h)
{
	bool fresh = false;
	if (fp < 0) {
		uint64_t early = wk->ft.early_drop;
		fp = cp_flow_insert_hashed(&wk->ft, key, h, &fresh);
		wk->c.flows_early_dropped += wk->ft.early_drop - early;
		if (unlikely(fp < 0)) {
			flow_untracked(wk, v, k);
			return;
		}
	}
	struct cp_flow *f = &wk->ft.flows[fp];
	if (!fresh && k->t - f->last_ns > v->pol->flow_timeout_ns && k->t > f->last_ns) {
		wk->c.flows_evicted++; /* idle too long: this packet starts a new flow */
		flow_release(wk, v, f);
		fresh = true;
	}
	if (fresh)
		f->init_a = k->from_a;
	k->dir = k->from_a == f->init_a ? CP_DIR_ORIG : CP_DIR_REPLY;
	STAGE(wk, CP_ST_FLOW);
	decide_flow(wk, v, k, f, fresh);
	bool tcp = k->p.proto == CP_IPPROTO_TCP;
	if (tcp)
		track_tcp(wk, v, f, &k->p, k->dir, true);
	STAGE(wk, CP_ST_CLASSIFY);
	if (f->insp_state == CP_FI_ACTIVE && k->p.payload_len > 0 && !f->rejected)
		inspect_packet(wk, v, k, f);
	STAGE(wk, CP_ST_PAYLOAD);
	if (tcp)
		track_tcp(wk, v, f, &k->p, k->dir, false);
	track_handshake(f, &k->p, k->dir);
	f->last_ns = k->t;
	if (k->d.verdict == CP_V_REJECT)
		f->rejected = 1;
	if (k->t > wk->last_now)
		wk->last_now = k->t;
}

/* ==== 5. The act stage ==== */

static void txq_flush(struct cp_worker *wk, struct txq *q, unsigned p)
{
	uint16_t sent = rte_eth_tx_burst(wk->dp->ports[p].port_id, (uint16_t)wk->id, q->m[p],
					 (uint16_t)q->n[p]);
	uint64_t bytes = 0;
	for (unsigned j = 0; j < sent; j++)
		bytes += rte_pktmbuf_pkt_len(q->m[p][j]);
	wk->c.port_tx_pkts[p] += sent;
	wk->c.port_tx_bytes[p] += bytes;
	if (sent < q->n[p]) {
		wk->c.reason[CP_R_TX_FULL] += q->n[p] - sent;
		rte_pktmbuf_free_bulk(&q->m[p][sent], q->n[p] - sent);
	}
	q->n[p] = 0;
}

static inline void txq_add(struct cp_worker *wk, struct txq *q, unsigned p, struct rte_mbuf *m)
{
	if (unlikely(q->n[p] == RTE_DIM(q->m[p])))
		txq_flush(wk, q, p);
	q->m[p][q->n[p]++] = m;
}

static void txq_flush_all(struct cp_worker *wk, struct txq *q)
{
	for (unsigned p = 0; p < wk->dp->n_ports; p++)
		if (q->n[p] > 0)
			txq_flush(wk, q, p);
}

/* Where a packet that entered on in_port is forwarded: the active uplink, or the inside. */
static inline unsigned port_out(const struct burst *b, unsigned in_port)
{
	if (likely(in_port == b->in_port))
		return b->out_port;
	return b->dp->ports[in_port].role == CP_ROLE_INSIDE ? b->v->uplink : 0;
}

static void burst_init(struct burst *b, struct cp_worker *wk, const struct cp_view *v,
		       unsigned in_port, uint64_t now, struct txq *q)
{
	struct cp_dp *dp = wk->dp;
	b->wk = wk;
	b->dp = dp;
	b->v = v;
	b->in_port = in_port;
	b->out_port = dp->ports[in_port].role == CP_ROLE_INSIDE ? v->uplink : 0; /* port_out */
	b->now = now;
	b->monitor = v->pol != NULL && v->pol->src->settings.monitor;
	b->trace = dp->trace.on;
	b->gen = v->pol != NULL ? v->pol->gen : 0;
	b->rule_ctr = v->pol != NULL ? cp_rt_rule_ctr(v->pol, wk->id) : NULL;
	b->q = q;
	q->nrec = 0;
	for (unsigned p = 0; p < dp->n_ports; p++)
		q->n[p] = 0;
}

/* Frames for a reject: two RSTs for TCP, else an ICMP error to the initiator, built from the
 * frame that decided. Returns how many were written into out[] (mbufs from the pool), with
 * their output port index. */
static unsigned build_injects(struct burst *b, const struct pkt *k, unsigned in_port,
			      unsigned out_port, struct rte_mbuf **out, uint8_t *out_ports)
{
	struct cp_worker *wk = b->wk;
	const struct cp_pkt *p = &k->p;
	bool tcp = p->proto == CP_IPPROTO_TCP;
	unsigned n = 0, want = tcp ? 2 : (k->dir == CP_DIR_ORIG ? 1 : 0);
	for (unsigned i = 0; i < want; i++) {
		struct rte_mbuf *im = rte_pktmbuf_alloc(b->dp->pool);
		size_t len;
		if (im == NULL) {
			wk->c.inject_failed++;
			continue;
		}
		uint8_t *buf = rte_pktmbuf_mtod(im, uint8_t *);
		size_t cap = rte_pktmbuf_tailroom(im);
		if (tcp)
			len = cp_build_rst(k->frame, k->flen, p, i == 0, buf, cap);
		else
			len = cp_build_icmp_prohibited(k->frame, k->flen, p, buf, cap);
		if (len == 0 || rte_pktmbuf_append(im, (uint16_t)len) == NULL) {
			rte_pktmbuf_free(im);
			continue;
		}
		out[n] = im;
		out_ports[n] = (uint8_t)(i == 0 ? in_port : out_port);
		n++;
	}
	wk->c.injected += n;
	return n;
}

static void record_flush(struct cp_worker *wk, struct txq *q)
{
	unsigned done = 0;
	while (done < q->nrec) {
		done += rte_ring_sp_enqueue_burst(wk->rp.record, (void **)q->rec + done,
						  q->nrec - done, NULL);
		if (done < q->nrec)
			rte_pause(); /* the collector keeps the ring from filling: see replay.c */
	}
	q->nrec = 0;
}

static void record(struct cp_worker *wk, struct txq *q, struct rte_mbuf *m)
{
	if (q->nrec == RTE_DIM(q->rec))
		record_flush(wk, q);
	q->rec[q->nrec++] = m;
}

/* Replay: the packet's result (and the frames injected for it) to the collector. */
static void act_record(struct burst *b, struct rte_mbuf *m, const struct cp_decision *d,
		       unsigned in_port, unsigned out, bool forward, struct rte_mbuf **inj,
		       unsigned ninj)
{
	struct cp_dp *dp = b->dp;
	struct cp_worker *wk = b->wk;
	for (unsigned j = 0; j < ninj; j++) {
		struct cp_meta *im = cp_meta(dp, inj[j]);
		*im = *cp_meta(dp, m);
		im->inject = 1;
		record(wk, b->q, inj[j]);
	}
	struct cp_meta *mm = cp_meta(dp, m);
	mm->rule = d->rule;
	mm->verdict = d->verdict;
	mm->reason = d->reason;
	mm->category = d->category;
	mm->inject = 0;
	mm->in_port = (uint8_t)in_port;
	mm->forwarded = forward && out != CP_NO_PORT;
	if (mm->forwarded) {
		wk->c.port_tx_pkts[out]++;
		wk->c.port_tx_bytes[out] += rte_pktmbuf_pkt_len(m);
	}
	record(wk, b->q, m);
}

/* An open trace: the decision into the worker's records when it passes the filter. */
static void trace_put(struct burst *b, unsigned in_port, const struct cp_decision *d,
		      const struct pkt *k)
{
	struct cp_trace_w *w = &b->wk->tr;
	if (!cp_trace_wants(&b->dp->trace, d->verdict, d->reason, d->rule, b->gen))
		return;
	struct cp_trace_rec *r = &w->rec[w->n];
	r->t_ns = k != NULL ? k->t : b->now;
	r->rule = d->rule;
	r->gen = (uint16_t)b->gen;
	r->verdict = d->verdict;
	r->reason = d->reason;
	r->category = d->category;
	r->in_port = (uint8_t)in_port;
	r->l3 = CP_L3_NONE;
	if (k != NULL && k->parse_rc == CP_R_NONE && k->p.l3 != CP_L3_NONE) {
		memcpy(r->src, k->p.src, sizeof(r->src));
		memcpy(r->dst, k->p.dst, sizeof(r->dst));
		r->sport = k->p.sport;
		r->dport = k->p.dport;
		r->proto = k->p.proto;
		r->l3 = k->p.l3;
	}
	if (++w->n == RTE_DIM(w->rec))
		cp_trace_w_flush(w);
}

/* Count packet m (of in_port, decided d), then forward, drop or inject: live into the tx queues,
 * replay to the record ring. k (may be NULL) is the parsed packet the injects are built from. */
static __rte_always_inline void act(struct burst *b, unsigned in_port, struct rte_mbuf *m,
				    const struct cp_decision *d, const struct pkt *k,
				    const bool replay)
{
	struct cp_worker *wk = b->wk;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	unsigned out = port_out(b, in_port);
	bool forward = d->verdict == CP_V_PASS || b->monitor;
	struct rte_mbuf *inj[2];
	uint8_t inj_port[2];
	unsigned ninj = 0;

	wk->c.verdict_pkts[d->verdict]++;
	wk->c.verdict_bytes[d->verdict] += len;
	wk->c.reason[d->reason]++;
	wk->c.port_rx_pkts[in_port]++;
	wk->c.port_rx_bytes[in_port] += len;
	if (d->rule != CP_NO_RULE) {
		b->rule_ctr[d->rule * 2]++;
		b->rule_ctr[d->rule * 2 + 1] += len;
	}
	if (unlikely(d->verdict == CP_V_REJECT) && !b->monitor && k != NULL && k->inject &&
	    k->parse_rc == CP_R_NONE)
		ninj = build_injects(b, k, in_port, out, inj, inj_port);
	if (unlikely(b->trace))
		trace_put(b, in_port, d, k);
	if (replay) {
		act_record(b, m, d, in_port, out, forward, inj, ninj);
		return;
	}
	for (unsigned j = 0; j < ninj; j++)
		if (inj_port[j] != CP_NO_PORT)
			txq_add(wk, b->q, inj_port[j], inj[j]);
		else
			rte_pktmbuf_free(inj[j]);
	if (likely(forward && out != CP_NO_PORT)) {
		txq_add(wk, b->q, out, m);
	} else {
		if (forward)
			wk->c.reason[CP_R_NO_UPLINK]++;
		rte_pktmbuf_free(m);
	}
}

/* ==== 6. Fragments ==== */

/* The port index a held fragment arrived on. */
static unsigned held_port(const struct burst *b, struct rte_mbuf *m)
{
	const struct cp_dp *dp = b->dp;
	if (dp->replay)
		return cp_meta(dp, m)->in_port;
	for (unsigned p = 0; p < dp->n_ports; p++)
		if (dp->ports[p].port_id == m->port)
			return p;
	return b->in_port;
}

/* A packet decided without the burst's stages (fragments): act by the run mode. */
static void act_any(struct burst *b, unsigned in_port, struct rte_mbuf *m,
		    const struct cp_decision *d, const struct pkt *k)
{
	if (b->dp->replay)
		act(b, in_port, m, d, k, true);
	else
		act(b, in_port, m, d, k, false);
}

/* Datagrams in reassembly for too long (or, in replay, up to input position max_tag): their
 * fragments are dropped with reason fragment-timeout (monitor mode forwards them). */
static void expire_fragments(struct burst *b, uint64_t now, uint64_t max_tag)
{
	struct rte_mbuf *held[CP_BURST];
	struct cp_decision d;
	unsigned n;
	decision_set(&d, CP_V_DROP, CP_R_FRAGMENT_TIMEOUT);
	do {
		n = cp_reasm_expire(b->wk->reasm, now, max_tag, held, RTE_DIM(held));
		for (unsigned i = 0; i < n; i++)
			act_any(b, held_port(b, held[i]), held[i], &d, NULL);
	} while (n == RTE_DIM(held));
}

/* A fragment, with settings.fragments = "reassemble": hold it; when it completes its datagram,
 * classify the datagram as one packet and give every fragment its verdict. */
static void reassemble(struct burst *b, struct pkt *k)
{
	struct cp_worker *wk = b->wk;
	struct cp_dp *dp = b->dp;
	const uint8_t *frame;
	size_t flen;
	unsigned nheld = 0;
	uint64_t tag = dp->replay ? cp_meta(dp, k->m)->n : 0;
	struct pkt dg = {.t = k->t, .inject = 0};

	decision_set(&dg.d, CP_V_DROP, CP_R_NONE);
	/* Datagrams timed out by now go first: this fragment may start a new one with their key. */
	if (cp_reasm_held(wk->reasm) > 0)
		expire_fragments(b, k->t, 0);
	switch (cp_reasm_push(wk->reasm, k->m, &k->p, tag, k->t, &frame, &flen, wk->held,
			      CP_WK_FRAG_HELD_MAX, &nheld)) {
	case CP_REASM_HELD:
		return;
	case CP_REASM_REFUSED:
		dg.d.reason = CP_R_FRAGMENT;
		act_any(b, b->in_port, k->m, &dg.d, NULL);
		return;
	case CP_REASM_DONE:
		break;
	}
	dg.frame = frame;
	dg.flen = (uint32_t)flen;
	dg.parse_rc = (uint8_t)cp_parse(frame, (uint32_t)flen, &dg.p);
	dg.dir = CP_DIR_ORIG;
	if (!decide_stateless(b->v, dg.parse_rc, &dg.p, &dg.d)) {
		struct cp_flow_key key;
		const struct cp_flow_key *kp = &key;
		int32_t fp;
		uint32_t h;
		bool fa;
		cp_flow_key_make(&dg.p, &key, &fa);
		dg.from_a = fa;
		cp_flow_lookup_bulk(&wk->ft, &kp, 1, &fp, &h);
		flow_step(wk, b->v, &dg, &key, fp, h);
	}
	for (unsigned i = 0; i < nheld; i++) {
		dg.inject = i + 1 == nheld; /* the reject's frames once, with the last fragment */
		act_any(b, held_port(b, wk->held[i]), wk->held[i], &dg.d, &dg);
	}
}

/* ==== 7. The burst and the lcore loop ==== */

/* Packets pkts[0..n) up to the first fragment to reassemble: parse, flows in bulk, act; then that
 * fragment, so that a datagram completed by it is classified after the packets before it and
 * before those after it. Returns how many packets it took. */
static __rte_always_inline unsigned burst_part(struct burst *b, struct rte_mbuf **pkts, unsigned n,
					       const bool replay)
{
	struct cp_worker *wk = b->wk;
	const struct cp_view *v = b->v;
	struct pkt pk[CP_BURST];
	struct cp_flow_key keys[CP_BURST];
	const struct cp_flow_key *kp[CP_BURST];
	uint8_t kidx[CP_BURST];
	int32_t pos[CP_BURST];
	uint32_t hash[CP_BURST];
	unsigned nk = 0, stop = n;
	bool reasm =
	    v->pol != NULL && v->pol->src->settings.fragments == CP_FRAG_REASSEMBLE && !v->shutoff;

	STAGE_START(wk);
	/* Parse, each frame's first line prefetched PARSE_AHEAD packets ahead (l3fwd style). */
	for (unsigned i = 0; i < n && i < PARSE_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (unsigned i = 0; i < n; i++) {
		struct pkt *k = &pk[i];
		if (i + PARSE_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PARSE_AHEAD], void *));
		k->m = pkts[i];
		k->frame = rte_pktmbuf_mtod(k->m, const uint8_t *);
		k->flen = rte_pktmbuf_data_len(k->m);
		k->parse_rc = (uint8_t)cp_parse(k->frame, k->flen, &k->p);
		k->t = replay ? cp_rx_ts(b->dp, k->m) : b->now;
		k->inject = 1;
		k->dir = CP_DIR_ORIG;
		if (unlikely(reasm && k->parse_rc == CP_R_NONE && k->p.frag != CP_FRAG_NONE)) {
			stop = i;
			break;
		}
		if (decide_stateless(v, k->parse_rc, &k->p, &k->d))
			continue;
		bool fa;
		cp_flow_key_make(&k->p, &keys[nk], &fa);
		k->from_a = fa;
		kp[nk] = &keys[nk];
		kidx[nk++] = (uint8_t)i;
	}
	STAGE(wk, CP_ST_PARSE);

	/* Flows, in bulk. An early drop in this burst may have reused a record another packet's
	 * lookup found: such a packet looks its flow up again. */
	cp_flow_lookup_bulk(&wk->ft, kp, nk, pos, hash);
	uint64_t early = wk->ft.early_drop;
	for (unsigned j = 0; j < nk; j++) {
		int32_t fp = pos[j];
		if (unlikely(wk->ft.early_drop != early) && fp >= 0 &&
		    !cp_flow_key_eq(&wk->ft.flows[fp].key, kp[j]))
			fp = -1;
		flow_step(wk, v, &pk[kidx[j]], kp[j], fp, hash[j]);
	}
	STAGE(wk, CP_ST_FLOW);

	/* Act and count. */
	for (unsigned i = 0; i < stop; i++)
		act(b, b->in_port, pk[i].m, &pk[i].d, &pk[i], replay);
	STAGE(wk, CP_ST_TX);
	if (stop == n)
		return n;
	reassemble(b, &pk[stop]);
	return stop + 1;
}

static __rte_always_inline void burst_run(struct cp_worker *wk, unsigned in_port,
					  struct rte_mbuf **pkts, unsigned n, const bool replay)
{
	struct cp_dp *dp = wk->dp;
	const struct cp_view *v = __atomic_load_n(&dp->view, __ATOMIC_ACQUIRE);
	struct txq q;
	struct burst b;

	burst_init(&b, wk, v, in_port, replay ? 0 : cp_clock_ns(dp), &q);
	for (unsigned done = 0; done < n;)
		done += burst_part(&b, pkts + done, n - done, replay);
	if (unlikely(cp_reasm_held(wk->reasm) > 0))
		expire_fragments(&b, replay ? wk->last_now : b.now, 0);
	if (replay)
		record_flush(wk, &q);
	else
		txq_flush_all(wk, &q);
	if (unlikely(wk->tr.n > 0))
		cp_trace_w_flush(&wk->tr);
	STAGE(wk, CP_ST_TX);
}

static void burst_live(struct cp_worker *wk, unsigned in_port, struct rte_mbuf **pkts, unsigned n)
{
	burst_run(wk, in_port, pkts, n, false);
}

static void burst_replay(struct cp_worker *wk, unsigned in_port, struct rte_mbuf **pkts, unsigned n)
{
	burst_run(wk, in_port, pkts, n, true);
}

void cp_worker_burst(struct cp_worker *wk, unsigned in_port, struct rte_mbuf **pkts, unsigned n)
{
	if (wk->dp->replay)
		burst_replay(wk, in_port, pkts, n);
	else
		burst_live(wk, in_port, pkts, n);
}

static void on_flow_removed(struct cp_flow *f, void *arg)
{
	struct cp_worker *wk = arg;
	const struct cp_view *v = __atomic_load_n(&wk->dp->view, __ATOMIC_ACQUIRE);
	if (v != NULL)
		flow_release(wk, v, f);
}

int cp_worker_init(struct cp_worker *wk, struct cp_dp *dp, unsigned id, uint32_t flows)
{
	char name[32];
	/* Inspection state for as many flows as the table holds, at most 8192; a name buffer
	 * (16 KiB) for one in 16 of them. */
	uint32_t n_ctx = flows < CP_INSP_CTX_MAX ? flows : CP_INSP_CTX_MAX;
	if (n_ctx < 64)
		n_ctx = 64;
	wk->dp = dp;
	wk->id = id;
	dp->insp_ctx = n_ctx;
	snprintf(name, sizeof(name), "cp_flows_%u", id);
	if (cp_flow_table_init(&wk->ft, name, flows, SOCKET_ID_ANY) != 0) {
		fprintf(stderr,
			"chokepoint: cannot create a flow table of %u flows for worker %u\n", flows,
			id);
		return -1;
	}
	wk->ft.on_remove = on_flow_removed;
	wk->ft.on_remove_arg = wk;
	snprintf(name, sizeof(name), "cp_trace_%u", id);
	if (cp_trace_w_init(&wk->tr, name, SOCKET_ID_ANY) != 0) {
		fprintf(stderr, "chokepoint: cannot create the trace ring of worker %u\n", id);
		cp_worker_fini(wk);
		return -1;
	}
	struct cp_reasm_cfg rc = {CP_WK_FRAG_DATAGRAMS, CP_WK_FRAG_HELD, CP_WK_FRAG_TIMEOUT};
	snprintf(name, sizeof(name), "cp_frag_%u", id);
	wk->held = calloc(CP_WK_FRAG_HELD_MAX, sizeof(*wk->held));
	if (cp_insp_pool_init(&wk->insp, n_ctx, n_ctx / 16 + 4) != 0 || wk->held == NULL ||
	    (wk->reasm = cp_reasm_create(name, SOCKET_ID_ANY, &rc, dp->pool)) == NULL) {
		fprintf(stderr, "chokepoint: out of memory for the state of worker %u\n", id);
		cp_worker_fini(wk);
		return -1;
	}
	return 0;
}

void cp_worker_fini(struct cp_worker *wk)
{
	cp_flow_table_free(&wk->ft);
	cp_insp_pool_free(&wk->insp);
	cp_reasm_free(wk->reasm);
	wk->reasm = NULL;
	cp_trace_w_free(&wk->tr);
	free(wk->held);
	wk->held = NULL;
}

/* Replay: one queue per worker, each packet tagged with its port; bursts split where it
 * changes. */
static void rx_replay(struct cp_worker *wk, struct rte_mbuf **pkts, unsigned nb)
{
	struct cp_dp *dp = wk->dp;
	for (unsigned i = 0, j; i < nb; i = j) {
		unsigned port = cp_meta(dp, pkts[i])->in_port;
		for (j = i + 1; j < nb && cp_meta(dp, pkts[j])->in_port == port; j++)
			;
		burst_replay(wk, port, pkts + i, j - i);
	}
}

/* Every SWEEP_EVERY loops: idle flows out, timed-out fragments out (live). */
static void housekeeping(struct cp_worker *wk)
{
	struct cp_dp *dp = wk->dp;
	const struct cp_view *v = __atomic_load_n(&dp->view, __ATOMIC_ACQUIRE);
	uint64_t now = dp->replay ? wk->last_now : cp_clock_ns(dp);
	if (v->pol != NULL)
		wk->c.flows_evicted +=
		    cp_flow_sweep(&wk->ft, now, v->pol->flow_timeout_ns, SWEEP_SCAN);
	if (!dp->replay && cp_reasm_held(wk->reasm) > 0) {
		struct txq q;
		struct burst b;
		burst_init(&b, wk, v, 0, now, &q);
		expire_fragments(&b, now, 0);
		txq_flush_all(wk, &q); /* monitor mode forwards them */
		if (wk->tr.n > 0)
			cp_trace_w_flush(&wk->tr);
	}
}

/* Replay: the collector and other workers may share this CPU; give it up while nothing comes. */
static void replay_idle(unsigned *idle)
{
	if (++*idle < 256)
		rte_pause();
	else
		sched_yield();
}

int cp_worker_main(void *arg)
{
	struct cp_worker *wk = arg;
	struct cp_dp *dp = wk->dp;
	struct rte_mbuf *pkts[CP_BURST];
	unsigned idle = 0; /* replay: loops without packets in a row */

	rte_rcu_qsbr_thread_register(dp->qsv, wk->id);
	rte_rcu_qsbr_thread_online(dp->qsv, wk->id);
	while (!dp->quit) {
		uint64_t t0 = rte_rdtsc();
		bool busy = false;
		/* Replay: read before polling, so that everything dispatched before the request
		 * has been processed when it is honoured (see replay.c). */
		uint64_t flush =
		    dp->replay ? __atomic_load_n(&dp->rp.flush_n, __ATOMIC_ACQUIRE) : 0;
		for (unsigned q = 0; q < dp->n_rx; q++) {
			uint16_t nb =
			    rte_eth_rx_burst(dp->rx_port_id[q], (uint16_t)wk->id, pkts, CP_BURST);
			if (nb == 0)
				continue;
			busy = true;
			uint64_t w0 = rte_rdtsc();
			if (dp->replay)
				rx_replay(wk, pkts, nb);
			else
				burst_live(wk, q, pkts, nb);
			wk->c.work_cycles += rte_rdtsc() - w0;
		}
		if (!busy && flush > wk->rp.flushed) {
			const struct cp_view *v = __atomic_load_n(&dp->view, __ATOMIC_ACQUIRE);
			struct txq q;
			struct burst b;
			burst_init(&b, wk, v, 0, 0, &q);
			expire_fragments(&b, wk->last_now, flush);
			record_flush(wk, &q);
			wk->rp.flushed = flush;
		}
		rte_rcu_qsbr_quiescent(dp->qsv, wk->id);
		/* Replay: loops are counted while busy only, so that a worker waiting for packets
		 * does not sweep its table over and over. */
		if ((busy || !dp->replay) && ++wk->loops % SWEEP_EVERY == 0) {
			housekeeping(wk);
			rte_rcu_qsbr_quiescent(dp->qsv, wk->id);
		}
		uint64_t dt = rte_rdtsc() - t0;
		wk->c.total_cycles += dt;
		if (busy)
			wk->c.busy_cycles += dt;
		else if (dp->replay)
			replay_idle(&idle);
		if (busy)
			idle = 0;
	}
	rte_rcu_qsbr_thread_offline(dp->qsv, wk->id);
	rte_rcu_qsbr_thread_unregister(dp->qsv, wk->id);
	return 0;
}
