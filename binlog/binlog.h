/* binlog.h: libbinlog, the binlog decoder.  Event bytes in (from a
 * server's stream or a file), transactions, row images and DDL out,
 * through the hooks its owner sets.  No I/O, no client library, no
 * threads, no process state: binlogd-streamer (streamer/reader.c) and
 * binlogcat (binlogcat/offline.c) own one each.  binlog_int.h is the
 * decoder's own. */
#ifndef BINLOGD_BINLOG_H
#define BINLOGD_BINLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "gtid.h"
#include "obuf.h"
#include "position.h"

/* Binlog event types we look at (both flavours). */
enum {
	EV_QUERY = 2,
	EV_ROTATE = 4,
	EV_LOAD = 6,			/* LOAD DATA up to MySQL 3.23 */
	EV_CREATE_FILE = 8,		/* ... 4.x: the statement, its data */
	EV_APPEND_BLOCK = 9,
	EV_EXEC_LOAD = 10,
	EV_DELETE_FILE = 11,
	EV_NEW_LOAD = 12,
	EV_BEGIN_LOAD_QUERY = 17,	/* ... since 5.0: data, then the query */
	EV_EXECUTE_LOAD_QUERY = 18,
	EV_FORMAT_DESCRIPTION = 15,
	EV_XID = 16,
	EV_TABLE_MAP = 19,
	EV_WRITE_ROWS_V1 = 23,
	EV_UPDATE_ROWS_V1 = 24,
	EV_DELETE_ROWS_V1 = 25,
	EV_HEARTBEAT = 27,
	EV_INCIDENT = 26,
	EV_IGNORABLE = 28,
	EV_ROWS_QUERY = 29,
	EV_WRITE_ROWS = 30,
	EV_UPDATE_ROWS = 31,
	EV_DELETE_ROWS = 32,
	EV_MYSQL_GTID = 33,
	EV_MYSQL_ANON_GTID = 34,
	EV_MYSQL_PREV_GTIDS = 35,
	EV_XA_PREPARE = 38,
	EV_PARTIAL_UPDATE_ROWS = 39,
	EV_TRANSACTION_PAYLOAD = 40,
	EV_MYSQL_GTID_TAGGED = 42,
	EV_MARIADB_ANNOTATE_ROWS = 160,
	EV_MARIADB_GTID = 162,
	EV_MARIADB_GTID_LIST = 163,
	EV_MARIADB_QUERY_COMPRESSED = 165,
	EV_MARIADB_ROWS_COMPRESSED_LAST = 171,
};

/* MariaDB's INET6 and UUID: BINARY(16) in the binlog, named only by
 * information_schema's DATA_TYPE. */
enum { COLFORM_NONE, COLFORM_INET6, COLFORM_UUID };
/* Column charsets: the first of charset.c's table; the rest via iconv. */
enum { CS_UTF8, CS_LATIN1, CS_BINARY, CS_UNKNOWN };

/* A bounds-checked reader over one event's bytes: any read past the end
 * sets err and yields zeros, so decoders check err once at the end. */
