/* offline.c: the decoder's owner for binlogcat and the decoder's tests,
 * which read binlog bytes from memory with no server and no siblings:
 * the events of a file in order, and the hooks (reader_hooks) that take
 * its failures and its changes without rows. */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "offline.h"
#include "output.h"
#include "util.h"

static void offline_fail(struct reader *, int, const char *);
static void offline_unrowed_change(struct reader *, const char *,
    const char *, bool);

/* No server to ask (meta), nobody counting (observers). */
static const struct reader_hooks offline_hooks = {
	.fail = offline_fail,
	.unrowed = offline_unrowed_change,
	READER_OUTPUT_HOOKS,
};

void
offline_init(struct reader *r, struct offline_result *res)
{
	memset(res, 0, sizeof(*res));
	memset(r, 0, sizeof(*r));
	r->owner = res;
	r->hooks = &offline_hooks;
	r->offline = true;
	r->sync_before_wait = true;	/* a file never keeps it waiting */
	if ((r->gtids = gtid_set_new(GTID_FLAVOR_MYSQL)) == NULL)
		fatal("GTID set");
}

/* A file cut short at r->offset, inside the event's header or its size
 * bytes later.  The rows events in the ring came before it: a failure
 * among them is the one reported. */
static int
offline_cut(struct reader *r, size_t size, size_t left)
{
	if (par_sync(r) == -1)
		return -1;
	if (left < EVHDR_LEN)
		return reader_fail(r, BX_DECODE, "truncated event header at "
		    "offset %llu", (unsigned long long)r->offset);
	return reader_fail(r, BX_DECODE, "event at offset %llu claims %zu "
	    "bytes; the file has %zu after it (truncated or not a binlog)",
	    (unsigned long long)r->offset, size, left);
}

/* The event at p, of which n bytes are there: its size, 0 if its header
 * is not all there. */
static size_t
offline_size(const uint8_t *p, size_t n)
{
	if (n < EVHDR_LEN)
		return 0;
	return (size_t)p[9] | (size_t)p[10] << 8 | (size_t)p[11] << 16 |
	    (size_t)p[12] << 24;
}

/* The whole events of p[0..n), the file's bytes from offset at, in
 * order, each bounds-checked: *used says how many bytes they took.  An
 * event cut off by the end of p waits for more bytes, unless the file
 * ends there (end). */
static int
offline_events(struct reader *r, const uint8_t *p, size_t n, uint64_t at,
    bool end, size_t *used)
{
	size_t off = 0, size;

	for (; off < n; off += size) {
		r->offset = at + off;
		size = offline_size(p + off, n - off);
		if (size > 0 && size < EVHDR_LEN)
			return offline_cut(r, size, n - off);
		if (size == 0 || size > n - off) {
			if (end)
				return offline_cut(r, size, n - off);
			break;
		}
		if (event_decode(r, p + off, size) == -1)
			return -1;
	}
	*used = off;
	return 0;
}

static int
offline_magic(struct reader *r, const uint8_t *p, size_t n)
{
	static const uint8_t magic[OFFLINE_MAGIC] = { 0xfe, 'b', 'i', 'n' };

	r->checksum = false;
	if (n < sizeof(magic) || memcmp(p, magic, sizeof(magic)) != 0)
		return reader_fail(r, BX_DECODE, "not a binlog file (it does "
		    "not start with the bytes fe 62 69 6e)");
	return 0;
}

/* A failure: the transactions before it still come out, those the ring
 * holds too; what the failing one has so far not. */
static int
offline_failed(struct reader *r)
{
	(void)par_sync(r);
	(void)record_abandon(r);
	return -1;
}

/* One binlog file's bytes; the rows of an unfinished transaction are
 * written out unmarked. */
int
offline_file(struct reader *r, const uint8_t *p, size_t n)
{
	size_t used;

	if (offline_magic(r, p, n) == -1 ||
	    offline_events(r, p + OFFLINE_MAGIC, n - OFFLINE_MAGIC,
	    OFFLINE_MAGIC, true, &used) == -1 || record_close(r) == -1)
		return offline_failed(r);
	return 0;
}

/*
 * The same read from fd into one reused buffer, grown for an event larger
 * than it.  Not mapped: in this VM every page of a mapping costs a fault
 * on first touch even when populated, and the file's pages are touched
 * once; a read(2) copies them into pages that stay mapped.
 */
