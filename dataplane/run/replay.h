/* Replay mode (SPEC §6): a capture read through a net_pcap port the program creates, dispatched
 * by a software symmetric hash to the workers over net_ring ports, processed by the same worker
 * loop as live, and collected back in input order into verdicts.jsonl, pass.pcap, drop.pcap,
 * inject.pcap and counters.json. Virtual time is the capture's. */
#ifndef CP_REPLAY_H
#define CP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

struct cp_replay_opts {
	const char *in;
	const char *policy;
	const char *out;
	const char *events; /* NULL: none */
	unsigned workers;
	uint32_t flows; /* flow-table capacity, all workers together */
	int quiet;	/* no summary table */
};

/* EAL arguments for replay when none were given: no hugepages needed, nothing on disk, quiet,
 * one lcore per worker plus the main one, all free to float over the CPUs we may use. Fills
 * argv (16 entries) using buf for the lcore list; returns argc. */
int cp_replay_eal_args(unsigned workers, char **argv, char *buf, size_t len);

/* Checks that run before EAL init (so that a refusal is one line): the capture is readable and
 * Ethernet. Returns 0, or -1 after printing one line on stderr. */
int cp_replay_precheck(const struct cp_replay_opts *o);

/* Run it (EAL initialised). Returns the process exit status. */
int cp_replay_run(const struct cp_replay_opts *o);

#endif
