/* Replay mode (see replay.h). The main lcore is the dispatcher: it reads the net_pcap port,
 * applies events with every worker drained, and hands each packet to the worker its flow hashes
 * to. The collector writes results back in input order: on a thread of its own where it has a
 * CPU, so that writing the outputs overlaps reading the capture, else on the main lcore between
 * bursts. A worker's record ring holds, per packet, the frames
 * injected for it and then the packet itself, so the collector always knows from which ring the
 * next result comes. */
#include "replay.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "capture.h"
#include "view_build.h"
#include "counters_out.h"
#include "dp.h"
#include "events.h"
#include "mbuf_pool.h"
#include "pcap_out.h"
#include "verdict_out.h"
#include "wbuf.h"

#define WINDOW	    2048 /* packets in flight between dispatch and collection */
#define RING_SIZE   8192 /* > WINDOW * 3: a packet and its two injected frames */
#define POOL_MBUFS  16383
#define YIELD_AFTER 256 /* fruitless polls before a thread that waits yields its CPU */

/* A counter one thread publishes and the other reads, on a cache line of its own. */
struct shared_pos {
	uint64_t v;
} __rte_cache_aligned;

struct replay {
	const struct cp_replay_opts *o;
	struct cp_dp dp;
	struct cp_ctl ctl;
	struct cp_event *ev;
	unsigned n_ev, next_ev;
	uint64_t t0, t_min, t_last; /* first, earliest and latest packet timestamps */
	uint16_t pcap_port;
	struct cp_capture cap; /* the same capture read alongside net_pcap, for its timestamps */
	struct rte_ring *rx[CP_MAX_WORKERS];
	struct rte_mempool *big; /* linearised copies of multi-segment frames */
	struct slot {
		struct rte_mbuf *pkt;	 /* the packet's record, once a worker gave it */
		struct rte_mbuf *inj[2]; /* frames injected for it */
		unsigned ninj;
	} slot[WINDOW];
	struct batch { /* packets routed to a worker, not yet on its ring */
		struct rte_mbuf *m[CP_BURST];
		unsigned n;
	} batch[CP_MAX_WORKERS];
	uint64_t next_n;    /* dispatcher: the next input position */
	uint64_t collected; /* collector: the next result to write */
	/* What each side publishes of its position (per burst, per batch of results) and the
	 * dispatcher's "no more packets". */
	struct shared_pos pub_next, pub_collected, done;
	pthread_t collector;
	bool collector_running;
	struct cp_wbuf verdicts;
	struct cp_pcap_out pass, drop, inject;
	int io_error;
};

/* EAL arguments for replay when none were given: no hugepages needed, nothing on disk, quiet,
 * one lcore per worker plus the main one, all free to float over the CPUs we may use. */
int cp_replay_eal_args(unsigned workers, char **argv, char *buf, size_t len)
{
	static char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=chokepoint-replay-%ld", (long)getpid());
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	snprintf(buf, len, "(0-%u)@(0-%ld)", workers, ncpu - 1);
	int n = 0;
	argv[n++] = "chokepoint";
	argv[n++] = "--no-huge";
	argv[n++] = "-m";
	argv[n++] = "1024";
	argv[n++] = "--no-shconf";
	argv[n++] = prefix;
	argv[n++] = "--no-pci";
	argv[n++] = "--no-telemetry";
	argv[n++] = "--log-level=*:error";
	argv[n++] = "--lcores";
	argv[n++] = buf;
	argv[n] = NULL;
	return n;
}

int cp_replay_precheck(const struct cp_replay_opts *o)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(o->in, eb);
	if (p == NULL) {
		fprintf(stderr, "chokepoint: %s: cannot read capture: %s\n", o->in, eb);
		return -1;
	}
	int dlt = pcap_datalink(p);
	pcap_close(p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);
		fprintf(stderr, "chokepoint: %s: not an Ethernet capture (link type %d%s%s)\n",
			o->in, dlt, name ? ", " : "", name ? name : "");
		return -1;
	}
	if (strpbrk(o->in, ",=") != NULL) {
		fprintf(stderr, "chokepoint: %s: a capture path may not contain ',' or '='\n",
			o->in);
		return -1;
	}
	return 0;
}

