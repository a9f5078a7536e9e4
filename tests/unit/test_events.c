/* Unit tests for dataplane/events.c: the replay events file, good lines to structs, every kind of
 * bad line to exactly one FILE:LINE error, ordering, and path resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"

#define S 1000000000ull

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cp_test_events_XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write len bytes to dir/name; the path goes to path. */
static void write_bytes(const char *name, const void *data, size_t len, char *path)
{
	FILE *f;
	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *name, const char *text, char *path)
{
	write_bytes(name, text, strlen(text), path);
}

/* Load text that must be good; returns the events. */
static struct cp_event *load_good(const char *text, unsigned *n)
{
	char path[PATH_MAX];
	struct cp_event *ev = NULL;
	struct cp_diag d;
	cp_diag_init(&d);
	write_text("good.jsonl", text, path);
	if (cp_events_load(path, &ev, n, &d) != 0)
		cp_diag_print(&d, stderr);
	assert_int_equal(d.errors, 0);
	cp_diag_free(&d);
	return ev;
}

static void assert_host(const struct cp_prefix *p, const char *addr, int len)
{
	uint8_t a[16] = {0};
	int fam = strchr(addr, ':') ? 6 : 4;
	assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, addr, a), 1);
	assert_int_equal(p->family, fam);
	assert_int_equal(p->len, len);
	assert_memory_equal(p->a, a, 16);
}

static void test_six_kinds(void **state)
{
	const char *text =
	    "# the example of events.h\n"
	    "\n"
	    "{\"at\": 0, \"do\": \"grant\", \"host\": \"175.45.177.5\", \"for\": 3600, "
	    "\"renew_every\": 300}\n"
	    "{\"at\": 290, \"do\": \"renew\", \"host\": \"175.45.177.5\"}\n"
	    "   # indented comment\n"
	    "{\"at\": 400, \"do\": \"revoke\", \"host\": \"175.45.177.0/27\"}\n"
	    "{\"at\": 500, \"do\": \"shutoff\"}\n"
	    "\t{ \"at\" : 600 , \"do\" : \"restore\" }\r\n"
	    "{\"at\": 700, \"do\": \"policy\", \"file\": \"other.conf\"}"; /* no newline */
	char want_file[PATH_MAX];
	unsigned n = 0;
	struct cp_event *ev;
	(void)state;

	ev = load_good(text, &n);
	assert_int_equal(n, 6);
	assert_int_equal(ev[0].kind, CP_EV_GRANT);
	assert_int_equal(ev[0].at_ns, 0);
	assert_host(&ev[0].host, "175.45.177.5", 32);
	assert_int_equal(ev[0].for_ns, 3600 * S);
	assert_int_equal(ev[0].renew_ns, 300 * S);
	assert_null(ev[0].file);
	assert_int_equal(ev[0].line, 3);

	assert_int_equal(ev[1].kind, CP_EV_RENEW);
	assert_int_equal(ev[1].at_ns, 290 * S);
	assert_host(&ev[1].host, "175.45.177.5", 32);
	assert_int_equal(ev[1].for_ns, 0);
	assert_int_equal(ev[1].line, 4);

	assert_int_equal(ev[2].kind, CP_EV_REVOKE);
	assert_int_equal(ev[2].at_ns, 400 * S);
	assert_host(&ev[2].host, "175.45.177.0", 27);
	assert_int_equal(ev[2].line, 6);

	assert_int_equal(ev[3].kind, CP_EV_SHUTOFF);
	assert_int_equal(ev[3].at_ns, 500 * S);
	assert_int_equal(ev[3].line, 7);

	assert_int_equal(ev[4].kind, CP_EV_RESTORE);
	assert_int_equal(ev[4].at_ns, 600 * S);
	assert_int_equal(ev[4].line, 8);

	assert_int_equal(ev[5].kind, CP_EV_POLICY);
	assert_int_equal(ev[5].at_ns, 700 * S);
	snprintf(want_file, sizeof(want_file), "%s/other.conf", dir);
	assert_string_equal(ev[5].file, want_file);
	assert_int_equal(ev[5].line, 9);
	cp_events_free(ev, n);
}

struct at_case {
	const char *at;
	uint64_t ns;
};

