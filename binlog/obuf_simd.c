/* obuf_simd.c: the bulk of obuf.c's JSON strings and base64 sixteen or
 * thirty-two bytes a step -- the longest prefix of a text that is valid
 * UTF-8 with nothing to escape, latin1 to UTF-8, base64 -- with SSE4.2 or
 * AVX2 as the CPU has them (chosen once, at start), and the portable
 * words-of-eight path beside them that says the same.  obuf.c does, one
 * character at a time, whatever these stop at; tests/unit/test_obuf.c
 * holds every level to the same output. */
#include <stdint.h>
#include <string.h>

#include "binlog_int.h"
#include "util.h"

#if defined(__x86_64__) || defined(__i386__)
#define OBUF_X86 1
#include <immintrin.h>
#endif

/* Whether a word has a byte below 0x20, one of '"', '\\', 0x7f or one
 * with the high bit.  With the high bits clear, each sum and difference
 * below sets a byte's high bit exactly when that byte is a bad one (or
 * a lower byte of the word is), so the test is exact for the word. */
static inline bool
obuf_bad8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;

	return ((w | (w + ones) | (w - ones * 0x20) |
	    ((w ^ ones * '"') - ones) | ((w ^ ones * '\\') - ones)) & high) != 0;
}

/* Each ASCII byte's escape: its length, then its text (made once). */
static char obuf_esc[128][8];

static void
obuf_esc_init(void)
{
	static const char hex[] = "0123456789abcdef";
	unsigned ch;
	char *e;

	for (ch = 0; ch < 128; ch++) {
		e = obuf_esc[ch];
		e[0] = 2;
		e[1] = '\\';
		switch (ch) {
		case '"':	e[2] = '"'; continue;
		case '\\':	e[2] = '\\'; continue;
		case '\n':	e[2] = 'n'; continue;
		case '\t':	e[2] = 't'; continue;
		case '\r':	e[2] = 'r'; continue;
		}
		e[0] = 6;
		memcpy(e + 2, "u00", 3);
		e[5] = hex[ch >> 4];
		e[6] = hex[ch & 15];
	}
}

/* The escape of an ASCII byte that is not plain, at d (which has room
 * for 6); its length. */
size_t
obuf_escape(char *d, uint8_t ch)
{
	memcpy(d, obuf_esc[ch] + 1, 6);
	return (size_t)obuf_esc[ch][0];
}

/* The portable path: the plain ASCII bytes from s on, eight at a time
 * while a word has none other, copied to d; how many there were.  UTF-8
 * and latin1 are left to obuf.c, a character at a time. */
static size_t
obuf_scalar_ascii(char *d, const uint8_t *s, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (obuf_bad8(w))
			break;
	}
	while (i < n && obuf_plain(s[i]))
		i++;
	memcpy(d, s, i);
	return i;
}

static size_t
obuf_scalar_utf8(char *d, size_t extra UNUSED, const uint8_t *s, size_t n,
    size_t *out)
{
	return *out = obuf_scalar_ascii(d, s, n);
}

static size_t
obuf_scalar_latin1(char *d, const uint8_t *s, size_t n, size_t *out)
{
	return *out = obuf_scalar_ascii(d, s, n);
}

static size_t
obuf_scalar_base64(char *d UNUSED, const uint8_t *s UNUSED, size_t n UNUSED)
{
	return 0;
}

#ifdef OBUF_X86
/*
 * UTF-8 validation by lookup tables (Keiser and Lemire, "Validating UTF-8
 * in less than one instruction per byte", 2021): each byte with the one
 * before it is looked up by three nibbles, the high and low of the one
 * before and the high of itself, in three tables of error bits; a byte is
 * wrong where the three agree on a bit.  The second and third bytes after
 * a 3- and 4-byte lead must be continuations, and no others past the
 * first: what the tables cannot see, two shifted compares do.
 */
