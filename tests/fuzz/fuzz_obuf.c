/* fuzz_obuf.c: libFuzzer target holding obuf_simd.c's levels to each
 * other -- each input written as a UTF-8 JSON string, as a latin1 one and
 * as base64 at every level the CPU has, the outputs compared byte for
 * byte with the scalar level's (tests/unit/test_obuf.c holds that one to
 * a reference).  Built with ASan and UBSan by run.sh: a store past the
 * room obuf.c keeps (the UTF-8 string is written a second time into a
 * buffer with no room to spare), or a read past the input, is a crash
 * too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binlog_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The three writers' output at one level, one after another in o; the
 * input is copied to a buffer of its exact size, so ASan sees any read
 * past it. */
static void
write_all(struct obuf *o, const uint8_t *s, size_t n, int level)
{
	uint8_t *c = malloc(n ? n : 1);
	struct obuf tight;

	if (c == NULL)
		abort();
	memcpy(c, s, n);
	obuf_simd_level(level);
	o->len = 0;
	obuf_json_str(o, c, n);
	obuf_json_latin1(o, c, n);
	obuf_base64(o, c, n);
	/* and with no room past the least obuf_json_str asks for */
	tight.cap = n + 1 + OBUF_SLACK;
	if ((tight.buf = malloc(tight.cap)) == NULL)
		abort();
	tight.len = 0;
	obuf_json_str(&tight, c, n);
	obuf_add(o, tight.buf, tight.len);
	free(tight.buf);
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *s, size_t n)
{
	static struct obuf want, got;
	int level, best = obuf_simd_level(-1);

	write_all(&want, s, n, OBUF_SCALAR);
	for (level = OBUF_SCALAR + 1; level <= best; level++) {
		write_all(&got, s, n, level);
		if (got.len != want.len || memcmp(got.buf, want.buf, got.len))
			abort();
	}
	return 0;
}
