/* test_crc32.c: binlog/crc32.c against zlib's crc32() -- every length
 * to 4 KiB at every alignment, chained calls, a few MiB -- through the
 * PCLMULQDQ path (where the CPU has it) and the portable one. */
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

#include "crc32.h"
#include "tap.h"

#define BIG	(5 * 1024 * 1024 + 13)

static uint8_t *data;
static uint64_t rng = 0x2545f4914f6cdd1dULL;

/* Knuth's MMIX LCG, high bits: the same values at every run. */
static uint64_t
rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng >> 16;
}

static uint32_t
zlib_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	return (uint32_t)crc32_z(crc, p, n);
}

/* The standard check value of CRC-32/ISO-HDLC. */
static void
test_check_value(void)
{
	CHECK_U64(crc32_ieee(0, "123456789", 9), 0xcbf43926);
	CHECK_U64(crc32_ieee(0, "", 0), 0);
	CHECK_U64(crc32_ieee(0xcbf43926, "", 0), 0xcbf43926);
}

/* Lengths 0..4096 from each of 16 alignments, from 0 and from a crc. */
static void
test_lengths(void)
{
	size_t n, a;
	uint32_t seed;
	int bad = 0;

	for (a = 0; a < 16; a++)
		for (n = 0; n <= 4096; n++) {
			seed = (uint32_t)rnd();
			if (crc32_ieee(0, data + a, n) ==
			    zlib_crc(0, data + a, n) &&
			    crc32_ieee(seed, data + a, n) ==
			    zlib_crc(seed, data + a, n))
				continue;
			if (bad++ < 5)
				CHECK_U64(crc32_ieee(0, data + a, n),
				    zlib_crc(0, data + a, n));
		}
	CHECK_INT(bad, 0);
}

/* One crc over pieces split at random points equals the crc of all. */
static void
test_chained(void)
{
	size_t n, off, cut;
	uint32_t crc;
	int i;

	for (i = 0; i < 2000; i++) {
		n = (size_t)(rnd() % 20000);
		crc = 0;
		for (off = 0; off < n; off += cut) {
			cut = (size_t)(rnd() % 300);
			if (cut > n - off)
				cut = n - off;
			crc = crc32_ieee(crc, data + 7 + off, cut);
		}
		if (!CHECK_U64(crc, zlib_crc(0, data + 7, n)))
			break;
	}
}

static void
test_big(void)
{
	CHECK_U64(crc32_ieee(0, data, BIG), zlib_crc(0, data, BIG));
	CHECK_U64(crc32_ieee(0, data + 3, BIG - 3),
	    zlib_crc(0, data + 3, BIG - 3));
}

static void
test_select(void)
{
#if defined(__x86_64__)
	CHECK_INT(crc32_ieee_select(true), __builtin_cpu_supports("pclmul") &&
	    __builtin_cpu_supports("sse4.1"));
#endif
	CHECK_INT(crc32_ieee_select(false), 0);
}

static void
run_all(void)
{
	RUN(test_check_value);
	RUN(test_lengths);
	RUN(test_chained);
	RUN(test_big);
}

int
main(void)
{
	size_t i;

	if ((data = malloc(BIG + 16)) == NULL)
		return 99;
	for (i = 0; i < BIG + 16; i++)
		data[i] = (uint8_t)(rnd() >> 40);
	printf("# carry-less multiply: %s\n",
	    crc32_ieee_select(true) ? "yes" : "no");
	run_all();
	RUN(test_select);
	printf("# portable\n");
	crc32_ieee_select(false);
	run_all();
	free(data);
	return tap_done();
}
