/* rows.c: WRITE/UPDATE/DELETE_ROWS events -- row images to JSON values,
 * one documented form per column type, and the record of each row. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtoa.h"
#include "exitcode.h"
#include "log.h"
#include "binlog_int.h"

/* A value's decoder called from rows_value's switch, not inlined in it. */
#define ROWS_OUTLINE	__attribute__((noinline))
/* A step of a value's decoder, inlined into it (the temporal types'
 * parts: as calls, their saves and moves were a third of the value). */
#define ROWS_INLINE	inline __attribute__((always_inline))

static int
rows_unsupported(struct reader *r, const struct tablemap *tm,
    const struct column *col, const char *why)
{
	return reader_fail(r, BX_DECODE, "%s.%s column %s: column type %u %s "
	    "(event at %s:%llu)", tm->db, tm->table, col->name, col->type, why,
	    r->file, (unsigned long long)r->offset);
}

/* MariaDB's INET6 as inet_ntop writes it (RFC 5952, as the server does)
 * and UUID as 8-4-4-4-12 lowercase hex. */
static void
rows_form(const uint8_t *p, const struct column *col, struct obuf *o)
{
	static const char hex[] = "0123456789abcdef";
	char buf[INET6_ADDRSTRLEN + 2];
	size_t i, n = 0;

	buf[n++] = '"';
	if (col->form == COLFORM_INET6) {
		inet_ntop(AF_INET6, p, buf + 1, INET6_ADDRSTRLEN);
		n = strlen(buf);
	} else
		for (i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				buf[n++] = '-';
			buf[n++] = hex[p[i] >> 4];
			buf[n++] = hex[p[i] & 15];
		}
	buf[n++] = '"';
	obuf_add(o, buf, n);
}

/* The next piece of a long value: ROWS_PIECE bytes, or fewer so as not
 * to split a UTF-8 sequence of text (its lead byte is at most 3 back). */
static size_t
rows_piece(const uint8_t *p, size_t n, bool binary)
{
	size_t e = ROWS_PIECE;

	if (n <= e)
		return n;
	while (!binary && e > ROWS_PIECE - 3 && (p[e] & 0xc0) == 0x80)
		e--;
	return e;
}

/* A long TEXT or BLOB value of a record that a byte sink takes: each
 * piece goes to the sink once written, and the event's pages behind it
 * are let go (spill.c), so neither the value nor its text is held whole. */
static int
rows_long(struct reader *r, const uint8_t *p, size_t n, bool binary,
    struct obuf *o)
{
	size_t off, k;

	obuf_add(o, "\"", 1);
	for (off = 0; off < n; off += k) {
		k = rows_piece(p + off, n - off, binary);
		if (binary)
			obuf_base64_bare(o, p + off, k);
		else
			obuf_json_text(o, p + off, k);
		if (r->hooks->release != NULL)
			r->hooks->release(p + off, k);
		if (r->hooks->drain(r) == -1)
			return -1;
	}
	obuf_add(o, "\"", 1);
	return 0;
}

/* Text (a string not of charset 63) as a JSON string: UTF-8 as it is
 * (a long value in pieces, rows_long), other charsets converted.
 * Inlined into the image loop (text is most of a wide row's values, and
 * a call per value cost as much as a short one's escaping). */
static ROWS_INLINE int
rows_text_value(struct reader *r, struct cursor *c, const struct column *col,
    size_t lenbytes, struct obuf *o)
{
	size_t n = cursor_uint(c, (int)lenbytes);
	const uint8_t *p = cursor_bytes(c, n);

	if (p == NULL)
		return 0;
	if (col->charset != CS_UTF8)
		charset_json(o, col->charset, p, n);
	else if (n >= ROWS_PIECE && r->hooks->drains(r, o))
		return rows_long(r, p, n, false, o);
	else
		obuf_json_str(o, p, n);
	return 0;
}

/* Binary strings (charset 63; text is rows_text_value's) as base64, or
 * INET6/UUID's text. */
static ROWS_OUTLINE int
rows_string(struct reader *r, struct cursor *c, const struct column *col,
    size_t lenbytes, struct obuf *o)
{
	size_t n = cursor_uint(c, (int)lenbytes);
	const uint8_t *p = cursor_bytes(c, n);
	uint8_t pad[1024];

	if (p == NULL)
		return 0;
	if (n >= ROWS_PIECE && r->hooks->drains(r, o))
		return rows_long(r, p, n, true, o);
	/* BINARY(n) is logged without its trailing zero bytes */
	if (col->type == COL_STRING && n < col->length &&
	    col->length <= sizeof(pad)) {
		memcpy(pad, p, n);
		memset(pad + n, 0, col->length - n);
		p = pad;
		n = col->length;
	}
	if (col->form != COLFORM_NONE && n == 16)
		rows_form(p, col, o);
	else
		obuf_base64(o, p, n);
	return 0;
}

/* A DECIMAL's text is at most 65 digits, a sign and a point; a group of
 * garbage may print ten digits instead of nine, and the last number is
 * written into 24 bytes of room. */
#define ROWS_DECIMAL_ROOM	128

/* The next group of a DECIMAL, n (1..4) big-endian bytes read in place:
 * every bit flipped for a negative number (mask), and the sign bit of
 * the number's first byte (*sign, then 0) flipped back. */
static inline uint32_t
rows_dgroup(struct cursor *c, int n, uint32_t mask, uint32_t *sign)
{
	uint32_t v = (uint32_t)cursor_uint_be(c, n);

	v ^= *sign << (8 * (n - 1));
	*sign = 0;
	return (v ^ mask) & (uint32_t)(0xffffffffULL >> (32 - 8 * n));
}

