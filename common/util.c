/* util.c: small helpers shared by the processes: paths, clocks, fds. */
#include "build.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_PRCTL
#include <sys/prctl.h>
#endif

#include "exitcode.h"
#include "log.h"
#include "util.h"

size_t
strlcpy_(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

const char *
libexec_path(const char *prog, char *buf, size_t size)
{
	const char *dir = getenv("BINLOGD_LIBEXECDIR");

	if (dir == NULL || *dir == '\0')
		dir = LIBEXECDIR;
	snprintf(buf, size, "%s/%s", dir, prog);
	return buf;
}

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
fd_setflag(int fd, int getcmd, int setcmd, int flag, int on)
{
	int flags = fcntl(fd, getcmd);

	if (flags == -1)
		return -1;
	flags = on ? flags | flag : flags & ~flag;
	return fcntl(fd, setcmd, flags);
}

int
fd_cloexec(int fd, int on)
{
	return fd_setflag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int
fd_nonblock(int fd, int on)
{
	return fd_setflag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

void
die_with_parent(void)
{
#ifdef HAVE_PRCTL
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
#endif
	/* A supervisor that died before prctl took effect is noticed as EOF
	 * on its link.  (getppid() == 1 would misfire when binlogd itself is
	 * pid 1, as in a container.) */
}

const char *
exit_code_name(int code)
{
	switch (code) {
	case BX_OK:		return "clean stop";
	case BX_FAILURE:	return "failure";
	case BX_USAGE:		return "usage error";
	case BX_CONFIG:		return "configuration error";
	case BX_SERVER_CONFIG:	return "server unsuitable or spill_dir unwritable";
	case BX_AUTH:		return "access denied by the server";
	case BX_STORE:		return "checkpoint store error";
	case BX_PURGED:		return "binlog position purged";
	case BX_PEER_LOST:	return "lost its peer";
	case BX_DECODE:		return "event decode error";
	default:		return "unknown exit code";
	}
}

void
version_option(int argc, char **argv, const char *prog)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s (binlogd) %s\n", prog, PACKAGE_VERSION);
		exit(0);
	}
}
