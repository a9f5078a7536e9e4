/* Unit tests of dataplane/capture: over a table of crafted pcap files (both magics and byte
 * orders, signed timestamp fields, snapshot lengths that cut or do not, lengths libpcap refuses,
 * truncated ends, versions and link type fields the walk leaves to libpcap, a file too
 * long to count up front, records across the walk's buffer), cp_capture gives exactly the records
 * libpcap gives at nanosecond precision: timestamps, captured lengths, bytes, and where it ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "capture.h"
#include "tmpdir_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_RECS     4

struct rec_spec {
	uint32_t sec, frac, caplen, len;
	uint32_t written; /* bytes of data actually in the file (UINT32_MAX: caplen) */
};

struct file_spec {
	const char *name;
	uint32_t magic; /* as written, in the file's byte order */
	uint16_t vmaj, vmin;
	uint32_t snaplen, linktype;
	bool swapped;
	struct rec_spec rec[MAX_RECS];
	unsigned n_rec;
	unsigned trailing; /* bytes of a record header cut short at the end */
	bool walked;	   /* the walk reads it (else libpcap) */
};

#define ALL UINT32_MAX

static const struct file_spec cases[] = {
    {"plain us",
     0xa1b2c3d4,
     2,
     4,
     65535,
     1,
     false,
     {{1700000000, 123456, 60, 60, ALL}, {1700000001, 999999, 1514, 1514, ALL}},
     2,
     0,
     true},
    {"plain ns",
     0xa1b23c4d,
     2,
     4,
     65535,
     1,
     false,
     {{1700000000, 123456789, 60, 60, ALL}, {1700000000, 999999999, 100, 200, ALL}},
     2,
     0,
     true},
    {"swapped us",
     0xa1b2c3d4,
     2,
     4,
     262144,
     1,
     true,
     {{1, 2, 64, 64, ALL}, {3, 4, 9000, 9000, ALL}},
     2,
     0,
     true},
    {"swapped ns", 0xa1b23c4d, 2, 4, 262144, 1, true, {{5, 6, 42, 42, ALL}}, 1, 0, true},
    {"header only", 0xa1b2c3d4, 2, 4, 65535, 1, false, {{0}}, 0, 0, true},
    {"signed fields",
     0xa1b2c3d4,
     2,
     4,
     65535,
     1,
     false,
     {{0xffffff00u, 0xfffffff0u, 60, 60, ALL}, {0x80000000u, 2000000, 60, 60, ALL}},
     2,
     0,
     true},
    {"signed fields ns",
     0xa1b23c4d,
     2,
     4,
     65535,
     1,
     false,
     {{0x7fffffffu, 0x80000001u, 60, 60, ALL}},
     1,
     0,
     true},
    {"cut to snaplen",
     0xa1b2c3d4,
     2,
     4,
     100,
     1,
     false,
     {{1, 0, 200, 200, ALL}, {2, 0, 100, 100, ALL}, {3, 0, 60, 60, ALL}},
     3,
     0,
     true},
    {"snaplen 0", 0xa1b2c3d4, 2, 4, 0, 1, false, {{1, 0, 70000, 70000, ALL}}, 1, 0, true},
    {"snaplen above max",
     0xa1b2c3d4,
     2,
     4,
     300000,
     1,
     false,
     {{1, 0, 262144, 262144, ALL}, {2, 0, 60, 60, ALL}},
     2,
     0,
     true},
    {"caplen above max",
     0xa1b2c3d4,
     2,
     4,
     65535,
     1,
     false,
     {{1, 0, 60, 60, ALL}, {2, 0, 262145, 262145, ALL}, {3, 0, 60, 60, ALL}},
     3,
     0,
     true},
    {"zero caplen",
     0xa1b2c3d4,
     2,
     4,
     65535,
     1,
     false,
     {{1, 0, 0, 60, ALL}, {2, 0, 60, 60, ALL}},
     2,
     0,
     true},
    {"truncated data",
     0xa1b2c3d4,
     2,
     4,
     65535,
     1,
     false,
     {{1, 0, 60, 60, ALL}, {2, 0, 100, 100, 40}},
     2,
     0,
     true},
    {"truncated cut record",
     0xa1b2c3d4,
     2,
     4,
     50,
     1,
     false,
     {{1, 0, 60, 60, ALL}, {2, 0, 100, 100, 70}},
     2,
     0,
     true},
    {"truncated header", 0xa1b2c3d4, 2, 4, 65535, 1, false, {{1, 0, 60, 60, ALL}}, 1, 7, true},
    {"version 2.3",
     0xa1b2c3d4,
     2,
     3,
     65535,
     1,
     false,
     {{1, 0, 60, 60, ALL}, {2, 0, 80, 60, ALL}},
     2,
     0,
     false},
    {"version 2.2", 0xa1b2c3d4, 2, 2, 65535, 1, false, {{1, 0, 60, 60, ALL}}, 1, 0, false},
    {"fcs bits",
     0xa1b2c3d4,
     2,
     4,
     65535,
     1 | 0x10000000u,
     false,
     {{1, 0, 60, 60, ALL}},
     1,
     0,
     false},
};

static void put32(FILE *f, uint32_t v, bool swapped)
{
	if (swapped)
		v = __builtin_bswap32(v);
	assert_int_equal(fwrite(&v, 4, 1, f), 1);
}

static void put16(FILE *f, uint16_t v, bool swapped)
{
	if (swapped)
		v = __builtin_bswap16(v);
	assert_int_equal(fwrite(&v, 2, 1, f), 1);
}

/* Record data: bytes that tell records and offsets apart. */
static void put_data(FILE *f, unsigned r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		fputc((int)((r * 131 + i * 7) & 0xff), f);
}

