/* record.c: the format-independent record pipeline -- one reused output
 * buffer, one line per row in the chosen format (format_registry), the
 * last row of a transaction marked, records handed to the sink. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "util.h"

/* Where records go and in which format: stdout and maxwell unless the
 * owner chose others (binlogcat: stdout, its -F format). */
static const struct sink_owner record_nobody;
static struct sink	 record_stdout = {
	.ops = &sink_stdout_ops, .owner = &record_nobody
};
static struct sink	*record_sink = &record_stdout;
static const struct format_ops *record_format = &format_maxwell;
/* A byte sink whose owner is told of no positions (binlogcat) gets the
 * buffer a block at a time, not at each commit: a write(2) costs more
 * than copying 64 KiB in a VM, and blocks of 256 KiB took 1-4 % off
 * binlogcat's CPU time beside 64 KiB.  Its first record_done bytes are
 * whole transactions, kept if the input fails in the next
 * (record_abandon). */
#define RECORD_BLOCK	(4 * OBUF_FLUSH_AT)
static size_t		 record_done;
/*
 * A byte sink's records formatted apart (parallel.c) are not copied into
 * r->out (a tenth of binlogcat's instructions on wide text): the job's
 * buffer of whole records is taken as it is, the job given a spare in
 * its place, and the run written with one writev(2) -- each piece the
 * reader's bytes of r->out up to out_end, then the job's.  A buffer is
 * a spare again once its bytes are written or dropped; only one of at
 * most a block is kept (RECORD_PIECES of them at most).  record_done_n:
 * the pieces of whole transactions, like record_done.
 */
#define RECORD_PIECES	64
struct record_piece {
	size_t		 out_end;
	struct obuf	 o;
};
static struct record_piece record_pieces[RECORD_PIECES];
static struct obuf	 record_spares[RECORD_PIECES];
static int		 record_npieces, record_nspares, record_done_n;
static size_t		 record_held;	/* bytes in the pieces */
/* The pending record's table and primary key, for a per-record sink,
 * and for a keyed one the header naming the other key of a key change
 * and whether a tombstone follows (a delete).  Per formatting thread
 * (parallel.c), like the state below, and per kind of reader: the
 * reader thread formats jobs too (detached readers), between the rows
 * of its own pending record and that record's end. */
struct record_meta {
	const struct tablemap *tm;
	struct obuf	 key, hdr;
	const char	*hdr_name;
	bool		 tomb;
};
static __thread struct record_meta record_metas[2];
/* Which image holds the row after the change: 1, but 0 while a key
 * change's insert is made from the after image (record_rekey). */
static __thread int record_after = 1;
static __thread uint64_t record_event_at;	/* offset of the rows event */
static __thread uint32_t record_rowno;		/* row within that event */

/* A record formatted apart for a per-record sink (r->recs, in out's
 * order): where it is in out, and its record_meta; then the key's and
 * the header's bytes. */
struct record_ent {
	const struct tablemap *tm;
	const char	*hdr_name;
	size_t		 at, len;
	size_t		 keylen, hdrlen;
	bool		 tomb;
};

static struct record_meta *
record_meta(const struct reader *r)
{
	return &record_metas[r->detached ? 1 : 0];
}

void
record_set_sink(struct sink *s)
{
	record_sink = s;
}

/* The record formats: the one list of their names. */
const struct format_ops *const format_registry[] = {
	&format_maxwell,
	&format_debezium,
	NULL,
};

const struct format_ops *
format_find(const char *name)
{
	const struct format_ops *const *f;

	for (f = format_registry; *f != NULL; f++)
		if (strcmp((*f)->name, name) == 0)
			return *f;
	return NULL;
}

int
record_set_format(const char *name)
{
	const struct format_ops *f = format_find(name);

	if (f == NULL)
		return -1;
	record_format = f;
	return 0;
}

static int
record_sink_fail(struct reader *r)
{
	if (record_sink->owner->errored != NULL)
		record_sink->owner->errored();
	return reader_fail(r, record_sink->code != 0 ? record_sink->code :
	    BX_FAILURE, "%s sink: %s", record_sink->ops->name,
	    record_sink->error);
}

