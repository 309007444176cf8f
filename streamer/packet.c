/* packet.c: reads the binlog dump's MySQL protocol packets straight from
 * the connection's socket into one reusable buffer, so that events reach
 * the decoder without libmariadb's per-event malloc and copies; events too
 * big for memory pass through that buffer into a spill file. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <errmsg.h>

#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "packet.h"
#include "spill.h"
#include "streamer.h"

/* Reads come in blocks this large; an event larger than what remains
 * grows the buffer to the event's size, and it shrinks back after.  A
 * payload over PACKET_SPILL_MIN (every one split into 16 MiB packets) is
 * written to the spill file block by block instead. */
#define PACKET_BLOCK	(256 * 1024)
#define PACKET_HDR	4
#define PACKET_SPLIT	0xffffff	/* a payload continued in the next */
#define PACKET_SPILL_MIN (4 * 1024 * 1024)

void
packet_init(struct packet *p, struct reader *r, int fd, int timeout_ms)
{
	memset(p, 0, sizeof(*p));
	p->r = r;
	spill_init(r->conf->spill_dir, r->conf->database);
	p->fd = fd;
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : -1;
	p->seq = -1;
	p->cap = PACKET_BLOCK;
	if ((p->buf = malloc(p->cap)) == NULL)
		fatal("packet buffer");
}

void
packet_free(struct packet *p)
{
	spill_end();
	p->spilled = false;
	free(p->buf);
	p->buf = NULL;
}

static int
packet_fail(struct packet *p, unsigned code, const char *what)
{
	p->err = code;
	snprintf(p->errmsg, sizeof(p->errmsg), "%s", what);
	return -1;
}

/* Moves the unread bytes to the front; a buffer grown for one big event
 * goes back to PACKET_BLOCK once they fit. */
static void
packet_compact(struct packet *p)
{
	size_t n = p->end - p->start;
	uint8_t *nb;

	if (p->start == 0)
		return;
	memmove(p->buf, p->buf + p->start, n);
	p->end = n;
	p->next -= p->start;
	p->start = 0;
	if (p->cap > PACKET_BLOCK && n <= PACKET_BLOCK &&
	    (nb = realloc(p->buf, PACKET_BLOCK)) != NULL) {
		p->buf = nb;
		p->cap = PACKET_BLOCK;
	}
}

static void
packet_grow(struct packet *p, size_t need)
{
	uint8_t *nb;

	if ((nb = realloc(p->buf, need)) == NULL)
		fatal("packet buffer of %zu bytes", need);
	p->buf = nb;
	p->cap = need;
}

static ssize_t
packet_recv(struct packet *p, int flags)
{
	ssize_t n;

	while ((n = recv(p->fd, p->buf + p->end, p->cap - p->end, flags)) ==
	    -1 && errno == EINTR)
		;
	return n;
}

/* Waits up to timeout_ms for the socket to have bytes: 1 when it has,
 * 0 when not, -1 on error.  A binlogctl snapshot request that comes
 * meanwhile is served at once (incremental.c), and the wait starts
 * over; -2 when that failed the stream. */
static int
packet_poll(struct packet *p, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = p->fd, .events = POLLIN },
		{ .fd = incr_wake_fd(), .events = POLLIN },
	};
	int rc;

	for (;;) {
		while ((rc = poll(pfd, 2, timeout_ms)) == -1 && errno == EINTR)
			;
		if (rc <= 0 || !(pfd[1].revents & POLLIN))
			return rc;
		if (incr_poll(p->r) == -1)
			return -2;
		if (pfd[0].revents != 0)
			return 1;
	}
}

/* Waits up to the read timeout for the socket to have bytes.  The rows
 * queued in parallel.c go out first, their commits with them -- a job at
 * a time, looking for bytes between jobs: the reader is back to reading
 * as soon as there are some, and the second thread formats the rest. */
static int
packet_wait(struct packet *p)
{
	int ready, rc;

	while ((ready = packet_poll(p, 0)) == 0) {
		if ((rc = par_step(p->r)) == -1)
			return packet_fail(p, CR_UNKNOWN_ERROR,
			    "records not written");
		if (rc == 1) {	/* the ring is empty: only bytes are awaited */
			ready = packet_poll(p, p->timeout_ms);
			break;
		}
	}
	if (ready == 0)
		return packet_fail(p, CR_SERVER_LOST, "Lost connection to "
		    "server: nothing read for read_timeout");
	if (ready == -1)
		return packet_fail(p, CR_SERVER_LOST, strerror(errno));
	if (ready == -2)
		return packet_fail(p, CR_UNKNOWN_ERROR, "binlogctl snapshot "
		    "failed the stream");
	return 0;
}

/* One read of whatever the socket has, waiting for it if need be. */
static int
packet_read(struct packet *p)
{
	ssize_t n = packet_recv(p, MSG_DONTWAIT);

	/* EWOULDBLOCK is EAGAIN on Linux (and -Wlogical-op says so) */
	if (n == -1 && errno == EAGAIN) {
		if (packet_wait(p) == -1)
			return -1;
		n = packet_recv(p, 0);
	}
	if (n == -1 && errno == EAGAIN)
		return 0;	/* the socket may be non-blocking */
	if (n == 0)
		return packet_fail(p, CR_SERVER_LOST, "Lost connection to "
		    "server: the server closed the connection");
	if (n == -1)
		return packet_fail(p, CR_SERVER_LOST, strerror(errno));
	p->end += (size_t)n;
	return 0;
}

