/* The replay events file (SPEC §6): one JSON object a line, e.g.
 *   {"at": 0, "do": "grant", "host": "175.45.177.5", "for": 3600, "renew_every": 300}
 *   {"at": 290, "do": "renew", "host": "175.45.177.5"}
 *   {"at": 400, "do": "revoke", "host": "175.45.177.0/27"}
 *   {"at": 500, "do": "shutoff"}  {"at": 600, "do": "restore"}
 *   {"at": 700, "do": "policy", "file": "other.conf"}
 * Blank lines and lines starting with '#' are skipped. Every problem is reported as FILE:LINE. */
#ifndef CP_EVENTS_H
#define CP_EVENTS_H

#include <stdint.h>

#include "addr.h"
#include "diag.h"

enum cp_event_kind {
	CP_EV_GRANT = 0,
	CP_EV_RENEW,
	CP_EV_REVOKE,
	CP_EV_SHUTOFF,
	CP_EV_RESTORE,
	CP_EV_POLICY,
};

struct cp_event {
	uint64_t at_ns; /* "at": seconds since the first packet (a non-negative number,
			   fractions allowed) in nanoseconds */
	enum cp_event_kind kind;
	struct cp_prefix host; /* grant/renew/revoke: an address or a prefix */
	uint64_t for_ns;       /* grant: "for" (required, > 0) */
	uint64_t renew_ns;     /* grant: "renew_every" (optional; 0 = none) */
	char *file;	       /* policy: path, resolved against the events file's directory */
	int line;
};

/* Load the file; events are returned sorted by at_ns, ties kept in file order. "for" and
 * "renew_every" take a number of seconds or a duration string ("90s", "5m", "1h"). Unknown keys,
 * missing or mistyped fields, bad JSON and trailing garbage are errors. Returns 0, or -1 with
 * everything reported to diag (and *out NULL). */
int cp_events_load(const char *path, struct cp_event **out, unsigned *n, struct cp_diag *diag);
void cp_events_free(struct cp_event *ev, unsigned n);

#endif
