/* Differential test of the frame parser: cp_parse (dataplane/parse.c, with its fast path) against
 * cp_parse_ref, a frozen copy of the parser before the fast path (tests/unit/parse_ref.c). For
 * every input both must return the same reason and a memcmp-equal struct cp_pkt. Inputs: generated
 * frames (every VLAN/L3/L4 shape the parser knows, each cut at every length, each header byte and
 * 16-bit field set to boundary values, the common shapes' header bytes to all 256 values, random
 * multi-byte mutations) and every frame of the tcpdump corpus captures (any link type: bytes are
 * bytes). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "parse.h"
#include "parse_ref.c"

#define CORPUS	   "../shared/corpus/tcpdump" /* relative to the project root (the workdir) */
#define BUF_MAX	   (1u << 17)
#define BIG_LEN	   70000u /* over 65535: both parsers clamp */
#define MAX_REPORT 5

/* Frames are copied to the end of buf so that a read past len leaves the allocation (ASan). */
static uint8_t *buf;
static uint64_t n_compared;
static uint32_t n_mismatch;

struct field {
	const char *name;
	size_t off, size;
};

#define F(m)                                                                                       \
	{                                                                                          \
#m, offsetof(struct cp_pkt, m), sizeof(((struct cp_pkt *)0)->m)                    \
	}
static const struct field fields[] = {
    F(src),	    F(dst),    F(vlan),	 F(ethertype), F(l3_off),    F(l4_off),	   F(payload_off),
    F(payload_len), F(l3_end), F(sport), F(dport),     F(seq),	     F(ack),	   F(n_vlan),
    F(l3),	    F(proto),  F(frag),	 F(tcp_flags), F(icmp_type), F(icmp_code), F(is_arp),
};
#undef F

static void report(const uint8_t *f, uint32_t len, enum cp_reason r, enum cp_reason want,
		   const struct cp_pkt *p, const struct cp_pkt *q, const char *what)
{
	print_error("mismatch (%s), len %u: cp_parse %s, reference %s\n", what, len,
		    cp_reason_name(r), cp_reason_name(want));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (memcmp((const uint8_t *)p + fields[i].off, (const uint8_t *)q + fields[i].off,
			   fields[i].size) != 0)
			print_error("  field %s differs\n", fields[i].name);
	print_error("  frame:");
	for (uint32_t i = 0; i < len && i < 128; i++)
		print_error(" %02x", f[i]);
	print_error("%s\n", len > 128 ? " ..." : "");
}

/* Both parsers on the first len bytes of f; the structs start with different garbage so that a
 * field one of them leaves unset shows. */
static void compare(const uint8_t *f, uint32_t len, const char *what)
{
	uint8_t *copy = buf + BUF_MAX - len;
	struct cp_pkt p, q;
	enum cp_reason r, want;

	memmove(copy, f, len);
	memset(&p, 0xa5, sizeof(p));
	memset(&q, 0x5a, sizeof(q));
	r = cp_parse(copy, len, &p);
	want = cp_parse_ref(copy, len, &q);
	n_compared++;
	if (r == want && memcmp(&p, &q, sizeof(p)) == 0)
		return;
	if (n_mismatch++ < MAX_REPORT)
		report(copy, len, r, want, &p, &q, what);
}

static void put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* ---- generated frames ---- */

enum vlan_shape { V_NONE, V_8100, V_88A8, V_9100, V_QINQ, V_DOUBLE_8100, V_TRIPLE, N_VLAN_SHAPES };

enum l3_shape {
	L3_V4,
	L3_V4_DF,
	L3_V4_OPTS, /* IHL 7: NOP NOP, a timestamp option, EOL */
	L3_V4_MF,   /* first fragment */
	L3_V4_LATER,
	L3_V6,
	L3_V6_HOP,
	L3_V6_FRAG_FIRST,
	L3_V6_FRAG_LATER,
	L3_V6_DST_RT_AH,
	L3_ARP,
	L3_RAW, /* an ethertype nobody parses */
	N_L3_SHAPES
};

enum l4_shape {
	L4_TCP,
	L4_TCP_OPTS, /* SYN, data offset 8 */
	L4_UDP,
	L4_ICMP_ECHO,
	L4_ICMP_UNREACH,
	L4_ICMP6_ECHO,
	L4_ICMP6_OTHER,
	L4_OTHER, /* protocol 253 */
	L4_NONE,  /* protocol 59 */
	N_L4_SHAPES
};

