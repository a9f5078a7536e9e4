/* Unit tests for the frame parser (dataplane/parse.c): frames built from a declarative spec,
 * optionally patched or cut, checked against a table of reasons and fields; plus every truncation
 * of valid frames, random mutations, and the tcpdump corpus pcaps when present. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

#define FRAME_MAX (1u << 17)
#define MAX_EXT	  10
#define MAX_PATCH 4

#define SYN CP_TCP_SYN
#define ACK CP_TCP_ACK
#define FIN CP_TCP_FIN
#define RST CP_TCP_RST
#define PSH CP_TCP_PSH

#define P_HOP	0
#define P_ICMP	1
#define P_TCP	6
#define P_UDP	17
#define P_RT	43
#define P_FRAG	44
#define P_ESP	50
#define P_AH	51
#define P_ICMP6 58
#define P_NONE	59
#define P_DST	60
#define P_MH	135

#define TCP_SEQ 0x01020304u
#define TCP_ACK 0x05060708u

static const uint8_t src4[4] = {175, 45, 176, 9};
static const uint8_t dst4[4] = {198, 51, 100, 7};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};

enum where { AT_NONE = 0, AT_L3, AT_L4 };

struct patch {
	uint8_t where; /* enum where; AT_NONE ends the list */
	uint16_t off;
	uint8_t val;
};

struct ext6 {
	uint8_t type;
	uint16_t len; /* total bytes (multiple of 8, or of 4 for AH); 0 = 8 */
	uint16_t fo;  /* fragment header: offset << 3 | M */
};

/* What to build: Ethernet, VLAN tags, then ARP, IPv4, IPv6 or raw bytes, then L4. */
struct fspec {
	uint8_t n_vlan;
	uint16_t tpid[3]; /* 0 = 0x8100 */
	uint16_t tci[3];
	uint16_t ethertype; /* 0 = from ip */
	uint8_t ip;	    /* 0, 4 or 6 */
	uint8_t arp, arp_hlen, arp_plen;
	uint8_t opts[40], optlen; /* IPv4 options, padded with zeros to a multiple of 4 */
	uint16_t ff;		  /* IPv4 flags and fragment offset field */
	struct ext6 ext[MAX_EXT];
	uint8_t n_ext;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp_flags, tcp_doff, tcp_optlen; /* doff 0 = 5 + optlen / 4 */
	uint16_t udp_len;			 /* 0 = 8 + payload */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	uint16_t payload; /* L4 payload bytes (or raw bytes after the ethertype) */
	uint16_t cut;	  /* bytes cut off the end of the datagram (IP length shrinks too) */
	uint16_t pad;	  /* Ethernet padding after the datagram */
	struct patch patch[MAX_PATCH];
};

/* Where the builder put things. */
struct layout {
	uint32_t len, l3_off, l4_off, pay_off, pay_len, l3_end;
};

static uint8_t frame[FRAME_MAX];

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

static void fill(uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(0xa0 + i);
}

static uint32_t build_tcp(const struct fspec *s, uint8_t *b)
{
	uint32_t hlen = 20u + s->tcp_optlen;
	uint8_t doff = s->tcp_doff ? s->tcp_doff : (uint8_t)(hlen / 4);

	put16(b, s->sport);
	put16(b + 2, s->dport);
	put32(b + 4, TCP_SEQ);
	put32(b + 8, TCP_ACK);
	b[12] = (uint8_t)(doff << 4);
	b[13] = s->tcp_flags;
	put16(b + 14, 65535);
	put16(b + 16, 0);
	put16(b + 18, 0);
	memset(b + 20, 1, s->tcp_optlen);
	fill(b + hlen, s->payload);
	return hlen;
}

static uint32_t build_udp(const struct fspec *s, uint8_t *b)
{
	put16(b, s->sport);
	put16(b + 2, s->dport);
	put16(b + 4, s->udp_len ? s->udp_len : (uint16_t)(8 + s->payload));
	put16(b + 6, 0);
	fill(b + 8, s->payload);
	return 8;
}

static uint32_t build_icmp(const struct fspec *s, uint8_t *b)
{
	b[0] = s->icmp_type;
	b[1] = s->icmp_code;
	put16(b + 2, 0);
	put16(b + 4, s->icmp_id);
	put16(b + 6, 1);
	fill(b + 8, s->payload);
	return 8;
}

/* Writes the L4 header and payload at b; returns the header length (0 = no header built). */
static uint32_t build_l4(const struct fspec *s, uint8_t *b)
{
	switch (s->proto) {
	case P_TCP:
		return build_tcp(s, b);
	case P_UDP:
		return build_udp(s, b);
	case P_ICMP:
	case P_ICMP6:
		return build_icmp(s, b);
	default:
		fill(b, s->payload);
		return 0;
	}
}

/* Payload length the parser should report for a datagram of dgram bytes from the L4 header. */
static uint32_t expect_pay_len(const struct fspec *s, uint32_t hlen, uint32_t dgram)
{
	uint32_t left = dgram - hlen;

	if (s->proto == P_UDP && s->udp_len >= 8 && s->udp_len < dgram)
		left = s->udp_len - 8u;
	return left;
}

static uint32_t build_eth(const struct fspec *s, uint8_t *f)
{
	uint32_t off = 12;
	uint16_t type = s->ethertype;

	for (int i = 0; i < 12; i++)
		f[i] = (uint8_t)(0x02 + i);
	for (int i = 0; i < s->n_vlan; i++, off += 4) {
		put16(f + off, s->tpid[i] ? s->tpid[i] : 0x8100);
		put16(f + off + 2, s->tci[i]);
	}
	if (!type)
		type = s->arp ? 0x0806 : s->ip == 4 ? 0x0800 : s->ip == 6 ? 0x86dd : 0x88b5;
	put16(f + off, type);
	return off + 2;
}

