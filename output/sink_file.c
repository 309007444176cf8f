/* sink_file.c: records appended to a file as JSON Lines.  A transaction
 * is durable after write(2) and fsync(2); a partial last line left by a
 * crash is cut off on open, so the file only ever holds whole records.
 * logrotate: SIGHUP makes binlogd restart the streamer, which opens the
 * path again (a rotated file is never written after its last commit).
 *
 * Group commit (fsync = yes).  An fsync costs the disk's flush latency
 * however much it covers; one per transaction on the reader thread held
 * the stream to the disk's fsyncs per second, far below the commits of
 * an ordinary OLTP server.  So the reader only writes a transaction and
 * queues its position; the syncer thread fsyncs everything written so
 * far, then reports the newest position that fsync covers, and starts
 * the next fsync at once if more came meanwhile.  As in PostgreSQL's WAL
 * flush and MariaDB's binlog group commit, a batch is what arrived while
 * the previous fsync ran: it grows with the load by itself, and a lone
 * transaction is durable after its own fsync (behind at most one already
 * under way) -- no timer.  Neither commit_delay nor a wait for "the input
 * is empty": a delay only pays when committers contend for the fsync,
 * and here the one writer never waits for it, so a batch needs no help
 * to form; an empty input is not seen by a reader inside libmariadb's
 * fetch (TLS) and never seen by one that is behind. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "output.h"
#include "util.h"

#define SINK_FILE_CHUNK	65536

struct sink_file {
	int		 fd;
	bool		 fsync;
	/* the group commit, under mu */
	pthread_t	 syncer;
	pthread_mutex_t	 mu;
	pthread_cond_t	 due;		/* to the syncer: a position, or stop */
	pthread_cond_t	 done;		/* from it: a batch out, or failed */
	struct position	 pos;		/* the newest transaction written */
	bool		 force;		/* it or one before wants a commit now */
	uint64_t	 queued;	/* transactions written, not yet taken */
	bool		 busy;		/* the syncer's fsync is under way */
	bool		 stop;
	bool		 failed;
	char		 why[1536];
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

static uint64_t
sink_file_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* One batch: everything written so far made durable, then the newest
 * position it covers reported (the owner keeps only the newest one: the
 * positions before it would add nothing).  0, or the fsync's errno. */
static int
sink_file_flush(struct sink *s, struct sink_file *f, const struct position *pos,
    bool force, uint64_t trx)
{
	uint64_t t0 = sink_file_usec();

	if (fsync(f->fd) == -1)
		return errno;
	if (s->owner->flushed != NULL)
		s->owner->flushed(trx, sink_file_usec() - t0);
	sink_durable(s, pos, force);
	return 0;
}

/* The syncer: batches until stopped with nothing queued, or until an
 * fsync fails -- then nothing later is reported (the bytes it did not
 * flush may be gone), and the reader stops at its next commit. */
static void *
sink_file_syncer(void *arg)
{
	struct sink *s = arg;
	struct sink_file *f = s->priv;
	struct position pos;
	bool force;
	uint64_t trx;
	int err = 0;

	pthread_mutex_lock(&f->mu);
	while (err == 0) {
		while (f->queued == 0 && !f->stop)
			pthread_cond_wait(&f->due, &f->mu);
		if (f->queued == 0)
			break;
		position_copy(&pos, &f->pos);
		force = f->force;
		trx = f->queued;
		f->queued = 0;
		f->force = false;
		f->busy = true;
		pthread_mutex_unlock(&f->mu);
		err = sink_file_flush(s, f, &pos, force, trx);
		pthread_mutex_lock(&f->mu);
		f->busy = false;
		if (err != 0) {
			f->failed = true;
			snprintf(f->why, sizeof(f->why), "fsync of %s: %s; "
			    "what was written since the last fsync may be lost "
			    "(see the kernel's log for the disk), so no later "
			    "position is reported: the restart writes it again "
			    "from the last one saved", s->conf->sink_path,
			    strerror(err));
		}
		pthread_cond_broadcast(&f->done);
	}
	pthread_mutex_unlock(&f->mu);
	/* at once, not at the reader's next commit, which an idle server
	 * may never bring: the stream ends and the restart writes again */
	if (err != 0 && s->owner->failed != NULL)
		s->owner->failed(s->owner->arg, "file", 0, f->why);
	else if (err != 0 && s->owner->errored != NULL)
		s->owner->errored();
	return NULL;
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
	if (f->fsync && (pthread_mutex_init(&f->mu, NULL) != 0 ||
	    pthread_cond_init(&f->due, NULL) != 0 ||
	    pthread_cond_init(&f->done, NULL) != 0 ||
	    pthread_create(&f->syncer, NULL, sink_file_syncer, s) != 0))
		fatalx("cannot start the file sink's fsync thread");
	return 0;
}

static int
sink_file_write(struct sink *s, const struct sink_rec *rec)
{
	struct sink_file *f = s->priv;

	return sink_write_fd(s, f->fd, rec, s->conf->sink_path);
}

/* The transaction is written: its position waits for the syncer's next
 * fsync (at once, without fsync = yes). */
static int
sink_file_commit(struct sink *s, const struct position *pos, bool force)
{
	struct sink_file *f = s->priv;
	bool failed;

	if (!f->fsync) {
		sink_durable(s, pos, force);
		return 0;
	}
	pthread_mutex_lock(&f->mu);
	if (!(failed = f->failed)) {
		position_copy(&f->pos, pos);
		f->force |= force;
		if (f->queued++ == 0)
			pthread_cond_signal(&f->due);
	}
	pthread_mutex_unlock(&f->mu);
	return failed ? sink_fail(s, "%s", f->why) : 0;
}

/* Until every position committed so far is reported, or the syncer
 * failed: the reader resumes from, and the streamer saves, the last
 * transaction written. */
static int
sink_file_settle(struct sink *s)
{
	struct sink_file *f = s->priv;
	bool failed;

	if (!f->fsync)
		return 0;
	pthread_mutex_lock(&f->mu);
	while (!f->failed && (f->queued > 0 || f->busy))
		pthread_cond_wait(&f->done, &f->mu);
	failed = f->failed;
	pthread_mutex_unlock(&f->mu);
	return failed ? sink_fail(s, "%s", f->why) : 0;
}

static void
sink_file_close(struct sink *s)
{
	struct sink_file *f = s->priv;

	if (f == NULL)
		return;
	if (f->fsync) {
		pthread_mutex_lock(&f->mu);
		f->stop = true;
		pthread_cond_signal(&f->due);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->syncer, NULL);
		fsync(f->fd);
	}
	close(f->fd);
	free(f);
	s->priv = NULL;
}

const struct sink_ops sink_file_ops = {
	.name = "file",
	.open = sink_file_open,
	.write = sink_file_write,
	.commit = sink_file_commit,
	.settle = sink_file_settle,
	.close = sink_file_close,
};