struct cursor {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

/* The common header of every event. */
struct evhdr {
	uint32_t	 ts;
	uint8_t		 type;
	uint32_t	 server_id;
	uint32_t	 size;
	uint32_t	 log_pos;
	uint16_t	 flags;
};
#define EVHDR_LEN		19
#define EVFLAG_ARTIFICIAL	0x20
#define EVFLAG_IGNORABLE	0x80
#define MARIADB_GTID_STANDALONE	0x01	/* no XID or COMMIT follows */

struct colplan;

/* One column of a mapped table. */
struct column {
	uint8_t		 type;		/* real type (STRING fix applied) */
	uint16_t	 meta;
	uint16_t	 length;	/* STRING/ENUM/SET: declared bytes */
	bool		 is_unsigned;
	bool		 is_binary;	/* charset 63: base64 */
	uint8_t		 charset;	/* CS_*, charset.c: text to UTF-8 */
	uint8_t		 form;		/* COLFORM_*: a text form of binary */
	uint32_t	 str_first;	/* ENUM/SET: first name in strs */
	uint32_t	 nstr;		/* ENUM/SET: names known (0: none) */
	char		 name[257];	/* 64 characters of UTF-8 */
	uint32_t	 key_off;	/* "name": in the tablemap's json */
	uint32_t	 key_len;	/* (0: not prepared) */
	bool		 pk;		/* part of the primary key */
	bool		 dropped;	/* [filter] drop_columns */
};

/* A TABLE_MAP event, decoded; column info completed from in-band
 * metadata or information_schema before the first row is read. */
struct tablemap {
	uint64_t	 table_id;
	char		 db[65];
	char		 table[65];
	uint32_t	 ncols;
	struct column	*cols;
	size_t		 cols_cap;
	bool		 have_names;
	bool		 have_sign;
	bool		 have_charset;
	bool		 have_pk;
	struct obuf	 strs;		/* ENUM/SET names, as JSON strings */
	struct obuf	 stridx;	/* uint32_t offsets into strs, +end */
	bool		 filtered;	/* [filter]: rows skipped undecoded */
	struct obuf	 json;		/* record_names: "db","table", keys */
	uint32_t	 db_json;	/* length of "db" in json (0: none) */
	uint32_t	 table_json;	/* length of "table" after it */
	struct obuf	 raw;		/* the TABLE_MAP's body, once decoded */
	bool		 current;	/* one of the transaction's (trx_maps) */
	struct colplan	*plan;		/* rows.c: how each column's values
					 * are read, made with the map */
	size_t		 plan_cap;
};

/* Column facts from information_schema, cached per (db, table); a
 * column's type is one the server logs it as, COL_NULL if not known. */
struct schema_entry {
	char		 db[65];
	char		 table[65];
	uint32_t	 ncols;
	struct column	*cols;		/* name, is_unsigned, is_binary */
	struct obuf	 strs;		/* ENUM/SET names from COLUMN_TYPE */
	struct obuf	 stridx;
	char		 charset[33];	/* the table's default ("": unknown) */
	const char	*origin;	/* where the columns come from, for
					 * messages (NULL: the schema history) */
	struct schema_entry *next;
};

/* Where one column's JSON value sits in an image buffer. */
struct span {
	size_t		 off;
	size_t		 len;
	bool		 present;
};

/* A transaction's end, as it waits in parallel.c's ring for its records. */
struct trx_end {
	bool		 have_xid;
	uint64_t	 xid;
	bool		 have_pos;	/* a position to report, when durable */
	bool		 force;		/* ... at once */
	struct position	 pos;		/* last: copied by its fields */
};

/* Kinds of change, for reader_hooks.want */
enum filter_event {
	FILTER_INSERT = 1, FILTER_UPDATE = 2, FILTER_DELETE = 4, FILTER_DDL = 8,
	FILTER_COMMIT = 16,	/* transaction markers: xid and commit */
};

struct reader;

/*
 * What the decoder asks of the process that owns it -- binlogd-streamer
 * (reader.c) or binlogcat and the decoder's tests (offline.c) -- set in
 * struct reader before the first event.  The formatting thread
 * (parallel.c) calls them too.
 */
struct reader_hooks {
	/* a failure (reader_fail formats it): the first one counts, and
	 * ends the stream with code (exitcode.h) */
	void	(*fail)(struct reader *, int code, const char *msg);
	/* a change without rows (kind "statement-logged" or "incident",
	 * text the start of its statement or message); first: the first
	 * of its transaction, to be logged and recorded as a gap */
	void	(*unrowed)(struct reader *, const char *kind, const char *text,
		    bool first);
	/* a row's record the sink could not take, skipped by [sink]
	 * on_oversize (what: "oversize: table, key, size, limit"), to be
	 * logged, counted and recorded as a gap; NULL: the owner cannot
	 * record one, so the stream stops instead */
	void	(*skipped)(struct reader *, const char *what);
	/* the columns of a table its TABLE_MAP does not describe fully,
	 * NULL after a reader_fail; a NULL hook: no server to ask
	 * (tablemap.c then names columns by position) */
	const struct schema_entry *(*schema)(struct reader *,
		    const struct tablemap *);
	/* a DDL statement run with default database db (sql NULL: the
	 * decoder is done): what schema gave may be stale; -1 after a
	 * reader_fail when the owner cannot follow it (may be NULL) */
	int	(*schema_ddl)(struct reader *, const uint8_t *db, size_t dblen,
		    const uint8_t *sql, size_t len);
	/* where rows go (READER_OUTPUT_HOOKS: parallel.c's ring and
	 * record.c's records, in both owners): a rows event to decode and
	 * format now or on another thread; a barrier, after which every
	 * earlier rows event's records are out; a transaction's end; a DDL
	 * statement's record; a position, durable once the records before
	 * it are; whether a kind of change (FILTER_*) is wanted */
	int	(*rows)(struct reader *, struct cursor *, int kind);
	int	(*sync)(struct reader *);
	int	(*commit)(struct reader *, const struct trx_end *);
	int	(*ddl)(struct reader *, const uint8_t *db, size_t dblen,
		    const uint8_t *sql, size_t len);
	int	(*publish)(struct reader *, const struct position *,
		    bool force);
	bool	(*want)(unsigned what);
	/* a TABLE_MAP: whether the table's rows are wanted (decoded at
	 * all), and, once its columns are known, the output's preparations
	 * (dropped columns, JSON keys) */
	bool	(*table_wanted)(const char *db, const char *table);
	void	(*mapped)(struct tablemap *);
	/* a row's record: row_open says 1 when the record takes the row's
	 * one image as it is -- the decoder writes it into r->out, then
	 * row_close (or row_abort if it did not decode) -- else 0: the
	 * images go into r->img, then row */
	int	(*row_open)(struct reader *, const struct tablemap *, int kind);
	int	(*row_close)(struct reader *, const struct tablemap *);
	void	(*row_abort)(struct reader *);
	int	(*row)(struct reader *, const struct tablemap *, int kind);
	/* a long value: whether o may go out in pieces, and the hand-over
	 * of a full buffer */
	bool	(*drains)(const struct reader *, const struct obuf *);
	int	(*drain)(struct reader *);
	/* the pages of a spilled event, read: let go (may be NULL) */
	void	(*release)(const void *, size_t);
	/* observers, or NULL: an event read, n rows of a rows event */
	void	(*event_seen)(const struct evhdr *, size_t len);
	void	(*rows_seen)(int kind, uint64_t n);
};

/* The decoder: everything the reader thread owns while decoding the
 * stream.  The records' buffers at the end belong to the output
 * (output/record.c writes them; the decoder writes a row's values into
 * them between row_open and row_close, or into img before row). */
struct reader {
	const struct config *conf;
	const struct reader_hooks *hooks;
	void		*owner;		/* the hooks' own state */

