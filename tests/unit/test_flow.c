/* Unit tests of dataplane/flow: the canonical bidirectional key, insert and bulk lookup, a full
 * table, and the idle sweep. Needs the DPDK EAL (no hugepages, no PCI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eal_test.h"

#include <rte_eal.h>
#include <rte_memory.h>

#include "flow.h"

#define S 1000000000ull

static int eal_setup(void **state)
{
	(void)state;
	return cp_test_eal_init("flow", "256");
}

/* ---- packets and keys ---- */

static struct cp_pkt pkt4(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			  uint16_t dport)
{
	struct cp_pkt p;
	memset(&p, 0, sizeof(p));
	p.l3 = CP_L3_IPV4;
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	unsigned a[4], b[4];
	assert_int_equal(sscanf(src, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]), 4);
	assert_int_equal(sscanf(dst, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]), 4);
	for (int i = 0; i < 4; i++) {
		p.src[i] = (uint8_t)a[i];
		p.dst[i] = (uint8_t)b[i];
	}
	return p;
}

static struct cp_pkt reverse(const struct cp_pkt *p)
{
	struct cp_pkt r = *p;
	memcpy(r.src, p->dst, 16);
	memcpy(r.dst, p->src, 16);
	r.sport = p->dport;
	r.dport = p->sport;
	return r;
}

static bool same_key(const struct cp_pkt *x, const struct cp_pkt *y)
{
	struct cp_flow_key a, b;
	bool fa, fb;
	memset(&a, 0x55, sizeof(a));
	memset(&b, 0xaa, sizeof(b));
	cp_flow_key_make(x, &a, &fa);
	cp_flow_key_make(y, &b, &fb);
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Both directions of a flow give one key, and opposite from_a. */
static void test_key_directions(void **state)
{
	(void)state;
	struct cp_pkt cases[] = {
	    pkt4("192.0.2.1", "203.0.113.5", 6, 40000, 443),
	    pkt4("203.0.113.5", "192.0.2.1", 17, 53, 5353),
	    pkt4("10.0.0.1", "10.0.0.2", 6, 80, 80),
	    pkt4("192.0.2.1", "192.0.2.1", 6, 1000, 80), /* same address: ports decide */
	    pkt4("192.0.2.1", "192.0.2.1", 17, 80, 1000),
	    pkt4("192.0.2.7", "198.51.100.9", 1, 0x1234, 0x1234), /* ICMP echo: id both */
	    pkt4("255.255.255.255", "0.0.0.0", 6, 0, 65535),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_pkt fwd = cases[i], rev = reverse(&fwd);
		struct cp_flow_key kf, kr;
		bool af, ar;
		cp_flow_key_make(&fwd, &kf, &af);
		cp_flow_key_make(&rev, &kr, &ar);
		print_message("case %zu\n", i);
		assert_memory_equal(&kf, &kr, sizeof(kf));
		assert_int_not_equal(af, ar);
		assert_int_equal(kf.family, CP_L3_IPV4);
		assert_int_equal(kf.proto, fwd.proto);
		/* side a is the sender exactly when from_a */
		assert_memory_equal(af ? fwd.src : fwd.dst, kf.a, 4);
		assert_int_equal(kf.pa, af ? fwd.sport : fwd.dport);
	}
	/* a packet to itself: one key, and some side is a */
	struct cp_pkt self = pkt4("192.0.2.1", "192.0.2.1", 17, 9, 9);
	struct cp_flow_key k;
	bool a;
	cp_flow_key_make(&self, &k, &a);
	assert_true(a);
}

static void test_key_ipv6(void **state)
{
	(void)state;
	struct cp_pkt p;
	memset(&p, 0, sizeof(p));
	p.l3 = CP_L3_IPV6;
	p.proto = 6;
	const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x10, [15] = 5};
	const uint8_t d6[16] = {0x20, 0x01, 0x0d,
				0xb8, 0x10, [15] = 4}; /* differs only at the end */
	memcpy(p.src, s6, 16);
	memcpy(p.dst, d6, 16);
	p.sport = 1;
	p.dport = 2;
	struct cp_pkt r = reverse(&p);
	struct cp_flow_key kp, kr;
	bool ap, ar;
	cp_flow_key_make(&p, &kp, &ap);
	cp_flow_key_make(&r, &kr, &ar);
	assert_memory_equal(&kp, &kr, sizeof(kp));
	assert_false(ap); /* d6 < s6: the receiver is side a */
	assert_true(ar);
	assert_memory_equal(kp.a, d6, 16);
	assert_memory_equal(kp.b, s6, 16);
	assert_int_equal(kp.pa, 2);
	assert_int_equal(kp.family, CP_L3_IPV6);

	/* an IPv4 packet whose addresses equal the first bytes of IPv6 ones is another flow */
	struct cp_pkt v4 = pkt4("32.1.13.184", "32.1.13.184", 6, 1, 2);
	struct cp_pkt v6 = v4;
	v6.l3 = CP_L3_IPV6;
	assert_false(same_key(&v4, &v6));
}

