/* Unit tests of the dataplane at its limits, through cp_worker_burst (the live worker code) with
 * net_null ports: a full flow table (new flows are decided without being remembered, counted in
 * flows_untracked, and payload a category could block fails closed) and an exhausted mbuf pool
 * (a reject still drops, its frames are counted in inject_failed, nothing leaks); a SYN flood
 * through a full table (early drop keeps the established flows); an inside of a country's size,
 * its grants through the worker, and a policy refused for want of DPDK memory (the running one
 * keeps deciding). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eal_test.h"
#include "hog_test.h"

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "view_build.h"
#include "dp.h"

#define DP_POOL_MBUFS 128 /* dp.pool: injected frames and fragments */

static struct cp_dp dp;
static struct cp_ctl ctl;
static struct rte_mempool *pkt_pool; /* the test's input packets */

static int null_port(const char *name, uint16_t *id)
{
	struct rte_eth_conf conf = {0};
	if (rte_vdev_init(name, NULL) != 0 || rte_eth_dev_get_port_by_name(name, id) != 0 ||
	    rte_eth_dev_configure(*id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(*id, 0, 64, SOCKET_ID_ANY, NULL, pkt_pool) != 0 ||
	    rte_eth_tx_queue_setup(*id, 0, 64, SOCKET_ID_ANY, NULL) != 0)
		return -1;
	return rte_eth_dev_start(*id);
}

static int setup(void **state)
{
	char err[256];
	(void)state;
	if (cp_test_eal_init("limits", "256") != 0)
		return -1;
	cp_dp_clock_init(&dp, rte_get_tsc_hz());
	dp.n_workers = 1;
	/* No per-lcore cache: every mbuf taken out of the pool is visible in its count. */
	dp.pool = rte_pktmbuf_pool_create("limits_dp", DP_POOL_MBUFS, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	pkt_pool = rte_pktmbuf_pool_create("limits_pkts", 2048, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   SOCKET_ID_ANY);
	dp.qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	dp.workers = rte_zmalloc(NULL, sizeof(struct cp_worker), 64);
	if (dp.pool == NULL || pkt_pool == NULL || dp.qsv == NULL || dp.workers == NULL ||
	    rte_rcu_qsbr_init(dp.qsv, 1) != 0)
		return -1;
	static const char *const names[2] = {"net_null_lim_in", "net_null_lim_up"};
	for (unsigned p = 0; p < 2; p++) {
		if (null_port(names[p], &dp.ports[p].port_id) != 0)
			return -1;
		dp.ports[p].role = p == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK;
		dp.ports[p].index = (uint8_t)p;
		snprintf(dp.ports[p].name, sizeof(dp.ports[p].name), "%s", p ? "uplink" : "inside");
	}
	dp.n_ports = 2;
	/* The smallest table cp_flow_table_init makes (64 asked; rte_hash may hold a few more). */
	if (cp_worker_init(&dp.workers[0], &dp, 0, 64) != 0)
		return -1;
	return cp_ctl_init(&ctl, &dp, err, sizeof(err));
}

static void install(const char *text)
{
	char err[256];
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *src = cp_policy_load_text("limits.conf", text, strlen(text), &d);
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	assert_non_null(src);
	if (cp_ctl_set_policy(&ctl, src, err, sizeof(err)) != 0)
		fail_msg("install: %s", err);
}

/* ---- packets ---- */

struct pkt {
	uint8_t src[4], dst[4];
	uint8_t proto; /* 6 or 17 */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	const char *payload; /* NULL: none */
	uint32_t seq;	     /* 0: 0x10000000 on a SYN, 0x10000001 otherwise */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t s = 0;
	for (unsigned i = 0; i < 20; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet/IPv4/TCP or UDP frame in an mbuf of pkt_pool. */
static struct rte_mbuf *frame(const struct pkt *k)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pkt_pool);
	assert_non_null(m);
	size_t plen = k->payload ? strlen(k->payload) : 0, l4 = k->proto == 6 ? 20 : 8;
	size_t len = 14 + 20 + l4 + plen;
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(f);
	memset(f, 0, len);
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	memcpy(f, macs, 12);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4 + plen));
	ip[8] = 64;
	ip[9] = k->proto;
	memcpy(ip + 12, k->src, 4);
	memcpy(ip + 16, k->dst, 4);
	put16(ip + 10, ip_csum(ip));
	uint8_t *t = ip + 20;
	put16(t, k->sport);
	put16(t + 2, k->dport);
	if (k->proto == 6) {
		t[4] = 0x10; /* seq: 0x10000000 on the SYN, the next byte after it */
		t[7] = (k->tcp_flags & 0x02) ? 0 : 1;
		if (k->seq != 0)
			put32(t + 4, k->seq);
		t[12] = 5 << 4;
		t[13] = k->tcp_flags;
		put16(t + 14, 65535);
	} else {
		put16(t + 4, (uint16_t)(8 + plen));
	}
	if (plen > 0)
		memcpy(t + l4, k->payload, plen);
	return m;
}

