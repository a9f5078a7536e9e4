/* Frames the appliance generates for `reject` (SPEC §5): TCP RSTs to both ends with correct
 * sequence numbers, or ICMP/ICMPv6 administratively prohibited to the initiator. Pure functions
 * over bytes (no DPDK types), so they are unit-testable. */
#ifndef CP_INJECT_H
#define CP_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

/* Largest frame these functions write. */
#define CP_INJECT_MAX 1536

/* Build a TCP RST answering the TCP segment in frame (len bytes, parsed as p, p->proto == 6).
 *  to_sender: the RST goes back to the segment's sender, as if from its receiver: Ethernet and IP
 *             addresses and ports swapped; if the segment has ACK, seq = its ack and flags RST;
 *             else seq = 0, flags RST|ACK, ack = seq + payload_len + SYN + FIN.
 *  !to_sender: the RST goes on to the segment's receiver, as if from the sender: addresses as in
 *             the segment, seq = the segment's seq, flags RST (plus ACK with the segment's ack
 *             when the segment had ACK).
 * VLAN tags are kept. IPv4: TTL 64, DF clear, id 0, header checksum set; IPv6: hop limit 64. TCP
 * checksum set, no options, window 0, no payload. Returns the frame length, or 0 when p is not a
 * first-fragment-or-unfragmented TCP segment or cap is too small. */
size_t cp_build_rst(const uint8_t *frame, uint32_t len, const struct cp_pkt *p, bool to_sender,
		    uint8_t *out, size_t cap);

/* Build an ICMPv4 type 3 code 13 / ICMPv6 type 1 code 1 (administratively prohibited) to the
 * packet's sender, from its destination address, Ethernet addresses swapped, VLAN tags kept,
 * quoting the offending IP datagram: IPv4 its header + 8 bytes, IPv6 as much as keeps the ICMPv6
 * packet within 1280 bytes. Never answers an ICMP error, a fragment other than the first, or a
 * multicast/broadcast destination/source: returns 0 then. Returns the frame length. */
size_t cp_build_icmp_prohibited(const uint8_t *frame, uint32_t len, const struct cp_pkt *p,
				uint8_t *out, size_t cap);

#endif
