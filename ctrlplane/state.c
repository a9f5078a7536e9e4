/* chokectl serve's durable state (see state.h). */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER "chokepoint-state 1\n"

uint64_t cp_sgrant_deadline(const struct cp_sgrant *g)
{
	uint64_t d = g->end_ns;
	if (g->renew_ns != 0 && g->last_ns < d && g->renew_ns < d - g->last_ns)
		d = g->last_ns + g->renew_ns;
	return d;
}

void cp_state_init(struct cp_state *s)
{
	memset(s, 0, sizeof(*s));
}

void cp_state_free(struct cp_state *s)
{
	free(s->g);
	cp_state_init(s);
}

static int add(struct cp_state *s, const struct cp_sgrant *g)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 32;
		struct cp_sgrant *n;
		if (s->n >= CP_STATE_MAX_GRANTS || (n = realloc(s->g, cap * sizeof(*n))) == NULL)
			return -1;
		s->g = n;
		s->cap = cap;
	}
	s->g[s->n++] = *g;
	return 0;
}

static bool same(const struct cp_prefix *a, const struct cp_prefix *b)
{
	return a->family == b->family && a->len == b->len && memcmp(a->a, b->a, 16) == 0;
}

void cp_state_prune(struct cp_state *s, uint64_t now)
{
	unsigned k = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (now < cp_sgrant_deadline(&s->g[i]))
			s->g[k++] = s->g[i];
	s->n = k;
}

int cp_state_give(struct cp_state *s, const struct cp_prefix *pfx, uint64_t now, uint64_t for_ns,
		  uint64_t renew_ns)
{
	struct cp_sgrant g = {.pfx = *pfx,
			      .end_ns = for_ns > UINT64_MAX - now ? UINT64_MAX : now + for_ns,
			      .renew_ns = renew_ns,
			      .last_ns = now};
	cp_state_prune(s, now);
	for (unsigned i = 0; i < s->n; i++)
		if (same(&s->g[i].pfx, pfx)) {
			s->g[i] = g;
			return 0;
		}
	return add(s, &g);
}

unsigned cp_state_renew(struct cp_state *s, const struct cp_prefix *pfx, uint64_t now)
{
	unsigned n = 0;
	cp_state_prune(s, now);
	for (unsigned i = 0; i < s->n; i++)
		if (cp_prefix_contains(pfx, &s->g[i].pfx)) {
			s->g[i].last_ns = now;
			n++;
		}
	return n;
}

unsigned cp_state_revoke(struct cp_state *s, const struct cp_prefix *pfx, uint64_t now)
{
	unsigned n = 0, k = 0;
	cp_state_prune(s, now);
	for (unsigned i = 0; i < s->n; i++) {
		if (cp_prefix_contains(pfx, &s->g[i].pfx))
			n++;
		else
			s->g[k++] = s->g[i];
	}
	s->n = k;
	return n;
}

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* A decimal u64: digits only (no sign, no blanks), no overflow. */
static int parse_u64(const char *t, uint64_t *v)
{
	char *end;
	if (t[0] == '\0' || strspn(t, "0123456789") != strlen(t))
		return -1;
	errno = 0;
	unsigned long long x = strtoull(t, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

/* One line: "grant PREFIX END_NS RENEW_NS LAST_NS", "shutoff 0|1", "uplink NAME|-". */
static int parse_line(struct cp_state *s, char *line, char *err, size_t errlen, int lineno)
{
	char kind[16], a[64], n[3][24], extra;
	if (sscanf(line, "grant %63s %23s %23s %23s %c", a, n[0], n[1], n[2], &extra) == 4) {
		struct cp_sgrant g;
		char why[160];
		if (parse_u64(n[0], &g.end_ns) != 0 || parse_u64(n[1], &g.renew_ns) != 0 ||
		    parse_u64(n[2], &g.last_ns) != 0 ||
		    cp_prefix_parse(a, &g.pfx, why, sizeof(why)) != 0 || g.last_ns > g.end_ns) {
			snprintf(err, errlen, "line %d: bad grant", lineno);
			return -1;
		}
		if (add(s, &g) != 0) {
			snprintf(err, errlen, "line %d: too many grants", lineno);
			return -1;
		}
		return 0;
	}
	if (sscanf(line, "%15s %63s %c", kind, a, &extra) == 2) {
		if (strcmp(kind, "shutoff") == 0 && (strcmp(a, "0") == 0 || strcmp(a, "1") == 0)) {
			s->shutoff = a[0] == '1';
			return 0;
		}
		if (strcmp(kind, "uplink") == 0) {
			snprintf(s->uplink, sizeof(s->uplink), "%s", strcmp(a, "-") == 0 ? "" : a);
			return 0;
		}
	}
	snprintf(err, errlen, "line %d: not understood", lineno);
	return -1;
}

int cp_state_load(struct cp_state *s, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], line[256], why[200];
	cp_state_init(s);
	path_of(path, sizeof(path), dir, "state");
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		size_t len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(why, sizeof(why), "line %d: too long or unterminated", lineno);
			rc = -1;
		} else if (lineno == 1) {
			if (strcmp(line, HEADER) != 0) {
				snprintf(why, sizeof(why), "not a chokepoint state file");
				rc = -1;
			}
		} else {
			line[len - 1] = '\0';
			rc = parse_line(s, line, why, sizeof(why), lineno);
		}
	}
	if (rc == 0 && lineno == 0) {
		snprintf(why, sizeof(why), "empty file");
		rc = -1;
	}
	fclose(f);
	if (rc != 0) {
		snprintf(err, errlen, "%s: corrupt state, refused: %s", path, why);
		cp_state_free(s);
	}
	return rc;
}

int cp_state_save(const struct cp_state *s, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	path_of(path, sizeof(path), dir, "state");
	path_of(tmp, sizeof(tmp), dir, "state.tmp");
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		return -1;
	}
	fputs(HEADER, f);
	for (unsigned i = 0; i < s->n; i++) {
		char b[CP_PREFIX_STRLEN];
		fprintf(f, "grant %s %llu %llu %llu\n",
			cp_prefix_format(&s->g[i].pfx, b, sizeof(b)),
			(unsigned long long)s->g[i].end_ns, (unsigned long long)s->g[i].renew_ns,
			(unsigned long long)s->g[i].last_ns);
	}
	fprintf(f, "shutoff %d\nuplink %s\n", s->shutoff ? 1 : 0, s->uplink[0] ? s->uplink : "-");
	int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
	int e = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e));
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* the rename itself is durable */
		close(dfd);
	}
	return 0;
}
