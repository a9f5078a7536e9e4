/* chokectl: the operator CLI (SPEC §2). Parses the global options, then runs one subcommand from
 * a table: `check` validates policy files, `serve` runs the control-plane daemon, and the others
 * are requests to it over its socket (or straight to a dataplane's: the protocol is the same). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "addr.h"
#include "catalog.h"
#include "client.h"
#include "diff.h"
#include "diag.h"
#include "duration.h"
#include "hs_patterns.h"
#include "policy.h"
#include "serve.h"
#include "top.h"
#include "trace.h"

#define DEFAULT_SOCKET "/run/chokepoint/chokectl.sock"
#define EXIT_USAGE     2

struct cli {
	const char *socket; /* the daemon's unix socket */
};

struct subcommand {
	const char *name;
	const char *args; /* synopsis for the usage text */
	int (*run)(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
};

static int cmd_check(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_push(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_serve(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_grant(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_prefix(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_simple(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_grants(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_stats(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_uplink(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_top(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_diff(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);
static int cmd_trace(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv);

static const struct subcommand commands[] = {
    {"check", "POLICY...", cmd_check},
    {"diff", "OLD.conf NEW.conf --capture IN.pcap [--events E.jsonl] [--json] [--fail-on-change]",
     cmd_diff},
    {"serve",
     "--policy FILE --dataplane SOCKET [--dataplane SOCKET ...] [--metrics ADDR:PORT] "
     "[--state DIR]",
     cmd_serve},
    {"push", "FILE", cmd_push},
    {"grant", "ADDR|PREFIX --for DURATION [--renew-every DURATION]", cmd_grant},
    {"renew", "ADDR|PREFIX", cmd_prefix},
    {"revoke", "ADDR|PREFIX", cmd_prefix},
    {"grants", "", cmd_grants},
    {"stats", "[--json]", cmd_stats},
    {"status", "", cmd_simple},
    {"top", "[--count N]", cmd_top},
    {"trace", "[--count N] [--rule NAME] [--reason R] [--verdict V]", cmd_trace},
    {"shutoff", "", cmd_simple},
    {"restore", "", cmd_simple},
    {"uplink", "NAME|auto", cmd_uplink},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int usage(void)
{
	fprintf(stderr,
		"usage: chokectl [--socket PATH] SUBCOMMAND [ARGS...]\n"
		"  --socket PATH  the daemon's control socket (default " DEFAULT_SOCKET ")\n"
		"subcommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(stderr, "  %s%s%s\n", commands[i].name, commands[i].args[0] ? " " : "",
			commands[i].args);
	return EXIT_USAGE;
}

static const char *plural(unsigned n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* What `check` prints for a file that loaded. */
struct check_summary {
	const char *file;
	unsigned rules, sets, categories, inside, warnings;
};

static int cmd_check(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc < 1) {
		fprintf(stderr, "chokectl: %s: no policy file given\n", cmd->name);
		return usage();
	}
	struct check_summary *sum = calloc((size_t)argc, sizeof(*sum));
	if (sum == NULL) {
		fprintf(stderr, "chokectl: %s: out of memory\n", cmd->name);
		return 1;
	}
	bool failed = false;
	for (int i = 0; i < argc; i++) {
		struct cp_diag d;
		cp_diag_init(&d);
		struct cp_policy_src *p = cp_policy_load(argv[i], &d);
		struct cp_hs_dbs dbs;
		/* The databases themselves, as a push builds them: a pattern set may fail as a
		 * whole (too large) where every entry passed on its own. */
		if (p != NULL && p->n_categories > 0 && cp_hs_compile(p, &dbs, &d) == 0)
			cp_hs_free(&dbs);
		else if (p != NULL && p->n_categories > 0) {
			cp_policy_free(p);
			p = NULL;
		}
		cp_diag_print(&d, stderr);
		if (p == NULL) {
			failed = true;
		} else {
			sum[i] = (struct check_summary){argv[i],	 p->n_rules,  p->n_sets,
							p->n_categories, p->n_inside, d.warnings};
		}
		cp_policy_free(p);
		cp_diag_free(&d);
	}
	for (int i = 0; i < argc && !failed; i++) {
		const struct check_summary *s = &sum[i];
		printf("%s: ok: %u %s, %u %s, %u %s, %u %s, %u %s\n", s->file, s->rules,
		       plural(s->rules, "rule", "rules"), s->sets, plural(s->sets, "set", "sets"),
		       s->categories, plural(s->categories, "category", "categories"), s->inside,
		       plural(s->inside, "inside prefix", "inside prefixes"), s->warnings,
		       plural(s->warnings, "warning", "warnings"));
	}
	free(sum);
	return failed ? 1 : 0;
}

/* Runs here, without the daemon: argv[-1] is the subcommand's name (getopt's argv[0]). */
static int cmd_diff(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	(void)cmd;
	(void)cli;
	return cp_diff_main(argc + 1, argv - 1);
}

/* Polls the daemon until --count, Ctrl-C or the daemon goes: argv[-1] is the subcommand's name. */
static int cmd_trace(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	(void)cmd;
	return cp_trace_main(cli->socket, argc + 1, argv - 1);
}

/* ---- requests to the daemon (or straight to a dataplane: the protocol is the same) ---- */

#define CALL_TIMEOUT_MS 10000

/* Send the ended request b; print the error line on failure. On success, *resp holds the reply
 * that rep points into (the caller frees resp). */
static int call(const struct subcommand *cmd, const struct cli *cli, struct cp_msg_buf *b,
		struct cp_msg_buf *resp, struct cp_reply *rep)
{
	char err[512];
	if (cp_client_call(cli->socket, b, resp, rep, CALL_TIMEOUT_MS, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokectl: %s: %s\n", cmd->name, err);
		return 1;
	}
	return 0;
}

/* A request with no answer but "done". */
static int call_done(const struct subcommand *cmd, const struct cli *cli, struct cp_msg_buf *b)
{
	struct cp_msg_buf resp = CP_MSG_BUF_INIT;
	struct cp_reply rep;
	int rc = cp_msg_end(b) == 0 ? call(cmd, cli, b, &resp, &rep) : 1;
	cp_msg_buf_free(&resp);
	cp_msg_buf_free(b);
	return rc;
}

static int cmd_serve(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	const char *dps[16];
	struct cp_serve_opts o = {.dataplanes = dps, .socket = cli->socket};
	for (int i = 0; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL || v[0] == '\0') {
			fprintf(stderr, "chokectl: serve: %s needs a value\n", argv[i]);
			return usage();
		}
		if (strcmp(argv[i], "--policy") == 0) {
			o.policy = v;
		} else if (strcmp(argv[i], "--dataplane") == 0) {
			if (o.n_dataplanes == 16) {
				fprintf(stderr, "chokectl: serve: at most 16 dataplanes\n");
				return EXIT_USAGE;
			}
			dps[o.n_dataplanes++] = v;
		} else if (strcmp(argv[i], "--metrics") == 0) {
			o.metrics = v;
		} else if (strcmp(argv[i], "--state") == 0) {
			o.state_dir = v;
		} else if (strcmp(argv[i], "--socket") == 0) {
			o.socket = v;
		} else {
			fprintf(stderr, "chokectl: serve: unknown option \"%s\"\n", argv[i]);
			return usage();
		}
	}
	if (o.policy == NULL || o.n_dataplanes == 0) {
		fprintf(stderr, "chokectl: %s: --policy FILE and --dataplane SOCKET are required\n",
			cmd->name);
		return usage();
	}
	return cp_serve_main(&o);
}

static int cmd_push(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT, resp = CP_MSG_BUF_INIT;
	struct cp_reply rep;
	struct cp_diag d;
	if (argc != 1) {
		fprintf(stderr, "chokectl: push: one policy file\n");
		return usage();
	}
	cp_diag_init(&d);
	int rc = cp_policy_request(argv[0], 1, &b, &d);
	cp_diag_print(&d, stderr);
	cp_diag_free(&d);
	if (rc == 0)
		rc = call(cmd, cli, &b, &resp, &rep);
	else
		rc = 1;
	if (rc == 0 && rep.has_generation)
		printf("%s: pushed, policy generation %u\n", argv[0], rep.generation);
	cp_msg_buf_free(&b);
	cp_msg_buf_free(&resp);
	return rc;
}

static int parse_prefix(const char *cmdname, const char *s, struct cp_prefix *p)
{
	char err[160];
	if (cp_prefix_parse(s, p, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokectl: %s: %s\n", cmdname, err);
		return -1;
	}
	return 0;
}

static int parse_duration_ns(const char *cmdname, const char *opt, const char *s, uint64_t *ns)
{
	uint64_t sec;
	if (s == NULL || cp_duration_parse(s, &sec) != 0 || sec == 0) {
		fprintf(stderr, "chokectl: %s: %s needs a duration like 90, 90s, 5m or 1h\n",
			cmdname, opt);
		return -1;
	}
	*ns = sec * 1000000000ull;
	return 0;
}

static int cmd_grant(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	struct cp_prefix p;
	uint64_t for_ns = 0, renew_ns = 0;
	if (argc < 1 || parse_prefix(cmd->name, argv[0], &p) != 0)
		return argc < 1 ? usage() : 1;
	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--for") == 0) {
			if (parse_duration_ns(cmd->name, "--for", v, &for_ns) != 0)
				return 1;
		} else if (strcmp(argv[i], "--renew-every") == 0) {
			if (parse_duration_ns(cmd->name, "--renew-every", v, &renew_ns) != 0)
				return 1;
		} else {
			fprintf(stderr, "chokectl: grant: unknown option \"%s\"\n", argv[i]);
			return usage();
		}
	}
	if (for_ns == 0) {
		fprintf(stderr, "chokectl: grant: --for DURATION is required\n");
		return usage();
	}
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_GRANT, 1);
	cp_msg_put_prefix(&b, CP_TAG_PREFIX, &p);
	cp_msg_put_u64(&b, CP_TAG_FOR_NS, for_ns);
	if (renew_ns != 0)
		cp_msg_put_u64(&b, CP_TAG_RENEW_NS, renew_ns);
	return call_done(cmd, cli, &b);
}

static int cmd_prefix(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	struct cp_prefix p;
	if (argc != 1)
		return usage();
	if (parse_prefix(cmd->name, argv[0], &p) != 0)
		return 1;
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, strcmp(cmd->name, "renew") == 0 ? CP_MSG_RENEW : CP_MSG_REVOKE, 1);
	cp_msg_put_prefix(&b, CP_TAG_PREFIX, &p);
	return call_done(cmd, cli, &b);
}

static int cmd_uplink(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	if (argc != 1)
		return usage();
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	cp_msg_begin(&b, CP_MSG_UPLINK, 1);
	cp_msg_put_str(&b, CP_TAG_NAME, argv[0]);
	return call_done(cmd, cli, &b);
}

/* A request of one type, answered with JSON (printed when json_out) or nothing. */
static int call_json(const struct subcommand *cmd, const struct cli *cli, uint16_t type,
		     struct cp_msg_buf *resp, struct cp_reply *rep)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	int rc = cp_msg_begin(&b, type, 1) == 0 && cp_msg_end(&b) == 0
		     ? call(cmd, cli, &b, resp, rep)
		     : 1;
	cp_msg_buf_free(&b);
	return rc;
}

static int cmd_simple(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return usage();
	uint16_t type = strcmp(cmd->name, "shutoff") == 0   ? CP_MSG_SHUTOFF
			: strcmp(cmd->name, "restore") == 0 ? CP_MSG_RESTORE
							    : CP_MSG_STATUS;
	struct cp_msg_buf resp = CP_MSG_BUF_INIT;
	struct cp_reply rep;
	int rc = call_json(cmd, cli, type, &resp, &rep);
	if (rc == 0 && rep.json != NULL)
		printf("%.*s\n", (int)rep.json_len, rep.json);
	cp_msg_buf_free(&resp);
	return rc;
}

static int cmd_grants(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return usage();
	struct cp_msg_buf resp = CP_MSG_BUF_INIT;
	struct cp_reply rep;
	int rc = call_json(cmd, cli, CP_MSG_STATUS, &resp, &rep);
	if (rc == 0 && rep.json != NULL) {
		/* Our own STATUS JSON: "grants": [{"prefix": "...", "left_s": N}, ...] */
		char *j = strndup(rep.json, rep.json_len);
		const char *at = j != NULL ? strstr(j, "\"grants\": [") : NULL;
		printf("%-44s %s\n", "grant", "left");
		while (at != NULL && (at = strstr(at, "{\"prefix\": \"")) != NULL) {
			char pfx[CP_PREFIX_STRLEN];
			unsigned long left;
			if (sscanf(at, "{\"prefix\": \"%47[^\"]\", \"left_s\": %lu", pfx, &left) ==
			    2)
				printf("%-44s %lum%02lus\n", pfx, left / 60, left % 60);
			at++;
		}
		free(j);
	}
	cp_msg_buf_free(&resp);
	return rc;
}

/* The value of "key": N, or of "key": {"sub": N}, in a counters JSON; 0 when absent. */
static uint64_t json_u64(json_t *j, const char *key, const char *sub)
{
	json_t *v = json_object_get(j, key);
	if (sub != NULL)
		v = json_object_get(v, sub);
	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static int cmd_stats(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	bool json = argc == 1 && strcmp(argv[0], "--json") == 0;
	if (argc > 1 || (argc == 1 && !json))
		return usage();
	struct cp_msg_buf resp = CP_MSG_BUF_INIT;
	struct cp_reply rep;
	int rc = call_json(cmd, cli, CP_MSG_COUNTERS, &resp, &rep);
	if (rc == 0 && rep.json != NULL) {
		json_t *j = json ? NULL : json_loadb(rep.json, rep.json_len, 0, NULL);
		if (j == NULL) {
			printf("%.*s", (int)rep.json_len, rep.json);
		} else {
			static const char *const v[] = {
#define VERDICT_NAME(id, name) name,
			    CP_VERDICTS(VERDICT_NAME)
#undef VERDICT_NAME
			};
			printf("%-10s %14s %16s\n", "verdict", "packets", "bytes");
			for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
				printf("%-10s %14lu %16lu\n", v[i],
				       (unsigned long)json_u64(j, "packets_total", v[i]),
				       (unsigned long)json_u64(j, "bytes_total", v[i]));
			printf("flows: %lu active, %lu created, %lu evicted; grants active: %lu; "
			       "policy generation %lu\n",
			       (unsigned long)json_u64(j, "flows_active", NULL),
			       (unsigned long)json_u64(j, "flows_created_total", NULL),
			       (unsigned long)json_u64(j, "flows_evicted_total", NULL),
			       (unsigned long)json_u64(j, "grants_active", NULL),
			       (unsigned long)json_u64(j, "policy_generation", NULL));
		}
		json_decref(j);
	}
	cp_msg_buf_free(&resp);
	return rc;
}

struct top_ctx {
	const struct subcommand *cmd;
	const struct cli *cli;
};

static char *fetch_json(struct top_ctx *t, uint16_t type)
{
	struct cp_msg_buf resp = CP_MSG_BUF_INIT;
	struct cp_reply rep;
	char *json = NULL;
	if (call_json(t->cmd, t->cli, type, &resp, &rep) == 0)
		json = strndup(rep.json != NULL ? rep.json : "{}",
			       rep.json != NULL ? rep.json_len : 2);
	cp_msg_buf_free(&resp);
	return json;
}

static int top_fetch(void *arg, char **counters, char **status)
{
	*counters = fetch_json(arg, CP_MSG_COUNTERS);
	*status = *counters != NULL ? fetch_json(arg, CP_MSG_STATUS) : NULL;
	if (*status == NULL) {
		free(*counters);
		return -1;
	}
	return 0;
}

static int cmd_top(const struct subcommand *cmd, const struct cli *cli, int argc, char **argv)
{
	long count = -1; /* refresh until interrupted */
	if (argc == 2 && strcmp(argv[0], "--count") == 0)
		count = strtol(argv[1], NULL, 10);
	else if (argc != 0)
		return usage();
	struct top_ctx t = {cmd, cli};
	return cp_top_run(cli->socket, count, top_fetch, &t);
}

static const struct subcommand *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Global options before the subcommand. Returns the index of the subcommand's name, or -1 after
 * printing why. */
static int parse_globals(int argc, char **argv, struct cli *cli)
{
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return -1;
		if (strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0') {
				fprintf(stderr, "chokectl: --socket needs a path\n");
				return -1;
			}
			cli->socket = argv[i + 1];
			i += 2;
		} else if (strncmp(a, "--socket=", 9) == 0 && a[9] != '\0') {
			cli->socket = a + 9;
			i++;
		} else {
			fprintf(stderr, "chokectl: unknown option \"%s\"\n", a);
			return -1;
		}
	}
	if (i >= argc)
		return -1;
	return i;
}

int main(int argc, char **argv)
{
	struct cli cli = {.socket = DEFAULT_SOCKET};
	int i = parse_globals(argc, argv, &cli);
	if (i < 0)
		return usage();
	const struct subcommand *cmd = find_command(argv[i]);
	if (cmd == NULL) {
		fprintf(stderr, "chokectl: unknown subcommand \"%s\"\n", argv[i]);
		return usage();
	}
	return cmd->run(cmd, &cli, argc - i - 1, argv + i + 1);
}
