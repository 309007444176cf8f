/* util.h: small helpers shared by the processes. */
#ifndef BINLOGD_UTIL_H
#define BINLOGD_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A parameter a callback's signature has but its body does not use. */
#define UNUSED	__attribute__((unused))

/* Fixed fd numbers of a child's links, set up by the supervisor. */
#define FD_SUPERVISOR	3	/* every child: link to the supervisor */
#define FD_CHECKPOINTD	4	/* streamer: link to checkpointd */
#define FD_CONFIG	5	/* every child: its configuration, MSG_CONFIG */

/* Full path of a helper program: $BINLOGD_LIBEXECDIR or LIBEXECDIR. */
const char *libexec_path(const char *prog, char *buf, size_t size);
/* Monotonic seconds. */
double	mono_now(void);
/* Sets FD_CLOEXEC / O_NONBLOCK; -1 on error. */
int	fd_cloexec(int fd, int on);
int	fd_nonblock(int fd, int on);
/* Children: die with SIGTERM when the supervisor dies (Linux prctl). */
void	die_with_parent(void);
/* "binlogd --version" and the like: prints "prog (binlogd) VERSION" and
 * exits 0 when the first argument is --version; returns otherwise. */
void	version_option(int argc, char **argv, const char *prog);
/* Formats a message into err for the caller's caller; returns -1. */
int	err_set(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Copies src to dst like strlcpy; returns strlen(src). */
size_t	strlcpy_(char *dst, const char *src, size_t size);
/* Appends the formatted text to the string in buf, cut to fit. */
void	strcatf_(char *buf, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
