/* libFuzzer harness: the replay events-file reader (dataplane/events.c). The input is the file's
 * text, read through a memfd. Asserts the loader's promises: events sorted by time, every kind's
 * fields set as documented, and everything freed (a leak is a finding). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diag.h"
#include "events.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_diag d;
	struct cp_event *ev;
	unsigned n;

	if (fd < 0) {
		fd = memfd_create("fuzz-events", 0);
		CHECK(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	cp_diag_init(&d);
	if (cp_events_load(path, &ev, &n, &d) == 0) {
		CHECK(d.errors == 0);
		CHECK(n == 0 || ev != NULL);
		for (unsigned i = 0; i < n; i++) {
			CHECK(ev[i].kind <= CP_EV_POLICY);
			CHECK(ev[i].line >= 1);
			if (i > 0) {
				CHECK(ev[i - 1].at_ns <= ev[i].at_ns);
				if (ev[i - 1].at_ns == ev[i].at_ns)
					CHECK(ev[i - 1].line < ev[i].line);
			}
			if (ev[i].kind == CP_EV_GRANT)
				CHECK(ev[i].for_ns > 0);
			CHECK((ev[i].kind == CP_EV_POLICY) == (ev[i].file != NULL));
			if (ev[i].file != NULL)
				CHECK(ev[i].file[0] != '\0');
		}
		cp_events_free(ev, n);
	} else {
		CHECK(d.errors > 0 && ev == NULL && n == 0);
	}
	cp_diag_free(&d);
	return 0;
}
