/* stats.c: the streamer's counters, bumped by the reader thread without a
 * lock, and the MSG_STATS message the main thread pushes to the supervisor
 * every second for binlogctl status and the metrics. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"
#include "peer.h"
#include "util.h"
#include "streamer.h"

enum stats_ev {
	SE_ROWS, SE_QUERY, SE_XID, SE_GTID, SE_TABLE_MAP, SE_ROTATE,
	SE_HEARTBEAT, SE_OTHER, SE_COUNT,
};

/* Written by the reader thread only; read by the main thread. */
static _Atomic uint64_t	 rows_by_kind[3];	/* insert, update, delete */
static _Atomic uint64_t	 events[SE_COUNT];
static _Atomic uint64_t	 bytes_read;
static _Atomic uint64_t	 behind;
static _Atomic uint64_t	 unrowed[2];	/* statement-logged, incidents */
static _Atomic uint64_t	 oversize;	/* rows on_oversize = skip skipped */
static _Atomic uint64_t	 schema_mismatches; /* history.c kept the server's */
/* Where the connection stands, and since when the stream is known to be
 * complete on the server's clock: a heartbeat says "now", an event its
 * own time.  The supervisor grows the lag from it while no event comes. */
enum stats_conn { CONN_CONNECTING, CONN_CONNECTED, CONN_STREAMING,
    CONN_RECONNECTING };
static _Atomic int	 conn_state;
static _Atomic uint64_t	 last_event_at, synced_at;
/* Bumped by whichever thread runs the sink. */
static _Atomic uint64_t	 sink_errors;
static _Atomic uint64_t	 sink_fsyncs, sink_fsync_trx, sink_fsync_us;

/* Set once per connection, under info_mu. */
static pthread_mutex_t	 info_mu = PTHREAD_MUTEX_INITIALIZER;
static char		 flavour[16], version[128], uuid[POS_UUID_MAX];
static uint32_t		 server_id;
static char		 last_error[sizeof(((struct streamer *)0)->error)];
static uint64_t		 last_error_at;
/* The snapshot's progress, set by the reader under info_mu. */
static struct {
	char		 state[16];
	char		 table[2 * POS_NAME_MAX];
	uint64_t	 rows, table_rows, estimate, chunks;
} snap;

static struct streamer	*stats_st;
static struct peer	**stats_sup;
static const struct config *stats_conf;
static struct event	*stats_timer;

