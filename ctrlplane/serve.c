/* chokectl serve (SPEC §2): owns the policy and the grants, pushes them to every dataplane (again
 * after one restarts), reloads the policy when its file changes or on SIGHUP (a policy that fails
 * `check` is refused and the running one kept), persists grants, shutoff and the forced uplink in
 * --state, answers the CLI on its own socket, and serves Prometheus metrics.
 *
 * One thread, one poll loop: the CLI socket, inotify, a signalfd, the metrics socket, and a
 * reconnect timer for dataplanes that are away. Requests to dataplanes are answered within a
 * bounded time; a dataplane that does not answer is marked away and synced again when it is back.
 */
#include "serve.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ctl_msg.h"
#include "ctl_sock.h"
#include "diag.h"
#include "http_metrics.h"
#include "json_out.h"
#include "prom.h"
#include "state.h"

#define MAX_DP	      16
#define DP_TIMEOUT_MS 5000
/* A dataplane loads a pushed policy before it answers: a million prefixes take seconds. */
#define DP_INSTALL_TIMEOUT_MS 120000
#define RETRY_NS	      (1000ull * 1000000ull) /* reconnect every second */

struct dataplane {
	const char *path;
	int fd; /* -1: away */
	uint64_t next_try;
	uint32_t generation; /* what it runs, as it said */
};

struct serve {
	const char *policy_path, *state_dir, *socket_path, *metrics;
	struct dataplane dp[MAX_DP];
	unsigned n_dp;
	struct cp_msg_buf policy; /* the INSTALL_POLICY request of the running policy */
	unsigned revision;	  /* policies accepted so far */
	struct cp_state st;
	int cli_fd, ino_fd, sig_fd, http_fd, ino_wd;
	char policy_dir[PATH_MAX], policy_base[NAME_MAX + 1];
	uint32_t seq;
	uint64_t reloads_refused, pushes_failed;
};

