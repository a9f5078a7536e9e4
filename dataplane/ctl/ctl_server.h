/* The dataplane's control socket (main lcore): a unix socket, mode 0600, peers checked with
 * SO_PEERCRED, speaking common/ctl_msg.h. It never blocks: connections are read as bytes arrive
 * and a message is handled once it is whole, so a slow or dead peer costs nothing but its own
 * buffer. Each request is applied through cp_ctl (all or nothing) and answered. */
#ifndef CP_CTL_SERVER_H
#define CP_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_msg.h"

struct cp_ctl;

#define CP_CTL_SERVER_CONNS 8

struct cp_ctl_conn {
	int fd;		      /* -1: free slot */
	struct cp_msg_buf in; /* bytes of the message being read */
	size_t want;	      /* bytes the current message needs: header first, then all of it */
	uint64_t since_ns;    /* when the current message began: a peer that stalls is dropped */
};

struct cp_ctl_server {
	int listen_fd;
	char path[108];
	struct cp_ctl_conn conn[CP_CTL_SERVER_CONNS];
	uint64_t requests, refused; /* counted for status */
};

/* Listen on path. Returns 0, or -1 with a message in err. */
int cp_ctl_server_open(struct cp_ctl_server *s, const char *path, char *err, size_t errlen);
/* Accept, read and answer whatever is ready, waiting at most timeout_ms. now_ns is the
 * dataplane clock (grants given now start now). */
void cp_ctl_server_poll(struct cp_ctl_server *s, struct cp_ctl *ctl, int timeout_ms,
			uint64_t now_ns);
void cp_ctl_server_close(struct cp_ctl_server *s);

/* Handle one whole request message (exposed for tests): fills reply. */
void cp_ctl_server_handle(struct cp_ctl *ctl, const struct cp_msg *m, uint64_t now_ns,
			  struct cp_msg_buf *reply);

#endif
