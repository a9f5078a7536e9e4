/* cp-bench: the worker's per-packet cost, measured on cores with nothing else in the way. A
 * capture is loaded into mbufs, one copy per worker; each worker feeds its copy to
 * cp_worker_burst (the live worker code) in bursts, again and again, and forwards to net_null
 * ports. Every mbuf holds an extra reference, so transmitting or dropping it only takes that
 * reference back and the packets are reused: the generator is not what is measured.
 *
 * --fresh empties the flow table (untimed) between two passes over the capture, so that every
 * pass sees its flows new: the cost of first packets, classification and payload inspection.
 * --port-bursts feeds the packets as a NIC's receive queues give them: one untimed pass in capture
 * order (flows start as the capture starts them), then bursts of up to 32 packets of one port,
 * port by port, each port's packets in capture order (without it a burst ends wherever the
 * capture changes direction: 3.5 packets on average in the l34 mix).
 * --io-forward runs the same harness but forwards each burst to the other port without parsing
 * or classifying: the ceiling. --workers N runs N workers on lcores 0..N-1 (worker 0 on the main
 * lcore), each with its own flow table and its own copy of the packets.
 *
 * One JSON line: system, cores, packets, bytes, seconds (of worker time, per worker), TSC cycles
 * per packet per worker, Mpps and Gbps (frame bytes) of all workers together, and in a build
 * with -Dstage_cycles=true the cycles per packet of each stage. Also the memory of one flow (a
 * table of 2^20 flows, divided) and of the installed policy (address tables, Hyperscan databases,
 * scratch and streams for the workers), both as DPDK heap plus C heap in use.
 *
 * --trace opens a chokectl trace of every decision for the run: the workers write a record per
 * packet, and each worker's ring is drained after every burst, untimed (the main lcore does that
 * on its own core in the dataplane). Without it the trace is closed, as in a dataplane nobody
 * traces.
 *
 * --grants G gives the grants listed in G (one prefix a line, live for the whole run) before the
 * run; the line then also says what they took (grant_bytes, the same heaps: the control-side
 * list and the view's layout over the inside) and how many address intervals the layout holds
 * (grant_intervals; 0 in the direct table of a small inside).
 *
 *   cp-bench [EAL args] -- --pcap F --policy P [--seconds S] [--fresh] [--io-forward]
 *            [--workers N] [--port-bursts] [--grants G] [--trace]
 */
#include <getopt.h>
#include <malloc.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring_elem.h>

#include "view_build.h"
#include "dp.h"

#define MAX_PKTS (1u << 18)

struct bench {
	struct cp_worker *wk;
	struct rte_mbuf **m;
	uint8_t *port;
	unsigned n;
	uint64_t budget; /* TSC cycles of work to do */
	bool fresh, io_forward, trace;
	uint64_t pkts, bytes, cycles, traced;
} __rte_cache_aligned;

static int null_port(const char *name, uint16_t *id, struct rte_mempool *pool, unsigned nq)
{
	struct rte_eth_conf conf = {0};
	if (rte_vdev_init(name, NULL) != 0 || rte_eth_dev_get_port_by_name(name, id) != 0 ||
	    rte_eth_dev_configure(*id, (uint16_t)nq, (uint16_t)nq, &conf) != 0)
		return -1;
	for (unsigned q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(*id, (uint16_t)q, 512, SOCKET_ID_ANY, NULL, pool) != 0 ||
		    rte_eth_tx_queue_setup(*id, (uint16_t)q, 512, SOCKET_ID_ANY, NULL) != 0)
			return -1;
	return rte_eth_dev_start(*id);
}

/* Frames in the capture (at most MAX_PKTS). */
static unsigned count(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	pcap_t *p = pcap_open_offline(path, eb);
	while (p != NULL && n < MAX_PKTS && pcap_next_ex(p, &h, &d) == 1)
		n++;
	if (p != NULL)
		pcap_close(p);
	return n;
}

static unsigned load(const char *path, struct rte_mempool *pool, struct rte_mbuf **m)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	pcap_t *p = pcap_open_offline(path, eb);
	if (p == NULL)
		return 0;
	while (n < MAX_PKTS && pcap_next_ex(p, &h, &d) == 1) {
		struct rte_mbuf *x = rte_pktmbuf_alloc(pool);
		uint32_t len = h->caplen < 2048 ? h->caplen : 2048;
		if (x == NULL)
			break;
		memcpy(rte_pktmbuf_append(x, (uint16_t)len), d, len);
		m[n++] = x;
	}
	pcap_close(p);
	return n;
}

