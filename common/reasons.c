#include "reasons.h"

#include <stddef.h>

static const char *const names[CP_R_MAX] = {
#define CP_REASON_NAME(id, name, verdict) [CP_R_##id] = name,
    CP_REASONS(CP_REASON_NAME)
#undef CP_REASON_NAME
};

static const char *const verdicts[CP_R_MAX] = {
#define CP_REASON_VERDICT(id, name, verdict) [CP_R_##id] = verdict,
    CP_REASONS(CP_REASON_VERDICT)
#undef CP_REASON_VERDICT
};

const char *cp_reason_name(enum cp_reason r)
{
	return (unsigned)r < CP_R_MAX ? names[r] : "unknown";
}

const char *cp_reason_verdict(enum cp_reason r)
{
	return (unsigned)r < CP_R_MAX ? verdicts[r] : NULL;
}
