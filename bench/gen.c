/* cp-gen: a deterministic, seeded traffic generator writing an Ethernet pcap for replay and
 * benchmarks. Flows between inside hosts (175.45.176.0/22) and outside hosts: a TCP handshake,
 * data segments both ways and a FIN, or a UDP request/response; 64-byte frames by default.
 *
 *   cp-gen --out F.pcap [--packets N] [--flows N] [--inside N] [--outside N] [--seed S]
 *          [--size BYTES]
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	/* splitmix64: small, fast and good enough for traffic shapes */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct flow {
	uint32_t in, out; /* host order addresses */
	uint16_t sport, dport;
	uint8_t proto;
	uint32_t seq_in, seq_out;
	unsigned step;
};

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* One frame of flow f in direction out (inside -> outside when true). Returns its length. */
static size_t frame(uint8_t *b, const struct flow *f, int outbound, uint8_t flags, size_t size)
{
	size_t l4 = f->proto == 6 ? 20 : 8, min = 14 + 20 + l4;
	size_t len = size < min ? min : size;
	memset(b, 0, len);
	memcpy(b, outbound ? "\x02\0\0\0\0\x02" : "\x02\0\0\0\0\x01", 6);
	memcpy(b + 6, outbound ? "\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x02", 6);
	put16(b + 12, 0x0800);
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(len - 14));
	ip[8] = 64;
	ip[9] = f->proto;
	put32(ip + 12, outbound ? f->in : f->out);
	put32(ip + 16, outbound ? f->out : f->in);
	put16(ip + 10, csum(ip, 20));
	uint8_t *l = ip + 20;
	put16(l, outbound ? f->sport : f->dport);
	put16(l + 2, outbound ? f->dport : f->sport);
	if (f->proto == 6) {
		put32(l + 4, outbound ? f->seq_in : f->seq_out);
		put32(l + 8, flags & 0x10 ? (outbound ? f->seq_out : f->seq_in) : 0);
		l[12] = 5 << 4;
		l[13] = flags;
		put16(l + 14, 65535);
	} else {
		put16(l + 4, (uint16_t)(len - 34));
	}
	return len;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"out", required_argument, NULL, 'o'},     {"packets", required_argument, NULL, 'p'},
	    {"flows", required_argument, NULL, 'f'},   {"inside", required_argument, NULL, 'i'},
	    {"outside", required_argument, NULL, 'x'}, {"seed", required_argument, NULL, 's'},
	    {"size", required_argument, NULL, 'z'},    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	unsigned long packets = 100000, nflows = 1000, inside = 1000, outside = 10000, size = 64;
	struct rng r = {42};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			packets = v;
			break;
		case 'f':
			nflows = v ? v : 1;
			break;
		case 'i':
			inside = v ? (v > 1024 ? 1024 : v) : 1;
			break;
		case 'x':
			outside = v ? v : 1;
			break;
		case 's':
			r.s = v;
			break;
		case 'z':
			size = v > 1514 ? 1514 : v;
			break;
		default:
			fprintf(stderr, "usage: cp-gen --out F.pcap [--packets N] [--flows N] "
					"[--inside N] [--outside N] [--seed S] [--size BYTES]\n");
			return 2;
		}
	}
	if (out == NULL) {
		fprintf(stderr, "cp-gen: --out is required\n");
		return 2;
	}
	FILE *f = fopen(out, "wb");
	struct flow *fl = calloc(nflows, sizeof(*fl));
	if (f == NULL || fl == NULL) {
		fprintf(stderr, "cp-gen: cannot write %s\n", out);
		return 1;
	}
	for (unsigned long i = 0; i < nflows; i++) {
		fl[i].in = (175u << 24 | 45u << 16 | 176u << 8) + (uint32_t)(next(&r) % inside);
		fl[i].out = (198u << 24 | 51u << 16) + (uint32_t)(next(&r) % outside);
		fl[i].proto = next(&r) % 4 == 0 ? 17 : 6;
		fl[i].sport = (uint16_t)(1024 + next(&r) % 60000);
		fl[i].dport = fl[i].proto == 17 ? 53 : (next(&r) % 2 ? 443 : 80);
		fl[i].seq_in = (uint32_t)next(&r);
		fl[i].seq_out = (uint32_t)next(&r);
	}
	const uint32_t hdr[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, 1};
	fwrite(hdr, sizeof(hdr), 1, f);
	uint8_t b[1600];
	uint64_t t = 1700000000ull * 1000000;
	for (unsigned long n = 0; n < packets; n++) {
		struct flow *x = &fl[next(&r) % nflows];
		int outbound;
		uint8_t flags;
		if (x->proto == 17) {
			outbound = x->step % 2 == 0;
			flags = 0;
		} else {
			static const uint8_t fl_seq[] = {0x02, 0x12, 0x10};
			outbound = x->step == 1 ? 0 : (x->step < 3 ? 1 : (int)(next(&r) % 2));
			flags = x->step < 3 ? fl_seq[x->step] : 0x18;
		}
		size_t len = frame(b, x, outbound, flags, size);
		x->step++;
		if (x->proto == 6 && x->step > 2)
			*(outbound ? &x->seq_in : &x->seq_out) += (uint32_t)(len - 54);
		t += 1 + next(&r) % 200; /* microseconds */
		uint32_t rec[4] = {(uint32_t)(t / 1000000), (uint32_t)(t % 1000000), (uint32_t)len,
				   (uint32_t)len};
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(b, len, 1, f);
	}
	free(fl);
	return fclose(f) == 0 ? 0 : 1;
}
