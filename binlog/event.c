/* event.c: binlog events from raw bytes -- the bounds-checked cursor, the
 * common header, the CRC check, and the decoders of the events that move
 * transactions and positions along. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crc32.h"
#include "exitcode.h"
#include "log.h"
#include "util.h"
#include "binlog_int.h"

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
	/* Every type either flavour has written (MySQL binlog_event.h,
	 * MariaDB log_event.h), so that an error names what it met. */
	static const char *const mysql[] = {
		"UNKNOWN", "START_V3", "QUERY", "STOP", "ROTATE", "INTVAR",
		"LOAD", "SLAVE", "CREATE_FILE", "APPEND_BLOCK", "EXEC_LOAD",
		"DELETE_FILE", "NEW_LOAD", "RAND", "USER_VAR",
		"FORMAT_DESCRIPTION", "XID", "BEGIN_LOAD_QUERY",
		"EXECUTE_LOAD_QUERY", "TABLE_MAP", "PRE_GA_WRITE_ROWS",
		"PRE_GA_UPDATE_ROWS", "PRE_GA_DELETE_ROWS", "WRITE_ROWS_V1",
		"UPDATE_ROWS_V1", "DELETE_ROWS_V1", "INCIDENT", "HEARTBEAT",
		"IGNORABLE", "ROWS_QUERY", "WRITE_ROWS", "UPDATE_ROWS",
		"DELETE_ROWS", "GTID_LOG", "ANONYMOUS_GTID", "PREVIOUS_GTIDS",
		"TRANSACTION_CONTEXT", "VIEW_CHANGE", "XA_PREPARE",
		"PARTIAL_UPDATE_ROWS", "TRANSACTION_PAYLOAD", "HEARTBEAT_V2",
		"GTID_TAGGED_LOG",
	};
	static const char *const mariadb[] = {
		"ANNOTATE_ROWS", "BINLOG_CHECKPOINT", "GTID", "GTID_LIST",
		"START_ENCRYPTION", "QUERY_COMPRESSED",
		"WRITE_ROWS_COMPRESSED_V1", "UPDATE_ROWS_COMPRESSED_V1",
		"DELETE_ROWS_COMPRESSED_V1", "WRITE_ROWS_COMPRESSED",
		"UPDATE_ROWS_COMPRESSED", "DELETE_ROWS_COMPRESSED",
	};

	const size_t nmysql = sizeof(mysql) / sizeof(mysql[0]);
	const size_t nmariadb = sizeof(mariadb) / sizeof(mariadb[0]);

	if (type < nmysql)
		return mysql[type];
	if (type >= EV_MARIADB_ANNOTATE_ROWS &&
	    (size_t)(type - EV_MARIADB_ANNOTATE_ROWS) < nmariadb)
		return mariadb[type - EV_MARIADB_ANNOTATE_ROWS];
	return "other";
}

int
reader_fail(struct reader *r, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->hooks->fail(r, code, msg);
	return -1;
}

/* Reports a decode failure naming the event and where it is. */
int
event_bad(struct reader *r, const char *what)
{
	return reader_fail(r, BX_DECODE, "cannot decode %s event (type %u) "
	    "at %s:%llu: %s", event_type_name(r->hdr.type), r->hdr.type,
	    r->file, (unsigned long long)r->offset, what);
}

/* The position at offset of the current file, with the GTID set of the
 * transactions that ended before it. */
void
event_position_at(const struct reader *r, uint64_t offset,
    struct position *pos)
{
	/* field by field: zeroing the whole struct (8 KiB of GTID text)
	 * per transaction was most of a small transaction's cost */
	if (gtid_set_format(r->gtids, pos->gtid, sizeof(pos->gtid)) == -1)
		log_errx("GTID set too long for a checkpoint; truncated");
	strlcpy_(pos->file, r->file, sizeof(pos->file));
	pos->offset = offset;
	pos->server_id = r->server_id;
	strlcpy_(pos->server_uuid, r->server_uuid, sizeof(pos->server_uuid));
	pos->ts = r->hdr.ts;
	pos->rows_done = 0;
	pos->snap.id = 0;
}

