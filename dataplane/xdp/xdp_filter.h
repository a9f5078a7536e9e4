/* The XDP pre-filter of net_af_xdp ports (dataplane/xdp/prefilter.bpf.c), from user space: what
 * its maps must hold for a policy (pure functions), finding the program the af_xdp PMD attached
 * and its maps, refilling them on every policy swap, and reading its drop counters. Main lcore
 * only; nothing here runs on the packet path.
 *
 * The maps. cp_cls4 and cp_cls6 are LPM tries holding every address class of the compiled policy
 * (struct cp_space: a class is a prefix, an address belongs to its longest match), the two roots
 * included, so the trie's longest match is the class. The value is a set of CP_XDP_CLS_* flags:
 *   - CP_XDP_CLS_INSIDE: the class lies in the policy's inside space;
 *   - CP_XDP_CLS_DROP_ONLY: every rule whose from or to matches the class drops (no pass or reject
 *     rule has the class in its from bitmap or its to bitmap). A flow is decided by a rule only if
 *     its initiator's class is in the rule's from and its responder's class in the rule's to, so
 *     any packet with an address of such a class ends in a drop (by a drop rule or the default
 *     deny), whatever its ports, protocol, payload, grants or direction.
 * cp_cfg[0] holds CP_XDP_CFG_* flags:
 *   - CP_XDP_CFG_ON: the filter drops at all (off with no policy, in monitor mode, and while the
 *     maps are being refilled);
 *   - CP_XDP_CFG_SPACE: drop packets with neither address inside (reason out-of-space). Set only
 *     when no pass or reject rule could match a flow between two outside addresses (no such rule
 *     has an outside class in its from and one in its to): the filter never drops what the
 *     dataplane could pass.
 * cp_drops is a per-CPU array of packet counts indexed by enum cp_xdp_reason. */
#ifndef CP_XDP_FILTER_H
#define CP_XDP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "policy_compile.h"

#define CP_XDP_CLS_INSIDE    1u
#define CP_XDP_CLS_DROP_ONLY 2u
#define CP_XDP_CFG_ON	     1u
#define CP_XDP_CFG_SPACE     2u
#define CP_XDP_MAX_CLASSES   262144u /* per family: max_entries of cp_cls4 / cp_cls6 */

enum cp_xdp_reason { CP_XDP_R_OUT_OF_SPACE = 0, CP_XDP_R_DROP_ONLY = 1, CP_XDP_R_MAX };

/* "out-of-space", "drop-only", or NULL. */
const char *cp_xdp_reason_name(enum cp_xdp_reason r);

/* ---- what the maps hold for a policy (pure) ---- */

struct cp_xdp_entry {
	struct cp_prefix pfx;
	uint32_t flags; /* CP_XDP_CLS_* */
};

struct cp_xdp_plan {
	struct cp_xdp_entry *e; /* IPv4 and IPv6 entries, one per class */
	unsigned n;
	uint32_t cfg; /* CP_XDP_CFG_* */
};

/* Whether every rule whose from or to matches leaf is a drop rule. */
bool cp_xdp_leaf_drop_only(const struct cp_policy_src *src, const struct cp_space *s,
			   uint32_t leaf);
/* The map contents for a policy and its compiled space. Returns 0, or -1 when memory ran out. */
int cp_xdp_plan_build(const struct cp_policy_src *src, const struct cp_space *s,
		      struct cp_xdp_plan *plan);
/* The plan that drops nothing: no entries, cfg 0 (no policy). */
void cp_xdp_plan_off(struct cp_xdp_plan *plan);
void cp_xdp_plan_free(struct cp_xdp_plan *plan);

/* ---- the program on an interface ---- */

struct cp_xdp_port {
	char name[32]; /* the port's name, for messages */
	int ifindex;
	int prog_fd, cls_fd[2], cfg_fd, drops_fd; /* -1 when closed */
	char mode[8]; /* how it is attached: "native", "generic", "offload" or "?" */
	bool broken;  /* a refill failed: left off until a refill succeeds */
};

/* The compiled-in path of prefilter.bpf.o, or $CHOKEPOINT_XDP_OBJ when set. The build
 * directory's copy is preferred while it exists (running from the build tree), then the
 * installed one. NULL when none is readable. */
const char *cp_xdp_object_path(void);

/* Find the program attached to ifindex and its maps (by name). Returns 0, or -1 with the reason
 * in err (no program, not chokepoint's, no permission). */
int cp_xdp_open_ifindex(struct cp_xdp_port *x, const char *name, int ifindex, char *err,
			size_t errlen);
/* The same from a program fd (dup'ed; e.g. one loaded for a test run). */
int cp_xdp_open_prog(struct cp_xdp_port *x, const char *name, int prog_fd, char *err,
		     size_t errlen);
void cp_xdp_close(struct cp_xdp_port *x);

/* A program a previous run left on interface ifname (killed before it could detach it: ours,
 * cp_prefilter, or the af_xdp PMD's default, xsk_def_prog) is detached, so that the port can
 * load its own; anything else is left alone. Returns 1 when one was detached (its name in what),
 * 0 when there was none to detach, -1 on error. */
int cp_xdp_detach_leftover(const char *ifname, char *what, size_t whatlen);

/* Refill the maps with plan: the filter is switched off (cfg 0), the class tries are emptied and
 * filled with plan's entries, then cfg is set to plan's. A packet seen meanwhile
 * goes to the socket (the dataplane decides it), so no packet is dropped that neither the old nor
 * the new policy would drop. Returns 0, or -1 with err (the filter is then left off). */
int cp_xdp_apply(struct cp_xdp_port *x, const struct cp_xdp_plan *plan, char *err, size_t errlen);

/* Drops per reason, summed over CPUs. Returns 0 or -1. */
int cp_xdp_read_drops(const struct cp_xdp_port *x, uint64_t out[CP_XDP_R_MAX]);

/* ---- the ports of this process that run the filter (for the counters) ---- */

/* Registers x (kept by pointer until cp_xdp_unregister_all). Returns 0, or -1 when full. */
int cp_xdp_register(struct cp_xdp_port *x);
void cp_xdp_unregister_all(void);
/* Drops of every registered port, summed. Returns false (out zeroed) when none is registered. */
bool cp_xdp_drops_total(uint64_t out[CP_XDP_R_MAX]);

#endif
