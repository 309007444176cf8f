/* log.c: one log format for every process: the process name on each line,
 * stderr in the foreground, syslog as a daemon. */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "util.h"

static const char *log_name = "binlogd";
static int log_stderr = 1;
static int log_debug_on;
static int log_errors_stderr;

void
log_init(const char *procname, int to_stderr, int debug)
{
	log_name = procname;
	log_stderr = to_stderr;
	log_debug_on = debug;
	if (!to_stderr)
		openlog(procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_errors_to_stderr(int on)
{
	log_errors_stderr = on;
}

void
log_setverbose(int debug)
{
	log_debug_on = debug;
}

int
log_getverbose(void)
{
	return log_debug_on;
}

const char *
log_procname(void)
{
	return log_name;
}

static const char *
log_level_word(int pri)
{
	switch (pri) {
	case LOG_CRIT:		return "fatal";
	case LOG_ERR:		return "error";
	case LOG_WARNING:	return "warning";
	case LOG_INFO:		return "info";
	default:		return "debug";
	}
}

static void
log_vwrite(int pri, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048];
	int saved_errno = errno;
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved_errno));
	}
	if (log_stderr) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		/* One fprintf per line so that lines of the three processes
		 * sharing stderr do not interleave mid-line. */
		fprintf(stderr, "%s.%03ldZ %s[%ld] %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_name, (long)getpid(),
		    log_level_word(pri), msg);
		fflush(stderr);
	} else {
		syslog(pri, "%s: %s", log_level_word(pri), msg);
		if (log_errors_stderr && pri <= LOG_WARNING)
			fprintf(stderr, "%s: %s\n", log_name, msg);
	}
	errno = saved_errno;
}

#define LOG_FN(name, pri, with_errno)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
	if ((pri) == LOG_DEBUG && !log_debug_on)	\
		return;					\
	va_start(ap, fmt);				\
	log_vwrite((pri), fmt, ap, (with_errno));	\
	va_end(ap);					\
}

LOG_FN(log_err, LOG_ERR, 1)
LOG_FN(log_errx, LOG_ERR, 0)
LOG_FN(log_warning, LOG_WARNING, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(BX_FAILURE);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(BX_FAILURE);
}

void
fatalx_code(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(code);
}
