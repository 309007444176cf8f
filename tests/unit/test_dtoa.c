/* test_dtoa.c: binlog/dtoa.c against the libc loop it replaces -- the
 * first of %.15g..%.17g (FLOAT: %.6g..%.9g) that strtod (strtof) reads
 * back as the value -- on edge cases and millions of random values. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtoa.h"
#include "tap.h"

#define RANDOM_N	1000000
#define IN_RANGE_N	10000000

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: the same values at every run. */
static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static void
ref_double(double d, char *buf)
{
	int p;

	for (p = 15; p <= 17; p++) {
		snprintf(buf, DTOA_BUFSZ, "%.*g", p, d);
		if (p == 17 || strtod(buf, NULL) == d)
			break;
	}
}

static void
ref_float(float f, char *buf)
{
	int p;

	for (p = 6; p <= 9; p++) {
		snprintf(buf, DTOA_BUFSZ, "%.*g", p, (double)f);
		if (p == 9 || strtof(buf, NULL) == f)
			break;
	}
}

static int bad_shown;

/* Equal to libc's text, of the length returned, and reads back. */
static int
same_double(double d)
{
	char got[DTOA_BUFSZ], want[DTOA_BUFSZ];
	size_t n = dtoa_double(d, got);

	ref_double(d, want);
	if (n == strlen(want) && strcmp(got, want) == 0 &&
	    (isnan(d) || memcmp(&(double){ strtod(got, NULL) }, &d, 8) == 0))
		return 1;
	if (bad_shown++ < 10)
		printf("# double %a: got %s, libc %s\n", d, got, want);
	return 0;
}

static int
same_float(float f)
{
	char got[DTOA_BUFSZ], want[DTOA_BUFSZ];
	size_t n = dtoa_float(f, got);

	ref_float(f, want);
	if (n == strlen(want) && strcmp(got, want) == 0 &&
	    (isnan(f) || memcmp(&(float){ strtof(got, NULL) }, &f, 4) == 0))
		return 1;
	if (bad_shown++ < 10)
		printf("# float %a: got %s, libc %s\n", (double)f, got, want);
	return 0;
}

static void
test_edges(void)
{
	static const double d[] = {
		0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3,
		DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, 4.9e-324,
		2.2250738585072009e-308, 9007199254740992.0,
		9007199254740993.0, 4503599627370496.0, 1e15, 1e16, 1e17,
		1e21, 1e22, 1e23, 1e-4, 1e-5, 9.9999999999999995e-5,
		123456789012345.0, 999999999999999.0, 9999999999999998.0,
		0.000123, 1.5e-7, 5e-324, 1.7976931348623157e308,
		INFINITY, -INFINITY, NAN, 2.0, 1024.0, 0.5, 0.25,
		12.345678, -86419.74600000001,
	};
	static const float f[] = {
		0.0f, -0.0f, 1.0f, 0.1f, 0.2f, 1.0f / 3, FLT_MAX, -FLT_MAX,
		FLT_MIN, FLT_TRUE_MIN, 16777216.0f, 16777217.0f, 1e6f,
		999999.0f, 9999999.0f, 1e-4f, 1e-5f, 3.4028235e38f,
		1.17549435e-38f, INFINITY, NAN, 0.5f, 123456.7f, 8388608.0f,
	};
	size_t i;
	int e, ok = 1;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		ok &= same_double(d[i]);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		ok &= same_float(f[i]);
	/* powers of ten and two, each with its neighbours */
	for (e = -330; e <= 310; e++) {
		double p = pow(10, e);

		ok &= same_double(p) & same_double(nextafter(p, 0)) &
		    same_double(nextafter(p, INFINITY));
		ok &= same_double(ldexp(1, e)) &
		    same_double(nextafter(ldexp(1, e), 0));
		ok &= same_float((float)p) &
		    same_float(nextafterf((float)p, 0)) &
		    same_float(ldexpf(1, e)) &
		    same_float(nextafterf(ldexpf(1, e), INFINITY));
	}
	CHECK(ok);
}

/* Integers up to 2^53, and integers over 10^k: values typed in SQL. */
static void
test_decimal_like(void)
{
	int i, ok = 1;
	uint64_t m;

	for (i = 0; i < RANDOM_N; i++) {
		m = rnd() >> (11 + rnd() % 53);
		ok &= same_double((double)m);
		ok &= same_double((double)m / pow(10, (int)(rnd() % 23)));
		ok &= same_double((double)(i + 1) / 7);
		ok &= same_float((float)(m >> 20) /
		    (float)pow(10, (int)(rnd() % 12)));
	}
	CHECK(ok);
}

