/* compress.c: MariaDB's log_bin_compress -- a QUERY's statement or a ROWS
 * event's row images zlib-compressed behind a small header, inflated into
 * one reused buffer that the usual decoder then reads. */
#include <string.h>
#include <zlib.h>

#include "exitcode.h"
#include "log.h"
#include "binlog_int.h"

/* An event is at most max_allowed_packet (1 GiB): a bigger stated length
 * is a corrupt header, not something to allocate. */
#define COMPRESS_MAX_SIZE	(1024UL * 1024 * 1024)

/* The rest of c is [0x80 | n][n-byte big-endian length][zlib data]; on
 * success c reads the inflated bytes instead. */
int
compress_inflate(struct reader *r, struct cursor *c)
{
	struct obuf *o = &r->inflated;
	const uint8_t *p;
	uLongf n;
	uint64_t want;
	size_t left;
	int lenlen;

	if ((p = cursor_bytes(c, 1)) == NULL || (*p & 0x80) == 0)
		return event_bad(r, "compressed event without its 0x80 header");
	lenlen = *p & 0x07;
	if (lenlen < 1 || lenlen > 4)
		return event_bad(r, "compressed event with a length of "
		    "more than 4 bytes");
	want = cursor_uint_be(c, lenlen);
	left = cursor_left(c);
	if (c->err || (p = cursor_bytes(c, left)) == NULL)
		return event_bad(r, "compressed event too short");
	if (want > COMPRESS_MAX_SIZE)
		return event_bad(r, "compressed event states over 1 GiB");
	o->len = 0;
	obuf_reserve(o, want + 1);
	n = (uLongf)want;
	if (uncompress((Bytef *)o->buf, &n, p, (uLong)left) != Z_OK ||
	    n != want)
		return event_bad(r, "compressed event does not inflate to its "
		    "stated length");
	o->len = n;
	cursor_init(c, (const uint8_t *)o->buf, n);
	return 0;
}
