/* streamer.h: binlogd-streamer, the process that reads the binlog as a
 * replica, decodes it and writes one record per row change. */
#ifndef BINLOGD_STREAMER_H
#define BINLOGD_STREAMER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mysql.h>
#include <mariadb_rpl.h>

#include "config.h"
#include "gtid.h"
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

/* Column type codes of the row format. */
enum {
	COL_DECIMAL = 0, COL_TINY = 1, COL_SHORT = 2, COL_LONG = 3,
	COL_FLOAT = 4, COL_DOUBLE = 5, COL_NULL = 6, COL_TIMESTAMP = 7,
	COL_LONGLONG = 8, COL_INT24 = 9, COL_DATE = 10, COL_TIME = 11,
	COL_DATETIME = 12, COL_YEAR = 13, COL_NEWDATE = 14, COL_VARCHAR = 15,
	COL_BIT = 16, COL_TIMESTAMP2 = 17, COL_DATETIME2 = 18, COL_TIME2 = 19,
	COL_VECTOR = 242, COL_JSON = 245, COL_NEWDECIMAL = 246, COL_ENUM = 247, COL_SET = 248,
	COL_TINY_BLOB = 249, COL_MEDIUM_BLOB = 250, COL_LONG_BLOB = 251,
	COL_BLOB = 252, COL_VAR_STRING = 253, COL_STRING = 254,
	COL_GEOMETRY = 255,
};

#define CHARSET_BINARY	63

/* MariaDB's INET6 and UUID: BINARY(16) in the binlog, named only by
 * information_schema's DATA_TYPE. */
enum { COLFORM_NONE, COLFORM_INET6, COLFORM_UUID };
/* Column charsets: the first of charset.c's table; the rest via iconv. */
enum { CS_UTF8, CS_LATIN1, CS_BINARY, CS_UNKNOWN };

#define OBUF_FLUSH_AT	(64 * 1024)
/* Values at least this long are written a piece at a time (rows.c); a
 * multiple of 3 bytes, so that base64 pieces join without padding. */
#define ROWS_PIECE	(3 * 256 * 1024)

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

/* The output buffer: one growable buffer reused for every record. */
struct obuf {
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

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
};

/* Column facts from information_schema, cached per (db, table). */
struct schema_entry {
	char		 db[65];
	char		 table[65];
	uint32_t	 ncols;
	struct column	*cols;		/* name, is_unsigned, is_binary */
	struct obuf	 strs;		/* ENUM/SET names from COLUMN_TYPE */
	struct obuf	 stridx;
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
	struct position	 pos;
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
	/* the columns of a table its TABLE_MAP does not describe fully,
	 * NULL after a reader_fail; a NULL hook: no server to ask
	 * (tablemap.c then names columns by position) */
	const struct schema_entry *(*schema)(struct reader *,
		    const struct tablemap *);
	/* a DDL statement: what schema gave may be stale (may be NULL) */
	void	(*schema_forget)(struct reader *);
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

/* Everything the reader thread owns while decoding the stream. */
struct reader {
	const struct config *conf;
	struct streamer	*st;
	const struct reader_hooks *hooks;

	MYSQL		*mysql;		/* the dump connection */
	MYSQL		*meta;		/* information_schema lookups */
	MARIADB_RPL	*rpl;
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
	struct tablemap	*maps;
	size_t		 nmaps, maps_cap;
	struct schema_entry *schema;
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
	struct obuf	 img[2];	/* before/after image values as JSON */
	struct span	*spans[2];
	size_t		 spans_cap;
};

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
int	 reader_start(struct streamer *, const struct config *,
	    const struct start *);
void	 reader_stop(struct streamer *, bool at_commit);
int	 reader_wait(void);
/* The TLS options' files exist and agree with ssl_mode; -1 with err. */
int	 reader_check_tls(const struct config *, char *err, size_t errlen);
/* The information_schema connection, made when first needed. */
MYSQL	*reader_meta(struct reader *);

/* schema.c */
const struct schema_entry *schema_lookup(struct reader *,
	    const struct tablemap *);
void	 schema_forget(struct reader *);

/* event.c */
void	 cursor_init(struct cursor *, const uint8_t *, size_t);
uint64_t cursor_lenenc(struct cursor *);
size_t	 cursor_left(const struct cursor *);

/* The cursor's readers are inline: several per value of every row. */
static inline const uint8_t *
cursor_bytes(struct cursor *c, size_t n)
{
	const uint8_t *p;

	if (c->err || n > c->len - c->off) {
		c->err = 1;
		return NULL;
	}
	p = c->p + c->off;
	c->off += n;
	return p;
}

/* Whether 8 bytes can be loaded at p, taken from c just now: an integer
 * of 1..8 bytes is then one load, masked or shifted. */
static inline bool
cursor_word_at(const struct cursor *c, int bytes)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return bytes > 0 && bytes <= 8 && c->len - c->off + (size_t)bytes >= 8;
#else
	(void)c;
	(void)bytes;
	return false;
#endif
}