/* The durable position after the transaction that just ended. */
static void
event_position(const struct reader *r, struct position *pos)
{
	event_position_at(r, r->hdr.log_pos, pos);
}

/* That position, for the sink to report once the records before it are
 * durable. */
static int
event_publish(struct reader *r, bool force)
{
	struct position pos;

	event_position(r, &pos);
	return r->hooks->publish(r, &pos, force);
}

/*
 * Where a transaction starts and ends, as the server wrote it:
 *  - it starts at a GTID event (MariaDB's, MySQL's, anonymous or tagged),
 *    or at BEGIN / XA START where none came, or at a rows event that
 *    comes with neither (MySQL 5.1's non-transactional statements);
 *  - after BEGIN, XA START or a MariaDB GTID not flagged standalone
 *    (MariaDB writes no BEGIN) only COMMIT, ROLLBACK, XA PREPARE (event or
 *    statement), XA COMMIT/ROLLBACK or an XID end it (event_query,
 *    event_dispatch): SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT, XA END,
 *    statement-logged changes and DDL that did not commit (temporary
 *    tables) stay inside;
 *  - otherwise the one statement after the GTID is the transaction:
 *    a DDL (which commits implicitly) or a statement-logged change, unless
 *    MySQL's transaction_length says more follows (CREATE ... SELECT);
 *  - rows with neither GTID nor BEGIN end with their statement (STMT_END).
 * Only at those ends is a position published (event_commit); a rotate
 * publishes one only between transactions (event_rotate).
 */
void
event_trx_reset(struct reader *r)
{
	r->in_trx = r->trx_framed = r->trx_begun = r->trx_warned = false;
	r->have_gtid = false;
	r->trx_ts = 0;
	r->trx_end = 0;
	r->query.len = 0;
}

/* The transaction ended: records out first, then its position (both
 * perhaps after rows still being formatted: par_commit). */
static int
event_commit(struct reader *r, bool have_xid, uint64_t xid, bool force)
{
	struct trx_end e;	/* not zeroed: pos only when have_pos */

	if (r->have_gtid && gtid_set_flavor(r->gtids) == GTID_FLAVOR_MARIADB)
		gtid_set_add_mariadb(r->gtids, r->gtid_domain, r->gtid_server,
		    r->gtid_seq);
	else if (r->have_gtid)
		gtid_set_add_mysql(r->gtids, r->gtid_uuid,
		    r->gtid_tag[0] != '\0' ? r->gtid_tag : NULL, r->gtid_seq);
	event_trx_reset(r);
	tablemap_reset(r);
	e.have_xid = have_xid;
	e.xid = xid;
	e.force = force;
	if ((e.have_pos = r->hdr.log_pos != 0))
		event_position(r, &e.pos);
	return r->hooks->commit(r, &e);
}

/* An event that opens a transaction if none is open; the first such
 * event's time stands for the commit's where the server gave none. */
static void
event_trx_open(struct reader *r, bool framed)
{
	r->in_trx = true;
	r->trx_framed |= framed;
	if (r->trx_ts == 0)
		r->trx_ts = r->hdr.ts;
}

/* Does the statement just read leave its transaction open? */
static bool
event_trx_goes_on(const struct reader *r)
{
	return r->trx_begun || (r->trx_end != 0 && !r->in_payload &&
	    r->offset + r->hdr.size < r->trx_end);
}

/* A change the server wrote without rows: a statement (binlog_format
 * STATEMENT or MIXED, LOAD DATA) or a loss it admits (INCIDENT).  Never
 * silent: the owner records it (reader_hooks.unrowed), the first of a
 * transaction as a gap. */
static void
event_unrowed(struct reader *r, const char *kind, const uint8_t *text,
    size_t n)
{
	char line[UNROWED_TEXT_MAX + 1];
	size_t i;

	/* the statement's start, on one line */
	for (i = 0; i < n && i < UNROWED_TEXT_MAX; i++)
		line[i] = text[i] < 0x20 ? ' ' : (char)text[i];
	line[i] = '\0';
	r->hooks->unrowed(r, kind, line, !r->trx_warned);
	r->trx_warned = r->in_trx;
}

