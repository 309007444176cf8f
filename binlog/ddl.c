/* ddl.c: what a QUERY event's statement is, by a small keyword parser:
 * its part in the transaction around it (ddl_stmt), and for a DDL
 * statement Maxwell's record type (table-create, database-drop, ...) and
 * the database and table named -- without a full SQL grammar.  Its lexer
 * is ddlschema.c's too. */
#include <ctype.h>
#include <string.h>

#include "binlog_int.h"
#include "ddlschema.h"
#include "util.h"

/* Comments are blanks; MariaDB's executable comments run as code, so
 * only their markers are skipped. */
static void
ddl_blank(struct ddl_lex *l)
{
	for (;;) {
		while (l->p < l->end && (isspace(*l->p) || *l->p == ';'))
			l->p++;
		if (l->end - l->p >= 3 && l->p[0] == '/' && l->p[1] == '*' &&
		    (l->p[2] == '!' || l->p[2] == 'M')) {
			for (l->p += 2; l->p < l->end &&
			    (*l->p == '!' || *l->p == 'M' || isdigit(*l->p));)
				l->p++;
		} else if (l->end - l->p >= 2 && l->p[0] == '/' &&
		    l->p[1] == '*') {
			for (l->p += 2; l->end - l->p >= 2 &&
			    !(l->p[0] == '*' && l->p[1] == '/');)
				l->p++;
			l->p = l->end - l->p >= 2 ? l->p + 2 : l->end;
		} else if (l->end - l->p >= 2 && l->p[0] == '*' &&
		    l->p[1] == '/')
			l->p += 2;
		else if (l->p < l->end && (*l->p == '#' || (l->end - l->p >= 3 &&
		    l->p[0] == '-' && l->p[1] == '-' && isspace(l->p[2])))) {
			while (l->p < l->end && *l->p != '\n')
				l->p++;
		} else
			return;
	}
}

/* A byte of a token, or a mark that it did not fit. */
static void
ddl_tok_add(struct ddl_lex *l, size_t *n, uint8_t c)
{
	if (*n < sizeof(l->tok) - 1)
		l->tok[(*n)++] = (char)c;
	else
		l->trunc = true;
}

/* A 'string' or "string" (a name under ANSI_QUOTES: the parser decides),
 * its quotes doubled or backslash-escaped, into tok. */
static void
ddl_string(struct ddl_lex *l, size_t *n)
{
	uint8_t q = *l->p++, c;

	l->string = true;
	for (; l->p < l->end; l->p++) {
		c = *l->p;
		if (c == q && l->p + 1 < l->end && l->p[1] == q)
			l->p++;
		else if (c == q)
			break;
		else if (c == '\\' && l->p + 1 < l->end) {
			switch ((c = *++l->p)) {
			case '0': c = '\0'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case 'Z': c = 032; break;
			}
		}
		ddl_tok_add(l, n, c);
	}
	l->p += l->p < l->end;
}

/* The next word, `quoted name`, 'string' or punctuation character into
 * tok (truncated: trunc). */
bool
ddl_next(struct ddl_lex *l)
{
	size_t n = 0;

	ddl_blank(l);
	l->quoted = l->string = l->trunc = false;
	if (l->p >= l->end)
		return l->tok[0] = '\0', l->len = 0, false;
	if (*l->p == '`') {
		l->quoted = true;
		for (l->p++; l->p < l->end; l->p++) {
			if (*l->p == '`' && (l->p + 1 >= l->end || l->p[1] != '`'))
				break;
			if (*l->p == '`')
				l->p++;
			ddl_tok_add(l, &n, *l->p);
		}
		l->p += l->p < l->end;
	} else if (*l->p == '\'' || *l->p == '"')
		ddl_string(l, &n);
	else if (isalnum(*l->p) || *l->p == '_' || *l->p == '$' ||
	    *l->p >= 0x80) {
		while (l->p < l->end && (isalnum(*l->p) || *l->p == '_' ||
		    *l->p == '$' || *l->p >= 0x80))
			ddl_tok_add(l, &n, *l->p++);
	} else
		l->tok[n++] = (char)*l->p++;
	l->tok[n] = '\0';
	l->len = n;
	return true;
}

bool
ddl_is(const struct ddl_lex *l, const char *word)
{
	return !l->quoted && !l->string && strcasecmp(l->tok, word) == 0;
}

/* Skips the words of list that come next, in order, each optional. */
static void
ddl_skip(struct ddl_lex *l, const char *const *list)
{
	for (; *list != NULL; list++)
		if (ddl_is(l, *list))
			ddl_next(l);
}

/* [db.]name, the current token first; db keeps the default without one. */
static void
ddl_name(struct ddl_lex *l, struct ddl *d, bool database)
{
	static const char *const if_exists[] = { "IF", "NOT", "EXISTS", NULL };

	ddl_skip(l, if_exists);
	if (l->tok[0] == '\0')
		return;
	if (database) {
		strlcpy_(d->db, l->tok, sizeof(d->db));
		return;
	}
	strlcpy_(d->table, l->tok, sizeof(d->table));
	if (ddl_next(l) && ddl_is(l, ".") && ddl_next(l)) {
		strlcpy_(d->db, d->table, sizeof(d->db));
		strlcpy_(d->table, l->tok, sizeof(d->table));
	}
}

