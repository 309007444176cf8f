/* history.c: the schema history on the streamer's side.  checkpointd
 * keeps the table versions (schema_history, checkpointd/SCHEMA.md); here
 * the versions in force are a catalogue (binlog/ddlschema.c) that each DDL
 * statement the stream passes moves on, and every version that makes is
 * queued with the position it is valid from, for streamer.c to send to
 * checkpointd with the first checkpoint at or after that position: one
 * SQLite transaction holds both.  The main thread loads the catalogue
 * before the reader starts; after that only the reader thread touches it
 * (the queue has its own lock). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddlschema.h"
#include "exitcode.h"
#include "log.h"
#include "streamer.h"
#include "util.h"

struct names {
	struct name {
		char	 db[65], table[65];
	}		*v;
	size_t		 n, cap;
};

static struct catalog	 hist;
static bool		 hist_loaded;	/* checkpointd had versions */
static bool		 hist_charsets;	/* the databases' charsets read */
static struct catalog	 staging;	/* a seed being read */
static struct names	 touched;	/* by the statement being applied */
static struct names	 retakes;	/* binlogctl schema retake, pending */
static struct names	 unknown;	/* not in the history: logged once */

static pthread_mutex_t	 queue_mu = PTHREAD_MUTEX_INITIALIZER;
static struct version	*queue;
static size_t		 nqueue, queue_cap;

static bool
names_has(const struct names *l, const char *db, const char *table)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].db, db) == 0 &&
		    strcmp(l->v[i].table, table) == 0)
			return true;
	return false;
}

static void
names_add(struct names *l, const char *db, const char *table)
{
	if (names_has(l, db, table))
		return;
	if (l->n == l->cap && (l->v = reallocarray(l->v, l->cap = l->cap * 2 +
	    8, sizeof(*l->v))) == NULL)
		fatal("table names");
	strlcpy_(l->v[l->n].db, db, sizeof(l->v[l->n].db));
	strlcpy_(l->v[l->n++].table, table, sizeof(l->v[0].table));
}

static void
names_remove(struct names *l, const char *db, const char *table)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].db, db) == 0 &&
		    strcmp(l->v[i].table, table) == 0) {
			l->v[i] = l->v[--l->n];
			return;
		}
}

/* catalog.changed: collects the tables a statement changed. */
static void
history_touched(void *arg UNUSED, const char *db, const char *table)
{
	names_add(&touched, db, table);
}

/* ------------------------------------------------ the text of a version */

/* A name with \, tab and newline escaped: one field of a line. */
static void
text_name(struct obuf *o, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\\')
			obuf_add(o, "\\\\", 2);
		else if (*s == '\t')
			obuf_add(o, "\\t", 2);
		else if (*s == '\n')
			obuf_add(o, "\\n", 2);
		else
			obuf_add(o, s, 1);
}

static void
text_flags(struct obuf *o, const struct column *c)
{
	size_t at = o->len;

	if (c->is_unsigned)
		obuf_add(o, "u", 1);
	if (c->is_binary)
		obuf_add(o, "b", 1);
	if (c->pk)
		obuf_add(o, "k", 1);
	if (c->form == COLFORM_INET6)
		obuf_add(o, "i", 1);
	if (c->form == COLFORM_UUID)
		obuf_add(o, "U", 1);
	if (o->len == at)
		obuf_add(o, "-", 1);
}

/*
 * "charset CS" and one line per column:
 *   name TAB binlog-type TAB flags TAB charset [TAB member]...
 * flags: u unsigned, b binary, k primary key, i INET6, U UUID, - none;
 * ENUM/SET members as JSON strings.  NUL-terminated, malloc'd.
 */
