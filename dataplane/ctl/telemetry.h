/* DPDK telemetry commands under /chokepoint/: stats, policy, grants (read by dpdk-telemetry.py).
 * Callbacks run on the telemetry thread: counters are read from the workers as they stand (each
 * is one aligned 64-bit word), and what the main lcore owns (policy, grants) is served from a
 * snapshot the main lcore refreshes under a lock, so that no callback touches control state. */
#ifndef CP_TELEMETRY_H
#define CP_TELEMETRY_H

#include <stdint.h>

struct cp_dp;
struct cp_ctl;

/* Register the commands (once). Returns 0 or -1. */
int cp_telemetry_register(struct cp_dp *dp);
/* Refresh the snapshot of policy and grants (main lcore, control path). */
void cp_telemetry_refresh(struct cp_ctl *ctl, uint64_t now);

#endif
