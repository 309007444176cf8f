/* ddlschema.c: DDL statements applied to an in-memory catalogue of table
 * schemas -- the column facts information_schema gives (struct
 * schema_entry: names, types, signedness, charsets, ENUM/SET members, the
 * primary key, INET6/UUID) -- so that a table's columns can follow the
 * binlog rather than the server's present.  A statement is applied whole,
 * ignored (it changes no table's columns: an index, a view, a user), or
 * refused with a message that names what was not understood; a refused
 * statement changes nothing.  The grammar is MariaDB's and MySQL's, as
 * far as columns go; clauses about anything else are skipped by name. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "binlog_int.h"
#include "ddlschema.h"
#include "util.h"

struct ddlp {
	struct ddl_lex	 l;
	struct catalog	*cat;
	const char	*db;		/* the default database */
	char		*msg;
	size_t		 msglen;
	bool		 failed;
	char		 pk[64][65];	/* PRIMARY KEY columns, set at the end */
	int		 npk;
	bool		 pk_set;
	char		 unique[65];	/* UNIQUE NOT NULL: the key if none */
	char		 period[3][65];	/* PERIOD FOR name (start, end) */
};

/* A column as its definition gives it, before it joins a table. */
struct coldef {
	struct column	 col;
	char		 cs[33];	/* CHARACTER SET or COLLATE's ("": none) */
	bool		 text;		/* takes a charset: CHAR, TEXT, ENUM, ... */
	bool		 pk;
	bool		 unique, not_null;
	struct obuf	 names;		/* ENUM/SET members: uint32 length, bytes */
};

static bool __attribute__((format(printf, 2, 3)))
refuse(struct ddlp *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		p->failed = true;
		va_start(ap, fmt);
		vsnprintf(p->msg, p->msglen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static void
adv(struct ddlp *p)
{
	ddl_next(&p->l);
}

static bool
kw(struct ddlp *p, const char *word)
{
	return ddl_is(&p->l, word);
}

static bool
take(struct ddlp *p, const char *word)
{
	if (!kw(p, word))
		return false;
	adv(p);
	return true;
}

/* Whether the next token (after the current one) is word. */
static bool
peek(struct ddlp *p, const char *word)
{
	struct ddl_lex save = p->l;
	bool yes;

	adv(p);
	yes = kw(p, word);
	p->l = save;
	return yes;
}

/* Whether the next token is the punctuation c. */
static bool
peek_punct(struct ddlp *p, char c)
{
	struct ddl_lex save = p->l;
	bool yes;

	adv(p);
	yes = !p->l.quoted && !p->l.string && p->l.len == 1 &&
	    p->l.tok[0] == c;
	p->l = save;
	return yes;
}

static bool
is_punct(struct ddlp *p, char c)
{
	return !p->l.quoted && !p->l.string && p->l.len == 1 &&
	    p->l.tok[0] == c;
}

static bool
accept_punct(struct ddlp *p, char c)
{
	if (!is_punct(p, c))
		return false;
	adv(p);
	return true;
}

static bool
at_end(struct ddlp *p)
{
	return p->l.len == 0 && !p->l.quoted && !p->l.string;
}

/* What the statement had where it was not understood, for a message. */
static const char *
here(struct ddlp *p)
{
	return at_end(p) ? "the end of the statement" : p->l.tok;
}

/* A name: a word, `quoted` or "quoted" (ANSI_QUOTES); not punctuation. */
static bool
name(struct ddlp *p, char *out, size_t size, const char *what)
{
	if (at_end(p) || (!p->l.quoted && !p->l.string &&
	    p->l.len == 1 && !isalnum((unsigned char)p->l.tok[0]) &&
	    p->l.tok[0] != '_' && p->l.tok[0] != '$'))
		return refuse(p, "expected %s, found %s", what, here(p));
	if (p->l.len == 0)
		return refuse(p, "%s is empty", what);
	if (p->l.trunc || p->l.len >= size || memchr(p->l.tok, '\0', p->l.len))
		return refuse(p, "%s %.64s... is too long", what, p->l.tok);
	memcpy(out, p->l.tok, p->l.len + 1);
	adv(p);
	return true;
}

/* [db.]table; db is the default database without one. */
static bool
table_name(struct ddlp *p, char *db, char *table)
{
	if (!name(p, table, 65, "a table name"))
		return false;
	if (accept_punct(p, '.')) {
		strlcpy_(db, table, 65);
		return name(p, table, 65, "a table name");
	}
	if (p->db[0] == '\0')
		return refuse(p, "table %s without a database, and none "
		    "selected", table);
	strlcpy_(db, p->db, 65);
	return true;
}

/* From '(' to its ')', both consumed. */
static bool
skip_parens(struct ddlp *p)
{
	int depth = 0;

	do {
		if (at_end(p))
			return refuse(p, "unbalanced parentheses");
		if (is_punct(p, '('))
			depth++;
		else if (is_punct(p, ')'))
			depth--;
		adv(p);
	} while (depth > 0);
	return true;
}

/* To the ',' or ')' that ends a clause (not consumed), or the end. */
static bool
skip_item(struct ddlp *p)
{
	while (!at_end(p) && !is_punct(p, ',') && !is_punct(p, ')')) {
		if (is_punct(p, '(')) {
			if (!skip_parens(p))
				return false;
		} else
			adv(p);
	}
	return true;
}

static void
skip_rest(struct ddlp *p)
{
	while (!at_end(p))
		adv(p);
}

/* A literal, a function call or a (expression): DEFAULT's value. */
static bool
skip_value(struct ddlp *p)
{
	bool digits;

	if (is_punct(p, '('))
		return skip_parens(p);
	if (is_punct(p, '-') || is_punct(p, '+'))
		adv(p);
	if (at_end(p) || is_punct(p, ',') || is_punct(p, ')'))
		return refuse(p, "expected a value, found %s", here(p));
	digits = !p->l.quoted && !p->l.string &&
	    strspn(p->l.tok, "0123456789") == p->l.len;
	if (p->l.string) {
		while (p->l.string)		/* 'a' 'b' is 'ab' */
			adv(p);
		return true;
	}
	adv(p);
	if (p->l.string)			/* _utf8mb4'x', X'00', b'1' */
		adv(p);
	else if (is_punct(p, '('))
		return skip_parens(p);
	else if (digits && is_punct(p, '.')) {
		adv(p);
		if (!p->l.quoted && !p->l.string && !at_end(p) &&
		    isdigit((unsigned char)p->l.tok[0]))
			adv(p);
	}
	return true;
}

/* An option's value: [=] a word, string or (list). */
static bool
skip_option(struct ddlp *p)
{
	accept_punct(p, '=');
	if (is_punct(p, '('))
		return skip_parens(p);
	if (at_end(p))
		return refuse(p, "an option without its value");
	adv(p);
	return true;
}

/* A charset name as information_schema spells it, or a collation's. */
static bool
charset_value(struct ddlp *p, char *cs, bool collation)
{
	char buf[65];
	char *u;

	accept_punct(p, '=');
	if (!name(p, buf, sizeof(buf), collation ? "a collation" :
	    "a character set"))
		return false;
	for (u = buf; *u != '\0'; u++)
		*u = (char)tolower((unsigned char)*u);
	if (collation && (u = strchr(buf, '_')) != NULL)
		*u = '\0';
	if (strcmp(buf, "utf8") == 0)
		strlcpy_(buf, "utf8mb3", sizeof(buf));
	strlcpy_(cs, buf, 33);
	return true;
}

static const char *
db_charset(struct catalog *cat, const char *db)
{
	struct catalog_db *d;

	for (d = cat->dbs; d != NULL; d = d->next)
		if (strcmp(d->name, db) == 0 && d->charset[0] != '\0')
			return d->charset;
	return cat->charset;
}

/* [DEFAULT] CHARACTER SET|CHARSET|COLLATE [=] x into cs; false (nothing
 * consumed but DEFAULT) when the option is another. */
static bool
charset_option(struct ddlp *p, char *cs, bool *matched)
{
	*matched = true;
	if (take(p, "CHARSET") || (kw(p, "CHARACTER") &&
	    (adv(p), take(p, "SET"))))
		return charset_value(p, cs, false);
	if (take(p, "COLLATE"))
		return charset_value(p, cs, true);
	*matched = false;
	return true;
}

/* ---------------------------------------------------------- column types */

static const struct sqltype {
	const char	*name;
	uint8_t		 type;
	bool		 binary;
	bool		 text;		/* takes a charset */
} sqltypes[] = {
#define NUM(n, t)	{ n, t, false, false }
#define TXT(n, t)	{ n, t, false, true }
#define BIN(n, t)	{ n, t, true, false }
	NUM("tinyint", COL_TINY), NUM("int1", COL_TINY),
	NUM("bool", COL_TINY), NUM("boolean", COL_TINY),
	NUM("smallint", COL_SHORT), NUM("int2", COL_SHORT),
	NUM("mediumint", COL_INT24), NUM("int3", COL_INT24),
	NUM("middleint", COL_INT24), NUM("int", COL_LONG),
	NUM("integer", COL_LONG), NUM("int4", COL_LONG),
	NUM("bigint", COL_LONGLONG), NUM("int8", COL_LONGLONG),
	NUM("serial", COL_LONGLONG), NUM("float", COL_FLOAT),
	NUM("float4", COL_FLOAT), NUM("double", COL_DOUBLE),
	NUM("float8", COL_DOUBLE), NUM("real", COL_DOUBLE),
	NUM("decimal", COL_NEWDECIMAL), NUM("dec", COL_NEWDECIMAL),
	NUM("numeric", COL_NEWDECIMAL), NUM("fixed", COL_NEWDECIMAL),
	NUM("number", COL_NEWDECIMAL), NUM("date", COL_DATE),
	NUM("time", COL_TIME2), NUM("datetime", COL_DATETIME2),
	NUM("timestamp", COL_TIMESTAMP2), NUM("year", COL_YEAR),
	NUM("bit", COL_BIT), TXT("enum", COL_ENUM), TXT("set", COL_SET),
	TXT("char", COL_STRING), TXT("character", COL_STRING),
	TXT("nchar", COL_STRING), TXT("varchar", COL_VARCHAR),
	TXT("nvarchar", COL_VARCHAR), TXT("varchar2", COL_VARCHAR),
	TXT("varcharacter", COL_VARCHAR), BIN("binary", COL_STRING),
	BIN("varbinary", COL_VARCHAR), BIN("raw", COL_VARCHAR),
	TXT("tinytext", COL_BLOB), TXT("text", COL_BLOB),
	TXT("mediumtext", COL_BLOB), TXT("longtext", COL_BLOB),
	TXT("long", COL_BLOB), TXT("clob", COL_BLOB),
	BIN("tinyblob", COL_BLOB), BIN("blob", COL_BLOB),
	BIN("mediumblob", COL_BLOB), BIN("longblob", COL_BLOB),
	BIN("inet6", COL_STRING), BIN("uuid", COL_STRING),
	BIN("inet4", COL_STRING), BIN("geometry", COL_GEOMETRY),
	BIN("point", COL_GEOMETRY), BIN("linestring", COL_GEOMETRY),
	BIN("polygon", COL_GEOMETRY), BIN("multipoint", COL_GEOMETRY),
	BIN("multilinestring", COL_GEOMETRY),
	BIN("multipolygon", COL_GEOMETRY),
	BIN("geometrycollection", COL_GEOMETRY),
	BIN("geomcollection", COL_GEOMETRY), NUM("json", COL_JSON),
	BIN("vector", COL_VECTOR),
#undef NUM
#undef TXT
#undef BIN
};

static const struct sqltype *
sqltype(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sqltypes) / sizeof(sqltypes[0]); i++)
		if (strcasecmp(name, sqltypes[i].name) == 0)
			return &sqltypes[i];
	return NULL;
}