static void build_arp(const struct fspec *s, uint8_t *f, struct layout *lay)
{
	uint8_t *a = f + lay->l3_off;
	uint32_t n = 8u + 2u * s->arp_hlen + 2u * s->arp_plen;

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = s->arp_hlen;
	a[5] = s->arp_plen;
	put16(a + 6, 1);
	fill(a + 8, n - 8);
	lay->l3_end = lay->l3_off + n - s->cut;
}

static void build_ipv4(const struct fspec *s, uint8_t *f, struct layout *lay)
{
	uint8_t *h = f + lay->l3_off;
	uint32_t hlen = 20u + ((s->optlen + 3u) & ~3u);
	uint32_t l4h, dgram;

	memset(h, 0, hlen);
	lay->l4_off = lay->l3_off + hlen;
	l4h = build_l4(s, f + lay->l4_off);
	dgram = l4h + s->payload - s->cut;
	h[0] = (uint8_t)(0x40 | hlen / 4);
	put16(h + 2, (uint16_t)(hlen + dgram));
	put16(h + 4, 0x1234);
	put16(h + 6, s->ff);
	h[8] = 64;
	h[9] = s->proto;
	memcpy(h + 12, src4, 4);
	memcpy(h + 16, dst4, 4);
	memcpy(h + 20, s->opts, s->optlen);
	lay->pay_off = lay->l4_off + l4h;
	lay->pay_len = expect_pay_len(s, l4h, dgram);
	lay->l3_end = lay->l4_off + dgram;
}

/* Writes the extension header chain at e; returns its length. */
static uint32_t build_ext6(const struct fspec *s, uint8_t *e)
{
	uint32_t off = 0;

	for (int i = 0; i < s->n_ext; i++) {
		const struct ext6 *x = &s->ext[i];
		uint32_t n = x->len ? x->len : 8;

		memset(e + off, 0, n);
		e[off] = i + 1 < s->n_ext ? s->ext[i + 1].type : s->proto;
		if (x->type == P_FRAG) {
			n = 8;
			put16(e + off + 2, x->fo);
			put32(e + off + 4, 0xdeadbeef);
		} else if (x->type == P_AH) {
			e[off + 1] = (uint8_t)(n / 4 - 2);
		} else {
			e[off + 1] = (uint8_t)(n / 8 - 1);
			if (n >= 8)
				e[off + 2] = 1; /* PadN */
			if (n >= 8)
				e[off + 3] = (uint8_t)(n - 4);
		}
		off += n;
	}
	return off;
}

static void build_ipv6(const struct fspec *s, uint8_t *f, struct layout *lay)
{
	uint8_t *h = f + lay->l3_off;
	uint32_t ext, l4h, dgram;

	memset(h, 0, 40);
	ext = build_ext6(s, h + 40);
	lay->l4_off = lay->l3_off + 40 + ext;
	l4h = build_l4(s, f + lay->l4_off);
	dgram = l4h + s->payload;
	h[0] = 0x60;
	put16(h + 4, (uint16_t)(ext + dgram - s->cut));
	h[6] = s->n_ext ? s->ext[0].type : s->proto;
	h[7] = 64;
	memcpy(h + 8, src6, 16);
	memcpy(h + 24, dst6, 16);
	lay->pay_off = lay->l4_off + l4h;
	lay->pay_len = expect_pay_len(s, l4h, dgram - s->cut);
	lay->l3_end = lay->l4_off + dgram - s->cut;
}

static void apply_patches(const struct fspec *s, uint8_t *f, const struct layout *lay)
{
	for (int i = 0; i < MAX_PATCH && s->patch[i].where != AT_NONE; i++) {
		uint32_t base = s->patch[i].where == AT_L3 ? lay->l3_off : lay->l4_off;

		f[base + s->patch[i].off] = s->patch[i].val;
	}
}

static void build(const struct fspec *s, uint8_t *f, struct layout *lay)
{
	memset(lay, 0, sizeof(*lay));
	lay->l3_off = build_eth(s, f);
	if (s->arp)
		build_arp(s, f, lay);
	else if (s->ip == 4)
		build_ipv4(s, f, lay);
	else if (s->ip == 6)
		build_ipv6(s, f, lay);
	else {
		fill(f + lay->l3_off, s->payload);
		lay->l3_end = lay->l3_off + s->payload - s->cut;
	}
	memset(f + lay->l3_end, 0, s->pad);
	lay->len = lay->l3_end + s->pad;
	apply_patches(s, f, lay);
}

/* Parses a heap copy of exactly len bytes so that valgrind sees any read past the end. */
static enum cp_reason parse_copy(const uint8_t *f, uint32_t len, struct cp_pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum cp_reason r;

	assert_non_null(copy);
	memcpy(copy, f, len);
	r = cp_parse(copy, len, p);
	free(copy);
	return r;
}

/* Whatever the reason, what the parser reports stays inside the frame. */
static void check_bounds(const struct cp_pkt *p, uint32_t len, enum cp_reason r)
{
	if (r != CP_R_NONE && r != CP_R_NON_IP)
		return;
	assert_true(p->l3_off <= len);
	assert_true(p->l3_end <= len);
	if (r == CP_R_NONE) {
		assert_true(p->l3_off < p->l3_end);
		assert_true(p->l4_off == 0 || (p->l4_off > p->l3_off && p->l4_off <= p->l3_end));
		assert_true(p->payload_off >= p->l3_off);
		assert_true((uint32_t)p->payload_off + p->payload_len <= p->l3_end);
	}
	assert_true(p->n_vlan <= 2);
}

/* ---- the table ---- */

enum mode { M_L4 = 0, M_OPAQUE, M_LATER, M_NONIP };

struct expect {
	enum cp_reason r;
	uint8_t mode; /* enum mode; how the offsets must look for a valid frame */
	uint8_t l3, proto, frag, n_vlan, is_arp, icmp_type, icmp_code, tcp_flags;
	uint16_t vlan0, vlan1, sport, dport, ethertype;
};

struct pcase {
	const char *name;
	struct fspec s;
	int delta; /* added to the built frame length (negative: truncate the frame) */
	struct expect e;
};

