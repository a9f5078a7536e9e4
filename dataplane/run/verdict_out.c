/* verdicts.jsonl lines (see verdict_out.h). The bytes are those of the stdio writer this
 * replaced: {"n": %u, "verdict": "%s", "rule": J, "category": J, "reason": J[, "detail": J]}\n
 * with J a JSON string or null (json_out.h). */
#include "verdict_out.h"

#include <string.h>

#include "counters.h"
#include "dp.h"
#include "json_out.h"
#include "payload_rt.h"
#include "policy_rt.h"

#define U32_DIGITS 10

void cp_verdict_line_of(struct cp_verdict_line *v, const struct cp_rt_policy *pol,
			const struct cp_meta *m)
{
	bool has_rule = m->rule != CP_NO_RULE && pol != NULL && m->rule < pol->n_rules;
	bool has_cat =
	    m->category != CP_NO_CAT && pol != NULL && m->category < pol->src->n_categories;
	v->n = m->n;
	v->verdict = cp_verdict_name((enum cp_verdict)m->verdict);
	v->rule = has_rule ? pol->src->rules[m->rule].name : NULL;
	v->category = has_cat ? pol->src->categories[m->category].name : NULL;
	v->reason = cp_reason_verdict((enum cp_reason)m->reason);
	/* A malformed packet also says which check it failed. */
	v->detail = v->reason != NULL && strcmp(v->reason, "malformed") == 0
			? cp_reason_name((enum cp_reason)m->reason)
			: NULL;
}

static size_t str_room(const char *s)
{
	return cp_json_str_room(s != NULL ? strlen(s) : 0);
}

size_t cp_verdict_line_room(const struct cp_verdict_line *v)
{
	static const size_t fixed =
	    sizeof("{\"n\": , \"verdict\": \"\", \"rule\": , \"category\": , "
		   "\"reason\": , \"detail\": }\n");
	return fixed + U32_DIGITS + strlen(v->verdict) + str_room(v->rule) + str_room(v->category) +
	       str_room(v->reason) + str_room(v->detail);
}

/* A string literal's bytes, without its NUL. */
#define PUT_LIT(dst, lit) (memcpy((dst), (lit), sizeof(lit) - 1), (dst) + sizeof(lit) - 1)

static char *put_u32(char *dst, uint32_t x)
{
	char tmp[U32_DIGITS];
	unsigned n = 0;
	do {
		tmp[n++] = (char)('0' + x % 10);
		x /= 10;
	} while (x != 0);
	while (n > 0)
		*dst++ = tmp[--n];
	return dst;
}

char *cp_verdict_line_put(char *dst, const struct cp_verdict_line *v)
{
	size_t vl = strlen(v->verdict);
	dst = PUT_LIT(dst, "{\"n\": ");
	dst = put_u32(dst, v->n);
	dst = PUT_LIT(dst, ", \"verdict\": \"");
	memcpy(dst, v->verdict, vl);
	dst = PUT_LIT(dst + vl, "\", \"rule\": ");
	dst = cp_json_str_mem(dst, v->rule);
	dst = PUT_LIT(dst, ", \"category\": ");
	dst = cp_json_str_mem(dst, v->category);
	dst = PUT_LIT(dst, ", \"reason\": ");
	dst = cp_json_str_mem(dst, v->reason);
	if (v->detail != NULL) {
		dst = PUT_LIT(dst, ", \"detail\": ");
		dst = cp_json_str_mem(dst, v->detail);
	}
	return PUT_LIT(dst, "}\n");
}