/* One packet through the worker, entering on port in_port. */
static void send1(unsigned in_port, const struct pkt *k)
{
	struct rte_mbuf *m = frame(k);
	cp_worker_burst(&dp.workers[0], in_port, &m, 1);
}

#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define TCP_PSH 0x08

static struct cp_wcounters *ctr(void)
{
	return &dp.workers[0].c;
}

static void reset(void)
{
	struct cp_worker *wk = &dp.workers[0];
	memset(&wk->c, 0, sizeof(wk->c));
}

/* ---- a full flow table ---- */

static const char table_policy[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/24\" ];\n"
    "categories = ( { name = \"kw\"; payload = [ \"forbidden-term\" ]; } );\n"
    "rules = (\n"
    "  { name = \"kw\"; action = \"drop\"; from = \"inside\"; category = \"kw\"; },\n"
    "  { name = \"web\"; action = \"pass\"; from = \"inside\"; proto = \"tcp\"; }\n"
    ");\n";

/* Flow i: 192.0.2.(1 + i % 200) port 10000 + i -> 198.51.100.1:80. */
static struct pkt flow_pkt(unsigned i, uint8_t flags, const char *payload)
{
	struct pkt k = {{192, 0, 2, (uint8_t)(1 + i % 200)},
			{198, 51, 100, 1},
			6,
			(uint16_t)(10000 + i),
			80,
			flags,
			payload,
			0};
	return k;
}

/* Packets pk[0..n) through the worker in bursts, all entering on port in_port. */
static void send_many(unsigned in_port, const struct pkt *pk, unsigned n)
{
	struct rte_mbuf *b[CP_BURST];
	for (unsigned i = 0; i < n;) {
		unsigned k = 0;
		for (; k < CP_BURST && i < n; k++, i++)
			b[k] = frame(&pk[i]);
		cp_worker_burst(&dp.workers[0], in_port, b, k);
	}
}

/* Flow i's three-way handshake: SYN out, SYN+ACK back, ACK out. */
static void handshake(unsigned i)
{
	struct pkt syn = flow_pkt(i, TCP_SYN, NULL), ack = flow_pkt(i, TCP_ACK, NULL);
	struct pkt synack = {{198, 51, 100, 1}, {192, 0, 2, syn.src[3]}, 6,    80,
			     syn.sport,		TCP_SYN | TCP_ACK,	 NULL, 0};
	send1(0, &syn);
	send1(1, &synack);
	send1(0, &ack);
}

/* More new flows than the table holds, none completing its handshake (a SYN flood): each one
 * takes the place of an older one that has not completed its handshake either (early drop), so
 * every packet is tracked and decided by the policy. */
static void test_flow_table_early_drop(void **state)
{
	(void)state;
	struct cp_worker *wk = &dp.workers[0];
	install(table_policy);
	cp_flow_sweep(&wk->ft, UINT64_MAX, 0, wk->ft.cap);
	reset();
	uint64_t early0 = wk->ft.early_drop;
	uint32_t cap = wk->ft.cap;
	unsigned n = cap + 200;
	static struct pkt pk[4096];
	assert_true(n <= RTE_DIM(pk));
	for (unsigned i = 0; i < n; i++)
		pk[i] = flow_pkt(i, TCP_SYN, NULL);
	send_many(0, pk, n);
	print_message("flood: %u flows into a table of %u: %lu held, %lu given up, %lu untracked\n",
		      n, cap, (unsigned long)wk->ft.active,
		      (unsigned long)(wk->ft.early_drop - early0),
		      (unsigned long)ctr()->flows_untracked);
	assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], n);
	assert_int_equal(ctr()->flows_untracked, 0);
	assert_int_equal(ctr()->flows_created, n);
	assert_int_equal(wk->ft.active, cap);
	assert_int_equal(wk->ft.early_drop - early0, n - cap);
	assert_int_equal(ctr()->port_tx_pkts[1], n);
}