static char *
history_text(const struct schema_entry *e)
{
	struct obuf o = { 0 };
	const struct column *c;
	uint32_t i, k, at, end;

	obuf_printf(&o, "charset %s\n", e->charset);
	for (i = 0; i < e->ncols; i++) {
		c = &e->cols[i];
		text_name(&o, c->name);
		obuf_printf(&o, "\t%u\t", c->type);
		text_flags(&o, c);
		obuf_printf(&o, "\t%s", charset_name(c->charset));
		for (k = 0; k < c->nstr; k++) {
			memcpy(&at, e->stridx.buf + 4 * (c->str_first + k), 4);
			memcpy(&end, e->stridx.buf + 4 * (c->str_first + k + 1),
			    4);
			obuf_add(&o, "\t", 1);
			obuf_add(&o, e->strs.buf + at, end - at);
		}
		obuf_add(&o, "\n", 1);
	}
	obuf_add(&o, "", 1);
	return o.buf;
}

/* One field of a line: its end (a tab, a newline or the NUL). */
static const char *
text_field(const char *p)
{
	return p + strcspn(p, "\t\n");
}

static void
text_unname(char *out, size_t size, const char *p, const char *end)
{
	size_t n = 0;

	for (; p < end && n + 1 < size; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++;
			out[n++] = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
		} else
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* One column line into e->cols[i]; the end of the line, NULL if bad. */
static const char *
text_column(struct schema_entry *e, uint32_t i, const char *p)
{
	struct column *c = &e->cols[i];
	const char *end = text_field(p);
	char cs[33];
	uint32_t off;

	text_unname(c->name, sizeof(c->name), p, end);
	if (*end != '\t')
		return NULL;
	c->type = (uint8_t)strtoul(end + 1, NULL, 10);
	p = text_field(end + 1);
	if (*p != '\t')
		return NULL;
	end = text_field(++p);
	c->is_unsigned = memchr(p, 'u', (size_t)(end - p)) != NULL;
	c->is_binary = memchr(p, 'b', (size_t)(end - p)) != NULL;
	c->pk = memchr(p, 'k', (size_t)(end - p)) != NULL;
	c->form = memchr(p, 'i', (size_t)(end - p)) ? COLFORM_INET6 :
	    memchr(p, 'U', (size_t)(end - p)) ? COLFORM_UUID : COLFORM_NONE;
	if (*end != '\t')
		return NULL;
	p = end + 1;
	end = text_field(p);
	text_unname(cs, sizeof(cs), p, end);
	c->charset = charset_by_name(cs);
	if (*end == '\t')
		c->str_first = (uint32_t)(e->stridx.len / 4);
	for (p = end; *p == '\t'; p = end) {
		end = text_field(++p);
		off = (uint32_t)e->strs.len;
		obuf_add(&e->stridx, &off, 4);
		obuf_add(&e->strs, p, (size_t)(end - p));
		c->nstr++;
	}
	if (c->nstr > 0) {
		off = (uint32_t)e->strs.len;
		obuf_add(&e->stridx, &off, 4);
	}
	return *p == '\n' ? p + 1 : p;
}

static struct schema_entry *
history_parse(const char *db, const char *table, const char *text)
{
	struct schema_entry *e;
	const char *p;
	uint32_t n = 0;

	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	if (strncmp(text, "charset ", 8) != 0 || n == 0)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->cols = calloc(n, sizeof(*e->cols))) == NULL)
		fatal("table schema");
	strlcpy_(e->db, db, sizeof(e->db));
	strlcpy_(e->table, table, sizeof(e->table));
	p = text + 8;
	text_unname(e->charset, sizeof(e->charset), p, text_field(p));
	for (p = text_field(p) + 1; *p != '\0' && e->ncols < n - 1; e->ncols++)
		if ((p = text_column(e, e->ncols, p)) == NULL) {
			schema_entry_free(e);
			return NULL;
		}
	return e;
}

/* ------------------------------------------------- versions to be saved */

