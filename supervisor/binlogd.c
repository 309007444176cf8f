/* binlogd.c: the supervisor: reads the configuration, starts checkpointd and
 * then the streamer, restarts them by the exit table in child.c, and stops
 * them in order.  Every change of state goes through sup_set_state(). */
#include "build.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "binlogd.h"
#include "exitcode.h"
#include "log.h"
#include "util.h"

#define BACKOFF_BASE	1.0	/* seconds: the first restart's ceiling */
#define BACKOFF_FLOOR	0.2	/* seconds: never restart faster */

static int pidfile_fd = -1;

const char *
sup_state_name(enum sup_state s)
{
	switch (s) {
	case SUP_STARTING:	return "starting";
	case SUP_RUNNING:	return "running";
	case SUP_BACKOFF:	return "backoff";
	case SUP_RESTARTING:	return "restarting";
	case SUP_STOPPING:	return "stopping";
	case SUP_HELD:		return "held";
	}
	return "?";
}

void
sup_set_state(struct supervisor *sup, enum sup_state s, const char *why)
{
	if (sup->state != s)
		log_info("state %s -> %s: %s", sup_state_name(sup->state),
		    sup_state_name(s), why);
	sup->state = s;
}

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code == BX_OK ? stdout : stderr, "usage: binlogd [-dfhn] [-c file]\n"
	    "  -c file  configuration file (default %s)\n"
	    "  -d       debug logging\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -h       this help\n"
	    "  -n       check the configuration and exit\n"
	    "  --version  print the version and exit\n",
	    CONF_DEFAULT_PATH);
	exit(code);
}

static int
sup_both_down(const struct supervisor *sup)
{
	return sup->children[ROLE_STREAMER].state == CHILD_DOWN &&
	    sup->children[ROLE_CHECKPOINTD].state == CHILD_DOWN;
}

/* The one place the supervisor decides (the lifecycle: binlogd.h, above
 * enum sup_state).  Stopping: checkpointd once the streamer is down, the
 * loop's end once both are.  Otherwise, outside a backoff: start what is
 * missing, in order -- checkpointd (only once the streamer is down, since
 * a streamer cannot outlive its checkpointd), then the streamer as soon
 * as checkpointd runs, unless it is held: its exec and its libraries'
 * start-up overlap checkpointd's opening of the database, and it waits
 * for the position checkpointd loads before it reads anything -- and
 * RUNNING once both are ready. */
void
sup_advance(struct supervisor *sup)
{
	struct child *ck = &sup->children[ROLE_CHECKPOINTD];
	struct child *st = &sup->children[ROLE_STREAMER];

	if (sup->state == SUP_STOPPING) {
		if (st->state == CHILD_DOWN && ck->state != CHILD_DOWN)
			child_shutdown(sup, ck);
		if (sup_both_down(sup))
			event_base_loopbreak(sup->base);
		return;
	}
	if (sup->state == SUP_BACKOFF)
		return;
	if (ck->state == CHILD_DOWN) {
		if (st->state != CHILD_DOWN)
			return;
		sup_set_state(sup, SUP_STARTING, "starting checkpointd");
		if (child_spawn(sup, ck) == -1) {
			sup_stop(sup, BX_FAILURE, "cannot start checkpointd");
			return;
		}
	}
	if (!child_running(ck))
		return;		/* stopping, or gone and not yet reaped */
	if (st->state == CHILD_DOWN && sup->hold_streamer) {
		if (ck->state == CHILD_READY)
			sup_set_state(sup, SUP_HELD, "the streamer is held "
			    "until binlogctl start-streamer");
	} else if (st->state == CHILD_DOWN) {
		sup_set_state(sup, SUP_STARTING, "starting the streamer");
		if (child_spawn(sup, st) == -1)
			sup_stop(sup, BX_FAILURE, "cannot start the streamer");
	} else if (st->state == CHILD_READY && ck->state == CHILD_READY &&
	    sup->state != SUP_RESTARTING)
		sup_set_state(sup, SUP_RUNNING, "both children ready");
}