/* What is and is not part of the key. */
static void test_key_fields(void **state)
{
	(void)state;
	const struct cp_pkt base = pkt4("192.0.2.1", "203.0.113.5", 6, 40000, 443);
	struct cp_pkt p;

	assert_true(same_key(&base, &base));
	p = base;
	p.vlan[0] = 10;
	assert_false(same_key(&base, &p));
	struct cp_pkt q = reverse(&p);
	assert_true(same_key(&p, &q)); /* VLAN kept on both directions */
	p = base;
	p.vlan[1] = 20;
	assert_false(same_key(&base, &p));
	p = base;
	p.vlan[0] = 20;
	q = base;
	q.vlan[1] = 20;
	assert_false(same_key(&p, &q)); /* outer and inner tags differ */
	p = base;
	p.proto = 17;
	assert_false(same_key(&base, &p));
	p = base;
	p.sport = 40001;
	assert_false(same_key(&base, &p));
	p = base;
	p.dst[3] = 6;
	assert_false(same_key(&base, &p));
	/* bytes past an IPv4 address, and fields outside the 5-tuple, are not part of the key */
	p = base;
	memset(p.src + 4, 0xee, 12);
	memset(p.dst + 4, 0x77, 12);
	p.tcp_flags = CP_TCP_SYN;
	p.seq = 12345;
	p.payload_len = 100;
	p.ethertype = 0x0800;
	assert_true(same_key(&base, &p));
}

/* ---- the table ---- */

/* A distinct IPv4 TCP key per i. */
static struct cp_flow_key key_n(uint32_t i)
{
	struct cp_pkt p = pkt4("10.0.0.0", "192.0.2.1", 6, 1, 80);
	struct cp_flow_key k;
	bool a;
	p.src[1] = (uint8_t)(i >> 16);
	p.src[2] = (uint8_t)(i >> 8);
	p.src[3] = (uint8_t)i;
	cp_flow_key_make(&p, &k, &a);
	return k;
}

static void test_insert_lookup(void **state)
{
	(void)state;
	enum { N = 500 };
	static struct cp_flow_key keys[2 * N];
	static int32_t pos[N];
	struct cp_flow_table t;
	assert_int_equal(cp_flow_table_init(&t, "test_il", 1024, SOCKET_ID_ANY), 0);
	assert_true(t.cap >= 1024);
	assert_non_null(t.flows);
	for (uint32_t i = 0; i < 2 * N; i++)
		keys[i] = key_n(i);
	for (uint32_t i = 0; i < N; i++) {
		pos[i] = cp_flow_insert(&t, &keys[i]);
		assert_in_range(pos[i], 0, t.cap - 1);
		for (uint32_t j = 0; j < i; j++)
			assert_int_not_equal(pos[i], pos[j]);
	}
	/* inserting again gives the same position */
	for (uint32_t i = 0; i < N; i += 7)
		assert_int_equal(cp_flow_insert(&t, &keys[i]), pos[i]);

	/* bulk lookups of present and absent keys, in bursts of up to 32, mixed */
	for (uint32_t start = 0; start < 2 * N; start += 29) {
		const struct cp_flow_key *kp[32];
		int32_t got[32];
		unsigned n = 0;
		for (uint32_t i = start; i < 2 * N && n < 32; i += 3)
			kp[n++] = &keys[i];
		cp_flow_lookup_bulk(&t, kp, n, got, NULL);
		for (unsigned k = 0; k < n; k++) {
			uint32_t i = (uint32_t)(kp[k] - keys);
			if (i < N)
				assert_int_equal(got[k], pos[i]);
			else
				assert_true(got[k] < 0);
		}
	}
	/* a reversed packet finds its flow */
	struct cp_pkt p = pkt4("192.0.2.1", "10.0.0.9", 6, 80, 1);
	struct cp_flow_key k;
	const struct cp_flow_key *kp = &k;
	int32_t got = -1;
	bool a;
	cp_flow_key_make(&p, &k, &a);
	cp_flow_lookup_bulk(&t, &kp, 1, &got, NULL);
	assert_int_equal(got, pos[9]);
	/* n = 0 touches nothing */
	got = 1234;
	cp_flow_lookup_bulk(&t, &kp, 0, &got, NULL);
	assert_int_equal(got, 1234);
	cp_flow_table_free(&t);
	assert_null(t.flows);
}

