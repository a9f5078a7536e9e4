/* Talking to a control socket (chokectl serve's, or a dataplane's: both speak common/ctl_msg.h):
 * one request, one reply. And the one request every sender builds the same way: a policy. */
#ifndef CP_CLIENT_H
#define CP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_msg.h"
#include "diag.h"

/* Send req (ended) on socket path and read the reply into resp; rep points into resp. Returns 0
 * for a success reply, -1 with a one-line reason in err (the peer's ERROR message, or what went
 * wrong on the way). */
int cp_client_call(const char *path, const struct cp_msg_buf *req, struct cp_msg_buf *resp,
		   struct cp_reply *rep, int timeout_ms, char *err, size_t errlen);

/* Load and check the policy at path, compile its Hyperscan databases, and build the
 * INSTALL_POLICY request: the text, the path and the serialized databases. Problems go to diag
 * (FILE:LINE). Returns 0 or -1. */
int cp_policy_request(const char *path, uint32_t seq, struct cp_msg_buf *b, struct cp_diag *diag);

#endif