/* An unsigned integer of 1..8 bytes, big- or little-endian. */
static inline uint64_t
cursor_int(struct cursor *c, int bytes, bool be)
{
	const uint8_t *p = cursor_bytes(c, (size_t)bytes);
	uint64_t v = 0;
	int i;

	if (p == NULL)
		return 0;
	if (cursor_word_at(c, bytes)) {
		memcpy(&v, p, 8);
		if (be)
			return __builtin_bswap64(v) >> (64 - 8 * bytes);
		return bytes == 8 ? v : v & ((1ULL << (8 * bytes)) - 1);
	}
	for (i = 0; i < bytes; i++)
		v = v << 8 | p[be ? i : bytes - 1 - i];
	return v;
}

/* Little-endian: the protocol's and most of the row image's. */
static inline uint64_t
cursor_uint(struct cursor *c, int bytes)
{
	return cursor_int(c, bytes, false);
}

/* Big-endian: temporal types and DECIMAL. */
static inline uint64_t
cursor_uint_be(struct cursor *c, int bytes)
{
	return cursor_int(c, bytes, true);
}
int	 event_decode(struct reader *, const uint8_t *, size_t);
int	 event_inner(struct reader *, struct cursor *, const struct evhdr *);
int	 event_bad(struct reader *, const char *);
/* A failure, formatted, to the owner (reader_hooks.fail); returns -1. */
int	 reader_fail(struct reader *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The start of an unrowed change's statement that reader_hooks.unrowed
 * is given, at most. */
#define UNROWED_TEXT_MAX	200
void	 event_trx_reset(struct reader *);
void	 event_position_at(const struct reader *, uint64_t offset,
	    struct position *);
const char *event_type_name(uint8_t);
void	 event_release(struct reader *);

/* rows.c */
int	 rows_decode(struct reader *, struct cursor *, int kind);
int	 rows_value(struct reader *, struct cursor *, const struct tablemap *,
	    const struct column *, struct obuf *);
void	 rows_decimal(struct cursor *, const struct column *, struct obuf *);


/* jsonb.c */
int	 jsonb_text(const uint8_t *, size_t, struct obuf *);

/* jsondiff.c */
int	 jsondiff_apply(struct cursor *, const struct column *, const char *,
	    size_t, struct obuf *, struct obuf[3]);

/* payload.c */
int	 payload_decode(struct reader *, struct cursor *);

/* compress.c */
int	 compress_inflate(struct reader *, struct cursor *);

/* ddl.c: Maxwell's type ("table-alter", ...; "ddl" for the rest) and the
 * database and table a DDL statement names. */
#define DDL_NAME_MAX	257
struct ddl {
	const char	*type;
	char		 db[DDL_NAME_MAX];	/* in: the default database */
	char		 table[DDL_NAME_MAX];
};
void	 ddl_classify(const uint8_t *, size_t, struct ddl *);
/* A QUERY event's part in the transaction around it. */
enum stmt_kind {
	STMT_BEGIN,	/* BEGIN, START TRANSACTION, XA START */
	STMT_END,	/* COMMIT, ROLLBACK, XA COMMIT/ROLLBACK/PREPARE */
	STMT_IN_TRX,	/* SAVEPOINT, ROLLBACK TO, RELEASE, XA END, comments */
	STMT_DML,	/* a row change logged as a statement */
	STMT_DDL,	/* anything else */
};
enum stmt_kind ddl_stmt(const uint8_t *, size_t);

/* offline.c */
void	 offline_init(struct reader *, struct streamer *);
int	 offline_file(struct reader *, const uint8_t *, size_t);
void	 offline_reset(struct reader *);
/* Changes without rows seen: [0] statement-logged, [1] incidents. */
extern uint64_t offline_unrowed[2];

/* stats.c */
struct peer;
struct event_base;
void	 stats_rows(int kind, uint64_t n);
void	 stats_event(const struct evhdr *, size_t len);
void	 stats_server(const char *version, bool mariadb, uint32_t server_id,
	    const char *server_uuid);
void	 stats_start(struct event_base *, struct streamer *, struct peer **,
	    const struct config *);
void	 stats_send(void);
void	 stats_sink_error(void);
void	 stats_reconnecting(const char *error);
void	 stats_unrowed(bool incident);

/* charset.c */
uint8_t	 charset_by_id(uint64_t);
uint8_t	 charset_by_name(const char *);
int	 charset_columns(struct reader *, const struct tablemap *);
void	 charset_json(struct obuf *, uint8_t, const uint8_t *, size_t);
void	 charset_free(void);

/* tablemap.c */
int	 tablemap_decode(struct reader *, struct cursor *);
struct tablemap *tablemap_find(struct reader *, uint64_t table_id);
void	 tablemap_reset(struct reader *);
void	 tablemap_forget_schema(struct reader *);
void	 tablemap_free(struct reader *);

/* obuf.c */
void	 obuf_grow(struct obuf *, size_t);
/* A string literal, its length known at compile time. */
#define obuf_lit(b, s)	obuf_add((b), "" s, sizeof(s) - 1)
char	*obuf_put_digits(char *, uint64_t, int width);
void	 obuf_digits(struct obuf *, uint64_t, int width);
void	 obuf_uint(struct obuf *, uint64_t);
extern const char obuf_pairs[201];
void	 obuf_int(struct obuf *, int64_t);
void	 obuf_printf(struct obuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 obuf_json_str(struct obuf *, const uint8_t *, size_t);
void	 obuf_json_text(struct obuf *, const uint8_t *, size_t);
void	 obuf_json_latin1(struct obuf *, const uint8_t *, size_t);
void	 obuf_base64(struct obuf *, const uint8_t *, size_t);
void	 obuf_base64_bare(struct obuf *, const uint8_t *, size_t);

/* obuf_simd.c: obuf.c's bulk paths at the CPU's best level.  utf8 copies
 * the prefix that is valid UTF-8 with nothing to escape, latin1 converts
 * one (*out: the bytes written), base64 encodes whole groups; each says
 * how much input it took, and may write OBUF_SLACK bytes past the end of
 * its output. */
#define OBUF_SLACK	32
enum { OBUF_SCALAR, OBUF_SSE42, OBUF_AVX2 };
struct obuf_simd_ops {
	const char	*name;
	size_t		(*utf8)(char *, const uint8_t *, size_t);
	size_t		(*latin1)(char *, const uint8_t *, size_t, size_t *);
	size_t		(*base64)(char *, const uint8_t *, size_t);
};
extern const struct obuf_simd_ops *obuf_simd;
int	 obuf_simd_level(int);

/* Bytes a JSON string holds as they are: printable ASCII but " and \. */
static inline bool
obuf_plain(uint8_t ch)
{
	return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}

/* The obuf appenders are inline: most values of most rows are a few
 * bytes, and a call per value cost more than the copy. */
static inline void
obuf_reserve(struct obuf *b, size_t n)
{
	if (b->cap - b->len < n)
		obuf_grow(b, n);
}

/* Most copies are a name or a value of a few bytes: n <= 16 in two
 * overlapping moves instead of a call to memcpy (and no read outside
 * [s, s + n)). */
static inline void
obuf_copy_small(char *d, const void *s, size_t n)
{
	const char *c = s;
	uint64_t a8, z8;
	uint32_t a4, z4;

	if (n >= 8) {
		memcpy(&a8, c, 8);
		memcpy(&z8, c + n - 8, 8);
		memcpy(d, &a8, 8);
		memcpy(d + n - 8, &z8, 8);
	} else if (n >= 4) {
		memcpy(&a4, c, 4);
		memcpy(&z4, c + n - 4, 4);
		memcpy(d, &a4, 4);
		memcpy(d + n - 4, &z4, 4);
	} else if (n > 0) {
		d[0] = c[0];
		d[n / 2] = c[n / 2];
		d[n - 1] = c[n - 1];
	}
}

static inline void
obuf_copy(char *d, const void *s, size_t n)
{
	if (n <= 16)
		obuf_copy_small(d, s, n);
	else
		memcpy(d, s, n);
}

static inline void
obuf_add(struct obuf *b, const void *p, size_t n)
{
	obuf_reserve(b, n);
	obuf_copy(b->buf + b->len, p, n);
	b->len += n;
}

static inline void
obuf_str(struct obuf *b, const char *s)
{
	obuf_add(b, s, strlen(s));
}

/* record.c */
void	 record_names(struct tablemap *);

/* Column i's "name": key, from record_names' text (inline: once per
 * value of every row). */
static inline void
record_name_key(struct obuf *o, const struct tablemap *tm, uint32_t i)
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
 * record_names' text, comma included, when it is there. */
static inline void
record_pair_key(struct obuf *o, const struct tablemap *tm, uint32_t i,
    bool first)
{
	const struct column *col = &tm->cols[i];

	if (col->key_len == 0) {
		if (!first)
			obuf_add(o, ",", 1);
		record_name_key(o, tm, i);
	} else if (first)
		obuf_add(o, tm->json.buf + col->key_off, col->key_len);
	else
		obuf_add(o, tm->json.buf + col->key_off - 1, col->key_len + 1);
}

void	 record_mapped(struct tablemap *);
void	 record_image(struct reader *, const struct tablemap *,
	    const char *key, int which, int other);
void	 record_query(struct obuf *, const struct obuf *);
int	 record_row(struct reader *, const struct tablemap *, int kind);
int	 record_row_open(struct reader *, const struct tablemap *, int kind);
int	 record_row_close(struct reader *, const struct tablemap *);
void	 record_row_abort(struct reader *);
bool	 record_drains(const struct reader *, const struct obuf *);
bool	 record_joinable(void);
int	 record_join(struct reader *, const struct obuf *, bool pending,
	    size_t at);


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
int	 record_flush(struct reader *);

#endif
