/* checkpointd.c: binlogd-checkpointd, which answers the streamer's "where do
 * I start", coalesces its reported positions into SQLite commits, never
 * exits with a reported position left unsaved when it can save it, and
 * shows or sets the position for binlogctl through the supervisor. */
#include "build.h"

#include <sys/time.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "checkpointd.h"
#include "config.h"
#include "exitcode.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "position.h"
#include "proc.h"
#include "util.h"

/* How long an exit path waits for its last message to leave. */
#define CKPT_FLUSH_MS	1000
#define CKPT_POS_STR	(POS_GTID_MAX + POS_FILE_MAX + 64)
/* The gap and audit lists binlogctl checkpoint shows. */
#define CKPT_LIST_MAX	(32 * 1024)

/* A growing list of table versions. */
struct versions {
	struct version		*v;
	size_t			 n, cap;
};

static struct {
	struct event_base	*base;
	struct config		 conf;
	struct store		*store;
	struct peer		*parent;
	struct peer		*streamer;	/* at most one at a time */
	struct event		*timer;		/* armed while pending */
	struct event		*ev_term;
	struct position		 saved;		/* what is on disk */
	bool			 has_saved;
	struct position		 pending;	/* reported, not yet on disk */
	bool			 has_pending;
	/* Table versions: arrived, waiting for the SAVE they belong to
	 * (incoming); then with the pending position, written with it. */
	struct versions		 incoming, versions;
	/* Leaving, but an attached streamer may still send its final
	 * position: exit with this code once its link closes. */
	bool			 leaving;
	int			 leave_code;
	const char		*leave_why;
	struct event		*leave_timer;
} ckpt;

/* Rotates two buffers, so one log line can show two positions. */
static const char *
ckpt_pos_str(const struct position *p)
{
	static char buf[2][CKPT_POS_STR];
	static int n;

	n = !n;
	return position_str(p, buf[n], sizeof(buf[n]));
}

/* The store cannot save: tell the streamer to stop, and stop.  What was
 * committed before is still on disk, untouched by the failed transaction. */
static __attribute__((noreturn)) void
ckpt_store_failed(void)
{
	struct msg_out m;

	log_errx("%s", store_error(ckpt.store));
	if (ckpt.streamer != NULL) {
		msg_out_begin(&m, MSG_CKPT_FAILED, peer_next_id(ckpt.streamer));
		msg_put_str(&m, "error", store_error(ckpt.store));
		peer_send(ckpt.streamer, &m);
		msg_out_free(&m);
		peer_flush(ckpt.streamer, CKPT_FLUSH_MS);
	}
	fatalx_code(BX_STORE, "position %s not saved; the last saved one is "
	    "%s", ckpt_pos_str(&ckpt.pending),
	    ckpt.has_saved ? ckpt_pos_str(&ckpt.saved) : "none");
}

/* Tells the supervisor what is on disk, for binlogctl status and the
 * checkpoint age metric: checkpointd is the one owner of that fact. */
static void
ckpt_report(void)
{
	struct msg_out m;
	char iso[64];
	uint64_t at;

	if (store_saved_at(ckpt.store, iso, sizeof(iso), &at) == -1)
		ckpt_store_failed();
	msg_out_begin(&m, MSG_CKPT_COMMITTED, peer_next_id(ckpt.parent));
	msg_put_bool(&m, "found", ckpt.has_saved);
	if (ckpt.has_saved)
		position_put(&m, &ckpt.saved);
	msg_put_u64(&m, "saved_at", at);
	peer_send(ckpt.parent, &m);
	msg_out_free(&m);
}

static void
versions_clear(struct versions *vs)
{
	while (vs->n > 0)
		version_free(&vs->v[--vs->n]);
}

/* Moves from's versions to the end of to's. */
static void
versions_move(struct versions *to, struct versions *from)
{
	size_t need = to->n + from->n;
	struct version *v;

	if (need > to->cap) {
		if ((v = reallocarray(to->v, need, sizeof(*v))) == NULL)
			fatal("table versions");
		to->v = v;
		to->cap = need;
	}
	memcpy(to->v + to->n, from->v, from->n * sizeof(*v));
	to->n = need;
	from->n = 0;
}

