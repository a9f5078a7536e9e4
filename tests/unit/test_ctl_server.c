/* Unit tests of dataplane/ctl_server: every request applied through cp_ctl (or refused with one
 * line), and the socket side: a peer that stalls mid-message never blocks the poll. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eal_test.h"

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "view_build.h"
#include "hs_patterns.h"
#include "ctl_server.h"
#include "ctl_sock.h"
#include "trace_out.h"

#define S 1000000000ull

static struct cp_dp dp;
static struct cp_ctl ctl;

static int setup(void **state)
{
	char err[256];
	if (cp_test_eal_init("ctl-server", "256") != 0)
		return -1;
	(void)state;
	cp_dp_clock_init(&dp, rte_get_tsc_hz());
	dp.n_workers = 1;
	dp.qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	dp.workers = rte_zmalloc(NULL, sizeof(struct cp_worker), 64);
	if (dp.qsv == NULL || dp.workers == NULL || rte_rcu_qsbr_init(dp.qsv, 1) != 0)
		return -1;
	static const char *const names[3] = {"inside", "fiber", "satellite"};
	for (unsigned p = 0; p < 3; p++) {
		snprintf(dp.ports[p].name, sizeof(dp.ports[p].name), "%s", names[p]);
		dp.ports[p].role = p == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK;
		dp.ports[p].index = (uint8_t)p;
	}
	dp.n_ports = 3;
	return cp_ctl_init(&ctl, &dp, err, sizeof(err));
}

/* Run one request; returns the reply (type, and JSON/MESSAGE copied into text). */
static uint16_t run(struct cp_msg_buf *req, char *text, size_t len, uint32_t *gen)
{
	struct cp_msg m;
	struct cp_msg_buf out = CP_MSG_BUF_INIT;
	struct cp_reply rep;
	char err[256];
	assert_int_equal(cp_msg_end(req), 0);
	assert_int_equal(cp_msg_parse(req->data, req->len, &m, err, sizeof(err)), 0);
	cp_ctl_server_handle(&ctl, &m, 1000 * S, &out);
	assert_int_equal(cp_msg_parse(out.data, out.len, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_reply_decode(&m, &rep, err, sizeof(err)), 0);
	text[0] = '\0';
	if (rep.json != NULL)
		snprintf(text, len, "%.*s", (int)rep.json_len, rep.json);
	if (rep.message != NULL)
		snprintf(text, len, "%.*s", (int)rep.message_len, rep.message);
	if (gen != NULL)
		*gen = rep.has_generation ? rep.generation : 0;
	uint16_t type = rep.type;
	cp_msg_buf_free(&out);
	cp_msg_buf_free(req);
	return type;
}

static uint16_t install(const char *text, char *out, size_t len, uint32_t *gen)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_INSTALL_POLICY, 7);
	cp_msg_put_bytes(&b, CP_TAG_POLICY_TEXT, text, strlen(text));
	cp_msg_put_str(&b, CP_TAG_POLICY_PATH, "push.conf");
	return run(&b, out, len, gen);
}

static const char good[] = "version = 1;\ninside = [ \"192.0.2.0/24\" ];\n"
			   "rules = ( { name = \"web\"; action = \"pass\"; grant = true; },\n"
			   "          { name = \"deny\"; action = \"drop\"; } );\n";

