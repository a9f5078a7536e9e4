/* Builds the frames `reject` sends (SPEC §5): TCP RSTs to either end of a segment and ICMP/ICMPv6
 * administratively-prohibited errors, from the offending frame and its parse. Pure byte code: the
 * original frame is read only within the parsed offsets (and len), the output only within cap. */
#include "inject.h"

#include <string.h>

#define ETH_ALEN       6
#define ETH_HLEN       14
#define VLAN_TAG_LEN   4
#define MAX_VLAN       2
#define ETH_P_IPV4     0x0800
#define ETH_P_IPV6     0x86dd
#define IPV4_HLEN      20
#define IPV6_HLEN      40
#define TCP_HLEN       20
#define ICMP_HLEN      8
#define IPV6_MIN_MTU   1280
#define ICMP_QUOTE_L4  8 /* IPv4: bytes of the offending payload quoted after its header */
#define OUT_TTL	       64
#define ICMP_UNREACH   3
#define ICMP_ADMIN     13
#define ICMPV6_UNREACH 1
#define ICMPV6_ADMIN   1

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

/* One's complement sum of n bytes as big-endian 16-bit words; an odd last byte is padded with 0.
 * Chunks summed one after the other must all have even length but the last. */
static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
	size_t i;
	for (i = 0; i + 1 < n; i += 2) {
		sum += (uint32_t)b[i] << 8 | b[i + 1];
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (i < n) {
		sum += (uint32_t)b[i] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

static uint16_t csum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sum of the TCP/ICMPv6 pseudo-header of the IP header at ip (whose addresses are already set). */
static uint32_t pseudo_sum(const uint8_t *ip, uint8_t l3, uint8_t proto, uint32_t l4_len)
{
	uint8_t tail[8] = {0};
	uint32_t sum;
	if (l3 == CP_L3_IPV4) {
		sum = csum_add(0, ip + 12, 8);
		put16(tail, proto);
		put16(tail + 2, (uint16_t)l4_len);
		return csum_add(sum, tail, 4);
	}
	sum = csum_add(0, ip + 8, 32);
	put32(tail, l4_len);
	tail[7] = proto;
	return csum_add(sum, tail, 8);
}

/* Length of the Ethernet header with its VLAN tags, or 0 when p's L2 fields do not agree. */
static size_t l2_len(const struct cp_pkt *p)
{
	size_t l2 = ETH_HLEN + (size_t)p->n_vlan * VLAN_TAG_LEN;
	if (p->n_vlan > MAX_VLAN || p->l3_off != l2)
		return 0;
	if (p->l3 == CP_L3_IPV4 && p->ethertype == ETH_P_IPV4)
		return l2;
	if (p->l3 == CP_L3_IPV6 && p->ethertype == ETH_P_IPV6)
		return l2;
	return 0;
}

/* Copy the Ethernet header and VLAN tags; swap the MAC addresses when going back to the sender. */
static void write_l2(const uint8_t *frame, size_t l2, bool swap, uint8_t *out)
{
	if (swap) {
		memcpy(out, frame + ETH_ALEN, ETH_ALEN);
		memcpy(out + ETH_ALEN, frame, ETH_ALEN);
	} else {
		memcpy(out, frame, 2 * ETH_ALEN);
	}
	memcpy(out + 2 * ETH_ALEN, frame + 2 * ETH_ALEN, l2 - 2 * ETH_ALEN);
}

static bool all_bytes(const uint8_t *a, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != v)
			return false;
	return true;
}

/* False for an address nothing may be sent from or to: unspecified, multicast, broadcast. */
static bool addr_unicast(uint8_t l3, const uint8_t *a)
{
	if (l3 == CP_L3_IPV4)
		return (a[0] & 0xf0) != 0xe0 && !all_bytes(a, 4, 0) && !all_bytes(a, 4, 0xff);
	return a[0] != 0xff && !all_bytes(a, 16, 0);
}

static bool addrs_unicast(const struct cp_pkt *p)
{
	return addr_unicast(p->l3, p->src) && addr_unicast(p->l3, p->dst);
}

/* Write a fresh IP header (no options or extension headers) carrying l4_len bytes of proto.
 * swap: from p's destination to its source. Returns the header length. */
static size_t write_ip(uint8_t *ip, const struct cp_pkt *p, bool swap, uint8_t proto, size_t l4_len)
{
	const uint8_t *src = swap ? p->dst : p->src, *dst = swap ? p->src : p->dst;
	if (p->l3 == CP_L3_IPV4) {
		memset(ip, 0, IPV4_HLEN);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(IPV4_HLEN + l4_len));
		ip[8] = OUT_TTL;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, csum_finish(csum_add(0, ip, IPV4_HLEN)));
		return IPV4_HLEN;
	}
	memset(ip, 0, IPV6_HLEN);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)l4_len);
	ip[6] = proto;
	ip[7] = OUT_TTL;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return IPV6_HLEN;
}