/*
 * A record the sink cannot take for its size: [sink] on_oversize = skip
 * writes nothing for it and its owner records a gap (1: skipped); fail,
 * the default, stops the stream with BX_OVERSIZE for an operator to act.
 */
static int
record_oversize(struct reader *r, const struct sink_rec *rec)
{
	char what[1024];

	snprintf(what, sizeof(what), "oversize: %s.%s key %.*s: %s",
	    rec->db ? rec->db : "?", rec->table ? rec->table : "?",
	    rec->key ? (int)(rec->keylen > 200 ? 200 : rec->keylen) : 4,
	    rec->key ? rec->key : "none", record_sink->error);
	if (r->conf != NULL && strcmp(r->conf->on_oversize, "skip") == 0 &&
	    r->hooks->skipped != NULL) {
		r->hooks->skipped(r, what);
		return 1;
	}
	return reader_fail(r, BX_OVERSIZE, "%s; raise [sink] "
	    "kafka.message.max.bytes and the topic's max.message.bytes, or "
	    "leave the large column out with [filter] drop_columns = "
	    "db.table.column (or set [sink] on_oversize = skip to record such "
	    "a row as a gap and go on); then binlogctl reload and "
	    "binlogctl start-streamer", what);
}

/* Hands o's bytes to the sink: one record of table tm with its key, or
 * (tm NULL) a run of lines, or (o NULL) the key's tombstone.  1 when the
 * record was too big and skipped. */
static int
record_send(struct reader *r, const struct tablemap *tm, const struct obuf *o)
{
	const struct record_meta *m = record_meta(r);
	struct sink_rec rec;
	int rc;

	memset(&rec, 0, sizeof(rec));
	if (tm != NULL) {
		rec.db = tm->db;
		rec.table = tm->table;
		rec.key = m->key.len > 0 ? m->key.buf : NULL;
		rec.keylen = m->key.len;
	}
	if (tm != NULL && o != NULL && m->hdr_name != NULL) {
		rec.hdr = m->hdr_name;
		rec.hdrval = m->hdr.buf;
		rec.hdrlen = m->hdr.len;
	}
	rec.buf = o != NULL ? o->buf : NULL;
	rec.len = o != NULL ? o->len : 0;
	if ((rc = record_sink->ops->write(record_sink, &rec)) == SINK_TOO_BIG)
		return record_oversize(r, &rec);
	if (rc == -1)
		return record_sink_fail(r);
	return 0;
}

/* The bytes waiting for a byte sink: r->out's and the pieces'. */
static size_t
record_gathered(const struct reader *r)
{
	return r->out.len + record_held;
}

/* The pieces from the nth on are spares again. */
static void
record_drop(int n)
{
	struct obuf *o;

	for (; record_npieces > n; record_npieces--) {
		o = &record_pieces[record_npieces - 1].o;
		record_held -= o->len;
		o->len = 0;
		record_spares[record_nspares++] = *o;
	}
}

/* The reader stops, its buffers go: no piece is written after. */
void
record_forget(void)
{
	record_drop(0);
	record_done_n = 0;
	while (record_nspares > 0)
		free(record_spares[--record_nspares].buf);
}

/* Hands the buffer's records, after the pieces', to a byte sink and
 * empties both. */
static int
record_write(struct reader *r)
{
	struct iovec iov[2 * RECORD_PIECES + 1];
	struct sink_rec rec = { .iov = iov };
	const struct record_piece *p;
	size_t at = 0;
	int i, rc;

	for (i = 0; i < record_npieces; i++) {
		p = &record_pieces[i];
		if (p->out_end > at)
			iov[rec.iovcnt++] = (struct iovec){ r->out.buf + at,
			    p->out_end - at };
		iov[rec.iovcnt++] = (struct iovec){ p->o.buf, p->o.len };
		at = p->out_end;
	}
	if (r->out.len > at)
		iov[rec.iovcnt++] = (struct iovec){ r->out.buf + at,
		    r->out.len - at };
	rc = rec.iovcnt == 0 ? 0 : record_sink->ops->write(record_sink, &rec);
	record_drop(0);
	r->out.len = 0;
	record_done = 0;
	record_done_n = 0;
	return rc == -1 ? record_sink_fail(r) : 0;
}

/* One whole record o of a per-record sink, with its table and key; a
 * keyed sink, after a delete, the key's tombstone too if it wants them
 * (a compacted topic then forgets the key). */
