/* Live mode: probe the ports of the deployment config (PCI addresses or vdev specs), give every
 * worker one RX and one TX queue on each port with a symmetric RSS key, start the workers, and
 * keep the main lcore for control: link watch and uplink failover, shutdown on a signal. */
#include "live.h"

#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "config.h"
#include "control.h"
#include "counters_out.h"
#include "ctl_server.h"
#include "telemetry.h"

#define RX_DESC	 1024
#define TX_DESC	 1024
#define WATCH_US 10000 /* link watch period: failover well within 100 ms */

/* Symmetric Toeplitz: a key of one repeated 16-bit pattern hashes (a,b) and (b,a) alike. */
static uint8_t sym_key[40];

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int probe_port(const char *device, uint16_t *port_id)
{
	char name[256];
	size_t n = strcspn(device, ",");
	snprintf(name, sizeof(name), "%.*s", (int)n, device);
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0; /* already probed (EAL -a / --vdev) */
	if (rte_dev_probe(device) != 0)
		return -1;
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int setup_port(struct cp_dp *dp, struct cp_port *p, unsigned nq)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = {0};

	if (rte_eth_dev_info_get(p->port_id, &info) != 0)
		return -1;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		fprintf(stderr,
			"chokepoint: port %s (%s) has %u rx / %u tx queues, %u workers need "
			"%u\n",
			p->name, p->device, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -1;
	}
	uint64_t rss =
	    info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	if (nq > 1) {
		if (rss == 0) {
			fprintf(stderr, "chokepoint: port %s (%s) has no RSS: use one worker\n",
				p->name, p->device);
			return -1;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = sym_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_key);
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
	}
	int socket = rte_eth_dev_socket_id(p->port_id);
	if (rte_eth_dev_configure(p->port_id, (uint16_t)nq, (uint16_t)nq, &conf) != 0)
		return -1;
	for (unsigned q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(p->port_id, (uint16_t)q, RX_DESC, (unsigned)socket, NULL,
					   dp->pool) != 0 ||
		    rte_eth_tx_queue_setup(p->port_id, (uint16_t)q, TX_DESC, (unsigned)socket,
					   NULL) != 0)
			return -1;
	if (rte_eth_dev_start(p->port_id) != 0)
		return -1;
	rte_eth_promiscuous_enable(p->port_id); /* transparent: every frame is ours to judge */
	struct rte_eth_link link;
	rte_eth_link_get_nowait(p->port_id, &link);
	printf("chokepoint: port %s (%s, %s): %u queue%s, rss %s, link %s\n", p->name, p->device,
	       p->role == CP_ROLE_INSIDE ? "inside" : "uplink", nq, nq == 1 ? "" : "s",
	       nq > 1 ? "symmetric" : "off", link.link_status ? "up" : "down");
	return 0;
}

static int setup(struct cp_dp *dp, const struct cp_config *c)
{
	unsigned nw = c->workers, np = c->n_ports;
	unsigned mbufs = np * nw * (RX_DESC + TX_DESC + 2 * CP_BURST) + 4096;

	for (unsigned i = 0; i < sizeof(sym_key); i += 2) {
		sym_key[i] = 0x6d;
		sym_key[i + 1] = 0x5a;
	}
	if (rte_lcore_count() < nw + 1) {
		fprintf(stderr, "chokepoint: %u workers need %u lcores (EAL -l), have %u\n", nw,
			nw + 1, rte_lcore_count());
		return -1;
	}
	cp_dp_clock_init(dp, rte_get_tsc_hz());
	dp->n_workers = nw;
	dp->pool = rte_pktmbuf_pool_create("cp_pool", mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (dp->pool == NULL) {
		fprintf(stderr,
			"chokepoint: cannot allocate %u mbufs: out of hugepage memory? (%s)\n",
			mbufs, rte_strerror(rte_errno));
		return -1;
	}
	/* The inside port first, then the uplinks in order of preference. */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < np; i++) {
			if (c->ports[i].role != (pass == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK))
				continue;
			struct cp_port *p = &dp->ports[dp->n_ports];
			snprintf(p->name, sizeof(p->name), "%s", c->ports[i].name);
			snprintf(p->device, sizeof(p->device), "%s", c->ports[i].device);
			p->role = c->ports[i].role;
			p->index = (uint8_t)dp->n_ports;
			if (probe_port(p->device, &p->port_id) != 0) {
				fprintf(stderr, "chokepoint: port %s: cannot probe device %s\n",
					p->name, p->device);
				return -1;
			}
			if (setup_port(dp, p, nw) != 0) {
				fprintf(stderr, "chokepoint: port %s (%s): cannot be set up\n",
					p->name, p->device);
				return -1;
			}
			dp->rx_port_id[dp->n_ports] = p->port_id;
			dp->n_ports++;
		}
	dp->n_rx = dp->n_ports;
	dp->qsv = rte_zmalloc("cp_qsv", rte_rcu_qsbr_get_memsize(nw), RTE_CACHE_LINE_SIZE);
	dp->workers = rte_zmalloc("cp_workers", nw * sizeof(struct cp_worker), RTE_CACHE_LINE_SIZE);
	if (dp->qsv == NULL || dp->workers == NULL || rte_rcu_qsbr_init(dp->qsv, nw) != 0)
		return -1;
	for (unsigned w = 0; w < nw; w++) {
		if (cp_worker_init(&dp->workers[w], dp, w, c->flows / nw) != 0)
			return -1;
	}
	return 0;
}

