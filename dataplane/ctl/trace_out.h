/* chokectl trace, the main lcore's side: a TRACE request opens the trace (or keeps it open) with
 * its filter for CP_TRACE_LEASE_NS, and is answered with the decisions the workers sampled since
 * the request before, oldest first. A trace nobody asks for any more closes by itself, so a
 * client that goes away leaves nothing open. */
#ifndef CP_TRACE_OUT_H
#define CP_TRACE_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_msg.h"

#define CP_TRACE_LEASE_NS (2ull * 1000000000ull)

struct cp_ctl;
struct cp_dp;

/* Open or renew the trace with r's filter, then drain the workers' rings into
 * {"samples": [{"time": ..., "port": ..., "proto": ..., "src": ..., "sport": ..., "dst": ...,
 * "dport": ..., "verdict": ..., "rule": ..., "category": ..., "reason": ...}, ...], "lost": N}
 * (malloc'd, its length in *len). now is the dataplane clock, wall_ns the real time at now.
 * NULL with one line in err: a filter naming an unknown verdict, reason or rule. */
char *cp_trace_poll(struct cp_ctl *ctl, const struct cp_req_trace *r, uint64_t now,
		    uint64_t wall_ns, size_t *len, char *err, size_t errlen);

/* Close the trace once its lease has run out (the control loop, every turn). */
void cp_trace_tick(struct cp_dp *dp, uint64_t now);

#endif
