/* The metrics HTTP server (see http_metrics.h): listening, reading one request head within a
 * deadline, classifying it, and sending one response before closing. */
#include "http_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "prom.h"

#define LISTEN_BACKLOG 16
#define DRAIN_MAX      (256 * 1024) /* unread request bytes dropped before closing, at most */

static const char index_body[] =
    "<html><head><title>chokepoint</title></head><body><a href=\"/metrics\">Metrics</a>"
    "</body></html>\n";

/* ---- listening ---- */

static void set_err(char *err, size_t errlen, const char *what, const char *addr)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "metrics address \"%.100s\": %s", addr, what);
}

/* "0".."65535", digits only. */
static int parse_port(const char *s)
{
	long v = 0;
	size_t len = strlen(s);
	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? (int)v : -1;
}

/* Fills *ss from "host:port", "[v6]:port" or ":port" (*any set for the last). Returns 0 or -1. */
static int parse_listen_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen,
			     bool *any)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - addr) : 0;
	int port = colon != NULL ? parse_port(colon + 1) : -1;
	if (port < 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	*any = hlen == 0;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (*any || (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']')) {
		host[hlen > 0 ? hlen - 1 : 0] = '\0';
		if (!*any && inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*in6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -1;
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	*sslen = sizeof(*in4);
	return 0;
}

/* A non-blocking, close-on-exec socket of the address's family, with SO_REUSEADDR; the any
 * address falls back to IPv4 when the host has no IPv6. */
static int open_socket(struct sockaddr_storage *ss, socklen_t *sslen, bool any)
{
	int one = 1, zero = 0;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && any && errno == EAFNOSUPPORT) {
		uint16_t port = ((struct sockaddr_in6 *)ss)->sin6_port;
		struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
		memset(ss, 0, sizeof(*ss));
		in4->sin_family = AF_INET;
		in4->sin_port = port;
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
		*sslen = sizeof(*in4);
		return open_socket(ss, sslen, false);
	}
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (any && ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int cp_http_listen(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool any;
	if (addr == NULL || parse_listen_addr(addr, &ss, &sslen, &any) < 0) {
		set_err(err, errlen, "use HOST:PORT, [IPV6]:PORT or :PORT", addr ? addr : "");
		return -1;
	}
	int fd = open_socket(&ss, &sslen, any);
	if (fd < 0) {
		set_err(err, errlen, strerror(errno), addr);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		set_err(err, errlen, strerror(errno), addr);
		close(fd);
		return -1;
	}
	return fd;
}

int cp_http_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* ---- requests ---- */

size_t cp_http_head_length(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Length of the run of token characters at s[0..len). */
static size_t token_len(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && is_tchar((unsigned char)s[n]))
		n++;
	return n;
}

/* The line at buf[0..len) without its LF or CRLF; returns its length, *next the next line. */
static size_t line_len(const char *buf, size_t len, size_t *next)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - buf) : len;
	*next = nl != NULL ? n + 1 : len;
	return n > 0 && buf[n - 1] == '\r' ? n - 1 : n;
}

/* "name: value", value with no control character but tab. */
static bool header_ok(const char *s, size_t len)
{
	size_t name = token_len(s, len);
	if (name == 0 || name == len || s[name] != ':')
		return false;
	for (size_t i = name + 1; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return true;
}

/* Every line after the request line is a well-formed header, up to the blank line. */
static bool headers_ok(const char *buf, size_t len)
{
	while (len > 0) {
		size_t next, n = line_len(buf, len, &next);
		if (n == 0)
			return true;
		if (!header_ok(buf, n))
			return false;
		buf += next;
		len -= next;
	}
	return false;
}

static bool path_is(const char *target, size_t len, const char *path)
{
	size_t plen = strlen(path);
	return len >= plen && memcmp(target, path, plen) == 0 &&
	       (len == plen || target[plen] == '?');
}

enum cp_http_route cp_http_classify(const char *buf, size_t len, bool *head)
{
	size_t next, n = line_len(buf, len, &next);
	size_t method = token_len(buf, n);
	*head = false;
	if (method == 0 || method >= n || buf[method] != ' ')
		return CP_HTTP_BAD_REQUEST;
	const char *target = buf + method + 1;
	size_t rest = n - method - 1, tlen = 0;
	while (tlen < rest && (unsigned char)target[tlen] > 0x20 && target[tlen] != 0x7f)
		tlen++;
	if (tlen == 0 || target[0] != '/' || rest - tlen != 9 || target[tlen] != ' ' ||
	    (memcmp(target + tlen + 1, "HTTP/1.1", 8) != 0 &&
	     memcmp(target + tlen + 1, "HTTP/1.0", 8) != 0))
		return CP_HTTP_BAD_REQUEST;
	if (!headers_ok(buf + next, len - next))
		return CP_HTTP_BAD_REQUEST;
	*head = method == 4 && memcmp(buf, "HEAD", 4) == 0;
	if (!*head && !(method == 3 && memcmp(buf, "GET", 3) == 0))
		return CP_HTTP_BAD_METHOD;
	if (path_is(target, tlen, "/metrics"))
		return CP_HTTP_METRICS;
	if (path_is(target, tlen, "/"))
		return CP_HTTP_INDEX;
	return CP_HTTP_NOT_FOUND;
}

/* ---- one connection ---- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes; returns > 0 when ready. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = {.fd = fd, .events = events};
		if (left <= 0)
			return 0;
		int r = poll(&p, 1, (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* Reads a request head into buf (max bytes); returns the HTTP status that ends the reading: 0
 * when a head arrived (its length in *head_len), 408, 431, 400 (ended early), or -1 to close
 * without an answer (nothing received, or a socket error). */
static int read_head(int fd, char *buf, size_t max, int read_ms, size_t *head_len)
{
	int64_t deadline = now_ms() + read_ms;
	size_t n = 0;
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			return 408;
		ssize_t r = recv(fd, buf + n, max - n, 0);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return n > 0 ? 400 : -1;
		n += (size_t)r;
		*head_len = cp_http_head_length(buf, n);
		if (*head_len > 0)
			return 0;
		if (n == max)
			return 431;
	}
}

/* Sends both buffers whole before the deadline; returns 0 or -1. */
static int send_all(int fd, struct iovec *iov, int iovcnt, int64_t deadline)
{
	while (iovcnt > 0) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
		ssize_t r = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (r < 0) {
			if (wait_fd(fd, POLLOUT, deadline) <= 0)
				return -1;
			continue;
		}
		size_t done = (size_t)r;
		while (iovcnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return "Internal Server Error";
	}
}

/* Status line, headers and (unless head_only) body, then done. */
static void respond(int fd, int status, const char *type, const char *body, size_t len,
		    bool head_only, int write_ms)
{
	char hdr[512];
	char date[64];
	struct tm tm;
	time_t t = time(NULL);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: "
			 "%zu\r\n%sConnection: close\r\n\r\n",
			 status, reason_phrase(status), date, type, len,
			 status == 405 ? "Allow: GET, HEAD\r\n" : "");
	struct iovec iov[2] = {{hdr, (size_t)n}, {(void *)body, head_only ? 0 : len}};
	send_all(fd, iov, head_only || len == 0 ? 1 : 2, now_ms() + write_ms);
}