uint8_t
ddl_sql_type(const char *name, bool mariadb, bool *is_binary)
{
	const struct sqltype *t = name != NULL ? sqltype(name) : NULL;

	*is_binary = t != NULL && t->binary;
	if (t == NULL)
		return COL_NULL;
	/* MariaDB's JSON is LONGTEXT, its VECTOR a VARBINARY */
	if (mariadb && t->type == COL_JSON)
		return COL_BLOB;
	if (mariadb && t->type == COL_VECTOR)
		return COL_VARCHAR;
	return t->type;
}

/* ENUM('a','b') or SET(...): the members, kept in d->names. */
static bool
members(struct ddlp *p, struct coldef *d)
{
	uint32_t n;

	if (!accept_punct(p, '('))
		return refuse(p, "ENUM or SET without its members");
	do {
		if (!p->l.quoted && !p->l.string && p->l.tok[0] == '_')
			adv(p);		/* _utf8mb4'x' */
		if (!p->l.string || p->l.trunc)
			return refuse(p, "an ENUM or SET member is not a "
			    "string: %s", here(p));
		n = (uint32_t)p->l.len;
		obuf_add(&d->names, &n, 4);
		obuf_add(&d->names, p->l.tok, n);
		adv(p);
	} while (accept_punct(p, ','));
	if (!accept_punct(p, ')'))
		return refuse(p, "expected ) after the members, found %s",
		    here(p));
	return true;
}

/* FLOAT(p) with p > 24 is a DOUBLE; other lengths change no binlog type. */
static bool
type_args(struct ddlp *p, struct coldef *d)
{
	long prec;

	if (d->col.type == COL_ENUM || d->col.type == COL_SET)
		return members(p, d);
	if (!is_punct(p, '('))
		return true;
	adv(p);
	prec = strtol(p->l.tok, NULL, 10);
	if (d->col.type == COL_FLOAT && prec > 24) {
		adv(p);
		if (is_punct(p, ')'))
			d->col.type = COL_DOUBLE;
	}
	while (!at_end(p) && !is_punct(p, ')'))
		adv(p);
	return accept_punct(p, ')') ? true : refuse(p, "unbalanced "
	    "parentheses in a type");
}

/* The type's words: DOUBLE PRECISION, LONG VARCHAR, NATIONAL CHAR
 * VARYING, CHARACTER VARYING, ... */
