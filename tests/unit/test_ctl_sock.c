/* Unit tests of common/ctl_sock: a real unix socket in a temp directory (mode 0600, live and stale
 * files, peer credentials, connect timeout), and message framing over socketpairs: partial
 * headers that stall, oversize announcements refused unread, end of file at every stage, large
 * messages across many partial writes, send timeouts, EPIPE, and EINTR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_sock.h"

#define ERRLEN 256

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cp_ctl_sock.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char other[160];

	unlink(f->path);
	snprintf(other, sizeof(other), "%s/file", f->dir);
	unlink(other);
	rmdir(f->dir);
	free(f);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void assert_nonblock_cloexec(int fd)
{
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

/* Accept, waiting up to 2 s for the connection. */
static int accept_wait(int lfd)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	char err[ERRLEN];
	int fd;

	assert_int_equal(poll(&p, 1, 2000), 1);
	fd = cp_sock_accept(lfd, err, sizeof(err));
	if (fd < 0)
		fail_msg("accept: %s", err);
	return fd;
}

static void write_header(int fd, uint32_t magic, uint16_t version, uint16_t type, uint32_t len)
{
	uint8_t h[CP_MSG_HDR_LEN] = {(uint8_t)(magic >> 24),
				     (uint8_t)(magic >> 16),
				     (uint8_t)(magic >> 8),
				     (uint8_t)magic,
				     (uint8_t)(version >> 8),
				     (uint8_t)version,
				     (uint8_t)(type >> 8),
				     (uint8_t)type,
				     (uint8_t)(len >> 24),
				     (uint8_t)(len >> 16),
				     (uint8_t)(len >> 8),
				     (uint8_t)len,
				     0,
				     0,
				     0,
				     42};
	assert_int_equal(write(fd, h, sizeof(h)), sizeof(h));
}

/* ---- listen / connect / accept over a real socket file ---- */

static void test_listen_connect_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_req req = {.type = CP_MSG_GRANT,
			     .u.grant = {.pfx = {4, 32, {192, 0, 2, 9}}, .for_ns = 90}};
	struct cp_msg m;
	struct cp_req got;
	struct cp_reply rep;
	struct stat st;
	char err[ERRLEN] = "";
	mode_t old = umask(0); /* the socket must be 0600 whatever the umask */
	int lfd = cp_sock_listen(f->path, err, sizeof(err));
	int cfd, afd;
	uid_t uid;
	pid_t pid;

	umask(old);
	if (lfd < 0)
		fail_msg("listen: %s", err);
	assert_nonblock_cloexec(lfd);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	cfd = cp_sock_connect(f->path, 1000, err, sizeof(err));
	if (cfd < 0)
		fail_msg("connect: %s", err);
	assert_nonblock_cloexec(cfd);
	afd = accept_wait(lfd);
	assert_nonblock_cloexec(afd);
	assert_true(cp_sock_peer_allowed(afd));
	assert_int_equal(cp_sock_peer_cred(afd, &uid, &pid), 0);
	assert_int_equal(uid, geteuid());
	assert_int_equal(pid, getpid());

	/* Request one way, reply the other, seq echoed. */
	assert_int_equal(cp_req_encode(&b, 77, &req, err, sizeof(err)), 0);
	assert_int_equal(cp_msg_send_all(cfd, &b, 1000), 0);
	cp_msg_buf_free(&b);
	if (cp_msg_recv(afd, &b, 1000, err, sizeof(err)) != 0)
		fail_msg("recv: %s", err);
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_req_decode(&m, &got, err, sizeof(err)), 0);
	assert_int_equal(got.type, CP_MSG_GRANT);
	assert_true(got.u.grant.for_ns == 90);
	assert_int_equal(got.u.grant.pfx.a[3], 9);
	struct cp_reply ok = {
	    .type = CP_MSG_GRANT | CP_MSG_REPLY, .message = "ok", .message_len = 2};
	assert_int_equal(cp_reply_encode(&b, m.seq, &ok, err, sizeof(err)), 0);
	assert_int_equal(cp_msg_send_all(afd, &b, 1000), 0);
	assert_int_equal(cp_msg_recv(cfd, &b, 1000, err, sizeof(err)), 0);
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(m.seq, 77);
	assert_int_equal(cp_reply_decode(&m, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.type, CP_MSG_GRANT | CP_MSG_REPLY);

	/* Nothing more pending: accept says EAGAIN. */
	assert_int_equal(cp_sock_accept(lfd, err, sizeof(err)), -1);
	assert_int_equal(errno, EAGAIN);

	/* The client goes away: the server sees a clean end. */
	close(cfd);
	assert_int_equal(cp_msg_recv(afd, &b, 1000, err, sizeof(err)), 1);
	close(afd);
	close(lfd);
	cp_msg_buf_free(&b);
}