struct shape {
	uint8_t vlan, l3, l4;
	uint16_t payload, pad;
};

static uint32_t build_vlan(uint8_t *f, uint8_t shape)
{
	static const uint16_t tpids[N_VLAN_SHAPES][3] = {
	    [V_8100] = {0x8100},
	    [V_88A8] = {0x88a8},
	    [V_9100] = {0x9100},
	    [V_QINQ] = {0x88a8, 0x8100},
	    [V_DOUBLE_8100] = {0x8100, 0x8100},
	    [V_TRIPLE] = {0x88a8, 0x8100, 0x8100},
	};
	uint32_t off = 12;

	for (int i = 0; i < 12; i++)
		f[i] = (uint8_t)(0x02 + i);
	for (int i = 0; i < 3 && tpids[shape][i]; i++, off += 4) {
		put16(f + off, tpids[shape][i]);
		put16(f + off + 2, 0x2000u | (uint32_t)(100 + i));
	}
	return off;
}

/* L4 header and payload at b; returns the bytes written. *proto gets the protocol number. */
static uint32_t build_l4(uint8_t *b, const struct shape *s, uint8_t *proto)
{
	static const uint8_t l4_proto[N_L4_SHAPES] = {6, 6, 17, 1, 1, 58, 58, 253, 59};
	static const uint8_t icmp_type[N_L4_SHAPES] = {
	    [L4_ICMP_ECHO] = 8, [L4_ICMP_UNREACH] = 3, [L4_ICMP6_ECHO] = 128, [L4_ICMP6_OTHER] = 1};
	uint32_t h = 0;

	*proto = l4_proto[s->l4];
	switch (s->l4) {
	case L4_TCP:
	case L4_TCP_OPTS:
		h = s->l4 == L4_TCP ? 20 : 32;
		memset(b, 0, h);
		put16(b, 40000);
		put16(b + 2, 443);
		for (int i = 4; i < 12; i++)
			b[i] = (uint8_t)(0x11 * i);
		b[12] = (uint8_t)(h / 4 << 4);
		b[13] = s->l4 == L4_TCP ? CP_TCP_ACK | CP_TCP_PSH : CP_TCP_SYN;
		put16(b + 14, 65535);
		if (h > 20)
			memset(b + 20, 1, h - 20);
		break;
	case L4_UDP:
		h = 8;
		put16(b, 5353);
		put16(b + 2, 53);
		put16(b + 4, 8u + s->payload);
		put16(b + 6, 0);
		break;
	case L4_ICMP_ECHO:
	case L4_ICMP_UNREACH:
	case L4_ICMP6_ECHO:
	case L4_ICMP6_OTHER:
		h = 8;
		b[0] = icmp_type[s->l4];
		b[1] = 0;
		put16(b + 2, 0);
		put16(b + 4, 0x1234);
		put16(b + 6, 7);
		break;
	default:
		break;
	}
	for (uint32_t i = 0; i < s->payload; i++)
		b[h + i] = (uint8_t)(0xa0 + i);
	return h + s->payload;
}

static uint32_t build_ipv4(uint8_t *h, const struct shape *s)
{
	static const uint8_t opts[8] = {1, 1, 68, 4, 5, 0, 0, 0};
	uint32_t hlen = s->l3 == L3_V4_OPTS ? 28 : 20, dgram;
	uint16_t ff = s->l3 == L3_V4_DF ? 0x4000 : s->l3 == L3_V4_MF ? 0x2000 : 0;
	uint8_t proto;

	if (s->l3 == L3_V4_LATER)
		ff = 185;
	memset(h, 0, hlen);
	dgram = hlen + build_l4(h + hlen, s, &proto);
	h[0] = (uint8_t)(0x40 | hlen / 4);
	put16(h + 2, dgram);
	put16(h + 4, 0x1234);
	put16(h + 6, ff);
	h[8] = 64;
	h[9] = proto;
	for (int i = 0; i < 8; i++) {
		h[12 + i] = (uint8_t)(10 + i);
		if (hlen > 20)
			h[20 + i] = opts[i];
	}
	return dgram;
}