/* clang-format off */
#define V4        .ip = 4
#define V6        .ip = 6
#define TCPS(fl)  .proto = P_TCP, .sport = 40000, .dport = 443, .tcp_flags = (fl)
#define UDPS      .proto = P_UDP, .sport = 5353, .dport = 53
#define E4        .l3 = CP_L3_IPV4
#define E6        .l3 = CP_L3_IPV6
#define ETCP(fl)  .proto = P_TCP, .sport = 40000, .dport = 443, .tcp_flags = (fl)
#define EUDP      .proto = P_UDP, .sport = 5353, .dport = 53
#define OK        .r = CP_R_NONE
#define BAD(x)    .r = CP_R_##x
#define L3(o, v)  {AT_L3, (o), (v)}
#define L4(o, v)  {AT_L4, (o), (v)}
#define QINQ      .n_vlan = 2, .tpid = {0x88a8, 0x8100}, .tci = {0x2064, 0xf0c8}
#define EQINQ     .n_vlan = 2, .vlan0 = 0x064, .vlan1 = 0x0c8
#define EXT(t, l) {.type = (t), .len = (l)}
#define FRAG(x)   {.type = P_FRAG, .fo = (x)}
/* clang-format on */

static const struct pcase cases[] = {
    /* Ethernet and VLAN */
    {"eth zero length", {.payload = 0}, -14, {BAD(MAL_ETH)}},
    {"eth 13 bytes", {.payload = 0}, -1, {BAD(MAL_ETH)}},
    {"eth 14 bytes unknown type",
     {.payload = 0},
     0,
     {.r = CP_R_NON_IP, .mode = M_NONIP, .ethertype = 0x88b5}},
    {"eth unknown type with data",
     {.ethertype = 0x88cc, .payload = 46},
     0,
     {.r = CP_R_NON_IP, .mode = M_NONIP, .ethertype = 0x88cc}},
    {"vlan tag exact",
     {.n_vlan = 1, .tci = {0xe00a}},
     0,
     {.r = CP_R_NON_IP, .mode = M_NONIP, .n_vlan = 1, .vlan0 = 10, .ethertype = 0x88b5}},
    {"vlan tag one short", {.n_vlan = 1, .tci = {10}}, -1, {BAD(MAL_VLAN)}},
    {"vlan tag without type", {.n_vlan = 1, .tci = {10}}, -2, {BAD(MAL_VLAN)}},
    {"qinq exact", {QINQ}, 0, {.r = CP_R_NON_IP, .mode = M_NONIP, EQINQ, .ethertype = 0x88b5}},
    {"qinq one short", {QINQ}, -1, {BAD(MAL_VLAN)}},
    {"qinq 0x9100 0x9100",
     {.n_vlan = 2, .tpid = {0x9100, 0x9100}, .tci = {1, 2}},
     0,
     {.r = CP_R_NON_IP, .mode = M_NONIP, .n_vlan = 2, .vlan0 = 1, .vlan1 = 2, .ethertype = 0x88b5}},
    {"qinq 0x8100 0x88a8",
     {.n_vlan = 2, .tpid = {0x8100, 0x88a8}, .tci = {4095, 3}},
     0,
     {.r = CP_R_NON_IP,
      .mode = M_NONIP,
      .n_vlan = 2,
      .vlan0 = 4095,
      .vlan1 = 3,
      .ethertype = 0x88b5}},
    {"three vlan tags",
     {.n_vlan = 3, .tpid = {0x88a8, 0x8100, 0x8100}, .tci = {1, 2, 3}, .payload = 40},
     0,
     {BAD(MAL_VLAN)}},
    {"qinq ipv4 tcp", {QINQ, V4, TCPS(SYN), .payload = 10}, 0, {OK, EQINQ, E4, ETCP(SYN)}},
    {"vlan ipv6 udp",
     {.n_vlan = 1, .tpid = {0x9100}, .tci = {77}, V6, UDPS, .payload = 3},
     0,
     {OK, .n_vlan = 1, .vlan0 = 77, E6, EUDP}},

    /* ARP */
    {"arp valid",
     {.arp = 1, .arp_hlen = 6, .arp_plen = 4},
     0,
     {.r = CP_R_NON_IP, .mode = M_NONIP, .is_arp = 1, .ethertype = 0x0806}},
    {"arp valid with padding",
     {.arp = 1, .arp_hlen = 6, .arp_plen = 4, .pad = 18},
     0,
     {.r = CP_R_NON_IP, .mode = M_NONIP, .is_arp = 1, .ethertype = 0x0806}},
    {"arp one short", {.arp = 1, .arp_hlen = 6, .arp_plen = 4}, -1, {BAD(MAL_ARP)}},
    {"arp fixed header exact",
     {.arp = 1},
     0,
     {.r = CP_R_NON_IP, .mode = M_NONIP, .is_arp = 1, .ethertype = 0x0806}},
    {"arp fixed header short", {.arp = 1}, -1, {BAD(MAL_ARP)}},
    {"arp huge hlen", {.arp = 1, .arp_hlen = 255, .arp_plen = 255}, -1, {BAD(MAL_ARP)}},
    {"arp vlan",
     {.n_vlan = 1, .tci = {5}, .arp = 1, .arp_hlen = 6, .arp_plen = 4},
     0,
     {.r = CP_R_NON_IP,
      .mode = M_NONIP,
      .n_vlan = 1,
      .vlan0 = 5,
      .is_arp = 1,
      .ethertype = 0x0806}},

    /* IPv4 header and length */
    {"ipv4 bare header exact", {V4, .proto = 253}, 0, {OK, .mode = M_OPAQUE, E4, .proto = 253}},
    {"ipv4 19 bytes", {V4, .proto = 253}, -1, {BAD(MAL_IPV4_HDR)}},
    {"ipv4 version 6", {V4, TCPS(SYN), .patch = {L3(0, 0x65)}}, 0, {BAD(MAL_IPV4_HDR)}},
    {"ipv4 ihl 4", {V4, TCPS(SYN), .patch = {L3(0, 0x44)}}, 0, {BAD(MAL_IPV4_HDR)}},
    {"ipv4 ihl past frame",
     {V4, .proto = 253, .payload = 3, .patch = {L3(0, 0x46)}},
     0,
     {BAD(MAL_IPV4_HDR)}},
    {"ipv4 ihl exactly frame",
     {V4, .proto = 253, .opts = {1, 1, 1, 1}, .optlen = 4},
     0,
     {OK, .mode = M_OPAQUE, E4, .proto = 253}},
    {"ipv4 ihl one past frame",
     {V4, .proto = 253, .opts = {1, 1, 1, 1}, .optlen = 4},
     -1,
     {BAD(MAL_IPV4_HDR)}},
    {"ipv4 reserved flag", {V4, TCPS(SYN), .ff = 0x8000}, 0, {BAD(MAL_IPV4_HDR)}},
    {"ipv4 df flag ok", {V4, TCPS(SYN), .ff = 0x4000}, 0, {OK, E4, ETCP(SYN)}},
    {"ipv4 total length one over", {V4, TCPS(SYN), .payload = 5}, -1, {BAD(MAL_IPV4_LEN)}},
    {"ipv4 total length below ihl",
     {V4, TCPS(SYN), .patch = {L3(2, 0), L3(3, 19)}},
     0,
     {BAD(MAL_IPV4_LEN)}},
    {"ipv4 total length = ihl", {V4, .proto = 253}, 0, {OK, .mode = M_OPAQUE, E4, .proto = 253}},
    {"ipv4 ethernet padding ignored", {V4, TCPS(ACK), .pad = 6}, 0, {OK, E4, ETCP(ACK)}},
    {"ipv4 padding after udp", {V4, UDPS, .payload = 2, .pad = 20}, 0, {OK, E4, EUDP}},

    /* IPv4 options */
    {"ipv4 opts nop nop nop eol",
     {V4, TCPS(SYN), .opts = {1, 1, 1, 0}, .optlen = 4},
     0,
     {OK, E4, ETCP(SYN)}},
    {"ipv4 opt eol then junk",
     {V4, TCPS(SYN), .opts = {0, 0xff, 0xff, 0xff}, .optlen = 4},
     0,
     {OK, E4, ETCP(SYN)}},
    {"ipv4 opt timestamp",
     {V4, TCPS(SYN), .opts = {68, 12, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8}, .optlen = 12},
     0,
     {OK, E4, ETCP(SYN)}},
    {"ipv4 opt router alert + nop",
     {V4, UDPS, .opts = {148, 4, 0, 0, 1, 1, 1, 1}, .optlen = 8},
     0,
     {OK, E4, EUDP}},
    {"ipv4 opt fills 40 bytes", {V4, UDPS, .opts = {7, 40, 4}, .optlen = 40}, 0, {OK, E4, EUDP}},
    {"ipv4 opt length 0",
     {V4, TCPS(SYN), .opts = {7, 0, 0, 0}, .optlen = 4},
     0,
     {BAD(MAL_IPV4_OPT)}},
    {"ipv4 opt length 1",
     {V4, TCPS(SYN), .opts = {1, 7, 1, 0}, .optlen = 4},
     0,
     {BAD(MAL_IPV4_OPT)}},
    {"ipv4 opt length overruns",
     {V4, TCPS(SYN), .opts = {68, 13, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8}, .optlen = 12},
     0,
     {BAD(MAL_IPV4_OPT)}},
    {"ipv4 opt length byte missing",
     {V4, TCPS(SYN), .opts = {1, 1, 1, 7}, .optlen = 4},
     0,
     {BAD(MAL_IPV4_OPT)}},
    {"ipv4 opt second overruns",
     {V4, TCPS(SYN), .opts = {1, 1, 2, 7, 0}, .optlen = 8},
     0,
     {BAD(MAL_IPV4_OPT)}},

    /* IPv4 fragments */
    {"ipv4 first fragment",
     {V4, TCPS(SYN), .ff = 0x2000, .payload = 24},
     0,
     {OK, E4, ETCP(SYN), .frag = CP_FRAG_FIRST}},
    {"ipv4 first fragment udp longer than fragment",
     {V4, UDPS, .ff = 0x2000, .payload = 16, .udp_len = 3000},
     0,
     {OK, E4, EUDP, .frag = CP_FRAG_FIRST}},
    {"ipv4 later fragment",
     {V4, TCPS(SYN), .ff = 185, .payload = 20},
     0,
     {OK, .mode = M_LATER, E4, .proto = P_TCP, .frag = CP_FRAG_LATER}},
    {"ipv4 later fragment garbage l4",
     {V4, .proto = P_UDP, .ff = 0x2000 | 3, .payload = 5},
     0,
     {OK, .mode = M_LATER, E4, .proto = P_UDP, .frag = CP_FRAG_LATER}},
    {"ipv4 last fragment at 65535",
     {V4, .proto = 253, .ff = 8191, .payload = 7},
     0,
     {OK, .mode = M_LATER, E4, .proto = 253, .frag = CP_FRAG_LATER}},
    {"ipv4 fragment past 65535", {V4, .proto = 253, .ff = 8191, .payload = 8}, 0, {BAD(MAL_FRAG)}},

    /* IPv6 header and length */
    {"ipv6 bare header exact",
     {V6, .proto = P_NONE},
     0,
     {OK, .mode = M_OPAQUE, E6, .proto = P_NONE}},
    {"ipv6 39 bytes", {V6, .proto = P_NONE}, -1, {BAD(MAL_IPV6_HDR)}},
    {"ipv6 version 4", {V6, UDPS, .patch = {L3(0, 0x45)}}, 0, {BAD(MAL_IPV6_HDR)}},
    {"ipv6 payload one over", {V6, UDPS, .payload = 4}, -1, {BAD(MAL_IPV6_LEN)}},
    {"ipv6 payload length 0 udp",
     {V6, UDPS, .patch = {L3(4, 0), L3(5, 0)}},
     0,
     {BAD(MAL_IPV6_LEN)}},
    {"ipv6 no next header with bytes",
     {V6, .proto = P_NONE, .payload = 9},
     0,
     {OK, .mode = M_OPAQUE, E6, .proto = P_NONE}},
    {"ipv6 padding ignored", {V6, TCPS(SYN | ACK), .pad = 4}, 0, {OK, E6, ETCP(SYN | ACK)}},
    {"ipv6 esp stops",
     {V6, .proto = P_ESP, .payload = 30},
     0,
     {OK, .mode = M_OPAQUE, E6, .proto = P_ESP}},

    /* IPv6 extension headers */
    {"ipv6 hbh dst frag-first udp",
     {V6, UDPS, .n_ext = 3, .ext = {EXT(P_HOP, 8), EXT(P_DST, 16), FRAG(1)}, .payload = 8},
     0,
     {OK, E6, EUDP, .frag = CP_FRAG_FIRST}},
    {"ipv6 atomic fragment",
     {V6, TCPS(ACK | PSH), .n_ext = 1, .ext = {FRAG(0)}, .payload = 2},
     0,
     {OK, E6, ETCP(ACK | PSH)}},
    {"ipv6 later fragment",
     {V6, TCPS(SYN), .n_ext = 2, .ext = {EXT(P_HOP, 8), FRAG(100 << 3)}, .payload = 16},
     0,
     {OK, .mode = M_LATER, E6, .proto = P_TCP, .frag = CP_FRAG_LATER}},
    {"ipv6 later fragment stops the walk",
     {V6, .proto = P_DST, .n_ext = 1, .ext = {FRAG(8 << 3 | 1)}, .payload = 16},
     0,
     {OK, .mode = M_LATER, E6, .proto = P_DST, .frag = CP_FRAG_LATER}},
    {"ipv6 fragment at 65535",
     {V6, .proto = 253, .n_ext = 1, .ext = {FRAG(8191 << 3)}, .payload = 7},
     0,
     {OK, .mode = M_LATER, E6, .proto = 253, .frag = CP_FRAG_LATER}},
    {"ipv6 fragment past 65535",
     {V6, .proto = 253, .n_ext = 1, .ext = {FRAG(8191 << 3)}, .payload = 8},
     0,
     {BAD(MAL_FRAG)}},
    {"ipv6 two fragment headers",
     {V6, UDPS, .n_ext = 2, .ext = {FRAG(1), FRAG(0)}},
     0,
     {BAD(MAL_IPV6_EXT)}},
    {"ipv6 hbh not first",
     {V6, UDPS, .n_ext = 2, .ext = {EXT(P_DST, 8), EXT(P_HOP, 8)}},
     0,
     {BAD(MAL_IPV6_EXT)}},
    {"ipv6 routing ah mobility",
     {V6, TCPS(RST), .n_ext = 3, .ext = {EXT(P_RT, 24), EXT(P_AH, 12), EXT(P_MH, 8)}},
     0,
     {OK, E6, ETCP(RST)}},
    {"ipv6 ah then esp",
     {V6, .proto = P_ESP, .n_ext = 1, .ext = {EXT(P_AH, 24)}, .payload = 8},
     0,
     {OK, .mode = M_OPAQUE, E6, .proto = P_ESP}},
    {"ipv6 ext exact then none",
     {V6, .proto = P_NONE, .n_ext = 1, .ext = {EXT(P_DST, 16)}},
     0,
     {OK, .mode = M_OPAQUE, E6, .proto = P_NONE}},
    {"ipv6 ext truncated by one",
     {V6, .proto = P_NONE, .n_ext = 1, .ext = {EXT(P_DST, 16)}, .cut = 1},
     0,
     {BAD(MAL_IPV6_EXT)}},
    {"ipv6 ext shorter than 8",
     {V6, .proto = P_NONE, .n_ext = 1, .ext = {EXT(P_DST, 8)}, .cut = 2},
     0,
     {BAD(MAL_IPV6_EXT)}},
    {"ipv6 ext past payload length",
     {V6, .proto = P_NONE, .n_ext = 1, .ext = {EXT(P_DST, 8)}, .cut = 1, .pad = 8},
     0,
     {BAD(MAL_IPV6_EXT)}},
    {"ipv6 ah truncated",
     {V6, .proto = P_NONE, .n_ext = 1, .ext = {EXT(P_AH, 12)}, .cut = 1},
     0,
     {BAD(MAL_IPV6_EXT)}},
    {"ipv6 8 ext headers",
     {V6, UDPS, .n_ext = 8,
      .ext = {EXT(P_HOP, 8), EXT(P_DST, 8), EXT(P_DST, 8), EXT(P_DST, 8), EXT(P_DST, 8),
	      EXT(P_DST, 8), EXT(P_DST, 8), EXT(P_DST, 8)}},
     0,
     {OK, E6, EUDP}},
    {"ipv6 9 ext headers",
     {V6, UDPS, .n_ext = 9,
      .ext = {EXT(P_HOP, 8), EXT(P_DST, 8), EXT(P_DST, 8), EXT(P_DST, 8), EXT(P_DST, 8),
	      EXT(P_DST, 8), EXT(P_DST, 8), EXT(P_DST, 8), EXT(P_DST, 8)}},
     0,
     {BAD(MAL_IPV6_EXT)}},

    /* TCP */
    {"tcp exact 20", {V4, TCPS(SYN)}, 0, {OK, E4, ETCP(SYN)}},
    {"tcp 19 bytes", {V4, TCPS(SYN), .cut = 1}, 0, {BAD(MAL_TCP)}},
    {"tcp ipv6 19 bytes", {V6, TCPS(SYN), .cut = 1}, 0, {BAD(MAL_TCP)}},
    {"tcp data offset 4", {V4, TCPS(SYN), .tcp_doff = 4, .payload = 8}, 0, {BAD(MAL_TCP)}},
    {"tcp data offset past datagram",
     {V4, TCPS(SYN), .tcp_optlen = 4, .cut = 1},
     0,
     {BAD(MAL_TCP)}},
    {"tcp data offset exactly datagram", {V4, TCPS(SYN), .tcp_optlen = 4}, 0, {OK, E4, ETCP(SYN)}},
    {"tcp data offset 6 without options",
     {V6, TCPS(SYN), .tcp_doff = 6, .payload = 3},
     0,
     {BAD(MAL_TCP)}},
    {"tcp options and payload",
     {V4, TCPS(ACK | PSH), .tcp_optlen = 12, .payload = 100},
     0,
     {OK, E4, ETCP(ACK | PSH)}},
    {"tcp data offset 15", {V6, TCPS(SYN), .tcp_optlen = 40, .payload = 1}, 0, {OK, E6, ETCP(SYN)}},
    {"tcp flags none", {V4, TCPS(0)}, 0, {BAD(MAL_TCP_FLAGS)}},
    {"tcp flags ece cwr only", {V4, TCPS(0xc0)}, 0, {BAD(MAL_TCP_FLAGS)}},
    {"tcp flags syn fin", {V4, TCPS(SYN | FIN)}, 0, {BAD(MAL_TCP_FLAGS)}},
    {"tcp flags syn rst", {V6, TCPS(SYN | RST | ACK)}, 0, {BAD(MAL_TCP_FLAGS)}},
    {"tcp flags syn ece cwr", {V4, TCPS(SYN | 0xc0)}, 0, {OK, E4, ETCP(SYN)}},
    {"tcp flags fin ack", {V4, TCPS(FIN | ACK)}, 0, {OK, E4, ETCP(FIN | ACK)}},
    {"tcp flags rst ack", {V4, TCPS(RST | ACK)}, 0, {OK, E4, ETCP(RST | ACK)}},

    /* UDP */
    {"udp exact 8", {V4, UDPS}, 0, {OK, E4, EUDP}},
    {"udp 7 bytes", {V4, UDPS, .cut = 1}, 0, {BAD(MAL_UDP)}},
    {"udp length 7", {V4, UDPS, .udp_len = 7, .payload = 4}, 0, {BAD(MAL_UDP)}},
    {"udp length 0", {V6, UDPS, .patch = {L4(4, 0), L4(5, 0)}, .payload = 4}, 0, {BAD(MAL_UDP)}},
    {"udp length one over", {V4, UDPS, .udp_len = 21, .payload = 12}, 0, {BAD(MAL_UDP)}},
    {"udp ipv6 length one over", {V6, UDPS, .udp_len = 21, .payload = 12}, 0, {BAD(MAL_UDP)}},
    {"udp length exact", {V6, UDPS, .udp_len = 20, .payload = 12}, 0, {OK, E6, EUDP}},
    {"udp length shorter than ip", {V4, UDPS, .udp_len = 10, .payload = 12}, 0, {OK, E4, EUDP}},

    /* ICMP and ICMPv6 */
    {"icmp echo request",
     {V4, .proto = P_ICMP, .icmp_type = 8, .icmp_id = 0x4242, .payload = 56},
     0,
     {OK, E4, .proto = P_ICMP, .icmp_type = 8, .sport = 0x4242, .dport = 0x4242}},
    {"icmp echo reply exact 8",
     {V4, .proto = P_ICMP, .icmp_type = 0, .icmp_id = 7},
     0,
     {OK, E4, .proto = P_ICMP, .icmp_type = 0, .sport = 7, .dport = 7}},
    {"icmp 7 bytes", {V4, .proto = P_ICMP, .icmp_type = 8, .cut = 1}, 0, {BAD(MAL_ICMP)}},
    {"icmp unreachable no ports",
     {V4, .proto = P_ICMP, .icmp_type = 3, .icmp_code = 13, .icmp_id = 99, .payload = 28},
     0,
     {OK, E4, .proto = P_ICMP, .icmp_type = 3, .icmp_code = 13}},
    {"icmpv6 echo request",
     {V6, .proto = P_ICMP6, .icmp_type = 128, .icmp_id = 0xbeef, .payload = 8},
     0,
     {OK, E6, .proto = P_ICMP6, .icmp_type = 128, .sport = 0xbeef, .dport = 0xbeef}},
    {"icmpv6 echo reply",
     {V6, .proto = P_ICMP6, .icmp_type = 129, .icmp_id = 3},
     0,
     {OK, E6, .proto = P_ICMP6, .icmp_type = 129, .sport = 3, .dport = 3}},
    {"icmpv6 type 8 is not echo",
     {V6, .proto = P_ICMP6, .icmp_type = 8, .icmp_id = 3},
     0,
     {OK, E6, .proto = P_ICMP6, .icmp_type = 8}},
    {"icmpv6 7 bytes", {V6, .proto = P_ICMP6, .icmp_type = 128, .cut = 1}, 0, {BAD(MAL_ICMP)}},
    {"icmpv6 after ext headers",
     {V6, .proto = P_ICMP6, .icmp_type = 135, .n_ext = 1, .ext = {EXT(P_HOP, 8)}, .payload = 16},
     0,
     {OK, E6, .proto = P_ICMP6, .icmp_type = 135}},
    {"icmp in ipv6 is opaque",
     {V6, .proto = P_ICMP, .icmp_type = 8, .icmp_id = 5, .cut = 4},
     0,
     {OK, .mode = M_OPAQUE, E6, .proto = P_ICMP}},
    {"icmpv6 in ipv4 is opaque",
     {V4, .proto = P_ICMP6, .icmp_type = 128, .cut = 7},
     0,
     {OK, .mode = M_OPAQUE, E4, .proto = P_ICMP6}},
};