/* The ceiling: the same bursts, sent to the other port untouched. */
static void io_forward(struct cp_worker *wk, unsigned in_port, struct rte_mbuf **pkts, unsigned n)
{
	const struct cp_port *out = &wk->dp->ports[in_port ^ 1];
	uint16_t sent = rte_eth_tx_burst(out->port_id, (uint16_t)wk->id, pkts, (uint16_t)n);
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
}

/* --trace: what the main lcore would take off the ring; returns the cycles it took. */
static uint64_t trace_drain(struct bench *b)
{
	static __thread struct cp_trace_rec rec[CP_TRACE_RING];
	uint64_t t0 = rte_rdtsc();
	b->traced += rte_ring_sc_dequeue_burst_elem(b->wk->tr.ring, rec, sizeof(rec[0]),
						    CP_TRACE_RING, NULL);
	return rte_rdtsc() - t0;
}

static int bench_loop(void *arg)
{
	struct bench *b = arg;
	struct cp_worker *wk = b->wk;
	while (b->cycles < b->budget) {
		uint64_t untimed = 0;
		uint64_t t0 = rte_rdtsc();
		for (unsigned i = 0; i < b->n;) {
			unsigned j = i;
			while (j < b->n && j - i < CP_BURST && b->port[j] == b->port[i]) {
				rte_mbuf_refcnt_update(b->m[j], 1);
				b->bytes += rte_pktmbuf_pkt_len(b->m[j]);
				j++;
			}
			if (b->io_forward)
				io_forward(wk, b->port[i], b->m + i, j - i);
			else
				cp_worker_burst(wk, b->port[i], b->m + i, j - i);
			if (b->trace)
				untimed += trace_drain(b);
			b->pkts += j - i;
			i = j;
		}
		b->cycles += rte_rdtsc() - t0 - untimed;
		if (b->fresh) { /* every flow goes, as if idle for long (not timed) */
			wk->ft.sweep = 0;
			cp_flow_sweep(&wk->ft, UINT64_MAX / 2, 0, wk->ft.cap);
		}
	}
	return 0;
}

/* --port-bursts: one pass in capture order (untimed), then the packets reordered into bursts of
 * up to CP_BURST of one port, taking the ports in turn. */
static int port_bursts(struct bench *b)
{
	struct rte_mbuf **m = calloc(b->n, sizeof(*m));
	uint8_t *port = calloc(b->n, 1);
	unsigned next[2] = {0, 0}, k = 0;
	if (m == NULL || port == NULL)
		return -1;
	for (unsigned i = 0; i < b->n; i++) {
		rte_mbuf_refcnt_update(b->m[i], 1);
		if (b->io_forward)
			io_forward(b->wk, b->port[i], b->m + i, 1);
		else
			cp_worker_burst(b->wk, b->port[i], b->m + i, 1);
	}
	while (k < b->n)
		for (uint8_t p = 0; p < 2; p++)
			for (unsigned taken = 0; taken < CP_BURST && next[p] < b->n; next[p]++)
				if (b->port[next[p]] == p) {
					m[k] = b->m[next[p]];
					port[k++] = p;
					taken++;
				}
	memcpy(b->m, m, b->n * sizeof(*m));
	memcpy(b->port, port, b->n);
	free(m);
	free(port);
	return 0;
}

struct opts {
	const char *pcap, *policy, *grants;
	double seconds;
	bool fresh, io_forward, port_bursts, trace;
	unsigned workers;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"pcap", required_argument, NULL, 'c'},    {"policy", required_argument, NULL, 'p'},
	    {"seconds", required_argument, NULL, 's'}, {"fresh", no_argument, NULL, 'f'},
	    {"io-forward", no_argument, NULL, 'i'},    {"workers", required_argument, NULL, 'w'},
	    {"port-bursts", no_argument, NULL, 'b'},   {"grants", required_argument, NULL, 'g'},
	    {"trace", no_argument, NULL, 't'},	       {NULL, 0, NULL, 0}};
	int c;
	*o = (struct opts){.seconds = 3, .workers = 1};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		switch (c) {
		case 'c':
			o->pcap = optarg;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 's':
			o->seconds = atof(optarg);
			break;
		case 'f':
			o->fresh = true;
			break;
		case 'i':
			o->io_forward = true;
			break;
		case 'w':
			o->workers = (unsigned)atoi(optarg);
			break;
		case 'b':
			o->port_bursts = true;
			break;
		case 'g':
			o->grants = optarg;
			break;
		case 't':
			o->trace = true;
			break;
		default:
			return -1;
		}
	if (o->pcap == NULL || o->policy == NULL || o->workers < 1 ||
	    o->workers > rte_lcore_count() || o->workers > CP_MAX_WORKERS || o->seconds <= 0) {
		fprintf(stderr,
			"usage: cp-bench [EAL args: -l 0-(N-1)] -- --pcap F --policy P "
			"[--seconds S] [--fresh] [--io-forward] [--workers N] [--port-bursts] "
			"[--grants G] [--trace]\n");
		return -1;
	}
	return 0;
}