static const struct at_case at_cases[] = {
    {"0", 0},
    {"-0", 0},
    {"0.0", 0},
    {"1.5", 1500000000ull},
    {"290.1", 290100000000ull},
    {"0.05", 50000000ull},
    {"0.000000001", 1},
    {"0.0000000019", 1}, /* below a nanosecond is dropped */
    {"1e-10", 0},
    {"2.5e1", 25 * S},
    {"25E+0", 25 * S},
    {"1E-9", 1},
    {"0.0001e4", 1 * S},
    {"315576000", 315576000ull * S}, /* 10 years exactly */
    {"3.15576e8", 315576000ull * S},
    {"123456.123456789", 123456123456789ull},
};

static void test_fractional_at(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(at_cases) / sizeof(at_cases[0]); i++) {
		char text[256];
		unsigned n = 0;
		struct cp_event *ev;
		print_message("at %s\n", at_cases[i].at);
		snprintf(text, sizeof(text), "{\"at\": %s, \"do\": \"shutoff\"}\n", at_cases[i].at);
		ev = load_good(text, &n);
		assert_int_equal(n, 1);
		assert_int_equal(ev[0].at_ns, at_cases[i].ns);
		cp_events_free(ev, n);
	}
}

struct period_case {
	const char *json; /* the "for" and "renew_every" members */
	uint64_t for_ns, renew_ns;
};

static const struct period_case period_cases[] = {
    {"\"for\": \"90s\"", 90 * S, 0},
    {"\"for\": \"90\"", 90 * S, 0},
    {"\"for\": \"5m\", \"renew_every\": \"30s\"", 300 * S, 30 * S},
    {"\"for\": \"1h\", \"renew_every\": 60", 3600 * S, 60 * S},
    {"\"renew_every\": \"1m\", \"for\": \"2d\"", 2 * 86400 * S, 60 * S},
    {"\"for\": 0.5", S / 2, 0},
    {"\"for\": 1e3, \"renew_every\": 2.25", 1000 * S, 2250000000ull},
    {"\"for\": \"36525d\"", 36525ull * 86400 * S, 0}, /* 100 years: the largest */
};

static void test_durations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(period_cases) / sizeof(period_cases[0]); i++) {
		char text[256];
		unsigned n = 0;
		struct cp_event *ev;
		print_message("%s\n", period_cases[i].json);
		snprintf(text, sizeof(text),
			 "{\"at\": 1, \"do\": \"grant\", \"host\": \"2001:db8::/32\", %s}\n",
			 period_cases[i].json);
		ev = load_good(text, &n);
		assert_int_equal(n, 1);
		assert_int_equal(ev[0].kind, CP_EV_GRANT);
		assert_host(&ev[0].host, "2001:db8::", 32);
		assert_int_equal(ev[0].for_ns, period_cases[i].for_ns);
		assert_int_equal(ev[0].renew_ns, period_cases[i].renew_ns);
		cp_events_free(ev, n);
	}
}

static void test_policy_paths(void **state)
{
	const char *text = "{\"at\": 1, \"do\": \"policy\", \"file\": \"sub/b.conf\"}\n"
			   "{\"at\": 2, \"do\": \"policy\", \"file\": \"/etc/abs.conf\"}\n"
			   "{\"at\": 3, \"do\": \"policy\", \"file\": \"c\\u002econf\"}\n";
	char path[PATH_MAX], want[PATH_MAX], cwd[PATH_MAX];
	struct cp_event *ev = NULL;
	unsigned n = 0;
	struct cp_diag d;
	(void)state;

	ev = load_good(text, &n);
	assert_int_equal(n, 3);
	snprintf(want, sizeof(want), "%s/sub/b.conf", dir);
	assert_string_equal(ev[0].file, want);
	assert_string_equal(ev[1].file, "/etc/abs.conf");
	snprintf(want, sizeof(want), "%s/c.conf", dir);
	assert_string_equal(ev[2].file, want);
	cp_events_free(ev, n);

	/* An events path without a directory: the file stays relative (to the same directory). */
	write_text("here.jsonl", text, path);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	cp_diag_init(&d);
	assert_int_equal(cp_events_load("here.jsonl", &ev, &n, &d), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].file, "sub/b.conf");
	assert_string_equal(ev[2].file, "c.conf");
	cp_events_free(ev, n);
	cp_diag_free(&d);
}

static void test_sorted_stable(void **state)
{
	const char *text = "{\"at\": 5, \"do\": \"restore\"}\n"
			   "{\"at\": 1, \"do\": \"shutoff\"}\n"
			   "{\"at\": 5, \"do\": \"shutoff\"}\n"
			   "{\"at\": 0.5, \"do\": \"revoke\", \"host\": \"10.0.0.0/8\"}\n"
			   "{\"at\": 5, \"do\": \"renew\", \"host\": \"10.1.2.3\"}\n"
			   "{\"at\": 1, \"do\": \"restore\"}\n";
	static const int want_lines[] = {4, 2, 6, 1, 3, 5};
	unsigned n = 0;
	struct cp_event *ev;
	(void)state;
	ev = load_good(text, &n);
	assert_int_equal(n, 6);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(ev[i].line, want_lines[i]);
	assert_int_equal(ev[0].kind, CP_EV_REVOKE);
	assert_int_equal(ev[5].kind, CP_EV_RENEW);
	cp_events_free(ev, n);
}

