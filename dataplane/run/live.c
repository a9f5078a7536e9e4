/* Live mode: probe the ports of the deployment config (PCI addresses or vdev specs), report what
 * each can do, size the packet buffer pool and descriptor rings from the config, give every
 * worker one RX and one TX queue on each port with a symmetric RSS key, load the XDP pre-filter in
 * front of net_af_xdp ports (xdp_filter.h) and refill its maps on every policy swap, start the
 * workers, and keep the main lcore for control: link watch and uplink failover, shutdown on a
 * signal. */
#include "live.h"

#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "config.h"
#include "view_build.h"
#include "counters_out.h"
#include "ctl_server.h"
#include "telemetry.h"

#include <rte_pdump.h>
#include "xdp_filter.h"

#define WATCH_US 10000 /* link watch period: failover well within 100 ms */
/* The af_xdp PMD of DPDK 22.11 hands each queue's fill ring this many mbufs of the pool at setup,
 * whatever the descriptor count (XSK_RING_CONS__DEFAULT_NUM_DESCS), and refills it as it goes. */
#define AF_XDP_FILL 2048

/* The XDP pre-filter of each net_af_xdp port that runs it (main lcore only). */
struct xdp_state {
	struct cp_xdp_port port[CP_MAX_PORTS];
	unsigned n;
};
static struct xdp_state xdp;

/* Symmetric Toeplitz: a key of one repeated 16-bit pattern hashes (a,b) and (b,a) alike. */
static uint8_t sym_key[40];

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool is_af_xdp(const char *device)
{
	return strncmp(device, "net_af_xdp", 10) == 0;
}

static int probe_port(const char *device, uint16_t *port_id, bool *existed)
{
	char name[256];
	size_t n = strcspn(device, ",");
	snprintf(name, sizeof(name), "%.*s", (int)n, device);
	*existed = rte_eth_dev_get_port_by_name(name, port_id) == 0;
	if (*existed)
		return 0; /* already probed (EAL -a / --vdev) */
	if (rte_dev_probe(device) != 0)
		return -1;
	return rte_eth_dev_get_port_by_name(name, port_id);
}

/* Undo probe_port for a vdev we probed ourselves (a port that failed to come up). */
static void unprobe_port(uint16_t port_id, const char *device)
{
	char name[256];
	size_t n = strcspn(device, ",");
	snprintf(name, sizeof(name), "%.*s", (int)n, device);
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	rte_vdev_uninit(name);
}

/* "name1 name2 ..." of the offload bits in capa (rx or tx), "none" when none. */
static void offload_names(uint64_t capa, bool rx, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned b = 0; b < 64; b++) {
		if (!(capa & (1ull << b)))
			continue;
		const char *nm = rx ? rte_eth_dev_rx_offload_name(1ull << b)
				    : rte_eth_dev_tx_offload_name(1ull << b);
		int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", nm);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	if (used == 0)
		snprintf(buf, len, "none");
}

/* What the port can do, once, before it is configured: driver, queues, descriptor limits, RSS
 * hash types, offloads. chokepoint enables no offload (frames pass unchanged, checksums and VLAN
 * tags included); the list says what the hardware would offer. */
static void report_caps(const struct cp_port *p, const struct rte_eth_dev_info *info)
{
	char rx[512], tx[512];
	offload_names(info->rx_offload_capa, true, rx, sizeof(rx));
	offload_names(info->tx_offload_capa, false, tx, sizeof(tx));
	printf("chokepoint: port %s (%s): driver %s, queues max %u rx / %u tx, descriptors rx "
	       "%u..%u tx %u..%u, rss hash types 0x%llx, offloads rx %s, tx %s (none enabled)\n",
	       p->name, p->device, info->driver_name, info->max_rx_queues, info->max_tx_queues,
	       info->rx_desc_lim.nb_min, info->rx_desc_lim.nb_max, info->tx_desc_lim.nb_min,
	       info->tx_desc_lim.nb_max, (unsigned long long)info->flow_type_rss_offloads, rx, tx);
}

