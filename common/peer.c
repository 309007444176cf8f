/* peer.c: message links over Unix sockets on libevent, shared by every
 * process: framing by msgpack's streaming unpacker, a size cap, fd passing,
 * and "peer gone" delivered as a NULL message. */
#include "build.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "log.h"
#include "peer.h"
#include "util.h"

#define PEER_READ_CHUNK	(64 * 1024)
#define PEER_MAX_FDS	8

struct peer_fd_out {
	size_t	at;		/* offset in the output of the message */
	int	fd;
};

struct peer {
	struct event_base	*base;
	int			 fd;
	char			 name[64];
	struct event		*ev_read;
	struct event		*ev_write;
	struct evbuffer		*out;
	struct peer_fd_out	 fds_out[PEER_MAX_FDS];
	int			 nfds_out;
	int			 fds_in[PEER_MAX_FDS];
	int			 nfds_in;
	msgpack_unpacker	 unp;
	peer_dispatch_fn	 dispatch;
	void			*arg;
	uint32_t		 next_id;
	int			 in_dispatch;
	int			 freed;		/* peer_free() during dispatch */
	int			 gone;		/* NULL already delivered */
};

static void peer_read_cb(evutil_socket_t, short, void *);
static void peer_write_cb(evutil_socket_t, short, void *);

struct peer *
peer_new(struct event_base *base, int fd, const char *name,
    peer_dispatch_fn dispatch, void *arg)
{
	struct peer *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("peer_new");
	p->base = base;
	p->fd = fd;
	strlcpy_(p->name, name, sizeof(p->name));
	p->dispatch = dispatch;
	p->arg = arg;
	p->next_id = 1;
	/* A peer that vanished is reported as EOF, never by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (fd_nonblock(fd, 1) == -1 || fd_cloexec(fd, 1) == -1)
		fatal("%s: fcntl", name);
	if (!msgpack_unpacker_init(&p->unp, PEER_READ_CHUNK))
		fatalx("%s: msgpack_unpacker_init failed", name);
	p->out = evbuffer_new();
	p->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, peer_read_cb, p);
	p->ev_write = event_new(base, fd, EV_WRITE, peer_write_cb, p);
	if (p->out == NULL || p->ev_read == NULL || p->ev_write == NULL)
		fatalx("%s: out of memory", name);
	event_add(p->ev_read, NULL);
	return p;
}

static void
peer_destroy(struct peer *p)
{
	int i;

	event_free(p->ev_read);
	event_free(p->ev_write);
	evbuffer_free(p->out);
	msgpack_unpacker_destroy(&p->unp);
	for (i = 0; i < p->nfds_out; i++)
		close(p->fds_out[i].fd);
	for (i = 0; i < p->nfds_in; i++)
		close(p->fds_in[i]);
	close(p->fd);
	free(p);
}

void
peer_free(struct peer *p)
{
	if (p == NULL)
		return;
	if (p->in_dispatch) {
		p->freed = 1;
		event_del(p->ev_read);
		event_del(p->ev_write);
		return;
	}
	peer_destroy(p);
}

const char *
peer_name(const struct peer *p)
{
	return p->name;
}

int
peer_fd(const struct peer *p)
{
	return p->fd;
}

uint32_t
peer_next_id(struct peer *p)
{
	return p->next_id++;
}

size_t
peer_queued(const struct peer *p)
{
	return evbuffer_get_length(p->out);
}

/* Delivers a message (or NULL) to the owner; 0 if the peer survived. */
static int
peer_deliver(struct peer *p, struct msg_in *msg)
{
	p->in_dispatch++;
	p->dispatch(p, msg, p->arg);
	p->in_dispatch--;
	if (p->freed && p->in_dispatch == 0) {
		peer_destroy(p);
		return -1;
	}
	return p->freed ? -1 : 0;
}

static void
peer_gone(struct peer *p)
{
	if (p->gone)
		return;
	p->gone = 1;
	event_del(p->ev_read);
	event_del(p->ev_write);
	peer_deliver(p, NULL);
}

static void
peer_keep_fds(struct peer *p, struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		int *fds = (int *)CMSG_DATA(c);
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (p->nfds_in == PEER_MAX_FDS) {
				log_errx("%s: too many fds received", p->name);
				close(fds[i]);
				continue;
			}
			fd_cloexec(fds[i], 1);
			p->fds_in[p->nfds_in++] = fds[i];
		}
	}
}

/* Reads what the socket has into the unpacker: >0 bytes, 0 EOF, -1 error
 * (errno EAGAIN: nothing now). */
static ssize_t
peer_recv(struct peer *p)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * PEER_MAX_FDS)];
	} cmsgbuf;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	if (!msgpack_unpacker_reserve_buffer(&p->unp, PEER_READ_CHUNK))
		fatalx("%s: out of memory", p->name);
	iov.iov_base = msgpack_unpacker_buffer(&p->unp);
	iov.iov_len = msgpack_unpacker_buffer_capacity(&p->unp);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	do
		n = recvmsg(p->fd, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		peer_keep_fds(p, &mh);
		msgpack_unpacker_buffer_consumed(&p->unp, (size_t)n);
	}
	return n;
}