/* DECIMAL: exact text from the packed base-10^9 groups, written after
 * one check for room. */
ROWS_OUTLINE void
rows_decimal(struct cursor *c, const struct column *col, struct obuf *o)
{
	static const int dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
	int prec = col->meta >> 8, scale = col->meta & 0xff;
	int intg = prec - scale, ix = intg % 9, fx = scale % 9, i, size;
	uint32_t g, mask, sign = 0x80;
	bool lead = true;
	char *d;

	if (prec > 65 || scale > prec || prec == 0) {
		c->err = 1;
		return;
	}
	size = (intg / 9) * 4 + dig2bytes[ix] + (scale / 9) * 4 + dig2bytes[fx];
	if (c->err || (size_t)size > c->len - c->off) {
		c->err = 1;
		return;
	}
	/* negative numbers are stored with every bit flipped, and the
	 * sign bit set for positive ones */
	mask = (c->p[c->off] & 0x80) ? 0 : 0xffffffff;
	obuf_reserve(o, ROWS_DECIMAL_ROOM);
	d = o->buf + o->len;
	if (mask != 0)
		*d++ = '-';
	if (ix && (g = rows_dgroup(c, dig2bytes[ix], mask, &sign)) != 0) {
		d = obuf_put_digits(d, g, 1);
		lead = false;
	}
	for (i = 0; i < intg / 9; i++) {
		g = rows_dgroup(c, 4, mask, &sign);
		if (lead && g == 0)
			continue;
		d = obuf_put_digits(d, g, lead ? 1 : 9);
		lead = false;
	}
	if (lead)
		*d++ = '0';
	if (scale > 0)
		*d++ = '.';
	for (i = 0; i < scale / 9; i++)
		d = obuf_put_digits(d, rows_dgroup(c, 4, mask, &sign), 9);
	if (fx)
		d = obuf_put_digits(d, rows_dgroup(c, dig2bytes[fx], mask,
		    &sign), fx);
	o->len = (size_t)(d - o->buf);
}

/* Fractional seconds of TIME2/DATETIME2/TIMESTAMP2 as microseconds. */
static ROWS_INLINE uint32_t
rows_frac(struct cursor *c, int fsp)
{
	switch (fsp) {
	case 1: case 2:	return (uint32_t)cursor_uint_be(c, 1) * 10000;
	case 3: case 4:	return (uint32_t)cursor_uint_be(c, 2) * 100;
	case 5: case 6:	return (uint32_t)cursor_uint_be(c, 3);
	}
	return 0;
}

/*
 * A temporal value is written straight into the buffer after one check
 * for room: its longest form ("-hhhh:mm:ss.ffffffff" or a year of five
 * digits with seconds and a fraction) is under 40 bytes, and each of
 * its numbers is written into 24 bytes of room.
 */
#define ROWS_TEMPORAL_ROOM	64

static char *
rows_temporal_begin(struct obuf *o)
{
	obuf_reserve(o, ROWS_TEMPORAL_ROOM);
	return o->buf + o->len;
}

static void
rows_temporal_end(struct obuf *o, char *d)
{
	o->len = (size_t)(d - o->buf);
}

/* v in at least two digits: as a pair when it is one. */
static inline char *
rows_two(char *d, unsigned v)
{
	if (v >= 100)
		return obuf_put_digits(d, v, 2);
	memcpy(d, obuf_pairs + 2 * v, 2);
	return d + 2;
}

/* The fraction's first fsp of the six digits of us: three pairs, the
 * room past them written over (a garbage value of seven or more digits
 * takes the long way, as it always printed). */
static ROWS_INLINE char *
rows_frac_text(char *d, uint32_t us, int fsp)
{
	static const uint32_t div[7] = { 1, 100000, 10000, 1000, 100, 10, 1 };

	if (fsp <= 0 || fsp > 6)
		return d;
	*d++ = '.';
	if (us >= 1000000)
		return obuf_put_digits(d, us / div[fsp], fsp);
	memcpy(d, obuf_pairs + 2 * (us / 10000), 2);
	memcpy(d + 2, obuf_pairs + 2 * (us / 100 % 100), 2);
	memcpy(d + 4, obuf_pairs + 2 * (us % 100), 2);
	return d + fsp;
}

/* A date's opening quote and YYYY-MM-DD. */
static ROWS_INLINE char *
rows_ymd(char *d, unsigned y, unsigned mo, unsigned day)
{
	*d++ = '"';
	if (y < 10000) {
		d = rows_two(d, y / 100);
		d = rows_two(d, y % 100);
	} else
		d = obuf_put_digits(d, y, 4);
	*d++ = '-';
	d = rows_two(d, mo);
	*d++ = '-';
	return rows_two(d, day);
}

/* hh:mm:ss, hours in as many digits as they take (TIME goes to 838). */
static ROWS_INLINE char *
rows_hms(char *d, unsigned h, unsigned m, unsigned sec)
{
	d = rows_two(d, h);
	*d++ = ':';
	d = rows_two(d, m);
	*d++ = ':';
	return rows_two(d, sec);
}

