/* Test driver for the payload name extractors (dataplane/extract.h): reads an Ethernet pcap,
 * parses each frame with cp_parse, reassembles each TCP direction's bytes in sequence order, and
 * prints "N sni NAME", "N host NAME", "N dns NAME" where N is the 1-based packet number at which
 * the extractor answered with the name (-v: also "N sni-none" etc. for the other answers).
 *
 * Where the extractors look, as a dataplane that follows a whole connection would:
 *  - sni: the start of each TCP direction, and the start of a CONNECT tunnel;
 *  - host: each request of a TCP direction (the driver frames requests itself: header block, then
 *    a Content-Length or chunked body, so that keep-alive and pipelined requests are seen too);
 *  - dns: UDP payloads to port 53, and each message of a TCP direction to port 53.
 * Both directions of a connection are offered to the extractors (which side is the client is not
 * their business; a server's bytes give NOT_THIS). IP fragments are not reassembled. Test tool,
 * not hot path: streams are kept whole in growing buffers (up to STREAM_MAX bytes each). */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"
#include "parse.h"

#define STREAM_MAX (4u << 20)
#define FLOWS_MAX  65536
#define SLOTS	   (2 * FLOWS_MAX)
#define DNS_PORT   53
#define OOO_MAX	   8

enum ext_state { ST_TRY = 0, ST_DONE };

struct seg {
	uint32_t seq;
	uint32_t len;
	uint8_t *data;
};

/* One direction of a TCP connection. */
struct dir {
	uint8_t src[16], dst[16];
	uint16_t sport, dport, vlan[2];
	uint8_t l3;
	bool started;
	uint32_t isn, next;
	uint8_t *buf;
	size_t len, cap;
	struct seg ooo[OOO_MAX]; /* segments that arrived ahead of a gap */
	/* the extractors' positions in buf */
	size_t sni_off, http_off, dns_off;
	uint8_t sni_st, http_st, dns_st;
	bool http_told; /* the request at http_off has been reported */
};

static struct dir *dirs;
static uint32_t *slots; /* index into dirs + 1; 0 = free */
static size_t n_dirs;
static bool verbose;

static void report(uint64_t n, const char *kind, enum cp_ext r, const char *name)
{
	if (r == CP_EXT_FOUND)
		printf("%" PRIu64 " %s %s\n", n, kind, name);
	else if (verbose)
		printf("%" PRIu64 " %s-%s\n", n, kind, cp_ext_str(r));
}

static bool dir_is(const struct dir *d, const struct cp_pkt *p)
{
	return d->l3 == p->l3 && d->sport == p->sport && d->dport == p->dport &&
	       d->vlan[0] == p->vlan[0] && d->vlan[1] == p->vlan[1] &&
	       !memcmp(d->src, p->src, 16) && !memcmp(d->dst, p->dst, 16);
}