static int
record_deliver(struct reader *r, const struct obuf *o)
{
	const struct record_meta *m = record_meta(r);
	int rc;

	if ((rc = record_send(r, m->tm, o)) != 0)
		return rc == 1 ? 0 : -1;
	if (!m->tomb || !record_sink->tombstones || m->key.len == 0)
		return 0;
	return record_send(r, m->tm, NULL) == -1 ? -1 : 0;
}

/* The record from r->row_at to the end of out, with its record_meta,
 * noted in r->recs for record_join to hand on. */
static void
record_keep(struct reader *r)
{
	const struct record_meta *m = record_meta(r);
	struct record_ent e = {
		.tm = m->tm, .hdr_name = m->hdr_name, .at = r->row_at,
		.len = r->out.len - r->row_at, .keylen = m->key.len,
		.hdrlen = m->hdr.len, .tomb = m->tomb,
	};

	obuf_add(&r->recs, &e, sizeof(e));
	if (e.keylen > 0)
		obuf_add(&r->recs, m->key.buf, e.keylen);
	if (e.hdrlen > 0)
		obuf_add(&r->recs, m->hdr.buf, e.hdrlen);
}

/* A per-record sink gets each record as soon as it is whole -- one
 * formatted apart (parallel.c) once it is joined, in binlog order. */
static int
record_emit(struct reader *r)
{
	int rc;

	if (!record_sink->ops->per_record)
		return 0;
	if (r->detached) {
		record_keep(r);
		return 0;
	}
	rc = record_deliver(r, &r->out);
	r->out.len = 0;
	return rc;
}

/* Closes the row that was waiting to learn whether it ends its
 * transaction: it does not. */
static int
record_close_pending(struct reader *r)
{
	if (!r->row_pending)
		return 0;
	obuf_add(&r->out, "}\n", 2);
	r->row_pending = false;
	return record_emit(r);
}

/* The row's primary key as a JSON object into key, from the image
 * which that has the row (after for an insert or update, before for a
 * delete), its values in img; an after image without a key column
 * (binlog_row_image = MINIMAL: the key did not change) takes the
 * before image's. */
static void
record_pk(struct reader *r, const struct tablemap *tm, int which,
    const struct obuf *img, struct obuf *key)
{
	const struct obuf *b;
	const struct span *sp;
	uint32_t i;

	key->len = 0;
	for (i = 0; i < tm->ncols; i++) {
		sp = &r->spans[which][i];
		b = img;
		if (which == 1 && !sp->present) {
			sp = &r->spans[0][i];
			b = &r->img[0];
		}
		if (!tm->cols[i].pk || !sp->present)
			continue;
		obuf_str(key, key->len == 0 ? "{" : ",");
		column_key(key, tm, i);
		obuf_add(key, b->buf + sp->off, sp->len);
	}
	if (key->len > 0)
		obuf_add(key, "}", 1);
}

/* Whether an update's images give the row another primary key. */
static bool
record_key_changed(const struct reader *r, const struct tablemap *tm)
{
	const struct span *a, *b;
	uint32_t i;

	for (i = 0; i < tm->ncols; i++) {
		a = &r->spans[0][i];
		b = &r->spans[1][i];
		if (tm->cols[i].pk && a->present && b->present &&
		    (a->len != b->len || memcmp(r->img[0].buf + a->off,
		    r->img[1].buf + b->off, a->len) != 0))
			return true;
	}
	return false;
}

/* The table's names as JSON text, escaped once per TABLE_MAP rather than
 * once per row: "db" and "table", then each column's "name": key after
 * a comma, so that a pair after the first takes both in one copy, and
 * OBUF_OVER zeros after the last, for obuf_add_over. */
void
record_names(struct tablemap *tm)
{
	struct obuf *j = &tm->json;
	struct column *col;
	uint32_t i;
	size_t at;

	j->len = 0;
	obuf_json_str(j, (const uint8_t *)tm->db, strlen(tm->db));
	tm->db_json = (uint32_t)j->len;
	obuf_json_str(j, (const uint8_t *)tm->table, strlen(tm->table));
	tm->table_json = (uint32_t)(j->len - tm->db_json);
	for (i = 0; i < tm->ncols; i++) {
		col = &tm->cols[i];
		obuf_add(j, ",", 1);
		at = j->len;
		obuf_json_str(j, (const uint8_t *)col->name, strlen(col->name));
		obuf_add(j, ":", 1);
		col->key_off = (uint32_t)at;
		col->key_len = (uint32_t)(j->len - at);
	}
	obuf_reserve(j, OBUF_OVER);
	memset(j->buf + j->len, 0, OBUF_OVER);
}