static void test_install(void **state)
{
	(void)state;
	char t[4096];
	uint32_t gen = 0, g0;
	assert_int_equal(install(good, t, sizeof(t), &gen), CP_MSG_INSTALL_POLICY | CP_MSG_REPLY);
	assert_true(gen >= 1);
	g0 = gen;
	/* A bad policy is refused with its first problem, and the running one is kept. */
	static const char bad[] = "version = 1;\ninside = [ \"192.0.2.0/33\" ];\n"
				  "rules = ( { action = \"drop\"; } );\n";
	assert_int_equal(install(bad, t, sizeof(t), NULL), CP_MSG_ERROR);
	print_message("refusal: %s\n", t);
	assert_non_null(strstr(t, "policy refused: push.conf:2: error"));
	assert_int_equal(ctl.pol->gen, g0);
	/* A Hyperscan database for a field without entries is refused too. */
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_INSTALL_POLICY, 8);
	cp_msg_put_bytes(&b, CP_TAG_POLICY_TEXT, good, strlen(good));
	cp_msg_put_hs_db(&b, 3, "not a database", 14);
	assert_int_equal(run(&b, t, sizeof(t), NULL), CP_MSG_ERROR);
	assert_non_null(strstr(t, "payload patterns and database do not agree"));
	assert_int_equal(ctl.pol->gen, g0);
}

/* A policy with categories: the databases must be there, deserialize and be of the right mode. */
static const char with_cats[] =
    "version = 1;\ninside = [ \"192.0.2.0/24\" ];\n"
    "categories = ( { name = \"c\"; sni = [ \"x.example\" ]; payload = [ \"abc\" ]; } );\n"
    "rules = ( { action = \"drop\"; category = \"c\"; }, { action = \"pass\"; } );\n";

/* Serialized database of field f of with_cats (or of field g's mode: wrong mode when g != f). */
static char *serialized(int f, size_t *n)
{
	struct cp_diag d;
	struct cp_hs_dbs dbs;
	char *bytes = NULL;
	cp_diag_init(&d);
	struct cp_policy_src *p = cp_policy_load_text("t.conf", with_cats, strlen(with_cats), &d);
	assert_non_null(p);
	assert_int_equal(cp_hs_compile(p, &dbs, &d), 0);
	assert_int_equal(hs_serialize_database(dbs.db[f], &bytes, n), HS_SUCCESS);
	cp_hs_free(&dbs);
	cp_policy_free(p);
	cp_diag_free(&d);
	return bytes;
}

static void test_install_hs(void **state)
{
	(void)state;
	static const struct {
		int sni_from, payload_from; /* field whose database is sent; -1 none, -2 garbage */
		const char *error;	    /* NULL: accepted */
	} cases[] = {
	    {CP_FIELD_SNI, CP_FIELD_PAYLOAD, NULL},
	    {-1, CP_FIELD_PAYLOAD, "sni patterns and database do not agree"},
	    {CP_FIELD_SNI, -1, "payload patterns and database do not agree"},
	    {-2, CP_FIELD_PAYLOAD, "the sni database does not deserialize"},
	    {CP_FIELD_SNI, CP_FIELD_SNI, "the payload database is of the wrong mode"},
	    {CP_FIELD_PAYLOAD, CP_FIELD_PAYLOAD, "the sni database is of the wrong mode"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char t[4096];
		uint32_t g0 = ctl.pol != NULL ? ctl.pol->gen : 0, gen = 0;
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		int from[2] = {cases[i].sni_from, cases[i].payload_from};
		uint8_t field[2] = {CP_FIELD_SNI, CP_FIELD_PAYLOAD};
		cp_msg_begin(&b, CP_MSG_INSTALL_POLICY, 9);
		cp_msg_put_bytes(&b, CP_TAG_POLICY_TEXT, with_cats, strlen(with_cats));
		for (int k = 0; k < 2; k++) {
			size_t n = 0;
			char *db = from[k] >= 0 ? serialized(from[k], &n) : NULL;
			if (from[k] == -2)
				cp_msg_put_hs_db(&b, field[k], "garbage", 7);
			else if (db != NULL)
				cp_msg_put_hs_db(&b, field[k], db, n);
			free(db);
		}
		uint16_t rt = run(&b, t, sizeof(t), &gen);
		print_message("case %zu: %s\n", i, rt == CP_MSG_ERROR ? t : "accepted");
		if (cases[i].error == NULL) {
			assert_int_equal(rt, CP_MSG_INSTALL_POLICY | CP_MSG_REPLY);
			assert_non_null(ctl.pol->pl);
			assert_non_null(ctl.pol->pl->dbs.db[CP_FIELD_SNI]);
			assert_non_null(ctl.pol->pl->dbs.db[CP_FIELD_PAYLOAD]);
			assert_int_equal(ctl.pol->pl->dbs.n_ids[CP_FIELD_SNI], 1);
		} else {
			assert_int_equal(rt, CP_MSG_ERROR);
			assert_non_null(strstr(t, cases[i].error));
			assert_int_equal(ctl.pol != NULL ? ctl.pol->gen : 0, g0);
		}
	}
}

static uint16_t prefix_req(uint16_t type, const char *p, uint64_t for_ns, char *t, size_t len)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_prefix x;
	char err[128];
	assert_int_equal(cp_prefix_parse(p, &x, err, sizeof(err)), 0);
	cp_msg_begin(&b, type, 9);
	cp_msg_put_prefix(&b, CP_TAG_PREFIX, &x);
	if (for_ns)
		cp_msg_put_u64(&b, CP_TAG_FOR_NS, for_ns);
	return run(&b, t, len, NULL);
}

