/* test_ddlschema.c: binlog/ddlschema.c applies DDL statements, as the
 * servers log them, to a catalogue of table schemas: each case runs a
 * chain of statements and compares the table's columns -- name, binlog
 * type, unsigned, charset, key, ENUM members -- with what the server's
 * information_schema shows after the same statements (written out by
 * hand from a MariaDB 10.11 run); refused statements change nothing and
 * say why. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "binlog_int.h"
#include "ddlschema.h"
#include "util.h"

static struct catalog cat;
static char msg[512];

static enum ddl_result
run(const char *db, const char *sql)
{
	return ddl_apply(&cat, db, (const uint8_t *)sql, strlen(sql), msg,
	    sizeof(msg));
}

/* A statement that must apply. */
static void
ok(const char *sql)
{
	enum ddl_result r = run("s", sql);

	if (r != DDL_APPLIED)
		fprintf(stderr, "# refused: %s\n#   %s\n", sql, msg);
	CHECK_INT(r, DDL_APPLIED);
}

/* "name:type[u][*][ charset]" per column, in order, or "none". */
static const char *
columns(const char *db, const char *table)
{
	static char out[2048];
	const struct schema_entry *e = catalog_table(&cat, db, table);
	const struct column *c;
	uint32_t i;
	size_t n = 0;

	if (e == NULL)
		return "none";
	out[0] = '\0';
	for (i = 0; i < e->ncols; i++) {
		c = &e->cols[i];
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:%u%s%s%s",
		    i ? " " : "", c->name, c->type, c->is_unsigned ? "u" : "",
		    c->pk ? "*" : "", c->is_binary ? "b" :
		    c->charset == CS_LATIN1 ? "l" : "");
		if (n >= sizeof(out))
			break;
	}
	return out;
}

/* An ENUM or SET column's members as the records write them. */
static const char *
members(const char *db, const char *table, uint32_t col)
{
	static char out[512];
	const struct schema_entry *e = catalog_table(&cat, db, table);
	uint32_t k, a, b;

	out[0] = '\0';
	for (k = 0; e != NULL && k < e->cols[col].nstr; k++) {
		memcpy(&a, e->stridx.buf + 4 * (e->cols[col].str_first + k), 4);
		memcpy(&b, e->stridx.buf + 4 * (e->cols[col].str_first + k + 1),
		    4);
		strncat(out, e->strs.buf + a, b - a);
	}
	return out;
}

static void
test_create(void)
{
	ok("CREATE DATABASE s DEFAULT CHARACTER SET latin1");
	ok("CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
	    "a VARCHAR(10) CHARACTER SET utf8mb4 DEFAULT 'x,y' COMMENT 'a)', "
	    "b INT UNSIGNED DEFAULT -1, e ENUM('x','y''z', _utf8mb4'w') "
	    "NOT NULL, bl BLOB, f FLOAT(30), ts TIMESTAMP(6) NOT NULL "
	    "DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), "
	    "g INT AS (b + 1) VIRTUAL, c CHAR(3), KEY (a), "
	    "CONSTRAINT fk FOREIGN KEY (b) REFERENCES u (id) ON DELETE SET "
	    "NULL, CHECK (b > 0)) ENGINE=InnoDB AUTO_INCREMENT=5 "
	    "COMMENT='t' ROW_FORMAT=DYNAMIC");
	CHECK_STR(columns("s", "t"), "id:3* a:15 b:3u e:247l bl:252b f:5 "
	    "ts:17 g:3 c:254l");
	CHECK_STR(members("s", "t", 3), "\"x\"\"y'z\"\"w\"");
	/* the table's charset after its columns, a key on two columns */
	ok("CREATE TABLE `s`.`My``T` (`k 1` CHAR(2), v TEXT, PRIMARY KEY "
	    "(v(10), `k 1` DESC)) DEFAULT CHARSET=utf8mb4");
	CHECK_STR(columns("s", "My`T"), "k 1:254* v:252*");
	ok("/*!40101 CREATE TABLE IF NOT EXISTS `t` (x INT) */");
	CHECK_STR(columns("s", "t"), "id:3* a:15 b:3u e:247l bl:252b f:5 "
	    "ts:17 g:3 c:254l");
	ok("CREATE TABLE t2 LIKE t");
	CHECK_STR(columns("s", "t2"), columns("s", "t"));
	ok("CREATE TABLE s.t3 (LIKE s.t)");
	CHECK_STR(columns("s", "t3"), columns("s", "t"));
	ok("CREATE OR REPLACE TABLE t3 (n NATIONAL VARCHAR(3), d DOUBLE "
	    "PRECISION, l LONG VARBINARY, s SERIAL, j JSON, i6 INET6)");
	CHECK_STR(columns("s", "t3"), "n:15 d:5 l:252b s:8u* j:252 i6:254b");
	CHECK_INT(catalog_table(&cat, "s", "t3")->cols[5].form, COLFORM_INET6);
	ok("CREATE TABLE per (id INT, s DATE, e DATE, PERIOD FOR p(s, e), "
	    "PRIMARY KEY (id, p WITHOUT OVERLAPS))");
	CHECK_STR(columns("s", "per"), "id:3* s:10* e:10*");
	CHECK_INT(run("s", "CREATE TEMPORARY TABLE tt (a INT)"), DDL_IGNORED);
	CHECK_STR(columns("s", "tt"), "none");
}