static bool
type_name(struct ddlp *p, struct coldef *d)
{
	const struct sqltype *t;
	bool national = false, is_long;

	if (take(p, "NATIONAL"))
		national = true;
	if (p->l.quoted || p->l.string || (t = sqltype(p->l.tok)) == NULL)
		return refuse(p, "unknown column type %s", here(p));
	is_long = kw(p, "LONG");
	national = national || kw(p, "NCHAR") || kw(p, "NVARCHAR");
	adv(p);
	d->col.type = ddl_sql_type(t->name, p->cat->mariadb, &d->col.is_binary);
	d->text = t->text;
	if (take(p, "VARYING") || take(p, "VARCHAR") ||
	    take(p, "VARCHARACTER"))
		d->col.type = COL_VARCHAR;
	else if (is_long && take(p, "VARBINARY")) {
		d->col.is_binary = true;
		d->text = false;
	} else if (is_long)
		take(p, "VARCHAR");
	else if (d->col.type == COL_DOUBLE)
		take(p, "PRECISION");
	if (national)
		strlcpy_(d->cs, "utf8mb3", sizeof(d->cs));
	if (strcasecmp(t->name, "serial") == 0)
		d->col.is_unsigned = d->unique = d->not_null = true;
	if (strcasecmp(t->name, "inet6") == 0)
		d->col.form = COLFORM_INET6;
	if (strcasecmp(t->name, "uuid") == 0)
		d->col.form = COLFORM_UUID;
	if (t->type == COL_JSON && p->cat->mariadb)
		strlcpy_(d->cs, "utf8mb4", sizeof(d->cs));
	return type_args(p, d);
}

/* REFERENCES t [(cols)] [MATCH x] [ON DELETE|UPDATE action]... */
static bool
references(struct ddlp *p)
{
	char db[65], tb[65];

	if (!table_name(p, db, tb) || (is_punct(p, '(') && !skip_parens(p)))
		return false;
	for (;;) {
		if (take(p, "MATCH"))
			adv(p);
		else if (kw(p, "ON")) {
			adv(p);
			adv(p);		/* DELETE, UPDATE */
			if (take(p, "SET") || take(p, "NO"))
				adv(p);	/* NULL, DEFAULT, ACTION */
			else
				adv(p);	/* RESTRICT, CASCADE */
		} else
			return true;
	}
}

/* Column attributes that change none of the facts kept: skipped. */
static bool
column_skipped(struct ddlp *p, bool *matched)
{
	static const char *const words[] = { "NULL", "AUTO_INCREMENT",
	    "VISIBLE", "INVISIBLE", "VIRTUAL", "STORED", "PERSISTENT",
	    "SIGNED", "BINARY", "ZEROFILL", NULL };
	static const char *const options[] = { "COMMENT", "COLUMN_FORMAT",
	    "STORAGE", "SRID", "REF_SYSTEM_ID", "ENGINE_ATTRIBUTE",
	    "SECONDARY_ENGINE_ATTRIBUTE", NULL };
	size_t i;

	*matched = true;
	for (i = 0; words[i] != NULL; i++)
		if (take(p, words[i]))
			return true;
	for (i = 0; options[i] != NULL; i++)
		if (take(p, options[i]))
			return skip_option(p);
	if (take(p, "NOT"))
		return take(p, "NULL") ? true : refuse(p, "NOT %s in a "
		    "column definition", here(p));
	if (take(p, "DEFAULT") || (take(p, "ON") && take(p, "UPDATE")))
		return skip_value(p);
	if (take(p, "GENERATED")) {
		take(p, "ALWAYS");
		if (!kw(p, "AS"))
			return refuse(p, "GENERATED without AS");
	}
	if (take(p, "AS")) {
		if (take(p, "ROW"))		/* AS ROW START|END */
			return adv(p), true;
		return is_punct(p, '(') ? skip_parens(p) :
		    refuse(p, "AS without (expression)");
	}
	if (take(p, "CONSTRAINT") && !kw(p, "CHECK"))
		adv(p);
	if (take(p, "CHECK"))
		return skip_parens(p);
	if (take(p, "REFERENCES"))
		return references(p);
	if ((take(p, "WITH") || take(p, "WITHOUT")) &&
	    take(p, "SYSTEM"))
		return take(p, "VERSIONING") ? true :
		    refuse(p, "SYSTEM %s", here(p));
	*matched = false;
	return true;
}

/* The attributes after the type, to the end of the definition. */
static bool
column_attributes(struct ddlp *p, struct coldef *d)
{
	bool matched;

	while (!at_end(p) && !is_punct(p, ',') && !is_punct(p, ')') &&
	    !kw(p, "FIRST") && !kw(p, "AFTER")) {
		if (take(p, "UNSIGNED")) {
			d->col.is_unsigned = true;
			continue;
		}
		if (kw(p, "ZEROFILL"))
			d->col.is_unsigned = true;
		if (take(p, "ASCII") || take(p, "UNICODE") ||
		    take(p, "BYTE")) {
			strlcpy_(d->cs, p->l.tok[0] == 'a' || p->l.tok[0] ==
			    'A' ? "latin1" : "ucs2", sizeof(d->cs));
			continue;
		}
		if (!charset_option(p, d->cs, &matched))
			return false;
		if (matched)
			continue;
		if (take(p, "PRIMARY") || kw(p, "KEY")) {
			take(p, "KEY");
			d->pk = true;
			continue;
		}
		if (take(p, "UNIQUE")) {
			if (!take(p, "KEY"))
				take(p, "INDEX");
			d->unique = true;
			continue;
		}
		if (kw(p, "NOT") && peek(p, "NULL")) {
			adv(p);
			adv(p);
			d->not_null = true;
			continue;
		}
		if (take(p, "SERIAL")) {	/* SERIAL DEFAULT VALUE */
			take(p, "DEFAULT");
			take(p, "VALUE");
			continue;
		}
		if (kw(p, "COMPRESSED"))
			return refuse(p, "COMPRESSED columns are logged as "
			    "types binlogd does not decode");
		if (!column_skipped(p, &matched))
			return false;
		if (!matched && !p->l.quoted && !p->l.string &&
		    isalpha((unsigned char)p->l.tok[0]) && peek_punct(p, '=')) {
			adv(p);			/* MariaDB's engine-defined */
			if (!skip_option(p))	/* attributes: JPATH='...' */
				return false;
			continue;
		}
		if (!matched)
			return refuse(p, "unknown column attribute %s",
			    here(p));
	}
	return true;
}

/* name type attributes: the charset resolved against the table's. */
static bool
column_def(struct ddlp *p, const struct schema_entry *e, struct coldef *d)
{
	const char *cs;

	memset(&d->col, 0, sizeof(d->col));
	d->cs[0] = '\0';
	d->pk = d->text = d->unique = d->not_null = false;
	d->names.len = 0;
	if (!name(p, d->col.name, sizeof(d->col.name), "a column name") ||
	    !type_name(p, d) || !column_attributes(p, d))
		return false;
	if (!d->text && strcmp(d->cs, "binary") != 0) {
		d->col.charset = d->col.is_binary ? CS_BINARY : CS_UTF8;
		return true;
	}
	cs = d->cs[0] != '\0' ? d->cs : e->charset;
	if (strcmp(cs, "binary") == 0 && d->col.type != COL_ENUM &&
	    d->col.type != COL_SET) {
		d->col.is_binary = true;
		d->col.charset = CS_BINARY;
	} else
		d->col.charset = charset_by_name(cs[0] ? cs : NULL);
	return true;
}

