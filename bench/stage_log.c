/* stage_log.c: an LD_PRELOAD shim for binlogd-streamer that tells when
 * each binlog event arrived and when each write to a file returned, so
 * that bench/run -S can split a record's commit-to-durable latency into
 * the server's part, the streamer's and the disk's (with tests/fsync_log.c
 * for the fsyncs).  It appends to $STAGE_LOG the lines
 *
 *   X fd next_pos us           the recv(2) that brought the last byte
 *                              of a transaction's XID event returned at us
 *   W inode end us             a write(2) or writev(2) to a regular file
 *                              returned at us, the file then end bytes
 *                              long
 *
 * Times are CLOCK_REALTIME in microseconds, as fsync_log.c's and MariaDB's
 * NOW(6).  An event is a protocol packet whose payload is the OK byte and
 * an event header whose length is the rest of the packet: what
 * COM_BINLOG_DUMP sends; a packet of a query's result seldom looks like
 * one, and the bench keeps only the fd with the most events.  Only XID
 * events (a DML transaction's end) are logged: a line per event would
 * cost the reader a system call each at full speed.
 *
 *   cc -shared -fPIC -O2 -o stage_log.so bench/stage_log.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define STAGE_FDS	1024
#define STAGE_HEAD	24	/* packet header, OK byte, event header */
#define STAGE_XID	16	/* XID_EVENT */

struct stage_fd {
	uint32_t	 left;		/* bytes of the packet not yet seen */
	uint32_t	 have;		/* of head */
	unsigned char	 head[STAGE_HEAD];
};

static int		 stage_log_fd = -1;
static struct stage_fd	 stage_fds[STAGE_FDS];

__attribute__((constructor)) static void
stage_log_open(void)
{
	const char *path = getenv("STAGE_LOG");

	if (path != NULL)
		stage_log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644);
}

static long long
stage_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint32_t
stage_le(const unsigned char *p, int n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static void
stage_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
stage_line(const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	(void)!write(stage_log_fd, line, (size_t)n);
}

/* The packet in f->head is whole: an XID event of the dump stream is
 * logged. */
static void
stage_packet(int fd, struct stage_fd *f, long long us)
{
	const unsigned char *h = f->head;

	if (f->have == STAGE_HEAD && h[4] == 0 && h[5 + 4] == STAGE_XID &&
	    stage_le(h + 5 + 9, 4) == stage_le(h, 3) - 1)
		stage_line("X %d %u %lld\n", fd, stage_le(h + 5 + 13, 4), us);
}

/* Follows the packets of n bytes received on fd. */
static void
stage_recv(int fd, const unsigned char *p, size_t n, long long us)
{
	struct stage_fd *f = &stage_fds[fd];
	size_t take;

	while (n > 0) {
		if (f->have < 4 || (f->have < STAGE_HEAD && f->left > 0)) {
			f->head[f->have++] = *p++;
			n--;
			if (f->have == 4)
				f->left = stage_le(f->head, 3);
			else
				f->left--;
		} else {
			take = n < f->left ? n : f->left;
			f->left -= (uint32_t)take;
			p += take;
			n -= take;
		}
		if (f->have >= 4 && f->left == 0) {
			stage_packet(fd, f, us);
			f->have = 0;
		}
	}
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	ssize_t n;

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT,
		    "recv");
	n = real(fd, buf, len, flags);
	if (n > 0 && stage_log_fd != -1 && fd >= 0 && fd < STAGE_FDS &&
	    !(flags & MSG_PEEK))
		stage_recv(fd, buf, (size_t)n, stage_now());
	return n;
}

/* A write of n bytes to fd returned: logged if fd is a regular file. */
static void
stage_wrote(int fd, ssize_t n)
{
	struct stat sb;
	int saved;

	if (n <= 0 || stage_log_fd == -1 || fd == stage_log_fd)
		return;
	saved = errno;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		stage_line("W %llu %lld %lld\n", (unsigned long long)sb.st_ino,
		    (long long)sb.st_size, stage_now());
	errno = saved;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	ssize_t n;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		    "write");
	n = real(fd, buf, len);
	stage_wrote(fd, n);
	return n;
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	static ssize_t (*real)(int, const struct iovec *, int);
	ssize_t n;

	if (real == NULL)
		real = (ssize_t (*)(int, const struct iovec *, int))dlsym(
		    RTLD_NEXT, "writev");
	n = real(fd, iov, iovcnt);
	stage_wrote(fd, n);
	return n;
}
