/* cp-gen: a deterministic, seeded traffic generator writing an Ethernet pcap for replay and
 * benchmarks. Flows between inside hosts (175.45.176.0/22) and outside hosts (198.51.0.0 plus an
 * offset below --outside). The same options and seed give the same file, byte for byte.
 *
 *   cp-gen --out F.pcap [--packets N] [--flows N] [--inside N] [--outside N] [--seed S]
 *          [--size BYTES] [--mix l34|imix|new|payload] [--names FILE] [--blocked-ratio R]
 *          [--payload-out FILE]
 *
 * Mixes:
 *   l34      (default) --flows flows, each a TCP handshake then data segments both ways, or a UDP
 *            request/response to port 53; every frame --size bytes (64 by default; --size is
 *            used by this mix only).
 *   imix     the l34 flows and packets (same seed, same sequence), frame sizes drawn from the
 *            simple IMIX 7:4:1 of 64, 576 and 1514-byte Ethernet frames (without FCS).
 *   new      every packet opens a new flow: a TCP SYN to 80/443 (3 in 4) or a UDP datagram to 53,
 *            64 bytes, from a fresh 5-tuple (the source port of each inside host counts up, so
 *            5-tuples do not repeat before a host has sent 64512 of them).
 *   payload  application flows, --flows of them in progress at once, packets interleaved: 45% TLS
 *            (SYN, SYN-ACK, ACK, ClientHello with SNI, ServerHello + CCS + application data,
 *            FIN/ACK both ways, ACK), 35% HTTP/1.1 (the same TCP shape, a GET with Host and a
 *            200 response with a body), 20% DNS over UDP 53 (an A query and its answer). Correct
 *            TCP sequence/ack numbers and TCP/UDP checksums. Every flow is complete: --packets is
 *            an upper bound (a flow that would not fit is not started).
 *
 * Names (payload mix): with probability --blocked-ratio (default 0.1) a flow's name is drawn
 * uniformly from --names FILE (one per line; blank and # lines ignored), otherwise it is made up
 * as PREFIX.WORDWORDNUMBER.TLD where TLD is the first of invalid, test, localhost, lan, internal
 * that is not the last label of any listed name: a made-up name then can neither equal nor be a
 * subdomain of a listed one. Without --names every name is made up (TLD invalid).
 *
 * --payload-out FILE writes, for each packet with a TCP or UDP payload (in every mix; in l34/imix
 * the padding bytes are the payload), a record: uint32 little-endian length, then those bytes.
 * A summary of the payload mix goes to stderr.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INSIDE_BASE  (175u << 24 | 45u << 16 | 176u << 8)
#define OUTSIDE_BASE (198u << 24 | 51u << 16)
#define NAME_MAX_LEN 253
#define MSG_MAX	     1460 /* one segment's payload: every message fits one frame of 1514 */
#define PORT_SPAN    64512

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

static uint64_t below(struct rng *r, uint64_t n)
{
	return next(r) % n;
}

/* Uniform in [0, 1). */
static double unit(struct rng *r)
{
	return (double)(next(r) >> 11) * 0x1p-53;
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

/* ---- options and output ---- */

enum mix { MIX_L34, MIX_IMIX, MIX_NEW, MIX_PAYLOAD };

struct opts {
	const char *out, *names, *payload_out;
	unsigned long packets, nflows, inside, outside, size;
	enum mix mix;
	double ratio;
	int ratio_set;
};

struct sink {
	FILE *pcap, *pay;
	uint64_t t; /* microseconds */
};

/* The TCP/UDP payload of a frame this file built: offset and length within b (0: none). */
static size_t l4_payload(const uint8_t *b, size_t len, size_t *off)
{
	const uint8_t *ip = b + 14;
	size_t end = 14 + ((size_t)ip[2] << 8 | ip[3]), l4 = 14 + (size_t)(ip[0] & 15) * 4;
	if (end > len || l4 + 20 > end || (ip[9] != 6 && ip[9] != 17))
		return 0;
	size_t h = ip[9] == 6 ? (size_t)(b[l4 + 12] >> 4) * 4 : 8;
	if (l4 + h > end)
		return 0;
	*off = l4 + h;
	return end - *off;
}

/* Writes a frame, its timestamp a random 1-200 us after the previous one. */
static void emit(struct sink *s, struct rng *r, const uint8_t *b, size_t len)
{
	s->t += 1 + next(r) % 200; /* microseconds */
	uint32_t rec[4] = {(uint32_t)(s->t / 1000000), (uint32_t)(s->t % 1000000), (uint32_t)len,
			   (uint32_t)len};
	fwrite(rec, sizeof(rec), 1, s->pcap);
	fwrite(b, len, 1, s->pcap);
	size_t off, n;
	if (s->pay != NULL && (n = l4_payload(b, len, &off)) > 0) {
		uint8_t le[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16),
				 (uint8_t)(n >> 24)};
		fwrite(le, sizeof(le), 1, s->pay);
		fwrite(b + off, n, 1, s->pay);
	}
}

