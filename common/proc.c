/* proc.c: the start of a helper process, as the supervisor runs it. */
#include "build.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "exitcode.h"
#include "log.h"
#include "msg.h"
#include "util.h"

/* A memfd, sealed once written: a child cannot change what the next one
 * reads.  Its contents are the password too: they are wiped from memory. */
int
proc_config_fd(const struct config *conf, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct msg_out m;
	const char *buf;
	size_t n, off = 0;
	ssize_t w = 0;
	int fd;

	msg_out_begin(&m, MSG_CONFIG, 0);
	msg_put_str(&m, "path", conf->path);
	msg_put_strn(&m, "text", text, len);
	msg_put_str(&m, "password", conf->password);
	buf = msg_out_finish(&m, &n);
	fd = memfd_create("binlogd.conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	while (fd != -1 && off < n &&
	    ((w = write(fd, buf + off, n - off)) > 0 || errno == EINTR))
		off += w > 0 ? (size_t)w : 0;
	explicit_bzero(m.sbuf.data, m.sbuf.size);
	msg_out_free(&m);
	if (fd == -1 || off < n || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		err_set(err, errlen, "cannot hand the configuration to "
		    "the helpers: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static int
proc_config_decode(struct config *conf, const char *buf, size_t size,
    char *err, size_t errlen)
{
	static char path[PATH_MAX];
	char password[sizeof(conf->password)];
	msgpack_unpacked u;
	struct msg_in in;
	const char *text = NULL;
	size_t len = 0, off = 0;
	int rc = -1;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, buf, size, &off) !=
	    MSGPACK_UNPACK_SUCCESS || off != size ||
	    msg_in_parse(&in, &u.data) == -1 || in.type != MSG_CONFIG) {
		msgpack_unpacked_destroy(&u);
		return err_set(err, errlen, "fd %d does not hold binlogd's "
		    "configuration", FD_CONFIG);
	}
	msg_get_strbuf(&in, "path", path, sizeof(path));
	msg_get_str(&in, "text", &text, &len);
	msg_get_strbuf(&in, "password", password, sizeof(password));
	if (msg_end(&in) == -1)
		err_set(err, errlen, "fd %d: bad %s: %s", FD_CONFIG,
		    msg_type_name(in.type), in.error);
	else if ((rc = config_parse(conf, path, text, len, err, errlen)) == 0)
		memcpy(conf->password, password, sizeof(password));
	explicit_bzero(password, sizeof(password));
	msgpack_unpacked_destroy(&u);
	return rc;
}

/* The child's side of proc_config_fd(); fd 5 is closed once read. */
static int
proc_config_read(struct config *conf, char *err, size_t errlen)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	int rc;

	if (fstat(FD_CONFIG, &sb) == -1)
		return err_set(err, errlen, "fd %d (the configuration "
		    "from binlogd): %s", FD_CONFIG, strerror(errno));
	if (sb.st_size > MSG_MAX_SIZE || (buf = malloc(sb.st_size + 1)) ==
	    NULL)
		return err_set(err, errlen, "fd %d: %lld bytes, too large "
		    "for a configuration", FD_CONFIG, (long long)sb.st_size);
	n = pread(FD_CONFIG, buf, (size_t)sb.st_size, 0);
	close(FD_CONFIG);
	if (n != sb.st_size)
		rc = err_set(err, errlen, "fd %d: short read", FD_CONFIG);
	else
		rc = proc_config_decode(conf, buf, (size_t)n, err, errlen);
	explicit_bzero(buf, (size_t)sb.st_size);
	free(buf);
	return rc;
}

/* From binlogd (-C): what it accepted.  By hand: the file and the password
 * file, as binlogd reads them. */
static int
proc_config_load(struct config *conf, const char *path, int from_fd,
    char *err, size_t errlen)
{
	if (from_fd)
		return proc_config_read(conf, err, errlen);
	if (config_load(conf, path, err, errlen) == -1)
		return -1;
	return config_read_password(conf, err, errlen);
}

static void __attribute__((noreturn))
proc_child_usage(const struct proc_child *cp, int code)
{
	fprintf(code == BX_OK ? stdout : stderr,
	    "usage: %s [-Cdfhn] [-c config]\n"
	    "  -C         take the configuration binlogd accepted from fd %d\n"
	    "  -c config  configuration file (default %s)\n"
	    "  -d         log debug messages\n"
	    "  -f         log to stderr instead of syslog\n"
	    "  -h         show this help\n"
	    "  -n         check the configuration and exit\n"
	    "  --version  print the version and exit\n"
	    "%s is started by binlogd(8), which passes it %s.\n",
	    cp->prog, FD_CONFIG, CONF_DEFAULT_PATH, cp->prog, cp->links);
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
	int ch, debug = 0, foreground = 0, check = 0, from_fd = 0;

	version_option(argc, argv, cp->prog);
	while ((ch = getopt_long(argc, argv, "Cc:dfhn", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'C':
			from_fd = 1;
			break;
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
	/* binlogd -n shows a check's message as it is. */
	if (check) {
		if (proc_config_load(conf, path, from_fd, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			exit(BX_CONFIG);
		}
		return 1;
	}
	die_with_parent();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(FD_SUPERVISOR, F_GETFD) == -1)
		fatalx_code(BX_USAGE, "fd %d is not open: %s is started by "
		    "binlogd, not by hand", FD_SUPERVISOR, cp->prog);
	if (proc_config_load(conf, path, from_fd, err, sizeof(err)) == -1)
		fatalx_code(BX_CONFIG, "%s", err);
	return 0;
}
