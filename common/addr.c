#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cp_addr_parse(const char *s, struct cp_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, out->a) != 1)
			return -1;
		out->family = 6;
		out->len = 128;
		return 0;
	}
	if (inet_pton(AF_INET, s, out->a) != 1)
		return -1;
	out->family = 4;
	out->len = 32;
	return 0;
}

int cp_prefix_parse(const char *s, struct cp_prefix *out, char *err, size_t errlen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen == 0 || alen >= sizeof(buf)) {
		snprintf(err, errlen, "bad address \"%s\"", s);
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (cp_addr_parse(buf, out) != 0) {
		snprintf(err, errlen, "bad address \"%s\"", s);
		return -1;
	}
	if (slash != NULL) {
		const char *p = slash + 1;
		unsigned max = out->family == 4 ? 32 : 128, len = 0;
		size_t digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			len = len * 10 + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || *p != '\0' || len > max) {
			snprintf(err, errlen, "bad prefix length in \"%s\"", s);
			return -1;
		}
		out->len = (uint8_t)len;
	}
	for (unsigned i = out->len; i < (out->family == 4 ? 32u : 128u); i++) {
		if (cp_addr_bit(out->a, i)) {
			struct cp_prefix net = *out;
			char nb[CP_PREFIX_STRLEN];
			for (unsigned j = out->len; j < 128; j++)
				net.a[j >> 3] &= (uint8_t) ~(0x80u >> (j & 7));
			snprintf(err, errlen, "prefix \"%s\" has host bits set (network is %s)", s,
				 cp_prefix_format(&net, nb, sizeof(nb)));
			return -1;
		}
	}
	return 0;
}

const char *cp_ip_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmp6";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

const char *cp_prefix_format(const struct cp_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->a, a, sizeof(a));
	if (p->len == (p->family == 4 ? 32 : 128))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

bool cp_prefix_match(const struct cp_prefix *p, uint8_t fam, const uint8_t *a)
{
	unsigned full = p->len >> 3, rem = p->len & 7;
	if (p->family != fam)
		return false;
	if (memcmp(p->a, a, full) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rem));
	return (p->a[full] & mask) == (a[full] & mask);
}

bool cp_prefix_contains(const struct cp_prefix *outer, const struct cp_prefix *inner)
{
	return outer->family == inner->family && outer->len <= inner->len &&
	       cp_prefix_match(outer, inner->family, inner->a);
}
