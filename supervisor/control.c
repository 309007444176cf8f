/* control.c: the supervisor's control socket for binlogctl: one request, one
 * reply; callers identified by peer credentials; a malformed request closes
 * that client and nothing else.  checkpoint and set-position are answered
 * by checkpointd, snapshot by the streamer: the request waits, keyed by
 * message id, for its reply. */
#include "build.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "binlogd.h"
#include "exitcode.h"
#include "log.h"
#include "position.h"
#include "util.h"

#define CONTROL_MAX_CLIENTS	32
/* Slots only root and binlogd's own user may take: a user who may only
 * look cannot lock out the one who must act. */
#define CONTROL_RESERVED	2
/* How long a request forwarded to a child waits for its reply. */
#define CONTROL_CKPT_TIMEOUT	5
/* How long a client may take to send a whole request (binlogctl sends
 * its one at once): idle and half-sent clients lose their slot. */
#define CONTROL_IDLE_TIMEOUT	10

struct ctl_client {
	struct peer	*peer;
	uid_t		 uid;
	pid_t		 pid;
	uint32_t	 ckpt_id;	/* forwarded to a child, 0 if none */
	const char	*fwd_to;	/* ... that child's name */
	uint32_t	 req_id;	/* the request it answers */
	struct event	*timer;		/* CONTROL_CKPT_TIMEOUT */
	struct event	*idle;		/* CONTROL_IDLE_TIMEOUT */
};

static struct ctl_client clients[CONTROL_MAX_CLIENTS];
/* Ids of forwarded requests: ours, so that they stay unique across
 * checkpointd restarts. */
static uint32_t control_ckpt_next;
static struct acceptor *control_acceptor;
static int control_fd = -1;
static char control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void control_accept_cb(int, void *);
static void control_dispatch(struct peer *, struct msg_in *, void *);

static int
control_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlcpy_(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path))
		return -1;
	return 0;
}

/* True when a live binlogd answers on path. */
static int
control_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int used;

	if (fd == -1)
		return 0;
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return used;
}

void
control_init(struct supervisor *sup)
{
	const char *path = sup->conf.control_socket;
	struct sockaddr_un sun;
	mode_t old;

	if (control_sockaddr(path, &sun) == -1)
		fatalx_code(BX_CONFIG, "control_socket %s: path too long",
		    path);
	if (control_in_use(&sun))
		fatalx_code(BX_CONFIG, "another binlogd answers on %s; stop "
		    "it first or give this one its own control_socket", path);
	if (unlink(path) == -1 && errno != ENOENT)
		fatalx_code(BX_CONFIG, "cannot remove the stale control "
		    "socket %s: %s", path, strerror(errno));
	if ((control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	old = umask(S_IXUSR | S_IRWXO | S_IXGRP);
	if (bind(control_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		fatalx_code(BX_CONFIG, "control socket %s: %s (set [daemon] "
		    "control_socket to a writable directory)", path,
		    strerror(errno));
	}
	umask(old);
	if (chmod(path, 0660) == -1)
		fatal("chmod %s", path);
	if (listen(control_fd, 16) == -1)
		fatal("listen %s", path);
	strlcpy_(control_path, path, sizeof(control_path));
	control_acceptor = acceptor_new(sup->base, control_fd, "control",
	    control_accept_cb, sup);
	log_info("control socket %s", path);
}

/* The daemon's user must keep the right to change state after the drop. */
void
control_chown(uid_t uid, gid_t gid)
{
	if (control_fd != -1 && chown(control_path, uid, gid) == -1)
		fatal("chown %s", control_path);
}

void
control_cleanup(void)
{
	if (control_fd == -1)
		return;
	acceptor_free(control_acceptor);
	close(control_fd);
	unlink(control_path);
	control_fd = -1;
}

/* Changing state needs root or binlogd's own user. */
static int
control_may_change(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* A free slot for a client of this uid, or NULL. */
static struct ctl_client *
control_slot(uid_t uid)
{
	struct ctl_client *free_slot = NULL;
	int i, used = 0;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (clients[i].peer != NULL)
			used++;
		else if (free_slot == NULL)
			free_slot = &clients[i];
	}
	if (!control_may_change(uid) &&
	    used >= CONTROL_MAX_CLIENTS - CONTROL_RESERVED)
		return NULL;
	return free_slot;
}

static void
control_idle_arm(struct ctl_client *c)
{
	struct timeval tv = { CONTROL_IDLE_TIMEOUT, 0 };

	evtimer_add(c->idle, &tv);
}

static void control_drop(struct ctl_client *);

static void
control_idle_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct ctl_client *c = arg;
	char why[128];

	snprintf(why, sizeof(why), "closing a client (uid %ld) idle or "
	    "half-way through a request for %d s", (long)c->uid,
	    CONTROL_IDLE_TIMEOUT);
	acceptor_drop(control_acceptor, why);
	control_drop(c);
}

static void
control_accept_cb(int cfd, void *arg)
{
	struct supervisor *sup = arg;
	struct ctl_client *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_err("control: SO_PEERCRED");
		close(cfd);
		return;
	}
	if ((c = control_slot(cred.uid)) == NULL) {
		acceptor_drop(control_acceptor, control_may_change(cred.uid) ?
		    "refusing a client: too many clients" : "refusing a "
		    "client: too many clients (the last slots are kept for "
		    "root and binlogd's user)");
		close(cfd);
		return;
	}
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->peer = peer_new(sup->base, cfd, "control client",
	    control_dispatch, sup);
	if (c->idle == NULL &&
	    (c->idle = evtimer_new(sup->base, control_idle_cb, c)) == NULL)
		fatalx("evtimer_new failed");
	control_idle_arm(c);
}

static struct ctl_client *
control_client(struct peer *p)
{
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i].peer == p)
			return &clients[i];
	return NULL;
}