static void respond_text(int fd, int status, bool head_only, int write_ms)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason_phrase(status));
	respond(fd, status, "text/plain; charset=utf-8", body, (size_t)n, head_only, write_ms);
}

static void respond_metrics(int fd, cp_http_render_fn render, void *arg, bool head_only,
			    int write_ms)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = f != NULL ? render(f, arg) : -1;
	if (f != NULL && (ferror(f) || fclose(f) != 0))
		rc = -1;
	if (rc < 0 || text == NULL)
		respond_text(fd, 500, head_only, write_ms);
	else
		respond(fd, 200, CP_PROM_CONTENT_TYPE, text, len, head_only, write_ms);
	free(text);
}

/* Closes after the response: what the client sent and nobody read (a body, the rest of a head too
 * long) is dropped first, else closing would reset the connection and might lose the response. */
static void close_gently(int fd)
{
	char sink[4096];
	shutdown(fd, SHUT_WR);
	for (unsigned i = 0; i < DRAIN_MAX / sizeof(sink); i++)
		if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	close(fd);
}

static void serve_one(int fd, cp_http_render_fn render, void *arg, const struct cp_http_limits *lim)
{
	char *buf = malloc(lim->max_request);
	size_t head_len = 0;
	bool head = false;
	int status =
	    buf != NULL ? read_head(fd, buf, lim->max_request, lim->read_ms, &head_len) : -1;
	if (status > 0) {
		respond_text(fd, status, false, lim->write_ms);
	} else if (status == 0) {
		switch (cp_http_classify(buf, head_len, &head)) {
		case CP_HTTP_METRICS:
			respond_metrics(fd, render, arg, head, lim->write_ms);
			break;
		case CP_HTTP_INDEX:
			respond(fd, 200, "text/html; charset=utf-8", index_body,
				sizeof(index_body) - 1, head, lim->write_ms);
			break;
		case CP_HTTP_NOT_FOUND:
			respond_text(fd, 404, head, lim->write_ms);
			break;
		case CP_HTTP_BAD_METHOD:
			respond_text(fd, 405, false, lim->write_ms);
			break;
		case CP_HTTP_BAD_REQUEST:
			respond_text(fd, 400, false, lim->write_ms);
			break;
		}
	}
	free(buf);
	close_gently(fd);
}

int cp_http_accept_and_serve_with(int listen_fd, cp_http_render_fn render, void *arg,
				  const struct cp_http_limits *lim)
{
	struct cp_http_limits def = CP_HTTP_LIMITS_DEFAULT;
	int served = 0;
	if (lim == NULL)
		lim = &def;
	for (unsigned i = 0; i < lim->max_per_call; i++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO))
			continue;
		if (fd < 0)
			return served > 0 ? served : -1;
		serve_one(fd, render, arg, lim);
		served++;
	}
	return served;
}

int cp_http_accept_and_serve(int listen_fd, cp_http_render_fn render, void *arg)
{
	return cp_http_accept_and_serve_with(listen_fd, render, arg, NULL);
}
