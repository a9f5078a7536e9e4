/* Unit tests of dataplane/config: the deployment config of SPEC §4, the values and defaults it
 * loads, and the FILE:LINE errors every invalid one gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

struct loaded {
	char path[64];
	struct cp_config cfg;
	struct cp_diag diag;
	int rc;
};

/* Writes text to a fresh temp file; its name goes to path. */
static void write_temp(const char *text, char path[64])
{
	snprintf(path, 64, "/tmp/test_config_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void print_diag(const struct cp_diag *d)
{
	for (unsigned i = 0; i < d->n; i++)
		print_message("  diag: %s\n", d->lines[i]);
}

/* Writes text to a temp file and loads it; the file is removed again. */
static void load_text(const char *text, struct loaded *l)
{
	write_temp(text, l->path);
	cp_diag_init(&l->diag);
	memset(&l->cfg, 0xa5, sizeof(l->cfg)); /* the loader must set every field it reports */
	l->rc = cp_config_load(l->path, &l->cfg, &l->diag);
	unlink(l->path);
	print_diag(&l->diag);
}

/* Writes text to a temp file and loads it into l, keeping what l->diag already holds; the file is
 * removed before anything is checked. */
static int load_into(const char *text, struct loaded *l)
{
	write_temp(text, l->path);
	l->rc = cp_config_load(l->path, &l->cfg, &l->diag);
	unlink(l->path);
	print_diag(&l->diag);
	return l->rc;
}

/* text with every "@" replaced by n copies of c (for lengths at and past a limit). */
static char *expand(const char *text, size_t n, char c)
{
	size_t len = strlen(text), ats = 0;
	for (size_t i = 0; i < len; i++)
		ats += text[i] == '@';
	char *out = malloc(len + ats * n + 1);
	assert_non_null(out);
	char *o = out;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '@') {
			*o++ = text[i];
			continue;
		}
		memset(o, c, n);
		o += n;
	}
	*o = '\0';
	return out;
}

/* True when diag holds "PATH:LINE: error: ...WANT..." (line 0: "PATH: error: ...WANT..."). */
static int has_error(const struct loaded *l, int line, const char *want)
{
	char prefix[128];
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: error: ", l->path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: error: ", l->path);
	size_t plen = strlen(prefix);
	for (unsigned i = 0; i < l->diag.n; i++)
		if (strncmp(l->diag.lines[i], prefix, plen) == 0 &&
		    strstr(l->diag.lines[i] + plen, want) != NULL)
			return 1;
	return 0;
}

/* Every diag line is an error about this file, and they are counted. */
static void check_all_errors(const struct loaded *l)
{
	size_t plen = strlen(l->path);
	assert_int_equal(l->diag.warnings, 0);
	assert_int_equal(l->diag.errors, l->diag.n);
	for (unsigned i = 0; i < l->diag.n; i++) {
		assert_memory_equal(l->diag.lines[i], l->path, plen);
		assert_true(l->diag.lines[i][plen] == ':');
		assert_non_null(strstr(l->diag.lines[i], ": error: "));
	}
}

/* ---- valid configs ---- */

#define IN(name, dev)  "  { name = \"" name "\"; role = \"inside\"; device = \"" dev "\"; },\n"
#define UP(name, dev)  "  { name = \"" name "\"; role = \"uplink\"; device = \"" dev "\"; },\n"
#define UPL(name, dev) "  { name = \"" name "\"; role = \"uplink\"; device = \"" dev "\"; }\n"
#define INL(name, dev) "  { name = \"" name "\"; role = \"inside\"; device = \"" dev "\"; }\n"

struct port_want {
	const char *name;
	enum cp_role role;
	const char *device;
};

struct valid_case {
	const char *what;
	const char *text;
	unsigned workers;
	uint32_t flows;
	const char *socket;
	unsigned n_ports;
	struct port_want ports[CP_MAX_PORTS];
};

#define DEF_SOCK "/run/chokepoint/dataplane.sock"

