/* dtoa.c: FLOAT and DOUBLE as the fewest %g digits (at least 6 and 15)
 * that read back as the same value, by exact 128-bit integer rounding
 * instead of snprintf and strtod per value. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtoa.h"

/* 10^i, every one a uint64_t holds: the one table of them (dtoa.c, and
 * record.c's digit counts). */
const uint64_t pow10_u64[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL,
};

typedef unsigned __int128 u128;

/* The steps of a value's text, inlined into dtoa_double and dtoa_float:
 * the format's constants fold, and nothing is passed through memory. */
#define DTOA_INLINE	static inline __attribute__((always_inline))

/* A binary value M * 2^E (M > 0, E < 0) of a format with MBITS-bit
 * significands, to be printed with precision P. */
struct dtoa_num {
	uint64_t	m;
	int		e;
	int		mbits;
};

/* 5^k for k <= DTOA_MAXK: x * 10^k = M * 5^k / 2^(-E-k), and M * 5^k
 * (M < 2^53) stays below 2^125, leaving room for the sums below. */
#define DTOA_MAXK	27

static const uint64_t dtoa_p5[DTOA_MAXK + 1] = {
	1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL,
	390625ULL, 1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL,
	1220703125ULL, 6103515625ULL, 30517578125ULL, 152587890625ULL,
	762939453125ULL, 3814697265625ULL, 19073486328125ULL,
	95367431640625ULL, 476837158203125ULL, 2384185791015625ULL,
	11920928955078125ULL, 59604644775390625ULL,
	298023223876953125ULL, 1490116119384765625ULL,
	7450580596923828125ULL,
};


/* x * 10^K, K = PMAX - 1 - X0, as the binary fraction a / 2^s with
 * a = M * 5^K, and its integer part t: PMAX digits of x, or PMAX + 1,
 * from which every precision up to PMAX is rounded. */
struct dtoa_scaled {
	u128		f;	/* a's fraction: a mod 2^s */
	uint64_t	t;
	uint64_t	p5;	/* 5^K */
	uint64_t	hq;	/* half an ulp in units of t, rounded down */
	int		s;
};

/*
 * The digits of t less its last d rounded half-even (*q) with the rest
 * of a, exactly as printf rounds x, and whether q * 10^(d - K) reads back
 * as x: it must lie within half an ulp of x (a quarter below a power of
 * two, where the lower neighbour is closer), ties going to the even
 * significand as strtod breaks them.  Half an ulp, 2^E / 2, is 5^K / 2
 * in units of a.
 */
/* Whether dropping t's last d digits is sure to move x by more than
 * half an ulp: the digits' distance to either end (then by at least
 * that many units of t; a's fraction can only add to it) is more than
 * hq.  Most precisions that fail fail here, before 128-bit arithmetic. */
DTOA_INLINE bool
dtoa_far(const struct dtoa_scaled *y, int d)
{
	uint64_t pd = pow10_u64[d], r = y->t % pd;

	return r > y->hq && pd - 1 - r > y->hq;
}

DTOA_INLINE bool
dtoa_round(const struct dtoa_num *x, const struct dtoa_scaled *y, int d,
    uint64_t *q)
{
	uint64_t pd = pow10_u64[d];
	u128 half, rem, err;
	bool up;

	*q = y->t / pd;
	/* a less q's part: the digits dropped from t, then a's fraction */
	rem = (u128)(y->t - *q * pd) << y->s | y->f;
	half = (u128)pd << (y->s - 1);
	up = rem > half || (rem == half && (*q & 1));
	if (up) {
		(*q)++;
		err = 2 * half - rem;
	} else
		err = rem;
	if (!up && x->m == 1ULL << (x->mbits - 1))
		return 4 * err <= y->p5;
	return 2 * err < y->p5 || (2 * err == y->p5 && !(x->m & 1));
}

/* The 8 digits of v < 10^8: two halves of 4, four pairs, eight digits,
 * each step in every lane of one 64-bit word at once. */