/* Makes buf[start + off, start + off + len) readable.  The unread bytes
 * move to the front only when more must be read: moved before every
 * event, a buffer full of them was copied again for each (a small
 * transaction's events cost 6 % of the reader thread in memmove). */
static int
packet_need(struct packet *p, size_t off, size_t len)
{
	size_t want = off + len;

	if (p->end - p->start >= want)
		return 0;
	if (p->start + want > p->cap || p->cap - p->end < PACKET_BLOCK / 4)
		packet_compact(p);
	if (want > p->cap)
		packet_grow(p, want);
	while (p->end - p->start < want)
		if (packet_read(p) == -1)
			return -1;
	return 0;
}

/* The length of the packet whose header is at start + off, checking its
 * sequence id. */
static int
packet_header(struct packet *p, size_t off, size_t *len)
{
	const uint8_t *h;

	if (packet_need(p, off, PACKET_HDR) == -1)
		return -1;
	h = p->buf + p->start + off;
	*len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
	if (p->seq != -1 && h[3] != (uint8_t)p->seq)
		return packet_fail(p, CR_MALFORMED_PACKET, "packets out of "
		    "order in the binlog dump");
	p->seq = (uint8_t)(h[3] + 1);
	return 0;
}

/* A spill file that cannot be written is no connection problem: the
 * operator must make room, so the reader stops (BX_SERVER_CONFIG: the
 * supervisor retries at its slowest) before the event is decoded. */
static int
packet_spill_fail(struct packet *p, size_t first)
{
	char why[PACKET_ERR_MAX];

	snprintf(why, sizeof(why), "%s", strerror(errno));
	reader_fail(p->r, BX_SERVER_CONFIG, "a binlog event of %s%zu bytes "
	    "is kept out of memory in a temporary file, which cannot be "
	    "written in %s: %s; free space there or set [stream] spill_dir to a "
	    "writable directory with room for the largest event",
	    first == PACKET_SPLIT ? "over " : "", first, spill_dir(), why);
	return packet_fail(p, CR_UNKNOWN_ERROR, why);
}

/* Writes the payload whose first packet (n bytes) starts at start into
 * the spill file, PACKET_BLOCK at most at a time, leaving out the headers
 * of the packets that continue it, and sets *n to its whole length. */
static int
packet_spill(struct packet *p, size_t *n)
{
	size_t first = *n, pk = first, more, take;

	p->spilled = true;
	p->start += PACKET_HDR;
	for (*n = 0;;) {
		*n += pk;
		for (more = pk; more > 0; more -= take) {
			if (p->start == p->end)
				p->start = p->end = 0;
			p->next = p->start;
			take = p->cap - p->start < more ? p->cap - p->start :
			    more;
			while (p->end - p->start < take)
				if (packet_read(p) == -1)
					return -1;
			if (spill_write(p->buf + p->start, take) == -1)
				return packet_spill_fail(p, first);
			p->start += take;
		}
		p->next = p->start;
		if (pk != PACKET_SPLIT)
			return 0;
		if (packet_header(p, 0, &pk) == -1)
			return -1;
		p->start += PACKET_HDR;
	}
}

/* An ERR packet: code, optional '#' and SQL state, then the message. */
static int
packet_server_error(struct packet *p, const uint8_t *b, size_t len)
{
	size_t skip = 3;

	if (len < 3)
		return packet_fail(p, CR_MALFORMED_PACKET, "short error packet "
		    "in the binlog dump");
	if (len >= 9 && b[3] == '#')
		skip = 9;
	p->err = (unsigned)b[1] | (unsigned)b[2] << 8;
	snprintf(p->errmsg, sizeof(p->errmsg), "%.*s", (int)(len - skip),
	    (const char *)b + skip);
	return -1;
}

/* The next event: 1 with *ev and *len set, -1 at the end of the stream
 * (err 0: the server sent EOF) or on an error (err, errmsg). */
int
packet_next(struct packet *p, const uint8_t **ev, size_t *len)
{
	const uint8_t *b;
	size_t n;

	if (p->spilled) {
		spill_end();
		p->spilled = false;
	}
	p->start = p->next;
	if (packet_header(p, 0, &n) == -1)
		return -1;
	if (n > PACKET_SPILL_MIN) {
		if (packet_spill(p, &n) == -1)
			return -1;
		if ((b = spill_map()) == NULL)
			return packet_spill_fail(p, n);
	} else {
		if (packet_need(p, 0, PACKET_HDR + n) == -1)
			return -1;
		b = p->buf + p->start + PACKET_HDR;
		p->next = p->start + PACKET_HDR + n;
	}
	if (n > 0 && b[0] == 0x00) {
		*ev = b + 1;
		*len = n - 1;
		return 1;
	}
	if (n > 0 && b[0] == 0xff)
		return packet_server_error(p, b, n);
	if (n > 0 && n < 9 && b[0] == 0xfe)
		return -1;
	return packet_fail(p, CR_MALFORMED_PACKET, "malformed packet in the "
	    "binlog dump");
}