/* A row's image which (0: before, 1: after, in r->img) as "key":{col:
 * value,...}; with other, only the columns whose value differs from
 * other's (the "old" of an update). */
void
record_image(struct reader *r, const struct tablemap *tm, const char *key,
    int which, int other)
{
	struct obuf *o = &r->out, *img;
	struct span *sp, *os;
	bool first = true;
	uint32_t i;

	obuf_lit(o, ",\"");
	obuf_str(o, key);
	obuf_lit(o, "\":{");
	for (i = 0; i < tm->ncols; i++) {
		img = &r->img[which];
		sp = r->spans[which];
		/* an update's data: a column only the before image has (the
		 * key, under binlog_row_image=MINIMAL) has not changed */
		if (!sp[i].present && which == record_after && other < 0 &&
		    r->spans[1 - which][i].present) {
			img = &r->img[1 - which];
			sp = r->spans[1 - which];
		}
		if (!sp[i].present || tm->cols[i].dropped)
			continue;
		if (other >= 0) {
			os = &r->spans[other][i];
			if (!os->present || (os->len == sp[i].len &&
			    memcmp(r->img[other].buf + os->off,
			    img->buf + sp[i].off, os->len) == 0))
				continue;
		}
		column_pair_key(o, tm, i, first);
		first = false;
		obuf_add(o, img->buf + sp[i].off, sp[i].len);
	}
	obuf_add(o, "}", 1);
}

/* A table mapped and wanted: the columns [filter] drops, and the JSON
 * keys of its names, made once. */
void
record_mapped(struct tablemap *tm)
{
	filter_columns(tm);
	record_names(tm);
}

/* The annotated statement as a JSON string: every row of the statement
 * carries it, so the escaped text is kept while the statement lasts. */
void
record_query(struct obuf *o, const struct obuf *q)
{
	static __thread struct obuf raw, json;

	if (raw.len != q->len || memcmp(raw.buf, q->buf, q->len) != 0) {
		raw.len = json.len = 0;
		obuf_add(&raw, q->buf, q->len);
		obuf_json_str(&json, (const uint8_t *)q->buf, q->len);
	}
	obuf_add(o, json.buf, json.len);
}

/* What every row's record does first: close the one before, hand a full
 * buffer on, count the row within its event. */
static int
record_row_prelude(struct reader *r, const struct tablemap *tm)
{
	struct record_meta *m = record_meta(r);

	if (record_close_pending(r) == -1)
		return -1;
	if (!r->detached && record_gathered(r) >= RECORD_BLOCK &&
	    record_flush(r) == -1)
		return -1;
	record_rowno = record_event_at == r->offset ? record_rowno + 1 : 0;
	record_event_at = r->offset;
	m->tm = tm;
	m->hdr_name = NULL;
	m->tomb = false;
	r->row_at = r->out.len;
	return 0;
}

/* Puts the after image where an insert's format looks for its one
 * image, or back. */
static void
record_swap_images(struct reader *r)
{
	struct obuf img = r->img[0];
	struct span *sp = r->spans[0];

	r->img[0] = r->img[1];
	r->img[1] = img;
	r->spans[0] = r->spans[1];
	r->spans[1] = sp;
	record_after = 1 - record_after;
}

/*
 * An update that gives the row another key, for a keyed sink: a delete
 * of the old key naming the new one (and its tombstone), then an insert
 * of the new key naming the old one, as Debezium writes it, both of the
 * update's event; the insert stays pending like any row.  Otherwise the
 * old key would keep the row for ever in its partition and in a
 * compacted topic.
 */