DTOA_INLINE void
dtoa_digits8(char *o, uint32_t v)
{
	uint64_t x, tens;

	x = v / 10000 | (uint64_t)(v % 10000) << 32;
	tens = (x * 10486) >> 20 & 0x0000007f0000007fULL;	/* x / 100 */
	x = (x - 100 * tens) << 16 | tens;
	tens = (x * 103) >> 10 & 0x000f000f000f000fULL;		/* x / 10 */
	x = ((x - 10 * tens) << 8 | tens) | 0x3030303030303030ULL;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	memcpy(o, &x, 8);
}

/* The number of q's P digits left without its trailing zeros, which it
 * loses (8, 4, 2, 1 at a time: at most 16 of them). */
DTOA_INLINE int
dtoa_strip(uint64_t *q, int p)
{
	while (p > 8 && *q % 100000000 == 0) {
		*q /= 100000000;
		p -= 8;
	}
	if (p > 4 && *q % 10000 == 0) {
		*q /= 10000;
		p -= 4;
	}
	if (p > 2 && *q % 100 == 0) {
		*q /= 100;
		p -= 2;
	}
	if (p > 1 && *q % 10 == 0) {
		*q /= 10;
		p -= 1;
	}
	return p;
}

/*
 * P digits of q (< 10^17), less trailing zeros, printed as %.Pg prints
 * them.  The digits are copied in whole blocks of 16 or 24 bytes from a
 * buffer that has them: the text's length counts only what is its own
 * (DTOA_BUFSZ leaves the room).
 */
DTOA_INLINE size_t
dtoa_format(char *buf, bool neg, uint64_t q, int p, int X)
{
	char t[56], *d;
	char *o = buf;
	int nd, i;

	nd = dtoa_strip(&q, p);
	t[15] = (char)('0' + q / 10000000000000000ULL);
	dtoa_digits8(t + 16, (uint32_t)(q / 100000000 % 100000000));
	dtoa_digits8(t + 24, (uint32_t)(q % 100000000));
	d = t + 32 - nd;
	memset(t + 32, '0', 24);	/* the zeros stripped, if X needs them */
	*o = '-';
	o += neg;
	if (X < -4 || X >= p) {
		*o++ = d[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, d + 1, 16);
			o += nd - 1;
		}
		*o++ = 'e';
		*o++ = X < 0 ? '-' : '+';
		i = X < 0 ? -X : X;
		if (i >= 100)
			*o++ = (char)('0' + i / 100);
		*o++ = (char)('0' + i / 10 % 10);
		*o++ = (char)('0' + i % 10);
	} else if (X >= 0) {
		/* X < P: q's zeros, stripped above, fill the integer part */
		memcpy(o, d, 24);
		if (nd > X + 1) {
			o[X + 1] = '.';
			memcpy(o + X + 2, d + X + 1, 16);
			o++;
		}
		o += nd > X + 1 ? nd : X + 1;
	} else {
		memcpy(o, "0.000", 5);
		o += 1 - X;
		memcpy(o, d, 24);
		o += nd;
	}
	*o = '\0';
	return (size_t)(o - buf);
}

/* x * 10^(PMAX - 1 - X0) for the digits of every precision; false
 * when out of the range this exact arithmetic covers. */
DTOA_INLINE bool
dtoa_scale(const struct dtoa_num *x, int pmax, int X0, struct dtoa_scaled *y)
{
	int k = pmax - 1 - X0;
	u128 a;

	y->s = -x->e - k;
	if (k < 0 || k > DTOA_MAXK || y->s < 1 || y->s > 125)
		return false;
	y->p5 = dtoa_p5[k];
	a = (u128)x->m * y->p5;
	y->t = (uint64_t)(a >> y->s);
	y->f = a & (((u128)1 << y->s) - 1);
	y->hq = y->s < 63 ? y->p5 >> (y->s + 1) : 0;
	return true;
}