	bool		 mariadb;
	uint32_t	 server_id;
	char		 server_uuid[POS_UUID_MAX];

	/* decoder state */
	char		 file[POS_FILE_MAX];
	uint64_t	 offset;	/* start offset of the current event */
	uint64_t	 event_no;	/* events decoded, to tell them apart */
	bool		 checksum;
	uint8_t		 post_header[256];
	size_t		 npost_header;
	struct gtid_set	*gtids;		/* executed set before this trx */
	/* The open transaction: event.c's comment above event_trx_reset
	 * says where one starts and ends. */
	bool		 in_trx;	/* some event of one was read */
	bool		 trx_framed;	/* a GTID or BEGIN opened it */
	bool		 trx_begun;	/* BEGIN, XA START: only its end ends it */
	bool		 trx_warned;	/* its statement-logged part is logged */
	uint32_t	 trx_ts;	/* its commit's time, 0 until known */
	uint64_t	 trx_end;	/* MySQL: offset its transaction_length
					 * gives for its end, else 0 */
	bool		 have_gtid;
	uint32_t	 gtid_domain, gtid_server;
	uint64_t	 gtid_seq;
	char		 gtid_text[64];
	/* Decoded maps stay in their slot of maps (a rows event still being
	 * formatted may use one, parallel.c); the transaction's are those
	 * trx_maps numbers, nmaps of them. */
	struct tablemap	*maps;
	uint32_t	*trx_maps;
	size_t		 nmaps, maps_cap;
	struct evhdr	 hdr;
	bool		 seen_event;
	bool		 offline;	/* binlogcat: no server to ask */
	uint8_t		 gtid_uuid[16];	/* MySQL GTID of this trx */
	char		 gtid_tag[33];
	struct obuf	 query;		/* ROWS_QUERY/ANNOTATE_ROWS text */
	struct obuf	 payload;	/* TRANSACTION_PAYLOAD, inflated */
	bool		 in_payload;	/* decoding the payload's events */
	bool		 sync_before_wait; /* par_sync before waiting for input */
	struct obuf	 inflated;	/* log_bin_compress event, inflated */
	struct obuf	 scratch;	/* PREV_GTIDS text, a row's json_diffs */
	struct obuf	 jd[3];		/* jsondiff.c's documents and value */

