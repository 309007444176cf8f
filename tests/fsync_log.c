/* fsync_log.c: an LD_PRELOAD shim that tells when a file's bytes became
 * durable, seen from outside binlogd: every fsync(2) and fdatasync(2) of
 * a regular file appends to $FSYNC_LOG the line
 *
 *   inode size start_us end_us rc
 *
 * size is the file's size when the call began: every byte below it was
 * written before the call, so is on disk once it returns 0 (bytes written
 * during the call may be too; they are not counted).  Times are
 * CLOCK_REALTIME in microseconds, the clock MariaDB's NOW(6) reads.  Used
 * by bench/run -S (commit-to-durable latency) and the sink tests (a
 * power loss: the file cut back to what the last fsync covered).
 * $FSYNC_DELAY_MS makes each such call that much slower, as a slow disk
 * would, before it begins; from the $FSYNC_FAIL_AT'th call on (if set),
 * each fails with EIO, as on a failing disk, and syncs nothing.
 *
 *   cc -shared -fPIC -O2 -o fsync_log.so tests/fsync_log.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int	 fsync_log_fd = -1;
static long	 fsync_log_delay_ms;
static long	 fsync_log_fail_at;
static long	 fsync_log_calls;

__attribute__((constructor)) static void
fsync_log_open(void)
{
	const char *path = getenv("FSYNC_LOG");
	const char *delay = getenv("FSYNC_DELAY_MS");
	const char *fail = getenv("FSYNC_FAIL_AT");

	if (path != NULL)
		fsync_log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644);
	if (delay != NULL)
		fsync_log_delay_ms = strtol(delay, NULL, 10);
	if (fail != NULL)
		fsync_log_fail_at = strtol(fail, NULL, 10);
}

/* The real call, or EIO once FSYNC_FAIL_AT calls are reached. */
static int
fsync_log_real(int (*real)(int), int fd)
{
	if (fsync_log_fail_at > 0 && __atomic_add_fetch(&fsync_log_calls, 1,
	    __ATOMIC_RELAXED) >= fsync_log_fail_at) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

static long long
fsync_log_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Calls the real function name on fd, logging it if fd is a file. */
static int
fsync_log_call(const char *name, int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
	struct timespec delay = { fsync_log_delay_ms / 1000,
	    fsync_log_delay_ms % 1000 * 1000000 };
	struct stat sb;
	long long t0, t1;
	char line[128];
	int rc, saved, n;

	if (fsync_log_fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return real(fd);
	if (fsync_log_delay_ms > 0) {
		nanosleep(&delay, NULL);
		fstat(fd, &sb);
	}
	t0 = fsync_log_now();
	rc = fsync_log_real(real, fd);
	saved = errno;
	t1 = fsync_log_now();
	n = snprintf(line, sizeof(line), "%llu %lld %lld %lld %d\n",
	    (unsigned long long)sb.st_ino, (long long)sb.st_size, t0, t1, rc);
	(void)!write(fsync_log_fd, line, (size_t)n);
	errno = saved;
	return rc;
}

int
fsync(int fd)
{
	return fsync_log_call("fsync", fd);
}

int
fdatasync(int fd)
{
	return fsync_log_call("fdatasync", fd);
}