/* The backoff is over (its timer, or binlogctl wants the streamer now). */
static void
sup_backoff_end(struct supervisor *sup, const char *why)
{
	evtimer_del(sup->backoff_timer);
	sup_set_state(sup, SUP_STARTING, why);
	sup_advance(sup);
}

static void
sup_backoff_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	sup_backoff_end(arg, "the backoff is over");
}

/* Exponential backoff with full jitter: uniform in [floor, min(cap,
 * base * 2^(failures-1))], so that restarts neither storm nor align. */
static double
sup_backoff_delay(const struct supervisor *sup, const struct child *c,
    enum exit_action action)
{
	double cap = sup->conf.restart_backoff_max, ceiling;

	if (action == ACT_RESTART_SLOW)
		return cap;
	ceiling = BACKOFF_BASE *
	    (double)(1UL << (c->failures > 30 ? 29 : c->failures - 1));
	if (ceiling > cap)
		ceiling = cap;
	return BACKOFF_FLOOR + (ceiling - BACKOFF_FLOOR) *
	    ((double)random() / RAND_MAX);
}

static void
sup_schedule_restart(struct supervisor *sup, struct child *c,
    enum exit_action action)
{
	struct timeval tv;
	char why[128];
	double delay;

	if (c->ready_at > 0 &&
	    mono_now() - c->ready_at >= sup->conf.restart_backoff_reset)
		c->failures = 0;
	c->failures++;
	c->restarts++;
	c->ready_at = 0;
	delay = sup_backoff_delay(sup, c, action);
	snprintf(why, sizeof(why), "restarting %s in %.1fs (failure %u)",
	    c->name, delay, c->failures);
	/* One line: the state change says it, else (already in backoff) this. */
	if (sup->state == SUP_BACKOFF)
		log_info("%s", why);
	sup_set_state(sup, SUP_BACKOFF, why);
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - tv.tv_sec) * 1e6);
	evtimer_add(sup->backoff_timer, &tv);
}

void
sup_stop(struct supervisor *sup, int code, const char *why)
{
	struct child *st = &sup->children[ROLE_STREAMER];

	if (sup->state == SUP_STOPPING)
		return;
	sup->exit_code = code;
	sup_set_state(sup, SUP_STOPPING, why);
	ready_notify("STOPPING=1");
	evtimer_del(sup->backoff_timer);
	if (st->state != CHILD_DOWN)
		child_shutdown(sup, st);
	sup_advance(sup);
}

void
sup_child_ready(struct supervisor *sup, struct child *c)
{
	struct child *ck = &sup->children[ROLE_CHECKPOINTD];
	struct child *st = &sup->children[ROLE_STREAMER];

	log_info("%s (pid %ld) is ready", c->name, (long)c->pid);
	if (c->role == ROLE_CHECKPOINTD)
		/* Control socket, database and sink locked, checkpoint open:
		 * what remains (the server) is retried, not a failed start. */
		ready_done();
	else
		log_info("ready: streaming (streamer pid %ld, checkpointd pid "
		    "%ld)", (long)st->pid, (long)ck->pid);
	sup_advance(sup);
}

/* binlogd exits with the child's status when it is one of ours, so that
 * scripts see why; anything else (exec failure, signal) is a failure. */
static int
sup_give_up_code(int status)
{
	if (!WIFEXITED(status))
		return BX_FAILURE;
	switch (WEXITSTATUS(status)) {
	case BX_USAGE:
	case BX_CONFIG:
	case BX_STORE:
	case BX_PURGED:
		return WEXITSTATUS(status);
	default:
		return BX_FAILURE;
	}
}