/* ------------------------------------------------------------- the table */

void
schema_names_begin(struct schema_entry *e, uint32_t col)
{
	e->cols[col].str_first = (uint32_t)(e->stridx.len / 4);
	e->cols[col].nstr = 0;
}

void
schema_names_add(struct schema_entry *e, uint32_t col, const char *s,
    size_t n)
{
	uint32_t off = (uint32_t)e->strs.len;

	obuf_add(&e->stridx, &off, 4);
	obuf_json_str(&e->strs, (const uint8_t *)s, n);
	e->cols[col].nstr++;
}

void
schema_names_end(struct schema_entry *e)
{
	uint32_t off = (uint32_t)e->strs.len;

	obuf_add(&e->stridx, &off, 4);
}

static int
column_index(const struct schema_entry *e, const char *col)
{
	uint32_t i;

	for (i = 0; i < e->ncols; i++)
		if (strcasecmp(e->cols[i].name, col) == 0)
			return (int)i;
	return -1;
}

static void
column_remove(struct schema_entry *e, uint32_t at)
{
	memmove(&e->cols[at], &e->cols[at + 1],
	    (e->ncols - at - 1) * sizeof(*e->cols));
	e->ncols--;
}

static bool
column_insert(struct ddlp *p, struct schema_entry *e, uint32_t at,
    struct coldef *d)
{
	struct column *c;
	uint32_t n, off;

	if (column_index(e, d->col.name) != -1)
		return refuse(p, "table %s.%s has a column %s already", e->db,
		    e->table, d->col.name);
	if (e->ncols >= 4096)
		return refuse(p, "table %s.%s: too many columns", e->db,
		    e->table);
	if ((c = realloc(e->cols, (e->ncols + 1) * sizeof(*c))) == NULL)
		fatal("table schema");
	e->cols = c;
	memmove(&c[at + 1], &c[at], (e->ncols - at) * sizeof(*c));
	c[at] = d->col;
	e->ncols++;
	if (d->col.type != COL_ENUM && d->col.type != COL_SET)
		return true;
	schema_names_begin(e, at);
	for (off = 0; off + 4 <= d->names.len; off += 4 + n) {
		memcpy(&n, d->names.buf + off, 4);
		schema_names_add(e, at, d->names.buf + off + 4, n);
	}
	schema_names_end(e);
	return true;
}

/* A new column in its place; PRIMARY KEY in its definition makes it the
 * key, at the end of the statement. */
static bool
column_join(struct ddlp *p, struct schema_entry *e, uint32_t at,
    struct coldef *d)
{
	if (!column_insert(p, e, at, d))
		return false;
	if (d->pk) {
		p->npk = 1;
		p->pk_set = true;
		strlcpy_(p->pk[0], d->col.name, sizeof(p->pk[0]));
	}
	if (d->unique && d->not_null && p->unique[0] == '\0')
		strlcpy_(p->unique, d->col.name, sizeof(p->unique));
	return true;
}

/* FIRST, AFTER col, or at: where a column goes. */
static bool
column_place(struct ddlp *p, const struct schema_entry *e, uint32_t *at)
{
	char col[257];
	int i;

	if (take(p, "FIRST")) {
		*at = 0;
		return true;
	}
	if (!take(p, "AFTER"))
		return true;
	if (!name(p, col, sizeof(col), "a column name"))
		return false;
	if ((i = column_index(e, col)) == -1)
		return refuse(p, "AFTER %s: table %s.%s has no such column",
		    col, e->db, e->table);
	*at = (uint32_t)i + 1;
	return true;
}

/* p WITHOUT OVERLAPS: the key has the period's two columns for p. */
static bool
key_period(struct ddlp *p)
{
	if (p->period[0][0] == '\0' ||
	    strcasecmp(p->pk[p->npk - 1], p->period[0]) != 0)
		return refuse(p, "%s WITHOUT OVERLAPS: no PERIOD FOR %s in this "
		    "statement", p->pk[p->npk - 1], p->pk[p->npk - 1]);
	if (p->npk == 64)
		return refuse(p, "a PRIMARY KEY of over 64 columns");
	strlcpy_(p->pk[p->npk - 1], p->period[1], sizeof(p->pk[0]));
	strlcpy_(p->pk[p->npk++], p->period[2], sizeof(p->pk[0]));
	return true;
}

/* PERIOD FOR name (start, end), kept for a key WITHOUT OVERLAPS. */
static bool
period(struct ddlp *p)
{
	if (!take(p, "FOR") || !name(p, p->period[0], 65, "a period name") ||
	    !accept_punct(p, '(') ||
	    !name(p, p->period[1], 65, "a column name") ||
	    !accept_punct(p, ',') ||
	    !name(p, p->period[2], 65, "a column name") ||
	    !accept_punct(p, ')'))
		return refuse(p, "PERIOD FOR name (start, end) expected");
	return true;
}

/* (col [(len)] [ASC|DESC], ...): kept for the end of the statement. */
static bool
key_columns(struct ddlp *p)
{
	while (!at_end(p) && !is_punct(p, '('))
		adv(p);			/* name, USING BTREE */
	if (!accept_punct(p, '('))
		return refuse(p, "PRIMARY KEY without its columns");
	p->npk = 0;
	p->pk_set = true;
	do {
		if (is_punct(p, '('))
			return refuse(p, "a PRIMARY KEY on an expression");
		if (p->npk == 64)
			return refuse(p, "a PRIMARY KEY of over 64 columns");
		if (!name(p, p->pk[p->npk++], 65, "a column name"))
			return false;
		if (is_punct(p, '(') && !skip_parens(p))
			return false;
		if (!take(p, "ASC"))
			take(p, "DESC");
		if (take(p, "WITHOUT") && take(p, "OVERLAPS") &&
		    !key_period(p))
			return false;
	} while (accept_punct(p, ','));
	if (!accept_punct(p, ')'))
		return refuse(p, "expected ) after the key's columns, found "
		    "%s", here(p));
	return skip_item(p);
}

/* The PRIMARY KEY the statement gave; a table without one has its first
 * UNIQUE NOT NULL column's for a key, as information_schema says (only
 * a column's own UNIQUE counts here, not a UNIQUE KEY clause). */
static bool
key_apply(struct ddlp *p, struct schema_entry *e)
{
	int i, k;

	for (i = 0; p->pk_set && i < (int)e->ncols; i++)
		e->cols[i].pk = false;
	for (k = 0; p->pk_set && k < p->npk; k++) {
		if ((i = column_index(e, p->pk[k])) == -1)
			return refuse(p, "PRIMARY KEY on %s: table %s.%s has no "
			    "such column", p->pk[k], e->db, e->table);
		e->cols[i].pk = true;
	}
	for (i = 0; i < (int)e->ncols; i++)
		if (e->cols[i].pk)
			return true;
	if (p->unique[0] != '\0' && (i = column_index(e, p->unique)) != -1)
		e->cols[i].pk = true;
	return true;
}