static void
test_alter(void)
{
	ok("CREATE TABLE s.a (id INT PRIMARY KEY, a VARCHAR(5), b INT, "
	    "c INT)");
	/* the chain: drop, add in the middle, change name and type */
	ok("ALTER TABLE a DROP COLUMN a, ADD COLUMN a2 VARCHAR(8) AFTER id, "
	    "CHANGE b bee BIGINT");
	CHECK_STR(columns("s", "a"), "id:3* a2:15l bee:8 c:3");
	ok("ALTER TABLE a MODIFY c TINYINT UNSIGNED FIRST, "
	    "RENAME COLUMN bee TO b, ALGORITHM=INSTANT, LOCK=NONE");
	CHECK_STR(columns("s", "a"), "c:1u id:3* a2:15l b:8");
	ok("ALTER TABLE a DROP PRIMARY KEY, ADD PRIMARY KEY (a2, b)");
	CHECK_STR(columns("s", "a"), "c:1u id:3 a2:15*l b:8*");
	ok("ALTER TABLE a ADD (x INT, y DATE), ADD INDEX i (x), "
	    "DROP INDEX i, ADD UNIQUE KEY u (y) USING BTREE, ENGINE = InnoDB");
	CHECK_STR(columns("s", "a"), "c:1u id:3 a2:15*l b:8* x:3 y:10");
	ok("ALTER TABLE a DEFAULT CHARSET utf8mb4, ADD z TEXT, "
	    "ADD COLUMN IF NOT EXISTS x BIGINT, DROP COLUMN IF EXISTS nope");
	CHECK_STR(columns("s", "a"), "c:1u id:3 a2:15*l b:8* x:3 y:10 z:252");
	ok("ALTER TABLE a CONVERT TO CHARACTER SET latin1 COLLATE "
	    "latin1_general_ci");
	CHECK_STR(columns("s", "a"), "c:1u id:3 a2:15*l b:8* x:3 y:10 z:252l");
	ok("ALTER ONLINE TABLE a RENAME TO b2, ADD w INT NOT NULL DEFAULT 7");
	CHECK_STR(columns("s", "a"), "none");
	CHECK_STR(columns("s", "b2"), "c:1u id:3 a2:15*l b:8* x:3 y:10 z:252l "
	    "w:3");
	ok("ALTER TABLE b2 WAIT 5 ALTER COLUMN w SET DEFAULT 8, "
	    "ALTER COLUMN w DROP DEFAULT, FORCE");
	ok("SET STATEMENT max_statement_time=10 FOR ALTER TABLE b2 DROP w");
	CHECK_STR(columns("s", "b2"), "c:1u id:3 a2:15*l b:8* x:3 y:10 z:252l");
	ok("ALTER TABLE b2 ADD jp INT JPATH='$.x' FLAG=2 NOT NULL");
	ok("ALTER TABLE b2 DROP jp");
	ok("ALTER TABLE b2 PARTITION BY HASH(id) PARTITIONS 4");
	ok("ALTER TABLE b2 DROP PARTITION p0, p1");
}

static void
test_rename_drop(void)
{
	/* gh-ost: a ghost table altered, then swapped in */
	ok("CREATE TABLE s.o (id INT PRIMARY KEY, v INT)");
	ok("CREATE TABLE `s`.`_o_gho` LIKE `s`.`o`");
	ok("ALTER TABLE `s`.`_o_gho` ADD COLUMN n INT");
	ok("RENAME TABLE `s`.`o` TO `s`.`_o_del`, `s`.`_o_gho` TO `s`.`o`");
	CHECK_STR(columns("s", "o"), "id:3* v:3 n:3");
	CHECK_STR(columns("s", "_o_del"), "id:3* v:3");
	ok("DROP TABLE IF EXISTS `s`.`_o_del` /* generated by server */");
	CHECK_STR(columns("s", "_o_del"), "none");
	/* pt-online-schema-change's swap through a third name */
	ok("CREATE TABLE _o_new (id INT PRIMARY KEY)");
	ok("RENAME TABLE o TO _o_old, _o_new TO o");
	CHECK_STR(columns("s", "o"), "id:3*");
	ok("DROP TABLE _o_old, nothere");
	ok("TRUNCATE TABLE o");
	CHECK_STR(columns("s", "o"), "id:3*");
	ok("CREATE DATABASE d2");
	ok("CREATE TABLE d2.x (a INT)");
	ok("RENAME TABLE d2.x TO s.x");
	CHECK_STR(columns("s", "x"), "a:3");
	ok("CREATE TABLE d2.y (a INT)");
	ok("DROP DATABASE d2");
	CHECK_STR(columns("d2", "y"), "none");
}