static void
history_queue(const char *db, const char *table, const char *source,
    const char *sql, size_t len, const char *file, uint64_t offset,
    const char *gtid)
{
	const struct schema_entry *e = catalog_table(&hist, db, table);
	struct version v = { .offset = offset };

	strlcpy_(v.db, db, sizeof(v.db));
	strlcpy_(v.table, table, sizeof(v.table));
	strlcpy_(v.kind, e != NULL ? "table" : "dropped", sizeof(v.kind));
	strlcpy_(v.source, source, sizeof(v.source));
	strlcpy_(v.file, file, sizeof(v.file));
	v.columns = e != NULL ? history_text(e) : strdup("");
	v.statement = strndup(sql, len < VERSION_STMT_MAX ? len :
	    VERSION_STMT_MAX);
	v.gtid = strdup(gtid);
	if (v.columns == NULL || v.statement == NULL || v.gtid == NULL)
		fatal("table version");
	pthread_mutex_lock(&queue_mu);
	if (nqueue == queue_cap && (queue = reallocarray(queue, queue_cap =
	    queue_cap * 2 + 16, sizeof(*queue))) == NULL)
		fatal("table versions");
	queue[nqueue++] = v;
	pthread_mutex_unlock(&queue_mu);
}

/* A version queued at the reader's event (file, offset) goes out with a
 * position at or after it: within one stream, files grow in name. */
static bool
history_due(const struct version *v, const struct position *pos)
{
	int c = strcmp(v->file, pos->file);

	return c < 0 || (c == 0 && v->offset <= pos->offset);
}

size_t
history_take(const struct position *pos, struct version **out)
{
	size_t n = 0;

	pthread_mutex_lock(&queue_mu);
	while (n < nqueue && history_due(&queue[n], pos))
		n++;
	*out = NULL;
	if (n > 0) {
		if ((*out = calloc(n, sizeof(**out))) == NULL)
			fatal("table versions");
		memcpy(*out, queue, n * sizeof(*queue));
		memmove(queue, queue + n, (nqueue - n) * sizeof(*queue));
		nqueue -= n;
	}
	pthread_mutex_unlock(&queue_mu);
	return n;
}

/* ------------------------------------------------------------ loading */

void
history_load(const char *db, const char *table, const char *kind,
    const char *columns)
{
	struct schema_entry *e;

	hist_loaded = true;
	if (strcmp(kind, "retake") == 0) {
		names_add(&retakes, db, table);
		return;
	}
	if ((e = history_parse(db, table, columns)) == NULL) {
		log_errx("the schema history's version of %s.%s cannot be "
		    "read; the table is taken from information_schema as if "
		    "it had none (binlogctl history %s.%s shows it)", db,
		    table, db, table);
		return;
	}
	e->next = hist.tables;
	hist.tables = e;
}

bool
history_empty(void)
{
	return !hist_loaded && hist.tables == NULL;
}

const struct schema_entry *
history_table(const char *db, const char *table)
{
	return catalog_table(&hist, db, table);
}

bool
history_retaking(const char *db, const char *table)
{
	return names_has(&retakes, db, table);
}

/* A table the operator asked to retake, at its first TABLE_MAP since:
 * information_schema's columns become its version. */
const struct schema_entry *
history_retake(struct reader *r, const char *db, const char *table)
{
	struct schema_entry *e;

	if ((e = schema_read(r, db, table)) == NULL)
		return NULL;
	e->origin = NULL;	/* now the history's */
	e->next = hist.tables;
	hist.tables = e;
	names_remove(&retakes, db, table);
	history_queue(db, table, "retake", "", 0, r->file, r->offset, "");
	log_warning("took the columns of %s.%s from information_schema at "
	    "%s:%llu (binlogctl schema retake): %u columns", db, table,
	    r->file, (unsigned long long)r->offset, e->ncols);
	return e;
}

void
history_unknown(struct reader *r, const char *db, const char *table)
{
	if (names_has(&unknown, db, table))
		return;
	names_add(&unknown, db, table);
	log_warning("no schema history for %s.%s at %s:%llu: its columns are "
	    "taken from information_schema as they are now and checked "
	    "against each TABLE_MAP, so rows written before a later change of "
	    "the table stop the stream (exit 87) rather than be misnamed; "
	    "binlogctl schema retake %s.%s puts the table in the history",
	    db, table, r->file, (unsigned long long)r->offset, db, table);
}

