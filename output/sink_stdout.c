/* sink_stdout.c: records as JSON Lines on standard output, the default
 * sink and binlogcat's; a transaction is durable once write(2) returned
 * (what happens after the pipe is the reader's business).  Also what the
 * sinks share and binlogcat needs: failing, writing a buffer out. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

/* Every sink's failure: the message the reader stops with. */
int
sink_fail(struct sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* Writes all of buf to fd, retrying short writes and EINTR. */
int
sink_write_fd(struct sink *s, int fd, const char *buf, size_t len,
    const char *what)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return sink_fail(s, "writing records to %s: %s", what,
			    strerror(errno));
		done += (size_t)n;
	}
	return 0;
}

static int
sink_stdout_open(struct sink *s UNUSED, const struct config *conf UNUSED)
{
	return 0;
}

/* Records wait here for a block of them: a write(2) costs more than
 * copying 64 KiB (several microseconds in a VM).  Only whole records
 * come here; they go out when the block is full, at each commit if the
 * owner is told of durable positions (binlogd), and when the stream
 * settles or the sink closes (binlogcat). */
#define STDOUT_BLOCK	(128 * 1024)
static struct obuf sink_stdout_buf;

static int
sink_stdout_flush(struct sink *s)
{
	struct obuf *b = &sink_stdout_buf;
	int rc;

	if (b->len == 0)
		return 0;
	rc = sink_write_fd(s, STDOUT_FILENO, b->buf, b->len, "stdout");
	b->len = 0;
	return rc;
}

/* A block the record writer filled (OBUF_FLUSH_AT) goes out from where
 * it is, after what waits here: only smaller runs are copied. */
static int
sink_stdout_write(struct sink *s, const struct sink_rec *rec)
{
	bool whole = rec->len >= OBUF_FLUSH_AT;

	if ((whole || sink_stdout_buf.len + rec->len > STDOUT_BLOCK) &&
	    sink_stdout_flush(s) == -1)
		return -1;
	if (whole)
		return sink_write_fd(s, STDOUT_FILENO, rec->buf, rec->len,
		    "stdout");
	obuf_add(&sink_stdout_buf, rec->buf, rec->len);
	return 0;
}

static int
sink_stdout_commit(struct sink *s, const struct position *pos, bool force)
{
	if (s->owner->durable != NULL && sink_stdout_flush(s) == -1)
		return -1;
	sink_durable(s, pos, force);
	return 0;
}

static void
sink_stdout_close(struct sink *s)
{
	(void)sink_stdout_flush(s);
	free(sink_stdout_buf.buf);
	memset(&sink_stdout_buf, 0, sizeof(sink_stdout_buf));
}

const struct sink_ops sink_stdout_ops = {
	.name = "stdout",
	.open = sink_stdout_open,
	.write = sink_stdout_write,
	.commit = sink_stdout_commit,
	.settle = sink_stdout_flush,
	.close = sink_stdout_close,
};