/* A full table of established flows refuses a new key with -1, still finds (and re-inserts) the
 * ones it holds, and takes new ones again once the sweep made room. */
static void test_full(void **state)
{
	(void)state;
	struct cp_flow_table t;
	assert_int_equal(cp_flow_table_init(&t, "test_full", 100, SOCKET_ID_ANY), 0);
	uint32_t n = 0; /* flows held */
	int32_t p;
	for (;;) {
		struct cp_flow_key k = key_n(n);
		p = cp_flow_insert(&t, &k);
		if (p < 0 || n > 100000)
			break;
		assert_in_range(p, 0, t.cap - 1);
		t.flows[p].last_ns = 1000 * S;
		t.flows[p].state = CP_FS_REPLIED | CP_FS_ESTABLISHED;
		n++;
	}
	print_message("held %u flows (asked for 100, cap %u)\n", n, t.cap);
	assert_int_equal(p, -1);
	assert_true(n >= 100);
	assert_true(n <= t.cap);
	assert_int_equal(t.early_drop, 0);
	struct cp_flow_key more = key_n(n + 1);
	assert_int_equal(cp_flow_insert(&t, &more), -1);
	struct cp_flow_key first = key_n(0);
	assert_true(cp_flow_insert(&t, &first) >= 0);

	/* make room: key 0's flow is idle */
	const struct cp_flow_key *kp = &first;
	int32_t pos;
	cp_flow_lookup_bulk(&t, &kp, 1, &pos, NULL);
	assert_true(pos >= 0);
	t.flows[pos].last_ns = 0;
	t.active = n;
	assert_int_equal(cp_flow_sweep(&t, 1000 * S, 120 * S, t.cap), 1);
	assert_int_equal(t.active, n - 1);
	assert_true(cp_flow_insert(&t, &more) >= 0);
	cp_flow_table_free(&t);
}

static unsigned removed_cb;

static void count_removed(struct cp_flow *f, void *arg)
{
	(void)f;
	(void)arg;
	removed_cb++;
}

/* A full table makes room for a new flow by giving up the oldest flow of the key's two buckets
 * that has not completed its handshake; established flows are never given up, and with only
 * established flows in the way the new key is refused. */