/* ------------------------------------------------------------ seeding */

/* Reads every table into the staging catalogue; -1 after reader_fail. */
int
history_seed_read(struct reader *r)
{
	catalog_free(&staging);
	memset(&staging, 0, sizeof(staging));
	return schema_read_all(r, &staging);
}

/* The staged tables become the history, valid from pos. */
void
history_seed_commit(struct reader *r, const struct position *pos)
{
	struct schema_entry *e;
	size_t n = 0;

	catalog_free(&hist);
	hist = staging;
	memset(&staging, 0, sizeof(staging));
	hist_charsets = true;
	hist.mariadb = r->mariadb;
	for (e = hist.tables; e != NULL; e = e->next, n++)
		history_queue(e->db, e->table, "seed", "", 0, pos->file,
		    pos->offset, "");
	log_info("schema history seeded from information_schema at "
	    "%s:%llu: %zu tables", pos->file, (unsigned long long)pos->offset,
	    n);
}

/* -------------------------------------------------------------- DDL */

/* The first difference between ours and the server's, into what; false
 * when there is none. */
static bool
history_differ(const struct schema_entry *a, const struct schema_entry *b,
    char *what, size_t size)
{
	const struct column *x, *y;
	uint32_t i;

	if (a->ncols != b->ncols) {
		snprintf(what, size, "%u columns, not %u", a->ncols, b->ncols);
		return true;
	}
	for (i = 0; i < a->ncols; i++) {
		x = &a->cols[i];
		y = &b->cols[i];
		if (strcmp(x->name, y->name) != 0 || x->type != y->type ||
		    x->is_unsigned != y->is_unsigned || x->pk != y->pk ||
		    x->nstr != y->nstr || x->form != y->form ||
		    (!y->is_binary && x->charset != y->charset)) {
			snprintf(what, size, "column %u is %s (type %u%s%s, %s, "
			    "%u members), not %s (type %u%s%s, %s, %u members)",
			    i + 1, x->name, x->type, x->is_unsigned ?
			    " unsigned" : "", x->pk ? " key" : "",
			    charset_name(x->charset), x->nstr, y->name,
			    y->type, y->is_unsigned ? " unsigned" : "",
			    y->pk ? " key" : "", charset_name(y->charset),
			    y->nstr);
			return true;
		}
	}
	return false;
}

/* Replaces our version of e's table by the server's. */
static void
history_replace(struct schema_entry *srv)
{
	struct schema_entry **ep;

	for (ep = &hist.tables; *ep != NULL; ep = &(*ep)->next)
		if (strcmp((*ep)->db, srv->db) == 0 &&
		    strcmp((*ep)->table, srv->table) == 0) {
			srv->next = (*ep)->next;
			if (srv->charset[0] == '\0')
				strlcpy_(srv->charset, (*ep)->charset,
				    sizeof(srv->charset));
			schema_entry_free(*ep);
			srv->origin = NULL;
			*ep = srv;
			return;
		}
	schema_entry_free(srv);
}

/* Caught up (nothing after the DDL on the server, before and after the
 * read): each changed table against information_schema; the server's
 * columns win. */