static uint32_t dir_hash(const struct cp_pkt *p)
{
	uint32_t h = 2166136261u;
	uint8_t key[40];

	memcpy(key, p->src, 16);
	memcpy(key + 16, p->dst, 16);
	memcpy(key + 32, &p->sport, 2);
	memcpy(key + 34, &p->dport, 2);
	memcpy(key + 36, p->vlan, 4);
	for (size_t i = 0; i < sizeof(key); i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* The direction of p, found in (or added to) an open-addressing index of dirs. */
static struct dir *dir_of(const struct cp_pkt *p)
{
	uint32_t slot = dir_hash(p) % SLOTS;
	struct dir *d;

	while (slots[slot]) {
		d = &dirs[slots[slot] - 1];
		if (dir_is(d, p))
			return d;
		slot = (slot + 1) % SLOTS;
	}
	if (n_dirs == FLOWS_MAX)
		return NULL;
	d = &dirs[n_dirs++];
	slots[slot] = (uint32_t)n_dirs;
	memset(d, 0, sizeof(*d));
	memcpy(d->src, p->src, 16);
	memcpy(d->dst, p->dst, 16);
	d->sport = p->sport;
	d->dport = p->dport;
	d->vlan[0] = p->vlan[0];
	d->vlan[1] = p->vlan[1];
	d->l3 = p->l3;
	return d;
}

static void dir_reset(struct dir *d)
{
	for (int i = 0; i < OOO_MAX; i++) {
		free(d->ooo[i].data);
		d->ooo[i].data = NULL;
	}
	d->len = 0;
	d->sni_off = d->http_off = d->dns_off = 0;
	d->sni_st = d->http_st = d->dns_st = ST_TRY;
	d->http_told = false;
	d->started = false;
}

static void append(struct dir *d, const uint8_t *b, size_t n)
{
	if (d->len + n > STREAM_MAX)
		n = STREAM_MAX - d->len;
	if (d->len + n > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;

		while (cap < d->len + n)
			cap *= 2;
		d->buf = realloc(d->buf, cap);
		if (!d->buf) {
			perror("realloc");
			exit(2);
		}
		d->cap = cap;
	}
	memcpy(d->buf + d->len, b, n);
	d->len += n;
}

/* Add the bytes of a segment that starts at seq; returns true when in-order bytes were added. */
static bool add_segment(struct dir *d, uint32_t seq, const uint8_t *b, uint32_t n)
{
	int32_t rel = (int32_t)(seq - d->next);

	if (n == 0)
		return false;
	if (rel > 0) { /* ahead of a gap: keep it for later */
		for (int i = 0; i < OOO_MAX; i++)
			if (!d->ooo[i].data) {
				d->ooo[i].data = malloc(n);
				if (!d->ooo[i].data)
					exit(2);
				memcpy(d->ooo[i].data, b, n);
				d->ooo[i].seq = seq;
				d->ooo[i].len = n;
				break;
			}
		return false;
	}
	if ((uint32_t)-rel >= n)
		return false; /* all old */
	append(d, b + (uint32_t)-rel, n - (uint32_t)-rel);
	d->next += n - (uint32_t)-rel;
	return true;
}

static void fill_gaps(struct dir *d)
{
	bool again = true;

	while (again) {
		again = false;
		for (int i = 0; i < OOO_MAX; i++) {
			struct seg *s = &d->ooo[i];

			if (!s->data || (int32_t)(s->seq - d->next) > 0)
				continue;
			add_segment(d, s->seq, s->data, s->len);
			free(s->data);
			s->data = NULL;
			again = true;
		}
	}
}

/* --- HTTP request framing (the driver's own, to find where the next request starts) ---------- */

/* End of the header block of the request at b[0..n): offset past its empty line, or 0. */
static size_t header_end(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && (b[i] == '\r' || b[i] == '\n'))
		i++;
	for (; i < n; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < n && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The value of header field fname in the block b[0..n), or NULL. */
static const uint8_t *field(const uint8_t *b, size_t n, const char *fname, size_t *vlen)
{
	size_t fl = strlen(fname);

	for (size_t i = 0; i < n; i++) {
		if ((i == 0 || b[i - 1] != '\n') || n - i < fl + 1)
			continue;
		if (strncasecmp((const char *)b + i, fname, fl) != 0 || b[i + fl] != ':')
			continue;
		size_t s = i + fl + 1, e = s;

		while (e < n && b[e] != '\r' && b[e] != '\n')
			e++;
		while (s < e && (b[s] == ' ' || b[s] == '\t'))
			s++;
		*vlen = e - s;
		return b + s;
	}
	return NULL;
}

/* Length of a chunked body at b[0..n), or 0 when it has not all arrived (or is broken: *bad). */
static size_t chunked_len(const uint8_t *b, size_t n, bool *bad)
{
	size_t i = 0;

	for (;;) {
		size_t size = 0, digits = 0;

		while (i < n) {
			int c = b[i];
			int v = (c >= '0' && c <= '9')	 ? c - '0'
				: (c >= 'a' && c <= 'f') ? c - 'a' + 10
				: (c >= 'A' && c <= 'F') ? c - 'A' + 10
							 : -1;

			if (v < 0)
				break;
			if (++digits > 8) {
				*bad = true;
				return 0;
			}
			size = size * 16 + (size_t)v;
			i++;
		}
		while (i < n && b[i] != '\n')
			i++; /* chunk extensions */
		if (i >= n)
			return 0;
		i++;
		if (digits == 0) {
			*bad = true;
			return 0;
		}
		if (size == 0) { /* trailers, then an empty line */
			for (;;) {
				size_t s = i;

				while (i < n && b[i] != '\n')
					i++;
				if (i >= n)
					return 0;
				i++;
				if (i - s <= 2)
					return i;
			}
		}
		if (n - i < size)
			return 0;
		i += size;
		while (i < n && b[i] != '\n')
			i++;
		if (i >= n)
			return 0;
		i++;
	}
}

/* Where the request at buf[off..len) ends (header block and body): 0 when unknown yet; *stop when
 * it can never be known (no framing, or a tunnel: *tunnel). */
static size_t request_end(const struct dir *d, size_t off, bool *stop, bool *tunnel)
{
	const uint8_t *b = d->buf + off;
	size_t n = d->len - off, he = header_end(b, n), vlen;
	const uint8_t *v;

	if (he == 0) {
		*stop = n >= CP_EXT_HTTP_MAX;
		return 0;
	}
	while (he > 0 && (b[0] == '\r' || b[0] == '\n')) {
		b++;
		n--;
		he--;
		off++;
	}
	if (n >= 8 && memcmp(b, "CONNECT ", 8) == 0) {
		*tunnel = true;
		return off + he;
	}
	if (field(b, he, "Upgrade", &vlen)) {
		*stop = true; /* the connection may switch protocols */
		return 0;
	}
	if ((v = field(b, he, "Transfer-Encoding", &vlen))) {
		bool bad = false;
		size_t cl = chunked_len(b + he, n - he, &bad);

		if (bad || vlen < 7 || strncasecmp((const char *)v + vlen - 7, "chunked", 7) != 0)
			*stop = true;
		return cl ? off + he + cl : 0;
	}
	if ((v = field(b, he, "Content-Length", &vlen))) {
		size_t cl = 0;

		for (size_t i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9' || cl > STREAM_MAX) {
				*stop = true;
				return 0;
			}
			cl = cl * 10 + (size_t)(v[i] - '0');
		}
		return off + he + cl;
	}
	return off + he;
}

/* --- running the extractors ---------------------------------------------------------------------
 */

static void run_sni(struct dir *d, uint64_t n)
{
	char name[CP_EXT_NAME_CAP];
	size_t nlen;
	enum cp_ext r;

	if (d->sni_st != ST_TRY || d->sni_off >= d->len)
		return;
	r = cp_extract_sni(d->buf + d->sni_off, d->len - d->sni_off, name, sizeof(name), &nlen);
	if (r == CP_EXT_MORE)
		return;
	d->sni_st = ST_DONE;
	if (r != CP_EXT_NOT_THIS || verbose)
		report(n, "sni", r, name);
}

static void run_http(struct dir *d, uint64_t n)
{
	char name[CP_EXT_NAME_CAP];
	size_t nlen;

	while (d->http_st == ST_TRY && d->http_off < d->len) {
		enum cp_ext r = cp_extract_http_host(d->buf + d->http_off, d->len - d->http_off,
						     name, sizeof(name), &nlen);
		bool stop = false, tunnel = false;
		size_t end;

		if (r == CP_EXT_MORE)
			return;
		if (r == CP_EXT_NOT_THIS) {
			d->http_st = ST_DONE;
			return;
		}
		if (!d->http_told)
			report(n, "host", r, name);
		d->http_told = true;
		end = request_end(d, d->http_off, &stop, &tunnel);
		if (end == 0 && !stop)
			return; /* the body is not all in yet */
		if (stop || end == 0) {
			d->http_st = ST_DONE;
			return;
		}
		d->http_off = end;
		d->http_told = false;
		if (tunnel) { /* TLS (or anything) inside the tunnel */
			d->http_st = ST_DONE;
			d->sni_off = end;
			d->sni_st = ST_TRY;
		}
	}
}

static void run_dns_tcp(struct dir *d, uint64_t n)
{
	char name[CP_EXT_NAME_CAP];
	size_t nlen;

	while (d->dport == DNS_PORT && d->dns_st == ST_TRY && d->dns_off < d->len) {
		const uint8_t *m = d->buf + d->dns_off;
		size_t left = d->len - d->dns_off;
		enum cp_ext r = cp_extract_dns(m, left, true, name, sizeof(name), &nlen);

		if (r == CP_EXT_MORE)
			return;
		report(n, "dns", r, name);
		d->dns_off += 2 + (size_t)(m[0] << 8 | m[1]);
		if (r == CP_EXT_MALFORMED && (m[0] << 8 | m[1]) < 12)
			d->dns_st = ST_DONE;
	}
}

static void on_tcp(const struct cp_pkt *p, const uint8_t *frame, uint64_t n)
{
	struct dir *d = dir_of(p);
	uint32_t seq = p->seq;

	if (!d)
		return;
	if (p->tcp_flags & CP_TCP_SYN) {
		if (d->started && seq == d->isn)
			return; /* a retransmitted SYN */
		dir_reset(d);
		d->started = true;
		d->isn = seq;
		d->next = seq + 1;
		seq++;
	} else if (!d->started) {
		d->started = true; /* joined midstream */
		d->isn = seq - 1;
		d->next = seq;
	}
	if (!add_segment(d, seq, frame + p->payload_off, p->payload_len))
		return;
	fill_gaps(d);
	run_sni(d, n);
	run_http(d, n);
	run_dns_tcp(d, n);
}

static void on_udp(const struct cp_pkt *p, const uint8_t *frame, uint64_t n)
{
	char name[CP_EXT_NAME_CAP];
	size_t nlen;

	if (p->dport != DNS_PORT)
		return;
	report(n, "dns",
	       cp_extract_dns(frame + p->payload_off, p->payload_len, false, name, sizeof(name),
			      &nlen),
	       name);
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *frame;
	uint64_t n = 0;
	pcap_t *pc;
	int rc;

	if (argc == 3 && strcmp(argv[1], "-v") == 0) {
		verbose = true;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: extract-pcap [-v] FILE.pcap\n");
		return 2;
	}
	pc = pcap_open_offline(argv[1], err);
	if (!pc) {
		fprintf(stderr, "extract-pcap: %s\n", err);
		return 2;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "extract-pcap: %s: not an Ethernet capture\n", argv[1]);
		return 2;
	}
	dirs = calloc(FLOWS_MAX, sizeof(*dirs));
	slots = calloc(SLOTS, sizeof(*slots));
	if (!dirs || !slots)
		return 2;
	while ((rc = pcap_next_ex(pc, &h, &frame)) == 1) {
		struct cp_pkt p;

		n++;
		if (cp_parse(frame, h->caplen, &p) != CP_R_NONE || p.frag != CP_FRAG_NONE)
			continue;
		if (p.proto == 6)
			on_tcp(&p, frame, n);
		else if (p.proto == 17)
			on_udp(&p, frame, n);
	}
	if (rc == -1)
		fprintf(stderr, "extract-pcap: %s: %s\n", argv[1], pcap_geterr(pc));
	pcap_close(pc);
	for (size_t i = 0; i < n_dirs; i++) {
		dir_reset(&dirs[i]);
		free(dirs[i].buf);
	}
	free(dirs);
	free(slots);
	return 0;
}
