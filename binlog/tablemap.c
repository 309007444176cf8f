/* tablemap.c: TABLE_MAP events and the column facts they lack -- names,
 * signedness, binary-or-text -- from in-band metadata when the server logs
 * it, else from information_schema, cached per table until a DDL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "util.h"
#include "binlog_int.h"

/* Optional metadata field types of TABLE_MAP. */
enum {
	TM_SIGNEDNESS = 1,
	TM_DEFAULT_CHARSET = 2,
	TM_COLUMN_CHARSET = 3,
	TM_COLUMN_NAME = 4,
	TM_SET_STR_VALUE = 5,
	TM_ENUM_STR_VALUE = 6,
	TM_PRIMARY_KEY = 8,
	TM_PRIMARY_KEY_WITH_PREFIX = 9,
};

static int	tablemap_complete(struct reader *, struct tablemap *);

static int
tablemap_bad(struct reader *r, const char *what)
{
	return reader_fail(r, BX_DECODE, "cannot decode TABLE_MAP event at "
	    "%s:%llu: %s", r->file, (unsigned long long)r->offset, what);
}

/* Columns with a bit in SIGNEDNESS; MariaDB counts YEAR as one. */
static bool
tablemap_is_numeric(uint8_t t, bool mariadb)
{
	return (mariadb && t == COL_YEAR) || t == COL_TINY || t == COL_SHORT || t == COL_INT24 ||
	    t == COL_LONG || t == COL_LONGLONG || t == COL_FLOAT ||
	    t == COL_DOUBLE || t == COL_NEWDECIMAL || t == COL_DECIMAL;
}

/* Columns that have a slot in the charset metadata.  MariaDB counts
 * GEOMETRY (a BLOB underneath: binary), MySQL 9 its VECTOR (binary) but
 * not GEOMETRY; a slot missed shifts every column after it. */
static bool
tablemap_is_character(uint8_t t, bool mariadb)
{
	return t == COL_STRING || t == COL_VARCHAR || t == COL_VAR_STRING ||
	    t == COL_BLOB || t == COL_TINY_BLOB || t == COL_MEDIUM_BLOB ||
	    t == COL_LONG_BLOB || t == COL_VECTOR ||
	    (mariadb && t == COL_GEOMETRY);
}

/* Bytes of metadata each column type has in the TABLE_MAP. */
static int
tablemap_meta_size(uint8_t t)
{
	switch (t) {
	case COL_FLOAT: case COL_DOUBLE: case COL_BLOB: case COL_TINY_BLOB:
	case COL_MEDIUM_BLOB: case COL_LONG_BLOB: case COL_GEOMETRY:
	case COL_JSON: case COL_VECTOR: case COL_TIMESTAMP2: case COL_DATETIME2:
	case COL_TIME2:
		return 1;
	case COL_VARCHAR: case COL_VAR_STRING: case COL_STRING:
	case COL_NEWDECIMAL: case COL_BIT: case COL_ENUM: case COL_SET:
		return 2;
	}
	return 0;
}

static void
tablemap_column_meta(struct column *col, struct cursor *m)
{
	uint8_t m0, m1;

	col->meta = 0;
	col->length = 0;
	switch (tablemap_meta_size(col->type)) {
	case 1:
		col->meta = (uint16_t)cursor_uint(m, 1);
		break;
	case 2:
		if (col->type == COL_STRING || col->type == COL_NEWDECIMAL ||
		    col->type == COL_BIT || col->type == COL_ENUM ||
		    col->type == COL_SET) {
			m0 = (uint8_t)cursor_uint(m, 1);
			m1 = (uint8_t)cursor_uint(m, 1);
			col->meta = (uint16_t)(m0 << 8 | m1);
		} else
			col->meta = (uint16_t)cursor_uint(m, 2);
		break;
	}
	if (col->type == COL_STRING) {
		m0 = col->meta >> 8;
		m1 = col->meta & 0xff;
		col->length = m1;
		/* the type byte borrows two bits of the length */
		if ((m0 & 0x30) != 0x30) {
			col->length = (uint16_t)(m1 | (((m0 & 0x30) ^ 0x30) << 4));
			m0 |= 0x30;
		}
		col->type = m0;
	}
}