#define KL_TOO_SHORT	(1 << 0)	/* a lead, then no continuation */
#define KL_TOO_LONG	(1 << 1)	/* ASCII, then a continuation */
#define KL_OVERLONG_3	(1 << 2)
#define KL_TOO_LARGE	(1 << 3)	/* past U+10FFFF */
#define KL_SURROGATE	(1 << 4)
#define KL_OVERLONG_2	(1 << 5)
#define KL_TOO_LARGE_1000 (1 << 6)
#define KL_OVERLONG_4	(1 << 6)
#define KL_TWO_CONTS	(1 << 7)	/* two continuations: 3rd or 4th byte */
#define KL_CARRY	(KL_TOO_SHORT | KL_TOO_LONG | KL_TWO_CONTS)
#define KL_CONT_HIGH	(KL_TOO_LONG | KL_OVERLONG_2 | KL_TWO_CONTS)

static const int8_t kl_byte1_high[16] = {
	KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG,
	KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG,
	KL_TWO_CONTS, KL_TWO_CONTS, KL_TWO_CONTS, KL_TWO_CONTS,
	KL_TOO_SHORT | KL_OVERLONG_2,
	KL_TOO_SHORT,
	KL_TOO_SHORT | KL_OVERLONG_3 | KL_SURROGATE,
	KL_TOO_SHORT | KL_TOO_LARGE | KL_TOO_LARGE_1000 | KL_OVERLONG_4,
};
static const int8_t kl_byte1_low[16] = {
	KL_CARRY | KL_OVERLONG_3 | KL_OVERLONG_2 | KL_OVERLONG_4,
	KL_CARRY | KL_OVERLONG_2,
	KL_CARRY,
	KL_CARRY,
	KL_CARRY | KL_TOO_LARGE,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000 | KL_SURROGATE,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
	KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,
};
static const int8_t kl_byte2_high[16] = {
	KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT,
	KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT,
	KL_CONT_HIGH | KL_OVERLONG_3 | KL_TOO_LARGE_1000 | KL_OVERLONG_4,
	KL_CONT_HIGH | KL_OVERLONG_3 | KL_TOO_LARGE,
	KL_CONT_HIGH | KL_SURROGATE | KL_TOO_LARGE,
	KL_CONT_HIGH | KL_SURROGATE | KL_TOO_LARGE,
	KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT,
};

/*
 * Where a block's valid prefix ends, from its masks (bit i: byte i):
 * err, the bytes in error; lead, the bytes that start a character;
 * complete, whether the block's last character ends in it.  A block
 * starts at a character, with "ASCII" before it.  Bytes before the first
 * error are valid, but the character that one ends (a lead cut short is
 * seen at the byte after it) is not: the prefix stops at the last start
 * of a character before the first error.  Without one, at the end, or at
 * the start of the character the block cuts.
 */
static inline unsigned
obuf_block_end(uint32_t err, uint32_t lead, bool complete, unsigned size)
{
	uint32_t below = lead;

	if (err == 0 && complete)
		return size;
	if (err != 0)
		below &= (1u << __builtin_ctz(err)) - 1;
	return below == 0 ? 0 : 31 - (unsigned)__builtin_clz(below);
}

/* The first l bytes (at most two steps) of the block at src, with the
 * escapes esc, as JSON at d, a step at a time by quotes (given the bits
 * of q from the step's first byte on), if every escape is " or \ (q):
 * the bytes written; 0 if not.  Inlined into each level's, the second
 * step a branch, not a loop (whose counters the registers lacked). */
static inline __attribute__((always_inline)) unsigned
obuf_quotes(char *d, const uint8_t *src, unsigned l, uint32_t esc,
    uint32_t q, unsigned step,
    unsigned (*quotes)(char *, const uint8_t *, uint32_t))
{
	unsigned w;

	if ((esc & ~q) != 0)
		return 0;
	w = quotes(d, src, q);
	if (l > step)
		quotes(d + w, src + step, q >> step);
	return l + (unsigned)__builtin_popcount(esc);
}

/*
 * The escapes of a block whose first l bytes at src are valid UTF-8,
 * stored as they are at d + *o.  When every escape is " or \ (JSON text
 * in a string: most escapes) and *extra has a block's room (they add at
 * most l bytes; OBUF_SLACK covers the stores past them), quotes writes
 * the l bytes again with theirs, 8 or 16 bytes a step.  Otherwise
 * after each escape the rest of the block is stored again, at its place
 * after it (src has 2 * size bytes to read, d the room).  An escape
 * writes up to 5 bytes more than it reads, out of *extra, the room past
 * what the rest of the text needs: without 5 of it, the block stops at
 * that escape, for obuf.c to make room.  Advances *o by what was
 * written; returns the bytes taken.
 */