static ROWS_OUTLINE void
rows_datetime2(struct cursor *c, const struct column *col, struct obuf *o)
{
	uint64_t v = cursor_uint_be(c, 5) - 0x8000000000ULL;
	uint64_t ymd = v >> 17, ym = ymd >> 5, hms = v & 0x1ffff;
	uint32_t us = rows_frac(c, col->meta);
	char *d = rows_temporal_begin(o);

	d = rows_ymd(d, (unsigned)(ym / 13), (unsigned)(ym % 13),
	    (unsigned)(ymd & 31));
	*d++ = ' ';
	d = rows_hms(d, (unsigned)(hms >> 12), (unsigned)((hms >> 6) & 63),
	    (unsigned)(hms & 63));
	d = rows_frac_text(d, us, col->meta);
	*d++ = '"';
	rows_temporal_end(o, d);
}

/* Days since 1970-01-01 as a proleptic Gregorian date: counted from
 * 0000-03-01 in 400-year eras of 146097 days, years starting in March so
 * that the leap day is the last of one (what gmtime does, without its
 * time zone machinery: a call per TIMESTAMP value). */
static ROWS_INLINE void
rows_civil(uint64_t days, unsigned *y, unsigned *mo, unsigned *d)
{
	uint64_t z = days + 719468, era = z / 146097, doe = z % 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*mo = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(era * 400 + yoe + (*mo <= 2));
}

/* The day a formatting thread's last TIMESTAMP fell on, and its quote
 * and YYYY-MM-DD (a 32-bit time's year has four digits): the next value
 * is most often of the same day, and the calendar's divisions are half
 * of a value's instructions. */
static __thread struct {
	uint64_t	days;
	char		ymd[16];
} rows_day = { UINT64_MAX, "" };

/* TIMESTAMP and TIMESTAMP2 are seconds since the epoch: always printed
 * in UTC; the old TIMESTAMP is little-endian and has no fraction. */
static ROWS_OUTLINE void
rows_timestamp2(struct cursor *c, const struct column *col, struct obuf *o)
{
	bool old = col->type == COL_TIMESTAMP;
	uint64_t t = old ? cursor_uint(c, 4) : cursor_uint_be(c, 4);
	uint32_t us = old ? 0 : rows_frac(c, col->meta);
	unsigned y, mo, day, sec = (unsigned)(t % 86400);
	char *d = rows_temporal_begin(o);

	if (t == 0) {
		memcpy(d, "\"0000-00-00 00:00:00", 20);
		d += 20;
	} else {
		if (rows_day.days != t / 86400) {
			rows_civil(t / 86400, &y, &mo, &day);
			rows_ymd(rows_day.ymd, y, mo, day);
			rows_day.days = t / 86400;
		}
		memcpy(d, rows_day.ymd, 16);
		d += 11;
		*d++ = ' ';
		d = rows_hms(d, sec / 3600, sec / 60 % 60, sec % 60);
	}
	d = rows_frac_text(d, us, old ? 0 : col->meta);
	*d++ = '"';
	rows_temporal_end(o, d);
}

/* The old TIME (HHMMSS) and DATETIME (YYYYMMDDhhmmss) of MySQL 5.5 and
 * before: decimal digits packed in one little-endian integer. */
static ROWS_OUTLINE void
rows_time_old(struct cursor *c, const struct column *col, struct obuf *o)
{
	uint64_t v, a;
	int64_t t;

	if (col->type == COL_DATETIME) {
		v = cursor_uint(c, 8);
		obuf_printf(o, "\"%04u-%02u-%02u %02u:%02u:%02u\"",
		    (unsigned)(v / 10000000000ULL),
		    (unsigned)(v / 100000000 % 100), (unsigned)(v / 1000000 % 100),
		    (unsigned)(v / 10000 % 100), (unsigned)(v / 100 % 100),
		    (unsigned)(v % 100));
		return;
	}
	t = (int64_t)(cursor_uint(c, 3) << 40) >> 40;
	a = t < 0 ? (uint64_t)-t : (uint64_t)t;
	obuf_printf(o, "\"%s%02u:%02u:%02u\"", t < 0 ? "-" : "",
	    (unsigned)(a / 10000), (unsigned)(a / 100 % 100),
	    (unsigned)(a % 100));
}

/* TIME2: integer part and fraction as one signed big-endian number. */
static ROWS_OUTLINE void
rows_time2(struct cursor *c, const struct column *col, struct obuf *o)
{
	int fb = (col->meta + 1) / 2;
	int64_t v = (int64_t)cursor_uint_be(c, 3 + fb) -
	    ((int64_t)0x800000 << (8 * fb));
	uint64_t a = v < 0 ? (uint64_t)-v : (uint64_t)v;
	uint64_t hms = a >> (8 * fb), frac = a & ((1ULL << (8 * fb)) - 1);
	static const uint32_t unit[4] = { 0, 10000, 100, 1 };
	char *d = rows_temporal_begin(o);

	*d++ = '"';
	if (v < 0)
		*d++ = '-';
	d = rows_hms(d, (unsigned)((hms >> 12) & 0x3ff),
	    (unsigned)((hms >> 6) & 63), (unsigned)(hms & 63));
	d = rows_frac_text(d, (uint32_t)frac * unit[fb], col->meta);
	*d++ = '"';
	rows_temporal_end(o, d);
}

static ROWS_OUTLINE void
rows_date(struct cursor *c, struct obuf *o)
{
	uint32_t v = (uint32_t)cursor_uint(c, 3);
	char *d = rows_temporal_begin(o);

	d = rows_ymd(d, v >> 9, (v >> 5) & 15, v & 31);
	*d++ = '"';
	rows_temporal_end(o, d);
}