/* ---- l34 and imix ---- */

static size_t imix_size(struct rng *r)
{
	uint64_t k = below(r, 12); /* 7:4:1 */
	return k < 7 ? 64 : (k < 11 ? 576 : 1514);
}

/* The l34 flows; sizes NULL: every frame o->size bytes, else IMIX sizes drawn from sizes. */
static void run_l34(struct sink *s, struct rng *r, const struct opts *o, struct rng *sizes)
{
	struct flow *fl = calloc(o->nflows, sizeof(*fl));
	if (fl == NULL) {
		fprintf(stderr, "cp-gen: out of memory\n");
		exit(1);
	}
	for (unsigned long i = 0; i < o->nflows; i++) {
		fl[i].in = INSIDE_BASE + (uint32_t)(next(r) % o->inside);
		fl[i].out = OUTSIDE_BASE + (uint32_t)(next(r) % o->outside);
		fl[i].proto = next(r) % 4 == 0 ? 17 : 6;
		fl[i].sport = (uint16_t)(1024 + next(r) % 60000);
		fl[i].dport = fl[i].proto == 17 ? 53 : (next(r) % 2 ? 443 : 80);
		fl[i].seq_in = (uint32_t)next(r);
		fl[i].seq_out = (uint32_t)next(r);
	}
	uint8_t b[1600];
	for (unsigned long n = 0; n < o->packets; n++) {
		struct flow *x = &fl[next(r) % o->nflows];
		int outbound;
		uint8_t flags;
		if (x->proto == 17) {
			outbound = x->step % 2 == 0;
			flags = 0;
		} else {
			static const uint8_t fl_seq[] = {0x02, 0x12, 0x10};
			outbound = x->step == 1 ? 0 : (x->step < 3 ? 1 : (int)(next(r) % 2));
			flags = x->step < 3 ? fl_seq[x->step] : 0x18;
		}
		size_t len = frame(b, x, outbound, flags, sizes ? imix_size(sizes) : o->size);
		x->step++;
		if (x->proto == 6 && x->step > 2)
			*(outbound ? &x->seq_in : &x->seq_out) += (uint32_t)(len - 54);
		emit(s, r, b, len);
	}
	free(fl);
}

/* ---- fresh 5-tuples ---- */

struct ports {
	uint16_t *next; /* per inside host: the next source port, minus 1024 */
};

static int ports_init(struct ports *p, struct rng *r, unsigned long inside)
{
	p->next = calloc(inside, sizeof(*p->next));
	if (p->next == NULL)
		return -1;
	for (unsigned long i = 0; i < inside; i++)
		p->next[i] = (uint16_t)below(r, PORT_SPAN);
	return 0;
}

static uint16_t ports_take(struct ports *p, uint32_t host)
{
	uint16_t v = p->next[host];
	p->next[host] = (uint16_t)((v + 1u) % PORT_SPAN);
	return (uint16_t)(1024 + v);
}

/* A new flow's addresses and ports: a random inside host, a fresh source port, a random outside
 * host; proto 6 or 17. */
static void fresh_flow(struct flow *f, struct rng *r, const struct opts *o, struct ports *p,
		       uint8_t proto, uint16_t dport)
{
	uint32_t h = (uint32_t)below(r, o->inside);
	memset(f, 0, sizeof(*f));
	f->in = INSIDE_BASE + h;
	f->out = OUTSIDE_BASE + (uint32_t)below(r, o->outside);
	f->proto = proto;
	f->sport = ports_take(p, h);
	f->dport = dport;
	f->seq_in = (uint32_t)next(r);
	f->seq_out = (uint32_t)next(r);
}

static void run_new(struct sink *s, struct rng *r, const struct opts *o, struct ports *p)
{
	uint8_t b[64];
	for (unsigned long n = 0; n < o->packets; n++) {
		struct flow f;
		int udp = below(r, 4) == 0;
		uint16_t dport = udp ? 53 : (below(r, 2) ? 443 : 80);
		fresh_flow(&f, r, o, p, udp ? 17 : 6, dport);
		emit(s, r, b, frame(b, &f, 1, udp ? 0 : 0x02, 64));
	}
}

