/* Frame parser: turns the bytes of one Ethernet frame into a struct cp_pkt, or names the reason it
 * is malformed. Hot path: straight-line code, loops bounded by the VLAN, IPv4 option and IPv6
 * extension header limits, no allocation, every read checked against the frame length. cp_parse
 * tries a fast path for the common shapes first (plain IPv4/IPv6 TCP/UDP, at most one tag, at the
 * end of the file) and falls back to the full parser for everything else. */
#include "parse.h"

#include <string.h>

#define CP_HOT __attribute__((hot))

#define ETH_HLEN       14
#define VLAN_TAG_LEN   4
#define MAX_VLAN       2
#define ETH_P_IPV4     0x0800
#define ETH_P_ARP      0x0806
#define ETH_P_IPV6     0x86dd
#define ETH_P_8021Q    0x8100
#define ETH_P_8021AD   0x88a8
#define ETH_P_QINQ_OLD 0x9100

#define ARP_FIXED_LEN 8

#define IPV4_MIN_HLEN  20
#define IPV4_RF	       0x8000
#define IPV4_DF	       0x4000
#define IPV4_MF	       0x2000
#define IPV4_OFF_MASK  0x1fff
#define IPV4_OPT_EOL   0
#define IPV4_OPT_NOP   1
#define IP_MAX_DGRAM   65535u
#define IPV6_HLEN      40
#define IPV6_MAX_EXT   8
#define IPV6_EXT_MIN   8
#define IPV6_FRAG_HLEN 8

#define IPPROTO_HOPOPTS_  0
#define IPPROTO_ROUTING_  43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_	  51
#define IPPROTO_NONE_	  59
#define IPPROTO_DSTOPTS_  60
#define IPPROTO_MH_	  135
#define IPPROTO_HIP_	  139
#define IPPROTO_SHIM6_	  140

#define TCP_MIN_HLEN  20
#define UDP_HLEN      8
#define ICMP_HLEN     8
#define ICMP_ECHOREP  0
#define ICMP_ECHO     8
#define ICMP6_ECHO    128
#define ICMP6_ECHOREP 129

/* Big-endian loads: one unaligned load and a byte swap each. */
static inline uint16_t rd16(const uint8_t *b)
{
	uint16_t v;
	memcpy(&v, b, sizeof(v));
	return __builtin_bswap16(v);
}

static inline uint32_t rd32(const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, sizeof(v));
	return __builtin_bswap32(v);
}

/* A native-order load, tested against a constant put in wire order at compile time by WIRE16. */
static inline uint16_t ld16(const uint8_t *b)
{
	uint16_t v;
	memcpy(&v, b, sizeof(v));
	return v;
}

#define WIRE16(x) __builtin_bswap16((uint16_t)(x))

static inline int is_vlan_tpid(uint16_t t)
{
	return t == ETH_P_8021Q || t == ETH_P_8021AD || t == ETH_P_QINQ_OLD;
}

/* Ethernet and up to two VLAN tags; sets ethertype, vlan[], n_vlan and l3_off. */
static inline enum cp_reason parse_eth(const uint8_t *f, uint32_t len, struct cp_pkt *p)
{
	uint32_t off = ETH_HLEN - 2; /* the ethertype or the first TPID */
	uint16_t type;

	if (len < ETH_HLEN)
		return CP_R_MAL_ETH;
	type = rd16(f + off);
	while (is_vlan_tpid(type)) {
		if (p->n_vlan == MAX_VLAN || off + VLAN_TAG_LEN + 2 > len)
			return CP_R_MAL_VLAN;
		p->vlan[p->n_vlan++] = rd16(f + off + 2) & 0x0fff;
		off += VLAN_TAG_LEN;
		type = rd16(f + off);
	}
	p->ethertype = type;
	p->l3_off = (uint16_t)(off + 2);
	return CP_R_NONE;
}

/* ARP: the fixed header and the hardware and protocol addresses it announces must be present. */
static inline enum cp_reason parse_arp(const uint8_t *f, uint32_t len, struct cp_pkt *p)
{
	uint32_t avail = len - p->l3_off;
	uint32_t need;

	if (avail < ARP_FIXED_LEN)
		return CP_R_MAL_ARP;
	need = ARP_FIXED_LEN + 2u * f[p->l3_off + 4] + 2u * f[p->l3_off + 5];
	if (need > avail)
		return CP_R_MAL_ARP;
	p->is_arp = 1;
	p->l3_end = (uint16_t)(p->l3_off + need);
	return CP_R_NON_IP;
}

