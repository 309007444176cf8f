/* test_obuf.c: obuf.c's JSON strings (UTF-8 and latin1) and base64 at
 * every level of obuf_simd.c the CPU has -- scalar, SSE4.2, AVX2 -- held
 * to a reference written here from the standards (RFC 8259's escapes,
 * the Unicode standard's table 3-7 of well-formed UTF-8, one U+FFFD per
 * byte that starts no valid sequence, cp1252's code chart, RFC 4648),
 * over a fixed corpus: texts made of valid and broken sequences and
 * escapes at every offset around the 16- and 32-byte blocks, and random
 * bytes.  tests/fuzz/fuzz_obuf.c compares the levels on inputs libFuzzer
 * makes.  Numbers (obuf_digits, obuf_int) are held to printf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "binlog_int.h"

static const char *const level_name[] = { "scalar", "sse4.2", "avx2" };

/* The length of the well-formed sequence at s (table 3-7), 0 if none. */
static size_t
ref_utf8_len(const uint8_t *s, size_t n)
{
	static const struct { uint8_t lo, hi, len, lo2, hi2; } row[] = {
		{ 0xc2, 0xdf, 2, 0x80, 0xbf }, { 0xe0, 0xe0, 3, 0xa0, 0xbf },
		{ 0xe1, 0xec, 3, 0x80, 0xbf }, { 0xed, 0xed, 3, 0x80, 0x9f },
		{ 0xee, 0xef, 3, 0x80, 0xbf }, { 0xf0, 0xf0, 4, 0x90, 0xbf },
		{ 0xf1, 0xf3, 4, 0x80, 0xbf }, { 0xf4, 0xf4, 4, 0x80, 0x8f },
	};
	size_t r, k;

	for (r = 0; r < sizeof(row) / sizeof(row[0]); r++) {
		if (s[0] < row[r].lo || s[0] > row[r].hi)
			continue;
		if (n < row[r].len || s[1] < row[r].lo2 || s[1] > row[r].hi2)
			return 0;
		for (k = 2; k < row[r].len; k++)
			if (s[k] < 0x80 || s[k] > 0xbf)
				return 0;
		return row[r].len;
	}
	return 0;
}