static void write_file(const char *path, const struct file_spec *s)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	put32(f, s->magic, s->swapped);
	put16(f, s->vmaj, s->swapped);
	put16(f, s->vmin, s->swapped);
	put32(f, 0, s->swapped);
	put32(f, 0, s->swapped);
	put32(f, s->snaplen, s->swapped);
	put32(f, s->linktype, s->swapped);
	for (unsigned r = 0; r < s->n_rec; r++) {
		const struct rec_spec *x = &s->rec[r];
		put32(f, x->sec, s->swapped);
		put32(f, x->frac, s->swapped);
		put32(f, x->caplen, s->swapped);
		put32(f, x->len, s->swapped);
		put_data(f, r, x->written == ALL ? x->caplen : x->written);
	}
	for (unsigned i = 0; i < s->trailing; i++)
		fputc(0x11, f);
	assert_int_equal(fclose(f), 0);
}

/* Reads path with cp_capture and with libpcap side by side: the same records, the same end.
 * Returns how many there were. */
static uint64_t compare_with_libpcap(const char *path, struct cp_capture *c)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	assert_non_null(p);
	uint64_t n = 0;
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		struct cp_capture_rec rec;
		int want = pcap_next_ex(p, &h, &data) == 1;
		int got = cp_capture_next(c, &rec);
		assert_int_equal(got, want);
		if (!want)
			break;
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		assert_int_equal(rec.ts_ns, ts);
		assert_int_equal(rec.caplen, h->caplen);
		assert_memory_equal(rec.data, data, h->caplen);
		if (n == 0)
			assert_int_equal(c->t0_ns, ts);
		n++;
	}
	assert_int_equal(cp_capture_next(c, &(struct cp_capture_rec){0}), 0); /* ends for good */
	pcap_close(p);
	return n;
}

static void test_table(void **state)
{
	(void)state;
	char path[PATH_MAX + 32];
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct cp_capture c;
		print_message("case %s\n", cases[i].name);
		snprintf(path, sizeof(path), "%s/case%zu.pcap", cp_test_dir, i);
		write_file(path, &cases[i]);
		assert_int_equal(cp_capture_open(&c, path), 0);
		assert_int_equal(c.buf != NULL, cases[i].walked);
		uint64_t total = c.total;
		assert_true(c.counted);
		uint64_t n = compare_with_libpcap(path, &c);
		assert_int_equal(total, n);
		assert_int_equal(c.max_total, n);
		cp_capture_close(&c);
	}
}

/* Files libpcap will not open at all: cp_capture fails too. */
static void test_refused(void **state)
{
	(void)state;
	static const char *const bodies[] = {"", "short",
					     "\x01\x02\x03\x04 not a capture at all.."};
	char path[PATH_MAX + 32];
	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		struct cp_capture c;
		snprintf(path, sizeof(path), "%s/bad%zu.pcap", cp_test_dir, i);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fputs(bodies[i], f);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(cp_capture_open(&c, path), -1);
		cp_capture_close(&c);
	}
	struct cp_capture c;
	assert_int_equal(cp_capture_open(&c, "/nonexistent/x.pcap"), -1);
	cp_capture_close(&c);
}

/* More records than are counted up front: a lower and an upper bound, then every record. */
/* Records of every size up to the largest, so that they straddle the walk's buffer: each read
 * whole, in order. */
static void test_big_records(void **state)
{
	(void)state;
	char path[PATH_MAX + 32];
	static const uint32_t sizes[] = {262144, 60, 200000, 262144, 1, 131072, 9000, 262144, 0, 7};
	snprintf(path, sizeof(path), "%s/big.pcap", cp_test_dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	const uint32_t hdr[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 0, 1};
	assert_int_equal(fwrite(hdr, sizeof(hdr), 1, f), 1);
	for (unsigned k = 0; k < 3; k++)
		for (unsigned r = 0; r < ARRAY_LEN(sizes); r++) {
			uint32_t rec[4] = {k, r, sizes[r], sizes[r]};
			assert_int_equal(fwrite(rec, sizeof(rec), 1, f), 1);
			put_data(f, k * 16 + r, sizes[r]);
		}
	assert_int_equal(fclose(f), 0);
	struct cp_capture c;
	assert_int_equal(cp_capture_open(&c, path), 0);
	assert_non_null(c.buf);
	assert_true(c.counted);
	assert_int_equal(compare_with_libpcap(path, &c), 3 * ARRAY_LEN(sizes));
	cp_capture_close(&c);
}

static void test_long(void **state)
{
	(void)state;
	char path[PATH_MAX + 32];
	const unsigned n = CP_CAPTURE_COUNTED + 100;
	snprintf(path, sizeof(path), "%s/long.pcap", cp_test_dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	const uint32_t hdr[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, 1};
	assert_int_equal(fwrite(hdr, sizeof(hdr), 1, f), 1);
	for (unsigned r = 0; r < n; r++) {
		uint32_t len = 14 + r % 50, rec[4] = {r / 1000, r % 1000 * 1000, len, len};
		assert_int_equal(fwrite(rec, sizeof(rec), 1, f), 1);
		put_data(f, r, len);
	}
	assert_int_equal(fclose(f), 0);
	struct cp_capture c;
	assert_int_equal(cp_capture_open(&c, path), 0);
	assert_non_null(c.buf);
	assert_false(c.counted);
	assert_true(c.total >= CP_CAPTURE_COUNTED && c.total <= n);
	assert_true(c.max_total >= n);
	assert_int_equal(compare_with_libpcap(path, &c), n);
	cp_capture_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_big_records),
	    cmocka_unit_test(test_long),
	};
	return cmocka_run_group_tests(tests, cp_test_tmpdir_setup, cp_test_tmpdir_teardown);
}
