/* The domain and exact entries of the name fields (sni, host, dns; SPEC §3) as one hash set of
 * names, for matching an extracted name without a Hyperscan scan. A domain entry matches a name
 * that is it or ends with "." and it, an exact ("=name") entry only the name itself: what the
 * reversed-literal databases of cp_hs_compile match, so a name is matched by looking up its
 * label-boundary suffixes, shortest first: in a filter of every key's own suffixes, then in the
 * table. A suffix that is no key's suffix ends the search (no longer one can be a key), most often
 * at the top-level label. Built off the hot path; matching reads it only (no allocation, no locks)
 * and touches a few cache lines, where a scan of a 10k-literal database touches many. */
#ifndef CP_NAME_SET_H
#define CP_NAME_SET_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* One entry: its field, category and kind. Entries with the same key are consecutive. */
struct cp_name_entry {
	uint8_t field; /* CP_FIELD_SNI, _HOST or _DNS */
	uint8_t cat;   /* category index */
	uint8_t exact; /* "=name": the whole name only */
};

/* One distinct key (lowercase, no "=", no trailing dot). */
struct cp_name_key {
	uint32_t off; /* in chars */
	uint32_t first;
	uint16_t len;
	uint16_t n; /* entries from first */
};

#define CP_NAME_NONE	UINT32_MAX
#define CP_NAME_SET_MAX 253 /* longer names match nothing (no entry is longer) */

/* A hash slot: a key's hash and index, CP_NAME_NONE when empty (linear probing). */
struct cp_name_slot {
	uint32_t hash;
	uint32_t key;
};

struct cp_name_set {
	uint64_t *bloom; /* n_bloom bits (a power of two), by hash: every key suffix */
	uint32_t n_bloom;
	struct cp_name_slot *slots; /* n_slots, a power of two, at most 2/3 used */
	uint32_t n_slots;
	struct cp_name_key *keys; /* n_keys */
	uint32_t n_keys;
	struct cp_name_entry *entries; /* n_entries */
	uint32_t n_entries;
	char *chars;			/* every key's bytes */
	uint32_t n_field[CP_FIELD_MAX]; /* entries per field */
};

/* Build the set of p's domain and exact entries of every name field (regex entries are not in
 * it). Returns 0, or -1 when out of memory (out left empty). */
int cp_name_set_build(const struct cp_policy_src *p, struct cp_name_set *out);
void cp_name_set_free(struct cp_name_set *s);

/* Match name (len bytes; ASCII letters are matched caselessly) as a name of field f: bit c of
 * *cats is set for each category c of an entry that matched, and cat_ctr[2c] counted for each such
 * entry (when cat_ctr is not NULL). Returns the number of entries that matched. */
unsigned cp_name_set_match(const struct cp_name_set *s, enum cp_field f, const char *name,
			   size_t len, uint64_t *cats, uint64_t *cat_ctr);

#endif
