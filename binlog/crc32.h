/* crc32.h: the CRC-32 of binlog events (zlib's crc32()), by carry-less
 * multiplication where the CPU has it. */
#ifndef BINLOGD_CRC32_H
#define BINLOGD_CRC32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* zlib's crc32(): 0 starts, and a result continues over more bytes. */
uint32_t crc32_ieee(uint32_t, const void *, size_t);

/* Whether crc32_ieee uses PCLMULQDQ: the CPU's choice when FAST, zlib's
 * portable code when not (which the tests check too). */
bool	 crc32_ieee_select(bool fast);

#endif
