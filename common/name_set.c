/* The name fields' domain and exact entries as a hash set of names (see name_set.h). */
#include "name_set.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HASH_PAD	 8 /* zero bytes after a key or name: the hash reads whole words */
#define BLOOM_PER_SUFFIX 8 /* filter bits per key suffix, at least: 1 in 9 misses or fewer pass */

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

/* The hash of the n bytes at p, read 8 at a time: the bytes after them, up to the next multiple of
 * 8, must be zero. Word steps keep the dependency chain short: the suffixes of a name are hashed
 * independently of one another, so their steps overlap. */
static uint32_t hash_words(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	for (size_t o = 0; o < n; o += 8) {
		uint64_t w;
		memcpy(&w, p + o, sizeof(w));
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h >> 32);
}

/* A key's hash, from a zero-padded copy. */
static uint32_t hash_key(const char *k, size_t n)
{
	char b[CP_NAME_SET_MAX + HASH_PAD] = {0};
	memcpy(b, k, n);
	return hash_words(b, n);
}

/* The filter bit of a hash: other bits than the slot's (the low ones). */
static inline uint32_t bloom_bit(const struct cp_name_set *s, uint32_t h)
{
	return ((h >> 16) | (h << 16)) & (s->n_bloom - 1);
}

static inline bool bloom_has(const struct cp_name_set *s, uint32_t h)
{
	uint32_t b = bloom_bit(s, h);
	return (s->bloom[b / 64] >> (b % 64)) & 1;
}

static bool is_name_field(int f)
{
	return f == CP_FIELD_SNI || f == CP_FIELD_HOST || f == CP_FIELD_DNS;
}

/* A domain or exact entry (not a regex). */
static bool is_literal(const char *text)
{
	return text != NULL && text[0] != '/';
}

/* An entry of the set while it is built: its key (lowercase, in the chars pool) and hash. */
struct draft {
	const char *key;
	uint32_t hash;
	uint16_t len;
	struct cp_name_entry e;
};

static int draft_cmp(const void *a, const void *b)
{
	const struct draft *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->key, y->key, x->len);
}

/* Domain entry text -> key: no "=", one trailing dot dropped (as cp_hs_name_expr reads it). */
static void entry_key(const char *text, const char **k, size_t *n, bool *exact)
{
	*exact = text[0] == '=';
	*k = text + *exact;
	*n = strlen(*k);
	if (*n > 0 && (*k)[*n - 1] == '.')
		(*n)--;
}

/* Every domain and exact entry of p, keys lowercased into chars; *n gets their count. */
static struct draft *collect(const struct cp_policy_src *p, char **chars, uint32_t *n,
			     uint32_t n_field[CP_FIELD_MAX])
{
	size_t total = 0, count = 0, used = 0;
	for (unsigned c = 0; c < p->n_categories; c++)
		for (int f = 0; f < CP_FIELD_MAX; f++)
			for (unsigned k = 0; is_name_field(f) && k < p->categories[c].n_pat[f]; k++)
				if (is_literal(p->categories[c].pat[f][k].text)) {
					total += strlen(p->categories[c].pat[f][k].text);
					count++;
				}
	if (count > UINT32_MAX / 2 || total > UINT32_MAX)
		return NULL;
	struct draft *d = calloc(count + 1, sizeof(*d));
	*chars = malloc(total + 1);
	if (d == NULL || *chars == NULL) {
		free(d);
		free(*chars);
		*chars = NULL;
		return NULL;
	}
	*n = 0;
	for (unsigned c = 0; c < p->n_categories; c++)
		for (int f = 0; f < CP_FIELD_MAX; f++)
			for (unsigned k = 0; is_name_field(f) && k < p->categories[c].n_pat[f];
			     k++) {
				const char *t = p->categories[c].pat[f][k].text, *key;
				size_t len;
				bool exact;
				if (!is_literal(t))
					continue;
				entry_key(t, &key, &len, &exact);
				n_field[f]++;
				if (len == 0 || len > CP_NAME_SET_MAX)
					continue; /* it can match no name */
				char *dst = *chars + used;
				for (size_t i = 0; i < len; i++)
					dst[i] = (char)lower((uint8_t)key[i]);
				used += len;
				d[*n] = (struct draft){dst,
						       hash_key(dst, len),
						       (uint16_t)len,
						       {(uint8_t)f, (uint8_t)c, exact}};
				(*n)++;
			}
	return d;
}