/* Escapes that decode to ASCII are accepted, and a line of exactly 4096 bytes is fine. */
static void test_escapes_and_long_line(void **state)
{
	char text[8192];
	const char *obj = "{\"at\": 0, \"do\": \"shut\\u006Fff\"}";
	size_t olen = strlen(obj);
	unsigned n = 0;
	struct cp_event *ev;
	(void)state;

	memset(text, ' ', 4096);
	memcpy(text, obj, olen);
	text[4096] = '\n';
	text[4097] = '\0';
	ev = load_good(text, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, CP_EV_SHUTOFF);
	cp_events_free(ev, n);
}

struct bad_case {
	const char *line;
	const char *msg; /* a substring of the message */
};

static const struct bad_case bad_cases[] = {
    /* bad JSON */
    {"{\"at\": 0, \"do\": \"shutoff\"", "bad JSON"},
    {"{\"at\": 0 \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shutoff\",}", "bad JSON"},
    {"{'at': 0, \"do\": \"shutoff\"}", "bad JSON"},
    {"{at: 0, \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shutoff\", \"x\": tru}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shutoff\", \"x\": nul}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shutoff\", \"x\": {}}", "nested"},
    {"{\"at\": 0, \"do\": \"shutoff\", \"x\": [1]}", "nested"},
    {"{\"at\": 01, \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": 1., \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": .5, \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": +1, \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": 1e, \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": -, \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shut\\off\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shut\\x41\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shut\\u00\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shut\\u0000\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"caf\\u00e9\"}", "unknown \"do\""},
    {"{\"at\": 0, \"do\": \"shut\toff\"}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shutoff}", "bad JSON"},
    /* trailing garbage, non-objects */
    {"{\"at\": 0, \"do\": \"shutoff\"} x", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shutoff\"}{}", "bad JSON"},
    {"{\"at\": 0, \"do\": \"shutoff\"},", "bad JSON"},
    {"[1, 2]", "bad JSON"},
    {"\"shutoff\"", "bad JSON"},
    {"42", "bad JSON"},
    {"null", "bad JSON"},
    {"   ", NULL}, /* blank: skipped; the table runner knows */
    /* duplicate keys */
    {"{\"at\": 0, \"at\": 1, \"do\": \"shutoff\"}", "duplicate"},
    {"{\"at\": 0, \"do\": \"policy\", \"file\": \"a\", \"file\": \"b\"}", "duplicate"},
    /* do */
    {"{\"at\": 0}", "missing \"do\""},
    {"{}", "missing \"do\""},
    {"{\"at\": 0, \"do\": \"reboot\"}", "unknown \"do\""},
    {"{\"at\": 0, \"do\": \"Shutoff\"}", "unknown \"do\""},
    {"{\"at\": 0, \"do\": 5}", "\"do\" must be a string"},
    {"{\"at\": 0, \"do\": null}", "\"do\" must be a string"},
    /* unknown keys */
    {"{\"at\": 0, \"do\": \"shutoff\", \"colour\": \"red\"}", "unknown key \"colour\""},
    {"{\"at\": 0, \"do\": \"shutoff\", \"host\": \"10.0.0.1\"}", "unknown key \"host\""},
    {"{\"at\": 0, \"do\": \"renew\", \"host\": \"10.0.0.1\", \"for\": 5}", "unknown key \"for\""},
    {"{\"at\": 0, \"do\": \"policy\", \"file\": \"a\", \"host\": \"::1\"}", "unknown key"},
    {"{\"AT\": 0, \"do\": \"shutoff\"}", "unknown key \"AT\""},
    /* at */
    {"{\"do\": \"shutoff\"}", "missing \"at\""},
    {"{\"at\": -1, \"do\": \"shutoff\"}", "\"at\""},
    {"{\"at\": -0.5, \"do\": \"shutoff\"}", "\"at\""},
    {"{\"at\": \"5\", \"do\": \"shutoff\"}", "\"at\""},
    {"{\"at\": true, \"do\": \"shutoff\"}", "\"at\""},
    {"{\"at\": null, \"do\": \"shutoff\"}", "\"at\""},
    {"{\"at\": 315576000.001, \"do\": \"shutoff\"}", "\"at\""},
    {"{\"at\": 1e300, \"do\": \"shutoff\"}", "\"at\""},
    {"{\"at\": 1e99999999999999999999, \"do\": \"shutoff\"}", "bad JSON"},
    {"{\"at\": 99999999999999999999999, \"do\": \"shutoff\"}", "bad JSON"},
    /* host */
    {"{\"at\": 0, \"do\": \"grant\", \"for\": 10}", "missing \"host\""},
    {"{\"at\": 0, \"do\": \"renew\"}", "missing \"host\""},
    {"{\"at\": 0, \"do\": \"revoke\"}", "missing \"host\""},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1/8\", \"for\": 10}", "host bits"},
    {"{\"at\": 0, \"do\": \"revoke\", \"host\": \"2001:db8::1/32\"}", "host bits"},
    {"{\"at\": 0, \"do\": \"revoke\", \"host\": \"10.0.0.300\"}", "bad address"},
    {"{\"at\": 0, \"do\": \"revoke\", \"host\": \"10.0.0.0/33\"}", "prefix length"},
    {"{\"at\": 0, \"do\": \"revoke\", \"host\": \"\"}", "bad address"},
    {"{\"at\": 0, \"do\": \"revoke\", \"host\": 167772161}", "\"host\" must be a string"},
    /* for, renew_every */
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\"}", "missing \"for\""},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": 0}", "greater than 0"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": 0.0}", "greater than 0"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": 1e-10}", "greater than 0"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": \"0s\"}", "greater than 0"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": -5}", "\"for\""},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": \"-5\"}", "bad duration"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": \"5x\"}", "bad duration"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": \"\"}", "bad duration"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": \"36526d\"}", "bad duration"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": 1e20}", "\"for\""},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": true}", "\"for\""},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": 5, \"renew_every\": 0}",
     "\"renew_every\" must be greater than 0"},
    {"{\"at\": 0, \"do\": \"grant\", \"host\": \"10.0.0.1\", \"for\": 5, \"renew_every\": null}",
     "\"renew_every\""},
    /* policy */
    {"{\"at\": 0, \"do\": \"policy\"}", "missing \"file\""},
    {"{\"at\": 0, \"do\": \"policy\", \"file\": \"\"}", "non-empty"},
    {"{\"at\": 0, \"do\": \"policy\", \"file\": 7}", "non-empty"},
};

