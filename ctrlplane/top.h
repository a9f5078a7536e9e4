/* chokectl top (see top.c). */
#ifndef CP_TOP_H
#define CP_TOP_H

/* Fetch the counters JSON and the status JSON (malloc'd strings). Returns 0 or -1 (reported). */
typedef int (*cp_top_fetch)(void *arg, char **counters, char **status);

/* Refresh count times (forever when count < 0), one second apart. Returns the exit status. */
int cp_top_run(const char *socket, long count, cp_top_fetch fetch, void *arg);

#endif
