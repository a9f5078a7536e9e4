/* Live mode: ports from the deployment config (SPEC §4), workers, link watch. */
#ifndef CP_LIVE_H
#define CP_LIVE_H

/* Returns the process exit status. */
int cp_live_run(const char *config, const char *policy);

#endif
