/* child.c: starting, watching and reaping the supervisor's two children,
 * and the table of what each exit status means for a restart. */
#include "build.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binlogd.h"
#include "exitcode.h"
#include "log.h"
#include "util.h"

#define EXEC_FAILED	127	/* a wrapper (sh) could not exec the program */

static void child_dispatch(struct peer *, struct msg_in *, void *);
static void child_timer_cb(evutil_socket_t, short, void *);

void
child_init(struct supervisor *sup)
{
	static const struct { const char *name, *prog; } roles[ROLE_COUNT] = {
		[ROLE_CHECKPOINTD] = { "checkpointd", "binlogd-checkpointd" },
		[ROLE_STREAMER] = { "streamer", "binlogd-streamer" },
	};
	int r;

	for (r = 0; r < ROLE_COUNT; r++) {
		struct child *c = &sup->children[r];

		c->role = r;
		c->name = roles[r].name;
		c->prog = roles[r].prog;
		c->state = CHILD_DOWN;
		c->last_status = -1;
		c->timer = evtimer_new(sup->base, child_timer_cb, sup);
		if (c->timer == NULL)
			fatalx("evtimer_new failed");
	}
}

const char *
child_state_name(enum child_state s)
{
	switch (s) {
	case CHILD_DOWN:	return "down";
	case CHILD_STARTING:	return "starting";
	case CHILD_READY:	return "ready";
	case CHILD_STOPPING:	return "stopping";
	}
	return "?";
}

static void
child_set_state(struct child *c, enum child_state s)
{
	log_debug("%s: %s -> %s", c->name, child_state_name(c->state),
	    child_state_name(s));
	c->state = s;
}

static void
child_arm_timer(struct child *c, double seconds)
{
	struct timeval tv;

	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - tv.tv_sec) * 1e6);
	evtimer_add(c->timer, &tv);
}

/*
 * The new process: the links and the accepted configuration at their
 * fixed numbers, then the exec.  posix_spawn, not fork: glibc's shares
 * binlogd's memory until the exec (CLONE_VM | CLONE_VFORK), where a fork
 * cost binlogd 0.5-0.85 ms of CPU per child and ~35 copy-on-write faults
 * after it, before the streamer's own exec could begin.  The fds are
 * first copied above the fixed numbers (close-on-exec) so that no dup2
 * of the file actions clobbers one; a dup2's copy is inherited.  0, or
 * the errno of the exec that failed.
 */
static int
child_exec(struct supervisor *sup, struct child *c, int sup_fd, int ckpt_fd)
{
	char path[1024], prog[64], opt_conf[] = "-C", opt_f[] = "-f",
	    opt_d[] = "-d";
	char *argv[8];
	int argc = 0, rc, i, from[] = { sup_fd, sup->conf_fd, ckpt_fd },
	    to[] = { FD_SUPERVISOR, FD_CONFIG, FD_CHECKPOINTD }, high[3];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawnattr_init(&attr) != 0)
		fatalx("posix_spawn: out of memory");
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	for (i = 0; i < 3; i++) {
		high[i] = from[i] == -1 ? -1 :
		    fcntl(from[i], F_DUPFD_CLOEXEC, 10);
		if (from[i] != -1 && (high[i] == -1 ||
		    posix_spawn_file_actions_adddup2(&fa, high[i], to[i]) != 0))
			fatal("%s: cannot pass fd %d", c->name, to[i]);
	}
	ready_child_stderr(&fa);

	libexec_path(c->prog, path, sizeof(path));
	strlcpy_(prog, c->prog, sizeof(prog));
	argv[argc++] = prog;
	argv[argc++] = opt_conf;
	if (sup->foreground)
		argv[argc++] = opt_f;
	if (sup->debug)
		argv[argc++] = opt_d;
	argv[argc] = NULL;
	rc = posix_spawn(&c->pid, path, &fa, &attr, argv, environ);
	for (i = 0; i < 3; i++)
		if (high[i] != -1)
			close(high[i]);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		log_errx("cannot execute %s: %s (is binlogd installed? "
		    "BINLOGD_LIBEXECDIR overrides the directory)", path,
		    strerror(rc));
	return rc;
}

/* Started or ready, and its link open: it will read what it is sent (a
 * checkpointd still opening its database reads it once that is done). */
int
child_running(const struct child *c)
{
	return c->peer != NULL &&
	    (c->state == CHILD_STARTING || c->state == CHILD_READY);
}

/*
 * A new streamer gets a fresh link to checkpointd: one end becomes its fd 4,
 * the other is passed to the running checkpointd in CKPT_ATTACH.
 */
