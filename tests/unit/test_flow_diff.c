/* flow_diff: which flows a packet sequence lists as changed, at which packet, with which ends,
 * and the text and JSON reports. Table-driven: each case is a packet sequence with its old and new
 * decisions and the changes expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow_diff.h"

struct tpkt {
	int parsed;	  /* 0: no 5-tuple (a malformed or non-IP frame) */
	uint8_t src, dst; /* 192.0.2.SRC -> 198.51.100.DST style, last byte of 192.0.2.0/24 */
	uint16_t sport, dport;
	const char *old_v, *old_r, *new_v, *new_r;
};

struct want {
	uint64_t n;
	uint8_t src, dst;
	uint16_t sport, dport;
};

struct tcase {
	const char *name;
	struct tpkt p[8];
	unsigned np;
	struct want w[4];
	unsigned nw;
	uint64_t flows;
};

static const struct tcase cases[] = {
    {"nothing changes",
     {{1, 10, 20, 1000, 80, "pass", "web", "pass", "web"},
      {1, 20, 10, 80, 1000, "pass", "web", "pass", "web"}},
     2,
     {{0}},
     0,
     1},
    {"verdict change listed once, at its first packet, initiator first",
     {{1, 10, 20, 1000, 80, "pass", "web", "drop", ""},
      {1, 20, 10, 80, 1000, "pass", "web", "drop", ""},
      {1, 10, 20, 1000, 80, "pass", "web", "drop", ""}},
     3,
     {{1, 10, 20, 1000, 80}},
     1,
     1},
    {"a change part-way is listed at the reply that differs, initiator kept",
     {{1, 10, 20, 1000, 80, "pass", "web", "pass", "web"},
      {1, 20, 10, 80, 1000, "pass", "web", "reject", "cat"}},
     2,
     {{2, 10, 20, 1000, 80}},
     1,
     1},
    {"a rule change with the same verdict counts",
     {{1, 10, 20, 1000, 443, "pass", "a", "pass", "b"}},
     1,
     {{1, 10, 20, 1000, 443}},
     1,
     1},
    {"flows apart by port; packets without a tuple are their own",
     {{1, 10, 20, 1000, 80, "pass", "web", "pass", "web"},
      {1, 10, 20, 1001, 80, "pass", "web", "drop", ""},
      {0, 0, 0, 0, 0, "drop", "", "pass", ""},
      {0, 0, 0, 0, 0, "drop", "", "drop", ""}},
     4,
     {{2, 10, 20, 1001, 80}, {3, 0, 0, 0, 0}},
     2,
     4},
};

static void mk(const struct tpkt *t, struct cp_pkt *p, enum cp_reason *rc)
{
	memset(p, 0, sizeof(*p));
	*rc = t->parsed ? CP_R_NONE : CP_R_NON_IP;
	if (!t->parsed)
		return;
	p->l3 = CP_L3_IPV4;
	p->proto = 6;
	uint8_t a[4] = {192, 0, 2, t->src}, b[4] = {192, 0, 2, t->dst};
	memcpy(p->src, a, 4);
	memcpy(p->dst, b, 4);
	p->sport = t->sport;
	p->dport = t->dport;
}

static void dec(struct cp_decided *d, const char *v, const char *r)
{
	snprintf(d->verdict, sizeof(d->verdict), "%s", v);
	snprintf(d->rule, sizeof(d->rule), "%s", r);
}

/* A fresh d fed every packet of case tc. */
static void feed_case(struct cp_flow_diff *d, const struct tcase *tc)
{
	cp_flow_diff_init(d);
	for (unsigned i = 0; i < tc->np; i++) {
		struct cp_pkt p;
		enum cp_reason rc;
		struct cp_decided o, n;
		mk(&tc->p[i], &p, &rc);
		dec(&o, tc->p[i].old_v, tc->p[i].old_r);
		dec(&n, tc->p[i].new_v, tc->p[i].new_r);
		assert_int_equal(cp_flow_diff_feed(d, i + 1, rc, &p, &o, &n), 0);
	}
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct tcase *tc = &cases[c];
		struct cp_flow_diff d;
		feed_case(&d, tc);
		print_message("%s\n", tc->name);
		assert_int_equal(d.n_changes, tc->nw);
		assert_int_equal(d.flows, tc->flows);
		for (unsigned i = 0; i < tc->nw; i++) {
			const struct cp_diff_change *ch = &d.ch[i];
			assert_int_equal(ch->n, tc->w[i].n);
			if (tc->w[i].src == 0) {
				assert_false(ch->has_ends);
				continue;
			}
			assert_true(ch->has_ends);
			assert_int_equal(ch->src[3], tc->w[i].src);
			assert_int_equal(ch->dst[3], tc->w[i].dst);
			assert_int_equal(ch->sport, tc->w[i].sport);
			assert_int_equal(ch->dport, tc->w[i].dport);
		}
		cp_flow_diff_free(&d);
	}
}

/* Many flows: the table grows and keeps every flow apart. */
static void test_many_flows(void **state)
{
	(void)state;
	struct cp_flow_diff d;
	struct cp_decided o, n;
	cp_flow_diff_init(&d);
	dec(&o, "pass", "web");
	dec(&n, "drop", "");
	for (unsigned i = 0; i < 20000; i++) {
		struct tpkt t = {1, 10, 20, (uint16_t)(1024 + i / 2), 80, NULL, NULL, NULL, NULL};
		struct cp_pkt p;
		enum cp_reason rc;
		mk(&t, &p, &rc);
		assert_int_equal(cp_flow_diff_feed(&d, i + 1, rc, &p, &o, i % 3 ? &o : &n), 0);
	}
	assert_int_equal(d.flows, 10000);
	assert_int_equal(d.n_changes, 6667); /* a flow changes when either of its 2 packets does */
	cp_flow_diff_free(&d);
}

static void test_reports(void **state)
{
	(void)state;
	struct cp_flow_diff d;
	feed_case(&d, &cases[4]);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cp_flow_diff_json(&d, f);
	fclose(f);
	assert_string_equal(
	    buf, "{\"n\": 2, \"proto\": \"tcp\", \"src\": \"192.0.2.10\", \"sport\": 1001, "
		 "\"dst\": \"192.0.2.20\", \"dport\": 80, \"old\": {\"verdict\": "
		 "\"pass\", \"rule\": \"web\"}, \"new\": {\"verdict\": \"drop\", "
		 "\"rule\": null}}\n"
		 "{\"n\": 3, \"proto\": \"other\", \"src\": null, \"sport\": null, "
		 "\"dst\": null, \"dport\": null, \"old\": {\"verdict\": \"drop\", "
		 "\"rule\": null}, \"new\": {\"verdict\": \"pass\", \"rule\": null}}\n");
	free(buf);
	f = open_memstream(&buf, &len);
	cp_flow_diff_text(&d, f);
	fclose(f);
	assert_non_null(strstr(buf, "192.0.2.10:1001 -> 192.0.2.20:80  pass/web -> drop/-\n"));
	assert_non_null(strstr(buf, "2 of 4 flows changed\n  pass/web -> drop/-: 1 flow\n"
				    "  drop/- -> pass/-: 1 flow\n"));
	free(buf);
	cp_flow_diff_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_many_flows),
	    cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
