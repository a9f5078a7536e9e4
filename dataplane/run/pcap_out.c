/* A minimal pcap writer (see pcap_out.h). */
#include "pcap_out.h"

#include <string.h>

#include <rte_mbuf.h>

#define SNAPLEN 262144

int cp_pcap_open(struct cp_pcap_out *o, const char *path)
{
	const uint32_t hdr[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, SNAPLEN, 1 /* Ethernet */};
	memset(o, 0, sizeof(*o));
	if (cp_wbuf_open(&o->w, path) != 0)
		return -1;
	return cp_wbuf_write(&o->w, hdr, sizeof(hdr));
}

int cp_pcap_write_mbuf(struct cp_pcap_out *o, uint64_t ts_ns, const struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t rec[4] = {(uint32_t)(ts_ns / 1000000000u), (uint32_t)(ts_ns % 1000000000u / 1000),
			   len, len};
	if (cp_wbuf_write(&o->w, rec, sizeof(rec)) != 0)
		return -1;
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next)
		if (cp_wbuf_write(&o->w, rte_pktmbuf_mtod(s, const void *), s->data_len) != 0)
			return -1;
	o->packets++;
	return 0;
}

int cp_pcap_close(struct cp_pcap_out *o)
{
	return cp_wbuf_close(&o->w);
}
