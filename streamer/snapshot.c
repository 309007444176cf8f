/* snapshot.c: [stream] snapshot = initial -- on the first start (no
 * checkpoint), the rows that already exist in the tables [filter] wants,
 * read in one consistent snapshot, as records through the same formats
 * and sink as the stream's, and the binlog position that snapshot is
 * consistent with, for the stream to start from.
 *
 * MariaDB takes no lock for it: START TRANSACTION WITH CONSISTENT
 * SNAPSHOT makes an InnoDB read view and, in the same step, sets the
 * session's binlog_snapshot_file and binlog_snapshot_position to where
 * the binlog stood (every transaction before them is in the view, none
 * after); BINLOG_GTID_POS turns that into the GTID position.  Writers go
 * on meanwhile.
 *
 * Chunks.  A table is one SELECT in primary-key order read with
 * mysql_use_result, a row at a time: memory does not grow with the
 * table.  Every [stream] snapshot_chunk_size rows the records so far are
 * closed and handed to the sink with the position, which carries the
 * progress (struct snap_progress: the table and the key of the last row
 * written); checkpointd saves the progress only once the sink has made
 * those records durable, as it saves any position.  One SELECT, not
 * one per chunk (WHERE key > last LIMIT n): a query's round trip per
 * chunk made the snapshot 1.5 to 3 times slower (bench/snapshot), and
 * the one read view is held for the whole snapshot anyway.  A
 * table without a primary key, or with one whose values do not come
 * back exactly as text (rows_text_keyed: FLOAT, ENUM, SET, BIT, ...), is
 * read whole in one SELECT, its progress saved at its end.
 *
 * Resuming.  A streamer killed in the middle finds the progress on its
 * next start and goes on after the last durable chunk: tables before it
 * are not read again, the table it was in gets no second bootstrap-start
 * and is read from after the saved key (WHERE (k1 > v1) OR (k1 = v1 AND
 * k2 > v2) ..., the key's values back from their JSON).  It reads in a NEW consistent
 * snapshot, at a later binlog position P1 than the first one's P0, so
 * the rows after the key are as of P1 while those before it are as of
 * P0.  The stream still starts at P0, the position saved with the
 * progress, never at P1.  That is consistent for a consumer that applies
 * records as upserts and deletes by primary key (a bootstrap-insert or
 * insert, an update -- the old key removed when it changes --, a delete
 * sets or removes its key whatever was there):
 *  - a key no transaction after P0 touched has the same row at P0 and at
 *    P1, so whichever snapshot read it is right, and nothing follows;
 *  - a key a transaction after P0 touched gets that transaction's record
 *    from the stream, which starts at P0 and comes after every snapshot
 *    record, so its last change wins whatever the snapshot said (a row
 *    read at P1 that a change before P1 made is made again; one deleted
 *    before P1 is missing from the resumed chunk and deleted again).
 * So once the stream passes P1 the copy equals the table; between P0 and
 * P1 a resumed table may show a key's newer row and then, briefly, older
 * ones again.  The killed snapshot's records after its last durable
 * chunk are in the sink too (at-least-once) and are read again, as
 * anything after a saved position is.  tests/integration/snapshot.sh
 * kills the streamer mid-snapshot under writes and replays.  A snapshot
 * that finished (its records durable, the position saved with state
 * done) is never taken again.
 *
 * Values.  The binlog path writes each value from its binary row image
 * (rows.c); a snapshot has the server's text of it instead, which
 * rows_text (rows.c, beside the binary decoders) writes.  Text is
 * chosen over the binary protocol because for most types the server's
 * text already is rows.c's form (integers, DECIMAL's exact digits,
 * temporal values with as many fractional digits as the column has,
 * TIMESTAMP in UTC once the session's time_zone is +00:00, INET6 and UUID
 * in their text forms) and a result set of any width streams without
 * binding buffers sized for the longest BLOB.  Where the text differs,
 * rows_text turns it into the same bytes the image gives, with the same
 * writers: FLOAT is selected as CAST(col AS DOUBLE) (17 digits, so
 * the float32 comes back exactly) and written by dtoa_float, DOUBLE
 * parsed and written by dtoa_double, BIT's bytes and YEAR as numbers,
 * SET as an array of its members, binary strings as base64 (BINARY(n)
 * comes padded, as rows.c pads it), text as JSON strings (the connection
 * is utf8mb4, so the server converts other charsets to UTF-8 as
 * charset.c does).  tests/integration/snapshot_types.sh holds every type
 * to the binlog record of the same row.  A saved key is a JSON array of
 * those values, turned back into SQL literals to resume after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "streamer.h"
#include "util.h"

/* The table being read. */
struct snap_table {
	struct tablemap	 tm;
	uint32_t	 key[SNAP_KEY_MAX];	/* its primary key's columns */
	uint32_t	 nkey;			/* 0: none */
	bool		 chunked;		/* read by key, a chunk at a time */
	uint64_t	 estimate;		/* information_schema's TABLE_ROWS */
};