/* A table full of established flows gives none of them up: new flows beyond it are decided by
 * the policy without an entry (untracked); the flows in the table keep their state. */
static void test_flow_table_full(void **state)
{
	(void)state;
	struct cp_worker *wk = &dp.workers[0];
	install(table_policy);
	cp_flow_sweep(&wk->ft, UINT64_MAX, 0, wk->ft.cap);
	reset();
	uint32_t cap = wk->ft.cap;
	unsigned n = cap + 200;
	for (unsigned i = 0; i < cap; i++)
		handshake(i);
	assert_int_equal(wk->ft.active, cap);
	static struct pkt pk[4096];
	for (unsigned i = cap; i < n; i++)
		pk[i - cap] = flow_pkt(i, TCP_SYN, NULL);
	send_many(0, pk, n - cap);
	print_message("flow table: %u flows asked, capacity %u, %lu held, %lu untracked\n", 64, cap,
		      (unsigned long)wk->ft.active, (unsigned long)ctr()->flows_untracked);
	assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], 3 * cap + 200);
	assert_int_equal(ctr()->verdict_pkts[CP_V_DROP], 0);
	assert_int_equal(wk->ft.active, cap);
	assert_int_equal(ctr()->flows_untracked, 200);
	assert_int_equal(ctr()->port_tx_pkts[1], 2 * cap + 200); /* all forwarded */
	assert_int_equal(ctr()->port_tx_pkts[0], cap);

	/* Untracked: a reply from outside to a flow that was never remembered is a new flow from
	 * outside, and default-deny drops it. */
	uint64_t untracked = ctr()->flows_untracked;
	struct pkt reply = {{198, 51, 100, 1}, {192, 0, 2, 9}, 6, 80, 60000, TCP_ACK, NULL, 0};
	send1(1, &reply);
	assert_int_equal(ctr()->verdict_pkts[CP_V_DROP], 1);
	assert_int_equal(ctr()->reason[CP_R_DEFAULT_DENY], 1);
	assert_int_equal(ctr()->flows_untracked, untracked + 1);

	/* Untracked payload that a category could block: nothing to inspect it with, so it fails
	 * closed (inspect-busy), whether it holds the term or not. */
	struct pkt bad = flow_pkt(n + 1, TCP_ACK | TCP_PSH, "GET / forbidden-term");
	struct pkt fine = flow_pkt(n + 2, TCP_ACK | TCP_PSH, "GET / harmless");
	send1(0, &bad);
	send1(0, &fine);
	assert_int_equal(ctr()->reason[CP_R_INSPECT_BUSY], 2);
	assert_int_equal(ctr()->verdict_pkts[CP_V_DROP], 3);
	assert_int_equal(ctr()->flows_untracked, untracked + 3);

	/* A flow the table holds is still followed: its payload is inspected and the category
	 * matches. Find one that is held (the first ones inserted are). */
	const struct cp_flow_key *kp;
	struct cp_flow_key key;
	struct cp_pkt parsed;
	bool from_a;
	int32_t pos = -1;
	unsigned held = 0;
	for (; held < n && pos < 0; held++) {
		struct pkt p = flow_pkt(held, TCP_SYN, NULL);
		struct rte_mbuf *m = frame(&p);
		assert_int_equal(cp_parse(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, &parsed),
				 CP_R_NONE);
		rte_pktmbuf_free(m);
		cp_flow_key_make(&parsed, &key, &from_a);
		kp = &key;
		cp_flow_lookup_bulk(&wk->ft, &kp, 1, &pos, NULL);
	}
	assert_true(pos >= 0);
	struct pkt held_bad = flow_pkt(held - 1, TCP_ACK | TCP_PSH, "GET / forbidden-term");
	send1(0, &held_bad);
	assert_int_equal(ctr()->flows_untracked, untracked + 3);
	assert_int_equal(ctr()->verdict_pkts[CP_V_DROP], 4);
	assert_int_equal(ctr()->reason[CP_R_INSPECT_BUSY], 2);
	assert_int_equal(rte_mempool_avail_count(pkt_pool), 2048); /* nothing held on to */
}

