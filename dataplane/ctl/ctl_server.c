/* The dataplane's control socket (see ctl_server.h). */
#include "ctl_server.h"

#include <errno.h>
#include <hs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "view_build.h"
#include "counters_out.h"
#include "ctl_sock.h"
#include "json_out.h"
#include "trace_out.h"

#define STALL_NS	 (5ull * 1000000000ull) /* a message not whole after this is dropped */
#define REPLY_TIMEOUT_MS 1000

int cp_ctl_server_open(struct cp_ctl_server *s, const char *path, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < CP_CTL_SERVER_CONNS; i++)
		s->conn[i].fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	/* The default lives in /run/chokepoint/: make that directory when it is missing. */
	char dir[sizeof(s->path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	s->listen_fd = cp_sock_listen(path, err, errlen);
	return s->listen_fd < 0 ? -1 : 0;
}

static void conn_close(struct cp_ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	cp_msg_buf_free(&c->in);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void cp_ctl_server_close(struct cp_ctl_server *s)
{
	for (unsigned i = 0; i < CP_CTL_SERVER_CONNS; i++)
		conn_close(&s->conn[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	s->listen_fd = -1;
}

static void reply_error(struct cp_msg_buf *out, uint32_t seq, const char *msg)
{
	struct cp_reply r = {
	    .type = CP_MSG_ERROR, .message = msg, .message_len = (uint32_t)strlen(msg)};
	char err[160];
	if (cp_reply_encode(out, seq, &r, err, sizeof(err)) != 0)
		out->len = 0;
}

static void reply_ok(struct cp_msg_buf *out, const struct cp_msg *m, const char *json,
		     size_t json_len, const uint32_t *generation)
{
	struct cp_reply r = {.type = (uint16_t)(m->type | CP_MSG_REPLY)};
	char err[160];
	if (json != NULL) {
		r.json = json;
		r.json_len = (uint32_t)json_len;
	}
	if (generation != NULL) {
		r.generation = *generation;
		r.has_generation = true;
	}
	if (cp_reply_encode(out, m->seq, &r, err, sizeof(err)) != 0)
		reply_error(out, m->seq, err);
}

/* The Hyperscan databases of policy p from the request: every field with entries has one, of the
 * right mode (block for names, streaming for payload), that deserializes; no other field has one.
 * The match ids are numbered as cp_hs_compile numbers them. */
static int load_hs_dbs(const struct cp_req_install_policy *r, const struct cp_policy_src *p,
		       struct cp_hs_dbs *dbs, char *err, size_t errlen)
{
	if (cp_hs_ids(p, dbs) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned f = 0; f < CP_DB_MAX; f++) {
		const char *want = f == CP_FIELD_PAYLOAD ? "Mode: STREAM" : "Mode: BLOCK";
		const char *field = cp_field_name(f < CP_DB_SNI_RE ? f : f - CP_DB_SNI_RE);
		const char *kind = f < CP_DB_SNI_RE ? "" : " regex";
		char *info = NULL;
		bool ok;
		if ((r->hs_db[f].data != NULL) != (dbs->n_ids[f] > 0)) {
			snprintf(err, errlen,
				 "policy refused: %s%s patterns and database do not agree", field,
				 kind);
			goto fail;
		}
		if (r->hs_db[f].data == NULL)
			continue;
		if (hs_deserialize_database((const char *)r->hs_db[f].data, r->hs_db[f].len,
					    &dbs->db[f]) != HS_SUCCESS) {
			dbs->db[f] = NULL;
			snprintf(err, errlen,
				 "policy refused: the %s%s database does not deserialize", field,
				 kind);
			goto fail;
		}
		ok = hs_database_info(dbs->db[f], &info) == HS_SUCCESS && info != NULL &&
		     strstr(info, want) != NULL;
		free(info);
		if (!ok) {
			snprintf(err, errlen,
				 "policy refused: the %s%s database is of the wrong mode", field,
				 kind);
			goto fail;
		}
	}
	return 0;
fail:
	cp_hs_free(dbs);
	return -1;
}

static int do_install(struct cp_ctl *ctl, const struct cp_req_install_policy *r, char *err,
		      size_t errlen, uint32_t *gen)
{
	struct cp_diag d;
	const char *name = r->path[0] != '\0' ? r->path : "pushed-policy";
	struct cp_hs_dbs dbs;
	cp_diag_init(&d);
	struct cp_policy_src *p = cp_policy_read_text(name, (const char *)r->text, r->text_len, &d);
	if (p == NULL) {
		/* The first problem says enough on one line; the control plane ran check before. */
		snprintf(err, errlen, "policy refused: %s",
			 d.n > 0 ? d.lines[0] : "cannot be loaded");
		cp_diag_free(&d);
		return -1;
	}
	cp_diag_free(&d);
	if (load_hs_dbs(r, p, &dbs, err, errlen) != 0 ||
	    cp_ctl_set_policy_dbs(ctl, p, &dbs, err, errlen) != 0) {
		cp_policy_free(p);
		return -1;
	}
	*gen = ctl->pol->gen;
	return 0;
}

/* The whole grant list from a control plane, its times on its own clock (now_s). Replaces ours. */
static int do_grants_set(struct cp_ctl *ctl, const struct cp_req_grants_set *r, uint64_t now,
			 char *err, size_t errlen)
{
	struct cp_grants fresh;
	uint64_t now_s = r->has_now ? r->now_ns : now;
	cp_grants_init(&fresh);
	for (uint32_t i = 0; i < r->n; i++) {
		const struct cp_grant_entry *e = &r->e[i];
		if (e->end_ns <= now_s)
			continue; /* ended: nothing to carry over */
		uint64_t since_renew = now_s > e->last_ns ? now_s - e->last_ns : 0;
		uint64_t start = now > since_renew ? now - since_renew : 0;
		if (cp_grants_give(&fresh, &e->pfx, start, (e->end_ns - now_s) + since_renew,
				   e->renew_ns) != 0) {
			cp_grants_free(&fresh);
			snprintf(err, errlen, "grant table full (%u grants)", CP_MAX_GRANTS);
			return -1;
		}
	}
	fresh.epoch = ctl->grants.epoch + 1;
	struct cp_grants old = ctl->grants;
	ctl->grants = fresh;
	if (cp_ctl_shutoff(ctl, ctl->shutoff, err, errlen) != 0) { /* republish as it stands */
		ctl->grants = old;
		cp_grants_free(&fresh);
		return -1;
	}
	cp_grants_free(&old);
	return 0;
}

static char *status_json(struct cp_ctl *ctl, uint64_t now, size_t *len)
{
	struct cp_dp *dp = ctl->dp;
	double swap_us =
	    dp->tsc_hz ? (double)ctl->last_swap_cycles * 1e6 / (double)dp->tsc_hz : 0.0;
	json_t *grants = json_array();
	for (unsigned i = 0; i < ctl->grants.n; i++) {
		const struct cp_grant *g = &ctl->grants.g[i];
		uint64_t d = cp_grant_deadline(g);
		char b[CP_PREFIX_STRLEN];
		if (d <= now)
			continue;
		json_array_append_new(grants, cp_json_grant(cp_prefix_format(&g->pfx, b, sizeof(b)),
							    (d - now) / 1000000000u));
	}
	json_t *o = json_pack(
	    "{s:I,s:o,s:b,s:o,s:o,s:I,s:o,s:b,s:o}", "policy_generation",
	    (json_int_t)(ctl->pol ? ctl->pol->gen : 0), "policy",
	    cp_json_text(ctl->pol ? ctl->pol->src->file : NULL), "shutoff", ctl->shutoff, "uplink",
	    cp_json_text(ctl->uplink != CP_NO_PORT ? dp->ports[ctl->uplink].name : NULL),
	    "uplink_forced",
	    cp_json_text(ctl->forced_uplink >= 0 ? dp->ports[ctl->forced_uplink].name : NULL),
	    "workers", (json_int_t)dp->n_workers, "swap_us", cp_json_tenths(swap_us), "trace_open",
	    dp->trace.on != 0, "grants", grants);
	return cp_json_dump(o, len);
}

static char *counters_json(struct cp_ctl *ctl, uint64_t now, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	cp_counters_json(f, ctl->dp, ctl, now);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void cp_ctl_server_handle(struct cp_ctl *ctl, const struct cp_msg *m, uint64_t now,
			  struct cp_msg_buf *out)
{
	struct cp_req r;
	char err[512] = "";
	int rc = 0;
	uint32_t gen = 0;
	if (cp_req_decode(m, &r, err, sizeof(err)) != 0) {
		reply_error(out, m->seq, err);
		return;
	}
	switch (m->type) {
	case CP_MSG_INSTALL_POLICY:
		rc = do_install(ctl, &r.u.install, err, sizeof(err), &gen);
		if (rc == 0)
			reply_ok(out, m, NULL, 0, &gen);
		break;
	case CP_MSG_GRANT:
		rc = cp_ctl_grant(ctl, &r.u.grant.pfx, now, r.u.grant.for_ns,
				  r.u.grant.has_renew ? r.u.grant.renew_ns : 0, err, sizeof(err));
		break;
	case CP_MSG_RENEW:
		rc = cp_ctl_renew(ctl, &r.u.prefix.pfx, now, err, sizeof(err));
		break;
	case CP_MSG_REVOKE:
		rc = cp_ctl_revoke(ctl, &r.u.prefix.pfx, now, err, sizeof(err));
		break;
	case CP_MSG_SHUTOFF:
	case CP_MSG_RESTORE:
		rc = cp_ctl_shutoff(ctl, m->type == CP_MSG_SHUTOFF, err, sizeof(err));
		break;
	case CP_MSG_UPLINK:
		rc = cp_ctl_force_uplink(ctl, r.u.uplink.name, err, sizeof(err));
		break;
	case CP_MSG_GRANTS_SET:
		rc = do_grants_set(ctl, &r.u.grants_set, now, err, sizeof(err));
		break;
	case CP_MSG_HELLO:
	case CP_MSG_STATUS:
	case CP_MSG_COUNTERS: {
		size_t len = 0;
		char *json = m->type == CP_MSG_COUNTERS ? counters_json(ctl, now, &len)
							: status_json(ctl, now, &len);
		if (json == NULL) {
			rc = -1;
			snprintf(err, sizeof(err), "out of memory");
			break;
		}
		uint32_t g = ctl->pol ? ctl->pol->gen : 0;
		reply_ok(out, m, json, len, &g);
		free(json);
		break;
	}
	case CP_MSG_TRACE: {
		struct timespec ts;
		size_t len = 0;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t wall = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		/* The clock now, not the loop's: the records may be younger than its turn. */
		uint64_t t = ctl->dp->tsc_hz != 0 ? cp_clock_ns(ctl->dp) : now;
		char *json = cp_trace_poll(ctl, &r.u.trace, t, wall, &len, err, sizeof(err));
		if (json == NULL) {
			rc = -1;
			if (err[0] == '\0')
				snprintf(err, sizeof(err), "out of memory");
			break;
		}
		reply_ok(out, m, json, len, NULL);
		free(json);
		break;
	}
	default:
		rc = -1;
		snprintf(err, sizeof(err), "unsupported request %s", cp_msg_type_name(m->type));
	}
	cp_req_free(&r);
	if (rc != 0)
		reply_error(out, m->seq, err);
	else if (out->len == 0)
		reply_ok(out, m, NULL, 0, NULL);
}

static void accept_new(struct cp_ctl_server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct cp_ctl_conn *c = NULL;
		for (unsigned i = 0; i < CP_CTL_SERVER_CONNS && c == NULL; i++)
			if (s->conn[i].fd < 0)
				c = &s->conn[i];
		if (c == NULL || !cp_sock_peer_allowed(fd)) {
			s->refused++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->want = CP_MSG_HDR_LEN;
		c->in.len = 0;
		c->since_ns = 0;
	}
}

/* Read what is there; handle the message once whole. Returns -1 when the connection is done. */
static int serve_conn(struct cp_ctl_server *s, struct cp_ctl_conn *c, struct cp_ctl *ctl,
		      uint64_t now)
{
	char err[256];
	for (;;) {
		if (cp_msg_buf_reserve(&c->in, c->want) != 0)
			return -1;
		ssize_t n = read(c->fd, c->in.data + c->in.len, c->want - c->in.len);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (c->in.len == 0)
			c->since_ns = now;
		c->in.len += (size_t)n;
		if (c->in.len < c->want)
			continue;
		if (c->want == CP_MSG_HDR_LEN) {
			struct cp_msg_hdr h;
			if (cp_msg_hdr_parse(c->in.data, &h, err, sizeof(err)) != 0) {
				struct cp_msg_buf out = CP_MSG_BUF_INIT;
				reply_error(&out, h.seq, err);
				cp_msg_send_all(c->fd, &out, REPLY_TIMEOUT_MS);
				cp_msg_buf_free(&out);
				return -1; /* framing is lost: close */
			}
			c->want = CP_MSG_HDR_LEN + (size_t)h.length;
			if (c->in.len < c->want)
				continue;
		}
		struct cp_msg m;
		struct cp_msg_buf out = CP_MSG_BUF_INIT;
		if (cp_msg_parse(c->in.data, c->in.len, &m, err, sizeof(err)) != 0) {
			struct cp_msg_hdr h;
			char ignored[8];
			cp_msg_hdr_parse(c->in.data, &h, ignored,
					 sizeof(ignored)); /* seq, to echo */
			reply_error(&out, h.seq, err);
		} else {
			cp_ctl_server_handle(ctl, &m, now, &out);
		}
		s->requests++;
		int rc = cp_msg_send_all(c->fd, &out, REPLY_TIMEOUT_MS);
		cp_msg_buf_free(&out);
		if (rc != 0)
			return -1;
		c->in.len = 0;
		c->want = CP_MSG_HDR_LEN;
	}
}

void cp_ctl_server_poll(struct cp_ctl_server *s, struct cp_ctl *ctl, int timeout_ms, uint64_t now)
{
	struct pollfd p[CP_CTL_SERVER_CONNS + 1];
	unsigned idx[CP_CTL_SERVER_CONNS + 1], n = 0;
	cp_trace_tick(ctl->dp, now); /* a trace nobody asks for closes */
	p[n].fd = s->listen_fd;
	p[n].events = POLLIN;
	idx[n++] = UINT32_MAX;
	for (unsigned i = 0; i < CP_CTL_SERVER_CONNS; i++) {
		if (s->conn[i].fd < 0)
			continue;
		if (s->conn[i].in.len > 0 && now - s->conn[i].since_ns > STALL_NS) {
			conn_close(&s->conn[i]); /* a peer that stalls mid-message */
			continue;
		}
		p[n].fd = s->conn[i].fd;
		p[n].events = POLLIN;
		idx[n++] = i;
	}
	if (poll(p, n, timeout_ms) <= 0)
		return;
	for (unsigned k = 0; k < n; k++) {
		if (p[k].revents == 0)
			continue;
		if (idx[k] == UINT32_MAX)
			accept_new(s);
		else if (serve_conn(s, &s->conn[idx[k]], ctl, now) != 0)
			conn_close(&s->conn[idx[k]]);
	}
}