static uint64_t realtime_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("chokectl serve: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static void dp_away(struct dataplane *d, const char *why)
{
	if (d->fd >= 0) {
		close(d->fd);
		say("dataplane %s away: %s", d->path, why);
	}
	d->fd = -1;
	d->next_try = mono_ns() + RETRY_NS;
}

/* One request to one dataplane, on its kept connection. 0, or -1 with err (an ERROR reply keeps
 * the connection; anything else drops it). */
static int dp_call(struct serve *s, struct dataplane *d, struct cp_msg_buf *req,
		   struct cp_msg_buf *resp, struct cp_reply *rep, char *err, size_t errlen)
{
	char why[256];
	struct cp_msg m;
	if (d->fd < 0) {
		snprintf(err, errlen, "away");
		return -1;
	}
	/* Stamp our sequence number into the header (bytes 12..15) of a request built elsewhere. */
	uint32_t seq = ++s->seq;
	req->data[12] = (uint8_t)(seq >> 24);
	req->data[13] = (uint8_t)(seq >> 16);
	req->data[14] = (uint8_t)(seq >> 8);
	req->data[15] = (uint8_t)seq;
	uint16_t type = (uint16_t)(req->data[6] << 8 | req->data[7]);
	int timeout = type == CP_MSG_INSTALL_POLICY ? DP_INSTALL_TIMEOUT_MS : DP_TIMEOUT_MS;
	if (cp_msg_send_all(d->fd, req, timeout) != 0 ||
	    cp_msg_recv(d->fd, resp, timeout, why, sizeof(why)) != 0 ||
	    cp_msg_parse(resp->data, resp->len, &m, why, sizeof(why)) != 0 ||
	    cp_reply_decode(&m, rep, why, sizeof(why)) != 0 || m.seq != seq) {
		snprintf(err, errlen, "no valid reply");
		dp_away(d, err);
		return -1;
	}
	if (rep->type == CP_MSG_ERROR) {
		snprintf(err, errlen, "%.*s", (int)rep->message_len, rep->message);
		return -1;
	}
	if (rep->has_generation)
		d->generation = rep->generation;
	return 0;
}

/* A request to every dataplane that is there; returns how many refused or failed. */
static unsigned dp_all(struct serve *s, struct cp_msg_buf *req, char *err, size_t errlen)
{
	unsigned failed = 0;
	for (unsigned i = 0; i < s->n_dp; i++) {
		struct cp_msg_buf resp = CP_MSG_BUF_INIT;
		struct cp_reply rep;
		char why[256];
		if (s->dp[i].fd >= 0 &&
		    dp_call(s, &s->dp[i], req, &resp, &rep, why, sizeof(why)) != 0) {
			failed++;
			snprintf(err, errlen, "%s: %s", s->dp[i].path, why);
		}
		cp_msg_buf_free(&resp);
	}
	return failed;
}

static int build_simple(struct cp_msg_buf *b, uint16_t type)
{
	return cp_msg_begin(b, type, 0) == 0 && cp_msg_end(b) == 0 ? 0 : -1;
}

static int build_uplink(struct cp_msg_buf *b, const char *name)
{
	return cp_msg_begin(b, CP_MSG_UPLINK, 0) == 0 &&
		       cp_msg_put_str(b, CP_TAG_NAME, name[0] ? name : "auto") == 0 &&
		       cp_msg_end(b) == 0
		   ? 0
		   : -1;
}

static int build_grants_set(struct serve *s, struct cp_msg_buf *b)
{
	uint64_t now = realtime_ns();
	if (cp_msg_begin(b, CP_MSG_GRANTS_SET, 0) != 0 ||
	    cp_msg_put_u64(b, CP_TAG_NOW_NS, now) != 0)
		return -1;
	for (unsigned i = 0; i < s->st.n; i++) {
		const struct cp_sgrant *g = &s->st.g[i];
		struct cp_grant_entry e = {g->pfx, g->end_ns, g->renew_ns, g->last_ns};
		if (cp_msg_put_grant_entry(b, &e) != 0)
			return -1;
	}
	return cp_msg_end(b);
}

/* Bring a dataplane that (re)appeared to the running state: policy, grants, shutoff, uplink. */
static void dp_sync(struct serve *s, struct dataplane *d)
{
	char err[512];
	struct cp_msg_buf req[4] = {CP_MSG_BUF_INIT, CP_MSG_BUF_INIT, CP_MSG_BUF_INIT,
				    CP_MSG_BUF_INIT};
	int ok = build_grants_set(s, &req[0]) == 0 &&
		 build_simple(&req[1], s->st.shutoff ? CP_MSG_SHUTOFF : CP_MSG_RESTORE) == 0 &&
		 build_uplink(&req[2], s->st.uplink) == 0;
	struct cp_msg_buf *seqs[4] = {&s->policy, &req[0], &req[1], &req[2]};
	for (unsigned i = 0; ok && i < 4 && d->fd >= 0; i++) {
		struct cp_msg_buf resp = CP_MSG_BUF_INIT;
		struct cp_reply rep;
		if (seqs[i]->len > 0 && dp_call(s, d, seqs[i], &resp, &rep, err, sizeof(err)) != 0)
			say("dataplane %s refused the sync: %s", d->path, err);
		cp_msg_buf_free(&resp);
	}
	for (unsigned i = 0; i < 4; i++)
		cp_msg_buf_free(&req[i]);
	if (d->fd >= 0)
		say("dataplane %s synced: policy generation %u, %u grants", d->path, d->generation,
		    s->st.n);
}

static void dp_reconnect(struct serve *s)
{
	uint64_t now = mono_ns();
	for (unsigned i = 0; i < s->n_dp; i++) {
		struct dataplane *d = &s->dp[i];
		char err[256];
		if (d->fd >= 0 || now < d->next_try)
			continue;
		d->fd = cp_sock_connect(d->path, 1000, err, sizeof(err));
		d->next_try = now + RETRY_NS;
		if (d->fd >= 0) {
			say("dataplane %s connected", d->path);
			dp_sync(s, d);
		}
	}
}

/* Load, check and compile the policy file; on success it becomes the running policy and goes
 * to every dataplane. A policy that fails is refused and the running one kept. */
static int load_policy(struct serve *s, const char *path, char *err, size_t errlen)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_diag d;
	cp_diag_init(&d);
	if (cp_policy_request(path, 0, &b, &d) != 0) {
		cp_diag_print(&d, stderr);
		snprintf(err, errlen, "%s", d.n > 0 ? d.lines[0] : "policy refused");
		cp_diag_free(&d);
		cp_msg_buf_free(&b);
		s->reloads_refused++;
		return -1;
	}
	cp_diag_print(&d, stderr); /* warnings */
	cp_diag_free(&d);
	cp_msg_buf_free(&s->policy);
	s->policy = b;
	s->revision++;
	if (dp_all(s, &s->policy, err, errlen) != 0) {
		s->pushes_failed++;
		return -1;
	}
	return 0;
}

