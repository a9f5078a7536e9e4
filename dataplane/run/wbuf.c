/* Buffered output files (see wbuf.h). */
#include "wbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int cp_wbuf_open(struct cp_wbuf *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->buf = malloc(CP_WBUF_SIZE);
	if (w->buf == NULL)
		return -1;
	/* A regular file is replaced by a new one rather than truncated: ext4 writes a file back
	 * when it is closed after a truncation (auto_da_alloc), which for large outputs costs a
	 * rerun a tenth of a second, and an input replayed from the output directory stays
	 * readable. Anything else (a link to /dev/null, a fifo) is written through as it is. */
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) != 0)
		return -1;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return w->fd < 0 ? -1 : 0;
}

/* Write n bytes at p to the file, whatever partial writes the kernel makes. */
static int write_all(struct cp_wbuf *w, const char *p, size_t n)
{
	while (n > 0 && !w->failed) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->failed = 1;
			break;
		}
		p += k;
		n -= (size_t)k;
	}
	return w->failed ? -1 : 0;
}

int cp_wbuf_flush(struct cp_wbuf *w)
{
	if (w->fd < 0)
		w->failed = 1;
	int rc = write_all(w, w->buf, w->len);
	w->len = 0;
	return rc;
}

char *cp_wbuf_reserve_slow(struct cp_wbuf *w, size_t n)
{
	if (n > CP_WBUF_SIZE)
		w->failed = 1;
	if (w->failed || cp_wbuf_flush(w) != 0)
		return NULL;
	return w->buf;
}

int cp_wbuf_write_big(struct cp_wbuf *w, const void *p, size_t n)
{
	if (w->failed || cp_wbuf_flush(w) != 0)
		return -1;
	if (n >= CP_WBUF_SIZE)
		return write_all(w, p, n); /* larger than the buffer: straight through */
	memcpy(w->buf, p, n);
	w->len = n;
	return 0;
}

int cp_wbuf_close(struct cp_wbuf *w)
{
	int rc = 0;
	if (w->buf != NULL && w->fd >= 0) {
		rc = cp_wbuf_flush(w);
		if (close(w->fd) != 0)
			rc = -1;
	}
	free(w->buf);
	w->buf = NULL;
	w->fd = -1;
	w->len = 0;
	return rc;
}