/* ---- a bounded write buffer for application messages ---- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int overflow;
};

static void w_bytes(struct wbuf *w, const void *v, size_t n)
{
	if (n > w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void w_u8(struct wbuf *w, unsigned v)
{
	uint8_t b = (uint8_t)v;
	w_bytes(w, &b, 1);
}

static void w_u16(struct wbuf *w, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	w_bytes(w, b, 2);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	w_u16(w, v >> 16);
	w_u16(w, v & 0xffff);
}

static void w_rand(struct wbuf *w, struct rng *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w_u8(w, (unsigned)next(r));
}

static void w_str(struct wbuf *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

static void w_printf(struct wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void w_printf(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf((char *)w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len)
		w->overflow = 1;
	else
		w->len += (size_t)n;
}

/* A length field of width bytes to be filled in by w_patch once what it covers is written. */
static size_t w_mark(struct wbuf *w, unsigned width)
{
	size_t at = w->len;
	for (unsigned i = 0; i < width; i++)
		w_u8(w, 0);
	return at;
}

static void w_patch(struct wbuf *w, size_t at, unsigned width)
{
	if (w->overflow)
		return;
	size_t v = w->len - at - width;
	for (unsigned i = 0; i < width; i++)
		w->p[at + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

/* ---- words, names ---- */

static const char *const words[] = {
    "amber",   "birch",	  "cobalt",  "delta",  "ember",	  "fjord",   "garnet",	"harbor",
    "indigo",  "juniper", "kelp",    "lumen",  "maple",	  "nectar",  "onyx",	"pepper",
    "quartz",  "raven",	  "saffron", "tundra", "umber",	  "velvet",  "willow",	"xenon",
    "yarrow",  "zephyr",  "acorn",   "basalt", "cedar",	  "dune",    "estuary", "fennel",
    "glacier", "heron",	  "iris",    "jasper", "kestrel", "lagoon",  "meadow",	"nimbus",
    "orchid",  "prairie", "quill",   "reef",   "sierra",  "thistle", "upland",	"vortex",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *word(struct rng *r)
{
	return words[below(r, NWORDS)];
}

struct names {
	char **v;
	size_t n;
	const char *tld; /* made-up names end in it; no listed name does */
};

/* A host name: labels of [A-Za-z0-9_-], 1-63 bytes each, 253 bytes at most. */
static int valid_name(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_') {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

static const char *last_label(const char *s)
{
	const char *d = strrchr(s, '.');
	return d ? d + 1 : s;
}

/* The first candidate TLD that is the last label of no listed name, or NULL. */
static const char *pick_tld(const struct names *nm)
{
	static const char *const tlds[] = {"invalid", "test", "localhost", "lan", "internal"};
	for (size_t t = 0; t < sizeof(tlds) / sizeof(tlds[0]); t++) {
		size_t i = 0;
		while (i < nm->n && strcasecmp(last_label(nm->v[i]), tlds[t]) != 0)
			i++;
		if (i == nm->n)
			return tlds[t];
	}
	return NULL;
}

static int names_add(struct names *nm, size_t *cap, const char *s)
{
	if (nm->n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		char **v = realloc(nm->v, c * sizeof(*v));
		if (v == NULL)
			return -1;
		nm->v = v;
		*cap = c;
	}
	if ((nm->v[nm->n] = strdup(s)) == NULL)
		return -1;
	nm->n++;
	return 0;
}

/* Reads FILE: one name a line, surrounding blanks and one trailing dot dropped; blank and #
 * lines ignored. Returns 0, or -1 after a message. */
static int names_load(struct names *nm, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cp-gen: cannot read %s\n", path);
		return -1;
	}
	char *line = NULL;
	size_t lcap = 0, cap = 0, lineno = 0;
	ssize_t got;
	int rc = 0;
	while (rc == 0 && (got = getline(&line, &lcap, f)) != -1) {
		lineno++;
		char *s = line, *e = line + got;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e > s && e[-1] == '.')
			e--;
		*e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (!valid_name(s)) {
			fprintf(stderr, "cp-gen: %s:%zu: not a host name\n", path, lineno);
			rc = -1;
		} else if (names_add(nm, &cap, s) != 0) {
			fprintf(stderr, "cp-gen: out of memory\n");
			rc = -1;
		}
	}
	free(line);
	fclose(f);
	if (rc == 0 && nm->n == 0) {
		fprintf(stderr, "cp-gen: %s: no names\n", path);
		rc = -1;
	}
	return rc;
}

/* A flow's name into out (NAME_MAX_LEN + 1 bytes); returns whether it was a listed one. */
static int pick_name(const struct names *nm, double ratio, struct rng *r, char *out)
{
	static const char *const prefixes[] = {"www", "cdn", "api", "static", "img", "m"};
	if (nm->n > 0 && unit(r) < ratio) {
		snprintf(out, NAME_MAX_LEN + 1, "%s", nm->v[below(r, nm->n)]);
		return 1;
	}
	const char *p = prefixes[below(r, sizeof(prefixes) / sizeof(prefixes[0]))];
	const char *a = word(r), *b = word(r);
	snprintf(out, NAME_MAX_LEN + 1, "%s.%s%s%u.%s", p, a, b, (unsigned)below(r, 1000), nm->tld);
	return 0;
}

/* ---- TLS ---- */

static unsigned grease(struct rng *r)
{
	unsigned k = (unsigned)below(r, 16);
	return k << 12 | 0xa00 | k << 4 | 0xa;
}

static void tls_ext_sni(struct wbuf *w, const char *name)
{
	size_t n = strlen(name);
	w_u16(w, 0x0000);
	w_u16(w, (unsigned)(n + 5));
	w_u16(w, (unsigned)(n + 3));
	w_u8(w, 0); /* host_name */
	w_u16(w, (unsigned)n);
	w_str(w, name);
}

static void tls_ext_alpn(struct wbuf *w)
{
	w_u16(w, 0x0010);
	size_t ext = w_mark(w, 2), list = w_mark(w, 2);
	w_u8(w, 2);
	w_str(w, "h2");
	w_u8(w, 8);
	w_str(w, "http/1.1");
	w_patch(w, list, 2);
	w_patch(w, ext, 2);
}

static void tls_ext_u16_list(struct wbuf *w, unsigned type, const uint16_t *v, size_t n)
{
	w_u16(w, type);
	w_u16(w, (unsigned)(2 + 2 * n));
	w_u16(w, (unsigned)(2 * n));
	for (size_t i = 0; i < n; i++)
		w_u16(w, v[i]);
}

static void tls_ext_key_share(struct wbuf *w, struct rng *r, unsigned grease_group)
{
	w_u16(w, 0x0033);
	size_t ext = w_mark(w, 2), list = w_mark(w, 2);
	w_u16(w, grease_group);
	w_u16(w, 1);
	w_u8(w, 0);
	w_u16(w, 0x001d); /* x25519 */
	w_u16(w, 32);
	w_rand(w, r, 32);
	w_patch(w, list, 2);
	w_patch(w, ext, 2);
}

/* A browser-like ClientHello in one TLS 1.2-framed record: GREASE, SNI, ALPN, key_share,
 * supported_versions, padded to a 512-byte handshake message when shorter (as BoringSSL does). */
static void tls_client_hello(struct wbuf *w, struct rng *r, const char *name)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					  0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
					  0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
	static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
					   0x0805, 0x0501, 0x0806, 0x0601};
	unsigned g_suite = grease(r), g_ext1 = grease(r), g_group = grease(r);
	unsigned g_ver = grease(r), g_ext2 = grease(r) ^ 0x1010; /* differs from g_ext1 */
	uint16_t groups[] = {(uint16_t)g_group, 0x001d, 0x0017, 0x0018};

	w_u8(w, 0x16);
	w_u16(w, 0x0301);
	size_t rec = w_mark(w, 2), hs_start = w->len;
	w_u8(w, 0x01);
	size_t hs = w_mark(w, 3);
	w_u16(w, 0x0303);
	w_rand(w, r, 32);
	w_u8(w, 32);
	w_rand(w, r, 32);
	w_u16(w, (unsigned)(2 + 2 * (sizeof(suites) / sizeof(suites[0]))));
	w_u16(w, g_suite);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		w_u16(w, suites[i]);
	w_u8(w, 1);
	w_u8(w, 0);
	size_t exts = w_mark(w, 2);
	w_u16(w, g_ext1);
	w_u16(w, 0);
	tls_ext_sni(w, name);
	w_bytes(w, "\x00\x17\x00\x00", 4);	   /* extended_master_secret */
	w_bytes(w, "\xff\x01\x00\x01\x00", 5);	   /* renegotiation_info */
	tls_ext_u16_list(w, 0x000a, groups, 4);	   /* supported_groups */
	w_bytes(w, "\x00\x0b\x00\x02\x01\x00", 6); /* ec_point_formats */
	w_bytes(w, "\x00\x23\x00\x00", 4);	   /* session_ticket */
	tls_ext_alpn(w);
	w_bytes(w, "\x00\x05\x00\x05\x01\x00\x00\x00\x00", 9); /* status_request */
	tls_ext_u16_list(w, 0x000d, sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]));
	tls_ext_key_share(w, r, g_group);
	w_bytes(w, "\x00\x2d\x00\x02\x01\x01", 6); /* psk_key_exchange_modes */
	w_u16(w, 0x002b);			   /* supported_versions */
	w_u16(w, 7);
	w_u8(w, 6);
	w_u16(w, g_ver);
	w_u16(w, 0x0304);
	w_u16(w, 0x0303);
	w_u16(w, g_ext2);
	w_u16(w, 1);
	w_u8(w, 0);
	size_t so_far = w->len - hs_start;
	if (so_far + 4 < 512) {
		size_t pad = 512 - so_far - 4;
		w_u16(w, 0x0015);
		w_u16(w, (unsigned)pad);
		for (size_t i = 0; i < pad; i++)
			w_u8(w, 0);
	}
	w_patch(w, exts, 2);
	w_patch(w, hs, 3);
	w_patch(w, rec, 2);
}