static void
ckpt_commit(void)
{
	if (!ckpt.has_pending)
		return;
	if (store_save(ckpt.store, &ckpt.pending, ckpt.versions.v,
	    ckpt.versions.n) == -1)
		ckpt_store_failed();
	if (ckpt.versions.n > 0)
		log_info("recorded %zu table version(s) with %s",
		    ckpt.versions.n, ckpt_pos_str(&ckpt.pending));
	versions_clear(&ckpt.versions);
	ckpt.saved = ckpt.pending;
	ckpt.has_saved = true;
	ckpt.has_pending = false;
	evtimer_del(ckpt.timer);
	log_debug("committed %s", ckpt_pos_str(&ckpt.saved));
	if (ckpt.parent != NULL)
		ckpt_report();
}

static __attribute__((noreturn)) void
ckpt_exit(int code, const char *why)
{
	ckpt_commit();
	store_close(ckpt.store);
	if (code == BX_OK)
		log_info("exiting: %s; last position %s", why,
		    ckpt.has_saved ? ckpt_pos_str(&ckpt.saved) : "none");
	else
		log_errx("exiting: %s; last position %s", why,
		    ckpt.has_saved ? ckpt_pos_str(&ckpt.saved) : "none");
	exit(code);
}

/* A sibling that sends what the catalogue does not allow has a bug. */
static __attribute__((noreturn)) void
ckpt_bad_msg(struct peer *p, struct msg_in *msg)
{
	ckpt_commit();
	msg_sibling_bad(peer_name(p), msg);
}

static void
ckpt_timer_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	ckpt_commit();
}

/* Every reply that can feed binlogctl status carries the gap summary. */
static void
ckpt_put_gaps(struct msg_out *m)
{
	char last[1024];
	uint64_t count;

	if (store_gaps(ckpt.store, &count, last, sizeof(last)) == -1)
		ckpt_store_failed();
	msg_put_u64(m, "gaps", count);
	msg_put_str(m, "last_gap", last);
}

/* One CKPT_HISTORY message: a version in force. */
static void
ckpt_send_version(void *arg, const char *db, const char *table,
    const char *kind, const char *columns)
{
	struct peer *p = arg;
	struct msg_out m;

	msg_out_begin(&m, MSG_CKPT_HISTORY, peer_next_id(p));
	msg_put_str(&m, "db", db);
	msg_put_str(&m, "table", table);
	msg_put_str(&m, "kind", kind);
	msg_put_str(&m, "columns", columns);
	peer_send(p, &m);
	msg_out_free(&m);
}

/* The versions in force, after the position: they are read from the
 * disk, so the position goes there first. */
static void
ckpt_reply_history(struct peer *p)
{
	uint64_t n;

	if (store_history(ckpt.store, ckpt_send_version, p, &n) == -1)
		ckpt_store_failed();
	log_debug("sent %llu table version(s)", (unsigned long long)n);
}

static uint64_t
ckpt_count_history(void)
{
	uint64_t n;

	if (store_history(ckpt.store, NULL, NULL, &n) == -1)
		ckpt_store_failed();
	return n;
}

/* Where to start is read back from the file, what is pending committed
 * first: the position with the snapshot still running, if there is one
 * (saved by an earlier report than the position's last). */
static void
ckpt_reply_position(struct peer *p, uint32_t id)
{
	static struct position pos;
	struct msg_out m;
	bool found;

	ckpt_commit();
	if (store_load(ckpt.store, &pos, &found) == -1)
		ckpt_store_failed();
	msg_out_begin(&m, MSG_CKPT_POSITION, id);
	msg_put_bool(&m, "found", found);
	if (found)
		position_put(&m, &pos);
	ckpt_put_gaps(&m);
	msg_put_u64(&m, "versions", ckpt_count_history());
	peer_send(p, &m);
	msg_out_free(&m);
	ckpt_reply_history(p);
	log_debug("%s asked where to start: %s", peer_name(p),
	    found ? ckpt_pos_str(&pos) : "no checkpoint");
}

