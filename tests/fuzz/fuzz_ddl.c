/* fuzz_ddl.c: libFuzzer target for binlog/ddlschema.c -- each input is
 * statements, one a line, applied in order to one catalogue with "test"
 * the default database; a refusal must say why, and every table left must
 * hold together (a name per column, ENUM members inside their buffer).
 * Built with ASan and UBSan by ddl.sh, which also runs it once over the
 * CREATE/ALTER/RENAME TABLE lines of MariaDB's own test suite; with
 * DDL_STATS set it counts what was applied, ignored and refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog_int.h"
#include "ddlschema.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_table(const struct schema_entry *e)
{
	uint32_t i;

	if (e->ncols == 0 || e->db[0] == '\0' || e->table[0] == '\0')
		abort();
	for (i = 0; i < e->ncols; i++) {
		if (e->cols[i].name[0] == '\0' ||
		    (e->cols[i].nstr > 0 && 4 * ((size_t)e->cols[i].str_first +
		    e->cols[i].nstr + 1) > e->stridx.len))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char db[] = "CREATE DATABASE test CHARSET latin1";
	struct catalog cat = { .mariadb = true };
	const struct schema_entry *e;
	const uint8_t *p = data, *nl;
	unsigned long n[3] = { 0, 0, 0 };
	enum ddl_result r;
	char msg[256];

	strlcpy_(cat.charset, "utf8mb4", sizeof(cat.charset));
	ddl_apply(&cat, "", (const uint8_t *)db, strlen(db), msg, sizeof(msg));
	while (p < data + size) {
		if ((nl = memchr(p, '\n', (size_t)(data + size - p))) == NULL)
			nl = data + size;
		r = ddl_apply(&cat, "test", p, (size_t)(nl - p), msg,
		    sizeof(msg));
		if (r == DDL_REFUSED && msg[0] == '\0')
			abort();
		if (r == DDL_REFUSED && getenv("DDL_REFUSALS") != NULL)
			fprintf(stderr, "refused: %.*s\n  %s\n", (int)(nl - p),
			    (const char *)p, msg);
		n[r]++;
		p = nl + 1;
	}
	for (e = cat.tables; e != NULL; e = e->next)
		check_table(e);
	if (getenv("DDL_STATS") != NULL)
		fprintf(stderr, "applied %lu ignored %lu refused %lu\n", n[0],
		    n[1], n[2]);
	catalog_free(&cat);
	return 0;
}