struct schema_entry *
catalog_table(const struct catalog *cat, const char *db, const char *table)
{
	struct schema_entry *e;

	for (e = cat->tables; e != NULL; e = e->next)
		if (strcmp(e->db, db) == 0 && strcmp(e->table, table) == 0)
			return e;
	return NULL;
}

static struct schema_entry *
entry_copy(const struct schema_entry *from)
{
	struct schema_entry *e;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->cols = calloc(from->ncols + 1, sizeof(*e->cols))) == NULL)
		fatal("table schema");
	memcpy(e->db, from->db, sizeof(e->db));
	memcpy(e->table, from->table, sizeof(e->table));
	memcpy(e->charset, from->charset, sizeof(e->charset));
	e->ncols = from->ncols;
	memcpy(e->cols, from->cols, from->ncols * sizeof(*e->cols));
	if (from->stridx.len > 0) {
		obuf_add(&e->strs, from->strs.buf, from->strs.len);
		obuf_add(&e->stridx, from->stridx.buf, from->stridx.len);
	}
	return e;
}

void
schema_entry_free(struct schema_entry *e)
{
	if (e == NULL)
		return;
	free(e->cols);
	free(e->strs.buf);
	free(e->stridx.buf);
	free(e);
}

static void
catalog_changed(const struct catalog *cat, const char *db, const char *table)
{
	if (cat->changed != NULL)
		cat->changed(cat->changed_arg, db, table);
}

/* Drops db.table from the catalogue, if there. */
static void
catalog_drop(struct catalog *cat, const char *db, const char *table)
{
	struct schema_entry **ep, *e;

	for (ep = &cat->tables; (e = *ep) != NULL; ) {
		if (strcmp(e->db, db) == 0 &&
		    (table == NULL || strcmp(e->table, table) == 0)) {
			*ep = e->next;
			catalog_changed(cat, e->db, e->table);
			schema_entry_free(e);
		} else
			ep = &e->next;
	}
}

/* e replaces the table of its name. */
static void
catalog_put(struct catalog *cat, struct schema_entry *e)
{
	catalog_drop(cat, e->db, e->table);
	e->next = cat->tables;
	cat->tables = e;
	catalog_changed(cat, e->db, e->table);
}

/* -------------------------------------------------------- CREATE TABLE */

/* One table option: [DEFAULT] CHARSET x (kept in cs), ENGINE=...,
 * COMMENT '...', DATA DIRECTORY '...', UNION=(...), ... */
static bool
table_option(struct ddlp *p, char *cs)
{
	bool matched;

	take(p, "DEFAULT");
	if (!charset_option(p, cs, &matched))
		return false;
	if (matched)
		return true;
	if (kw(p, "WITH") || kw(p, "START"))
		return refuse(p, "table option %s (hidden columns or an "
		    "atomic CREATE ... SELECT)", here(p));
	if (p->l.quoted || p->l.string ||
	    !isalpha((unsigned char)p->l.tok[0]))
		return refuse(p, "expected a table option, found %s",
		    here(p));
	if (kw(p, "DATA") || kw(p, "INDEX"))
		adv(p);			/* DATA DIRECTORY */
	adv(p);
	return skip_option(p);
}

static bool
table_options(struct ddlp *p, char *cs)
{
	while (!at_end(p) && !is_punct(p, ')') && !kw(p, "PARTITION") &&
	    !kw(p, "SELECT") && !kw(p, "AS") && !kw(p, "IGNORE") &&
	    !kw(p, "REPLACE")) {
		if (!accept_punct(p, ',') && !table_option(p, cs))
			return false;
	}
	return true;
}

static bool
create_element(struct ddlp *p, struct schema_entry *e)
{
	struct coldef d = { 0 };
	bool ok;

	if (take(p, "CONSTRAINT") && !kw(p, "PRIMARY") && !kw(p, "UNIQUE") &&
	    !kw(p, "FOREIGN") && !kw(p, "CHECK"))
		adv(p);
	if (take(p, "PRIMARY")) {
		if (!take(p, "KEY"))
			return refuse(p, "PRIMARY %s", here(p));
		return key_columns(p);
	}
	if (take(p, "PERIOD"))
		return period(p);
	if (kw(p, "INDEX") || kw(p, "KEY") || kw(p, "UNIQUE") ||
	    kw(p, "FULLTEXT") || kw(p, "SPATIAL") || kw(p, "FOREIGN") ||
	    kw(p, "CHECK") || kw(p, "VECTOR"))
		return skip_item(p);
	ok = column_def(p, e, &d) && column_join(p, e, e->ncols, &d);
	free(d.names.buf);
	return ok;
}

static bool
create_like(struct ddlp *p, struct schema_entry **ep, const char *db,
    const char *table)
{
	char fdb[65], ftb[65];
	const struct schema_entry *from;

	if (!table_name(p, fdb, ftb))
		return false;
	if ((from = catalog_table(p->cat, fdb, ftb)) == NULL)
		return refuse(p, "CREATE TABLE %s.%s LIKE %s.%s: binlogd has "
		    "no schema for %s.%s", db, table, fdb, ftb, fdb, ftb);
	*ep = entry_copy(from);
	strlcpy_((*ep)->db, db, sizeof((*ep)->db));
	strlcpy_((*ep)->table, table, sizeof((*ep)->table));
	return true;
}

/* The elements between the parentheses; the table's charset, from the
 * options after them, is known before. */
static bool
create_elements(struct ddlp *p, struct schema_entry *e)
{
	if (!accept_punct(p, '('))
		return refuse(p, "expected (, found %s", here(p));
	do {
		if (!create_element(p, e))
			return false;
	} while (accept_punct(p, ','));
	if (!accept_punct(p, ')'))
		return refuse(p, "expected , or ) in the column list, found "
		    "%s", here(p));
	if (e->ncols == 0)
		return refuse(p, "a table without columns");
	return key_apply(p, e);
}

/* After TABLE [IF NOT EXISTS]. */
static enum ddl_result
create_table(struct ddlp *p, bool if_not_exists)
{
	struct schema_entry *e = NULL;
	struct ddl_lex elements;
	char db[65], table[65], cs[33] = "";

	if (!table_name(p, db, table))
		return DDL_REFUSED;
	if (if_not_exists && catalog_table(p->cat, db, table) != NULL)
		return DDL_APPLIED;	/* the server left it as it was */
	if (take(p, "LIKE") || (is_punct(p, '(') && peek(p, "LIKE") &&
	    (adv(p), adv(p), true))) {
		if (!create_like(p, &e, db, table))
			return DDL_REFUSED;
		accept_punct(p, ')');
	} else {
		if (!is_punct(p, '('))
			return refuse(p, "CREATE TABLE %s.%s without a column "
			    "list: its columns come from a query", db, table),
			    DDL_REFUSED;
		elements = p->l;
		if (!skip_parens(p) || !table_options(p, cs))
			return DDL_REFUSED;
		if (kw(p, "PARTITION"))
			skip_rest(p);
		if (!at_end(p))
			return refuse(p, "CREATE TABLE %s.%s ... %s: columns "
			    "from a query", db, table, here(p)), DDL_REFUSED;
		if ((e = calloc(1, sizeof(*e))) == NULL)
			fatal("table schema");
		strlcpy_(e->db, db, sizeof(e->db));
		strlcpy_(e->table, table, sizeof(e->table));
		strlcpy_(e->charset, cs[0] ? cs : db_charset(p->cat, db),
		    sizeof(e->charset));
		p->l = elements;
		if (!create_elements(p, e)) {
			schema_entry_free(e);
			return DDL_REFUSED;
		}
		skip_rest(p);
	}
	if (!at_end(p)) {
		schema_entry_free(e);
		return refuse(p, "unexpected %s after CREATE TABLE %s.%s",
		    here(p), db, table), DDL_REFUSED;
	}
	catalog_put(p->cat, e);
	return DDL_APPLIED;
}

