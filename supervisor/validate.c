/* validate.c: the one check of a configuration file, run by binlogd -n, at
 * start and at reload before binlogd accepts the file: its syntax, the
 * password file, what the run will need (the user; the files and
 * directories the helpers write, checked as that user) and the streamer's
 * own options (filters, format, TLS files), by binlogd-streamer -n, as
 * that user, on the very text accepted.  At a start in the foreground the
 * streamer started next checks its options before anything else, and its
 * exit status stops binlogd as this check would (78, the same message):
 * that start skips the second exec.  What is accepted reaches the helpers
 * on fd 5 (proc_config_fd): they never read the file, which may have
 * changed since. */
#include "build.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binlogd.h"
#include "exitcode.h"
#include "proc.h"
#include "util.h"

int
sup_become_user(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
		return -1;
	return 0;
}

/* What only the supervisor knows: who it will run as, and where the
 * records go once it is a daemon. */
static int
validate_run(const struct config *conf, int daemon, char *err,
    size_t errlen)
{
	if (conf->run_user[0] != '\0' && getpwnam(conf->run_user) == NULL)
		return err_set(err, errlen, "[daemon] user %s does not "
		    "exist: create it, or leave user empty to stay as "
		    "started", conf->run_user);
	if (daemon && strcmp(conf->sink, "stdout") == 0)
		return err_set(err, errlen, "[stream] sink = stdout "
		    "with binlogd running as a daemon (without -f) writes the "
		    "records to /dev/null and saves their positions as "
		    "delivered: set sink = file and [sink] path (or kafka), "
		    "or run binlogd -f");
	return 0;
}

#define VALIDATE_REMEDY	"make the file and its directory writable by " \
			"binlogd's user"

/* The directory a file will be created in must exist (else BX_CONFIG) and
 * be writable (else denied, the exit status of the helper that would
 * fail). */
static int
validate_dir_of(const char *what, const char *path, int denied, char *err,
    size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[CONF_STR_MAX];
	struct stat sb;
	int rc;

	if (slash == NULL)
		strlcpy_(dir, ".", sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash == path ? 1 : slash - path), path);
	if ((rc = stat(dir, &sb)) == -1 && errno != ENOENT) {
		err_set(err, errlen, "%s %s: the directory %s: %s", what, path,
		    dir, strerror(errno));
		return BX_CONFIG;
	}
	if (rc == -1 || !S_ISDIR(sb.st_mode)) {
		err_set(err, errlen, "%s %s: %s %s: create it, writable by "
		    "binlogd's user", what, path, dir, rc == -1 ?
		    "does not exist" : "is not a directory");
		return BX_CONFIG;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		err_set(err, errlen, "%s %s: the directory %s: %s: "
		    VALIDATE_REMEDY, what, path, dir, strerror(errno));
		return denied;
	}
	return BX_OK;
}

/* A file a helper opens for writing: writable if it exists, else its
 * directory; needs_dir: both (SQLite creates -wal and -shm beside the
 * database).  The exit status of the failure, as validate_dir_of. */
static int
validate_writable(const char *what, const char *path, int needs_dir,
    int denied, char *err, size_t errlen)
{
	int code;

	if ((needs_dir || access(path, F_OK) == -1) &&
	    (code = validate_dir_of(what, path, denied, err, errlen)) != BX_OK)
		return code;
	if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) == -1) {
		err_set(err, errlen, "%s %s: %s: " VALIDATE_REMEDY, what, path,
		    strerror(errno));
		return denied;
	}
	return BX_OK;
}

/* Run as the user the helpers will run as; the exit status of the first
 * failure, or BX_OK. */
static int
validate_paths(const struct config *conf, char *err, size_t errlen)
{
	int code;

	if ((code = validate_writable("checkpoint database", conf->database,
	    1, BX_STORE, err, errlen)) != BX_OK)
		return code;
	if (strcmp(conf->sink, "file") == 0 && conf->sink_path[0] == '\0') {
		err_set(err, errlen, "[stream] sink = file needs [sink] path, "
		    "the file to append records to");
		return BX_CONFIG;
	}
	if (strcmp(conf->sink, "file") == 0)
		return validate_writable("[sink] path", conf->sink_path, 0,
		    BX_CONFIG, err, errlen);
	return BX_OK;
}

/* In the checking process: become the helpers' user, check the paths, and
 * exec binlogd-streamer -n -C on the configuration at fd if asked. */
