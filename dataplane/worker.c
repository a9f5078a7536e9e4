/* The worker: run-to-completion over bursts. Per burst: read the view once, parse and prefetch,
 * look the flows up in bulk, decide (cached verdict or classification), act (forward, drop,
 * inject), count. No locks, no allocation but mbufs, no syscalls, no logging. */
#include "dp.h"

#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
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

uint64_t cp_clock_ns(const struct cp_dp *dp)
{
	/* ns = tsc * 1e9 / hz, as a multiply by a 32.32 fixed-point factor (no division). */
	uint64_t mult = dp->ns_mult;
	if (unlikely(mult == 0))
		mult = (uint64_t)(((__uint128_t)1000000000u << 32) / dp->tsc_hz);
	return (uint64_t)(((__uint128_t)rte_rdtsc() * mult) >> 32);
}

struct decision {
	uint16_t rule;
	uint8_t verdict;
	uint8_t reason;
	uint32_t grant_slot;
	uint8_t category; /* the deciding rule's matched category, CP_NO_CAT */
	uint64_t pending; /* categories of rules before the deciding one that could still match */
};

static inline bool ports_match(const struct cp_port_list *l, uint16_t port)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->r[i].lo <= port && port <= l->r[i].hi)
			return true;
	return l->n == 0;
}

static inline bool grant_live(const struct cp_view *v, uint32_t slot, uint64_t now)
{
	return slot != CP_NO_SLOT && now < v->gr.deadline[slot];
}

/* First-match evaluation of a flow: initiator (ia, ip) towards responder (ra, rp), with the
 * categories cats matched so far. The candidate rules are the AND of the two address classes'
 * bitmaps; the rest is checked rule by rule. A category rule whose categories have not matched is
 * skipped, and its categories noted in d->pending. */
static void classify(const struct cp_view *v, uint8_t fam, uint8_t proto, const uint8_t *ia,
		     const uint8_t *ra, uint16_t ip, uint16_t rp, uint64_t now, uint64_t cats,
		     struct decision *d)
{
	const struct cp_rt_policy *pol = v->pol;
	const struct cp_leaf *ls = cp_rt_leaf(pol, fam, ia), *ld = cp_rt_leaf(pol, fam, ra);
	uint32_t slot = CP_NO_SLOT;
	bool slot_known = false, grant_miss = false;