static int setup_port(struct cp_dp *dp, struct cp_port *p, unsigned nq, const struct cp_config *c)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = {0};
	uint16_t nrx = c->rx_desc, ntx = c->tx_desc;

	if (rte_eth_dev_info_get(p->port_id, &info) != 0)
		return -1;
	report_caps(p, &info);
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
	if (rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrx, &ntx) != 0)
		return -1;
	if (nrx != c->rx_desc || ntx != c->tx_desc)
		printf("chokepoint: port %s: descriptors adjusted to the port's limits: rx %u, tx "
		       "%u\n",
		       p->name, nrx, ntx);
	for (unsigned q = 0; q < nq; q++) {
		int rc = rte_eth_rx_queue_setup(p->port_id, (uint16_t)q, nrx, (unsigned)socket,
						NULL, dp->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, (uint16_t)q, ntx, (unsigned)socket,
						    NULL);
		if (rc != 0) {
			fprintf(stderr, "chokepoint: port %s: queue %u setup failed: %s%s\n",
				p->name, q, rte_strerror(-rc),
				rc == -ENOMEM ? " (out of memory for descriptors or buffers)" : "");
			return -1;
		}
	}
	if (rte_eth_dev_start(p->port_id) != 0)
		return -1;
	rte_eth_promiscuous_enable(p->port_id); /* transparent: every frame is ours to judge */
	struct rte_eth_link link;
	rte_eth_link_get_nowait(p->port_id, &link);
	printf("chokepoint: port %s (%s, %s): %u queue%s, rx %u / tx %u descriptors, rss %s, "
	       "link %s %u Mb/s %s\n",
	       p->name, p->device, p->role == CP_ROLE_INSIDE ? "inside" : "uplink", nq,
	       nq == 1 ? "" : "s", nrx, ntx, nq > 1 ? "symmetric" : "off",
	       link.link_status ? "up" : "down", link.link_speed,
	       link.link_duplex ? "full-duplex" : "half-duplex");
	return 0;
}

/* After an af_xdp port started: find the pre-filter attached to its interface and register it,
 * or say why the port runs without it. */
static void xdp_open(const struct cp_port *p)
{
	struct rte_eth_dev_info info;
	char err[256];
	struct cp_xdp_port *x = &xdp.port[xdp.n];
	if (rte_eth_dev_info_get(p->port_id, &info) != 0 || info.if_index == 0)
		snprintf(err, sizeof(err), "no interface index");
	else if (cp_xdp_open_ifindex(x, p->name, (int)info.if_index, err, sizeof(err)) == 0) {
		if (cp_xdp_register(x) == 0) {
			xdp.n++;
			printf("chokepoint: port %s: XDP pre-filter attached (%s mode)\n", p->name,
			       x->mode);
			return;
		}
		cp_xdp_close(x);
		snprintf(err, sizeof(err), "too many ports");
	}
	printf("chokepoint: port %s: XDP pre-filter unavailable (%s); running without it\n",
	       p->name, err);
}

/* A dataplane killed before it could stop its ports leaves its XDP program on the interface,
 * and the PMD would then refuse to attach one: take it off first. */
static void detach_leftover(const struct cp_port *p)
{
	const char *at = strstr(p->device, "iface=");
	char ifname[IF_NAMESIZE] = "", what[32];
	if (at == NULL)
		return;
	at += 6;
	size_t n = strcspn(at, ",");
	if (n == 0 || n >= sizeof(ifname))
		return;
	memcpy(ifname, at, n);
	ifname[n] = '\0';
	if (cp_xdp_detach_leftover(ifname, what, sizeof(what)) == 1)
		printf(
		    "chokepoint: port %s: removed the XDP program %s a previous run left on %s\n",
		    p->name, what, ifname);
}

