/* One request, one reply over a control socket; the policy request (see client.h). */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs.h>

#include "cfg_text.h"
#include "ctl_sock.h"
#include "hs_patterns.h"
#include "policy.h"

int cp_client_call(const char *path, const struct cp_msg_buf *req, struct cp_msg_buf *resp,
		   struct cp_reply *rep, int timeout_ms, char *err, size_t errlen)
{
	char why[256];
	struct cp_msg m;
	int fd = cp_sock_connect(path, timeout_ms, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	int rc = -1;
	if (cp_msg_send_all(fd, req, timeout_ms) != 0)
		snprintf(err, errlen, "%s: cannot send the request", path);
	else if (cp_msg_recv(fd, resp, timeout_ms, why, sizeof(why)) != 0)
		snprintf(err, errlen, "%s: no reply: %s", path, why);
	else if (cp_msg_parse(resp->data, resp->len, &m, why, sizeof(why)) != 0 ||
		 cp_reply_decode(&m, rep, why, sizeof(why)) != 0)
		snprintf(err, errlen, "%s: bad reply: %s", path, why);
	else if (rep->type == CP_MSG_ERROR)
		snprintf(err, errlen, "%.*s", (int)rep->message_len, rep->message);
	else
		rc = 0;
	close(fd);
	return rc;
}

static int put_dbs(struct cp_msg_buf *b, const struct cp_hs_dbs *dbs)
{
	for (unsigned f = 0; f < CP_DB_MAX; f++) {
		char *bytes = NULL;
		size_t len = 0;
		if (dbs->db[f] == NULL)
			continue;
		if (hs_serialize_database(dbs->db[f], &bytes, &len) != HS_SUCCESS)
			return -1;
		int rc = cp_msg_put_hs_db(b, (uint8_t)f, bytes, len);
		free(bytes);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int cp_policy_request(const char *path, uint32_t seq, struct cp_msg_buf *b, struct cp_diag *diag)
{
	size_t len = 0;
	struct cp_hs_dbs dbs;
	memset(&dbs, 0, sizeof(dbs));
	char *text = cp_cfg_read_text(path, &len, diag);
	if (text == NULL)
		return -1;
	/* Check the very text that is sent. */
	struct cp_policy_src *p = cp_policy_load_text(path, text, len, diag);
	int rc = -1;
	if (p != NULL && (p->n_categories == 0 || cp_hs_compile(p, &dbs, diag) == 0)) {
		if (cp_msg_begin(b, CP_MSG_INSTALL_POLICY, seq) == 0 &&
		    cp_msg_put_bytes(b, CP_TAG_POLICY_TEXT, text, len) == 0 &&
		    cp_msg_put_str(b, CP_TAG_POLICY_PATH, path) == 0 && put_dbs(b, &dbs) == 0 &&
		    cp_msg_end(b) == 0)
			rc = 0;
		else
			cp_diag_error(diag, path, 0, "cannot build the request: %s",
				      b->why[0] ? b->why : "too large");
	}
	cp_hs_free(&dbs);
	cp_policy_free(p);
	free(text);
	return rc;
}
