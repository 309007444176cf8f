/* peer.h: a message connection over a Unix socket on libevent, used by every
 * process for every link.  Write interest is armed only while output is
 * queued; a malformed or oversized message is logged and reported to the
 * owner exactly like EOF: as a NULL message ("the peer is gone"). */
#ifndef BINLOGD_PEER_H
#define BINLOGD_PEER_H

#include <event2/event.h>

#include "msg.h"

struct peer;

/* msg is NULL when the peer is gone (EOF, error, protocol violation); the
 * callback must then peer_free() it (or exit). */
typedef void (*peer_dispatch_fn)(struct peer *, struct msg_in *msg,
	    void *arg);

struct peer *peer_new(struct event_base *, int fd, const char *name,
	    peer_dispatch_fn, void *arg);
void	 peer_free(struct peer *);
const char *peer_name(const struct peer *);
int	 peer_fd(const struct peer *);
uint32_t peer_next_id(struct peer *);

/* Queues the finished message (and frees nothing: the caller owns m). */
void	 peer_send(struct peer *, struct msg_out *m);
/* As peer_send, passing fd along with the message (SCM_RIGHTS).  The fd is
 * closed once sent. */
void	 peer_send_fd(struct peer *, struct msg_out *m, int fd);
/* The oldest fd received and not yet taken, or -1. */
int	 peer_take_fd(struct peer *);
/* Writes out whatever is queued, blocking up to timeout_ms; -1 on error or
 * timeout.  For exit paths, where the event loop will not run again. */
int	 peer_flush(struct peer *, int timeout_ms);
/* Bytes still queued for writing. */
size_t	 peer_queued(const struct peer *);

#endif