void
sup_child_exited(struct supervisor *sup, struct child *c,
    enum exit_action action)
{
	if (sup->state == SUP_STOPPING) {
		sup_advance(sup);
		return;
	}
	if (action == ACT_GIVE_UP) {
		log_errx("%s cannot run until the problem %s is fixed; "
		    "stopping binlogd", c->name, sup->foreground ? "above" :
		    "it logged to syslog");
		sup_stop(sup, sup_give_up_code(c->last_status), "giving up");
		return;
	}
	if (action == ACT_HOLD) {
		log_errx("%s stopped on a problem an operator must fix (see "
		    "binlogctl status); it stays stopped until binlogctl "
		    "start-streamer", c->name);
		sup->hold_streamer = 1;
	}
	if ((sup->state == SUP_RESTARTING || sup->hold_streamer) &&
	    c->role == ROLE_STREAMER)
		c->ready_at = 0;
	else
		sup_schedule_restart(sup, c, action);
	sup_advance(sup);
}

/* Stops the streamer so that it starts again at once, from the saved
 * position; a streamer waiting out its backoff starts now. */
int
sup_restart_streamer(struct supervisor *sup, const char *why)
{
	struct child *st = &sup->children[ROLE_STREAMER];

	switch (sup->state) {
	case SUP_STOPPING:
		return -1;
	case SUP_BACKOFF:
		st->failures = 0;
		sup_backoff_end(sup, why);
		return 0;
	default:
		break;
	}
	if (st->state != CHILD_READY && st->state != CHILD_STARTING)
		return -1;
	sup_set_state(sup, SUP_RESTARTING, why);
	child_shutdown(sup, st);
	return 0;
}

/* binlogctl stop-streamer (hold) and start-streamer: a held streamer is
 * stopped gracefully and not started again, whatever else happens. */
int
sup_hold_streamer(struct supervisor *sup, int hold)
{
	struct child *st = &sup->children[ROLE_STREAMER];

	if (sup->state == SUP_STOPPING)
		return -1;
	sup->hold_streamer = hold;
	if (!hold) {
		if (sup->state == SUP_HELD)
			sup_set_state(sup, SUP_STARTING, "start-streamer");
		else if (st->state == CHILD_STOPPING)
			sup_set_state(sup, SUP_RESTARTING, "start-streamer "
			    "while the streamer stops");
	} else if (sup->state == SUP_BACKOFF &&
	    sup->children[ROLE_CHECKPOINTD].state == CHILD_READY)
		sup_backoff_end(sup, "stop-streamer during the backoff");
	else if (st->state == CHILD_READY || st->state == CHILD_STARTING)
		child_shutdown(sup, st);
	sup_advance(sup);
	return 0;
}

static void
sup_list_add(char *list, size_t size, const char *item)
{
	size_t len = strlen(list);

	snprintf(list + len, size - len, "%s%s", len ? ", " : "", item);
}

/* What binlogd set up once, at start: a reload that changes them says
 * they wait for a restart of binlogd. */
static void
sup_reload_note(const struct config *old, const struct config *new,
    char *note, size_t size)
{
	static const struct { const char *name; size_t off; } fixed[] = {
		{ "[daemon] pid_file", offsetof(struct config, pid_file) },
		{ "[daemon] control_socket",
		    offsetof(struct config, control_socket) },
		{ "[daemon] user", offsetof(struct config, run_user) },
		{ "[daemon] metrics_listen",
		    offsetof(struct config, metrics_listen) },
		{ "[checkpoint] database", offsetof(struct config, database) },
	};
	char names[256] = "";
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp((const char *)old + fixed[i].off,
		    (const char *)new + fixed[i].off) != 0)
			sup_list_add(names, sizeof(names), fixed[i].name);
	if (old->checkpoint_interval != new->checkpoint_interval)
		sup_list_add(names, sizeof(names),
		    "[checkpoint] checkpoint_interval");
	if (names[0] == '\0')
		snprintf(note, size, "reloaded");
	else
		snprintf(note, size, "reloaded; restart binlogd for %s to take "
		    "effect", names);
}

