/* binlogcat.c: reads binlog files from disk and prints the records that
 * binlogd-streamer would write for them, with the streamer's own decoder;
 * what makes binlogs from servers we cannot run here testable. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "offline.h"
#include "output.h"
#include "util.h"

static void
binlogcat_usage(FILE *f)
{
	const struct format_ops *const *fmt;

	fprintf(f, "usage: binlogcat [-s] [-F FORMAT] FILE...\n"
	    "Prints the JSON records (one per row, see binlogd-records(7)) of "
	    "the\nMySQL or MariaDB binlog FILEs, read in the order given.\n"
	    "  -F, --format FORMAT  the record format:");
	for (fmt = format_registry; *fmt != NULL; fmt++)
		fprintf(f, " %s", (*fmt)->name);
	fprintf(f, " (default maxwell)\n"
	    "  -s, --strict         exit 85 if a change was logged as a "
	    "statement (no rows)\n");
}

static int
binlogcat_file(struct reader *r, const char *path)
{
	const char *base = strrchr(path, '/');
	int fd, rc;

	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "binlogcat: %s: %s\n", path, strerror(errno));
		return BX_FAILURE;
	}
	strlcpy_(r->file, base ? base + 1 : path, sizeof(r->file));
	rc = offline_fd(r, fd);
	close(fd);
	if (rc == -1) {
		const struct offline_result *res = r->owner;

		fprintf(stderr, "binlogcat: %s: %s\n", path, res->error);
		return res->exit_code;
	}
	return BX_OK;
}

/* Changes without rows were each warned of; an INCIDENT (changes the
 * server lost) always fails the run, a statement-logged change with -s. */
static int
binlogcat_unrowed(bool strict)
{
	if (offline_unrowed[0] + offline_unrowed[1] == 0)
		return BX_OK;
	fprintf(stderr, "binlogcat: %llu change(s) logged as statements and "
	    "%llu incident(s): not in the records\n",
	    (unsigned long long)offline_unrowed[0],
	    (unsigned long long)offline_unrowed[1]);
	return offline_unrowed[1] > 0 || strict ? BX_DECODE : BX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "strict", no_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct offline_result res;
	struct reader r;
	bool strict = false;
	int i, c, rc, frc;

	log_init("binlogcat", 1, 0);
	version_option(argc, argv, "binlogcat");
	while ((c = getopt_long(argc, argv, "shF:", opts, NULL)) != -1) {
		if (c == 's')
			strict = true;
		else if (c == 'F') {
			if (record_set_format(optarg) == 0)
				continue;
			fprintf(stderr, "binlogcat: unknown format %s\n",
			    optarg);
			binlogcat_usage(stderr);
			return BX_USAGE;
		} else if (c == 'h') {
			binlogcat_usage(stdout);
			return BX_OK;
		} else {
			binlogcat_usage(stderr);
			return BX_USAGE;
		}
	}
	if (optind >= argc) {
		binlogcat_usage(stderr);
		return BX_USAGE;
	}
	offline_init(&r, &res);
	par_init(2);
	/* A bad file is reported and the others still read: the status is
	 * the first failure's (binlogcat(1)). */
	for (i = optind, rc = BX_OK; i < argc; i++) {
		if ((frc = binlogcat_file(&r, argv[i])) == BX_OK)
			continue;
		if (rc == BX_OK)
			rc = frc;
		offline_reset(&r);
	}
	par_release();
	event_release(&r);
	frc = binlogcat_unrowed(strict);
	return rc != BX_OK ? rc : frc;
}
