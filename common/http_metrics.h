/* A tiny HTTP/1.1 server for one metrics endpoint, driven from the caller's poll() loop: every
 * connection is read, answered and closed within a short, fixed bound of time. */
#ifndef CP_HTTP_METRICS_H
#define CP_HTTP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the metrics text to out; returns 0, or -1 to answer 500. */
typedef int (*cp_http_render_fn)(FILE *out, void *arg);

struct cp_http_limits {
	int read_ms;	       /* from accept to the end of the request headers */
	int write_ms;	       /* to send the whole response */
	size_t max_request;    /* request line and headers, in bytes */
	unsigned max_per_call; /* connections served by one call; the rest wait for the next */
};

/* The limits cp_http_accept_and_serve uses. */
#define CP_HTTP_LIMITS_DEFAULT                                                                     \
	((struct cp_http_limits){                                                                  \
	    .read_ms = 1000, .write_ms = 1000, .max_request = 8192, .max_per_call = 4})

/* What a complete request head (request line and headers) asks for. */
enum cp_http_route {
	CP_HTTP_METRICS,     /* GET or HEAD /metrics: 200 with the metrics */
	CP_HTTP_INDEX,	     /* GET or HEAD /: 200 with a link to /metrics */
	CP_HTTP_NOT_FOUND,   /* 404 */
	CP_HTTP_BAD_METHOD,  /* 405 */
	CP_HTTP_BAD_REQUEST, /* 400 */
};

/* Listens on "127.0.0.1:9464", "[::1]:9464" or ":9464" (every address, IPv6 and IPv4 when the
 * host has IPv6); port 0 picks a free port. The socket is non-blocking, close-on-exec, with
 * SO_REUSEADDR. Returns the descriptor, or -1 with a one-line message in err. */
int cp_http_listen(const char *addr, char *err, size_t errlen);

/* The port a socket is bound to (e.g. after listening on port 0), or -1. */
int cp_http_local_port(int fd);

/* Length of the request head at the start of buf[0..len) (up to and including the blank line
 * that ends it, CRLF or LF), or 0 when it has not ended yet. */
size_t cp_http_head_length(const char *buf, size_t len);

/* Classifies a request head of len bytes (any bytes: hostile input is fine); *head is set when
 * the method is HEAD. */
enum cp_http_route cp_http_classify(const char *buf, size_t len, bool *head);

/* Accepts the pending connections of listen_fd (at most CP_HTTP_LIMITS_DEFAULT.max_per_call) and
 * answers each: GET /metrics with render's text, GET / with a link, 404, 405, 400, 408 when the
 * request does not end in time, 431 when its head is too long, 500 when render fails. Each
 * connection takes at most read_ms + write_ms plus render's time, then is closed. Call it when
 * poll() says listen_fd is readable. Returns the number of connections handled, or -1 when
 * accept fails for lack of resources (errno says which). */
int cp_http_accept_and_serve(int listen_fd, cp_http_render_fn render, void *arg);

/* The same with other limits (NULL: the defaults). */
int cp_http_accept_and_serve_with(int listen_fd, cp_http_render_fn render, void *arg,
				  const struct cp_http_limits *lim);

#endif