static uint16_t simple(uint16_t type, char *t, size_t len)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, type, 10);
	return run(&b, t, len, NULL);
}

static void test_grants_and_state(void **state)
{
	(void)state;
	char t[4096];
	uint32_t epoch = ctl.grants.epoch;
	assert_int_equal(prefix_req(CP_MSG_GRANT, "192.0.2.5", 3600 * S, t, sizeof(t)),
			 CP_MSG_GRANT | CP_MSG_REPLY);
	assert_true(ctl.grants.epoch > epoch);
	assert_int_equal(cp_grants_active(&ctl.grants, 1000 * S), 1);
	assert_int_equal(prefix_req(CP_MSG_RENEW, "192.0.2.5", 0, t, sizeof(t)),
			 CP_MSG_RENEW | CP_MSG_REPLY);
	assert_int_equal(prefix_req(CP_MSG_RENEW, "198.51.100.1", 0, t, sizeof(t)), CP_MSG_ERROR);
	assert_non_null(strstr(t, "no live grant within 198.51.100.1"));
	assert_int_equal(simple(CP_MSG_STATUS, t, sizeof(t)), CP_MSG_STATUS | CP_MSG_REPLY);
	assert_non_null(strstr(t, "{\"prefix\": \"192.0.2.5\", \"left_s\": 3600}"));
	assert_int_equal(prefix_req(CP_MSG_REVOKE, "192.0.2.0/24", 0, t, sizeof(t)),
			 CP_MSG_REVOKE | CP_MSG_REPLY);
	assert_int_equal(cp_grants_active(&ctl.grants, 1000 * S), 0);
	/* shutoff, restore, uplink */
	assert_int_equal(simple(CP_MSG_SHUTOFF, t, sizeof(t)), CP_MSG_SHUTOFF | CP_MSG_REPLY);
	assert_true(dp.view->shutoff);
	assert_int_equal(simple(CP_MSG_RESTORE, t, sizeof(t)), CP_MSG_RESTORE | CP_MSG_REPLY);
	assert_false(dp.view->shutoff);
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_UPLINK, 11);
	cp_msg_put_str(&b, CP_TAG_NAME, "satellite");
	assert_int_equal(run(&b, t, sizeof(t), NULL), CP_MSG_UPLINK | CP_MSG_REPLY);
	assert_int_equal(ctl.forced_uplink, 2);
	cp_msg_begin(&b, CP_MSG_UPLINK, 12);
	cp_msg_put_str(&b, CP_TAG_NAME, "moon");
	assert_int_equal(run(&b, t, sizeof(t), NULL), CP_MSG_ERROR);
	assert_non_null(strstr(t, "no uplink named \"moon\""));
	assert_int_equal(ctl.forced_uplink, 2);
	assert_int_equal(simple(CP_MSG_COUNTERS, t, sizeof(t)), CP_MSG_COUNTERS | CP_MSG_REPLY);
	assert_non_null(strstr(t, "\"packets_total\": {\"pass\": 0"));
}

