/* Unit tests for dataplane/inject.c: TCP RSTs and ICMP/ICMPv6 administratively prohibited, built
 * from hand-made frames whose struct cp_pkt the test fills itself (no dependency on cp_parse).
 * Checksums are verified with the test's own one's complement sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "inject.h"

#define V4_SRC "192.0.2.10"
#define V4_DST "198.51.100.20"
#define V6_SRC "2001:db8::10"
#define V6_DST "2001:db8:1::20"
#define SPORT  40000
#define DPORT  443

static const uint8_t mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}; /* sender */
static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b}; /* receiver */

/* What frame to build. Zero fields take defaults (addresses above, no VLAN). */
struct fspec {
	uint8_t l3; /* 4 or 6 */
	uint8_t n_vlan;
	uint8_t proto; /* 6, 17, 1, 58 */
	uint8_t flags; /* TCP */
	uint32_t seq, ack;
	uint16_t plen;	   /* L4 payload bytes */
	uint8_t frag;	   /* enum cp_frag */
	uint8_t icmp_type; /* ICMP/ICMPv6 */
	uint8_t opt_words; /* IPv4 options, in 4-byte words */
	const char *src, *dst;
};

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)rd16(b) << 16 | rd16(b + 2);
}

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void wr32(uint8_t *b, uint32_t v)
{
	wr16(b, (uint16_t)(v >> 16));
	wr16(b + 2, (uint16_t)v);
}

/* The test's own Internet checksum: a 64-bit sum of words, folded once at the end. */
static uint16_t fold(uint64_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint64_t words(const uint8_t *b, size_t n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i += 2)
		sum += (uint64_t)b[i] * 256 + (i + 1 < n ? b[i + 1] : 0);
	return sum;
}

/* Sum of a whole L4 message with its pseudo-header (none for ICMPv4) must fold to 0xffff. */
static uint16_t l4_verify(const uint8_t *ip, int l3, uint8_t proto, const uint8_t *l4, size_t n)
{
	uint8_t ph[40];
	size_t phn;
	memset(ph, 0, sizeof(ph));
	if (l3 == 4 && proto == 1) {
		phn = 0;
	} else if (l3 == 4) {
		memcpy(ph, ip + 12, 8);
		ph[9] = proto;
		wr16(ph + 10, (uint16_t)n);
		phn = 12;
	} else {
		memcpy(ph, ip + 8, 32);
		wr32(ph + 32, (uint32_t)n);
		ph[39] = proto;
		phn = 40;
	}
	return fold(words(ph, phn) + words(l4, n));
}

static size_t put_l2(uint8_t *b, const struct fspec *s)
{
	size_t off = 12;
	memcpy(b, mac_b, 6);
	memcpy(b + 6, mac_a, 6);
	if (s->n_vlan == 2) {
		wr16(b + off, 0x88a8);
		wr16(b + off + 2, 0x2000 | 200);
		off += 4;
	}
	if (s->n_vlan >= 1) {
		wr16(b + off, 0x8100);
		wr16(b + off + 2, 0xa000 | 100);
		off += 4;
	}
	wr16(b + off, s->l3 == 4 ? 0x0800 : 0x86dd);
	return off + 2;
}

static size_t l4_hlen(uint8_t proto)
{
	return proto == 6 ? 20 : 8;
}

static void put_l4(uint8_t *l4, const struct fspec *s)
{
	if (s->proto == 6) {
		wr16(l4, SPORT);
		wr16(l4 + 2, DPORT);
		wr32(l4 + 4, s->seq);
		wr32(l4 + 8, s->ack);
		l4[12] = 0x50;
		l4[13] = s->flags;
		wr16(l4 + 14, 65535);
	} else if (s->proto == 17) {
		wr16(l4, SPORT);
		wr16(l4 + 2, DPORT);
		wr16(l4 + 4, (uint16_t)(8 + s->plen));
	} else {
		l4[0] = s->icmp_type;
	}
}

