/* chokectl top: a live view that refreshes like top(1). Every second it asks for the counters and
 * the status and shows rates over the real time between two reads: packets/s and bits/s per
 * verdict and per port, the busiest rules and categories, drop reasons, flows, grants with their
 * time left, and the workers' busy ratio. */
#include "top.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MAX_ROWS 64
#define SHOW	 8

struct row {
	char name[64];
	double a, b, c, d;     /* this read */
	double ra, rb, rc, rd; /* rates */
};

struct table {
	struct row r[MAX_ROWS];
	unsigned n;
};

struct snap {
	struct table verdict, port, rule, category, reason, busy;
	double flows_active, created, evicted;
};

static struct row *row_of(struct table *t, const char *name, size_t len)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strlen(t->r[i].name) == len && strncmp(t->r[i].name, name, len) == 0)
			return &t->r[i];
	if (t->n == MAX_ROWS)
		return NULL;
	struct row *r = &t->r[t->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%.*s", (int)len, name);
	return r;
}

struct fill {
	struct table *t;
	int slot; /* 0: a, 1: b */
};

static void take_num(const char *name, json_t *val, void *arg)
{
	struct fill *f = arg;
	struct row *r = row_of(f->t, name, strlen(name));
	if (r != NULL)
		*(f->slot == 0 ? &r->a : &r->b) = json_number_value(val);
}

/* Ports: {"inside": {"rx": N, "tx": N}, ...} into a (rx) b (tx), or c d for bytes. */
static void take_port(const char *name, json_t *val, void *arg)
{
	struct fill *f = arg;
	struct row *r = row_of(f->t, name, strlen(name));
	if (r == NULL)
		return;
	*(f->slot == 0 ? &r->a : &r->c) = json_number_value(json_object_get(val, "rx"));
	*(f->slot == 0 ? &r->b : &r->d) = json_number_value(json_object_get(val, "tx"));
}

/* fn for each member of the object at key (none when it is absent or no object). */
static void each(json_t *j, const char *key, void (*fn)(const char *, json_t *, void *), void *arg)
{
	const char *name;
	json_t *val;
	json_object_foreach(json_object_get(j, key), name, val) fn(name, val, arg);
}

static void map(json_t *j, const char *key, struct table *t, int slot,
		void (*fn)(const char *, json_t *, void *))
{
	struct fill f = {t, slot};
	each(j, key, fn, &f);
}

static double num(json_t *j, const char *key)
{
	return json_number_value(json_object_get(j, key));
}

static void read_snap(json_t *j, struct snap *s)
{
	map(j, "packets_total", &s->verdict, 0, take_num);
	map(j, "bytes_total", &s->verdict, 1, take_num);
	map(j, "port_packets_total", &s->port, 0, take_port);
	map(j, "port_bytes_total", &s->port, 1, take_port);
	map(j, "rule_packets_total", &s->rule, 0, take_num);
	map(j, "category_matches_total", &s->category, 0, take_num);
	map(j, "drop_reason_total", &s->reason, 0, take_num);
	map(j, "worker_busy_ratio", &s->busy, 0, take_num);
	s->flows_active = num(j, "flows_active");
	s->created = num(j, "flows_created_total");
	s->evicted = num(j, "flows_evicted_total");
}

/* Rates of cur against prev over dt seconds. */
static void rates(struct table *cur, const struct table *prev, double dt)
{
	for (unsigned i = 0; i < cur->n; i++) {
		struct row *r = &cur->r[i];
		const struct row *p = NULL;
		for (unsigned k = 0; k < prev->n && p == NULL; k++)
			if (strcmp(prev->r[k].name, r->name) == 0)
				p = &prev->r[k];
		if (p == NULL || dt <= 0)
			continue;
		r->ra = (r->a - p->a) / dt;
		r->rb = (r->b - p->b) / dt;
		r->rc = (r->c - p->c) / dt;
		r->rd = (r->d - p->d) / dt;
	}
}

static int by_rate(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	return a->ra < b->ra ? 1 : a->ra > b->ra ? -1 : strcmp(a->name, b->name);
}