/* True when p is a TCP segment an RST may answer: TCP, with its header, not itself an RST. */
static bool rst_allowed(const struct cp_pkt *p)
{
	size_t ip_min = p->l3 == CP_L3_IPV4 ? IPV4_HLEN : IPV6_HLEN;
	if (p->proto != CP_IPPROTO_TCP || p->frag == CP_FRAG_LATER || p->l4_off == 0)
		return false;
	if (p->l4_off < p->l3_off + ip_min)
		return false;
	if (p->tcp_flags & CP_TCP_RST) /* RFC 9293: never answer an RST */
		return false;
	return addrs_unicast(p);
}

/* Fill the TCP header at tcp with the ports, seq, ack and flags inject.h prescribes. */
static void write_rst_tcp(uint8_t *tcp, const struct cp_pkt *p, bool to_sender)
{
	bool had_ack = (p->tcp_flags & CP_TCP_ACK) != 0;
	uint32_t seq, ack = 0;
	uint8_t flags = CP_TCP_RST;

	if (to_sender && had_ack) {
		seq = p->ack;
	} else if (to_sender) {
		seq = 0;
		flags |= CP_TCP_ACK;
		ack = p->seq + p->payload_len + ((p->tcp_flags & CP_TCP_SYN) ? 1u : 0u) +
		      ((p->tcp_flags & CP_TCP_FIN) ? 1u : 0u);
	} else {
		seq = p->seq;
		if (had_ack) {
			flags |= CP_TCP_ACK;
			ack = p->ack;
		}
	}
	memset(tcp, 0, TCP_HLEN);
	put16(tcp, to_sender ? p->dport : p->sport);
	put16(tcp + 2, to_sender ? p->sport : p->dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = flags;
}

size_t cp_build_rst(const uint8_t *frame, uint32_t len, const struct cp_pkt *p, bool to_sender,
		    uint8_t *out, size_t cap)
{
	size_t l2, ip_len, total;
	uint8_t *tcp;

	if (frame == NULL || p == NULL || out == NULL)
		return 0;
	l2 = l2_len(p);
	if (l2 == 0 || l2 > len || !rst_allowed(p))
		return 0;
	ip_len = p->l3 == CP_L3_IPV4 ? IPV4_HLEN : IPV6_HLEN;
	total = l2 + ip_len + TCP_HLEN;
	if (cap < total || total > CP_INJECT_MAX)
		return 0;
	write_l2(frame, l2, to_sender, out);
	write_ip(out + l2, p, to_sender, CP_IPPROTO_TCP, TCP_HLEN);
	tcp = out + l2 + ip_len;
	write_rst_tcp(tcp, p, to_sender);
	put16(tcp + 16, csum_finish(csum_add(pseudo_sum(out + l2, p->l3, CP_IPPROTO_TCP, TCP_HLEN),
					     tcp, TCP_HLEN)));
	return total;
}

/* True when p is itself an ICMP error (or an ICMP packet whose type cannot be known). */
static bool is_icmp_error(const struct cp_pkt *p)
{
	if (p->proto == CP_IPPROTO_ICMP && p->l3 == CP_L3_IPV4) {
		uint8_t t = p->icmp_type;
		return p->l4_off == 0 || t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	}
	if (p->proto == CP_IPPROTO_ICMPV6 && p->l3 == CP_L3_IPV6)
		return p->l4_off == 0 || p->icmp_type < 128;
	return false;
}

/* How many bytes of the datagram dgram (dlen bytes) to quote in a frame of at most room bytes
 * after the Ethernet, IP and ICMP headers; 0 when the datagram or the room does not allow one. */
static size_t quote_len(const uint8_t *dgram, size_t dlen, uint8_t l3, size_t room)
{
	size_t q;
	if (l3 == CP_L3_IPV4) {
		size_t ihl;
		if (dlen < IPV4_HLEN || dgram[0] >> 4 != 4)
			return 0;
		ihl = (size_t)(dgram[0] & 0x0f) * 4;
		if (ihl < IPV4_HLEN || ihl > dlen)
			return 0;
		q = ihl + (dlen - ihl < ICMP_QUOTE_L4 ? dlen - ihl : ICMP_QUOTE_L4);
		return q <= room ? q : 0;
	}
	if (dlen < IPV6_HLEN || dgram[0] >> 4 != 6)
		return 0;
	q = dlen < IPV6_MIN_MTU - IPV6_HLEN - ICMP_HLEN ? dlen
							: IPV6_MIN_MTU - IPV6_HLEN - ICMP_HLEN;
	if (q > room)
		q = room;
	/* At least the header and the start of the transport header, to identify the flow. */
	if (q < IPV6_HLEN + ICMP_QUOTE_L4 && q < dlen)
		return 0;
	return q;
}

size_t cp_build_icmp_prohibited(const uint8_t *frame, uint32_t len, const struct cp_pkt *p,
				uint8_t *out, size_t cap)
{
	size_t l2, ip_len, end, room, quote, total;
	uint8_t *icmp;
	bool v4;

	if (frame == NULL || p == NULL || out == NULL)
		return 0;
	l2 = l2_len(p);
	if (l2 == 0 || p->frag == CP_FRAG_LATER || !addrs_unicast(p) || is_icmp_error(p))
		return 0;
	end = p->l3_end < len ? p->l3_end : len;
	if (end <= l2)
		return 0;
	v4 = p->l3 == CP_L3_IPV4;
	ip_len = v4 ? IPV4_HLEN : IPV6_HLEN;
	if (cap > CP_INJECT_MAX)
		cap = CP_INJECT_MAX;
	if (cap < l2 + ip_len + ICMP_HLEN)
		return 0;
	room = cap - l2 - ip_len - ICMP_HLEN;
	quote = quote_len(frame + l2, end - l2, p->l3, room);
	if (quote == 0)
		return 0;
	total = l2 + ip_len + ICMP_HLEN + quote;

	write_l2(frame, l2, true, out);
	write_ip(out + l2, p, true, v4 ? CP_IPPROTO_ICMP : CP_IPPROTO_ICMPV6, ICMP_HLEN + quote);
	icmp = out + l2 + ip_len;
	memset(icmp, 0, ICMP_HLEN);
	icmp[0] = v4 ? ICMP_UNREACH : ICMPV6_UNREACH;
	icmp[1] = v4 ? ICMP_ADMIN : ICMPV6_ADMIN;
	memcpy(icmp + ICMP_HLEN, frame + l2, quote);
	put16(icmp + 2, csum_finish(csum_add(v4 ? 0
						: pseudo_sum(out + l2, p->l3, CP_IPPROTO_ICMPV6,
							     (uint32_t)(ICMP_HLEN + quote)),
					     icmp, ICMP_HLEN + quote)));
	return total;
}
