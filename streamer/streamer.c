/* streamer.c: binlogd-streamer's main thread -- the links to the
 * supervisor and checkpointd, the start position, the checkpoint traffic
 * of the reader's durable positions, and the orderly stop. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "exitcode.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proc.h"
#include "util.h"
#include "output.h"
#include "streamer.h"

#define STREAMER_FINAL_SAVE_MS	5000
/* While positions flow, the main thread takes the reader's latest one
 * this often instead of being woken per transaction (10 ms when every
 * transaction is to be committed: checkpoint_interval 0). */
#define STREAMER_COLLECT_MS		100
#define STREAMER_COLLECT_EACH_MS	10

static enum { S_LOADING, S_RUNNING, S_STOPPING } state;
static struct streamer	 st;
static struct config	 conf;
static struct sink	 sink;
static struct event_base *base;
static struct peer	*sup, *ckpt;
static struct event	*wake_ev, *term_ev, *final_timer, *collect_ev;
static struct timeval	 collect_every;
static bool		 ready_sent, have_durable;
static struct position	 durable;
static uint32_t		 final_id;
static int		 exit_code;
/* Gaps from the reader (an on_purged reset, a change without rows), to
 * be recorded by checkpointd in their order; the reader waits for room. */
#define GAP_QUEUE	32
static struct gap	 gap_queue[GAP_QUEUE];
static unsigned		 gap_head, gap_tail;	/* under st.mu */
/* What checkpointd says about recorded gaps, for the status. */
static uint64_t		 gaps_count;
static char		 gaps_last[1024];

static void	streamer_stop(int code);

/* Called by the reader with mu held, after changing what the main thread
 * collects: one pipe write until it collects, not one per transaction. */
static void
streamer_wake(struct streamer *s)
{
	if (!s->woken) {
		s->woken = true;
		(void)write(s->wake[1], "w", 1);
	}
}

/* Called by the reader: a transaction's records are out, this is the
 * position after it. */
void
streamer_publish(struct streamer *s, const struct position *pos, bool force)
{
	pthread_mutex_lock(&s->mu);
	position_advance(&s->durable, pos);
	s->have_durable = true;
	s->durable_new = true;
	s->durable_force |= force;
	if (force || !s->collecting)
		streamer_wake(s);
	pthread_mutex_unlock(&s->mu);
}

/* Called by the reader before it streams from the new position: the gap
 * goes out before any position after it. */
void
streamer_gap(struct streamer *s, const struct gap *g)
{
	pthread_mutex_lock(&s->mu);
	while (gap_tail - gap_head == GAP_QUEUE && !s->stopping)
		pthread_cond_wait(&s->gap_room, &s->mu);
	if (gap_tail - gap_head < GAP_QUEUE)
		gap_queue[gap_tail++ % GAP_QUEUE] = *g;
	else		/* the main thread waits for us: it cannot send */
		log_errx("stopping with %u gaps not yet sent to checkpointd; "
		    "not recorded: %s", GAP_QUEUE, g->reason);
	streamer_wake(s);
	pthread_mutex_unlock(&s->mu);
}

/* The gaps the reader queued, into out (GAP_QUEUE of them at most);
 * called under st.mu, together with taking the position, so that every
 * gap queued before it is sent before it. */
static unsigned
streamer_gaps_take(struct gap *out)
{
	unsigned n = 0;

	while (gap_head != gap_tail)
		out[n++] = gap_queue[gap_head++ % GAP_QUEUE];
	if (n > 0)
		pthread_cond_signal(&st.gap_room);
	return n;
}

const char *
streamer_gaps(uint64_t *count)
{
	*count = gaps_count;
	return gaps_last;
}

void
streamer_started(struct streamer *s, const char *desc)
{
	pthread_mutex_lock(&s->mu);
	s->started = true;
	if (desc != s->start_desc)
		strlcpy_(s->start_desc, desc, sizeof(s->start_desc));
	streamer_wake(s);
	pthread_mutex_unlock(&s->mu);
}

