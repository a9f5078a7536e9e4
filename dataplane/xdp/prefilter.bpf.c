/* chokepoint's XDP pre-filter: runs in front of the AF_XDP socket of a net_af_xdp port and drops,
 * in the kernel, the packets the dataplane would drop whatever their ports, protocol, payload or
 * grants; everything else goes to the AF_XDP socket of its queue.
 *
 * Per frame: Ethernet, up to two VLAN tags (802.1Q, 802.1ad, 0x9100), then IPv4 or IPv6
 * addresses (no extension header walk: only the addresses and, for ICMPv6, the type are read).
 * Each address is looked up in the class map of its family (an LPM trie holding every address
 * class of the policy, see dataplane/xdp_filter.h): its value says whether the class is inside
 * and whether it is drop-only. The packet is dropped when
 *   - neither address is inside and the policy lets the filter drop such packets
 *     (reason out-of-space), or
 *   - either address's class is drop-only (reason drop-only).
 * Non-IP frames, ICMPv6 neighbour discovery (types 133-137), frames too short to hold the
 * addresses and addresses no class covers go to the socket: the dataplane decides those.
 * While cp_cfg says off (no policy yet, monitor mode, a refill in progress) nothing is dropped.
 *
 * The DPDK af_xdp PMD loads this object (devarg xdp_prog=PATH) and fills xsks_map with its
 * sockets, one per queue; chokepoint fills the other maps with libbpf (dataplane/xdp_filter.c).
 * The constants below must match dataplane/xdp_filter.h. */
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define CLS_INSIDE     1u /* CP_XDP_CLS_INSIDE */
#define CLS_DROP_ONLY  2u /* CP_XDP_CLS_DROP_ONLY */
#define CFG_ON	       1u /* CP_XDP_CFG_ON */
#define CFG_SPACE      2u /* CP_XDP_CFG_SPACE */
#define R_OUT_OF_SPACE 0u /* CP_XDP_R_OUT_OF_SPACE */
#define R_DROP_ONLY    1u /* CP_XDP_R_DROP_ONLY */
#define R_MAX	       2u
#define MAX_CLASSES    262144 /* CP_XDP_MAX_CLASSES */
#define MAX_QUEUES     256

#define ETH_P_QINQ_OLD	0x9100
#define IPPROTO_ICMPV6_ 58

struct key4 {
	__u32 prefixlen;
	__u8 a[4];
};

struct key6 {
	__u32 prefixlen;
	__u8 a[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_CLASSES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct key4);
	__type(value, __u32);
} cp_cls4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_CLASSES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct key6);
	__type(value, __u32);
} cp_cls6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, R_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cp_drops SEC(".maps");

static __always_inline int to_socket(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

static __always_inline int drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&cp_drops, &reason);
	if (n != 0)
		*n += 1; /* per-CPU: no other writer */
	return XDP_DROP;
}

/* Class flags of an address, or -1 when no class covers it. */
static __always_inline long flags4(const __u8 *a)
{
	struct key4 k = {.prefixlen = 32};
	__builtin_memcpy(k.a, a, 4);
	__u32 *v = bpf_map_lookup_elem(&cp_cls4, &k);
	return v != 0 ? (long)*v : -1;
}

static __always_inline long flags6(const __u8 *a)
{
	struct key6 k = {.prefixlen = 128};
	__builtin_memcpy(k.a, a, 16);
	__u32 *v = bpf_map_lookup_elem(&cp_cls6, &k);
	return v != 0 ? (long)*v : -1;
}

static __always_inline int judge(struct xdp_md *ctx, __u32 cfg, long fs, long fd)
{
	if (fs < 0 || fd < 0)
		return to_socket(ctx);
	if (!((__u32)fs & CLS_INSIDE) && !((__u32)fd & CLS_INSIDE) && (cfg & CFG_SPACE))
		return drop(R_OUT_OF_SPACE);
	if (((__u32)fs | (__u32)fd) & CLS_DROP_ONLY)
		return drop(R_DROP_ONLY);
	return to_socket(ctx);
}

SEC("xdp")
int cp_prefilter(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	__u32 zero = 0;
	__u32 *cfg = bpf_map_lookup_elem(&cp_cfg, &zero);
	if (cfg == 0 || !(*cfg & CFG_ON))
		return to_socket(ctx);
	__u32 c = *cfg;
	__u32 off = 12; /* the ethertype or the first TPID */
	if (data + off + 2 > end)
		return to_socket(ctx);
	__u16 type = bpf_ntohs(*(const __u16 *)(data + off));
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (type != ETH_P_8021Q && type != ETH_P_8021AD && type != ETH_P_QINQ_OLD)
			break;
		off += 4;
		if (data + off + 2 > end)
			return to_socket(ctx);
		type = bpf_ntohs(*(const __u16 *)(data + off));
	}
	off += 2;
	if (type == ETH_P_IP) {
		const __u8 *ip = data + off;
		if (ip + 20 > end)
			return to_socket(ctx);
		return judge(ctx, c, flags4(ip + 12), flags4(ip + 16));
	}
	if (type == ETH_P_IPV6) {
		const __u8 *ip = data + off;
		if (ip + 40 > end)
			return to_socket(ctx);
		if (ip[6] == IPPROTO_ICMPV6_) {
			if (ip + 41 > end)
				return to_socket(ctx);
			if (ip[40] >= 133 && ip[40] <= 137)
				return to_socket(ctx); /* neighbour discovery: as non-IP */
		}
		return judge(ctx, c, flags6(ip + 8), flags6(ip + 24));
	}
	return to_socket(ctx);
}

char _license[] SEC("license") = "Dual BSD/GPL";