/* The latest report wins; it reaches the disk when the interval ends, or
 * at once when forced (rotate, DDL, reset, stop). */
static void
ckpt_save(struct peer *p, uint32_t id, const struct position *pos,
    bool force)
{
	struct timeval tv;
	struct msg_out m;
	double iv = ckpt.conf.checkpoint_interval;

	/* a snapshot's progress is not replaced by a report without it */
	if (ckpt.has_pending && ckpt.pending.snap.id != 0 &&
	    ckpt.pending.snap.id != pos->snap.id)
		ckpt_commit();
	ckpt.pending = *pos;
	ckpt.has_pending = true;
	versions_move(&ckpt.versions, &ckpt.incoming);
	if (force || iv <= 0)
		ckpt_commit();
	else if (!evtimer_pending(ckpt.timer, NULL)) {
		tv.tv_sec = (time_t)iv;
		tv.tv_usec = (suseconds_t)((iv - (double)tv.tv_sec) * 1e6);
		evtimer_add(ckpt.timer, &tv);
	}
	msg_out_begin(&m, MSG_CKPT_SAVED, id);
	msg_put_bool(&m, "committed", !ckpt.has_pending);
	peer_send(p, &m);
	msg_out_free(&m);
}

/* The positions before the reset reach the disk first, then the gap, so
 * the file never shows a gap without the position it started from. */
static void
ckpt_gap(struct peer *p, uint32_t id, const struct gap *g)
{
	struct msg_out m;

	ckpt_commit();
	if (store_gap(ckpt.store, g) == -1)
		ckpt_store_failed();
	log_errx("recorded a gap from %s to %s on %s: %s",
	    ckpt_pos_str(&g->from), ckpt_pos_str(&g->to), g->server,
	    g->reason);
	msg_out_begin(&m, MSG_CKPT_GAP_SAVED, id);
	ckpt_put_gaps(&m);
	peer_send(p, &m);
	msg_out_free(&m);
}

/* Versions whose SAVE never came, from a streamer that is gone. */
static void
ckpt_drop_incoming(void)
{
	if (ckpt.incoming.n > 0)
		log_info("%zu table version(s) came without their position "
		    "and are dropped: the streamer meets their DDL again",
		    ckpt.incoming.n);
	versions_clear(&ckpt.incoming);
}

static void
ckpt_version(struct version *v)
{
	struct versions one = { v, 1, 1 };
	static const char *const kinds[] = { "table", "dropped", NULL };
	size_t i;

	for (i = 0; kinds[i] != NULL && strcmp(kinds[i], v->kind) != 0; i++)
		;
	if (kinds[i] == NULL || v->db[0] == '\0' || v->table[0] == '\0')
		fatalx("streamer sent a table version of kind '%s' for '%s.%s'",
		    v->kind, v->db, v->table);
	versions_move(&ckpt.incoming, &one);
}

static void
ckpt_streamer_dispatch(struct peer *p, struct msg_in *msg, void *arg UNUSED)
{
	struct position pos;
	struct gap gap;
	struct version v;
	bool force = false;

	if (msg == NULL) {
		log_info("streamer link closed");
		ckpt_commit();
		ckpt_drop_incoming();
		peer_free(p);
		ckpt.streamer = NULL;
		if (ckpt.leaving)
			ckpt_exit(ckpt.leave_code, ckpt.leave_why);
		return;
	}
	switch (msg->type) {
	case MSG_CKPT_LOAD:
		if (msg_end(msg) == -1)
			ckpt_bad_msg(p, msg);
		ckpt_reply_position(p, msg->id);
		break;
	case MSG_CKPT_SAVE:
		position_get(msg, &pos);
		msg_get_bool(msg, "force", &force);
		if (msg_end(msg) == -1)
			ckpt_bad_msg(p, msg);
		ckpt_save(p, msg->id, &pos, force);
		break;
	case MSG_CKPT_VERSION:
		version_get(msg, &v);
		if (msg_end(msg) == -1)
			ckpt_bad_msg(p, msg);
		ckpt_version(&v);
		break;
	case MSG_CKPT_GAP:
		gap_get(msg, &gap);
		if (msg_end(msg) == -1)
			ckpt_bad_msg(p, msg);
		ckpt_gap(p, msg->id, &gap);
		break;
	default:
		ckpt_bad_msg(p, msg);
	}
}

