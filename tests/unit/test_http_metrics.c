/* Unit tests of common/http_metrics: listen addresses, request heads classified (table), and the
 * server over a real loopback socket with a client thread: /metrics, /, HEAD, 404, 405, 400, 431,
 * 500, a request split over several writes, slow requests that must time out within the bound,
 * a body larger than the socket buffers, garbage, and the cap on connections per call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_metrics.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_PARTS    8
#define CP_PROM_CT   "text/plain; version=0.0.4; charset=utf-8"

static const char metrics_text[] = "# HELP m A metric\n# TYPE m gauge\nm 1\n";

/* ---- helpers ---- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

struct render_arg {
	size_t repeat; /* copies of metrics_text */
	bool fail;
	unsigned calls;
};

static int render(FILE *out, void *arg)
{
	struct render_arg *r = arg;
	r->calls++;
	if (r->fail)
		return -1;
	for (size_t i = 0; i < (r->repeat ? r->repeat : 1); i++)
		fputs(metrics_text, out);
	return 0;
}

/* One client connection, run in its own thread while the test serves. */
struct client {
	int port;
	const char *parts[MAX_PARTS];
	size_t lens[MAX_PARTS]; /* 0: strlen */
	int delay_ms;		/* before each part but the first */
	bool close_early;	/* close right after sending, reading nothing */
	bool half_close;	/* shut down the sending side after the last part */
	char *resp;
	size_t resp_len;
	pthread_t thread;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
	struct timeval tv = {5, 0};
	size_t cap = 4096;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (unsigned i = 0; i < MAX_PARTS && c->parts[i] != NULL; i++) {
		if (i > 0 && c->delay_ms > 0)
			sleep_ms(c->delay_ms);
		size_t len = c->lens[i] ? c->lens[i] : strlen(c->parts[i]);
		if (send(fd, c->parts[i], len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
	}
	if (c->half_close)
		shutdown(fd, SHUT_WR);
	c->resp = malloc(cap);
	while (!c->close_early && c->resp != NULL) {
		if (c->resp_len == cap)
			c->resp = realloc(c->resp, cap *= 2);
		ssize_t r = c->resp ? recv(fd, c->resp + c->resp_len, cap - c->resp_len, 0) : -1;
		if (r <= 0)
			break;
		c->resp_len += (size_t)r;
	}
	close(fd);
	return NULL;
}

static void client_start(struct client *c, int port)
{
	c->port = port;
	assert_int_equal(pthread_create(&c->thread, NULL, client_main, c), 0);
}

static void client_join(struct client *c)
{
	assert_int_equal(pthread_join(c->thread, NULL), 0);
}

static int listen_any_port(int *port)
{
	char err[256] = "";
	int fd = cp_http_listen("127.0.0.1:0", err, sizeof(err));
	if (fd < 0)
		fail_msg("listen: %s", err);
	*port = cp_http_local_port(fd);
	assert_true(*port > 0);
	return fd;
}

/* Waits (3 s at most) for a connection, then serves; returns what the server returned. */
static int serve(int lfd, const struct cp_http_limits *lim, struct render_arg *ra, int64_t *ms)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 3000), 1);
	int64_t t0 = now_ms();
	int n = lim ? cp_http_accept_and_serve_with(lfd, render, ra, lim)
		    : cp_http_accept_and_serve(lfd, render, ra);
	if (ms != NULL)
		*ms = now_ms() - t0;
	return n;
}

/* Status code of a response, or 0 when there is none. */
static int status_of(const struct client *c)
{
	if (c->resp_len < 12 || memcmp(c->resp, "HTTP/1.1 ", 9) != 0)
		return 0;
	return atoi(c->resp + 9);
}

/* The value of header name (with ": ") in a response, copied into out. */
static bool header_of(const struct client *c, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *end = memmem(c->resp, c->resp_len, "\r\n\r\n", 4);
	for (const char *p = c->resp; end != NULL && p < end;) {
		const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if ((size_t)(eol - p) > nlen + 2 && strncasecmp(p, name, nlen) == 0 &&
		    p[nlen] == ':') {
			snprintf(out, outlen, "%.*s", (int)(eol - p - nlen - 2), p + nlen + 2);
			return true;
		}
		p = eol + 2;
	}
	return false;
}