/* Classifies q; d->db starts as the session's default database. */
void
ddl_classify(const uint8_t *q, size_t n, struct ddl *d)
{
	static const char *const create[] = { "OR", "REPLACE", "TEMPORARY",
	    NULL };
	static const char *const alter[] = { "ONLINE", "IGNORE", NULL };
	struct ddl_lex l = { .p = q, .end = q + n };
	const char *verb = NULL;

	d->type = "ddl";
	d->table[0] = '\0';
	ddl_next(&l);
	if (ddl_is(&l, "CREATE"))
		verb = "create";
	else if (ddl_is(&l, "ALTER"))
		verb = "alter";
	else if (ddl_is(&l, "DROP"))
		verb = "drop";
	else if (ddl_is(&l, "RENAME"))
		verb = "rename";
	else if (ddl_is(&l, "TRUNCATE"))
		verb = "truncate";
	if (verb == NULL)
		return;
	ddl_next(&l);
	ddl_skip(&l, strcmp(verb, "alter") == 0 ? alter : create);
	if (ddl_is(&l, "DATABASE") || ddl_is(&l, "SCHEMA")) {
		if (strcmp(verb, "create") != 0 && strcmp(verb, "drop") != 0 &&
		    strcmp(verb, "alter") != 0)
			return;
		ddl_next(&l);
		ddl_name(&l, d, true);
		d->type = verb[0] == 'c' ? "database-create" :
		    verb[0] == 'd' ? "database-drop" : "database-alter";
		return;
	}
	if (ddl_is(&l, "TABLE"))
		ddl_next(&l);
	else if (strcmp(verb, "truncate") != 0)
		return;			/* a view, index, user, ... */
	ddl_name(&l, d, false);
	d->type = verb[0] == 'c' ? "table-create" : verb[0] == 'a' ?
	    "table-alter" : verb[0] == 'd' ? "table-drop" : verb[0] == 'r' ?
	    "table-rename" : "table-truncate";
}

/* The statement after XA: XA START/BEGIN opens a transaction, XA END
 * only closes its branch, the rest end it (XA PREPARE, COMMIT, ROLLBACK,
 * COMMIT ... ONE PHASE); XA RECOVER changes nothing. */
static enum stmt_kind
ddl_stmt_xa(struct ddl_lex *l)
{
	ddl_next(l);
	if (ddl_is(l, "START") || ddl_is(l, "BEGIN"))
		return STMT_BEGIN;
	if (ddl_is(l, "END") || ddl_is(l, "RECOVER"))
		return STMT_IN_TRX;
	return STMT_END;
}

/* ROLLBACK [WORK] TO [SAVEPOINT] s stays inside the transaction; a plain
 * ROLLBACK in a binlog ends one that changed non-transactional tables,
 * whose changes happened all the same. */
static enum stmt_kind
ddl_stmt_rollback(struct ddl_lex *l)
{
	ddl_next(l);
	if (ddl_is(l, "WORK"))
		ddl_next(l);
	return ddl_is(l, "TO") ? STMT_IN_TRX : STMT_END;
}

/*
 * A QUERY event's part in its transaction, by its leading keywords
 * (comments and whitespace skipped, version comments read as code, any
 * case).  Only transaction control ends or opens one; a row change the
 * server logged as a statement (even a SELECT or CALL, which may write
 * through a function) is STMT_DML; anything else is DDL.
 */
enum stmt_kind
ddl_stmt(const uint8_t *q, size_t n)
{
	static const char *const dml[] = { "INSERT", "UPDATE", "DELETE",
	    "REPLACE", "LOAD", "CALL", "DO", "SELECT", "WITH", NULL };
	struct ddl_lex l = { .p = q, .end = q + n };
	size_t i;

	if (!ddl_next(&l))
		return STMT_IN_TRX;	/* only comments: a dummy event */
	if (ddl_is(&l, "BEGIN")) {
		ddl_next(&l);
		return l.tok[0] == '\0' || ddl_is(&l, "WORK") ? STMT_BEGIN :
		    STMT_DML;		/* BEGIN NOT ATOMIC: a compound statement */
	}
	if (ddl_is(&l, "START"))
		return ddl_next(&l) && ddl_is(&l, "TRANSACTION") ? STMT_BEGIN :
		    STMT_DDL;		/* START SLAVE, ... */
	if (ddl_is(&l, "COMMIT"))
		return STMT_END;
	if (ddl_is(&l, "ROLLBACK"))
		return ddl_stmt_rollback(&l);
	if (ddl_is(&l, "SAVEPOINT") || ddl_is(&l, "RELEASE"))
		return STMT_IN_TRX;
	if (ddl_is(&l, "XA"))
		return ddl_stmt_xa(&l);
	for (i = 0; dml[i] != NULL; i++)
		if (ddl_is(&l, dml[i]))
			return STMT_DML;
	return STMT_DDL;
}
