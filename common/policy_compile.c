/* Address classes: every prefix the policy names, with per-rule from/to bitmaps (see the header).
 */
#include "policy_compile.h"

#include <stdlib.h>
#include <string.h>

/* What the policy can test an address for: being inside, being in set s, being in the literal
 * prefix of rule term t. Atoms are numbered: 0 = inside, 1..n_sets = sets, then literals. */
struct atom_pfx {
	struct cp_prefix pfx;
	unsigned atom;
};

struct builder {
	const struct cp_policy_src *p;
	unsigned n_atoms, atom_words;
	struct atom_pfx *ap; /* (prefix, atom) pairs, sorted */
	size_t n_ap, cap_ap;
	unsigned lit_base;
};

static int add_ap(struct builder *b, const struct cp_prefix *pfx, unsigned atom)
{
	if (b->n_ap == b->cap_ap) {
		size_t cap = b->cap_ap ? b->cap_ap * 2 : 256;
		struct atom_pfx *n = realloc(b->ap, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		b->ap = n;
		b->cap_ap = cap;
	}
	b->ap[b->n_ap].pfx = *pfx;
	b->ap[b->n_ap].atom = atom;
	b->n_ap++;
	return 0;
}

/* Pre-order of the prefix trie: by family, then address, then length (shorter first). */
static int pfx_cmp(const struct cp_prefix *a, const struct cp_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->a, b->a, 16);
	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int ap_cmp(const void *x, const void *y)
{
	const struct atom_pfx *a = x, *b = y;
	int c = pfx_cmp(&a->pfx, &b->pfx);
	if (c != 0)
		return c;
	return a->atom < b->atom ? -1 : a->atom > b->atom;
}

static unsigned literal_atom(const struct cp_policy_src *p, unsigned lit_base, unsigned rule,
			     unsigned side, unsigned term)
{
	unsigned a = lit_base;
	for (unsigned r = 0; r < rule; r++)
		a += p->rules[r].from.n + p->rules[r].to.n;
	if (side == 1)
		a += p->rules[rule].from.n;
	return a + term;
}

static int collect(struct builder *b)
{
	const struct cp_policy_src *p = b->p;
	struct cp_prefix root4 = {.family = 4}, root6 = {.family = 6};

	b->lit_base = 1 + p->n_sets;
	b->n_atoms = b->lit_base;
	for (unsigned r = 0; r < p->n_rules; r++)
		b->n_atoms += p->rules[r].from.n + p->rules[r].to.n;
	b->atom_words = (b->n_atoms + 63) / 64;

	/* The roots carry no atom; UINT32_MAX marks "none". */
	if (add_ap(b, &root4, UINT32_MAX) || add_ap(b, &root6, UINT32_MAX))
		return -1;
	for (unsigned i = 0; i < p->n_inside; i++)
		if (add_ap(b, &p->inside[i], 0))
			return -1;
	for (unsigned s = 0; s < p->n_sets; s++)
		for (unsigned i = 0; i < p->sets[s].n; i++)
			if (add_ap(b, &p->sets[s].pfx[i], 1 + s))
				return -1;
	for (unsigned r = 0; r < p->n_rules; r++) {
		const struct cp_addr_expr *side[2] = {&p->rules[r].from, &p->rules[r].to};
		for (unsigned sd = 0; sd < 2; sd++)
			for (unsigned t = 0; t < side[sd]->n; t++)
				if (side[sd]->terms[t].kind == CP_TERM_PREFIX &&
				    add_ap(b, &side[sd]->terms[t].pfx,
					   literal_atom(p, b->lit_base, r, sd, t)))
					return -1;
	}
	qsort(b->ap, b->n_ap, sizeof(*b->ap), ap_cmp);
	return 0;
}

static bool term_true(const struct cp_addr_term *t, const uint64_t *member, unsigned lit_atom)
{
	bool v;
	switch (t->kind) {
	case CP_TERM_ANY:
		v = true;
		break;
	case CP_TERM_INSIDE:
		v = cp_bit(member, 0);
		break;
	case CP_TERM_OUTSIDE:
		v = !cp_bit(member, 0);
		break;
	case CP_TERM_SET:
		v = cp_bit(member, 1 + t->set);
		break;
	default:
		v = cp_bit(member, lit_atom);
		break;
	}
	return t->negate ? !v : v;
}

static bool expr_true(const struct cp_addr_expr *e, const uint64_t *member, unsigned lit_first)
{
	if (e->n == 0)
		return true;
	for (unsigned t = 0; t < e->n; t++)
		if (term_true(&e->terms[t], member, lit_first + t))
			return true;
	return false;
}

/* Memo: membership bitset -> leaf, open addressing. */
struct memo {
	uint64_t *keys; /* cap * atom_words */
	uint32_t *leaf; /* UINT32_MAX = empty */
	size_t cap;
};

static uint64_t hash_words(const uint64_t *w, unsigned n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < n; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return h;
}

static int make_leaf(struct builder *b, struct cp_space *s, const uint64_t *member, size_t *cap_l)
{
	const struct cp_policy_src *p = b->p;
	if (s->n_leaves == *cap_l) {
		size_t cap = *cap_l * 2;
		struct cp_leaf *l = realloc(s->leaves, cap * sizeof(*l));
		uint64_t *bits = realloc(s->bits, cap * 2 * s->nwords * sizeof(uint64_t));
		if (l != NULL)
			s->leaves = l;
		if (bits != NULL)
			s->bits = bits;
		if (l == NULL || bits == NULL)
			return -1;
		*cap_l = cap;
	}
	uint64_t *from = s->bits + (size_t)s->n_leaves * 2 * s->nwords, *to = from + s->nwords;
	memset(from, 0, 2 * s->nwords * sizeof(uint64_t));
	unsigned lit = b->lit_base;
	for (unsigned r = 0; r < p->n_rules; r++) {
		const struct cp_rule *ru = &p->rules[r];
		if (expr_true(&ru->from, member, lit))
			from[r >> 6] |= 1ull << (r & 63);
		lit += ru->from.n;
		if (expr_true(&ru->to, member, lit))
			to[r >> 6] |= 1ull << (r & 63);
		lit += ru->to.n;
	}
	s->leaves[s->n_leaves].inside = cp_bit(member, 0);
	return (int)s->n_leaves++;
}

static void fix_leaf_pointers(struct cp_space *s)
{
	for (unsigned i = 0; i < s->n_leaves; i++) {
		s->leaves[i].from = s->bits + (size_t)i * 2 * s->nwords;
		s->leaves[i].to = s->leaves[i].from + s->nwords;
	}
}

static int lookup_or_make(struct builder *b, struct cp_space *s, struct memo *m,
			  const uint64_t *member, size_t *cap_l, uint32_t *leaf)
{
	unsigned w = b->atom_words;
	size_t i = hash_words(member, w) & (m->cap - 1);
	while (m->leaf[i] != UINT32_MAX) {
		if (memcmp(&m->keys[i * w], member, w * sizeof(uint64_t)) == 0) {
			*leaf = m->leaf[i];
			return 0;
		}
		i = (i + 1) & (m->cap - 1);
	}
	int l = make_leaf(b, s, member, cap_l);
	if (l < 0)
		return -1;
	memcpy(&m->keys[i * w], member, w * sizeof(uint64_t));
	m->leaf[i] = (uint32_t)l;
	*leaf = (uint32_t)l;
	return 0;
}

/* Walk the sorted (prefix, atom) pairs in trie pre-order with a stack of open ancestors; a class's
 * membership is its parent's plus its own atoms. */
static int walk(struct builder *b, struct cp_space *s)
{
	unsigned w = b->atom_words;
	size_t n = b->n_ap, depth = 0, cap_l = 64;
	uint64_t *stack = calloc((size_t)130 * w, sizeof(uint64_t)); /* depth <= 129 */
	struct cp_prefix *spfx = calloc(130, sizeof(*spfx));
	struct memo m = {0};
	int rc = -1;

	for (m.cap = 64; m.cap < 2 * n + 2;)
		m.cap *= 2;
	m.keys = calloc(m.cap * w, sizeof(uint64_t));
	m.leaf = malloc(m.cap * sizeof(uint32_t));
	s->cls = calloc(n, sizeof(*s->cls));
	s->leaves = calloc(cap_l, sizeof(*s->leaves));
	s->bits = calloc(cap_l * 2 * s->nwords, sizeof(uint64_t));
	if (!stack || !spfx || !m.keys || !m.leaf || !s->cls || !s->leaves || !s->bits)
		goto out;
	memset(m.leaf, 0xff, m.cap * sizeof(uint32_t));

	for (size_t i = 0; i < n;) {
		const struct cp_prefix *pf = &b->ap[i].pfx;
		while (depth > 0 && !cp_prefix_contains(&spfx[depth - 1], pf))
			depth--;
		uint64_t *mem = &stack[depth * w];
		if (depth > 0)
			memcpy(mem, &stack[(depth - 1) * w], w * sizeof(uint64_t));
		else
			memset(mem, 0, w * sizeof(uint64_t));
		for (; i < n && pfx_cmp(&b->ap[i].pfx, pf) == 0; i++)
			if (b->ap[i].atom != UINT32_MAX)
				mem[b->ap[i].atom >> 6] |= 1ull << (b->ap[i].atom & 63);
		spfx[depth] = *pf;
		struct cp_addr_class *c = &s->cls[s->n_cls++];
		c->pfx = *pf;
		if (lookup_or_make(b, s, &m, mem, &cap_l, &c->leaf) != 0)
			goto out;
		depth++;
	}
	fix_leaf_pointers(s);
	rc = 0;
out:
	free(stack);
	free(spfx);
	free(m.keys);
	free(m.leaf);
	return rc;
}

int cp_space_build(const struct cp_policy_src *p, struct cp_space *s)
{
	struct builder b = {.p = p};
	int rc;

	memset(s, 0, sizeof(*s));
	s->nwords = (p->n_rules + 63) / 64;
	if (s->nwords == 0)
		s->nwords = 1;
	rc = collect(&b);
	if (rc == 0)
		rc = walk(&b, s);
	free(b.ap);
	if (rc != 0)
		cp_space_free(s);
	return rc;
}

void cp_space_free(struct cp_space *s)
{
	free(s->cls);
	free(s->leaves);
	free(s->bits);
	memset(s, 0, sizeof(*s));
}

uint32_t cp_space_lookup(const struct cp_space *s, uint8_t family, const uint8_t *addr)
{
	uint32_t best = 0;
	int best_len = -1;
	for (unsigned i = 0; i < s->n_cls; i++) {
		const struct cp_prefix *pf = &s->cls[i].pfx;
		if (pf->len > best_len && cp_prefix_match(pf, family, addr)) {
			best = s->cls[i].leaf;
			best_len = pf->len;
		}
	}
	return best;
}

/* Shadowing ---------------------------------------------------------------------------------- */

static bool ports_cover(const struct cp_port_list *outer, const struct cp_port_list *inner)
{
	if (outer->n == 0)
		return true;
	if (inner->n == 0)
		return false;
	for (unsigned i = 0; i < inner->n; i++) {
		/* Walk the inner range forward through outer's ranges. */
		uint32_t at = inner->r[i].lo;
		bool moved = true;
		while (at <= inner->r[i].hi && moved) {
			moved = false;
			for (unsigned o = 0; o < outer->n; o++)
				if (outer->r[o].lo <= at && at <= outer->r[o].hi) {
					at = (uint32_t)outer->r[o].hi + 1;
					moved = true;
				}
		}
		if (at <= inner->r[i].hi)
			return false;
	}
	return true;
}

/* For one family and one side: cover[j] = the rules whose side holds at every leaf where rule j's
 * side holds (an AND over those leaves), live[j] = rule j's side holds somewhere. */
static int side_cover(const struct cp_space *s, unsigned nrules, unsigned fam, int side,
		      uint64_t *cover, bool *live)
{
	unsigned w = s->nwords;
	bool *seen = calloc(s->n_leaves, sizeof(bool));
	if (seen == NULL)
		return -1;
	memset(cover, 0xff, (size_t)nrules * w * sizeof(uint64_t));
	memset(live, 0, nrules * sizeof(bool));
	for (unsigned c = 0; c < s->n_cls; c++) {
		uint32_t li = s->cls[c].leaf;
		if (s->cls[c].pfx.family != fam || seen[li])
			continue;
		seen[li] = true;
		const uint64_t *bits = side == 0 ? s->leaves[li].from : s->leaves[li].to;
		for (unsigned j = 0; j < nrules; j++) {
			if (!cp_bit(bits, j))
				continue;
			live[j] = true;
			for (unsigned k = 0; k < w; k++)
				cover[(size_t)j * w + k] &= bits[k];
		}
	}
	free(seen);
	return 0;
}

static bool rule_covers_fields(const struct cp_rule *a, const struct cp_rule *b)
{
	if (a->n_categories > 0 || a->grant)
		return false;
	if (a->proto != CP_PROTO_ANY && a->proto != b->proto)
		return false;
	return ports_cover(&a->sport, &b->sport) && ports_cover(&a->dport, &b->dport);
}

void cp_policy_shadow_check(const struct cp_policy_src *p, struct cp_diag *d)
{
	struct cp_space s;
	unsigned n = p->n_rules, w;
	uint64_t *cov[2][2] = {{NULL}};
	bool *live[2][2] = {{NULL}};
	bool ok = cp_space_build(p, &s) == 0;

	w = s.nwords;
	for (int f = 0; ok && f < 2; f++)
		for (int sd = 0; ok && sd < 2; sd++) {
			cov[f][sd] = malloc((size_t)n * w * sizeof(uint64_t) + 8);
			live[f][sd] = malloc(n * sizeof(bool) + 1);
			ok = cov[f][sd] && live[f][sd] &&
			     side_cover(&s, n, f ? 6 : 4, sd, cov[f][sd], live[f][sd]) == 0;
		}
	if (!ok) {
		cp_diag_error(d, p->file, 0, "out of memory while compiling address classes");
		goto out;
	}
	for (unsigned j = 0; j < n; j++) {
		bool any = false;
		for (int f = 0; f < 2; f++)
			any |= live[f][0][j] && live[f][1][j];
		if (!any) {
			cp_diag_warn(d, p->file, p->rules[j].line,
				     "rule \"%s\" matches no address pair: it can never decide",
				     p->rules[j].name);
			continue;
		}
		for (unsigned i = 0; i < j; i++) {
			bool covers = rule_covers_fields(&p->rules[i], &p->rules[j]);
			for (int f = 0; covers && f < 2; f++)
				if (live[f][0][j] && live[f][1][j])
					covers = cp_bit(&cov[f][0][(size_t)j * w], i) &&
						 cp_bit(&cov[f][1][(size_t)j * w], i);
			if (covers) {
				cp_diag_warn(d, p->file, p->rules[j].line,
					     "rule \"%s\" is never reached: rule \"%s\" (line %d) "
					     "matches everything it matches first",
					     p->rules[j].name, p->rules[i].name, p->rules[i].line);
				break;
			}
		}
	}
out:
	for (int f = 0; f < 2; f++)
		for (int sd = 0; sd < 2; sd++) {
			free(cov[f][sd]);
			free(live[f][sd]);
		}
	if (ok || s.cls != NULL)
		cp_space_free(&s);
}
