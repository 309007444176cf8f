/* ddlapply.c: binlog/ddlschema.c as a filter, for ddl_server.sh -- DDL
 * statements on stdin, one a line, applied in order with the default
 * database argv[1] and the server's charset argv[2]; each statement's
 * result on stderr, then every table's columns on stdout as
 * information_schema.COLUMNS would list them (db, table, position, name,
 * binlog type, unsigned, charset or "-", key, ENUM/SET members). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog_int.h"
#include "ddlschema.h"
#include "util.h"

static int
table_cmp(const void *a, const void *b)
{
	const struct schema_entry *x = *(const struct schema_entry *const *)a;
	const struct schema_entry *y = *(const struct schema_entry *const *)b;
	int c = strcmp(x->db, y->db);

	return c != 0 ? c : strcmp(x->table, y->table);
}

static void
print_column(const struct schema_entry *e, uint32_t i)
{
	const struct column *c = &e->cols[i];
	bool text = !c->is_binary && (c->type == COL_STRING ||
	    c->type == COL_VARCHAR || c->type == COL_BLOB ||
	    c->type == COL_ENUM || c->type == COL_SET);
	uint32_t k, a, b;

	printf("%s\t%s\t%u\t%s\t%u\t%d\t%s\t%d\t", e->db, e->table, i + 1,
	    c->name, c->type, c->is_unsigned, text ?
	    charset_name(c->charset) : "-", c->pk);
	for (k = 0; k < c->nstr; k++) {
		memcpy(&a, e->stridx.buf + 4 * (c->str_first + k), 4);
		memcpy(&b, e->stridx.buf + 4 * (c->str_first + k + 1), 4);
		printf("%s%.*s", k ? "," : "", (int)(b - a), e->strs.buf + a);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	static const char *const results[] = { "applied", "ignored",
	    "refused" };
	struct catalog cat = { .mariadb = true };
	struct schema_entry *e, **all = NULL;
	char *line = NULL, msg[512];
	size_t cap = 0, n = 0, i;
	ssize_t len;
	uint32_t c;

	if (argc != 3) {
		fprintf(stderr, "usage: ddlapply db server-charset\n");
		return 64;
	}
	strlcpy_(cat.charset, argv[2], sizeof(cat.charset));
	while ((len = getline(&line, &cap, stdin)) > 0) {
		enum ddl_result r = ddl_apply(&cat, argv[1],
		    (const uint8_t *)line, (size_t)len, msg, sizeof(msg));

		fprintf(stderr, "%s%s%s\n", results[r], msg[0] ? ": " : "",
		    msg);
	}
	for (e = cat.tables; e != NULL; e = e->next) {
		if ((all = realloc(all, (n + 1) * sizeof(*all))) == NULL)
			return 1;
		all[n++] = e;
	}
	if (n > 0)
		qsort(all, n, sizeof(*all), table_cmp);
	for (i = 0; i < n; i++)
		for (c = 0; c < all[i]->ncols; c++)
			print_column(all[i], c);
	free(all);
	free(line);
	catalog_free(&cat);
	return 0;
}
