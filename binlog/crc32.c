/* crc32.c: the CRC-32 every binlog event carries (IEEE 802.3, reflected,
 * as zlib's crc32()), folded 64 bytes at a time by carry-less
 * multiplication on x86-64 CPUs that have PCLMULQDQ, by zlib elsewhere.
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

/* The running remainder c (zlib's crc inverted) over n >= 64 bytes, n a
 * multiple of 16: four lanes over 64-byte blocks, then one. */
static CRC32_TARGET uint32_t
crc32_clmul(uint32_t c, const uint8_t *p, size_t n)
{
	const __m128i k12 = _mm_set_epi64x((long long)CRC32_R2,
	    (long long)CRC32_R1);
	const __m128i k34 = _mm_set_epi64x((long long)CRC32_R4,
	    (long long)CRC32_R3);
	__m128i x0, x1, x2, x3;

	x0 = _mm_xor_si128(crc32_load(p), _mm_cvtsi32_si128((int)c));
	x1 = crc32_load(p + 16);
	x2 = crc32_load(p + 32);
	x3 = crc32_load(p + 48);
	for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
		x0 = _mm_xor_si128(crc32_fold(x0, k12), crc32_load(p));
		x1 = _mm_xor_si128(crc32_fold(x1, k12), crc32_load(p + 16));
		x2 = _mm_xor_si128(crc32_fold(x2, k12), crc32_load(p + 32));
		x3 = _mm_xor_si128(crc32_fold(x3, k12), crc32_load(p + 48));
	}
	x0 = _mm_xor_si128(crc32_fold(x0, k34), x1);
	x0 = _mm_xor_si128(crc32_fold(x0, k34), x2);
	x0 = _mm_xor_si128(crc32_fold(x0, k34), x3);
	for (; n >= 16; p += 16, n -= 16)
		x0 = _mm_xor_si128(crc32_fold(x0, k34), crc32_load(p));
	return crc32_reduce(x0);
}

/* Whole 16-byte blocks by folding, the rest of the bytes by zlib. */
static uint32_t
crc32_fast(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t body = n & ~(size_t)15;

	if (n < 64)
		return crc32_portable(crc, p, n);
	crc = ~crc32_clmul(~crc, p, body);
	return crc32_portable(crc, p + body, n - body);
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
