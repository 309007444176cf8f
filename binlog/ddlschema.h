/* ddlschema.h: DDL statements applied to table schemas in memory
 * (ddlschema.c), and the lexer it shares with ddl.c. */
#ifndef BINLOGD_DDLSCHEMA_H
#define BINLOGD_DDLSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct schema_entry;

/* One token of a statement: a word, a `quoted name`, a 'string' or
 * "string" (unescaped), or one punctuation character. */
struct ddl_lex {
	const uint8_t	*p, *end;
	char		 tok[1024 + 4];	/* an ENUM member: 255 characters */
	size_t		 len;
	bool		 quoted;	/* `name` */
	bool		 string;	/* 'string' or "string" */
	bool		 trunc;		/* longer than tok */
};
bool	 ddl_next(struct ddl_lex *);
/* The token is the keyword word (any case; not quoted). */
bool	 ddl_is(const struct ddl_lex *, const char *word);

/* The server's binlog type for an SQL type name (DATA_TYPE, or a DDL's
 * INT, INTEGER, NVARCHAR, ...), COL_NULL when not known; *is_binary says
 * whether its values are bytes, not text. */
uint8_t	 ddl_sql_type(const char *name, bool mariadb, bool *is_binary);

/* ENUM/SET members of a column, one at a time: begin, add..., end. */
void	 schema_names_begin(struct schema_entry *, uint32_t col);
void	 schema_names_add(struct schema_entry *, uint32_t col, const char *,
	    size_t);
void	 schema_names_end(struct schema_entry *);

/* The tables and databases the statements so far have made. */
struct catalog_db {
	char		 name[65];
	char		 charset[33];	/* its default ("": the server's) */
	struct catalog_db *next;
};
struct catalog {
	struct schema_entry *tables;
	struct catalog_db *dbs;
	char		 charset[33];	/* the server's default ("": unknown) */
	bool		 mariadb;	/* JSON is LONGTEXT; VECTOR VARBINARY */
	/* or NULL: a table a statement applied whole has replaced, renamed,
	 * created or dropped (told once or more; look it up afterwards) */
	void		(*changed)(void *arg, const char *db, const char *table);
	void		*changed_arg;
};

enum ddl_result {
	DDL_APPLIED,	/* the catalogue follows the statement */
	DDL_IGNORED,	/* about no table's columns (an index, a view, ...) */
	DDL_REFUSED,	/* not understood: msg says what; nothing changed */
};
/* Applies one statement run with default database db ("" for none). */
enum ddl_result ddl_apply(struct catalog *, const char *db, const uint8_t *,
	    size_t, char *msg, size_t msglen);
struct schema_entry *catalog_table(const struct catalog *, const char *db,
	    const char *table);
void	 catalog_free(struct catalog *);
void	 schema_entry_free(struct schema_entry *);

#endif