/* Fails naming the case and the field when a parsed field differs from what is expected. */
#define EXPECT(field, want)                                                                        \
	do {                                                                                       \
		unsigned long got_ = (unsigned long)(field), want_ = (unsigned long)(want);        \
		if (got_ != want_)                                                                 \
			fail_msg("case \"%s\": %s = %lu, want %lu", c->name, #field, got_, want_); \
	} while (0)

#define EXPECT_MEM(a, b, n)                                                                        \
	do {                                                                                       \
		if (memcmp((a), (b), (n)) != 0)                                                    \
			fail_msg("case \"%s\": %s differs", c->name, #a);                          \
	} while (0)

static void check_offsets(const struct pcase *c, const struct layout *lay, const struct cp_pkt *p)
{
	switch (c->e.mode) {
	case M_L4:
		EXPECT(p->l4_off, lay->l4_off);
		EXPECT(p->payload_off, lay->pay_off);
		EXPECT(p->payload_len, lay->pay_len);
		break;
	case M_OPAQUE:
		EXPECT(p->l4_off, lay->l4_off);
		EXPECT(p->payload_off, lay->l4_off);
		EXPECT(p->payload_len, lay->l3_end - lay->l4_off);
		break;
	case M_LATER:
		EXPECT(p->l4_off, 0);
		EXPECT(p->payload_off, lay->l4_off);
		EXPECT(p->payload_len, lay->l3_end - lay->l4_off);
		break;
	default:
		EXPECT(p->l4_off, 0);
		EXPECT(p->payload_off, 0);
		EXPECT(p->payload_len, 0);
		break;
	}
	EXPECT(p->l3_off, lay->l3_off);
	/* l3_end: end of the datagram, of the ARP packet, or 0 for other non-IP frames */
	EXPECT(p->l3_end, c->e.mode == M_NONIP && !c->e.is_arp ? 0 : lay->l3_end);
}

static void check_addrs(const struct pcase *c, const struct cp_pkt *p)
{
	static const uint8_t zero[16];

	if (c->e.l3 == CP_L3_IPV4) {
		EXPECT_MEM(p->src, src4, 4);
		EXPECT_MEM(p->dst, dst4, 4);
		EXPECT_MEM(p->src + 4, zero, 12);
		EXPECT_MEM(p->dst + 4, zero, 12);
	} else if (c->e.l3 == CP_L3_IPV6) {
		EXPECT_MEM(p->src, src6, 16);
		EXPECT_MEM(p->dst, dst6, 16);
	} else {
		EXPECT_MEM(p->src, zero, 16);
		EXPECT_MEM(p->dst, zero, 16);
	}
}

static void check_fields(const struct pcase *c, const struct layout *lay, const struct cp_pkt *p)
{
	const struct expect *e = &c->e;
	int tcp = e->proto == P_TCP && e->mode == M_L4;

	EXPECT(p->n_vlan, e->n_vlan);
	EXPECT(p->vlan[0], e->vlan0);
	EXPECT(p->vlan[1], e->vlan1);
	if (e->ethertype)
		EXPECT(p->ethertype, e->ethertype);
	EXPECT(p->is_arp, e->is_arp);
	EXPECT(p->l3, e->l3);
	EXPECT(p->proto, e->proto);
	EXPECT(p->frag, e->frag);
	EXPECT(p->sport, e->sport);
	EXPECT(p->dport, e->dport);
	EXPECT(p->icmp_type, e->icmp_type);
	EXPECT(p->icmp_code, e->icmp_code);
	EXPECT(p->tcp_flags, e->tcp_flags);
	EXPECT(p->seq, tcp ? TCP_SEQ : 0);
	EXPECT(p->ack, tcp ? TCP_ACK : 0);
	check_offsets(c, lay, p);
	check_addrs(c, p);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct layout lay;
		struct cp_pkt p;
		enum cp_reason r;
		uint32_t len;

		build(&c->s, frame, &lay);
		len = (uint32_t)((int)lay.len + c->delta);
		r = parse_copy(frame, len, &p);
		if (r != c->e.r)
			fail_msg("case \"%s\": got %s, want %s", c->name, cp_reason_name(r),
				 cp_reason_name(c->e.r));
		check_bounds(&p, len, r);
		if (r == CP_R_NONE || r == CP_R_NON_IP)
			check_fields(c, &lay, &p);
	}
}

/* Every reason the parser can return is exercised by at least one row of the table. */
static void test_table_covers_reasons(void **state)
{
	static const enum cp_reason want[] = {
	    CP_R_NONE,	       CP_R_NON_IP,	   CP_R_MAL_ETH,      CP_R_MAL_VLAN,
	    CP_R_MAL_ARP,      CP_R_MAL_IPV4_HDR,  CP_R_MAL_IPV4_LEN, CP_R_MAL_IPV4_OPT,
	    CP_R_MAL_IPV6_HDR, CP_R_MAL_IPV6_LEN,  CP_R_MAL_IPV6_EXT, CP_R_MAL_FRAG,
	    CP_R_MAL_TCP,      CP_R_MAL_TCP_FLAGS, CP_R_MAL_UDP,      CP_R_MAL_ICMP,
	};
	int seen[CP_R_MAX] = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		seen[cases[i].e.r]++;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!seen[want[i]])
			fail_msg("no case for %s", cp_reason_name(want[i]));
}

