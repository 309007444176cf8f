/* crc32.c: the CRC-32 every binlog event carries (IEEE 802.3, reflected,
 * as zlib's crc32()), folded 64 bytes at a time by carry-less
 * multiplication on x86-64 CPUs that have PCLMULQDQ and SSE4.1
 * (to the last byte: the bytes after the last whole block shifted in
 * with pshufb), by zlib elsewhere.
 * The method is Gopal et al., "Fast CRC Computation for Generic
 * Polynomials Using PCLMULQDQ Instruction" (Intel, 2009). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "crc32.h"
#include "util.h"

static uint32_t
crc32_portable(uint32_t crc, const void *p, size_t n)
{
	return (uint32_t)crc32_z(crc, p, n);
}

static uint32_t (*crc32_impl)(uint32_t, const void *, size_t) =
    crc32_portable;

#if defined(__x86_64__)
#include <immintrin.h>

#define CRC32_TARGET	__attribute__((target("pclmul,sse4.1")))

/*
 * The bit-reflected constants of P = 0x04C11DB7: x^k mod P for the
 * distances a fold carries a 64-bit half over (R1, R2: 512 bits and
 * 576, four lanes apart; R3, R4: 128 and 192, one lane; R5: 64), then
 * P itself (P') and floor(x^64 / P) (mu) for the Barrett reduction.
 */
#define CRC32_R1	0x154442bd4ULL
#define CRC32_R2	0x1c6e41596ULL
#define CRC32_R3	0x1751997d0ULL
#define CRC32_R4	0x0ccaa009eULL
#define CRC32_R5	0x163cd6124ULL
#define CRC32_P		0x1db710641ULL
#define CRC32_MU	0x1f7011641ULL

static inline CRC32_TARGET __m128i
crc32_load(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* The 128 bits of x carried forward by the distance of k's constants:
 * low half times k's low, high half times k's high. */
static inline CRC32_TARGET __m128i
crc32_fold(__m128i x, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
	    _mm_clmulepi64_si128(x, k, 0x11));
}

/* 128 bits of remainder to the 32-bit CRC: down to 96 bits (R4), to 64
 * (R5), then Barrett reduction; the CRC is the middle 32 bits. */
static inline CRC32_TARGET uint32_t
crc32_reduce(__m128i x)
{
	const __m128i k4 = _mm_set_epi64x((long long)CRC32_R4, 0);
	const __m128i k5 = _mm_set_epi64x(0, (long long)CRC32_R5);
	const __m128i pmu = _mm_set_epi64x((long long)CRC32_MU,
	    (long long)CRC32_P);
	const __m128i lo32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i t;

	x = _mm_xor_si128(_mm_srli_si128(x, 8),
	    _mm_clmulepi64_si128(x, k4, 0x10));
	x = _mm_xor_si128(_mm_srli_si128(x, 4),
	    _mm_clmulepi64_si128(_mm_and_si128(x, lo32), k5, 0x00));
	t = _mm_clmulepi64_si128(_mm_and_si128(x, lo32), pmu, 0x10);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, lo32), pmu, 0x00);
	return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x, t), 1);
}

/*
 * pshufb masks that move a block's bytes by r places (0 < r < 16): from
 * crc32_shift + r, byte i takes byte i - (16 - r) and the first 16 - r
 * are zero (their high bits set); from crc32_shift + 16 + r, byte i takes
 * byte i + r and the last r are zero.
 */
static const uint8_t crc32_shift[48] = {
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

/*
 * The remainder x followed by the last r bytes (0 < r < 16) of a message
 * whose end is END: the 16 + r bytes split as r bytes (x's first r, as a
 * block of leading zeros, which count for nothing) and 16 (x's other
 * bytes, then the r bytes), the first folded onto the second.  Reading
 * END - 16 is safe: x stands for 16 bytes or more just before the r.
 */
static inline CRC32_TARGET __m128i
crc32_tail(__m128i x, const uint8_t *end, size_t r, __m128i k34)
{
	const __m128i head = crc32_load(crc32_shift + r);
	const __m128i rest = crc32_load(crc32_shift + 16 + r);
	__m128i last;

	last = _mm_blendv_epi8(crc32_load(end - 16),
	    _mm_shuffle_epi8(x, rest), head);
	return _mm_xor_si128(crc32_fold(_mm_shuffle_epi8(x, head), k34),
	    last);
}

/* The running remainder c (zlib's crc inverted) over n >= 16 bytes: four
 * lanes over 64-byte blocks, then one lane, then the bytes left. */
static CRC32_TARGET uint32_t
crc32_clmul(uint32_t c, const uint8_t *p, size_t n)
{
	const __m128i k12 = _mm_set_epi64x((long long)CRC32_R2,
	    (long long)CRC32_R1);
	const __m128i k34 = _mm_set_epi64x((long long)CRC32_R4,
	    (long long)CRC32_R3);
	const uint8_t *end = p + n;
	__m128i x0, x1, x2, x3;

	x0 = _mm_xor_si128(crc32_load(p), _mm_cvtsi32_si128((int)c));
	if (n >= 64) {
		x1 = crc32_load(p + 16);
		x2 = crc32_load(p + 32);
		x3 = crc32_load(p + 48);
		for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
			x0 = _mm_xor_si128(crc32_fold(x0, k12),
			    crc32_load(p));
			x1 = _mm_xor_si128(crc32_fold(x1, k12),
			    crc32_load(p + 16));
			x2 = _mm_xor_si128(crc32_fold(x2, k12),
			    crc32_load(p + 32));
			x3 = _mm_xor_si128(crc32_fold(x3, k12),
			    crc32_load(p + 48));
		}
		x0 = _mm_xor_si128(crc32_fold(x0, k34), x1);
		x0 = _mm_xor_si128(crc32_fold(x0, k34), x2);
		x0 = _mm_xor_si128(crc32_fold(x0, k34), x3);
	} else {
		p += 16;
		n -= 16;
	}
	for (; n >= 16; p += 16, n -= 16)
		x0 = _mm_xor_si128(crc32_fold(x0, k34), crc32_load(p));
	if (n > 0)
		x0 = crc32_tail(x0, end, n, k34);
	return crc32_reduce(x0);
}

/* Every message of a block or more by folding, shorter ones by zlib
 * (no event is: its header alone is 19 bytes). */
static uint32_t
crc32_fast(uint32_t crc, const void *buf, size_t n)
{
	if (n < 16)
		return crc32_portable(crc, buf, n);
	return ~crc32_clmul(~crc, buf, n);
}
#endif

uint32_t
crc32_ieee(uint32_t crc, const void *p, size_t n)
{
	return crc32_impl(crc, p, n);
}

bool
crc32_ieee_select(bool fast UNUSED)
{
	crc32_impl = crc32_portable;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (fast && __builtin_cpu_supports("pclmul") &&
	    __builtin_cpu_supports("sse4.1"))
		crc32_impl = crc32_fast;
#else
#endif
	return crc32_impl != crc32_portable;
}

/* Once, before main(): no thread ever sees the choice change. */
__attribute__((constructor)) static void
crc32_init(void)
{
	crc32_ieee_select(true);
}
