/* chokectl: the operator CLI (SPEC §2). Parses the global options, then runs one subcommand from
 * a table; `check` validates policy files, the others wait for the control-plane daemon. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "policy.h"

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
static int cmd_unavailable(const struct subcommand *cmd, const struct cli *cli, int argc,
			   char **argv);

static const struct subcommand commands[] = {
    {"check", "POLICY...", cmd_check},
    {"serve",
     "--policy FILE --dataplane SOCKET [--dataplane SOCKET ...] [--metrics ADDR:PORT] "
     "[--state DIR]",
     cmd_unavailable},
    {"push", "FILE", cmd_unavailable},
    {"grant", "ADDR|PREFIX --for DURATION [--renew-every DURATION]", cmd_unavailable},
    {"renew", "ADDR|PREFIX", cmd_unavailable},
    {"revoke", "ADDR|PREFIX", cmd_unavailable},
    {"grants", "", cmd_unavailable},
    {"stats", "[--json]", cmd_unavailable},
    {"top", "", cmd_unavailable},
    {"shutoff", "", cmd_unavailable},
    {"restore", "", cmd_unavailable},
    {"uplink", "NAME|auto", cmd_unavailable},
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

static int cmd_unavailable(const struct subcommand *cmd, const struct cli *cli, int argc,
			   char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	fprintf(stderr, "chokectl: %s: not available yet (control plane not built)\n", cmd->name);
	return EXIT_USAGE;
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
