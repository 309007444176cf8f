/* test_peer.c: the peer layer over a real socketpair and event loop:
 * messages arrive whole and in order, fds travel, and a protocol
 * violation or EOF reaches the owner as a NULL message. */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"
#include "peer.h"
#include "tap.h"
#include "util.h"

#define WAIT_SECONDS	10
#define BIG_LEN		(MSG_MAX_SIZE - 100)

/* What a receiving peer saw, copied out of the messages. */
struct inbox {
	int		 count;
	int		 gone;		/* NULL message received */
	int		 in_order;	/* every seq matched count */
	uint32_t	 type;
	uint32_t	 id;
	size_t		 blob_len;
	int		 blob_ok;	/* blob held the expected pattern */
	int		 fd;		/* peer_take_fd() of the last message */
	int		 end_rc;
};

static struct event_base *base;

static void
pattern(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = 'a' + i % 23;
}

static int
blob_matches(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != 'a' + (char)(i % 23))
			return 0;
	return 1;
}

static void
inbox_dispatch(struct peer *p, struct msg_in *msg, void *arg)
{
	struct inbox	*box = arg;
	uint64_t	 seq = 0;
	const char	*s = NULL;
	size_t		 len = 0;

	if (msg == NULL) {
		box->gone++;
		peer_free(p);
		return;
	}
	box->type = msg->type;
	box->id = msg->id;
	msg_get_u64(msg, "seq", &seq);
	if (seq != (uint64_t)box->count)
		box->in_order = 0;
	if (msg_has(msg, "blob")) {
		msg_get_str(msg, "blob", &s, &len);
		box->blob_len = len;
		box->blob_ok = s != NULL && blob_matches(s, len);
	}
	/* fds are not tied to messages: take one where the protocol says */
	if (msg->type == MSG_CKPT_ATTACH)
		box->fd = peer_take_fd(p);
	box->end_rc = msg_end(msg);
	box->count++;
}

static void
tick(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
}

/* Runs the loop until *flag reaches want, for at most WAIT_SECONDS. */
static int
wait_for(const int *flag, int want)
{
	double deadline = mono_now() + WAIT_SECONDS;

	while (*flag < want && mono_now() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	return *flag >= want;
}

static void
inbox_init(struct inbox *box)
{
	memset(box, 0, sizeof(*box));
	box->in_order = 1;
	box->fd = -1;
}

/* A receiving peer on one end; the other end is returned raw. */
static int
raw_pair_new(struct peer **rx, struct inbox *rxbox)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
	inbox_init(rxbox);
	*rx = peer_new(base, sv[1], "rx", inbox_dispatch, rxbox);
	return sv[0];
}

/* A connected pair of peers; the sender's dispatch should never run. */
static void
pair_new(struct peer **tx, struct peer **rx, struct inbox *txbox,
    struct inbox *rxbox)
{
	inbox_init(txbox);
	*tx = peer_new(base, raw_pair_new(rx, rxbox), "tx", inbox_dispatch,
	    txbox);
}

/* The dispatch callback frees a peer that is gone; free the others. */
static void
pair_free(struct peer *tx, struct peer *rx, const struct inbox *txbox,
    const struct inbox *rxbox)
{
	if (!txbox->gone)
		peer_free(tx);
	if (!rxbox->gone)
		peer_free(rx);
}

static void
send_seq(struct peer *tx, uint32_t type, uint64_t seq, const char *blob,
    size_t bloblen, int fd)
{
	struct msg_out m;

	msg_out_begin(&m, type, peer_next_id(tx));
	msg_put_u64(&m, "seq", seq);
	if (blob != NULL)
		msg_put_strn(&m, "blob", blob, bloblen);
	if (fd == -1)
		peer_send(tx, &m);
	else
		peer_send_fd(tx, &m, fd);
	msg_out_free(&m);
}

static void
test_one_message(void)
{
	struct peer	*tx, *rx;
	struct inbox	 txbox, rxbox;
	uint32_t	 id;

	pair_new(&tx, &rx, &txbox, &rxbox);
	id = peer_next_id(tx);
	CHECK_INT(peer_next_id(tx), id + 1);
	send_seq(tx, MSG_CKPT_LOAD, 0, NULL, 0, -1);
	CHECK(peer_queued(tx) > 0);
	CHECK(wait_for(&rxbox.count, 1));
	CHECK_INT(rxbox.count, 1);
	CHECK_INT(rxbox.type, MSG_CKPT_LOAD);
	CHECK_INT(rxbox.id, id + 2);
	CHECK_INT(rxbox.end_rc, 0);
	CHECK_INT(rxbox.fd, -1);
	CHECK_U64(peer_queued(tx), 0);
	CHECK_STR(peer_name(rx), "rx");
	CHECK_INT(txbox.count + txbox.gone, 0);
	peer_free(tx);
	CHECK(wait_for(&rxbox.gone, 1));
	CHECK_INT(rxbox.count, 1);
	txbox.gone = 1;
	pair_free(tx, rx, &txbox, &rxbox);
}

/* Many messages queued before the loop runs arrive whole and in order. */
static void
test_burst(void)
{
	struct peer	*tx, *rx;
	struct inbox	 txbox, rxbox;
	char		 blob[100];
	int		 i, n = 5000;

	pattern(blob, sizeof(blob));
	pair_new(&tx, &rx, &txbox, &rxbox);
	for (i = 0; i < n; i++)
		send_seq(tx, MSG_CKPT_SAVE, i, blob, i % sizeof(blob), -1);
	CHECK(wait_for(&rxbox.count, n));
	CHECK_INT(rxbox.count, n);
	CHECK(rxbox.in_order);
	CHECK(rxbox.blob_ok);
	CHECK_INT(rxbox.end_rc, 0);
	CHECK_INT(rxbox.gone, 0);
	pair_free(tx, rx, &txbox, &rxbox);
}