/* --------------------------------------------------------- ALTER TABLE */

/* ADD [COLUMN] [IF NOT EXISTS] def [FIRST|AFTER c], or (def, ...). */
static bool
alter_add_column(struct ddlp *p, struct schema_entry *e, bool list)
{
	struct coldef d = { 0 };
	bool ok = true, if_not_exists = false;
	uint32_t at;

	if (take(p, "IF")) {
		if (!take(p, "NOT") || !take(p, "EXISTS"))
			return refuse(p, "ADD IF %s", here(p));
		if_not_exists = true;
	}
	if (list && !accept_punct(p, '('))
		return refuse(p, "expected (, found %s", here(p));
	do {
		at = e->ncols;
		ok = column_def(p, e, &d) && (list || column_place(p, e, &at));
		if (!ok || (if_not_exists && column_index(e, d.col.name) != -1))
			continue;
		ok = column_join(p, e, at, &d);
	} while (ok && list && accept_punct(p, ','));
	free(d.names.buf);
	if (ok && list && !accept_punct(p, ')'))
		return refuse(p, "expected ) after the columns, found %s",
		    here(p));
	return ok;
}

static bool
alter_add(struct ddlp *p, struct schema_entry *e)
{
	if (take(p, "COLUMN"))
		return alter_add_column(p, e, is_punct(p, '('));
	if (is_punct(p, '('))
		return alter_add_column(p, e, true);
	if (take(p, "CONSTRAINT")) {
		if (take(p, "IF")) {
			take(p, "NOT");
			take(p, "EXISTS");
		}
		if (!kw(p, "PRIMARY") && !kw(p, "UNIQUE") &&
		    !kw(p, "FOREIGN") && !kw(p, "CHECK"))
			adv(p);
	}
	if (take(p, "PRIMARY"))
		return take(p, "KEY") ? key_columns(p) :
		    refuse(p, "ADD PRIMARY %s", here(p));
	if (kw(p, "SYSTEM"))
		return refuse(p, "ADD SYSTEM VERSIONING adds hidden columns");
	if (kw(p, "PARTITION"))
		return skip_rest(p), true;
	if (kw(p, "INDEX") || kw(p, "KEY") || kw(p, "UNIQUE") ||
	    kw(p, "FULLTEXT") || kw(p, "SPATIAL") || kw(p, "FOREIGN") ||
	    kw(p, "CHECK") || kw(p, "PERIOD") || kw(p, "VECTOR"))
		return skip_item(p);
	return alter_add_column(p, e, false);
}

/* DROP [COLUMN] [IF EXISTS] c, PRIMARY KEY, or an index (skipped). */
static bool
alter_drop(struct ddlp *p, struct schema_entry *e)
{
	char col[257];
	bool if_exists = false;
	uint32_t i;
	int at;

	if (take(p, "PRIMARY")) {
		if (!take(p, "KEY"))
			return refuse(p, "DROP PRIMARY %s", here(p));
		for (i = 0; i < e->ncols; i++)
			e->cols[i].pk = false;
		p->pk_set = false;
		return true;
	}
	if (kw(p, "SYSTEM"))
		return refuse(p, "DROP SYSTEM VERSIONING drops hidden columns");
	if (kw(p, "PARTITION"))
		return skip_rest(p), true;
	if (kw(p, "INDEX") || kw(p, "KEY") || kw(p, "FOREIGN") ||
	    kw(p, "CONSTRAINT") || kw(p, "CHECK") || kw(p, "PERIOD"))
		return skip_item(p);
	take(p, "COLUMN");
	if (take(p, "IF")) {
		if (!take(p, "EXISTS"))
			return refuse(p, "DROP IF %s", here(p));
		if_exists = true;
	}
	if (!name(p, col, sizeof(col), "a column name"))
		return false;
	if (!take(p, "RESTRICT"))
		take(p, "CASCADE");
	if ((at = column_index(e, col)) == -1)
		return if_exists ? true : refuse(p, "DROP COLUMN %s: table "
		    "%s.%s has no such column", col, e->db, e->table);
	column_remove(e, (uint32_t)at);
	if (e->ncols == 0)
		return refuse(p, "DROP COLUMN %s drops the last column", col);
	return true;
}

/* CHANGE [COLUMN] [IF EXISTS] old def, MODIFY [COLUMN] [IF EXISTS] def:
 * the column in place unless FIRST or AFTER says; the key it was in
 * stays. */
static bool
alter_change(struct ddlp *p, struct schema_entry *e, bool rename)
{
	struct coldef d = { 0 };
	char old[257];
	bool if_exists = false, pk, ok;
	uint32_t at;
	int i;

	take(p, "COLUMN");
	if (take(p, "IF")) {
		if (!take(p, "EXISTS"))
			return refuse(p, "CHANGE IF %s", here(p));
		if_exists = true;
	}
	if (rename && !name(p, old, sizeof(old), "a column name"))
		return false;
	if (!column_def(p, e, &d))
		return free(d.names.buf), false;
	if (!rename)
		strlcpy_(old, d.col.name, sizeof(old));
	if ((i = column_index(e, old)) == -1) {
		free(d.names.buf);
		if (!if_exists)
			return refuse(p, "%s %s: table %s.%s has no such "
			    "column", rename ? "CHANGE" : "MODIFY", old, e->db,
			    e->table);
		return column_place(p, e, &at);
	}
	pk = e->cols[i].pk;
	column_remove(e, (uint32_t)i);
	at = (uint32_t)i;
	d.col.pk = pk;
	ok = column_place(p, e, &at) && column_join(p, e, at, &d);
	free(d.names.buf);
	return ok;
}

/* RENAME COLUMN a TO b, RENAME INDEX|KEY a TO b, RENAME [TO|AS] t. */
static bool
alter_rename(struct ddlp *p, struct schema_entry *e)
{
	char from[257], to[257];
	int i;

	if (take(p, "INDEX") || take(p, "KEY"))
		return skip_item(p);
	if (take(p, "COLUMN")) {
		if (!name(p, from, sizeof(from), "a column name") ||
		    !take(p, "TO") || !name(p, to, sizeof(to),
		    "a column name"))
			return refuse(p, "RENAME COLUMN a TO b expected");
		if ((i = column_index(e, from)) == -1)
			return refuse(p, "RENAME COLUMN %s: table %s.%s has no "
			    "such column", from, e->db, e->table);
		if (strcasecmp(from, to) != 0 && column_index(e, to) != -1)
			return refuse(p, "RENAME COLUMN %s TO %s: table %s.%s "
			    "has a column %s", from, to, e->db, e->table, to);
		strlcpy_(e->cols[i].name, to, sizeof(e->cols[i].name));
		return true;
	}
	if (!take(p, "TO"))
		take(p, "AS");
	accept_punct(p, '=');
	return table_name(p, e->db, e->table);
}