static inline __attribute__((always_inline)) unsigned
obuf_block_escapes(char *d, size_t *o, const uint8_t *src, unsigned l,
    uint32_t esc, size_t *extra, unsigned size,
    unsigned (*quotes)(char *, const uint8_t *, unsigned, uint32_t))
{
	/* src[i] is at d[i + at] until the next escape */
	size_t at = *o, room = *extra + at;
	unsigned e, w;
	uint8_t ch;

	if (room >= at + size && (w = quotes(d + at, src, l, esc)) != 0) {
		*extra = room - (at + w - l);
		*o = at + w;
		return l;
	}
	for (; esc != 0; esc &= esc - 1) {
		e = (unsigned)__builtin_ctz(esc);
		if (room < at + 5) {
			l = e;
			break;
		}
		ch = src[e];
		if (ch == '"' || ch == '\\') {
			d[at + e] = '\\';
			d[at + e + 1] = (char)ch;
			at++;
		} else
			at += obuf_escape(d + at + e, ch) - 1;
		memcpy(d + at + e + 1, src + e + 1, size);
	}
	*extra = room - at;
	*o = at + l;
	return l;
}

/*
 * Runs the blocks of size from s that are valid UTF-8, escapes written
 * as they come: the input taken, *out the bytes written.  A block that
 * ends inside a character is taken up to it, and the next begins there.
 * Blocks are read in place while two blocks' worth are left, then from
 * a copy of the rest padded with spaces.  d has room for n + OBUF_SLACK
 * + extra.  Inlined into each level's caller, block and quotes with
 * it: block stores size bytes from src at d, says how many are valid
 * (obuf_block_end) and which are escapes; quotes is
 * obuf_block_escapes's path for " and \.
 */
static inline __attribute__((always_inline)) size_t
obuf_utf8_blocks(char *d, size_t extra, const uint8_t *s, size_t n,
    size_t *out, unsigned size,
    unsigned (*block)(char *, const uint8_t *, uint32_t *),
    unsigned (*quotes)(char *, const uint8_t *, unsigned, uint32_t))
{
	const uint8_t *src;
	uint8_t t[128];
	size_t i = 0, o = 0, t0 = SIZE_MAX;
	uint32_t esc;
	unsigned l;

	while (i < n) {
		if (n - i >= 2 * size)
			src = s + i;
		else {
			if (t0 == SIZE_MAX) {
				memset(t, ' ', 4 * size);
				memcpy(t, s + i, n - i);
				t0 = i;
			}
			src = t + (i - t0);
		}
		l = block(d + o, src, &esc);
		if (l > n - i)
			l = (unsigned)(n - i);
		esc &= l >= 32 ? ~0u : (1u << l) - 1;
		if (esc != 0)
			l = obuf_block_escapes(d, &o, src, l, esc, &extra, size,
			    quotes);
		else
			o += l;
		i += l;
		if (l + 3 < size && i < n)
			break;
	}
	*out = o;
	return i;
}

/* ------------------------------------------------------------ SSE4.2 */

#define SSE __attribute__((target("sse4.2")))

static inline SSE __m128i
sse_table(const int8_t *t)
{
	return _mm_loadu_si128((const __m128i *)t);
}

/* The error bytes of a block that starts a character. */
static inline SSE __m128i
sse_utf8_errors(__m128i in)
{
	const __m128i lo4 = _mm_set1_epi8(0x0f), z = _mm_setzero_si128();
	__m128i prev1 = _mm_alignr_epi8(in, z, 15);
	__m128i prev2 = _mm_alignr_epi8(in, z, 14);
	__m128i prev3 = _mm_alignr_epi8(in, z, 13);
	__m128i sc, must23;

	sc = _mm_and_si128(_mm_and_si128(
	    _mm_shuffle_epi8(sse_table(kl_byte1_high),
	    _mm_and_si128(_mm_srli_epi16(prev1, 4), lo4)),
	    _mm_shuffle_epi8(sse_table(kl_byte1_low), _mm_and_si128(prev1, lo4))),
	    _mm_shuffle_epi8(sse_table(kl_byte2_high),
	    _mm_and_si128(_mm_srli_epi16(in, 4), lo4)));
	must23 = _mm_or_si128(_mm_subs_epu8(prev2, _mm_set1_epi8(0xe0 - 0x80)),
	    _mm_subs_epu8(prev3, _mm_set1_epi8((char)(0xf0 - 0x80))));
	return _mm_xor_si128(_mm_and_si128(must23, _mm_set1_epi8((char)0x80)),
	    sc);
}

