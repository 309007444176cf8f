/* format_maxwell.c: Maxwell's record format, binlogd's default: one JSON
 * object per row with database, table, type, ts, position, gtid, the
 * row's "data" (and an update's "old"), the last row of a transaction
 * marked with its xid and "commit":true -- binlogd-records(7). */
#include <string.h>

#include "output.h"
#include "util.h"

/* What every record of one event shares, from "ts" to server_id. */
static void
maxwell_head(const struct reader *r, struct obuf *b)
{
	obuf_lit(b, "\",\"ts\":");
	obuf_uint(b, r->trx_ts);
	obuf_lit(b, ",\"position\":\"");
	obuf_str(b, r->file);
	obuf_lit(b, ":");
	obuf_uint(b, r->offset);
	obuf_lit(b, "\"");
	if (r->have_gtid) {
		obuf_lit(b, ",\"gtid\":\"");
		obuf_str(b, r->gtid_text);
		obuf_lit(b, "\"");
	}
	if (r->query.len > 0) {
		obuf_lit(b, ",\"query\":");
		record_query(b, &r->query);
	}
	obuf_lit(b, ",\"server_id\":");
	obuf_uint(b, r->hdr.server_id);
}

/* A row's Maxwell record up to and including server_id, into b. */
static void
maxwell_prefix_make(struct reader *r, const struct tablemap *tm,
    const char *type, struct obuf *b)
{
	obuf_lit(b, "{\"database\":");
	if (tm->db_json > 0) {
		obuf_add(b, tm->json.buf, tm->db_json);
		obuf_lit(b, ",\"table\":");
		obuf_add(b, tm->json.buf + tm->db_json, tm->table_json);
	} else {
		obuf_json_str(b, (const uint8_t *)tm->db, strlen(tm->db));
		obuf_lit(b, ",\"table\":");
		obuf_json_str(b, (const uint8_t *)tm->table,
		    strlen(tm->table));
	}
	obuf_lit(b, ",\"type\":\"");
	obuf_str(b, type);
	maxwell_head(r, b);
}

/* That prefix is the same for every row of one event, table and type:
 * made once per event, copied per row. */
static __thread struct {
	struct obuf		 text;
	const struct tablemap	*tm;
	const char		*type;
	uint64_t		 event_no;
} maxwell_prefix;

/* Starts a row's Maxwell record, up to and including server_id. */
static void
maxwell_begin(struct reader *r, const struct tablemap *tm, const char *type)
{
	if (maxwell_prefix.text.len == 0 || maxwell_prefix.tm != tm ||
	    maxwell_prefix.type != type ||
	    maxwell_prefix.event_no != r->event_no) {
		maxwell_prefix.text.len = 0;
		maxwell_prefix_make(r, tm, type, &maxwell_prefix.text);
		maxwell_prefix.tm = tm;
		maxwell_prefix.type = type;
		maxwell_prefix.event_no = r->event_no;
	}
	obuf_add(&r->out, maxwell_prefix.text.buf, maxwell_prefix.text.len);
}

static const char *const maxwell_type[] = {
	[FORMAT_INSERT] = "insert",
	[FORMAT_UPDATE] = "update",
	[FORMAT_DELETE] = "delete",
};

/* A snapshot's record as maxwell-bootstrap writes it: database, table,
 * type, ts and data, no position (the rows were read, not logged). */
static void
maxwell_bootstrap(struct reader *r, const struct tablemap *tm,
    const char *type)
{
	struct obuf *o = &r->out;

	obuf_lit(o, "{\"database\":");
	obuf_json_str(o, (const uint8_t *)tm->db, strlen(tm->db));
	obuf_lit(o, ",\"table\":");
	obuf_json_str(o, (const uint8_t *)tm->table, strlen(tm->table));
	obuf_lit(o, ",\"type\":\"");
	obuf_str(o, type);
	obuf_lit(o, "\",\"ts\":");
	obuf_uint(o, r->trx_ts);
}

/* bootstrap-start and bootstrap-complete, with Maxwell's empty data. */
static void
maxwell_snapshot(struct reader *r, const struct tablemap *tm, bool start)
{
	maxwell_bootstrap(r, tm, start ? "bootstrap-start" :
	    "bootstrap-complete");
	obuf_lit(&r->out, ",\"data\":{}");
}

/* A row: its images as "data" (and an update's changed columns' old
 * values as "old"), then the JSON columns' partial updates. */
static void
maxwell_row(struct reader *r, const struct tablemap *tm,
    enum format_change change, uint32_t rowno UNUSED)
{
	bool upd = change == FORMAT_UPDATE;

	if (change >= FORMAT_READ) {
		maxwell_bootstrap(r, tm, "bootstrap-insert");
		record_image(r, tm, "data", 0, -1);
		return;
	}
	maxwell_begin(r, tm, maxwell_type[change]);
	record_image(r, tm, "data", upd ? 1 : 0, -1);
	if (upd)
		record_image(r, tm, "old", 0, 1);
	if (r->scratch.len > 0) {
		obuf_str(&r->out, ",\"json_diffs\":{");
		obuf_add(&r->out, r->scratch.buf, r->scratch.len);
		obuf_str(&r->out, "}");
	}
}

/* An insert or delete takes its one image unchanged as "data": the
 * record up to "data":{, for the decoder to write the pairs into. */
static void
maxwell_open(struct reader *r, const struct tablemap *tm,
    enum format_change change)
{
	maxwell_begin(r, tm, maxwell_type[change]);
	obuf_lit(&r->out, ",\"data\":{");
}

/* A DDL statement: its type (table-alter, ...), where, and its text. */
static void
maxwell_ddl(struct reader *r, const struct tablemap *topic UNUSED,
    const struct tablemap *shown, const char *type, const uint8_t *sql,
    size_t len)
{
	maxwell_begin(r, shown, type);
	obuf_str(&r->out, ",\"sql\":");
	obuf_json_str(&r->out, sql, len);
}

/* The transaction's last record: its xid and the commit mark. */
static void
maxwell_commit(struct reader *r, bool have_xid, uint64_t xid)
{
	if (have_xid) {
		obuf_lit(&r->out, ",\"xid\":");
		obuf_uint(&r->out, xid);
	}
	obuf_lit(&r->out, ",\"commit\":true");
}

const struct format_ops format_maxwell = {
	.name = "maxwell",
	.row = maxwell_row,
	.open = maxwell_open,
	.ddl = maxwell_ddl,
	.snapshot = maxwell_snapshot,
	.commit = maxwell_commit,
};
