/* offline.c: the decoder's owner for binlogcat and the decoder's tests,
 * which read binlog bytes from memory with no server and no siblings:
 * the events of a file in order, and the hooks (reader_hooks) that take
 * its failures and its changes without rows. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
 * bytes later.  The rows events in the ring came before it: a failure among them is
 * the one reported. */
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

/* The events of one binlog file's bytes, in order, each bounds-checked;
 * the rows of an unfinished transaction are written out unmarked. */
static int
offline_events(struct reader *r, const uint8_t *p, size_t n)
{
	static const uint8_t magic[4] = { 0xfe, 'b', 'i', 'n' };
	size_t off = sizeof(magic), size;

	r->checksum = false;
	if (n < sizeof(magic) || memcmp(p, magic, sizeof(magic)) != 0)
		return reader_fail(r, BX_DECODE, "not a binlog file (it does "
		    "not start with the bytes fe 62 69 6e)");

	while (off < n) {
		r->offset = off;
		if (n - off < EVHDR_LEN)
			return offline_cut(r, 0, n - off);
		size = (size_t)p[off + 9] | (size_t)p[off + 10] << 8 |
		    (size_t)p[off + 11] << 16 | (size_t)p[off + 12] << 24;
		if (size < EVHDR_LEN || size > n - off)
			return offline_cut(r, size, n - off);
		if (event_decode(r, p + off, size) == -1)
			return -1;
		off += size;
	}
	return record_close(r);
}

/* ... and if they fail, the transactions before the failure still come
 * out, those the ring holds too; what the failing one has so far not. */
int
offline_file(struct reader *r, const uint8_t *p, size_t n)
{
	if (offline_events(r, p, n) == 0)
		return 0;
	(void)par_sync(r);
	(void)record_abandon(r);
	return -1;
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