/* A reply checkpointd sends for a client that has gone is dropped. */
static void
control_unforward(struct ctl_client *c)
{
	c->ckpt_id = 0;
	if (c->timer != NULL)
		evtimer_del(c->timer);
}

static void
control_drop(struct ctl_client *c)
{
	control_unforward(c);
	evtimer_del(c->idle);
	peer_free(c->peer);
	c->peer = NULL;
}

static void
control_reply_begin(struct msg_out *m, uint32_t id, enum ctl_result result,
    const char *message)
{
	msg_out_begin(m, MSG_CTL_REPLY, id);
	msg_put_u64(m, "result", result);
	msg_put_str(m, "message", message);
}

static void
control_reply_id(struct ctl_client *c, uint32_t id, enum ctl_result result,
    const char *message)
{
	struct msg_out m;

	control_reply_begin(&m, id, result, message);
	peer_send(c->peer, &m);
	msg_out_free(&m);
}

static void
control_reply(struct ctl_client *c, const struct msg_in *req,
    enum ctl_result result, const char *message)
{
	control_reply_id(c, req->id, result, message);
}

static void
control_put_child(struct msg_out *m, const struct child *ch)
{
	char key[64], last[128] = "";
	double now = mono_now();

#define PUT(suffix) (snprintf(key, sizeof(key), "%s_%s", ch->name, suffix), key)
	msg_put_u64(m, PUT("pid"), ch->state == CHILD_DOWN ? 0 :
	    (uint64_t)ch->pid);
	msg_put_str(m, PUT("state"), child_state_name(ch->state));
	msg_put_u64(m, PUT("uptime"), ch->state == CHILD_DOWN ? 0 :
	    (uint64_t)(now - ch->started_at));
	msg_put_u64(m, PUT("restarts"), ch->restarts);
	if (ch->last_status != -1)
		child_exit_text(ch->last_status, last, sizeof(last));
	msg_put_str(m, PUT("last_exit"), last);
#undef PUT
}

static void
control_status(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req)
{
	struct msg_out m;
	int r;

	control_reply_begin(&m, req->id, CTL_OK, "");
	msg_put_str(&m, "state", sup_state_name(sup->state));
	msg_put_str(&m, "version", PACKAGE_VERSION);
	msg_put_u64(&m, "pid", (uint64_t)getpid());
	msg_put_u64(&m, "uptime", (uint64_t)(mono_now() - sup->started_at));
	for (r = 0; r < ROLE_COUNT; r++)
		control_put_child(&m, &sup->children[r]);
	metrics_put_status(sup, &m);
	peer_send(c->peer, &m);
	msg_out_free(&m);
}