static int setup_pcap_port(struct replay *r)
{
	char args[PATH_MAX + 16];
	struct rte_eth_conf conf = {0};
	snprintf(args, sizeof(args), "rx_pcap=%s", r->o->in);
	if (rte_vdev_init("net_pcap_replay", args) != 0 ||
	    rte_eth_dev_get_port_by_name("net_pcap_replay", &r->pcap_port) != 0)
		return -1;
	if (rte_eth_dev_configure(r->pcap_port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(r->pcap_port, 0, 512, SOCKET_ID_ANY, NULL, r->dp.pool) != 0 ||
	    rte_eth_tx_queue_setup(r->pcap_port, 0, 512, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(r->pcap_port) != 0)
		return -1;
	return 0;
}

/* The ports the workers see: the inside port and the first uplink are logical; what they poll is
 * one net_ring port with a queue per worker, each packet tagged with the port it entered on, so
 * that a worker sees its packets in capture order whatever their direction. */
static int setup_ring_port(struct replay *r)
{
	static const char *const names[2] = {"inside", "uplink"};
	unsigned nw = r->dp.n_workers;
	struct rte_ring *tx[CP_MAX_WORKERS];
	struct rte_eth_conf conf = {0};
	char name[64];

	for (unsigned w = 0; w < nw; w++) {
		snprintf(name, sizeof(name), "cp_rx_%u", w);
		r->rx[w] =
		    rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "cp_tx_%u", w);
		tx[w] = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r->rx[w] == NULL || tx[w] == NULL)
			return -1;
	}
	int id = rte_eth_from_rings("cp_replay", r->rx, nw, tx, nw, (unsigned)SOCKET_ID_ANY);
	if (id < 0 || rte_eth_dev_configure((uint16_t)id, (uint16_t)nw, (uint16_t)nw, &conf) != 0)
		return -1;
	for (unsigned w = 0; w < nw; w++)
		if (rte_eth_rx_queue_setup((uint16_t)id, (uint16_t)w, RING_SIZE, SOCKET_ID_ANY,
					   NULL, r->dp.pool) != 0 ||
		    rte_eth_tx_queue_setup((uint16_t)id, (uint16_t)w, 64, SOCKET_ID_ANY, NULL) != 0)
			return -1;
	if (rte_eth_dev_start((uint16_t)id) != 0)
		return -1;
	for (unsigned p = 0; p < 2; p++) {
		struct cp_port *cp = &r->dp.ports[p];
		snprintf(cp->name, sizeof(cp->name), "%s", names[p]);
		snprintf(cp->device, sizeof(cp->device), "cp_replay");
		cp->port_id = (uint16_t)id;
		cp->role = p == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK;
		cp->index = (uint8_t)p;
	}
	r->dp.n_ports = 2;
	r->dp.rx_port_id[0] = (uint16_t)id;
	r->dp.n_rx = 1;
	return 0;
}

static int setup_workers(struct replay *r)
{
	struct cp_dp *dp = &r->dp;
	unsigned nw = dp->n_workers;
	uint32_t per = r->o->flows / nw;
	if (per > r->cap.max_total + 64)
		per = (uint32_t)r->cap.max_total + 64;
	size_t sz = rte_rcu_qsbr_get_memsize(nw);

	dp->qsv = rte_zmalloc("cp_qsv", sz, RTE_CACHE_LINE_SIZE);
	dp->workers = rte_zmalloc("cp_workers", nw * sizeof(struct cp_worker), RTE_CACHE_LINE_SIZE);
	if (dp->qsv == NULL || dp->workers == NULL || rte_rcu_qsbr_init(dp->qsv, nw) != 0)
		return -1;
	for (unsigned w = 0; w < nw; w++) {
		struct cp_worker *wk = &dp->workers[w];
		char name[32];
		if (cp_worker_init(wk, dp, w, per) != 0)
			return -1;
		snprintf(name, sizeof(name), "cp_rec%u", w);
		wk->rp.record =
		    rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (wk->rp.record == NULL)
			return -1;
	}
	return 0;
}

