/* output.h: liboutput, what becomes of the decoder's rows: which records
 * (filter.c), shaped how (record.c's pipeline and one format_*.c per
 * format), formatted on which thread (parallel.c's ring), written where
 * (sink.c and one sink_*.c per kind).  Its functions are the decoder's
 * output hooks (READER_OUTPUT_HOOKS) in both owners. */
#ifndef BINLOGD_OUTPUT_H
#define BINLOGD_OUTPUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "binlog.h"
#include "config.h"
#include "position.h"

/* One complete record: a whole JSON line ending in '\n'.  db, table and
 * key are set only for a sink with per_record (key: the primary key as a
 * JSON object, or NULL when the table has none we know); hdr, when set,
 * names the other key of a key change (SINK_HDR_OLDKEY, SINK_HDR_NEWKEY).
 * A keyed sink's tombstone has buf NULL.  A run of lines may come in
 * pieces instead, iovcnt of them at iov (buf NULL), written in order. */
struct sink_rec {
	const char	*db;
	const char	*table;
	const char	*key;
	size_t		 keylen;
	const char	*hdr;
	const char	*hdrval;
	size_t		 hdrlen;
	const char	*buf;
	size_t		 len;
	const struct iovec *iov;
	int		 iovcnt;
};
/* Debezium's header names, so that its consumers read them unchanged. */
#define SINK_HDR_OLDKEY	"__debezium.oldkey"
#define SINK_HDR_NEWKEY	"__debezium.newkey"
/* write's answer to a record larger than the sink takes (s->error says
 * the limit): nothing was written; record.c applies [sink] on_oversize. */
#define SINK_TOO_BIG	(-2)

struct sink;

/*
 * A kind of sink.  write takes whole records only (a run of lines, or with
 * per_record one record with its topic and key); keyed: its records are
 * addressed by their key, as in a compacted topic, so a change of a
 * row's key is a delete of the old key and an insert of the new one, and
 * a delete may be followed by a tombstone (struct sink's tombstones);
 * commit ends a
 * transaction: the sink makes its records durable and then, and only
 * then, hands pos to streamer_publish() -- at once or later from its own
 * thread; settle (optional, for a sink that reports later) waits until
 * every position committed is handed on.  A negative return stops the
 * reader with the sink's error.
 */
struct sink_ops {
	const char	*name;
	bool		 per_record;
	bool		 keyed;
	int		(*open)(struct sink *, const struct config *);
	int		(*write)(struct sink *, const struct sink_rec *);
	int		(*commit)(struct sink *, const struct position *,
			    bool force);
	int		(*settle)(struct sink *);
	void		(*close)(struct sink *);
};

/* What a sink's owner wants told, each may be NULL: a position whose
 * records are durable (binlogd-streamer: streamer_publish; binlogcat:
 * nobody), an error the sink reported, a flush (fsync) that made trx
 * transactions durable in usec microseconds (the streamer counts both);
 * a failure the sink found on a thread of its own (a delivery report),
 * which ends the stream at once rather than at the next record, code 0
 * meaning BX_FAILURE; and the flag that says the owner is stopping (a
 * sink waiting on a broker gives up). */
struct sink_owner {
	void		*arg;
	void		(*durable)(void *arg, const struct position *,
			    bool force);
	void		(*errored)(void);
	void		(*flushed)(uint64_t trx, uint64_t usec);
	void		(*failed)(void *arg, const char *sink, int code,
			    const char *why);
	const atomic_bool *stopping;
};

struct sink {
	const struct sink_ops *ops;
	const struct config *conf;
	const struct sink_owner *owner;
	void		*priv;
	char		 error[512];	/* why the last call failed */
	int		 code;		/* the exit status it calls for, 0:
					 * BX_FAILURE (exitcode.h) */
	bool		 tombstones;	/* keyed: a null record after a delete */
};

/* The records up to pos are durable: tell the owner. */
static inline void
sink_durable(struct sink *s, const struct position *pos, bool force)
{
	if (s->owner->durable != NULL)
		s->owner->durable(s->owner->arg, pos, force);
}

static inline bool
sink_stopping(const struct sink *s)
{
	return s->owner->stopping != NULL && atomic_load(s->owner->stopping);
}

/* sink.c: the registry */
int	 sink_open(struct sink *, const struct config *,
	    const struct sink_owner *);