	/* records */
	struct obuf	 out;
	bool		 row_pending;
	size_t		 row_at;	/* where that record begins in out */
	bool		 detached;	/* formatted apart: no sink (parallel.c) */
	struct obuf	 recs;		/* ... for a per-record sink, each
					 * record's table and key (record.c) */
	struct obuf	 img[2];	/* before/after image values as JSON */
	struct span	*spans[2];
	size_t		 spans_cap;
};

/* Column i's "name": key, from the output's mapped hook (tablemap json) (inline: once per
 * value of every row). */
static inline void
column_key(struct obuf *o, const struct tablemap *tm, uint32_t i)
{
	const struct column *col = &tm->cols[i];

	if (col->key_len > 0) {
		obuf_add(o, tm->json.buf + col->key_off, col->key_len);
		return;
	}
	obuf_json_str(o, (const uint8_t *)col->name, strlen(col->name));
	obuf_add(o, ":", 1);
}

/* Column i's key, after a comma unless it is the first: from
 * the output's mapped hook (tablemap json), comma included, when it is there. */
static inline void
column_pair_key(struct obuf *o, const struct tablemap *tm, uint32_t i,
    bool first)
{
	const struct column *col = &tm->cols[i];

	if (col->key_len == 0) {
		if (!first)
			obuf_add(o, ",", 1);
		column_key(o, tm, i);
	} else if (first)
		obuf_add_over(o, tm->json.buf + col->key_off, col->key_len);
	else
		obuf_add_over(o, tm->json.buf + col->key_off - 1,
		    col->key_len + 1);
}

/* event.c: one event's bytes (its common header first) decoded */
int	 event_decode(struct reader *, const uint8_t *, size_t);
/* A failure, formatted, to the owner (reader_hooks.fail); returns -1. */
int	 reader_fail(struct reader *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The start of an unrowed change's statement that reader_hooks.unrowed
 * is given, at most. */
#define UNROWED_TEXT_MAX	200
void	 event_trx_reset(struct reader *);
void	 event_position_at(const struct reader *, uint64_t offset,
	    struct position *);
void	 event_release(struct reader *);
/* a bounds-checked reader over bytes (rows hooks get one) */
void	 cursor_init(struct cursor *, const uint8_t *, size_t);

/* rows.c: a rows event's rows, to the hooks */
int	 rows_decode(struct reader *, struct cursor *, int kind);
/* rows.c: a value as the server's text protocol gives it (NULL: SQL
 * NULL) to the JSON its row image gives -- a snapshot's values; a column
 * rows_text_as_double says yes to is to be selected CAST(col AS DOUBLE). */
void	 rows_text(const struct column *, const char *v, size_t n,
	    struct obuf *);
bool	 rows_text_as_double(const struct column *);
/* Whether a key of such columns can be resumed after (snapshot.c). */
bool	 rows_text_keyed(const struct column *);
bool	 rows_text_base64(const struct column *);

/* tablemap.c */
int	 tablemap_decode(struct reader *, struct cursor *);
void	 tablemap_reset(struct reader *);
int	 tablemap_forget_schema(struct reader *, const uint8_t *db,
	    size_t dblen, const uint8_t *sql, size_t len);

/* ddl.c: Maxwell's type ("table-alter", ...; "ddl" for the rest) and the
 * database and table a DDL statement names. */
#define DDL_NAME_MAX	257
struct ddl {
	const char	*type;
	char		 db[DDL_NAME_MAX];	/* in: the default database */
	char		 table[DDL_NAME_MAX];
};
void	 ddl_classify(const uint8_t *, size_t, struct ddl *);

/* charset.c: a collation or charset name to the CS_* text is read as */
uint8_t	 charset_by_name(const char *);
const char *charset_name(uint8_t);
void	 charset_free(void);

#endif