static void
stats_add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static uint64_t
stats_get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* n decoded rows of one event; kind is its rows event type (either
 * version, MariaDB's compressed ones included).  Counted per event: the
 * counters are shared by both formatting threads (parallel.c). */
void
stats_rows(int kind, uint64_t n)
{
	switch (kind) {
	case EV_UPDATE_ROWS: case EV_UPDATE_ROWS_V1: case 167: case 170:
		stats_add(&rows_by_kind[1], n);
		break;
	case EV_DELETE_ROWS: case EV_DELETE_ROWS_V1: case 168: case 171:
		stats_add(&rows_by_kind[2], n);
		break;
	default:
		stats_add(&rows_by_kind[0], n);
		break;
	}
}

static enum stats_ev
stats_event_kind(uint8_t type)
{
	switch (type) {
	case EV_WRITE_ROWS_V1: case EV_UPDATE_ROWS_V1: case EV_DELETE_ROWS_V1:
	case EV_WRITE_ROWS: case EV_UPDATE_ROWS: case EV_DELETE_ROWS:
	case 166: case 167: case 168: case 169: case 170: case 171:
		return SE_ROWS;
	case EV_QUERY: case EV_MARIADB_QUERY_COMPRESSED:
		return SE_QUERY;
	case EV_XID:
		return SE_XID;
	case EV_MARIADB_GTID: case 33: case 34:	/* MySQL GTID, anonymous */
		return SE_GTID;
	case EV_TABLE_MAP:
		return SE_TABLE_MAP;
	case EV_ROTATE:
		return SE_ROTATE;
	case EV_HEARTBEAT:
		return SE_HEARTBEAT;
	default:
		return SE_OTHER;
	}
}

/* One event read from the server.  A heartbeat means the server has
 * nothing newer, so the stream is caught up; artificial events carry no
 * useful time. */
void
stats_event(const struct evhdr *h, size_t len)
{
	enum stats_ev k = stats_event_kind(h->type);
	time_t now = time(NULL);

	stats_add(&events[k], 1);
	stats_add(&bytes_read, len);
	atomic_store_explicit(&last_event_at, (uint64_t)now,
	    memory_order_relaxed);
	if (atomic_load_explicit(&conn_state, memory_order_relaxed) !=
	    CONN_STREAMING)
		atomic_store(&conn_state, CONN_STREAMING);
	if (k == SE_HEARTBEAT) {
		atomic_store_explicit(&behind, 0, memory_order_relaxed);
		atomic_store_explicit(&synced_at, (uint64_t)now,
		    memory_order_relaxed);
	} else if (h->ts != 0 && !(h->flags & EVFLAG_ARTIFICIAL)) {
		atomic_store_explicit(&behind, now > (time_t)h->ts ?
		    (uint64_t)(now - (time_t)h->ts) : 0, memory_order_relaxed);
		atomic_store_explicit(&synced_at, h->ts, memory_order_relaxed);
	}
}

static void
stats_error(const char *msg)
{
	pthread_mutex_lock(&info_mu);
	if (strcmp(msg, last_error) != 0) {
		strlcpy_(last_error, msg, sizeof(last_error));
		last_error_at = (uint64_t)time(NULL);
	}
	pthread_mutex_unlock(&info_mu);
}

/* The reader lost the server and waits to reconnect. */
void
stats_reconnecting(const char *error)
{
	atomic_store(&conn_state, CONN_RECONNECTING);
	stats_error(error);
}

/* One error a sink reported (a failed write, flush or delivery), counted
 * whether or not the sink recovers from it. */
void
stats_sink_error(void)
{
	stats_add(&sink_errors, 1);
}

/* One fsync of the sink made trx transactions durable in usec: how
 * often the disk is asked, and how well the group commit batches. */
void
stats_sink_flush(uint64_t trx, uint64_t usec)
{
	stats_add(&sink_fsyncs, 1);
	stats_add(&sink_fsync_trx, trx);
	stats_add(&sink_fsync_us, usec);
}

/* A change without rows: one the server logged as a statement, or an
 * INCIDENT. */
void
stats_unrowed(bool incident)
{
	stats_add(&unrowed[incident], 1);
}

void
stats_oversize(void)
{
	stats_add(&oversize, 1);
}

/* Where the snapshot stands: what binlogctl status shows of it. */
void
stats_snapshot(const struct snap_progress *p, uint64_t table_rows,
    uint64_t estimate, uint64_t chunks)
{
	pthread_mutex_lock(&info_mu);
	strlcpy_(snap.state, p->state, sizeof(snap.state));
	snprintf(snap.table, sizeof(snap.table), "%s.%s", p->db, p->table);
	snap.rows = p->rows;
	snap.table_rows = table_rows;
	snap.estimate = estimate;
	snap.chunks = chunks;
	pthread_mutex_unlock(&info_mu);
}

void
stats_schema_mismatch(void)
{
	stats_add(&schema_mismatches, 1);
}

/* The server the reader connected to. */
void
stats_server(const char *ver, bool mariadb, uint32_t id, const char *sid)
{
	pthread_mutex_lock(&info_mu);
	strlcpy_(flavour, mariadb ? "MariaDB" : "MySQL", sizeof(flavour));
	strlcpy_(version, ver, sizeof(version));
	strlcpy_(uuid, sid, sizeof(uuid));
	server_id = id;
	pthread_mutex_unlock(&info_mu);
	atomic_store(&conn_state, CONN_CONNECTED);
}

/* The server the stream comes from, and the last error. */
static void
stats_fill_server(struct msg_stats *v)
{
	if (stats_conf->socket[0])
		strlcpy_(v->server_host, stats_conf->socket,
		    sizeof(v->server_host));
	else
		snprintf(v->server_host, sizeof(v->server_host), "%s:%u",
		    stats_conf->host, stats_conf->port);
	pthread_mutex_lock(&info_mu);
	strlcpy_(v->server_flavour, flavour, sizeof(v->server_flavour));
	strlcpy_(v->server_version, version, sizeof(v->server_version));
	v->server_id = server_id;
	strlcpy_(v->server_uuid, uuid, sizeof(v->server_uuid));
	strlcpy_(v->last_error, last_error, sizeof(v->last_error));
	v->last_error_at = last_error_at;
	strlcpy_(v->snapshot, snap.state, sizeof(v->snapshot));
	strlcpy_(v->snapshot_table, snap.table, sizeof(v->snapshot_table));
	v->snapshot_rows = snap.rows;
	v->snapshot_table_rows = snap.table_rows;
	v->snapshot_table_estimate = snap.estimate;
	v->snapshot_chunks = snap.chunks;
	pthread_mutex_unlock(&info_mu);
}

static void
stats_fill_counters(struct msg_stats *v)
{
	static const char *const names[] = { "connecting", "connected",
	    "streaming", "reconnecting" };
	uint64_t *const ev[SE_COUNT] = {
		&v->events_rows, &v->events_query, &v->events_xid,
		&v->events_gtid, &v->events_table_map, &v->events_rotate,
		&v->events_heartbeat, &v->events_other,
	};
	int i;

	strlcpy_(v->connection, names[atomic_load(&conn_state)],
	    sizeof(v->connection));
	v->last_event_at = stats_get(&last_event_at);
	v->synced_at = stats_get(&synced_at);
	v->seconds_behind = stats_get(&behind);
	v->rows_insert = stats_get(&rows_by_kind[0]);
	v->rows_update = stats_get(&rows_by_kind[1]);
	v->rows_delete = stats_get(&rows_by_kind[2]);
	for (i = 0; i < SE_COUNT; i++)
		*ev[i] = stats_get(&events[i]);
	v->bytes_read = stats_get(&bytes_read);
	v->sink_errors = stats_get(&sink_errors);
	v->sink_fsyncs = stats_get(&sink_fsyncs);
	v->sink_fsync_trx = stats_get(&sink_fsync_trx);
	v->sink_fsync_us = stats_get(&sink_fsync_us);
	v->statement_logged = stats_get(&unrowed[0]);
	v->incidents = stats_get(&unrowed[1]);
	v->oversize_skipped = stats_get(&oversize);
	v->schema_mismatches = stats_get(&schema_mismatches);
}

/* Pushes one MSG_STATS (every field of MSG_STATS_FIELDS, msg.h); also
 * called on the way out, so that the supervisor learns the last error. */
void
stats_send(void)
{
	static struct msg_stats v;
	static struct position pos;
	static char error[sizeof(((struct streamer *)0)->error)];
	struct msg_out m;

	if (stats_sup == NULL || *stats_sup == NULL)
		return;
	pthread_mutex_lock(&stats_st->mu);
	pos = stats_st->durable;
	strlcpy_(error, stats_st->error, sizeof(error));
	pthread_mutex_unlock(&stats_st->mu);
	if (error[0] != '\0')
		stats_error(error);

	memset(&v, 0, sizeof(v));
	stats_fill_server(&v);
	stats_fill_counters(&v);
	strlcpy_(v.gtid, pos.gtid, sizeof(v.gtid));
	strlcpy_(v.file, pos.file, sizeof(v.file));
	v.offset = pos.offset;
	strlcpy_(v.last_gap, streamer_gaps(&v.gaps), sizeof(v.last_gap));
	msg_out_begin(&m, MSG_STATS, peer_next_id(*stats_sup));
	msg_put_stats(&m, &v);
	peer_send(*stats_sup, &m);
	msg_out_free(&m);
}

static void
stats_timer_cb(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	stats_send();
}

/* Starts the one-second push; sup may become NULL when the link goes. */
void
stats_start(struct event_base *base, struct streamer *st, struct peer **sup,
    const struct config *conf)
{
	struct timeval tv = { 1, 0 };

	stats_st = st;
	stats_sup = sup;
	stats_conf = conf;
	stats_timer = event_new(base, -1, EV_PERSIST, stats_timer_cb, NULL);
	if (stats_timer == NULL || event_add(stats_timer, &tv) == -1)
		fatalx("cannot start the stats timer");
}
