/* schema.c: the columns of a table as the server describes them in
 * information_schema, for a TABLE_MAP that does not carry them all
 * (binlog_row_metadata MINIMAL or NO_LOG): binlogd-streamer's answer to
 * the decoder's reader_hooks.schema, cached until a DDL statement
 * (reader_hooks.schema_forget). */
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

/* Reads a table's columns from information_schema, in table order. */
static struct schema_entry *
schema_load(struct reader *r, const struct tablemap *tm)
{
	char q[512], db[140], tb[140];
	struct schema_entry *e;
	MYSQL *m;
	MYSQL_RES *res;
	MYSQL_ROW row;
	uint32_t i = 0;
	int bad = 0;

	if ((m = reader_meta(r)) == NULL)
		return NULL;
	mysql_real_escape_string(m, db, tm->db, strlen(tm->db));
	mysql_real_escape_string(m, tb, tm->table, strlen(tm->table));
	snprintf(q, sizeof(q), "SELECT COLUMN_NAME, COLUMN_TYPE, "
	    "CHARACTER_SET_NAME, COLUMN_KEY, DATA_TYPE "
	    "FROM information_schema.COLUMNS "
	    "WHERE "
	    "TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s' "
	    "ORDER BY ORDINAL_POSITION", db, tb);
	if (mysql_query(m, q) != 0 || (res = mysql_store_result(m)) == NULL) {
		reader_fail(r, BX_FAILURE, "reading the columns of %s.%s from "
		    "information_schema: %s (%u)", tm->db, tm->table,
		    mysql_error(m), mysql_errno(m));
		return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->cols = calloc(mysql_num_rows(res) + 1, sizeof(*e->cols))) == NULL)
		fatal("schema cache");
	strlcpy_(e->db, tm->db, sizeof(e->db));
	strlcpy_(e->table, tm->table, sizeof(e->table));
	while ((row = mysql_fetch_row(res)) != NULL && bad == 0)
		bad = schema_row(e, i++, row, r->mariadb);
	mysql_free_result(res);
	e->ncols = i;
	e->next = schema_cache;
	schema_cache = e;
	if (bad) {
		reader_fail(r, BX_DECODE, "a column name of %s.%s in "
		    "information_schema is empty or too long", tm->db, tm->table);
		return NULL;
	}
	return e;
}

/* reader_hooks.schema: the table's columns, from the cache or the
 * server. */
const struct schema_entry *
schema_lookup(struct reader *r, const struct tablemap *tm)
{
	struct schema_entry *e;

	for (e = schema_cache; e != NULL; e = e->next)
		if (strcmp(e->db, tm->db) == 0 &&
		    strcmp(e->table, tm->table) == 0)
			return e;
	return schema_load(r, tm);
}

/* reader_hooks.schema_forget: a DDL statement may have changed any. */
void
schema_forget(struct reader *r UNUSED)
{
	struct schema_entry *e, *next;

	for (e = schema_cache; e != NULL; e = next) {
		next = e->next;
		schema_entry_free(e);
	}
	schema_cache = NULL;
}