/* Bytes to escape: below 0x20, '"', '\\', 0x7f. */
static inline SSE unsigned
sse_escapes(__m128i in)
{
	__m128i e = _mm_or_si128(
	    _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(in, _mm_set1_epi8(0x1f)), in),
	    _mm_cmpeq_epi8(in, _mm_set1_epi8(0x7f))),
	    _mm_or_si128(_mm_cmpeq_epi8(in, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(in, _mm_set1_epi8('\\'))));

	return (unsigned)_mm_movemask_epi8(e);
}

/* The 16 bytes at s, stored at d: how many are valid UTF-8, and which
 * are escapes. */
static inline SSE unsigned
sse_utf8_block(char *d, const uint8_t *s, uint32_t *esc)
{
	__m128i in = _mm_loadu_si128((const __m128i *)s), err, inc;
	unsigned lead;

	_mm_storeu_si128((__m128i *)d, in);
	*esc = sse_escapes(in);
	if (_mm_movemask_epi8(in) == 0)
		return 16;
	err = sse_utf8_errors(in);
	/* a lead in the last three bytes that needs more than are left */
	inc = _mm_subs_epu8(in, _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, (char)(0xf0 - 1), (char)(0xe0 - 1),
	    (char)(0xc0 - 1)));
	lead = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(in,
	    _mm_set1_epi8((char)0xbf))) & 0xffff;
	return obuf_block_end(~(unsigned)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(err, _mm_setzero_si128())) & 0xffff, lead,
	    _mm_testz_si128(inc, inc), 16);
}

/*
 * Latin1 (cp1252) text to UTF-8, 16 bytes a step, while there are no
 * bytes to escape and none of 0x80-0x9f (cp1252's own, left to obuf.c):
 * each half of eight bytes widened to 16 bits, the high ones as their two
 * bytes of UTF-8, the zero high bytes of ASCII squeezed out by a shuffle
 * chosen by which bytes were high (256 of them, made once).
 */
static uint8_t latin1_squeeze[256][16];

/* The same for " and \ after a backslash: eight bytes widened to 16
 * bits with a backslash in each high byte, the marked ones taken with
 * theirs before them. */
static uint8_t quote_squeeze[256][16];

static void
latin1_squeeze_init(void)
{
	unsigned m, k, o, q;

	for (m = 0; m < 256; m++) {
		for (k = o = q = 0; k < 8; k++) {
			if (m & (1u << k))
				quote_squeeze[m][q++] = (uint8_t)(2 * k + 1);
			quote_squeeze[m][q++] = (uint8_t)(2 * k);
			latin1_squeeze[m][o++] = (uint8_t)(2 * k);
			if (m & (1u << k))
				latin1_squeeze[m][o++] = (uint8_t)(2 * k + 1);
		}
		while (o < 16)
			latin1_squeeze[m][o++] = 0x80;
		while (q < 16)
			quote_squeeze[m][q++] = 0x80;
	}
}

/* Eight latin1 bytes, widened in w, as UTF-8 at d; the bytes written. */
static inline SSE unsigned
sse_latin1_half(char *d, __m128i w)
{
	/* 110xxxxx 10xxxxxx, little-endian: lead in the low byte */
	__m128i two = _mm_or_si128(_mm_set1_epi16((short)0x80c0),
	    _mm_or_si128(_mm_srli_epi16(w, 6),
	    _mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x3f)), 8)));
	__m128i high = _mm_cmpgt_epi16(w, _mm_set1_epi16(0x7f));
	unsigned m = (unsigned)_mm_movemask_epi8(_mm_packs_epi16(high,
	    _mm_setzero_si128()));
	__m128i v = _mm_blendv_epi8(w, two, high);

	_mm_storeu_si128((__m128i *)d, _mm_shuffle_epi8(v,
	    _mm_loadu_si128((const __m128i *)latin1_squeeze[m])));
	return 8 + (unsigned)__builtin_popcount(m);
}