static int
history_check_server(struct reader *r, const char *sql, size_t len)
{
	struct schema_entry *srv;
	const struct schema_entry *e;
	char what[1024];
	size_t i;
	bool at;

	if (!schema_server_at(r, r->file, r->hdr.log_pos))
		return 0;
	for (i = 0; i < touched.n; i++) {
		if ((e = history_table(touched.v[i].db,
		    touched.v[i].table)) == NULL)
			continue;
		if ((srv = schema_read(r, e->db, e->table)) == NULL)
			return -1;
		at = schema_server_at(r, r->file, r->hdr.log_pos);
		if (!at || !history_differ(e, srv, what, sizeof(what))) {
			log_debug("%s.%s after the DDL at %s:%llu: %s", e->db,
			    e->table, r->file, (unsigned long long)r->offset,
			    at ? "as information_schema has it" :
			    "the server moved on, not compared");
			schema_entry_free(srv);
			continue;
		}
		log_warning("table %s.%s after the DDL at %s:%llu: binlogd's "
		    "schema history and information_schema differ (%s); "
		    "keeping the server's (counted in "
		    "binlogd_schema_mismatches_total)", e->db, e->table,
		    r->file, (unsigned long long)r->offset, what);
		stats_schema_mismatch();
		history_replace(srv);
		history_queue(touched.v[i].db, touched.v[i].table, "server",
		    sql, len, r->file, r->hdr.log_pos, r->gtid_text);
	}
	return 0;
}

static void
history_drop(const char *db, const char *table)
{
	struct schema_entry **ep, *e;

	for (ep = &hist.tables; (e = *ep) != NULL; ep = &e->next)
		if (strcmp(e->db, db) == 0 && strcmp(e->table, table) == 0) {
			*ep = e->next;
			schema_entry_free(e);
			return;
		}
}

/* A statement the parser refused: a stop for a table we stream, else
 * the table leaves the history. */
static int
history_refused(struct reader *r, const char *db, const uint8_t *sql,
    size_t len, const char *why)
{
	struct ddl d;

	strlcpy_(d.db, db, sizeof(d.db));
	ddl_classify(sql, len, &d);
	if (d.table[0] == '\0' || history_table(d.db, d.table) == NULL) {
		log_info("DDL at %s:%llu left out of the schema history (%s): "
		    "it names no table the history holds", r->file,
		    (unsigned long long)r->offset, why);
		return 0;
	}
	if (r->hooks->table_wanted != NULL &&
	    !r->hooks->table_wanted(d.db, d.table)) {
		history_drop(d.db, d.table);
		history_queue(d.db, d.table, "unknown-ddl", (const char *)sql,
		    len, r->file, r->hdr.log_pos, r->gtid_text);
		log_warning("table %s.%s (not streamed) leaves the schema "
		    "history at %s:%llu: %s", d.db, d.table, r->file,
		    (unsigned long long)r->offset, why);
		return 0;
	}
	return reader_fail(r, BX_SCHEMA, "table %s.%s at %s:%llu: binlogd "
	    "cannot follow this DDL in the table's schema history (%s): %.*s; "
	    "it holds the streamer rather than name columns wrongly.  Run "
	    "binlogctl schema retake %s.%s (the columns are then read from "
	    "information_schema at the table's next row: right unless the "
	    "table changed again since), then binlogctl start-streamer; or "
	    "leave the table out ([filter])", d.db, d.table, r->file,
	    (unsigned long long)r->offset, why, (int)(len > 300 ? 300 : len),
	    (const char *)sql, d.db, d.table);
}

int
history_ddl(struct reader *r, const char *db, const uint8_t *sql, size_t len)
{
	char why[512];
	size_t i;

	if (!hist_charsets && schema_charsets(r, &hist) == -1)
		return -1;
	hist_charsets = true;
	hist.mariadb = r->mariadb;
	hist.changed = history_touched;
	touched.n = 0;
	switch (ddl_apply(&hist, db, sql, len, why, sizeof(why))) {
	case DDL_IGNORED:
		return 0;
	case DDL_REFUSED:
		return history_refused(r, db, sql, len, why);
	case DDL_APPLIED:
		break;
	}
	for (i = 0; i < touched.n; i++) {
		names_remove(&retakes, touched.v[i].db, touched.v[i].table);
		history_queue(touched.v[i].db, touched.v[i].table, "ddl",
		    (const char *)sql, len, r->file, r->hdr.log_pos,
		    r->gtid_text);
	}
	return touched.n > 0 ? history_check_server(r, (const char *)sql,
	    len) : 0;
}