static const struct valid_case valid_cases[] = {
    {"the SPEC §4 example",
     "ports = (\n"
     "  { name = \"inside\";    role = \"inside\"; device = \"0000:3b:00.0\"; },\n"
     "  { name = \"fiber\";     role = \"uplink\"; device = \"0000:3b:00.1\"; },\n"
     "  { name = \"satellite\"; role = \"uplink\"; device = \"net_af_xdp0,iface=eth2\"; }\n"
     ");\n"
     "workers = 2;              # worker lcores; RSS spreads flows over them\n"
     "flows   = 1048576;        # flow-table capacity, all workers together\n"
     "control_socket = \"/run/chokepoint/dataplane.sock\";\n",
     2,
     1048576,
     DEF_SOCK,
     3,
     {{"inside", CP_ROLE_INSIDE, "0000:3b:00.0"},
      {"fiber", CP_ROLE_UPLINK, "0000:3b:00.1"},
      {"satellite", CP_ROLE_UPLINK, "net_af_xdp0,iface=eth2"}}},
    {"defaults: only ports",
     "ports = (\n" IN("in", "0000:00:01.0") UPL("up", "0000:00:02.0") ");\n",
     1,
     1048576,
     DEF_SOCK,
     2,
     {{"in", CP_ROLE_INSIDE, "0000:00:01.0"}, {"up", CP_ROLE_UPLINK, "0000:00:02.0"}}},
    {"role ordering kept: inside between uplinks",
     "ports = (\n" UP("b-second", "0000:00:03.0") IN("a-inside", "0000:00:01.0")
	 UPL("c-third", "0000:00:02.0") ");\n",
     1,
     1048576,
     DEF_SOCK,
     3,
     {{"b-second", CP_ROLE_UPLINK, "0000:00:03.0"},
      {"a-inside", CP_ROLE_INSIDE, "0000:00:01.0"},
      {"c-third", CP_ROLE_UPLINK, "0000:00:02.0"}}},
    {"inside last",
     "ports = (\n" UP("u1", "0000:00:02.0") UP("u2", "0000:00:03.0")
	 INL("in", "0000:00:01.0") ");\n",
     1,
     1048576,
     DEF_SOCK,
     3,
     {{"u1", CP_ROLE_UPLINK, "0000:00:02.0"},
      {"u2", CP_ROLE_UPLINK, "0000:00:03.0"},
      {"in", CP_ROLE_INSIDE, "0000:00:01.0"}}},
    {"vdev spec devices",
     "ports = (\n" IN("in", "net_ring0") UP("up1", "net_af_packet0,iface=eth1,qpairs=4")
	 UPL("up2", "net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap") ");\n",
     1,
     1048576,
     DEF_SOCK,
     3,
     {{"in", CP_ROLE_INSIDE, "net_ring0"},
      {"up1", CP_ROLE_UPLINK, "net_af_packet0,iface=eth1,qpairs=4"},
      {"up2", CP_ROLE_UPLINK, "net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap"}}},
    {"keys in any order, bounds of workers and flows",
     "control_socket = \"/tmp/cp.sock\";\nflows = 1024;\nworkers = 64;\n"
     "ports = (\n" IN("in", "net_ring0") UPL("up", "net_ring1") ");\n",
     64,
     1024,
     "/tmp/cp.sock",
     2,
     {{"in", CP_ROLE_INSIDE, "net_ring0"}, {"up", CP_ROLE_UPLINK, "net_ring1"}}},
    {"largest flows",
     "ports = (\n" IN("in", "net_ring0")
	 UPL("up", "net_ring1") ");\n"
				"workers = 1;\nflows = 268435456;\n",
     1,
     268435456,
     DEF_SOCK,
     2,
     {{"in", CP_ROLE_INSIDE, "net_ring0"}, {"up", CP_ROLE_UPLINK, "net_ring1"}}},
    {"flows as a 64-bit literal",
     "ports = (\n" IN("in", "net_ring0") UPL("up", "net_ring1") ");\nflows = 2097152L;\n",
     1,
     2097152,
     DEF_SOCK,
     2,
     {{"in", CP_ROLE_INSIDE, "net_ring0"}, {"up", CP_ROLE_UPLINK, "net_ring1"}}},
    {"eight ports, comments of every kind",
     "// a C++ comment\n/* a C comment */\nports = (\n" UP("u1", "net_ring1") UP("u2", "net_ring2")
	 UP("u3", "net_ring3") IN("in", "net_ring0") UP("u4", "net_ring4") UP("u5", "net_ring5")
	     UP("u6", "net_ring6") UPL("u7", "net_ring7") ");\n",
     1,
     1048576,
     DEF_SOCK,
     8,
     {{"u1", CP_ROLE_UPLINK, "net_ring1"},
      {"u2", CP_ROLE_UPLINK, "net_ring2"},
      {"u3", CP_ROLE_UPLINK, "net_ring3"},
      {"in", CP_ROLE_INSIDE, "net_ring0"},
      {"u4", CP_ROLE_UPLINK, "net_ring4"},
      {"u5", CP_ROLE_UPLINK, "net_ring5"},
      {"u6", CP_ROLE_UPLINK, "net_ring6"},
      {"u7", CP_ROLE_UPLINK, "net_ring7"}}},
};