/* dtoa.c's short path against the libc loop: values of up to six
 * decimals (from 10^-6 to under 10^9, either sign) that it takes, the
 * doubles next to them that it must leave to the exact path, and the
 * edges of its range. */
static void
test_few_decimals(void)
{
	static const double edge[] = { 1e9, 999999999.999999, 1e-4,
	    9.9999e-5, 0.000999, 123456789.123456, 0.1, 0.3, 2.675, 1.005 };
	int i, k, ok = 1;
	uint64_t m;
	double d;

	for (i = 0; i < (int)(sizeof(edge) / sizeof(edge[0])); i++)
		ok &= same_double(edge[i]) & same_double(-edge[i]) &
		    same_double(nextafter(edge[i], 0)) &
		    same_double(nextafter(edge[i], 1e300));
	for (i = 0; i < RANDOM_N; i++) {
		k = (int)(rnd() % 7);
		m = rnd() % pow10_u64[1 + rnd() % 15];
		d = (double)m / (double)pow10_u64[k];
		if (rnd() & 1)
			d = -d;
		ok &= same_double(d) & same_double(nextafter(d, 0)) &
		    same_double(nextafter(d, d < 0 ? -1e300 : 1e300));
	}
	CHECK(ok);
}

/* Every bit pattern is a value (or NaN): random ones. */
static void
test_random_bits(void)
{
	int i, ok = 1;
	uint64_t b;
	uint32_t b32;
	double d;
	float f;

	for (i = 0; i < RANDOM_N; i++) {
		b = rnd();
		memcpy(&d, &b, 8);
		ok &= same_double(d);
		b32 = (uint32_t)(b >> 32);
		memcpy(&f, &b32, 4);
		ok &= same_float(f);
	}
	CHECK(ok);
}

/*
 * Random significands with exponents around the range dtoa.c prints by
 * exact integer arithmetic (about 1e-12 to 1e16): the values of real
 * columns, where its rounding and read-back tests decide every digit.
 */
static void
test_random_in_range(void)
{
	int i, ok = 1;
	uint64_t b;
	double d;
	float f;

	for (i = 0; i < IN_RANGE_N; i++) {
		b = rnd();
		d = ldexp((double)(b >> 11 | 1ULL << 52), (int)(b % 112) - 96);
		ok &= same_double(b & 1 ? -d : d);
		f = ldexpf((float)(b >> 40 | 1U << 23), (int)(b % 100) - 90);
		ok &= same_float(f);
	}
	CHECK(ok);
}

/* Subnormals, the smallest and largest normals, and their neighbours. */
static void
test_subnormal_boundaries(void)
{
	uint64_t b, k;
	uint32_t b32;
	double d;
	float f;
	int i, ok = 1;

	for (k = 1; k <= 1000; k++) {
		ok &= same_double(DBL_TRUE_MIN * (double)k) &
		    same_double(nextafter(DBL_MIN, 0) - DBL_TRUE_MIN *
		    (double)(k - 1)) &
		    same_double(DBL_MIN + DBL_TRUE_MIN * (double)k) &
		    same_double(nextafter(DBL_MAX, 0) - ldexp((double)k, 970));
		ok &= same_float(FLT_TRUE_MIN * (float)k) &
		    same_float(FLT_MIN - FLT_TRUE_MIN * (float)k) &
		    same_float(FLT_MIN + FLT_TRUE_MIN * (float)k);
	}
	for (i = 0; i < RANDOM_N; i++) {
		b = rnd() & ((1ULL << 52) - 1);
		memcpy(&d, &b, 8);
		ok &= same_double(d);
		b32 = (uint32_t)(b & ((1U << 23) - 1));
		memcpy(&f, &b32, 4);
		ok &= same_float(f);
	}
	CHECK(ok);
}

int
main(void)
{
	RUN(test_edges);
	RUN(test_decimal_like);
	RUN(test_few_decimals);
	RUN(test_random_bits);
	RUN(test_random_in_range);
	RUN(test_subnormal_boundaries);
	return tap_done();
}