static void __attribute__((noreturn))
validate_child(const struct config *conf, int fd, int flags)
{
	struct passwd *pw;
	char path[1024], err[1200];
	int code;

	if (conf->run_user[0] != '\0' && geteuid() == 0 &&
	    ((pw = getpwnam(conf->run_user)) == NULL ||
	    sup_become_user(pw) == -1)) {
		fprintf(stderr, "cannot switch to [daemon] user %s to check "
		    "the files it needs: %s\n", conf->run_user,
		    strerror(errno));
		_exit(BX_CONFIG);
	}
	if ((code = validate_paths(conf, err, sizeof(err))) != BX_OK) {
		fprintf(stderr, "%s: %s\n", conf->path, err);
		_exit(code);
	}
	if (!(flags & VALIDATE_STREAMER))
		_exit(BX_OK);
	if ((fd == FD_CONFIG ? fd_cloexec(fd, 0) : dup2(fd, FD_CONFIG)) ==
	    -1) {
		fprintf(stderr, "dup2: %s\n", strerror(errno));
		_exit(BX_FAILURE);
	}
	libexec_path("binlogd-streamer", path, sizeof(path));
	execl(path, "binlogd-streamer", "-n", "-C", (char *)NULL);
	fprintf(stderr, "cannot run %s to check the streamer's options: %s "
	    "(is binlogd installed? BINLOGD_LIBEXECDIR overrides the "
	    "directory)\n", path, strerror(errno));
	_exit(BX_FAILURE);
}

/* Runs validate_child and returns its exit status, with what it printed
 * in err.  It opens nothing and exits at once: waiting for it blocks the
 * event loop only briefly. */
static int
validate_as_user(const struct config *conf, int fd, int flags, char *err,
    size_t errlen)
{
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int p[2], status;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		err_set(err, errlen, "cannot check the configuration: "
		    "%s", strerror(errno));
		return BX_FAILURE;
	}
	if (pid == 0) {
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(BX_FAILURE);
		validate_child(conf, fd, flags);
	}
	close(p[1]);
	while (got + 1 < errlen &&
	    ((n = read(p[0], err + got, errlen - 1 - got)) > 0 ||
	    (n == -1 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(p[0]);
	err[got] = '\0';
	err[strcspn(err, "\n")] = '\0';
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			err_set(err, errlen, "waitpid: %s",
			    strerror(errno));
			return BX_FAILURE;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == BX_OK)
		return BX_OK;
	if (err[0] == '\0')
		err_set(err, errlen, "binlogd-streamer -n: exit status "
		    "%d", status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : BX_FAILURE;
}

/* Nothing to exec and nobody to become (a start in the foreground as
 * the helpers' user): the paths are checked here, with the message
 * validate_child would print.  -1: it takes the checking process. */
static int
validate_here(const struct config *conf, int flags, char *err,
    size_t errlen)
{
	char msg[1024];
	int code;

	if ((flags & VALIDATE_STREAMER) ||
	    (conf->run_user[0] != '\0' && geteuid() == 0))
		return -1;
	if ((code = validate_paths(conf, msg, sizeof(msg))) != BX_OK)
		err_set(err, errlen, "%s: %s", conf->path, msg);
	return code;
}

/* After the privilege drop a reload cannot read a password file only root
 * may read: the password read at start stays, as long as the file named
 * is the same. */
static int
validate_password(struct config *conf, const struct config *running,
    char *err, size_t errlen)
{
	if (running != NULL && conf->password_file[0] != '\0' &&
	    strcmp(conf->password_file, running->password_file) == 0 &&
	    access(conf->password_file, R_OK) == -1 && errno == EACCES) {
		memcpy(conf->password, running->password,
		    sizeof(conf->password));
		return 0;
	}
	return config_read_password(conf, err, errlen);
}

int
sup_validate(const char *path, int flags, const struct config *running,
    struct config *conf, int *conf_fd, char *err, size_t errlen)
{
	char *text, msg[1200];
	size_t len;
	int fd, code;

	if (config_read_file(path, &text, &len, err, errlen) == -1)
		return BX_CONFIG;
	if (config_parse(conf, path, text, len, err, errlen) == -1) {
		free(text);
		return BX_CONFIG;
	}
	if (validate_password(conf, running, msg, sizeof(msg)) == -1 ||
	    validate_run(conf, flags & VALIDATE_DAEMON, msg, sizeof(msg)) ==
	    -1) {
		free(text);
		err_set(err, errlen, "%s: %s", path, msg);
		return BX_CONFIG;
	}
	fd = proc_config_fd(conf, text, len, err, errlen);
	free(text);
	if (fd == -1)
		return BX_FAILURE;
	if ((code = validate_here(conf, flags, err, errlen)) == -1)
		code = validate_as_user(conf, fd, flags, err, errlen);
	if (code != BX_OK) {
		close(fd);
		return code;
	}
	*conf_fd = fd;
	return BX_OK;
}