/* The shortest text that reads back as the same float or double. */
static void
rows_float(struct cursor *c, int bytes, struct obuf *o)
{
	uint64_t v = cursor_uint(c, bytes);
	uint32_t v32 = (uint32_t)v;
	char buf[DTOA_BUFSZ];
	float f;
	double d;

	if (bytes == 4) {
		memcpy(&f, &v32, 4);
		obuf_add(o, buf, dtoa_float(f, buf));
		return;
	}
	memcpy(&d, &v, 8);
	obuf_add(o, buf, dtoa_double(d, buf));
}

/* The index-th name of an ENUM/SET column (0-based), as JSON, at d,
 * which has room for it and OBUF_OVER more: a short one in one move of
 * OBUF_OVER bytes (rows_plan leaves as much past the names; a table
 * without a plan, rows_value's, may not); the end. */
static inline char *
rows_name(const struct tablemap *tm, const struct column *col,
    uint64_t index, char *d)
{
	uint32_t at, end;

	memcpy(&at, tm->stridx.buf + 4 * (col->str_first + index), 4);
	memcpy(&end, tm->stridx.buf + 4 * (col->str_first + index + 1), 4);
	if (end - at <= OBUF_OVER && at + OBUF_OVER <= tm->strs.cap)
		memcpy(d, tm->strs.buf + at, OBUF_OVER);
	else
		memcpy(d, tm->strs.buf + at, end - at);
	return d + (end - at);
}

/* ENUM: its name ("" for the error value 0); SET: an array of its
 * members' names.  Without names (no FULL metadata, or a value past
 * them), the index or bitmap as a number.  One check for room: every
 * name once, a comma each and the brackets. */
static ROWS_OUTLINE void
rows_enum_set(struct cursor *c, const struct tablemap *tm,
    const struct column *col, struct obuf *o)
{
	uint64_t v = cursor_uint(c, col->length), bits;
	char *d;

	if (col->nstr == 0 || (col->type == COL_ENUM && v > col->nstr) ||
	    (col->type == COL_SET && col->nstr < 64 && v >> col->nstr)) {
		obuf_printf(o, "%llu", (unsigned long long)v);
		return;
	}
	obuf_reserve(o, tm->strs.len + col->nstr + 2 + OBUF_OVER);
	d = o->buf + o->len;
	if (col->type == COL_ENUM) {
		if (v == 0) {
			memcpy(d, "\"\"", 2);
			d += 2;
		} else
			d = rows_name(tm, col, v - 1, d);
		o->len = (size_t)(d - o->buf);
		return;
	}
	/* a member per set bit, none past the names (checked above) */
	*d++ = '[';
	for (bits = v; bits != 0; bits &= bits - 1) {
		d = rows_name(tm, col, (uint64_t)__builtin_ctzll(bits), d);
		*d++ = ',';
	}
	/* a name ends in its quote: a comma last is the one after it */
	if (d[-1] == ',')
		d--;
	*d++ = ']';
	o->len = (size_t)(d - o->buf);
}

/* MySQL 9's VECTOR: an array of float32, one number each. */
static ROWS_OUTLINE void
rows_vector(struct cursor *c, const struct column *col, struct obuf *o)
{
	size_t n = cursor_uint(c, col->meta), i;
	struct cursor v;
	const uint8_t *p = cursor_bytes(c, n);

	if (p == NULL || n % 4 != 0) {
		c->err = 1;
		return;
	}
	cursor_init(&v, p, n);
	obuf_str(o, "[");
	for (i = 0; i < n / 4; i++) {
		if (i > 0)
			obuf_str(o, ",");
		rows_float(&v, 4, o);
	}
	obuf_str(o, "]");
}

/* MySQL's binary JSON, as JSON text (MariaDB's JSON is a text BLOB). */
static ROWS_OUTLINE int
rows_json(struct reader *r, struct cursor *c, const struct tablemap *tm,
    const struct column *col, struct obuf *o)
{
	size_t n, at = o->len;
	const uint8_t *p;

	if (col->meta < 1 || col->meta > 4)
		return rows_unsupported(r, tm, col, "has a bad length size");
	n = cursor_uint(c, col->meta);
	if ((p = cursor_bytes(c, n)) == NULL)
		return 0;
	if (jsonb_text(p, n, o) == -1) {
		o->len = at;
		return rows_unsupported(r, tm, col, "holds malformed binary "
		    "JSON");
	}
	return 0;
}

/* The decoders of rows_op's switch, one per way a value is read. */
enum {
	ROWS_OP_UNSUPPORTED, ROWS_OP_FSP, ROWS_OP_INT, ROWS_OP_UINT,
	ROWS_OP_FLOAT, ROWS_OP_DOUBLE, ROWS_OP_DECIMAL, ROWS_OP_YEAR,
	ROWS_OP_BIT, ROWS_OP_ENUM_SET, ROWS_OP_NULL, ROWS_OP_DATE,
	ROWS_OP_TIMESTAMP, ROWS_OP_TIME_OLD, ROWS_OP_DATETIME2,
	ROWS_OP_TIME2, ROWS_OP_STRING, ROWS_OP_TEXT, ROWS_OP_JSON,
	ROWS_OP_VECTOR,
};

/* A column's decoder and the bytes it takes, from its type and
 * metadata: the one place that reads them for a value. */
