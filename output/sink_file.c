/* sink_file.c: records appended to a file as JSON Lines.  A transaction
 * is durable after write(2) and fsync(2); a partial last line left by a
 * crash is cut off on open, so the file only ever holds whole records.
 * logrotate: SIGHUP makes binlogd restart the streamer, which opens the
 * path again (a rotated file is never written after its last commit). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "output.h"
#include "util.h"

#define SINK_FILE_CHUNK	65536

struct sink_file {
	int	 fd;
	bool	 fsync;
};

/* The length of the file up to and including its last '\n' (0 if it has
 * none), read backwards a chunk at a time. */
static int
sink_file_whole(struct sink *s, int fd, off_t size, off_t *keep)
{
	char buf[SINK_FILE_CHUNK];
	off_t at = size;
	size_t n;
	ssize_t got;

	while (at > 0) {
		n = at < (off_t)sizeof(buf) ? (size_t)at : sizeof(buf);
		at -= (off_t)n;
		if ((got = pread(fd, buf, n, at)) != (ssize_t)n)
			return sink_fail(s, "reading the end of %s: %s",
			    s->conf->sink_path, got == -1 ? strerror(errno) :
			    "short read");
		while (n > 0)
			if (buf[--n] == '\n') {
				*keep = at + (off_t)n + 1;
				return 0;
			}
	}
	*keep = 0;
	return 0;
}

/* A crash mid-write can leave the last record cut: drop those bytes, the
 * transaction was not reported and comes again after the restart. */
static int
sink_file_repair(struct sink *s, int fd)
{
	struct stat sb;
	off_t keep;

	if (fstat(fd, &sb) == -1)
		return sink_fail(s, "%s: %s", s->conf->sink_path,
		    strerror(errno));
	if (sb.st_size == 0 || sink_file_whole(s, fd, sb.st_size, &keep) == -1)
		return sb.st_size == 0 ? 0 : -1;
	if (keep == sb.st_size)
		return 0;
	log_errx("%s ends in a partial record (%lld bytes after the last "
	    "newline, left by an interrupted write: a crash or a full disk): "
	    "truncating it; that transaction comes again", s->conf->sink_path,
	    (long long)(sb.st_size - keep));
	if (ftruncate(fd, keep) == -1 || fsync(fd) == -1)
		return sink_fail(s, "truncating the partial record at the end "
		    "of %s: %s", s->conf->sink_path, strerror(errno));
	return 0;
}

static int
sink_file_open(struct sink *s, const struct config *conf)
{
	struct sink_file *f;
	int fd;

	if (conf->sink_path[0] == '\0')
		return sink_fail(s, "[stream] sink = file needs [sink] path, "
		    "the file to append records to");
	fd = open(conf->sink_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (fd == -1)
		return sink_fail(s, "[sink] path %s: %s (check the directory "
		    "exists and the daemon's user may write it)",
		    conf->sink_path, strerror(errno));
	if (sink_file_repair(s, fd) == -1) {
		close(fd);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("file sink");
	f->fd = fd;
	f->fsync = strcmp(conf->sink_fsync, "yes") == 0;
	s->priv = f;
	return 0;
}

static int
sink_file_write(struct sink *s, const struct sink_rec *rec)
{
	struct sink_file *f = s->priv;

	return sink_write_fd(s, f->fd, rec->buf, rec->len, s->conf->sink_path);
}

static int
sink_file_commit(struct sink *s, const struct position *pos, bool force)
{
	struct sink_file *f = s->priv;

	if (f->fsync && fsync(f->fd) == -1)
		return sink_fail(s, "fsync of %s: %s", s->conf->sink_path,
		    strerror(errno));
	sink_durable(s, pos, force);
	return 0;
}

static void
sink_file_close(struct sink *s)
{
	struct sink_file *f = s->priv;

	if (f == NULL)
		return;
	if (f->fsync)
		fsync(f->fd);
	close(f->fd);
	free(f);
	s->priv = NULL;
}

const struct sink_ops sink_file_ops = {
	.name = "file",
	.open = sink_file_open,
	.write = sink_file_write,
	.commit = sink_file_commit,
	.close = sink_file_close,
};
