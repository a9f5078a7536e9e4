/* chokectl serve's durable state: the grants (wall-clock times, so they survive restarts of
 * either process), shutoff and the forced uplink. Kept in STATE_DIR/state as text, written
 * atomically (temporary file, fsync, rename, fsync of the directory): a crash leaves the old file
 * or the new one, never half of one. A file that does not parse is refused, never trusted. */
#ifndef CP_STATE_H
#define CP_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CP_STATE_MAX_GRANTS 65536

struct cp_sgrant {
	struct cp_prefix pfx;
	uint64_t end_ns;   /* CLOCK_REALTIME */
	uint64_t renew_ns; /* 0: none */
	uint64_t last_ns;  /* given or last renewed, CLOCK_REALTIME */
};

struct cp_state {
	struct cp_sgrant *g;
	unsigned n, cap;
	bool shutoff;
	char uplink[64]; /* forced uplink name, "" for auto */
};

/* When the grant stops being live (realtime ns). */
uint64_t cp_sgrant_deadline(const struct cp_sgrant *g);

void cp_state_init(struct cp_state *s);
void cp_state_free(struct cp_state *s);
/* Load DIR/state; a missing file is an empty state. Returns 0, or -1 with one line in err. */
int cp_state_load(struct cp_state *s, const char *dir, char *err, size_t errlen);
/* Write it atomically. Returns 0, or -1 with one line in err (the file on disk is unchanged). */
int cp_state_save(const struct cp_state *s, const char *dir, char *err, size_t errlen);

/* Grant edits (in memory; the caller saves). give replaces a grant on exactly pfx; renew and
 * revoke act on every live grant within pfx and return how many; ended grants are dropped. */
int cp_state_give(struct cp_state *s, const struct cp_prefix *pfx, uint64_t now, uint64_t for_ns,
		  uint64_t renew_ns);
unsigned cp_state_renew(struct cp_state *s, const struct cp_prefix *pfx, uint64_t now);
unsigned cp_state_revoke(struct cp_state *s, const struct cp_prefix *pfx, uint64_t now);
void cp_state_prune(struct cp_state *s, uint64_t now);

#endif