static int open_outputs(struct replay *r)
{
	char path[PATH_MAX];
	const char *dir = r->o->out;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/verdicts.jsonl", dir);
	if (cp_wbuf_open(&r->verdicts, path) != 0)
		return -1;
	static const char *const files[3] = {"pass.pcap", "drop.pcap", "inject.pcap"};
	struct cp_pcap_out *outs[3] = {&r->pass, &r->drop, &r->inject};
	for (unsigned i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (cp_pcap_open(outs[i], path) != 0)
			return -1;
	}
	return 0;
}

static int write_verdict(struct replay *r, const struct cp_meta *m)
{
	struct cp_verdict_line v;
	cp_verdict_line_of(&v, r->ctl.pol, m);
	char *p = cp_wbuf_reserve(&r->verdicts, cp_verdict_line_room(&v));
	if (p == NULL)
		return -1;
	cp_wbuf_commit(&r->verdicts, (size_t)(cp_verdict_line_put(p, &v) - p));
	return 0;
}

/* Take whatever the workers recorded into the window's slots, by input position. */
static void poll_records(struct replay *r)
{
	for (unsigned w = 0; w < r->dp.n_workers; w++) {
		struct rte_mbuf *ms[64];
		unsigned n = rte_ring_sc_dequeue_burst(r->dp.workers[w].rp.record, (void **)ms,
						       RTE_DIM(ms), NULL);
		for (unsigned i = 0; i < n; i++) {
			const struct cp_meta *meta = cp_meta(&r->dp, ms[i]);
			struct slot *s = &r->slot[meta->n % WINDOW];
			if (!meta->inject)
				s->pkt = ms[i];
			else if (s->ninj < RTE_DIM(s->inj))
				s->inj[s->ninj++] = ms[i];
			else
				rte_pktmbuf_free(ms[i]);
		}
	}
}

/* Workers give up the fragments they hold up to input position n (see worker.c). Both threads
 * ask: the position only grows. */
