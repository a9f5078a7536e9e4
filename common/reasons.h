/* Every reason a packet is dropped, in one X-macro list (SPEC §5, §7).
 * X(ID, counter name, verdict reason in verdicts.jsonl; NULL = the deciding rule says it all). */
#ifndef CP_REASONS_H
#define CP_REASONS_H

#define CP_REASONS(X)                                                                              \
	X(NONE, "none", NULL)                                                                      \
	X(RULE, "rule", NULL)                                                                      \
	X(DEFAULT_DENY, "default-deny", "default-deny")                                            \
	X(NO_POLICY, "no-policy", "no-policy")                                                     \
	X(SHUTOFF, "shutoff", "shutoff")                                                           \
	X(REJECTED, "rejected", "rejected")                                                        \
	X(GRANT_EXPIRED, "grant-expired", "grant-expired")                                         \
	X(FRAGMENT, "fragment", "fragment")                                                        \
	X(NON_IP, "non-ip", "non-ip")                                                              \
	X(TX_FULL, "tx-full", "tx-full")                                                           \
	X(NO_UPLINK, "no-uplink", "no-uplink")                                                     \
	X(FRAGMENT_TIMEOUT, "fragment-timeout", "fragment-timeout")                                \
	X(OUT_OF_ORDER, "out-of-order", "out-of-order")                                            \
	X(INSPECT_BUSY, "inspect-busy", "inspect-busy")                                            \
	X(MAL_ETH, "malformed-eth", "malformed")                                                   \
	X(MAL_VLAN, "malformed-vlan", "malformed")                                                 \
	X(MAL_ARP, "malformed-arp", "malformed")                                                   \
	X(MAL_IPV4_HDR, "malformed-ipv4-header", "malformed")                                      \
	X(MAL_IPV4_LEN, "malformed-ipv4-length", "malformed")                                      \
	X(MAL_IPV4_OPT, "malformed-ipv4-options", "malformed")                                     \
	X(MAL_IPV6_HDR, "malformed-ipv6-header", "malformed")                                      \
	X(MAL_IPV6_LEN, "malformed-ipv6-length", "malformed")                                      \
	X(MAL_IPV6_EXT, "malformed-ipv6-exthdr", "malformed")                                      \
	X(MAL_FRAG, "malformed-fragment", "malformed")                                             \
	X(MAL_TCP, "malformed-tcp", "malformed")                                                   \
	X(MAL_TCP_FLAGS, "malformed-tcp-flags", "malformed")                                       \
	X(MAL_UDP, "malformed-udp", "malformed")                                                   \
	X(MAL_ICMP, "malformed-icmp", "malformed")

enum cp_reason {
#define CP_REASON_ENUM(id, name, verdict) CP_R_##id,
	CP_REASONS(CP_REASON_ENUM)
#undef CP_REASON_ENUM
	    CP_R_MAX
};

/* Counter name ("malformed-ipv4-header") and the verdict reason ("malformed", or NULL). */
const char *cp_reason_name(enum cp_reason r);
const char *cp_reason_verdict(enum cp_reason r);

#endif
