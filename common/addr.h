/* IPv4/IPv6 addresses and prefixes: parsing, formatting, containment; IP protocol names. */
#ifndef CP_ADDR_H
#define CP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address or prefix. IPv4 uses a[0..3] (network order), the rest zero. */
struct cp_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;	/* prefix length: 0..32 or 0..128 */
	uint8_t a[16];
};

/* Parse "192.0.2.1", "192.0.2.0/24", "2001:db8::/32". An address without a length is a host
 * prefix. Host bits set beyond the length are an error. Returns 0, or -1 with a message in err. */
int cp_prefix_parse(const char *s, struct cp_prefix *out, char *err, size_t errlen);

/* Parse an address (no length). Returns 0 or -1. */
int cp_addr_parse(const char *s, struct cp_prefix *out);

/* "a.b.c.d/len" or "a.b.c.d" when it is a host prefix. buf should hold CP_PREFIX_STRLEN. */
#define CP_PREFIX_STRLEN 48
const char *cp_prefix_format(const struct cp_prefix *p, char *buf, size_t len);

/* "tcp", "udp", "icmp", "icmp6" (the policy's names), or the number written into buf. */
const char *cp_ip_proto_name(uint8_t proto, char *buf, size_t len);

/* True when inner lies within outer (same family, outer no longer than inner, bits equal). */
bool cp_prefix_contains(const struct cp_prefix *outer, const struct cp_prefix *inner);

/* True when the address bits a (family fam) lie within p. */
bool cp_prefix_match(const struct cp_prefix *p, uint8_t fam, const uint8_t *a);

/* Bit i (0 = most significant) of an address. */
static inline unsigned cp_addr_bit(const uint8_t *a, unsigned i)
{
	return (a[i >> 3] >> (7 - (i & 7))) & 1u;
}

#endif