/* Every strict prefix of a frame whose datagram fills it exactly must fail, without a crash. */
static void test_truncations(void **state)
{
	static const struct fspec valid[] = {
	    {QINQ, V4, TCPS(SYN), .opts = {68, 8, 5, 0, 1, 2, 3, 4}, .optlen = 8, .tcp_optlen = 8,
	     .payload = 5},
	    {.n_vlan = 1,
	     .tci = {9},
	     V6,
	     UDPS,
	     .n_ext = 3,
	     .ext = {EXT(P_HOP, 8), EXT(P_RT, 24), FRAG(1)},
	     .payload = 3},
	    {V6, .proto = P_ICMP6, .icmp_type = 128, .n_ext = 1, .ext = {EXT(P_AH, 16)},
	     .payload = 1},
	    {V4, .proto = P_ICMP, .icmp_type = 8, .payload = 4},
	    {.arp = 1, .arp_hlen = 6, .arp_plen = 16},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct layout lay;
		struct cp_pkt p;
		enum cp_reason r;

		build(&valid[i], frame, &lay);
		r = parse_copy(frame, lay.len, &p);
		assert_true(r == CP_R_NONE || r == CP_R_NON_IP);
		for (uint32_t len = 0; len < lay.len; len++) {
			r = parse_copy(frame, len, &p);
			if (r == CP_R_NONE || r == CP_R_NON_IP)
				fail_msg("frame %zu cut to %u of %u parsed as %s", i, len, lay.len,
					 cp_reason_name(r));
		}
	}
}