/* The server's first flight as TLS 1.3 sends it: ServerHello, ChangeCipherSpec, then encrypted
 * handshake messages (random bytes in an application_data record). */
static void tls_server_flight(struct wbuf *w, struct rng *r)
{
	w_u8(w, 0x16);
	w_u16(w, 0x0303);
	size_t rec = w_mark(w, 2);
	w_u8(w, 0x02);
	size_t hs = w_mark(w, 3);
	w_u16(w, 0x0303);
	w_rand(w, r, 32);
	w_u8(w, 32);
	w_rand(w, r, 32);
	w_u16(w, 0x1301);
	w_u8(w, 0);
	size_t exts = w_mark(w, 2);
	w_bytes(w, "\x00\x2b\x00\x02\x03\x04", 6); /* supported_versions: TLS 1.3 */
	w_bytes(w, "\x00\x33\x00\x24\x00\x1d\x00\x20", 8);
	w_rand(w, r, 32);
	w_patch(w, exts, 2);
	w_patch(w, hs, 3);
	w_patch(w, rec, 2);
	w_bytes(w, "\x14\x03\x03\x00\x01\x01", 6);
	size_t n = 500 + (size_t)below(r, 600);
	w_u8(w, 0x17);
	w_u16(w, 0x0303);
	w_u16(w, (unsigned)n);
	w_rand(w, r, n);
}

