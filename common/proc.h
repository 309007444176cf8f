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
 * Parses "[-dfhn] [-c config]" (and --help), starts logging, arranges to
 * die with the supervisor, ignores SIGINT, SIGHUP and SIGPIPE (they reach
 * the whole process group; the supervisor decides what they mean), checks
 * that the supervisor's link is open, and loads the configuration.  Any
 * failure exits with the matching status of exitcode.h.  Returns 1 for -n
 * (binlogd -n: check the configuration only, logging to stderr, with no
 * links), else 0.
 */
int	proc_child_start(const struct proc_child *, int argc, char **argv,
	    struct config *conf);

#endif
