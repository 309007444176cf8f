/* event.c: binlog events from raw bytes -- the bounds-checked cursor, the
 * common header, the CRC check, and the decoders of the events that move
 * transactions and positions along. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "exitcode.h"
#include "log.h"
#include "util.h"
#include "streamer.h"

void
cursor_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->err = 0;
}

size_t
cursor_left(const struct cursor *c)
{
	return c->err ? 0 : c->len - c->off;
}

const uint8_t *
cursor_bytes(struct cursor *c, size_t n)
{
	const uint8_t *p;

	if (c->err || n > c->len - c->off) {
		c->err = 1;
		return NULL;
	}
	p = c->p + c->off;
	c->off += n;
	return p;
}

/* Little-endian unsigned integer of 1..8 bytes. */
uint64_t
cursor_uint(struct cursor *c, int bytes)
{
	const uint8_t *p;
	uint64_t v = 0;
	int i;

	if ((p = cursor_bytes(c, (size_t)bytes)) == NULL)
		return 0;
	for (i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Big-endian unsigned integer of 1..8 bytes (temporal and DECIMAL). */
uint64_t
cursor_uint_be(struct cursor *c, int bytes)
{
	const uint8_t *p;
	uint64_t v = 0;
	int i;

	if ((p = cursor_bytes(c, (size_t)bytes)) == NULL)
		return 0;
	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* The protocol's length-encoded integer. */
uint64_t
cursor_lenenc(struct cursor *c)
{
	uint64_t v = cursor_uint(c, 1);

	switch (v) {
	case 0xfc:
		return cursor_uint(c, 2);
	case 0xfd:
		return cursor_uint(c, 3);
	case 0xfe:
		return cursor_uint(c, 8);
	case 0xfb:
	case 0xff:
		c->err = 1;
		return 0;
	}
	return v;
}

const char *
event_type_name(uint8_t type)
{
	switch (type) {
	case EV_QUERY:			return "QUERY";
	case EV_ROTATE:			return "ROTATE";
	case EV_FORMAT_DESCRIPTION:	return "FORMAT_DESCRIPTION";
	case EV_XID:			return "XID";
	case EV_TABLE_MAP:		return "TABLE_MAP";
	case EV_WRITE_ROWS_V1:		return "WRITE_ROWS_V1";
	case EV_UPDATE_ROWS_V1:		return "UPDATE_ROWS_V1";
	case EV_DELETE_ROWS_V1:		return "DELETE_ROWS_V1";
	case EV_HEARTBEAT:		return "HEARTBEAT";
	case EV_WRITE_ROWS:		return "WRITE_ROWS";
	case EV_UPDATE_ROWS:		return "UPDATE_ROWS";
	case EV_DELETE_ROWS:		return "DELETE_ROWS";
	case EV_MARIADB_GTID:		return "GTID";
	case EV_MARIADB_GTID_LIST:	return "GTID_LIST";
	}
	return "other";
}

/* Reports a decode failure naming the event and where it is. */
static int
event_bad(struct reader *r, const char *what)
{
	return reader_fail(r, BX_DECODE, "cannot decode %s event (type %u) "
	    "at %s:%llu: %s", event_type_name(r->hdr.type), r->hdr.type,
	    r->file, (unsigned long long)r->offset, what);
}

/* The durable position after the transaction that just ended. */
static void
event_publish(struct reader *r, bool force)
{
	struct position pos;

	memset(&pos, 0, sizeof(pos));
	if (gtid_set_format(r->gtids, pos.gtid, sizeof(pos.gtid)) == -1)
		log_warnx("GTID set too long for a checkpoint; truncated");
	strlcpy_(pos.file, r->file, sizeof(pos.file));
	pos.offset = r->hdr.log_pos;
	pos.server_id = r->server_id;
	strlcpy_(pos.server_uuid, r->server_uuid, sizeof(pos.server_uuid));
	pos.ts = r->hdr.ts;
	streamer_publish(r->st, &pos, force);
}

/* The transaction ended: records out first, then its position. */
static int
event_commit(struct reader *r, bool have_xid, uint64_t xid, bool force)
{
	if (record_commit(r, have_xid, xid) == -1)
		return -1;
	if (r->have_gtid && r->mariadb)
		gtid_set_add_mariadb(r->gtids, r->gtid_domain, r->gtid_server,
		    r->gtid_seq);
	r->in_trx = false;
	r->have_gtid = false;
	tablemap_reset(r);
	if (r->hdr.log_pos != 0)
		event_publish(r, force);
	return 0;
}

static int
event_fde(struct reader *r, struct cursor *c)
{
	size_t n;
	const uint8_t *ph;

	/* binlog version, server version, create time, header length */
	cursor_bytes(c, 2 + 50 + 4);
	if (cursor_uint(c, 1) != EVHDR_LEN)
		return event_bad(r, "unexpected common header length");
	if (c->err || cursor_left(c) < 5)
		return event_bad(r, "too short");
	/* post-header lengths, then the checksum algorithm and a CRC slot */
	r->checksum = c->p[c->len - 5] == 1;
	n = cursor_left(c) - 5;
	if (n > sizeof(r->post_header))
		n = sizeof(r->post_header);
	ph = cursor_bytes(c, n);
	memcpy(r->post_header, ph, n);
	r->npost_header = n;
	return 0;
}

/* Post-header length of an event type as the FDE declares it. */
static size_t
event_post_header(const struct reader *r, uint8_t type, size_t dflt)
{
	if (type == 0 || type > r->npost_header)
		return dflt;
	return r->post_header[type - 1];
}

static int
event_rotate(struct reader *r, struct cursor *c)
{
	uint64_t pos = cursor_uint(c, 8);
	size_t n = cursor_left(c);
	const uint8_t *name = cursor_bytes(c, n);

	if (c->err || n == 0 || n >= sizeof(r->file))
		return event_bad(r, "bad file name length");
	memcpy(r->file, name, n);
	r->file[n] = '\0';
	r->offset = pos;
	/* A real rotate ends a file: its position (new file, 4) is durable
	 * and worth committing now, all earlier records being out. */
	if (!(r->hdr.flags & EVFLAG_ARTIFICIAL) && r->hdr.ts != 0 &&
	    !r->in_trx) {
		r->hdr.log_pos = (uint32_t)pos;
		event_publish(r, true);
	}
	return 0;
}

static int
event_gtid(struct reader *r, struct cursor *c)
{
	r->gtid_seq = cursor_uint(c, 8);
	r->gtid_domain = (uint32_t)cursor_uint(c, 4);
	r->gtid_server = r->hdr.server_id;
	if (c->err)
		return event_bad(r, "too short");
	gtid_format_mariadb(r->gtid_text, sizeof(r->gtid_text),
	    r->gtid_domain, r->gtid_server, r->gtid_seq);
	r->have_gtid = true;
	r->in_trx = true;
	return 0;
}

/* The state at the start of a file (or the one we asked to resume
 * from): the executed set before the events that follow. */
static int
event_gtid_list(struct reader *r, struct cursor *c)
{
	uint32_t i, n = (uint32_t)cursor_uint(c, 4) & 0x0fffffff;
	uint32_t dom, srv;
	uint64_t seq;

	if (cursor_left(c) / 16 < n)
		return event_bad(r, "GTID count exceeds the event");
	gtid_set_clear(r->gtids);
	for (i = 0; i < n; i++) {
		dom = (uint32_t)cursor_uint(c, 4);
		srv = (uint32_t)cursor_uint(c, 4);
		seq = cursor_uint(c, 8);
		gtid_set_add_mariadb(r->gtids, dom, srv, seq);
	}
	return 0;
}

static bool
event_query_is(const uint8_t *q, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return n == wl && strncasecmp((const char *)q, word, wl) == 0;
}

static int
event_query(struct reader *r, struct cursor *c)
{
	size_t ph = event_post_header(r, EV_QUERY, 13), dblen, varlen, n;
	const uint8_t *q;

	cursor_bytes(c, 8);			/* thread id, exec time */
	dblen = cursor_uint(c, 1);
	cursor_bytes(c, 2);			/* error code */
	varlen = ph >= 13 ? cursor_uint(c, 2) : 0;
	cursor_bytes(c, ph > 13 ? ph - 13 : 0);
	cursor_bytes(c, varlen + dblen + 1);
	n = cursor_left(c);
	q = cursor_bytes(c, n);
	if (c->err)
		return event_bad(r, "too short");
	if (event_query_is(q, n, "BEGIN")) {
		r->in_trx = true;
		return 0;
	}
	if (event_query_is(q, n, "COMMIT") || event_query_is(q, n, "ROLLBACK"))
		return event_commit(r, false, 0, false);
	if (n >= 2 && strncasecmp((const char *)q, "XA", 2) == 0)
		return 0;
	/* Anything else is DDL (or a statement we do not turn into rows):
	 * its own transaction, after which cached columns may be stale. */
	tablemap_forget_schema(r);
	log_debug("DDL at %s:%llu: %.*s", r->file,
	    (unsigned long long)r->offset, (int)(n > 200 ? 200 : n), q);
	return event_commit(r, false, 0, true);
}

/* Checks the CRC32 of the event and strips it from len. */
static int
event_crc(struct reader *r, const uint8_t *buf, size_t *len)
{
	uint32_t want, got;

	if (*len < EVHDR_LEN + 4)
		return event_bad(r, "shorter than a header and checksum");
	*len -= 4;
	want = (uint32_t)buf[*len] | (uint32_t)buf[*len + 1] << 8 |
	    (uint32_t)buf[*len + 2] << 16 | (uint32_t)buf[*len + 3] << 24;
	got = (uint32_t)crc32(0L, buf, (uInt)*len);
	if (want != got)
		return event_bad(r, "CRC32 mismatch");
	return 0;
}

static int
event_header(struct reader *r, struct cursor *c)
{
	r->hdr.ts = (uint32_t)cursor_uint(c, 4);
	r->hdr.type = (uint8_t)cursor_uint(c, 1);
	r->hdr.server_id = (uint32_t)cursor_uint(c, 4);
	r->hdr.size = (uint32_t)cursor_uint(c, 4);
	r->hdr.log_pos = (uint32_t)cursor_uint(c, 4);
	r->hdr.flags = (uint16_t)cursor_uint(c, 2);
	if (c->err)
		return reader_fail(r, BX_DECODE, "event at %s:%llu shorter "
		    "than its header", r->file, (unsigned long long)r->offset);
	if (r->hdr.log_pos >= r->hdr.size)
		r->offset = r->hdr.log_pos - r->hdr.size;
	return 0;
}

static int
event_dispatch(struct reader *r, struct cursor *c)
{
	uint8_t t = r->hdr.type;

	switch (t) {
	case EV_ROTATE:			return event_rotate(r, c);
	case EV_MARIADB_GTID:		return event_gtid(r, c);
	case EV_MARIADB_GTID_LIST:	return event_gtid_list(r, c);
	case EV_QUERY:			return event_query(r, c);
	case EV_TABLE_MAP:		return tablemap_decode(r, c);
	case EV_XID:
		return event_commit(r, true, cursor_uint(c, 8), false);
	case EV_WRITE_ROWS_V1: case EV_UPDATE_ROWS_V1: case EV_DELETE_ROWS_V1:
	case EV_WRITE_ROWS: case EV_UPDATE_ROWS: case EV_DELETE_ROWS:
		return rows_decode(r, c, t);
	}
	if (t >= EV_MARIADB_QUERY_COMPRESSED &&
	    t <= EV_MARIADB_ROWS_COMPRESSED_LAST)
		return event_bad(r, "compressed binlog events (log_bin_compress)"
		    " are not supported yet; set log_bin_compress=OFF");
	return 0;	/* heartbeats and everything else: nothing to do */
}

/* Decodes one event: header, CRC, then the event's own decoder. */
int
event_decode(struct reader *r, const uint8_t *buf, size_t len)
{
	struct cursor c;

	cursor_init(&c, buf, len);
	if (event_header(r, &c) == -1)
		return -1;
	if (r->hdr.size != len)
		return event_bad(r, "length differs from the packet");
	stats_event(&r->hdr, len);
	if (r->hdr.type == EV_FORMAT_DESCRIPTION) {
		if (event_fde(r, &c) == -1)
			return -1;
		cursor_init(&c, buf, len);
		cursor_bytes(&c, EVHDR_LEN);
	}
	if (r->checksum && event_crc(r, buf, &len) == -1)
		return -1;
	c.len = len;
	if (r->hdr.type == EV_FORMAT_DESCRIPTION)
		return 0;
	return event_dispatch(r, &c);
}