/* The reader is done; the first reason given is the one that counts. */
void
streamer_finish(struct streamer *s, int code, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->mu);
	if (!s->finished) {
		s->finished = true;
		s->exit_code = code;
		va_start(ap, fmt);
		vsnprintf(s->error, sizeof(s->error), fmt, ap);
		va_end(ap);
	}
	streamer_wake(s);
	pthread_mutex_unlock(&s->mu);
}

/* The table versions valid at or before the position about to be
 * saved: checkpointd writes them in that save's transaction. */
static void
streamer_send_versions(void)
{
	struct version *v;
	struct msg_out m;
	size_t i, n = history_take(&durable, &v);

	for (i = 0; i < n; i++) {
		msg_out_begin(&m, MSG_CKPT_VERSION, peer_next_id(ckpt));
		version_put(&m, &v[i]);
		peer_send(ckpt, &m);
		msg_out_free(&m);
		version_free(&v[i]);
	}
	free(v);
}

static void
streamer_send_save(bool force)
{
	struct msg_out m;
	uint32_t id;

	streamer_send_versions();
	id = peer_next_id(ckpt);
	msg_out_begin(&m, MSG_CKPT_SAVE, id);
	position_put(&m, &durable);
	msg_put_bool(&m, "force", force);
	if (state == S_STOPPING)
		final_id = id;
	peer_send(ckpt, &m);
	msg_out_free(&m);
}

static void
streamer_send_gap(const struct gap *g)
{
	struct msg_out m;

	msg_out_begin(&m, MSG_CKPT_GAP, peer_next_id(ckpt));
	gap_put(&m, g);
	peer_send(ckpt, &m);
	msg_out_free(&m);
}

static void
streamer_send_ready(void)
{
	struct msg_out m;

	msg_out_begin(&m, MSG_READY, peer_next_id(sup));
	msg_put_u64(&m, "protocol", MSG_PROTOCOL_VERSION);
	msg_put_u64(&m, "pid", (uint64_t)getpid());
	peer_send(sup, &m);
	msg_out_free(&m);
	ready_sent = true;
	log_info("streaming from %s", st.start_desc);
}

/* Takes what the reader left under the lock and acts on it. */
static void
streamer_collect(void)
{
	bool save = false, force = false, finished = false, started;
	int code = BX_OK;
	char error[sizeof(st.error)];
	static struct gap gaps[GAP_QUEUE];
	unsigned i, ngaps;

	pthread_mutex_lock(&st.mu);
	st.woken = false;
	started = st.started;
	ngaps = streamer_gaps_take(gaps);
	if (st.durable_new) {
		durable = st.durable;
		have_durable = save = true;
		force = st.durable_force;
		st.durable_new = st.durable_force = false;
		st.collecting = true;
	}
	if (st.finished) {
		finished = true;
		code = st.exit_code;
		strlcpy_(error, st.error, sizeof(error));
	}
	pthread_mutex_unlock(&st.mu);

	if (started && !ready_sent && sup != NULL)
		streamer_send_ready();
	for (i = 0; i < ngaps && ckpt != NULL; i++)
		streamer_send_gap(&gaps[i]);
	if (save && !evtimer_pending(collect_ev, NULL))
		evtimer_add(collect_ev, &collect_every);
	if (save && state != S_STOPPING)
		streamer_send_save(force);
	if (finished && state != S_STOPPING) {
		if (code != BX_OK)
			log_errx("%s", error);
		streamer_stop(code == BX_OK ? BX_FAILURE : code);
	}
}

static void
streamer_wakeup(evutil_socket_t fd, short ev UNUSED, void *arg UNUSED)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	streamer_collect();
}

/* The reader's positions are taken every collect_every while they flow:
 * checkpointd commits at most once per checkpoint_interval, and a wake-up
 * (and a message each way) per transaction cost the reader its core.
 * When none came, the next one wakes the main thread again. */