/* Probe and set up one port. A net_af_xdp port gets ",xdp_prog=OBJ" (the pre-filter) unless the
 * config turns the filter off, the device string names a program of its own, or the object is
 * missing; when the port does not come up with it, it is set up again without. A device the EAL
 * arguments already created (--vdev) is taken as it is. */
static int bring_up(struct cp_dp *dp, struct cp_port *p, const struct cp_config *c)
{
	static char dev[sizeof(p->device) + PATH_MAX + 16];
	bool want = is_af_xdp(p->device) && c->xdp_prefilter, existed = false;
	bool own_prog = strstr(p->device, "xdp_prog=") != NULL;
	const char *obj = want && !own_prog ? cp_xdp_object_path() : NULL;
	const char *why = NULL; /* why the pre-filter is unavailable, said once */

	if (want && !own_prog && obj == NULL)
		why = "no readable prefilter.bpf.o; see CHOKEPOINT_XDP_OBJ";
	if (is_af_xdp(p->device))
		detach_leftover(p);
	if (obj != NULL) {
		snprintf(dev, sizeof(dev), "%s,xdp_prog=%s", p->device, obj);
		if (probe_port(dev, &p->port_id, &existed) == 0) {
			if (setup_port(dp, p, c->workers, c) == 0) {
				xdp_open(p);
				return 0;
			}
			if (existed)
				return -1;
			unprobe_port(p->port_id, p->device);
		}
		why = "the af_xdp PMD could not load it";
	}
	if (why != NULL)
		printf("chokepoint: port %s: XDP pre-filter unavailable (%s); running without "
		       "it\n",
		       p->name, why);
	if (probe_port(p->device, &p->port_id, &existed) != 0) {
		fprintf(stderr, "chokepoint: port %s: cannot probe device %s\n", p->name,
			p->device);
		return -1;
	}
	if (setup_port(dp, p, c->workers, c) != 0)
		return -1;
	if (want && why == NULL)
		xdp_open(p); /* a program of the user's (or --vdev's): ours if its maps say so */
	return 0;
}

/* Refill every pre-filter's maps for the policy just published (the cp_ctl hook). */
static void xdp_on_policy(const struct cp_rt_policy *pol, void *arg)
{
	struct xdp_state *st = arg;
	struct cp_xdp_plan plan;
	char err[256];
	if (st->n == 0)
		return;
	if (cp_xdp_plan_build(pol->src, &pol->space, &plan) != 0) {
		cp_xdp_plan_off(&plan); /* out of memory: drop nothing in XDP */
		snprintf(err, sizeof(err), "out of memory");
	}
	for (unsigned i = 0; i < st->n; i++) {
		bool was_broken = st->port[i].broken;
		if (cp_xdp_apply(&st->port[i], &plan, err, sizeof(err)) != 0) {
			if (!was_broken)
				fprintf(stderr,
					"chokepoint: port %s: XDP pre-filter off for policy "
					"generation %u: %s\n",
					st->port[i].name, pol->gen, err);
		} else if (was_broken) {
			printf("chokepoint: port %s: XDP pre-filter on again\n", st->port[i].name);
		}
	}
	cp_xdp_plan_free(&plan);
	fflush(stdout);
}

/* Packet buffers for everything the ports and workers may hold at once: each queue's rx and tx
 * rings (plus the fill ring of af_xdp queues), each worker's bursts and held fragments, the
 * per-lcore caches, and some room for injected frames. */
#define POOL_CACHE 256
static unsigned pool_size(const struct cp_config *c)
{
	unsigned nw = c->workers, per_queue = 0, n;
	for (unsigned i = 0; i < c->n_ports; i++)
		per_queue +=
		    c->rx_desc + c->tx_desc + (is_af_xdp(c->ports[i].device) ? 2 * AF_XDP_FILL : 0);
	n = nw * per_queue;
	n += nw * (CP_WK_FRAG_HELD_MAX + 2 * c->n_ports * CP_BURST);
	n += (nw + 1) * POOL_CACHE * 3 / 2 + 1024;
	return n;
}