/* A message just under the cap passes, with peer_flush as on exit paths. */
static void
test_big_message(void)
{
	struct peer	*tx, *rx;
	struct inbox	 txbox, rxbox;
	char		*blob = malloc(BIG_LEN);

	pattern(blob, BIG_LEN);
	pair_new(&tx, &rx, &txbox, &rxbox);
	send_seq(tx, MSG_CKPT_SAVE, 0, blob, BIG_LEN, -1);
	send_seq(tx, MSG_CKPT_SAVE, 1, blob, BIG_LEN, -1);
	CHECK(wait_for(&rxbox.count, 2));
	CHECK_INT(rxbox.gone, 0);
	CHECK_U64(rxbox.blob_len, BIG_LEN);
	CHECK(rxbox.blob_ok);
	CHECK(rxbox.in_order);
	send_seq(tx, MSG_CKPT_SAVE, 2, "x", 1, -1);
	CHECK_INT(peer_flush(tx, 5000), 0);
	CHECK_U64(peer_queued(tx), 0);
	CHECK(wait_for(&rxbox.count, 3));
	free(blob);
	pair_free(tx, rx, &txbox, &rxbox);
}

/*
 * The write end of a pipe travels to the receiver, which writes through
 * it; once the receiver closes it, the pipe reads EOF, which proves the
 * sender closed its own copy after sending.
 */
static void
test_fd_passing(void)
{
	struct peer	*tx, *rx;
	struct inbox	 txbox, rxbox;
	int		 pfd[2];
	char		 buf[8] = "";

	if (pipe(pfd) == -1) {
		perror("pipe");
		exit(2);
	}
	pair_new(&tx, &rx, &txbox, &rxbox);
	send_seq(tx, MSG_READY, 0, NULL, 0, -1);
	send_seq(tx, MSG_CKPT_ATTACH, 1, NULL, 0, pfd[1]);
	CHECK(wait_for(&rxbox.count, 2));
	CHECK_INT(rxbox.type, MSG_CKPT_ATTACH);
	if (CHECK(rxbox.fd != -1)) {
		CHECK_INT(write(rxbox.fd, "ping", 4), 4);
		CHECK_INT(read(pfd[0], buf, sizeof(buf)), 4);
		CHECK_STR(buf, "ping");
		CHECK(fcntl(rxbox.fd, F_GETFD) & FD_CLOEXEC);
		close(rxbox.fd);
		CHECK_INT(read(pfd[0], buf, sizeof(buf)), 0);
	}
	CHECK_INT(peer_take_fd(rx), -1);
	close(pfd[0]);
	pair_free(tx, rx, &txbox, &rxbox);
}

/* Writes raw bytes to a receiving peer and expects it gone, unread. */
static void
raw_gone(const char *bytes, size_t len, int count_before_gone)
{
	struct peer	*rx;
	struct inbox	 rxbox;
	int		 raw;

	raw = raw_pair_new(&rx, &rxbox);
	CHECK_INT(write(raw, bytes, len), len);
	CHECK(wait_for(&rxbox.gone, 1));
	CHECK_INT(rxbox.count, count_before_gone);
	close(raw);
}

static void
test_garbage(void)
{
	static const char valid[] = "\x93\x64\x01\x80";	/* [100, 1, {}] */
	char both[16];

	raw_gone("\xc1\xc1\xc1\xc1", 4, 0);		/* never-used byte */
	raw_gone("hello", 5, 0);			/* fixints */
	raw_gone("\x92\x01\x02", 3, 0);			/* [1, 2] */
	raw_gone("\x93\x01\x02\x03", 4, 0);		/* body 3 */
	memcpy(both, valid, 4);
	memcpy(both + 4, "\xc1", 1);
	raw_gone(both, 5, 1);				/* one good first */
}

/* A message over MSG_MAX_SIZE is refused, whether it arrives in pieces
 * or already whole in the receiver's buffer. */
static void
test_oversized(void)
{
	struct peer	*tx, *rx;
	struct inbox	 txbox, rxbox;
	size_t		 len = MSG_MAX_SIZE + 10;
	char		*blob = malloc(len);

	pattern(blob, len);
	pair_new(&tx, &rx, &txbox, &rxbox);
	send_seq(tx, MSG_CKPT_SAVE, 0, blob, len, -1);
	CHECK(wait_for(&rxbox.gone, 1));
	CHECK_INT(rxbox.count, 0);
	pair_free(tx, rx, &txbox, &rxbox);
	free(blob);
}

static void
test_eof(void)
{
	struct peer	*rx;
	struct inbox	 rxbox;
	int		 raw;

	raw = raw_pair_new(&rx, &rxbox);
	CHECK_INT(write(raw, "\x93\x64\x01\x80", 4), 4);
	close(raw);
	CHECK(wait_for(&rxbox.gone, 1));
	CHECK_INT(rxbox.count, 1);
	CHECK_INT(rxbox.type, MSG_SHUTDOWN);
}

int
main(void)
{
	struct event *ev;
	struct timeval tv = { 0, 20000 };

	log_init("test_peer", LOG_TO_STDERR, 0);
	base = event_base_new();
	/* a tick so that one loop pass never blocks longer than tv */
	ev = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(ev, &tv);
	RUN(test_one_message);
	RUN(test_burst);
	RUN(test_big_message);
	RUN(test_fd_passing);
	RUN(test_garbage);
	RUN(test_oversized);
	RUN(test_eof);
	event_free(ev);
	event_base_free(base);
	return tap_done();
}
