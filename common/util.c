/* util.c: small helpers shared by the processes: paths, clocks, fds. */
#include "build.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
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

void
strcatf_(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

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
		log_err("prctl(PR_SET_PDEATHSIG)");
#endif
	/* A supervisor that died before prctl took effect is noticed as EOF
	 * on its link.  (getppid() == 1 would misfire when binlogd itself is
	 * pid 1, as in a container.) */
}

/* Each exit status's name in prose, for logs and status, and as a key,
 * for metric labels and scripts. */
static const struct {
	int		 code;
	const char	*key;
	const char	*name;
} exit_codes[] = {
	{ BX_OK,		"clean_stop",	"clean stop" },
	{ BX_FAILURE,		"failure",	"failure" },
	{ BX_USAGE,		"usage",	"usage error" },
	{ BX_CONFIG,		"config",	"configuration error" },
	{ BX_SERVER_CONFIG,	"server_config",
	    "server unsuitable or spill_dir unwritable" },
	{ BX_AUTH,		"auth",		"access denied by the server" },
	{ BX_STORE,		"store",	"checkpoint store error" },
	{ BX_PURGED,		"purged",	"binlog position purged" },
	{ BX_PEER_LOST,		"peer_lost",	"lost its peer" },
	{ BX_DECODE,		"decode",	"event decode error" },
	{ BX_OVERSIZE,		"oversize",
	    "a record over the sink's message size limit" },
	{ BX_SCHEMA,		"schema",
	    "a table's columns differ from its schema" },
};

static int
exit_code_index(int code)
{
	size_t i;

	for (i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		if (exit_codes[i].code == code)
			return (int)i;
	return -1;
}

const char *
exit_code_name(int code)
{
	int i = exit_code_index(code);

	return i == -1 ? "unknown exit code" : exit_codes[i].name;
}

const char *
exit_code_key(int code)
{
	int i = exit_code_index(code);

	return i == -1 ? "unknown" : exit_codes[i].key;
}

void
version_option(int argc, char **argv, const char *prog)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s (binlogd) %s\n", prog, PACKAGE_VERSION);
		exit(0);
	}
}

int
err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
