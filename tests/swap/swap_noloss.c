/* Policy swap under traffic: the live worker loop forwards flows between two net_ring ports while
 * the main lcore installs new policies in a tight loop. Proves that no packet is lost and none is
 * classified by a half-built policy: every packet comes out, and every one was passed by a rule
 * of a complete policy (never dropped as default-deny or no-policy). Prints the swap times.
 *
 *   test-swap-noloss [EAL args] -- [--packets N] [--workers N]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "view_build.h"
#include "dp.h"

#define RING  4096
#define FLOWS 512

static struct cp_dp dp;
static struct cp_ctl ctl;
static struct rte_ring *rx[2][CP_MAX_WORKERS], *tx[2][CP_MAX_WORKERS];

static const char *policy_text(unsigned i)
{
	/* Consecutive generations differ in rule names and in tables. Both directions pass,
	 * whichever packet of a flow a worker sees first (the two ports' rings are polled in turn).
	 */
	static char buf[1024];
	snprintf(buf, sizeof(buf),
		 "version = 1;\n"
		 "inside = [ \"192.0.2.0/24\" ];\n"
		 "sets = { peers = [ \"198.51.100.0/24\", \"203.0.113.%u/32\" ]; };\n"
		 "rules = (\n"
		 "  { name = \"gen-%c-out\"; action = \"pass\"; from = \"inside\"; to = \"@peers\";"
		 " proto = \"udp\"; },\n"
		 "  { name = \"gen-%c-in\"; action = \"pass\"; from = \"@peers\"; to = \"inside\";"
		 " proto = \"udp\"; },\n"
		 "  { name = \"deny\"; action = \"drop\"; }\n"
		 ");\n",
		 i % 250, i % 2 ? 'a' : 'b', i % 2 ? 'a' : 'b');
	return buf;
}

static int install(unsigned i)
{
	char path[] = "/tmp/cp-swap-XXXXXX", err[256];
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	const char *t = policy_text(i);
	if (write(fd, t, strlen(t)) != (ssize_t)strlen(t)) {
		close(fd);
		return -1;
	}
	close(fd);
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *src = cp_policy_load(path, &d);
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	unlink(path);
	if (src == NULL)
		return -1;
	if (cp_ctl_set_policy(&ctl, src, err, sizeof(err)) != 0) {
		fprintf(stderr, "swap: %s\n", err);
		cp_policy_free(src);
		return -1;
	}
	return 0;
}

static int make_ports(unsigned nw)
{
	struct rte_eth_conf conf = {0};
	for (unsigned p = 0; p < 2; p++) {
		char name[32];
		for (unsigned w = 0; w < nw; w++) {
			snprintf(name, sizeof(name), "rx%u_%u", p, w);
			rx[p][w] = rte_ring_create(name, RING, SOCKET_ID_ANY,
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "tx%u_%u", p, w);
			tx[p][w] = rte_ring_create(name, RING, SOCKET_ID_ANY,
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (rx[p][w] == NULL || tx[p][w] == NULL)
				return -1;
		}
		snprintf(name, sizeof(name), "swap_port%u", p);
		int id = rte_eth_from_rings(name, rx[p], nw, tx[p], nw, (unsigned)SOCKET_ID_ANY);
		if (id < 0 ||
		    rte_eth_dev_configure((uint16_t)id, (uint16_t)nw, (uint16_t)nw, &conf))
			return -1;
		for (unsigned w = 0; w < nw; w++)
			if (rte_eth_rx_queue_setup((uint16_t)id, (uint16_t)w, RING, SOCKET_ID_ANY,
						   NULL, dp.pool) ||
			    rte_eth_tx_queue_setup((uint16_t)id, (uint16_t)w, RING, SOCKET_ID_ANY,
						   NULL))
				return -1;
		if (rte_eth_dev_start((uint16_t)id) != 0)
			return -1;
		dp.ports[p].port_id = (uint16_t)id;
		dp.ports[p].role = p == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK;
		dp.ports[p].index = (uint8_t)p;
		snprintf(dp.ports[p].name, sizeof(dp.ports[p].name), "%s", p ? "uplink" : "inside");
		dp.rx_port_id[p] = (uint16_t)id;
	}
	dp.n_ports = dp.n_rx = 2;
	return 0;
}

/* A UDP packet of flow f, outbound (inside to outside) or back. */
static struct rte_mbuf *packet(unsigned f, int outbound)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	if (m == NULL)
		return NULL;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, 60);
	uint8_t in[4] = {192, 0, 2, (uint8_t)(1 + f % 200)}, out[4] = {198, 51, 100, (uint8_t)f};
	memset(b, 0, 60);
	b[12] = 0x08;
	uint8_t *ip = b + 14, *udp = ip + 20;
	ip[0] = 0x45;
	ip[3] = 46;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, outbound ? in : out, 4);
	memcpy(ip + 16, outbound ? out : in, 4);
	uint16_t ip_port = (uint16_t)(10000 + f), out_port = 53;
	udp[0] = (uint8_t)((outbound ? ip_port : out_port) >> 8);
	udp[1] = (uint8_t)(outbound ? ip_port : out_port);
	udp[2] = (uint8_t)((outbound ? out_port : ip_port) >> 8);
	udp[3] = (uint8_t)(outbound ? out_port : ip_port);
	udp[5] = 26;
	return m;
}