static void check_valid(const struct valid_case *vc, const struct loaded *l)
{
	assert_int_equal(l->rc, 0);
	assert_int_equal(l->diag.n, 0);
	assert_int_equal(l->diag.errors, 0);
	assert_int_equal(l->cfg.workers, vc->workers);
	assert_int_equal(l->cfg.flows, vc->flows);
	assert_string_equal(l->cfg.control_socket, vc->socket);
	assert_int_equal(l->cfg.n_ports, vc->n_ports);
	for (unsigned i = 0; i < vc->n_ports; i++) {
		assert_string_equal(l->cfg.ports[i].name, vc->ports[i].name);
		assert_int_equal(l->cfg.ports[i].role, vc->ports[i].role);
		assert_string_equal(l->cfg.ports[i].device, vc->ports[i].device);
	}
}

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(valid_cases); i++) {
		struct loaded l;
		print_message("valid: %s\n", valid_cases[i].what);
		load_text(valid_cases[i].text, &l);
		check_valid(&valid_cases[i], &l);
		cp_diag_free(&l.diag);
	}
}

/* ---- invalid configs ---- */

/* Two good ports on lines 2 and 3: what follows starts on line 5. */
#define PORTS_OK "ports = (\n" IN("in", "net_ring0") UPL("up", "net_ring1") ");\n"

struct invalid_case {
	const char *what;
	const char *text;
	int line; /* 0: the error names the file only */
	const char *error;
};