/* Eight bytes at src as JSON at d, those of q (" and \) after a
 * backslash: widened, each with a backslash in its high byte, squeezed
 * by quote_squeeze; the bytes written. */
static inline SSE unsigned
sse_quotes8(char *d, const uint8_t *src, uint32_t q)
{
	__m128i w = _mm_cvtepu8_epi16(_mm_loadl_epi64(
	    (const __m128i *)(const void *)src));
	unsigned m = q & 0xff;

	w = _mm_or_si128(w, _mm_set1_epi16('\\' << 8));
	_mm_storeu_si128((__m128i *)(void *)d, _mm_shuffle_epi8(w,
	    _mm_loadu_si128((const __m128i *)quote_squeeze[m])));
	return 8 + (unsigned)__builtin_popcount(m);
}

/* obuf_quotes, eight bytes at a time. */
static inline SSE unsigned
sse_quotes(char *d, const uint8_t *src, unsigned l, uint32_t esc)
{
	__m128i in = _mm_loadu_si128((const __m128i *)(const void *)src);

	return obuf_quotes(d, src, l, esc, (unsigned)_mm_movemask_epi8(
	    _mm_or_si128(_mm_cmpeq_epi8(in, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(in, _mm_set1_epi8('\\')))), 8, sse_quotes8);
}

static SSE size_t
sse_utf8(char *d, size_t extra, const uint8_t *s, size_t n, size_t *out)
{
	return obuf_utf8_blocks(d, extra, s, n, out, 16, sse_utf8_block,
	    sse_quotes);
}

/* Blocks of ASCII are copied up to their first byte to escape; blocks
 * with high bytes converted whole if they have none, else left to the
 * words-of-eight path and obuf.c.  The last, short block is read through
 * a copy padded with spaces. */
static SSE size_t
sse_latin1(char *d, const uint8_t *s, size_t n, size_t *out)
{
	const __m128i c1 = _mm_set1_epi8((char)0x80);
	const uint8_t *src;
	uint8_t t[16];
	size_t i = 0, o = 0, r, k;
	unsigned bad, w;
	__m128i in;

	while (i < n) {
		r = n - i;
		if (r >= 16)
			src = s + i;
		else {
			memset(t, ' ', sizeof(t));
			memcpy(t, s + i, r);
			src = t;
		}
		in = _mm_loadu_si128((const __m128i *)src);
		/* 0x80-0x9f: 0x00-0x1f after subtracting 0x80 */
		bad = sse_escapes(in) | (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_min_epu8(_mm_sub_epi8(in, c1),
		    _mm_set1_epi8(0x1f)), _mm_sub_epi8(in, c1)));
		k = r < 16 ? r : 16;
		if (_mm_movemask_epi8(in) == 0) {
			_mm_storeu_si128((__m128i *)(d + o), in);
			if (bad != 0 && (unsigned)__builtin_ctz(bad) < k)
				k = (unsigned)__builtin_ctz(bad);
			i += k;
			o += k;
			if (k < 16)
				break;
			continue;
		}
		if (bad != 0)
			break;
		w = sse_latin1_half(d + o, _mm_cvtepu8_epi16(in));
		w += sse_latin1_half(d + o + w,
		    _mm_cvtepu8_epi16(_mm_srli_si128(in, 8)));
		/* padding is spaces, a byte each, at the end */
		i += k;
		o += w - (16 - k);
	}
	k = i < n ? obuf_scalar_ascii(d + o, s + i, n - i) : 0;
	*out = o + k;
	return i + k;
}

/*
 * Base64 (Muła and Lemire, "Faster Base64 Encoding and Decoding using
 * AVX2 Instructions", 2018): twelve bytes are spread over four lanes of
 * 32 bits, three a lane; two multiplies move each lane's four 6-bit
 * indices to bytes of their own; a shuffle by their range picks what to
 * add to each to make its character.
 */
