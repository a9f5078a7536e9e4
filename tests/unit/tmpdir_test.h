/* A scratch directory for the files a unit test writes: made by the group setup, removed with
 * everything in it by the group teardown. */
#ifndef CP_TMPDIR_TEST_H
#define CP_TMPDIR_TEST_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static char cp_test_dir[PATH_MAX];

static inline int cp_test_tmpdir_setup(void **state)
{
	(void)state;
	snprintf(cp_test_dir, sizeof(cp_test_dir), "/tmp/cp_test_XXXXXX");
	return mkdtemp(cp_test_dir) == NULL ? -1 : 0;
}

static inline int cp_test_tmpdir_teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cp_test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
