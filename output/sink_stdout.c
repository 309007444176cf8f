/* sink_stdout.c: records as JSON Lines on standard output, the default
 * sink and binlogcat's; a transaction is durable once write(2) returned
 * (what happens after the pipe is the reader's business).  Also what the
 * sinks share and binlogcat needs: failing, writing a buffer out. */
#include "build.h"		/* IOV_MAX */

#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
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

/* Writes all of the record's bytes (buf, or its pieces in order) to fd,
 * retrying short writes and EINTR: a short write's piece is finished
 * with write(2), the pieces after it go on with writev(2). */
int
sink_write_fd(struct sink *s, int fd, const struct sink_rec *rec,
    const char *what)
{
	struct iovec one = { (void *)(uintptr_t)rec->buf, rec->len };
	const struct iovec *v = rec->iovcnt > 0 ? rec->iov : &one;
	int left = rec->iovcnt > 0 ? rec->iovcnt : 1;
	size_t done = 0;	/* bytes of v[0] written */
	ssize_t n;

	while (left > 0) {
		if (done > 0)
			n = write(fd, (char *)v->iov_base + done,
			    v->iov_len - done);
		else
			n = writev(fd, v, left < IOV_MAX ? left : IOV_MAX);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return sink_fail(s, "writing records to %s: %s", what,
			    strerror(errno));
		for (done += (size_t)n; left > 0 && done >= v->iov_len;
		    left--, v++)
			done -= v->iov_len;
	}
	return 0;
}

static int
sink_stdout_open(struct sink *s UNUSED, const struct config *conf UNUSED)
{
	return 0;
}

/* Records come in runs of whole ones, a block at a time when nobody
 * waits for their positions (record.c gathers them, in pieces). */
static int
sink_stdout_write(struct sink *s, const struct sink_rec *rec)
{
	return sink_write_fd(s, STDOUT_FILENO, rec, "stdout");
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