static void test_early_drop(void **state)
{
	(void)state;
	static const struct {
		unsigned established_every; /* every k-th flow established (0: none) */
		bool all_new_fit;	    /* every new key finds a flow to replace */
	} cases[] = {{0, true}, {2, true}, {1, false}};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct cp_flow_table t;
		assert_int_equal(cp_flow_table_init(&t, "test_ed", 256, SOCKET_ID_ANY), 0);
		t.on_remove = count_removed;
		removed_cb = 0;
		unsigned k = cases[c].established_every;
		for (uint32_t i = 0; i < t.cap; i++) {
			struct cp_flow_key key = key_n(i);
			int32_t p = cp_flow_insert(&t, &key);
			assert_true(p >= 0);
			t.flows[p].last_ns = i;
			if (k != 0 && i % k == 0)
				t.flows[p].state = CP_FS_REPLIED | CP_FS_ESTABLISHED;
		}
		assert_int_equal(t.active, t.cap);
		unsigned fit = 0, refused = 0;
		for (uint32_t i = t.cap; i < 2 * t.cap; i++) {
			struct cp_flow_key key = key_n(i);
			int32_t p = cp_flow_insert(&t, &key);
			if (p < 0) {
				refused++;
				continue;
			}
			fit++;
			t.flows[p].last_ns = i;
		}
		print_message("case %u: %u fit, %u refused, %lu given up\n", c, fit, refused,
			      (unsigned long)t.early_drop);
		assert_int_equal(t.active, t.cap);
		assert_int_equal(t.early_drop, fit);
		assert_int_equal(removed_cb, fit); /* each early drop calls on_remove */
		if (cases[c].all_new_fit && k == 0)
			assert_int_equal(fit, t.cap);
		if (!cases[c].all_new_fit)
			assert_int_equal(fit, 0);
		if (k == 2) /* a key whose two buckets hold only established flows is refused */
			assert_true(fit > t.cap / 2);
		/* no established flow was given up */
		for (uint32_t i = 0; i < t.cap; i++) {
			if (k == 0 || i % k != 0)
				continue;
			struct cp_flow_key key = key_n(i);
			const struct cp_flow_key *kp = &key;
			int32_t got;
			cp_flow_lookup_bulk(&t, &kp, 1, &got, NULL);
			assert_true(got >= 0);
		}
		cp_flow_table_free(&t);
	}
}

/* The sweep removes the flows idle for more than the timeout, only those, and counts them. */
static void test_sweep(void **state)
{
	(void)state;
	enum { N = 40 };
	const uint64_t now = 10000 * S, timeout = 120 * S;
	static const struct {
		uint64_t last_ns;
		bool removed;
	} idle[] = {
	    {now - 200 * S, true},
	    {now - timeout - 1, true},
	    {now - timeout, false},
	    {now - 10 * S, false},
	    {now, false},
	    {now + 5 * S, false},
	    {0, true},
	    {now - timeout + 1, false},
	};
	enum { M = sizeof(idle) / sizeof(idle[0]) };
	struct cp_flow_table t;
	int32_t pos[N];
	unsigned want = 0;
	assert_int_equal(cp_flow_table_init(&t, "test_sweep", 256, SOCKET_ID_ANY), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct cp_flow_key k = key_n(i);
		pos[i] = cp_flow_insert(&t, &k);
		assert_true(pos[i] >= 0);
		t.flows[pos[i]].last_ns = idle[i % M].last_ns;
		want += idle[i % M].removed;
	}
	t.active = N;
	/* one pass in small steps: each position is visited once */
	unsigned removed = 0;
	for (uint32_t done = 0; done < t.cap; done += 16)
		removed += cp_flow_sweep(&t, now, timeout, 16);
	assert_int_equal(removed, want);
	assert_int_equal(t.active, N - want);
	for (uint32_t i = 0; i < N; i++) {
		struct cp_flow_key k = key_n(i);
		const struct cp_flow_key *kp = &k;
		int32_t got;
		cp_flow_lookup_bulk(&t, &kp, 1, &got, NULL);
		print_message("flow %u idle case %u\n", i, i % M);
		if (idle[i % M].removed)
			assert_true(got < 0);
		else
			assert_int_equal(got, pos[i]);
	}
	/* a second pass finds nothing more to remove */
	assert_int_equal(cp_flow_sweep(&t, now, timeout, t.cap), 0);
	/* scan bounds the work: with scan 0 nothing happens */
	assert_int_equal(cp_flow_sweep(&t, now + 1000 * S, timeout, 0), 0);
	assert_int_equal(t.active, N - want);
	/* much later every flow is idle */
	assert_int_equal(cp_flow_sweep(&t, now + 1000 * S, timeout, t.cap), N - want);
	assert_int_equal(t.active, 0);
	cp_flow_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_directions), cmocka_unit_test(test_key_ipv6),
	    cmocka_unit_test(test_key_fields),	   cmocka_unit_test(test_insert_lookup),
	    cmocka_unit_test(test_full),	   cmocka_unit_test(test_early_drop),
	    cmocka_unit_test(test_sweep),
	};
	return cmocka_run_group_tests(tests, eal_setup, cp_test_eal_teardown);
}
