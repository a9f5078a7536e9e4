/* Unix stream sockets for the control protocol (ctl_msg.h): listening, connecting, checking the
 * peer, and sending and receiving whole messages with a deadline. Every descriptor made here is
 * non-blocking and close-on-exec; waits go through poll() and never outlast the timeout given.
 * A timeout_ms below 0 means no deadline. Errors are one line in (err, errlen), or errno where
 * there is no err argument. */
#ifndef CP_CTL_SOCK_H
#define CP_CTL_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctl_msg.h"

/* Listen on path. A socket file nobody listens on (a stale one) is removed; a path where another
 * process listens, or that is not a socket, is refused. The socket file is created with mode 0600
 * (the process umask is changed around bind(): not for a multi-threaded caller). The parent
 * directory must exist. Returns the listening fd, or -1. */
int cp_sock_listen(const char *path, char *err, size_t errlen);

/* Accept one connection (non-blocking, close-on-exec). Returns the fd, or -1 (errno EAGAIN when
 * none is pending). */
int cp_sock_accept(int listen_fd, char *err, size_t errlen);

/* Connect to the socket at path, waiting at most timeout_ms. Returns the fd, or -1. */
int cp_sock_connect(const char *path, int timeout_ms, char *err, size_t errlen);

/* The peer's credentials (SO_PEERCRED, as of its connect()). 0 or -1. */
int cp_sock_peer_cred(int fd, uid_t *uid, pid_t *pid);

/* True when the peer may talk to us: its uid is 0 or our effective uid (the owner of a socket file
 * this process created). False when it is anyone else or the credentials cannot be read. */
bool cp_sock_peer_allowed(int fd);

/* Write all n bytes (partial writes, EINTR), within timeout_ms. 0, or -1 with errno (ETIMEDOUT
 * when the deadline passed, EPIPE when the peer closed: never a SIGPIPE on a socket). */
int cp_sock_write_all(int fd, const void *p, size_t n, int timeout_ms);

/* Send the finished message in b (cp_msg_end succeeded). 0, or -1 with errno (EINVAL for a buffer
 * that holds no finished message). */
int cp_msg_send_all(int fd, const struct cp_msg_buf *b, int timeout_ms);

/* Receive one message into `into` (grown as needed), within timeout_ms for the whole message: the
 * header is read and checked first, and a bad one is refused before any payload byte is read
 * (close the connection then: the stream is out of step). Only the framing is checked here; the
 * payload is checked by cp_msg_view / the decoders. Returns 0 (a message: into->data[0..len)),
 * 1 (the peer closed the connection before the first byte of a message), or -1 (timeout, bad
 * header, the peer closed mid-message, I/O error; into->len is 0). */
int cp_msg_recv(int fd, struct cp_msg_buf *into, int timeout_ms, char *err, size_t errlen);

#endif
