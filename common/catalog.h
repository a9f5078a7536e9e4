/* The catalogue: every exported name of chokepoint in X-macro lists, written once. The enums, the
 * name tables, the Prometheus families (common/prom.c), the counters JSON (dataplane/ctl/
 * counters_out.c), telemetry (dataplane/ctl/telemetry.c) and the control protocol's name tables
 * (common/ctl_msg.c) are expansions of these lists; tests/unit/test_catalog.c checks that every
 * counter the dataplane writes has its family. Drop reasons have their list in reasons.h. */
#ifndef CP_CATALOG_H
#define CP_CATALOG_H

/* Final verdicts: X(ID, name). */
#define CP_VERDICTS(X)                                                                             \
	X(PASS, "pass")                                                                            \
	X(DROP, "drop")                                                                            \
	X(REJECT, "reject")

/* Category fields (policy.h enum cp_field, HS_DB field numbers): X(ID, name). The first
 * CP_NAME_FIELDS are names extracted from payloads (extract_total's extractor label). */
#define CP_FIELDS(X)                                                                               \
	X(SNI, "sni")                                                                              \
	X(HOST, "host")                                                                            \
	X(DNS, "dns")                                                                              \
	X(PAYLOAD, "payload")
#define CP_NAME_FIELDS 3

/* What an extractor made of a flow (extract_total's outcome label): X(ID, name). */
#define CP_EXTRACT_OUTCOMES(X)                                                                     \
	X(PARSED, "parsed")                                                                        \
	X(MALFORMED, "malformed")                                                                  \
	X(TRUNCATED, "truncated")

/* Scalar worker counters (fields of struct cp_wcounters, summed over workers): X(field, exported
 * name, help). */
#define CP_SCALAR_COUNTERS(X)                                                                      \
	X(flows_created, "flows_created_total", "Flows created")                                   \
	X(flows_evicted, "flows_evicted_total", "Flows removed after their idle timeout")          \
	X(flows_early_dropped, "flows_early_dropped_total",                                        \
	  "Flows not yet established given up to make room for a new flow in a full table")        \
	X(flows_untracked, "flows_untracked_total",                                                \
	  "Packets decided without a flow entry because the flow table was full")                  \
	X(flows_reevaluated, "flows_reevaluated_total",                                            \
	  "Flow decisions taken again after a policy or grant change")                             \
	X(injected, "injected_total", "RST and ICMP frames generated for rejects")                 \
	X(inject_failed, "inject_failed_total", "Rejects whose frames could not be generated")     \
	X(payload_retransmits, "payload_retransmits_total",                                        \
	  "TCP segments under inspection that repeated bytes already inspected")                   \
	X(payload_overlaps, "payload_overlaps_total",                                              \
	  "TCP segments under inspection that partly repeated bytes already inspected")

/* Every counter family of the counters JSON and /metrics, in the order /metrics writes them:
 * F(key, type, label, label2, help) for the others, S(field, key, help) for the scalar worker
 * counters. key is the JSON key; the metric is "chokepoint_" key. label NULL: a number; label2
 * NULL: an object of label value -> number; else label value -> {label2 value -> number}. */