/* Build the frame described by s into b and fill p as cp_parse would. Returns its length. */
static size_t build(const struct fspec *s, uint8_t *b, struct cp_pkt *p)
{
	size_t fh = s->l3 == 6 && s->frag != CP_FRAG_NONE ? 8 : 0; /* IPv6 fragment header */
	size_t l2 = put_l2(b, s), iphl = s->l3 == 4 ? 20u + 4u * s->opt_words : 40u + fh;
	size_t l4n = s->frag == CP_FRAG_LATER ? 0 : l4_hlen(s->proto), dlen = iphl + l4n + s->plen;
	uint8_t *ip = b + l2, *l4 = ip + iphl;

	memset(p, 0, sizeof(*p));
	memset(ip, 0, dlen);
	if (s->l3 == 4) {
		ip[0] = (uint8_t)(0x40 | iphl / 4);
		wr16(ip + 2, (uint16_t)dlen);
		wr16(ip + 4, 0x1234);
		wr16(ip + 6, s->frag == CP_FRAG_LATER	? 185
			     : s->frag == CP_FRAG_FIRST ? 0x2000
							: 0x4000);
		ip[8] = 63;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src ? s->src : V4_SRC, ip + 12);
		inet_pton(AF_INET, s->dst ? s->dst : V4_DST, ip + 16);
		memset(ip + 20, 1, 4u * s->opt_words); /* NOP options */
		wr16(ip + 10, (uint16_t)~fold(words(ip, iphl)));
		memcpy(p->src, ip + 12, 4);
		memcpy(p->dst, ip + 16, 4);
	} else {
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)(dlen - 40));
		ip[6] = fh ? 44 : s->proto;
		ip[7] = 63;
		if (fh) {
			ip[40] = s->proto;
			wr16(ip + 42, s->frag == CP_FRAG_LATER ? 185 << 3 : 1);
			wr32(ip + 44, 0xabcdef01);
		}
		inet_pton(AF_INET6, s->src ? s->src : V6_SRC, ip + 8);
		inet_pton(AF_INET6, s->dst ? s->dst : V6_DST, ip + 24);
		memcpy(p->src, ip + 8, 16);
		memcpy(p->dst, ip + 24, 16);
	}
	if (l4n != 0)
		put_l4(l4, s);
	for (size_t i = 0; i < s->plen; i++)
		l4[l4n + i] = (uint8_t)(i * 7 + 3);

	p->n_vlan = s->n_vlan;
	p->vlan[0] = s->n_vlan == 2 ? 200 : s->n_vlan == 1 ? 100 : 0;
	p->vlan[1] = s->n_vlan == 2 ? 100 : 0;
	p->ethertype = s->l3 == 4 ? 0x0800 : 0x86dd;
	p->l3 = s->l3;
	p->proto = s->proto;
	p->frag = s->frag;
	p->l3_off = (uint16_t)l2;
	p->l4_off = l4n ? (uint16_t)(l2 + iphl) : 0;
	p->payload_off = (uint16_t)(l2 + iphl + l4n);
	p->payload_len = s->plen;
	p->l3_end = (uint16_t)(l2 + dlen);
	if (l4n != 0 && (s->proto == 6 || s->proto == 17)) {
		p->sport = SPORT;
		p->dport = DPORT;
	}
	p->seq = s->seq;
	p->ack = s->ack;
	p->tcp_flags = s->proto == 6 ? s->flags : 0;
	p->icmp_type = s->icmp_type;
	return l2 + dlen;
}

