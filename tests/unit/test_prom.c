/* Unit tests of common/prom: escaping, name checks, samples, and the conversion of counters JSON
 * (as the dataplane writes it) into Prometheus exposition text, compared line by line; malformed
 * JSON and wrong shapes are refused with a message and nothing written. When promtool is on the
 * PATH, the converted text also goes through `promtool check metrics`. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prom.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void capture_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

/* Closes the stream; the text stays in c->buf (free it). */
static char *capture_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	assert_non_null(c->buf);
	return c->buf;
}

/* Compares got and want line by line, naming the first line that differs. */
static void assert_lines_equal(const char *got, const char *want)
{
	unsigned line = 1;
	while (*got != '\0' || *want != '\0') {
		size_t g = strcspn(got, "\n"), w = strcspn(want, "\n");
		if (g != w || memcmp(got, want, g) != 0 || got[g] != want[w])
			fail_msg("line %u differs:\n got: %.*s\nwant: %.*s", line, (int)g, got,
				 (int)w, want);
		got += g + (got[g] != '\0');
		want += w + (want[w] != '\0');
		line++;
	}
}

/* Converts json (extra label dataplane=dp0 when dp is set); expects success, returns the text. */
static char *convert_ok(const char *json, const char *dp)
{
	struct capture c;
	char err[256] = "";
	capture_open(&c);
	int rc =
	    cp_prom_from_counters_json(json, c.f, dp ? "dataplane" : NULL, dp, err, sizeof(err));
	char *text = capture_close(&c);
	if (rc != 0)
		fail_msg("conversion failed: %s", err);
	return text;
}

/* ---- escaping and names ---- */

static const struct {
	const char *in, *help, *label;
} escapes[] = {
    {"plain", "plain", "plain"},
    {"", "", ""},
    {"back\\slash", "back\\\\slash", "back\\\\slash"},
    {"new\nline", "new\\nline", "new\\nline"},
    {"\"quoted\"", "\"quoted\"", "\\\"quoted\\\""},
    {"tab\tand cr\r", "tab\tand cr\r", "tab\tand cr\r"},
    {"\\n", "\\\\n", "\\\\n"},
    {"\n\n\\\"", "\\n\\n\\\\\"", "\\n\\n\\\\\\\""},
    {"caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9"},
};

static void test_escaping(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(escapes); i++) {
		struct capture c;
		char want[256];
		const char *ln[] = {"l"}, *lv[] = {escapes[i].in};
		capture_open(&c);
		assert_int_equal(cp_prom_family(c.f, "m", escapes[i].in, "gauge"), 0);
		assert_int_equal(cp_prom_sample(c.f, "m", ln, lv, 1, 7), 0);
		char *text = capture_close(&c);
		snprintf(want, sizeof(want), "# HELP m %s\n# TYPE m gauge\nm{l=\"%s\"} 7\n",
			 escapes[i].help, escapes[i].label);
		assert_string_equal(text, want);
		free(text);
	}
}

static const struct {
	const char *name;
	bool label_ok, metric_ok;
} names[] = {
    {"verdict", true, true},  {"_x", true, true},    {"A_b9", true, true},
    {"__name__", true, true}, {"a:b", false, true},  {":a", false, true},
    {"", false, false},	      {"9a", false, false},  {"a-b", false, false},
    {"a b", false, false},    {"a.b", false, false}, {"caf\xc3\xa9", false, false},
    {"a\"", false, false},    {"a\n", false, false},
};

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (cp_prom_label_name_ok(names[i].name) != names[i].label_ok)
			fail_msg("label name \"%s\": want %d", names[i].name, names[i].label_ok);
		if (cp_prom_metric_name_ok(names[i].name) != names[i].metric_ok)
			fail_msg("metric name \"%s\": want %d", names[i].name, names[i].metric_ok);
	}
	assert_false(cp_prom_label_name_ok(NULL));
	assert_false(cp_prom_metric_name_ok(NULL));
}

