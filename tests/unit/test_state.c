/* Unit tests of ctrlplane/state: grant edits, the lapse rule, atomic save and strict load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"

#define S 1000000000ull

static struct cp_prefix pfx(const char *s)
{
	struct cp_prefix p;
	char err[128];
	assert_int_equal(cp_prefix_parse(s, &p, err, sizeof(err)), 0);
	return p;
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/test-state-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rmdir_all(char *d)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/state", d);
	unlink(p);
	snprintf(p, sizeof(p), "%s/state.tmp", d);
	unlink(p);
	rmdir(d);
	free(d);
}

static void test_edits(void **state)
{
	(void)state;
	struct cp_state s;
	struct cp_prefix h = pfx("192.0.2.5"), net = pfx("192.0.2.0/24"),
			 other = pfx("198.51.100.1");
	cp_state_init(&s);
	assert_int_equal(cp_state_give(&s, &h, 100 * S, 3600 * S, 300 * S), 0);
	assert_int_equal(s.n, 1);
	/* Lapse: live until last + renew, renew moves last but never the end. */
	assert_int_equal(cp_sgrant_deadline(&s.g[0]), 400 * S);
	assert_int_equal(cp_state_renew(&s, &net, 350 * S), 1);
	assert_int_equal(cp_sgrant_deadline(&s.g[0]), 650 * S);
	assert_int_equal(cp_state_renew(&s, &other, 360 * S), 0);
	/* A renew after the lapse finds nothing: the ended grant is gone. */
	assert_int_equal(cp_state_renew(&s, &h, 651 * S), 0);
	assert_int_equal(s.n, 0);
	/* give replaces the grant on the same prefix. */
	assert_int_equal(cp_state_give(&s, &h, 1000 * S, 60 * S, 0), 0);
	assert_int_equal(cp_state_give(&s, &h, 1010 * S, 90 * S, 0), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(cp_sgrant_deadline(&s.g[0]), 1100 * S);
	/* revoke acts on the grants within the prefix. */
	assert_int_equal(cp_state_give(&s, &other, 1010 * S, 90 * S, 0), 0);
	assert_int_equal(cp_state_revoke(&s, &net, 1020 * S), 1);
	assert_int_equal(s.n, 1);
	assert_memory_equal(s.g[0].pfx.a, other.a, 4);
	/* A huge duration saturates rather than wraps. */
	assert_int_equal(cp_state_give(&s, &h, 1030 * S, UINT64_MAX - 5, 0), 0);
	assert_true(cp_sgrant_deadline(&s.g[1]) > 1030 * S);
	cp_state_free(&s);
}

static void test_save_load(void **state)
{
	(void)state;
	char *d = tmpdir(), err[256];
	struct cp_state s, t;
	struct cp_prefix h = pfx("192.0.2.5"), v6 = pfx("2001:db8:1::/64");
	cp_state_init(&s);
	assert_int_equal(cp_state_load(&t, d, err, sizeof(err)), 0); /* no file: empty */
	assert_int_equal(t.n, 0);
	cp_state_give(&s, &h, 100 * S, 3600 * S, 300 * S);
	cp_state_give(&s, &v6, 200 * S, 60 * S, 0);
	s.shutoff = true;
	snprintf(s.uplink, sizeof(s.uplink), "satellite");
	assert_int_equal(cp_state_save(&s, d, err, sizeof(err)), 0);
	assert_int_equal(cp_state_load(&t, d, err, sizeof(err)), 0);
	assert_int_equal(t.n, 2);
	assert_true(t.shutoff);
	assert_string_equal(t.uplink, "satellite");
	assert_int_equal(t.g[0].end_ns, s.g[0].end_ns);
	assert_int_equal(t.g[0].renew_ns, 300 * S);
	assert_int_equal(t.g[1].pfx.family, 6);
	cp_state_free(&t);
	cp_state_free(&s);
	rmdir_all(d);
}

/* Corrupt files are refused with the reason, never half-trusted. */
static const struct {
	const char *what, *text, *why;
} corrupt[] = {
    {"empty", "", "empty"},
    {"other header", "something else\n", "not a chokepoint state file"},
    {"bad prefix", "chokepoint-state 1\ngrant 192.0.2.1/24 10 0 5\n", "line 2: bad grant"},
    {"last after end", "chokepoint-state 1\ngrant 192.0.2.1 10 0 50\n", "line 2: bad grant"},
    {"junk line", "chokepoint-state 1\nshutoff 0\nhello world\n", "line 3: not understood"},
    {"bad shutoff", "chokepoint-state 1\nshutoff 2\n", "line 2"},
    {"unterminated", "chokepoint-state 1\nshutoff 0", "unterminated"},
    {"trailing field", "chokepoint-state 1\ngrant 192.0.2.1 10 0 5 x\n", "line 2"},
};

static void test_corrupt(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		char *d = tmpdir(), p[512], err[256] = "";
		struct cp_state t;
		snprintf(p, sizeof(p), "%s/state", d);
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs(corrupt[i].text, f);
		fclose(f);
		print_message("corrupt: %s\n", corrupt[i].what);
		assert_int_equal(cp_state_load(&t, d, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "corrupt state, refused"));
		assert_non_null(strstr(err, corrupt[i].why));
		assert_null(t.g);
		rmdir_all(d);
	}
}

static void test_unwritable(void **state)
{
	(void)state;
	struct cp_state s;
	char err[256] = "";
	cp_state_init(&s);
	assert_int_equal(cp_state_save(&s, "/nonexistent/dir", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot write"));
	cp_state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edits),
	    cmocka_unit_test(test_save_load),
	    cmocka_unit_test(test_corrupt),
	    cmocka_unit_test(test_unwritable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