/* ---- an exhausted mbuf pool ---- */

static const char reject_policy[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/24\" ];\n"
    "rules = (\n"
    "  { name = \"telnet\"; action = \"reject\"; from = \"inside\"; proto = \"tcp\"; dport = 23; "
    "},\n"
    "  { name = \"tftp\"; action = \"reject\"; from = \"inside\"; proto = \"udp\"; dport = 69; },\n"
    "  { name = \"out\"; action = \"pass\"; from = \"inside\"; }\n"
    ");\n";

/* With no mbuf left for the RSTs and ICMP of a reject, the packet is still rejected (dropped, not
 * forwarded), the missing frames are counted, and passing traffic still flows. Once mbufs are back,
 * rejects send their frames again. */
static void test_pool_exhausted(void **state)
{
	(void)state;
	struct cp_worker *wk = &dp.workers[0];
	install(reject_policy);
	/* An empty table: earlier tests filled it. */
	cp_flow_sweep(&wk->ft, UINT64_MAX, 0, wk->ft.cap);
	reset();
	struct rte_mbuf *taken[DP_POOL_MBUFS];
	unsigned nt = 0;
	while (nt < DP_POOL_MBUFS && (taken[nt] = rte_pktmbuf_alloc(dp.pool)) != NULL)
		nt++;
	assert_int_equal(rte_mempool_avail_count(dp.pool), 0);

	struct pkt telnet = {{192, 0, 2, 7}, {198, 51, 100, 1}, 6, 40000, 23, TCP_SYN, NULL, 0};
	struct pkt tftp = {{192, 0, 2, 7}, {198, 51, 100, 1}, 17, 40001, 69, 0, "x", 0};
	struct pkt web = {{192, 0, 2, 7}, {198, 51, 100, 1}, 6, 40002, 443, TCP_SYN, NULL, 0};
	send1(0, &telnet);
	send1(0, &tftp);
	send1(0, &web);
	assert_int_equal(ctr()->verdict_pkts[CP_V_REJECT], 2);
	assert_int_equal(ctr()->inject_failed, 3); /* two RSTs and one ICMP */
	assert_int_equal(ctr()->injected, 0);
	assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], 1);
	assert_int_equal(ctr()->port_tx_pkts[1], 1); /* only the passed one left */
	assert_int_equal(ctr()->port_tx_pkts[0], 0);
	/* The rejected flow stays rejected. */
	telnet.tcp_flags = TCP_ACK;
	send1(0, &telnet);
	assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], 1);
	assert_int_equal(ctr()->verdict_pkts[CP_V_DROP] + ctr()->verdict_pkts[CP_V_REJECT], 3);

	/* Mbufs back: a new reject sends both RSTs (one to each side). */
	for (unsigned i = 0; i < nt; i++)
		rte_pktmbuf_free(taken[i]);
	struct pkt telnet2 = {{192, 0, 2, 8}, {198, 51, 100, 1}, 6, 40003, 23, TCP_SYN, NULL, 0};
	send1(0, &telnet2);
	assert_int_equal(ctr()->injected, 2);
	assert_int_equal(ctr()->inject_failed, 3);
	assert_int_equal(ctr()->port_tx_pkts[0], 1);
	assert_int_equal(ctr()->port_tx_pkts[1], 2);
	/* Every frame went out and was freed by net_null: no mbuf leaked on either path. */
	assert_int_equal(rte_mempool_avail_count(dp.pool), nt);
	assert_int_equal(rte_mempool_avail_count(pkt_pool), 2048);
}

/* ---- a SYN flood ---- */

