/* libFuzzer harness: the frame parser (dataplane/parse.c) on one frame, then the flow key of a
 * parsed IP packet. Asserts the offsets cp_parse promises stay inside the frame. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "flow.h"
#include "parse.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_pkt p;
	struct cp_flow_key k;
	bool from_a;
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	uint32_t lim = len > UINT16_MAX ? UINT16_MAX : len;
	enum cp_reason r = cp_parse(data, len, &p);

	CHECK(p.n_vlan <= 2);
	if (r == CP_R_NON_IP && p.is_arp)
		CHECK(p.l3_off < p.l3_end && p.l3_end <= lim);
	if (r != CP_R_NONE)
		return 0;
	CHECK(p.l3 == CP_L3_IPV4 || p.l3 == CP_L3_IPV6);
	CHECK(p.l3_off < p.l3_end && p.l3_end <= lim);
	CHECK(p.payload_off >= p.l3_off);
	CHECK((uint32_t)p.payload_off + p.payload_len <= p.l3_end);
	if (p.l4_off != 0)
		CHECK(p.l4_off > p.l3_off && p.l4_off <= p.payload_off);
	else
		CHECK(p.frag == CP_FRAG_LATER);
	cp_flow_key_make(&p, &k, &from_a);
	CHECK(k.family == p.l3 && k.proto == p.proto);
	return 0;
}
