/* msg.h: the single message catalogue of binlogd, and typed put/get helpers
 * over msgpack.  A message is the msgpack array [type, id, body] where body
 * is a map of named fields; see the catalogue below for every field. */
#ifndef BINLOGD_MSG_H
#define BINLOGD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* Bump this if any message below, or any of its fields, changes. */
#define MSG_PROTOCOL_VERSION	13
/* Largest encoded message a reader accepts; larger is a protocol error. */
#define MSG_MAX_SIZE		(256 * 1024)
/* A body may carry at most this many fields. */
#define MSG_MAX_FIELDS		128

/*
 * The catalogue, grouped by direction.  Fields are listed as name:type with
 * u = unsigned integer, i = signed, s = string, b = bool; "?" = optional.
 *
 * A position (POS below) is the fields
 *   gtid:s file:s offset:u server_id:u server_uuid:s? ts:u rows_done:u
 *   snap_id:u? snap_kind:s? snap_state:s? snap_db:s? snap_table:s?
 *   snap_key:s? snap_rows:u? snap_cond:s?
 * written and read by position.c; rows_done counts rows of the transaction
 * after the position that were already delivered; the snap_ fields, all
 * or none, are a snapshot's progress (struct snap_progress) whose
 * records the position's include: checkpointd saves them with it.
 *
 * A gap (GAP below) is the fields
 *   from_file:s from_offset:u from_gtid:s to_file:s to_offset:u to_gtid:s
 *   reason:s server:s
 * the saved position the server no longer had, where streaming resumed,
 * the server's error text, and the server (host:port and server_id).
 *
 * A table version (VERSION below) is the fields
 *   db:s table:s kind:s columns:s source:s statement:s file:s offset:u
 *   gtid:s
 * one row of checkpointd's schema_history (checkpointd/SCHEMA.md): kind
 * "table" (columns in streamer/history.c's text), "dropped" or "retake",
 * valid from file:offset (gtid); source says what made it (seed, ddl,
 * server, retake) and statement the DDL, if one did.
 */
/* Every message type, as X(NAME, number): enum msg_type's MSG_NAME and
 * msg_type_name's "NAME" both come from this one list. */
