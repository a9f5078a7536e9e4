/* Unix stream sockets for the control protocol: listen (stale-file cleanup, mode 0600), accept,
 * connect with a deadline, the peer's credentials, and whole-message send and receive over
 * non-blocking descriptors with poll() deadlines. */
#include "diag.h"
#include "ctl_sock.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_BACKLOG	 64
#define CONNECT_RETRY_MS 10 /* pause between tries while the listener's backlog is full */

/* ---- Deadlines ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* An absolute deadline in ns, or -1 for none. */
static int64_t deadline_of(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return now_ns() + (int64_t)timeout_ms * 1000000;
}

/* Milliseconds left (rounded up), 0 when passed, -1 for no deadline: a poll() timeout. */
static int ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Wait until fd is ready for events or the deadline passes. 1 ready (or in error: the next call
 * tells), 0 deadline passed (errno ETIMEDOUT), -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int ms = ms_left(deadline);
		int rc;

		if (ms == 0) {
			errno = ETIMEDOUT;
			return 0;
		}
		rc = poll(&pfd, 1, ms);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
		/* rc == 0 or EINTR: loop, ms_left tells whether time is up */
	}
}

/* ---- Addresses, listen, accept, connect ---- */

static int fill_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0) {
		cp_errf(err, errlen, "empty socket path");
		return -1;
	}
	if (n >= sizeof(sa->sun_path)) {
		cp_errf(err, errlen, "socket path too long (%zu bytes, at most %zu): %s", n,
			sizeof(sa->sun_path) - 1, path);
		return -1;
	}
	memcpy(sa->sun_path, path, n);
	return 0;
}

/* Remove a socket file nobody listens on; refuse a live one or a file that is not a socket. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int probe, rc, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		cp_errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		cp_errf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		cp_errf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(probe);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		cp_errf(err, errlen, "another process is listening on %s", path);
		return -1;
	}
	if (e == ENOENT)
		return 0;
	if (e != ECONNREFUSED) {
		cp_errf(err, errlen, "%s: cannot tell whether it is in use: %s", path, strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		cp_errf(err, errlen, "removing the stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* bind() with umask 0177 so that the file is never reachable by others, then chmod 0600. */