/* Bytes in use: DPDK's heaps plus the C heap (blocks from mmap included: glibc serves every
 * allocation above 128 KiB that way, a direct grant table or a long grant list among them). */
static uint64_t mem_in_use(void)
{
	struct rte_malloc_socket_stats st;
	struct mallinfo2 mi = mallinfo2();
	uint64_t n = mi.uordblks + mi.hblkhd;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			n += st.heap_allocsz_bytes;
	return n;
}

/* Memory of one flow: a flow table of 2^20 entries, divided. */
static double flow_bytes(void)
{
	struct cp_flow_table t;
	uint64_t m0 = mem_in_use();
	if (cp_flow_table_init(&t, "cp_bench_mem", 1u << 20, SOCKET_ID_ANY) != 0)
		return 0;
	double per = (double)(mem_in_use() - m0) / (double)(1u << 20);
	cp_flow_table_free(&t);
	return per;
}

static uint64_t policy_bytes; /* what installing the policy took (tables, databases, streams) */
static uint64_t grant_bytes;  /* what giving the grants took (list and layout) */

/* Give every prefix listed in path (one a line) for a day, then publish them at once, as a
 * control plane's grant list would arrive (one view, not one per grant). */
static int give_grants(struct cp_ctl *ctl, struct cp_dp *dp, const char *path, char *err,
		       size_t errlen)
{
	char line[128];
	unsigned n = 0;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	uint64_t now = cp_clock_ns(dp);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct cp_prefix p;
		line[strcspn(line, " \t\r\n")] = '\0';
		n++;
		if (line[0] == '\0')
			continue;
		if (cp_prefix_parse(line, &p, err, errlen) != 0 ||
		    cp_grants_give(&ctl->grants, &p, now, 86400 * 1000000000ull, 0) != 0) {
			snprintf(err, errlen, "%s:%u: bad prefix or too many grants", path, n);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return cp_ctl_shutoff(ctl, ctl->shutoff, err, errlen); /* republish as it stands */
}

static void print_result(const struct opts *o, const struct cp_dp *dp, const struct bench *b)
{
	uint64_t pkts = 0, bytes = 0, cycles = 0;
	double mpps = 0, gbps = 0;
	for (unsigned w = 0; w < o->workers; w++) {
		double s = (double)b[w].cycles / (double)dp->tsc_hz;
		pkts += b[w].pkts;
		bytes += b[w].bytes;
		cycles += b[w].cycles;
		mpps += (double)b[w].pkts / s / 1e6;
		gbps += (double)b[w].bytes * 8 / s / 1e9;
	}
	printf("{\"system\": \"%s\", \"cores\": %u, \"packets\": %lu, \"bytes\": %lu, "
	       "\"seconds\": %.3f, \"cycles_per_packet\": %.1f, \"mpps\": %.3f, \"gbps\": %.3f",
	       o->io_forward ? "io-forward" : "chokepoint", o->workers, (unsigned long)pkts,
	       (unsigned long)bytes, (double)cycles / o->workers / (double)dp->tsc_hz,
	       (double)cycles / (double)pkts, mpps, gbps);
	printf(", \"flow_bytes\": %.0f, \"policy_bytes\": %lu", flow_bytes(),
	       (unsigned long)policy_bytes);
	if (o->trace) {
		uint64_t traced = 0, lost = 0;
		for (unsigned w = 0; w < o->workers; w++) {
			traced += b[w].traced;
			lost += dp->workers[w].tr.lost;
		}
		printf(", \"trace\": \"open\", \"traced\": %lu, \"trace_lost\": %lu",
		       (unsigned long)traced, (unsigned long)lost);
	}
	if (o->grants != NULL)
		printf(", \"grant_bytes\": %lu, \"grant_intervals\": %u",
		       (unsigned long)grant_bytes, dp->view->gr.n_iv4 + dp->view->gr.n_iv6);
#ifdef CP_STAGE_CYCLES
	static const char *const names[CP_ST_MAX] = {"parse", "flow", "classify", "payload", "tx"};
	fputs(", \"stages\": {", stdout);
	for (int s = 0; s < CP_ST_MAX; s++) {
		uint64_t c = 0;
		for (unsigned w = 0; w < o->workers; w++)
			c += dp->workers[w].stage[s];
		printf("%s\"%s\": %.1f", s ? ", " : "", names[s],
		       o->io_forward ? 0.0 : (double)c / (double)pkts);
	}
	fputs("}", stdout);
#endif
	puts("}");
}

int main(int argc, char **argv)
{
	int eal = rte_eal_init(argc, argv);
	if (eal < 0)
		return 1;
	struct opts o;
	if (parse_opts(argc - eal, argv + eal, &o) != 0)
		return 2;
	static struct cp_dp dp;
	static struct cp_ctl ctl;
	char err[256];
	unsigned nw = o.workers;
	cp_dp_clock_init(&dp, rte_get_tsc_hz());
	dp.n_workers = nw;
	/* Each worker's packets, and room for its injected frames and reassembly copies. */
	dp.pool = rte_pktmbuf_pool_create("bench", nw * (count(o.pcap) + 8192), 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	dp.qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(nw), 64);
	dp.workers = rte_zmalloc(NULL, nw * sizeof(struct cp_worker), 64);
	struct bench *b = rte_zmalloc(NULL, nw * sizeof(*b), 64);
	if (dp.pool == NULL || dp.qsv == NULL || dp.workers == NULL || b == NULL ||
	    rte_rcu_qsbr_init(dp.qsv, nw) != 0) {
		fprintf(stderr, "cp-bench: out of memory (give EAL more with -m)\n");
		return 1;
	}
	static const char *const names[2] = {"net_null_in", "net_null_up"};
	for (unsigned p = 0; p < 2; p++) {
		if (null_port(names[p], &dp.ports[p].port_id, dp.pool, nw) != 0) {
			fprintf(stderr, "cp-bench: cannot create %s\n", names[p]);
			return 1;
		}
		dp.ports[p].role = p == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK;
		dp.ports[p].index = (uint8_t)p;
		snprintf(dp.ports[p].name, sizeof(dp.ports[p].name), "%s", names[p]);
	}
	dp.n_ports = 2;
	for (unsigned w = 0; w < nw; w++) {
		b[w].m = calloc(MAX_PKTS, sizeof(*b[w].m));
		if (b[w].m == NULL || (b[w].n = load(o.pcap, dp.pool, b[w].m)) == 0) {
			fprintf(stderr, "cp-bench: %s: no packets\n", o.pcap);
			return 1;
		}
		/* --fresh empties the table after every pass: keep it small enough to sweep. */
		if (cp_worker_init(&dp.workers[w], &dp, w,
				   o.fresh ? 2 * b[w].n + 1024 : 1u << 19) != 0)
			return 1;
		b[w].wk = &dp.workers[w];
		b[w].fresh = o.fresh;
		b[w].io_forward = o.io_forward;
		b[w].budget = (uint64_t)(o.seconds * (double)dp.tsc_hz);
	}
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *src = cp_policy_load(o.policy, &d);
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	uint64_t m0 = mem_in_use();
	if (src == NULL || cp_ctl_init(&ctl, &dp, err, sizeof(err)) != 0 ||
	    cp_ctl_set_policy(&ctl, src, err, sizeof(err)) != 0) {
		fprintf(stderr, "cp-bench: %s: cannot install the policy %s\n", o.policy, err);
		return 1;
	}
	policy_bytes = mem_in_use() - m0;
	m0 = mem_in_use();
	if (o.grants != NULL && give_grants(&ctl, &dp, o.grants, err, sizeof(err)) != 0) {
		fprintf(stderr, "cp-bench: cannot give the grants: %s\n", err);
		return 1;
	}
	grant_bytes = mem_in_use() - m0;
	/* Split by direction once, as RSS and the port would. */
	for (unsigned w = 0; w < nw; w++) {
		b[w].port = calloc(b[w].n, 1);
		for (unsigned i = 0; i < b[w].n; i++) {
			struct cp_pkt pk;
			struct rte_mbuf *x = b[w].m[i];
			if (cp_parse(rte_pktmbuf_mtod(x, uint8_t *), x->data_len, &pk) == CP_R_NONE)
				b[w].port[i] = cp_rt_leaf(ctl.pol, pk.l3, pk.src)->inside ? 0 : 1;
		}
	}
	if (o.port_bursts)
		for (unsigned w = 0; w < nw; w++)
			if (port_bursts(&b[w]) != 0)
				return 1;
	if (o.trace) { /* every decision, as `chokectl trace` without a filter asks */
		for (unsigned w = 0; w < nw; w++)
			b[w].trace = true;
		dp.trace.verdicts = 0xff;
		dp.trace.reasons = ~0ull;
		dp.trace.rule = CP_TRACE_ANY_RULE;
		dp.trace.on = 1;
	}
	unsigned w = 1, lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (w < nw)
			rte_eal_remote_launch(bench_loop, &b[w++], lcore);
	}
	bench_loop(&b[0]);
	rte_eal_mp_wait_lcore();
	print_result(&o, &dp, b);
	return 0;
}