static inline SSE __m128i
sse_b64_chars(__m128i in)
{
	const __m128i shift = _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
	__m128i idx, r;

	in = _mm_shuffle_epi8(in, _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7,
	    4, 5, 3, 4, 1, 2, 0, 1));
	idx = _mm_or_si128(
	    _mm_mulhi_epu16(_mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00)),
	    _mm_set1_epi32(0x04000040)),
	    _mm_mullo_epi16(_mm_and_si128(in, _mm_set1_epi32(0x003f03f0)),
	    _mm_set1_epi32(0x01000010)));
	/* 0-25: 13, 26-51: 0, 52-61: 1-10, 62: 11, 63: 12 */
	r = _mm_or_si128(_mm_subs_epu8(idx, _mm_set1_epi8(51)), _mm_and_si128(
	    _mm_cmpgt_epi8(_mm_set1_epi8(26), idx), _mm_set1_epi8(13)));
	return _mm_add_epi8(_mm_shuffle_epi8(shift, r), idx);
}

/* Whole groups of twelve bytes (read sixteen at a time) to d; how many
 * bytes were encoded. */
static SSE size_t
sse_base64(char *d, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; n - i >= 16; i += 12, d += 16)
		_mm_storeu_si128((__m128i *)d,
		    sse_b64_chars(_mm_loadu_si128((const __m128i *)(s + i))));
	return i;
}

/* ------------------------------------------------------------- AVX2 */

#define AVX __attribute__((target("avx2")))

/*
 * The constants of the UTF-8 and escape blocks, in memory, set once at
 * start: each is then an operand of the instruction that uses it.  Made
 * from _mm256_set1_epi8 in place, the compiler rebuilt each from an
 * immediate in every block (three instructions apiece, ~45 of a
 * block's ~160: it may not keep them in registers across the loop).
 */
static struct {
	__m256i	lo4, c1f, c7f, quote, bslash, e0, f0, x80, bf, last3;
	__m256i	b1high, b1low, b2high, bslash_high;
} avx_k;

static inline AVX __m256i
avx_table(const int8_t *t)
{
	return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t));
}

static AVX void
avx_k_init(void)
{
	avx_k.lo4 = _mm256_set1_epi8(0x0f);
	avx_k.c1f = _mm256_set1_epi8(0x1f);
	avx_k.c7f = _mm256_set1_epi8(0x7f);
	avx_k.quote = _mm256_set1_epi8('"');
	avx_k.bslash = _mm256_set1_epi8('\\');
	avx_k.e0 = _mm256_set1_epi8(0xe0 - 0x80);
	avx_k.f0 = _mm256_set1_epi8((char)(0xf0 - 0x80));
	avx_k.x80 = _mm256_set1_epi8((char)0x80);
	avx_k.bf = _mm256_set1_epi8((char)0xbf);
	/* a lead in the last three bytes that needs more than are left */
	avx_k.last3 = _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, (char)(0xf0 - 1), (char)(0xe0 - 1), (char)(0xc0 - 1));
	avx_k.b1high = avx_table(kl_byte1_high);
	avx_k.b1low = avx_table(kl_byte1_low);
	avx_k.b2high = avx_table(kl_byte2_high);
	avx_k.bslash_high = _mm256_set1_epi16('\\' << 8);
}

/* The bytes k before each, zeros before the block: the high lane's come
 * from the low lane. */
#define AVX_PREV(in, k) _mm256_alignr_epi8((in), \
	_mm256_permute2x128_si256((in), (in), 0x08), 16 - (k))

static inline AVX __m256i
avx_utf8_errors(__m256i in)
{
	const __m256i lo4 = avx_k.lo4;
	__m256i prev1 = AVX_PREV(in, 1), prev2 = AVX_PREV(in, 2);
	__m256i prev3 = AVX_PREV(in, 3), sc, must23;

	sc = _mm256_and_si256(_mm256_and_si256(
	    _mm256_shuffle_epi8(avx_k.b1high,
	    _mm256_and_si256(_mm256_srli_epi16(prev1, 4), lo4)),
	    _mm256_shuffle_epi8(avx_k.b1low,
	    _mm256_and_si256(prev1, lo4))),
	    _mm256_shuffle_epi8(avx_k.b2high,
	    _mm256_and_si256(_mm256_srli_epi16(in, 4), lo4)));
	must23 = _mm256_or_si256(
	    _mm256_subs_epu8(prev2, avx_k.e0),
	    _mm256_subs_epu8(prev3, avx_k.f0));
	return _mm256_xor_si256(_mm256_and_si256(must23, avx_k.x80), sc);
}

