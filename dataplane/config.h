/* The deployment config (SPEC §4), libconfig syntax. Every problem is reported as FILE:LINE. */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stdint.h>

#include "diag.h"
#include "dp.h"

struct cp_config {
	struct {
		char name[32];
		char device[256];
		uint8_t role; /* enum cp_role */
	} ports[CP_MAX_PORTS];
	unsigned n_ports;
	unsigned workers; /* default 1 */
	uint32_t flows;	  /* all workers together, default 1048576 */
	char control_socket[108];
};

/* Returns 0, or -1 with every problem in diag. */
int cp_config_load(const char *path, struct cp_config *c, struct cp_diag *diag);

#endif
