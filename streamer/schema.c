/* schema.c: binlogd-streamer's answer to the decoder's reader_hooks.schema,
 * for a TABLE_MAP that does not carry all its columns' facts
 * (binlog_row_metadata MINIMAL or NO_LOG): the schema history's version in
 * force (history.c), else the table as information_schema describes it
 * now, cached until a DDL statement (reader_hooks.schema_ddl); and the
 * information_schema reads the history is seeded and checked from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "streamer.h"
#include "ddlschema.h"
#include "util.h"

/* Every table looked up since the last DDL statement, newest first. */
static struct schema_entry *schema_cache;

/* One quoted name of an enum('a','b''c') COLUMN_TYPE, from p; returns
 * the end of it, or NULL when there is none. */
static const char *
schema_enum_name(const char *p, struct obuf *name)
{
	name->len = 0;
	if (*p++ != '\'')
		return NULL;
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '\'' && p[1] == '\'')
			p++;
		else if (*p == '\'')
			return p + 1;
		obuf_add(name, p, 1);
	}
	return NULL;
}

/* ENUM and SET names from COLUMN_TYPE, kept like tablemap_strs keeps
 * those of the optional metadata. */
static void
schema_enum_names(struct schema_entry *e, uint32_t i, const char *type)
{
	struct obuf name = { 0 };
	const char *p = strchr(type, '(');

	if (p == NULL || (strncmp(type, "enum(", 5) != 0 &&
	    strncmp(type, "set(", 4) != 0))
		return;
	schema_names_begin(e, i);
	for (p++; p != NULL && *p == '\''; p += *p == ',') {
		if ((p = schema_enum_name(p, &name)) == NULL)
			break;
		schema_names_add(e, i, name.buf, name.len);
	}
	schema_names_end(e);
	free(name.buf);
}

static int
schema_row(struct schema_entry *e, uint32_t i, MYSQL_ROW row, bool mariadb)
{
	struct column *col = &e->cols[i];
	bool binary;

	if (row[0] == NULL || strlen(row[0]) >= sizeof(col->name))
		return -1;
	if (i == 0 && row[7] != NULL)
		strlcpy_(e->charset, row[7], sizeof(e->charset));
	strlcpy_(col->name, row[0], sizeof(col->name));
	col->is_unsigned = row[1] != NULL && strstr(row[1], "unsigned") != NULL;
	col->is_binary = row[2] == NULL || strcmp(row[2], "binary") == 0;
	col->charset = row[2] == NULL ? CS_UTF8 : charset_by_name(row[2]);
	col->pk = row[3] != NULL && strcmp(row[3], "PRI") == 0;
	col->type = ddl_sql_type(row[4], mariadb, &binary);
	if (row[4] != NULL && strcmp(row[4], "inet6") == 0)
		col->form = COLFORM_INET6;
	if (row[4] != NULL && strcmp(row[4], "uuid") == 0)
		col->form = COLFORM_UUID;
	if (row[1] != NULL)
		schema_enum_names(e, i, row[1]);
	return 0;
}

/* A table's columns with its default charset, in table order.  The
 * charset comes from a subquery on TABLES with the names as literals:
 * joined on COLUMNS' names instead, MariaDB scans every database's tables
 * for each query (EXPLAIN: "Scanned all databases"), 60-115 ms a table
 * with 3,000 tables against 0-4 ms -- seeding 10,000 tables took minutes.
 * LIMIT 1: a collation may apply to several charsets (MariaDB 11). */
#define SCHEMA_COLUMNS_SQL "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, " \
	"c.CHARACTER_SET_NAME, c.COLUMN_KEY, c.DATA_TYPE, c.TABLE_SCHEMA, " \
	"c.TABLE_NAME, (SELECT a.CHARACTER_SET_NAME FROM " \
	"information_schema.COLLATION_CHARACTER_SET_APPLICABILITY a WHERE " \
	"a.COLLATION_NAME = (SELECT t.TABLE_COLLATION FROM " \
	"information_schema.TABLES t WHERE t.TABLE_SCHEMA = '%s' AND " \
	"t.TABLE_NAME = '%s') LIMIT 1) FROM information_schema.COLUMNS c " \
	"WHERE c.TABLE_SCHEMA = '%s' AND c.TABLE_NAME = '%s' " \
	"ORDER BY c.ORDINAL_POSITION"
#define SCHEMA_TABLES_SQL "SELECT TABLE_SCHEMA, TABLE_NAME " \
	"FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND " \
	"TABLE_SCHEMA NOT IN ('mysql', 'information_schema', " \
	"'performance_schema', 'sys')"

static MYSQL_RES *
schema_query(struct reader *r, MYSQL *m, const char *q, const char *what)
{
	MYSQL_RES *res;

	if (mysql_query(m, q) != 0 || (res = mysql_store_result(m)) == NULL) {
		reader_fail(r, BX_FAILURE, "reading %s from information_schema: "
		    "%s (%u)", what, mysql_error(m), mysql_errno(m));
		return NULL;
	}
	return res;
}

static struct schema_entry *
schema_new(const char *db, const char *table, size_t ncols)
{
	struct schema_entry *e;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->cols = calloc(ncols + 1, sizeof(*e->cols))) == NULL)
		fatal("table schema");
	strlcpy_(e->db, db, sizeof(e->db));
	strlcpy_(e->table, table, sizeof(e->table));
	return e;
}

/* A table's columns from information_schema, in table order; NULL after
 * reader_fail. */