/* The snapshot being taken. */
struct snap_run {
	MYSQL		*m;
	const atomic_bool *stopping;
	struct position	 at;		/* where the stream starts; progress */
	uint64_t	 chunk;		/* rows per SELECT */
	uint64_t	 table_rows;	/* rows of this table written */
	uint64_t	 chunks;	/* and its chunks */
	struct obuf	 q;		/* the SELECT */
	struct obuf	 after;		/* the next chunk starts after this key */
	bool		 held;		/* a row read waits in r->img[0] */
	bool		 written;	/* a row of this table written: img[1] */
	bool		 last_table;
};


static int
snapshot_fail(struct reader *r, MYSQL *m, const char *sql)
{
	return reader_fail(r, BX_FAILURE, "snapshot: %.200s: %s (%u)", sql,
	    mysql_error(m), mysql_errno(m));
}

static int
snapshot_exec(struct reader *r, MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql) != 0)
		return snapshot_fail(r, m, sql);
	return 0;
}

/* The binlog position the read view sees up to, as a GTID position too. */
static int
snapshot_position(struct reader *r, MYSQL *m, struct position *pos)
{
	static const char show[] = "SHOW STATUS LIKE 'binlog_snapshot_%'";
	char sql[POS_FILE_MAX * 2 + 64], esc[POS_FILE_MAX * 2 + 1];
	MYSQL_RES *res;
	MYSQL_ROW row;

	memset(pos, 0, sizeof(*pos));
	if (mysql_query(m, show) != 0 || (res = mysql_store_result(m)) == NULL)
		return snapshot_fail(r, m, show);
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL)
			continue;
		if (strcasecmp(row[0], "binlog_snapshot_file") == 0)
			strlcpy_(pos->file, row[1], sizeof(pos->file));
		else if (strcasecmp(row[0], "binlog_snapshot_position") == 0)
			pos->offset = strtoull(row[1], NULL, 10);
	}
	mysql_free_result(res);
	if (pos->file[0] == '\0')
		return reader_fail(r, BX_SERVER_CONFIG, "snapshot: the server "
		    "gives no binlog_snapshot_file: binary logging is off, or "
		    "the server is not MariaDB; start it with log_bin, or set "
		    "[stream] snapshot = never");
	mysql_real_escape_string(m, esc, pos->file, strlen(pos->file));
	snprintf(sql, sizeof(sql), "SELECT BINLOG_GTID_POS('%s', %llu)", esc,
	    (unsigned long long)pos->offset);
	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL)
		return snapshot_fail(r, m, sql);
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		strlcpy_(pos->gtid, row[0], sizeof(pos->gtid));
	mysql_free_result(res);
	return 0;
}


/* `name` with its backquotes doubled. */
void
snapshot_ident(struct obuf *o, const char *name)
{
	obuf_lit(o, "`");
	for (; *name != '\0'; name++)
		if (*name == '`')
			obuf_lit(o, "``");
		else
			obuf_add(o, name, 1);
	obuf_lit(o, "`");
}

