/* payload.c: MySQL's TRANSACTION_PAYLOAD (binlog_transaction_compression):
 * a zstd-compressed run of events without checksums or positions, inflated
 * into one reused buffer and fed to the same dispatch as outer events,
 * each given the payload's own position. */
#include <string.h>

#include <zstd.h>

#include "exitcode.h"
#include "log.h"
#include "binlog_int.h"

enum {
	PL_END = 0,
	PL_PAYLOAD_SIZE = 1,
	PL_COMPRESSION_TYPE = 2,
	PL_UNCOMPRESSED_SIZE = 3,
	PL_ZSTD = 0,
	PL_NONE = 255,
};

/* A transaction can be large, but not more than max_binlog_cache_size
 * allows; 1 GiB bounds what a corrupt size field can make us allocate. */
#define PL_MAX_SIZE	(1024UL * 1024 * 1024)

/* The fields before the payload: type, length, value, up to PL_END. */
static int
payload_fields(struct cursor *c, uint64_t *ctype, uint64_t *usize,
    uint64_t *psize)
{
	uint64_t type, len;
	struct cursor v;
	const uint8_t *p;

	*ctype = PL_NONE;
	*usize = *psize = 0;
	while ((type = cursor_lenenc(c)) != PL_END && !c->err) {
		len = cursor_lenenc(c);
		if ((p = cursor_bytes(c, len)) == NULL)
			return -1;
		cursor_init(&v, p, len);
		if (type == PL_PAYLOAD_SIZE)
			*psize = cursor_lenenc(&v);
		else if (type == PL_COMPRESSION_TYPE)
			*ctype = cursor_lenenc(&v);
		else if (type == PL_UNCOMPRESSED_SIZE)
			*usize = cursor_lenenc(&v);
		if (v.err)
			return -1;
	}
	return c->err ? -1 : 0;
}

static int
payload_inflate(struct reader *r, struct cursor *c, uint64_t ctype,
    uint64_t usize, uint64_t psize)
{
	const uint8_t *p = cursor_bytes(c, psize);
	size_t n;

	if (p == NULL)
		return event_bad(r, "payload size exceeds the event");
	if (usize > PL_MAX_SIZE)
		return event_bad(r, "uncompressed size over 1 GiB");
	r->payload.len = 0;
	obuf_reserve(&r->payload, usize + 1);
	if (ctype == PL_NONE || (ctype != PL_ZSTD && psize == usize)) {
		obuf_add(&r->payload, p, psize);
		return 0;
	}
	if (ctype != PL_ZSTD)
		return event_bad(r, "unknown compression type");
	n = ZSTD_decompress(r->payload.buf, usize, p, psize);
	if (ZSTD_isError(n) || n != usize)
		return event_bad(r, "zstd payload does not inflate to its "
		    "stated size");
	r->payload.len = n;
	return 0;
}

/* Inner events: no checksum, log_pos 0; their position is the payload's
 * (the start offset for records, the end for the committed position). */
static int
payload_events(struct reader *r)
{
	struct evhdr outer = r->hdr;
	struct cursor c;
	size_t off = 0, size;
	const uint8_t *ev;
	bool checksum = r->checksum;
	int rc = 0;

	r->in_payload = true;
	while (rc == 0 && off < r->payload.len) {
		ev = (const uint8_t *)r->payload.buf + off;
		if (r->payload.len - off < EVHDR_LEN ||
		    (size = (size_t)(ev[9] | ev[10] << 8 | ev[11] << 16 |
		    (uint32_t)ev[12] << 24)) < EVHDR_LEN ||
		    size > r->payload.len - off) {
			r->hdr = outer;
			r->in_payload = false;
			return event_bad(r, "inner event overruns the payload");
		}
		cursor_init(&c, ev, size);
		r->checksum = false;
		rc = event_inner(r, &c, &outer);
		off += size;
	}
	r->checksum = checksum;
	r->in_payload = false;
	r->hdr = outer;
	return rc;
}

int
payload_decode(struct reader *r, struct cursor *c)
{
	uint64_t ctype, usize, psize;

	if (payload_fields(c, &ctype, &usize, &psize) == -1)
		return event_bad(r, "malformed payload header");
	if (payload_inflate(r, c, ctype, usize, psize) == -1)
		return -1;
	return payload_events(r);
}
