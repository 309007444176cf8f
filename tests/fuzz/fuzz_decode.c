/* fuzz_decode.c: libFuzzer target for the event decoder -- each input is a
 * binlog file's bytes, decoded exactly as binlogcat decodes a file (rows
 * events on two threads, parallel.c); built with ASan and UBSan by run.sh,
 * seeded with tests/fixtures/files. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "binlog_int.h"
#include "offline.h"
#include "output.h"
#include "util.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct offline_result st;
static struct reader rd;

/* Records go nowhere: the target is about reading, not writing. */
int
LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd == -1 || dup2(fd, STDOUT_FILENO) == -1)
		abort();
	offline_init(&rd, &st);
	par_init(2);
	return 0;
}

/* Mutations would almost all stop at the CRC check: the checksums are
 * recomputed (when the first event says there are checksums) so that the
 * decoders behind it see the mutated bytes. */
static void
fix_crcs(uint8_t *p, size_t n)
{
	size_t off = 4, size;
	uint32_t crc;

	if (n < 4 + EVHDR_LEN + 5)
		return;
	size = (size_t)p[off + 9] | (size_t)p[off + 10] << 8 |
	    (size_t)p[off + 11] << 16 | (size_t)p[off + 12] << 24;
	if (p[off + 4] != EV_FORMAT_DESCRIPTION || size < EVHDR_LEN + 5 ||
	    size > n - off || p[off + size - 5] != 1)
		return;
	p[off + 17] &= 0xfe;
	while (n - off >= EVHDR_LEN) {
		size = (size_t)p[off + 9] | (size_t)p[off + 10] << 8 |
		    (size_t)p[off + 11] << 16 | (size_t)p[off + 12] << 24;
		if (size < EVHDR_LEN + 4 || size > n - off)
			return;
		crc = (uint32_t)crc32(0L, p + off, (uInt)(size - 4));
		memcpy(p + off + size - 4, &crc, 4);
		off += size;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	offline_reset(&rd);
	offline_file(&rd, copy, size);
	free(copy);
	return 0;
}