/* `s` as a quoted SQL string of the connection's charset. */
static void
snapshot_quote(MYSQL *m, struct obuf *o, const char *s, size_t n)
{
	obuf_reserve(o, 2 * n + 3);
	obuf_lit(o, "'");
	o->len += mysql_real_escape_string(m, o->buf + o->len, s, n);
	obuf_lit(o, "'");
}

/* The table's columns (schema.c, information_schema) into tm, its JSON
 * names made and [filter] drop_columns applied; -1 after reader_fail. */
int
snapshot_map(struct reader *r, struct tablemap *tm)
{
	const struct schema_entry *e;
	uint32_t i;

	if ((e = schema_lookup(r, tm)) == NULL)
		return -1;
	if (e->ncols == 0)
		return reader_fail(r, BX_FAILURE, "snapshot: %s.%s has no "
		    "columns in information_schema (dropped meanwhile?)",
		    tm->db, tm->table);
	free(tm->cols);
	if ((tm->cols = calloc(e->ncols, sizeof(*tm->cols))) == NULL)
		fatal("snapshot columns");
	memcpy(tm->cols, e->cols, e->ncols * sizeof(*tm->cols));
	tm->ncols = e->ncols;
	for (i = 0; i < tm->ncols; i++)
		tm->cols[i].key_len = 0;
	record_mapped(tm);
	return 0;
}

/* The primary key's columns of tm in key order (information_schema's
 * SEQ_IN_INDEX, not the table's column order) into key, *nkey of them;
 * *whole false when a part is a prefix.  1 when a part is a column tm
 * does not have (the table changed since it was mapped), -1 when the
 * query fails (mysql_error(m)), else 0. */
int
snapshot_pk_columns(MYSQL *m, struct obuf *q, const struct tablemap *tm,
    uint32_t *key, uint32_t *nkey, bool *whole)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	uint32_t i;
	int rc = 0;

	q->len = 0;
	obuf_lit(q, "SELECT COLUMN_NAME, SUB_PART FROM "
	    "information_schema.STATISTICS WHERE TABLE_SCHEMA = ");
	snapshot_quote(m, q, tm->db, strlen(tm->db));
	obuf_lit(q, " AND TABLE_NAME = ");
	snapshot_quote(m, q, tm->table, strlen(tm->table));
	obuf_lit(q, " AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX");
	obuf_add(q, "", 1);
	if (mysql_query(m, q->buf) != 0 ||
	    (res = mysql_store_result(m)) == NULL)
		return -1;
	*nkey = 0;
	*whole = true;
	while ((row = mysql_fetch_row(res)) != NULL && *nkey < SNAP_KEY_MAX) {
		for (i = 0; i < tm->ncols; i++)
			if (row[0] != NULL && strcmp(tm->cols[i].name, row[0]) == 0)
				break;
		if (i == tm->ncols)
			rc = 1;
		else {
			key[(*nkey)++] = i;
			*whole &= row[1] == NULL;
		}
	}
	mysql_free_result(res);
	return rc;
}

/* The primary key's columns; chunked when each can be resumed after. */
static int
snapshot_pk(struct snap_run *s, struct reader *r, struct snap_table *t)
{
	uint32_t i;
	bool whole;
	int rc;

	if ((rc = snapshot_pk_columns(s->m, &s->q, &t->tm, t->key, &t->nkey,
	    &whole)) == -1)
		return snapshot_fail(r, s->m, s->q.buf);
	for (i = 0; i < t->nkey; i++)
		whole &= rows_text_keyed(&t->tm.cols[t->key[i]]);
	t->chunked = rc == 0 && t->nkey > 0 && whole;
	return 0;
}

/* UTF-8 of a code point from a \u escape. */
static void
snapshot_utf8(struct obuf *o, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	obuf_add(o, b, n);
}