static void show_top(const char *title, struct table *t)
{
	struct table sorted = *t;
	qsort(sorted.r, sorted.n, sizeof(sorted.r[0]), by_rate);
	printf("\n%-28s %12s %14s\n", title, "packets/s", "total");
	for (unsigned i = 0; i < sorted.n && i < SHOW; i++)
		printf("%-28s %12.0f %14.0f\n", sorted.r[i].name, sorted.r[i].ra, sorted.r[i].a);
}

static void active_uplink(const char *name, json_t *val, void *arg)
{
	if (json_number_value(val) == 1)
		snprintf(arg, 64, "%s", name);
}

static void render(const char *socket, const struct snap *s, double dt, json_t *counters,
		   json_t *status)
{
	char up[64] = "none";
	size_t i;
	json_t *g;
	each(counters, "uplink_active", active_uplink, up);
	printf("\033[H\033[2Jchokepoint top   %s   policy generation %.0f   uplink %s%s\n", socket,
	       num(counters, "policy_generation"), up,
	       json_is_true(json_object_get(status, "shutoff")) ? "   SHUTOFF" : "");
	printf("\n%-10s %12s %14s\n", "verdict", "packets/s", "bits/s");
	for (unsigned i = 0; i < s->verdict.n; i++)
		printf("%-10s %12.0f %14.0f\n", s->verdict.r[i].name, s->verdict.r[i].ra,
		       s->verdict.r[i].rb * 8);
	printf("\n%-10s %12s %14s %12s %14s\n", "port", "rx pkt/s", "rx bit/s", "tx pkt/s",
	       "tx bit/s");
	for (unsigned i = 0; i < s->port.n; i++) {
		const struct row *r = &s->port.r[i];
		printf("%-10s %12.0f %14.0f %12.0f %14.0f\n", r->name, r->ra, r->rc * 8, r->rb,
		       r->rd * 8);
	}
	struct table t = s->rule;
	show_top("rule", &t);
	t = s->category;
	show_top("category", &t);
	t = s->reason;
	show_top("drop reason", &t);
	printf("\nflows: %.0f active, %.0f new/s, %.0f expired/s\n", s->flows_active,
	       dt > 0 ? s->created : 0, dt > 0 ? s->evicted : 0);
	printf("workers busy:");
	for (unsigned i = 0; i < s->busy.n; i++)
		printf(" %s %.0f%%", s->busy.r[i].name, s->busy.r[i].a * 100);
	printf("\n\n%-44s %s\n", "grant", "left");
	json_array_foreach(json_object_get(status, "grants"), i, g)
	{
		const char *pfx = json_string_value(json_object_get(g, "prefix"));
		json_t *left = json_object_get(g, "left_s");
		if (pfx != NULL && json_is_integer(left)) {
			unsigned long l = (unsigned long)json_integer_value(left);
			printf("%-44s %lum%02lus\n", pfx, l / 60, l % 60);
		}
	}
	fflush(stdout);
}

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int cp_top_run(const char *socket, long count, cp_top_fetch fetch, void *arg)
{
	struct snap prev, cur;
	double t_prev = 0;
	memset(&prev, 0, sizeof(prev));
	for (long n = 0; count < 0 || n < count; n++) {
		char *counters_text = NULL, *status_text = NULL;
		if (fetch(arg, &counters_text, &status_text) != 0)
			return 1;
		json_t *counters = json_loads(counters_text, 0, NULL);
		json_t *status = json_loads(status_text, 0, NULL);
		free(counters_text);
		free(status_text);
		double t = mono(), dt = n > 0 ? t - t_prev : 0;
		memset(&cur, 0, sizeof(cur));
		read_snap(counters, &cur);
		rates(&cur.verdict, &prev.verdict, dt);
		rates(&cur.port, &prev.port, dt);
		rates(&cur.rule, &prev.rule, dt);
		rates(&cur.category, &prev.category, dt);
		rates(&cur.reason, &prev.reason, dt);
		struct snap show = cur;
		show.created = dt > 0 ? (cur.created - prev.created) / dt : 0;
		show.evicted = dt > 0 ? (cur.evicted - prev.evicted) / dt : 0;
		render(socket, &show, dt, counters, status);
		prev = cur;
		t_prev = t;
		json_decref(counters);
		json_decref(status);
		if (count < 0 || n + 1 < count)
			sleep(1);
	}
	return 0;
}