static int
record_rekey(struct reader *r, const struct tablemap *tm)
{
	struct record_meta *m = record_meta(r);
	size_t diffs = r->scratch.len;
	struct obuf k;

	record_pk(r, tm, 0, &r->img[0], &m->key);
	record_pk(r, tm, 1, &r->img[1], &m->hdr);
	m->hdr_name = SINK_HDR_NEWKEY;
	r->scratch.len = 0;	/* JSON partial updates: the insert's */
	record_format->row(r, tm, FORMAT_DELETE, record_rowno);
	r->scratch.len = diffs;
	m->tomb = true;
	r->row_pending = true;
	if (record_close_pending(r) == -1)
		return -1;
	k = m->key;
	m->key = m->hdr;
	m->hdr = k;
	m->hdr_name = SINK_HDR_OLDKEY;
	m->tomb = false;
	r->row_at = r->out.len;
	record_swap_images(r);
	record_format->row(r, tm, FORMAT_INSERT, record_rowno);
	record_swap_images(r);
	r->row_pending = true;
	return 0;
}

/* One decoded row (its images in r->img) as a record in the chosen
 * format, left pending until the next record or the commit. */
int
record_row(struct reader *r, const struct tablemap *tm, int kind)
{
	bool upd = kind == EV_UPDATE_ROWS || kind == EV_UPDATE_ROWS_V1 ||
	    kind == EV_PARTIAL_UPDATE_ROWS;
	bool del = kind == EV_DELETE_ROWS || kind == EV_DELETE_ROWS_V1;

	if (record_row_prelude(r, tm) == -1)
		return -1;
	if (upd && record_sink->ops->keyed && record_key_changed(r, tm))
		return record_rekey(r, tm);
	if (record_sink->ops->per_record)
		record_pk(r, tm, upd ? 1 : 0, &r->img[upd ? 1 : 0],
		    &record_meta(r)->key);
	record_format->row(r, tm, upd ? FORMAT_UPDATE : del ? FORMAT_DELETE :
	    FORMAT_INSERT, record_rowno);
	record_meta(r)->tomb = del;
	r->row_pending = true;
	return 0;
}

/* A row a snapshot read (its image in r->img[0]), pending like any row;
 * change says which snapshot (FORMAT_READ*). */
int
record_snapshot_row(struct reader *r, const struct tablemap *tm,
    enum format_change change)
{
	if (record_row_prelude(r, tm) == -1)
		return -1;
	if (record_sink->ops->per_record)
		record_pk(r, tm, 0, &r->img[0], &record_meta(r)->key);
	record_format->row(r, tm, change, 0);
	r->row_pending = true;
	return 0;
}

/* A table's snapshot begins or ends: a record of its own in a format
 * that has one (Maxwell's bootstrap-start and bootstrap-complete). */
int
record_snapshot_mark(struct reader *r, const struct tablemap *tm, bool start)
{
	if (record_format->snapshot == NULL)
		return 0;
	if (record_row_prelude(r, tm) == -1)
		return -1;
	record_meta(r)->key.len = 0;
	record_format->snapshot(r, tm, start);
	r->row_pending = true;
	return 0;
}

/*
 * An insert or delete whose format takes its one image unchanged
 * (format_ops.open): 1 when its record is begun, up to its opening
 * brace, for the decoder to write the image's "name":value pairs into
 * r->out (then record_row_close); 0 when the row goes through r->img and
 * record_row.
 */
int
record_row_open(struct reader *r, const struct tablemap *tm, int kind)
{
	if (record_format->open == NULL || kind == EV_UPDATE_ROWS ||
	    kind == EV_UPDATE_ROWS_V1 || kind == EV_PARTIAL_UPDATE_ROWS)
		return 0;
	if (record_row_prelude(r, tm) == -1)
		return -1;
	record_meta(r)->tomb = kind == EV_DELETE_ROWS ||
	    kind == EV_DELETE_ROWS_V1;
	record_format->open(r, tm, record_meta(r)->tomb ? FORMAT_DELETE :
	    FORMAT_INSERT);
	return 1;
}

int
record_row_close(struct reader *r, const struct tablemap *tm)
{
	obuf_add(&r->out, "}", 1);
	if (record_sink->ops->per_record)
		record_pk(r, tm, 0, &r->out, &record_meta(r)->key);
	r->row_pending = true;
	return 0;
}

/* The image did not decode: no half record stays in the buffer (unless
 * a long value already sent part of it: the stream stops there). */