/* Free hugepage memory in MiB from sysfs (all sizes, all nodes), or -1 when unknown. */
static long free_hugepage_mib(void)
{
	static const unsigned sizes_kb[] = {2048, 1048576};
	long total = -1;
	for (unsigned i = 0; i < sizeof(sizes_kb) / sizeof(sizes_kb[0]); i++) {
		char path[128];
		long n;
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%ukB/free_hugepages", sizes_kb[i]);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%ld", &n) == 1)
			total = (total < 0 ? 0 : total) + n * (long)(sizes_kb[i] / 1024);
		fclose(f);
	}
	return total;
}

static void explain_pool_failure(unsigned mbufs)
{
	uint64_t elt = sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE;
	unsigned long need = (unsigned long)((mbufs * elt + (1u << 20) - 1) >> 20);
	fprintf(stderr,
		"chokepoint: cannot allocate %u packet buffers (about %lu MiB) for the ports and "
		"workers of the config: %s\n",
		mbufs, need, rte_strerror(rte_errno));
	if (!rte_eal_has_hugepages()) {
		fprintf(stderr, "chokepoint: running without hugepages: give EAL more memory "
				"(-m MiB before --), or lower workers, rx_desc, tx_desc\n");
		return;
	}
	long free_mib = free_hugepage_mib();
	if (free_mib >= 0)
		fprintf(stderr, "chokepoint: %ld MiB of hugepages were free at start\n", free_mib);
	fprintf(stderr,
		"chokepoint: reserve more hugepages (e.g. echo %lu > "
		"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages), raise EAL -m / "
		"--socket-mem, or lower workers, rx_desc, tx_desc in the config\n",
		(need + 64) / 2 + 1);
}

static int setup(struct cp_dp *dp, const struct cp_config *c)
{
	unsigned nw = c->workers, np = c->n_ports;
	unsigned mbufs = pool_size(c);

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
	dp->pool = rte_pktmbuf_pool_create("cp_pool", mbufs, POOL_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (dp->pool == NULL) {
		explain_pool_failure(mbufs);
		return -1;
	}
	printf("chokepoint: %u packet buffers (%u workers, %u ports, rx %u / tx %u descriptors "
	       "per queue)\n",
	       mbufs, nw, np, c->rx_desc, c->tx_desc);
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
			if (bring_up(dp, p, c) != 0) {
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
	if (dp->qsv == NULL || dp->workers == NULL || rte_rcu_qsbr_init(dp->qsv, nw) != 0) {
		fprintf(stderr, "chokepoint: out of memory for the worker state\n");
		return -1;
	}
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
	struct cp_policy_src *pol = rc == 0 && policy != NULL ? cp_policy_read(policy, &d) : NULL;
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
	/* dpdk-dumpcap (a secondary process) captures on the ports through rte_pdump's rx/tx
	 * callbacks, which cost nothing until a capture starts. Without multi-process (EAL
	 * --no-shconf, --in-memory) there is nothing to attach to: one line, and no capture. */
	bool pdump = rte_pdump_init() == 0;
	if (!pdump)
		printf("chokepoint: dpdk-dumpcap unavailable (%s)\n", rte_strerror(rte_errno));
	ctl.on_policy = xdp_on_policy; /* the pre-filter follows every policy swap */
	ctl.on_policy_arg = &xdp;
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
	if (pdump)
		rte_pdump_uninit();
	cp_xdp_unregister_all();
	for (unsigned i = 0; i < xdp.n; i++)
		cp_xdp_close(&xdp.port[i]);
	xdp.n = 0;
	for (unsigned p = 0; p < dp.n_ports; p++) {
		rte_eth_dev_stop(dp.ports[p].port_id);
		rte_eth_dev_close(dp.ports[p].port_id);
	}
	return status;
}