/* ---- HTTP ---- */

static void http_request(struct wbuf *w, struct rng *r, const char *name)
{
	static const char *const agents[] = {
	    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
	    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	    "Chrome/119.0.0.0 Safari/537.36",
	    "curl/8.4.0",
	};
	char path[96];
	switch (below(r, 4)) {
	case 0:
		snprintf(path, sizeof(path), "/");
		break;
	case 1:
		snprintf(path, sizeof(path), "/%s/%s.html", word(r), word(r));
		break;
	case 2:
		snprintf(path, sizeof(path), "/search?q=%s+%s", word(r), word(r));
		break;
	default:
		snprintf(path, sizeof(path), "/static/%s-%u.js", word(r), (unsigned)below(r, 100));
	}
	w_printf(w,
		 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
		 "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
		 "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n"
		 "Connection: keep-alive\r\n\r\n",
		 path, name, agents[below(r, sizeof(agents) / sizeof(agents[0]))]);
}

static void http_response(struct wbuf *w, struct rng *r)
{
	char body[800];
	struct wbuf bw = {(uint8_t *)body, 0, sizeof(body), 0};
	size_t target = 200 + (size_t)below(r, 500);
	w_printf(&bw, "<!doctype html>\n<html><head><title>%s %s</title></head><body>\n<p>",
		 word(r), word(r));
	while (bw.len < target)
		w_printf(&bw, "%s ", word(r));
	w_printf(&bw, "</p>\n</body></html>\n");
	w_printf(w,
		 "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
		 "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n"
		 "Cache-Control: max-age=300\r\nConnection: keep-alive\r\n\r\n",
		 bw.len);
	w_bytes(w, body, bw.len);
	w->overflow |= bw.overflow;
}

/* ---- DNS ---- */

static void dns_qname(struct wbuf *w, const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");
		w_u8(w, (unsigned)n);
		w_bytes(w, name, n);
		name += n + (name[n] == '.');
	}
	w_u8(w, 0);
}

/* An A query with an EDNS0 OPT record, as stub resolvers send it. */
static void dns_query(struct wbuf *w, uint16_t id, const char *name)
{
	w_u16(w, id);
	w_bytes(w, "\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01",
		10); /* RD; 1 question, 1 additional */
	dns_qname(w, name);
	w_bytes(w, "\x00\x01\x00\x01", 4);				/* A, IN */
	w_bytes(w, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11); /* OPT, 1232 bytes */
}