/* All is checked before binlogd accepts a file, except at a start in the
 * foreground: there the streamer's own options are checked by the
 * streamer binlogd starts, whose BX_CONFIG stops binlogd with the same
 * status; a daemon's starter must hear of them before it returns, a
 * reload must keep the running file. */
static int
sup_validate_flags(const struct supervisor *sup, int all)
{
	if (!sup->foreground)
		return VALIDATE_DAEMON | VALIDATE_STREAMER;
	return all ? VALIDATE_STREAMER : 0;
}

/* On success err says what was done, for binlogctl. */
int
sup_reload(struct supervisor *sup, char *err, size_t errlen)
{
	struct config conf;
	int fd;

	if (sup_validate(sup->conf_path, sup_validate_flags(sup, 1),
	    &sup->conf, &conf, &fd, err, errlen) != BX_OK) {
		log_errx("reload failed, keeping the running configuration: "
		    "%s", err);
		return -1;
	}
	if (lock_sink(&conf, err, errlen) == -1) {
		log_errx("reload refused, keeping the running configuration: "
		    "%s", err);
		close(fd);
		return -1;
	}
	sup_reload_note(&sup->conf, &conf, err, errlen);
	if (strchr(err, ';') != NULL)
		log_warning("%s", err);
	close(sup->conf_fd);
	sup->conf_fd = fd;
	sup->conf = conf;
	log_info("configuration reloaded from %s", sup->conf_path);
	sup_restart_streamer(sup, "restarting the streamer with the new "
	    "configuration");
	return 0;
}

/* Signal callbacks run in the loop (libevent), never in a handler. */
static void
sup_signal_cb(evutil_socket_t sig, short ev UNUSED, void *arg)
{
	struct supervisor *sup = arg;
	char err[1024];

	switch (sig) {
	case SIGCHLD:
		child_reap(sup);
		break;
	case SIGHUP:
		sup_reload(sup, err, sizeof(err));
		break;
	case SIGTERM:
	case SIGINT:
		if (sup->state == SUP_STOPPING) {
			log_errx("second %s: killing the children",
			    strsignal(sig));
			child_kill_all(sup);
			sup->exit_code = BX_FAILURE;
			break;
		}
		sup_stop(sup, BX_OK, sig == SIGTERM ? "SIGTERM received" :
		    "SIGINT received");
		break;
	}
}

static void
pidfile_write(const char *path)
{
	char buf[32];
	int fd, n;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1)
		fatalx_code(BX_CONFIG, "pid file %s: %s (set [daemon] "
		    "pid_file to a writable path)", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx_code(BX_CONFIG, "another binlogd (pid %s) holds the "
		    "pid file %s: stop it first, or give this one another "
		    "pid_file", buf[0] ? buf : "?", path);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, n) != n)
		fatal("pid file %s", path);
	pidfile_fd = fd;
}

static void
pidfile_remove(const char *path)
{
	if (pidfile_fd == -1)
		return;
	if (unlink(path) == -1)
		log_err("cannot remove the pid file %s (give pid_file a "
		    "directory of its own that binlogd's user may write)",
		    path);
	close(pidfile_fd);
}

/* A runtime file's directory, made when missing and given to [daemon]
 * user: binlogd, no longer root when it stops, removes its files there. */
static void
sup_make_rundir(const char *path, const char *user)
{
	char dir[CONF_STR_MAX], *slash;
	struct passwd *pw;

	strlcpy_(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1)
		return;		/* there already, or the open after says why */
	if (user[0] != '\0' && geteuid() == 0 &&
	    (pw = getpwnam(user)) != NULL &&
	    chown(dir, pw->pw_uid, pw->pw_gid) == -1)
		log_err("chown %s", dir);
}

/* Drops root for the configured user, after the pid file is open. */
static void
sup_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0' || geteuid() != 0)
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx_code(BX_CONFIG, "[daemon] user %s does not exist", user);
	control_chown(pw->pw_uid, pw->pw_gid);
	if (sup_become_user(pw) == -1)
		fatal("cannot switch to user %s", user);
	log_info("running as user %s", user);
}