static const char *body_of(const struct client *c, size_t *len)
{
	const char *end = memmem(c->resp, c->resp_len, "\r\n\r\n", 4);
	assert_non_null(end);
	*len = c->resp_len - (size_t)(end + 4 - c->resp);
	return end + 4;
}

/* ---- listen addresses ---- */

static void test_listen(void **state)
{
	(void)state;
	static const struct {
		const char *addr;
		bool ok;
	} cases[] = {
	    {"127.0.0.1:0", true},	 {":0", true},
	    {"0.0.0.0:0", true},	 {"", false},
	    {"127.0.0.1", false},	 {"127.0.0.1:", false},
	    {"127.0.0.1:65536", false},	 {"127.0.0.1:-1", false},
	    {"127.0.0.1:80x", false},	 {"localhost:80", false},
	    {"::1:80", false},		 {"[::1]80", false},
	    {"1.2.3.4.5:80", false},	 {"[]:80", false},
	    {"[127.0.0.1]:80", false},	 {"[::1:80", false},
	    {"127.0.0.1:000001", false},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char err[256] = "";
		int fd = cp_http_listen(cases[i].addr, err, sizeof(err));
		if ((fd >= 0) != cases[i].ok)
			fail_msg("\"%s\": got fd %d (%s)", cases[i].addr, fd, err);
		if (fd < 0) {
			assert_non_null(strstr(err, "metrics address"));
			continue;
		}
		assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		assert_true(cp_http_local_port(fd) > 0);
		close(fd);
	}
	assert_int_equal(cp_http_listen(NULL, NULL, 0), -1);
	assert_int_equal(cp_http_local_port(-1), -1);
}

