/* record.c: the JSON record writer -- one reused output buffer, Maxwell
 * field names, one line per row, the last row of a transaction marked. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "dtoa.h"
#include "sink.h"
#include "streamer.h"
#include "util.h"

/* The slow path of obuf_reserve: room for n more bytes, by doubling. */
void
obuf_grow(struct obuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n <= b->cap)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	if ((p = realloc(b->buf, cap)) == NULL)
		fatal("output buffer of %zu bytes", cap);
	b->buf = p;
	b->cap = cap;
}

void
obuf_printf(struct obuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	obuf_reserve(b, 128);
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("obuf_printf: bad format");
	if ((size_t)n >= b->cap - b->len) {
		obuf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* "00" to "99", for writing numbers two digits at a time. */
const char obuf_pairs[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";


/* How many decimal digits v has: bits * log10(2) (1233 / 4096), one
 * short of it or exact, then one comparison.  v | 1 has as many digits
 * as v, and a bit length of at least one. */
static inline int
record_ndigits(uint64_t v)
{
	int t = (64 - __builtin_clzll(v | 1)) * 1233 >> 12;

	return t + ((v | 1) >= pow10_u64[t]);
}

static inline void
record_pair(char *d, uint32_t v)
{
	memcpy(d, obuf_pairs + 2 * v, 2);
}

/*
 * An unsigned decimal in at least width digits (zero-padded), as %0*llu
 * prints it, at d, without printf's format parsing: most values of most
 * rows are numbers.  Its length is known first, so the digits go to
 * their places from a table of pairs: past 32 bits eight per 64-bit
 * division, then two per 32-bit one.  d has room for 24 bytes, width
 * is at most 24; returns the end.
 */
char *
obuf_put_digits(char *d, uint64_t v, int width)
{
	int n = record_ndigits(v);
	uint32_t w;
	char *p;

	if (width > n) {
		memcpy(d, "000000000000000000000000", 24);
		d += width - n;
	}
	p = d + n;
	for (; v > UINT32_MAX; v /= 100000000) {
		w = (uint32_t)(v % 100000000);
		p -= 8;
		record_pair(p, w / 1000000);
		record_pair(p + 2, w / 10000 % 100);
		record_pair(p + 4, w / 100 % 100);
		record_pair(p + 6, w % 100);
	}
	for (w = (uint32_t)v; w >= 100; w /= 100) {
		p -= 2;
		record_pair(p, w % 100);
	}
	if (w >= 10)
		record_pair(p - 2, w);
	else
		p[-1] = (char)('0' + w);
	return d + n;
}

/* Width is at most 24, as it has always been. */
void
obuf_digits(struct obuf *b, uint64_t v, int width)
{
	obuf_reserve(b, 24);
	b->len = (size_t)(obuf_put_digits(b->buf + b->len, v,
	    width < 24 ? width : 24) - b->buf);
}

void
obuf_uint(struct obuf *b, uint64_t v)
{
	obuf_reserve(b, 20);
	b->len = (size_t)(obuf_put_digits(b->buf + b->len, v, 1) - b->buf);
}

void
obuf_int(struct obuf *b, int64_t v)
{
	obuf_reserve(b, 21);
	if (v < 0)
		b->buf[b->len++] = '-';
	b->len = (size_t)(obuf_put_digits(b->buf + b->len,
	    v < 0 ? -(uint64_t)v : (uint64_t)v, 1) - b->buf);
}

/* Length of the valid UTF-8 sequence at s (2..4; s[0] >= 0x80), or 0 if
 * invalid.  The lead byte rules out most overlong forms; its second byte
 * the rest, and surrogates and values past U+10FFFF. */
static size_t
record_utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2, i;

	if (c < 0xc2 || c > 0xf4 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* The escape of an ASCII byte that is not plain, at d; its length. */
static size_t
record_escape(char *d, uint8_t ch)
{
	static const char hex[] = "0123456789abcdef";

	d[0] = '\\';
	switch (ch) {
	case '"':	d[1] = '"'; return 2;
	case '\\':	d[1] = '\\'; return 2;
	case '\n':	d[1] = 'n'; return 2;
	case '\t':	d[1] = 't'; return 2;
	case '\r':	d[1] = 'r'; return 2;
	}
	memcpy(d + 1, "u00", 3);
	d[4] = hex[ch >> 4];
	d[5] = hex[ch & 15];
	return 6;
}

#ifdef __SSE2__
/* The bytes of v that are not plain, one bit each.  As signed bytes,
 * those with the high bit set (UTF-8) are below 0x20 too. */
static inline unsigned
record_bad16(__m128i v)
{
	__m128i bad = _mm_or_si128(
	    _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))),
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return (unsigned)_mm_movemask_epi8(bad);
}

/*
 * Copies the plain bytes from s on to d, sixteen a step, and says how
 * many there were.  Each step stores all sixteen before it looks: d must
 * have room for n + 16.  The last step reads the rest through a copy
 * padded with plain bytes, not past s + n.
 */
static inline size_t
record_plain_copy(char *d, const uint8_t *s, size_t n)
{
	char t[16];
	unsigned bad;
	__m128i v;
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(s + i));
		_mm_storeu_si128((__m128i *)(d + i), v);
		if ((bad = record_bad16(v)) != 0)
			return i + (size_t)__builtin_ctz(bad);
	}
	if (i == n)
		return n;
	_mm_storeu_si128((__m128i *)t, _mm_set1_epi8(' '));
	obuf_copy_small(t, s + i, n - i);
	v = _mm_loadu_si128((const __m128i *)t);
	_mm_storeu_si128((__m128i *)(d + i), v);
	bad = record_bad16(v);
	return bad != 0 ? i + (size_t)__builtin_ctz(bad) : n;
}
#else
/* Bytes a JSON string holds as they are: printable ASCII but " and \. */
static bool
record_plain(uint8_t ch)
{
	return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}