#define MSG_TYPES(X)							\
	/* supervisor -> any child (100..199) */			\
	X(SHUTDOWN, 100)	/* {} flush, save, exit 0 */		\
	X(CKPT_ATTACH, 101)	/* {} -> checkpointd, carries the fd of a new \
				 * streamer link (SCM_RIGHTS) */	\
	X(CKPT_SHOW, 102)	/* {} -> checkpointd: binlogctl checkpoint */ \
	X(CKPT_SET, 103)	/* {gtid:s file:s offset:u uid:u action:s \
				 * db:s table:s} -> checkpointd: binlogctl \
				 * set-position (action "set-position"), or \
				 * schema retake (action "schema-retake": a \
				 * retake version of db.table, at the given \
				 * position or, when file and gtid are "", \
				 * at the saved one), sent only while no \
				 * streamer runs */			\
	X(CONFIG, 104)	/* {path:s text:s password:s} the configuration	\
				 * binlogd accepted: the file's text and the \
				 * password read from password_file; not sent \
				 * on the link but held by fd 5 (FD_CONFIG) \
				 * at exec, see proc.h */		\
	X(SNAPSHOT, 105)	/* {table:s where:s uid:u} -> streamer:	\
				 * binlogctl snapshot of table ("db.table") \
				 * rows where (SQL, "" for all); table	\
				 * "stop" stops the running one */	\
	X(HISTORY_SHOW, 106) /* {db:s table:s} -> checkpointd: binlogctl \
				 * history */				\
									\
	/* any child -> supervisor (200..299) */			\
	X(READY, 200)	/* {protocol:u pid:u} child is serving */	\
	X(STATS, 201)	/* streamer: {MSG_STATS_FIELDS} every second */	\
	X(CKPT_COMMITTED, 202) /* checkpointd: {found:b POS? saved_at:u} \
				   * the position on disk, when ready and \
				   * after each commit; saved_at in seconds \
				   * since the epoch */			\
	X(CKPT_SHOWN, 203)	/* checkpointd: reply to SHOW, {found:b POS? \
				 * saved_at:s gaps:u gap_list:s audits:u \
				 * audit_list:s}: what is on disk; the lists \
				 * hold the newest rows, one per line */ \
	X(CKPT_SET_DONE, 204) /* checkpointd: reply to SET, {error:s}, "" \
				  * once position and audit row are on disk */ \
	X(SNAPSHOT_DONE, 205) /* streamer: reply to SNAPSHOT, {result:u \
				  * message:s}, result an enum ctl_result */ \
	X(HISTORY_SHOWN, 206) /* checkpointd: reply to HISTORY_SHOW,	\
				  * {versions:u list:s} the table's versions, \
				  * oldest first */			\
									\
	/* streamer -> checkpointd (300..399) */			\
	X(CKPT_LOAD, 300)	/* {} where do I start? */		\
	X(CKPT_SAVE, 301)	/* {POS force:b} store; force = commit now */ \
	X(CKPT_GAP, 302)	/* {GAP} an on_purged reset skipped binlog: \
				 * record it now, before any later SAVE */ \
	X(CKPT_VERSION, 303) /* {VERSION} a table version, written in the \
				 * transaction of the next SAVE (which is at \
				 * or after its position); dropped if the \
				 * link closes before that SAVE */	\
									\
	/* checkpointd -> streamer (400..499) */			\
	X(CKPT_POSITION, 400) /* {found:b POS? gaps:u last_gap:s	\
				  * versions:u} reply to LOAD; the POS fields \
				  * are present only when found, its snap_ \
				  * fields when a snapshot is still running; \
				  * gaps counts the recorded gaps, last_gap \
				  * describes the newest ("" if none); \
				  * versions CKPT_HISTORY messages follow */ \
	X(CKPT_SAVED, 401)	/* {committed:b} reply to SAVE; committed is \
				 * true once the position is on disk */	\
	X(CKPT_FAILED, 402)	/* {error:s} the store cannot save: stop */ \
	X(CKPT_GAP_SAVED, 403) /* {gaps:u last_gap:s} reply to GAP, once \
				   * the gap is on disk */		\
	X(CKPT_HISTORY, 404) /* {db:s table:s kind:s columns:s} a table's \
				 * version in force at the position sent */ \
									\
	/* binlogctl -> supervisor (500..599), control socket; every request \
	 * is {protocol:u} and is answered by one CTL_REPLY */		\
	X(CTL_STATUS, 500)	/* read-only */				\
	X(CTL_RESTART, 501)	/* restart the streamer from the saved position */ \
	X(CTL_STOP, 502)	/* stop binlogd gracefully */		\
	X(CTL_RELOAD, 503)	/* as SIGHUP */				\
	X(CTL_METRICS, 504)	/* read-only; the reply carries text:s, the \
				 * Prometheus exposition of /metrics */	\
	X(CTL_STOP_STREAMER, 505) /* stop the streamer and keep it stopped */ \
	X(CTL_START_STREAMER, 506) /* undo STOP_STREAMER */		\
	X(CTL_CHECKPOINT, 507) /* read-only; the reply carries		\
				   * CKPT_SHOWN's fields */		\
	X(CTL_SET_POSITION, 508) /* {protocol:u position:s} file:offset or \
				     * GTID set; only while held */	\
	X(CTL_SNAPSHOT, 509)	/* {protocol:u table:s where:s?} as	\
				 * SNAPSHOT, answered by the streamer */ \
	X(CTL_HISTORY, 510) /* {protocol:u position:s} read-only; position \
				* holds DB.TABLE; the reply's message the \
				* versions */				\
	X(CTL_SCHEMA_RETAKE, 511) /* {protocol:u position:s} "DB.TABLE" or \
				      * "DB.TABLE at POSITION"; only while \
				      * held */			\
									\
	/* supervisor -> binlogctl (600..699) */			\
	X(CTL_REPLY, 600)	/* {result:u message:s} plus, for STATUS, \
				 * state:s version:s pid:u uptime:u and per child \
				 * (streamer_, checkpointd_) pid:u state:s \
				 * uptime:u restarts:u last_exit:s, and	\
				 * the streamer's MSG_STATS_FIELDS with	\
				 * rows_per_sec:s over the last minute, and \
				 * checkpointd's saved_gtid:s saved_file:s \
				 * saved_offset:u saved_at:u checkpoint_age:u \
				 * (0 when nothing is saved) */

