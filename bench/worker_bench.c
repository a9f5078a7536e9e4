/* cp-bench: the worker's per-packet cost, measured on one core with nothing else in the way. A
 * capture is loaded once into mbufs; they are fed to cp_worker_burst (the live worker code) in
 * bursts, again and again, and forwarded to net_null ports. Every mbuf holds an extra reference,
 * so transmitting or dropping it only takes that reference back and the packets are reused.
 *
 * With --fresh, the flow table is emptied (untimed) between two passes over the capture, so that
 * every pass sees its flows new: the cost of first packets, classification and payload
 * inspection, rather than of established flows.
 *
 *   cp-bench [EAL args] -- --pcap F --policy P [--seconds S] [--fresh]
 */
#include <getopt.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "control.h"
#include "dp.h"

#define MAX_PKTS (1u << 18)

static int null_port(const char *name, uint16_t *id, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = {0};
	if (rte_vdev_init(name, NULL) != 0 || rte_eth_dev_get_port_by_name(name, id) != 0 ||
	    rte_eth_dev_configure(*id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(*id, 0, 512, SOCKET_ID_ANY, NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(*id, 0, 512, SOCKET_ID_ANY, NULL) != 0)
		return -1;
	return rte_eth_dev_start(*id);
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

int main(int argc, char **argv)
{
	int eal = rte_eal_init(argc, argv);
	if (eal < 0)
		return 1;
	argc -= eal;
	argv += eal;
	const char *pcap = NULL, *policy = NULL;
	double seconds = 3;
	bool fresh = false;
	static const struct option lo[] = {{"pcap", required_argument, NULL, 'c'},
					   {"policy", required_argument, NULL, 'p'},
					   {"seconds", required_argument, NULL, 's'},
					   {"fresh", no_argument, NULL, 'f'},
					   {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (c == 'c')
			pcap = optarg;
		else if (c == 'p')
			policy = optarg;
		else if (c == 's')
			seconds = atof(optarg);
		else if (c == 'f')
			fresh = true;
	if (pcap == NULL || policy == NULL) {
		fprintf(stderr, "usage: cp-bench [EAL args] -- --pcap F --policy P [--seconds S] "
				"[--fresh]\n");
		return 2;
	}
	static struct cp_dp dp;
	static struct cp_ctl ctl;
	char err[256];
	struct rte_mbuf **m = calloc(MAX_PKTS, sizeof(*m));
	cp_dp_clock_init(&dp, rte_get_tsc_hz());
	dp.n_workers = 1;
	dp.pool = rte_pktmbuf_pool_create("bench", MAX_PKTS + 8192, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	dp.qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	dp.workers = rte_zmalloc(NULL, sizeof(struct cp_worker), 64);
	if (m == NULL || dp.pool == NULL || dp.qsv == NULL || dp.workers == NULL ||
	    rte_rcu_qsbr_init(dp.qsv, 1) != 0) {
		fprintf(stderr, "cp-bench: out of memory (give EAL more with -m)\n");
		return 1;
	}
	static const char *const names[2] = {"net_null_in", "net_null_up"};
	for (unsigned p = 0; p < 2; p++) {
		if (null_port(names[p], &dp.ports[p].port_id, dp.pool) != 0) {
			fprintf(stderr, "cp-bench: cannot create %s\n", names[p]);
			return 1;
		}
		dp.ports[p].role = p == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK;
		dp.ports[p].index = (uint8_t)p;
		snprintf(dp.ports[p].name, sizeof(dp.ports[p].name), "%s", names[p]);
	}
	dp.n_ports = 2;
	unsigned n = load(pcap, dp.pool, m);
	if (n == 0) {
		fprintf(stderr, "cp-bench: %s: no packets\n", pcap);
		return 1;
	}
	/* --fresh empties the table after every pass: keep it small enough to sweep quickly. */
	struct cp_worker *wk = &dp.workers[0];
	if (cp_worker_init(wk, &dp, 0, fresh ? 2 * n + 1024 : 1u << 19) != 0)
		return 1;
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *src = cp_policy_load(policy, &d);
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	if (src == NULL || cp_ctl_init(&ctl, &dp, err, sizeof(err)) != 0 ||
	    cp_ctl_set_policy(&ctl, src, err, sizeof(err)) != 0) {
		fprintf(stderr, "cp-bench: %s: cannot install the policy %s\n", policy, err);
		return 1;
	}
	/* Split by direction once, as RSS and the port would. */
	uint8_t *port = calloc(n, 1);
	for (unsigned i = 0; i < n; i++) {
		struct cp_pkt pk;
		if (cp_parse(rte_pktmbuf_mtod(m[i], uint8_t *), m[i]->data_len, &pk) == CP_R_NONE)
			port[i] = cp_rt_leaf(ctl.pol, pk.l3, pk.src)->inside ? 0 : 1;
	}
	uint64_t budget = (uint64_t)(seconds * (double)dp.tsc_hz), pkts = 0, cyc = 0;
	while (cyc < budget) { /* time spent in the worker only */
		uint64_t t0 = rte_rdtsc();
		for (unsigned i = 0; i < n;) {
			unsigned j = i;
			while (j < n && j - i < CP_BURST && port[j] == port[i])
				rte_mbuf_refcnt_update(m[j++], 1);
			cp_worker_burst(wk, port[i], m + i, j - i);
			pkts += j - i;
			i = j;
		}
		cyc += rte_rdtsc() - t0;
		if (fresh) { /* every flow goes, as if idle for long (not timed) */
			wk->ft.sweep = 0;
			cp_flow_sweep(&wk->ft, UINT64_MAX / 2, 0, wk->ft.cap);
		}
	}
	printf("{\"packets\": %lu, \"cycles_per_packet\": %.1f, \"mpps\": %.3f}\n",
	       (unsigned long)pkts, (double)cyc / (double)pkts,
	       (double)pkts / ((double)cyc / (double)dp.tsc_hz) / 1e6);
	return 0;
}