#define OFFLINE_READ	(256 * 1024)

/* Reads into b past its len: the bytes read, 0 at the end, -1. */
static ssize_t
offline_read(struct reader *r, int fd, struct obuf *b, size_t want)
{
	ssize_t n;

	if (b->cap < want)
		obuf_grow(b, want - b->len);
	do
		n = read(fd, b->buf + b->len, b->cap - b->len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return reader_fail(r, BX_FAILURE, "reading: %s",
		    strerror(errno));
	b->len += (size_t)n;
	return n;
}

/* The bytes the file at fd has from at on: 0 if it cannot say. */
static uint64_t
offline_left(int fd, uint64_t at)
{
	struct stat sb;

	return fstat(fd, &sb) == -1 || (uint64_t)sb.st_size < at ? 0 :
	    (uint64_t)sb.st_size - at;
}

int
offline_fd(struct reader *r, int fd)
{
	static struct obuf b;
	uint64_t at = OFFLINE_MAGIC;
	size_t used, want = OFFLINE_READ;
	ssize_t n;

	b.len = 0;
	do
		n = offline_read(r, fd, &b, want);
	while (n > 0 && b.len < OFFLINE_MAGIC);
	if (n == -1 || offline_magic(r, (uint8_t *)b.buf, b.len) == -1)
		return offline_failed(r);
	b.len -= OFFLINE_MAGIC;
	memmove(b.buf, b.buf + OFFLINE_MAGIC, b.len);
	for (;;) {
		if (offline_events(r, (uint8_t *)b.buf, b.len, at, n == 0,
		    &used) == -1)
			return offline_failed(r);
		if (n == 0)
			break;
		b.len -= used;
		memmove(b.buf, b.buf + used, b.len);
		at += used;
		/* an event larger than the buffer: room for all of it, if
		 * the file has it (a corrupt size asks for anything) */
		want = offline_size((uint8_t *)b.buf, b.len);
		if (want > OFFLINE_READ && want > offline_left(fd, at)) {
			r->offset = at;
			(void)offline_cut(r, want, offline_left(fd, at));
			return offline_failed(r);
		}
		if ((n = offline_read(r, fd, &b, want > OFFLINE_READ ? want :
		    OFFLINE_READ)) == -1)
			return offline_failed(r);
	}
	if (b.cap > OFFLINE_READ) {	/* what a big event grew */
		free(b.buf);
		memset(&b, 0, sizeof(b));
	}
	return record_close(r) == -1 ? offline_failed(r) : 0;
}

/* Back to the state before any file, keeping the reader's buffers (the
 * fuzz target decodes one input after another); the ring's go. */
void
offline_reset(struct reader *r)
{
	struct offline_result *res = r->owner;

	res->finished = false;
	res->exit_code = 0;
	par_release();		/* what a failed file left in the ring */
	tablemap_reset(r);
	/* another file, maybe another server */
	(void)tablemap_forget_schema(r, NULL, 0, NULL, 0);
	r->npost_header = 0;
	event_trx_reset(r);
	r->row_pending = r->mariadb = false;
	r->out.len = 0;
	gtid_set_clear(r->gtids);
}

/* reader_hooks.fail: the first failure is the one reported, with its
 * exit code. */
static void
offline_fail(struct reader *r, int code, const char *msg)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct offline_result *res = r->owner;

	/* the formatting thread (parallel.c) may fail beside the reader */
	pthread_mutex_lock(&mu);
	if (!res->finished) {
		strlcpy_(res->error, msg, sizeof(res->error));
		res->exit_code = code;
		res->finished = true;
	}
	pthread_mutex_unlock(&mu);
}

/* Changes binlogcat could not show: statement-logged, and incidents. */
uint64_t offline_unrowed[2];

/* reader_hooks.unrowed: binlogcat shows each on stderr and goes on; its
 * exit status tells. */
static void
offline_unrowed_change(struct reader *r, const char *kind, const char *text,
    bool first UNUSED)
{
	bool incident = strcmp(kind, "incident") == 0;

	offline_unrowed[incident]++;
	fprintf(stderr, "binlogcat: warning: %s at %s:%llu: %s, no rows: "
	    "%s\n", kind, r->file, (unsigned long long)r->offset, incident ?
	    "the server lost changes" : "a change logged as a statement",
	    text);
}
