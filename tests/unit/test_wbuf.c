/* Unit tests of dataplane/wbuf: whatever the sizes and the mix of write and reserve calls, the file
 * holds exactly the bytes given, in order; an existing regular file is replaced, not written
 * through (a symbolic link is); failures (no directory, a refused write, a record larger than the
 * buffer) are reported by the calls after them and by close; close is safe on a buffer never
 * opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir_test.h"
#include "wbuf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The whole file, malloc'd; its size to *len. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	uint8_t *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static uint8_t byte_at(size_t i)
{
	return (uint8_t)(i * 2654435761u >> 13);
}

/* Writes total bytes in pieces of the given sizes (cycled), every other piece through
 * reserve/commit; checks the file. */
static void check_pieces(const size_t *sizes, size_t n_sizes, size_t total)
{
	char path[PATH_MAX + 32];
	struct cp_wbuf w;
	snprintf(path, sizeof(path), "%s/pieces", cp_test_dir);
	assert_int_equal(cp_wbuf_open(&w, path), 0);
	size_t done = 0;
	for (size_t k = 0; done < total; k++) {
		size_t n = sizes[k % n_sizes];
		if (n > total - done)
			n = total - done;
		uint8_t *src = malloc(n + 1);
		assert_non_null(src);
		for (size_t i = 0; i < n; i++)
			src[i] = byte_at(done + i);
		if (k % 2 == 0 || n > CP_WBUF_SIZE) {
			assert_int_equal(cp_wbuf_write(&w, src, n), 0);
		} else {
			char *p = cp_wbuf_reserve(&w, n);
			assert_non_null(p);
			memcpy(p, src, n);
			cp_wbuf_commit(&w, n);
		}
		free(src);
		done += n;
	}
	assert_int_equal(cp_wbuf_close(&w), 0);
	size_t len;
	uint8_t *got = slurp(path, &len);
	assert_int_equal(len, total);
	for (size_t i = 0; i < len; i++)
		if (got[i] != byte_at(i))
			fail_msg("byte %zu differs", i);
	free(got);
}

static void test_pieces(void **state)
{
	(void)state;
	static const struct {
		size_t sizes[4];
		size_t n, total;
	} cases[] = {
	    {{1}, 1, 0},
	    {{1}, 1, 5000},
	    {{16, 60}, 2, 3 * CP_WBUF_SIZE + 17},
	    {{16, 1514, 16, 64}, 4, 2 * CP_WBUF_SIZE},
	    {{CP_WBUF_SIZE - 1, 2}, 2, 3 * CP_WBUF_SIZE},
	    {{CP_WBUF_SIZE}, 1, 2 * CP_WBUF_SIZE},
	    {{CP_WBUF_SIZE + 1, 3}, 2, 3 * CP_WBUF_SIZE + 9},
	    {{5 * CP_WBUF_SIZE / 2}, 1, 5 * CP_WBUF_SIZE / 2},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("pieces case %zu\n", i);
		check_pieces(cases[i].sizes, cases[i].n, cases[i].total);
	}
}

/* An existing regular file is unlinked and created anew: a hard link to it keeps the old bytes.
 * A symbolic link is written through. */
static void test_replaces(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], link_path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/out", cp_test_dir);
	snprintf(link_path, sizeof(link_path), "%s/kept", cp_test_dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs("old contents", f);
	fclose(f);
	assert_int_equal(link(path, link_path), 0);
	struct cp_wbuf w;
	assert_int_equal(cp_wbuf_open(&w, path), 0);
	assert_int_equal(cp_wbuf_write(&w, "new", 3), 0);
	assert_int_equal(cp_wbuf_close(&w), 0);
	size_t len;
	uint8_t *b = slurp(path, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(b, "new", 3);
	free(b);
	b = slurp(link_path, &len);
	assert_int_equal(len, 12);
	free(b);
	char sym[PATH_MAX + 32];
	snprintf(sym, sizeof(sym), "%s/sym", cp_test_dir);
	assert_int_equal(symlink(link_path, sym), 0);
	assert_int_equal(cp_wbuf_open(&w, sym), 0);
	assert_int_equal(cp_wbuf_write(&w, "through", 7), 0);
	assert_int_equal(cp_wbuf_close(&w), 0);
	b = slurp(link_path, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(b, "through", 7);
	free(b);
}

static void test_failures(void **state)
{
	(void)state;
	struct cp_wbuf w;
	char path[PATH_MAX + 32];
	/* No such directory. */
	snprintf(path, sizeof(path), "%s/no/such/dir", cp_test_dir);
	assert_int_equal(cp_wbuf_open(&w, path), -1);
	assert_int_equal(cp_wbuf_close(&w), 0);
	/* Never opened (zeroed), closed twice. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(cp_wbuf_close(&w), 0);
	assert_int_equal(cp_wbuf_close(&w), 0);
	/* A reservation larger than the buffer fails, and so does everything after it. */
	snprintf(path, sizeof(path), "%s/big", cp_test_dir);
	assert_int_equal(cp_wbuf_open(&w, path), 0);
	assert_null(cp_wbuf_reserve(&w, CP_WBUF_SIZE + 1));
	assert_int_equal(cp_wbuf_write(&w, "x", 1), -1);
	assert_null(cp_wbuf_reserve(&w, 1));
	assert_int_equal(cp_wbuf_close(&w), -1);
	/* A write the kernel refuses (the descriptor closed behind the buffer's back): it shows at
	 * the flush that hits it, in every call after it, and at close. */
	snprintf(path, sizeof(path), "%s/refused", cp_test_dir);
	assert_int_equal(cp_wbuf_open(&w, path), 0);
	assert_int_equal(cp_wbuf_write(&w, "abc", 3), 0);
	close(w.fd);
	assert_int_equal(cp_wbuf_flush(&w), -1);
	assert_int_equal(cp_wbuf_write(&w, "x", 1), -1);
	assert_null(cp_wbuf_reserve(&w, 1));
	assert_int_equal(cp_wbuf_close(&w), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pieces),
	    cmocka_unit_test(test_replaces),
	    cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, cp_test_tmpdir_setup, cp_test_tmpdir_teardown);
}