/* A new streamer's link; the old one's last report is committed first, so
 * the new one starts where the old one ended. */
static void
ckpt_attach(void)
{
	int fd;

	if ((fd = peer_take_fd(ckpt.parent)) == -1)
		fatalx("supervisor sent CKPT_ATTACH without a file descriptor");
	if (ckpt.streamer != NULL) {
		log_info("a new streamer replaces the attached one");
		ckpt_commit();
		ckpt_drop_incoming();
		peer_free(ckpt.streamer);
	}
	ckpt.streamer = peer_new(ckpt.base, fd, "streamer",
	    ckpt_streamer_dispatch, NULL);
	log_debug("streamer attached");
}

/* binlogctl checkpoint: what is on disk, read back from the file. */
static void
ckpt_show(uint32_t id)
{
	static char gaps[CKPT_LIST_MAX], audit[CKPT_LIST_MAX];
	struct position pos;
	struct msg_out m;
	uint64_t ngaps, naudit, epoch;
	char iso[64];
	bool found;

	if (store_load(ckpt.store, &pos, &found) == -1 ||
	    store_saved_at(ckpt.store, iso, sizeof(iso), &epoch) == -1 ||
	    store_list(ckpt.store, STORE_GAPS, &ngaps, gaps,
	    sizeof(gaps)) == -1 ||
	    store_list(ckpt.store, STORE_AUDIT, &naudit, audit,
	    sizeof(audit)) == -1)
		ckpt_store_failed();
	msg_out_begin(&m, MSG_CKPT_SHOWN, id);
	msg_put_bool(&m, "found", found);
	if (found)
		position_put(&m, &pos);
	msg_put_str(&m, "saved_at", iso);
	msg_put_u64(&m, "gaps", ngaps);
	msg_put_str(&m, "gap_list", gaps);
	msg_put_u64(&m, "audits", naudit);
	msg_put_str(&m, "audit_list", audit);
	peer_send(ckpt.parent, &m);
	msg_out_free(&m);
}

static void
ckpt_set_done(uint32_t id, const char *error)
{
	struct msg_out m;

	msg_out_begin(&m, MSG_CKPT_SET_DONE, id);
	msg_put_str(&m, "error", error);
	peer_send(ckpt.parent, &m);
	msg_out_free(&m);
}

/* binlogctl set-position, or schema retake (a retake version of a table,
 * at the position given or the saved one), which the supervisor sends
 * only while no streamer runs; a streamer's link still open here (its
 * exit not yet seen) could save over the new position, so that is
 * refused too.  A failed transaction leaves the old position, history
 * and no audit row. */
static void
ckpt_set(uint32_t id, const struct position *to, uint64_t uid,
    const char *action, const struct version *retake)
{
	struct position from;
	char reason[256];

	if (ckpt.streamer != NULL) {
		ckpt_set_done(id, "a streamer is still attached to "
		    "checkpointd; try again in a moment");
		return;
	}
	ckpt_commit();
	if (ckpt.has_saved)
		from = ckpt.saved;
	else
		memset(&from, 0, sizeof(from));
	if (retake != NULL)
		snprintf(reason, sizeof(reason), "retake %s.%s by operator "
		    "(uid %llu)", retake->db, retake->table,
		    (unsigned long long)uid);
	else
		snprintf(reason, sizeof(reason), "set by operator (uid %llu)",
		    (unsigned long long)uid);
	if (store_set(ckpt.store, &from, to, (long)uid, action, reason,
	    retake) == -1) {
		log_errx("%s", store_error(ckpt.store));
		ckpt_set_done(id, store_error(ckpt.store));
		return;
	}
	ckpt.saved = *to;
	ckpt.has_saved = true;
	if (retake != NULL)
		log_warning("schema history: %s.%s is to be taken from "
		    "information_schema again at its next row (binlogctl "
		    "schema retake)", retake->db, retake->table);
	log_warning("position %s by uid %llu; it was %s", ckpt_pos_str(to),
	    (unsigned long long)uid, ckpt_pos_str(&from));
	ckpt_set_done(id, "");
	ckpt_report();
}

