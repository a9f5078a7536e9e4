/* chokectl diff (diff.h): validate, replay twice, walk the capture and both verdict files in step.
 */
#include "diff.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "diag.h"
#include "flow_diff.h"
#include "policy.h"

#define DIFF_BAD 2
#define DIFF_USAGE                                                                                 \
	"usage: chokectl diff OLD.conf NEW.conf --capture IN.pcap [--events E.jsonl] [--json] "    \
	"[--fail-on-change]"

/* Bad input: one line on stderr, exit status 2. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "chokectl: diff: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return DIFF_BAD;
}

/* A policy that fails check: its first error, one line. */
static int check_policy(const char *path)
{
	struct cp_diag d;
	cp_diag_init(&d);
	struct cp_policy_src *p = cp_policy_load(path, &d);
	int rc = 0;
	if (p == NULL) {
		const char *first = NULL;
		for (unsigned i = 0; i < d.n && first == NULL; i++)
			if (strstr(d.lines[i], ": error: ") != NULL)
				first = d.lines[i];
		rc = first != NULL ? bad("%s", first) : bad("%s: fails check", path);
	}
	cp_policy_free(p);
	cp_diag_free(&d);
	return rc;
}

/* chokepoint: $CHOKEPOINT, else beside this program (installed), else the build tree's. */
static int find_chokepoint(char *out, size_t len)
{
	const char *env = getenv("CHOKEPOINT");
	if (env != NULL && env[0] != '\0') {
		snprintf(out, len, "%s", env);
		return access(out, X_OK);
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	const char *dir = dirname(self);
	snprintf(out, len, "%s/chokepoint", dir);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(out, len, "%s/../dataplane/chokepoint", dir);
	return access(out, X_OK);
}

/* chokepoint --replay into dir; its output in dir.log. */
static int replay(const char *exe, const char *cap, const char *policy, const char *events,
		  const char *dir)
{
	char log[PATH_MAX + 8];
	snprintf(log, sizeof(log), "%s.log", dir);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		const char *argv[16] = {exe,	 "--replay", cap,	  "--policy", policy,
					"--out", dir,	     "--workers", "1",	      "--quiet"};
		int i = 10;
		if (events != NULL) {
			argv[i++] = "--events";
			argv[i++] = events;
		}
		argv[i] = NULL;
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	FILE *f = fopen(log, "r");
	char line[512] = "", last[512] = "no output";
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (line[0] != '\n')
			snprintf(last, sizeof(last), "%s", line);
	if (f != NULL)
		fclose(f);
	last[strcspn(last, "\n")] = '\0';
	fprintf(stderr, "chokectl: diff: replay under %s failed: %s\n", policy, last);
	return -1;
}

/* One line of verdicts.jsonl into x. */
static int read_decided(FILE *f, struct cp_decided *x)
{
	char line[1024];
	if (fgets(line, sizeof(line), f) == NULL)
		return -1;
	json_t *o = json_loads(line, 0, NULL);
	const char *v = NULL;
	json_t *r = NULL; /* a name, or null for none */
	int rc = o != NULL && json_unpack(o, "{s:s, s:o}", "verdict", &v, "rule", &r) == 0 &&
			 (json_is_string(r) || json_is_null(r))
		     ? 0
		     : -1;
	if (rc == 0) {
		snprintf(x->verdict, sizeof(x->verdict), "%s", v);
		snprintf(x->rule, sizeof(x->rule), "%s",
			 json_is_string(r) ? json_string_value(r) : "");
	}
	json_decref(o);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path); /* best effort: a leftover is not an error */
	return 0;
}

