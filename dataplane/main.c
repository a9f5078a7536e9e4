/* chokepoint: `chokepoint [EAL args] -- [options]`. Parses the options, initialises EAL and runs
 * replay mode or live mode. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "live.h"
#include "replay.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: chokepoint [EAL args] -- --config FILE [--policy FILE]\n"
		"       chokepoint [EAL args --] --replay IN.pcap --policy P.conf --out DIR\n"
		"                  [--events E.jsonl] [--workers N] [--flows N] [--quiet]\n");
}

struct opts {
	const char *config, *policy, *replay, *out, *events;
	unsigned workers;
	uint32_t flows;
	int quiet;
};

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && *v <= max ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'}, {"policy", required_argument, NULL, 'p'},
	    {"replay", required_argument, NULL, 'r'}, {"out", required_argument, NULL, 'o'},
	    {"events", required_argument, NULL, 'e'}, {"workers", required_argument, NULL, 'w'},
	    {"flows", required_argument, NULL, 'f'},  {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 'r':
			o->replay = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'w':
			if (parse_uint(optarg, 64, &v) != 0 || v == 0) {
				fprintf(stderr, "chokepoint: --workers must be 1..64\n");
				return -1;
			}
			o->workers = (unsigned)v;
			break;
		case 'f':
			if (parse_uint(optarg, 1u << 28, &v) != 0 || v < 64) {
				fprintf(stderr, "chokepoint: --flows must be 64..%u\n", 1u << 28);
				return -1;
			}
			o->flows = (uint32_t)v;
			break;
		case 'q':
			o->quiet = 1;
			break;
		default:
			usage();
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "chokepoint: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (o->replay != NULL && (o->policy == NULL || o->out == NULL)) {
		fprintf(stderr, "chokepoint: --replay needs --policy and --out\n");
		return -1;
	}
	if (o->replay == NULL && o->config == NULL) {
		usage();
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.workers = 1, .flows = 131072};
	int sep = -1;

	for (int i = 1; i < argc && sep < 0; i++)
		if (strcmp(argv[i], "--") == 0)
			sep = i;
	/* Options after "--", or all of them when there are no EAL arguments. */
	int app_argc = sep >= 0 ? argc - sep : argc;
	char **app_argv = sep >= 0 ? argv + sep : argv;
	if (parse_opts(app_argc, app_argv, &o) != 0)
		return 2;

	struct cp_replay_opts ro = {
	    .in = o.replay,
	    .policy = o.policy,
	    .out = o.out,
	    .events = o.events,
	    .workers = o.workers,
	    .flows = o.flows,
	    .quiet = o.quiet,
	};
	if (o.replay != NULL && cp_replay_precheck(&ro) != 0)
		return 1;

	char *own[16], lcores[64];
	char **eal_argv = own;
	int eal_argc;
	if (sep >= 0) {
		eal_argv = argv; /* EAL stops at "--" */
		eal_argc = sep;
	} else if (o.replay != NULL) {
		eal_argc = cp_replay_eal_args(o.workers, own, lcores, sizeof(lcores));
	} else {
		own[0] = argv[0];
		own[1] = NULL;
		eal_argc = 1;
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "chokepoint: EAL init failed (see above); without hugepages, "
				"try --no-huge -m 1024 before --\n");
		return 1;
	}
	int status = o.replay != NULL ? cp_replay_run(&ro) : cp_live_run(o.config, o.policy);
	rte_eal_cleanup();
	return status;
}