static void test_listen_live_stale_and_bad_paths(void **state)
{
	struct fixture *f = *state;
	char err[ERRLEN] = "";
	char file[160], longpath[200];
	struct stat st;
	int a, b, c, cfd;

	a = cp_sock_listen(f->path, err, sizeof(err));
	assert_true(a >= 0);
	/* A second listener on a live path is refused, and the first keeps working. */
	assert_int_equal(cp_sock_listen(f->path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another process is listening"));
	cfd = cp_sock_connect(f->path, 1000, err, sizeof(err));
	assert_true(cfd >= 0);
	close(cfd);
	/* Closed without unlinking: a stale file, which the next listener replaces. */
	close(a);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(cp_sock_connect(f->path, 200, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Connection refused"));
	b = cp_sock_listen(f->path, err, sizeof(err));
	if (b < 0)
		fail_msg("listen on a stale file: %s", err);
	cfd = cp_sock_connect(f->path, 1000, err, sizeof(err));
	assert_true(cfd >= 0);
	close(cfd);
	close(b);

	/* A path that is not a socket is never removed. */
	snprintf(file, sizeof(file), "%s/file", f->dir);
	c = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(c >= 0);
	close(c);
	assert_int_equal(cp_sock_listen(file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* Too long, empty, missing directory. */
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(cp_sock_listen(longpath, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(cp_sock_connect(longpath, 100, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(cp_sock_listen("", err, sizeof(err)), -1);
	snprintf(file, sizeof(file), "%s/no/such/dir.sock", f->dir);
	assert_int_equal(cp_sock_listen(file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bind"));
	assert_int_equal(cp_sock_connect(file, 100, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* A listener whose backlog is full makes connect wait, then time out within bounds. */
static void test_connect_timeout(void **state)
{
	struct fixture *f = *state;
	char err[ERRLEN] = "";
	int lfd = cp_sock_listen(f->path, err, sizeof(err));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fds[1024];
	int n = 0;
	long long t0, dt;

	assert_true(lfd >= 0);
	memcpy(sa.sun_path, f->path, strlen(f->path));
	for (; n < 1024; n++) {
		fds[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(fds[n] >= 0);
		if (connect(fds[n], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			assert_int_equal(errno, EAGAIN);
			close(fds[n]);
			break;
		}
	}
	assert_true(n < 1024);
	t0 = now_ms();
	assert_int_equal(cp_sock_connect(f->path, 150, err, sizeof(err)), -1);
	dt = now_ms() - t0;
	assert_non_null(strstr(err, "timed out"));
	print_message("backlog %d; connect gave up after %lld ms\n", n, dt);
	assert_true(dt >= 140 && dt < 2000);
	/* Room again: it connects. */
	int afd = accept_wait(lfd);
	int cfd = cp_sock_connect(f->path, 1000, err, sizeof(err));
	if (cfd < 0)
		fail_msg("connect: %s", err);
	close(cfd);
	close(afd);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	close(lfd);
}

/* A peer with another uid is not allowed (needs root to become another user). */
static void test_peer_not_allowed(void **state)
{
	struct fixture *f = *state;
	char err[ERRLEN] = "";
	int lfd, afd, fds[2];
	uid_t uid;
	pid_t child;
	int status;

	/* Not a socket: not allowed. */
	assert_int_equal(pipe(fds), 0);
	assert_false(cp_sock_peer_allowed(fds[0]));
	close(fds[0]);
	close(fds[1]);
	if (geteuid() != 0)
		skip();
	lfd = cp_sock_listen(f->path, err, sizeof(err));
	assert_true(lfd >= 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char e[ERRLEN];
		char c;
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		int fd = cp_sock_connect(f->path, 1000, e, sizeof(e));
		if (fd < 0)
			_exit(3);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		poll(&p, 1, 5000); /* until the parent closes */
		(void)!read(fd, &c, 1);
		_exit(0);
	}
	afd = accept_wait(lfd);
	assert_int_equal(cp_sock_peer_cred(afd, &uid, NULL), 0);
	assert_int_equal(uid, 65534);
	assert_false(cp_sock_peer_allowed(afd));
	close(afd);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(lfd);
}

/* ---- Framing over socketpairs ---- */

static void test_half_header_times_out(void **state)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	char err[ERRLEN] = "";
	int sv[2];
	long long t0, dt;
	(void)state;

	pair(sv);
	write_header(sv[1], CP_MSG_MAGIC, 1, CP_MSG_HELLO, 0); /* a whole one, read below... */
	assert_int_equal(cp_msg_recv(sv[0], &b, 200, err, sizeof(err)), 0);
	assert_int_equal(b.len, CP_MSG_HDR_LEN);
	/* ...then half of the next, and silence. */
	assert_int_equal(write(sv[1], "CPK1\0\1\0\1", 8), 8);
	t0 = now_ms();
	assert_int_equal(cp_msg_recv(sv[0], &b, 200, err, sizeof(err)), -1);
	dt = now_ms() - t0;
	print_message("timed out after %lld ms: %s\n", dt, err);
	assert_true(dt >= 195 && dt < 2000);
	assert_non_null(strstr(err, "timed out"));
	assert_non_null(strstr(err, "8 of 16 header"));
	assert_int_equal(b.len, 0);

	/* No byte at all: the same, with 0 of 16. */
	close(sv[0]);
	close(sv[1]);
	pair(sv);
	assert_int_equal(cp_msg_recv(sv[0], &b, 50, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0 of 16"));
	/* A payload that stops short also times out. */
	write_header(sv[1], CP_MSG_MAGIC, 1, CP_MSG_HELLO, 100);
	assert_int_equal(write(sv[1], "\0\0", 2), 2);
	assert_int_equal(cp_msg_recv(sv[0], &b, 100, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "2 of 100 payload"));
	close(sv[0]);
	close(sv[1]);
	cp_msg_buf_free(&b);
}

/* Headers refused before their payload: the bytes after them stay unread in the socket. */
struct refuse_case {
	uint32_t magic;
	uint16_t version, type;
	uint32_t length;
	const char *err;
};

static const struct refuse_case refuse_cases[] = {
    {CP_MSG_MAGIC, 1, CP_MSG_INSTALL_POLICY, 1u << 30, "payload length 1073741824 exceeds"},
    {CP_MSG_MAGIC, 1, CP_MSG_INSTALL_POLICY, CP_MSG_MAX_PAYLOAD + 1, "exceeds the maximum"},
    {CP_MSG_MAGIC, 1, CP_MSG_HELLO, UINT32_MAX, "exceeds the maximum"},
    {0x47455420, 1, CP_MSG_HELLO, 64, "bad magic"},
    {CP_MSG_MAGIC, 2, CP_MSG_HELLO, 64, "version 2"},
    {CP_MSG_MAGIC, 1, 0x4242, 64, "unknown message type 0x4242"},
};

static void test_bad_header_refused_unread(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refuse_cases) / sizeof(refuse_cases[0]); i++) {
		const struct refuse_case *c = &refuse_cases[i];
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		char err[ERRLEN] = "";
		uint8_t after[64], back[128];
		int sv[2];
		long long t0;

		print_message("refuse: %s\n", c->err);
		pair(sv);
		memset(after, 0xab, sizeof(after));
		write_header(sv[1], c->magic, c->version, c->type, c->length);
		assert_int_equal(write(sv[1], after, sizeof(after)), sizeof(after));
		t0 = now_ms();
		assert_int_equal(cp_msg_recv(sv[0], &b, 5000, err, sizeof(err)), -1);
		assert_true(now_ms() - t0 < 1000); /* refused at once, no waiting for the payload */
		if (strstr(err, c->err) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err, c->err);
		assert_true(b.cap < 4096); /* nothing allocated for the announced size */
		assert_int_equal(b.len, 0);
		assert_int_equal(recv(sv[0], back, sizeof(back), MSG_DONTWAIT), sizeof(after));
		close(sv[0]);
		close(sv[1]);
		cp_msg_buf_free(&b);
	}
}

static void test_end_of_file(void **state)
{
	static const struct {
		size_t header_bytes, payload_bytes; /* written before the close (payload of 10) */
		int rc;
		const char *err;
	} cases[] = {
	    {0, 0, 1, "connection closed"},
	    {1, 0, -1, "closed after 1 of 16 header"},
	    {15, 0, -1, "closed after 15 of 16 header"},
	    {16, 0, -1, "closed after 0 of 10 payload"},
	    {16, 9, -1, "closed after 9 of 10 payload"},
	    {16, 10, 0, NULL},
	};
	uint8_t msg[CP_MSG_HDR_LEN + 10] = {0x43, 0x50, 0x4b, 0x31, 0, 1, 0, 1, 0, 0, 0, 10};
	(void)state;

	/* A payload of one unknown TLV with 4 bytes. */
	memcpy(msg + CP_MSG_HDR_LEN, "\x77\x77\0\0\0\4abcd", 10);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_msg_buf b = CP_MSG_BUF_INIT;
		char err[ERRLEN] = "";
		size_t n = cases[i].header_bytes + cases[i].payload_bytes;
		int sv[2];

		pair(sv);
		if (n > 0)
			assert_int_equal(write(sv[1], msg, n), n);
		close(sv[1]);
		assert_int_equal(cp_msg_recv(sv[0], &b, 1000, err, sizeof(err)), cases[i].rc);
		if (cases[i].err && strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, cases[i].err);
		if (cases[i].rc == 0) {
			struct cp_msg m;
			assert_int_equal(b.len, sizeof(msg));
			assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
			assert_int_equal(cp_req_empty_decode(&m, err, sizeof(err)), 0);
		}
		close(sv[0]);
		cp_msg_buf_free(&b);
	}
}

/* Messages back to back are read one at a time, without reading into the next. */
static void test_back_to_back(void **state)
{
	struct cp_msg_buf a = CP_MSG_BUF_INIT, in = CP_MSG_BUF_INIT;
	char err[ERRLEN] = "";
	struct cp_msg m;
	int sv[2];
	(void)state;

	pair(sv);
	for (uint32_t seq = 1; seq <= 3; seq++) {
		assert_int_equal(cp_msg_begin(&a, CP_MSG_UPLINK, seq), 0);
		assert_int_equal(cp_msg_put_str(&a, CP_TAG_NAME, seq == 2 ? "auto" : "fiber"), 0);
		assert_int_equal(cp_msg_end(&a), 0);
		assert_int_equal(cp_msg_send_all(sv[1], &a, 1000), 0);
	}
	for (uint32_t seq = 1; seq <= 3; seq++) {
		struct cp_req_uplink u;
		assert_int_equal(cp_msg_recv(sv[0], &in, 1000, err, sizeof(err)), 0);
		assert_int_equal(cp_msg_view(&in, &m, err, sizeof(err)), 0);
		assert_int_equal(m.seq, seq);
		assert_int_equal(cp_req_uplink_decode(&m, &u, err, sizeof(err)), 0);
		assert_string_equal(u.name, seq == 2 ? "auto" : "fiber");
	}
	close(sv[0]);
	close(sv[1]);
	cp_msg_buf_free(&a);
	cp_msg_buf_free(&in);
}

/* An 8 MiB message crosses a socket of a few hundred KiB: many partial writes and reads. */
static void test_large_message(void **state)
{
	const size_t n = 8u << 20;
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	struct cp_req r;
	struct cp_msg m;
	char err[ERRLEN] = "";
	uint8_t *text = malloc(n);
	int sv[2], status;
	pid_t child;
	(void)state;

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		text[i] = (uint8_t)('a' + i % 26);
	pair(sv);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct cp_req q = {.type = CP_MSG_INSTALL_POLICY,
				   .u.install = {.text = text, .text_len = (uint32_t)n}};
		close(sv[0]);
		if (cp_req_encode(&b, 5, &q, err, sizeof(err)) != 0)
			_exit(2);
		_exit(cp_msg_send_all(sv[1], &b, 10000) == 0 ? 0 : 3);
	}
	close(sv[1]);
	if (cp_msg_recv(sv[0], &b, 10000, err, sizeof(err)) != 0)
		fail_msg("recv: %s", err);
	assert_int_equal(cp_msg_view(&b, &m, err, sizeof(err)), 0);
	assert_int_equal(cp_req_decode(&m, &r, err, sizeof(err)), 0);
	assert_int_equal(r.u.install.text_len, n);
	assert_memory_equal(r.u.install.text, text, n);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(sv[0]);
	free(text);
	cp_msg_buf_free(&b);
}

static void test_send_timeout_and_epipe(void **state)
{
	const size_t n = 8u << 20;
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	char *text = malloc(n);
	int sv[2];
	long long t0, dt;
	(void)state;

	assert_non_null(text);
	memset(text, 'x', n);
	assert_int_equal(cp_msg_begin(&b, CP_MSG_INSTALL_POLICY, 1), 0);
	assert_int_equal(cp_msg_put_bytes(&b, CP_TAG_POLICY_TEXT, text, n), 0);
	assert_int_equal(cp_msg_end(&b), 0);

	/* Nobody reads: the send gives up at its deadline. */
	pair(sv);
	t0 = now_ms();
	assert_int_equal(cp_msg_send_all(sv[1], &b, 150), -1);
	dt = now_ms() - t0;
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(dt >= 145 && dt < 2000);
	close(sv[0]);
	close(sv[1]);

	/* The reader is gone: EPIPE, and no SIGPIPE kills us. */
	pair(sv);
	close(sv[0]);
	assert_int_equal(cp_msg_send_all(sv[1], &b, 1000), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[1]);
	free(text);
	cp_msg_buf_free(&b);
}

static void test_send_refuses_unfinished(void **state)
{
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	int sv[2];
	char buf[64];
	(void)state;

	pair(sv);
	assert_int_equal(cp_msg_send_all(sv[1], &b, 100), -1); /* empty */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cp_msg_begin(&b, CP_MSG_UPLINK, 1), 0);
	assert_int_equal(cp_msg_put_str(&b, CP_TAG_NAME, "x"), 0);
	assert_int_equal(cp_msg_send_all(sv[1], &b, 100), -1); /* not ended */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cp_msg_put_str(&b, CP_TAG_NAME, ""), -1);
	assert_int_equal(cp_msg_end(&b), -1);
	assert_int_equal(cp_msg_send_all(sv[1], &b, 100), -1); /* failed */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), -1); /* nothing went out */
	close(sv[0]);
	close(sv[1]);
	cp_msg_buf_free(&b);
}

/* Signals interrupting the waits neither cut a timeout short nor lose data. */
static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void test_eintr(void **state)
{
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	struct itimerval it = {{0, 5000}, {0, 5000}}, off = {{0, 0}, {0, 0}};
	struct cp_msg_buf b = CP_MSG_BUF_INIT;
	char err[ERRLEN] = "";
	int sv[2], status;
	long long t0, dt;
	pid_t child;
	(void)state;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: poll and read return EINTR */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);

	pair(sv);
	t0 = now_ms();
	assert_int_equal(cp_msg_recv(sv[0], &b, 200, err, sizeof(err)), -1);
	dt = now_ms() - t0;
	assert_non_null(strstr(err, "timed out"));
	assert_true(dt >= 195 && dt < 2000);

	/* A large message sent by a child that starts late arrives whole. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct cp_msg_buf c = CP_MSG_BUF_INIT;
		static char big[1u << 20];
		setitimer(ITIMER_REAL, &off, NULL);
		memset(big, 'j', sizeof(big));
		usleep(50000);
		cp_msg_begin(&c, CP_MSG_STATUS | CP_MSG_REPLY, 9);
		cp_msg_put_bytes(&c, CP_TAG_JSON, big, sizeof(big));
		if (cp_msg_end(&c) != 0)
			_exit(2);
		_exit(cp_msg_send_all(sv[1], &c, 5000) == 0 ? 0 : 3);
	}
	if (cp_msg_recv(sv[0], &b, 5000, err, sizeof(err)) != 0)
		fail_msg("recv: %s", err);
	assert_int_equal(b.len, CP_MSG_HDR_LEN + CP_MSG_TLV_HDR_LEN + (1u << 20));
	while (waitpid(child, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	print_message("%d signals during the waits\n", (int)alarms);
	assert_true(alarms > 10);
	close(sv[0]);
	close(sv[1]);
	cp_msg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_listen_connect_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listen_live_stale_and_bad_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_not_allowed, setup, teardown),
	    cmocka_unit_test(test_half_header_times_out),
	    cmocka_unit_test(test_bad_header_refused_unread),
	    cmocka_unit_test(test_end_of_file),
	    cmocka_unit_test(test_back_to_back),
	    cmocka_unit_test(test_large_message),
	    cmocka_unit_test(test_send_timeout_and_epipe),
	    cmocka_unit_test(test_send_refuses_unfinished),
	    cmocka_unit_test(test_eintr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
