/* Reading the capture alongside net_pcap (see capture.h).
 *
 * The walk does what libpcap's savefile reader does for a classic pcap file of version
 * 2.4 and link type field exactly 1, so that both give the same records: a record header of 16
 * bytes (timestamp fields signed 32-bit, microseconds scaled by 1000 at nanosecond precision),
 * then its captured bytes. A captured length above libpcap's maximum (262144) is an error, one
 * above the file's snapshot length is cut to it (the rest skipped), a record not complete in the
 * file is an error; an error ends the capture. The snapshot length is the header's, or the
 * maximum when the header's is 0 or above it (where libpcap versions differ, above the maximum,
 * every record they accept is below both). Other magic numbers, versions (2.0-2.3 may swap the
 * length fields) and link type fields go to libpcap itself. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_HDR      24
#define REC_HDR	      16
#define MAX_SNAPLEN   262144u /* libpcap's most for Ethernet */
#define MAGIC_US      0xa1b2c3d4u
#define MAGIC_NS      0xa1b23c4du
#define NS_PER_SECOND 1000000000u

static uint32_t get32(const uint8_t *p, bool swapped)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const uint8_t *p, bool swapped)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap16(v) : v;
}

/* At least n bytes at c->buf + c->off, reading more when needed; false at the end of the file
 * (or a read error, which libpcap would report too), with what there is in c->len - c->off. */
static bool walk_have(struct cp_capture *c, size_t n)
{
	if (c->len - c->off >= n)
		return true;
	memmove(c->buf, c->buf + c->off, c->len - c->off);
	c->len -= c->off;
	c->off = 0;
	while (c->len < n && !c->eof) {
		ssize_t k = read(c->fd, c->buf + c->len, CP_CAPTURE_BUF - c->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			c->eof = true;
		else
			c->len += (size_t)k;
	}
	return c->len >= n;
}

/* Whether the file header is one the walk reads; sets swapped, nano and snapshot. */
static bool walk_header(struct cp_capture *c)
{
	uint32_t magic;
	if (!walk_have(c, FILE_HDR))
		return false;
	const uint8_t *h = c->buf + c->off;
	memcpy(&magic, h, sizeof(magic));
	c->swapped = magic == __builtin_bswap32(MAGIC_US) || magic == __builtin_bswap32(MAGIC_NS);
	c->nano = magic == MAGIC_NS || magic == __builtin_bswap32(MAGIC_NS);
	if (!c->swapped && !c->nano && magic != MAGIC_US)
		return false;
	if (get16(h + 4, c->swapped) != 2 || get16(h + 6, c->swapped) != 4 ||
	    get32(h + 20, c->swapped) != 1)
		return false;
	uint32_t snaplen = get32(h + 16, c->swapped);
	c->snapshot = snaplen == 0 || snaplen > MAX_SNAPLEN ? MAX_SNAPLEN : snaplen;
	c->off += FILE_HDR;
	return true;
}

/* The next record: 1, 0 at the end of the file, -1 where libpcap fails (why in msg). */
static int walk_next(struct cp_capture *c, struct cp_capture_rec *rec, char *msg, size_t msglen)
{
	if (!walk_have(c, REC_HDR)) {
		size_t got = c->len - c->off;
		if (got == 0)
			return 0;
		snprintf(msg, msglen,
			 "truncated dump file; tried to read %u header bytes, only got %zu",
			 REC_HDR, got);
		return -1;
	}
	const uint8_t *h = c->buf + c->off;
	uint32_t caplen = get32(h + 8, c->swapped);
	if (caplen > MAX_SNAPLEN) {
		snprintf(msg, msglen, "invalid packet capture length %u, bigger than maximum of %u",
			 caplen, MAX_SNAPLEN);
		return -1;
	}
	if (!walk_have(c, REC_HDR + caplen)) {
		snprintf(msg, msglen,
			 "truncated dump file; tried to read %u captured bytes, only got %zu",
			 caplen, c->len - c->off - REC_HDR);
		return -1;
	}
	h = c->buf + c->off; /* the buffer may have moved */
	int64_t sec = (int32_t)get32(h, c->swapped);
	int64_t frac = (int32_t)get32(h + 4, c->swapped);
	rec->ts_ns = (uint64_t)sec * NS_PER_SECOND + (uint64_t)(c->nano ? frac : frac * 1000);
	rec->caplen = caplen < c->snapshot ? caplen : c->snapshot;
	rec->data = h + REC_HDR;
	c->off += REC_HDR + caplen;
	return 1;
}

/* Start a walk of path: false (nothing kept) when it is not a file the walk reads. */
static bool walk_open(struct cp_capture *c, const char *path)
{
	struct stat st;
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	/* A regular file only: the walk reads it twice (to count, then alongside). */
	bool regular = c->fd >= 0 && fstat(c->fd, &st) == 0 && S_ISREG(st.st_mode);
	c->buf = regular ? malloc(CP_CAPTURE_BUF) : NULL;
	c->off = c->len = 0;
	c->eof = false;
	if (c->buf != NULL && walk_header(c))
		return true;
	free(c->buf);
	c->buf = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return false;
}

static void walk_close(struct cp_capture *c)
{
	if (c->buf == NULL)
		return; /* no walk open (its descriptor lives as long as its buffer) */
	free(c->buf);
	c->buf = NULL;
	close(c->fd);
	c->fd = -1;
}

/* Count up to CP_CAPTURE_COUNTED records in a walk of its own (the rest is bounded by the
 * file's size). */
static void walk_count(struct cp_capture *c)
{
	struct cp_capture w = {.fd = -1};
	struct cp_capture_rec rec;
	char msg[128];
	if (!walk_open(&w, c->path))
		return;
	uint64_t bytes = FILE_HDR;
	while (c->total < CP_CAPTURE_COUNTED && walk_next(&w, &rec, msg, sizeof(msg)) == 1) {
		if (c->total == 0)
			c->t0_ns = rec.ts_ns;
		c->total++;
		bytes += REC_HDR + rec.caplen;
	}
	c->counted = c->total < CP_CAPTURE_COUNTED;
	off_t size = lseek(w.fd, 0, SEEK_END);
	uint64_t rest = size > (off_t)bytes ? ((uint64_t)size - bytes) / REC_HDR : 0;
	c->max_total = c->counted ? c->total : c->total + rest;
	walk_close(&w);
}

static uint64_t pcap_ts(const struct pcap_pkthdr *h)
{
	/* Opened with nanosecond precision: tv_usec holds nanoseconds. */
	return (uint64_t)h->ts.tv_sec * NS_PER_SECOND + (uint64_t)h->ts.tv_usec;
}

static pcap_t *open_pcap(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
}

/* Through libpcap: count in a pass of its own, keep a second handle to read alongside. */
static int open_libpcap(struct cp_capture *c)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = open_pcap(c->path);
	if (p == NULL)
		return -1;
	c->p = open_pcap(c->path);
	if (c->p == NULL) {
		pcap_close(p);
		return -1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (c->total == 0)
			c->t0_ns = pcap_ts(h);
		c->total++;
	}
	pcap_close(p);
	c->counted = true;
	c->max_total = c->total;
	return 0;
}

