/* Per-worker flow table on rte_hash (see flow.h). */
#include "flow.h"

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

int cp_flow_table_init(struct cp_flow_table *t, const char *name, uint32_t cap, int socket)
{
	struct rte_hash_parameters hp = {
	    .name = name,
	    .entries = cap < 64 ? 64 : cap,
	    .key_len = sizeof(struct cp_flow_key),
	    .hash_func = rte_hash_crc,
	    .hash_func_init_val = 0x1f2e3d4c,
	    .socket_id = socket,
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	memset(t, 0, sizeof(*t));
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		return -1;
	t->cap = rte_hash_max_key_id(t->h) + 1;
	t->flows =
	    rte_zmalloc_socket("cp_flows", (size_t)t->cap * sizeof(struct cp_flow), 64, socket);
	if (t->flows == NULL) {
		cp_flow_table_free(t);
		return -1;
	}
	return 0;
}

void cp_flow_table_free(struct cp_flow_table *t)
{
	if (t->h != NULL)
		rte_hash_free(t->h);
	rte_free(t->flows);
	memset(t, 0, sizeof(*t));
}

void cp_flow_lookup_bulk(struct cp_flow_table *t, const struct cp_flow_key **keys, unsigned n,
			 int32_t *pos)
{
	if (n > 0)
		rte_hash_lookup_bulk(t->h, (const void **)keys, n, pos);
}

int32_t cp_flow_insert(struct cp_flow_table *t, const struct cp_flow_key *k)
{
	int32_t pos = rte_hash_add_key(t->h, k);
	return pos < 0 ? -1 : pos;
}

unsigned cp_flow_sweep(struct cp_flow_table *t, uint64_t now, uint64_t timeout_ns, unsigned scan)
{
	unsigned removed = 0;
	for (unsigned i = 0; i < scan && i < t->cap; i++) {
		uint32_t p = t->sweep;
		void *key;
		t->sweep = p + 1 >= t->cap ? 0 : p + 1;
		if (rte_hash_get_key_with_position(t->h, (int32_t)p, &key) != 0)
			continue;
		if (now - t->flows[p].last_ns > timeout_ns && now > t->flows[p].last_ns) {
			if (rte_hash_del_key(t->h, key) >= 0) {
				if (t->on_remove != NULL)
					t->on_remove(&t->flows[p], t->on_remove_arg);
				t->active--;
				removed++;
			}
		}
	}
	return removed;
}
