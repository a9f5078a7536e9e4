/* cp-hsraw: the floor under payload classification. The payload bytes of every TCP/UDP packet of
 * a capture (at most inspect_bytes per flow direction is not tracked here: every payload byte is
 * scanned) go through hs_scan with the policy's payload patterns compiled in block mode, and the
 * name patterns (sni, host, dns) compiled in block mode too, each packet once per database: no
 * parsing, no flows, no stream state. Reported as TSC cycles per packet of the capture, to set
 * next to cp-bench's cycles per packet over the same capture.
 *
 * With --stream, the payload patterns are compiled in streaming mode (as the dataplane runs them)
 * and each packet is scanned as one stream (scan, then reset), name patterns as before.
 *
 *   cp-hsraw --pcap F --policy P [--seconds S] [--stream]
 */
#include <getopt.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs.h>
#include <x86intrin.h>

#include "hs_patterns.h"
#include "parse.h"
#include "policy.h"

#define MAX_PKTS (1u << 18)

struct payload {
	const uint8_t *p;
	uint32_t len;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	++*(unsigned long *)ctx;
	return 0;
}

/* Every entry of field f of p, as cp_hs_compile translates it, compiled in block mode (or
 * streaming mode when stream is set). */
static hs_database_t *field_db(const struct cp_policy_src *p, enum cp_field f, bool stream)
{
	unsigned n = 0, cap = 0;
	for (unsigned c = 0; c < p->n_categories; c++)
		cap += p->categories[c].n_pat[f];
	if (cap == 0)
		return NULL;
	char **expr = calloc(cap, sizeof(*expr));
	unsigned *flags = calloc(cap, sizeof(*flags)), *ids = calloc(cap, sizeof(*ids));
	for (unsigned c = 0; c < p->n_categories; c++)
		for (unsigned k = 0; k < p->categories[c].n_pat[f]; k++) {
			const char *t = p->categories[c].pat[f][k].text;
			size_t sz = strlen(t) * 4 + 32;
			char err[256];
			expr[n] = malloc(sz);
			int rc =
			    f == CP_FIELD_PAYLOAD
				? cp_hs_payload_expr(t, expr[n], sz, &flags[n], err, sizeof(err))
				: cp_hs_name_expr(t, expr[n], sz, &flags[n], err, sizeof(err));
			if (rc == 0) {
				ids[n] = n;
				n++;
			} else {
				free(expr[n]);
			}
		}
	hs_database_t *db = NULL;
	hs_compile_error_t *ce = NULL;
	if (hs_compile_multi((const char *const *)expr, flags, ids, n,
			     stream ? HS_MODE_STREAM : HS_MODE_BLOCK, NULL, &db,
			     &ce) != HS_SUCCESS) {
		fprintf(stderr, "cp-hsraw: %s\n", ce != NULL ? ce->message : "compile failed");
		hs_free_compile_error(ce);
		db = NULL;
	}
	for (unsigned i = 0; i < n; i++)
		free(expr[i]);
	free(expr);
	free(flags);
	free(ids);
	return db;
}

/* The payloads of the capture's TCP/UDP packets, copied. Returns the packet count. */
static unsigned load(const char *path, struct payload *pl, unsigned *npl, uint64_t *bytes)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	pcap_t *pc = pcap_open_offline(path, eb);
	if (pc == NULL)
		return 0;
	*npl = 0;
	*bytes = 0;
	while (n < MAX_PKTS && pcap_next_ex(pc, &h, &d) == 1) {
		struct cp_pkt p;
		n++;
		if (cp_parse(d, h->caplen, &p) != CP_R_NONE || p.payload_len == 0 ||
		    (p.proto != 6 && p.proto != 17))
			continue;
		uint8_t *c = malloc(p.payload_len);
		memcpy(c, d + p.payload_off, p.payload_len);
		pl[(*npl)++] = (struct payload){c, p.payload_len};
		*bytes += p.payload_len;
	}
	pcap_close(pc);
	return n;
}

static double tsc_hz(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = __rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 100000000L);
	return (double)(__rdtsc() - t0) * 10.0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"pcap", required_argument, NULL, 'c'},
					   {"policy", required_argument, NULL, 'p'},
					   {"seconds", required_argument, NULL, 's'},
					   {"stream", no_argument, NULL, 'S'},
					   {NULL, 0, NULL, 0}};
	const char *pcap = NULL, *policy = NULL;
	double seconds = 3;
	bool stream = false;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (c == 'c')
			pcap = optarg;
		else if (c == 'p')
			policy = optarg;
		else if (c == 's')
			seconds = atof(optarg);
		else if (c == 'S')
			stream = true;
		else
			return 2;
	if (pcap == NULL || policy == NULL) {
		fprintf(stderr, "usage: cp-hsraw --pcap F --policy P [--seconds S]\n");
		return 2;
	}
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *p = cp_policy_load(policy, &d);
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	if (p == NULL)
		return 1;
	hs_database_t *db[CP_FIELD_MAX];
	hs_scratch_t *scratch = NULL;
	hs_stream_t *st = NULL;
	for (int f = 0; f < CP_FIELD_MAX; f++)
		if ((db[f] = field_db(p, (enum cp_field)f, stream && f == CP_FIELD_PAYLOAD)) !=
			NULL &&
		    hs_alloc_scratch(db[f], &scratch) != HS_SUCCESS)
			return 1;
	if (stream && db[CP_FIELD_PAYLOAD] != NULL &&
	    hs_open_stream(db[CP_FIELD_PAYLOAD], 0, &st) != HS_SUCCESS)
		return 1;
	struct payload *pl = calloc(MAX_PKTS, sizeof(*pl));
	unsigned npl = 0;
	uint64_t bytes = 0;
	unsigned n = load(pcap, pl, &npl, &bytes);
	if (n == 0) {
		fprintf(stderr, "cp-hsraw: %s: no packets\n", pcap);
		return 1;
	}
	double hz = tsc_hz();
	unsigned long matches = 0;
	uint64_t pkts = 0, deadline = __rdtsc() + (uint64_t)(seconds * hz), t0 = __rdtsc();
	while (__rdtsc() < deadline) {
		for (unsigned i = 0; i < npl; i++)
			for (int f = 0; f < CP_FIELD_MAX; f++) {
				if (db[f] == NULL)
					continue;
				if (st != NULL && f == CP_FIELD_PAYLOAD) {
					hs_scan_stream(st, (const char *)pl[i].p, pl[i].len, 0,
						       scratch, on_match, &matches);
					hs_reset_stream(st, 0, scratch, on_match, &matches);
				} else {
					hs_scan(db[f], (const char *)pl[i].p, pl[i].len, 0, scratch,
						on_match, &matches);
				}
			}
		pkts += n;
	}
	uint64_t cyc = __rdtsc() - t0;
	double passes = (double)pkts / n;
	printf("{\"packets\": %lu, \"payload_packets\": %u, \"payload_bytes\": %lu, "
	       "\"cycles_per_packet\": %.1f, \"cycles_per_payload_byte\": %.2f, \"mpps\": %.3f, "
	       "\"matches_per_pass\": %.0f}\n",
	       (unsigned long)pkts, npl, (unsigned long)bytes, (double)cyc / (double)pkts,
	       (double)cyc / (passes * (double)bytes), (double)pkts / ((double)cyc / hz) / 1e6,
	       (double)matches / passes);
	return 0;
}
