/* binlogd.h: the supervisor's state, children and prototypes. */
#ifndef BINLOGD_SUPERVISOR_H
#define BINLOGD_SUPERVISOR_H

#include <sys/types.h>

#include <spawn.h>
#include <stdbool.h>

#include <event2/event.h>

#include "config.h"
#include "peer.h"

enum child_role {
	ROLE_CHECKPOINTD,
	ROLE_STREAMER,
	ROLE_COUNT,
};

enum child_state {
	CHILD_DOWN,		/* not running */
	CHILD_STARTING,		/* spawned, READY not yet received */
	CHILD_READY,
	CHILD_STOPPING,		/* SHUTDOWN sent */
};

struct child {
	enum child_role	 role;
	const char	*name;		/* "streamer", "checkpointd" */
	const char	*prog;		/* file name in libexecdir */
	enum child_state state;
	pid_t		 pid;
	struct peer	*peer;
	double		 started_at;
	double		 ready_at;
	unsigned	 restarts;	/* since the supervisor started */
	unsigned	 failures;	/* consecutive, for the backoff */
	int		 last_status;	/* wait status of the last exit */
	struct event	*timer;		/* ready timeout / stop escalation */
};

/*
 * The supervisor as a whole.  Every change goes through sup_set_state();
 * every decision about what to start, stop or wait for is made in one
 * place, sup_advance(), which every handler (a child ready, a child
 * exited, a timer, a signal, binlogctl) calls when it has recorded what
 * happened.  The lifecycle:
 *
 *   STARTING    checkpointd is started first; the streamer once
 *               checkpointd runs (a streamer never runs without it), not
 *               waiting for its READY: the streamer asks it for the
 *               start position and reads nothing before the answer.
 *   RUNNING     both children READY.
 *   BACKOFF     a child exited with a restartable status: its restart
 *               waits out the backoff timer (exponential, full jitter);
 *               the timer's end, binlogctl restart or stop-streamer end
 *               the wait, and the missing children start as in STARTING.
 *   RESTARTING  binlogctl restart: the streamer stops gracefully and
 *               starts again at once, from the saved position.
 *   HELD        binlogctl stop-streamer, or a streamer exit a restart
 *               would only repeat (ACT_HOLD): the streamer stopped and
 *               stays down until start-streamer.
 *   STOPPING    a signal, binlogctl stop, or a child that cannot run
 *               (ACT_GIVE_UP): the streamer stops, then checkpointd, then
 *               binlogd exits with exit_code.  Nothing leaves STOPPING.
 */
enum sup_state {
	SUP_STARTING,		/* children being started in order */
	SUP_RUNNING,		/* both children ready */
	SUP_BACKOFF,		/* a child failed; waiting to restart it */
	SUP_RESTARTING,		/* streamer stopping, to start again at once */
	SUP_STOPPING,		/* graceful stop: streamer, then checkpointd */
	SUP_HELD,		/* the streamer held for the operator */
};

struct supervisor {
	struct event_base *base;
	struct config	 conf;		/* the configuration accepted */
	int		 conf_fd;	/* the same, for a helper's fd 5 */
	const char	*conf_path;
	int		 foreground;
	int		 debug;
	enum sup_state	 state;
	struct child	 children[ROLE_COUNT];
	struct event	*backoff_timer;
	int		 exit_code;	/* when stopping: the code to exit with */
	int		 hold_streamer;	/* binlogctl stop-streamer: not started */
	double		 started_at;
};

/* binlogd.c */
void	sup_set_state(struct supervisor *, enum sup_state, const char *why);
void	sup_advance(struct supervisor *);
const char *sup_state_name(enum sup_state);
void	sup_stop(struct supervisor *, int code, const char *why);
int	sup_reload(struct supervisor *, char *err, size_t errlen);
int	sup_restart_streamer(struct supervisor *, const char *why);
int	sup_hold_streamer(struct supervisor *, int hold);

/* accept.c */
struct acceptor;
typedef void (*acceptor_fn)(int fd, void *arg);
struct acceptor *acceptor_new(struct event_base *, int fd, const char *name,
	    acceptor_fn, void *arg);
void	acceptor_free(struct acceptor *);
/* Logs why a client was turned away, at most once per interval. */
void	acceptor_drop(struct acceptor *, const char *why);

/* validate.c */
struct passwd;
#define VALIDATE_DAEMON		0x1	/* binlogd runs without -f */
#define VALIDATE_STREAMER	0x2	/* binlogd-streamer -n too */
/*
 * Reads and checks the configuration at path, as binlogd would run it
 * (flags: VALIDATE_*; running: the configuration a reload replaces, or
 * NULL).  BX_OK with conf and *conf_fd, the helpers' copy, set; else the
 * exit status, with the problem in err.
 */
int	sup_validate(const char *path, int flags,
	    const struct config *running, struct config *conf, int *conf_fd,
	    char *err, size_t errlen);
/* initgroups, setgid, setuid; -1 with errno. */
int	sup_become_user(const struct passwd *);

/* control.c */
void	control_init(struct supervisor *);
void	control_chown(uid_t, gid_t);
void	control_cleanup(void);
void	control_child_reply(const char *who, struct msg_in *);

/* lock.c: the checkpoint database and the sink file, locked for as long
 * as binlogd runs; -1 with err when another binlogd holds one. */
int	lock_database(const struct config *, char *err, size_t errlen);
int	lock_sink(const struct config *, char *err, size_t errlen);

/* ready.c */
void	ready_daemonize(void);
void	ready_child_stderr(posix_spawn_file_actions_t *);
void	ready_notify(const char *state);
void	ready_done(void);

/* metrics.c */
struct evbuffer;
void	metrics_init(struct supervisor *);
void	metrics_cleanup(void);
void	metrics_stats_msg(struct msg_in *);
void	metrics_ckpt_msg(struct msg_in *);
void	metrics_put_status(const struct supervisor *, struct msg_out *);
void	metrics_child_exit(const struct child *, int status);
void	metrics_text(const struct supervisor *, struct evbuffer *);

/* child.c */
void	child_init(struct supervisor *);
int	child_running(const struct child *);
int	child_spawn(struct supervisor *, struct child *);
void	child_shutdown(struct supervisor *, struct child *);
void	child_reap(struct supervisor *);
void	child_kill_all(struct supervisor *);
const char *child_state_name(enum child_state);
/* "exited with code 1 (failure)", "was terminated by signal 9: Killed" */
void	child_exit_text(int status, char *buf, size_t size);
/* What the supervisor does after a child's exit, from its status. */
enum exit_action {
	ACT_NONE,		/* clean exit we asked for */
	ACT_RESTART,		/* transient: restart with backoff */
	ACT_RESTART_SLOW,	/* an operator must act: retry at the cap */
	ACT_GIVE_UP,		/* restarting cannot help: stop everything */
	ACT_HOLD,		/* the same record would stop it again: hold
				 * the streamer for the operator, as
				 * binlogctl stop-streamer does */
};
enum exit_action child_exit_action(const struct child *, int status);

/* binlogd.c: called by child.c */
void	sup_child_ready(struct supervisor *, struct child *);
void	sup_child_exited(struct supervisor *, struct child *,
	    enum exit_action);

#endif