struct schema_entry *
schema_read(struct reader *r, const char *db, const char *table)
{
	char q[2048], edb[140], etb[140];
	struct schema_entry *e;
	MYSQL *m;
	MYSQL_RES *res;
	MYSQL_ROW row;
	uint32_t i = 0;
	int bad = 0;

	if ((m = reader_meta(r)) == NULL)
		return NULL;
	mysql_real_escape_string(m, edb, db, strlen(db));
	mysql_real_escape_string(m, etb, table, strlen(table));
	snprintf(q, sizeof(q), SCHEMA_COLUMNS_SQL, edb, etb, edb, etb);
	if ((res = schema_query(r, m, q, "a table's columns")) == NULL)
		return NULL;
	e = schema_new(db, table, mysql_num_rows(res));
	e->origin = "information_schema (as the user sees it)";
	while ((row = mysql_fetch_row(res)) != NULL && bad == 0)
		bad = schema_row(e, i++, row, r->mariadb);
	mysql_free_result(res);
	e->ncols = i;
	if (bad) {
		reader_fail(r, BX_DECODE, "a column name of %s.%s in "
		    "information_schema is empty or too long", db, table);
		schema_entry_free(e);
		return NULL;
	}
	return e;
}

/* Every base table's columns into cat (seeding the history), with the
 * server's and each database's default charset; -1 after reader_fail.
 * One query per table: information_schema opens only the table it is
 * asked for by name, so no one query outlasts read_timeout however many
 * tables there are. */
int
schema_read_all(struct reader *r, struct catalog *cat)
{
	struct schema_entry *e;
	MYSQL *m;
	MYSQL_RES *res;
	MYSQL_ROW row;
	int rc = 0;

	if ((m = reader_meta(r)) == NULL || (res = schema_query(r, m,
	    SCHEMA_TABLES_SQL, "the tables")) == NULL)
		return -1;
	while (rc == 0 && (row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL)
			continue;
		if ((e = schema_read(r, row[0], row[1])) == NULL)
			rc = -1;
		else if (e->ncols == 0)
			schema_entry_free(e);	/* dropped meanwhile */
		else {
			e->origin = NULL;
			e->next = cat->tables;
			cat->tables = e;
		}
	}
	mysql_free_result(res);
	return rc == -1 ? -1 : schema_charsets(r, cat);
}

/* The server's and each database's default charset, as they are now
 * (the history keeps no versions of them); -1 after reader_fail. */
int
schema_charsets(struct reader *r, struct catalog *cat)
{
	struct catalog_db *d;
	MYSQL *m;
	MYSQL_RES *res;
	MYSQL_ROW row;

	if ((m = reader_meta(r)) == NULL || (res = schema_query(r, m,
	    "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, "
	    "@@character_set_server FROM information_schema.SCHEMATA",
	    "the databases' charsets")) == NULL)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL || row[2] == NULL)
			continue;
		strlcpy_(cat->charset, row[2], sizeof(cat->charset));
		for (d = cat->dbs; d != NULL; d = d->next)
			if (strcmp(d->name, row[0]) == 0)
				break;
		if (d == NULL) {
			if ((d = calloc(1, sizeof(*d))) == NULL)
				fatal("catalogue");
			strlcpy_(d->name, row[0], sizeof(d->name));
			d->next = cat->dbs;
			cat->dbs = d;
		}
		strlcpy_(d->charset, row[1], sizeof(d->charset));
	}
	mysql_free_result(res);
	return 0;
}

/* Whether the server's binlog ends at file:offset now (the stream has
 * caught up with it); false when that cannot be read. */
bool
schema_server_at(struct reader *r, const char *file, uint64_t offset)
{
	MYSQL *m;
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool at = false;

	if ((m = reader_meta(r)) == NULL)
		return false;
	if (mysql_query(m, "SHOW MASTER STATUS") != 0 &&
	    mysql_query(m, "SHOW BINARY LOG STATUS") != 0)
		return false;
	if ((res = mysql_store_result(m)) == NULL)
		return false;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL &&
	    row[1] != NULL)
		at = strcmp(row[0], file) == 0 &&
		    strtoull(row[1], NULL, 10) == offset;
	mysql_free_result(res);
	return at;
}

/* Reads a table's columns from information_schema into the cache. */
static struct schema_entry *
schema_load(struct reader *r, const struct tablemap *tm)
{
	struct schema_entry *e;

	if ((e = schema_read(r, tm->db, tm->table)) == NULL)
		return NULL;
	e->next = schema_cache;
	schema_cache = e;
	return e;
}
/* reader_hooks.schema: the version in force in the schema history;
 * for a table it does not know, information_schema's as it is now,
 * cached until the next DDL statement and checked against each TABLE_MAP
 * all the same (tablemap.c). */
const struct schema_entry *
schema_lookup(struct reader *r, const struct tablemap *tm)
{
	const struct schema_entry *e;

	if ((e = history_table(tm->db, tm->table)) != NULL)
		return e;
	if (history_retaking(tm->db, tm->table))
		return history_retake(r, tm->db, tm->table);
	for (e = schema_cache; e != NULL; e = e->next)
		if (strcmp(e->db, tm->db) == 0 &&
		    strcmp(e->table, tm->table) == 0)
			return e;
	if ((e = schema_load(r, tm)) != NULL && e->ncols > 0)
		history_unknown(r, tm->db, tm->table);
	return e;
}

/* reader_hooks.schema_ddl: the history follows the statement; what
 * information_schema gave may be stale. */
int
schema_ddl(struct reader *r, const uint8_t *db, size_t dblen,
    const uint8_t *sql, size_t len)
{
	struct schema_entry *e, *next;
	char dbname[65];

	for (e = schema_cache; e != NULL; e = next) {
		next = e->next;
		schema_entry_free(e);
	}
	schema_cache = NULL;
	if (sql == NULL)
		return 0;
	if (dblen >= sizeof(dbname))
		dblen = 0;
	memcpy(dbname, db, dblen);
	dbname[dblen] = '\0';
	return history_ddl(r, dbname, sql, len);
}