static struct colplan
rows_col_plan(const struct column *col)
{
	struct colplan p = { .op = ROWS_OP_UNSUPPORTED };
	static const uint8_t ints[] = { [COL_TINY] = 1, [COL_SHORT] = 2,
	    [COL_INT24] = 3, [COL_LONG] = 4, [COL_LONGLONG] = 8 };

	switch (col->type) {
	case COL_TINY: case COL_SHORT: case COL_INT24: case COL_LONG:
	case COL_LONGLONG:
		p.op = col->is_unsigned ? ROWS_OP_UINT : ROWS_OP_INT;
		p.bytes = ints[col->type];
		break;
	case COL_FLOAT:		p.op = ROWS_OP_FLOAT; break;
	case COL_DOUBLE:	p.op = ROWS_OP_DOUBLE; break;
	case COL_NEWDECIMAL:	p.op = ROWS_OP_DECIMAL; break;
	case COL_YEAR:		p.op = ROWS_OP_YEAR; break;
	case COL_BIT:
		p.op = ROWS_OP_BIT;
		p.bytes = (uint8_t)((col->meta & 0xff) + ((col->meta >> 8) ?
		    1 : 0));
		break;
	case COL_ENUM: case COL_SET:	p.op = ROWS_OP_ENUM_SET; break;
	case COL_NULL:		p.op = ROWS_OP_NULL; break;
	case COL_DATE: case COL_NEWDATE: p.op = ROWS_OP_DATE; break;
	case COL_TIMESTAMP:	p.op = ROWS_OP_TIMESTAMP; break;
	case COL_TIME: case COL_DATETIME: p.op = ROWS_OP_TIME_OLD; break;
	case COL_DATETIME2: case COL_TIMESTAMP2: case COL_TIME2:
		p.op = col->meta > 6 ? ROWS_OP_FSP :
		    col->type == COL_DATETIME2 ? ROWS_OP_DATETIME2 :
		    col->type == COL_TIME2 ? ROWS_OP_TIME2 : ROWS_OP_TIMESTAMP;
		break;
	case COL_VARCHAR: case COL_VAR_STRING:
		p.op = ROWS_OP_STRING;
		p.bytes = col->meta < 256 ? 1 : 2;
		break;
	case COL_STRING:
		p.op = ROWS_OP_STRING;
		p.bytes = col->length < 256 ? 1 : 2;
		break;
	case COL_JSON:		p.op = ROWS_OP_JSON; break;
	case COL_VECTOR:
		if (col->meta >= 1 && col->meta <= 4)
			p.op = ROWS_OP_VECTOR;
		break;
	case COL_BLOB: case COL_TINY_BLOB: case COL_MEDIUM_BLOB:
	case COL_LONG_BLOB: case COL_GEOMETRY:
		if (col->meta >= 1 && col->meta <= 4) {
			p.op = ROWS_OP_STRING;
			p.bytes = (uint8_t)col->meta;
		}
		break;
	}
	/* text, not binary: its own op, inlined in the image loop (the
	 * columns' charsets are final before the plan: tablemap_complete) */
	if (p.op == ROWS_OP_STRING && !col->is_binary)
		p.op = ROWS_OP_TEXT;
	p.json = col->type == COL_JSON;
	p.dropped = col->dropped;
	p.key_off = col->key_off;
	p.key_len = col->key_len;
	return p;
}

/* The plan of tm's columns, once its columns and keys are known. */
void
rows_plan(struct tablemap *tm)
{
	struct colplan *p;
	uint32_t i;

	if (tm->ncols > tm->plan_cap) {
		if ((p = realloc(tm->plan, tm->ncols * sizeof(*p))) == NULL)
			fatal("table map column plan");
		tm->plan = p;
		tm->plan_cap = tm->ncols;
	}
	for (i = 0; i < tm->ncols; i++)
		tm->plan[i] = rows_col_plan(&tm->cols[i]);
	/* rows_name reads OBUF_OVER bytes from each name on */
	obuf_reserve(&tm->strs, OBUF_OVER);
	memset(tm->strs.buf + tm->strs.len, 0, OBUF_OVER);
}

/*
 * One column value of an image, as JSON, appended to o, by its plan p.
 * One dense switch, inlined into rows_image's loops (as a call, its
 * register saves and argument moves were most of its instructions per
 * value); the decoders of more than a few lines are kept out of line
 * (ROWS_OUTLINE), so that each case is a jump to them and the loop's
 * registers stay its own.
 */
static inline __attribute__((always_inline)) int
rows_op(struct reader *r, struct cursor *c, const struct tablemap *tm,
    const struct column *col, const struct colplan *p, struct obuf *o)
{
	uint64_t v;

	switch (p->op) {
	case ROWS_OP_INT:
		v = cursor_uint(c, p->bytes);
		obuf_int(o, (int64_t)(v << (64 - 8 * p->bytes)) >>
		    (64 - 8 * p->bytes));
		return 0;
	case ROWS_OP_UINT:	obuf_uint(o, cursor_uint(c, p->bytes)); return 0;
	case ROWS_OP_FLOAT:	rows_float(c, 4, o); return 0;
	case ROWS_OP_DOUBLE:	rows_float(c, 8, o); return 0;
	case ROWS_OP_DECIMAL:	rows_decimal(c, col, o); return 0;
	case ROWS_OP_YEAR:
		v = cursor_uint(c, 1);
		obuf_uint(o, v ? v + 1900 : 0);
		return 0;
	case ROWS_OP_BIT:	obuf_uint(o, cursor_uint_be(c, p->bytes));
				return 0;
	case ROWS_OP_ENUM_SET:	rows_enum_set(c, tm, col, o); return 0;
	case ROWS_OP_NULL:	obuf_lit(o, "null"); return 0;
	case ROWS_OP_DATE:	rows_date(c, o); return 0;
	case ROWS_OP_TIMESTAMP:	rows_timestamp2(c, col, o); return 0;
	case ROWS_OP_TIME_OLD:	rows_time_old(c, col, o); return 0;
	case ROWS_OP_DATETIME2:	rows_datetime2(c, col, o); return 0;
	case ROWS_OP_TIME2:	rows_time2(c, col, o); return 0;
	case ROWS_OP_STRING:	return rows_string(r, c, col, p->bytes, o);
	case ROWS_OP_TEXT:	return rows_text_value(r, c, col, p->bytes, o);
	case ROWS_OP_JSON:	return rows_json(r, c, tm, col, o);
	case ROWS_OP_VECTOR:	rows_vector(c, col, o); return 0;
	case ROWS_OP_FSP:
		return rows_unsupported(r, tm, col, "has fractional digits "
		    "over 6 in its TABLE_MAP");
	}
	return rows_unsupported(r, tm, col, "is not supported yet");
}

