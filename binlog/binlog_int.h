/* binlog_int.h: the decoder's own declarations, shared by binlog/'s
 * files and its unit tests; owners use binlog.h. */
#ifndef BINLOGD_BINLOG_INT_H
#define BINLOGD_BINLOG_INT_H

#include "binlog.h"

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

/* Values at least this long are written a piece at a time (rows.c); a
 * multiple of 3 bytes, so that base64 pieces join without padding. */
#define ROWS_PIECE	(3 * 256 * 1024)

/* event.c: the cursor's readers */
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

/* event.c */
int	 event_inner(struct reader *, struct cursor *, const struct evhdr *);
int	 event_bad(struct reader *, const char *);
const char *event_type_name(uint8_t);

/*
 * rows.c: a mapped table's column plan, made once per decoded TABLE_MAP
 * (rows_plan, after the output's mapped hook) and read for every value
 * of every row: the column's decoder (a dense ROWS_OP_*, not its type
 * code, so that the dispatch is one jump), the byte count it takes from
 * the type and metadata, and the column's key and drop mark copied out
 * of struct column, a few hundred bytes apart per column.
 */
struct colplan {
	uint8_t		 op;
	uint8_t		 bytes;		/* integer, length or BIT bytes */
	bool		 dropped;
	bool		 json;
	uint32_t	 key_off;	/* as struct column's */
	uint32_t	 key_len;
};
void	 rows_plan(struct tablemap *);

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

/* ddl.c: a QUERY event's part in the transaction around it. */
enum stmt_kind {
	STMT_BEGIN,	/* BEGIN, START TRANSACTION, XA START */
	STMT_END,	/* COMMIT, ROLLBACK, XA COMMIT/ROLLBACK/PREPARE */
	STMT_IN_TRX,	/* SAVEPOINT, ROLLBACK TO, RELEASE, XA END, comments */
	STMT_DML,	/* a row change logged as a statement */
	STMT_DDL,	/* anything else */
};
enum stmt_kind ddl_stmt(const uint8_t *, size_t);

/* charset.c */
uint8_t	 charset_by_id(uint64_t);
int	 charset_columns(struct reader *, const struct tablemap *);
void	 charset_json_iconv(struct obuf *, uint8_t, const uint8_t *, size_t);

/* A text value of a column whose charset is not UTF-8, as a JSON string:
 * latin1 (most of them) converted here, without a call of its own; the
 * others through iconv. */
static inline void
charset_json(struct obuf *o, uint8_t cs, const uint8_t *s, size_t n)
{
	if (cs == CS_LATIN1)
		obuf_json_latin1(o, s, n);
	else
		charset_json_iconv(o, cs, s, n);
}

/* tablemap.c */
struct tablemap *tablemap_find(struct reader *, uint64_t table_id);
void	 tablemap_free(struct reader *);

#endif
