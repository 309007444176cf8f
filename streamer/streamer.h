/* streamer.h: binlogd-streamer, the process that reads the binlog as a
 * replica (libbinlog decodes it, liboutput writes the records).
 *
 * Its threads, and who owns what:
 *  - the main thread (streamer.c): libevent loop, the siblings' sockets
 *    (supervisor, checkpointd), the stats timer (stats.c); reads struct
 *    streamer under mu and saves the durable position it finds there.
 *  - the reader thread (reader.c), started with the process: it
 *    connects to the server and checks it while the main thread asks
 *    checkpointd where to start, and sends its dump once reader_go says.
 *    It owns the dump connection and the information_schema one
 *    (schema.c), the decoder (struct reader), the sink; writes struct streamer's durable position, start and finish
 *    under mu and wakes the main thread through wake[].
 *  - the formatting thread (output/parallel.c), when [stream] threads
 *    allows: formats rows events the reader queued, from a snapshot of
 *    the decoder's state (struct par_snapshot there), never the reader's.
 *  - librdkafka's threads and the Kafka sink's poller
 *    (output/sink_kafka.c): delivery reports, which hand durable
 *    positions to streamer_publish -- served by the reader itself while
 *    a transaction is open, by the poller between transactions.
 * stopping is atomic: every thread polls it. */
#ifndef BINLOGD_STREAMER_H
#define BINLOGD_STREAMER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "binlog.h"
#include "config.h"
#include "gtid.h"
#include "position.h"

/* State shared by the main thread and the reader, under mu. */
struct streamer {
	pthread_mutex_t	 mu;
	int		 wake[2];	/* reader -> main: something changed */
	bool		 woken;		/* a wake is pending: no more writes */
	int		 dump_fd;	/* replication socket, for shutdown */
	atomic_bool	 stopping;	/* read by every thread of the reader */
	pthread_cond_t	 gap_room;	/* main -> reader: a queued gap sent,
					 * or stopping */

	bool		 started;	/* first event arrived */
	char		 start_desc[POS_GTID_MAX + POS_FILE_MAX + 32];
	bool		 have_durable;
	bool		 durable_new;
	bool		 durable_force;
	bool		 collecting;	/* main thread's timer takes positions */
	struct position	 durable;
	int		 exit_code;	/* reader finished: nonzero = failed */
	bool		 finished;
	char		 error[1024];
};

/* What the main thread decided the reader starts from. */
struct start {
	bool		 saved;		/* from checkpointd */
	struct position	 pos;
};

/* streamer.c */
void	 streamer_publish(struct streamer *, const struct position *,
	    bool force);