/* IPv4 options in opt[0..n): EOL ends, NOP is one byte, the rest carry a length >= 2 that fits. */
static inline enum cp_reason check_ipv4_opts(const uint8_t *opt, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t type = opt[i];

		if (type == IPV4_OPT_EOL)
			break;
		if (type == IPV4_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || opt[i + 1] < 2 || opt[i + 1] > n - i)
			return CP_R_MAL_IPV4_OPT;
		i += opt[i + 1];
	}
	return CP_R_NONE;
}

/* Payload of an L4 header we do not parse (unknown protocol): everything up to l3_end. */
static inline void set_opaque_l4(struct cp_pkt *p, uint32_t off)
{
	p->l4_off = (uint16_t)off;
	p->payload_off = (uint16_t)off;
	p->payload_len = (uint16_t)(p->l3_end - off);
}

/* Bit f set when the flags f (FIN SYN RST PSH ACK URG, bits 0-5) are malformed: none at all, or SYN
 * with FIN or RST, that is the low three bits 3, 6 or 7, whatever the other three (0xc8 a byte). */
#define TCP_BAD_FLAGS (0xc8c8c8c8c8c8c8c8ull | 1u)

static inline enum cp_reason parse_tcp(const uint8_t *h, uint32_t off, uint32_t left,
				       struct cp_pkt *p)
{
	uint32_t hlen, ports;
	uint8_t flags;

	if (left < TCP_MIN_HLEN)
		return CP_R_MAL_TCP;
	hlen = (uint32_t)(h[12] & 0xf0) >> 2;	       /* the data offset, in bytes */
	if (hlen - TCP_MIN_HLEN > left - TCP_MIN_HLEN) /* hlen < 20 wraps: one test for both ends */
		return CP_R_MAL_TCP;
	p->payload_off = (uint16_t)(off + hlen);
	ports = rd32(h);
	p->sport = (uint16_t)(ports >> 16);
	p->dport = (uint16_t)ports;
	p->payload_len = (uint16_t)(left - hlen);
	p->seq = rd32(h + 4);
	p->ack = rd32(h + 8);
	flags = h[13] & 0x3f;
	p->tcp_flags = flags;
	if ((TCP_BAD_FLAGS >> flags) & 1)
		return CP_R_MAL_TCP_FLAGS;
	return CP_R_NONE;
}

/* UDP: the length field must cover the header and fit in the datagram. A first fragment carries
 * only part of the datagram, so there the length may exceed what is present. */
static inline enum cp_reason parse_udp(const uint8_t *h, uint32_t off, uint32_t left,
				       struct cp_pkt *p)
{
	uint32_t ulen, ports;

	if (left < UDP_HLEN)
		return CP_R_MAL_UDP;
	ulen = rd16(h + 4);
	if (ulen - UDP_HLEN > left - UDP_HLEN) { /* under 8 (wraps) or over left */
		if (ulen < UDP_HLEN || p->frag != CP_FRAG_FIRST)
			return CP_R_MAL_UDP;
		ulen = left;
	}
	ports = rd32(h);
	p->sport = (uint16_t)(ports >> 16);
	p->dport = (uint16_t)ports;
	p->payload_off = (uint16_t)(off + UDP_HLEN);
	p->payload_len = (uint16_t)(ulen - UDP_HLEN);
	return CP_R_NONE;
}

static inline enum cp_reason parse_icmp(const uint8_t *h, uint32_t off, uint32_t left,
					struct cp_pkt *p)
{
	uint8_t type;
	int echo;

	if (left < ICMP_HLEN)
		return CP_R_MAL_ICMP;
	type = h[0];
	p->icmp_type = type;
	p->icmp_code = h[1];
	if (p->l3 == CP_L3_IPV4)
		echo = type == ICMP_ECHO || type == ICMP_ECHOREP;
	else
		echo = type == ICMP6_ECHO || type == ICMP6_ECHOREP;
	if (echo) {
		p->sport = rd16(h + 4);
		p->dport = p->sport;
	}
	p->payload_off = (uint16_t)(off + ICMP_HLEN);
	p->payload_len = (uint16_t)(left - ICMP_HLEN);
	return CP_R_NONE;
}

