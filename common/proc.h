/* proc.h: how a helper process of binlogd starts -- the command line the
 * supervisor gives it, logging, the signals it leaves to the supervisor,
 * and its configuration.  One contract, so both helpers share it. */
#ifndef BINLOGD_PROC_H
#define BINLOGD_PROC_H

#include "config.h"

struct proc_child {
	const char	*name;		/* on every log line: "streamer" */
	const char	*prog;		/* its file name: "binlogd-streamer" */
	const char	*links;		/* for usage: "fd 3 to binlogd and ..." */
};

/*
 * Parses "[-Cdfhn] [-c config]" (and --help), starts logging, arranges to
 * die with the supervisor, ignores SIGINT, SIGHUP and SIGPIPE (they reach
 * the whole process group; the supervisor decides what they mean), checks
 * that the supervisor's link is open, and loads the configuration: with
 * -C the one binlogd accepted, from fd 5 (see proc_config_fd), never the
 * file, which may have changed since and which the helper, after the
 * privilege drop, may not be allowed to read.  Any failure exits with the
 * matching status of exitcode.h.  Returns 1 for -n (binlogd -n: check the
 * configuration only, printing the error as it is, with no links), else 0.
 */
int	proc_child_start(const struct proc_child *, int argc, char **argv,
	    struct config *conf);

/* binlogd: a sealed memfd holding MSG_CONFIG with conf's path and
 * password and the file's text as read, for a helper's fd 5; -1 with err. */
int	proc_config_fd(const struct config *conf, const char *text, size_t len,
	    char *err, size_t errlen);

#endif