static inline AVX uint32_t
avx_escapes(__m256i in)
{
	__m256i e = _mm256_or_si256(_mm256_or_si256(
	    _mm256_cmpeq_epi8(_mm256_min_epu8(in, avx_k.c1f), in),
	    _mm256_cmpeq_epi8(in, avx_k.c7f)),
	    _mm256_or_si256(_mm256_cmpeq_epi8(in, avx_k.quote),
	    _mm256_cmpeq_epi8(in, avx_k.bslash)));

	return (uint32_t)_mm256_movemask_epi8(e);
}

static inline AVX unsigned
avx_utf8_block(char *d, const uint8_t *s, uint32_t *esc)
{
	__m256i in = _mm256_loadu_si256((const __m256i *)s), err, inc;
	uint32_t lead;

	_mm256_storeu_si256((__m256i *)d, in);
	*esc = avx_escapes(in);
	if (_mm256_movemask_epi8(in) == 0)
		return 32;
	err = avx_utf8_errors(in);
	inc = _mm256_subs_epu8(in, avx_k.last3);
	lead = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(in, avx_k.bf));
	return obuf_block_end(~(uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(err, _mm256_setzero_si256())), lead,
	    _mm256_testz_si256(inc, inc), 32);
}

/* Sixteen bytes at src as JSON at d, as sse_quotes8 does eight: each
 * half widened in its lane, squeezed by its own row of quote_squeeze;
 * the bytes written. */
static inline AVX unsigned
avx_quotes16(char *d, const uint8_t *src, uint32_t q)
{
	__m256i v = _mm256_or_si256(_mm256_cvtepu8_epi16(_mm_loadu_si128(
	    (const __m128i *)(const void *)src)), avx_k.bslash_high);
	unsigned m0 = q & 0xff, m1 = q >> 8 & 0xff;
	unsigned w0 = 8 + (unsigned)__builtin_popcount(m0);

	v = _mm256_shuffle_epi8(v, _mm256_inserti128_si256(
	    _mm256_castsi128_si256(_mm_loadu_si128(
	    (const __m128i *)quote_squeeze[m0])),
	    _mm_loadu_si128((const __m128i *)quote_squeeze[m1]), 1));
	_mm_storeu_si128((__m128i *)(void *)d, _mm256_castsi256_si128(v));
	_mm_storeu_si128((__m128i *)(void *)(d + w0),
	    _mm256_extracti128_si256(v, 1));
	return w0 + 8 + (unsigned)__builtin_popcount(m1);
}

/* obuf_quotes, sixteen bytes at a time. */
static inline AVX unsigned
avx_quotes(char *d, const uint8_t *src, unsigned l, uint32_t esc)
{
	__m256i in = _mm256_loadu_si256((const __m256i *)(const void *)src);

	return obuf_quotes(d, src, l, esc, (uint32_t)_mm256_movemask_epi8(
	    _mm256_or_si256(_mm256_cmpeq_epi8(in, avx_k.quote),
	    _mm256_cmpeq_epi8(in, avx_k.bslash))), 16,
	    avx_quotes16);
}

static AVX size_t
avx_utf8(char *d, size_t extra, const uint8_t *s, size_t n, size_t *out)
{
	return obuf_utf8_blocks(d, extra, s, n, out, 32, avx_utf8_block,
	    avx_quotes);
}

/* Whether 16 bytes are plain ASCII. */
static inline SSE bool
sse_plain(__m128i in)
{
	return (sse_escapes(in) | (unsigned)_mm_movemask_epi8(in)) == 0;
}

/*
 * Latin1: plain ASCII 32 bytes a step, then 16, then the last 16 of the
 * text again, over bytes already copied as they are (most latin1 text
 * of most rows is ASCII, in CHAR columns of a few dozen bytes); what is
 * not plain, as sse_latin1 does it.
 */