/* L4 header at off, the datagram ending at p->l3_end; p->proto and p->l3 are set. */
static inline enum cp_reason parse_l4(const uint8_t *f, uint32_t off, struct cp_pkt *p)
{
	uint32_t left = p->l3_end - off;

	p->l4_off = (uint16_t)off;
	switch (p->proto) {
	case CP_IPPROTO_TCP:
		return parse_tcp(f + off, off, left, p);
	case CP_IPPROTO_UDP:
		return parse_udp(f + off, off, left, p);
	case CP_IPPROTO_ICMP:
		if (p->l3 == CP_L3_IPV4)
			return parse_icmp(f + off, off, left, p);
		break;
	case CP_IPPROTO_ICMPV6:
		if (p->l3 == CP_L3_IPV6)
			return parse_icmp(f + off, off, left, p);
		break;
	default:
		break;
	}
	set_opaque_l4(p, off);
	return CP_R_NONE;
}

/* A later fragment: no L4 header, the payload is the fragment's data. */
static inline enum cp_reason later_fragment(uint32_t data_off, struct cp_pkt *p)
{
	p->frag = CP_FRAG_LATER;
	p->l4_off = 0;
	p->payload_off = (uint16_t)data_off;
	p->payload_len = (uint16_t)(p->l3_end - data_off);
	return CP_R_NONE;
}

static inline enum cp_reason parse_ipv4(const uint8_t *f, uint32_t len, struct cp_pkt *p)
{
	const uint8_t *h = f + p->l3_off;
	uint32_t avail = len - p->l3_off;
	uint32_t hlen, tot, frag_off, data_len;
	uint16_t ff;
	enum cp_reason r;

	if (avail < IPV4_MIN_HLEN || (h[0] >> 4) != 4)
		return CP_R_MAL_IPV4_HDR;
	hlen = (uint32_t)(h[0] & 0x0f) * 4;
	ff = rd16(h + 6);
	if (hlen < IPV4_MIN_HLEN || hlen > avail || (ff & IPV4_RF))
		return CP_R_MAL_IPV4_HDR;
	tot = rd16(h + 2);
	if (tot < hlen || tot > avail)
		return CP_R_MAL_IPV4_LEN;
	p->l3 = CP_L3_IPV4;
	p->proto = h[9];
	p->l3_end = (uint16_t)(p->l3_off + tot);
	memcpy(p->src, h + 12, 4);
	memcpy(p->dst, h + 16, 4);
	r = check_ipv4_opts(h + IPV4_MIN_HLEN, hlen - IPV4_MIN_HLEN);
	if (r != CP_R_NONE)
		return r;
	frag_off = (uint32_t)(ff & IPV4_OFF_MASK) * 8;
	data_len = tot - hlen;
	if (frag_off != 0) {
		if (frag_off + data_len > IP_MAX_DGRAM)
			return CP_R_MAL_FRAG;
		return later_fragment(p->l3_off + hlen, p);
	}
	if (ff & IPV4_MF)
		p->frag = CP_FRAG_FIRST;
	return parse_l4(f, p->l3_off + hlen, p);
}

static inline int is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS_:
	case IPPROTO_ROUTING_:
	case IPPROTO_FRAGMENT_:
	case IPPROTO_AH_:
	case IPPROTO_DSTOPTS_:
	case IPPROTO_MH_:
	case IPPROTO_HIP_:
	case IPPROTO_SHIM6_:
		return 1;
	default:
		return 0;
	}
}

/* Length of the extension header nh at e (at least IPV6_EXT_MIN bytes are readable). */
static inline uint32_t ipv6_ext_len(uint8_t nh, const uint8_t *e)
{
	if (nh == IPPROTO_FRAGMENT_)
		return IPV6_FRAG_HLEN;
	if (nh == IPPROTO_AH_)
		return ((uint32_t)e[1] + 2) * 4;
	return ((uint32_t)e[1] + 1) * 8;
}

/* Walks the extension headers from *off, leaving *off at the upper-layer header and p->proto set.
 * Sets *later when a non-first fragment header stops the walk. */
static inline enum cp_reason walk_ipv6_ext(const uint8_t *f, uint32_t *off, uint8_t nh,
					   struct cp_pkt *p, int *later)
{
	uint32_t n = 0, end = p->l3_end;
	int seen_frag = 0;

