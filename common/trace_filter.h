/* chokectl trace's filter by verdict and reason names, resolved to bit sets: the CLI checks the
 * names before it asks, the dataplane resolves them again from the request (it trusts no input). */
#ifndef CP_TRACE_FILTER_H
#define CP_TRACE_FILTER_H

#include <stddef.h>
#include <stdint.h>

/* verdict ("" or NULL: any; else "pass", "drop" or "reject") into *verdicts (a bit per enum
 * cp_verdict), reason ("" or NULL: any; a reason's counter name, "default-deny", or its verdict
 * reason, "malformed" standing for every malformed-* reason) into *reasons (a bit per enum
 * cp_reason). 0, or -1 with one line in err naming what is accepted. */
int cp_trace_filter_parse(const char *verdict, const char *reason, uint8_t *verdicts,
			  uint64_t *reasons, char *err, size_t errlen);

#endif