static void
control_metrics(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req)
{
	struct evbuffer *b;
	struct msg_out m;

	if ((b = evbuffer_new()) == NULL) {
		control_reply(c, req, CTL_FAILED, "out of memory");
		return;
	}
	metrics_text(sup, b);
	control_reply_begin(&m, req->id, CTL_OK, "");
	msg_put_strn(&m, "text", (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	peer_send(c->peer, &m);
	msg_out_free(&m);
	evbuffer_free(b);
}

static void
control_hold(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req)
{
	int hold = req->type == MSG_CTL_STOP_STREAMER;

	log_info("control: %s requested by uid %ld", hold ? "stop-streamer" :
	    "start-streamer", (long)c->uid);
	if (sup_hold_streamer(sup, hold) == 0)
		control_reply(c, req, CTL_OK, hold ? "the streamer stops and "
		    "stays stopped until start-streamer" : "the streamer may "
		    "run again");
	else
		control_reply(c, req, CTL_FAILED, "binlogd is stopping");
}

static void
control_ckpt_timeout(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct ctl_client *c = arg;

	char msg[128];

	log_errx("control: %s did not answer within %d s", c->fwd_to,
	    CONTROL_CKPT_TIMEOUT);
	c->ckpt_id = 0;
	snprintf(msg, sizeof(msg), "%s did not answer in time; see binlogd's "
	    "log", c->fwd_to);
	control_reply_id(c, c->req_id, CTL_FAILED, msg);
}

/* The id a request forwarded to the child of role goes out with, or 0
 * when it cannot go (and the client has its answer). */
static uint32_t
control_forward_id(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req, enum child_role role)
{
	struct child *ck = &sup->children[role];
	char msg[160];

	if (ck->state != CHILD_READY || ck->peer == NULL) {
		snprintf(msg, sizeof(msg), "%s is not running; try again when "
		    "binlogctl status shows it ready", ck->name);
		control_reply(c, req, CTL_FAILED, msg);
		return 0;
	}
	if (c->ckpt_id != 0) {
		control_reply(c, req, CTL_FAILED, "one request at a time");
		return 0;
	}
	if (c->timer == NULL &&
	    (c->timer = evtimer_new(sup->base, control_ckpt_timeout, c)) ==
	    NULL)
		fatalx("evtimer_new failed");
	if (++control_ckpt_next == 0)
		control_ckpt_next = 1;
	c->ckpt_id = control_ckpt_next;
	c->req_id = req->id;
	c->fwd_to = ck->name;
	return c->ckpt_id;
}

static void
control_forward(struct supervisor *sup, struct ctl_client *c,
    struct msg_out *m, enum child_role role)
{
	struct timeval tv = { CONTROL_CKPT_TIMEOUT, 0 };

	peer_send(sup->children[role].peer, m);
	msg_out_free(m);
	evtimer_add(c->timer, &tv);
}

static void
control_checkpoint(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req)
{
	struct msg_out m;
	uint32_t id;

	if ((id = control_forward_id(sup, c, req, ROLE_CHECKPOINTD)) == 0)
		return;
	msg_out_begin(&m, MSG_CKPT_SHOW, id);
	control_forward(sup, c, &m, ROLE_CHECKPOINTD);
}

/* The same parser as start_position; latest and earliest need the server,
 * which only the streamer talks to, so they are not positions here. */
static int
control_parse_position(struct config *parsed, const char *v, size_t len,
    char *err, size_t errlen)
{
	char buf[CONF_STR_MAX];

	if (len >= sizeof(buf)) {
		snprintf(err, errlen, "the position is longer than %zu bytes",
		    sizeof(buf) - 1);
		return -1;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (config_parse_start(parsed, buf, err, errlen) == -1)
		return -1;
	if (parsed->start_kind == START_LATEST ||
	    parsed->start_kind == START_EARLIEST) {
		snprintf(err, errlen, "give a file:offset or a GTID set, not "
		    "%s", parsed->start_kind == START_LATEST ?
		    "latest" : "earliest");
		return -1;
	}
	return 0;
}

/* DB.TABLE (split at the first dot) into db and table; -1 with err. */
static int
control_parse_table(const char *v, size_t len, char *db, char *table,
    size_t size, char *err, size_t errlen)
{
	const char *dot = memchr(v, '.', len);
	size_t dblen = dot ? (size_t)(dot - v) : 0;

	if (dot == NULL || dblen == 0 || dblen >= size ||
	    len - dblen - 1 == 0 || len - dblen - 1 >= size ||
	    memchr(v, ' ', len) != NULL) {
		snprintf(err, errlen, "give the table as DB.TABLE (names of at "
		    "most %zu bytes), not '%.*s'", size - 1, (int)len, v);
		return -1;
	}
	memcpy(db, v, dblen);
	db[dblen] = '\0';
	memcpy(table, dot + 1, len - dblen - 1);
	table[len - dblen - 1] = '\0';
	return 0;
}

static bool
control_held(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req)
{
	char err[256];

	if (sup->state == SUP_HELD)
		return true;
	snprintf(err, sizeof(err), "the streamer must be held: run "
	    "binlogctl stop-streamer first (binlogd is %s)",
	    sup_state_name(sup->state));
	control_reply(c, req, CTL_NOT_HELD, err);
	return false;
}

/* CKPT_SET: the position parsed (none: checkpointd's saved one), what
 * for, and the table of a retake. */
static void
control_send_set(struct supervisor *sup, struct ctl_client *c, uint32_t id,
    const struct config *parsed, const char *action, const char *db,
    const char *table)
{
	struct msg_out m;

	msg_out_begin(&m, MSG_CKPT_SET, id);
	msg_put_str(&m, "gtid", parsed && parsed->start_kind == START_GTID ?
	    parsed->start_gtid : "");
	msg_put_str(&m, "file", parsed && parsed->start_kind ==
	    START_FILE_POS ? parsed->start_file : "");
	msg_put_u64(&m, "offset", parsed ? parsed->start_offset : 0);
	msg_put_u64(&m, "uid", (uint64_t)c->uid);
	msg_put_str(&m, "action", action);
	msg_put_str(&m, "db", db);
	msg_put_str(&m, "table", table);
	control_forward(sup, c, &m, ROLE_CHECKPOINTD);
}

static void
control_set_position(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req, const char *v, size_t len)
{
	static struct config parsed;
	char err[1024];
	uint32_t id;

	if (!control_held(sup, c, req))
		return;
	if (control_parse_position(&parsed, v, len, err, sizeof(err)) == -1) {
		control_reply(c, req, CTL_INVALID, err);
		return;
	}
	if ((id = control_forward_id(sup, c, req, ROLE_CHECKPOINTD)) == 0)
		return;
	log_warning("control: set-position %.*s requested by uid %ld", (int)len,
	    v, (long)c->uid);
	control_send_set(sup, c, id, &parsed, "set-position", "", "");
}

/* schema retake DB.TABLE [at POSITION]: a retake version of the table
 * (at the position, which is then also the start position, or at the
 * saved one), audited like set-position. */
static void
control_retake(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req, const char *v, size_t len)
{
	static struct config parsed;
	char db[65], table[65], err[1024];
	const char *at = NULL;
	size_t tlen = len;
	uint32_t id;

	if (!control_held(sup, c, req))
		return;
	if (len > 4 && (at = memmem(v, len, " at ", 4)) != NULL)
		tlen = (size_t)(at - v);
	if (control_parse_table(v, tlen, db, table, sizeof(db), err,
	    sizeof(err)) == -1 || (at != NULL && control_parse_position(
	    &parsed, at + 4, len - tlen - 4, err, sizeof(err)) == -1)) {
		control_reply(c, req, CTL_INVALID, err);
		return;
	}
	if ((id = control_forward_id(sup, c, req, ROLE_CHECKPOINTD)) == 0)
		return;
	log_warning("control: schema retake %.*s requested by uid %ld",
	    (int)len, v, (long)c->uid);
	control_send_set(sup, c, id, at ? &parsed : NULL, "schema-retake", db,
	    table);
}

/* history DB.TABLE: read-only, from checkpointd. */
static void
control_history(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req, const char *v, size_t len)
{
	char db[65], table[65], err[256];
	struct msg_out m;
	uint32_t id;

	if (control_parse_table(v, len, db, table, sizeof(db), err,
	    sizeof(err)) == -1) {
		control_reply(c, req, CTL_INVALID, err);
		return;
	}
	if ((id = control_forward_id(sup, c, req, ROLE_CHECKPOINTD)) == 0)
		return;
	msg_out_begin(&m, MSG_HISTORY_SHOW, id);
	msg_put_str(&m, "db", db);
	msg_put_str(&m, "table", table);
	control_forward(sup, c, &m, ROLE_CHECKPOINTD);
}

/* binlogctl snapshot: the streamer checks the table and answers.  The
 * request is logged at warning level, as set-position is: it adds the
 * table's rows to what every consumer receives. */
static void
control_snapshot(struct supervisor *sup, struct ctl_client *c,
    const struct msg_in *req, const char *table, size_t tlen,
    const char *where, size_t wlen)
{
	struct msg_out m;
	uint32_t id;

	if ((id = control_forward_id(sup, c, req, ROLE_STREAMER)) == 0)
		return;
	log_warning("control: snapshot %.*s%s%.*s requested by uid %ld",
	    (int)tlen, table, wlen > 0 ? " where " : "", (int)wlen, where,
	    (long)c->uid);
	msg_out_begin(&m, MSG_SNAPSHOT, id);
	msg_put_strn(&m, "table", table, tlen);
	msg_put_strn(&m, "where", where, wlen);
	msg_put_u64(&m, "uid", (uint64_t)c->uid);
	control_forward(sup, c, &m, ROLE_STREAMER);
}

/* The client whose forwarded request this reply answers, or NULL. */
static struct ctl_client *
control_waiting(uint32_t ckpt_id)
{
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (clients[i].peer != NULL && clients[i].ckpt_id == ckpt_id)
			return &clients[i];
	return NULL;
}

static void
control_shown(struct msg_in *msg, struct msg_out *m)
{
	static struct position pos;
	const char *s;
	size_t len;
	uint64_t u;
	bool found = false;

	msg_get_bool(msg, "found", &found);
	msg_put_bool(m, "found", found);
	if (found) {
		position_get(msg, &pos);
		position_put(m, &pos);
	}
#define COPY_S(k) (msg_get_str(msg, k, &s, &len), msg_put_strn(m, k, s, len))
#define COPY_U(k) (msg_get_u64(msg, k, &u), msg_put_u64(m, k, u))
	COPY_S("saved_at");
	COPY_U("gaps");
	COPY_S("gap_list");
	COPY_U("audits");
	COPY_S("audit_list");
#undef COPY_S
#undef COPY_U
}

/* HISTORY_SHOWN: the versions as the reply's message. */
static void
control_history_shown(struct msg_in *msg, uint32_t req_id, struct msg_out *m)
{
	const char *list = "";
	size_t len = 0;
	uint64_t n = 0;
	char *text;

	msg_get_u64(msg, "versions", &n);
	msg_get_str(msg, "list", &list, &len);
	if (asprintf(&text, "%llu version(s)%s%.*s", (unsigned long long)n,
	    len ? "\n" : "", (int)len, list) == -1)
		fatal("history reply");
	control_reply_begin(m, req_id, n > 0 ? CTL_OK : CTL_FAILED, n > 0 ?
	    text : "no schema history for that table");
	free(text);
}

/* A child's reply to a forwarded request: checkpointd's CKPT_SHOWN,
 * CKPT_SET_DONE or HISTORY_SHOWN, the streamer's SNAPSHOT_DONE.  Trust
 * follows the sender, so a malformed one is fatal; one for a client that
 * has gone is dropped. */
void
control_child_reply(const char *who, struct msg_in *msg)
{
	struct ctl_client *c = control_waiting(msg->id);
	char text[2048] = "";
	uint64_t result = CTL_OK;
	struct msg_out m;

	if (msg->type == MSG_CKPT_SET_DONE) {
		msg_get_strbuf(msg, "error", text, sizeof(text));
		result = text[0] ? CTL_FAILED : CTL_OK;
		if (!text[0])
			strlcpy_(text, "done; start-streamer resumes from "
			    "the saved position", sizeof(text));
	} else if (msg->type == MSG_SNAPSHOT_DONE) {
		msg_get_u64(msg, "result", &result);
		msg_get_strbuf(msg, "message", text, sizeof(text));
	}
	if (msg->type == MSG_HISTORY_SHOWN)
		control_history_shown(msg, c ? c->req_id : 0, &m);
	else
		control_reply_begin(&m, c ? c->req_id : 0,
		    (enum ctl_result)result, text);
	if (msg->type == MSG_CKPT_SHOWN)
		control_shown(msg, &m);
	msg_sibling_end(who, msg);
	if (c == NULL)
		log_info("control: %s for a client that has gone",
		    msg_type_name(msg->type));
	else {
		control_unforward(c);
		peer_send(c->peer, &m);
	}
	msg_out_free(&m);
}

/* Requests that only look. */
static int
control_read_only(uint32_t type)
{
	return type == MSG_CTL_STATUS || type == MSG_CTL_METRICS ||
	    type == MSG_CTL_CHECKPOINT || type == MSG_CTL_HISTORY;
}

static void
control_dispatch(struct peer *p, struct msg_in *msg, void *arg)
{
	struct supervisor *sup = arg;
	struct ctl_client *c = control_client(p);
	uint64_t protocol = 0;
	const char *arg_s = "", *where = "";
	size_t arg_len = 0, where_len = 0;
	char err[1024];

	if (msg == NULL) {
		control_drop(c);
		return;
	}
	control_idle_arm(c);
	msg_get_u64(msg, "protocol", &protocol);
	if ((msg->type == MSG_CTL_SET_POSITION ||
	    msg->type == MSG_CTL_HISTORY ||
	    msg->type == MSG_CTL_SCHEMA_RETAKE) && msg_has(msg, "position"))
		msg_get_str(msg, "position", &arg_s, &arg_len);
	if (msg->type == MSG_CTL_SNAPSHOT && msg_has(msg, "table"))
		msg_get_str(msg, "table", &arg_s, &arg_len);
	if (msg->type == MSG_CTL_SNAPSHOT && msg_has(msg, "where"))
		msg_get_str(msg, "where", &where, &where_len);
	if (msg_end(msg) == -1) {
		log_errx("control: malformed %s from pid %ld: %s; closing",
		    msg_type_name(msg->type), (long)c->pid, msg->error);
		control_drop(c);
		return;
	}
	if (protocol != MSG_PROTOCOL_VERSION) {
		control_reply(c, msg, CTL_VERSION, "binlogctl and binlogd "
		    "are from different versions");
		return;
	}
	if (!control_read_only(msg->type) && !control_may_change(c->uid)) {
		log_errx("control: uid %ld may not %s", (long)c->uid,
		    msg_type_name(msg->type));
		control_reply(c, msg, CTL_DENIED, "permission denied: "
		    "changes need root or binlogd's user");
		return;
	}
	switch (msg->type) {
	case MSG_CTL_STATUS:
		control_status(sup, c, msg);
		break;
	case MSG_CTL_METRICS:
		control_metrics(sup, c, msg);
		break;
	case MSG_CTL_STOP_STREAMER:
	case MSG_CTL_START_STREAMER:
		control_hold(sup, c, msg);
		break;
	case MSG_CTL_CHECKPOINT:
		control_checkpoint(sup, c, msg);
		break;
	case MSG_CTL_SET_POSITION:
		control_set_position(sup, c, msg, arg_s, arg_len);
		break;
	case MSG_CTL_SNAPSHOT:
		control_snapshot(sup, c, msg, arg_s, arg_len, where, where_len);
		break;
	case MSG_CTL_SCHEMA_RETAKE:
		control_retake(sup, c, msg, arg_s, arg_len);
		break;
	case MSG_CTL_HISTORY:
		control_history(sup, c, msg, arg_s, arg_len);
		break;
	case MSG_CTL_RESTART:
		log_info("control: restart requested by uid %ld",
		    (long)c->uid);
		if (sup_restart_streamer(sup, "restart requested by "
		    "binlogctl") == 0)
			control_reply(c, msg, CTL_OK, "restarting the streamer");
		else
			control_reply(c, msg, CTL_FAILED, "the streamer "
			    "cannot be restarted while binlogd is stopping "
			    "or the streamer is held (see start-streamer)");
		break;
	case MSG_CTL_STOP:
		log_info("control: stop requested by uid %ld", (long)c->uid);
		control_reply(c, msg, CTL_OK, "stopping");
		sup_stop(sup, BX_OK, "stop requested by binlogctl");
		break;
	case MSG_CTL_RELOAD:
		log_info("control: reload requested by uid %ld", (long)c->uid);
		if (sup_reload(sup, err, sizeof(err)) == 0)
			control_reply(c, msg, CTL_OK, err);
		else
			control_reply(c, msg, CTL_FAILED, err);
		break;
	default:
		control_reply(c, msg, CTL_UNKNOWN, "unknown request");
		break;
	}
}