	while (is_ipv6_ext(nh)) {
		const uint8_t *e = f + *off;
		uint32_t elen;

		if (n == IPV6_MAX_EXT || (nh == IPPROTO_HOPOPTS_ && n != 0))
			return CP_R_MAL_IPV6_EXT;
		if (end - *off < IPV6_EXT_MIN)
			return CP_R_MAL_IPV6_EXT;
		elen = ipv6_ext_len(nh, e);
		if (elen > end - *off)
			return CP_R_MAL_IPV6_EXT;
		if (nh == IPPROTO_FRAGMENT_) {
			uint16_t fo = rd16(e + 2);
			uint32_t frag_off = (uint32_t)(fo >> 3) * 8;

			if (seen_frag)
				return CP_R_MAL_IPV6_EXT;
			seen_frag = 1;
			if (frag_off + (end - *off - elen) > IP_MAX_DGRAM)
				return CP_R_MAL_FRAG;
			if (frag_off != 0) {
				p->proto = e[0];
				*off += elen;
				*later = 1;
				return CP_R_NONE;
			}
			if (fo & 1)
				p->frag = CP_FRAG_FIRST;
		}
		nh = e[0];
		*off += elen;
		n++;
	}
	p->proto = nh;
	return CP_R_NONE;
}

static inline enum cp_reason parse_ipv6(const uint8_t *f, uint32_t len, struct cp_pkt *p)
{
	const uint8_t *h = f + p->l3_off;
	uint32_t avail = len - p->l3_off;
	uint32_t plen, off;
	int later = 0;
	enum cp_reason r;

	if (avail < IPV6_HLEN || (h[0] >> 4) != 6)
		return CP_R_MAL_IPV6_HDR;
	plen = rd16(h + 4);
	if (plen + IPV6_HLEN > avail || (plen == 0 && h[6] != IPPROTO_NONE_))
		return CP_R_MAL_IPV6_LEN;
	p->l3 = CP_L3_IPV6;
	p->l3_end = (uint16_t)(p->l3_off + IPV6_HLEN + plen);
	memcpy(p->src, h + 8, 16);
	memcpy(p->dst, h + 24, 16);
	off = p->l3_off + IPV6_HLEN;
	r = walk_ipv6_ext(f, &off, h[6], p, &later);
	if (r != CP_R_NONE)
		return r;
	if (later)
		return later_fragment(off, p);
	return parse_l4(f, off, p);
}

/* The full parser: every shape, every malformed case. Kept out of line so that the fast path in
 * cp_parse needs no saved registers. */
static __attribute__((noinline)) enum cp_reason parse_full(const uint8_t *frame, uint32_t len,
							   struct cp_pkt *p)
{
	enum cp_reason r;

	memset(p, 0, sizeof(*p));
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	r = parse_eth(frame, len, p);
	if (r != CP_R_NONE)
		return r;
	switch (p->ethertype) {
	case ETH_P_IPV4:
		return parse_ipv4(frame, len, p);
	case ETH_P_IPV6:
		return parse_ipv6(frame, len, p);
	case ETH_P_ARP:
		return parse_arp(frame, len, p);
	default:
		return CP_R_NON_IP;
	}
}

/* The fast path takes the shapes nearly every packet has, and only those:
 *   a frame of 38 to 65535 bytes (so no clamping, and an IPv4 header's 20 bytes are there even
 *   after a tag), untagged or with one 802.1Q (0x8100) tag, then either
 *   IPv4 with version 4 and IHL 5 (no options), no flag but DF and fragment offset 0 (not a
 *   fragment), total length in [20, what the frame holds], or
 *   IPv6 with version 6 and a payload length in [1, what the frame holds],
 *   with TCP or UDP as the IPv4 protocol or the IPv6 next header (no extension header).
 * On anything else (other TPIDs, two tags, IPv4 options or fragments, IPv6 extension headers, other
 * protocols, any of those checks failing) it returns FAST_MISS and parse_full starts over, zeroing
 * p again. On these shapes it is parse_full's own path with the checks that cannot fail removed: it
 * zeroes p, makes the checks parse_eth and parse_ipv4/parse_ipv6 make (those that fail are misses,
 * so their malformed reasons still come from parse_full; an IPv6 payload length of 0 is
 * MAL_IPV6_LEN there, a miss here), sets the same fields (an IHL-5 header has no options to check,
 * offset 0 with MF clear leaves frag NONE, TCP and UDP are no extension headers, so l4_off = l3_off
 * + 20 or 40), and ends in the same parse_tcp/parse_udp that parse_l4 calls, whose verdicts,
 * malformed ones included, it returns. tests/unit/test_parse_diff.c checks cp_parse against a
 * frozen copy of the parser from before the fast path. */