static void dns_response(struct wbuf *w, uint16_t id, const char *name, uint32_t addr)
{
	w_u16(w, id);
	w_bytes(w, "\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00",
		10); /* QR RD RA; 1 question, 1 answer */
	dns_qname(w, name);
	w_bytes(w, "\x00\x01\x00\x01", 4);
	w_bytes(w, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04", 12); /* name ptr, TTL 300 */
	w_u32(w, addr);
}

/* ---- TCP/UDP packets with payloads and checksums ---- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A frame of flow f carrying data (TCP: seq/ack from f, MSS/SACK/window-scale options on SYNs;
 * UDP otherwise), valid IPv4/TCP/UDP checksums, padded to the 60-byte Ethernet minimum. */
static size_t packet(uint8_t *b, const struct flow *f, int outbound, uint8_t flags,
		     const uint8_t *data, size_t dlen, uint16_t ipid)
{
	static const uint8_t syn_opts[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
	int tcp = f->proto == 6;
	size_t l4 = tcp ? (flags & TH_SYN ? 32 : 20) : 8, len = 14 + 20 + l4 + dlen;
	size_t flen = len < 60 ? 60 : len;
	memset(b, 0, flen);
	memcpy(b, outbound ? "\x02\0\0\0\0\x02" : "\x02\0\0\0\0\x01", 6);
	memcpy(b + 6, outbound ? "\x02\0\0\0\0\x01" : "\x02\0\0\0\0\x02", 6);
	put16(b + 12, 0x0800);
	uint8_t *ip = b + 14, *l = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(len - 14));
	put16(ip + 4, ipid);
	ip[6] = tcp ? 0x40 : 0; /* DF */
	ip[8] = 64;
	ip[9] = f->proto;
	put32(ip + 12, outbound ? f->in : f->out);
	put32(ip + 16, outbound ? f->out : f->in);
	put16(ip + 10, csum(ip, 20));
	put16(l, outbound ? f->sport : f->dport);
	put16(l + 2, outbound ? f->dport : f->sport);
	if (tcp) {
		put32(l + 4, outbound ? f->seq_in : f->seq_out);
		put32(l + 8, flags & TH_ACK ? (outbound ? f->seq_out : f->seq_in) : 0);
		l[12] = (uint8_t)(l4 / 4 << 4);
		l[13] = flags;
		put16(l + 14, flags & TH_SYN ? 64240 : 502);
		if (flags & TH_SYN)
			memcpy(l + 20, syn_opts, sizeof(syn_opts));
	} else {
		put16(l + 4, (uint16_t)(l4 + dlen));
	}
	if (dlen > 0)
		memcpy(l + l4, data, dlen);
	uint32_t s = sum16(f->proto + (uint32_t)(l4 + dlen), ip + 12, 8);
	uint16_t ck = fold(sum16(s, l, l4 + dlen));
	put16(l + (tcp ? 16 : 6), tcp || ck != 0 ? ck : 0xffff);
	return flen;
}

/* ---- application flows (payload mix) ---- */

enum kind { K_TLS, K_HTTP, K_DNS };

struct app {
	struct flow f; /* seq_in: the client's next sequence number, seq_out the server's */
	enum kind kind;
	unsigned nsteps;
	uint16_t dns_id;
	char name[NAME_MAX_LEN + 1];
};

struct gen {
	const struct opts *o;
	struct names names;
	struct ports ports;
	uint16_t ipid;
	unsigned long kinds[3], listed;
};

/* A TCP application flow: handshake, one request, one response, FIN/ACK both ways, last ACK. */
static const struct {
	uint8_t outbound, flags, msg; /* msg 1: the request, 2: the response */
} tcp_steps[] = {
    {1, TH_SYN, 0},	     {0, TH_SYN | TH_ACK, 0}, {1, TH_ACK, 0},
    {1, TH_PSH | TH_ACK, 1}, {0, TH_PSH | TH_ACK, 2}, {1, TH_FIN | TH_ACK, 0},
    {0, TH_FIN | TH_ACK, 0}, {1, TH_ACK, 0},
};
#define TCP_STEPS (sizeof(tcp_steps) / sizeof(tcp_steps[0]))

/* Draws a new flow into a; admits it when its packets fit in room (returns 1), else 0. */
static int app_admit(struct app *a, struct gen *g, struct rng *r, uint64_t room)
{
	static const uint16_t dports[] = {443, 80, 53};
	uint64_t k = below(r, 100); /* 45% TLS, 35% HTTP, 20% DNS */
	a->kind = k < 45 ? K_TLS : (k < 80 ? K_HTTP : K_DNS);
	fresh_flow(&a->f, r, g->o, &g->ports, a->kind == K_DNS ? 17 : 6, dports[a->kind]);
	a->nsteps = a->kind == K_DNS ? 2 : TCP_STEPS;
	a->dns_id = (uint16_t)next(r);
	int listed = pick_name(&g->names, g->o->ratio, r, a->name);
	if (a->nsteps > room)
		return 0;
	g->kinds[a->kind]++;
	g->listed += (unsigned long)listed;
	return 1;
}

/* The message flow a sends at its current step (none: w stays empty); sets direction, flags. */
static void app_message(struct wbuf *w, const struct app *a, struct rng *r, int *outbound,
			uint8_t *flags)
{
	if (a->kind == K_DNS) {
		*outbound = a->f.step == 0;
		*flags = 0;
		if (*outbound)
			dns_query(w, a->dns_id, a->name);
		else /* an answer in 198.18.0.0/15 */
			dns_response(w, a->dns_id, a->name,
				     (198u << 24 | 18u << 16) + (uint32_t)below(r, 1u << 17));
		return;
	}
	*outbound = tcp_steps[a->f.step].outbound;
	*flags = tcp_steps[a->f.step].flags;
	if (tcp_steps[a->f.step].msg == 1 && a->kind == K_TLS)
		tls_client_hello(w, r, a->name);
	else if (tcp_steps[a->f.step].msg == 1)
		http_request(w, r, a->name);
	else if (tcp_steps[a->f.step].msg == 2 && a->kind == K_TLS)
		tls_server_flight(w, r);
	else if (tcp_steps[a->f.step].msg == 2)
		http_response(w, r);
}

/* Builds flow a's next packet into b and steps the flow. Returns the frame's length. */
static size_t app_step(uint8_t *b, struct app *a, struct gen *g, struct rng *r)
{
	uint8_t msg[MSG_MAX];
	struct wbuf w = {msg, 0, sizeof(msg), 0};
	int outbound;
	uint8_t flags;
	app_message(&w, a, r, &outbound, &flags);
	if (w.overflow) {
		fprintf(stderr, "cp-gen: internal error: a message does not fit a frame\n");
		exit(1);
	}
	size_t len = packet(b, &a->f, outbound, flags, msg, w.len, g->ipid++);
	if (a->f.proto == 6)
		*(outbound ? &a->f.seq_in : &a->f.seq_out) +=
		    (uint32_t)w.len + ((flags & (TH_SYN | TH_FIN)) != 0);
	a->f.step++;
	return len;
}

/* Up to --flows flows in progress; each packet comes from one of them drawn at random; a finished
 * flow is replaced by a new one while its packets fit within --packets. */
static void run_payload(struct sink *s, struct rng *r, struct gen *g)
{
	const struct opts *o = g->o;
	struct app *a = calloc(o->nflows, sizeof(*a));
	if (a == NULL) {
		fprintf(stderr, "cp-gen: out of memory\n");
		exit(1);
	}
	uint64_t emitted = 0, pending = 0;
	size_t n = 0;
	int closed = 0;
	while (!closed && n < o->nflows) {
		closed = !app_admit(&a[n], g, r, o->packets - pending);
		if (!closed)
			pending += a[n++].nsteps;
	}
	uint8_t b[1600];
	while (n > 0) {
		struct app *x = &a[below(r, n)];
		emit(s, r, b, app_step(b, x, g, r));
		emitted++;
		pending--;
		if (x->f.step < x->nsteps)
			continue;
		if (!closed && app_admit(x, g, r, o->packets - emitted - pending)) {
			pending += x->nsteps;
			continue;
		}
		closed = 1;
		*x = a[--n];
	}
	free(a);
	fprintf(stderr,
		"cp-gen: payload mix: %llu packets, %lu flows (tls %lu, http %lu, dns %lu), "
		"%lu with a listed name\n",
		(unsigned long long)emitted, g->kinds[K_TLS] + g->kinds[K_HTTP] + g->kinds[K_DNS],
		g->kinds[K_TLS], g->kinds[K_HTTP], g->kinds[K_DNS], g->listed);
}

/* ---- main ---- */

static int parse_mix(const char *s, enum mix *m)
{
	static const char *const names[] = {"l34", "imix", "new", "payload"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*m = (enum mix)i;
			return 0;
		}
	return -1;
}

static int parse_ratio(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return end == s || *end != '\0' || !(*v >= 0 && *v <= 1) ? -1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: cp-gen --out F.pcap [--packets N] [--flows N] [--inside N] "
			"[--outside N] [--seed S] [--size BYTES]\n"
			"              [--mix l34|imix|new|payload] [--names FILE] "
			"[--blocked-ratio R] [--payload-out FILE]\n");
}