static const char flood_policy[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/24\" ];\n"
    "categories = ( { name = \"kw\"; payload = [ \"forbidden-term\" ]; } );\n"
    "rules = (\n"
    "  { name = \"kw\"; action = \"reject\"; from = \"inside\"; category = \"kw\"; },\n"
    "  { name = \"web\"; action = \"pass\"; from = \"inside\"; proto = \"tcp\"; }\n"
    ");\n";

#define FLOOD_FLOWS  2000000u
#define FLOOD_TABLE  65536u
#define FLOOD_KEEP   100u
#define FLOOD_CHECKS 8u /* times the kept flows are checked during the flood */
#define HARMLESS     "GET / harmless"

/* Flood flow i: a SYN from 192.0.2.(1 + i % 250) port 20000 + i / 62500 to
 * 203.0.113.(1 + i / 250 % 250) port 443 (all distinct below 2,000,000). */
static struct pkt flood_pkt(unsigned i)
{
	struct pkt k = {{192, 0, 2, (uint8_t)(1 + i % 250)},
			{203, 0, 113, (uint8_t)(1 + i / 250 % 250)},
			6,
			(uint16_t)(20000 + i / 62500),
			443,
			TCP_SYN,
			NULL,
			0};
	return k;
}

/* Every kept flow sends one packet with payload (NULL: a bare ACK) at sequence number seq. */
static void send_kept(const char *payload, uint32_t seq)
{
	for (unsigned i = 0; i < FLOOD_KEEP; i++) {
		struct pkt k = flow_pkt(i, TCP_ACK | (payload ? TCP_PSH : 0), payload);
		k.seq = seq;
		send1(0, &k);
	}
}

/* 2M new flows that never complete a handshake through a 64k-flow table, while 100 established
 * flows are under inspection: the flood's flows give each other up (early drop), the established
 * ones keep their entries and verdicts all along, and a category match in them after the flood
 * still resets them (two RSTs each). */
static void test_syn_flood(void **state)
{
	(void)state;
	struct cp_worker *wk = &dp.workers[0];
	cp_worker_fini(wk);
	assert_int_equal(cp_worker_init(wk, &dp, 0, FLOOD_TABLE), 0);
	install(flood_policy);
	reset();
	for (unsigned i = 0; i < FLOOD_KEEP; i++)
		handshake(i);
	send_kept(HARMLESS, 0); /* inspected, no match: still under inspection */
	assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], 4 * FLOOD_KEEP);

	struct rte_mbuf *b[CP_BURST];
	uint64_t early0 = wk->ft.early_drop, cycles = 0;
	for (unsigned i = 0, next_check = FLOOD_FLOWS / FLOOD_CHECKS; i < FLOOD_FLOWS;) {
		unsigned k = 0;
		for (; k < CP_BURST && i < FLOOD_FLOWS; k++, i++) {
			struct pkt p = flood_pkt(i);
			b[k] = frame(&p);
		}
		uint64_t t0 = rte_rdtsc();
		cp_worker_burst(wk, 0, b, k);
		cycles += rte_rdtsc() - t0;
		if (i >= next_check) { /* the kept flows still pass */
			uint64_t pass = ctr()->verdict_pkts[CP_V_PASS];
			send_kept(NULL, 0);
			assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], pass + FLOOD_KEEP);
			next_check += FLOOD_FLOWS / FLOOD_CHECKS;
		}
	}
	double mpps = (double)FLOOD_FLOWS / ((double)cycles / (double)rte_get_tsc_hz()) / 1e6;
	print_message("flood: %u new flows through a %u-flow table: %lu given up, %lu untracked, "
		      "%.2f M new flows/s held (worker time only)\n",
		      FLOOD_FLOWS, wk->ft.cap, (unsigned long)(wk->ft.early_drop - early0),
		      (unsigned long)ctr()->flows_untracked, mpps);
	assert_int_equal(ctr()->flows_untracked, 0);
	assert_int_equal(wk->ft.active, wk->ft.cap);
	assert_true(wk->ft.early_drop - early0 >= FLOOD_FLOWS - wk->ft.cap);
	assert_int_equal(ctr()->flows_early_dropped, wk->ft.early_drop - early0);
	assert_int_equal(ctr()->flows_created, FLOOD_KEEP + FLOOD_FLOWS);

	/* The kept flows are all still in the table, and a category match resets each of them. */
	uint64_t rejects = ctr()->verdict_pkts[CP_V_REJECT], injected = ctr()->injected;
	send_kept("GET / forbidden-term", 0x10000001u + (uint32_t)strlen(HARMLESS));
	assert_int_equal(ctr()->verdict_pkts[CP_V_REJECT], rejects + FLOOD_KEEP);
	assert_int_equal(ctr()->injected, injected + 2 * FLOOD_KEEP);
	assert_int_equal(ctr()->flows_created, FLOOD_KEEP + FLOOD_FLOWS); /* no flow made anew */
	assert_int_equal(rte_mempool_avail_count(pkt_pool), 2048);
}

