/* proc.c: the start of a helper process, as the supervisor runs it. */
#include "build.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "proc.h"
#include "exitcode.h"
#include "log.h"
#include "util.h"

static void __attribute__((noreturn))
proc_child_usage(const struct proc_child *cp, int code)
{
	fprintf(code == BX_OK ? stdout : stderr,
	    "usage: %s [-dfhn] [-c config]\n"
	    "  -c config  configuration file (default %s)\n"
	    "  -d         log debug messages\n"
	    "  -f         log to stderr instead of syslog\n"
	    "  -h         show this help\n"
	    "  -n         check the configuration and exit\n"
	    "  --version  print the version and exit\n"
	    "%s is started by binlogd(8), which passes it %s.\n",
	    cp->prog, CONF_DEFAULT_PATH, cp->prog, cp->links);
	exit(code);
}

int
proc_child_start(const struct proc_child *cp, int argc, char **argv,
    struct config *conf)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONF_DEFAULT_PATH;
	char err[2048];
	int ch, debug = 0, foreground = 0, check = 0;

	version_option(argc, argv, cp->prog);
	while ((ch = getopt_long(argc, argv, "c:dfhn", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			proc_child_usage(cp, BX_OK);
		case 'n':
			check = foreground = 1;
			break;
		default:
			proc_child_usage(cp, BX_USAGE);
		}
	}
	if (optind != argc)
		proc_child_usage(cp, BX_USAGE);

	/* syslog's tag is the program's name, as in ps and the man pages. */
	log_init(foreground ? cp->name : cp->prog,
	    foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, debug);
	if (check) {
		if (config_load(conf, path, err, sizeof(err)) == -1)
			fatalx_code(BX_CONFIG, "%s", err);
		return 1;
	}
	die_with_parent();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(FD_SUPERVISOR, F_GETFD) == -1)
		fatalx_code(BX_USAGE, "fd %d is not open: %s is started by "
		    "binlogd, not by hand", FD_SUPERVISOR, cp->prog);
	if (config_load(conf, path, err, sizeof(err)) == -1)
		fatalx_code(BX_CONFIG, "%s", err);
	return 0;
}