/* The label-boundary suffixes of the n bytes at k: the whole, and what follows each dot (but
 * the last byte). cp_name_set_match takes a name's suffixes the same way. */
static uint32_t count_suffixes(const char *k, size_t n)
{
	uint32_t c = 1;
	for (size_t i = 0; i + 1 < n; i++)
		c += k[i] == '.';
	return c;
}

static void bloom_add(struct cp_name_set *s, uint32_t h)
{
	uint32_t b = bloom_bit(s, h);
	s->bloom[b / 64] |= 1ull << (b % 64);
}

static void bloom_add_suffixes(struct cp_name_set *s, const char *k, size_t n)
{
	bloom_add(s, hash_key(k, n));
	for (size_t i = 0; i + 1 < n; i++)
		if (k[i] == '.')
			bloom_add(s, hash_key(k + i + 1, n - i - 1));
}

static void insert_slot(struct cp_name_set *s, uint32_t hash, uint32_t key)
{
	uint32_t i = hash & (s->n_slots - 1);
	while (s->slots[i].key != CP_NAME_NONE)
		i = (i + 1) & (s->n_slots - 1);
	s->slots[i] = (struct cp_name_slot){hash, key};
}

/* The sorted drafts as keys (equal keys once), entries and slots. */
static int index_drafts(struct cp_name_set *s, const struct draft *d, uint32_t n)
{
	uint32_t n_keys = 0;
	uint64_t n_suffixes = 0;
	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || draft_cmp(&d[i - 1], &d[i]) != 0) {
			n_keys++;
			n_suffixes += count_suffixes(d[i].key, d[i].len);
		}
	s->n_slots = 16; /* at most 2/3 used: probes stay short, the table small */
	while (s->n_slots < n_keys + n_keys / 2)
		s->n_slots *= 2;
	s->n_bloom = 64;
	while (s->n_bloom < BLOOM_PER_SUFFIX * n_suffixes && s->n_bloom < (1u << 31))
		s->n_bloom *= 2;
	s->bloom = calloc(s->n_bloom / 64, sizeof(*s->bloom));
	s->slots = malloc(sizeof(*s->slots) * s->n_slots);
	s->keys = calloc(n_keys + 1, sizeof(*s->keys));
	s->entries = calloc(n + 1, sizeof(*s->entries));
	if (s->bloom == NULL || s->slots == NULL || s->keys == NULL || s->entries == NULL)
		return -1;
	for (uint32_t i = 0; i < s->n_slots; i++)
		s->slots[i] = (struct cp_name_slot){0, CP_NAME_NONE};
	for (uint32_t i = 0; i < n; i++) {
		if (i == 0 || draft_cmp(&d[i - 1], &d[i]) != 0) {
			s->keys[s->n_keys] =
			    (struct cp_name_key){(uint32_t)(d[i].key - s->chars), i, d[i].len, 0};
			insert_slot(s, d[i].hash, s->n_keys++);
			bloom_add_suffixes(s, d[i].key, d[i].len);
		}
		s->keys[s->n_keys - 1].n++;
		s->entries[i] = d[i].e;
	}
	s->n_entries = n;
	return 0;
}

/* Every distinct key's bytes once, in key order: the pool the drafts used holds each entry's
 * (the same name listed in sni, host and dns, thrice). */
static int compact_chars(struct cp_name_set *s)
{
	size_t total = 0;
	for (uint32_t k = 0; k < s->n_keys; k++)
		total += s->keys[k].len;
	char *c = malloc(total + 1);
	if (c == NULL)
		return -1;
	total = 0;
	for (uint32_t k = 0; k < s->n_keys; k++) {
		memcpy(c + total, s->chars + s->keys[k].off, s->keys[k].len);
		s->keys[k].off = (uint32_t)total;
		total += s->keys[k].len;
	}
	free(s->chars);
	s->chars = c;
	return 0;
}

