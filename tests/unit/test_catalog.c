/* Unit tests of the catalogue (common/catalog.h) against its exporters: every key the dataplane's
 * counters JSON holds has a Prometheus family (no key falls through to the generic "Counter ... of
 * the dataplane" help), every family of the catalogue is written by the dataplane, and the name
 * tables built from the lists say what the lists say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "counters_out.h"
#include "ctl_msg.h"
#include "dp.h"
#include "policy.h"
#include "prom.h"
#include "view_build.h"

/* Written by live runs only: the XDP pre-filter's drops, and timing. */
static const char *const live_only[] = {"xdp_drop_total", "worker_busy_ratio"};

static bool is_live_only(const char *key)
{
	for (size_t i = 0; i < sizeof(live_only) / sizeof(live_only[0]); i++)
		if (strcmp(key, live_only[i]) == 0)
			return true;
	return false;
}

/* The counters JSON of a one-worker, one-port replay dataplane with nothing counted. */
static char *dataplane_json(void)
{
	static struct cp_dp dp;
	static struct cp_ctl ctl;
	char *text = NULL;
	size_t len = 0;
	dp.n_workers = 1;
	dp.replay = true;
	dp.workers = aligned_alloc(64, sizeof(struct cp_worker));
	assert_non_null(dp.workers);
	memset(dp.workers, 0, sizeof(struct cp_worker));
	snprintf(dp.ports[0].name, sizeof(dp.ports[0].name), "fiber");
	dp.ports[0].role = CP_ROLE_UPLINK;
	dp.n_ports = 1;
	ctl.dp = &dp;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	cp_counters_json(f, &dp, &ctl, 0);
	assert_int_equal(fclose(f), 0);
	free(dp.workers);
	return text;
}

/* Every family and alias of the catalogue, as data. */
static const char *const catalogue_keys[] = {
#define KEY_F(key, type, label, label2, help) key,
#define KEY_S(field, key, help)		      key,
#define KEY_A(key, family, label, value)      key,
    CP_COUNTER_FAMILIES(KEY_F, KEY_S) CP_COUNTER_ALIASES(KEY_A)
#undef KEY_F
#undef KEY_S
#undef KEY_A
};

#define N_KEYS (sizeof(catalogue_keys) / sizeof(catalogue_keys[0]))

/* Every key the dataplane writes is in the catalogue, and /metrics gives each its own family. */
static void test_every_counter_exported(void **state)
{
	(void)state;
	char *json = dataplane_json(), *prom = NULL, err[256] = "";
	size_t len = 0;
	FILE *out = open_memstream(&prom, &len);
	assert_non_null(out);
	int rc = cp_prom_from_counters_json(json, out, NULL, NULL, err, sizeof(err));
	assert_int_equal(fclose(out), 0);
	if (rc != 0)
		fail_msg("%s", err);
	/* Top-level keys: "  \"key\": " at the start of a line. */
	for (const char *p = json; (p = strstr(p, "\n  \"")) != NULL;) {
		char key[128];
		p += 4;
		size_t n = strcspn(p, "\"");
		assert_true(n < sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		bool found = false;
		for (size_t i = 0; i < N_KEYS && !found; i++)
			found = strcmp(catalogue_keys[i], key) == 0;
		if (!found)
			fail_msg("counters JSON key \"%s\" is not in catalog.h", key);
	}
	if (strstr(prom, " of the dataplane\n") != NULL)
		fail_msg("a counter without its family:\n%s", strstr(prom, "# HELP chokepoint_"));
	free(prom);
	free(json);
}

/* Every family of the catalogue is written by the dataplane (live-only ones aside). */
static void test_every_family_written(void **state)
{
	(void)state;
	char *json = dataplane_json();
	for (size_t i = 0; i < N_KEYS; i++) {
		char quoted[128];
		snprintf(quoted, sizeof(quoted), "\n  \"%s\": ", catalogue_keys[i]);
		if (is_live_only(catalogue_keys[i]))
			continue;
		if (strstr(json, quoted) == NULL)
			fail_msg("catalogue family \"%s\" is not in the counters JSON",
				 catalogue_keys[i]);
	}
	free(json);
}

/* The name tables built from the lists. */
static void test_name_tables(void **state)
{
	(void)state;
	static const struct {
		uint16_t type;
		const char *name;
	} types[] = {
#define TYPE_ROW(id, n) {n, #id}, {n | CP_MSG_REPLY, #id " reply"},
	    CP_MSG_TYPES(TYPE_ROW)
#undef TYPE_ROW
		{CP_MSG_ERROR, "ERROR"},
	    {0, "unknown"},
	    {CP_MSG_REQ_LAST + 1, "unknown"},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_string_equal(cp_msg_type_name(types[i].type), types[i].name);
	static const struct {
		uint16_t tag;
		const char *name;
	} tags[] = {
#define TAG_ROW(id, n, kind, min, max) {n, #id},
	    CP_TAGS(TAG_ROW)
#undef TAG_ROW
		{0, "unknown"},
	    {CP_TAG_LAST + 1, "unknown"},
	};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		assert_string_equal(cp_tag_name(tags[i].tag), tags[i].name);
	assert_null(cp_field_name(CP_FIELD_MAX));
}

static const char *field_name(unsigned i)
{
	return cp_field_name((enum cp_field)i);
}

static const char *verdict_name(unsigned i)
{
	return cp_verdict_name((enum cp_verdict)i);
}

/* Lists of X(ID, name): one name per enum value, in order. */
static void test_name_lists(void **state)
{
	(void)state;
#define NAME_ROW(id, name) name,
	static const char *const fields[] = {CP_FIELDS(NAME_ROW)};
	static const char *const verdicts[] = {CP_VERDICTS(NAME_ROW)};
#undef NAME_ROW
	static const struct {
		const char *const *names;
		size_t n, max;
		const char *(*name)(unsigned);
	} lists[] = {
	    {fields, sizeof(fields) / sizeof(fields[0]), CP_FIELD_MAX, field_name},
	    {verdicts, sizeof(verdicts) / sizeof(verdicts[0]), CP_V_MAX, verdict_name},
	};
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		assert_int_equal(lists[l].n, lists[l].max);
		for (unsigned i = 0; i < lists[l].n; i++)
			assert_string_equal(lists[l].name(i), lists[l].names[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_counter_exported),
	    cmocka_unit_test(test_every_family_written),
	    cmocka_unit_test(test_name_tables),
	    cmocka_unit_test(test_name_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