/* ---- a country-sized inside ---- */

/* 10.0.0.0/8, 200 /16s and 192.0.2.0/24; web passes with a grant. */
static char *country_policy(void)
{
	size_t len = 8192, off;
	char *t = malloc(len);
	assert_non_null(t);
	off = (size_t)snprintf(t, len, "version = 1;\ninside = [ \"192.0.2.0/24\", \"10.0.0.0/8\"");
	for (unsigned i = 0; i < 200; i++)
		off += (size_t)snprintf(t + off, len - off, ", \"%u.%u.0.0/16\"", 100 + i / 50,
					i % 50 * 5);
	snprintf(t + off, len - off,
		 " ];\nrules = ( { name = \"web\"; action = \"pass\"; from = \"inside\"; "
		 "proto = \"tcp\"; dport = 80; grant = true; } );\n");
	return t;
}

static void grant(const char *p, bool give)
{
	char err[256];
	struct cp_prefix x;
	assert_int_equal(cp_prefix_parse(p, &x, err, sizeof(err)), 0);
	uint64_t now = cp_clock_ns(&dp);
	int rc = give ? cp_ctl_grant(&ctl, &x, now, 3600 * 1000000000ull, 0, err, sizeof(err))
		      : cp_ctl_revoke(&ctl, &x, now, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s %s: %s", give ? "grant" : "revoke", p, err);
}

/* One SYN (or, with ack, a segment of the same flow) from a[4]:port to 198.51.100.1:80. */
static void web_from(uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3, uint16_t port, bool ack)
{
	struct pkt k = {
	    {a0, a1, a2, a3}, {198, 51, 100, 1}, 6, port, 80, ack ? TCP_ACK : TCP_SYN, NULL, 0};
	send1(0, &k);
}

/* The inside's grants are intervals: through the worker, a granted host and one within a granted
 * /16 pass, a neighbour does not, a revoke stops the flow at its next packet (grant-expired).
 * Then a policy that does not fit in DPDK memory is refused with one line, and the running one
 * goes on deciding. */
static void test_inside_large(void **state)
{
	(void)state;
	struct cp_worker *wk = &dp.workers[0];
	char *text = country_policy();
	install(text);
	assert_false(ctl.pol->direct4);
	cp_flow_sweep(&wk->ft, UINT64_MAX, 0, wk->ft.cap);
	reset();
	grant("10.1.2.3", true);
	grant("100.5.0.0/16", true);
	assert_true(dp.view->gr.n_iv4 >= 2);
	web_from(10, 1, 2, 3, 41000, false);
	web_from(100, 5, 200, 9, 41001, false);
	assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], 2);
	web_from(10, 1, 2, 4, 41002, false);   /* the neighbour */
	web_from(100, 10, 0, 1, 41003, false); /* another /16 */
	assert_int_equal(ctr()->reason[CP_R_DEFAULT_DENY], 2);
	grant("10.1.2.3", false);
	web_from(10, 1, 2, 3, 41000, true);
	assert_int_equal(ctr()->reason[CP_R_GRANT_EXPIRED], 1);

	struct cp_test_hog hog;
	char err[256] = "";
	const struct cp_rt_policy *running = ctl.pol;
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *src = cp_policy_load_text("big.conf", text, strlen(text), &d);
	cp_diag_free(&d);
	assert_non_null(src);
	cp_test_hog_take(&hog, 4u << 20);
	int rc = cp_ctl_set_policy(&ctl, src, err, sizeof(err));
	cp_test_hog_give_back(&hog);
	print_message("refused: %s\n", err);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(err, "MiB of DPDK memory"));
	assert_ptr_equal(ctl.pol, running);
	assert_ptr_equal(dp.view->pol, running);
	web_from(100, 5, 200, 9, 41001, true); /* the running policy and its grants, unchanged */
	assert_int_equal(ctr()->verdict_pkts[CP_V_PASS], 3);
	cp_policy_free(src);
	free(text);
}

static int teardown(void **state)
{
	cp_ctl_fini(&ctl);
	cp_worker_fini(&dp.workers[0]);
	return cp_test_eal_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flow_table_early_drop),
	    cmocka_unit_test(test_flow_table_full),
	    cmocka_unit_test(test_pool_exhausted),
	    cmocka_unit_test(test_inside_large),
	    cmocka_unit_test(test_syn_flood),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