/* Dispatches every complete message buffered; -1 if the peer is gone. */
static int
peer_unpack_all(struct peer *p)
{
	msgpack_unpacked result;
	struct msg_in msg;
	size_t pre, off, size;
	int rc;

	msgpack_unpacked_init(&result);
	for (;;) {
		pre = msgpack_unpacker_parsed_size(&p->unp);
		off = p->unp.off;
		rc = msgpack_unpacker_next(&p->unp, &result);
		/* A message that completes within one read never shows as
		 * CONTINUE: its size is what was parsed before plus now. */
		size = rc == MSGPACK_UNPACK_SUCCESS ? pre + (p->unp.off - off) :
		    msgpack_unpacker_message_size(&p->unp);
		if ((rc == MSGPACK_UNPACK_SUCCESS ||
		    rc == MSGPACK_UNPACK_CONTINUE) && size > MSG_MAX_SIZE) {
			log_errx("%s: protocol error: message larger "
			    "than %d bytes", p->name, MSG_MAX_SIZE);
			break;
		}
		if (rc == MSGPACK_UNPACK_CONTINUE) {
			msgpack_unpacked_destroy(&result);
			return 0;
		}
		if (rc != MSGPACK_UNPACK_SUCCESS) {
			log_errx("%s: protocol error: malformed msgpack",
			    p->name);
			break;
		}
		if (msg_in_parse(&msg, &result.data) == -1) {
			log_errx("%s: protocol error: %s", p->name,
			    msg.error);
			break;
		}
		if (peer_deliver(p, &msg) == -1) {
			msgpack_unpacked_destroy(&result);
			return -1;
		}
	}
	msgpack_unpacked_destroy(&result);
	peer_gone(p);
	return -1;
}

static void
peer_read_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct peer *p = arg;
	ssize_t n;

	n = peer_recv(p);
	if (n == -1 && (errno == EAGAIN))
		return;
	if (n == -1)
		log_err("%s: read", p->name);
	if (n <= 0) {
		if (n == 0)
			log_debug("%s: connection closed", p->name);
		peer_gone(p);
		return;
	}
	peer_unpack_all(p);
}

static void
peer_enqueue(struct peer *p, struct msg_out *m)
{
	size_t len;
	const char *data = msg_out_finish(m, &len);

	if (evbuffer_add(p->out, data, len) == -1)
		fatalx("%s: out of memory", p->name);
	if (!p->gone)
		event_add(p->ev_write, NULL);
}

void
peer_send(struct peer *p, struct msg_out *m)
{
	log_debug("%s: send %s", p->name, msg_type_name(m->type));
	peer_enqueue(p, m);
}

void
peer_send_fd(struct peer *p, struct msg_out *m, int fd)
{
	if (p->nfds_out == PEER_MAX_FDS)
		fatalx("%s: too many fds queued", p->name);
	p->fds_out[p->nfds_out].at = evbuffer_get_length(p->out);
	p->fds_out[p->nfds_out].fd = fd;
	p->nfds_out++;
	peer_send(p, m);
}

int
peer_take_fd(struct peer *p)
{
	int fd;

	if (p->nfds_in == 0)
		return -1;
	fd = p->fds_in[0];
	memmove(p->fds_in, p->fds_in + 1, --p->nfds_in * sizeof(int));
	return fd;
}

/* Sends len bytes from the front of the output with the first queued fd. */
static ssize_t
peer_sendmsg_fd(struct peer *p, size_t len)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	ssize_t n;

	iov.iov_base = evbuffer_pullup(p->out, (ssize_t)len);
	iov.iov_len = len;
	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p->fds_out[0].fd, sizeof(int));
	n = sendmsg(p->fd, &mh, MSG_NOSIGNAL);
	if (n > 0) {
		close(p->fds_out[0].fd);
		memmove(p->fds_out, p->fds_out + 1,
		    --p->nfds_out * sizeof(p->fds_out[0]));
	}
	return n;
}

/* Writes as much as the socket takes now; -1 on a real error.  A passed fd
 * must travel with the first byte of its message, so writes stop at each
 * fd's message boundary. */
static int
peer_write_some(struct peer *p)
{
	while (evbuffer_get_length(p->out) > 0) {
		size_t len = evbuffer_get_length(p->out);
		ssize_t n;
		int i;

		if (p->nfds_out > 0 && p->fds_out[0].at == 0) {
			if (p->nfds_out > 1)
				len = p->fds_out[1].at;
			n = peer_sendmsg_fd(p, len);
			if (n > 0)
				evbuffer_drain(p->out, (size_t)n);
		} else {
			if (p->nfds_out > 0)
				len = p->fds_out[0].at;
			n = evbuffer_write_atmost(p->out, p->fd, (ssize_t)len);
		}
		if (n == -1 && (errno == EAGAIN ||
		    errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		for (i = 0; i < p->nfds_out; i++)
			p->fds_out[i].at -= (size_t)n;
	}
	return 0;
}

static void
peer_write_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct peer *p = arg;

	if (peer_write_some(p) == -1) {
		log_err("%s: write", p->name);
		peer_gone(p);
		return;
	}
	if (evbuffer_get_length(p->out) > 0)
		event_add(p->ev_write, NULL);
}

int
peer_flush(struct peer *p, int timeout_ms)
{
	double deadline = mono_now() + timeout_ms / 1000.0;

	while (evbuffer_get_length(p->out) > 0) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
		int left = (int)((deadline - mono_now()) * 1000);

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -1;
		if (peer_write_some(p) == -1)
			return -1;
	}
	return 0;
}
