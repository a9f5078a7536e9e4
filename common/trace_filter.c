/* chokectl trace's filter (see trace_filter.h). */
#include "trace_filter.h"

#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "reasons.h"

_Static_assert(CP_R_MAX <= 64, "reasons fit one 64-bit set");

static const char *const verdict_names[] = {
#define CP_TF_VERDICT(id, name) name,
    CP_VERDICTS(CP_TF_VERDICT)
#undef CP_TF_VERDICT
};
#define N_VERDICTS (sizeof(verdict_names) / sizeof(verdict_names[0]))
_Static_assert(N_VERDICTS <= 8, "verdicts fit one byte");

static int empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

int cp_trace_filter_parse(const char *verdict, const char *reason, uint8_t *verdicts,
			  uint64_t *reasons, char *err, size_t errlen)
{
	*verdicts = (uint8_t)((1u << N_VERDICTS) - 1);
	*reasons = CP_R_MAX == 64 ? ~0ull : (1ull << CP_R_MAX) - 1;
	if (!empty(verdict)) {
		*verdicts = 0;
		for (unsigned v = 0; v < N_VERDICTS; v++)
			if (strcmp(verdict, verdict_names[v]) == 0)
				*verdicts = (uint8_t)(1u << v);
		if (*verdicts == 0) {
			snprintf(err, errlen, "unknown verdict \"%s\" (pass, drop or reject)",
				 verdict);
			return -1;
		}
	}
	if (!empty(reason)) {
		*reasons = 0;
		for (unsigned r = 0; r < CP_R_MAX; r++) {
			const char *v = cp_reason_verdict((enum cp_reason)r);
			if (strcmp(reason, cp_reason_name((enum cp_reason)r)) == 0 ||
			    (v != NULL && strcmp(reason, v) == 0))
				*reasons |= 1ull << r;
		}
		if (*reasons == 0) {
			snprintf(err, errlen,
				 "unknown reason \"%s\" (a drop_reason_total reason, e.g. "
				 "default-deny, or malformed)",
				 reason);
			return -1;
		}
	}
	return 0;
}