static uint32_t build_ipv6(uint8_t *h, const struct shape *s)
{
	static const uint8_t chains[N_L3_SHAPES][4] = {
	    [L3_V6_HOP] = {0},
	    [L3_V6_FRAG_FIRST] = {44},
	    [L3_V6_FRAG_LATER] = {44},
	    [L3_V6_DST_RT_AH] = {60, 43, 51},
	};
	uint32_t n = s->l3 == L3_V6 ? 0 : s->l3 == L3_V6_DST_RT_AH ? 3 : 1, off = 40;
	uint8_t *nh = h + 6, proto;

	memset(h, 0, 40);
	h[0] = 0x60;
	h[7] = 64;
	for (int i = 0; i < 32; i++)
		h[8 + i] = (uint8_t)(0x20 + i);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t t = chains[s->l3][i];
		uint32_t elen = t == 60 ? 16 : t == 51 ? 12 : 8;

		*nh = t;
		nh = h + off;
		memset(h + off, 0, elen);
		if (t == 44)
			put16(h + off + 2, s->l3 == L3_V6_FRAG_LATER ? 185u << 3 : 1);
		else if (t == 51)
			h[off + 1] = (uint8_t)(elen / 4 - 2);
		else
			h[off + 1] = (uint8_t)(elen / 8 - 1);
		off += elen;
	}
	off += build_l4(h + off, s, &proto);
	*nh = proto;
	put16(h + 4, off - 40);
	return off;
}

static uint32_t build(uint8_t *f, const struct shape *s)
{
	uint32_t off = build_vlan(f, s->vlan), n;
	uint16_t type = s->l3 <= L3_V4_LATER	   ? 0x0800
			: s->l3 <= L3_V6_DST_RT_AH ? 0x86dd
			: s->l3 == L3_ARP	   ? 0x0806
						   : 0x88b5;

	put16(f + off, type);
	off += 2;
	if (s->l3 <= L3_V4_LATER) {
		n = build_ipv4(f + off, s);
	} else if (s->l3 <= L3_V6_DST_RT_AH) {
		n = build_ipv6(f + off, s);
	} else if (s->l3 == L3_ARP) {
		static const uint8_t arp[8] = {0, 1, 8, 0, 6, 4, 0, 1};

		n = 28;
		memcpy(f + off, arp, 8);
		for (uint32_t i = 8; i < n; i++)
			f[off + i] = (uint8_t)i;
	} else {
		n = s->payload;
		for (uint32_t i = 0; i < n; i++)
			f[off + i] = (uint8_t)(0x30 + i);
	}
	off += n;
	memset(f + off, 0, s->pad);
	return off + s->pad;
}

/* The shapes the fast path is meant for: untagged or one 802.1Q tag, plain IPv4 or IPv6, TCP or
 * UDP. Their header bytes get every value. */
static int common_shape(const struct shape *s)
{
	return (s->vlan == V_NONE || s->vlan == V_8100) &&
	       (s->l3 == L3_V4 || s->l3 == L3_V4_DF || s->l3 == L3_V6) &&
	       (s->l4 == L4_TCP || s->l4 == L4_TCP_OPTS || s->l4 == L4_UDP);
}

/* Header bytes worth mutating: the first 96 (Ethernet, tags, IP, extension headers, L4). */
#define MUT_SPAN 96u

static void mutate_template(const uint8_t *t, uint32_t len, int all_values)
{
	static const uint8_t vals8[] = {0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x08,
					0x0f, 0x11, 0x20, 0x3f, 0x40, 0x45, 0x46,
					0x4f, 0x50, 0x60, 0x80, 0x81, 0xa0, 0xff};
	static const int32_t deltas16[] = {-9, -8, -4, -2, -1, 1, 2, 4, 8, 9, 0x100, -0x100};
	static const uint16_t vals16[] = {0,	  1,	  7,	  8,	  9,	  19,
					  20,	  21,	  39,	  40,	  41,	  0x0800,
					  0x86dd, 0x8100, 0x88a8, 0x9100, 0x0806, 0x2000,
					  0x4000, 0x8000, 0x3fff, 0x7fff, 0xffff};
	static uint8_t f[BUF_MAX];
	uint32_t span = len < MUT_SPAN ? len : MUT_SPAN;

	memcpy(f, t, len);
	for (uint32_t cut = 0; cut <= len; cut++)
		compare(f, cut, "truncation");
	for (uint32_t i = 0; i < span; i++) {
		uint8_t o = f[i];

		if (all_values) {
			for (uint32_t v = 0; v < 256; v++) {
				f[i] = (uint8_t)v;
				compare(f, len, "byte, every value");
			}
		} else {
			for (size_t k = 0; k < sizeof(vals8); k++) {
				f[i] = vals8[k];
				compare(f, len, "byte");
			}
			f[i] = (uint8_t)(o + 1);
			compare(f, len, "byte + 1");
			f[i] = (uint8_t)(o - 1);
			compare(f, len, "byte - 1");
		}
		f[i] = o;
	}
	for (uint32_t i = 0; i + 1 < span; i++) {
		uint32_t o = (uint32_t)f[i] << 8 | f[i + 1];

		for (size_t k = 0; k < sizeof(vals16) / sizeof(vals16[0]); k++) {
			put16(f + i, vals16[k]);
			compare(f, len, "16-bit field");
		}
		for (size_t k = 0; k < sizeof(deltas16) / sizeof(deltas16[0]); k++) {
			put16(f + i, (uint32_t)((int32_t)o + deltas16[k]) & 0xffff);
			compare(f, len, "16-bit field +- d");
			compare(f, len - 1, "16-bit field +- d, cut by one");
		}
		put16(f + i, o);
	}
}