void
record_row_abort(struct reader *r)
{
	if (r->row_at <= r->out.len)
		r->out.len = r->row_at;
}

/* Whether a long value written into o may go to the sink in pieces:
 * o is the record buffer and the sink takes bytes, not whole records. */
bool
record_drains(const struct reader *r, const struct obuf *o)
{
	return o == &r->out && !record_sink->ops->per_record && !r->detached;
}

/*
 * Whether rows may be formatted apart from the buffer (parallel.c).  A
 * per-record sink's records go with their tables and keys (r->recs) --
 * but not under on_oversize = skip: a record the sink refuses is found
 * only when it is handed on, after the reader has moved past its event,
 * and its gap must name that event and the GTID set before it.
 */
bool
record_joinable(const struct reader *r)
{
	return !record_sink->ops->per_record || r->conf == NULL ||
	    strcmp(r->conf->on_oversize, "skip") != 0;
}

/* A job's rows are formatted (parallel.c): a per-record sink's open
 * last record is noted too, for record_join to make it the reader's
 * pending record with its table and key. */
void
record_job_end(struct reader *r)
{
	if (r->row_pending && record_sink->ops->per_record)
		record_keep(r);
}

/* The entry of recs at p into the reader's record_meta: the offset of
 * the next one. */
static size_t
record_ent_load(struct reader *r, const struct obuf *recs, size_t p,
    struct record_ent *e)
{
	struct record_meta *m = record_meta(r);

	memcpy(e, recs->buf + p, sizeof(*e));
	p += sizeof(*e);
	m->tm = e->tm;
	m->hdr_name = e->hdr_name;
	m->tomb = e->tomb;
	m->key.len = m->hdr.len = 0;
	if (e->keylen > 0)
		obuf_add(&m->key, recs->buf + p, e->keylen);
	if (e->hdrlen > 0)
		obuf_add(&m->hdr, recs->buf + p + e->keylen, e->hdrlen);
	return p + e->keylen + e->hdrlen;
}

/* A per-record sink's whole records of o, each with its entry of recs;
 * the open last one's entry stays loaded, its record's now. */
static int
record_join_each(struct reader *r, const struct obuf *o,
    const struct obuf *recs)
{
	struct record_ent e;
	struct obuf one = *o;
	size_t p = 0;

	while (p < recs->len) {
		p = record_ent_load(r, recs, p, &e);
		if (e.at >= o->len)
			break;
		one.buf = o->buf + e.at;
		one.len = e.len;
		if (record_deliver(r, &one) == -1)
			return -1;
	}
	return 0;
}

/* A byte sink's whole records formatted apart, the first len bytes of
 * o: a job's few kilobytes kept as a piece (o another buffer then) and
 * written a block at a time with the reader's own (a write per job was
 * a tenth of the reader's time: a system call costs microseconds in a
 * VM); a big run, or one in a buffer too big to keep (a big value in
 * its open record), handed on at once. */
static int
record_join_bytes(struct reader *r, struct obuf *o, size_t len)
{
	struct obuf whole = { .buf = o->buf, .len = len };
	struct record_piece *p;
	bool big = len > 0 && (len >= OBUF_FLUSH_AT / 2 ||
	    o->cap > OBUF_FLUSH_AT);

	if ((big || record_npieces == RECORD_PIECES ||
	    record_gathered(r) >= RECORD_BLOCK) && record_flush(r) == -1)
		return -1;
	if (len == 0)
		return 0;
	if (big)
		return record_send(r, NULL, &whole);
	p = &record_pieces[record_npieces++];
	p->out_end = r->out.len;
	p->o = *o;
	p->o.len = len;
	record_held += len;
	if (record_nspares > 0)
		*o = record_spares[--record_nspares];
	else
		memset(o, 0, sizeof(*o));
	return 0;
}

/* Records formatted apart (parallel.c) into o, in binlog order after
 * the pending record: the whole ones to a byte sink (record_join_bytes:
 * o may come back another, empty buffer), or to a per-record sink one
 * by one with what recs says of each; an open last one (pending, from
 * offset at) is copied into the buffer, where its end and the commit's
 * mark follow, so that the sink never holds half a record if the stream
 * stops first. */