/* A retake's version: valid from the position it sets, or the saved. */
static const struct version *
ckpt_retake(struct version *v, struct position *to)
{
	static char none[1];	/* a retake has no columns or statement */

	if (to->file[0] == '\0' && to->gtid[0] == '\0' && ckpt.has_saved)
		*to = ckpt.saved;
	strlcpy_(v->kind, "retake", sizeof(v->kind));
	strlcpy_(v->source, "retake", sizeof(v->source));
	strlcpy_(v->file, to->file, sizeof(v->file));
	v->offset = to->offset;
	v->gtid = to->gtid;
	v->columns = v->statement = none;
	return v;
}

static void
ckpt_set_msg(struct peer *p, struct msg_in *msg)
{
	static struct position to;
	struct version v;
	char action[32];
	uint64_t uid = 0;

	memset(&to, 0, sizeof(to));
	memset(&v, 0, sizeof(v));
	msg_get_strbuf(msg, "gtid", to.gtid, sizeof(to.gtid));
	msg_get_strbuf(msg, "file", to.file, sizeof(to.file));
	msg_get_u64(msg, "offset", &to.offset);
	msg_get_u64(msg, "uid", &uid);
	msg_get_strbuf(msg, "action", action, sizeof(action));
	msg_get_strbuf(msg, "db", v.db, sizeof(v.db));
	msg_get_strbuf(msg, "table", v.table, sizeof(v.table));
	if (msg_end(msg) == -1)
		ckpt_bad_msg(p, msg);
	if (strcmp(action, "schema-retake") == 0)
		ckpt_set(msg->id, &to, uid, action, ckpt_retake(&v, &to));
	else if (strcmp(action, "set-position") == 0)
		ckpt_set(msg->id, &to, uid, action, NULL);
	else
		ckpt_bad_msg(p, msg);
}

/* binlogctl history DB.TABLE. */
static void
ckpt_history_show(struct peer *p, struct msg_in *msg)
{
	static char list[CKPT_LIST_MAX * 4];
	char db[VERSION_NAME_MAX], table[VERSION_NAME_MAX];
	struct msg_out m;
	uint64_t n;

	msg_get_strbuf(msg, "db", db, sizeof(db));
	msg_get_strbuf(msg, "table", table, sizeof(table));
	if (msg_end(msg) == -1)
		ckpt_bad_msg(p, msg);
	if (store_history_list(ckpt.store, db, table, &n, list,
	    sizeof(list)) == -1)
		ckpt_store_failed();
	msg_out_begin(&m, MSG_HISTORY_SHOWN, msg->id);
	msg_put_u64(&m, "versions", n);
	msg_put_str(&m, "list", list);
	peer_send(p, &m);
	msg_out_free(&m);
}

static void
ckpt_leave_timeout(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	log_errx("the streamer sent no final position within %gs",
	    ckpt.conf.stop_timeout);
	ckpt_exit(ckpt.leave_code, ckpt.leave_why);
}

/*
 * When the supervisor dies, SIGTERM (its parent-death signal) and EOF reach
 * both children at once.  The streamer then finishes its transaction and
 * sends a final position; exiting before it arrives would make the restart
 * deliver that transaction again.  So wait, bounded, for its link to close.
 */
static void
ckpt_leave(int code, const char *why)
{
	struct timeval tv;

	if (ckpt.streamer == NULL)
		ckpt_exit(code, why);
	if (ckpt.leaving)
		return;
	ckpt_commit();
	ckpt.leaving = true;
	ckpt.leave_code = code;
	ckpt.leave_why = why;
	log_info("%s: waiting up to %gs for the streamer's final position",
	    why, ckpt.conf.stop_timeout);
	tv.tv_sec = (time_t)ckpt.conf.stop_timeout;
	tv.tv_usec = 0;
	ckpt.leave_timer = evtimer_new(ckpt.base, ckpt_leave_timeout, NULL);
	if (ckpt.leave_timer == NULL || evtimer_add(ckpt.leave_timer, &tv))
		ckpt_exit(code, why);
}