/* A value of a column that has no plan (the decoder's tests). */
int
rows_value(struct reader *r, struct cursor *c, const struct tablemap *tm,
    const struct column *col, struct obuf *o)
{
	struct colplan p = rows_col_plan(col);

	return rows_op(r, c, tm, col, &p, o);
}

static void
rows_text_number(struct obuf *o, const char *v, size_t n, bool is_float)
{
	char buf[DTOA_BUFSZ], text[64];
	double d;

	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, v, n);
	text[n] = '\0';
	d = strtod(text, NULL);
	if (is_float)
		obuf_add(o, buf, dtoa_float((float)d, buf));
	else
		obuf_add(o, buf, dtoa_double(d, buf));
}

/* SET: "a,b" to ["a","b"]. */
static void
rows_text_set(struct obuf *o, const char *v, size_t n)
{
	const char *end = v + n, *comma;

	obuf_lit(o, "[");
	while (v < end) {
		if ((comma = memchr(v, ',', (size_t)(end - v))) == NULL)
			comma = end;
		if (o->buf[o->len - 1] != '[')
			obuf_lit(o, ",");
		obuf_json_str(o, (const uint8_t *)v, (size_t)(comma - v));
		v = comma + 1;
	}
	obuf_lit(o, "]");
}

/* rows_text_as_double: FLOAT is read as a double, whose 17 digits give
 * the float32 back exactly (its own text has 6). */
bool
rows_text_as_double(const struct column *col)
{
	return col->type == COL_FLOAT;
}

/* rows_text_keyed: rows_text's JSON of the column's values, back in a
 * query, is the value exactly and compares as the server orders the
 * column: a snapshot can go on after a key made of such columns.  Not
 * FLOAT (shortest digits), ENUM (ordered by number, compared by name),
 * SET, BIT, JSON, INET6/UUID's text forms. */
bool
rows_text_keyed(const struct column *col)
{
	switch (col->type) {
	case COL_TINY: case COL_SHORT: case COL_INT24: case COL_LONG:
	case COL_LONGLONG: case COL_NEWDECIMAL: case COL_YEAR:
	case COL_DATE: case COL_NEWDATE: case COL_TIME: case COL_TIME2:
	case COL_DATETIME: case COL_DATETIME2: case COL_TIMESTAMP:
	case COL_TIMESTAMP2:
		return true;
	case COL_VARCHAR: case COL_VAR_STRING: case COL_STRING:
	case COL_TINY_BLOB: case COL_MEDIUM_BLOB: case COL_LONG_BLOB:
	case COL_BLOB:
		return col->form == COLFORM_NONE;
	}
	return false;
}

/* rows_text_base64: of the types rows_text_keyed allows, whether
 * rows_text writes the column's values as base64 (a binary string;
 * numbers and temporal values have charset binary too, and are not). */
bool
rows_text_base64(const struct column *col)
{
	switch (col->type) {
	case COL_VARCHAR: case COL_VAR_STRING: case COL_STRING:
	case COL_TINY_BLOB: case COL_MEDIUM_BLOB: case COL_LONG_BLOB:
	case COL_BLOB:
		return col->is_binary && col->form == COLFORM_NONE;
	}
	return false;
}

/* A value in the server's text (a snapshot's SELECT, the connection in
 * utf8mb4, time_zone +00:00) as the JSON its row image gives. */
void
rows_text(const struct column *col, const char *v, size_t n,
    struct obuf *o)
{
	uint64_t u = 0;
	size_t i;

	if (v == NULL) {
		obuf_lit(o, "null");
		return;
	}
	switch (col->type) {
	case COL_TINY: case COL_SHORT: case COL_INT24: case COL_LONG:
	case COL_LONGLONG: case COL_NEWDECIMAL:
		obuf_add(o, v, n);
		return;
	case COL_FLOAT:
	case COL_DOUBLE:
		rows_text_number(o, v, n, col->type == COL_FLOAT);
		return;
	case COL_YEAR:
		obuf_uint(o, strtoull(v, NULL, 10));
		return;
	case COL_BIT:
		for (i = 0; i < n; i++)
			u = u << 8 | (uint8_t)v[i];
		obuf_uint(o, u);
		return;
	case COL_SET:
		rows_text_set(o, v, n);
		return;
	case COL_DATE: case COL_NEWDATE: case COL_TIME: case COL_TIME2:
	case COL_DATETIME: case COL_DATETIME2: case COL_TIMESTAMP:
	case COL_TIMESTAMP2: case COL_ENUM:
		obuf_json_str(o, (const uint8_t *)v, n);
		return;
	}
	if (col->is_binary && col->form == COLFORM_NONE)
		obuf_base64(o, (const uint8_t *)v, n);
	else
		obuf_json_str(o, (const uint8_t *)v, n);
}

