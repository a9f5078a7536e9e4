/* Writing pcap files (classic format, microsecond timestamps, Ethernet). Our own writer rather
 * than net_pcap's tx path, so that outputs carry the capture's timestamps and are byte-identical
 * from run to run; buffered (wbuf.h), so that a record costs two memcpys and no syscall. */
#ifndef CP_PCAP_OUT_H
#define CP_PCAP_OUT_H

#include <stdint.h>

#include "wbuf.h"

struct rte_mbuf;

struct cp_pcap_out {
	struct cp_wbuf w;
	uint64_t packets;
};

int cp_pcap_open(struct cp_pcap_out *o, const char *path);
/* Write an mbuf (all segments) stamped ts_ns. Returns 0 or -1. */
int cp_pcap_write_mbuf(struct cp_pcap_out *o, uint64_t ts_ns, const struct rte_mbuf *m);
/* Returns 0, or -1 when anything written since open failed. */
int cp_pcap_close(struct cp_pcap_out *o);

#endif
