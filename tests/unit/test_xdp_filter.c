/* Unit tests of dataplane/xdp_filter: which address classes are drop-only and inside, and when
 * out-of-space drops are allowed (pure functions over policies written as text), then the XDP
 * program itself (dataplane/xdp/prefilter.bpf.o) on crafted frames with BPF_PROG_TEST_RUN, its
 * maps filled by cp_xdp_apply and its counters read by cp_xdp_read_drops. The program part is
 * skipped when the object cannot be loaded (no BPF permission). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdp_filter.h"

/* ---- policies ---- */

/* bad is drop-only except its upper half (ok), which the web rule may reach; good may open
 * flows to the inside; no rule passes a flow between two outside addresses. */
static const char pol_base[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/28\", \"2001:db8:1::/113\" ];\n"
    "sets = { bad = [ \"203.0.113.0/24\", \"2001:db8:bad::/48\" ];\n"
    "         ok = [ \"203.0.113.128/25\" ];\n"
    "         good = [ \"198.51.100.0/24\" ]; };\n"
    "rules = (\n"
    "  { name = \"block-from-bad\"; action = \"drop\"; from = \"@bad\"; },\n"
    "  { name = \"web\"; action = \"pass\"; from = \"inside\"; to = [ \"!@bad\", \"@ok\" ];\n"
    "    proto = \"tcp\"; dport = 80; },\n"
    "  { name = \"in\"; action = \"pass\"; from = \"@good\"; to = \"inside\"; },\n"
    "  { name = \"deny\"; action = \"drop\"; }\n"
    ");\n";

/* The same with a rule passing flows between two outside addresses (good to good). */
static const char pol_transit[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/28\", \"2001:db8:1::/113\" ];\n"
    "sets = { bad = [ \"203.0.113.0/24\", \"2001:db8:bad::/48\" ];\n"
    "         good = [ \"198.51.100.0/24\" ]; };\n"
    "rules = (\n"
    "  { name = \"web\"; action = \"pass\"; from = \"inside\"; to = \"!@bad\"; },\n"
    "  { name = \"transit\"; action = \"pass\"; from = \"@good\"; to = \"@good\"; }\n"
    ");\n";

/* Monitor mode: the filter must drop nothing. */
static const char pol_monitor[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/28\" ];\n"
    "sets = { bad = [ \"203.0.113.0/24\" ]; };\n"
    "rules = ( { name = \"web\"; action = \"pass\"; from = \"inside\"; to = \"!@bad\"; } );\n"
    "settings = { monitor = true; };\n";

/* bad reached only by a reject rule: not drop-only (the reject sends an RST). */
static const char pol_reject[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/28\" ];\n"
    "sets = { bad = [ \"203.0.113.0/24\" ]; };\n"
    "rules = (\n"
    "  { name = \"web\"; action = \"pass\"; from = \"inside\"; to = \"!@bad\"; },\n"
    "  { name = \"rst\"; action = \"reject\"; from = \"inside\"; to = \"@bad\"; }\n"
    ");\n";

/* bad reached only by a grant rule: not drop-only (a grant may pass it). */
static const char pol_grant[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/28\" ];\n"
    "sets = { bad = [ \"203.0.113.0/24\" ]; };\n"
    "rules = (\n"
    "  { name = \"web\"; action = \"pass\"; from = \"inside\"; to = \"!@bad\"; },\n"
    "  { name = \"g\"; action = \"pass\"; from = \"inside\"; to = \"@bad\"; grant = true; }\n"
    ");\n";

/* bad as the initiator side of a pass rule: not drop-only (inbound from bad passes). */
static const char pol_from_bad[] =
    "version = 1;\n"
    "inside = [ \"192.0.2.0/28\" ];\n"
    "sets = { bad = [ \"203.0.113.0/24\" ]; };\n"
    "rules = (\n"
    "  { name = \"web\"; action = \"pass\"; from = \"inside\"; to = \"!@bad\"; },\n"
    "  { name = \"inbound\"; action = \"pass\"; from = \"@bad\"; to = \"inside\"; }\n"
    ");\n";

struct built {
	struct cp_policy_src *src;
	struct cp_space space;
	struct cp_xdp_plan plan;
};

static void build(const char *text, struct built *b)
{
	struct cp_diag d;
	cp_diag_init(&d);
	b->src = cp_policy_load_text("test.conf", text, strlen(text), &d);
	for (unsigned i = 0; b->src == NULL && i < d.n; i++)
		print_message("  load: %s\n", d.lines[i]);
	cp_diag_free(&d);
	assert_non_null(b->src);
	assert_int_equal(cp_space_build(b->src, &b->space), 0);
	assert_int_equal(cp_xdp_plan_build(b->src, &b->space, &b->plan), 0);
}

static void unbuild(struct built *b)
{
	cp_xdp_plan_free(&b->plan);
	cp_space_free(&b->space);
	cp_policy_free(b->src);
}

/* Flags of addr by longest match over the plan's entries, as the LPM trie answers; -1 when no
 * entry covers it. */
static long plan_lookup(const struct cp_xdp_plan *plan, const char *addr)
{
	struct cp_prefix a;
	int best = -1;
	assert_int_equal(cp_addr_parse(addr, &a), 0);
	for (unsigned i = 0; i < plan->n; i++)
		if (cp_prefix_contains(&plan->e[i].pfx, &a) &&
		    (best < 0 || plan->e[i].pfx.len > plan->e[best].pfx.len))
			best = (int)i;
	return best < 0 ? -1 : (long)plan->e[best].flags;
}

#define IN CP_XDP_CLS_INSIDE
#define DO CP_XDP_CLS_DROP_ONLY

static void test_plan_classes(void **state)
{
	(void)state;
	static const struct {
		const char *policy, *addr;
		long flags;
	} cases[] = {
	    {pol_base, "192.0.2.1", IN},       /* inside, reached by web and in */
	    {pol_base, "2001:db8:1::5", IN},   /* inside IPv6 */
	    {pol_base, "203.0.113.5", DO},     /* bad: only drop rules involve it */
	    {pol_base, "2001:db8:bad::1", DO}, /* bad IPv6 */
	    {pol_base, "203.0.113.200", 0},    /* nested ok: web may reach it */
	    {pol_base, "198.51.100.7", 0},     /* good: may open flows inward */
	    {pol_base, "192.0.2.100", 0},      /* the IPv4 root: web may reach it */
	    {pol_base, "2001:db8:2::1", 0},    /* the IPv6 root */
	    {pol_transit, "203.0.113.5", DO},  /* no pass rule's to or from has bad */
	    {pol_transit, "198.51.100.7", 0},  /* transit */
	    {pol_reject, "203.0.113.5", 0},    /* reject is not a drop */
	    {pol_grant, "203.0.113.5", 0},     /* a grant may pass it */
	    {pol_from_bad, "203.0.113.5", 0},  /* bad may initiate */
	    {pol_monitor, "203.0.113.5", DO},  /* flags as always; cfg turns it off */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct built b;
		build(cases[i].policy, &b);
		long got = plan_lookup(&b.plan, cases[i].addr);
		if (got != cases[i].flags)
			fail_msg("case %zu (%s): flags %ld, want %ld", i, cases[i].addr, got,
				 cases[i].flags);
		unbuild(&b);
	}
}

static void test_plan_cfg(void **state)
{
	(void)state;
	static const struct {
		const char *policy;
		uint32_t cfg;
	} cases[] = {
	    {pol_base, CP_XDP_CFG_ON | CP_XDP_CFG_SPACE},
	    {pol_transit, CP_XDP_CFG_ON}, /* good to good may pass: no out-of-space drops */
	    {pol_monitor, 0},		  /* monitor forwards everything */
	    {pol_reject, CP_XDP_CFG_ON | CP_XDP_CFG_SPACE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct built b;
		build(cases[i].policy, &b);
		if (b.plan.cfg != cases[i].cfg)
			fail_msg("case %zu: cfg %u, want %u", i, b.plan.cfg, cases[i].cfg);
		/* One entry per class, both roots included. */
		assert_int_equal(b.plan.n, b.space.n_cls);
		assert_int_not_equal(plan_lookup(&b.plan, "192.0.2.200"), -1);
		assert_int_not_equal(plan_lookup(&b.plan, "2001:db8:ffff::1"), -1);
		unbuild(&b);
	}
}

static void test_plan_off_and_names(void **state)
{
	(void)state;
	struct cp_xdp_plan p;
	cp_xdp_plan_off(&p);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.cfg, 0);
	cp_xdp_plan_free(&p);
	assert_string_equal(cp_xdp_reason_name(CP_XDP_R_OUT_OF_SPACE), "out-of-space");
	assert_string_equal(cp_xdp_reason_name(CP_XDP_R_DROP_ONLY), "drop-only");
	assert_null(cp_xdp_reason_name(CP_XDP_R_MAX));
}

/* ---- the program on crafted frames ---- */

enum { F_ETH = 0, F_VLAN1, F_VLAN2 };

/* An Ethernet frame (with 0, 1 or 2 VLAN tags) carrying an IPv4 or IPv6 header from src to dst
 * (proto, then 8 bytes of L4 whose first is l4_type); returns its length. */
static size_t frame(uint8_t *f, int tags, const char *src, const char *dst, uint8_t proto,
		    uint8_t l4_type)
{
	struct cp_prefix s, d;
	size_t off = 12;
	assert_int_equal(cp_addr_parse(src, &s), 0);
	assert_int_equal(cp_addr_parse(dst, &d), 0);
	memset(f, 0, 128);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (int t = 0; t < tags; t++) {
		f[off] = t == 0 && tags == 2 ? 0x88 : 0x81;
		f[off + 1] = t == 0 && tags == 2 ? 0xa8 : 0x00;
		f[off + 3] = (uint8_t)(10 + t);
		off += 4;
	}
	if (s.family == 4) {
		f[off] = 0x08, f[off + 1] = 0x00;
		uint8_t *ip = f + off + 2;
		ip[0] = 0x45, ip[3] = 28, ip[8] = 64, ip[9] = proto;
		memcpy(ip + 12, s.a, 4);
		memcpy(ip + 16, d.a, 4);
		ip[20] = l4_type;
		return off + 2 + 28;
	}
	f[off] = 0x86, f[off + 1] = 0xdd;
	uint8_t *ip = f + off + 2;
	ip[0] = 0x60, ip[5] = 8, ip[6] = proto, ip[7] = 255;
	memcpy(ip + 8, s.a, 16);
	memcpy(ip + 24, d.a, 16);
	ip[40] = l4_type;
	return off + 2 + 48;
}

struct loaded_prog {
	struct bpf_object *obj;
	int prog_fd;
	struct cp_xdp_port port;
};

static int no_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static int load_prog(struct loaded_prog *lp)
{
	char err[256];
	const char *path = cp_xdp_object_path();
	memset(lp, 0, sizeof(*lp));
	if (path == NULL) {
		print_message("  prefilter.bpf.o not found\n");
		return -1;
	}
	libbpf_set_print(no_print);
	lp->obj = bpf_object__open_file(path, NULL);
	if (libbpf_get_error(lp->obj) != 0 || bpf_object__load(lp->obj) != 0) {
		print_message("  cannot load %s (no BPF permission?)\n", path);
		if (libbpf_get_error(lp->obj) == 0)
			bpf_object__close(lp->obj);
		return -1;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(lp->obj, "cp_prefilter");
	assert_non_null(prog);
	lp->prog_fd = bpf_program__fd(prog);
	assert_int_equal(cp_xdp_open_prog(&lp->port, "test", lp->prog_fd, err, sizeof(err)), 0);
	return 0;
}

static void unload_prog(struct loaded_prog *lp)
{
	cp_xdp_close(&lp->port);
	bpf_object__close(lp->obj);
}

static int run(int prog_fd, const uint8_t *f, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)len, .repeat = 1);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
	return (int)o.retval;
}

static void apply_policy(struct loaded_prog *lp, const char *text)
{
	struct built b;
	char err[256];
	build(text, &b);
	if (cp_xdp_apply(&lp->port, &b.plan, err, sizeof(err)) != 0)
		fail_msg("cp_xdp_apply: %s", err);
	unbuild(&b);
}

#define TCP	6
#define ICMP6	58
#define V_DROP	XDP_DROP
#define V_PASS	XDP_PASS /* no socket in xsks_map: bpf_redirect_map's fallback */
#define R_SPACE CP_XDP_R_OUT_OF_SPACE
#define R_DO	CP_XDP_R_DROP_ONLY

struct frame_case {
	const char *what;
	int tags;
	const char *src, *dst;
	uint8_t proto, l4_type;
	int verdict;
	int reason; /* counter that must rise by one, -1 none */
};

static void run_cases(struct loaded_prog *lp, const struct frame_case *c, size_t n)
{
	uint8_t f[128];
	for (size_t i = 0; i < n; i++) {
		uint64_t before[CP_XDP_R_MAX], after[CP_XDP_R_MAX];
		assert_int_equal(cp_xdp_read_drops(&lp->port, before), 0);
		size_t len = frame(f, c[i].tags, c[i].src, c[i].dst, c[i].proto, c[i].l4_type);
		int v = run(lp->prog_fd, f, len);
		if (v != c[i].verdict)
			fail_msg("%s: verdict %d, want %d", c[i].what, v, c[i].verdict);
		assert_int_equal(cp_xdp_read_drops(&lp->port, after), 0);
		for (int r = 0; r < CP_XDP_R_MAX; r++)
			if (after[r] - before[r] != (uint64_t)(r == c[i].reason))
				fail_msg("%s: counter %s rose by %lu", c[i].what,
					 cp_xdp_reason_name((enum cp_xdp_reason)r),
					 (unsigned long)(after[r] - before[r]));
	}
}

static void test_prog_frames(void **state)
{
	(void)state;
	struct loaded_prog lp;
	if (load_prog(&lp) != 0)
		skip();
	/* Before any policy (cfg 0) nothing is dropped. */
	static const struct frame_case before[] = {
	    {"no policy: out-of-space", F_ETH, "198.51.100.7", "192.0.2.100", TCP, 0, V_PASS, -1},
	};
	run_cases(&lp, before, 1);

	apply_policy(&lp, pol_base);
	static const struct frame_case base[] = {
	    {"inside to good", F_ETH, "192.0.2.1", "198.51.100.7", TCP, 0, V_PASS, -1},
	    {"good to inside", F_ETH, "198.51.100.7", "192.0.2.1", TCP, 0, V_PASS, -1},
	    {"inside to inside", F_ETH, "192.0.2.1", "192.0.2.2", TCP, 0, V_PASS, -1},
	    {"outside to outside", F_ETH, "198.51.100.7", "192.0.2.100", TCP, 0, V_DROP, R_SPACE},
	    {"inside to bad", F_ETH, "192.0.2.1", "203.0.113.5", TCP, 0, V_DROP, R_DO},
	    {"bad to inside", F_ETH, "203.0.113.5", "192.0.2.1", TCP, 0, V_DROP, R_DO},
	    {"nested ok to inside", F_ETH, "203.0.113.200", "192.0.2.1", TCP, 0, V_PASS, -1},
	    {"vlan outside to outside", F_VLAN1, "198.51.100.7", "203.0.113.200", TCP, 0, V_DROP,
	     R_SPACE},
	    {"qinq inside to bad", F_VLAN2, "192.0.2.3", "203.0.113.9", TCP, 0, V_DROP, R_DO},
	    {"qinq inside to good", F_VLAN2, "192.0.2.3", "198.51.100.9", TCP, 0, V_PASS, -1},
	    {"v6 inside to outside", F_ETH, "2001:db8:1::5", "2001:db8:2::1", TCP, 0, V_PASS, -1},
	    {"v6 outside to outside", F_ETH, "2001:db8:2::1", "2001:db8:3::1", TCP, 0, V_DROP,
	     R_SPACE},
	    {"v6 bad to inside", F_VLAN1, "2001:db8:bad::1", "2001:db8:1::5", TCP, 0, V_DROP, R_DO},
	    {"v6 neighbour solicitation", F_ETH, "fe80::1", "ff02::1:ff00:1", ICMP6, 135, V_PASS,
	     -1},
	    {"v6 echo request outside", F_ETH, "fe80::1", "ff02::1", ICMP6, 128, V_DROP, R_SPACE},
	};
	run_cases(&lp, base, sizeof(base) / sizeof(base[0]));

	/* Frames the program does not judge: ARP, a truncated IPv4 header, three VLAN tags' worth
	 * of a header that is not IP. */
	uint8_t f[128];
	memset(f, 0, sizeof(f));
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	assert_int_equal(run(lp.prog_fd, f, 60), V_PASS);
	f[12] = 0x08, f[13] = 0x00; /* IPv4, 10 bytes of header */
	assert_int_equal(run(lp.prog_fd, f, 24), V_PASS);
	f[12] = 0x81, f[13] = 0x00, f[16] = 0x81, f[17] = 0x00, f[20] = 0x81, f[21] = 0x00;
	assert_int_equal(run(lp.prog_fd, f, 60), V_PASS); /* a third tag: not parsed further */

	/* A swap to a policy that passes outside-to-outside flows: no out-of-space drops, bad
	 * still drop-only. */
	apply_policy(&lp, pol_transit);
	static const struct frame_case transit[] = {
	    {"transit good to good", F_ETH, "198.51.100.7", "198.51.100.8", TCP, 0, V_PASS, -1},
	    {"transit outside to outside", F_ETH, "192.0.2.100", "198.51.100.8", TCP, 0, V_PASS,
	     -1},
	    {"transit inside to bad", F_ETH, "192.0.2.1", "203.0.113.5", TCP, 0, V_DROP, R_DO},
	    {"transit old nested ok", F_ETH, "203.0.113.200", "192.0.2.1", TCP, 0, V_DROP, R_DO},
	};
	run_cases(&lp, transit, sizeof(transit) / sizeof(transit[0]));

	/* Monitor mode: nothing dropped. */
	apply_policy(&lp, pol_monitor);
	static const struct frame_case monitor[] = {
	    {"monitor inside to bad", F_ETH, "192.0.2.1", "203.0.113.5", TCP, 0, V_PASS, -1},
	    {"monitor outside to outside", F_ETH, "198.51.100.7", "192.0.2.100", TCP, 0, V_PASS,
	     -1},
	};
	run_cases(&lp, monitor, sizeof(monitor) / sizeof(monitor[0]));

	/* Back to the base policy: the stale classes of the others are gone. */
	apply_policy(&lp, pol_base);
	run_cases(&lp, base, sizeof(base) / sizeof(base[0]));
	unload_prog(&lp);
}

/* Opening a program that is not chokepoint's fails with a reason. */
static void test_open_foreign_prog(void **state)
{
	(void)state;
	struct cp_xdp_port x;
	char err[256] = "";
	struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = XDP_PASS},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign", "GPL", insns, 2, NULL);
	if (fd < 0)
		skip();
	assert_int_equal(cp_xdp_open_prog(&x, "test", fd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not chokepoint's"));
	assert_int_equal(x.cfg_fd, -1);
	close(fd);
	/* An interface without a program. */
	assert_int_equal(cp_xdp_open_ifindex(&x, "lo", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no XDP program"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_classes),       cmocka_unit_test(test_plan_cfg),
	    cmocka_unit_test(test_plan_off_and_names), cmocka_unit_test(test_prog_frames),
	    cmocka_unit_test(test_open_foreign_prog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
