/* Reading the JSON chokepoint itself writes (counters, status): find a key, read a number, walk
 * one object's members. Not a general JSON parser: it relies on keys being unique within the
 * document's maps as chokepoint writes them, and is bounded by the NUL-terminated text. */
#ifndef CP_JSON_SCAN_H
#define CP_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* The value after "key": (the first occurrence), or NULL. */
const char *cp_js_find(const char *j, const char *key);
/* Number at key, or at key.sub when sub is not NULL; 0 when absent. */
double cp_js_num(const char *j, const char *key, const char *sub);
/* Call fn for each member of the object at obj ('{'): its name and where its value starts.
 * Returns the number of members, or -1 when obj is not an object. */
int cp_js_each(const char *obj,
	       void (*fn)(const char *name, size_t len, const char *val, void *arg), void *arg);

#endif
