/* log.h: OpenBSD-style logging shared by every binlogd process. */
#ifndef BINLOGD_LOG_H
#define BINLOGD_LOG_H

#include <stdarg.h>

#define LOG_TO_STDERR	1
#define LOG_TO_SYSLOG	0

void	log_init(const char *procname, int to_stderr, int debug);
/* Logging to syslog, errors and warnings also to stderr while on: a
 * daemon's start-up, for whoever started it. */
void	log_errors_to_stderr(int on);
void	log_setverbose(int debug);
int	log_getverbose(void);
const char *log_procname(void);

/* Error level ("error:"): something failed.  log_err appends
 * ": strerror(errno)"; log_errx does not (as err(3) and errx(3)). */
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Worth an operator's attention, but nothing failed. */
void	log_warning(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* fatal with a chosen exit code (see exitcode.h) */
void	fatalx_code(int code, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