/* The first precision of pmin..pmax whose digits read back as x. */
DTOA_INLINE bool
dtoa_shortest(char *buf, size_t *len, bool neg, const struct dtoa_num *x,
    int pmin, int pmax)
{
	struct dtoa_scaled y;
	uint64_t q;
	int p, X, e2, extra;

	/* X: floor(log10(2^e2)) for x in [2^e2, 2^(e2+1)), which is
	 * floor(log10 x) or one less: one less when t has PMAX digits */
	e2 = x->e + 63 - __builtin_clzll(x->m);
	X = e2 >= 0 ? (e2 * 78913) >> 18 : -((-e2 * 78913 + 262143) >> 18);
	if (!dtoa_scale(x, pmax, X, &y))
		return false;
	extra = y.t >= pow10_u64[pmax];
	X += extra;
	for (p = pmin; p < pmax; p++)
		if (!dtoa_far(&y, pmax - p + extra) &&
		    dtoa_round(x, &y, pmax - p + extra, &q))
			break;
	if (p == pmax)
		dtoa_round(x, &y, extra, &q);
	/* rounded up to 10^P: one digit less, one place further */
	if (q == pow10_u64[p]) {
		q /= 10;
		X++;
	}
	*len = dtoa_format(buf, neg, q, p, X);
	return true;
}

/*
 * The exact path for a binary format of ebits exponent bits and mbits
 * significand bits (the hidden one included), from the value's bits:
 * true with buf and *len set for zero and for the normal values this
 * arithmetic covers; false for the rest (subnormal, infinite, NaN).
 */
DTOA_INLINE bool
dtoa_bits(uint64_t bits, int ebits, int mbits, int pmin, int pmax,
    char *buf, size_t *len)
{
	int fbits = mbits - 1, emax = (1 << ebits) - 1;
	int be = (int)(bits >> fbits & (uint64_t)emax);
	bool neg = (bits >> (ebits + fbits)) & 1;
	struct dtoa_num x;

	x.m = bits & ((1ULL << fbits) - 1);
	x.mbits = mbits;
	if (be == 0 && x.m == 0) {
		*len = dtoa_format(buf, neg, 0, 1, 0);
		return true;
	}
	if (be == 0 || be == emax)
		return false;
	x.m |= 1ULL << fbits;
	x.e = be - (emax >> 1) - fbits;
	return dtoa_shortest(buf, len, neg, &x, pmin, pmax);
}

/*
 * A value typed with at most six decimals under 10^9 (a price, a
 * measure, an integer): m = |d| * 10^6 whole and m / 10^6 == |d|, so the
 * decimal m * 10^-6 reads back as d.  It has at most 15 digits, on
 * %.15g's grid (d < 10^9), and d lies within 2^-53 of it, under half
 * that grid's step: %.15g prints it, in fixed notation (m >= 100: d >=
 * 10^-4), its trailing zeros dropped -- the first precision tried, so
 * the text, which dtoa_format writes from m's digits.  Anything else (a
 * test of a few instructions) goes on to the exact path.
 */
DTOA_INLINE bool
dtoa_short(double d, char *buf, size_t *len)
{
	double a = fabs(d);
	uint64_t m;
	int nd;

	if (!(a < 1e9) || (double)(m = (uint64_t)(a * 1e6 + 0.5)) / 1e6 != a ||
	    m < 100)
		return false;
	/* m's digits: bits * log10(2), one short of it or exact */
	nd = (64 - __builtin_clzll(m)) * 1233 >> 12;
	nd += m >= pow10_u64[nd];
	*len = dtoa_format(buf, d < 0, m, nd, nd - 7);
	return true;
}

size_t
dtoa_double(double d, char *buf)
{
	uint64_t bits;
	size_t len;
	int p;

	if (dtoa_short(d, buf, &len))
		return len;
	memcpy(&bits, &d, 8);
	if (dtoa_bits(bits, 11, 53, 15, 17, buf, &len))
		return len;
	/* subnormal, infinite, NaN or out of range: as it always was */
	for (p = 15; p <= 17; p++) {
		snprintf(buf, DTOA_BUFSZ, "%.*g", p, d);
		if (p == 17 || strtod(buf, NULL) == d)
			break;
	}
	return strlen(buf);
}

size_t
dtoa_float(float f, char *buf)
{
	uint32_t bits;
	size_t len;
	int p;

	memcpy(&bits, &f, 4);
	if (dtoa_bits(bits, 8, 24, 6, 9, buf, &len))
		return len;
	for (p = 6; p <= 9; p++) {
		snprintf(buf, DTOA_BUFSZ, "%.*g", p, (double)f);
		if (p == 9 || strtof(buf, NULL) == f)
			break;
	}
	return strlen(buf);
}