/* CONVERT TO CHARACTER SET x [COLLATE y]: every text column, and the
 * table's default. */
static bool
alter_convert(struct ddlp *p, struct schema_entry *e)
{
	char cs[33] = "";
	bool matched;
	uint32_t i;
	struct column *c;

	if (!take(p, "TO"))
		return refuse(p, "CONVERT %s (a partition or a table into "
		    "one)", here(p));
	if (!charset_option(p, cs, &matched) || !matched)
		return matched ? false : refuse(p, "CONVERT TO %s", here(p));
	if (strcmp(cs, "default") == 0)
		strlcpy_(cs, db_charset(p->cat, e->db), sizeof(cs));
	if (take(p, "COLLATE") && !charset_value(p, cs, true))
		return false;
	for (i = 0; i < e->ncols; i++) {
		c = &e->cols[i];
		if (c->is_binary || (c->type != COL_STRING &&
		    c->type != COL_VARCHAR && c->type != COL_BLOB &&
		    c->type != COL_ENUM && c->type != COL_SET))
			continue;
		if (strcmp(cs, "binary") == 0 && c->type != COL_ENUM &&
		    c->type != COL_SET) {
			c->is_binary = true;
			c->charset = CS_BINARY;
		} else
			c->charset = charset_by_name(cs);
	}
	strlcpy_(e->charset, cs, sizeof(e->charset));
	return true;
}

/* One clause of ALTER TABLE. */
static bool
alter_spec(struct ddlp *p, struct schema_entry *e)
{
	static const char *const skipped[] = { "ALGORITHM", "LOCK", "FORCE",
	    "ENABLE", "DISABLE", "ORDER", "DISCARD", "IMPORT", "ALTER",
	    "VALIDATION", "WITH", "WITHOUT", NULL };
	static const char *const partition[] = { "PARTITION", "COALESCE",
	    "REORGANIZE", "EXCHANGE", "ANALYZE", "CHECK", "OPTIMIZE",
	    "REBUILD", "REPAIR", "TRUNCATE", "REMOVE", "UPGRADE", NULL };
	char cs[33] = "";
	size_t i;

	if (take(p, "ADD"))
		return alter_add(p, e);
	if (take(p, "DROP"))
		return alter_drop(p, e);
	if (take(p, "CHANGE"))
		return alter_change(p, e, true);
	if (take(p, "MODIFY"))
		return alter_change(p, e, false);
	if (take(p, "RENAME"))
		return alter_rename(p, e);
	if (take(p, "CONVERT"))
		return alter_convert(p, e);
	if (kw(p, "WITH") && peek(p, "SYSTEM"))
		return refuse(p, "WITH SYSTEM VERSIONING adds hidden columns");
	for (i = 0; skipped[i] != NULL; i++)
		if (take(p, skipped[i]))
			return skip_item(p);
	for (i = 0; partition[i] != NULL; i++)
		if (kw(p, partition[i]))
			return skip_rest(p), true;
	if (at_end(p) || is_punct(p, ','))
		return true;
	if (!table_option(p, cs))
		return false;
	if (strcmp(cs, "default") == 0)
		strlcpy_(cs, db_charset(p->cat, e->db), sizeof(cs));
	if (cs[0] != '\0')
		strlcpy_(e->charset, cs, sizeof(e->charset));
	return true;
}

/* After ALTER [ONLINE] [IGNORE] TABLE: the clauses applied to a copy,
 * which replaces the table once all are. */
static enum ddl_result
alter_table(struct ddlp *p)
{
	struct schema_entry *from, *e;
	char db[65], table[65];

	if (take(p, "IF")) {
		take(p, "EXISTS");
		if (!table_name(p, db, table))
			return DDL_REFUSED;
		if (catalog_table(p->cat, db, table) == NULL)
			return DDL_APPLIED;	/* ALTER TABLE IF EXISTS */
	} else if (!table_name(p, db, table))
		return DDL_REFUSED;
	if ((from = catalog_table(p->cat, db, table)) == NULL)
		return refuse(p, "ALTER TABLE %s.%s: binlogd has no schema "
		    "for the table", db, table), DDL_REFUSED;
	if (take(p, "WAIT"))
		adv(p);
	else
		take(p, "NOWAIT");
	e = entry_copy(from);
	while (!at_end(p) && !p->failed)
		if (alter_spec(p, e) && !at_end(p) && !accept_punct(p, ',') &&
		    is_punct(p, ')'))
			refuse(p, "unexpected ) in ALTER TABLE");
	if (p->failed || !key_apply(p, e)) {
		schema_entry_free(e);
		return DDL_REFUSED;
	}
	if ((strcmp(e->db, db) != 0 || strcmp(e->table, table) != 0) &&
	    catalog_table(p->cat, e->db, e->table) != NULL) {
		refuse(p, "ALTER TABLE %s.%s RENAME TO %s.%s: that table "
		    "exists", db, table, e->db, e->table);
		schema_entry_free(e);
		return DDL_REFUSED;
	}
	catalog_drop(p->cat, db, table);
	catalog_put(p->cat, e);
	return DDL_APPLIED;
}

/* -------------------------------------------- RENAME, DROP, databases */

/* RENAME TABLE a TO b [, c TO d]...: in order (a swap goes through a
 * third name), undone if one is not known. */
static enum ddl_result
rename_tables(struct ddlp *p)
{
	struct undo {
		char	 db[65], table[65], to_db[65], to_table[65];
	} *undo = NULL;
	struct schema_entry *e;
	size_t n = 0;
	struct undo *u;

	if (take(p, "IF"))
		take(p, "EXISTS");
	do {
		if ((u = realloc(undo, (n + 1) * sizeof(*u))) == NULL)
			fatal("rename");
		undo = u;
		u = &undo[n];
		if (!table_name(p, u->db, u->table))
			break;
		if (take(p, "WAIT"))
			adv(p);
		else
			take(p, "NOWAIT");
		if (!take(p, "TO")) {
			refuse(p, "RENAME TABLE: expected TO, found %s",
			    here(p));
			break;
		}
		if (!table_name(p, u->to_db, u->to_table))
			break;
		if ((e = catalog_table(p->cat, u->db, u->table)) == NULL) {
			refuse(p, "RENAME TABLE %s.%s: binlogd has no schema "
			    "for the table", u->db, u->table);
			break;
		}
		if (catalog_table(p->cat, u->to_db, u->to_table) != NULL) {
			refuse(p, "RENAME TABLE %s.%s TO %s.%s: that table "
			    "exists", u->db, u->table, u->to_db, u->to_table);
			break;
		}
		strlcpy_(e->db, u->to_db, sizeof(e->db));
		strlcpy_(e->table, u->to_table, sizeof(e->table));
		n++;
	} while (accept_punct(p, ','));
	if (!p->failed && !at_end(p))
		refuse(p, "RENAME TABLE: unexpected %s", here(p));
	while (p->failed && n-- > 0) {
		e = catalog_table(p->cat, undo[n].to_db, undo[n].to_table);
		strlcpy_(e->db, undo[n].db, sizeof(e->db));
		strlcpy_(e->table, undo[n].table, sizeof(e->table));
	}
	for (u = undo; !p->failed && u < undo + n; u++) {
		catalog_changed(p->cat, u->db, u->table);
		catalog_changed(p->cat, u->to_db, u->to_table);
	}
	free(undo);
	return p->failed ? DDL_REFUSED : DDL_APPLIED;
}

