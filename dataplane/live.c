#include "live.h"

#include <stdio.h>

int cp_live_run(const char *config, const char *policy)
{
	(void)policy;
	fprintf(stderr, "chokepoint: %s: live mode not built yet\n", config);
	return 1;
}