static int
snapshot_hex4(const char *s, unsigned *cp)
{
	char h[5], *end;

	memcpy(h, s, 4);
	h[4] = '\0';
	if (strlen(h) != 4)
		return -1;
	*cp = (unsigned)strtoul(h, &end, 16);
	return *end == '\0' ? 0 : -1;
}

/* A JSON string's escape at *p (after the backslash) into o. */
static int
snapshot_unescape(const char **p, struct obuf *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *s = *p, *c;
	unsigned cp, lo;

	if (*s != 'u') {
		if (*s == '\0' || (c = strchr(from, *s)) == NULL)
			return -1;
		obuf_add(o, &to[c - from], 1);
		*p = s + 1;
		return 0;
	}
	if (snapshot_hex4(s + 1, &cp) == -1)
		return -1;
	s += 5;
	if (cp >= 0xd800 && cp < 0xdc00 && s[0] == '\\' && s[1] == 'u' &&
	    snapshot_hex4(s + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		s += 6;
	}
	snapshot_utf8(o, cp);
	*p = s;
	return 0;
}

/* One value of a saved key at *p as an SQL literal into q: a number as
 * it is, a string quoted, a binary string's base64 through FROM_BASE64.
 * -1 for anything else (a key not written by snapshot_key). */
static int
snapshot_literal(MYSQL *m, const struct column *col, const char **p,
    struct obuf *q)
{
	static struct obuf val;
	const char *v = *p;
	bool b64 = rows_text_base64(col);

	val.len = 0;
	if (*v != '"') {
		while (*v != '\0' && strchr("+-.0123456789eE", *v) != NULL)
			obuf_add(&val, v++, 1);
		if (val.len == 0)
			return -1;
		obuf_add(q, val.buf, val.len);
		*p = v;
		return 0;
	}
	for (v++; *v != '"'; )
		if (*v == '\0')
			return -1;
		else if (*v != '\\')
			obuf_add(&val, v++, 1);
		else if (v++, snapshot_unescape(&v, &val) == -1)
			return -1;
	*p = v + 1;
	if (b64)
		obuf_lit(q, "FROM_BASE64(");
	snapshot_quote(m, q, val.buf ? val.buf : "", val.len);
	if (b64)
		obuf_lit(q, ")");
	return 0;
}

/* The key's values as literals, lits[i] the offset of value i's in q
 * (after its end, the next's start). */
static int
snapshot_literals(MYSQL *m, const struct tablemap *tm, const uint32_t *key,
    uint32_t nkey, const char *json, struct obuf *q, size_t *lits)
{
	const char *p = json;
	uint32_t i;

	if (*p++ != '[')
		return -1;
	for (i = 0; i < nkey; i++) {
		lits[i] = q->len;
		if ((i > 0 && *p++ != ',') ||
		    snapshot_literal(m, &tm->cols[key[i]], &p, q) == -1)
			return -1;
	}
	lits[i] = q->len;
	return *p == ']' && p[1] == '\0' ? 0 : -1;
}

/*
 * "(k1 > v1) OR (k1 = v1 AND k2 > v2) ..." into q: the rows after a
 * saved key (a JSON array of the values of the key's columns key[], as
 * snapshot_key writes them), in the form the range optimiser turns into
 * one range of the primary key (MariaDB does not for a row comparison
 * (k1, k2) > (v1, v2)).  -1 when the key does not fit those columns.
 */
int
snapshot_after(MYSQL *m, const struct tablemap *tm, const uint32_t *key,
    uint32_t nkey, const char *json, struct obuf *q)
{
	static struct obuf lit;
	size_t at[SNAP_KEY_MAX + 1];
	uint32_t i, j;

	lit.len = 0;
	if (nkey > SNAP_KEY_MAX ||
	    snapshot_literals(m, tm, key, nkey, json, &lit, at) == -1)
		return -1;
	for (i = 0; i < nkey; i++) {
		obuf_str(q, i > 0 ? " OR (" : "(");
		for (j = 0; j <= i; j++) {
			if (j > 0)
				obuf_lit(q, " AND ");
			snapshot_ident(q, tm->cols[key[j]].name);
			obuf_str(q, j < i ? " = " : " > ");
			obuf_add(q, lit.buf + at[j], at[j + 1] - at[j]);
		}
		obuf_lit(q, ")");
	}
	return 0;
}

/* " WHERE " and the rows after the saved key. */
static int
snapshot_where(struct snap_run *s, struct reader *r,
    const struct snap_table *t, const char *key)
{
	obuf_lit(&s->q, " WHERE ");
	if (snapshot_after(s->m, &t->tm, t->key, t->nkey, key, &s->q) == 0)
		return 0;
	return reader_fail(r, BX_FAILURE, "snapshot: %s.%s: the saved key "
	    "%.200s does not fit the table's primary key (changed since?); "
	    "to start the snapshot over, reset the checkpoint (binlogctl "
	    "set-position)", t->tm.db, t->tm.table, key);
}

/* "SELECT every column, FLOATs as doubles, FROM `db`.`table`" into q. */
void
snapshot_columns(const struct tablemap *tm, struct obuf *q)
{
	uint32_t i;

	q->len = 0;
	obuf_lit(q, "SELECT ");
	for (i = 0; i < tm->ncols; i++) {
		if (i > 0)
			obuf_lit(q, ", ");
		if (rows_text_as_double(&tm->cols[i]))
			obuf_lit(q, "CAST(");
		snapshot_ident(q, tm->cols[i].name);
		if (rows_text_as_double(&tm->cols[i]))
			obuf_lit(q, " AS DOUBLE)");
	}
	obuf_lit(q, " FROM ");
	snapshot_ident(q, tm->db);
	obuf_lit(q, ".");
	snapshot_ident(q, tm->table);
}

/* The SELECT in primary-key order, after the key in s->after when
 * resumed. */
static int
snapshot_select(struct snap_run *s, struct reader *r,
    const struct snap_table *t)
{
	const struct tablemap *tm = &t->tm;
	uint32_t i;

	snapshot_columns(tm, &s->q);
	if (s->after.len > 0 && snapshot_where(s, r, t, s->after.buf) == -1)
		return -1;
	for (i = 0; i < t->nkey; i++) {
		obuf_str(&s->q, i > 0 ? ", " : " ORDER BY ");
		snapshot_ident(&s->q, tm->cols[t->key[i]].name);
	}
	obuf_add(&s->q, "", 1);
	return 0;
}

/* The key of the row in r->img[which] as a JSON array of its values,
 * NUL-terminated. */
static void
snapshot_key(struct reader *r, const struct snap_table *t, int which,
    struct obuf *o)
{
	const struct span *sp;
	uint32_t i;

	o->len = 0;
	obuf_lit(o, "[");
	for (i = 0; i < t->nkey; i++) {
		sp = &r->spans[which][t->key[i]];
		if (i > 0)
			obuf_lit(o, ",");
		obuf_add(o, r->img[which].buf + sp->off, sp->len);
	}
	obuf_lit(o, "]");
	obuf_add(o, "", 1);
	o->len--;
}

/* Room in r->spans for n columns. */
void
snapshot_spans(struct reader *r, uint32_t n)
{
	int i;

	if (n <= r->spans_cap)
		return;
	for (i = 0; i < 2; i++)
		if ((r->spans[i] = realloc(r->spans[i],
		    n * sizeof(*r->spans[i]))) == NULL)
			fatal("snapshot spans");
	r->spans_cap = n;
}

/* The row's values into r->img[0], every column present. */
void
snapshot_image(struct reader *r, const struct tablemap *tm, MYSQL_ROW row,
    const unsigned long *len)
{
	struct span *sp;
	uint32_t i;

	snapshot_spans(r, tm->ncols);
	r->img[0].len = 0;
	for (i = 0; i < tm->ncols; i++) {
		sp = &r->spans[0][i];
		sp->off = r->img[0].len;
		rows_text(&tm->cols[i], row[i], len[i], &r->img[0]);
		sp->len = r->img[0].len - sp->off;
		sp->present = true;
	}
}

/* The held row's record; its image then kept in r->img[1], whose key is
 * the progress once the chunk ends. */
static int
snapshot_write(struct snap_run *s, struct reader *r, struct snap_table *t,
    bool last)
{
	struct obuf img = r->img[0];
	struct span *sp = r->spans[0];

	if (record_snapshot_row(r, &t->tm, last ? FORMAT_READ_LAST :
	    FORMAT_READ) == -1)
		return -1;
	r->img[0] = r->img[1];
	r->img[1] = img;
	r->spans[0] = r->spans[1];
	r->spans[1] = sp;
	s->held = false;
	s->written = true;
	s->at.snap.rows++;
	s->table_rows++;
	return 0;
}

/* The records so far go to the sink with the position that carries the
 * progress: the last row written (a table's end: last_key "").  A key
 * too long for a position is not saved: the next chunk's is. */
static int
snapshot_progress(struct snap_run *s, struct reader *r,
    const struct snap_table *t, bool end)
{
	static struct obuf key;

	s->chunks++;
	if (!end) {
		if (!s->written)
			return 0;
		snapshot_key(r, t, 1, &key);
		if (key.len >= sizeof(s->at.snap.last_key))
			return 0;
		memcpy(s->at.snap.last_key, key.buf, key.len + 1);
	}
	stats_snapshot(&s->at.snap, s->table_rows, t->estimate, s->chunks);
	if (record_close(r) == -1 || record_publish(r, &s->at, false) == -1)
		return -1;
	return 0;
}

/* The table's SELECT, each row's record made once the next is read, so
 * that the last of the last table can be marked as the snapshot's last;
 * after every chunk of rows written, the progress. */
static int
snapshot_read(struct snap_run *s, struct reader *r, struct snap_table *t)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	int rc = 0;

	r->trx_ts = (uint32_t)time(NULL);	/* ts: when it was read */
	if (mysql_query(s->m, s->q.buf) != 0 ||
	    (res = mysql_use_result(s->m)) == NULL)
		return snapshot_fail(r, s->m, s->q.buf);
	while (!atomic_load(s->stopping) &&
	    (row = mysql_fetch_row(res)) != NULL) {
		if (s->held && (rc = snapshot_write(s, r, t, false)) != 0)
			break;
		if (t->chunked && s->table_rows % s->chunk == 0 &&
		    s->written) {
			if ((rc = snapshot_progress(s, r, t, false)) != 0)
				break;
			r->trx_ts = (uint32_t)time(NULL);
		}
		snapshot_image(r, &t->tm, row, mysql_fetch_lengths(res));
		s->held = true;
	}
	if (rc == 0 && !atomic_load(s->stopping) && mysql_errno(s->m) != 0)
		rc = snapshot_fail(r, s->m, s->q.buf);
	mysql_free_result(res);
	if (rc == 0 && atomic_load(s->stopping))
		rc = reader_fail(r, BX_OK, "stopped during the snapshot of "
		    "%s.%s after %llu rows; the next start resumes it", t->tm.db,
		    t->tm.table, (unsigned long long)s->at.snap.rows);
	return rc;
}