/* The replays' outputs: the temporary directory and everything in it. */
static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Walk the capture and both verdict files in step. */
static int compare(const char *cap, const char *old_dir, const char *new_dir,
		   struct cp_flow_diff *fd)
{
	char errbuf[PCAP_ERRBUF_SIZE], po[PATH_MAX + 32], pn[PATH_MAX + 32];
	snprintf(po, sizeof(po), "%s/verdicts.jsonl", old_dir);
	snprintf(pn, sizeof(pn), "%s/verdicts.jsonl", new_dir);
	pcap_t *pc = pcap_open_offline(cap, errbuf);
	FILE *fo = fopen(po, "r"), *fn = fopen(pn, "r");
	int rc = pc != NULL && fo != NULL && fn != NULL ? 0 : -1;
	struct pcap_pkthdr *h;
	const u_char *data;
	for (uint64_t n = 1; rc == 0 && pcap_next_ex(pc, &h, &data) == 1; n++) {
		struct cp_decided o, w;
		struct cp_pkt p;
		if (read_decided(fo, &o) != 0 || read_decided(fn, &w) != 0) {
			fprintf(stderr, "chokectl: diff: verdicts end before packet %llu\n",
				(unsigned long long)n);
			rc = -1;
			break;
		}
		enum cp_reason pr = cp_parse(data, h->caplen, &p);
		if (cp_flow_diff_feed(fd, n, pr, &p, &o, &w) != 0) {
			fprintf(stderr, "chokectl: diff: out of memory\n");
			rc = -1;
		}
	}
	if (pc != NULL)
		pcap_close(pc);
	if (fo != NULL)
		fclose(fo);
	if (fn != NULL)
		fclose(fn);
	return rc;
}

int cp_diff_main(int argc, char **argv)
{
	static const struct option lo[] = {{"capture", required_argument, NULL, 'c'},
					   {"events", required_argument, NULL, 'e'},
					   {"json", no_argument, NULL, 'j'},
					   {"fail-on-change", no_argument, NULL, 'f'},
					   {NULL, 0, NULL, 0}};
	const char *cap = NULL, *events = NULL;
	bool json = false, fail_on_change = false;
	int c;
	optind = 1;
	opterr = 0; /* bad options get the usage line alone */
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			cap = optarg;
			break;
		case 'e':
			events = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'f':
			fail_on_change = true;
			break;
		default:
			return bad("%s", DIFF_USAGE);
		}
	}
	if (argc - optind != 2 || cap == NULL)
		return bad("%s", DIFF_USAGE);
	const char *oldp = argv[optind], *newp = argv[optind + 1];
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(cap, errbuf);
	if (pc == NULL)
		return bad("%s: %s", cap, errbuf);
	int dlt = pcap_datalink(pc);
	pcap_close(pc);
	if (dlt != DLT_EN10MB) {
		return bad("%s: not an Ethernet capture (link type %d)", cap, dlt);
	}
	if (check_policy(oldp) != 0 || check_policy(newp) != 0)
		return DIFF_BAD;
	if (events != NULL && access(events, R_OK) != 0)
		return bad("%s: %s", events, strerror(errno));
	char exe[PATH_MAX];
	if (find_chokepoint(exe, sizeof(exe)) != 0)
		return bad("no chokepoint program (set CHOKEPOINT)");

	char tmp[] = "/tmp/chokectl-diff.XXXXXX", od[64], nd[64];
	if (mkdtemp(tmp) == NULL)
		return bad("temporary directory: %s", strerror(errno));
	snprintf(od, sizeof(od), "%s/old", tmp);
	snprintf(nd, sizeof(nd), "%s/new", tmp);
	struct cp_flow_diff fd;
	cp_flow_diff_init(&fd);
	int rc = replay(exe, cap, oldp, events, od) == 0 &&
			 replay(exe, cap, newp, events, nd) == 0 && compare(cap, od, nd, &fd) == 0
		     ? 0
		     : DIFF_BAD;
	if (rc == 0) {
		if (json)
			cp_flow_diff_json(&fd, stdout);
		else
			cp_flow_diff_text(&fd, stdout);
		rc = fail_on_change && fd.n_changes > 0 ? 1 : 0;
	}
	cp_flow_diff_free(&fd);
	rm_tree(tmp);
	return rc;
}