static void request_flush(struct replay *r, uint64_t n)
{
	uint64_t cur = __atomic_load_n(&r->dp.rp.flush_n, __ATOMIC_RELAXED);
	while (cur < n && !__atomic_compare_exchange_n(&r->dp.rp.flush_n, &cur, n, true,
						       __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

static uint64_t load_pos(const struct shared_pos *p)
{
	return __atomic_load_n(&p->v, __ATOMIC_ACQUIRE);
}

static void publish_pos(struct shared_pos *p, uint64_t v)
{
	__atomic_store_n(&p->v, v, __ATOMIC_RELEASE);
}

/* Waiting for the workers: spin a little, then give the CPU up, so that a worker sharing it (more
 * workers than CPUs, or other load on the machine) gets to run. */
static void backoff(unsigned *idle)
{
	if (++*idle < YIELD_AFTER)
		rte_pause();
	else
		sched_yield();
}

/* Write the result of the oldest packet in flight (slot s): its injected frames, its verdict
 * line, the packet itself. */
static void write_result(struct replay *r, struct slot *s)
{
	for (unsigned i = 0; i < s->ninj; i++) {
		r->io_error |=
		    cp_pcap_write_mbuf(&r->inject, cp_rx_ts(&r->dp, s->inj[i]), s->inj[i]);
		rte_pktmbuf_free(s->inj[i]);
	}
	const struct cp_meta *meta = cp_meta(&r->dp, s->pkt);
	r->io_error |= write_verdict(r, meta);
	r->io_error |= cp_pcap_write_mbuf(meta->forwarded ? &r->pass : &r->drop,
					  cp_rx_ts(&r->dp, s->pkt), s->pkt);
	rte_pktmbuf_free(s->pkt);
	memset(s, 0, sizeof(*s));
	r->collected++;
}

/* Write the results that are ready, in input order; returns whether it wrote any. A worker may
 * hold a fragment while later packets are done, so results are put back in order here; when the
 * oldest packet in flight is held and the window is full, the workers are asked to give up what
 * they hold (a datagram not complete within WINDOW input packets times out; the dispatcher asks
 * the same before an event and at the end). */
static bool collect_ready(struct replay *r)
{
	uint64_t next_n = load_pos(&r->pub_next);
	uint64_t before = r->collected;
	poll_records(r);
	while (r->collected < next_n && r->slot[r->collected % WINDOW].pkt != NULL)
		write_result(r, &r->slot[r->collected % WINDOW]);
	if (r->collected != before) {
		publish_pos(&r->pub_collected, r->collected);
		return true;
	}
	if (next_n - r->collected == WINDOW)
		request_flush(r, r->collected);
	return false;
}

/* The collector thread: results as they become ready, until the dispatcher says it is done and
 * nothing is in flight. */
static void *collector_main(void *arg)
{
	struct replay *r = arg;
	unsigned idle = 0;
	/* An lcore id of its own, so that freeing mbufs goes through a mempool cache. */
	int registered = rte_thread_register() == 0;
	for (;;) {
		bool done = load_pos(&r->done) != 0;
		if (collect_ready(r)) {
			idle = 0;
			continue;
		}
		if (done && r->collected == load_pos(&r->pub_next))
			break;
		backoff(&idle);
	}
	if (registered)
		rte_thread_unregister();
	return NULL;
}

/* The dispatcher waits for results: it collects them itself where there is no collector
 * thread. */
static void wait_results(struct replay *r, unsigned *idle)
{
	if (!r->collector_running && collect_ready(r))
		*idle = 0;
	else
		backoff(idle);
}

/* Until every packet handed over has its result written. What workers hold is given up. */
static void drain(struct replay *r)
{
	unsigned idle = 0;
	publish_pos(&r->pub_next, r->next_n);
	while (load_pos(&r->pub_collected) != r->next_n) {
		request_flush(r, r->next_n - 1);
		wait_results(r, &idle);
	}
}

/* Until the window has room for another packet. */
static void wait_room(struct replay *r)
{
	unsigned idle = 0;
	while (r->next_n - load_pos(&r->pub_collected) == WINDOW)
		wait_results(r, &idle);
}

static int apply_event(struct replay *r, const struct cp_event *e)
{
	char err[256] = "";
	uint64_t now = r->t0 + e->at_ns;
	int rc = 0;
	struct cp_diag d;
	switch (e->kind) {
	case CP_EV_GRANT:
		rc = cp_ctl_grant(&r->ctl, &e->host, now, e->for_ns, e->renew_ns, err, sizeof(err));
		break;
	case CP_EV_RENEW:
		rc = cp_ctl_renew(&r->ctl, &e->host, now, err, sizeof(err));
		break;
	case CP_EV_REVOKE:
		rc = cp_ctl_revoke(&r->ctl, &e->host, now, err, sizeof(err));
		break;
	case CP_EV_SHUTOFF:
	case CP_EV_RESTORE:
		rc = cp_ctl_shutoff(&r->ctl, e->kind == CP_EV_SHUTOFF, err, sizeof(err));
		break;
	case CP_EV_POLICY: {
		cp_diag_init(&d);
		struct cp_policy_src *p = cp_policy_read(e->file, &d);
		cp_diag_print(&d, stderr);
		cp_diag_free(&d);
		if (p == NULL) {
			snprintf(err, sizeof(err), "policy %s refused, the running one is kept",
				 e->file);
			rc = -1;
		} else if (cp_ctl_set_policy(&r->ctl, p, err, sizeof(err)) != 0) {
			cp_policy_free(p);
			rc = -1;
		}
		break;
	}
	}
	/* A refused event is reported and replay goes on, as a live control plane would. */
	if (rc != 0)
		fprintf(stderr, "chokepoint: %s:%d: event not applied: %s\n", r->o->events, e->line,
			err);
	return rc;
}

/* A frame net_pcap chained over several mbufs becomes one contiguous mbuf, copied from the
 * capture as read alongside (net_pcap's chain of an oversized frame cannot be trusted to hold it
 * all).
 * Frames beyond 64 KiB (GSO captures) keep their first 65407 bytes. */
static struct rte_mbuf *linearize(struct replay *r, struct rte_mbuf *m, const uint8_t *data,
				  uint32_t caplen)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(r->big);
	if (c == NULL)
		return m;
	uint32_t len = caplen < rte_pktmbuf_tailroom(c) ? caplen : rte_pktmbuf_tailroom(c);
	memcpy(rte_pktmbuf_append(c, (uint16_t)len), data, len);
	rte_pktmbuf_free(m);
	return c;
}

/* Which port and which worker a packet goes to. */
static void route(struct replay *r, struct rte_mbuf *m, unsigned *port, unsigned *worker)
{
	struct cp_pkt p;
	enum cp_reason pr =
	    cp_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &p);
	*port = 1;
	*worker = 0;
	if (pr != CP_R_NONE)
		return;
	const struct cp_rt_policy *pol = r->ctl.pol;
	if (pol != NULL && cp_rt_leaf(pol, p.l3, p.src)->inside)
		*port = 0;
	/* By address pair (and VLANs): a datagram's fragments, which carry no ports but the first,
	 * meet their flow in one worker. */
	struct cp_flow_key k;
	bool fa;
	cp_flow_key_make(&p, &k, &fa);
	k.pa = k.pb = 0;
	k.proto = 0;
	*worker = rte_hash_crc(&k, sizeof(k), 0x5eed) % r->dp.n_workers;
}

/* Put the packets routed since the last call on their workers' rings: one ring update per
 * worker and burst, not per packet (the ring's indexes are shared with the worker polling it). */
static void hand_over(struct replay *r)
{
	for (unsigned w = 0; w < r->dp.n_workers; w++) {
		struct batch *b = &r->batch[w];
		unsigned done = 0, idle = 0;
		while (done < b->n) {
			done += rte_ring_sp_enqueue_burst(r->rx[w], (void **)b->m + done,
							  b->n - done, NULL);
			if (done < b->n)
				backoff(&idle);
		}
		b->n = 0;
	}
}

static int dispatch(struct replay *r)
{
	struct rte_mbuf *pkts[CP_BURST];
	for (;;) {
		wait_room(r);
		unsigned room = WINDOW - (unsigned)(r->next_n - load_pos(&r->pub_collected));
		uint16_t nb =
		    rte_eth_rx_burst(r->pcap_port, 0, pkts, room < CP_BURST ? room : CP_BURST);
		if (nb == 0)
			break;
		for (uint16_t i = 0; i < nb; i++) {
			struct rte_mbuf *m = pkts[i];
			struct cp_capture_rec rec;
			if (cp_capture_next(&r->cap, &rec) != 1 ||
			    rec.caplen != rte_pktmbuf_pkt_len(m)) {
				/* net_pcap skipped a frame (out of mbufs): stop rather than
				 * misnumber every verdict after it. */
				rte_pktmbuf_free_bulk(pkts + i, nb - i);
				hand_over(r);
				drain(r);
				return -1;
			}
			uint64_t ts = rec.ts_ns;
			uint64_t rel = ts > r->t0 ? ts - r->t0 : 0;
			while (r->next_ev < r->n_ev && r->ev[r->next_ev].at_ns <= rel) {
				hand_over(r);
				drain(r);
				apply_event(r, &r->ev[r->next_ev++]);
			}
			if (m->nb_segs > 1)
				m = linearize(r, m, rec.data, rec.caplen);
			unsigned port, w;
			route(r, m, &port, &w);
			struct cp_meta *meta = cp_meta(&r->dp, m);
			memset(meta, 0, sizeof(*meta));
			meta->n = (uint32_t)r->next_n;
			meta->ts_ns = ts;
			meta->in_port = (uint8_t)port;
			r->next_n++;
			r->t_last = ts > r->t_last ? ts : r->t_last;
			r->t_min = ts < r->t_min ? ts : r->t_min;
			r->batch[w].m[r->batch[w].n++] = m;
		}
		hand_over(r);
		publish_pos(&r->pub_next, r->next_n);
		if (!r->collector_running)
			collect_ready(r);
	}
	drain(r);
	/* net_pcap's end must be the capture's: else it skipped frames at the end. */
	struct cp_capture_rec rec;
	return cp_capture_next(&r->cap, &rec) == 0 ? 0 : -1;
}

/* Flows idle for longer than the timeout at the end are evicted. None can be when the capture
 * spans no more than the timeout: then the scan of every table slot is skipped. */
static void final_sweep(struct replay *r)
{
	uint64_t timeout = r->ctl.pol != NULL ? r->ctl.pol->flow_timeout_ns : 0;
	if (r->t_min == UINT64_MAX || r->t_last - r->t_min <= timeout)
		return;
	for (unsigned w = 0; w < r->dp.n_workers; w++) {
		struct cp_worker *wk = &r->dp.workers[w];
		wk->ft.sweep = 0;
		wk->c.flows_evicted += cp_flow_sweep(&wk->ft, r->t_last, timeout, wk->ft.cap);
	}
}

static int setup(struct replay *r, char *err, size_t errlen)
{
	struct cp_dp *dp = &r->dp;
	static const struct rte_mbuf_dynfield meta_desc = {
	    .name = "chokepoint_meta",
	    .size = sizeof(struct cp_meta),
	    .align = __alignof__(struct cp_meta),
	};
	dp->replay = true;
	cp_dp_clock_init(dp, rte_get_tsc_hz());
	dp->n_workers = r->o->workers;
	dp->rp.meta_off = rte_mbuf_dynfield_register(&meta_desc);
	if (dp->rp.meta_off < 0) {
		snprintf(err, errlen, "cannot register mbuf fields");
		return -1;
	}
	/* Sized to the capture: no more mbufs than can be in flight, no more flows than packets
	 * (so a worker's table never fills and outputs do not depend on --workers). A capture too
	 * long to be counted up front is sized by a bound: it holds more packets than a worker has
	 * inspection contexts (8192), so nothing sized from the count depends on the exact one. */
	uint64_t want = 4 * r->cap.max_total + 1023;
	unsigned pool = want < POOL_MBUFS ? (unsigned)want : POOL_MBUFS;
	dp->pool =
	    cp_mbuf_pool_create("cp_pool", pool, 256, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	r->big = rte_pktmbuf_pool_create("cp_big", 63, 0, 0, UINT16_MAX, SOCKET_ID_ANY);
	if (dp->pool == NULL || r->big == NULL) {
		snprintf(err, errlen, "cannot create mbuf pools: %s", rte_strerror(rte_errno));
		return -1;
	}
	if (setup_pcap_port(r) != 0) {
		snprintf(err, errlen, "%s: cannot open a net_pcap port on it", r->o->in);
		return -1;
	}
	if (setup_ring_port(r) != 0 || setup_workers(r) != 0) {
		snprintf(err, errlen, "cannot create the replay ports and workers");
		return -1;
	}
	if (cp_ctl_init(&r->ctl, dp, err, errlen) != 0)
		return -1;
	if (open_outputs(r) != 0) {
		snprintf(err, errlen, "%s: cannot write outputs: %s", r->o->out, strerror(errno));
		return -1;
	}
	return 0;
}

static int load_inputs(struct replay *r)
{
	struct cp_diag d;
	int rc = 0;
	cp_diag_init(&d);
	struct cp_policy_src *p = cp_policy_read(r->o->policy, &d);
	if (p != NULL && r->o->events != NULL &&
	    cp_events_load(r->o->events, &r->ev, &r->n_ev, &d) != 0)
		rc = -1;
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	if (p == NULL || rc != 0) {
		cp_policy_free(p);
		return -1;
	}
	char err[256];
	if (cp_ctl_set_policy(&r->ctl, p, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokepoint: %s: %s\n", r->o->policy, err);
		cp_policy_free(p);
		return -1;
	}
	return 0;
}

/* Whether the collector gets a thread of its own: only where it has a CPU of its own, since a
 * worker waiting for packets spins on its CPU (worker.c); with fewer CPUs the dispatcher collects
 * between bursts, on the main lcore. */
static bool collector_has_cpu(const struct replay *r)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return false;
	return (unsigned)CPU_COUNT(&set) >= r->dp.n_workers + 2;
}

static int start_collector(struct replay *r)
{
	if (!collector_has_cpu(r))
		return 0;
	int rc = pthread_create(&r->collector, NULL, collector_main, r);
	if (rc != 0) {
		fprintf(stderr, "chokepoint: cannot start the collector thread: %s\n",
			strerror(rc));
		return -1;
	}
	r->collector_running = true;
	return 0;
}

/* After drain: the collector sees that nothing more comes and ends. */
static void stop_collector(struct replay *r)
{
	if (!r->collector_running)
		return;
	publish_pos(&r->done, 1);
	pthread_join(r->collector, NULL);
	r->collector_running = false;
}

static int run_workers(struct replay *r)
{
	unsigned w = 0, lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (w == r->dp.n_workers)
			break;
		if (rte_eal_remote_launch(cp_worker_main, &r->dp.workers[w], lcore) != 0)
			return -1;
		w++;
	}
	if (w < r->dp.n_workers) {
		fprintf(stderr, "chokepoint: only %u worker lcores for %u workers\n", w,
			r->dp.n_workers);
		r->dp.quit = true;
		rte_eal_mp_wait_lcore();
		return -1;
	}
	int rc = start_collector(r) == 0 ? dispatch(r) : -1;
	stop_collector(r);
	r->dp.quit = true;
	rte_eal_mp_wait_lcore();
	return rc;
}

int cp_replay_run(const struct cp_replay_opts *o)
{
	/* Aligned for the positions the two threads share on lines of their own. */
	size_t size = RTE_ALIGN_CEIL(sizeof(struct replay), RTE_CACHE_LINE_SIZE);
	struct replay *r = aligned_alloc(RTE_CACHE_LINE_SIZE, size);
	char err[512] = "";
	int status = 1;

	if (r == NULL)
		return 1;
	memset(r, 0, size);
	r->o = o;
	r->next_n = 1;
	r->collected = 1;
	r->t_min = UINT64_MAX;
	publish_pos(&r->pub_next, 1);
	publish_pos(&r->pub_collected, 1);
	if (cp_capture_open(&r->cap, o->in) != 0) {
		fprintf(stderr, "chokepoint: %s: cannot read capture\n", o->in);
		goto out;
	}
	r->t0 = r->cap.t0_ns;
	if (setup(r, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokepoint: %s\n", err);
		goto out;
	}
	if (load_inputs(r) != 0)
		goto out;
	if (run_workers(r) != 0) {
		fprintf(stderr,
			"chokepoint: %s: net_pcap and the capture disagree after %lu packets\n",
			o->in, (unsigned long)(r->next_n - 1));
		goto out;
	}
	final_sweep(r);
	if (cp_counters_write_file(&r->dp, &r->ctl, r->t_last, o->out) != 0 || r->io_error) {
		fprintf(stderr, "chokepoint: %s: cannot write outputs\n", o->out);
		goto out;
	}
	if (!o->quiet)
		cp_counters_summary(stdout, &r->dp, &r->ctl, r->t_last, o->in, o->out);
	status = 0;
out:
	if (cp_wbuf_close(&r->verdicts) != 0)
		status = 1;
	if (cp_pcap_close(&r->pass) || cp_pcap_close(&r->drop) || cp_pcap_close(&r->inject))
		status = 1;
	cp_events_free(r->ev, r->n_ev);
	cp_capture_close(&r->cap);
	if (r->ctl.dp != NULL)
		cp_ctl_fini(&r->ctl);
	for (unsigned w = 0; r->dp.workers != NULL && w < r->dp.n_workers; w++)
		cp_worker_fini(&r->dp.workers[w]);
	free(r);
	return status;
}