static int
child_attach_link(struct supervisor *sup, int *streamer_end)
{
	struct child *ck = &sup->children[ROLE_CHECKPOINTD];
	struct msg_out m;
	int sv[2];

	if (!child_running(ck)) {
		log_errx("cannot start the streamer: checkpointd is %s",
		    child_state_name(ck->state));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_err("socketpair");
		return -1;
	}
	msg_out_begin(&m, MSG_CKPT_ATTACH, peer_next_id(ck->peer));
	peer_send_fd(ck->peer, &m, sv[1]);
	msg_out_free(&m);
	*streamer_end = sv[0];
	return 0;
}

int
child_spawn(struct supervisor *sup, struct child *c)
{
	int sv[2], ckpt_fd = -1, rc;

	if (c->role == ROLE_STREAMER && child_attach_link(sup, &ckpt_fd) == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_err("socketpair");
		if (ckpt_fd != -1)
			close(ckpt_fd);
		return -1;
	}
	rc = child_exec(sup, c, sv[1], ckpt_fd);
	close(sv[1]);
	if (ckpt_fd != -1)
		close(ckpt_fd);
	if (rc != 0) {
		close(sv[0]);
		return -1;
	}
	c->started_at = mono_now();
	c->peer = peer_new(sup->base, sv[0], c->name, child_dispatch, sup);
	child_set_state(c, CHILD_STARTING);
	child_arm_timer(c, sup->conf.ready_timeout);
	log_info("started %s (pid %ld)", c->name, (long)c->pid);
	return 0;
}

void
child_shutdown(struct supervisor *sup, struct child *c)
{
	struct msg_out m;

	if (c->state == CHILD_DOWN || c->state == CHILD_STOPPING)
		return;
	if (c->peer != NULL) {
		msg_out_begin(&m, MSG_SHUTDOWN, peer_next_id(c->peer));
		peer_send(c->peer, &m);
		msg_out_free(&m);
	} else
		kill(c->pid, SIGTERM);
	child_set_state(c, CHILD_STOPPING);
	child_arm_timer(c, sup->conf.stop_timeout);
	log_info("stopping %s (pid %ld)", c->name, (long)c->pid);
}

void
child_kill_all(struct supervisor *sup)
{
	int r;

	for (r = 0; r < ROLE_COUNT; r++)
		if (sup->children[r].state != CHILD_DOWN)
			kill(sup->children[r].pid, SIGKILL);
}

static struct child *
child_by_peer(struct supervisor *sup, struct peer *p)
{
	int r;

	for (r = 0; r < ROLE_COUNT; r++)
		if (sup->children[r].peer == p)
			return &sup->children[r];
	return NULL;
}

static struct child *
child_by_pid(struct supervisor *sup, pid_t pid)
{
	int r;

	for (r = 0; r < ROLE_COUNT; r++)
		if (sup->children[r].state != CHILD_DOWN &&
		    sup->children[r].pid == pid)
			return &sup->children[r];
	return NULL;
}

static void
child_ready_msg(struct supervisor *sup, struct child *c, struct msg_in *msg)
{
	uint64_t protocol = 0, pid = 0;

	msg_get_u64(msg, "protocol", &protocol);
	msg_get_u64(msg, "pid", &pid);
	msg_sibling_end(c->name, msg);
	if (protocol != MSG_PROTOCOL_VERSION) {
		log_errx("%s speaks protocol %llu, binlogd %d: the installed "
		    "binaries are from different versions; reinstall",
		    c->name, (unsigned long long)protocol,
		    MSG_PROTOCOL_VERSION);
		kill(c->pid, SIGKILL);
		return;
	}
	if (c->state != CHILD_STARTING)
		return;
	evtimer_del(c->timer);
	c->ready_at = mono_now();
	child_set_state(c, CHILD_READY);
	sup_child_ready(sup, c);
}

/* Trust follows the sender: a sibling's malformed message is a bug. */
static void
child_dispatch(struct peer *p, struct msg_in *msg, void *arg)
{
	struct supervisor *sup = arg;
	struct child *c = child_by_peer(sup, p);

	if (c == NULL)
		fatalx("message from an unknown peer");
	if (msg == NULL) {
		/* The exit itself arrives through SIGCHLD. */
		log_debug("%s: link closed", c->name);
		peer_free(p);
		c->peer = NULL;
		return;
	}
	switch (msg->type) {
	case MSG_READY:
		child_ready_msg(sup, c, msg);
		break;
	case MSG_STATS:
		if (c->role != ROLE_STREAMER)
			msg_sibling_bad(c->name, msg);
		metrics_stats_msg(msg);
		break;
	case MSG_CKPT_COMMITTED:
	case MSG_CKPT_SHOWN:
	case MSG_CKPT_SET_DONE:
	case MSG_HISTORY_SHOWN:
		if (c->role != ROLE_CHECKPOINTD)
			msg_sibling_bad(c->name, msg);
		if (msg->type == MSG_CKPT_COMMITTED)
			metrics_ckpt_msg(msg);
		else
			control_child_reply(c->name, msg);
		break;
	case MSG_SNAPSHOT_DONE:
		if (c->role != ROLE_STREAMER)
			msg_sibling_bad(c->name, msg);
		control_child_reply(c->name, msg);
		break;
	default:
		msg_sibling_bad(c->name, msg);
	}
}

