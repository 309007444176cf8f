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
 * Each table is one SELECT in primary-key order (a table without one:
 * the whole table in storage order, the same consistent read) read with
 * mysql_use_result, a row at a time: memory does not grow with the
 * table.
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
 * to the binlog record of the same row.
 *
 * Resuming: the snapshot's position is saved only once all of its
 * records are durable; a streamer stopped or killed before that takes a
 * new snapshot on its next start (its partial records stay in the sink:
 * a consumer replaying records starts a table afresh at its
 * bootstrap-start).  A snapshot that finished is never taken again.
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
static void
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

/* The table's columns (schema.c, information_schema) into tm, its JSON
 * names made and [filter] drop_columns applied; -1 after reader_fail. */
static int
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

/* SELECT of every column, FLOATs as doubles, in primary-key order. */
static void
snapshot_select(const struct tablemap *tm, struct obuf *q)
{
	bool pk = false;
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
	for (i = 0; i < tm->ncols; i++) {
		if (!tm->cols[i].pk)
			continue;
		obuf_str(q, pk ? ", " : " ORDER BY ");
		snapshot_ident(q, tm->cols[i].name);
		pk = true;
	}
	obuf_add(q, "", 1);
}

/* The row's values into r->img[0], every column present. */
static void
snapshot_image(struct reader *r, const struct tablemap *tm, MYSQL_ROW row,
    const unsigned long *len)
{
	struct span *sp;
	uint32_t i;

	if (tm->ncols > r->spans_cap) {
		for (i = 0; i < 2; i++)
			if ((r->spans[i] = realloc(r->spans[i],
			    tm->ncols * sizeof(*sp))) == NULL)
				fatal("snapshot spans");
		r->spans_cap = tm->ncols;
	}
	r->img[0].len = 0;
	for (i = 0; i < tm->ncols; i++) {
		sp = &r->spans[0][i];
		sp->off = r->img[0].len;
		rows_text(&tm->cols[i], row[i], len[i], &r->img[0]);
		sp->len = r->img[0].len - sp->off;
		sp->present = true;
	}
}

/* One table's rows, each record made once the next row is read, so that
 * the last of the last table is marked as the snapshot's last. */
static int
snapshot_rows(struct reader *r, MYSQL *m, struct tablemap *tm, bool last,
    const atomic_bool *stopping, uint64_t *nrows)
{
	static struct obuf q;
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool have = false;
	int rc = 0;

	snapshot_select(tm, &q);
	if (mysql_query(m, q.buf) != 0 || (res = mysql_use_result(m)) == NULL)
		return snapshot_fail(r, m, q.buf);
	while (rc == 0 && !atomic_load(stopping)) {
		row = mysql_fetch_row(res);
		if (have)
			rc = record_snapshot_row(r, tm, last && row == NULL);
		if (row == NULL)
			break;
		snapshot_image(r, tm, row, mysql_fetch_lengths(res));
		have = true;
		++*nrows;
	}
	if (rc == 0 && !atomic_load(stopping) && mysql_errno(m) != 0)
		rc = snapshot_fail(r, m, q.buf);
	mysql_free_result(res);
	if (rc == 0 && atomic_load(stopping))
		rc = reader_fail(r, BX_OK, "stopped during the snapshot of "
		    "%s.%s; the next start takes a new one", tm->db,
		    tm->table);
	return rc;
}

/* The base tables [filter] wants, "db\0table\0" each, in name order. */
static int
snapshot_tables(struct reader *r, MYSQL *m, struct obuf *list, size_t *n)
{
	static const char sql[] = "SELECT TABLE_SCHEMA, TABLE_NAME FROM "
	    "information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND "
	    "TABLE_SCHEMA NOT IN ('mysql', 'information_schema', "
	    "'performance_schema', 'sys') ORDER BY 1, 2";
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL)
		return snapshot_fail(r, m, sql);
	*n = 0;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL ||
		    strlen(row[0]) > 64 || strlen(row[1]) > 64 ||
		    !filter_table(row[0], row[1]))
			continue;
		obuf_add(list, row[0], strlen(row[0]) + 1);
		obuf_add(list, row[1], strlen(row[1]) + 1);
		++*n;
	}
	mysql_free_result(res);
	return 0;
}

/* Every wanted table: its start mark, rows and end mark. */
static int
snapshot_all(struct reader *r, MYSQL *m, const atomic_bool *stopping)
{
	struct obuf list = { 0 };
	struct tablemap tm;
	const char *p;
	size_t n = 0, i;
	uint64_t rows = 0, before;
	int rc = snapshot_tables(r, m, &list, &n);

	memset(&tm, 0, sizeof(tm));
	for (i = 0, p = list.buf; rc == 0 && i < n; i++) {
		strlcpy_(tm.db, p, sizeof(tm.db));
		p += strlen(p) + 1;
		strlcpy_(tm.table, p, sizeof(tm.table));
		p += strlen(p) + 1;
		before = rows;
		if ((rc = snapshot_map(r, &tm)) == 0 &&
		    (rc = record_snapshot_mark(r, &tm, true)) == 0 &&
		    (rc = snapshot_rows(r, m, &tm, i + 1 == n, stopping,
		    &rows)) == 0)
			rc = record_snapshot_mark(r, &tm, false);
		if (rc == 0)
			log_info("snapshot: %s.%s: %llu rows", tm.db, tm.table,
			    (unsigned long long)(rows - before));
		/* the pending record closes before tm is reused */
		if (rc == 0)
			rc = record_close(r);
	}
	free(tm.cols);
	free(tm.json.buf);
	free(list.buf);
	return rc;
}

/*
 * Takes the snapshot: its records written to the sink, pos set to the
 * position the stream starts from.  The caller saves pos through the
 * sink (record_publish) once they are durable.  -1 after reader_fail.
 */
int
snapshot_take(struct reader *r, struct position *pos,
    const atomic_bool *stopping)
{
	static const char *const setup[] = {
		"SET SESSION time_zone = '+00:00'",
		"SET SESSION sql_mode = ''",
		/* the sink may be slower than the server's write timeout */
		"SET SESSION net_write_timeout = 31536000",
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
	};
	char desc[POS_GTID_MAX + POS_FILE_MAX + 16];
	struct timespec t0, t1;
	MYSQL *m;
	size_t i;
	int rc = 0;

	if (!r->mariadb)
		return reader_fail(r, BX_CONFIG, "[stream] snapshot = initial "
		    "needs MariaDB (START TRANSACTION WITH CONSISTENT SNAPSHOT "
		    "gives the binlog position only there); set snapshot = "
		    "never");
	if ((m = reader_connect(r, "snapshot")) == NULL)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; rc == 0 && i < sizeof(setup) / sizeof(setup[0]); i++)
		rc = snapshot_exec(r, m, setup[i]);
	if (rc == 0)
		rc = snapshot_position(r, m, pos);
	if (rc == 0) {
		log_info("snapshot: consistent with %s; reading the tables",
		    position_str(pos, desc, sizeof(desc)));
		strlcpy_(r->file, pos->file, sizeof(r->file));
		r->offset = pos->offset;
		r->trx_ts = (uint32_t)time(NULL);
		r->have_gtid = false;
		r->query.len = 0;
		r->hdr.server_id = r->server_id;
		rc = snapshot_all(r, m, stopping);
	}
	mysql_close(m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		log_info("snapshot: done in %.2f s; streaming from %s",
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, desc);
	return rc;
}
