/* A buffered output file for writers that emit many small records (replay's verdict lines and
 * pcap records): bytes are gathered in a large buffer and written with write(2) when it fills,
 * so a record costs a memcpy, not a stdio call with its lock, and a syscall comes once a
 * CP_WBUF_SIZE bytes. Once a write fails every later call fails, and close reports it. */
#ifndef CP_WBUF_H
#define CP_WBUF_H

#include <stddef.h>
#include <string.h>

#define CP_WBUF_SIZE (1u << 20)

struct cp_wbuf {
	int fd; /* -1: not open */
	int failed;
	size_t len; /* bytes in buf */
	char *buf;  /* CP_WBUF_SIZE bytes */
};

/* Create path (an existing regular file is replaced by a new one, see wbuf.c). Returns 0, or -1
 * with errno set. */
int cp_wbuf_open(struct cp_wbuf *w, const char *path);

/* Write what is buffered. Returns 0 or -1. */
int cp_wbuf_flush(struct cp_wbuf *w);

/* The slow path of cp_wbuf_reserve: flush, or fail when n can never fit. */
char *cp_wbuf_reserve_slow(struct cp_wbuf *w, size_t n);

/* Room for n contiguous bytes at the end of the buffer (n <= CP_WBUF_SIZE), flushing first if
 * needed; cp_wbuf_commit then counts what was written there. Returns NULL once writing failed. */
static inline char *cp_wbuf_reserve(struct cp_wbuf *w, size_t n)
{
	if (w->failed || w->len + n > CP_WBUF_SIZE)
		return cp_wbuf_reserve_slow(w, n);
	return w->buf + w->len;
}

static inline void cp_wbuf_commit(struct cp_wbuf *w, size_t n)
{
	w->len += n;
}

/* Append n bytes (any n). Returns 0 or -1. */
int cp_wbuf_write_big(struct cp_wbuf *w, const void *p, size_t n);

static inline int cp_wbuf_write(struct cp_wbuf *w, const void *p, size_t n)
{
	if (w->len + n > CP_WBUF_SIZE || w->failed)
		return cp_wbuf_write_big(w, p, n);
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

/* Flush and close. Returns 0, or -1 when anything written since open failed. Safe on a buffer
 * that was never opened (zeroed) or is already closed. */
int cp_wbuf_close(struct cp_wbuf *w);

#endif
