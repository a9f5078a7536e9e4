/* The capture as replay reads it alongside its net_pcap port, for what the port does not give
 * exactly: each record's timestamp in nanoseconds, its captured length (to check that net_pcap
 * dropped nothing) and its bytes (for frames net_pcap chains over several mbufs). The records
 * are those libpcap gives, in its order, ending where libpcap ends or fails.
 *
 * A classic pcap file (version 2.4, Ethernet) is walked the way libpcap reads it (see capture.c)
 * in a buffer of CP_CAPTURE_BUF bytes refilled with read(2): no copy per record and a syscall per
 * buffer. Only its first CP_CAPTURE_COUNTED records are counted up front, since counting is a
 * chase through every record header. Anything else (pcapng, other versions and link type fields)
 * is read through libpcap, and counted in a pass of its own. */
#ifndef CP_CAPTURE_H
#define CP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_CAPTURE_COUNTED 65536u
#define CP_CAPTURE_BUF	   (512u << 10) /* > the largest record, 16 + 262144 bytes */

struct pcap;

struct cp_capture {
	const char *path;   /* for the message of a capture that ends early */
	bool counted;	    /* total is the number of records */
	uint64_t total;	    /* counted: the records; else at least CP_CAPTURE_COUNTED */
	uint64_t max_total; /* counted: total; else a bound from the file's size */
	uint64_t t0_ns;	    /* the first record's timestamp; 0 when there is none */
	uint64_t read;	    /* records given by cp_capture_next */
	/* The walk (buf != NULL): the file from fd, the bytes at buf[off..len) not taken yet. */
	int fd;
	uint8_t *buf;
	size_t off, len;
	bool eof;
	uint32_t snapshot; /* captured bytes libpcap hands over at most */
	bool swapped, nano;
	/* Otherwise libpcap. */
	struct pcap *p;
};

struct cp_capture_rec {
	uint64_t ts_ns;
	uint32_t caplen;
	const uint8_t *data; /* valid until the next call */
};

/* Open path. Returns 0, or -1 when it cannot be read at all. */
int cp_capture_open(struct cp_capture *c, const char *path);

/* The next record: 1, or 0 at the end. Where libpcap would fail on a record (a truncated file, a
 * length it refuses), that is the end, reported on stderr in one line. */
int cp_capture_next(struct cp_capture *c, struct cp_capture_rec *rec);

void cp_capture_close(struct cp_capture *c);

#endif