/* A port backed by a kernel interface (af_packet, af_xdp): is the interface running? The PMDs
 * of DPDK 22.11 report such links up from start to stop, whatever the kernel says. */
static bool kernel_link_up(uint16_t port_id)
{
	static int fd = -1; /* one socket for the ioctls, kept */
	struct rte_eth_dev_info info;
	struct ifreq ifr;
	char name[IF_NAMESIZE];
	if (rte_eth_dev_info_get(port_id, &info) != 0 || info.if_index == 0 ||
	    if_indextoname(info.if_index, name) == NULL)
		return true;
	if (fd < 0 && (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return true;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 || (ifr.ifr_flags & IFF_RUNNING) != 0;
}

/* The first uplink whose link is up, or the forced one. */
static uint8_t pick_uplink(const struct cp_dp *dp, const struct cp_ctl *ctl)
{
	if (ctl->forced_uplink >= 0)
		return (uint8_t)ctl->forced_uplink;
	for (unsigned p = 0; p < dp->n_ports; p++) {
		struct rte_eth_link link;
		if (dp->ports[p].role != CP_ROLE_UPLINK)
			continue;
		if (rte_eth_link_get_nowait(dp->ports[p].port_id, &link) == 0 && link.link_status &&
		    kernel_link_up(dp->ports[p].port_id))
			return (uint8_t)p;
	}
	return CP_NO_PORT;
}

/* The main lcore: control requests, link watch, telemetry snapshot; never on the packet path. */
static void control_loop(struct cp_dp *dp, struct cp_ctl *ctl, struct cp_ctl_server *srv)
{
	char err[256];
	cp_telemetry_register(dp);
	while (!stop) {
		uint64_t now = cp_clock_ns(dp);
		cp_telemetry_refresh(ctl, now);
		cp_ctl_server_poll(srv, ctl, WATCH_US / 1000, now);
		uint8_t up = pick_uplink(dp, ctl);
		if (up != ctl->uplink) {
			printf("chokepoint: active uplink now %s\n",
			       up == CP_NO_PORT ? "none" : dp->ports[up].name);
			if (cp_ctl_uplink(ctl, up, err, sizeof(err)) != 0)
				fprintf(stderr, "chokepoint: uplink change failed: %s\n", err);
			fflush(stdout);
		}
	}
}

int cp_live_run(const char *config, const char *policy)
{
	static struct cp_dp dp;
	static struct cp_ctl ctl;
	struct cp_config c;
	struct cp_diag d;
	char err[512];
	int status = 1;

	cp_diag_init(&d);
	int rc = cp_config_load(config, &c, &d);
	struct cp_policy_src *pol = rc == 0 && policy != NULL ? cp_policy_load(policy, &d) : NULL;
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	if (rc != 0 || (policy != NULL && pol == NULL))
		return 1;
	static struct cp_ctl_server srv;
	if (cp_ctl_server_open(&srv, c.control_socket, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokepoint: control socket %s: %s\n", c.control_socket, err);
		cp_policy_free(pol);
		return 1;
	}
	if (setup(&dp, &c) != 0 || cp_ctl_init(&ctl, &dp, err, sizeof(err)) != 0) {
		cp_policy_free(pol);
		cp_ctl_server_close(&srv);
		return 1;
	}
	if (pol != NULL && cp_ctl_set_policy(&ctl, pol, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokepoint: %s: %s\n", policy, err);
		cp_policy_free(pol);
		return 1;
	}
	if (pol == NULL)
		printf(
		    "chokepoint: no policy: everything that would cross is dropped (no-policy)\n");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	unsigned w = 0, lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (w < dp.n_workers)
			rte_eal_remote_launch(cp_worker_main, &dp.workers[w++], lcore);
	}
	printf("chokepoint: running with %u worker%s\n", dp.n_workers,
	       dp.n_workers == 1 ? "" : "s");
	fflush(stdout);
	control_loop(&dp, &ctl, &srv);
	cp_ctl_server_close(&srv);
	dp.quit = true;
	rte_eal_mp_wait_lcore();
	cp_counters_json(stdout, &dp, &ctl, cp_clock_ns(&dp));
	status = 0;
	cp_ctl_fini(&ctl);
	for (unsigned i = 0; i < dp.n_workers; i++)
		cp_worker_fini(&dp.workers[i]);
	for (unsigned p = 0; p < dp.n_ports; p++) {
		rte_eth_dev_stop(dp.ports[p].port_id);
		rte_eth_dev_close(dp.ports[p].port_id);
	}
	return status;
}