static int save(struct serve *s, char *err, size_t errlen)
{
	return s->state_dir == NULL ? 0 : cp_state_save(&s->st, s->state_dir, err, errlen);
}

static char *status_json(struct serve *s, size_t *len)
{
	uint64_t now = realtime_ns();
	json_t *dps = json_array(), *grants = json_array();
	for (unsigned i = 0; i < s->n_dp; i++)
		json_array_append_new(dps, json_pack("{s:o,s:b,s:I}", "socket",
						     cp_json_text(s->dp[i].path), "connected",
						     s->dp[i].fd >= 0, "generation",
						     (json_int_t)s->dp[i].generation));
	cp_state_prune(&s->st, now);
	for (unsigned i = 0; i < s->st.n; i++) {
		char b[CP_PREFIX_STRLEN];
		uint64_t d = cp_sgrant_deadline(&s->st.g[i]);
		json_array_append_new(grants,
				      cp_json_grant(cp_prefix_format(&s->st.g[i].pfx, b, sizeof(b)),
						    (d - now) / 1000000000u));
	}
	json_t *o = json_pack("{s:o,s:I,s:b,s:o,s:o,s:o}", "policy", cp_json_text(s->policy_path),
			      "revision", (json_int_t)s->revision, "shutoff", s->st.shutoff,
			      "uplink_forced", cp_json_text(s->st.uplink[0] ? s->st.uplink : NULL),
			      "dataplanes", dps, "grants", grants);
	return cp_json_dump(o, len);
}

/* The first connected dataplane's counters (stats, top). */
static int first_counters(struct serve *s, struct cp_msg_buf *resp, struct cp_reply *rep, char *err,
			  size_t errlen)
{
	struct cp_msg_buf req = CP_MSG_BUF_INIT;
	int rc = -1;
	snprintf(err, errlen, "no dataplane connected");
	if (build_simple(&req, CP_MSG_COUNTERS) == 0)
		for (unsigned i = 0; i < s->n_dp && rc != 0; i++)
			if (s->dp[i].fd >= 0)
				rc = dp_call(s, &s->dp[i], &req, resp, rep, err, errlen);
	cp_msg_buf_free(&req);
	return rc;
}

static int by_time(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "time"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "time"));
	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

/* A trace request to every dataplane there is; their samples merged in time order (each with its
 * dataplane's socket), their lost counts summed. NULL with err when none answered. */