static void test_listen_ipv6_and_in_use(void **state)
{
	(void)state;
	char err[256] = "", addr[64];
	int port, fd = listen_any_port(&port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	assert_int_equal(cp_http_listen(addr, err, sizeof(err)), -1);
	assert_non_null(strstr(err, strerror(EADDRINUSE)));
	close(fd);
	int fd6 = cp_http_listen("[::1]:0", err, sizeof(err));
	if (fd6 >= 0) { /* hosts without IPv6 fail here: nothing else to check then */
		assert_true(cp_http_local_port(fd6) > 0);
		close(fd6);
	}
}

/* ---- request heads ---- */

static void test_head_length(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t want;
	} cases[] = {
	    {"", 0},
	    {"GET / HTTP/1.1\r\n", 0},
	    {"GET / HTTP/1.1\r\n\r", 0},
	    {"GET / HTTP/1.1\r\n\r\n", 18},
	    {"GET / HTTP/1.1\n\n", 16},
	    {"GET / HTTP/1.1\r\nA: b\r\n\r\nbody", 24},
	    {"\n\n", 2},
	    {"\r\n\r\n", 4},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (cp_http_head_length(cases[i].in, strlen(cases[i].in)) != cases[i].want)
			fail_msg("case %zu: want %zu", i, cases[i].want);
}

static void test_classify(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		enum cp_http_route want;
		bool head;
	} cases[] = {
	    {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", CP_HTTP_METRICS, false},
	    {"GET /metrics HTTP/1.0\r\n\r\n", CP_HTTP_METRICS, false},
	    {"GET /metrics?name[]=x HTTP/1.1\r\n\r\n", CP_HTTP_METRICS, false},
	    {"GET /metrics HTTP/1.1\n\n", CP_HTTP_METRICS, false},
	    {"HEAD /metrics HTTP/1.1\r\n\r\n", CP_HTTP_METRICS, true},
	    {"GET / HTTP/1.1\r\nUser-Agent: a\tb \xc3\xa9\r\n\r\n", CP_HTTP_INDEX, false},
	    {"GET /?x HTTP/1.1\r\n\r\n", CP_HTTP_INDEX, false},
	    {"GET /metricsx HTTP/1.1\r\n\r\n", CP_HTTP_NOT_FOUND, false},
	    {"GET /metrics/ HTTP/1.1\r\n\r\n", CP_HTTP_NOT_FOUND, false},
	    {"GET //metrics HTTP/1.1\r\n\r\n", CP_HTTP_NOT_FOUND, false},
	    {"HEAD /x HTTP/1.1\r\n\r\n", CP_HTTP_NOT_FOUND, true},
	    {"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", CP_HTTP_BAD_METHOD, false},
	    {"get /metrics HTTP/1.1\r\n\r\n", CP_HTTP_BAD_METHOD, false},
	    {"GETX /metrics HTTP/1.1\r\n\r\n", CP_HTTP_BAD_METHOD, false},
	    {"DELETE / HTTP/1.1\r\n\r\n", CP_HTTP_BAD_METHOD, false},
	    {"GET /metrics HTTP/2.0\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics HTTP/1.1 \r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics http/1.1\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET metrics HTTP/1.1\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET  /metrics HTTP/1.1\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /met\x01rics HTTP/1.1\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"G(T /metrics HTTP/1.1\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics HTTP/1.1\r\nA : b\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	    {"POST /metrics HTTP/1.1\r\nbad\r\n\r\n", CP_HTTP_BAD_REQUEST, false},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool head = !cases[i].head;
		enum cp_http_route got = cp_http_classify(cases[i].in, strlen(cases[i].in), &head);
		if (got != cases[i].want || (got != CP_HTTP_BAD_REQUEST && head != cases[i].head))
			fail_msg("case %zu (%s): got %d head %d", i, cases[i].in, got, head);
	}
	/* NUL bytes and a head cut short */
	static const char nul[] = "GET /metrics\0 HTTP/1.1\r\n\r\n";
	bool head;
	assert_int_equal(cp_http_classify(nul, sizeof(nul) - 1, &head), CP_HTTP_BAD_REQUEST);
	assert_int_equal(cp_http_classify("GET /metrics HTTP/1.1\r\nA: b", 27, &head),
			 CP_HTTP_BAD_REQUEST);
	assert_int_equal(cp_http_classify("", 0, &head), CP_HTTP_BAD_REQUEST);
}

/* ---- the server ---- */

static const struct {
	const char *request;
	bool half_close; /* the client shuts its side down after the request */
	int status;
	unsigned renders; /* calls of the render function */
	const char *type; /* Content-Type, NULL: not checked */
	const char *body; /* exact body, NULL: not checked */
} exchanges[] = {
    {"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n", false, 200, 1, CP_PROM_CT,
     metrics_text},
    {"GET /metrics?x=1 HTTP/1.0\r\n\r\n", false, 200, 1, CP_PROM_CT, metrics_text},
    {"GET /metrics HTTP/1.1\n\n", false, 200, 1, CP_PROM_CT, metrics_text},
    {"GET /metrics HTTP/1.1\r\n\r\n", true, 200, 1, CP_PROM_CT, metrics_text},
    {"HEAD /metrics HTTP/1.1\r\n\r\n", false, 200, 1, CP_PROM_CT, ""},
    {"GET / HTTP/1.1\r\n\r\n", false, 200, 0, "text/html; charset=utf-8", NULL},
    {"GET /nope HTTP/1.1\r\n\r\n", false, 404, 0, "text/plain; charset=utf-8", "404 Not Found\n"},
    {"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", false, 405, 0, NULL,
     "405 Method Not Allowed\n"},
    {"PUT / HTTP/1.1\r\n\r\n", false, 405, 0, NULL, NULL},
    {"garbage\r\n\r\n", false, 400, 0, NULL, "400 Bad Request\n"},
    {"GET /metrics HTTP/9.9\r\n\r\n", false, 400, 0, NULL, NULL},
    {"GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n", false, 400, 0, NULL, NULL},
    {"GET /metrics HTTP/1.1\r\n", true, 400, 0, NULL, NULL}, /* ends before the head does */
    {"GET /metrics HTTP/1.1\r\n", false, 408, 0, NULL, "408 Request Timeout\n"},
};

/* Headers every response has, and the body's length. */
static void check_framing(const struct client *c, bool head)
{
	char value[128];
	size_t blen;
	assert_true(header_of(c, "Connection", value, sizeof(value)));
	assert_string_equal(value, "close");
	assert_true(header_of(c, "Date", value, sizeof(value)));
	assert_non_null(strstr(value, " GMT"));
	assert_true(header_of(c, "Content-Length", value, sizeof(value)));
	body_of(c, &blen);
	if (head)
		assert_int_equal(blen, 0);
	else
		assert_int_equal(strtoul(value, NULL, 10), blen);
}

static void test_exchanges(void **state)
{
	(void)state;
	int port, lfd = listen_any_port(&port);
	struct cp_http_limits lim = CP_HTTP_LIMITS_DEFAULT;
	lim.read_ms = 300; /* for the request that never ends */
	for (size_t i = 0; i < ARRAY_LEN(exchanges); i++) {
		struct client c = {.parts = {exchanges[i].request},
				   .half_close = exchanges[i].half_close};
		struct render_arg ra = {0};
		char value[128];
		size_t blen;
		client_start(&c, port);
		assert_int_equal(serve(lfd, &lim, &ra, NULL), 1);
		client_join(&c);
		if (status_of(&c) != exchanges[i].status)
			fail_msg("case %zu: status %d, want %d:\n%.*s", i, status_of(&c),
				 exchanges[i].status, (int)c.resp_len, c.resp ? c.resp : "");
		check_framing(&c, strncmp(exchanges[i].request, "HEAD", 4) == 0);
		const char *body = body_of(&c, &blen);
		if (exchanges[i].type != NULL) {
			assert_true(header_of(&c, "Content-Type", value, sizeof(value)));
			assert_string_equal(value, exchanges[i].type);
		}
		if (exchanges[i].body != NULL) {
			assert_int_equal(blen, strlen(exchanges[i].body));
			assert_memory_equal(body, exchanges[i].body, blen);
		}
		if (exchanges[i].status == 405) {
			assert_true(header_of(&c, "Allow", value, sizeof(value)));
			assert_string_equal(value, "GET, HEAD");
		}
		if (strncmp(exchanges[i].request, "GET / ", 6) == 0)
			assert_non_null(memmem(body, blen, "<a href=\"/metrics\">", 18));
		assert_int_equal(ra.calls, exchanges[i].renders);
		free(c.resp);
	}
	close(lfd);
}

/* A request written in pieces, with pauses, is read whole. */
static void test_split_request(void **state)
{
	(void)state;
	int port, lfd = listen_any_port(&port);
	struct client c = {
	    .parts = {"GE", "T /met", "rics HTTP/1.1\r", "\nHost: a\r\n", "\r", "\n"},
	    .delay_ms = 40};
	struct render_arg ra = {0};
	client_start(&c, port);
	assert_int_equal(serve(lfd, NULL, &ra, NULL), 1);
	client_join(&c);
	assert_int_equal(status_of(&c), 200);
	size_t blen;
	const char *body = body_of(&c, &blen);
	assert_int_equal(blen, strlen(metrics_text));
	assert_memory_equal(body, metrics_text, blen);
	free(c.resp);
	close(lfd);
}

/* A request that never ends, one that trickles forever, and a silent connection: each is cut at
 * the default bound (1 s) with 408, and the caller is back well within 2 s. */
static void test_slow_requests_time_out(void **state)
{
	(void)state;
	static const struct {
		const char *parts[MAX_PARTS];
		int delay_ms;
	} cases[] = {
	    {{"GET /metrics HTTP/1.1\r\nHost: x\r\n"}, 0},
	    {{"G", "E", "T", " ", "/", "m", "e", "t"}, 200},
	    {{""}, 0},
	};
	int port, lfd = listen_any_port(&port);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct client c = {.delay_ms = cases[i].delay_ms};
		struct render_arg ra = {0};
		int64_t ms;
		memcpy(c.parts, cases[i].parts, sizeof(c.parts));
		client_start(&c, port);
		assert_int_equal(serve(lfd, NULL, &ra, &ms), 1);
		if (ms < 900 || ms > 1500)
			fail_msg("case %zu: served in %lld ms", i, (long long)ms);
		client_join(&c);
		assert_int_equal(status_of(&c), 408);
		assert_int_equal(ra.calls, 0);
		free(c.resp);
	}
	close(lfd);
}

/* A head over the limit gets 431 as soon as the limit is reached. */
static void test_huge_headers(void **state)
{
	(void)state;
	size_t len = 64 * 1024;
	char *big = malloc(len + 1);
	assert_non_null(big);
	memset(big, 'a', len);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Big: ", 30);
	big[len] = '\0';
	int port, lfd = listen_any_port(&port);
	struct client c = {.parts = {big, "\r\n\r\n"}};
	struct render_arg ra = {0};
	int64_t ms;
	client_start(&c, port);
	assert_int_equal(serve(lfd, NULL, &ra, &ms), 1);
	client_join(&c);
	assert_int_equal(status_of(&c), 431);
	assert_true(ms < 500);
	assert_int_equal(ra.calls, 0);
	free(c.resp);
	free(big);
	close(lfd);
}

/* A body far larger than the socket buffers goes out whole; a failing render gives 500. */
static void test_big_body_and_failure(void **state)
{
	(void)state;
	int port, lfd = listen_any_port(&port);
	struct client c = {.parts = {"GET /metrics HTTP/1.1\r\n\r\n"}};
	struct render_arg ra = {.repeat = 200000};
	client_start(&c, port);
	assert_int_equal(serve(lfd, NULL, &ra, NULL), 1);
	client_join(&c);
	assert_int_equal(status_of(&c), 200);
	size_t blen;
	const char *body = body_of(&c, &blen);
	assert_int_equal(blen, ra.repeat * strlen(metrics_text));
	assert_memory_equal(body + blen - strlen(metrics_text), metrics_text, strlen(metrics_text));
	free(c.resp);

	struct client f = {.parts = {"GET /metrics HTTP/1.1\r\n\r\n"}};
	struct render_arg fail = {.fail = true};
	client_start(&f, port);
	assert_int_equal(serve(lfd, NULL, &fail, NULL), 1);
	client_join(&f);
	assert_int_equal(status_of(&f), 500);
	assert_int_equal(fail.calls, 1);
	free(f.resp);
	close(lfd);
}

/* Clients that go away at once, and random bytes: no crash, an answer to every complete head. */
static void test_garbage(void **state)
{
	(void)state;
	int port, lfd = listen_any_port(&port);
	unsigned seed = 777;
	char junk[2048];
	for (unsigned i = 0; i < 60; i++) {
		size_t len = 1 + i * 31 % (sizeof(junk) - 5);
		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			junk[k] = (char)(seed >> 16);
		}
		memcpy(junk + len, "\r\n\r\n", 4);
		struct client c = {.parts = {junk}, .lens = {len + 4}, .close_early = i % 3 == 0};
		struct render_arg ra = {0};
		struct cp_http_limits lim = CP_HTTP_LIMITS_DEFAULT;
		lim.read_ms = 300;
		client_start(&c, port);
		assert_int_equal(serve(lfd, &lim, &ra, NULL), 1);
		client_join(&c);
		int st = status_of(&c);
		if (!c.close_early && st != 400 && st != 405 && st != 404)
			fail_msg("junk %u: status %d", i, st);
		free(c.resp);
	}
	close(lfd);
}

/* One call serves at most max_per_call connections; the next call takes the rest; a call with
 * nothing pending returns 0 at once. */
static void test_per_call_cap(void **state)
{
	(void)state;
	int port, lfd = listen_any_port(&port);
	struct client c[3];
	struct render_arg ra = {0};
	struct cp_http_limits lim = CP_HTTP_LIMITS_DEFAULT;
	lim.max_per_call = 2;
	assert_int_equal(cp_http_accept_and_serve_with(lfd, render, &ra, &lim), 0);
	for (unsigned i = 0; i < 3; i++) {
		c[i] = (struct client){.parts = {"GET /metrics HTTP/1.1\r\n\r\n"}};
		client_start(&c[i], port);
	}
	sleep_ms(200); /* all three connected and waiting */
	assert_int_equal(serve(lfd, &lim, &ra, NULL), 2);
	assert_int_equal(serve(lfd, &lim, &ra, NULL), 1);
	assert_int_equal(cp_http_accept_and_serve_with(lfd, render, &ra, &lim), 0);
	for (unsigned i = 0; i < 3; i++) {
		client_join(&c[i]);
		assert_int_equal(status_of(&c[i]), 200);
		free(c[i].resp);
	}
	assert_int_equal(ra.calls, 3);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen),
	    cmocka_unit_test(test_listen_ipv6_and_in_use),
	    cmocka_unit_test(test_head_length),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_exchanges),
	    cmocka_unit_test(test_split_request),
	    cmocka_unit_test(test_slow_requests_time_out),
	    cmocka_unit_test(test_huge_headers),
	    cmocka_unit_test(test_big_body_and_failure),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_per_call_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