/* SIGNEDNESS: one bit per numeric column, most significant first. */
static void
tablemap_signedness(struct tablemap *tm, struct cursor *f, bool mariadb)
{
	uint32_t i, k = 0;
	const uint8_t *bits;
	size_t n = cursor_left(f);

	bits = cursor_bytes(f, n);
	for (i = 0; i < tm->ncols && bits != NULL; i++) {
		if (!tablemap_is_numeric(tm->cols[i].type, mariadb))
			continue;
		if (k / 8 < n)
			tm->cols[i].is_unsigned = bits[k / 8] & (0x80 >> (k % 8));
		k++;
	}
	tm->have_sign = true;
}

static void
tablemap_set_charset(struct column *col, uint64_t cs)
{
	col->is_binary = cs == CHARSET_BINARY;
	col->charset = charset_by_id(cs);
}

static void
tablemap_set_binary(struct tablemap *tm, uint64_t idx, uint64_t cs,
    bool mariadb)
{
	uint32_t i;

	for (i = 0; i < tm->ncols; i++) {
		if (tablemap_is_character(tm->cols[i].type, mariadb) &&
		    idx-- == 0) {
			tablemap_set_charset(&tm->cols[i], cs);
			return;
		}
	}
}

/* DEFAULT_CHARSET (a default, then index/charset exceptions) or
 * COLUMN_CHARSET (one per character column): binary, or the charset
 * charset.c converts from. */
static void
tablemap_charsets(struct tablemap *tm, struct cursor *f, int kind,
    bool mariadb)
{
	uint64_t dflt, idx, k = 0;
	uint32_t i;

	if (kind == TM_DEFAULT_CHARSET) {
		dflt = cursor_lenenc(f);
		for (i = 0; i < tm->ncols; i++)
			if (tablemap_is_character(tm->cols[i].type, mariadb))
				tablemap_set_charset(&tm->cols[i], dflt);
	}
	while (cursor_left(f) > 0) {
		idx = kind == TM_DEFAULT_CHARSET ? cursor_lenenc(f) : k++;
		tablemap_set_binary(tm, idx, cursor_lenenc(f), mariadb);
	}
	tm->have_charset = true;
}

static void
tablemap_names(struct tablemap *tm, struct cursor *f)
{
	uint32_t i;
	uint64_t n;
	const uint8_t *p;

	for (i = 0; i < tm->ncols; i++) {
		n = cursor_lenenc(f);
		if ((p = cursor_bytes(f, n)) == NULL || n >= sizeof(tm->cols[i].name))
			return;
		memcpy(tm->cols[i].name, p, n);
		tm->cols[i].name[n] = '\0';
	}
	tm->have_names = true;
}

/* ENUM_STR_VALUE / SET_STR_VALUE: per ENUM (SET) column, a count and
 * the names, kept as ready JSON strings so a row copies them once. */
static void
tablemap_strs(struct tablemap *tm, struct cursor *f, uint8_t type)
{
	uint32_t i, k, off;
	uint64_t n, len;
	const uint8_t *p;

	for (i = 0; i < tm->ncols && cursor_left(f) > 0; i++) {
		if (tm->cols[i].type != type)
			continue;
		n = cursor_lenenc(f);
		tm->cols[i].str_first = (uint32_t)(tm->stridx.len / 4);
		for (k = 0; k < n && !f->err; k++) {
			len = cursor_lenenc(f);
			if ((p = cursor_bytes(f, len)) == NULL)
				return;
			off = (uint32_t)tm->strs.len;
			obuf_add(&tm->stridx, &off, 4);
			obuf_json_str(&tm->strs, p, len);
		}
		tm->cols[i].nstr = (uint32_t)n;
		off = (uint32_t)tm->strs.len;
		obuf_add(&tm->stridx, &off, 4);
	}
}

