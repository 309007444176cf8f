/* ready.c: how binlogd tells whoever started it that it is up.  In daemon
 * mode the starting process waits on a pipe: one byte when binlogd is
 * ready, or the pipe closing when it failed, and then it exits with
 * binlogd's status after binlogd wrote its error to stderr.  Under systemd
 * (Type=notify) READY=1 and STOPPING=1 go to $NOTIFY_SOCKET. */
#include "build.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binlogd.h"
#include "exitcode.h"
#include "log.h"
#include "util.h"

static int ready_fd = -1;	/* daemon mode, until ready: to the parent */
static int ready_told;

/* The parent's side: binlogd's status is its own. */
static void __attribute__((noreturn))
ready_wait(int fd, pid_t pid)
{
	ssize_t n;
	char c;
	int status;

	while ((n = read(fd, &c, 1)) == -1 && errno == EINTR)
		;
	if (n == 1)
		_exit(BX_OK);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			_exit(BX_FAILURE);
	if (WIFEXITED(status) && WEXITSTATUS(status) != BX_OK)
		_exit(WEXITSTATUS(status));
	fprintf(stderr, "binlogd: stopped before it was ready\n");
	_exit(BX_FAILURE);
}

static void
ready_null(int fd)
{
	int null;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	if (dup2(null, fd) == -1)
		fatal("dup2");
	close(null);
}

/* Detaches, keeping stderr (and logging errors there too) until
 * ready_done(). */
void
ready_daemonize(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid != 0) {
		close(p[1]);
		ready_wait(p[0], pid);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	ready_null(STDIN_FILENO);
	ready_null(STDOUT_FILENO);
	log_errors_to_stderr(1);
}

/* A child must not hold the starter's stderr open: a starter reading it
 * ($(binlogd ...)) would wait for as long as the child lives.  fa is the
 * child's posix_spawn file actions. */
void
ready_child_stderr(posix_spawn_file_actions_t *fa)
{
	if (ready_fd != -1 && posix_spawn_file_actions_addopen(fa,
	    STDERR_FILENO, "/dev/null", O_RDWR, 0) != 0)
		fatalx("posix_spawn: out of memory");
}

/* sd_notify(3)'s protocol: one datagram to $NOTIFY_SOCKET, a path or,
 * with a leading '@', an abstract socket. */
void
ready_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	size_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((len = strlen(path)) >= sizeof(sun.sun_path)) {
		log_errx("NOTIFY_SOCKET %s: path too long", path);
		return;
	}
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path) +
	    len) == -1)
		log_err("NOTIFY_SOCKET %s: cannot send %s", path, state);
	if (fd != -1)
		close(fd);
}

/* Once: the starting process exits 0, systemd hears READY=1, and from now
 * on errors go to syslog only. */
void
ready_done(void)
{
	if (ready_told)
		return;
	ready_told = 1;
	ready_notify("READY=1");
	if (ready_fd == -1)
		return;
	if (write(ready_fd, "", 1) != 1)
		log_err("cannot tell the starting process binlogd is ready");
	close(ready_fd);
	ready_fd = -1;
	log_errors_to_stderr(0);
	ready_null(STDERR_FILENO);
}
