#include "duration.h"

#include <stddef.h>

int cp_duration_parse(const char *s, uint64_t *seconds)
{
	uint64_t v = 0, mult = 1;
	size_t digits = 0;

	if (s == NULL)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (digits == 0)
		return -1;
	switch (*s) {
	case '\0':
		break;
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -1;
	}
	if (*s != '\0' && s[1] != '\0')
		return -1;
	if (v > UINT64_MAX / mult / 1000000000ull) /* callers convert to nanoseconds */
		return -1;
	*seconds = v * mult;
	return 0;
}