/* DROP TABLE [IF EXISTS] a [, b]...: tables binlogd has no schema for
 * are dropped all the same. */
static enum ddl_result
drop_tables(struct ddlp *p)
{
	char db[65], table[65];
	struct {
		char	 db[65], table[65];
	} *list = NULL, *l;
	size_t n = 0, i;

	if (take(p, "IF") && !take(p, "EXISTS"))
		return refuse(p, "DROP TABLE IF %s", here(p)), DDL_REFUSED;
	do {
		if (!table_name(p, db, table))
			break;
		if ((l = realloc(list, (n + 1) * sizeof(*l))) == NULL)
			fatal("drop");
		list = l;
		strlcpy_(list[n].db, db, sizeof(list[n].db));
		strlcpy_(list[n++].table, table, sizeof(list[n].table));
	} while (accept_punct(p, ','));
	if (!take(p, "RESTRICT"))
		take(p, "CASCADE");
	if (!p->failed && !at_end(p))
		refuse(p, "DROP TABLE: unexpected %s", here(p));
	for (i = 0; i < n && !p->failed; i++)
		catalog_drop(p->cat, list[i].db, list[i].table);
	free(list);
	return p->failed ? DDL_REFUSED : DDL_APPLIED;
}

static struct catalog_db *
catalog_db(struct catalog *cat, const char *name, bool make)
{
	struct catalog_db *d;

	for (d = cat->dbs; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	if (!make)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("catalogue");
	strlcpy_(d->name, name, sizeof(d->name));
	d->next = cat->dbs;
	cat->dbs = d;
	return d;
}

static void
catalog_drop_db(struct catalog *cat, const char *name)
{
	struct catalog_db **dp, *d;

	catalog_drop(cat, name, NULL);
	for (dp = &cat->dbs; (d = *dp) != NULL; dp = &d->next)
		if (strcmp(d->name, name) == 0) {
			*dp = d->next;
			free(d);
			return;
		}
}

/* CREATE|ALTER DATABASE [IF NOT EXISTS] [d] options, DROP DATABASE. */
static enum ddl_result
database(struct ddlp *p, const char *verb)
{
	char db[65], cs[33] = "";
	struct catalog_db *d;
	bool matched;

	if (take(p, "IF")) {
		take(p, "NOT");
		take(p, "EXISTS");
	}
	if (*verb == 'A' && (kw(p, "DEFAULT") || kw(p, "CHARACTER") ||
	    kw(p, "CHARSET") || kw(p, "COLLATE") || at_end(p)))
		strlcpy_(db, p->db, sizeof(db));
	else if (!name(p, db, sizeof(db), "a database name"))
		return DDL_REFUSED;
	if (db[0] == '\0')
		return refuse(p, "ALTER DATABASE without a database, and none "
		    "selected"), DDL_REFUSED;
	if (*verb == 'D') {
		catalog_drop_db(p->cat, db);
		return DDL_APPLIED;
	}
	if (*verb == 'C' && *(verb + 1) == 'R')	/* OR REPLACE */
		catalog_drop_db(p->cat, db);
	while (!at_end(p) && !p->failed) {
		take(p, "DEFAULT");
		if (!charset_option(p, cs, &matched))
			return DDL_REFUSED;
		if (!matched && (take(p, "UPGRADE") || take(p, "READ")))
			skip_rest(p);
		else if (!matched && !accept_punct(p, ',')) {
			adv(p);		/* COMMENT, ENCRYPTION */
			if (!skip_option(p))
				return DDL_REFUSED;
		}
	}
	if (*verb == 'A' && cs[0] == '\0')
		return DDL_APPLIED;
	d = catalog_db(p->cat, db, true);
	strlcpy_(d->charset, cs, sizeof(d->charset));
	return DDL_APPLIED;
}

/* SET STATEMENT var=value, ... FOR statement (MariaDB): the statement. */
static void
set_statement(struct ddlp *p)
{
	while (!at_end(p) && !kw(p, "FOR"))
		if (!is_punct(p, '(') || !skip_parens(p))
			adv(p);
	adv(p);
}

static enum ddl_result
ddl_create(struct ddlp *p, bool replace)
{
	bool temporary = take(p, "TEMPORARY");

	if (take(p, "DATABASE") || take(p, "SCHEMA"))
		return database(p, replace ? "CR" : "C");
	if (!take(p, "TABLE"))
		return DDL_IGNORED;	/* a view, an index, a user, ... */
	if (temporary)
		return DDL_IGNORED;	/* not logged as rows */
	if (take(p, "IF")) {
		if (!take(p, "NOT") || !take(p, "EXISTS"))
			return refuse(p, "CREATE TABLE IF %s", here(p)),
			    DDL_REFUSED;
		return create_table(p, true);
	}
	return create_table(p, false);
}

enum ddl_result
ddl_apply(struct catalog *cat, const char *db, const uint8_t *q, size_t n,
    char *msg, size_t msglen)
{
	struct ddlp p = { .l = { .p = q, .end = q + n }, .cat = cat,
	    .db = db != NULL ? db : "", .msg = msg, .msglen = msglen };
	enum ddl_result r = DDL_IGNORED;
	bool replace;

	if (msglen > 0)
		msg[0] = '\0';
	adv(&p);
	if (take(&p, "SET") && take(&p, "STATEMENT"))
		set_statement(&p);
	if (take(&p, "CREATE")) {
		replace = take(&p, "OR") && take(&p, "REPLACE");
		r = ddl_create(&p, replace);
	} else if (take(&p, "ALTER")) {
		take(&p, "ONLINE");
		take(&p, "IGNORE");
		if (take(&p, "TABLE"))
			r = alter_table(&p);
		else if (take(&p, "DATABASE") || take(&p, "SCHEMA"))
			r = database(&p, "A");
	} else if (take(&p, "DROP")) {
		if (take(&p, "DATABASE") || take(&p, "SCHEMA"))
			r = database(&p, "D");
		else if (!take(&p, "TEMPORARY") && take(&p, "TABLE"))
			r = drop_tables(&p);
	} else if (take(&p, "RENAME")) {
		if (take(&p, "TABLE") || take(&p, "TABLES"))
			r = rename_tables(&p);
	} else if (take(&p, "TRUNCATE"))
		r = DDL_APPLIED;	/* the columns stay */
	if (r == DDL_REFUSED && msglen > 0 && msg[0] == '\0')
		snprintf(msg, msglen, "not understood");
	return p.failed ? DDL_REFUSED : r;
}

void
catalog_free(struct catalog *cat)
{
	struct schema_entry *e;
	struct catalog_db *d;

	while ((e = cat->tables) != NULL) {
		cat->tables = e->next;
		schema_entry_free(e);
	}
	while ((d = cat->dbs) != NULL) {
		cat->dbs = d->next;
		free(d);
	}
}