/* PRIMARY_KEY: column indexes; WITH_PREFIX: index and prefix pairs. */
static void
tablemap_pk(struct tablemap *tm, struct cursor *f, bool prefix)
{
	uint64_t i;

	while (cursor_left(f) > 0 && !f->err) {
		i = cursor_lenenc(f);
		if (prefix)
			cursor_lenenc(f);
		if (i < tm->ncols)
			tm->cols[i].pk = true;
	}
	tm->have_pk = true;
}

static int
tablemap_optional(struct reader *r, struct tablemap *tm, struct cursor *c)
{
	struct cursor f;
	uint8_t kind;
	uint64_t len;
	const uint8_t *p;

	while (cursor_left(c) > 0) {
		kind = (uint8_t)cursor_uint(c, 1);
		len = cursor_lenenc(c);
		if ((p = cursor_bytes(c, len)) == NULL)
			return tablemap_bad(r, "optional metadata overruns");
		cursor_init(&f, p, len);
		if (kind == TM_SIGNEDNESS)
			tablemap_signedness(tm, &f, r->mariadb);
		else if (kind == TM_DEFAULT_CHARSET || kind == TM_COLUMN_CHARSET)
			tablemap_charsets(tm, &f, kind, r->mariadb);
		else if (kind == TM_COLUMN_NAME)
			tablemap_names(tm, &f);
		else if (kind == TM_SET_STR_VALUE)
			tablemap_strs(tm, &f, COL_SET);
		else if (kind == TM_ENUM_STR_VALUE)
			tablemap_strs(tm, &f, COL_ENUM);
		else if (kind == TM_PRIMARY_KEY ||
		    kind == TM_PRIMARY_KEY_WITH_PREFIX)
			tablemap_pk(tm, &f, kind == TM_PRIMARY_KEY_WITH_PREFIX);
		if (f.err)
			return tablemap_bad(r, "malformed optional metadata");
	}
	return 0;
}

/* Room for one more map in the transaction: the slots and trx_maps grow
 * together (only after the ring is done with the maps: tablemap_decode). */
static void
tablemap_more(struct reader *r)
{
	struct tablemap *tm;
	uint32_t *ix;
	size_t cap;

	if (r->nmaps < r->maps_cap)
		return;
	cap = r->maps_cap ? r->maps_cap * 2 : 8;
	if ((tm = realloc(r->maps, cap * sizeof(*tm))) == NULL ||
	    (r->maps = tm, ix = realloc(r->trx_maps, cap * sizeof(*ix))) ==
	    NULL)
		fatal("table map cache");
	memset(tm + r->maps_cap, 0, (cap - r->maps_cap) * sizeof(*tm));
	r->trx_maps = ix;
	r->maps_cap = cap;
}

/* The map in slot k is one of the transaction's. */
static struct tablemap *
tablemap_enter(struct reader *r, size_t k)
{
	r->maps[k].current = true;
	r->trx_maps[r->nmaps++] = (uint32_t)k;
	return &r->maps[k];
}

/* A slot for table_id: the same id again replaces its old mapping; a
 * new one takes a slot no decoded map holds if there is one, so that
 * tables taking turns keep theirs (tablemap_same) -- after a DDL
 * statement, the one its table had, whose buffers fit it. */
static struct tablemap *
tablemap_slot(struct reader *r, uint64_t table_id)
{
	struct tablemap *tm;
	size_t k;

	if ((tm = tablemap_find(r, table_id)) != NULL)
		return tm;
	tablemap_more(r);
	for (k = 0; k < r->maps_cap; k++)
		if (!r->maps[k].current && r->maps[k].raw.len == 0 &&
		    r->maps[k].table_id == table_id)
			break;
	if (k == r->maps_cap)
		for (k = 0; k < r->maps_cap; k++)
			if (!r->maps[k].current && r->maps[k].raw.len == 0)
				break;
	if (k == r->maps_cap)
		for (k = 0; r->maps[k].current; k++)
			;
	tm = tablemap_enter(r, k);
	tm->table_id = table_id;
	return tm;
}