static void
streamer_collect_tick(evutil_socket_t fd UNUSED, short ev UNUSED,
    void *arg UNUSED)
{
	bool more;

	pthread_mutex_lock(&st.mu);
	if (!(more = st.durable_new))
		st.collecting = false;
	pthread_mutex_unlock(&st.mu);
	if (more)
		streamer_collect();
}

static void
streamer_exit(void)
{
	stats_send();
	if (sup != NULL)
		peer_flush(sup, 1000);
	if (ckpt != NULL)
		peer_flush(ckpt, 1000);
	log_debug("exiting with %s", exit_code_name(exit_code));
	exit(exit_code);
}

static void
streamer_final_timeout(evutil_socket_t fd UNUSED, short ev UNUSED,
    void *arg UNUSED)
{
	log_errx("checkpointd did not confirm the final position within "
	    "%d ms", STREAMER_FINAL_SAVE_MS);
	streamer_exit();
}

/* Stops the reader, then saves the last durable position for good and
 * waits (bounded) for checkpointd to confirm it. */
static void
streamer_stop(int code)
{
	struct timeval tv = { STREAMER_FINAL_SAVE_MS / 1000, 0 };

	if (state == S_STOPPING)
		return;
	state = S_STOPPING;
	exit_code = code;
	reader_stop(&st, true);
	reader_wait();
	streamer_collect();
	if (!have_durable || ckpt == NULL)
		streamer_exit();
	streamer_send_save(true);
	final_timer = evtimer_new(base, streamer_final_timeout, NULL);
	evtimer_add(final_timer, &tv);
}

/* The reader dumps from start_from once the versions in force have all
 * arrived (it connected meanwhile). */
static struct start	 start_from;
static uint64_t		 versions_due;

static void
streamer_run(void)
{
	state = S_RUNNING;
	reader_go(&start_from);
}

/* What having no schema history means for this start. */
static void
streamer_no_history(bool found)
{
	if (!found && conf.start_kind == START_LATEST &&
	    strcmp(conf.snapshot, "initial") != 0)
		return;		/* seeded at the position resolved */
	log_warning("no schema history in the checkpoint database for the "
	    "binlog from %s on: tables are named from in-band metadata "
	    "(binlog_row_metadata = FULL) or from information_schema as it is "
	    "now, checked against each TABLE_MAP; a row written before a "
	    "later change of its table stops the stream (exit 87) rather "
	    "than be misnamed", found ? "the checkpoint" : "start_position");
}

static void
streamer_history(struct msg_in *msg)
{
	char db[65], table[65], kind[8];
	const char *columns = "";
	size_t len = 0;
	char *text;

	msg_get_strbuf(msg, "db", db, sizeof(db));
	msg_get_strbuf(msg, "table", table, sizeof(table));
	msg_get_strbuf(msg, "kind", kind, sizeof(kind));
	msg_get_str(msg, "columns", &columns, &len);
	msg_sibling_end("checkpointd", msg);
	if (state != S_LOADING || versions_due == 0)
		msg_sibling_bad("checkpointd", msg);
	if ((text = strndup(columns, len)) == NULL)
		fatal("table version");
	history_load(db, table, kind, text);
	free(text);
	if (--versions_due == 0)
		streamer_run();
}

static void
streamer_start(struct msg_in *msg)
{
	struct start from;
	bool found = false;
	char buf[POS_GTID_MAX + POS_FILE_MAX + 64];

	memset(&from, 0, sizeof(from));
	msg_get_bool(msg, "found", &found);
	if (found)
		position_get(msg, &from.pos);
	msg_get_u64(msg, "gaps", &gaps_count);
	msg_get_strbuf(msg, "last_gap", gaps_last, sizeof(gaps_last));
	msg_get_u64(msg, "versions", &versions_due);
	msg_sibling_end("checkpointd", msg);
	from.saved = found;
	if (gaps_count > 0)
		log_errx("%llu gap(s) recorded in the checkpoint database, "
		    "the last: %s", (unsigned long long)gaps_count, gaps_last);
	if (found)
		log_info("resuming from checkpoint %s",
		    position_str(&from.pos, buf, sizeof(buf)));
	else
		log_info("no checkpoint: starting from start_position = %s",
		    conf.start_position[0] ? conf.start_position : "latest");
	start_from = from;
	if (versions_due > 0) {
		log_info("loading %llu table version(s) of the schema history",
		    (unsigned long long)versions_due);
		return;
	}
	streamer_no_history(found);
	streamer_run();
}