/* Lengths over 65535 are clamped: the IP length is checked against the clamped length. */
static void test_clamp(void **state)
{
	const struct fspec fits = {V4, UDPS, .payload = 65535 - 14 - 20 - 8};
	const struct fspec over = {V4, .proto = 253, .payload = 65535 - 20};
	struct layout lay;
	struct cp_pkt p;
	uint8_t *big = calloc(1, 70000);

	(void)state;
	assert_non_null(big);
	build(&fits, big, &lay);
	assert_int_equal(lay.len, 65535);
	assert_int_equal(cp_parse(big, 70000, &p), CP_R_NONE);
	assert_int_equal(p.l3_end, 65535);
	assert_int_equal(p.payload_len, 65535 - 14 - 20 - 8);
	build(&over, big, &lay);
	assert_int_equal(lay.len, 65549);
	assert_int_equal(cp_parse(big, 70000, &p), CP_R_MAL_IPV4_LEN);
	free(big);
}

/* The whole struct is reset on every call, whatever was in it before. */
static void test_struct_reset(void **state)
{
	const struct fspec s = {.payload = 4};
	struct layout lay;
	struct cp_pkt p, zero;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	memset(&zero, 0, sizeof(zero));
	build(&s, frame, &lay);
	assert_int_equal(parse_copy(frame, 13, &p), CP_R_MAL_ETH);
	assert_memory_equal(&p, &zero, sizeof(p));
}