static void
tablemap_grow(struct tablemap *tm, uint32_t ncols)
{
	struct column *c;

	if (ncols > tm->cols_cap) {
		if ((c = realloc(tm->cols, ncols * sizeof(*c))) == NULL)
			fatal("table map columns");
		tm->cols = c;
		tm->cols_cap = ncols;
	}
	memset(tm->cols, 0, ncols * sizeof(*tm->cols));
	tm->ncols = ncols;
	tm->have_names = tm->have_sign = tm->have_charset = false;
	tm->have_pk = false;
	tm->strs.len = tm->stridx.len = 0;
}

static int
tablemap_name(struct reader *r, struct cursor *c, char *buf, size_t size)
{
	size_t n = cursor_uint(c, 1);
	const uint8_t *p = cursor_bytes(c, n + 1);

	if (p == NULL || n >= size)
		return tablemap_bad(r, "bad schema or table name");
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

static int
tablemap_columns(struct reader *r, struct tablemap *tm, struct cursor *c)
{
	uint64_t n = cursor_lenenc(c), mlen;
	const uint8_t *types, *meta;
	struct cursor m;
	uint32_t i;

	if (c->err || n == 0 || n > 4096 || (types = cursor_bytes(c, n)) == NULL)
		return tablemap_bad(r, "bad column count");
	tablemap_grow(tm, (uint32_t)n);
	/* MySQL 5.1 before its GA (5.1.17, say) ended the event here: no
	 * metadata and no nullable bitmap, as mariadb-binlog reads it */
	if (cursor_left(c) == 0) {
		for (i = 0; i < n; i++)
			tm->cols[i].type = types[i];
		return 0;
	}
	mlen = cursor_lenenc(c);
	if ((meta = cursor_bytes(c, mlen)) == NULL)
		return tablemap_bad(r, "metadata overruns the event");
	cursor_init(&m, meta, mlen);
	for (i = 0; i < n; i++) {
		tm->cols[i].type = types[i];
		/* GEOMETRY has no charset in any metadata: always bytes */
		tm->cols[i].is_binary = types[i] == COL_GEOMETRY;
		tablemap_column_meta(&tm->cols[i], &m);
	}
	if (m.err || cursor_left(&m) != 0)
		return tablemap_bad(r, "column metadata length mismatch");
	cursor_bytes(c, (n + 7) / 8);		/* nullable bitmap */
	return c->err ? tablemap_bad(r, "too short") : 0;
}

/* Whether tm holds table id's map decoded from these bytes. */
static bool
tablemap_holds(const struct tablemap *tm, uint64_t id, const uint8_t *body,
    size_t len)
{
	return tm->table_id == id && tm->raw.len == len &&
	    memcmp(tm->raw.buf, body, len) == 0;
}

/*
 * Whether a TABLE_MAP maps its table as a map decoded before did: the
 * same id and bytes, in this transaction or in a slot an earlier one
 * left, and no DDL since.  A server maps each table again for every
 * statement, and transactions take turns at tables: the decoded map is
 * kept, and joins the transaction's where it is -- rows events still
 * being formatted (parallel.c) hold their own list of the maps they
 * use, so that nothing waits for them.  1 if so, 0 if not.
 */
static int
tablemap_same(struct reader *r, uint64_t id, const uint8_t *body,
    size_t len)
{
	struct tablemap *tm = tablemap_find(r, id);
	size_t k;

	if (tm != NULL)
		return tablemap_holds(tm, id, body, len);
	for (k = 0; k < r->maps_cap; k++)
		if (!r->maps[k].current &&
		    tablemap_holds(&r->maps[k], id, body, len)) {
			tablemap_enter(r, k);
			return 1;
		}
	return 0;
}

int
tablemap_decode(struct reader *r, struct cursor *c)
{
	const uint8_t *body = c->p + c->off;
	size_t len = c->len - c->off;
	struct tablemap *tm;
	uint64_t id;
	int idlen = 6;

	if (r->npost_header >= EV_TABLE_MAP &&
	    r->post_header[EV_TABLE_MAP - 1] == 6)
		idlen = 4;
	id = cursor_uint(c, idlen);
	cursor_bytes(c, 2);			/* flags */
	if (c->err == 0 && tablemap_same(r, id, body, len))
		return 0;
	if (r->hooks->sync(r) == -1)
		return -1;
	tm = tablemap_slot(r, id);
	tm->raw.len = 0;
	if (tablemap_name(r, c, tm->db, sizeof(tm->db)) == -1 ||
	    tablemap_name(r, c, tm->table, sizeof(tm->table)) == -1 ||
	    tablemap_columns(r, tm, c) == -1 ||
	    tablemap_optional(r, tm, c) == -1)
		return -1;
	if (!(tm->filtered = !r->hooks->table_wanted(tm->db, tm->table))) {
		if (tablemap_complete(r, tm) == -1 ||
		    charset_columns(r, tm) == -1)
			return -1;
		r->hooks->mapped(tm);
		rows_plan(tm);
	}
	obuf_add(&tm->raw, body, len);
	return 0;
}

struct tablemap *
tablemap_find(struct reader *r, uint64_t table_id)
{
	size_t i;

	for (i = 0; i < r->nmaps; i++)
		if (r->maps[r->trx_maps[i]].table_id == table_id)
			return &r->maps[r->trx_maps[i]];
	return NULL;
}

/* Table ids are only valid within the transaction that mapped them. */
void
tablemap_reset(struct reader *r)
{
	size_t i;

	for (i = 0; i < r->nmaps; i++)
		r->maps[r->trx_maps[i]].current = false;
	r->nmaps = 0;
}

/* A DDL statement (NULL: none, the end): the owner's columns
 * (reader_hooks.schema_ddl) and the maps' may have changed. */
int
tablemap_forget_schema(struct reader *r, const uint8_t *db, size_t dblen,
    const uint8_t *sql, size_t len)
{
	size_t i;

	/* the maps' columns may have changed: decode them again */
	for (i = 0; i < r->maps_cap; i++)
		r->maps[i].raw.len = 0;
	if (r->hooks->schema_ddl != NULL)
		return r->hooks->schema_ddl(r, db, dblen, sql, len);
	return 0;
}

void
tablemap_free(struct reader *r)
{
	size_t i;

	tablemap_forget_schema(r, NULL, 0, NULL, 0);
	for (i = 0; i < r->maps_cap; i++) {
		free(r->maps[i].cols);
		free(r->maps[i].plan);
		free(r->maps[i].strs.buf);
		free(r->maps[i].stridx.buf);
		free(r->maps[i].json.buf);
		free(r->maps[i].raw.buf);
	}
	free(r->maps);
	free(r->trx_maps);
	r->maps = NULL;
	r->trx_maps = NULL;
	r->nmaps = r->maps_cap = 0;
	charset_free();
}

/* Reading a file with no server to ask: columns the TABLE_MAP does not
 * name are named by position as mariadb-binlog does ("@1"), numbers the
 * metadata does not mark unsigned are signed, strings are text. */
static int
tablemap_offline(struct tablemap *tm)
{
	uint32_t i;

	for (i = 0; i < tm->ncols && !tm->have_names; i++)
		snprintf(tm->cols[i].name, sizeof(tm->cols[i].name), "@%u",
		    i + 1);
	return 0;
}

/* Whether any column is of a kind is() says. */
static bool
tablemap_any(const struct tablemap *tm, bool (*is)(uint8_t, bool),
    bool mariadb)
{
	uint32_t i;

	for (i = 0; i < tm->ncols; i++)
		if (is(tm->cols[i].type, mariadb))
			return true;
	return false;
}

/* Whether information_schema knows more than the TABLE_MAP said: FULL
 * metadata has it all (a table without PRIMARY_KEY has none), except
 * which of MariaDB's BINARY(16) columns are INET6 or UUID.  The server
 * leaves out the SIGNEDNESS block of a table without numbers and the
 * charset block of one without text: nothing to say, not incomplete. */
static bool
tablemap_incomplete(const struct reader *r, const struct tablemap *tm)
{
	uint32_t i;

	if (!tm->have_names ||
	    (!tm->have_sign &&
	    tablemap_any(tm, tablemap_is_numeric, r->mariadb)) ||
	    (!tm->have_charset &&
	    tablemap_any(tm, tablemap_is_character, r->mariadb)))
		return true;
	for (i = 0; i < tm->ncols && r->mariadb; i++)
		if (tm->cols[i].type == COL_STRING && tm->cols[i].length == 16 &&
		    tm->cols[i].is_binary)
			return true;
	return false;
}

/* ENUM/SET names from information_schema, when the TABLE_MAP had none. */
static void
tablemap_copy_names(struct tablemap *tm, struct column *col,
    const struct schema_entry *e, const struct column *ec)
{
	uint32_t k, at, end, off;

	if (col->nstr > 0 || ec->nstr == 0 ||
	    (col->type != COL_ENUM && col->type != COL_SET))
		return;
	col->str_first = (uint32_t)(tm->stridx.len / 4);
	for (k = 0; k <= ec->nstr; k++) {
		memcpy(&at, e->stridx.buf + 4 * (ec->str_first + k), 4);
		off = (uint32_t)tm->strs.len;
		obuf_add(&tm->stridx, &off, 4);
		if (k == ec->nstr)
			break;
		memcpy(&end, e->stridx.buf + 4 * (ec->str_first + k + 1), 4);
		obuf_add(&tm->strs, e->strs.buf + at, end - at);
	}
	col->nstr = ec->nstr;
}

/* A binlog type's kind: the types one SQL type is logged as by old and
 * new servers (TIME or TIME2, ...) and the sizes of BLOB are one. */
static uint8_t
tablemap_kind(uint8_t t)
{
	switch (t) {
	case COL_DECIMAL:	return COL_NEWDECIMAL;
	case COL_NEWDATE:	return COL_DATE;
	case COL_TIME:		return COL_TIME2;
	case COL_DATETIME:	return COL_DATETIME2;
	case COL_TIMESTAMP:	return COL_TIMESTAMP2;
	case COL_VAR_STRING:	return COL_VARCHAR;
	case COL_TINY_BLOB: case COL_MEDIUM_BLOB: case COL_LONG_BLOB:
		return COL_BLOB;
	}
	return t;
}

static const char *
tablemap_kind_name(uint8_t t)
{
	switch (tablemap_kind(t)) {
	case COL_TINY:		return "TINYINT";
	case COL_SHORT:		return "SMALLINT";
	case COL_INT24:		return "MEDIUMINT";
	case COL_LONG:		return "INT";
	case COL_LONGLONG:	return "BIGINT";
	case COL_FLOAT:		return "FLOAT";
	case COL_DOUBLE:	return "DOUBLE";
	case COL_NEWDECIMAL:	return "DECIMAL";
	case COL_DATE:		return "DATE";
	case COL_TIME2:		return "TIME";
	case COL_DATETIME2:	return "DATETIME";
	case COL_TIMESTAMP2:	return "TIMESTAMP";
	case COL_YEAR:		return "YEAR";
	case COL_BIT:		return "BIT";
	case COL_ENUM:		return "ENUM";
	case COL_SET:		return "SET";
	case COL_STRING:	return "CHAR or BINARY";
	case COL_VARCHAR:	return "VARCHAR or VARBINARY";
	case COL_BLOB:		return "TEXT or BLOB";
	case COL_JSON:		return "JSON";
	case COL_GEOMETRY:	return "GEOMETRY";
	}
	return "another type";
}

static const char *
tablemap_origin(const struct schema_entry *e)
{
	return e->origin != NULL ? e->origin : "binlogd's schema history";
}

/* The event was written with another schema than the one binlogd knows
 * for its table: the streamer is held (exitcode.h), not restarted into
 * the same event, and nothing is misnamed. */
static int
tablemap_mismatch(struct reader *r, const struct tablemap *tm,
    const char *what)
{
	return reader_fail(r, BX_SCHEMA, "table %s.%s at %s:%llu: %s; the "
	    "table changed after this event was written (binlog_row_metadata="
	    "FULL on the server logs column names in-band from now on).  "
	    "binlogd holds the streamer rather than name columns wrongly: "
	    "skip past the event with binlogctl set-position, or take the "
	    "table's columns again (binlogctl schema retake), or leave the "
	    "table out ([filter]), then binlogctl start-streamer",
	    tm->db, tm->table, r->file, (unsigned long long)r->offset, what);
}

/* The column count and each column's kind of type in the TABLE_MAP
 * against the schema's. */
static int
tablemap_check(struct reader *r, const struct tablemap *tm,
    const struct schema_entry *e)
{
	char what[512];
	uint32_t i;

	if (e->ncols != tm->ncols) {
		snprintf(what, sizeof(what), "%u columns in the binlog but %u "
		    "in %s", tm->ncols, e->ncols, tablemap_origin(e));
		return tablemap_mismatch(r, tm, what);
	}
	for (i = 0; i < tm->ncols; i++) {
		if (e->cols[i].type == COL_NULL ||
		    tablemap_kind(e->cols[i].type) ==
		    tablemap_kind(tm->cols[i].type))
			continue;
		snprintf(what, sizeof(what), "column %u is %s in the binlog "
		    "but %s (%s) in %s", i + 1,
		    tablemap_kind_name(tm->cols[i].type), e->cols[i].name,
		    tablemap_kind_name(e->cols[i].type), tablemap_origin(e));
		return tablemap_mismatch(r, tm, what);
	}
	return 0;
}

/* Fills in what the TABLE_MAP did not carry, once its columns agree with
 * the schema's. */
static int
tablemap_complete(struct reader *r, struct tablemap *tm)
{
	const struct schema_entry *e;
	uint32_t i;

	if (!tablemap_incomplete(r, tm))
		return 0;
	if (r->hooks->schema == NULL)
		return tablemap_offline(tm);
	if ((e = r->hooks->schema(r, tm)) == NULL)
		return -1;
	if (e->ncols == 0)
		return reader_fail(r, BX_AUTH, "table %s.%s at %s:%llu: "
		    "information_schema shows the user '%s' none of its "
		    "columns: grant it SELECT on the table (or set "
		    "binlog_row_metadata=FULL on the server), unless the table "
		    "was dropped since", tm->db, tm->table, r->file,
		    (unsigned long long)r->offset, r->conf->user);
	if (tablemap_check(r, tm, e) == -1)
		return -1;
	for (i = 0; i < tm->ncols; i++) {
		if (!tm->have_names)
			strlcpy_(tm->cols[i].name, e->cols[i].name,
			    sizeof(tm->cols[i].name));
		if (!tm->have_sign)
			tm->cols[i].is_unsigned = e->cols[i].is_unsigned;
		if (!tm->have_pk)
			tm->cols[i].pk = e->cols[i].pk;
		if (!tm->have_charset) {
			tm->cols[i].is_binary = e->cols[i].is_binary;
			tm->cols[i].charset = e->cols[i].charset;
		}
		if (tm->cols[i].type == COL_STRING && tm->cols[i].length == 16)
			tm->cols[i].form = e->cols[i].form;
		tablemap_copy_names(tm, &tm->cols[i], e, &e->cols[i]);
	}
	return 0;
}
