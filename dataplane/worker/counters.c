/* Counter names and summing (see counters.h). */
#include "counters.h"

static const char *const verdict_names[CP_V_MAX] = {
#define CP_VERDICT_NAME(id, name) [CP_V_##id] = name,
    CP_VERDICTS(CP_VERDICT_NAME)
#undef CP_VERDICT_NAME
};

const char *cp_verdict_name(enum cp_verdict v)
{
	return (unsigned)v < CP_V_MAX ? verdict_names[v] : "unknown";
}

void cp_wcounters_add(struct cp_wcounters *s, const struct cp_wcounters *w)
{
	/* Every field is a uint64_t: add them word by word. */
	const uint64_t *src = (const uint64_t *)w;
	uint64_t *dst = (uint64_t *)s;
	for (size_t i = 0; i < sizeof(*w) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}