/* One table: its start mark (none when resumed), its rows a chunk at a
 * time, its end mark. */
static int
snapshot_table(struct snap_run *s, struct reader *r, struct snap_table *t,
    bool resume)
{
	s->held = s->written = false;
	s->after.len = 0;
	s->table_rows = s->chunks = 0;
	r->trx_ts = (uint32_t)time(NULL);
	if (resume) {
		obuf_str(&s->after, s->at.snap.last_key);
		obuf_add(&s->after, "", 1);
		s->after.len--;
	} else if (record_snapshot_mark(r, &t->tm, true) == -1)
		return -1;
	strlcpy_(s->at.snap.db, t->tm.db, sizeof(s->at.snap.db));
	strlcpy_(s->at.snap.table, t->tm.table, sizeof(s->at.snap.table));
	stats_snapshot(&s->at.snap, 0, t->estimate, 0);
	if (snapshot_select(s, r, t) == -1 || snapshot_read(s, r, t) == -1)
		return -1;
	if (s->held && snapshot_write(s, r, t, s->last_table) == -1)
		return -1;
	r->trx_ts = (uint32_t)time(NULL);
	if (record_snapshot_mark(r, &t->tm, false) == -1)
		return -1;
	log_info("snapshot: %s.%s: %llu rows%s, %s", t->tm.db, t->tm.table,
	    (unsigned long long)s->table_rows, resume ? " after the saved "
	    "key" : "", t->chunked ? "by key" : "read whole (no primary key "
	    "a snapshot can resume after)");
	s->at.snap.last_key[0] = '\0';
	return snapshot_progress(s, r, t, true);
}

