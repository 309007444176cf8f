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

typedef unsigned __int128 u128;

/* A binary value M * 2^E (M > 0, E < 0) of a format with MBITS-bit
 * significands, to be printed with precision P. */
struct dtoa_num {
	uint64_t	m;
	int		e;
	int		mbits;
};

/* 10^k for k <= DTOA_MAXK: M * 10^k stays below 2^128 (M < 2^53). */
#define DTOA_MAXK	22

static u128
dtoa_pow10(int k)
{
	u128 p = 1;

	while (k-- > 0)
		p *= 10;
	return p;
}

static const uint64_t dtoa_p10[] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
};

/*
 * x * 10^k rounded half-even to an integer (*q), exactly as printf rounds
 * it, and whether q * 10^-k reads back as x: it must lie within half an
 * ulp of x (a quarter below a power of two, where the lower neighbour is
 * closer), ties going to the even significand as strtod breaks them.
 * False when k is out of the range this exact arithmetic covers.
 */
static bool
dtoa_round(const struct dtoa_num *x, int k, uint64_t *q, bool *trip)
{
	u128 a, r, half, err, p10;
	int s = -x->e;
	bool up;

	if (k < 0 || k > DTOA_MAXK || s < 1 || s > 125)
		return false;
	p10 = dtoa_pow10(k);
	a = (u128)x->m * p10;
	r = a & (((u128)1 << s) - 1);
	half = (u128)1 << (s - 1);
	*q = (uint64_t)(a >> s);
	up = r > half || (r == half && (*q & 1));
	if (up) {
		(*q)++;
		err = ((u128)1 << s) - r;
	} else
		err = r;
	if (!up && x->m == 1ULL << (x->mbits - 1))
		*trip = 4 * err < p10 || (4 * err == p10);
	else
		*trip = 2 * err < p10 || (2 * err == p10 && !(x->m & 1));
	return true;
}

/*
 * x rounded to P significant digits: *q holds exactly P digits and *X is
 * the decimal exponent of the first, as %.Pg decides them.  X0 is
 * floor(log10 x) or one less.
 */
static bool
dtoa_digits(const struct dtoa_num *x, int p, int X0, uint64_t *q, int *X,
    bool *trip)
{
	uint64_t q2;
	bool trip2;

	*X = X0 + 1;
	if (!dtoa_round(x, p - 1 - *X, q, trip))
		return false;
	if (*q <= dtoa_p10[p - 1]) {
		/* below 10^(X0+1), or rounded to it: one place further;
		 * what rounds to 10^P there is the value already found */
		if (!dtoa_round(x, p - X0 - 1, &q2, &trip2))
			return false;
		if (q2 < dtoa_p10[p]) {
			*q = q2;
			*trip = trip2;
			*X = X0;
		}
	}
	if (*q == dtoa_p10[p]) {
		*q /= 10;
		(*X)++;
	}
	return true;
}

/* P digits of q, less trailing zeros, printed as %.Pg prints them. */
static size_t
dtoa_format(char *buf, bool neg, uint64_t q, int p, int X)
{
	char d[24];
	char *o = buf;
	int nd, i;

	for (i = p - 1; i >= 0; i--) {
		d[i] = (char)('0' + q % 10);
		q /= 10;
	}
	for (nd = p; nd > 1 && d[nd - 1] == '0'; nd--)
		;
	if (neg)
		*o++ = '-';
	if (X < -4 || X >= p) {
		*o++ = d[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)nd - 1);
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
		for (i = 0; i <= X; i++)
			*o++ = i < nd ? d[i] : '0';
		if (nd > X + 1) {
			*o++ = '.';
			memcpy(o, d + X + 1, (size_t)(nd - X - 1));
			o += nd - X - 1;
		}
	} else {
		*o++ = '0';
		*o++ = '.';
		for (i = -1; i > X; i--)
			*o++ = '0';
		memcpy(o, d, (size_t)nd);
		o += nd;
	}
	*o = '\0';
	return (size_t)(o - buf);
}

/* The first precision of pmin..pmax whose digits read back as x. */
static bool
dtoa_shortest(char *buf, size_t *len, bool neg, const struct dtoa_num *x,
    int pmin, int pmax)
{
	uint64_t q;
	int p, X, X0, e2;
	bool trip;

	/* floor(log10(2^e2)) for x in [2^e2, 2^(e2+1)) */
	e2 = x->e + 63 - __builtin_clzll(x->m);
	X0 = e2 >= 0 ? (e2 * 78913) >> 18 : -((-e2 * 78913 + 262143) >> 18);
	for (p = pmin; p <= pmax; p++) {
		if (!dtoa_digits(x, p, X0, &q, &X, &trip))
			return false;
		if (trip || p == pmax) {
			*len = dtoa_format(buf, neg, q, p, X);
			return true;
		}
	}
	return false;
}

size_t
dtoa_double(double d, char *buf)
{
	struct dtoa_num x;
	uint64_t bits;
	int be, p;

	memcpy(&bits, &d, 8);
	be = (int)(bits >> 52 & 0x7ff);
	x.m = bits & ((1ULL << 52) - 1);
	x.mbits = 53;
	if (be != 0 && be != 0x7ff) {
		size_t len;

		x.m |= 1ULL << 52;
		x.e = be - 1075;
		if (dtoa_shortest(buf, &len, bits >> 63, &x, 15, 17))
			return len;
	} else if (be == 0 && x.m == 0)
		return dtoa_format(buf, bits >> 63, 0, 1, 0);
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
	struct dtoa_num x;
	uint32_t bits;
	int be, p;

	memcpy(&bits, &f, 4);
	be = (int)(bits >> 23 & 0xff);
	x.m = bits & ((1U << 23) - 1);
	x.mbits = 24;
	if (be != 0 && be != 0xff) {
		size_t len;

		x.m |= 1U << 23;
		x.e = be - 150;
		if (dtoa_shortest(buf, &len, bits >> 31, &x, 6, 9))
			return len;
	} else if (be == 0 && x.m == 0)
		return dtoa_format(buf, bits >> 31, 0, 1, 0);
	for (p = 6; p <= 9; p++) {
		snprintf(buf, DTOA_BUFSZ, "%.*g", p, (double)f);
		if (p == 9 || strtof(buf, NULL) == f)
			break;
	}
	return strlen(buf);
}