static uint64_t drain(unsigned nw)
{
	uint64_t n = 0;
	struct rte_mbuf *m[64];
	for (unsigned p = 0; p < 2; p++)
		for (unsigned w = 0; w < nw; w++) {
			unsigned k = rte_ring_dequeue_burst(tx[p][w], (void **)m, 64, NULL);
			rte_pktmbuf_free_bulk(m, k);
			n += k;
		}
	return n;
}

int main(int argc, char **argv)
{
	int eal = rte_eal_init(argc, argv);
	if (eal < 0)
		return 1;
	argc -= eal;
	argv += eal;
	unsigned long packets = 2000000;
	unsigned nw = 2;
	int c;
	static const struct option lo[] = {{"packets", required_argument, NULL, 'p'},
					   {"workers", required_argument, NULL, 'w'},
					   {NULL, 0, NULL, 0}};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (c == 'p')
			packets = strtoul(optarg, NULL, 10);
		else if (c == 'w')
			nw = (unsigned)strtoul(optarg, NULL, 10);
	if (nw < 1 || nw > 8 || rte_lcore_count() < nw + 1) {
		fprintf(stderr, "swap: need 1..8 workers and one lcore more than workers\n");
		return 2;
	}
	cp_dp_clock_init(&dp, rte_get_tsc_hz());
	dp.n_workers = nw;
	dp.pool = rte_pktmbuf_pool_create("swap_pool", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	dp.qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(nw), 64);
	dp.workers = rte_zmalloc(NULL, nw * sizeof(struct cp_worker), 64);
	if (dp.pool == NULL || dp.qsv == NULL || dp.workers == NULL ||
	    rte_rcu_qsbr_init(dp.qsv, nw) != 0 || make_ports(nw) != 0) {
		fprintf(stderr, "swap: setup failed\n");
		return 1;
	}
	char err[256];
	for (unsigned w = 0; w < nw; w++) {
		if (cp_worker_init(&dp.workers[w], &dp, w, 4096) != 0)
			return 1;
	}
	if (cp_ctl_init(&ctl, &dp, err, sizeof(err)) != 0 || install(0) != 0)
		return 1;
	unsigned w = 0, lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (w < nw)
			rte_eal_remote_launch(cp_worker_main, &dp.workers[w++], lcore);
	}

	uint64_t sent = 0, received = 0, swaps = 0, swap_max = 0, swap_sum = 0;
	uint64_t hz = rte_get_tsc_hz();
	while (sent < packets) {
		/* A burst of both directions of a few flows, each to the worker its flow hashes to.
		 */
		for (unsigned i = 0; i < 64 && sent < packets; i++, sent++) {
			unsigned f = (unsigned)(sent / 2 % FLOWS),
				 q = rte_hash_crc_4byte(f, 7) % nw;
			int outbound = sent % 2 == 0;
			struct rte_mbuf *m = packet(f, outbound);
			while (m == NULL) {
				received += drain(nw);
				m = packet(f, outbound);
			}
			while (rte_ring_sp_enqueue(rx[outbound ? 0 : 1][q], m) != 0)
				received += drain(nw);
		}
		received += drain(nw);
		if (install((unsigned)swaps + 1) != 0)
			return 1;
		swaps++;
		swap_sum += ctl.last_swap_cycles;
		if (ctl.last_swap_cycles > swap_max)
			swap_max = ctl.last_swap_cycles;
	}
	for (uint64_t spins = 0; received < sent && spins < 200000000ull; spins++)
		received += drain(nw);
	dp.quit = true;
	rte_eal_mp_wait_lcore();
	received += drain(nw);

	struct cp_wcounters s = {0};
	for (unsigned i = 0; i < nw; i++)
		cp_wcounters_add(&s, &dp.workers[i].c);
	uint64_t by_rule = 0;
	for (unsigned i = 0; i < ctl.totals[0].n; i++)
		if (strncmp(ctl.totals[0].e[i].name, "gen-", 4) == 0)
			by_rule += ctl.totals[0].e[i].v[0];
	for (unsigned r = 0; r < ctl.pol->n_rules; r++)
		for (unsigned i = 0; i < nw; i++)
			if (strncmp(ctl.pol->src->rules[r].name, "gen-", 4) == 0)
				by_rule += cp_rt_rule_ctr(ctl.pol, i)[r * 2];
	printf(
	    "swap: %lu packets sent, %lu forwarded, %lu dropped; %lu passed by a gen-* rule; %lu "
	    "policy swaps, publish-to-all-workers mean %.1f us, max %.1f us\n",
	    (unsigned long)sent, (unsigned long)received, (unsigned long)s.verdict_pkts[CP_V_DROP],
	    (unsigned long)by_rule, (unsigned long)swaps,
	    swaps ? (double)swap_sum / (double)swaps * 1e6 / (double)hz : 0.0,
	    (double)swap_max * 1e6 / (double)hz);
	int ok = received == sent && s.verdict_pkts[CP_V_PASS] == sent &&
		 s.verdict_pkts[CP_V_DROP] == 0 && by_rule == sent && swaps > 10 &&
		 s.flows_reevaluated > 0;
	printf("swap-noloss: %d passed, %d failed\n", ok, !ok);
	return ok ? 0 : 1;
}