int cp_name_set_build(const struct cp_policy_src *p, struct cp_name_set *out)
{
	uint32_t n = 0;
	memset(out, 0, sizeof(*out));
	struct draft *d = collect(p, &out->chars, &n, out->n_field);
	if (d == NULL) {
		cp_name_set_free(out);
		return -1;
	}
	if (n == 0) { /* nothing to match: an empty set holds no memory */
		free(d);
		free(out->chars);
		out->chars = NULL;
		return 0;
	}
	qsort(d, n, sizeof(*d), draft_cmp);
	int rc = index_drafts(out, d, n);
	free(d);
	if (rc == 0)
		rc = compact_chars(out);
	if (rc != 0)
		cp_name_set_free(out);
	return rc;
}

void cp_name_set_free(struct cp_name_set *s)
{
	free(s->bloom);
	free(s->slots);
	free(s->keys);
	free(s->entries);
	free(s->chars);
	memset(s, 0, sizeof(*s));
}

/* The entries of field f under key k: counted; an exact one only when the key is the whole name. */
static unsigned take_entries(const struct cp_name_set *s, const struct cp_name_key *k,
			     enum cp_field f, bool whole, uint64_t *cats, uint64_t *cat_ctr)
{
	unsigned hits = 0;
	for (uint32_t i = k->first; i < k->first + k->n; i++) {
		const struct cp_name_entry *e = &s->entries[i];
		if (e->field != f || (e->exact && !whole))
			continue;
		*cats |= 1ull << e->cat;
		if (cat_ctr != NULL)
			cat_ctr[e->cat * 2]++;
		hits++;
	}
	return hits;
}

/* The key equal to the n lowercase bytes at low (hash h), or NULL. */
static const struct cp_name_key *find_key(const struct cp_name_set *s, uint32_t h, const char *low,
					  size_t n)
{
	for (uint32_t i = h & (s->n_slots - 1); s->slots[i].key != CP_NAME_NONE;
	     i = (i + 1) & (s->n_slots - 1)) {
		const struct cp_name_key *k = &s->keys[s->slots[i].key];
		if (s->slots[i].hash == h && k->len == n && memcmp(s->chars + k->off, low, n) == 0)
			return k;
	}
	return NULL;
}

/* The lowercase copy of name[0..len) into low, zero-padded; the starts of its label-boundary
 * suffixes into start (the whole name first). Returns how many. */
static unsigned suffixes(const char *name, size_t len, char *low, uint8_t *start)
{
	unsigned n = 1;
	start[0] = 0;
	for (size_t i = 0; i < len; i++) {
		low[i] = (char)lower((uint8_t)name[i]);
		if (name[i] == '.' && i + 1 < len)
			start[n++] = (uint8_t)(i + 1);
	}
	memset(low + len, 0, HASH_PAD);
	return n;
}

unsigned cp_name_set_match(const struct cp_name_set *s, enum cp_field f, const char *name,
			   size_t len, uint64_t *cats, uint64_t *cat_ctr)
{
	char low[CP_NAME_SET_MAX + HASH_PAD];
	uint8_t start[CP_NAME_SET_MAX], cand[CP_NAME_SET_MAX]; /* a suffix per byte at most */
	uint32_t hash[CP_NAME_SET_MAX];
	unsigned n, m = 0, hits = 0;

	if ((unsigned)f >= CP_FIELD_MAX || s->n_field[f] == 0 || s->n_keys == 0 || len == 0 ||
	    len > CP_NAME_SET_MAX)
		return 0;
	n = suffixes(name, len, low, start);
	/* Shortest suffix first: one the filter has not seen is no key's suffix, and then no longer
	 * one can be a key (it would have this one as its suffix): the search ends there, most
	 * often at the top-level label. The slots of the others are asked for at once, so that
	 * their cache misses overlap. */
	for (unsigned c = n; c-- > 0;) {
		uint32_t h = hash_words(low + start[c], len - start[c]);
		if (!bloom_has(s, h))
			break;
		__builtin_prefetch(&s->slots[h & (s->n_slots - 1)]);
		hash[m] = h;
		cand[m++] = start[c];
	}
	for (unsigned c = 0; c < m; c++) {
		const struct cp_name_key *k = find_key(s, hash[c], low + cand[c], len - cand[c]);
		if (k != NULL)
			hits += take_entries(s, k, f, cand[c] == 0, cats, cat_ctr);
	}
	return hits;
}
