/* obuf.c: the growable output buffer and its JSON writers -- numbers
 * (digits counted first, written in place), strings escaped in one pass
 * that copies as it scans (the bulk in obuf_simd.c), latin1/cp1252 to
 * UTF-8, base64 -- shared by the decoder, which writes values, and the
 * record formats, which write the envelopes around them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "dtoa.h"
#include "binlog_int.h"

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
obuf_ndigits(uint64_t v)
{
	int t = (64 - __builtin_clzll(v | 1)) * 1233 >> 12;

	return t + ((v | 1) >= pow10_u64[t]);
}

static inline void
obuf_pair(char *d, uint32_t v)
{
	memcpy(d, obuf_pairs + 2 * v, 2);
}

/* v < 10000 in four digits: a division by 100 (a multiply), two pairs. */
static inline void
obuf_four(char *d, uint32_t v)
{
	obuf_pair(d, v / 100);
	obuf_pair(d + 2, v % 100);
}

/*
 * An unsigned decimal in at least width digits (zero-padded), as %0*llu
 * prints it, at d, without printf's format parsing: most values of most
 * rows are numbers.  Its length is known first, so the digits go to
 * their places from a table of pairs, four at a time (one division of
 * four digits by 100): past 32 bits eight per 64-bit division, then
 * four per 32-bit one, then a pair and the last one or two.  d has room for 24 bytes, width
 * is at most 24; returns the end.
 */
char *
obuf_put_digits(char *d, uint64_t v, int width)
{
	int n = obuf_ndigits(v);
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
		obuf_four(p, w / 10000);
		obuf_four(p + 4, w % 10000);
	}
	for (w = (uint32_t)v; w >= 10000; w /= 10000) {
		p -= 4;
		obuf_four(p, w % 10000);
	}
	if (w >= 100) {
		p -= 2;
		obuf_pair(p, w % 100);
		w /= 100;
	}
	if (w >= 10)
		obuf_pair(p - 2, w);
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


/* Length of the valid UTF-8 sequence at s (2..4; s[0] >= 0x80), or 0 if
 * invalid.  The lead byte rules out most overlong forms; its second byte
 * the rest, and surrogates and values past U+10FFFF. */
static size_t
obuf_utf8_len(const uint8_t *s, size_t n)
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

/* MySQL's latin1 is cp1252: these are its 0x80-0x9f. */
static const uint16_t obuf_cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

/* A latin1 byte from 0x80 on as UTF-8 at d; its length. */
static size_t
obuf_latin1_utf8(char *d, uint8_t ch)
{
	uint32_t cp = ch < 0xa0 ? obuf_cp1252[ch - 0x80] : ch;

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
 * latin1 or UTF-8 (invalid: U+FFFD) from the high bytes.  obuf_simd's
 * paths take the bulk (UTF-8's escapes too, in the room past what the
 * rest needs), and this loop the character each stops at.  The room
 * they need, OBUF_SLACK past what is left of the input (twice that in
 * latin1), is kept up from the start; an escape here reserves twice
 * the rest, so that the next ones find room.  Inlined into each writer,
 * latin1 a constant there (a call of its own cost as much as a short
 * text's blocks).
 */
static inline __attribute__((always_inline)) void
obuf_json_run(struct obuf *b, const uint8_t *s, size_t n, bool latin1)
{
	size_t i = 0, l, o, w = latin1 ? 2 : 1;
	char *d;

	obuf_reserve(b, w * n + OBUF_SLACK);
	d = b->buf + b->len;
	for (;;) {
		if (latin1)
			l = obuf_simd->latin1(d, s + i, n - i, &o);
		else
			l = obuf_simd->utf8(d, b->cap - (size_t)(d - b->buf) -
			    (n - i) - OBUF_SLACK, s + i, n - i, &o);
		i += l;
		d += o;
		if (i == n)
			break;
		/* a valid character before the error a block found */
		if (!latin1 && (l = s[i] < 0x80 ? obuf_plain(s[i]) :
		    obuf_utf8_len(s + i, n - i)) > 0) {
			if (n - i >= 4)
				memcpy(d, s + i, 4);
			else
				obuf_copy_small(d, s + i, l);
			i += l;
			d += l;
			continue;
		}
		b->len = (size_t)(d - b->buf);
		obuf_reserve(b, 2 * (n - i) + 6 + OBUF_SLACK);
		d = b->buf + b->len;
		if (s[i] < 0x80)
			d += obuf_escape(d, s[i]);
		else if (latin1)
			d += obuf_latin1_utf8(d, s[i]);
		else {
			memcpy(d, "\\ufffd", 6);
			d += 6;
		}
		i++;
	}
	b->len = (size_t)(d - b->buf);
}

/* Text (UTF-8, or latin1 to convert) escaped between quotes, each
 * written into the room obuf_json_run keeps. */
static inline __attribute__((always_inline)) void
obuf_json_quoted(struct obuf *b, const uint8_t *s, size_t n, bool latin1)
{
	obuf_reserve(b, n + 1 + OBUF_SLACK);
	b->buf[b->len++] = '"';
	obuf_json_run(b, s, n, latin1);
	b->buf[b->len++] = '"';
}

/* A JSON string: its text, escaped, between quotes. */
void
obuf_json_str(struct obuf *b, const uint8_t *s, size_t n)
{
	obuf_json_quoted(b, s, n, false);
}

/* What obuf_json_str writes between the quotes. */
void
obuf_json_text(struct obuf *b, const uint8_t *s, size_t n)
{
	obuf_json_run(b, s, n, false);
}

/* A latin1 string as a JSON string (UTF-8). */
void
obuf_json_latin1(struct obuf *b, const uint8_t *s, size_t n)
{
	obuf_json_quoted(b, s, n, true);
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
	i = obuf_simd->base64(o, s, n);
	o += i / 3 * 4;
	for (; i + 2 < n; i += 3) {
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