static int bind_private(int fd, const char *path, const struct sockaddr_un *sa, char *err,
			size_t errlen)
{
	mode_t old = umask(0177);
	int rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;

	umask(old);
	if (rc != 0) {
		cp_errf(err, errlen, "bind %s: %s", path, strerror(e));
		return -1;
	}
	if (chmod(path, 0600) != 0) {
		cp_errf(err, errlen, "chmod %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int cp_sock_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	if (fill_addr(path, &sa, err, errlen) != 0 || clear_stale(path, &sa, err, errlen) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cp_errf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind_private(fd, path, &sa, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		cp_errf(err, errlen, "listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

int cp_sock_accept(int listen_fd, char *err, size_t errlen)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int e = errno;

		if (fd >= 0)
			return fd;
		if (e == EINTR)
			continue;
		cp_errf(err, errlen, "accept: %s", strerror(e));
		errno = e;
		return -1;
	}
}

/* Finish a connect() in progress: wait for writability, then read its outcome. 0 or -1 (errno). */
static int connect_finish(int fd, int64_t deadline)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	int rc = wait_fd(fd, POLLOUT, deadline);

	if (rc <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

/* connect() until it succeeds, fails, or the deadline passes. 0 or -1 (errno). */
static int connect_until(int fd, const struct sockaddr_un *sa, int64_t deadline)
{
	for (;;) {
		int ms;

		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EISCONN)
			return 0;
		if (errno == EINPROGRESS || errno == EALREADY || errno == EINTR)
			return connect_finish(fd, deadline);
		if (errno != EAGAIN)
			return -1;
		/* The listener's backlog is full: try again shortly. */
		ms = ms_left(deadline);
		if (ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(NULL, 0, ms < 0 || ms > CONNECT_RETRY_MS ? CONNECT_RETRY_MS : ms);
	}
}

int cp_sock_connect(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int64_t deadline = deadline_of(timeout_ms);
	int fd, e;

	if (fill_addr(path, &sa, err, errlen) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cp_errf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect_until(fd, &sa, deadline) == 0)
		return fd;
	e = errno;
	if (e == ETIMEDOUT)
		cp_errf(err, errlen, "connect %s: timed out after %d ms", path, timeout_ms);
	else
		cp_errf(err, errlen, "connect %s: %s", path, strerror(e));
	close(fd);
	errno = e;
	return -1;
}

/* ---- Peer credentials ---- */

int cp_sock_peer_cred(int fd, uid_t *uid, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return -1;
	if (uid != NULL)
		*uid = cred.uid;
	if (pid != NULL)
		*pid = cred.pid;
	return 0;
}

bool cp_sock_peer_allowed(int fd)
{
	uid_t uid;

	if (cp_sock_peer_cred(fd, &uid, NULL) != 0)
		return false;
	return uid == 0 || uid == geteuid();
}

/* ---- Moving bytes ---- */

static ssize_t write_some(int fd, const uint8_t *p, size_t n)
{
	ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

	if (w < 0 && errno == ENOTSOCK)
		w = write(fd, p, n);
	return w;
}

static int write_until(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write_some(fd, p + done, n - done);

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			return -1;
	}
	return 0;
}

int cp_sock_write_all(int fd, const void *p, size_t n, int timeout_ms)
{
	return write_until(fd, p, n, deadline_of(timeout_ms));
}

int cp_msg_send_all(int fd, const struct cp_msg_buf *b, int timeout_ms)
{
	struct cp_msg_hdr h;

	if (b->failed || b->data == NULL || b->len < CP_MSG_HDR_LEN ||
	    cp_msg_hdr_parse(b->data, &h, NULL, 0) != 0 || h.length != b->len - CP_MSG_HDR_LEN) {
		errno = EINVAL;
		return -1;
	}
	return cp_sock_write_all(fd, b->data, b->len, timeout_ms);
}

/* Read exactly n bytes. 0 done; 1 end of file first (*got tells how many came); -1 error (errno,
 * ETIMEDOUT when the deadline passed). */
static int read_until(int fd, uint8_t *p, size_t n, int64_t deadline, size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = read(fd, p + *got, n - *got);

		if (r > 0) {
			*got += (size_t)r;
			continue;
		}
		if (r == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			return -1;
	}
	return 0;
}

static void read_error(int rc, const char *what, size_t got, size_t want, int timeout_ms, char *err,
		       size_t errlen)
{
	if (rc == 1)
		cp_errf(err, errlen, "connection closed after %zu of %zu %s bytes", got, want,
			what);
	else if (errno == ETIMEDOUT)
		cp_errf(err, errlen, "timed out after %d ms with %zu of %zu %s bytes", timeout_ms,
			got, want, what);
	else
		cp_errf(err, errlen, "read: %s", strerror(errno));
}

int cp_msg_recv(int fd, struct cp_msg_buf *into, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct cp_msg_hdr h;
	size_t got;
	int rc;

	into->len = 0;
	into->failed = false;
	if (cp_msg_buf_reserve(into, CP_MSG_HDR_LEN) != 0) {
		cp_errf(err, errlen, "out of memory");
		return -1;
	}
	rc = read_until(fd, into->data, CP_MSG_HDR_LEN, deadline, &got);
	if (rc == 1 && got == 0) {
		cp_errf(err, errlen, "connection closed");
		return 1;
	}
	if (rc != 0) {
		read_error(rc, "header", got, CP_MSG_HDR_LEN, timeout_ms, err, errlen);
		return -1;
	}
	if (cp_msg_hdr_parse(into->data, &h, err, errlen) != 0)
		return -1;
	if (cp_msg_buf_reserve(into, CP_MSG_HDR_LEN + (size_t)h.length) != 0) {
		cp_errf(err, errlen, "out of memory for a %u-byte message", h.length);
		return -1;
	}
	rc = read_until(fd, into->data + CP_MSG_HDR_LEN, h.length, deadline, &got);
	if (rc != 0) {
		read_error(rc, "payload", got, h.length, timeout_ms, err, errlen);
		return -1;
	}
	into->len = CP_MSG_HDR_LEN + (size_t)h.length;
	return 0;
}