	d->grant_slot = CP_NO_SLOT;
	d->category = CP_NO_CAT;
	d->pending = 0;
	for (unsigned w = 0; w < pol->space.nwords; w++) {
		uint64_t m = ls->from[w] & ld->to[w];
		while (m != 0) {
			unsigned r = w * 64 + (unsigned)__builtin_ctzll(m);
			const struct cp_rt_rule *ru = &pol->rules[r];
			m &= m - 1;
			if (ru->proto != CP_PROTO_ANY && ru->proto != proto)
				continue;
			if (ru->has_ports &&
			    !(ports_match(&ru->src->sport, ip) && ports_match(&ru->src->dport, rp)))
				continue;
			if (ru->grant) {
				if (!slot_known) {
					slot = cp_view_grant_slot(v, fam, ia);
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
					d->pending |= rc;
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
	d->rule = CP_NO_RULE;
	d->verdict = CP_V_DROP;
	d->reason = grant_miss && slot != CP_NO_SLOT && v->gr.deadline[slot] != 0
			? CP_R_GRANT_EXPIRED
			: CP_R_DEFAULT_DENY;
}

/* Classify flow f at packet p (sent by side a when from_a) with categories cats, and cache it. */
static void classify_flow(const struct cp_view *v, const struct cp_pkt *p, struct cp_flow *f,
			  bool from_a, uint64_t now, uint64_t cats, struct decision *d)
{
	bool sender_init = from_a == f->init_a;
	classify(v, p->l3, p->proto, sender_init ? p->src : p->dst, sender_init ? p->dst : p->src,
		 sender_init ? p->sport : p->dport, sender_init ? p->dport : p->sport, now, cats,
		 d);
	f->gen = v->gen;
	f->epoch = v->epoch;
	f->grant_slot = d->grant_slot;
	f->rule = d->rule;
	f->verdict = d->verdict;
	f->reason = d->reason;
	f->category = d->category;
	f->cats = cats;
	f->pending = d->pending;
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

static void flow_release(struct cp_worker *wk, const struct cp_view *v, struct cp_flow *f)
{
	if (f->insp != CP_NO_INSP)
		cp_insp_release(&wk->insp, v->pol != NULL ? v->pol->pl : NULL, wk->id, v->gen,
				&f->insp);
}

/* A flow's decision, from the cache when it still holds, else evaluated again. */
static void decide_flow(struct cp_worker *wk, const struct cp_view *v, const struct cp_pkt *p,
			struct cp_flow *f, bool from_a, bool fresh, uint64_t now,
			struct decision *d)
{
	if (!fresh && f->gen == v->gen && f->epoch == v->epoch &&
	    (f->grant_slot == CP_NO_SLOT || grant_live(v, f->grant_slot, now))) {
		d->rule = f->rule;
		d->verdict = f->verdict;
		d->reason = f->reason;
		d->grant_slot = f->grant_slot;
		d->category = f->category;
		if (f->rejected) {
			d->verdict = CP_V_DROP;
			d->reason = CP_R_REJECTED;
		}
		return;
	}
	if (fresh) {
		f->init_a = from_a;
		f->insp = CP_NO_INSP;
		f->insp_state = CP_FI_IDLE;
		f->tcp_seen = 0;
		f->useen[0] = f->useen[1] = 0;
		f->cats = 0;
		f->gen = v->gen;
		wk->c.flows_created++;
	} else {
		wk->c.flows_reevaluated++;
	}
	classify_flow(v, p, f, from_a, now, fresh ? 0 : cats_now(v, f), d);
	/* Inspection: only where a category could change the decision, for TCP and UDP. */
	if (f->insp_state != CP_FI_OVER) {
		bool can = f->pending != 0 && (p->proto == 6 || p->proto == 17);
		if (!can)
			flow_release(wk, v, f);
		f->insp_state = can ? CP_FI_ACTIVE : CP_FI_IDLE;
	}
	/* A flow already reset stays rejected while the new decision still rejects it: the ends
	 * got their RSTs once. */
	if (f->rejected && !fresh && d->verdict == CP_V_REJECT) {
		d->verdict = CP_V_DROP;
		d->reason = CP_R_REJECTED;
	} else {
		f->rejected = 0;
	}
}

/* Inspect the payload of packet p (frame) of flow f under inspection; on a category match that
 * changes the decision, classify again (final). A packet that could not be inspected is dropped
 * when it would pass. */
static void inspect_packet(struct cp_worker *wk, const struct cp_view *v, const struct cp_pkt *p,
			   const uint8_t *frame, struct cp_flow *f, bool from_a, uint64_t now,
			   struct decision *d)
{
	struct cp_payload_rt *pl = v->pol->pl;
	bool sender_init = from_a == f->init_a;
	unsigned dir = sender_init ? 0 : 1;
	struct cp_insp_in in = {
	    .data = frame + p->payload_off,
	    .len = p->payload_len,
	    .seq = p->seq,
	    .isn = f->isn[dir],
	    .useen = f->useen,
	    .isn_known = (f->tcp_seen >> dir) & CP_SEEN_SYN,
	    .tcp = p->proto == 6,
	    .dir = (uint8_t)dir,
	    .resp_port = sender_init ? p->dport : p->sport,
	};
	struct cp_insp_out out = {&wk->c, 0};
	enum cp_insp_rc rc = cp_inspect(&wk->insp, pl, wk->id, v->gen,
					v->pol->src->settings.inspect_bytes, &f->insp, &in, &out);
	uint64_t fresh_cats = out.cats & ~f->cats;
	for (uint64_t b = fresh_cats; b != 0; b &= b - 1)
		pl->wk[wk->id].cat_ctr[(unsigned)__builtin_ctzll(b) * 2 + 1]++;
	f->cats |= out.cats;
	if (fresh_cats & f->pending) {
		bool rejected = f->rejected;
		classify_flow(v, p, f, from_a, now, f->cats, d);
		f->rejected = rejected && d->verdict == CP_V_REJECT;
		if (f->rejected) {
			d->verdict = CP_V_DROP;
			d->reason = CP_R_REJECTED;
		}
		rc = CP_INSP_DONE;
	}
	if (rc == CP_INSP_DONE) {
		f->insp_state = CP_FI_OVER;
		flow_release(wk, v, f);
	} else if ((rc == CP_INSP_GAP || rc == CP_INSP_BUSY) && d->verdict == CP_V_PASS) {
		d->verdict = CP_V_DROP;
		d->reason = rc == CP_INSP_GAP ? CP_R_OUT_OF_ORDER : CP_R_INSPECT_BUSY;
		d->rule = CP_NO_RULE;
		d->category = CP_NO_CAT;
	}
}

/* Decisions that need no flow: malformed, shutoff, non-IP, no policy, fragments. Returns true
 * when d is final. */
static bool decide_stateless(const struct cp_view *v, enum cp_reason pr, const struct cp_pkt *p,
			     struct decision *d)
{
	d->rule = CP_NO_RULE;
	d->grant_slot = CP_NO_SLOT;
	d->verdict = CP_V_DROP;
	d->category = CP_NO_CAT;
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
	bool nd = p->l3 == CP_L3_IPV6 && p->proto == 58 && p->icmp_type >= 133 &&
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

/* Frames for a reject: two RSTs for TCP, else an ICMP error to the initiator, built from the
 * frame that decided (flen bytes). Returns how many were written into out[] (mbufs from the pool),
 * with their output port index. */
static unsigned build_injects(struct cp_worker *wk, const uint8_t *frame, uint32_t flen,
			      const struct cp_pkt *p, bool from_init, unsigned in_port,
			      unsigned out_port, struct rte_mbuf **out, uint8_t *out_ports)
{
	unsigned n = 0, want = p->proto == 6 ? 2 : (from_init ? 1 : 0);
	for (unsigned i = 0; i < want; i++) {
		struct rte_mbuf *im = rte_pktmbuf_alloc(wk->dp->pool);
		size_t len;
		if (im == NULL) {
			wk->c.inject_failed++;
			continue;
		}
		uint8_t *buf = rte_pktmbuf_mtod(im, uint8_t *);
		size_t cap = rte_pktmbuf_tailroom(im);
		if (p->proto == 6)
			len = cp_build_rst(frame, flen, p, i == 0, buf, cap);
		else
			len = cp_build_icmp_prohibited(frame, flen, p, buf, cap);
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

static void record(struct cp_worker *wk, struct rte_mbuf *m)
{
	while (rte_ring_sp_enqueue(wk->record, m) != 0)
		rte_pause(); /* the collector keeps the ring from filling: see replay.c */
}

/* Frames to send, per output port. */
struct txq {
	struct rte_mbuf *m[CP_MAX_PORTS][CP_BURST * 3];
	unsigned n[CP_MAX_PORTS];
	/* What the act stage reads of the view, taken once per burst. */
	bool monitor;
	uint64_t *rule_ctr; /* this worker's rule counters, NULL without a policy */
};

static void txq_init(struct txq *q, const struct cp_worker *wk, const struct cp_view *v)
{
	for (unsigned p = 0; p < wk->dp->n_ports; p++)
		q->n[p] = 0;
	q->monitor = v->pol != NULL && v->pol->src->settings.monitor;
	q->rule_ctr = v->pol != NULL ? cp_rt_rule_ctr(v->pol, wk->id) : NULL;
}

static void txq_flush(struct cp_worker *wk, struct txq *q, unsigned p)
{
	uint16_t sent = rte_eth_tx_burst(wk->dp->ports[p].port_id, (uint16_t)wk->id, q->m[p],
					 (uint16_t)q->n[p]);
	for (unsigned j = 0; j < sent; j++) {
		wk->c.port_tx_pkts[p]++;
		wk->c.port_tx_bytes[p] += rte_pktmbuf_pkt_len(q->m[p][j]);
	}
	if (sent < q->n[p]) {
		wk->c.reason[CP_R_TX_FULL] += q->n[p] - sent;
		rte_pktmbuf_free_bulk(&q->m[p][sent], q->n[p] - sent);
	}
	q->n[p] = 0;
}

static void txq_add(struct cp_worker *wk, struct txq *q, unsigned p, struct rte_mbuf *m)
{
	if (q->n[p] == RTE_DIM(q->m[p]))
		txq_flush(wk, q, p);
	q->m[p][q->n[p]++] = m;
}

static void txq_flush_all(struct cp_worker *wk, struct txq *q)
{
	for (unsigned p = 0; p < wk->dp->n_ports; p++)
		if (q->n[p] > 0)
			txq_flush(wk, q, p);
}

/* What the act stage needs to know of one packet besides its decision. */
struct act_in {
	const struct cp_pkt *p; /* parsed (for injects) */
	const uint8_t *frame;	/* the frame that decided (for injects), flen bytes */
	uint32_t flen;
	bool parsed;	/* the frame parsed as IP: injects can be built */
	bool from_init; /* sent by the flow's initiator */
	bool inject;	/* build the reject's frames for this packet */
};

/* Count, then forward, drop or inject (live: into q; replay: to the record ring). */
static void act(struct cp_worker *wk, const struct cp_view *v, unsigned in_port, struct rte_mbuf *m,
		const struct decision *d, const struct act_in *a, struct txq *q)
{
	struct cp_dp *dp = wk->dp;
	bool monitor = q->monitor;
	unsigned out = dp->ports[in_port].role == CP_ROLE_INSIDE ? v->uplink : 0;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	bool forward = d->verdict == CP_V_PASS || monitor;
	struct rte_mbuf *inj[2];
	uint8_t inj_port[2];
	unsigned ninj = 0;

	wk->c.verdict_pkts[d->verdict]++;
	wk->c.verdict_bytes[d->verdict] += len;
	wk->c.reason[d->reason]++;
	wk->c.port_rx_pkts[in_port]++;
	wk->c.port_rx_bytes[in_port] += len;
	if (d->rule != CP_NO_RULE) {
		q->rule_ctr[d->rule * 2]++;
		q->rule_ctr[d->rule * 2 + 1] += len;
	}
	if (d->verdict == CP_V_REJECT && !monitor && a->parsed && a->inject)
		ninj = build_injects(wk, a->frame, a->flen, a->p, a->from_init, in_port, out, inj,
				     inj_port);
	if (dp->replay) {
		for (unsigned j = 0; j < ninj; j++) {
			struct cp_meta *im = cp_meta(dp, inj[j]);
			*im = *cp_meta(dp, m);
			im->inject = 1;
			record(wk, inj[j]);
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
			wk->c.port_tx_bytes[out] += len;
		}
		record(wk, m);
		return;
	}
	for (unsigned j = 0; j < ninj; j++)
		if (inj_port[j] != CP_NO_PORT)
			txq_add(wk, q, inj_port[j], inj[j]);
		else
			rte_pktmbuf_free(inj[j]);
	if (forward && out != CP_NO_PORT) {
		txq_add(wk, q, out, m);
	} else {
		if (forward)
			wk->c.reason[CP_R_NO_UPLINK]++;
		rte_pktmbuf_free(m);
	}
}

/* The flow stage of one packet whose flow lookup gave fp (negative: absent): insert, decide,
 * note the SYN, inspect. Returns whether the sender is the flow's initiator. */
static bool flow_step(struct cp_worker *wk, const struct cp_view *v, const struct cp_pkt *p,
		      const uint8_t *frame, const struct cp_flow_key *key, int32_t fp, bool from_a,
		      uint64_t t, int32_t *born, unsigned *nborn, struct decision *d)
{
	uint64_t timeout = v->pol->flow_timeout_ns;
	bool fresh = false;
	if (fp < 0) {
		fp = cp_flow_insert(&wk->ft, key);
		fresh = true;
		for (unsigned b = 0; b < *nborn; b++)
			fresh = fresh && born[b] != fp;
		if (fresh && fp >= 0) {
			born[(*nborn)++] = fp;
			wk->ft.active++;
		}
	}
	if (fp < 0) { /* table full: decide without remembering */
		struct cp_flow tmp = {0};
		wk->c.flows_untracked++;
		decide_flow(wk, v, p, &tmp, from_a, true, t, d);
		/* Nothing to inspect with: fail closed on payload a category could block. */
		if (tmp.insp_state == CP_FI_ACTIVE && p->payload_len > 0 &&
		    d->verdict == CP_V_PASS) {
			d->verdict = CP_V_DROP;
			d->reason = CP_R_INSPECT_BUSY;
			d->rule = CP_NO_RULE;
		}
		return true;
	}
	struct cp_flow *f = &wk->ft.flows[fp];
	if (!fresh && t - f->last_ns > timeout && t > f->last_ns) {
		wk->c.flows_evicted++; /* idle too long: this packet starts a new flow */
		flow_release(wk, v, f);
		fresh = true;
	}
	STAGE(wk, CP_ST_FLOW);
	decide_flow(wk, v, p, f, from_a, fresh, t, d);
	unsigned dir = from_a == f->init_a ? 0 : 1;
	if (f->insp_state != CP_FI_OVER && p->proto == 6 && (p->tcp_flags & CP_TCP_SYN)) {
		f->isn[dir] = p->seq;
		f->tcp_seen |= (uint8_t)(CP_SEEN_SYN << dir);
	}
	STAGE(wk, CP_ST_CLASSIFY);
	if (f->insp_state == CP_FI_ACTIVE && p->payload_len > 0 && !f->rejected)
		inspect_packet(wk, v, p, frame, f, from_a, t, d);
	STAGE(wk, CP_ST_PAYLOAD);
	/* A TCP stream that ends (RST, or FIN both ways) has nothing more to inspect. */
	if (f->insp_state == CP_FI_ACTIVE && p->proto == 6 &&
	    (p->tcp_flags & (CP_TCP_FIN | CP_TCP_RST))) {
		if (p->tcp_flags & CP_TCP_FIN)
			f->tcp_seen |= (uint8_t)(CP_SEEN_FIN << dir);
		if ((p->tcp_flags & CP_TCP_RST) ||
		    (f->tcp_seen & (CP_SEEN_FIN | CP_SEEN_FIN << 1)) ==
			(CP_SEEN_FIN | CP_SEEN_FIN << 1)) {
			f->insp_state = CP_FI_OVER;
			flow_release(wk, v, f);
		}
	}
	f->last_ns = t;
	if (d->verdict == CP_V_REJECT)
		f->rejected = 1;
	if (t > wk->last_now)
		wk->last_now = t;
	return from_a == f->init_a;
}

/* The port index a held fragment arrived on. */
static unsigned held_port(const struct cp_worker *wk, struct rte_mbuf *m, unsigned fallback)
{
	const struct cp_dp *dp = wk->dp;
	if (dp->replay)
		return cp_meta(dp, m)->in_port;
	for (unsigned p = 0; p < dp->n_ports; p++)
		if (dp->ports[p].port_id == m->port)
			return p;
	return fallback;
}

/* Drop the frames handed back by reassembly (timed out), with reason fragment-timeout. */
static void drop_expired(struct cp_worker *wk, const struct cp_view *v, unsigned in_port,
			 struct rte_mbuf **held, unsigned n, struct txq *q)
{
	struct decision d = {.rule = CP_NO_RULE,
			     .verdict = CP_V_DROP,
			     .reason = CP_R_FRAGMENT_TIMEOUT,
			     .category = CP_NO_CAT};
	struct act_in a = {0};
	for (unsigned i = 0; i < n; i++)
		act(wk, v, held_port(wk, held[i], in_port), held[i], &d, &a, q);
}

/* Datagrams in reassembly for too long (or, in replay, up to input position max_tag). */
static void expire_fragments(struct cp_worker *wk, const struct cp_view *v, unsigned in_port,
			     uint64_t now, uint64_t max_tag, struct txq *q)
{
	struct rte_mbuf *held[CP_BURST];
	unsigned n;
	do {
		n = cp_reasm_expire(wk->reasm, now, max_tag, held, RTE_DIM(held));
		drop_expired(wk, v, in_port, held, n, q);
	} while (n == RTE_DIM(held));
}

/* A fragment, with settings.fragments = "reassemble": hold it; when it completes its datagram,
 * classify the datagram as one packet and give every fragment its verdict. */
static void reassemble(struct cp_worker *wk, const struct cp_view *v, unsigned in_port,
		       struct rte_mbuf *m, const struct cp_pkt *p, uint64_t t, struct txq *q)
{
	struct cp_dp *dp = wk->dp;
	const uint8_t *frame;
	size_t flen;
	unsigned nheld = 0;
	uint64_t tag = dp->replay ? cp_meta(dp, m)->n : 0;
	struct decision d = {.rule = CP_NO_RULE, .verdict = CP_V_DROP, .category = CP_NO_CAT};
	struct act_in a = {0};

	/* Datagrams timed out by now go first: this fragment may start a new one with their key. */
	if (cp_reasm_held(wk->reasm) > 0)
		expire_fragments(wk, v, in_port, t, 0, q);
	switch (cp_reasm_push(wk->reasm, m, p, tag, t, &frame, &flen, wk->held, CP_WK_FRAG_HELD_MAX,
			      &nheld)) {
	case CP_REASM_HELD:
		return;
	case CP_REASM_REFUSED:
		d.reason = CP_R_FRAGMENT;
		act(wk, v, in_port, m, &d, &a, q);
		return;
	case CP_REASM_DONE:
		break;
	}
	struct cp_pkt dg;
	enum cp_reason pr = cp_parse(frame, (uint32_t)flen, &dg);
	if (!decide_stateless(v, pr, &dg, &d)) {
		struct cp_flow_key key;
		const struct cp_flow_key *kp = &key;
		int32_t fp, born[1];
		unsigned nborn = 0;
		bool fa;
		cp_flow_key_make(&dg, &key, &fa);
		cp_flow_lookup_bulk(&wk->ft, &kp, 1, &fp);
		a.from_init = flow_step(wk, v, &dg, frame, &key, fp, fa, t, born, &nborn, &d);
	}
	a.p = &dg;
	a.frame = frame;
	a.flen = (uint32_t)flen;
	a.parsed = pr == CP_R_NONE;
	for (unsigned i = 0; i < nheld; i++) {
		a.inject = i + 1 == nheld; /* the reject's frames once, with the last fragment */
		act(wk, v, held_port(wk, wk->held[i], in_port), wk->held[i], &d, &a, q);
	}
}

/* Packets pkts[0..n) up to the first fragment to reassemble: parse, flows in bulk, act; then that
 * fragment, so that a datagram completed by it is classified after the packets before it and
 * before those after it. Returns how many packets it took. */
static unsigned burst_part(struct cp_worker *wk, const struct cp_view *v, unsigned in_port,
			   struct rte_mbuf **pkts, unsigned n, uint64_t now, struct txq *q)
{
	struct cp_dp *dp = wk->dp;
	struct cp_pkt meta[CP_BURST];
	struct cp_flow_key keys[CP_BURST];
	const struct cp_flow_key *kp[CP_BURST];
	uint8_t kidx[CP_BURST], from_a[CP_BURST], pres[CP_BURST];
	int32_t pos[CP_BURST], born[CP_BURST];
	struct decision d[CP_BURST];
	unsigned nk = 0, nborn = 0, stop = n;
	bool reasm =
	    v->pol != NULL && v->pol->src->settings.fragments == CP_FRAG_REASSEMBLE && !v->shutoff;

	STAGE_START(wk);
	/* Parse, prefetching ahead. */
	for (unsigned i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (unsigned i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		enum cp_reason r = cp_parse(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
					    rte_pktmbuf_data_len(pkts[i]), &meta[i]);
		pres[i] = (uint8_t)r;
		from_a[i] = 1;
		if (unlikely(reasm && r == CP_R_NONE && meta[i].frag != CP_FRAG_NONE)) {
			stop = i;
			break;
		}
		if (decide_stateless(v, r, &meta[i], &d[i]))
			continue;
		bool fa;
		cp_flow_key_make(&meta[i], &keys[nk], &fa);
		from_a[i] = fa;
		kp[nk] = &keys[nk];
		kidx[nk++] = (uint8_t)i;
	}

	STAGE(wk, CP_ST_PARSE);
	/* Flows, in bulk. */
	cp_flow_lookup_bulk(&wk->ft, kp, nk, pos);
	for (unsigned k = 0; k < nk; k++) {
		unsigned i = kidx[k];
		uint64_t t = dp->replay ? cp_rx_ts(dp, pkts[i]) : now;
		from_a[i] = flow_step(wk, v, &meta[i], rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				      kp[k], pos[k], from_a[i], t, born, &nborn, &d[i]);
	}
	STAGE(wk, CP_ST_FLOW);

	/* Act and count. */
	for (unsigned i = 0; i < stop; i++) {
		struct act_in a = {
		    .p = &meta[i],
		    .frame = rte_pktmbuf_mtod(pkts[i], const uint8_t *),
		    .flen = rte_pktmbuf_data_len(pkts[i]),
		    .parsed = pres[i] == CP_R_NONE,
		    .from_init = from_a[i],
		    .inject = true,
		};
		act(wk, v, in_port, pkts[i], &d[i], &a, q);
	}
	STAGE(wk, CP_ST_TX);
	if (stop == n)
		return n;
	reassemble(wk, v, in_port, pkts[stop], &meta[stop],
		   dp->replay ? cp_rx_ts(dp, pkts[stop]) : now, q);
	return stop + 1;
}

void cp_worker_burst(struct cp_worker *wk, unsigned in_port, struct rte_mbuf **pkts, unsigned n)
{
	struct cp_dp *dp = wk->dp;
	const struct cp_view *v = __atomic_load_n(&dp->view, __ATOMIC_ACQUIRE);
	uint64_t now = dp->replay ? 0 : cp_clock_ns(dp);
	struct txq q;

	txq_init(&q, wk, v);
	for (unsigned done = 0; done < n;)
		done += burst_part(wk, v, in_port, pkts + done, n - done, now, &q);
	if (unlikely(cp_reasm_held(wk->reasm) > 0)) {
		uint64_t t = dp->replay ? wk->last_now : now;
		expire_fragments(wk, v, in_port, t, 0, &q);
	}
	if (!dp->replay)
		txq_flush_all(wk, &q);
	STAGE(wk, CP_ST_TX);
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
	char name[RTE_HASH_NAMESIZE];
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
	free(wk->held);
	wk->held = NULL;
}

int cp_worker_main(void *arg)
{
	struct cp_worker *wk = arg;
	struct cp_dp *dp = wk->dp;
	struct rte_mbuf *pkts[CP_BURST];

	rte_rcu_qsbr_thread_register(dp->qsv, wk->id);
	rte_rcu_qsbr_thread_online(dp->qsv, wk->id);
	while (!dp->quit) {
		uint64_t t0 = rte_rdtsc();
		bool busy = false;
		/* Replay: read before polling, so that everything dispatched before the request
		 * has been processed when it is honoured (see replay.c). */
		uint64_t flush = dp->replay ? __atomic_load_n(&dp->flush_n, __ATOMIC_ACQUIRE) : 0;
		for (unsigned q = 0; q < dp->n_rx; q++) {
			uint16_t nb =
			    rte_eth_rx_burst(dp->rx_port_id[q], (uint16_t)wk->id, pkts, CP_BURST);
			if (nb == 0)
				continue;
			busy = true;
			uint64_t w0 = rte_rdtsc();
			if (!dp->replay) {
				cp_worker_burst(wk, q, pkts, nb);
				wk->c.work_cycles += rte_rdtsc() - w0;
				continue;
			}
			/* Replay: one queue per worker, each packet tagged with its port. */
			for (unsigned i = 0, j; i < nb; i = j) {
				unsigned port = cp_meta(dp, pkts[i])->in_port;
				for (j = i + 1; j < nb && cp_meta(dp, pkts[j])->in_port == port;
				     j++)
					;
				cp_worker_burst(wk, port, pkts + i, j - i);
			}
			wk->c.work_cycles += rte_rdtsc() - w0;
		}
		if (!busy && flush > wk->flushed) {
			const struct cp_view *v = __atomic_load_n(&dp->view, __ATOMIC_ACQUIRE);
			struct txq q;
			txq_init(&q, wk, v);
			expire_fragments(wk, v, 0, wk->last_now, flush, &q);
			wk->flushed = flush;
		}
		rte_rcu_qsbr_quiescent(dp->qsv, wk->id);
		if (++wk->loops % SWEEP_EVERY == 0) {
			const struct cp_view *v = __atomic_load_n(&dp->view, __ATOMIC_ACQUIRE);
			uint64_t now = dp->replay ? wk->last_now : cp_clock_ns(dp);
			if (v->pol != NULL)
				wk->c.flows_evicted += cp_flow_sweep(
				    &wk->ft, now, v->pol->flow_timeout_ns, SWEEP_SCAN);
			if (!dp->replay && cp_reasm_held(wk->reasm) > 0) {
				struct txq q;
				txq_init(&q, wk, v);
				expire_fragments(wk, v, 0, now, 0, &q);
				txq_flush_all(wk, &q); /* monitor mode forwards them */
			}
			rte_rcu_qsbr_quiescent(dp->qsv, wk->id);
		}
		uint64_t dt = rte_rdtsc() - t0;
		wk->c.total_cycles += dt;
		if (busy)
			wk->c.busy_cycles += dt;
		else if (dp->replay)
			rte_pause();
	}
	rte_rcu_qsbr_thread_offline(dp->qsv, wk->id);
	rte_rcu_qsbr_thread_unregister(dp->qsv, wk->id);
	return 0;
}