static void
rows_spans(struct reader *r, uint32_t ncols)
{
	struct span *s;
	int i;

	if (ncols <= r->spans_cap)
		return;
	for (i = 0; i < 2; i++) {
		if ((s = realloc(r->spans[i], ncols * sizeof(*s))) == NULL)
			fatal("row image spans");
		r->spans[i] = s;
	}
	r->spans_cap = ncols;
}

/* PARTIAL_UPDATE_ROWS' after image starts with value options and, for
 * partial JSON, one bit per JSON column of the image. */
static const uint8_t *
rows_partial_bits(struct cursor *c, const struct tablemap *tm,
    const uint8_t *present)
{
	uint32_t i, njson = 0;

	if ((cursor_lenenc(c) & 1) == 0)	/* PARTIAL_JSON_UPDATES */
		return NULL;
	for (i = 0; i < tm->ncols; i++)
		njson += ((present[i / 8] >> (i % 8)) & 1) &&
		    tm->cols[i].type == COL_JSON;
	return cursor_bytes(c, (njson + 7) / 8);
}

/* A partially updated JSON column: rebuilt from the before image when it
 * has the document; otherwise absent from data, its diffs in json_diffs. */
static int
rows_partial(struct reader *r, struct cursor *c, const struct tablemap *tm,
    uint32_t i, struct obuf *o)
{
	struct span *b = &r->spans[0][i];
	const char *before = b->present ? r->img[0].buf + b->off : NULL;
	struct obuf *d = &r->scratch;

	if (before != NULL && b->len == 4 && memcmp(before, "null", 4) == 0)
		before = NULL;
	if (before == NULL) {
		r->spans[1][i].present = false;
		if (d->len > 0)
			obuf_str(d, ",");
		column_key(d, tm, i);
		o = d;
	}
	if (jsondiff_apply(c, &tm->cols[i], before, before ? b->len : 0, o,
	    r->jd) == -1)
		return c->err ? -1 : rows_unsupported(r, tm, &tm->cols[i],
		    "has a JSON diff that does not apply to its before image");
	return 0;
}

/* How many of the first ncols bits of bitmap are set. */
static uint32_t
rows_bits(const uint8_t *bitmap, uint32_t ncols)
{
	uint32_t i, n = 0;

	for (i = 0; i < ncols / 8; i++)
		n += (uint32_t)__builtin_popcount(bitmap[i]);
	if (ncols % 8)
		n += (uint32_t)__builtin_popcount(bitmap[i] &
		    ((1u << (ncols % 8)) - 1));
	return n;
}

/* What all rows of an event share about one of their images: which
 * columns it has (all, as a rule), and so how long its null bitmap is. */
struct rows_shape {
	const uint8_t	*present;
	bool		 all;
	size_t		 nullbytes;
};

static inline bool
rows_bit(const uint8_t *bitmap, uint32_t i)
{
	return (bitmap[i / 8] >> (i % 8)) & 1;
}


/* Column i's key, after a comma unless it is the first, from its plan
 * (column_pair_key's, without reading struct column). */
static inline __attribute__((always_inline)) void
rows_key(struct obuf *o, const struct tablemap *tm, const struct colplan *p,
    uint32_t i, bool first)
{
	if (p->key_len == 0)
		column_pair_key(o, tm, i, first);
	else if (first)
		obuf_add_over(o, tm->json.buf + p->key_off, p->key_len);
	else
		obuf_add_over(o, tm->json.buf + p->key_off - 1, p->key_len + 1);
}

/*
 * Column i of an image, its null bit isnull and its partial-JSON bit
 * jbit: its value (after its key, keyed) at the end of o, its span in
 * sp.  A dropped column is decoded (to skip it) but not shown.  Inlined
 * into both of rows_image's loops.
 */
static inline __attribute__((always_inline)) int
rows_column(struct reader *r, struct cursor *c, const struct tablemap *tm,
    uint32_t i, bool isnull, bool jbit, struct obuf *o, struct span *sp,
    bool keyed, bool *first)
{
	const struct colplan *p = &tm->plan[i];
	size_t mark = o->len;

	if (keyed)
		rows_key(o, tm, p, i, *first);
	sp->off = o->len;
	sp->present = true;	/* rows_partial may say otherwise */
	if (isnull)
		obuf_lit(o, "null");
	else if (jbit) {
		if (rows_partial(r, c, tm, i, o) == -1)
			return -1;
	} else if (rows_op(r, c, tm, &tm->cols[i], p, o) == -1)
		return -1;
	if (c->err)
		return -1;
	sp->len = o->len - sp->off;
	if (keyed && p->dropped) {
		o->len = mark;
		sp->present = false;
	} else
		*first = false;
	return 0;
}

/* Decodes one row image (null bitmap over the present columns, then the
 * values): into img[which], or with keyed straight into the record as
 * "name":value pairs (an insert's or delete's only image: no copy).
 * The spans say where each value lies in the buffer written.  An image
 * of every column without partial JSON (as a rule) takes the short
 * loop: its null bits are its columns'.  Inlined where it is called,
 * keyed a constant at each place. */