#define CP_COUNTER_FAMILIES(F, S)                                                                  \
	F("packets_total", "counter", "verdict", NULL, "Packets by final verdict")                 \
	F("bytes_total", "counter", "verdict", NULL, "Bytes by final verdict")                     \
	F("rule_packets_total", "counter", "rule", NULL, "Packets decided by each rule")           \
	F("rule_bytes_total", "counter", "rule", NULL, "Bytes decided by each rule")               \
	F("category_matches_total", "counter", "category", NULL,                                   \
	  "Payload classification matches by category")                                            \
	F("category_flows_total", "counter", "category", NULL,                                     \
	  "Flows in which a category matched")                                                     \
	F("extract_total", "counter", "extractor", "outcome",                                      \
	  "Names looked for in payloads, by extractor and outcome")                                \
	F("drop_reason_total", "counter", "reason", NULL,                                          \
	  "Packets dropped or rejected, by reason")                                                \
	F("port_packets_total", "counter", "port", "direction",                                    \
	  "Packets received (rx) and sent (tx) per port")                                          \
	F("port_bytes_total", "counter", "port", "direction",                                      \
	  "Bytes received (rx) and sent (tx) per port")                                            \
	F("port_missed_total", "counter", "port", NULL,                                            \
	  "Packets the port dropped for lack of receive buffers")                                  \
	F("flows_active", "gauge", NULL, NULL, "Flows in the flow tables")                         \
	CP_SCALAR_COUNTERS(S)                                                                      \
	F("grants_active", "gauge", NULL, NULL, "Grants in force")                                 \
	F("policy_generation", "gauge", NULL, NULL, "Generation of the policy in force")           \
	F("uplink_active", "gauge", "uplink", NULL, "1 for the uplink in use, 0 for the others")   \
	F("worker_busy_ratio", "gauge", "worker", NULL,                                            \
	  "Fraction of worker loop iterations that handled packets")                               \
	F("uplink_changes_total", "counter", NULL, NULL,                                           \
	  "Times the uplink in use changed to another port")

/* Keys written as the samples of another family, with one more label of a fixed value last (the
 * XDP pre-filter's drops are drop reasons at stage "xdp"): A(key, family, label, value). */
#define CP_COUNTER_ALIASES(A) A("xdp_drop_total", "drop_reason_total", "stage", "xdp")

/* Control protocol request types (common/ctl_msg.h): X(ID, number). */
#define CP_MSG_TYPES(X)                                                                            \
	X(HELLO, 1)                                                                                \
	X(INSTALL_POLICY, 2)                                                                       \
	X(GRANT, 3)                                                                                \
	X(RENEW, 4)                                                                                \
	X(REVOKE, 5)                                                                               \
	X(SHUTOFF, 6)                                                                              \
	X(RESTORE, 7)                                                                              \
	X(UPLINK, 8)                                                                               \
	X(COUNTERS, 9)                                                                             \
	X(STATUS, 10)                                                                              \
	X(GRANTS_SET, 11)                                                                          \
	X(TRACE, 12)

/* Control protocol tags: X(ID, number, kind, min length, max length). kind names how ctl_msg.c
 * checks the value (its enum tag_kind); the bounds may use ctl_msg.h's limits. */
#define CP_TAGS(X)                                                                                 \
	X(PREFIX, 1, TK_PREFIX, CP_MSG_PREFIX_LEN, CP_MSG_PREFIX_LEN)                              \
	X(FOR_NS, 2, TK_U64_POS, 8, 8)                                                             \
	X(RENEW_NS, 3, TK_U64_POS, 8, 8)                                                           \
	X(NOW_NS, 4, TK_U64, 8, 8)                                                                 \
	X(POLICY_TEXT, 5, TK_TEXT, 1, CP_MSG_TLV_VAL_MAX)                                          \
	X(POLICY_PATH, 6, TK_TEXT, 1, CP_MSG_PATH_MAX)                                             \
	X(HS_DB, 7, TK_HS_DB, 2, CP_MSG_TLV_VAL_MAX)                                               \
	X(NAME, 8, TK_TEXT, 1, CP_MSG_NAME_MAX)                                                    \
	X(MESSAGE, 9, TK_TEXT, 0, CP_MSG_MESSAGE_MAX)                                              \
	X(JSON, 10, TK_TEXT, 0, CP_MSG_JSON_MAX)                                                   \
	X(GENERATION, 11, TK_U32, 4, 4)                                                            \
	X(GRANT_ENTRY, 12, TK_GRANT, CP_MSG_GRANT_LEN, CP_MSG_GRANT_LEN)                           \
	X(RULE, 13, TK_TEXT, 1, CP_MSG_NAME_MAX)                                                   \
	X(VERDICT, 14, TK_TEXT, 1, CP_MSG_NAME_MAX)                                                \
	X(REASON, 15, TK_TEXT, 1, CP_MSG_NAME_MAX)

#endif