static void
ref_put_cp(struct obuf *o, uint32_t cp)
{
	char u[3];

	if (cp < 0x80) {
		u[0] = (char)cp;
		obuf_add(o, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		obuf_add(o, u, 2);
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		obuf_add(o, u, 3);
	}
}

/* A JSON string as RFC 8259 allows it written: the two-character escapes
 * for " \ newline tab return, \u00xx for the other controls and DEL. */
static void
ref_json(struct obuf *o, const uint8_t *s, size_t n, bool latin1)
{
	static const uint16_t cp1252[32] = {
		0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021,
		0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
		0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
		0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
	};
	char e[8];
	size_t i = 0, l;

	obuf_add(o, "\"", 1);
	while (i < n) {
		uint8_t c = s[i];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			obuf_add(o, e, 2);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			e[0] = '\\';
			e[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			obuf_add(o, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(e, sizeof(e), "\\u%04x", c);
			obuf_add(o, e, 6);
		} else if (c < 0x80) {
			obuf_add(o, s + i, 1);
		} else if (latin1) {
			ref_put_cp(o, c < 0xa0 ? cp1252[c - 0x80] : c);
		} else if ((l = ref_utf8_len(s + i, n - i)) > 0) {
			obuf_add(o, s + i, l);
			i += l;
			continue;
		} else {
			obuf_add(o, "\\ufffd", 6);
		}
		i++;
	}
	obuf_add(o, "\"", 1);
}

static void
ref_base64(struct obuf *o, const uint8_t *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;
	size_t i, k;
	char q[4];

	obuf_add(o, "\"", 1);
	for (i = 0; i < n; i += 3) {
		v = 0;
		for (k = 0; k < 3; k++)
			v = v << 8 | (i + k < n ? s[i + k] : 0);
		for (k = 0; k < 4; k++)
			q[k] = k <= n - i ? tab[(v >> (18 - 6 * k)) & 63] : '=';
		obuf_add(o, q, 4);
	}
	obuf_add(o, "\"", 1);
}

static int cases, mismatches;

/* One input through every writer at the level in use, beside the
 * reference; the first few differences are printed. */
static void
check_one(const uint8_t *s, size_t n, int level)
{
	static struct obuf got, want;
	static const char *const what[] = { "utf8", "utf8, no room",
	    "latin1", "base64" };
	int w;

	for (w = 0; w < 4; w++) {
		/* a prefix in the buffer: writers append, at any offset */
		got.len = want.len = 0;
		obuf_add(&got, "xx", (size_t)(n % 3));
		obuf_add(&want, "xx", (size_t)(n % 3));
		if (w == 0) {
			obuf_json_str(&got, s, n);
			ref_json(&want, s, n, false);
		} else if (w == 1) {
			/* no room past the least that obuf_json_str asks
			 * for: every escape makes room for the next */
			free(got.buf);
			got.cap = got.len + n + 1 + OBUF_SLACK;
			if ((got.buf = malloc(got.cap)) == NULL)
				abort();
			memset(got.buf, 'x', got.len);
			obuf_json_str(&got, s, n);
			ref_json(&want, s, n, false);
		} else if (w == 2) {
			obuf_json_latin1(&got, s, n);
			ref_json(&want, s, n, true);
		} else {
			obuf_base64(&got, s, n);
			ref_base64(&want, s, n);
		}
		cases++;
		if (got.len == want.len && memcmp(got.buf, want.buf,
		    got.len) == 0)
			continue;
		if (mismatches++ < 5) {
			printf("# %s, %s, input of %zu bytes:", level_name[level],
			    what[w], n);
			for (size_t i = 0; i < n; i++)
				printf(" %02x", s[i]);
			printf("\n#   got:  %.*s\n#   want: %.*s\n",
			    (int)got.len, got.buf, (int)want.len, want.buf);
		}
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Pieces of text: valid sequences of each length, escapes, and each way
 * UTF-8 breaks (stray continuation, overlong, surrogate, past U+10FFFF,
 * bytes that are never UTF-8, a lead cut short before ASCII). */
static const char *const piece[] = {
	"a", "Zz09 ~", "\xc3\xa9", "\xc3\xa0\xc3\xa9\xc3\xae", "\xe6\x97\xa5",
	"\xe4\xb8\xad\xe6\x96\x87", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
	"\xef\xbf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xc2\x80",
	"\"", "\\", "\n", "\t", "\r", "\x01", "\x1f", "\x7f", " ",
	"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
	"\xed\xa0\x80", "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80",
	"\xff", "\xfe", "\xe6\x97", "\xf0\x9f\x98", "\xc3", "\x81\x9f\xa0",
};

/* Texts of pieces at every offset from 0 to 70 after ASCII, so that each
 * piece lands on, across and after the 16- and 32-byte boundaries, then
 * random texts of pieces and of bytes. */
static void
run_corpus(int level)
{
	uint8_t s[400];
	size_t np = sizeof(piece) / sizeof(piece[0]), n, k, p, q;
	int t;

	for (p = 0; p < np; p++)
		for (q = 0; q < np; q += 7)
			for (k = 0; k <= 70; k++) {
				memset(s, 'a', k);
				n = k;
				memcpy(s + n, piece[p], strlen(piece[p]));
				n += strlen(piece[p]);
				memcpy(s + n, piece[q], strlen(piece[q]));
				n += strlen(piece[q]);
				check_one(s, n, level);
				memset(s + n, 'b', 20);
				check_one(s, n + (k % 21), level);
			}
	/* JSON text in a string: runs of quotes, dense and sparse, so that
	 * every half-block has from none to all of its bytes escaped */
	for (p = 0; p < 4; p++)
		for (k = 0; k <= 70; k++) {
			for (n = 0; n < k + 70; n++)
				s[n] = n < k ? 'a' : (n % (p + 1) == 0) ?
				    "\"\\"[n / (p + 1) % 2] : 'x';
			check_one(s, n, level);
		}
	for (t = 0; t < 20000; t++) {
		n = 0;
		k = next() % 60;
		while (k-- > 0) {
			p = next() % np;
			/* mostly valid text, as real text is */
			if (next() % 4 != 0 && p > 20)
				p = next() % 12;
			if (n + strlen(piece[p]) > sizeof(s))
				break;
			memcpy(s + n, piece[p], strlen(piece[p]));
			n += strlen(piece[p]);
		}
		check_one(s, n, level);
		n = next() % 200;
		for (k = 0; k < n; k++)
			s[k] = (uint8_t)next();
		check_one(s, n, level);
	}
}

static void
test_levels(void)
{
	int level, best = obuf_simd_level(-1);

	printf("# the CPU runs levels up to %s\n", level_name[best]);
	for (level = OBUF_SCALAR; level <= best; level++) {
		CHECK_INT(obuf_simd_level(level), level);
		CHECK_STR(obuf_simd->name, level_name[level]);
		cases = mismatches = 0;
		run_corpus(level);
		printf("# %s: %d cases, %d differ from the reference\n",
		    level_name[level], cases, mismatches);
		CHECK_INT(mismatches, 0);
	}
	obuf_simd_level(-1);
}

/* A few by hand, for a reader of this file (and of the reference). */
static void
test_examples(void)
{
	struct obuf o = { 0 };

	obuf_json_str(&o, (const uint8_t *)"\xc3\xa9\"\n\xff\xf0\x9f\x98\x80",
	    9);
	obuf_add(&o, "", 1);
	CHECK_STR(o.buf, "\"\xc3\xa9\\\"\\n\\ufffd\xf0\x9f\x98\x80\"");
	o.len = 0;
	obuf_json_latin1(&o, (const uint8_t *)"caf\xe9 \x80\x7f", 7);
	obuf_add(&o, "", 1);
	CHECK_STR(o.buf, "\"caf\xc3\xa9 \xe2\x82\xac\\u007f\"");
	o.len = 0;
	obuf_base64(&o, (const uint8_t *)"any carnal pleasure.", 20);
	obuf_add(&o, "", 1);
	CHECK_STR(o.buf, "\"YW55IGNhcm5hbCBwbGVhc3VyZS4=\"");
	free(o.buf);
}

/* Numbers as printf writes them, around every power of ten and with
 * every width: the one-word, two-word and table paths of put_digits. */
static void
test_numbers(void)
{
	struct obuf o = { 0 };
	char want[64];
	uint64_t v, p;
	int k, d, w, bad = 0;

	for (k = 0, p = 1; k < 20; k++, p *= 10)
		for (d = -3; d <= 3; d++) {
			v = p + (uint64_t)(int64_t)d;
			for (w = 1; w <= 24; w++) {
				o.len = 0;
				obuf_digits(&o, v, w);
				snprintf(want, sizeof(want), "%0*llu", w,
				    (unsigned long long)v);
				bad += o.len != strlen(want) ||
				    memcmp(o.buf, want, o.len) != 0;
			}
			o.len = 0;
			obuf_int(&o, -(int64_t)(v >> 1));
			snprintf(want, sizeof(want), "%lld",
			    -(long long)(v >> 1));
			bad += o.len != strlen(want) ||
			    memcmp(o.buf, want, o.len) != 0;
		}
	o.len = 0;
	obuf_uint(&o, UINT64_MAX);
	obuf_add(&o, "", 1);
	CHECK_STR(o.buf, "18446744073709551615");
	/* every digit in every place: a million pseudo-random values of
	 * each length, so each group of four and of eight gets all its
	 * digits, not only the nines and zeros around a power of ten */
	for (k = 0, v = 88172645463325252ULL; k < 1000000; k++) {
		v ^= v << 13;
		v ^= v >> 7;
		v ^= v << 17;
		p = v >> (k % 64);
		o.len = 0;
		obuf_uint(&o, p);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)p);
		bad += o.len != strlen(want) || memcmp(o.buf, want, o.len) != 0;
	}
	CHECK_INT(bad, 0);
	free(o.buf);
}

int
main(void)
{
	RUN(test_numbers);
	RUN(test_examples);
	RUN(test_levels);
	return tap_done();
}