void	 streamer_started(struct streamer *, const char *desc);
void	 streamer_gap(struct streamer *, const struct gap *);
/* The recorded gaps' count and the newest one ("" if none). */
const char *streamer_gaps(uint64_t *count);
void	 streamer_finish(struct streamer *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* reader.c */
/* The reader thread connects and checks the server at once; its dump
 * waits for reader_go's start. */
int	 reader_start(struct streamer *, const struct config *);
void	 reader_go(const struct start *);
void	 reader_stop(struct streamer *, bool at_commit);
int	 reader_wait(void);
/* The TLS options' files exist and agree with ssl_mode; -1 with err. */
int	 reader_check_tls(const struct config *, char *err, size_t errlen);
/* A new connection with the configured options; NULL after reader_fail. */
MYSQL	*reader_connect(struct reader *, const char *what);
/* The information_schema connection, made when first needed. */
MYSQL	*reader_meta(struct reader *);

/* stale.c: ends the previous streamer's dump thread (before the dump
 * command, on its connection), notes this one's (after it); server_id
 * is the source server's.  stale_dump_kill writes the KILL in sql and
 * says whether there is a thread to end; stale_dump_end runs it
 * (query_run: it may have been sent ahead). */
bool	 stale_dump_kill(MYSQL *, const struct config *, bool mariadb,
	    uint32_t server_id, char *sql, size_t size);
void	 stale_dump_end(MYSQL *, const char *kill);
void	 stale_dump_note(MYSQL *, const struct config *, uint32_t server_id);
/* The queries stale_dump_kill will ask, for query_ahead: their count (at
 * most 2) in sql, one of them written in buf. */
size_t	 stale_ahead(const struct config *, bool mariadb, const char **sql,
	    char *buf, size_t size);

/* query.c: start-up queries sent ahead in one round trip (on a connection
 * made with CLIENT_MULTI_STATEMENTS), then taken one by one. */
void	 query_ahead(MYSQL *, const char *const *sql, size_t n);
/* sql's result, taken from those sent ahead or asked now: 0 with *res
 * (NULL for a statement without rows), or -1 with the connection's
 * error set. */
int	 query_run(MYSQL *, const char *sql, MYSQL_RES **res);
/* Frees the results sent ahead and not taken. */
void	 query_forget(void);

/* schema.c */
struct catalog;
const struct schema_entry *schema_lookup(struct reader *,
	    const struct tablemap *);
int	 schema_ddl(struct reader *, const uint8_t *db, size_t dblen,
	    const uint8_t *sql, size_t len);
struct schema_entry *schema_read(struct reader *, const char *db,
	    const char *table);
int	 schema_read_all(struct reader *, struct catalog *);
int	 schema_charsets(struct reader *, struct catalog *);
bool	 schema_server_at(struct reader *, const char *file, uint64_t offset);

/* history.c: the schema history (checkpointd keeps it) */
void	 history_load(const char *db, const char *table, const char *kind,
	    const char *columns);
bool	 history_empty(void);
const struct schema_entry *history_table(const char *db, const char *table);
bool	 history_retaking(const char *db, const char *table);
const struct schema_entry *history_retake(struct reader *, const char *db,
	    const char *table);
void	 history_unknown(struct reader *, const char *db, const char *table);
int	 history_ddl(struct reader *, const char *db, const uint8_t *sql,
	    size_t len);
int	 history_seed_read(struct reader *);
void	 history_seed_commit(struct reader *, const struct position *);
/* The versions queued before pos (valid at or before it), to send. */
size_t	 history_take(const struct position *pos, struct version **out);

/* snapshot.c: the initial snapshot, and the pieces incremental.c reads
 * its chunks with (the failures through reader_fail) */
int	 snapshot_take(struct reader *, struct position *,
	    const struct position *resume, const atomic_bool *stopping);
int	 snapshot_session(struct reader *, MYSQL *);
int	 snapshot_map(struct reader *, struct tablemap *);
#define SNAP_KEY_MAX	32	/* key parts of a primary key (MariaDB's) */
int	 snapshot_pk_columns(MYSQL *, struct obuf *, const struct tablemap *,
	    uint32_t *key, uint32_t *nkey, bool *whole);
void	 snapshot_ident(struct obuf *, const char *name);
int	 snapshot_after(MYSQL *, const struct tablemap *, const uint32_t *key,
	    uint32_t nkey, const char *json, struct obuf *);
void	 snapshot_columns(const struct tablemap *, struct obuf *);
void	 snapshot_spans(struct reader *, uint32_t ncols);
void	 snapshot_image(struct reader *, const struct tablemap *, MYSQL_ROW,
	    const unsigned long *len);

/* incremental.c: binlogctl snapshot, beside the stream.  The main
 * thread: setup and a SNAPSHOT request.  The reader: the hooks it
 * wraps, the wake fd it polls and the request it serves between events,
 * a reconnect that pauses a snapshot, and the stream's start, where a
 * paused or saved one goes on. */
struct event_base;
struct peer;
struct msg_in;
void	 incr_setup(struct event_base *, struct peer **sup);
void	 incr_request(struct msg_in *);
void	 incr_hooks(struct reader_hooks *, const struct config *);
int	 incr_wake_fd(void);
int	 incr_poll(struct reader *);
void	 incr_abandon(void);
int	 incr_resume(struct reader *, const struct snap_progress *saved);

/* stats.c */
void	 stats_rows(int kind, uint64_t n);
void	 stats_event(const struct evhdr *, size_t len);
void	 stats_server(const char *version, bool mariadb, uint32_t server_id,
	    const char *server_uuid);
void	 stats_start(struct event_base *, struct streamer *, struct peer **,
	    const struct config *);
void	 stats_send(void);
void	 stats_sink_error(void);
void	 stats_sink_flush(uint64_t trx, uint64_t usec);
void	 stats_reconnecting(const char *error);
void	 stats_unrowed(bool incident);
void	 stats_oversize(void);
void	 stats_snapshot(const struct snap_progress *, uint64_t table_rows,
	    uint64_t table_estimate, uint64_t chunks);
void	 stats_schema_mismatch(void);

#endif