static const struct invalid_case invalid_cases[] = {
    {"syntax error: missing value", PORTS_OK "workers = ;\n", 5, "syntax error"},
    {"syntax error: unclosed list", "ports = (\n" IN("in", "net_ring0") UP("up", "net_ring1"), 4,
     "syntax error"}, /* at the end of the file */
    {"syntax error: unquoted string in a port",
     "ports = (\n  { name = \"in\"; role = inside; device = \"d\"; }\n);\n", 2, "syntax error"},
    {"syntax error: duplicate key", PORTS_OK "workers = 2;\nworkers = 3;\n", 6, "syntax error"},
    {"syntax error: garbage", "\n\n\x01\x02\xff garbage\n", 3, "syntax error"},
    {"unknown top-level key", PORTS_OK "threads = 4;\n", 5, "unknown key \"threads\""},
    {"unknown top-level group", PORTS_OK "\nextra = { a = 1; };\n", 6, "unknown key \"extra\""},
    {"unknown port key, one line",
     "ports = (\n"
     "  { name = \"in\"; role = \"inside\"; device = \"d0\"; speed = 10; },\n" UPL("up",
										   "d1") ");\n",
     2, "unknown port key \"speed\""},
    {"unknown port key, its own line",
     "ports = (\n" IN("in", "d0") "  {\n    name = \"up\";\n    role = \"uplink\";\n"
				  "    mtu = 9000;\n    device = \"d1\";\n  }\n);\n",
     6, "unknown port key \"mtu\""},
    {"port without a name",
     "ports = (\n" IN("in", "d0") "  { role = \"uplink\"; device = \"d1\"; }\n);\n", 3,
     "port needs a name"},
    {"port with an empty name",
     "ports = (\n" IN("in", "d0") "  { name = \"\"; role = \"uplink\"; device = \"d1\"; }\n);\n", 3,
     "port needs a name"},
    {"port name not a string",
     "ports = (\n" IN("in", "d0") "  { name = 7; role = \"uplink\"; device = \"d1\"; }\n);\n", 3,
     "port needs a name"},
    {"port without a role",
     "ports = (\n" IN("in", "d0") "  { name = \"up\"; device = \"d1\"; }\n);\n", 3,
     "port role must be \"inside\" or \"uplink\""},
    {"bad role",
     "ports = (\n" IN("in", "d0") "  { name = \"up\"; role = \"outside\"; device = \"d1\"; }\n);\n",
     3, "port role must be \"inside\" or \"uplink\""},
    {"role in capitals",
     "ports = (\n" IN("in", "d0") "  { name = \"up\"; role = \"UPLINK\"; device = \"d1\"; }\n);\n",
     3, "port role must be \"inside\" or \"uplink\""},
    {"role not a string",
     "ports = (\n" IN("in", "d0") "  { name = \"up\"; role = 1; device = \"d1\"; }\n);\n", 3,
     "port role must be \"inside\" or \"uplink\""},
    {"port without a device",
     "ports = (\n" IN("in", "d0") "  { name = \"up\"; role = \"uplink\"; }\n);\n", 3,
     "port needs a device"},
    {"port with an empty device",
     "ports = (\n" IN("in", "d0") "  { name = \"up\"; role = \"uplink\"; device = \"\"; }\n);\n", 3,
     "port needs a device"},
    {"port that is not a group", "ports = (\n  \"up\",\n" IN("in", "d0") UPL("up", "d1") ");\n", 2,
     "a port must be a group"},
    {"port that is a list", "ports = (\n" IN("in", "d0") UP("up", "d1") "  ( 1, 2 )\n);\n", 4,
     "a port must be a group"},
    {"duplicate port name", "ports = (\n" IN("in", "d0") UP("up", "d1") UPL("up", "d2") ");\n", 4,
     "duplicate port name \"up\""},
    {"no ports key", "workers = 2;\n", 0, "\"ports\" is required"},
    {"empty file", "", 0, "\"ports\" is required"},
    {"ports not a list", "\nports = 5;\n", 2, "\"ports\" is required"},
    {"empty ports", "workers = 1;\nports = ();\n", 2, "need exactly one inside port"},
    {"no inside port", "ports = (\n" UP("u1", "d0") UPL("u2", "d1") ");\n", 1,
     "need exactly one inside port"},
    {"two inside ports", "ports = (\n" IN("i1", "d0") IN("i2", "d1") UPL("up", "d2") ");\n", 1,
     "need exactly one inside port"},
    {"no uplink", "\nports = (\n  { name = \"in\"; role = \"inside\"; device = \"d0\"; }\n);\n", 2,
     "at least one uplink"},
    {"workers 0", PORTS_OK "workers = 0;\n", 5, "workers must be 1..64"},
    {"workers 65", PORTS_OK "workers = 65;\n", 5, "workers must be 1..64"},
    {"workers negative", PORTS_OK "workers = -1;\n", 5, "workers must be 1..64"},
    {"workers a string", PORTS_OK "workers = \"2\";\n", 5, "workers must be 1..64"},
    {"workers a float", PORTS_OK "workers = 2.0;\n", 5, "workers must be 1..64"},
    {"workers a boolean", PORTS_OK "workers = true;\n", 5, "workers must be 1..64"},
    {"workers a list", PORTS_OK "workers = (1, 2);\n", 5, "workers must be 1..64"},
    {"workers huge 64-bit", PORTS_OK "workers = 4294967297L;\n", 5, "workers must be 1..64"},
    {"flows 10", PORTS_OK "flows = 10;\n", 5, "flows must be 1024..268435456"},
    {"flows 1023", PORTS_OK "flows = 1023;\n", 5, "flows must be 1024..268435456"},
    {"flows 0", PORTS_OK "flows = 0;\n", 5, "flows must be 1024..268435456"},
    {"flows negative", PORTS_OK "flows = -1048576;\n", 5, "flows must be 1024..268435456"},
    {"flows one too many", PORTS_OK "flows = 268435457;\n", 5, "flows must be 1024..268435456"},
    {"flows too large (64-bit)", PORTS_OK "flows = 1099511627776L;\n", 5,
     "flows must be 1024..268435456"},
    {"flows a string", PORTS_OK "flows = \"1048576\";\n", 5, "flows must be 1024..268435456"},
    {"flows a float", PORTS_OK "flows = 1e6;\n", 5, "flows must be 1024..268435456"},
    {"control_socket empty", PORTS_OK "control_socket = \"\";\n", 5,
     "control_socket must be a path of 1..107 characters"},
    {"control_socket not a string", PORTS_OK "control_socket = 5;\n", 5,
     "control_socket must be a path of 1..107 characters"},
    {"more than 8 ports",
     "ports = (\n" IN("in", "d0") UP("u1", "d1") UP("u2", "d2") UP("u3", "d3") UP("u4", "d4")
	 UP("u5", "d5") UP("u6", "d6") UP("u7", "d7") UPL("u8", "d8") ");\n",
     10, "at most 8 ports"},
    {"errors on several lines: the first",
     "ports = (\n" IN("in", "d0") UPL("up", "d1") ");\nworkers = 0;\nflows = 1;\nbogus = 1;\n", 5,
     "workers must be"},
    {"errors on several lines: the last",
     "ports = (\n" IN("in", "d0") UPL("up", "d1") ");\nworkers = 0;\nflows = 1;\nbogus = 1;\n", 7,
     "unknown key \"bogus\""},
};