/* Each bad line, third in a file after a comment and a good line: exactly one error, at line 3,
 * and no events returned. */
static void test_bad_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char text[1024], path[PATH_MAX], prefix[PATH_MAX + 64];
		struct cp_event *ev = (struct cp_event *)&ev;
		unsigned n = 99;
		struct cp_diag d;

		if (c->msg == NULL)
			continue;
		print_message("bad line: %s\n", c->line);
		snprintf(text, sizeof(text), "# comment\n{\"at\": 1, \"do\": \"shutoff\"}\n%s\n",
			 c->line);
		write_text("bad.jsonl", text, path);
		cp_diag_init(&d);
		assert_int_equal(cp_events_load(path, &ev, &n, &d), -1);
		assert_null(ev);
		assert_int_equal(n, 0);
		assert_int_equal(d.errors, 1);
		assert_int_equal(d.n, 1);
		print_message("  -> %s\n", d.lines[0]);
		snprintf(prefix, sizeof(prefix), "%s:3: error: ", path);
		assert_true(strncmp(d.lines[0], prefix, strlen(prefix)) == 0);
		assert_non_null(strstr(d.lines[0], c->msg));
		cp_diag_free(&d);
	}
}

static void test_huge_line(void **state)
{
	size_t big = 5000, len;
	char *text = malloc(big + 200), path[PATH_MAX], prefix[PATH_MAX + 64];
	struct cp_event *ev = NULL;
	unsigned n = 0;
	struct cp_diag d;
	(void)state;

	assert_non_null(text);
	/* line 1 good, line 2 a valid object padded to 5000 bytes, line 3 good */
	strcpy(text, "{\"at\": 1, \"do\": \"shutoff\"}\n{\"at\": 2, \"do\": \"restore\"}");
	len = strlen(text);
	memset(text + len, ' ', big);
	strcpy(text + len + big, "\n{\"at\": 3, \"do\": \"restore\"}\n");
	write_text("huge.jsonl", text, path);
	cp_diag_init(&d);
	assert_int_equal(cp_events_load(path, &ev, &n, &d), -1);
	assert_null(ev);
	assert_int_equal(d.errors, 1);
	snprintf(prefix, sizeof(prefix), "%s:2: error: line longer than 4096", path);
	assert_true(strncmp(d.lines[0], prefix, strlen(prefix)) == 0);
	cp_diag_free(&d);

	/* 4097 bytes is one too many. */
	memset(text, ' ', 4097);
	memcpy(text, "{\"at\": 1, \"do\": \"shutoff\"}", 26);
	text[4097] = '\0';
	write_text("huge.jsonl", text, path);
	cp_diag_init(&d);
	assert_int_equal(cp_events_load(path, &ev, &n, &d), -1);
	assert_int_equal(d.errors, 1);
	cp_diag_free(&d);
	free(text);
}