/* Check the L2 and IP headers of a generated frame. back: sent to the original sender. */
static void check_l2_ip(const uint8_t *orig, const struct cp_pkt *p, const uint8_t *out,
			size_t out_len, bool back, uint8_t proto)
{
	size_t l2 = p->l3_off, iphl = p->l3 == 4 ? 20 : 40;
	const uint8_t *ip = out + l2, *sa = back ? p->dst : p->src, *da = back ? p->src : p->dst;

	assert_true(out_len >= l2 + iphl);
	assert_memory_equal(out, back ? mac_a : mac_b, 6);
	assert_memory_equal(out + 6, back ? mac_b : mac_a, 6);
	assert_memory_equal(out + 12, orig + 12, l2 - 12); /* VLAN tags and ethertype */
	if (p->l3 == 4) {
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(rd16(ip + 2), out_len - l2);
		assert_int_equal(rd16(ip + 4), 0);
		assert_int_equal(rd16(ip + 6), 0); /* DF clear, not a fragment */
		assert_int_equal(ip[8], 64);
		assert_int_equal(ip[9], proto);
		assert_memory_equal(ip + 12, sa, 4);
		assert_memory_equal(ip + 16, da, 4);
		assert_int_equal(fold(words(ip, 20)), 0xffff);
	} else {
		assert_int_equal(ip[0], 0x60);
		assert_int_equal(rd16(ip + 4), out_len - l2 - 40);
		assert_int_equal(ip[6], proto);
		assert_int_equal(ip[7], 64);
		assert_memory_equal(ip + 8, sa, 16);
		assert_memory_equal(ip + 24, da, 16);
	}
}

struct rst_case {
	const char *name;
	struct fspec f;
	bool to_sender;
	uint32_t seq, ack;
	uint8_t flags;
};

#define SYN CP_TCP_SYN
#define ACK CP_TCP_ACK
#define FIN CP_TCP_FIN
#define PSH CP_TCP_PSH
#define RST CP_TCP_RST

/* clang-format off */
static const struct rst_case rst_cases[] = {
	/* name, frame, to_sender, expected seq, ack, flags */
	{"v4 SYN back", {.l3 = 4, .proto = 6, .flags = SYN, .seq = 1000},
	 true, 0, 1001, RST | ACK},
	{"v4 SYN on", {.l3 = 4, .proto = 6, .flags = SYN, .seq = 1000},
	 false, 1000, 0, RST},
	{"v4 data back",
	 {.l3 = 4, .proto = 6, .flags = ACK | PSH, .seq = 5000, .ack = 9000, .plen = 100},
	 true, 9000, 0, RST},
	{"v4 data on",
	 {.l3 = 4, .proto = 6, .flags = ACK | PSH, .seq = 5000, .ack = 9000, .plen = 100},
	 false, 5000, 9000, RST | ACK},
	{"v4 options data back",
	 {.l3 = 4, .proto = 6, .flags = ACK, .seq = 7, .ack = 8, .plen = 3, .opt_words = 2},
	 true, 8, 0, RST},
	{"v6 FIN|ACK back", {.l3 = 6, .proto = 6, .flags = FIN | ACK, .seq = 42, .ack = 77},
	 true, 77, 0, RST},
	{"v6 FIN no ACK back", {.l3 = 6, .proto = 6, .flags = FIN, .seq = 42, .plen = 10},
	 true, 0, 53, RST | ACK},
	{"v6 FIN|ACK on", {.l3 = 6, .proto = 6, .flags = FIN | ACK, .seq = 42, .ack = 77},
	 false, 42, 77, RST | ACK},
	{"v6 data no ACK on", {.l3 = 6, .proto = 6, .flags = PSH, .seq = 9, .plen = 5},
	 false, 9, 0, RST},
	{"v4 SYN seq wraps", {.l3 = 4, .proto = 6, .flags = SYN, .seq = 0xffffffffu},
	 true, 0, 0, RST | ACK},
	{"v4 SYN+FIN+payload", {.l3 = 4, .proto = 6, .flags = SYN | FIN, .seq = 100, .plen = 20},
	 true, 0, 122, RST | ACK},
	{"vlan v4 data back",
	 {.l3 = 4, .n_vlan = 1, .proto = 6, .flags = ACK, .seq = 1, .ack = 2, .plen = 1},
	 true, 2, 0, RST},
	{"vlan v4 data on",
	 {.l3 = 4, .n_vlan = 1, .proto = 6, .flags = ACK, .seq = 1, .ack = 2, .plen = 1},
	 false, 1, 2, RST | ACK},
	{"qinq v6 SYN back", {.l3 = 6, .n_vlan = 2, .proto = 6, .flags = SYN, .seq = 0x80000000u},
	 true, 0, 0x80000001u, RST | ACK},
	{"qinq v6 SYN on", {.l3 = 6, .n_vlan = 2, .proto = 6, .flags = SYN, .seq = 3},
	 false, 3, 0, RST},
	{"first fragment", {.l3 = 4, .proto = 6, .flags = SYN, .seq = 1, .frag = CP_FRAG_FIRST},
	 true, 0, 2, RST | ACK},
};
/* clang-format on */

