/* sink.h: where records go (sink.c and one sink_*.c per kind), which
 * records go there (filter.c) and how they are shaped (format_ops: one
 * format_*.c per format). */
#ifndef BINLOGD_SINK_H
#define BINLOGD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "position.h"

struct reader;
struct tablemap;

/* One complete record: a whole JSON line ending in '\n'.  db, table and
 * key are set only for a sink with per_record (key: the primary key as a
 * JSON object, or NULL when the table has none we know). */
struct sink_rec {
	const char	*db;
	const char	*table;
	const char	*key;
	size_t		 keylen;
	const char	*buf;
	size_t		 len;
};

struct sink;

/*
 * A kind of sink.  write takes whole records only (a run of lines, or with
 * per_record one record with its topic and key); commit ends a
 * transaction: the sink makes its records durable and then, and only
 * then, hands pos to streamer_publish() -- at once or later from its own
 * thread.  A negative return stops the reader with the sink's error.
 */
struct sink_ops {
	const char	*name;
	bool		 per_record;
	int		(*open)(struct sink *, const struct config *);
	int		(*write)(struct sink *, const struct sink_rec *);
	int		(*commit)(struct sink *, const struct position *,
			    bool force);
	void		(*close)(struct sink *);
};

/* A sink and what its owner wants told: a position whose records are
 * durable (binlogd-streamer: streamer_publish; binlogcat: nobody), an
 * error the sink reported (the streamer counts them). */
struct sink {
	const struct sink_ops *ops;
	const struct config *conf;
	struct streamer	*st;
	void		*priv;
	char		 error[512];	/* why the last call failed */
	void		(*durable)(struct streamer *, const struct position *,
			    bool force);
	void		(*errored)(void);
};

/* The records up to pos are durable: tell the owner. */
static inline void
sink_durable(struct sink *s, const struct position *pos, bool force)
{
	if (s->durable != NULL)
		s->durable(s->st, pos, force);
}

/* sink.c */
int	 sink_open(struct sink *, const struct config *, struct streamer *);
int	 sink_fail(struct sink *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sink_close(struct sink *);
extern const struct sink_ops sink_stdout_ops;
extern const struct sink_ops sink_file_ops;
#ifdef HAVE_KAFKA
extern const struct sink_ops sink_kafka_ops;
#endif

/* sink_stdout.c */
int	 sink_write_fd(struct sink *, int fd, const char *, size_t,
	    const char *what);

/* record.c: the sink and format records go to (stdout, maxwell if never
 * set) */
void	 record_set_sink(struct sink *);
int	 record_set_format(const char *);
struct position;
int	 record_publish(struct reader *, const struct position *, bool force);
int	 record_ddl(struct reader *, const uint8_t *db, size_t dblen,
	    const uint8_t *sql, size_t len);

/* filter.c */
enum filter_event {
	FILTER_INSERT = 1, FILTER_UPDATE = 2, FILTER_DELETE = 4, FILTER_DDL = 8,
	FILTER_COMMIT = 16,	/* transaction markers: xid and commit */
};
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
enum format_change { FORMAT_INSERT, FORMAT_UPDATE, FORMAT_DELETE };
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
	/* optional: marks the transaction's last record */
	void		(*commit)(struct reader *, bool have_xid,
			    uint64_t xid);
};
extern const struct format_ops format_maxwell;
extern const struct format_ops format_debezium;
/* record.c: every format, NULL-terminated; the one list of names */
extern const struct format_ops *const format_registry[];
const struct format_ops *format_find(const char *name);

#endif