/* A restarted dataplane gets the whole list, times on the sender's clock. */
static void test_grants_set(void **state)
{
	(void)state;
	char t[4096], err[128];
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_grant_entry e = {.end_ns = 5000 * S, .renew_ns = 300 * S, .last_ns = 4900 * S};
	assert_int_equal(cp_prefix_parse("192.0.2.7", &e.pfx, err, sizeof(err)), 0);
	cp_msg_begin(&b, CP_MSG_GRANTS_SET, 13);
	cp_msg_put_u64(&b, CP_TAG_NOW_NS, 4950 * S); /* sender: 50 s since the renewal */
	cp_msg_put_grant_entry(&b, &e);
	struct cp_grant_entry ended = e;
	ended.end_ns = 4000 * S;
	ended.last_ns = 3900 * S;
	ended.pfx.a[3] = 8;
	cp_msg_put_grant_entry(&b, &ended);
	assert_int_equal(run(&b, t, sizeof(t), NULL), CP_MSG_GRANTS_SET | CP_MSG_REPLY);
	/* Ours is 1000 s: live until min(end, last + renew) = min(1050, 1250) on our clock. */
	assert_int_equal(cp_grants_active(&ctl.grants, 1049 * S), 1);
	assert_int_equal(cp_grants_active(&ctl.grants, 1050 * S), 0);
	assert_int_equal(ctl.grants.n, 1); /* the ended one is not carried over */
}

static void test_stalled_peer(void **state)
{
	(void)state;
	char path[] = "/tmp/test-ctl-server-XXXXXX", sock[128], err[256];
	struct cp_ctl_server srv;
	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/dp.sock", path);
	assert_int_equal(cp_ctl_server_open(&srv, sock, err, sizeof(err)), 0);
	int fd = cp_sock_connect(sock, 1000, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "CPK1\0\1", 6), 6); /* half a header, then nothing */
	uint64_t t0 = rte_rdtsc();
	for (int i = 0; i < 5; i++)
		cp_ctl_server_poll(&srv, &ctl, 10, 2000 * S);
	double ms = (double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz();
	assert_true(ms < 1000); /* five polls of 10 ms each: the stalled peer costs nothing */
	/* Another client is served meanwhile. */
	int fd2 = cp_sock_connect(sock, 1000, err, sizeof(err));
	assert_true(fd2 >= 0);
	struct cp_msg_buf b = CP_MSG_BUF_INIT, in = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_STATUS, 21);
	cp_msg_end(&b);
	assert_int_equal(cp_msg_send_all(fd2, &b, 1000), 0);
	for (int i = 0; i < 5; i++)
		cp_ctl_server_poll(&srv, &ctl, 10, 2000 * S);
	assert_int_equal(cp_msg_recv(fd2, &in, 1000, err, sizeof(err)), 0);
	/* The stalled one is dropped once it has stalled too long. */
	cp_ctl_server_poll(&srv, &ctl, 10, 9000 * S);
	char c;
	assert_int_equal(read(fd, &c, 1), 0);
	cp_msg_buf_free(&b);
	cp_msg_buf_free(&in);
	close(fd);
	close(fd2);
	cp_ctl_server_close(&srv);
	rmdir(path);
}

/* ---- chokectl trace: open, drain, filter, lease ---- */

static uint16_t trace(const char *rule, const char *verdict, const char *reason, char *t,
		      size_t len)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_TRACE, 30);
	if (rule != NULL)
		cp_msg_put_str(&b, CP_TAG_RULE, rule);
	if (verdict != NULL)
		cp_msg_put_str(&b, CP_TAG_VERDICT, verdict);
	if (reason != NULL)
		cp_msg_put_str(&b, CP_TAG_REASON, reason);
	return run(&b, t, len, NULL);
}