static void
streamer_saved(struct msg_in *msg)
{
	bool committed = false;

	msg_get_bool(msg, "committed", &committed);
	msg_sibling_end("checkpointd", msg);
	if (state == S_STOPPING && msg->id == final_id && committed) {
		log_debug("final position committed");
		streamer_exit();
	}
}

static void
streamer_gap_saved(struct msg_in *msg)
{
	msg_get_u64(msg, "gaps", &gaps_count);
	msg_get_strbuf(msg, "last_gap", gaps_last, sizeof(gaps_last));
	msg_sibling_end("checkpointd", msg);
	log_info("checkpointd recorded the gap (%llu in all)",
	    (unsigned long long)gaps_count);
}

static void
streamer_ckpt_failed(struct msg_in *msg)
{
	const char *err = "";
	size_t len = 0;

	msg_get_str(msg, "error", &err, &len);
	msg_sibling_end("checkpointd", msg);
	log_errx("checkpointd cannot save positions: %.*s", (int)len, err);
	exit_code = BX_STORE;
	reader_stop(&st, false);
	if (state != S_STOPPING)
		reader_wait();
	exit(BX_STORE);
}

static void
streamer_dispatch_ckpt(struct peer *p, struct msg_in *msg, void *arg UNUSED)
{
	if (msg == NULL) {
		log_errx("checkpointd went away: stopping, positions cannot "
		    "be saved");
		peer_free(p);
		ckpt = NULL;
		reader_stop(&st, false);
		if (state != S_STOPPING)
			reader_wait();
		exit(BX_PEER_LOST);
	}
	switch (msg->type) {
	case MSG_CKPT_POSITION:
		if (state != S_LOADING)
			msg_sibling_bad("checkpointd", msg);
		streamer_start(msg);
		break;
	case MSG_CKPT_HISTORY:
		streamer_history(msg);
		break;
	case MSG_CKPT_SAVED:
		streamer_saved(msg);
		break;
	case MSG_CKPT_GAP_SAVED:
		streamer_gap_saved(msg);
		break;
	case MSG_CKPT_FAILED:
		streamer_ckpt_failed(msg);
		break;
	default:
		msg_sibling_bad("checkpointd", msg);
	}
}

static void
streamer_dispatch_sup(struct peer *p, struct msg_in *msg, void *arg UNUSED)
{
	if (msg == NULL) {
		log_errx("supervisor went away: saving and stopping");
		peer_free(p);
		sup = NULL;
		streamer_stop(BX_PEER_LOST);
		return;
	}
	if (msg->type == MSG_SNAPSHOT) {
		incr_request(msg);
		return;
	}
	if (msg->type != MSG_SHUTDOWN)
		msg_sibling_bad("supervisor", msg);
	msg_sibling_end("supervisor", msg);
	log_info("shutdown requested");
	streamer_stop(BX_OK);
}

static void
streamer_sigterm(evutil_socket_t sig UNUSED, short ev UNUSED, void *arg UNUSED)
{
	log_info("SIGTERM: stopping");
	streamer_stop(BX_OK);
}

static void
streamer_load(void)
{
	struct msg_out m;

	msg_out_begin(&m, MSG_CKPT_LOAD, peer_next_id(ckpt));
	peer_send(ckpt, &m);
	msg_out_free(&m);
}

