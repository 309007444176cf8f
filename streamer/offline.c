/* offline.c: what the decoder calls outside the streamer -- failures,
 * positions, statistics, the schema connection -- for binlogcat and the
 * decoder tests, which read binlog bytes with no server and no siblings. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "streamer.h"

void
offline_init(struct reader *r, struct streamer *st)
{
	memset(st, 0, sizeof(*st));
	memset(r, 0, sizeof(*r));
	r->st = st;
	r->offline = true;
	if ((r->gtids = gtid_set_new(GTID_FLAVOR_MYSQL)) == NULL)
		fatal("GTID set");
}

/* The first failure is the one reported; the exit code goes with it. */
int
reader_fail(struct reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->st->finished)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->st->error, sizeof(r->st->error), fmt, ap);
	va_end(ap);
	r->st->exit_code = code;
	r->st->finished = true;
	return -1;
}

/* No server to ask: tablemap.c names such columns by position. */
MYSQL *
reader_meta(struct reader *r)
{
	(void)r;
	return NULL;
}

/* Offline, a committed position has nobody to go to. */
void
streamer_publish(struct streamer *st, const struct position *pos,
    bool force)
{
	(void)st;
	(void)pos;
	(void)force;
}

void
stats_row(int kind)
{
	(void)kind;
}

void
stats_event(const struct evhdr *h, size_t len)
{
	(void)h;
	(void)len;
}