static uint32_t rng_state = 0x12345678;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random byte flips and cuts of valid frames: no crash, reported offsets stay in the frame. */
static void test_mutations(void **state)
{
	static const struct fspec seeds[] = {
	    {QINQ, V4, TCPS(SYN), .opts = {1, 68, 8, 5, 0, 1, 2, 3}, .optlen = 8, .payload = 8},
	    {V6, UDPS, .n_ext = 4, .ext = {EXT(P_HOP, 8), EXT(P_DST, 16), EXT(P_AH, 12), FRAG(1)},
	     .payload = 8},
	    {V6, .proto = P_ICMP6, .icmp_type = 128, .payload = 8},
	    {V4, .proto = P_ICMP, .icmp_type = 0, .ff = 0x2000, .payload = 8},
	    {.arp = 1, .arp_hlen = 6, .arp_plen = 4},
	};
	uint32_t counts[CP_R_MAX] = {0};

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		const struct fspec *s = &seeds[iter % (int)(sizeof(seeds) / sizeof(seeds[0]))];
		struct layout lay;
		struct cp_pkt p;
		enum cp_reason r;
		uint32_t len, flips = 1 + rng() % 4;

		build(s, frame, &lay);
		for (uint32_t k = 0; k < flips; k++)
			frame[rng() % lay.len] = (uint8_t)rng();
		len = rng() % 4 ? lay.len : rng() % (lay.len + 1);
		r = parse_copy(frame, len, &p);
		assert_true((unsigned)r < CP_R_MAX);
		counts[r]++;
		check_bounds(&p, len, r);
	}
	assert_true(counts[CP_R_NONE] > 0);
}