enum msg_type {
#define MSG_TYPE_ENUM(name, value)	MSG_##name = value,
	MSG_TYPES(MSG_TYPE_ENUM)
#undef MSG_TYPE_ENUM
};

/*
 * The body of MSG_STATS, as X(name, kind, help) with kind U (unsigned) or S
 * (string).  Counters count since the streamer started; the position is
 * the last one whose records are out.  Times are seconds since the epoch,
 * 0 for never.  The supervisor passes these on to binlogctl status and the
 * metrics, keeping the server, the position, the last error and the times
 * of the streamer before when a new one does not know them yet.
 */
#define MSG_STATS_FIELDS(X)						\
	X(server_host, S, "database server (host:port or socket)")	\
	X(server_flavour, S, "MariaDB or MySQL")			\
	X(server_version, S, "the server's @@version")			\
	X(server_id, U, "the server's @@server_id")			\
	X(server_uuid, S, "the server's @@server_uuid (MySQL)")	\
	X(gtid, S, "GTID set of the current position")			\
	X(file, S, "binlog file of the current position")		\
	X(offset, U, "binlog offset of the current position")		\
	X(seconds_behind, U, "seconds the last event is behind the server") \
	X(rows_insert, U, "rows inserted")				\
	X(rows_update, U, "rows updated")				\
	X(rows_delete, U, "rows deleted")				\
	X(events_rows, U, "row events")				\
	X(events_query, U, "query events (DDL, BEGIN)")		\
	X(events_xid, U, "commit events")				\
	X(events_gtid, U, "GTID events")				\
	X(events_table_map, U, "table map events")			\
	X(events_rotate, U, "rotate events")				\
	X(events_heartbeat, U, "heartbeats")				\
	X(events_other, U, "other events")				\
	X(bytes_read, U, "bytes of binlog events read")		\
	X(gaps, U, "gaps recorded in the checkpoint database")		\
	X(last_gap, S, "the newest gap, or empty")			\
	X(sink_errors, U, "errors the sink reported")			\
	X(sink_fsyncs, U, "fsyncs of the file sink")			\
	X(sink_fsync_trx, U, "transactions those fsyncs made durable")	\
	X(sink_fsync_us, U, "microseconds spent in those fsyncs")	\
	X(statement_logged, U, "changes logged as statements: no rows")	\
	X(incidents, U, "INCIDENT events: changes the server lost")	\
	X(oversize_skipped, U, "rows over the sink's message limit, skipped") \
	X(schema_mismatches, U, "DDL results that differed from the server's") \
	X(last_error, S, "the streamer's last error")			\
	X(last_error_at, U, "when it happened, seconds since the epoch")	\
	X(connection, S, "connecting, connected, streaming, reconnecting") \
	X(last_event_at, U, "when the last event or heartbeat was read")	\
	X(synced_at, U, "the server time the stream is complete up to")	\
	X(snapshot, S, "the snapshot: running, done, or empty for none")	\
	X(snapshot_table, S, "the table it reads, db.table")		\
	X(snapshot_rows, U, "rows it wrote, every table, resumed ones too") \
	X(snapshot_table_rows, U, "rows of that table written")		\
	X(snapshot_table_estimate, U, "that table's rows, as estimated by " \
	    "information_schema")					\
	X(snapshot_chunks, U, "that table's chunks handed to the sink")