/* Returns 0, 1 (help/usage error: exit 2). */
static int parse_args(int argc, char **argv, struct opts *o, struct rng *r)
{
	static const struct option lo[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"packets", required_argument, NULL, 'p'},
	    {"flows", required_argument, NULL, 'f'},
	    {"inside", required_argument, NULL, 'i'},
	    {"outside", required_argument, NULL, 'x'},
	    {"seed", required_argument, NULL, 's'},
	    {"size", required_argument, NULL, 'z'},
	    {"mix", required_argument, NULL, 'm'},
	    {"names", required_argument, NULL, 'n'},
	    {"blocked-ratio", required_argument, NULL, 'b'},
	    {"payload-out", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'p':
			o->packets = v;
			break;
		case 'f':
			o->nflows = v ? v : 1;
			break;
		case 'i':
			o->inside = v ? (v > 1024 ? 1024 : v) : 1;
			break;
		case 'x':
			o->outside = v ? v : 1;
			break;
		case 's':
			r->s = v;
			break;
		case 'z':
			o->size = v > 1514 ? 1514 : v;
			break;
		case 'm':
			if (parse_mix(optarg, &o->mix) != 0) {
				fprintf(stderr, "cp-gen: --mix: l34, imix, new or payload\n");
				return 1;
			}
			break;
		case 'n':
			o->names = optarg;
			break;
		case 'b':
			if (parse_ratio(optarg, &o->ratio) != 0) {
				fprintf(stderr, "cp-gen: --blocked-ratio: a number from 0 to 1\n");
				return 1;
			}
			o->ratio_set = 1;
			break;
		case 'w':
			o->payload_out = optarg;
			break;
		default:
			usage();
			return 1;
		}
	}
	if (o->out == NULL) {
		fprintf(stderr, "cp-gen: --out is required\n");
		return 1;
	}
	if (o->mix != MIX_PAYLOAD && (o->names != NULL || o->ratio_set)) {
		fprintf(stderr, "cp-gen: --names and --blocked-ratio go with --mix payload\n");
		return 1;
	}
	return 0;
}

