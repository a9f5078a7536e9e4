/* chokectl trace: a live sample of per-packet decisions, one JSON object a line on stdout (the
 * live twin of verdicts.jsonl, with time, port and 5-tuple). It asks every POLL_MS; each request
 * keeps the dataplanes' trace open (their lease runs out a few seconds after the last one, so a
 * trace killed outright leaves nothing open) and brings back what they sampled since the one
 * before. It ends after --count decisions, on Ctrl-C (SIGINT) or SIGTERM, or with one line when
 * its daemon or dataplane goes away. What the rings had no room for is counted and reported. */
#include "trace.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client.h"
#include "ctl_msg.h"
#include "json_out.h"
#include "trace_filter.h"

#define POLL_MS		200
#define CALL_TIMEOUT_MS 10000
#define EXIT_USAGE	2

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"chokectl: trace: %s (chokectl trace [--count N] [--rule NAME] [--reason R] "
		"[--verdict V])\n",
		why);
	return EXIT_USAGE;
}

static int set_name(char *dst, const char *v, const char *what)
{
	if (v[0] == '\0' || strlen(v) > CP_MSG_NAME_MAX) {
		fprintf(stderr, "chokectl: trace: %s must be 1 to %u characters\n", what,
			CP_MSG_NAME_MAX);
		return -1;
	}
	snprintf(dst, CP_MSG_NAME_MAX + 1, "%s", v);
	return 0;
}

static int parse(int argc, char **argv, struct cp_req_trace *f, long *count)
{
	static const struct option lo[] = {{"count", required_argument, NULL, 'n'},
					   {"rule", required_argument, NULL, 'r'},
					   {"reason", required_argument, NULL, 'x'},
					   {"verdict", required_argument, NULL, 'v'},
					   {NULL, 0, NULL, 0}};
	char *end, err[256];
	int c;
	uint8_t verdicts;
	uint64_t reasons;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			*count = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || *count < 1)
				return usage("--count needs a positive number");
			break;
		case 'r':
			if (set_name(f->rule, optarg, "a rule name") != 0)
				return EXIT_USAGE;
			break;
		case 'x':
			if (set_name(f->reason, optarg, "a reason") != 0)
				return EXIT_USAGE;
			break;
		case 'v':
			if (set_name(f->verdict, optarg, "a verdict") != 0)
				return EXIT_USAGE;
			break;
		default:
			return usage("unknown option or missing value");
		}
	}
	if (optind < argc)
		return usage("unexpected argument");
	if (cp_trace_filter_parse(f->verdict, f->reason, &verdicts, &reasons, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "chokectl: trace: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

static void pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL); /* a signal cuts it short: the loop looks at stop */
}

/* Print the samples of one reply, at most left of them. Returns how many were printed. */
static long print_samples(json_t *j, long left, uint64_t *lost)
{
	size_t i;
	json_t *s;
	long printed = 0;
	json_t *l = json_object_get(j, "lost");
	if (json_is_integer(l))
		*lost += (uint64_t)json_integer_value(l);
	json_array_foreach(json_object_get(j, "samples"), i, s)
	{
		if (left >= 0 && printed == left)
			break;
		size_t len;
		char *line = cp_json_dump(json_incref(s), &len);
		if (line == NULL)
			continue;
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		free(line);
		printed++;
	}
	fflush(stdout);
	return printed;
}

int cp_trace_main(const char *socket, int argc, char **argv)
{
	struct cp_req trace = {.type = CP_MSG_TRACE};
	struct cp_msg_buf req = CP_MSG_BUF_INIT;
	long count = -1, shown = 0;
	uint64_t lost = 0;
	char err[512];
	int rc = parse(argc, argv, &trace.u.trace, &count);
	if (rc != 0)
		return rc;
	if (cp_req_encode(&req, 0, &trace, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokectl: trace: %s\n", err);
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits end at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = 0;
	bool first = true;
	while (!stop && (count < 0 || shown < count)) {
		struct cp_msg_buf resp = CP_MSG_BUF_INIT;
		struct cp_reply rep;
		if (cp_client_call(socket, &req, &resp, &rep, CALL_TIMEOUT_MS, err, sizeof(err)) !=
		    0) {
			if (!stop)
				rc = 1;
			cp_msg_buf_free(&resp);
			break;
		}
		json_t *j = json_loadb(rep.json != NULL ? rep.json : "", rep.json_len, 0, NULL);
		cp_msg_buf_free(&resp);
		if (j == NULL) {
			snprintf(err, sizeof(err), "the reply is not JSON");
			rc = 1;
			break;
		}
		first = false;
		shown += print_samples(j, count < 0 ? -1 : count - shown, &lost);
		json_decref(j);
		if (count < 0 || shown < count)
			pause_ms(POLL_MS);
	}
	cp_msg_buf_free(&req);
	/* One line, whichever way it ended. */
	if (rc != 0 && first)
		fprintf(stderr, "chokectl: trace: %s\n", err); /* refused: nothing was traced */
	else if (rc != 0)
		fprintf(stderr,
			"chokectl: trace: ended: %s (%ld decisions shown, %llu not sampled)\n", err,
			shown, (unsigned long long)lost);
	else
		fprintf(stderr,
			"chokectl: trace: %ld decisions shown, %llu not sampled (rings full)\n",
			shown, (unsigned long long)lost);
	return rc;
}