/* A server writes one flavour of GTID: the set follows the events. */
static void
event_flavor(struct reader *r, enum gtid_flavor f)
{
	if (gtid_set_flavor(r->gtids) == f)
		return;
	gtid_set_free(r->gtids);
	if ((r->gtids = gtid_set_new(f)) == NULL)
		fatal("GTID set");
}

static int
event_fde(struct reader *r, struct cursor *c)
{
	size_t n;
	const uint8_t *ph, *version;
	char sv[51] = "";

	/* binlog version, server version, create time, header length */
	cursor_bytes(c, 2);
	version = cursor_bytes(c, 50);
	cursor_bytes(c, 4);
	if (r->offline && version != NULL)
		r->mariadb = strstr(strncpy(sv, (const char *)version, 50),
		    "MariaDB") != NULL;
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
	if (r->offline)		/* positions stay the file's on disk */
		return 0;
	memcpy(r->file, name, n);
	r->file[n] = '\0';
	r->offset = pos;
	/* A real rotate ends a file: its position (new file, 4) is durable
	 * and worth committing now, all earlier records being out. */
	if (!(r->hdr.flags & EVFLAG_ARTIFICIAL) && r->hdr.ts != 0 &&
	    !r->in_trx) {
		r->hdr.log_pos = (uint32_t)pos;
		if (event_publish(r, true) == -1)
			return -1;
	}
	return 0;
}

