/* The deployment config (SPEC §4), libconfig syntax. Every problem is reported as FILE:LINE. */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "dp.h"

#define CP_CFG_DESC_DEFAULT 1024
#define CP_CFG_DESC_MIN	    64
#define CP_CFG_DESC_MAX	    16384

struct cp_config {
	struct {
		char name[32];
		char device[256];
		uint8_t role; /* enum cp_role */
	} ports[CP_MAX_PORTS];
	unsigned n_ports;
	unsigned workers;   /* default 1 */
	uint32_t flows;	    /* all workers together, default 1048576 */
	uint16_t rx_desc;   /* receive descriptors per queue, default 1024 (the port may adjust) */
	uint16_t tx_desc;   /* transmit descriptors per queue, default 1024 */
	bool xdp_prefilter; /* net_af_xdp ports load the XDP pre-filter, default true */
	char control_socket[108];
};

/* Returns 0, or -1 with every problem in diag. */
int cp_config_load(const char *path, struct cp_config *c, struct cp_diag *diag);

#endif