#define FAST_MISS    CP_R_MAX
#define FAST_MIN_LEN (ETH_HLEN + VLAN_TAG_LEN + IPV4_MIN_HLEN)
#define FAST_INLINE  inline __attribute__((always_inline))

/* The fields parse_eth and parse_ipv4/6 set besides l3 and the addresses, then the L4 header at off
 * as parse_l4 takes it. */
static FAST_INLINE enum cp_reason fast_l4(const uint8_t *f, struct cp_pkt *p, uint32_t l3,
					  uint16_t type, uint32_t off, uint32_t dlen, uint8_t proto)
{
	p->ethertype = type;
	p->l3_off = (uint16_t)l3;
	p->l3_end = (uint16_t)(off + dlen);
	p->proto = proto;
	p->l4_off = (uint16_t)off;
	if (proto == CP_IPPROTO_TCP)
		return parse_tcp(f + off, off, dlen, p);
	if (proto == CP_IPPROTO_UDP)
		return parse_udp(f + off, off, dlen, p);
	return FAST_MISS;
}

/* IPv4 and IPv6 for the fast path, the header at l3: a constant where inlined (one copy untagged,
 * one tagged), and every offset with it. */
static FAST_INLINE enum cp_reason fast_ipv4(const uint8_t *f, uint32_t len, struct cp_pkt *p,
					    uint32_t l3)
{
	const uint8_t *h = f + l3;
	uint32_t dlen;

	if (h[0] != 0x45 || (ld16(h + 6) & WIRE16(~IPV4_DF)) != 0)
		return FAST_MISS;
	dlen = (uint32_t)rd16(h + 2) - IPV4_MIN_HLEN; /* a total under 20 wraps */
	if (dlen > len - l3 - IPV4_MIN_HLEN)	      /* len - l3 is at least 20 */
		return FAST_MISS;
	p->l3 = CP_L3_IPV4;
	memcpy(p->src, h + 12, 4);
	memcpy(p->dst, h + 16, 4);
	return fast_l4(f, p, l3, ETH_P_IPV4, l3 + IPV4_MIN_HLEN, dlen, h[9]);
}

static FAST_INLINE enum cp_reason fast_ipv6(const uint8_t *f, uint32_t len, struct cp_pkt *p,
					    uint32_t l3)
{
	const uint8_t *h = f + l3;
	uint32_t dlen;

	if (len - l3 < IPV6_HLEN || (h[0] >> 4) != 6)
		return FAST_MISS;
	dlen = rd16(h + 4);
	if (dlen - 1 >= len - l3 - IPV6_HLEN) /* a length of 0 wraps */
		return FAST_MISS;
	p->l3 = CP_L3_IPV6;
	memcpy(p->src, h + 8, 16);
	memcpy(p->dst, h + 24, 16);
	return fast_l4(f, p, l3, ETH_P_IPV6, l3 + IPV6_HLEN, dlen, h[6]);
}

static inline enum cp_reason parse_fast(const uint8_t *f, uint32_t len, struct cp_pkt *p)
{
	uint16_t type;

	if (len - FAST_MIN_LEN > UINT16_MAX - FAST_MIN_LEN)
		return FAST_MISS; /* too short (wraps) or over 65535 */
	memset(p, 0, sizeof(*p));
	type = rd16(f + ETH_HLEN - 2);
	if (type == ETH_P_IPV4)
		return fast_ipv4(f, len, p, ETH_HLEN);
	if (type == ETH_P_IPV6)
		return fast_ipv6(f, len, p, ETH_HLEN);
	if (type != ETH_P_8021Q)
		return FAST_MISS;
	p->n_vlan = 1;
	p->vlan[0] = rd16(f + ETH_HLEN) & 0x0fff;
	type = rd16(f + ETH_HLEN + 2);
	if (type == ETH_P_IPV4)
		return fast_ipv4(f, len, p, ETH_HLEN + VLAN_TAG_LEN);
	if (type == ETH_P_IPV6)
		return fast_ipv6(f, len, p, ETH_HLEN + VLAN_TAG_LEN);
	return FAST_MISS;
}

CP_HOT enum cp_reason cp_parse(const uint8_t *frame, uint32_t len, struct cp_pkt *p)
{
	enum cp_reason r = parse_fast(frame, len, p);

	return r != FAST_MISS ? r : parse_full(frame, len, p);
}