/* Whether a word has a byte below 0x20, one of '"', '\\', 0x7f or one
 * with the high bit.  With the high bits clear, each sum and difference
 * below sets a byte's high bit exactly when that byte is a bad one (or
 * a lower byte of the word is), so the test is exact for the word. */
static inline bool
record_bad8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;

	return ((w | (w + ones) | (w - ones * 0x20) |
	    ((w ^ ones * '"') - ones) | ((w ^ ones * '\\') - ones)) & high) != 0;
}

/* Copies the plain bytes from s on to d, eight at a time while a word
 * has none other; says how many there were. */
static size_t
record_plain_copy(char *d, const uint8_t *s, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (record_bad8(w))
			break;
	}
	while (i < n && record_plain(s[i]))
		i++;
	memcpy(d, s, i);
	return i;
}
#endif

/* MySQL's latin1 is cp1252: these are its 0x80-0x9f. */
static const uint16_t record_cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

/* A latin1 byte from 0x80 on as UTF-8 at d; its length. */
static size_t
record_latin1_utf8(char *d, uint8_t ch)
{
	uint32_t cp = ch < 0xa0 ? record_cp1252[ch - 0x80] : ch;

	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	d[0] = (char)(0xe0 | cp >> 12);
	d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/*
 * Text as the inside of a JSON string: control characters as \u00XX,
 * latin1 or UTF-8 (invalid: U+FFFD) from the high bytes.  Runs of plain
 * ASCII, most of most strings, are copied as they are scanned; the room
 * that needs, 16 bytes past what is left of the input, is kept up from
 * the start, and each escape of up to 6 bytes reserves its excess.
 */
static void
record_json_run(struct obuf *b, const uint8_t *s, size_t n, bool latin1)
{
	size_t i = 0, l;
	char *d;

	obuf_reserve(b, n + 16);
	d = b->buf + b->len;
	for (;;) {
		l = record_plain_copy(d, s + i, n - i);
		i += l;
		d += l;
		if (i == n)
			break;
		if (!latin1 && s[i] >= 0x80 &&
		    (l = record_utf8_len(s + i, n - i)) > 0) {
			if (n - i >= 4)
				memcpy(d, s + i, 4);
			else
				obuf_copy_small(d, s + i, l);
			i += l;
			d += l;
			continue;
		}
		b->len = (size_t)(d - b->buf);
		obuf_reserve(b, n - i + 6 + 16);
		d = b->buf + b->len;
		if (s[i] < 0x80)
			d += record_escape(d, s[i]);
		else if (latin1)
			d += record_latin1_utf8(d, s[i]);
		else {
			memcpy(d, "\\ufffd", 6);
			d += 6;
		}
		i++;
	}
	b->len = (size_t)(d - b->buf);
}

/* Text (UTF-8, or latin1 to convert) escaped between quotes, each
 * written into the 16 bytes of room record_json_run keeps. */
static void
record_json_quoted(struct obuf *b, const uint8_t *s, size_t n, bool latin1)
{
	obuf_reserve(b, n + 17);
	b->buf[b->len++] = '"';
	record_json_run(b, s, n, latin1);
	b->buf[b->len++] = '"';
}

/* A JSON string: its text, escaped, between quotes. */
void
obuf_json_str(struct obuf *b, const uint8_t *s, size_t n)
{
	record_json_quoted(b, s, n, false);
}

/* What obuf_json_str writes between the quotes. */
void
obuf_json_text(struct obuf *b, const uint8_t *s, size_t n)
{
	record_json_run(b, s, n, false);
}

/* A latin1 string as a JSON string (UTF-8). */
void
obuf_json_latin1(struct obuf *b, const uint8_t *s, size_t n)
{
	record_json_quoted(b, s, n, true);
}

/* A quoted base64 string (RFC 4648, with padding). */
void
obuf_base64(struct obuf *b, const uint8_t *s, size_t n)
{
	obuf_reserve(b, (n + 2) / 3 * 4 + 2);
	obuf_add(b, "\"", 1);
	obuf_base64_bare(b, s, n);
	obuf_add(b, "\"", 1);
}

/* Base64 without quotes, for values that prefix it (JSON opaques). */
void
obuf_base64_bare(struct obuf *b, const uint8_t *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	uint32_t v;
	char *o;

	obuf_reserve(b, (n + 2) / 3 * 4);
	o = b->buf + b->len;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	b->len = (size_t)(o - b->buf);
}

/* Where records go and in which format: stdout and maxwell unless the
 * streamer chose others (binlogcat never does). */
static struct sink	 record_stdout = { .ops = &sink_stdout_ops };
static struct sink	*record_sink = &record_stdout;
static const struct format_ops *record_format = &format_maxwell;
/* The pending record's table and primary key, for a per-record sink. */
/* Per formatting thread (parallel.c), like the state below. */
static __thread const struct tablemap *record_tm;
static __thread struct obuf record_key;
static __thread uint64_t record_event_at;	/* offset of the rows event */
static __thread uint32_t record_rowno;		/* row within that event */

void
record_set_sink(struct sink *s)
{
	record_sink = s;
}

/* The record formats: the one list of their names. */
const struct format_ops *const format_registry[] = {
	&format_maxwell,
	&format_debezium,
	NULL,
};

const struct format_ops *
format_find(const char *name)
{
	const struct format_ops *const *f;

	for (f = format_registry; *f != NULL; f++)
		if (strcmp((*f)->name, name) == 0)
			return *f;
	return NULL;
}

int
record_set_format(const char *name)
{
	const struct format_ops *f = format_find(name);

	if (f == NULL)
		return -1;
	record_format = f;
	return 0;
}

static int
record_sink_fail(struct reader *r)
{
	if (record_sink->errored != NULL)
		record_sink->errored();
	return reader_fail(r, BX_FAILURE, "%s sink: %s",
	    record_sink->ops->name, record_sink->error);
}

/* Hands o's bytes to the sink: one record of table tm with its key, or
 * (tm NULL) a run of lines. */
static int
record_send(struct reader *r, const struct tablemap *tm, const struct obuf *o)
{
	struct sink_rec rec;

	memset(&rec, 0, sizeof(rec));
	if (tm != NULL) {
		rec.db = tm->db;
		rec.table = tm->table;
		rec.key = record_key.len > 0 ? record_key.buf : NULL;
		rec.keylen = record_key.len;
	}
	rec.buf = o->buf;
	rec.len = o->len;
	if (record_sink->ops->write(record_sink, &rec) == -1)
		return record_sink_fail(r);
	return 0;
}

/* Hands the buffer's records to the sink and empties it. */
static int
record_write(struct reader *r, const struct tablemap *tm)
{
	int rc = record_send(r, tm, &r->out);

	r->out.len = 0;
	return rc;
}

/* A per-record sink gets each record as soon as it is whole. */
static int
record_emit(struct reader *r)
{
	return record_sink->ops->per_record ? record_write(r, record_tm) : 0;
}

/* Closes the row that was waiting to learn whether it ends its
 * transaction: it does not. */
static int
record_close_pending(struct reader *r)
{
	if (!r->row_pending)
		return 0;
	obuf_add(&r->out, "}\n", 2);
	r->row_pending = false;
	return record_emit(r);
}

/* The row's primary key as a JSON object, from the image that has the
 * row (after for an insert or update, before for a delete). */
static void
record_pk(struct reader *r, const struct tablemap *tm, int which,
    const struct obuf *img)
{
	const struct span *sp;
	uint32_t i;

	record_key.len = 0;
	for (i = 0; i < tm->ncols; i++) {
		sp = &r->spans[which][i];
		if (!tm->cols[i].pk || !sp->present)
			continue;
		obuf_str(&record_key, record_key.len == 0 ? "{" : ",");
		record_name_key(&record_key, tm, i);
		obuf_add(&record_key, img->buf + sp->off, sp->len);
	}
	if (record_key.len > 0)
		obuf_add(&record_key, "}", 1);
}

/* The table's names as JSON text, escaped once per TABLE_MAP rather than
 * once per row: "db" and "table", then each column's "name": key after
 * a comma, so that a pair after the first takes both in one copy. */
void
record_names(struct tablemap *tm)
{
	struct obuf *j = &tm->json;
	struct column *col;
	uint32_t i;
	size_t at;

	j->len = 0;
	obuf_json_str(j, (const uint8_t *)tm->db, strlen(tm->db));
	tm->db_json = (uint32_t)j->len;
	obuf_json_str(j, (const uint8_t *)tm->table, strlen(tm->table));
	tm->table_json = (uint32_t)(j->len - tm->db_json);
	for (i = 0; i < tm->ncols; i++) {
		col = &tm->cols[i];
		obuf_add(j, ",", 1);
		at = j->len;
		obuf_json_str(j, (const uint8_t *)col->name, strlen(col->name));
		obuf_add(j, ":", 1);
		col->key_off = (uint32_t)at;
		col->key_len = (uint32_t)(j->len - at);
	}
}

/* The annotated statement as a JSON string: every row of the statement
 * carries it, so the escaped text is kept while the statement lasts. */
void
record_query(struct obuf *o, const struct obuf *q)
{
	static __thread struct obuf raw, json;

	if (raw.len != q->len || memcmp(raw.buf, q->buf, q->len) != 0) {
		raw.len = json.len = 0;
		obuf_add(&raw, q->buf, q->len);
		obuf_json_str(&json, (const uint8_t *)q->buf, q->len);
	}
	obuf_add(o, json.buf, json.len);
}

/* What every row's record does first: close the one before, hand a full
 * buffer on, count the row within its event. */
static int
record_row_prelude(struct reader *r, const struct tablemap *tm)
{
	if (record_close_pending(r) == -1)
		return -1;
	if (!r->detached && r->out.len >= OBUF_FLUSH_AT &&
	    record_flush(r) == -1)
		return -1;
	record_rowno = record_event_at == r->offset ? record_rowno + 1 : 0;
	record_event_at = r->offset;
	record_tm = tm;
	r->row_at = r->out.len;
	return 0;
}

/* One decoded row (its images in r->img) as a record in the chosen
 * format, left pending until the next record or the commit. */
int
record_row(struct reader *r, const struct tablemap *tm, int kind)
{
	bool upd = kind == EV_UPDATE_ROWS || kind == EV_UPDATE_ROWS_V1 ||
	    kind == EV_PARTIAL_UPDATE_ROWS;
	bool del = kind == EV_DELETE_ROWS || kind == EV_DELETE_ROWS_V1;

	if (record_row_prelude(r, tm) == -1)
		return -1;
	if (record_sink->ops->per_record)
		record_pk(r, tm, upd ? 1 : 0, &r->img[upd ? 1 : 0]);
	record_format->row(r, tm, upd ? FORMAT_UPDATE : del ? FORMAT_DELETE :
	    FORMAT_INSERT, record_rowno);
	r->row_pending = true;
	return 0;
}

/*
 * An insert or delete whose format takes its one image unchanged
 * (format_ops.open): 1 when its record is begun, up to its opening
 * brace, for the decoder to write the image's "name":value pairs into
 * r->out (then record_row_close); 0 when the row goes through r->img and
 * record_row.
 */
int
record_row_open(struct reader *r, const struct tablemap *tm, int kind)
{
	if (record_format->open == NULL || kind == EV_UPDATE_ROWS ||
	    kind == EV_UPDATE_ROWS_V1 || kind == EV_PARTIAL_UPDATE_ROWS)
		return 0;
	if (record_row_prelude(r, tm) == -1)
		return -1;
	record_format->open(r, tm, kind == EV_DELETE_ROWS ||
	    kind == EV_DELETE_ROWS_V1 ? FORMAT_DELETE : FORMAT_INSERT);
	return 1;
}

int
record_row_close(struct reader *r, const struct tablemap *tm)
{
	obuf_add(&r->out, "}", 1);
	if (record_sink->ops->per_record)
		record_pk(r, tm, 0, &r->out);
	r->row_pending = true;
	return 0;
}

/* The image did not decode: no half record stays in the buffer (unless
 * a long value already sent part of it: the stream stops there). */
void
record_row_abort(struct reader *r)
{
	if (r->row_at <= r->out.len)
		r->out.len = r->row_at;
}

/* Whether a long value written into o may go to the sink in pieces:
 * o is the record buffer and the sink takes bytes, not whole records. */
bool
record_drains(const struct reader *r, const struct obuf *o)
{
	return o == &r->out && !record_sink->ops->per_record && !r->detached;
}

/* Whether rows may be formatted apart from the buffer (parallel.c): a
 * per-record sink takes each record as it is made. */
bool
record_joinable(void)
{
	return !record_sink->ops->per_record;
}

/* Records formatted apart (parallel.c), in binlog order after the
 * pending record: the whole ones handed to the byte sink from where they
 * are, without a copy into the buffer; an open last one (pending, from
 * offset at) is copied into the buffer, where its end and the commit's
 * mark follow, so that the sink never holds half a record if the stream
 * stops first. */
int
record_join(struct reader *r, const struct obuf *o, bool pending,
    size_t at)
{
	struct obuf whole = *o;

	if (o->len == 0)
		return 0;
	if (record_close_pending(r) == -1)
		return -1;
	if (pending)
		whole.len = at;
	if ((whole.len > 0 || r->out.len >= OBUF_FLUSH_AT) &&
	    record_flush(r) == -1)
		return -1;
	if (whole.len > 0 && record_send(r, NULL, &whole) == -1)
		return -1;
	r->row_at = r->out.len;
	obuf_add(&r->out, o->buf + whole.len, o->len - whole.len);
	r->row_pending = pending;
	return 0;
}

/* Hands a long value's text to the sink once there is a block of it. */
int
record_drain(struct reader *r)
{
	return r->out.len >= OBUF_FLUSH_AT ? record_write(r, NULL) : 0;
}

/*
 * A DDL statement ([filter] events has ddl) as a record of its own, left
 * pending like a row.  Maxwell's form names what the statement changes
 * (table-alter, database-create, ...: ddl_classify); for a per-record sink
 * its table is "_ddl", so all of a database's DDL shares one topic.
 */
int
record_ddl(struct reader *r, const uint8_t *db, size_t dblen,
    const uint8_t *sql, size_t len)
{
	static struct tablemap topic = { .table = "_ddl" }, shown;
	struct ddl d;

	if (record_close_pending(r) == -1)
		return -1;
	memcpy(d.db, db, dblen < sizeof(d.db) ? dblen : 0);
	d.db[dblen < sizeof(d.db) ? dblen : 0] = '\0';
	ddl_classify(sql, len, &d);
	strlcpy_(topic.db, d.db, sizeof(topic.db));
	strlcpy_(shown.db, d.db, sizeof(shown.db));
	strlcpy_(shown.table, d.table, sizeof(shown.table));
	record_tm = &topic;
	record_key.len = 0;
	r->row_at = r->out.len;
	record_format->ddl(r, &topic, &shown, d.type, sql, len);
	r->row_pending = true;
	return 0;
}

/* The input ended inside a transaction: its rows go out unmarked. */
int
record_close(struct reader *r)
{
	if (par_sync(r) == -1 || record_close_pending(r) == -1)
		return -1;
	return record_flush(r);
}

/* The transaction committed: mark its last row (in a format that has
 * marks), write everything out. */
int
record_commit(struct reader *r, bool have_xid, uint64_t xid)
{
	if (r->row_pending && record_format->commit != NULL &&
	    filter_event(FILTER_COMMIT))
		record_format->commit(r, have_xid, xid);
	if (record_close_pending(r) == -1)
		return -1;
	return record_flush(r);
}

/* Hands the whole records in the buffer to a byte sink. */
int
record_flush(struct reader *r)
{
	if (r->out.len == 0 || record_sink->ops->per_record)
		return 0;
	return record_write(r, NULL);
}

/* The transaction's records are written: the sink reports pos once they
 * are durable. */
int
record_publish(struct reader *r, const struct position *pos, bool force)
{
	if (record_sink->ops->commit(record_sink, pos, force) == -1)
		return record_sink_fail(r);
	return 0;
}
