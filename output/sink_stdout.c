/* sink_stdout.c: records as JSON Lines on standard output, the default
 * sink and binlogcat's; a transaction is durable once write(2) returned
 * (what happens after the pipe is the reader's business).  Also what the
 * sinks share and binlogcat needs: failing, writing a buffer out. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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

/* Records come in runs of whole ones, a block at a time when nobody
 * waits for their positions (record.c gathers them). */
static int
sink_stdout_write(struct sink *s, const struct sink_rec *rec)
{
	return sink_write_fd(s, STDOUT_FILENO, rec->buf, rec->len, "stdout");
}

static int
sink_stdout_commit(struct sink *s, const struct position *pos, bool force)
{
	sink_durable(s, pos, force);
	return 0;
}

const struct sink_ops sink_stdout_ops = {
	.name = "stdout",
	.open = sink_stdout_open,
	.write = sink_stdout_write,
	.commit = sink_stdout_commit,
};
