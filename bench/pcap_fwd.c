/* cp-pcapfwd: the ceiling of replay. A bare DPDK forwarder over one net_pcap port that reads the
 * capture (rx_pcap=) and writes every frame to a pcap (tx_pcap=): rx_burst then tx_burst until
 * the file ends, nothing else (no parsing, no classification, no copies of its own). Given no EAL
 * arguments it runs with those chokepoint --replay --workers 1 gives itself (cp_replay_eal_args:
 * no hugepages, 1 GiB, nothing on disk), so that the two differ only in what they do with the
 * packets. Its pool is DPDK's skeleton example's: 8191 mbufs.
 *
 *   cp-pcapfwd [EAL args --] IN.pcap OUT.pcap
 *
 * Prints one JSON line: packets and bytes forwarded, seconds of the rx/tx loop and of the whole
 * process from EAL init on. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "replay.h"

#define BURST 32
#define MBUFS 8191 /* as DPDK's skeleton example (basicfwd) */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int open_port(const char *in, const char *out, uint16_t *port)
{
	char args[2 * 4096 + 32];
	struct rte_eth_conf conf = {0};
	struct rte_mempool *pool = rte_pktmbuf_pool_create(
	    "fwd_pool", MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	snprintf(args, sizeof(args), "rx_pcap=%s,tx_pcap=%s", in, out);
	if (pool == NULL || rte_vdev_init("net_pcap_fwd", args) != 0 ||
	    rte_eth_dev_get_port_by_name("net_pcap_fwd", port) != 0 ||
	    rte_eth_dev_configure(*port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(*port, 0, 512, SOCKET_ID_ANY, NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(*port, 0, 512, SOCKET_ID_ANY, NULL) != 0)
		return -1;
	return rte_eth_dev_start(*port);
}

/* Forward until rx gives nothing: net_pcap's rx returns 0 only at the end of the file, since tx
 * frees every mbuf it is given before returning (the pool never runs dry). */
static void forward(uint16_t port, uint64_t *pkts, uint64_t *bytes)
{
	struct rte_mbuf *m[BURST];
	uint16_t nb;
	while ((nb = rte_eth_rx_burst(port, 0, m, BURST)) > 0) {
		for (uint16_t i = 0; i < nb; i++)
			*bytes += rte_pktmbuf_pkt_len(m[i]);
		uint16_t sent = rte_eth_tx_burst(port, 0, m, nb);
		if (sent < nb)
			rte_pktmbuf_free_bulk(m + sent, nb - sent);
		*pkts += sent;
	}
}

int main(int argc, char **argv)
{
	double t0 = now_s();
	char *own[16], lcores[64];
	int sep = -1;
	for (int i = 1; i < argc && sep < 0; i++)
		if (strcmp(argv[i], "--") == 0)
			sep = i;
	int eal_argc = sep >= 0 ? sep : cp_replay_eal_args(1, own, lcores, sizeof(lcores));
	char **app = sep >= 0 ? argv + sep + 1 : argv + 1;
	int app_argc = sep >= 0 ? argc - sep - 1 : argc - 1;
	if (app_argc != 2) {
		fprintf(stderr, "usage: cp-pcapfwd [EAL args --] IN.pcap OUT.pcap\n");
		return 2;
	}
	if (rte_eal_init(eal_argc, sep >= 0 ? argv : own) < 0) {
		fprintf(stderr, "cp-pcapfwd: EAL init failed\n");
		return 1;
	}
	uint16_t port;
	if (open_port(app[0], app[1], &port) != 0) {
		fprintf(stderr, "cp-pcapfwd: %s -> %s: cannot open a net_pcap port\n", app[0],
			app[1]);
		rte_eal_cleanup();
		return 1;
	}
	uint64_t pkts = 0, bytes = 0;
	double l0 = now_s();
	forward(port, &pkts, &bytes);
	double loop = now_s() - l0;
	/* Stopping the port closes the dumper: the file is complete when this returns. */
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	printf("{\"system\": \"pcap-forward\", \"packets\": %lu, \"bytes\": %lu, "
	       "\"loop_seconds\": %.3f, \"seconds\": %.3f}\n",
	       (unsigned long)pkts, (unsigned long)bytes, loop, now_s() - t0);
	return 0;
}