/* The base tables [filter] wants, "db\0table\0rows\0" each, in byte
 * order (the order a saved progress compares with strcmp). */
static int
snapshot_tables(struct reader *r, MYSQL *m, struct obuf *list, size_t *n)
{
	static const char sql[] = "SELECT TABLE_SCHEMA, TABLE_NAME, "
	    "COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE "
	    "TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', "
	    "'information_schema', 'performance_schema', 'sys') "
	    "ORDER BY BINARY TABLE_SCHEMA, BINARY TABLE_NAME";
	MYSQL_RES *res;
	MYSQL_ROW row;
	int i;

	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL)
		return snapshot_fail(r, m, sql);
	*n = 0;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL || row[2] == NULL ||
		    strlen(row[0]) > 64 || strlen(row[1]) > 64 ||
		    !filter_table(row[0], row[1]))
			continue;
		for (i = 0; i < 3; i++)
			obuf_add(list, row[i], strlen(row[i]) + 1);
		++*n;
	}
	mysql_free_result(res);
	return 0;
}

/* Where a table stands against the saved progress: <0 done before it,
 * 0 the table it was in, >0 not begun. */
static int
snapshot_cmp(const struct snap_progress *p, const char *db,
    const char *table)
{
	int c;

	if (p->db[0] == '\0')
		return 1;
	if ((c = strcmp(db, p->db)) == 0)
		c = strcmp(table, p->table);
	return c < 0 || (c == 0 && p->last_key[0] == '\0') ? -1 : c;
}