static inline __attribute__((always_inline)) int
rows_image(struct reader *r, struct cursor *c, const struct tablemap *tm,
    const struct rows_shape *shape, int which, bool keyed)
{
	struct obuf *o = keyed ? &r->out : &r->img[which];
	struct span *sp = r->spans[which];
	const uint8_t *present = shape->present, *nulls, *partial = NULL;
	uint32_t i, ncols = tm->ncols, k = 0, j = 0;
	bool jbit, first = true;

	if (which == 1 && r->hdr.type == EV_PARTIAL_UPDATE_ROWS)
		partial = rows_partial_bits(c, tm, present);
	if ((nulls = cursor_bytes(c, shape->nullbytes)) == NULL)
		return -1;
	if (!keyed)
		o->len = 0;
	if (shape->all && partial == NULL) {
		for (i = 0; i < ncols; i++)
			if (rows_column(r, c, tm, i, rows_bit(nulls, i), false,
			    o, &sp[i], keyed, &first) == -1)
				return -1;
		return 0;
	}
	for (i = 0; i < ncols; i++) {
		if (!shape->all && !rows_bit(present, i)) {
			sp[i].present = false;
			continue;
		}
		jbit = partial != NULL && tm->plan[i].json &&
		    rows_bit(partial, j++);
		if (rows_column(r, c, tm, i, rows_bit(nulls, k++), jbit, o,
		    &sp[i], keyed, &first) == -1)
			return -1;
	}
	return 0;
}

static int
rows_bad(struct reader *r, const char *what)
{
	return reader_fail(r, BX_DECODE, "cannot decode %s event (type %u) at "
	    "%s:%llu: %s", event_type_name(r->hdr.type), r->hdr.type, r->file,
	    (unsigned long long)r->offset, what);
}

/* The rows event's header up to the column-present bitmaps. */
static struct tablemap *
rows_header(struct reader *r, struct cursor *c, bool v2, uint64_t *ncols)
{
	uint8_t type = r->hdr.type;
	size_t ph = type <= r->npost_header ? r->post_header[type - 1] : 0;
	uint64_t id, extra;
	struct tablemap *tm;

	id = cursor_uint(c, ph == 6 ? 4 : 6);
	cursor_bytes(c, 2);			/* flags */
	if (v2) {
		extra = cursor_uint(c, 2);
		cursor_bytes(c, extra >= 2 ? extra - 2 : 0);
	}
	*ncols = cursor_lenenc(c);
	if (c->err) {
		rows_bad(r, "header too short");
		return NULL;
	}
	if ((tm = tablemap_find(r, id)) == NULL) {
		rows_bad(r, "no TABLE_MAP for its table id");
		return NULL;
	}
	if (*ncols != tm->ncols) {
		rows_bad(r, "column count differs from its TABLE_MAP");
		return NULL;
	}
	return tm;
}

/* One row: its images, then its record -- or, where the record takes
 * its only image as it is, the image decoded into the record itself. */
static int
rows_row(struct reader *r, struct cursor *c, const struct tablemap *tm,
    const struct rows_shape shape[2], int kind)
{
	bool upd = kind == EV_UPDATE_ROWS || kind == EV_UPDATE_ROWS_V1 ||
	    kind == EV_PARTIAL_UPDATE_ROWS;

	switch (r->hooks->row_open(r, tm, kind)) {
	case -1:
		return -1;
	case 1:
		if (rows_image(r, c, tm, &shape[0], 0, true) == -1) {
			r->hooks->row_abort(r);
			return -1;
		}
		return r->hooks->row_close(r, tm);
	}
	if (rows_image(r, c, tm, &shape[0], 0, false) == -1 ||
	    (upd && rows_image(r, c, tm, &shape[1], 1, false) == -1))
		return -1;
	return r->hooks->row(r, tm, kind);
}

int
rows_decode(struct reader *r, struct cursor *c, int kind)
{
	bool v2 = kind >= EV_WRITE_ROWS;
	bool upd = kind == EV_UPDATE_ROWS || kind == EV_UPDATE_ROWS_V1 ||
	    kind == EV_PARTIAL_UPDATE_ROWS;
	bool del = kind == EV_DELETE_ROWS || kind == EV_DELETE_ROWS_V1;
	struct rows_shape shape[2];
	struct tablemap *tm;
	uint64_t ncols, nrows = 0;
	size_t at;
	uint32_t n;
	int i;

	if ((tm = rows_header(r, c, v2, &ncols)) == NULL)
		return -1;
	/* filter.c's choice: skipped before any value is decoded */
	if (tm->filtered || !r->hooks->want(upd ? FILTER_UPDATE : del ?
	    FILTER_DELETE : FILTER_INSERT))
		return 0;
	shape[0].present = cursor_bytes(c, (ncols + 7) / 8);
	shape[1].present = upd ? cursor_bytes(c, (ncols + 7) / 8) :
	    shape[0].present;
	if (c->err)
		return rows_bad(r, "column bitmaps overrun the event");
	for (i = 0; i < 2; i++) {
		n = rows_bits(shape[i].present, tm->ncols);
		shape[i].all = n == tm->ncols;
		shape[i].nullbytes = (n + 7) / 8;
	}
	/* log_bin_compress: the row images are zlib data */
	if (r->hdr.type > EV_MARIADB_QUERY_COMPRESSED &&
	    r->hdr.type <= EV_MARIADB_ROWS_COMPRESSED_LAST &&
	    compress_inflate(r, c) == -1)
		return -1;
	at = c->off + 1;
	rows_spans(r, tm->ncols);
	while (cursor_left(c) > 0) {
		/* a row with no column in its images takes no bytes: there
		 * would be no end to them */
		if (c->off == at)
			return rows_bad(r, "row images without columns");
		at = c->off;
		r->scratch.len = 0;
		if (rows_row(r, c, tm, shape, kind) == -1)
			return c->err ? rows_bad(r, "row image overruns the "
			    "event") : -1;
		nrows++;
	}
	if (r->hooks->rows_seen != NULL)
		r->hooks->rows_seen(kind, nrows);
	return c->err ? rows_bad(r, "truncated") : 0;
}
