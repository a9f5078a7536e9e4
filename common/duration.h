/* Durations as operators write them: "90", "90s", "5m", "1h", "2d". */
#ifndef CP_DURATION_H
#define CP_DURATION_H

#include <stdint.h>

/* Parse into seconds. Returns 0, or -1 for an empty, negative, unknown-unit or overflowing one. */
int cp_duration_parse(const char *s, uint64_t *seconds);

#endif