/* What the streamer adds to the configuration, checked without opening
 * anything: the filters, the format, the TLS files.  binlogd runs this
 * (-n, as the user the helpers run as) before it accepts a file; the
 * password was read by then. */
static int
streamer_check(char *err, size_t errlen)
{
	char msg[1024];

	if (filter_load(&conf, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", conf.path, msg);
		return -1;
	}
	if (record_set_format(conf.format) == -1) {
		snprintf(err, errlen, "%s: unknown format %s", conf.path,
		    conf.format);
		return -1;
	}
	if (reader_check_tls(&conf, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", conf.path, msg);
		return -1;
	}
	return 0;
}

/* sink_owner.durable: the sink's records up to pos are durable. */
static void
streamer_durable(void *arg, const struct position *pos, bool force)
{
	streamer_publish(arg, pos, force);
}

/* sink_owner.failed: the sink failed on its own thread; the stream ends
 * with code, as if the reader had failed. */
static void
streamer_sink_failed(void *arg, const char *kind, int code, const char *why)
{
	stats_sink_error();
	streamer_finish(arg, code != 0 ? code : BX_FAILURE, "%s sink: %s",
	    kind, why);
}

static void
streamer_config(void)
{
	static const struct sink_owner owner = {
		.arg = &st, .durable = streamer_durable,
		.errored = stats_sink_error, .flushed = stats_sink_flush,
		.failed = streamer_sink_failed,
		.stopping = &st.stopping,
	};
	char err[1200];

	if (streamer_check(err, sizeof(err)) == -1)
		fatalx_code(BX_CONFIG, "%s", err);
	if (sink_open(&sink, &conf, &owner) == -1)
		fatalx_code(BX_CONFIG, "%s: %s", conf.path, sink.error);
	record_set_sink(&sink);
	par_init((int)conf.decode_threads);
}

static void
streamer_setup(void)
{
	if (pthread_mutex_init(&st.mu, NULL) != 0 ||
	    pthread_cond_init(&st.gap_room, NULL) != 0 || pipe(st.wake) == -1)
		fatal("streamer_setup");
	fd_nonblock(st.wake[0], 1);
	fd_nonblock(st.wake[1], 1);
	fd_cloexec(st.wake[0], 1);
	fd_cloexec(st.wake[1], 1);
	st.dump_fd = -1;
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	sup = peer_new(base, FD_SUPERVISOR, "supervisor",
	    streamer_dispatch_sup, NULL);
	ckpt = peer_new(base, FD_CHECKPOINTD, "checkpointd",
	    streamer_dispatch_ckpt, NULL);
	wake_ev = event_new(base, st.wake[0], EV_READ | EV_PERSIST,
	    streamer_wakeup, NULL);
	collect_every.tv_usec = 1000 * (conf.checkpoint_interval > 0 ?
	    STREAMER_COLLECT_MS : STREAMER_COLLECT_EACH_MS);
	if ((collect_ev = evtimer_new(base, streamer_collect_tick, NULL)) ==
	    NULL)
		fatalx("cannot set up the position timer");
	term_ev = evsignal_new(base, SIGTERM, streamer_sigterm, NULL);
	if (wake_ev == NULL || term_ev == NULL || event_add(wake_ev, NULL) ||
	    event_add(term_ev, NULL))
		fatalx("cannot set up events");
	stats_start(base, &st, &sup, &conf);
	incr_setup(base, &sup);
}

int
main(int argc, char *argv[])
{
	static const struct proc_child me = { "streamer", "binlogd-streamer",
	    "fd 3 to binlogd and fd 4 to binlogd-checkpointd" };

	char err[1200];

	if (proc_child_start(&me, argc, argv, &conf)) {
		if (streamer_check(err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return BX_CONFIG;
		}
		return BX_OK;
	}
	streamer_config();
	log_debug("libmariadb %s", mysql_get_client_info());
	streamer_setup();
	streamer_load();
	reader_start(&st, &conf);
	event_base_dispatch(base);
	sink_close(&sink);
	return exit_code;
}