/* CTL_REPLY result codes; binlogctl exits with them. */
enum ctl_result {
	CTL_OK = 0,
	CTL_FAILED = 1,		/* the command could not be carried out */
	CTL_DENIED = 3,		/* the caller may not change state */
	CTL_VERSION = 4,	/* protocol version mismatch */
	CTL_UNKNOWN = 5,	/* unknown request */
	CTL_NOT_HELD = 6,	/* needs the streamer held (stop-streamer) */
	CTL_INVALID = 7,	/* the request's argument is not valid */
};

const char *msg_type_name(uint32_t type);

/* Building a message: begin, put fields, then hand it to peer_send(). */
struct msg_out {
	msgpack_sbuffer	 sbuf;
	msgpack_packer	 pk;
	size_t		 map_at;	/* offset of the map32 header */
	uint32_t	 nfields;
	uint32_t	 type;
};

void	msg_out_begin(struct msg_out *, uint32_t type, uint32_t id);
void	msg_put_u64(struct msg_out *, const char *key, uint64_t);
void	msg_put_i64(struct msg_out *, const char *key, int64_t);
void	msg_put_bool(struct msg_out *, const char *key, bool);
void	msg_put_str(struct msg_out *, const char *key, const char *);
void	msg_put_strn(struct msg_out *, const char *key, const char *, size_t);
/* Finishes the body; returns the encoded bytes (owned by the msg_out). */
const char *msg_out_finish(struct msg_out *, size_t *len);
void	msg_out_free(struct msg_out *);

/*
 * Reading a message: every get names a field; a missing field or one of the
 * wrong type records an error.  msg_end() then fails if any get failed or a
 * field of the body was never taken, so a message is either consumed whole
 * or rejected.  Strings point into the message and live as long as it.
 */
struct msg_in {
	uint32_t		 type;
	uint32_t		 id;
	const msgpack_object_map *body;
	uint64_t		 taken[MSG_MAX_FIELDS / 64]; /* bit per field */
	char			 error[160];
};

/* Checks the [type, id, body] shape; -1 with in->error set otherwise. */
int	msg_in_parse(struct msg_in *, const msgpack_object *);
void	msg_get_u64(struct msg_in *, const char *key, uint64_t *);
void	msg_get_u32(struct msg_in *, const char *key, uint32_t *);
void	msg_get_i64(struct msg_in *, const char *key, int64_t *);
void	msg_get_bool(struct msg_in *, const char *key, bool *);
void	msg_get_str(struct msg_in *, const char *key, const char **,
	    size_t *len);
/* Copies into buf, NUL-terminated; too long for buf is an error. */
void	msg_get_strbuf(struct msg_in *, const char *key, char *buf,
	    size_t size);
/* True when key is in the body (taking nothing). */
bool	msg_has(const struct msg_in *, const char *key);
/* 0 when every field was taken and every get succeeded, else -1. */
int	msg_end(struct msg_in *);

/* MSG_STATS's body as a struct, one member per field of
 * MSG_STATS_FIELDS: the streamer fills one and puts it, the supervisor
 * gets it and puts it again in binlogctl status's reply. */
#define MSG_STATS_STR_MAX	8192	/* a GTID set (POS_GTID_MAX) */
#define MSG_STATS_MEMBER_U(n)	uint64_t n;
#define MSG_STATS_MEMBER_S(n)	char n[MSG_STATS_STR_MAX];
#define MSG_STATS_MEMBER(n, k, h)	MSG_STATS_MEMBER_##k(n)
struct msg_stats {
	MSG_STATS_FIELDS(MSG_STATS_MEMBER)
};
#undef MSG_STATS_MEMBER
void	msg_put_stats(struct msg_out *, const struct msg_stats *);
void	msg_get_stats(struct msg_in *, struct msg_stats *);

/*
 * Trust follows the sender: a sibling process (who: "checkpointd",
 * "streamer", "supervisor") that sends a message its part of the
 * catalogue does not allow, or a malformed one, has a bug -- fatal, and
 * the supervisor restarts.  msg_sibling_end is msg_end for a sibling's
 * message; a control client's malformed request is not fatal
 * (control.c).
 */
void	msg_sibling_bad(const char *who, const struct msg_in *)
	    __attribute__((noreturn));
void	msg_sibling_end(const char *who, struct msg_in *);

#endif