static void test_rst_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rst_cases) / sizeof(rst_cases[0]); i++) {
		const struct rst_case *c = &rst_cases[i];
		uint8_t frame[2048], out[CP_INJECT_MAX];
		struct cp_pkt p;
		size_t n, l2, iphl;
		const uint8_t *tcp;

		print_message("case %s\n", c->name);
		build(&c->f, frame, &p);
		memset(out, 0xee, sizeof(out));
		n = cp_build_rst(frame, (uint32_t)sizeof(frame), &p, c->to_sender, out,
				 sizeof(out));
		l2 = p.l3_off;
		iphl = p.l3 == 4 ? 20 : 40;
		assert_int_equal(n, l2 + iphl + 20);
		check_l2_ip(frame, &p, out, n, c->to_sender, 6);
		tcp = out + l2 + iphl;
		assert_int_equal(rd16(tcp), c->to_sender ? DPORT : SPORT);
		assert_int_equal(rd16(tcp + 2), c->to_sender ? SPORT : DPORT);
		assert_int_equal(rd32(tcp + 4), c->seq);
		assert_int_equal(rd32(tcp + 8), c->ack);
		assert_int_equal(tcp[12], 0x50);
		assert_int_equal(tcp[13], c->flags);
		assert_int_equal(rd16(tcp + 14), 0);
		assert_int_equal(rd16(tcp + 18), 0);
		assert_int_not_equal(rd16(tcp + 16), 0);
		assert_int_equal(l4_verify(out + l2, p.l3, 6, tcp, 20), 0xffff);
		assert_int_equal(out[n], 0xee); /* nothing written past the frame */
	}
}

static void test_rst_exact_cap(void **state)
{
	struct fspec f = {.l3 = 4, .proto = 6, .flags = SYN, .seq = 1};
	uint8_t frame[256], out[256];
	struct cp_pkt p;
	(void)state;
	build(&f, frame, &p);
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &p, true, out, 54), 54);
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &p, true, out, 53), 0);
	f.l3 = 6;
	f.n_vlan = 2;
	build(&f, frame, &p);
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &p, false, out, 82), 82);
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &p, false, out, 81), 0);
}

static void test_rst_refused(void **state)
{
	static const struct fspec refuse[] = {
	    {.l3 = 4, .proto = 17, .plen = 4},				   /* UDP */
	    {.l3 = 4, .proto = 6, .frag = CP_FRAG_LATER, .plen = 40},	   /* later fragment */
	    {.l3 = 6, .proto = 6, .frag = CP_FRAG_LATER, .plen = 40},	   /* later fragment */
	    {.l3 = 4, .proto = 6, .flags = RST | ACK, .seq = 1},	   /* answering an RST */
	    {.l3 = 4, .proto = 6, .flags = SYN, .dst = "224.0.0.1"},	   /* multicast */
	    {.l3 = 4, .proto = 6, .flags = SYN, .dst = "255.255.255.255"}, /* broadcast */
	    {.l3 = 4, .proto = 6, .flags = SYN, .src = "0.0.0.0"},	   /* unspecified */
	    {.l3 = 6, .proto = 6, .flags = SYN, .dst = "ff02::1"},	   /* multicast */
	    {.l3 = 6, .proto = 6, .flags = SYN, .src = "::"},		   /* unspecified */
	};
	uint8_t frame[2048], out[CP_INJECT_MAX];
	struct cp_pkt p;
	(void)state;
	for (size_t i = 0; i < sizeof(refuse) / sizeof(refuse[0]); i++) {
		print_message("refuse %zu\n", i);
		build(&refuse[i], frame, &p);
		assert_int_equal(
		    cp_build_rst(frame, (uint32_t)sizeof(frame), &p, true, out, sizeof(out)), 0);
		assert_int_equal(
		    cp_build_rst(frame, (uint32_t)sizeof(frame), &p, false, out, sizeof(out)), 0);
	}
}

