/* Category patterns (SPEC §3) translated to Hyperscan expressions and compiled: one block-mode
 * database per name field (sni, host, dns) and one streaming database for payload. Used by
 * `chokectl check` (to reject what Hyperscan rejects, at the entry's line) and by whoever builds
 * the policy the dataplane runs. */
#ifndef CP_HS_PATTERNS_H
#define CP_HS_PATTERNS_H

#include <stddef.h>
#include <stdint.h>

#include <hs.h>

#include "diag.h"
#include "name_set.h"
#include "policy.h"

/* Database slots: one per field (name fields: their domain and exact entries, as reversed
 * literals over the reversed name; the dataplane matches these entries with the name set instead,
 * which gives the same answers, see name_set.h), and one per name field for its regex entries
 * (scanned over the name). */
enum cp_hs_slot {
	CP_DB_SNI = CP_FIELD_SNI,
	CP_DB_HOST = CP_FIELD_HOST,
	CP_DB_DNS = CP_FIELD_DNS,
	CP_DB_PAYLOAD = CP_FIELD_PAYLOAD,
	CP_DB_SNI_RE,
	CP_DB_HOST_RE,
	CP_DB_DNS_RE,
	CP_DB_MAX
};

#define CP_HS_NAME_MAX 253 /* the longest name cp_hs_scan_name looks at */

struct cp_hs_dbs {
	hs_database_t *db[CP_DB_MAX];	  /* NULL when the slot has no entries */
	unsigned *id_category[CP_DB_MAX]; /* Hyperscan match id -> category index */
	unsigned n_ids[CP_DB_MAX];
	struct cp_name_set names; /* the name slots' domain and exact entries */
};

/* The slot of an entry of field f. */
static inline int cp_hs_slot(enum cp_field f, const char *entry)
{
	return f != CP_FIELD_PAYLOAD && entry != NULL && entry[0] == '/' ? CP_DB_SNI_RE + (int)f
									 : (int)f;
}

/* Match a name (len bytes, normalized: lowercase, no trailing dot) of field f against the field's
 * domain and exact entries (the name set) and its regex database: bit c of *cats is set for each
 * category c that matched, and cat_ctr[2c] counted for each entry that matched (when not NULL).
 * scratch must fit the regex databases. Returns how many of the two the field has (and were
 * looked at). */
int cp_hs_scan_name(const struct cp_hs_dbs *dbs, enum cp_field f, const char *name, size_t len,
		    hs_scratch_t *scratch, uint64_t *cats, uint64_t *cat_ctr);

/* Translate one name entry (sni/host/dns) into a Hyperscan expression and flags:
 *  "example.com"  -> "moc\x2eelpmaxe\x2e", the literal reversed with a label boundary after it,
 *                    caseless; cp_hs_scan_name scans the name reversed with a '.' after it and
 *                    takes a match only when it starts there: example.com and every subdomain
 *                    on a label boundary, a trailing dot in the entry ignored;
 *  "=example.com" -> the same expression, matching only when it is the whole subject;
 *  "/re/flags"    -> the regex as written (no anchors added), flags i, s, m.
 * The flags returned include HS_FLAG_SINGLEMATCH (a category only needs to know an entry matched).
 * Returns 0, or -1 with a one-line message in err (e.g. "bad domain name \"a..b\""). */
int cp_hs_name_expr(const char *entry, char *expr, size_t exprlen, unsigned *flags, char *err,
		    size_t errlen);

/* Translate one payload entry: a plain string is a case-sensitive literal; "/re/flags" a regex
 * with flags i, s, m. Same return convention. */
int cp_hs_payload_expr(const char *entry, char *expr, size_t exprlen, unsigned *flags, char *err,
		       size_t errlen);

/* Compile every category of p. Each entry that fails is reported at its own line as
 * "category \"NAME\": sni entry \"...\": <hyperscan message>" (all of them, not only the first).
 * Returns 0 with out filled (whatever it held is overwritten, not freed), or -1 (out left empty)
 * when anything failed. */
int cp_hs_compile(const struct cp_policy_src *p, struct cp_hs_dbs *out, struct cp_diag *diag);
void cp_hs_free(struct cp_hs_dbs *dbs);

/* Check every entry of p on its own (translation, and a compile of each regex), reporting each bad
 * one at its line as cp_hs_compile does, without building the databases (which takes long for
 * large name lists). Returns 0 or -1. */
int cp_hs_check(const struct cp_policy_src *p, struct cp_diag *diag);

/* The match id -> category maps of p's databases as cp_hs_compile numbers them (every entry of a
 * field, categories in order), without compiling: the dataplane pairs them with databases it
 * deserialized. out->db[] are left NULL. Returns 0, or -1 when out of memory (out left empty). */
int cp_hs_ids(const struct cp_policy_src *p, struct cp_hs_dbs *out);

#endif
