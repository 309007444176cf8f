/* format_debezium.c: the Debezium MySQL connector's change-event envelope
 * (before, after, source, op, ts_ms) as its JSON converter writes it with
 * schemas off, so a Debezium consumer reads binlogd's records unchanged.
 * Column values keep record.c's one JSON form per type (binlogd-records(7)
 * sets them next to Debezium's). */
#include "build.h"

#include <string.h>
#include <time.h>

#include "output.h"
#include "util.h"

static void
debezium_str(struct obuf *o, const char *key, const char *s)
{
	obuf_lit(o, ",\"");
	obuf_str(o, key);
	obuf_lit(o, "\":");
	obuf_json_str(o, (const uint8_t *)s, strlen(s));
}

/* Debezium's ts_ms: when the connector processed the event. */
static uint64_t
debezium_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* source: where the change was read, in Debezium's field names. */
static void
debezium_source(struct reader *r, const struct tablemap *tm, uint32_t rowno,
    const char *snapshot)
{
	struct obuf *o = &r->out;

	obuf_str(o, ",\"source\":{\"version\":\"binlogd-" PACKAGE_VERSION
	    "\",\"connector\":\"mysql\"");
	debezium_str(o, "name", r->conf != NULL ? r->conf->server_name :
	    "binlogd");
	obuf_lit(o, ",\"ts_ms\":");
	obuf_uint(o, (uint64_t)r->trx_ts * 1000);
	obuf_lit(o, ",\"snapshot\":\"");
	obuf_str(o, snapshot);
	obuf_lit(o, "\"");
	debezium_str(o, "db", tm->db);
	debezium_str(o, "table", tm->table);
	obuf_lit(o, ",\"server_id\":");
	obuf_uint(o, r->hdr.server_id);
	if (r->have_gtid)
		debezium_str(o, "gtid", r->gtid_text);
	else
		obuf_str(o, ",\"gtid\":null");
	debezium_str(o, "file", r->file);
	obuf_lit(o, ",\"pos\":");
	obuf_uint(o, r->offset);
	obuf_lit(o, ",\"row\":");
	obuf_uint(o, rowno);
	obuf_lit(o, ",\"thread\":null");
	if (r->query.len > 0) {
		obuf_str(o, ",\"query\":");
		record_query(o, &r->query);
	} else
		obuf_str(o, ",\"query\":null");
	obuf_str(o, "}");
}

/* One row's change event, all but its closing brace (record.c adds it
 * when the next record starts or the transaction commits). */
static void
debezium_row(struct reader *r, const struct tablemap *tm,
    enum format_change change, uint32_t rowno)
{
	static const char op[] = { [FORMAT_INSERT] = 'c',
	    [FORMAT_UPDATE] = 'u', [FORMAT_DELETE] = 'd',
	    [FORMAT_READ] = 'r', [FORMAT_READ_LAST] = 'r',
	    [FORMAT_READ_INCREMENTAL] = 'r' };
	static const char *const snapshot[] = { [FORMAT_INSERT] = "false",
	    [FORMAT_UPDATE] = "false", [FORMAT_DELETE] = "false",
	    [FORMAT_READ] = "true", [FORMAT_READ_LAST] = "last",
	    [FORMAT_READ_INCREMENTAL] = "incremental" };
	bool upd = change == FORMAT_UPDATE, del = change == FORMAT_DELETE;
	struct obuf *o = &r->out;

	obuf_lit(o, "{\"op\":\"");
	obuf_add(o, &op[change], 1);
	obuf_lit(o, "\"");
	if (upd || del)
		record_image(r, tm, "before", 0, -1);
	else
		obuf_str(o, ",\"before\":null");
	if (del)
		obuf_str(o, ",\"after\":null");
	else
		record_image(r, tm, "after", upd ? 1 : 0, -1);
	debezium_source(r, tm, rowno, snapshot[change]);
	obuf_lit(o, ",\"ts_ms\":");
	obuf_uint(o, debezium_now_ms());
	obuf_lit(o, ",\"transaction\":null");
}

/* A schema change as Debezium's schema change topic carries it. */
static void
debezium_ddl(struct reader *r, const struct tablemap *topic,
    const struct tablemap *shown UNUSED, const char *type UNUSED,
    const uint8_t *sql, size_t len)
{
	struct obuf *o = &r->out;

	obuf_str(o, "{\"databaseName\":");
	obuf_json_str(o, (const uint8_t *)topic->db, strlen(topic->db));
	obuf_str(o, ",\"ddl\":");
	obuf_json_str(o, sql, len);
	obuf_str(o, ",\"tableChanges\":[]");
	debezium_source(r, topic, 0, "false");
	obuf_lit(o, ",\"ts_ms\":");
	obuf_uint(o, debezium_now_ms());
}

/* No transaction markers: every change event stands alone. */
const struct format_ops format_debezium = {
	.name = "debezium",
	.row = debezium_row,
	.ddl = debezium_ddl,
};