/* Bad label names, repeated names, NULL values and bad metric names: -1 and nothing written. */
static void test_sample_refused(void **state)
{
	(void)state;
	static const struct {
		const char *metric, *n0, *n1, *v1;
	} cases[] = {
	    {"m", "9bad", "ok", "v"}, {"m", "ok", "bad-name", "v"},  {"m", "a", "a", "v"},
	    {"m", "a", "b", NULL},    {"bad metric", "a", "b", "v"}, {"", "a", "b", "v"},
	    {"m", "", "b", "v"},      {"m", "a:b", "b", "v"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct capture c;
		const char *ln[] = {cases[i].n0, cases[i].n1}, *lv[] = {"v0", cases[i].v1};
		capture_open(&c);
		assert_int_equal(cp_prom_sample(c.f, cases[i].metric, ln, lv, 2, 1), -1);
		assert_int_equal(cp_prom_sample_double(c.f, cases[i].metric, ln, lv, 2, 1.5), -1);
		char *text = capture_close(&c);
		if (text[0] != '\0')
			fail_msg("case %zu wrote \"%s\"", i, text);
		free(text);
	}
}

static void test_family_refused(void **state)
{
	(void)state;
	static const struct {
		const char *name, *help, *type;
	} cases[] = {
	    {"m", "h", "counters"}, {"m", "h", ""},	  {"m", "h", NULL},
	    {"m", NULL, "gauge"},   {"1m", "h", "gauge"}, {"m m", "h", "counter"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct capture c;
		capture_open(&c);
		assert_int_equal(cp_prom_family(c.f, cases[i].name, cases[i].help, cases[i].type),
				 -1);
		char *text = capture_close(&c);
		assert_string_equal(text, "");
		free(text);
	}
}

static void test_sample_values(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *want;
	} doubles[] = {
	    {0.25, "m 0.25\n"},
	    {1, "m 1\n"},
	    {0, "m 0\n"},
	    {0.1, "m 0.1\n"},
	    {1e-300, "m 1e-300\n"},
	    {1.0 / 3, "m 0.3333333333333333\n"},
	    {NAN, "m NaN\n"},
	    {INFINITY, "m +Inf\n"},
	    {-INFINITY, "m -Inf\n"},
	    {-2.5, "m -2.5\n"},
	    {123456789, "m 123456789\n"},
	};
	for (size_t i = 0; i < ARRAY_LEN(doubles); i++) {
		struct capture c;
		capture_open(&c);
		assert_int_equal(cp_prom_sample_double(c.f, "m", NULL, NULL, 0, doubles[i].v), 0);
		char *text = capture_close(&c);
		assert_string_equal(text, doubles[i].want);
		free(text);
	}
	struct capture c;
	const char *ln[] = {"a", "b"}, *lv[] = {"x", "y"};
	capture_open(&c);
	assert_int_equal(cp_prom_sample(c.f, "m_total", ln, lv, 2, UINT64_MAX), 0);
	assert_int_equal(cp_prom_sample(c.f, "m_total", NULL, NULL, 0, 0), 0);
	char *text = capture_close(&c);
	assert_string_equal(text, "m_total{a=\"x\",b=\"y\"} 18446744073709551615\nm_total 0\n");
	free(text);
}

/* ---- counters JSON ---- */

/* Laid out as dataplane/counters_out.c writes it. */
static const char counters_json[] =
    "{\n"
    "  \"packets_total\": {\"pass\": 3, \"drop\": 3, \"reject\": 1},\n"
    "  \"bytes_total\": {\"pass\": 222, \"drop\": 180, \"reject\": 60},\n"
    "  \"rule_packets_total\": {\"web\": 2, \"no-social\": 1, \"deny\": 3},\n"
    "  \"rule_bytes_total\": {\"web\": 148, \"no-social\": 60, \"deny\": 180},\n"
    "  \"category_matches_total\": {\"social\": 2},\n"
    "  \"category_flows_total\": {\"social\": 1},\n"
    "  \"extract_total\": {\"sni\": {\"parsed\": 1, \"truncated\": 0}},\n"
    "  \"drop_reason_total\": {\"rule\": 4, \"malformed-ipv4\": 1},\n"
    "  \"port_packets_total\": {\"inside\": {\"rx\": 3, \"tx\": 0}, \"fiber\": {\"rx\": 4, "
    "\"tx\": 3}},\n"
    "  \"port_bytes_total\": {\"inside\": {\"rx\": 222, \"tx\": 0}, \"fiber\": {\"rx\": 240, "
    "\"tx\": 222}},\n"
    "  \"port_missed_total\": {\"inside\": 0, \"fiber\": 0},\n"
    "  \"flows_active\": 3,\n"
    "  \"flows_created_total\": 3,\n"
    "  \"flows_evicted_total\": 0,\n"
    "  \"flows_early_dropped_total\": 2,\n"
    "  \"flows_untracked_total\": 0,\n"
    "  \"flows_reevaluated_total\": 1,\n"
    "  \"injected_total\": 1,\n"
    "  \"inject_failed_total\": 0,\n"
    "  \"grants_active\": 1,\n"
    "  \"policy_generation\": 1,\n"
    "  \"uplink_active\": {\"fiber\": 1},\n"
    "  \"worker_busy_ratio\": {\"0\": 0.2500, \"1\": 0.0312}\n"
    "}\n";

static const char counters_prom[] =
    "# HELP chokepoint_packets_total Packets by final verdict\n"
    "# TYPE chokepoint_packets_total counter\n"
    "chokepoint_packets_total{dataplane=\"dp0\",verdict=\"pass\"} 3\n"
    "chokepoint_packets_total{dataplane=\"dp0\",verdict=\"drop\"} 3\n"
    "chokepoint_packets_total{dataplane=\"dp0\",verdict=\"reject\"} 1\n"
    "# HELP chokepoint_bytes_total Bytes by final verdict\n"
    "# TYPE chokepoint_bytes_total counter\n"
    "chokepoint_bytes_total{dataplane=\"dp0\",verdict=\"pass\"} 222\n"
    "chokepoint_bytes_total{dataplane=\"dp0\",verdict=\"drop\"} 180\n"
    "chokepoint_bytes_total{dataplane=\"dp0\",verdict=\"reject\"} 60\n"
    "# HELP chokepoint_rule_packets_total Packets decided by each rule\n"
    "# TYPE chokepoint_rule_packets_total counter\n"
    "chokepoint_rule_packets_total{dataplane=\"dp0\",rule=\"web\"} 2\n"
    "chokepoint_rule_packets_total{dataplane=\"dp0\",rule=\"no-social\"} 1\n"
    "chokepoint_rule_packets_total{dataplane=\"dp0\",rule=\"deny\"} 3\n"
    "# HELP chokepoint_rule_bytes_total Bytes decided by each rule\n"
    "# TYPE chokepoint_rule_bytes_total counter\n"
    "chokepoint_rule_bytes_total{dataplane=\"dp0\",rule=\"web\"} 148\n"
    "chokepoint_rule_bytes_total{dataplane=\"dp0\",rule=\"no-social\"} 60\n"
    "chokepoint_rule_bytes_total{dataplane=\"dp0\",rule=\"deny\"} 180\n"
    "# HELP chokepoint_category_matches_total Payload classification matches by category\n"
    "# TYPE chokepoint_category_matches_total counter\n"
    "chokepoint_category_matches_total{dataplane=\"dp0\",category=\"social\"} 2\n"
    "# HELP chokepoint_category_flows_total Flows in which a category matched\n"
    "# TYPE chokepoint_category_flows_total counter\n"
    "chokepoint_category_flows_total{dataplane=\"dp0\",category=\"social\"} 1\n"
    "# HELP chokepoint_extract_total Names looked for in payloads, by extractor and outcome\n"
    "# TYPE chokepoint_extract_total counter\n"
    "chokepoint_extract_total{dataplane=\"dp0\",extractor=\"sni\",outcome=\"parsed\"} 1\n"
    "chokepoint_extract_total{dataplane=\"dp0\",extractor=\"sni\",outcome=\"truncated\"} 0\n"
    "# HELP chokepoint_drop_reason_total Packets dropped or rejected, by reason\n"
    "# TYPE chokepoint_drop_reason_total counter\n"
    "chokepoint_drop_reason_total{dataplane=\"dp0\",reason=\"rule\"} 4\n"
    "chokepoint_drop_reason_total{dataplane=\"dp0\",reason=\"malformed-ipv4\"} 1\n"
    "# HELP chokepoint_port_packets_total Packets received (rx) and sent (tx) per port\n"
    "# TYPE chokepoint_port_packets_total counter\n"
    "chokepoint_port_packets_total{dataplane=\"dp0\",port=\"inside\",direction=\"rx\"} 3\n"
    "chokepoint_port_packets_total{dataplane=\"dp0\",port=\"inside\",direction=\"tx\"} 0\n"
    "chokepoint_port_packets_total{dataplane=\"dp0\",port=\"fiber\",direction=\"rx\"} 4\n"
    "chokepoint_port_packets_total{dataplane=\"dp0\",port=\"fiber\",direction=\"tx\"} 3\n"
    "# HELP chokepoint_port_bytes_total Bytes received (rx) and sent (tx) per port\n"
    "# TYPE chokepoint_port_bytes_total counter\n"
    "chokepoint_port_bytes_total{dataplane=\"dp0\",port=\"inside\",direction=\"rx\"} 222\n"
    "chokepoint_port_bytes_total{dataplane=\"dp0\",port=\"inside\",direction=\"tx\"} 0\n"
    "chokepoint_port_bytes_total{dataplane=\"dp0\",port=\"fiber\",direction=\"rx\"} 240\n"
    "chokepoint_port_bytes_total{dataplane=\"dp0\",port=\"fiber\",direction=\"tx\"} 222\n"
    "# HELP chokepoint_port_missed_total Packets the port dropped for lack of receive buffers\n"
    "# TYPE chokepoint_port_missed_total counter\n"
    "chokepoint_port_missed_total{dataplane=\"dp0\",port=\"inside\"} 0\n"
    "chokepoint_port_missed_total{dataplane=\"dp0\",port=\"fiber\"} 0\n"
    "# HELP chokepoint_flows_active Flows in the flow tables\n"
    "# TYPE chokepoint_flows_active gauge\n"
    "chokepoint_flows_active{dataplane=\"dp0\"} 3\n"
    "# HELP chokepoint_flows_created_total Flows created\n"
    "# TYPE chokepoint_flows_created_total counter\n"
    "chokepoint_flows_created_total{dataplane=\"dp0\"} 3\n"
    "# HELP chokepoint_flows_evicted_total Flows removed after their idle timeout\n"
    "# TYPE chokepoint_flows_evicted_total counter\n"
    "chokepoint_flows_evicted_total{dataplane=\"dp0\"} 0\n"
    "# HELP chokepoint_flows_early_dropped_total Flows not yet established given up to make "
    "room for a new flow in a full table\n"
    "# TYPE chokepoint_flows_early_dropped_total counter\n"
    "chokepoint_flows_early_dropped_total{dataplane=\"dp0\"} 2\n"
    "# HELP chokepoint_flows_untracked_total Packets decided without a flow entry because the "
    "flow table was full\n"
    "# TYPE chokepoint_flows_untracked_total counter\n"
    "chokepoint_flows_untracked_total{dataplane=\"dp0\"} 0\n"
    "# HELP chokepoint_flows_reevaluated_total Flow decisions taken again after a policy or "
    "grant change\n"
    "# TYPE chokepoint_flows_reevaluated_total counter\n"
    "chokepoint_flows_reevaluated_total{dataplane=\"dp0\"} 1\n"
    "# HELP chokepoint_injected_total RST and ICMP frames generated for rejects\n"
    "# TYPE chokepoint_injected_total counter\n"
    "chokepoint_injected_total{dataplane=\"dp0\"} 1\n"
    "# HELP chokepoint_inject_failed_total Rejects whose frames could not be generated\n"
    "# TYPE chokepoint_inject_failed_total counter\n"
    "chokepoint_inject_failed_total{dataplane=\"dp0\"} 0\n"
    "# HELP chokepoint_payload_retransmits_total TCP segments under inspection that repeated "
    "bytes already inspected\n"
    "# TYPE chokepoint_payload_retransmits_total counter\n"
    "# HELP chokepoint_payload_overlaps_total TCP segments under inspection that partly "
    "repeated bytes already inspected\n"
    "# TYPE chokepoint_payload_overlaps_total counter\n"
    "# HELP chokepoint_grants_active Grants in force\n"
    "# TYPE chokepoint_grants_active gauge\n"
    "chokepoint_grants_active{dataplane=\"dp0\"} 1\n"
    "# HELP chokepoint_policy_generation Generation of the policy in force\n"
    "# TYPE chokepoint_policy_generation gauge\n"
    "chokepoint_policy_generation{dataplane=\"dp0\"} 1\n"
    "# HELP chokepoint_uplink_active 1 for the uplink in use, 0 for the others\n"
    "# TYPE chokepoint_uplink_active gauge\n"
    "chokepoint_uplink_active{dataplane=\"dp0\",uplink=\"fiber\"} 1\n"
    "# HELP chokepoint_worker_busy_ratio Fraction of worker loop iterations that handled "
    "packets\n"
    "# TYPE chokepoint_worker_busy_ratio gauge\n"
    "chokepoint_worker_busy_ratio{dataplane=\"dp0\",worker=\"0\"} 0.25\n"
    "chokepoint_worker_busy_ratio{dataplane=\"dp0\",worker=\"1\"} 0.0312\n"
    "# HELP chokepoint_uplink_changes_total Times the uplink in use changed to another port\n"
    "# TYPE chokepoint_uplink_changes_total counter\n";

static void test_counters_json(void **state)
{
	(void)state;
	char *text = convert_ok(counters_json, "dp0");
	assert_lines_equal(text, counters_prom);
	free(text);
}

/* Without the extra label, and with families absent from the JSON (replay leaves out
 * worker_busy_ratio): every family still comes once, with HELP and TYPE. */
static void test_counters_minimal(void **state)
{
	(void)state;
	char *text = convert_ok("{\"flows_active\": 2, \"packets_total\": {\"pass\": 1}}", NULL);
	unsigned helps = 0, types = 0, samples = 0;
	for (char *line = text; *line != '\0';) {
		size_t n = strcspn(line, "\n");
		helps += strncmp(line, "# HELP ", 7) == 0;
		types += strncmp(line, "# TYPE ", 7) == 0;
		samples += line[0] != '#';
		line += n + (line[n] != '\0');
	}
	assert_int_equal(helps, 26);
	assert_int_equal(types, 26);
	assert_int_equal(samples, 2);
	assert_non_null(strstr(text, "\nchokepoint_flows_active 2\n"));
	assert_non_null(strstr(text, "\nchokepoint_packets_total{verdict=\"pass\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE chokepoint_worker_busy_ratio gauge\n"));
	free(text);
}

/* Two dataplanes: each family once, samples of dp0 then dp1. */
static void test_counters_several(void **state)
{
	(void)state;
	const char *jsons[] = {"{\"flows_active\": 2, \"uplink_active\": {\"a\": 1}}",
			       "{\"uplink_active\": {\"a\": 0}, \"flows_active\": 5}"};
	const char *dps[] = {"dp0", "dp1"};
	struct capture c;
	char err[256] = "";
	capture_open(&c);
	assert_int_equal(
	    cp_prom_from_counters_jsons(jsons, 2, c.f, "dataplane", dps, err, sizeof(err)), 0);
	char *text = capture_close(&c);
	assert_non_null(strstr(text, "# TYPE chokepoint_flows_active gauge\n"
				     "chokepoint_flows_active{dataplane=\"dp0\"} 2\n"
				     "chokepoint_flows_active{dataplane=\"dp1\"} 5\n"));
	assert_non_null(strstr(text,
			       "# TYPE chokepoint_uplink_active gauge\n"
			       "chokepoint_uplink_active{dataplane=\"dp0\",uplink=\"a\"} 1\n"
			       "chokepoint_uplink_active{dataplane=\"dp1\",uplink=\"a\"} 0\n"));
	const char *first = strstr(text, "# HELP chokepoint_flows_active");
	assert_non_null(first);
	assert_null(strstr(first + 1, "# HELP chokepoint_flows_active"));
	free(text);
}

/* Keys with escapes become label values with the exposition's escapes; unknown numbers are
 * exported as they are. */
static void test_counters_escapes(void **state)
{
	(void)state;
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{\"rule_packets_total\": {\"a\\\"b\": 1}}",
	     "\nchokepoint_rule_packets_total{rule=\"a\\\"b\"} 1\n"},
	    {"{\"rule_packets_total\": {\"a\\\\b\": 1}}",
	     "\nchokepoint_rule_packets_total{rule=\"a\\\\b\"} 1\n"},
	    {"{\"rule_packets_total\": {\"a\\nb\": 1}}",
	     "\nchokepoint_rule_packets_total{rule=\"a\\nb\"} 1\n"},
	    {"{\"rule_packets_total\": {\"caf\\u00e9 \\ud83d\\ude00\\/\\t\": 1}}",
	     "\nchokepoint_rule_packets_total{rule=\"caf\xc3\xa9 \xf0\x9f\x98\x80/\t\"} 1\n"},
	    {"{\"rule_packets_total\": {\"caf\xc3\xa9\": 9223372036854775807}}",
	     "\nchokepoint_rule_packets_total{rule=\"caf\xc3\xa9\"} 9223372036854775807\n"},
	    {" \r\n\t{ \"flows_active\" : 0 } \n", "\nchokepoint_flows_active 0\n"},
	    {"{\"worker_busy_ratio\": {\"0\": 1.5e-3, \"1\": 0.0, \"2\": 2E+2}}",
	     "{worker=\"0\"} 0.0015\nchokepoint_worker_busy_ratio{worker=\"1\"} 0\n"
	     "chokepoint_worker_busy_ratio{worker=\"2\"} 2e+02\n"},
	    {"{\"frames_total\": 9}", "# HELP chokepoint_frames_total Counter frames_total of the "
				      "dataplane\n# TYPE chokepoint_frames_total counter\n"
				      "chokepoint_frames_total 9\n"},
	    {"{\"queue_depth\": 4}", "# TYPE chokepoint_queue_depth gauge\n"
				     "chokepoint_queue_depth 4\n"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *text = convert_ok(cases[i].json, NULL);
		if (strstr(text, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" not in:\n%s", i, cases[i].want, text);
		free(text);
	}
}

static const struct {
	const char *json, *msg; /* msg: a part of the error message */
} bad_json[] = {
    {"", "'[' or '{' expected"},
    {"   ", "'[' or '{' expected"},
    {"[1]", "an object expected"},
    {"3", "'[' or '{' expected"},
    {"{", "string or '}' expected"},
    {"{\"flows_active\": 1", "'}' expected"},
    {"{\"flows_active\": 1,}", "string or '}' expected"},
    {"{\"flows_active\" 1}", "':' expected"},
    {"{flows_active: 1}", "string or '}' expected"},
    {"{\"flows_active\": -1}", "negative number"},
    {"{\"flows_active\": true}", "number or object expected"},
    {"{\"flows_active\": null}", "number or object expected"},
    {"{\"flows_active\": \"1\"}", "number or object expected"},
    {"{\"flows_active\": [1]}", "number or object expected"},
    {"{\"flows_active\": 01}", "invalid token"},
    {"{\"flows_active\": 1.}", "invalid token"},
    {"{\"flows_active\": .5}", "invalid token"},
    {"{\"flows_active\": 1e}", "invalid token"},
    {"{\"flows_active\": 18446744073709551616}", "too big integer"},
    {"{\"flows_active\": 100000000000000000000}", "too big integer"},
    {"{\"flows_active\": 18446744073709551615}", "too big integer"},
    {"{\"flows_active\": 1} x", "end of file expected"},
    {"{\"flows_active\": 1}{}", "end of file expected"},
    {"{\"a\": {\"b\": {\"c\": {\"d\": 1}}}}", "nested too deep"},
    {"{\"rule_packets_total\": {\"a\": 1, \"a\": 2}}", "duplicate object key"},
    {"{\"flows_active\": 1, \"flows_active\": 1}", "duplicate object key"},
    {"{\"rule_packets_total\": {\"a\\x\": 1}}", "invalid escape"},
    {"{\"rule_packets_total\": {\"a\\u12\": 1}}", "invalid escape"},
    {"{\"rule_packets_total\": {\"a\\u0000\": 1}}", "NUL byte"},
    {"{\"rule_packets_total\": {\"\\ud83d\": 1}}", "invalid Unicode"},
    {"{\"rule_packets_total\": {\"\\ude00\": 1}}", "invalid Unicode"},
    {"{\"rule_packets_total\": {\"\\ud83d\\u0041\": 1}}", "invalid Unicode"},
    {"{\"rule_packets_total\": {\"a\nb\": 1}}", "unexpected newline"},
    {"{\"rule_packets_total\": {\"\xff\": 1}}", "unable to decode byte"},
    {"{\"rule_packets_total\": {\"\xc0\xaf\": 1}}", "unable to decode byte"},
    {"{\"rule_packets_total\": {\"\xed\xa0\x80\": 1}}", "unable to decode byte"},
    {"{\"rule_packets_total\": {\"\xe2\x82\": 1}}", "unable to decode byte"},
    {"{\"rule_packets_total\": {\"abc", "premature end of input"},
    {"{\"rule_packets_total\": {\"abc\\", "invalid escape"},
    {"{\"flows_active\": {\"x\": 1}}", "should be a number"},
    {"{\"packets_total\": 3}", "should be an object of numbers"},
    {"{\"packets_total\": {\"pass\": {\"rx\": 1}}}", "should be an object of numbers"},
    {"{\"port_packets_total\": {\"inside\": 3}}", "objects of numbers"},
    {"{\"port_packets_total\": 3}", "objects of numbers"},
    {"{\"mystery\": {\"a\": 1}}", "unknown labelled counter"},
    {"{\"bad-name\": 1}", "not a metric name"},
    {"{\"\": 1}", "not a metric name"},
};

static void test_counters_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_json); i++) {
		struct capture c;
		char err[256] = "";
		capture_open(&c);
		int rc =
		    cp_prom_from_counters_json(bad_json[i].json, c.f, NULL, NULL, err, sizeof(err));
		char *text = capture_close(&c);
		if (rc != -1 || text[0] != '\0')
			fail_msg("case %zu (%s) accepted:\n%s", i, bad_json[i].json, text);
		if (strstr(err, bad_json[i].msg) == NULL)
			fail_msg("case %zu (%s): message \"%s\" lacks \"%s\"", i, bad_json[i].json,
				 err, bad_json[i].msg);
		free(text);
	}
}