static char *trace_all(struct serve *s, struct cp_msg_buf *req, size_t *len, char *err,
		       size_t errlen)
{
	json_t *all = json_array();
	json_int_t lost = 0;
	unsigned answered = 0;
	snprintf(err, errlen, "no dataplane connected");
	for (unsigned i = 0; i < s->n_dp && all != NULL; i++) {
		struct cp_msg_buf resp = CP_MSG_BUF_INIT;
		struct cp_reply rep;
		size_t k;
		json_t *j = NULL, *x;
		char why[256];
		if (s->dp[i].fd < 0)
			continue;
		if (dp_call(s, &s->dp[i], req, &resp, &rep, why, sizeof(why)) == 0)
			j = json_loadb(rep.json != NULL ? rep.json : "", rep.json_len, 0, NULL);
		else
			snprintf(err, errlen, "dataplane %s: %s", s->dp[i].path, why);
		cp_msg_buf_free(&resp);
		if (j == NULL)
			continue;
		answered++;
		json_array_foreach(json_object_get(j, "samples"), k, x)
		{
			json_object_set_new(x, "dataplane", json_string(s->dp[i].path));
			json_array_append(all, x);
		}
		lost += json_integer_value(json_object_get(j, "lost"));
		json_decref(j);
	}
	if (answered == 0) {
		json_decref(all);
		return NULL;
	}
	size_t n = json_array_size(all);
	json_t **v = malloc((n + 1) * sizeof(*v));
	json_t *sorted = json_array();
	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = json_array_get(all, i);
	if (v != NULL)
		qsort(v, n, sizeof(*v), by_time);
	for (size_t i = 0; v != NULL && i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(all);
	return cp_json_dump(json_pack("{s:o,s:I}", "samples", sorted, "lost", lost), len);
}

/* Apply a grant edit to the state, persist it, then forward the request as it came. */
static int grant_edit(struct serve *s, const struct cp_msg *m, const struct cp_req *r,
		      struct cp_msg_buf *raw, char *err, size_t errlen)
{
	struct cp_state before = s->st;
	uint64_t now = realtime_ns();
	before.g = malloc((s->st.n + 1) * sizeof(*before.g));
	if (before.g == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(before.g, s->st.g, s->st.n * sizeof(*before.g));
	int rc = 0;
	if (m->type == CP_MSG_GRANT)
		rc = cp_state_give(&s->st, &r->u.grant.pfx, now, r->u.grant.for_ns,
				   r->u.grant.has_renew ? r->u.grant.renew_ns : 0);
	else if ((m->type == CP_MSG_RENEW ? cp_state_renew
					  : cp_state_revoke)(&s->st, &r->u.prefix.pfx, now) == 0) {
		char b[CP_PREFIX_STRLEN];
		snprintf(err, errlen, "no live grant within %s",
			 cp_prefix_format(&r->u.prefix.pfx, b, sizeof(b)));
		rc = -1;
	}
	if (rc == 0 && save(s, err, errlen) != 0)
		rc = -1; /* not persisted: not applied */
	if (rc != 0) {
		free(s->st.g);
		s->st.g = before.g;
		s->st.n = before.n;
		s->st.cap = s->st.n + 1;
		return -1;
	}
	free(before.g);
	dp_all(s, raw, err, errlen); /* a dataplane away gets it at its next sync */
	return 0;
}

static void handle_cli(struct serve *s, const struct cp_msg *m, struct cp_msg_buf *raw,
		       struct cp_msg_buf *out)
{
	struct cp_req r;
	struct cp_reply rep = {.type = (uint16_t)(m->type | CP_MSG_REPLY)};
	char err[512] = "";
	char *json = NULL;
	size_t json_len = 0;
	struct cp_msg_buf resp = CP_MSG_BUF_INIT;
	int rc = 0;

	if (cp_req_decode(m, &r, err, sizeof(err)) != 0) {
		cp_reply_error(out, m->seq, "%s", err);
		return;
	}
	switch (m->type) {
	case CP_MSG_INSTALL_POLICY: {
		/* push FILE: the CLI built and checked it; it becomes the running policy. */
		cp_msg_buf_free(&s->policy);
		s->policy = *raw;
		*raw = (struct cp_msg_buf)CP_MSG_BUF_INIT;
		s->revision++;
		rc = dp_all(s, &s->policy, err, sizeof(err)) == 0 ? 0 : -1;
		rep.generation = s->revision;
		rep.has_generation = true;
		say("policy %s pushed (revision %u)%s", r.u.install.path, s->revision,
		    rc ? ": refused by a dataplane" : "");
		break;
	}
	case CP_MSG_GRANT:
	case CP_MSG_RENEW:
	case CP_MSG_REVOKE:
		rc = grant_edit(s, m, &r, raw, err, sizeof(err));
		break;
	case CP_MSG_SHUTOFF:
	case CP_MSG_RESTORE:
	case CP_MSG_UPLINK: {
		struct cp_state keep = s->st;
		if (m->type == CP_MSG_UPLINK)
			snprintf(s->st.uplink, sizeof(s->st.uplink), "%s",
				 strcmp(r.u.uplink.name, "auto") == 0 ? "" : r.u.uplink.name);
		else
			s->st.shutoff = m->type == CP_MSG_SHUTOFF;
		/* Saved before it is forwarded: a change that cannot be saved reaches no dataplane.
		 * A dataplane's refusal (an unknown uplink) undoes it, on disk too. */
		if (save(s, err, sizeof(err)) != 0)
			rc = -1;
		else if (dp_all(s, raw, err, sizeof(err)) != 0)
			rc = -2;
		if (rc != 0) {
			char ignored[256];
			s->st.shutoff = keep.shutoff;
			memcpy(s->st.uplink, keep.uplink, sizeof(keep.uplink));
			if (rc == -2)
				save(s, ignored, sizeof(ignored));
			rc = -1;
		}
		break;
	}
	case CP_MSG_HELLO:
	case CP_MSG_STATUS:
		json = status_json(s, &json_len);
		rc = json != NULL ? 0 : -1;
		break;
	case CP_MSG_TRACE:
		json = trace_all(s, raw, &json_len, err, sizeof(err));
		rc = json != NULL ? 0 : -1;
		break;
	case CP_MSG_COUNTERS: {
		struct cp_reply dr;
		rc = first_counters(s, &resp, &dr, err, sizeof(err));
		if (rc == 0) {
			rep.json = dr.json;
			rep.json_len = dr.json_len;
		}
		break;
	}
	default:
		rc = -1;
		snprintf(err, sizeof(err), "%s is not a request for chokectl serve",
			 cp_msg_type_name(m->type));
	}
	cp_req_free(&r);
	if (json != NULL) {
		rep.json = json;
		rep.json_len = (uint32_t)json_len;
	}
	if (rc != 0)
		cp_reply_error(out, m->seq, "%s", err[0] ? err : "failed");
	else if (cp_reply_encode(out, m->seq, &rep, err, sizeof(err)) != 0)
		cp_reply_error(out, m->seq, "%s", err);
	free(json);
	cp_msg_buf_free(&resp);
}

static void serve_cli(struct serve *s)
{
	char err[256];
	for (;;) {
		int fd = cp_sock_accept(s->cli_fd, err, sizeof(err));
		if (fd < 0)
			return;
		struct cp_msg_buf in = CP_MSG_BUF_INIT, out = CP_MSG_BUF_INIT;
		struct cp_msg m;
		if (!cp_sock_peer_allowed(fd)) {
			close(fd);
			continue;
		}
		if (cp_msg_recv(fd, &in, 2000, err, sizeof(err)) == 0) {
			if (cp_msg_parse(in.data, in.len, &m, err, sizeof(err)) != 0) {
				struct cp_msg_hdr h;
				char ignored[8];
				cp_msg_hdr_parse(in.data, &h, ignored, sizeof(ignored)); /* seq */
				cp_reply_error(&out, h.seq, "%s", err);
			} else {
				handle_cli(s, &m, &in, &out);
			}
			cp_msg_send_all(fd, &out, 2000);
		}
		cp_msg_buf_free(&in);
		cp_msg_buf_free(&out);
		close(fd);
	}
}

static int render_metrics(FILE *f, void *arg)
{
	struct serve *s = arg;
	cp_prom_family(f, "chokepoint_control_dataplanes_connected", "Dataplanes connected",
		       "gauge");
	unsigned up = 0;
	for (unsigned i = 0; i < s->n_dp; i++)
		up += s->dp[i].fd >= 0;
	cp_prom_sample(f, "chokepoint_control_dataplanes_connected", NULL, NULL, 0, up);
	cp_prom_family(f, "chokepoint_control_dataplanes_configured",
		       "Dataplanes serve was given (--dataplane)", "gauge");
	cp_prom_sample(f, "chokepoint_control_dataplanes_configured", NULL, NULL, 0, s->n_dp);
	cp_prom_family(f, "chokepoint_control_shutoff", "1 while shutoff is on", "gauge");
	cp_prom_sample(f, "chokepoint_control_shutoff", NULL, NULL, 0, s->st.shutoff ? 1 : 0);
	cp_prom_family(f, "chokepoint_control_policy_reloads_refused_total",
		       "Policy reloads refused because the policy failed check", "counter");
	cp_prom_sample(f, "chokepoint_control_policy_reloads_refused_total", NULL, NULL, 0,
		       s->reloads_refused);
	struct cp_msg_buf req = CP_MSG_BUF_INIT;
	char *jsons[MAX_DP];
	const char *names[MAX_DP];
	unsigned n = 0;
	if (build_simple(&req, CP_MSG_COUNTERS) != 0)
		return -1;
	for (unsigned i = 0; i < s->n_dp; i++) {
		struct cp_msg_buf resp = CP_MSG_BUF_INIT;
		struct cp_reply rep;
		char err[256];
		if (s->dp[i].fd >= 0 &&
		    dp_call(s, &s->dp[i], &req, &resp, &rep, err, sizeof(err)) == 0 &&
		    rep.json != NULL && (jsons[n] = strndup(rep.json, rep.json_len)) != NULL)
			names[n++] = s->dp[i].path;
		cp_msg_buf_free(&resp);
	}
	cp_msg_buf_free(&req);
	char err[256];
	/* Several dataplanes are told apart by a dataplane="SOCKET" label. */
	int rc = n == 0 ? 0
			: cp_prom_from_counters_jsons((const char *const *)jsons, n, f,
						      s->n_dp > 1 ? "dataplane" : NULL, names, err,
						      sizeof(err));
	for (unsigned i = 0; i < n; i++)
		free(jsons[i]);
	return rc;
}

static void watch_policy(struct serve *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	for (;;) {
		ssize_t n = read(s->ino_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			if (e->len > 0 && strcmp(e->name, s->policy_base) == 0)
				changed = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (changed) {
		char err[512];
		if (load_policy(s, s->policy_path, err, sizeof(err)) == 0)
			say("policy %s reloaded (revision %u)", s->policy_path, s->revision);
		else
			say("policy %s refused, the running one is kept: %s", s->policy_path, err);
	}
}

static int setup(struct serve *s, char *err, size_t errlen)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	/* Watch the directory: editors replace the file rather than write it in place. */
	const char *slash = strrchr(s->policy_path, '/');
	snprintf(s->policy_dir, sizeof(s->policy_dir), "%.*s",
		 slash ? (int)(slash - s->policy_path) : 1, slash ? s->policy_path : ".");
	if (s->policy_dir[0] == '\0')
		snprintf(s->policy_dir, sizeof(s->policy_dir), "/");
	snprintf(s->policy_base, sizeof(s->policy_base), "%s", slash ? slash + 1 : s->policy_path);
	s->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->sig_fd < 0 || s->ino_fd < 0 ||
	    (s->ino_wd = inotify_add_watch(s->ino_fd, s->policy_dir,
					   IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)) < 0) {
		snprintf(err, errlen, "cannot watch %.200s: %s", s->policy_dir, strerror(errno));
		return -1;
	}
	if (s->state_dir != NULL) {
		if (mkdir(s->state_dir, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", s->state_dir, strerror(errno));
			return -1;
		}
		if (cp_state_load(&s->st, s->state_dir, err, errlen) != 0)
			return -1;
	}
	char sockdir[PATH_MAX];
	snprintf(sockdir, sizeof(sockdir), "%s", s->socket_path);
	char *sl = strrchr(sockdir, '/');
	if (sl != NULL && sl != sockdir) {
		*sl = '\0';
		mkdir(sockdir, 0755); /* /run/chokepoint by default */
	}
	s->cli_fd = cp_sock_listen(s->socket_path, err, errlen);
	if (s->cli_fd < 0)
		return -1;
	s->http_fd = -1;
	if (s->metrics != NULL && (s->http_fd = cp_http_listen(s->metrics, err, errlen)) < 0)
		return -1;
	return 0;
}

int cp_serve_main(const struct cp_serve_opts *o)
{
	static struct serve s;
	char err[512];
	s.policy_path = o->policy;
	s.state_dir = o->state_dir;
	s.socket_path = o->socket;
	s.metrics = o->metrics;
	s.cli_fd = s.ino_fd = s.sig_fd = s.http_fd = -1;
	for (unsigned i = 0; i < o->n_dataplanes && i < MAX_DP; i++) {
		s.dp[i].path = o->dataplanes[i];
		s.dp[i].fd = -1;
	}
	s.n_dp = o->n_dataplanes < MAX_DP ? o->n_dataplanes : MAX_DP;
	cp_state_init(&s.st);
	if (setup(&s, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokectl serve: %s\n", err);
		return 1;
	}
	if (load_policy(&s, s.policy_path, err, sizeof(err)) != 0 && s.revision == 0) {
		fprintf(stderr, "chokectl serve: %s\n", err);
		return 1;
	}
	say("serving %s on %s with %u grants, %u dataplane%s", s.policy_path, s.socket_path, s.st.n,
	    s.n_dp, s.n_dp == 1 ? "" : "s");
	for (bool run = true; run;) {
		struct pollfd p[4 + MAX_DP] = {{s.cli_fd, POLLIN, 0},
					       {s.ino_fd, POLLIN, 0},
					       {s.sig_fd, POLLIN, 0},
					       {s.http_fd, POLLIN, 0}};
		dp_reconnect(&s);
		/* An idle dataplane connection that becomes readable has closed: it restarted. */
		for (unsigned i = 0; i < s.n_dp; i++)
			p[4 + i] = (struct pollfd){s.dp[i].fd, POLLIN, 0};
		if (poll(p, 4 + s.n_dp, 200) < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; i < s.n_dp; i++)
			if (s.dp[i].fd >= 0 && p[4 + i].revents != 0)
				dp_away(&s.dp[i], "connection closed");
		if (p[0].revents)
			serve_cli(&s);
		if (p[1].revents)
			watch_policy(&s);
		if (s.http_fd >= 0 && p[3].revents)
			cp_http_accept_and_serve(s.http_fd, render_metrics, &s);
		if (p[2].revents) {
			struct signalfd_siginfo si;
			while (read(s.sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo != SIGHUP) {
					run = false;
				} else if (load_policy(&s, s.policy_path, err, sizeof(err)) == 0) {
					say("SIGHUP: policy %s reloaded (revision %u)",
					    s.policy_path, s.revision);
				} else {
					say("SIGHUP: policy %s refused, the running one is kept: "
					    "%s",
					    s.policy_path, err);
				}
			}
		}
	}
	say("stopping");
	for (unsigned i = 0; i < s.n_dp; i++)
		if (s.dp[i].fd >= 0)
			close(s.dp[i].fd);
	close(s.cli_fd);
	unlink(s.socket_path);
	cp_msg_buf_free(&s.policy);
	cp_state_free(&s.st);
	return 0;
}