/* Classic pcap (Ethernet link type) reader for the tcpdump corpus: every frame must parse within
 * bounds. Skipped when the corpus is absent. */
#define CORPUS "/work/shared/corpus/tcpdump"

static uint32_t rd32le(const uint8_t *b, int swap)
{
	if (swap)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static uint32_t replay_pcap(const char *path, uint32_t *counts)
{
	FILE *fp = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	uint32_t n = 0;
	int swap;

	if (!fp)
		return 0;
	if (fread(gh, 1, 24, fp) != 24)
		goto out;
	if (rd32le(gh, 0) == 0xa1b2c3d4 || rd32le(gh, 0) == 0xa1b23c4d)
		swap = 0;
	else if (rd32le(gh, 1) == 0xa1b2c3d4 || rd32le(gh, 1) == 0xa1b23c4d)
		swap = 1;
	else
		goto out;
	if (rd32le(gh + 20, swap) != 1)
		goto out;
	while (fread(rh, 1, 16, fp) == 16) {
		uint32_t caplen = rd32le(rh + 8, swap);
		struct cp_pkt p;
		enum cp_reason r;

		if (caplen > FRAME_MAX || fread(frame, 1, caplen, fp) != caplen)
			break;
		r = parse_copy(frame, caplen, &p);
		assert_true((unsigned)r < CP_R_MAX);
		check_bounds(&p, caplen, r);
		counts[r]++;
		n++;
	}
out:
	fclose(fp);
	return n;
}

static void test_pcap_corpus(void **state)
{
	uint32_t counts[CP_R_MAX] = {0}, frames = 0;
	DIR *d = opendir(CORPUS);
	struct dirent *de;
	char path[1024];

	(void)state;
	if (!d)
		skip();
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 5, ".pcap") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, de->d_name);
		frames += replay_pcap(path, counts);
	}
	closedir(d);
	print_message("  %u frames:", frames);
	for (int r = 0; r < CP_R_MAX; r++)
		if (counts[r])
			print_message(" %s=%u", cp_reason_name(r), counts[r]);
	print_message("\n");
	assert_true(frames > 0);
	assert_true(counts[CP_R_NONE] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	 cmocka_unit_test(test_table_covers_reasons),
	    cmocka_unit_test(test_truncations),	 cmocka_unit_test(test_clamp),
	    cmocka_unit_test(test_struct_reset), cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_pcap_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