/* A NUL byte is never accepted, in a string or outside one. */
static void test_nul_bytes(void **state)
{
	static const char in_string[] = "{\"at\": 0, \"do\": \"shut\0off\"}\n";
	static const char outside[] = "{\"at\": 0, \"do\": \"shutoff\"}\0\n";
	char path[PATH_MAX];
	struct cp_event *ev = NULL;
	unsigned n = 0;
	struct cp_diag d;
	(void)state;

	write_bytes("nul.jsonl", in_string, sizeof(in_string) - 1, path);
	cp_diag_init(&d);
	assert_int_equal(cp_events_load(path, &ev, &n, &d), -1);
	assert_int_equal(d.errors, 1);
	cp_diag_free(&d);
	write_bytes("nul.jsonl", outside, sizeof(outside) - 1, path);
	cp_diag_init(&d);
	assert_int_equal(cp_events_load(path, &ev, &n, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.lines[0], "bad JSON"));
	cp_diag_free(&d);
}

static void test_empty_files(void **state)
{
	static const char *const texts[] = {"", "\n\n", "# only a comment\n  \n#{}\n", "\r\n"};
	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		unsigned n = 99;
		struct cp_event *ev = load_good(texts[i], &n);
		assert_int_equal(n, 0);
		cp_events_free(ev, n);
	}
}

static void test_two_bad_lines(void **state)
{
	const char *text = "{\"at\": 0, \"do\": \"shutoff\"}\n"
			   "{\"at\": 0, \"do\": \"nope\"}\n"
			   "{\"at\": 1, \"do\": \"restore\"}\n"
			   "\n"
			   "{\"at\": 2, \"do\": \"grant\", \"host\": \"10.0.0.1\"}\n";
	char path[PATH_MAX], want[PATH_MAX + 64];
	struct cp_event *ev = NULL;
	unsigned n = 0;
	struct cp_diag d;
	(void)state;

	write_text("two.jsonl", text, path);
	cp_diag_init(&d);
	assert_int_equal(cp_events_load(path, &ev, &n, &d), -1);
	assert_null(ev);
	assert_int_equal(n, 0);
	assert_int_equal(d.errors, 2);
	snprintf(want, sizeof(want), "%s:2: error: ", path);
	assert_true(strncmp(d.lines[0], want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "%s:5: error: ", path);
	assert_true(strncmp(d.lines[1], want, strlen(want)) == 0);
	cp_diag_free(&d);
}

static void test_missing_file(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 64];
	struct cp_event *ev = (struct cp_event *)&ev;
	unsigned n = 99;
	struct cp_diag d;
	(void)state;

	snprintf(path, sizeof(path), "%s/does-not-exist.jsonl", dir);
	cp_diag_init(&d);
	assert_int_equal(cp_events_load(path, &ev, &n, &d), -1);
	assert_null(ev);
	assert_int_equal(n, 0);
	assert_int_equal(d.errors, 1);
	snprintf(want, sizeof(want), "%s: error: cannot open events file: ", path);
	assert_true(strncmp(d.lines[0], want, strlen(want)) == 0);
	assert_non_null(strstr(d.lines[0], "No such file"));
	cp_diag_free(&d);
	cp_events_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_six_kinds),	  cmocka_unit_test(test_fractional_at),
	    cmocka_unit_test(test_durations),	  cmocka_unit_test(test_policy_paths),
	    cmocka_unit_test(test_sorted_stable), cmocka_unit_test(test_escapes_and_long_line),
	    cmocka_unit_test(test_bad_lines),	  cmocka_unit_test(test_huge_line),
	    cmocka_unit_test(test_nul_bytes),	  cmocka_unit_test(test_empty_files),
	    cmocka_unit_test(test_two_bad_lines), cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