int cp_capture_open(struct cp_capture *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->path = path;
	if (walk_open(c, path)) {
		walk_count(c);
		return 0;
	}
	return open_libpcap(c);
}

static void ends_early(const struct cp_capture *c, uint64_t n, const char *why)
{
	fprintf(stderr, "chokepoint: %s: capture ends early after %lu packets: %s\n", c->path,
		(unsigned long)n, why);
}

int cp_capture_next(struct cp_capture *c, struct cp_capture_rec *rec)
{
	if (c->buf != NULL) {
		char msg[128];
		int rc = walk_next(c, rec, msg, sizeof(msg));
		if (rc < 0) {
			ends_early(c, c->read, msg);
			walk_close(c); /* the end, from now on */
		}
		c->read += rc > 0;
		return rc > 0;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = c->p != NULL ? pcap_next_ex(c->p, &h, &data) : -2;
	if (rc != 1) {
		if (rc == -1)
			ends_early(c, c->read, pcap_geterr(c->p));
		if (c->p != NULL)
			pcap_close(c->p);
		c->p = NULL;
		return 0;
	}
	rec->ts_ns = pcap_ts(h);
	rec->caplen = h->caplen;
	rec->data = data;
	c->read++;
	return 1;
}

void cp_capture_close(struct cp_capture *c)
{
	walk_close(c);
	if (c->p != NULL)
		pcap_close(c->p);
	memset(c, 0, sizeof(*c));
}