/* Every wanted table the saved progress has not done. */
static int
snapshot_all(struct snap_run *s, struct reader *r)
{
	struct obuf list = { 0 };
	struct snap_table t;
	const char *p;
	size_t n = 0, i;
	int rc = snapshot_tables(r, s->m, &list, &n), c;

	memset(&t, 0, sizeof(t));
	for (i = 0, p = list.buf; rc == 0 && i < n; i++) {
		strlcpy_(t.tm.db, p, sizeof(t.tm.db));
		p += strlen(p) + 1;
		strlcpy_(t.tm.table, p, sizeof(t.tm.table));
		p += strlen(p) + 1;
		t.estimate = strtoull(p, NULL, 10);
		p += strlen(p) + 1;
		if ((c = snapshot_cmp(&s->at.snap, t.tm.db, t.tm.table)) < 0)
			continue;
		s->last_table = i + 1 == n;
		if ((rc = snapshot_map(r, &t.tm)) == 0 &&
		    (rc = snapshot_pk(s, r, &t)) == 0)
			rc = snapshot_table(s, r, &t, c == 0);
	}
	free(t.tm.cols);
	free(t.tm.json.buf);
	free(list.buf);
	return rc;
}

/* A new snapshot's progress, or the saved one's (its position P0). */
static void
snapshot_begin(struct snap_run *s, const struct position *now,
    const struct position *resume)
{
	static char desc[2][POS_GTID_MAX + POS_FILE_MAX + 16];
	struct timespec ts;

	if (resume != NULL) {
		s->at = *resume;
		log_info("snapshot: resuming the snapshot consistent with %s "
		    "after %s.%s key %s (%llu rows done), reading at %s; the "
		    "stream starts at the first", position_str(resume, desc[0],
		    sizeof(desc[0])), s->at.snap.db, s->at.snap.table,
		    s->at.snap.last_key[0] ? s->at.snap.last_key : "(all)",
		    (unsigned long long)s->at.snap.rows,
		    position_str(now, desc[1], sizeof(desc[1])));
		return;
	}
	s->at = *now;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->at.snap.id = (uint64_t)ts.tv_sec * 1000000 +
	    (uint64_t)ts.tv_nsec / 1000;
	strlcpy_(s->at.snap.kind, "initial", sizeof(s->at.snap.kind));
	log_info("snapshot: consistent with %s; reading the tables",
	    position_str(now, desc[0], sizeof(desc[0])));
}