/* A struct cp_pkt that does not agree with itself is refused, not trusted. */
static void test_rst_inconsistent_pkt(void **state)
{
	struct fspec f = {.l3 = 4, .n_vlan = 1, .proto = 6, .flags = SYN, .seq = 1};
	uint8_t frame[256], out[256];
	struct cp_pkt p, q;
	(void)state;
	build(&f, frame, &p);
	assert_int_not_equal(
	    cp_build_rst(frame, (uint32_t)sizeof(frame), &p, true, out, sizeof(out)), 0);
	q = p;
	q.n_vlan = 3;
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &q, true, out, sizeof(out)),
			 0);
	q = p;
	q.l3_off = 14; /* disagrees with n_vlan */
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &q, true, out, sizeof(out)),
			 0);
	q = p;
	q.ethertype = 0x86dd; /* disagrees with l3 */
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &q, true, out, sizeof(out)),
			 0);
	q = p;
	q.l4_off = 0;
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &q, true, out, sizeof(out)),
			 0);
	assert_int_equal(cp_build_rst(NULL, (uint32_t)sizeof(frame), &p, true, out, sizeof(out)),
			 0);
	assert_int_equal(cp_build_rst(frame, (uint32_t)sizeof(frame), &p, true, NULL, sizeof(out)),
			 0);
	/* A frame shorter than its own Ethernet header and tags is refused. */
	assert_int_equal(cp_build_rst(frame, p.l3_off - 1u, &p, true, out, sizeof(out)), 0);
	assert_int_not_equal(cp_build_rst(frame, p.l3_off, &p, true, out, sizeof(out)), 0);
}

struct icmp_case {
	const char *name;
	struct fspec f;
	size_t cut;   /* frame bytes removed from the end (truncated capture) */
	size_t cap;   /* 0: CP_INJECT_MAX */
	size_t quote; /* expected quote length */
};

static const struct icmp_case icmp_cases[] = {
    {"v4 udp", {.l3 = 4, .proto = 17, .plen = 100}, 0, 0, 28},
    {"v4 udp short payload", {.l3 = 4, .proto = 17, .plen = 0}, 0, 0, 28},
    {"v4 udp options", {.l3 = 4, .proto = 17, .plen = 30, .opt_words = 3}, 0, 0, 40},
    {"v4 udp truncated frame", {.l3 = 4, .proto = 17, .plen = 0}, 4, 0, 24},
    {"v4 udp vlan", {.l3 = 4, .n_vlan = 1, .proto = 17, .plen = 9}, 0, 0, 28},
    {"v4 tcp", {.l3 = 4, .proto = 6, .flags = SYN}, 0, 0, 28},
    {"v4 echo request", {.l3 = 4, .proto = 1, .icmp_type = 8, .plen = 56}, 0, 0, 28},
    {"v4 first fragment", {.l3 = 4, .proto = 17, .plen = 64, .frag = CP_FRAG_FIRST}, 0, 0, 28},
    {"v4 exact cap", {.l3 = 4, .proto = 17, .plen = 64}, 0, 14 + 20 + 8 + 28, 28},
    {"v6 udp", {.l3 = 6, .proto = 17, .plen = 50}, 0, 0, 98},
    {"v6 first fragment", {.l3 = 6, .proto = 17, .plen = 64, .frag = CP_FRAG_FIRST}, 0, 0, 120},
    {"v6 udp qinq", {.l3 = 6, .n_vlan = 2, .proto = 17, .plen = 50}, 0, 0, 98},
    {"v6 udp big", {.l3 = 6, .proto = 17, .plen = 1400}, 0, 0, 1232},
    {"v6 udp big vlan", {.l3 = 6, .n_vlan = 1, .proto = 17, .plen = 1400}, 0, 0, 1232},
    {"v6 udp exactly 1280", {.l3 = 6, .proto = 17, .plen = 1232 - 48}, 0, 0, 1232},
    {"v6 udp small cap", {.l3 = 6, .proto = 17, .plen = 1400}, 0, 600, 600 - 14 - 48},
    {"v6 udp truncated frame", {.l3 = 6, .proto = 17, .plen = 100}, 30, 0, 118},
    {"v6 echo request", {.l3 = 6, .proto = 58, .icmp_type = 128, .plen = 8}, 0, 0, 56},
};