static void test_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(invalid_cases); i++) {
		const struct invalid_case *ic = &invalid_cases[i];
		struct loaded l;
		print_message("invalid: %s (want line %d: %s)\n", ic->what, ic->line, ic->error);
		load_text(ic->text, &l);
		assert_int_equal(l.rc, -1);
		assert_true(l.diag.errors >= 1);
		check_all_errors(&l);
		assert_true(has_error(&l, ic->line, ic->error));
		cp_diag_free(&l.diag);
	}
}

/* Strings at their longest are kept whole; one more character is an error on that line. */
struct limit_case {
	const char *what;
	const char *text; /* "@" becomes the string of the given length */
	size_t max;
	int line;
	const char *error;
};

static const struct limit_case limit_cases[] = {
    {"port name", "ports = (\n" IN("in", "d0") UPL("@", "d1") ");\n", 31, 3, "port needs a name"},
    {"port device", "ports = (\n" IN("in", "@") UPL("up", "d1") ");\n", 255, 2,
     "port needs a device"},
    {"control_socket", PORTS_OK "control_socket = \"@\";\n", 107, 5,
     "control_socket must be a path of 1..107 characters"},
};

static const char *limit_value(const struct loaded *l, const struct limit_case *lc)
{
	if (strcmp(lc->what, "port name") == 0)
		return l->cfg.ports[1].name;
	if (strcmp(lc->what, "port device") == 0)
		return l->cfg.ports[0].device;
	return l->cfg.control_socket;
}

static void test_limits(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(limit_cases); i++) {
		const struct limit_case *lc = &limit_cases[i];
		for (size_t len = lc->max; len <= lc->max + 2; len++) {
			struct loaded l;
			char *text = expand(lc->text, len, 'x');
			char *want = expand("@", len, 'x');
			print_message("limit: %s of %zu characters (at most %zu)\n", lc->what, len,
				      lc->max);
			load_text(text, &l);
			if (len <= lc->max) {
				assert_int_equal(l.rc, 0);
				assert_int_equal(l.diag.n, 0);
				assert_string_equal(limit_value(&l, lc), want);
			} else {
				assert_int_equal(l.rc, -1);
				check_all_errors(&l);
				assert_true(has_error(&l, lc->line, lc->error));
			}
			cp_diag_free(&l.diag);
			free(want);
			free(text);
		}
	}
}