/* Ready timeout or stop timeout: the child does not answer; kill it. */
static void
child_timer_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct supervisor *sup = arg;
	int r;

	for (r = 0; r < ROLE_COUNT; r++) {
		struct child *c = &sup->children[r];

		if (evtimer_pending(c->timer, NULL))
			continue;
		if (c->state == CHILD_STARTING)
			log_errx("%s (pid %ld) not ready after %gs; killing it",
			    c->name, (long)c->pid, sup->conf.ready_timeout);
		else if (c->state == CHILD_STOPPING)
			log_errx("%s (pid %ld) did not stop within %gs; "
			    "killing it", c->name, (long)c->pid,
			    sup->conf.stop_timeout);
		else
			continue;
		kill(c->pid, SIGKILL);
	}
}

/* One formatter for every death message. */
void
child_exit_text(int status, char *buf, size_t size)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == BX_OK)
		snprintf(buf, size, "exited normally");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited with code %d (%s)",
		    WEXITSTATUS(status), WEXITSTATUS(status) == EXEC_FAILED ?
		    "could not execute" : exit_code_name(WEXITSTATUS(status)));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was terminated by signal %d: %s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "changed state (wait status %d)", status);
}

static void
child_log_exit(const struct child *c, int status)
{
	char text[128];

	child_exit_text(status, text, sizeof(text));
	if (WIFEXITED(status) && WEXITSTATUS(status) == BX_OK)
		log_info("%s (pid %ld) %s", c->name, (long)c->pid, text);
	else
		log_errx("%s (pid %ld) %s", c->name, (long)c->pid, text);
}

/*
 * What an exit means (see exitcode.h):
 *  - asked to stop and exited 0: nothing to do;
 *  - killed by a signal, transient failures, lost peers, decode errors:
 *    restart with backoff;
 *  - the server refuses us (format, privileges, password): an operator
 *    must act, so retry slowly at the backoff cap;
 *  - configuration, store, purged position with on_purged=fail, a program
 *    that cannot be executed: restarting cannot help;
 *  - a record too big for the sink with on_oversize=fail: a restart meets
 *    it again, so the streamer is held, binlogd keeps serving binlogctl
 *    status, and start-streamer (after a reload) tries again;
 *  - a table's columns differ from its schema: held the same way, for
 *    the operator to skip the event or filter the table out.
 */
enum exit_action
child_exit_action(const struct child *c, int status)
{
	if (WIFSIGNALED(status))
		return ACT_RESTART;
	switch (WEXITSTATUS(status)) {
	case BX_OK:
		return c->state == CHILD_STOPPING ? ACT_NONE : ACT_RESTART;
	case BX_SERVER_CONFIG:
	case BX_AUTH:
		return ACT_RESTART_SLOW;
	case BX_USAGE:
	case BX_CONFIG:
	case BX_STORE:
	case BX_PURGED:
	case EXEC_FAILED:
		return ACT_GIVE_UP;
	case BX_OVERSIZE:
	case BX_SCHEMA:
		return ACT_HOLD;
	default:
		return ACT_RESTART;
	}
}

/* Reaps every exited child in one waitpid(-1) loop. */
void
child_reap(struct supervisor *sup)
{
	enum exit_action action;
	struct child *c;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = child_by_pid(sup, pid)) == NULL) {
			log_warning("reaped process %ld, which is none of "
			    "binlogd's helpers (wait status %#x)", (long)pid,
			    (unsigned)status);
			continue;
		}
		child_log_exit(c, status);
		evtimer_del(c->timer);
		if (c->peer != NULL) {
			peer_free(c->peer);
			c->peer = NULL;
		}
		c->last_status = status;
		action = child_exit_action(c, status);
		if (action == ACT_RESTART || action == ACT_RESTART_SLOW)
			metrics_child_exit(c, status);
		child_set_state(c, CHILD_DOWN);
		sup_child_exited(sup, c, action);
	}
	if (pid == -1 && errno != ECHILD)
		log_err("waitpid");
}