/*
 * Takes the snapshot, or resumes the one whose progress resume carries:
 * its records written to the sink, pos set to the position the stream
 * starts from, with the progress (state done).  The caller saves pos
 * through the sink (record_publish) once they are durable.  -1 after
 * reader_fail.
 */
/* A snapshot connection's session: values in rows_text's forms.  -1
 * after reader_fail. */
int
snapshot_session(struct reader *r, MYSQL *m)
{
	static const char *const setup[] = {
		"SET SESSION time_zone = '+00:00'",
		"SET SESSION sql_mode = ''",
		/* the sink may be slower than the server's write timeout */
		"SET SESSION net_write_timeout = 31536000",
	};
	size_t i;

	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		if (snapshot_exec(r, m, setup[i]) == -1)
			return -1;
	return 0;
}

int
snapshot_take(struct reader *r, struct position *pos,
    const struct position *resume, const atomic_bool *stopping)
{
	static const char *const setup[] = {
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
	};
	static struct snap_run s;
	struct position now;
	struct timespec t0, t1;
	size_t i;
	int rc = 0;

	if (!r->mariadb)
		return reader_fail(r, BX_CONFIG, "[stream] snapshot = %s "
		    "needs MariaDB (START TRANSACTION WITH CONSISTENT SNAPSHOT "
		    "gives the binlog position only there); set snapshot = "
		    "never", r->conf->snapshot);
	if ((s.m = reader_connect(r, "snapshot")) == NULL)
		return -1;
	s.stopping = stopping;
	s.chunk = r->conf->snapshot_chunk_size;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = snapshot_session(r, s.m);
	for (i = 0; rc == 0 && i < sizeof(setup) / sizeof(setup[0]); i++)
		rc = snapshot_exec(r, s.m, setup[i]);
	if (rc == 0)
		rc = snapshot_position(r, s.m, &now);
	if (rc == 0) {
		snapshot_begin(&s, &now, resume);
		s.at.server_id = r->server_id;
		strlcpy_(s.at.server_uuid, r->server_uuid,
		    sizeof(s.at.server_uuid));
		strlcpy_(s.at.snap.state, "running", sizeof(s.at.snap.state));
		strlcpy_(r->file, s.at.file, sizeof(r->file));
		r->offset = s.at.offset;
		r->have_gtid = false;
		r->query.len = 0;
		r->hdr.server_id = r->server_id;
		rc = snapshot_all(&s, r);
	}
	mysql_close(s.m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc != 0)
		return rc;
	strlcpy_(s.at.snap.state, "done", sizeof(s.at.snap.state));
	*pos = s.at;
	log_info("snapshot: done in %.2f s, %llu rows; streaming from %s:%llu",
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (unsigned long long)s.at.snap.rows, pos->file,
	    (unsigned long long)pos->offset);
	stats_snapshot(&s.at.snap, 0, 0, 0);
	return 0;
}
