/* Starting and stopping the DPDK EAL for unit tests that need it: no hugepages, no PCI, no files
 * shared with other processes, quiet. */
#ifndef CP_EAL_TEST_H
#define CP_EAL_TEST_H

#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>

/* memory_mb: DPDK memory to reserve (a runtime policy takes up to about 128 MiB). */
static inline int cp_test_eal_init(const char *name, const char *memory_mb)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=test-%s-%d", name, (int)getpid());
	char *argv[] = {"test",
			"--no-huge",
			"-m",
			(char *)memory_mb,
			"--no-shconf",
			"--no-pci",
			"--no-telemetry",
			"--log-level=*:error",
			prefix,
			"-l",
			"0",
			NULL};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	return rte_eal_init(argc, argv) < 0 ? -1 : 0;
}

static inline int cp_test_eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

#endif
