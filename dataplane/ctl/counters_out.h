/* Counters summed over workers and written out: counters.json (SPEC §6, §7) and the replay
 * summary table. */
#ifndef CP_COUNTERS_OUT_H
#define CP_COUNTERS_OUT_H

#include <stdint.h>
#include <stdio.h>

struct cp_dp;
struct cp_ctl;

/* The JSON object: keys are SPEC §7's metric names without the "chokepoint_" prefix. */
void cp_counters_json(FILE *f, struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now);
/* DIR/counters.json. Returns 0 or -1. */
int cp_counters_write_file(struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now, const char *dir);
void cp_counters_summary(FILE *f, struct cp_dp *dp, struct cp_ctl *ctl, uint64_t now,
			 const char *in, const char *out);

#endif