int
record_join(struct reader *r, struct obuf *o, const struct obuf *recs,
    bool pending, size_t at)
{
	struct obuf whole = *o, tail;

	if (o->len == 0)
		return 0;
	if (record_close_pending(r) == -1)
		return -1;
	if (pending)
		whole.len = at;
	tail = (struct obuf){ .buf = o->buf + whole.len,
	    .len = o->len - whole.len };
	if (record_sink->ops->per_record) {
		if (record_join_each(r, &whole, recs) == -1)
			return -1;
	} else if (record_join_bytes(r, o, whole.len) == -1)
		return -1;
	r->row_at = r->out.len;
	if (tail.len > 0)
		obuf_add(&r->out, tail.buf, tail.len);
	r->row_pending = pending;
	return 0;
}

/* Hands a long value's text to the sink once there is a block of it. */
int
record_drain(struct reader *r)
{
	return record_gathered(r) >= RECORD_BLOCK ? record_write(r) : 0;
}

/*
 * A DDL statement ([filter] events has ddl) as a record of its own, left
 * pending like a row.  Maxwell's form names what the statement changes
 * (table-alter, database-create, ...: ddl_classify); for a per-record sink
 * its table is "_ddl", so all of a database's DDL shares one topic.
 */
int
record_ddl(struct reader *r, const uint8_t *db, size_t dblen,
    const uint8_t *sql, size_t len)
{
	static struct tablemap topic = { .table = "_ddl" }, shown;
	struct record_meta *m = record_meta(r);
	struct ddl d;

	if (record_close_pending(r) == -1)
		return -1;
	memcpy(d.db, db, dblen < sizeof(d.db) ? dblen : 0);
	d.db[dblen < sizeof(d.db) ? dblen : 0] = '\0';
	ddl_classify(sql, len, &d);
	strlcpy_(topic.db, d.db, sizeof(topic.db));
	strlcpy_(shown.db, d.db, sizeof(shown.db));
	strlcpy_(shown.table, d.table, sizeof(shown.table));
	m->tm = &topic;
	m->key.len = 0;
	m->hdr_name = NULL;
	m->tomb = false;
	r->row_at = r->out.len;
	record_format->ddl(r, &topic, &shown, d.type, sql, len);
	r->row_pending = true;
	return 0;
}

/* The input ended inside a transaction: its rows go out unmarked. */
int
record_close(struct reader *r)
{
	if (par_sync(r) == -1 || record_close_pending(r) == -1)
		return -1;
	return record_flush(r);
}

/* The transaction committed: mark its last row (in a format that has
 * marks), write everything out -- or, if nobody waits for its position,
 * once there is a block of it. */
int
record_commit(struct reader *r, bool have_xid, uint64_t xid)
{
	if (r->row_pending && record_format->commit != NULL &&
	    filter_event(FILTER_COMMIT))
		record_format->commit(r, have_xid, xid);
	if (record_close_pending(r) == -1)
		return -1;
	if (record_sink->owner->durable == NULL &&
	    !record_sink->ops->per_record &&
	    record_gathered(r) < RECORD_BLOCK) {
		record_done = r->out.len;
		record_done_n = record_npieces;
		return 0;
	}
	return record_flush(r);
}

/* The input failed inside a transaction: its records are dropped, as if
 * it never began, and those of the transactions before it written. */
int
record_abandon(struct reader *r)
{
	if (r->out.len > record_done)
		r->out.len = record_done;
	record_drop(record_done_n);
	r->row_pending = false;
	return record_flush(r);
}

/* Hands the whole records in the buffer to a byte sink. */
int
record_flush(struct reader *r)
{
	if (record_gathered(r) == 0 || record_sink->ops->per_record)
		return 0;
	return record_write(r);
}

/* The transaction's records are written: the sink reports pos once they
 * are durable. */
int
record_publish(struct reader *r, const struct position *pos, bool force)
{
	if (record_sink->ops->commit(record_sink, pos, force) == -1)
		return record_sink_fail(r);
	return 0;
}

/* The stream stops: the positions the sink still owes are reported (or
 * its failure is), so that the reader resumes from, and the streamer
 * saves, the last transaction written. */
int
record_settle(struct reader *r)
{
	if (record_sink->ops->settle != NULL &&
	    record_sink->ops->settle(record_sink) == -1)
		return record_sink_fail(r);
	return 0;
}