/* Every strict prefix of a valid object is refused; random byte changes never crash and never
 * leave half an output (ASan and valgrind see the rest). */
static void test_counters_mutations(void **state)
{
	(void)state;
	size_t len = strlen(counters_json);
	const char *last = strrchr(counters_json, '}');
	char *copy = malloc(len + 1);
	unsigned seed = 12345;
	assert_non_null(copy);
	for (size_t cut = 0; cut <= len; cut++) {
		struct capture c;
		memcpy(copy, counters_json, cut);
		copy[cut] = '\0';
		capture_open(&c);
		int rc = cp_prom_from_counters_json(copy, c.f, NULL, NULL, NULL, 0);
		char *text = capture_close(&c);
		if ((rc == 0) != (cut > (size_t)(last - counters_json)))
			fail_msg("prefix of %zu bytes: rc %d", cut, rc);
		free(text);
	}
	for (unsigned i = 0; i < 3000; i++) {
		struct capture c;
		char err[128];
		memcpy(copy, counters_json, len + 1);
		for (unsigned k = 0; k < 1 + i % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			copy[at] = (char)(1 + (seed >> 16) % 255);
		}
		capture_open(&c);
		int rc = cp_prom_from_counters_json(copy, c.f, "dataplane", "x", err, sizeof(err));
		char *text = capture_close(&c);
		assert_true(rc == 0 || (rc == -1 && text[0] == '\0'));
		free(text);
	}
	free(copy);
}