static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_generated(void **state)
{
	static const uint16_t payloads[] = {0, 13};
	static const uint16_t pads[] = {0, 7};
	static struct shape shapes[N_VLAN_SHAPES * N_L3_SHAPES * N_L4_SHAPES * 4];
	static uint8_t t[BUF_MAX];
	uint32_t n = 0;

	(void)state;
	for (uint8_t v = 0; v < N_VLAN_SHAPES; v++)
		for (uint8_t l3 = 0; l3 < N_L3_SHAPES; l3++)
			for (uint8_t l4 = 0; l4 < N_L4_SHAPES; l4++)
				for (int k = 0; k < 4; k++) {
					struct shape s = {v, l3, l4, payloads[k & 1], pads[k >> 1]};

					if (l3 >= L3_ARP && l4 != 0)
						continue; /* no L4 there */
					shapes[n++] = s;
				}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = build(t, &shapes[i]);

		mutate_template(t, len, common_shape(&shapes[i]));
	}
	/* Random mutations: one to four bytes anywhere in the headers, a quarter of them also cut.
	 */
	for (int iter = 0; iter < 300000; iter++) {
		uint32_t len = build(t, &shapes[rng() % n]), flips = 1 + rng() % 4;

		for (uint32_t k = 0; k < flips; k++)
			t[rng() % (len < MUT_SPAN ? len : MUT_SPAN)] = (uint8_t)rng();
		compare(t, rng() % 4 ? len : rng() % (len + 1), "random");
	}
	/* Over 65535 bytes: the length is clamped before the IP length is checked against it. */
	for (uint32_t i = 0; i < n; i++) {
		struct shape s = shapes[i];

		s.payload = (uint16_t)(65535 - 14 - 40 - 8 - 20 - 12 - 4);
		memset(t, 0, BIG_LEN);
		build(t, &s);
		compare(t, BIG_LEN, "over 65535");
		compare(t, 65535, "65535");
	}
	print_message("  %u shapes, %llu frames compared\n", n, (unsigned long long)n_compared);
	if (n_mismatch)
		fail_msg("%u mismatches", n_mismatch);
}

/* ---- the corpus ---- */

static uint32_t replay(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const uint8_t *data;
	uint32_t n = 0;

	if (!pc)
		return 0;
	while (pcap_next_ex(pc, &h, &data) == 1) {
		uint32_t len = h->caplen < BUF_MAX ? h->caplen : BUF_MAX;

		compare(data, len, path);
		/* and the truncations of the frame's headers */
		for (uint32_t cut = 0; cut < len && cut < MUT_SPAN; cut++)
			compare(data, cut, path);
		n++;
	}
	pcap_close(pc);
	return n;
}

static void test_corpus(void **state)
{
	DIR *d = opendir(CORPUS);
	struct dirent *de;
	char path[1024];
	uint32_t files = 0, frames = 0;

	(void)state;
	if (!d) {
		print_message("  %s missing: corpus part skipped\n", CORPUS);
		skip();
	}
	n_compared = 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 5, ".pcap") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, de->d_name);
		frames += replay(path);
		files++;
	}
	closedir(d);
	print_message("  %u captures, %u frames, %llu inputs compared\n", files, frames,
		      (unsigned long long)n_compared);
	assert_true(frames > 0);
	if (n_mismatch)
		fail_msg("%u mismatches", n_mismatch);
}

static int setup(void **state)
{
	(void)state;
	buf = malloc(BUF_MAX);
	n_mismatch = 0;
	n_compared = 0;
	return buf ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(buf);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_generated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corpus, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