static AVX size_t
avx_latin1(char *d, const uint8_t *s, size_t n, size_t *out)
{
	size_t i, l, o;
	__m256i in;
	__m128i v;

	for (i = 0; n - i >= 32; i += 32) {
		in = _mm256_loadu_si256((const __m256i *)(s + i));
		if ((avx_escapes(in) | (uint32_t)_mm256_movemask_epi8(in)) != 0)
			break;
		_mm256_storeu_si256((__m256i *)(d + i), in);
	}
	if (n - i >= 16 && n - i < 32 &&
	    sse_plain(v = _mm_loadu_si128((const __m128i *)(s + i)))) {
		_mm_storeu_si128((__m128i *)(d + i), v);
		i += 16;
	}
	if (i < n && n >= 16 && n - i < 16 && sse_plain(v =
	    _mm_loadu_si128((const __m128i *)(s + n - 16)))) {
		_mm_storeu_si128((__m128i *)(d + n - 16), v);
		i = n;
	}
	l = i < n ? sse_latin1(d + i, s + i, n - i, &o) : (o = 0);
	*out = i + o;
	return i + l;
}

/* Two groups of twelve a step, one a lane (read 28 bytes at a time). */
static AVX size_t
avx_base64(char *d, const uint8_t *s, size_t n)
{
	const __m256i shift = _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0,
	    'a' - 26, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
	__m256i in, idx, r;
	size_t i;

	for (i = 0; n - i >= 28; i += 24, d += 32) {
		in = _mm256_inserti128_si256(_mm256_castsi128_si256(
		    _mm_loadu_si128((const __m128i *)(s + i))),
		    _mm_loadu_si128((const __m128i *)(s + i + 12)), 1);
		in = _mm256_shuffle_epi8(in, _mm256_set_epi8(10, 11, 9, 10,
		    7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1, 10, 11, 9, 10, 7, 8,
		    6, 7, 4, 5, 3, 4, 1, 2, 0, 1));
		idx = _mm256_or_si256(_mm256_mulhi_epu16(
		    _mm256_and_si256(in, _mm256_set1_epi32(0x0fc0fc00)),
		    _mm256_set1_epi32(0x04000040)), _mm256_mullo_epi16(
		    _mm256_and_si256(in, _mm256_set1_epi32(0x003f03f0)),
		    _mm256_set1_epi32(0x01000010)));
		r = _mm256_or_si256(_mm256_subs_epu8(idx, _mm256_set1_epi8(51)),
		    _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26),
		    idx), _mm256_set1_epi8(13)));
		_mm256_storeu_si256((__m256i *)d,
		    _mm256_add_epi8(_mm256_shuffle_epi8(shift, r), idx));
	}
	return i + sse_base64(d, s + i, n - i);
}
#endif /* OBUF_X86 */

/* ------------------------------------------------------------ dispatch */

static const struct obuf_simd_ops obuf_levels[] = {
	[OBUF_SCALAR] = { "scalar", obuf_scalar_utf8, obuf_scalar_latin1,
	    obuf_scalar_base64 },
#ifdef OBUF_X86
	[OBUF_SSE42] = { "sse4.2", sse_utf8, sse_latin1, sse_base64 },
	[OBUF_AVX2] = { "avx2", avx_utf8, avx_latin1, avx_base64 },
#endif
};

const struct obuf_simd_ops *obuf_simd = &obuf_levels[OBUF_SCALAR];

/* The best level this CPU runs. */
static int
obuf_simd_best(void)
{
#ifdef OBUF_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		return OBUF_AVX2;
	if (__builtin_cpu_supports("sse4.2"))
		return OBUF_SSE42;
#endif
	return OBUF_SCALAR;
}

/* Chosen before main, so that the decoder's threads only read it. */
__attribute__((constructor)) static void
obuf_simd_init(void)
{
	int best = obuf_simd_best();

	obuf_esc_init();
#ifdef OBUF_X86
	latin1_squeeze_init();
	if (best == OBUF_AVX2)
		avx_k_init();
#endif
	obuf_simd = &obuf_levels[best];
}

/* Tests: the paths of at most level (-1: the best), as far as the CPU
 * has them; the level in use. */
int
obuf_simd_level(int level)
{
	int best = obuf_simd_best();

	if (level < 0 || level > best)
		level = best;
	obuf_simd = &obuf_levels[level];
	return level;
}