/* What a worker writes for a decision: 192.0.2.1:40000 -> 198.51.100.7:443 over TCP. */
static void put(uint16_t rule, uint8_t verdict, uint8_t reason, uint32_t gen)
{
	struct cp_trace_w *w = &dp.workers[0].tr;
	struct cp_trace_rec *r = &w->rec[w->n++];
	memset(r, 0, sizeof(*r));
	r->t_ns = cp_clock_ns(&dp);
	memcpy(r->src, (uint8_t[]){192, 0, 2, 1}, 4);
	memcpy(r->dst, (uint8_t[]){198, 51, 100, 7}, 4);
	r->sport = 40000;
	r->dport = 443;
	r->l3 = CP_L3_IPV4;
	r->proto = 6;
	r->rule = rule;
	r->gen = (uint16_t)gen;
	r->verdict = verdict;
	r->reason = reason;
	r->category = CP_NO_CAT;
	r->in_port = 1;
	if (w->n == RTE_DIM(w->rec))
		cp_trace_w_flush(w);
}

static unsigned count_of(const char *t, const char *needle)
{
	unsigned n = 0;
	for (const char *p = strstr(t, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_trace(void **state)
{
	(void)state;
	static char t[1 << 20];
	uint32_t gen;
	assert_int_equal(install(good, t, sizeof(t), &gen), CP_MSG_INSTALL_POLICY | CP_MSG_REPLY);
	assert_int_equal(cp_trace_w_init(&dp.workers[0].tr, "test_trace", SOCKET_ID_ANY), 0);

	/* Bad filters: refused with one line, nothing opened. */
	assert_int_equal(trace(NULL, "maybe", NULL, t, sizeof(t)), CP_MSG_ERROR);
	assert_non_null(strstr(t, "unknown verdict \"maybe\""));
	assert_int_equal(trace(NULL, NULL, "sunspots", t, sizeof(t)), CP_MSG_ERROR);
	assert_non_null(strstr(t, "unknown reason"));
	assert_int_equal(trace("nosuch", NULL, NULL, t, sizeof(t)), CP_MSG_ERROR);
	assert_string_equal(t, "no rule \"nosuch\" in the running policy");
	assert_int_equal(dp.trace.on, 0);

	/* Records of an earlier trace are not this one's: a trace opens clean. */
	put(0, CP_V_PASS, CP_R_RULE, gen);
	cp_trace_w_flush(&dp.workers[0].tr);
	assert_int_equal(trace(NULL, NULL, NULL, t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	assert_string_equal(t, "{\"samples\": [], \"lost\": 0}");
	assert_int_equal(dp.trace.on, 1);

	/* Open: every decision, with its names and 5-tuple. */
	put(0, CP_V_PASS, CP_R_RULE, gen);
	put(CP_NO_RULE, CP_V_DROP, CP_R_DEFAULT_DENY, gen);
	put(CP_NO_RULE, CP_V_DROP, CP_R_MAL_TCP, gen);
	cp_trace_w_flush(&dp.workers[0].tr);
	assert_int_equal(trace(NULL, NULL, NULL, t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	print_message("trace: %s\n", t);
	assert_int_equal(count_of(t, "\"time\": \"20"), 3);
	assert_non_null(strstr(t, "\"port\": \"fiber\", \"proto\": \"tcp\", \"src\": "
				  "\"192.0.2.1\", \"sport\": 40000, \"dst\": \"198.51.100.7\", "
				  "\"dport\": 443, \"verdict\": \"pass\", \"rule\": \"web\", "
				  "\"category\": null, \"reason\": null}"));
	assert_non_null(strstr(t, "\"verdict\": \"drop\", \"rule\": null, \"category\": null, "
				  "\"reason\": \"default-deny\"}"));
	assert_non_null(strstr(t, "\"reason\": \"malformed\", \"detail\": \"malformed-tcp\"}"));
	assert_non_null(strstr(t, "\"lost\": 0}"));

	/* Filters hold on what the rings held (records written while the filter changed). */
	put(0, CP_V_PASS, CP_R_RULE, gen);
	put(CP_NO_RULE, CP_V_DROP, CP_R_DEFAULT_DENY, gen);
	cp_trace_w_flush(&dp.workers[0].tr);
	assert_int_equal(trace(NULL, "drop", NULL, t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	assert_int_equal(count_of(t, "\"time\""), 1);
	assert_non_null(strstr(t, "default-deny"));
	assert_int_equal(dp.trace.verdicts, 1u << CP_V_DROP);
	put(0, CP_V_PASS, CP_R_RULE, gen);
	put(1, CP_V_DROP, CP_R_RULE, gen);
	put(CP_NO_RULE, CP_V_DROP, CP_R_DEFAULT_DENY, gen);
	cp_trace_w_flush(&dp.workers[0].tr);
	assert_int_equal(trace("deny", NULL, NULL, t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	assert_int_equal(count_of(t, "\"time\""), 1);
	assert_non_null(strstr(t, "\"rule\": \"deny\""));
	assert_int_equal(dp.trace.rule, 1);
	put(CP_NO_RULE, CP_V_DROP, CP_R_DEFAULT_DENY, gen);
	put(CP_NO_RULE, CP_V_DROP, CP_R_MAL_UDP, gen);
	cp_trace_w_flush(&dp.workers[0].tr);
	assert_int_equal(trace(NULL, NULL, "malformed", t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	assert_int_equal(count_of(t, "\"time\""), 1);
	assert_non_null(strstr(t, "malformed-udp"));

	/* A rule index of another policy generation names nothing: left out. */
	put(0, CP_V_PASS, CP_R_RULE, gen + 1);
	put(0, CP_V_PASS, CP_R_RULE, gen);
	cp_trace_w_flush(&dp.workers[0].tr);
	assert_int_equal(trace(NULL, NULL, NULL, t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	assert_int_equal(count_of(t, "\"time\""), 1);

	/* A full ring: the rest is counted lost, once. */
	for (unsigned i = 0; i < CP_TRACE_RING + 5; i++)
		put(CP_NO_RULE, CP_V_DROP, CP_R_DEFAULT_DENY, gen);
	cp_trace_w_flush(&dp.workers[0].tr);
	assert_int_equal(trace(NULL, NULL, NULL, t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	assert_int_equal(count_of(t, "\"time\""), CP_TRACE_RING);
	assert_non_null(strstr(t, "\"lost\": 5}"));
	assert_int_equal(trace(NULL, NULL, NULL, t, sizeof(t)), CP_MSG_TRACE | CP_MSG_REPLY);
	assert_string_equal(t, "{\"samples\": [], \"lost\": 0}");

	/* The lease: without a request the trace closes; the status says so. */
	cp_trace_tick(&dp, cp_clock_ns(&dp) + CP_TRACE_LEASE_NS / 2);
	assert_int_equal(dp.trace.on, 1);
	cp_trace_tick(&dp, cp_clock_ns(&dp) + CP_TRACE_LEASE_NS + 1);
	assert_int_equal(dp.trace.on, 0);
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_STATUS, 31);
	run(&b, t, sizeof(t), NULL);
	assert_non_null(strstr(t, "\"trace_open\": false"));
	cp_trace_w_free(&dp.workers[0].tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_install),	     cmocka_unit_test(test_install_hs),
	    cmocka_unit_test(test_grants_and_state), cmocka_unit_test(test_grants_set),
	    cmocka_unit_test(test_stalled_peer),     cmocka_unit_test(test_trace),
	};
	return cmocka_run_group_tests(tests, setup, cp_test_eal_teardown);
}