int	 sink_fail(struct sink *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sink_close(struct sink *);
extern const struct sink_ops sink_stdout_ops;
extern const struct sink_ops sink_file_ops;
#ifdef HAVE_KAFKA
extern const struct sink_ops sink_kafka_ops;
#endif
/* sink.c: every sink of this build, NULL-terminated; the one list of
 * names (config.c's choices and binlogd.conf(5) agree: test_registry) */
extern const struct sink_ops *const sink_registry[];

/* sink_stdout.c */
int	 sink_write_fd(struct sink *, int fd, const struct sink_rec *,
	    const char *what);

/* record.c: the sink and format records go to (stdout, maxwell if never
 * set) */
void	 record_set_sink(struct sink *);
int	 record_set_format(const char *);
struct position;
int	 record_publish(struct reader *, const struct position *, bool force);
int	 record_settle(struct reader *);
int	 record_ddl(struct reader *, const uint8_t *db, size_t dblen,
	    const uint8_t *sql, size_t len);

/* filter.c */
int	 filter_load(const struct config *, char *err, size_t errlen);
bool	 filter_table(const char *db, const char *table);
bool	 filter_event(unsigned what);
void	 filter_columns(struct tablemap *);
/* The pattern rules, for unit tests: true when "db.table" matches. */
int	 filter_pattern_check(const char *pattern, char *err, size_t errlen);
bool	 filter_pattern_match(const char *pattern, const char *db,
	    const char *table);

/*
 * A record format: what a row, a DDL statement and a transaction's end
 * look like.  Each writes into r->out all of its record but the closing
 * brace, which record.c adds when the next record starts or the
 * transaction ends.  A new format is one format_*.c file with its ops
 * and one line in record.c's format_registry.
 */
/* FORMAT_READ: a row an initial snapshot read (its one image in
 * r->img[0]); FORMAT_READ_LAST, the snapshot's last row;
 * FORMAT_READ_INCREMENTAL, a row of an incremental snapshot (binlogctl
 * snapshot), read while the stream goes on. */
enum format_change { FORMAT_INSERT, FORMAT_UPDATE, FORMAT_DELETE,
	FORMAT_READ, FORMAT_READ_LAST, FORMAT_READ_INCREMENTAL };
struct format_ops {
	const char	*name;
	/* a row, its images in r->img (record_image writes them) */
	void		(*row)(struct reader *, const struct tablemap *,
			    enum format_change, uint32_t rowno);
	/* optional: an insert's or delete's record up to where its one
	 * image goes unchanged, the decoder writing it straight in */
	void		(*open)(struct reader *, const struct tablemap *,
			    enum format_change);
	/* topic: the "_ddl" table of the statement's database; shown and
	 * type: the table it changes and ddl_classify's type */
	void		(*ddl)(struct reader *, const struct tablemap *topic,
			    const struct tablemap *shown, const char *type,
			    const uint8_t *sql, size_t len);
	/* optional: a snapshot of the table begins (start) or ends, as a
	 * record of its own */
	void		(*snapshot)(struct reader *, const struct tablemap *,
			    bool start);
	/* optional: marks the transaction's last record */
	void		(*commit)(struct reader *, bool have_xid,
			    uint64_t xid);
};
extern const struct format_ops format_maxwell;
extern const struct format_ops format_debezium;
/* record.c: every format, NULL-terminated; the one list of names */
extern const struct format_ops *const format_registry[];
const struct format_ops *format_find(const char *name);

/* record.c: the format-independent pipeline */
void	 record_names(struct tablemap *);
void	 record_mapped(struct tablemap *);
void	 record_image(struct reader *, const struct tablemap *,
	    const char *key, int which, int other);
void	 record_query(struct obuf *, const struct obuf *);
int	 record_row(struct reader *, const struct tablemap *, int kind);
int	 record_row_open(struct reader *, const struct tablemap *, int kind);
int	 record_snapshot_row(struct reader *, const struct tablemap *,
	    enum format_change);
int	 record_snapshot_mark(struct reader *, const struct tablemap *,
	    bool start);
int	 record_row_close(struct reader *, const struct tablemap *);
void	 record_row_abort(struct reader *);
bool	 record_drains(const struct reader *, const struct obuf *);
bool	 record_joinable(const struct reader *);
void	 record_job_end(struct reader *);
int	 record_join(struct reader *, struct obuf *,
	    const struct obuf *recs, bool pending, size_t at);
void	 record_forget(void);

/* The output hooks both owners set: the ring, the records, the filter. */
#define READER_OUTPUT_HOOKS						\
	.rows = par_rows, .sync = par_sync, .commit = par_commit,	\
	.ddl = record_ddl, .publish = record_publish, .want = filter_event, \
	.table_wanted = filter_table, .mapped = record_mapped,		\
	.row_open = record_row_open, .row_close = record_row_close,	\
	.row_abort = record_row_abort, .row = record_row,		\
	.drains = record_drains, .drain = record_drain

/* parallel.c */
void	 par_init(int threads);
int	 par_commit(struct reader *, const struct trx_end *);
int	 par_rows(struct reader *, struct cursor *, int kind);
int	 par_sync(struct reader *);
int	 par_step(struct reader *);
void	 par_release(void);
int	 record_drain(struct reader *);
int	 record_commit(struct reader *, bool have_xid, uint64_t xid);
int	 record_close(struct reader *);
int	 record_abandon(struct reader *);
int	 record_flush(struct reader *);

#endif