static void
sup_parse_args(struct supervisor *sup, int argc, char **argv, int *check)
{
	char *abs;
	int ch;

	version_option(argc, argv, "binlogd");
	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		usage(BX_OK);
	while ((ch = getopt(argc, argv, "c:dfhn")) != -1) {
		switch (ch) {
		case 'c':
			sup->conf_path = optarg;
			break;
		case 'd':
			sup->debug = 1;
			break;
		case 'f':
			sup->foreground = 1;
			break;
		case 'n':
			*check = 1;
			break;
		case 'h':
			usage(BX_OK);
		default:
			usage(BX_USAGE);
		}
	}
	if (optind != argc)
		usage(BX_USAGE);
	/* The children read it again after the daemon's chdir("/"). */
	if (sup->conf_path[0] != '/' &&
	    (abs = realpath(sup->conf_path, NULL)) != NULL)
		sup->conf_path = abs;
}

static void
sup_load_config(struct supervisor *sup, int check)
{
	char err[1200];
	int code;

	code = sup_validate(sup->conf_path, sup_validate_flags(sup, check),
	    NULL, &sup->conf, &sup->conf_fd, err, sizeof(err));
	if (code != BX_OK) {
		fprintf(stderr, "binlogd: %s\n", err);
		exit(code);
	}
	if (check) {
		printf("configuration OK\n");
		exit(BX_OK);
	}
}

/* What binlogd leaves behind when it stops, cleanly or not. */
static void
sup_cleanup(struct supervisor *sup)
{
	control_cleanup();
	metrics_cleanup();
	pidfile_remove(sup->conf.pid_file);
}

static void
sup_add_signals(struct supervisor *sup)
{
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct event *ev = evsignal_new(sup->base, sigs[i],
		    sup_signal_cb, sup);

		if (ev == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("cannot watch signal %d", sigs[i]);
	}
}

int
main(int argc, char **argv)
{
	static struct supervisor sup;
	char err[1024];
	int check = 0;

	sup.conf_path = CONF_DEFAULT_PATH;
	sup_parse_args(&sup, argc, argv, &check);
	sup_load_config(&sup, check);

	log_init("binlogd", sup.foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG,
	    sup.debug);
	if (!sup.foreground)
		ready_daemonize();
	if ((sup.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	sup_make_rundir(sup.conf.pid_file, sup.conf.run_user);
	pidfile_write(sup.conf.pid_file);
	sup.started_at = mono_now();
	sup_make_rundir(sup.conf.control_socket, sup.conf.run_user);
	control_init(&sup);
	metrics_init(&sup);
	sup_drop_privileges(sup.conf.run_user);
	if (lock_database(&sup.conf, err, sizeof(err)) == -1 ||
	    lock_sink(&sup.conf, err, sizeof(err)) == -1) {
		sup_cleanup(&sup);
		fatalx_code(BX_CONFIG, "%s", err);
	}
	srandom((unsigned)(getpid() ^ (unsigned)(mono_now() * 1e6)));
	log_info("binlogd %s starting (config %s, libevent %s, msgpack-c %s, "
	    "protocol %d)", PACKAGE_VERSION, sup.conf_path,
	    event_get_version(), msgpack_version(), MSG_PROTOCOL_VERSION);

	sup.backoff_timer = evtimer_new(sup.base, sup_backoff_cb, &sup);
	sup_add_signals(&sup);
	child_init(&sup);
	sup.state = SUP_STARTING;
	sup_advance(&sup);

	/* A loopbreak before the loop is forgotten: nothing started, no loop */
	if (sup.state != SUP_STOPPING || !sup_both_down(&sup))
		event_base_dispatch(sup.base);

	sup_cleanup(&sup);
	log_info("binlogd stopped (%s)", sup.exit_code == BX_OK ?
	    "clean" : exit_code_name(sup.exit_code));
	return sup.exit_code;
}
