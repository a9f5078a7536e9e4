/* verdicts.jsonl lines (SPEC §6), written into memory: the replay collector writes one per input
 * packet, so a line is put together with memcpy and a digit loop rather than stdio. */
#ifndef CP_VERDICT_OUT_H
#define CP_VERDICT_OUT_H

#include <stddef.h>
#include <stdint.h>

struct cp_meta;
struct cp_rt_policy;

/* What one line says. */
struct cp_verdict_line {
	uint32_t n;	     /* 1-based input position */
	const char *verdict; /* "pass", "drop" or "reject": written as is */
	const char *rule;    /* the deciding rule's name, NULL: null */
	const char *category;
	const char *reason;
	const char *detail; /* NULL: the line has no "detail" */
};

/* The line for the result m of a packet, its names taken from pol (may be NULL). */
void cp_verdict_line_of(struct cp_verdict_line *v, const struct cp_rt_policy *pol,
			const struct cp_meta *m);

/* At most how many bytes cp_verdict_line_put writes for v. */
size_t cp_verdict_line_room(const struct cp_verdict_line *v);

/* The line, '\n' included, into dst (room for cp_verdict_line_room(v) bytes; not
 * NUL-terminated). Returns the end of what it wrote. */
char *cp_verdict_line_put(char *dst, const struct cp_verdict_line *v);

#endif