/* A file that cannot be read: "FILE: error: ..." with no line. */
static void test_unreadable(void **state)
{
	(void)state;
	static const char *const paths[] = {
	    "/nonexistent/chokepoint/dataplane.conf",
	    "/tmp",
	    "",
	};
	for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
		struct loaded l;
		print_message("unreadable: \"%s\"\n", paths[i]);
		snprintf(l.path, sizeof(l.path), "%s", paths[i]);
		cp_diag_init(&l.diag);
		l.rc = cp_config_load(l.path, &l.cfg, &l.diag);
		print_diag(&l.diag);
		assert_int_equal(l.rc, -1);
		assert_int_equal(l.diag.errors, 1);
		assert_true(has_error(&l, 0, "cannot read: "));
		cp_diag_free(&l.diag);
	}
}

/* The diag may already hold problems from elsewhere: a good config still loads (rc 0) and adds
 * none; a bad one adds its own after them. */
static void test_diag_shared(void **state)
{
	(void)state;
	struct loaded l;
	cp_diag_init(&l.diag);
	cp_diag_error(&l.diag, "other.conf", 3, "an earlier problem");
	assert_int_equal(load_into(PORTS_OK, &l), 0);
	assert_int_equal(l.diag.errors, 1);
	assert_int_equal(l.diag.n, 1);
	assert_int_equal(l.cfg.n_ports, 2);

	assert_int_equal(load_into(PORTS_OK "workers = 0;\n", &l), -1);
	assert_int_equal(l.diag.errors, 2);
	assert_string_equal(l.diag.lines[0], "other.conf:3: error: an earlier problem");
	cp_diag_free(&l.diag);
}

/* A second load starts from the defaults, not from what the first one read. */
static void test_reload_resets(void **state)
{
	(void)state;
	struct loaded l;
	cp_diag_init(&l.diag);
	assert_int_equal(
	    load_into(PORTS_OK "workers = 8;\nflows = 4096;\ncontrol_socket = \"/tmp/x.sock\";\n",
		      &l),
	    0);
	assert_int_equal(l.cfg.workers, 8);
	assert_int_equal(l.cfg.flows, 4096);

	assert_int_equal(
	    load_into("ports = (\n" IN("only-in", "d0") UPL("only-up", "d1") ");\n", &l), 0);
	assert_int_equal(l.cfg.workers, 1);
	assert_int_equal(l.cfg.flows, 1048576);
	assert_string_equal(l.cfg.control_socket, DEF_SOCK);
	assert_int_equal(l.cfg.n_ports, 2);
	assert_string_equal(l.cfg.ports[0].name, "only-in");
	cp_diag_free(&l.diag);
}

/* libconfig 1.5 keeps only the low 32 bits of an integer written without L (these would load as 1
 * and 1024), and a group of groups is not the list SPEC §4 shows. */
static const struct invalid_case pending_cases[] = {
    {"workers 2^32+1 without L", PORTS_OK "workers = 4294967297;\n", 5, "is out of range"},
    {"flows 2^32+1024 without L", PORTS_OK "flows = 4294968320;\n", 5, "is out of range"},
    {"ports as a group of groups",
     "ports = {\n  a = { name = \"in\"; role = \"inside\"; device = \"d0\"; };\n"
     "  b = { name = \"up\"; role = \"uplink\"; device = \"d1\"; };\n};\n",
     1, "\"ports\" is required"},
};

static void test_pending(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(pending_cases); i++) {
		const struct invalid_case *ic = &pending_cases[i];
		struct loaded l;
		print_message("wrapping or misshaped: %s\n", ic->what);
		load_text(ic->text, &l);
		assert_int_equal(l.rc, -1);
		assert_true(has_error(&l, ic->line, ic->error));
		cp_diag_free(&l.diag);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),	cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_limits),	cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_diag_shared), cmocka_unit_test(test_reload_resets),
	    cmocka_unit_test(test_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