static void test_icmp_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(icmp_cases) / sizeof(icmp_cases[0]); i++) {
		const struct icmp_case *c = &icmp_cases[i];
		uint8_t frame[2048], out[CP_INJECT_MAX + 1];
		struct cp_pkt p;
		size_t len, n, l2, iphl;
		const uint8_t *icmp;
		bool v4 = c->f.l3 == 4;

		print_message("case %s\n", c->name);
		len = build(&c->f, frame, &p) - c->cut;
		memset(out, 0xee, sizeof(out));
		n = cp_build_icmp_prohibited(frame, (uint32_t)len, &p, out,
					     c->cap ? c->cap : CP_INJECT_MAX);
		l2 = p.l3_off;
		iphl = v4 ? 20 : 40;
		assert_int_equal(n, l2 + iphl + 8 + c->quote);
		check_l2_ip(frame, &p, out, n, true, v4 ? 1 : 58);
		icmp = out + l2 + iphl;
		assert_int_equal(icmp[0], v4 ? 3 : 1);
		assert_int_equal(icmp[1], v4 ? 13 : 1);
		assert_int_equal(rd32(icmp + 4), 0);
		assert_memory_equal(icmp + 8, frame + l2, c->quote);
		assert_int_equal(l4_verify(out + l2, c->f.l3, v4 ? 1 : 58, icmp, 8 + c->quote),
				 0xffff);
		if (!v4)
			assert_true(n - l2 <= 1280);
		assert_int_equal(out[n], 0xee);
	}
}

struct refuse_case {
	const char *name;
	struct fspec f;
	size_t cap;
};

static const struct refuse_case icmp_refuse[] = {
    {"v4 dest unreachable in", {.l3 = 4, .proto = 1, .icmp_type = 3, .plen = 28}, 0},
    {"v4 source quench in", {.l3 = 4, .proto = 1, .icmp_type = 4, .plen = 28}, 0},
    {"v4 redirect in", {.l3 = 4, .proto = 1, .icmp_type = 5, .plen = 28}, 0},
    {"v4 time exceeded in", {.l3 = 4, .proto = 1, .icmp_type = 11, .plen = 28}, 0},
    {"v4 param problem in", {.l3 = 4, .proto = 1, .icmp_type = 12, .plen = 28}, 0},
    {"v6 unreachable in", {.l3 = 6, .proto = 58, .icmp_type = 1, .plen = 48}, 0},
    {"v6 packet too big in", {.l3 = 6, .proto = 58, .icmp_type = 2, .plen = 48}, 0},
    {"v6 time exceeded in", {.l3 = 6, .proto = 58, .icmp_type = 3, .plen = 48}, 0},
    {"v4 later fragment", {.l3 = 4, .proto = 17, .plen = 64, .frag = CP_FRAG_LATER}, 0},
    {"v6 later fragment", {.l3 = 6, .proto = 17, .plen = 64, .frag = CP_FRAG_LATER}, 0},
    {"v4 multicast dst", {.l3 = 4, .proto = 17, .dst = "224.0.0.251"}, 0},
    {"v4 multicast dst top", {.l3 = 4, .proto = 17, .dst = "239.255.255.255"}, 0},
    {"v4 broadcast dst", {.l3 = 4, .proto = 17, .dst = "255.255.255.255"}, 0},
    {"v4 multicast src", {.l3 = 4, .proto = 17, .src = "230.1.2.3"}, 0},
    {"v4 broadcast src", {.l3 = 4, .proto = 17, .src = "255.255.255.255"}, 0},
    {"v4 unspecified src", {.l3 = 4, .proto = 17, .src = "0.0.0.0"}, 0},
    {"v6 multicast dst", {.l3 = 6, .proto = 17, .dst = "ff02::fb"}, 0},
    {"v6 multicast src", {.l3 = 6, .proto = 17, .src = "ff0e::1"}, 0},
    {"v6 unspecified src", {.l3 = 6, .proto = 17, .src = "::"}, 0},
    {"v4 cap one short", {.l3 = 4, .proto = 17, .plen = 64}, 14 + 20 + 8 + 27},
    {"v4 cap tiny", {.l3 = 4, .proto = 17, .plen = 64}, 10},
    {"v6 cap below header quote", {.l3 = 6, .proto = 17, .plen = 64}, 14 + 48 + 47},
    {"v6 cap zero", {.l3 = 6, .proto = 17, .plen = 64}, 0},
};