/* The extra label: a valid name that no family uses, distinct values, required for several. */
static void test_extra_label_refused(void **state)
{
	(void)state;
	static const struct {
		const char *name, *v0, *v1;
		unsigned n;
	} cases[] = {
	    {"port", "a", NULL, 1},	{"direction", "a", NULL, 1}, {"verdict", "a", NULL, 1},
	    {"bad-name", "a", NULL, 1}, {"", "a", NULL, 1},	     {"dataplane", NULL, NULL, 1},
	    {"dataplane", "a", "a", 2}, {NULL, NULL, NULL, 2},	     {"dataplane", "\xff", NULL, 1},
	};
	const char *jsons[] = {"{\"flows_active\": 1}", "{\"flows_active\": 2}"};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct capture c;
		char err[256] = "";
		const char *values[] = {cases[i].v0, cases[i].v1};
		capture_open(&c);
		int rc = cp_prom_from_counters_jsons(jsons, cases[i].n, c.f, cases[i].name, values,
						     err, sizeof(err));
		char *text = capture_close(&c);
		if (rc != -1 || text[0] != '\0' || err[0] == '\0')
			fail_msg("case %zu accepted", i);
		free(text);
	}
}

/* promtool, when installed, agrees that the text is valid exposition. */
static void test_promtool(void **state)
{
	(void)state;
	if (system("command -v promtool >/dev/null 2>&1") != 0)
		skip();
	char *text = convert_ok(counters_json, "dp0");
	FILE *p = popen("promtool check metrics", "w");
	assert_non_null(p);
	fputs(text, p);
	int rc = pclose(p);
	free(text);
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escaping),	       cmocka_unit_test(test_names),
	    cmocka_unit_test(test_sample_refused),     cmocka_unit_test(test_family_refused),
	    cmocka_unit_test(test_sample_values),      cmocka_unit_test(test_counters_json),
	    cmocka_unit_test(test_counters_minimal),   cmocka_unit_test(test_counters_several),
	    cmocka_unit_test(test_counters_escapes),   cmocka_unit_test(test_counters_malformed),
	    cmocka_unit_test(test_counters_mutations), cmocka_unit_test(test_extra_label_refused),
	    cmocka_unit_test(test_promtool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
