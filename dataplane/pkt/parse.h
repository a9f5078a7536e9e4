/* Frame parser: Ethernet, 802.1Q/QinQ, ARP, IPv4 (options, fragments), IPv6 (extension headers,
 * fragments), TCP, UDP, ICMP, ICMPv6. Never reads past len; every malformed case has its own drop
 * reason (common/reasons.h). Pure function over bytes: no DPDK types, so it is unit-testable. */
#ifndef CP_PARSE_H
#define CP_PARSE_H

#include <stdint.h>

#include "reasons.h"

enum cp_l3 { CP_L3_NONE = 0, CP_L3_IPV4 = 4, CP_L3_IPV6 = 6 };

enum cp_frag { CP_FRAG_NONE = 0, CP_FRAG_FIRST = 1, CP_FRAG_LATER = 2 };

/* IP protocol numbers the dataplane treats specially. */
#define CP_IPPROTO_ICMP	  1
#define CP_IPPROTO_TCP	  6
#define CP_IPPROTO_UDP	  17
#define CP_IPPROTO_ICMPV6 58

#define CP_TCP_FIN 0x01
#define CP_TCP_SYN 0x02
#define CP_TCP_RST 0x04
#define CP_TCP_PSH 0x08
#define CP_TCP_ACK 0x10
#define CP_TCP_URG 0x20

struct cp_pkt {
	uint8_t src[16], dst[16]; /* IPv4 in [0..3], rest zero */
	uint16_t vlan[2];	  /* VLAN IDs (TCI & 0x0fff), outer first; 0 when absent */
	uint16_t ethertype;	  /* after the VLAN tags, host order */
	uint16_t l3_off;	  /* offset of the IP (or ARP) header */
	uint16_t l4_off;	  /* offset of the L4 header (0 when none: later fragments) */
	uint16_t payload_off;	  /* offset of the L4 payload */
	uint16_t payload_len;	  /* L4 payload bytes, bounded by the IP length and by len */
	uint16_t l3_end;	  /* offset just past the IP datagram (trailer/padding excluded) */
	uint16_t sport, dport;	  /* host order; ICMP echo: identifier in both; else 0 */
	uint32_t seq, ack;	  /* TCP, host order */
	uint8_t n_vlan;		  /* 0, 1 or 2 */
	uint8_t l3;		  /* enum cp_l3 */
	uint8_t proto;		  /* IP protocol after extension headers */
	uint8_t frag;		  /* enum cp_frag */
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint8_t is_arp;
};

/* Parse a frame of len bytes. Returns CP_R_NONE for a valid IPv4/IPv6 packet, CP_R_NON_IP for a
 * valid non-IP frame (ARP included), else the malformed reason. p is filled as far as parsed. */
enum cp_reason cp_parse(const uint8_t *frame, uint32_t len, struct cp_pkt *p);

#endif