static void test_icmp_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(icmp_refuse) / sizeof(icmp_refuse[0]); i++) {
		const struct refuse_case *c = &icmp_refuse[i];
		uint8_t frame[2048], out[CP_INJECT_MAX];
		struct cp_pkt p;
		size_t len;

		print_message("refuse %s\n", c->name);
		len = build(&c->f, frame, &p);
		assert_int_equal(cp_build_icmp_prohibited(frame, (uint32_t)len, &p, out, c->cap),
				 0);
	}
}

/* ICMP echo (not an error) is answered; the multicast checks are on IP addresses only, so a
 * group Ethernet destination with unicast IP addresses is answered too. */
static void test_icmp_edges(void **state)
{
	struct fspec f = {.l3 = 4, .proto = 17, .plen = 8};
	uint8_t frame[2048], out[CP_INJECT_MAX];
	struct cp_pkt p;
	size_t len;
	(void)state;

	len = build(&f, frame, &p);
	frame[0] = 0xff; /* broadcast Ethernet destination */
	assert_int_equal(cp_build_icmp_prohibited(frame, (uint32_t)len, &p, out, sizeof(out)),
			 14 + 20 + 8 + 28);
	assert_int_equal(out[6], 0xff);
	/* A frame that ends inside the IPv4 header cannot be quoted. */
	assert_int_equal(cp_build_icmp_prohibited(frame, 14 + 19, &p, out, sizeof(out)), 0);
	assert_int_equal(cp_build_icmp_prohibited(frame, 14, &p, out, sizeof(out)), 0);
	/* An IHL pointing past the datagram is refused. */
	frame[14] = 0x4f;
	assert_int_equal(cp_build_icmp_prohibited(frame, 14 + 28, &p, out, sizeof(out)), 0);
	/* A cap above CP_INJECT_MAX is fine. */
	f.l3 = 6;
	f.plen = 1400;
	len = build(&f, frame, &p);
	{
		uint8_t big[4096];
		assert_int_equal(
		    cp_build_icmp_prohibited(frame, (uint32_t)len, &p, big, sizeof(big)),
		    14 + 1280);
	}
	assert_int_equal(cp_build_icmp_prohibited(NULL, (uint32_t)len, &p, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rst_table),	cmocka_unit_test(test_rst_exact_cap),
	    cmocka_unit_test(test_rst_refused), cmocka_unit_test(test_rst_inconsistent_pkt),
	    cmocka_unit_test(test_icmp_table),	cmocka_unit_test(test_icmp_refused),
	    cmocka_unit_test(test_icmp_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