static int setup_names(struct names *nm, const char *path)
{
	if (path != NULL && names_load(nm, path) != 0)
		return -1;
	if ((nm->tld = pick_tld(nm)) == NULL) {
		fprintf(stderr, "cp-gen: %s: no TLD left for made-up names\n", path ? path : "-");
		return -1;
	}
	return 0;
}

static void names_free(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
}

int main(int argc, char **argv)
{
	struct opts o = {.packets = 100000,
			 .nflows = 1000,
			 .inside = 1000,
			 .outside = 10000,
			 .size = 64,
			 .mix = MIX_L34,
			 .ratio = 0.1};
	struct rng r = {42};
	if (parse_args(argc, argv, &o, &r) != 0)
		return 2;
	struct gen g = {.o = &o};
	if (o.mix == MIX_PAYLOAD && setup_names(&g.names, o.names) != 0)
		return 2;
	struct sink s = {.t = 1700000000ull * 1000000};
	s.pcap = fopen(o.out, "wb");
	if (s.pcap == NULL) {
		fprintf(stderr, "cp-gen: cannot write %s\n", o.out);
		return 1;
	}
	if (o.payload_out != NULL && (s.pay = fopen(o.payload_out, "wb")) == NULL) {
		fprintf(stderr, "cp-gen: cannot write %s\n", o.payload_out);
		return 1;
	}
	const uint32_t hdr[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, 1};
	fwrite(hdr, sizeof(hdr), 1, s.pcap);
	struct rng sizes = {r.s ^ 0x494d4958}; /* "IMIX": its own stream, so imix = l34's packets */
	if (o.mix == MIX_L34 || o.mix == MIX_IMIX) {
		run_l34(&s, &r, &o, o.mix == MIX_IMIX ? &sizes : NULL);
	} else if (ports_init(&g.ports, &r, o.inside) != 0) {
		fprintf(stderr, "cp-gen: out of memory\n");
		return 1;
	} else if (o.mix == MIX_NEW) {
		run_new(&s, &r, &o, &g.ports);
	} else {
		run_payload(&s, &r, &g);
	}
	free(g.ports.next);
	names_free(&g.names);
	int bad = fclose(s.pcap) != 0;
	if (s.pay != NULL)
		bad |= fclose(s.pay) != 0;
	return bad;
}