static int
event_gtid(struct reader *r, struct cursor *c)
{
	uint8_t flags;

	r->gtid_seq = cursor_uint(c, 8);
	r->gtid_domain = (uint32_t)cursor_uint(c, 4);
	flags = (uint8_t)cursor_uint(c, 1);
	r->gtid_server = r->hdr.server_id;
	if (c->err)
		return event_bad(r, "too short");
	event_flavor(r, GTID_FLAVOR_MARIADB);
	r->trx_ts = 0;
	/* MariaDB writes no BEGIN: a GTID not flagged standalone (one DDL
	 * statement) stands for it, and an XID, COMMIT or XA PREPARE ends
	 * its transaction. */
	r->trx_begun = !(flags & MARIADB_GTID_STANDALONE);
	gtid_format_mariadb(r->gtid_text, sizeof(r->gtid_text),
	    r->gtid_domain, r->gtid_server, r->gtid_seq);
	r->have_gtid = true;
	event_trx_open(r, true);	/* its time is the commit's */
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

	event_flavor(r, GTID_FLAVOR_MARIADB);
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

/* A DDL statement: its own transaction (it commits implicitly), after
 * which cached columns may be stale. */
static int
event_ddl(struct reader *r, const uint8_t *db, size_t dblen,
    const uint8_t *q, size_t n)
{
	if (r->hooks->sync(r) == -1 ||
	    tablemap_forget_schema(r, db, dblen, q, n) == -1)
		return -1;
	log_debug("DDL at %s:%llu: %.*s", r->file,
	    (unsigned long long)r->offset, (int)(n > 200 ? 200 : n), q);
	event_trx_open(r, false);
	if (r->hooks->want(FILTER_DDL) &&
	    r->hooks->ddl(r, db, dblen, q, n) == -1)
		return -1;
	return event_trx_goes_on(r) ? 0 : event_commit(r, false, 0, true);
}

/* A statement: what it does to the transaction around it (ddl_stmt). */
static int
event_statement(struct reader *r, const uint8_t *db, size_t dblen,
    const uint8_t *q, size_t n)
{
	switch (ddl_stmt(q, n)) {
	case STMT_BEGIN:
		event_trx_open(r, true);
		r->trx_begun = true;
		return 0;
	case STMT_END:
		return event_commit(r, false, 0, false);
	case STMT_IN_TRX:
		return 0;
	case STMT_DML:
		event_trx_open(r, false);
		event_unrowed(r, "statement-logged", q, n);
		return event_trx_goes_on(r) ? 0 :
		    event_commit(r, false, 0, false);
	case STMT_DDL:
		break;
	}
	return event_ddl(r, db, dblen, q, n);
}

/* QUERY, QUERY_COMPRESSED and EXECUTE_LOAD_QUERY (a LOAD DATA whose file
 * came in BEGIN_LOAD_QUERY and APPEND_BLOCK events): the statement. */
static int
event_query(struct reader *r, struct cursor *c)
{
	size_t ph = event_post_header(r, r->hdr.type,
	    r->hdr.type == EV_EXECUTE_LOAD_QUERY ? 26 : 13), dblen, varlen, n;
	const uint8_t *q, *db;

	cursor_bytes(c, 8);			/* thread id, exec time */
	dblen = cursor_uint(c, 1);
	cursor_bytes(c, 2);			/* error code */
	varlen = ph >= 13 ? cursor_uint(c, 2) : 0;
	cursor_bytes(c, ph > 13 ? ph - 13 : 0);
	cursor_bytes(c, varlen);
	db = cursor_bytes(c, dblen + 1);
	if (!c->err && r->hdr.type == EV_MARIADB_QUERY_COMPRESSED &&
	    compress_inflate(r, c) == -1)
		return -1;
	n = cursor_left(c);
	q = cursor_bytes(c, n);
	if (c->err)
		return event_bad(r, "too short");
	return event_statement(r, db, dblen, q, n);
}

/* MySQL 3.23 to 4.x wrote LOAD DATA as events of their own; the data
 * goes with the statement, which has no rows for us. */
static int
event_old_load(struct reader *r)
{
	static const uint8_t what[] = "LOAD DATA (a pre-5.0 LOAD event)";

	event_trx_open(r, false);
	event_unrowed(r, "statement-logged", what, sizeof(what) - 1);
	return event_trx_goes_on(r) ? 0 : event_commit(r, false, 0, false);
}

/* The CRC32 of an event a piece at a time: the pages of a spilled one
 * (spill.c) are let go as soon as they are counted. */
static uint32_t
event_crc_of(const struct reader *r, uint32_t crc, const uint8_t *p,
    size_t n)
{
	const size_t piece = 1024 * 1024;
	size_t k;

	for (; n > 0; p += k, n -= k) {
		k = n < piece ? n : piece;
		crc = crc32_ieee(crc, p, k);
		if (r->hooks->release != NULL)
			r->hooks->release(p, k);
	}
	return crc;
}

/* Checks the CRC32 of the event and strips it from len. */
static int
event_crc(struct reader *r, const uint8_t *buf, size_t *len)
{
	uint32_t want, got;
	uint8_t flag;

	if (*len < EVHDR_LEN + 4)
		return event_bad(r, "shorter than a header and checksum");
	*len -= 4;
	want = (uint32_t)buf[*len] | (uint32_t)buf[*len + 1] << 8 |
	    (uint32_t)buf[*len + 2] << 16 | (uint32_t)buf[*len + 3] << 24;
	/* A FORMAT_DESCRIPTION's CRC is computed before the server sets
	 * LOG_EVENT_BINLOG_IN_USE_F (bit 0 of flags) in the open file. */
	if (r->hdr.type == EV_FORMAT_DESCRIPTION && (buf[17] & 1)) {
		got = crc32_ieee(0, buf, 17);
		flag = buf[17] & 0xfe;
		got = crc32_ieee(got, &flag, 1);
		got = crc32_ieee(got, buf + 18, *len - 18);
	} else
		got = event_crc_of(r, 0, buf, *len);
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
	/* Offline, the file's own offset (offline_file): a relay log's
	 * log_pos is the source's, and old servers' can be anything. */
	if (!r->offline && r->hdr.log_pos >= r->hdr.size)
		r->offset = r->hdr.log_pos - r->hdr.size;
	return 0;
}

/* MySQL 8.4's serialization: the count of low one-bits of the first
 * byte is the count of bytes that follow (8: a plain uint64). */
static uint64_t
event_varlen(struct cursor *c)
{
	uint8_t b;
	int extra = 0;

	if (cursor_left(c) == 0) {
		c->err = 1;
		return 0;
	}
	b = c->p[c->off];
	while (extra < 8 && (b >> extra) & 1)
		extra++;
	if (extra == 8) {
		cursor_bytes(c, 1);
		return cursor_uint(c, 8);
	}
	return cursor_uint(c, extra + 1) >> (extra + 1);
}

/* GTID_TAGGED_LOG: fields by id; we need flags, uuid, gno and tag. */
static void
event_gtid_tagged(struct reader *r, struct cursor *c)
{
	uint64_t id, v, n;
	int i;
	const uint8_t *p;

	event_varlen(c);			/* format version */
	event_varlen(c);			/* message size */
	event_varlen(c);			/* last non-ignorable field */
	while (cursor_left(c) > 0 && (id = event_varlen(c)) <= 3) {
		if (id == 1)
			for (i = 0; i < 16; i++)
				r->gtid_uuid[i] = (uint8_t)event_varlen(c);
		else if (id == 2) {
			v = event_varlen(c);
			r->gtid_seq = v >> 1 ^ -(v & 1);
		} else if (id == 3) {
			n = event_varlen(c);
			if ((p = cursor_bytes(c, n)) != NULL &&
			    n < sizeof(r->gtid_tag)) {
				memcpy(r->gtid_tag, p, n);
				r->gtid_tag[n] = '\0';
			} else
				c->err = 1;
		} else
			event_varlen(c);
	}
}

/* After the GTID of MySQL 5.7 and 8.0: the logical clock, then (8.0.1)
 * the commit's time in microseconds -- the bit 55 says the original
 * commit's follows -- and (8.0.2) the transaction's length in bytes,
 * this event's included. */
static void
event_gtid_mysql_tail(struct reader *r, struct cursor *c)
{
	uint64_t us, len;

	if (cursor_left(c) < 17 + 7)
		return;
	cursor_bytes(c, 17);		/* clock type, last committed, seq */
	us = cursor_uint(c, 7);
	if (us >> 55 & 1) {
		us &= ~(1ULL << 55);
		cursor_bytes(c, 7);
	}
	if (us / 1000000 > 0 && us / 1000000 <= UINT32_MAX)
		r->trx_ts = (uint32_t)(us / 1000000);
	if (cursor_left(c) > 0 && (len = cursor_lenenc(c)) > 0 && !c->err)
		r->trx_end = r->offset + len;
	c->err = 0;			/* what came before is what counts */
}

/* MySQL's GTID_LOG, ANONYMOUS_GTID and GTID_TAGGED_LOG: a transaction
 * starts; the GTID joins the set when it commits. */
static int
event_gtid_mysql(struct reader *r, struct cursor *c)
{
	const uint8_t *uuid;

	event_flavor(r, GTID_FLAVOR_MYSQL);
	r->gtid_tag[0] = '\0';
	r->have_gtid = false;
	r->trx_ts = 0;
	r->trx_end = 0;
	if (r->hdr.type == EV_MYSQL_GTID_TAGGED)
		event_gtid_tagged(r, c);
	else {
		cursor_bytes(c, 1);		/* flags */
		if ((uuid = cursor_bytes(c, 16)) != NULL)
			memcpy(r->gtid_uuid, uuid, 16);
		r->gtid_seq = cursor_uint(c, 8);
		if (!c->err)
			event_gtid_mysql_tail(r, c);
	}
	event_trx_open(r, true);
	if (c->err)
		return event_bad(r, "too short");
	if (r->hdr.type == EV_MYSQL_ANON_GTID)
		return 0;
	if (gtid_format_mysql(r->gtid_text, sizeof(r->gtid_text), r->gtid_uuid,
	    r->gtid_tag[0] ? r->gtid_tag : NULL, r->gtid_seq) < 0)
		return event_bad(r, "bad GTID");
	r->have_gtid = true;
	return 0;
}

/* One uuid's (and tag's) intervals of PREVIOUS_GTIDS, as set text. */
static void
event_prev_sid(struct cursor *c, bool tagged, struct obuf *o)
{
	const uint8_t *u = cursor_bytes(c, 16), *tag = NULL;
	uint64_t i, n, tlen = 0, a, b;

	if (tagged && (tlen = event_varlen(c)) > 0)
		tag = cursor_bytes(c, tlen);
	n = cursor_uint(c, 8);
	if (u == NULL || cursor_left(c) / 16 < n) {
		c->err = 1;
		return;
	}
	obuf_printf(o, "%s%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", o->len ? "," : "", u[0], u[1], u[2],
	    u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	    u[13], u[14], u[15]);
	if (tag != NULL)
		obuf_printf(o, ":%.*s", (int)tlen, (const char *)tag);
	for (i = 0; i < n; i++) {
		a = cursor_uint(c, 8);
		b = cursor_uint(c, 8);		/* exclusive */
		if (b <= a)
			c->err = 1;
		else if (b - 1 == a)
			obuf_printf(o, ":%llu", (unsigned long long)a);
		else
			obuf_printf(o, ":%llu-%llu", (unsigned long long)a,
			    (unsigned long long)(b - 1));
	}
}

/* PREVIOUS_GTIDS: the executed set before this file, untagged or (8.4)
 * tagged: then byte 0 is 1, bytes 1-6 the count and byte 7 is 1. */
static int
event_prev_gtids(struct reader *r, struct cursor *c)
{
	uint64_t n = cursor_uint(c, 8), i;
	bool tagged = (n & 0xff) == 1 && n >> 56 == 1;
	char err[256];

	event_flavor(r, GTID_FLAVOR_MYSQL);
	if (tagged)
		n = (n >> 8) & 0xffffffffffffULL;
	r->scratch.len = 0;
	for (i = 0; i < n && !c->err; i++)
		event_prev_sid(c, tagged, &r->scratch);
	obuf_add(&r->scratch, "", 1);
	if (c->err)
		return event_bad(r, "GTID intervals overrun the event");
	if (gtid_set_merge(r->gtids, r->scratch.buf, err, sizeof(err)) == -1)
		return event_bad(r, err);
	return 0;
}

/* ROWS_QUERY (MySQL: a length byte first) and ANNOTATE_ROWS: the
 * statement, carried in the records of the rows that follow. */
static int
event_rows_query(struct reader *r, struct cursor *c)
{
	size_t n;

	if (r->hdr.type == EV_ROWS_QUERY)
		cursor_bytes(c, 1);
	n = cursor_left(c);
	r->query.len = 0;
	obuf_add(&r->query, cursor_bytes(c, n), n);
	return c->err ? event_bad(r, "too short") : 0;
}

/* The server lost changes here (a failed non-transactional statement,
 * a binlog write error): a gap, never a stray log line. */
static int
event_incident(struct reader *r, struct cursor *c)
{
	uint64_t kind = cursor_uint(c, 2);
	size_t n = cursor_uint(c, 1);
	const uint8_t *msg = cursor_bytes(c, n);
	char text[300];
	int len;

	len = snprintf(text, sizeof(text), "kind %llu: %.*s",
	    (unsigned long long)kind, msg ? (int)n : 0,
	    msg ? (const char *)msg : "");
	event_unrowed(r, "incident", (const uint8_t *)text,
	    len < (int)sizeof(text) ? (size_t)len : sizeof(text) - 1);
	return 0;
}

/* Events we read past on purpose; anything else unknown must be marked
 * ignorable by the server or we stop rather than lose rows. */
static int
event_other(struct reader *r)
{
	switch (r->hdr.type) {
	case EV_BEGIN_LOAD_QUERY:	/* LOAD DATA's file: its query follows */
	case EV_APPEND_BLOCK:
	case EV_DELETE_FILE:
	case EV_CREATE_FILE:
		return 0;
	case EV_LOAD:
	case EV_NEW_LOAD:
	case EV_EXEC_LOAD:
		return event_old_load(r);
	case 3:		/* STOP */
	case 5:		/* INTVAR */
	case 13:	/* RAND */
	case 14:	/* USER_VAR */
	case EV_HEARTBEAT:
	case EV_IGNORABLE:
	case 36:	/* TRANSACTION_CONTEXT */
	case 37:	/* VIEW_CHANGE */
	case 41:	/* HEARTBEAT_V2 */
	case 161:	/* BINLOG_CHECKPOINT */
		return 0;
	case 164:	/* START_ENCRYPTION: a server sends decrypted events */
		if (!r->offline)
			return 0;
		return event_bad(r, "the file is encrypted; read it through "
		    "the server instead");
	case 1:		/* START_V3 */
		return event_bad(r, "a binlog of format v1 or v3 (MySQL 3.23 "
		    "or 4.x): it holds statements, no rows; binlogd reads "
		    "format v4 (MySQL 5.0 and later, MariaDB)");
	case 20: case 21: case 22:	/* PRE_GA_WRITE/UPDATE/DELETE_ROWS */
		return event_bad(r, "rows events of MySQL 5.1 before its GA "
		    "release (5.1.5 to 5.1.17), whose format binlogd does not "
		    "decode; read it with that server's mysqlbinlog");
	}
	if (r->hdr.flags & EVFLAG_IGNORABLE)
		return 0;
	return event_bad(r, "unknown event type, not marked ignorable; "
	    "this server version is not supported");
}

static bool
event_is_rows(uint8_t t)
{
	return (t >= EV_WRITE_ROWS_V1 && t <= EV_DELETE_ROWS_V1) ||
	    (t >= EV_WRITE_ROWS && t <= EV_DELETE_ROWS) ||
	    t == EV_PARTIAL_UPDATE_ROWS ||
	    (t > EV_MARIADB_QUERY_COMPRESSED &&
	    t <= EV_MARIADB_ROWS_COMPRESSED_LAST);
}

/* Events that wait for the rows before them only where they must: a
 * GTID starts a transaction, an XID ends it (par_commit), a statement's
 * text is copied into the rows jobs after it; a TABLE_MAP that changes a
 * map and a QUERY other than BEGIN or COMMIT wait (tablemap_decode,
 * event_query). */
static bool
event_is_state(uint8_t t)
{
	return t == EV_MARIADB_GTID || t == EV_MYSQL_GTID ||
	    t == EV_MYSQL_ANON_GTID || t == EV_MYSQL_GTID_TAGGED ||
	    t == EV_XID || t == EV_TABLE_MAP || t == EV_QUERY ||
	    t == EV_MARIADB_QUERY_COMPRESSED || t == EV_ROWS_QUERY ||
	    t == EV_MARIADB_ANNOTATE_ROWS;
}

/* A rows event; with neither GTID nor BEGIN before it (MySQL 5.1's
 * non-transactional tables) its statement is the transaction, ending
 * with the rows event flagged STMT_END. */
static int
event_rows(struct reader *r, struct cursor *c, int kind)
{
	size_t idlen = event_post_header(r, r->hdr.type, 8) == 6 ? 4 : 6;
	const uint8_t *flags = c->p + c->off + idlen;
	bool stmt_end = cursor_left(c) >= idlen + 2 && (flags[0] & 1);

	event_trx_open(r, false);
	if (r->hooks->rows(r, c, kind) == -1)
		return -1;
	return stmt_end && !r->trx_framed ? event_commit(r, false, 0, false) :
	    0;
}

static int
event_dispatch(struct reader *r, struct cursor *c)
{
	uint8_t t = r->hdr.type;

	/* rows events may be formatted on another thread (parallel.c);
	 * anything else comes after their records, but for what only sets
	 * the reader's state (event_is_state) */
	if (!event_is_rows(t) && !event_is_state(t) && r->hooks->sync(r) == -1)
		return -1;
	switch (t) {
	case EV_MYSQL_GTID: case EV_MYSQL_ANON_GTID: case EV_MYSQL_GTID_TAGGED:
		return event_gtid_mysql(r, c);
	case EV_MYSQL_PREV_GTIDS:	return event_prev_gtids(r, c);
	case EV_ROWS_QUERY: case EV_MARIADB_ANNOTATE_ROWS:
		return event_rows_query(r, c);
	case EV_INCIDENT:		return event_incident(r, c);
	case EV_XA_PREPARE:		return event_commit(r, false, 0, false);
	case EV_TRANSACTION_PAYLOAD:	return payload_decode(r, c);
	case EV_PARTIAL_UPDATE_ROWS:	return event_rows(r, c, t);
	case EV_ROTATE:			return event_rotate(r, c);
	case EV_MARIADB_GTID:		return event_gtid(r, c);
	case EV_MARIADB_GTID_LIST:	return event_gtid_list(r, c);
	case EV_QUERY: case EV_EXECUTE_LOAD_QUERY:
	case EV_MARIADB_QUERY_COMPRESSED:	return event_query(r, c);
	case EV_TABLE_MAP:		return tablemap_decode(r, c);
	case EV_XID:
		return event_commit(r, true, cursor_uint(c, 8), false);
	case EV_WRITE_ROWS_V1: case EV_UPDATE_ROWS_V1: case EV_DELETE_ROWS_V1:
	case EV_WRITE_ROWS: case EV_UPDATE_ROWS: case EV_DELETE_ROWS:
		return event_rows(r, c, t);
	}
	/* log_bin_compress: v1 WRITE/UPDATE/DELETE, then v2 */
	if (t > EV_MARIADB_QUERY_COMPRESSED &&
	    t <= EV_MARIADB_ROWS_COMPRESSED_LAST)
		return event_rows(r, c, t < EV_MARIADB_QUERY_COMPRESSED + 4 ?
		    EV_WRITE_ROWS_V1 + (t - EV_MARIADB_QUERY_COMPRESSED - 1) :
		    EV_WRITE_ROWS + (t - EV_MARIADB_QUERY_COMPRESSED - 4));
	return event_other(r);
}

/* An event inside a TRANSACTION_PAYLOAD: its header, the payload's
 * end position in place of its log_pos of 0, then the usual dispatch. */
int
event_inner(struct reader *r, struct cursor *c, const struct evhdr *outer)
{
	r->event_no++;
	if (event_header(r, c) == -1)
		return -1;
	r->hdr.log_pos = outer->log_pos;
	if (r->hdr.type == EV_TRANSACTION_PAYLOAD ||
	    r->hdr.type == EV_FORMAT_DESCRIPTION)
		return event_bad(r, "nested payload or FORMAT_DESCRIPTION");
	return event_dispatch(r, c);
}

/* Decodes one event: header, CRC, then the event's own decoder. */
int
event_decode(struct reader *r, const uint8_t *buf, size_t len)
{
	struct cursor c;

	r->event_no++;
	cursor_init(&c, buf, len);
	if (event_header(r, &c) == -1)
		return -1;
	if (r->hdr.size != len)
		return event_bad(r, "length differs from the packet");
	if (r->hooks->event_seen != NULL)
		r->hooks->event_seen(&r->hdr, len);
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

static void
event_free_obuf(struct obuf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* Frees everything the decoder grew for this reader: its buffers, table
 * maps and GTID set. */
void
event_release(struct reader *r)
{
	struct obuf *bufs[] = { &r->query, &r->payload, &r->inflated,
	    &r->scratch, &r->jd[0], &r->jd[1], &r->jd[2], &r->out, &r->recs,
	    &r->img[0], &r->img[1] };
	size_t i;

	for (i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		event_free_obuf(bufs[i]);
	for (i = 0; i < 2; i++) {
		free(r->spans[i]);
		r->spans[i] = NULL;
	}
	r->spans_cap = 0;
	tablemap_free(r);
	gtid_set_free(r->gtids);
	r->gtids = NULL;
}