static void
test_charsets(void)
{
	ok("CREATE DATABASE c CHARACTER SET = cp1251");
	ok("CREATE TABLE c.t (a VARCHAR(3), b CHAR(2) CHARACTER SET utf8, "
	    "c TEXT CHARSET binary, d VARCHAR(2) COLLATE latin1_bin)");
	CHECK_INT(catalog_table(&cat, "c", "t")->cols[0].charset,
	    charset_by_name("cp1251"));
	CHECK_INT(catalog_table(&cat, "c", "t")->cols[1].charset, CS_UTF8);
	CHECK(catalog_table(&cat, "c", "t")->cols[2].is_binary);
	CHECK_INT(catalog_table(&cat, "c", "t")->cols[3].charset, CS_LATIN1);
	ok("ALTER DATABASE c CHARACTER SET latin1");
	ok("CREATE TABLE c.u (a VARCHAR(3))");
	CHECK_STR(columns("c", "u"), "a:15l");
	ok("ALTER TABLE c.t CONVERT TO CHARACTER SET utf8mb4");
	CHECK_INT(catalog_table(&cat, "c", "t")->cols[0].charset, CS_UTF8);
	CHECK(catalog_table(&cat, "c", "t")->cols[2].is_binary);
}

/* Refused: a message, and the table as it was. */
static void
refused(const char *sql, const char *frag)
{
	char before[2048];

	strlcpy_(before, columns("s", "r"), sizeof(before));
	CHECK_INT(run("s", sql), DDL_REFUSED);
	CHECK_HAS(msg, frag);
	CHECK_STR(columns("s", "r"), before);
}

static void
test_refused(void)
{
	ok("CREATE TABLE s.r (id INT, v INT)");
	refused("ALTER TABLE r ADD COLUMN w INT, ADD SYSTEM VERSIONING",
	    "hidden columns");
	refused("ALTER TABLE r DROP COLUMN v, DROP COLUMN nope", "nope");
	refused("ALTER TABLE r ADD x INT AFTER nope", "AFTER nope");
	refused("ALTER TABLE r ADD x FROBNICATE", "unknown column type");
	refused("ALTER TABLE r ADD v INT", "has a column v");
	refused("ALTER TABLE unknown_t ADD x INT", "no schema");
	refused("CREATE TABLE r2 SELECT 1 AS a", "from a query");
	refused("CREATE TABLE r2 (a INT) SELECT 1 AS b", "from a query");
	refused("CREATE TABLE r2 LIKE nope", "no schema");
	refused("ALTER TABLE r ADD x INT COMPRESSED", "COMPRESSED");
	refused("RENAME TABLE r TO r9, nope TO r", "no schema");
	CHECK_STR(columns("s", "r9"), "none");
	CHECK_INT(run("", "CREATE TABLE nodb (a INT)"), DDL_REFUSED);
	CHECK_HAS(msg, "none selected");
	CHECK_INT(run("s", "CREATE INDEX i ON r (v)"), DDL_IGNORED);
	CHECK_INT(run("s", "CREATE VIEW vw AS SELECT 1"), DDL_IGNORED);
	CHECK_INT(run("s", "GRANT SELECT ON *.* TO u"), DDL_IGNORED);
	CHECK_INT(run("s", "DROP INDEX i ON r"), DDL_IGNORED);
	/* cut short anywhere: refused or applied, never a crash */
	{
		const char *q = "CREATE TABLE s.cut (a INT PRIMARY KEY, "
		    "b ENUM('x','y') DEFAULT 'x', KEY (b)) CHARSET=latin1";
		size_t n;

		for (n = 0; n <= strlen(q); n++)
			ddl_apply(&cat, "s", (const uint8_t *)q, n, msg,
			    sizeof(msg));
		CHECK_STR(columns("s", "cut"), "a:3* b:247l");
	}
}

int
main(void)
{
	strlcpy_(cat.charset, "utf8mb4", sizeof(cat.charset));
	cat.mariadb = true;
	RUN(test_create);
	RUN(test_alter);
	RUN(test_rename_drop);
	RUN(test_charsets);
	RUN(test_refused);
	catalog_free(&cat);
	return tap_done();
}