static void
ckpt_parent_dispatch(struct peer *p, struct msg_in *msg, void *arg UNUSED)
{
	if (msg == NULL) {
		peer_free(p);
		ckpt.parent = NULL;
		ckpt_leave(BX_PEER_LOST, "the supervisor is gone");
		return;
	}
	switch (msg->type) {
	case MSG_SHUTDOWN:
		if (msg_end(msg) == -1)
			ckpt_bad_msg(p, msg);
		ckpt_exit(BX_OK, "shutdown requested");
	case MSG_CKPT_ATTACH:
		if (msg_end(msg) == -1)
			ckpt_bad_msg(p, msg);
		ckpt_attach();
		break;
	case MSG_CKPT_SHOW:
		if (msg_end(msg) == -1)
			ckpt_bad_msg(p, msg);
		ckpt_show(msg->id);
		break;
	case MSG_CKPT_SET:
		ckpt_set_msg(p, msg);
		break;
	case MSG_HISTORY_SHOW:
		ckpt_history_show(p, msg);
		break;
	default:
		ckpt_bad_msg(p, msg);
	}
}

static void
ckpt_sigterm(evutil_socket_t sig UNUSED, short ev UNUSED, void *arg UNUSED)
{
	ckpt_leave(BX_OK, "SIGTERM");
}

static void
ckpt_open_store(void)
{
	char err[2048];
	bool found;

	if ((ckpt.store = store_open(ckpt.conf.database, err,
	    sizeof(err))) == NULL)
		fatalx_code(BX_STORE, "%s", err);
	if (store_load(ckpt.store, &ckpt.saved, &found) == -1)
		fatalx_code(BX_STORE, "%s", store_error(ckpt.store));
	ckpt.has_saved = found;
}

static void
ckpt_ready(void)
{
	struct msg_out m;

	msg_out_begin(&m, MSG_READY, peer_next_id(ckpt.parent));
	msg_put_u64(&m, "protocol", MSG_PROTOCOL_VERSION);
	msg_put_u64(&m, "pid", (uint64_t)getpid());
	peer_send(ckpt.parent, &m);
	msg_out_free(&m);
	ckpt_report();
	log_info("ready: database %s, position %s", store_path(ckpt.store),
	    ckpt.has_saved ? ckpt_pos_str(&ckpt.saved) : "none saved yet");
}

static void
ckpt_setup_events(void)
{
	if ((ckpt.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ckpt.timer = evtimer_new(ckpt.base, ckpt_timer_cb, NULL);
	ckpt.ev_term = evsignal_new(ckpt.base, SIGTERM, ckpt_sigterm, NULL);
	if (ckpt.timer == NULL || ckpt.ev_term == NULL ||
	    evsignal_add(ckpt.ev_term, NULL) == -1)
		fatalx("cannot set up the event loop");
	ckpt.parent = peer_new(ckpt.base, FD_SUPERVISOR, "supervisor",
	    ckpt_parent_dispatch, NULL);
}

int
main(int argc, char *argv[])
{
	static const struct proc_child me = { "checkpointd",
	    "binlogd-checkpointd", "its link to binlogd on fd 3" };

	if (proc_child_start(&me, argc, argv, &ckpt.conf))
		return BX_OK;	/* the store is checked when it is opened */
	/* A file size limit then fails a commit with an error we report,
	 * instead of killing us with a core dump. */
	signal(SIGXFSZ, SIG_IGN);
	log_info("starting %s (SQLite %s, libevent %s)", PACKAGE_VERSION,
	    sqlite3_libversion(), event_get_version());

	ckpt_open_store();
	ckpt_setup_events();
	ckpt_ready();
	event_base_dispatch(ckpt.base);
	ckpt_exit(BX_FAILURE, "the event loop ended");
}
