/* lock.c: one binlogd per checkpoint database and per sink file.  The
 * supervisor holds a POSIX record lock on each for its whole life (children
 * do not inherit it), so that a second instance started from a copied
 * configuration stops at once and names the first, instead of both taking
 * turns on the server and writing the same files. */
#include "build.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "binlogd.h"
#include "log.h"
#include "util.h"

enum lock_slot { LOCK_DATABASE, LOCK_SINK, LOCK_COUNT };

static int lock_fd[LOCK_COUNT] = { -1, -1 };

/* True when fd is the file now at path: then it is locked already, and
 * opening path again to lock it would lose the lock when either fd closes
 * (POSIX record locks belong to the process and the file). */
static int
lock_same_file(int fd, const char *path)
{
	struct stat a, b;

	return fd != -1 && fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Locks path (created 0640 if missing) in slot, then lets go of the file
 * the slot held before.  A file that cannot be opened is left to the child
 * that uses it, whose error says what is wrong; -1 with err only when
 * another process holds the lock.
 */
static int
lock_take(enum lock_slot slot, const char *path, const char *what,
    char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
	    .l_start = 0, .l_len = 1 };
	int fd;

	if (lock_same_file(lock_fd[slot], path))
		return 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640)) == -1)
		return 0;
	if (fcntl(fd, F_SETLK, &fl) == -1) {
		if (errno != EACCES && errno != EAGAIN) {
			log_err("cannot lock %s", path);
			close(fd);
			return 0;
		}
		if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK)
			fl.l_pid = 0;
		close(fd);
		snprintf(err, errlen, "%s %s is in use by another binlogd "
		    "(pid %ld): give each instance its own %s", what, path,
		    (long)fl.l_pid, what);
		return -1;
	}
	if (lock_fd[slot] != -1)
		close(lock_fd[slot]);
	lock_fd[slot] = fd;
	return 0;
}

int
lock_database(const struct config *conf, char *err, size_t errlen)
{
	return lock_take(LOCK_DATABASE, conf->database, "[checkpoint] database",
	    err, errlen);
}

/* Again at each reload: logrotate's SIGHUP leaves a new file at the path. */
int
lock_sink(const struct config *conf, char *err, size_t errlen)
{
	if (strcmp(conf->sink, "file") != 0 || conf->sink_path[0] == '\0')
		return 0;
	return lock_take(LOCK_SINK, conf->sink_path, "[sink] path", err,
	    errlen);
}
