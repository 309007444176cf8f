/* store.c: the SQLite checkpoint database -- opening it with integrity and
 * permission checks, its schema migrations, one-transaction saves, and the
 * gaps and operator audit rows binlogctl checkpoint lists. */
#include "build.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "checkpointd.h"
#include "log.h"
#include "util.h"

/* Long enough to ride out an operator's sqlite3 shell reading the file. */
#define STORE_BUSY_MS	5000
/* Rows binlogctl checkpoint lists of the gaps and of the audit log. */
#define STORE_LIST_MAX	20
#define STORE_STR_(x)	#x
#define STORE_STR(x)	STORE_STR_(x)

struct store {
	sqlite3		*db;
	sqlite3_stmt	*save;
	sqlite3_stmt	*version;
	sqlite3_stmt	*load;
	sqlite3_stmt	*gap;
	sqlite3_stmt	*gaps;
	sqlite3_stmt	*audit;
	sqlite3_stmt	*snap;
	sqlite3_stmt	*snap_load;
	sqlite3_stmt	*snap_stop;
	sqlite3_stmt	*snap_supersede;
	char		 path[1024];
	char		 err[1536];
};

/*
 * Schema version N is reached by applying migrations 1..N in order, each
 * once, all pending ones in one transaction.  Never edit a shipped entry:
 * append a new one.
 */
struct store_migration {
	const char	*what;
	const char	*sql;
};

static const struct store_migration store_migrations[] = {
	{ "checkpoint: the current position",
	  "CREATE TABLE checkpoint ("
	  " id INTEGER PRIMARY KEY CHECK (id = 1),"
	  " gtid TEXT NOT NULL,"
	  " file TEXT NOT NULL,"
	  " offset INTEGER NOT NULL CHECK (offset >= 0),"
	  " server_id INTEGER NOT NULL"
	  "  CHECK (server_id BETWEEN 0 AND 4294967295),"
	  " server_uuid TEXT NOT NULL,"
	  " event_ts INTEGER NOT NULL CHECK (event_ts >= 0),"
	  " rows_done INTEGER NOT NULL CHECK (rows_done >= 0),"
	  " saved_at TEXT NOT NULL)" },
	{ "gaps: binlog skipped by on_purged resets",
	  "CREATE TABLE gaps ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " from_file TEXT NOT NULL,"
	  " from_offset INTEGER NOT NULL CHECK (from_offset >= 0),"
	  " from_gtid TEXT NOT NULL,"
	  " to_file TEXT NOT NULL,"
	  " to_offset INTEGER NOT NULL CHECK (to_offset >= 0),"
	  " to_gtid TEXT NOT NULL,"
	  " reason TEXT NOT NULL,"
	  " server TEXT NOT NULL,"
	  " recorded_at TEXT NOT NULL)" },
	{ "audit: positions set by an operator",
	  "CREATE TABLE audit ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " action TEXT NOT NULL,"
	  " from_file TEXT NOT NULL,"
	  " from_offset INTEGER NOT NULL CHECK (from_offset >= 0),"
	  " from_gtid TEXT NOT NULL,"
	  " to_file TEXT NOT NULL,"
	  " to_offset INTEGER NOT NULL CHECK (to_offset >= 0),"
	  " to_gtid TEXT NOT NULL,"
	  " uid INTEGER NOT NULL,"
	  " reason TEXT NOT NULL,"
	  " recorded_at TEXT NOT NULL)" },
	{ "snapshot_progress: how far each snapshot got",
	  "CREATE TABLE snapshot_progress ("
	  " id INTEGER PRIMARY KEY CHECK (id > 0),"
	  " kind TEXT NOT NULL CHECK (kind IN ('initial', 'incremental')),"
	  " state TEXT NOT NULL"
	  "  CHECK (state IN ('running', 'done', 'stopped')),"
	  " table_schema TEXT NOT NULL,"
	  " table_name TEXT NOT NULL,"
	  " last_key TEXT NOT NULL,"
	  " rows_done INTEGER NOT NULL CHECK (rows_done >= 0),"
	  " from_file TEXT NOT NULL,"
	  " from_offset INTEGER NOT NULL CHECK (from_offset >= 0),"
	  " from_gtid TEXT NOT NULL,"
	  " started_at TEXT NOT NULL,"
	  " updated_at TEXT NOT NULL)" },
	{ "schema_history: table versions valid from a position",
	  "CREATE TABLE schema_history ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " db TEXT NOT NULL,"
	  " tbl TEXT NOT NULL,"
	  " kind TEXT NOT NULL CHECK (kind IN ('table', 'dropped', 'retake')),"
	  " columns TEXT NOT NULL,"
	  " source TEXT NOT NULL,"
	  " statement TEXT NOT NULL,"
	  " valid_file TEXT NOT NULL,"
	  " valid_offset INTEGER NOT NULL CHECK (valid_offset >= 0),"
	  " valid_gtid TEXT NOT NULL,"
	  " recorded_at TEXT NOT NULL);"
	  "CREATE INDEX schema_history_table ON schema_history (db, tbl, id)" },
	{ "snapshot_progress: an incremental snapshot's WHERE condition",
	  "ALTER TABLE snapshot_progress"
	  " ADD COLUMN condition TEXT NOT NULL DEFAULT ''" },
};

#define STORE_LATEST \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

static const char store_save_sql[] =
    "INSERT INTO checkpoint (id, gtid, file, offset, server_id, server_uuid,"
    " event_ts, rows_done, saved_at)"
    " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7,"
    " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
    " ON CONFLICT (id) DO UPDATE SET gtid = excluded.gtid,"
    " file = excluded.file, offset = excluded.offset,"
    " server_id = excluded.server_id, server_uuid = excluded.server_uuid,"
    " event_ts = excluded.event_ts, rows_done = excluded.rows_done,"
    " saved_at = excluded.saved_at";

/* A streamer that restarts from a position before a gap finds it again
 * (a statement-logged change, an incident): it is recorded once. */
static const char store_gap_sql[] =
    "INSERT INTO gaps (from_file, from_offset, from_gtid, to_file, to_offset,"
    " to_gtid, reason, server, recorded_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6,"
    " ?7, ?8, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE NOT EXISTS"
    " (SELECT 1 FROM gaps WHERE from_file = ?1 AND from_offset = ?2 AND"
    " from_gtid = ?3 AND to_file = ?4 AND to_offset = ?5 AND reason = ?7)";

static const char store_audit_sql[] =
    "INSERT INTO audit (action, from_file, from_offset, from_gtid, to_file,"
    " to_offset, to_gtid, uid, reason, recorded_at) VALUES (?9,"
    " ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";

static const char store_version_sql[] =
    "INSERT INTO schema_history (db, tbl, kind, columns, source, statement,"
    " valid_file, valid_offset, valid_gtid, recorded_at) VALUES (?1, ?2, ?3,"
    " ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";

/* Each table's newest version, unless it is dropped: what is in force at
 * the saved position (no version is written ahead of its checkpoint). */
static const char store_history_sql[] =
    "SELECT db, tbl, kind, columns FROM schema_history WHERE id IN"
    " (SELECT max(id) FROM schema_history GROUP BY db, tbl)"
    " AND kind <> 'dropped' ORDER BY id";

/* One table's versions, oldest first, for binlogctl history. */
static const char store_versions_sql[] =
    "SELECT (SELECT count(*) FROM schema_history WHERE db = ?1 AND"
    " tbl = ?2), id || ' ' || kind || ' from ' || valid_file || ':' ||"
    " valid_offset || ' gtid ' || valid_gtid || ' (' || source || ', ' ||"
    " recorded_at || ')' || CASE WHEN statement = '' THEN '' ELSE"
    " char(10) || '  ' || statement END || CASE WHEN columns = '' THEN ''"
    " ELSE char(10) || columns END FROM schema_history WHERE db = ?1 AND"
    " tbl = ?2 ORDER BY id";

/* A position set back: the versions written after it are not yet in
 * force.  Only comparable by file name within one server's binlog. */
static const char store_trim_sql[] =
    "DELETE FROM schema_history WHERE ?1 <> '' AND (valid_file > ?1 OR"
    " (valid_file = ?1 AND valid_offset > ?2))";

/* One gap or audit row as one line of text. */
#define STORE_GAP_LINE \
    "recorded_at || ' ' || from_file || ':' || from_offset || ' -> ' ||" \
    " to_file || ':' || to_offset || ' (' || reason || ')'"
#define STORE_AUDIT_LINE \
    "recorded_at || ' ' || action || ' ' || from_file || ':' ||" \
    " from_offset || ' gtid ' || from_gtid || ' -> ' || to_file || ':' ||" \
    " to_offset || ' gtid ' || to_gtid || ' (' || reason || ')'"

/* The count and the newest gap, as one line for binlogctl status. */
static const char store_gaps_sql[] =
    "SELECT (SELECT count(*) FROM gaps), coalesce((SELECT " STORE_GAP_LINE
    " FROM gaps ORDER BY id DESC LIMIT 1), '')";

/* The lists of binlogctl checkpoint: count and line of the newest rows. */
static const char *const store_list_sql[] = {
	[STORE_GAPS] = "SELECT (SELECT count(*) FROM gaps), " STORE_GAP_LINE
	    " FROM gaps ORDER BY id DESC LIMIT " STORE_STR(STORE_LIST_MAX),
	[STORE_AUDIT] = "SELECT (SELECT count(*) FROM audit), "
	    STORE_AUDIT_LINE " FROM audit ORDER BY id DESC LIMIT "
	    STORE_STR(STORE_LIST_MAX),
};

static const char store_saved_at_sql[] =
    "SELECT saved_at, CAST(strftime('%s', saved_at) AS INTEGER)"
    " FROM checkpoint WHERE id = 1";

static const char store_load_sql[] =
    "SELECT gtid, file, offset, server_id, server_uuid, event_ts, rows_done"
    " FROM checkpoint WHERE id = 1";

/* A snapshot's progress, saved with the position that carries it; its
 * from_ columns keep the position of its first report: the one an
 * initial snapshot is consistent with. */
static const char store_snap_sql[] =
    "INSERT INTO snapshot_progress (id, kind, state, table_schema,"
    " table_name, last_key, rows_done, from_file, from_offset, from_gtid,"
    " started_at, updated_at, condition) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
    " ?8, ?9, ?10, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
    " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?11)"
    " ON CONFLICT (id) DO UPDATE SET state = excluded.state,"
    " table_schema = excluded.table_schema,"
    " table_name = excluded.table_name, last_key = excluded.last_key,"
    " rows_done = excluded.rows_done, updated_at = excluded.updated_at";

/* The snapshot a new streamer resumes: the newest still running, an
 * initial one before any incremental one (the stream, which an
 * incremental snapshot runs beside, starts only once it is done). */
static const char store_snap_load_sql[] =
    "SELECT id, kind, state, table_schema, table_name, last_key, rows_done,"
    " condition FROM snapshot_progress WHERE state = 'running'"
    " ORDER BY kind = 'initial' DESC, id DESC LIMIT 1";

/* A snapshot's progress ends the incremental snapshots begun before it:
 * an initial one taken since (snapshot = when_needed) reads every table
 * again, and one incremental snapshot runs at a time. */
static const char store_snap_supersede_sql[] =
    "UPDATE snapshot_progress SET state = 'stopped',"
    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    " WHERE state = 'running' AND kind = 'incremental' AND id < ?1";

/* An operator's position replaces the one a running snapshot was
 * consistent with: the snapshot cannot be resumed from it. */
static const char store_snap_stop_sql[] =
    "UPDATE snapshot_progress SET state = 'stopped',"
    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    " WHERE state = 'running'";

int
store_schema_latest(void)
{
	return STORE_LATEST;
}

const char *
store_error(const struct store *st)
{
	return st->err;
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

static int
store_fail(struct store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
store_fail(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* What an operator can do about an SQLite error, or NULL. */
static const char *
store_hint(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return "make the file and its directory writable by the user "
		    "binlogd runs as";
	case SQLITE_FULL:
		return "free space on its file system";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "restore it from a backup, or move it away to start "
		    "over from [stream] start_position (binlogd never resets "
		    "it by itself)";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "another process holds it locked: only one binlogd may "
		    "use a checkpoint database";
	case SQLITE_IOERR:
		return "check the disk and the kernel log";
	default:
		return NULL;
	}
}

/* Records "database PATH: WHAT: sqlite's message[: hint]"; returns -1. */
static int
store_sqlfail(struct store *st, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);
	const char *hint = store_hint(rc);

	return store_fail(st, "checkpoint database %s: %s: %s%s%s", st->path,
	    what, sqlite3_errmsg(st->db), hint ? ": " : "", hint ? hint : "");
}

static int
store_exec(struct store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlfail(st, what);
	return 0;
}

/* Runs a one-value statement (a PRAGMA) and copies its first value. */
static int
store_query_text(struct store *st, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *stmt;
	const unsigned char *text;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_sqlfail(st, sql);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		if (rc == SQLITE_DONE)
			return store_fail(st, "checkpoint database %s: %s "
			    "returned nothing", st->path, sql);
		return store_sqlfail(st, sql);
	}
	text = sqlite3_column_text(stmt, 0);
	strlcpy_(buf, text ? (const char *)text : "", size);
	sqlite3_finalize(stmt);
	return 0;
}

static int
store_check_dir(struct store *st)
{
	char dir[sizeof(st->path)];
	char *slash;
	struct stat sb;

	strlcpy_(dir, st->path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL)
		strlcpy_(dir, ".", sizeof(dir));
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == -1)
		return store_fail(st, "checkpoint database %s: directory %s: "
		    "%s: create it, or set [checkpoint] database to a file in "
		    "an existing directory", st->path, dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return store_fail(st, "checkpoint database %s: %s is not a "
		    "directory: fix [checkpoint] database", st->path, dir);
	return 0;
}

/* Reads the whole file before anything writes to it, so that a damaged
 * file is reported as it is, never "repaired". */
static int
store_check_integrity(struct store *st)
{
	char result[512], *nl;

	if (store_query_text(st, "PRAGMA quick_check", result,
	    sizeof(result)) == -1)
		return -1;
	while ((nl = strchr(result, '\n')) != NULL)
		*nl = ' ';
	if (strcmp(result, "ok") != 0)
		return store_fail(st, "checkpoint database %s is corrupt (%s): "
		    "%s", st->path, result, store_hint(SQLITE_CORRUPT));
	return 0;
}

static int
store_check_writable(struct store *st)
{
	if (sqlite3_db_readonly(st->db, "main") == 1)
		return store_fail(st, "checkpoint database %s is read-only: "
		    "%s", st->path, store_hint(SQLITE_READONLY));
	return 0;
}

/* WAL so that a commit is one append.  The migrations are written
 * without a sync (store_migrate); FULL follows them (store_durable). */
static int
store_wal(struct store *st)
{
	char mode[32];

	if (store_query_text(st, "PRAGMA journal_mode=WAL", mode,
	    sizeof(mode)) == -1)
		return -1;
	if (strcasecmp(mode, "wal") != 0)
		return store_fail(st, "checkpoint database %s: journal_mode "
		    "stayed %s instead of wal: put the file on a local file "
		    "system", st->path, mode);
	return store_exec(st, "PRAGMA synchronous=OFF", "PRAGMA synchronous");
}

/* FULL so that a saved position survives power loss. */
static int
store_durable(struct store *st)
{
	return store_exec(st, "PRAGMA synchronous=FULL", "PRAGMA synchronous");
}

static int
store_version(struct store *st, int *version)
{
	char text[32];

	if (store_query_text(st, "SELECT coalesce(max(version), 0) FROM "
	    "schema_version", text, sizeof(text)) == -1)
		return -1;
	*version = atoi(text);
	return 0;
}

static int
store_apply(struct store *st, int version)
{
	const struct store_migration *m = &store_migrations[version - 1];
	sqlite3_stmt *stmt;
	int rc;

	if (store_exec(st, m->sql, m->what) == -1)
		return -1;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO schema_version (version,"
	    " applied_at, description) VALUES (?1, strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now'), ?2)", -1, &stmt, NULL) != SQLITE_OK)
		return store_sqlfail(st, "recording the schema version");
	sqlite3_bind_int(stmt, 1, version);
	sqlite3_bind_text(stmt, 2, m->what, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_sqlfail(st, "recording the schema version");
	log_info("%s: schema migrated to version %d (%s)", st->path, version,
	    m->what);
	return 0;
}

/*
 * The migrations promise nothing by themselves: no position depends on
 * them until the first save, whose synced commit makes the WAL durable up
 * to its own frames, the migrations' included.  Lost in a crash before
 * that (WAL frames are checksummed: the transaction comes back whole or
 * not at all), they are applied again at the next start.  So they commit
 * without a sync, and a new database is ready without three fsyncs (the
 * new WAL's header, its directory, the commit); the first save syncs the
 * directory too.  The switch to WAL stays synced: it writes page 1 of the
 * database file, and SQLite drops the WAL of an empty database file.
 */
static int
store_migrate(struct store *st)
{
	int version, v;

	if (store_exec(st, "BEGIN IMMEDIATE", "starting the migration") == -1)
		return -1;
	if (store_exec(st, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, "
	    "description TEXT NOT NULL)", "creating schema_version") == -1 ||
	    store_version(st, &version) == -1)
		goto fail;
	if (version > STORE_LATEST) {
		store_fail(st, "checkpoint database %s has schema version %d "
		    "but this binlogd knows only up to %d: it was written by a "
		    "newer binlogd; run that version, or restore a backup made "
		    "by this one", st->path, version, STORE_LATEST);
		goto fail;
	}
	for (v = version + 1; v <= STORE_LATEST; v++)
		if (store_apply(st, v) == -1)
			goto fail;
	if (store_exec(st, "COMMIT", "committing the migration") == -1)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
store_prepare(struct store *st)
{
	if (sqlite3_prepare_v2(st->db, store_save_sql, -1, &st->save,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_load_sql, -1, &st->load,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_gap_sql, -1, &st->gap,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_gaps_sql, -1, &st->gaps,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_audit_sql, -1, &st->audit,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_snap_sql, -1, &st->snap,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_snap_load_sql, -1, &st->snap_load,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_snap_supersede_sql, -1,
	    &st->snap_supersede, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_snap_stop_sql, -1, &st->snap_stop,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, store_version_sql, -1, &st->version,
	    NULL) != SQLITE_OK)
		return store_sqlfail(st, "preparing statements");
	return 0;
}

/* Releases without the final checkpoint: for files that failed to open. */
static void
store_free(struct store *st)
{
	sqlite3_finalize(st->save);
	sqlite3_finalize(st->load);
	sqlite3_finalize(st->gap);
	sqlite3_finalize(st->gaps);
	sqlite3_finalize(st->audit);
	sqlite3_finalize(st->snap);
	sqlite3_finalize(st->snap_load);
	sqlite3_finalize(st->snap_stop);
	sqlite3_finalize(st->snap_supersede);
	sqlite3_finalize(st->version);
	sqlite3_close(st->db);
	free(st);
}

static int
store_open_db(struct store *st)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if (store_check_dir(st) == -1)
		return -1;
	if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK)
		return store_sqlfail(st, "cannot open");
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	return 0;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "checkpoint database %s: out of memory",
		    path);
		return NULL;
	}
	if (strlcpy_(st->path, path, sizeof(st->path)) >= sizeof(st->path))
		store_fail(st, "checkpoint database path is longer than %zu "
		    "bytes: %.64s...", sizeof(st->path) - 1, path);
	else if (store_open_db(st) == 0 && store_check_integrity(st) == 0 &&
	    store_check_writable(st) == 0 && store_wal(st) == 0 &&
	    store_migrate(st) == 0 && store_durable(st) == 0 &&
	    store_prepare(st) == 0)
		return st;
	strlcpy_(err, st->err, errlen);
	store_free(st);
	return NULL;
}

/* Copies a TEXT column into buf; longer than buf means a foreign file. */
static int
store_column_text(struct store *st, sqlite3_stmt *stmt, int col,
    const char *name, char *buf, size_t size)
{
	const unsigned char *text = sqlite3_column_text(stmt, col);
	int len = sqlite3_column_bytes(stmt, col);

	if (text == NULL || (size_t)len >= size)
		return store_fail(st, "checkpoint database %s: stored %s is %s "
		    "(at most %zu bytes expected): %s", st->path, name,
		    text == NULL ? "NULL" : "too long", size - 1,
		    store_hint(SQLITE_CORRUPT));
	memcpy(buf, text, (size_t)len + 1);
	return 0;
}

static int
store_column_u64(struct store *st, sqlite3_stmt *stmt, int col,
    const char *name, uint64_t max, uint64_t *v)
{
	sqlite3_int64 i = sqlite3_column_int64(stmt, col);

	if (sqlite3_column_type(stmt, col) != SQLITE_INTEGER || i < 0 ||
	    (uint64_t)i > max)
		return store_fail(st, "checkpoint database %s: stored %s is not "
		    "an integer in 0..%llu: %s", st->path, name,
		    (unsigned long long)max, store_hint(SQLITE_CORRUPT));
	*v = (uint64_t)i;
	return 0;
}

static int
store_load_row(struct store *st, struct position *pos)
{
	sqlite3_stmt *s = st->load;
	uint64_t server_id;

	if (store_column_text(st, s, 0, "gtid", pos->gtid,
	    sizeof(pos->gtid)) ||
	    store_column_text(st, s, 1, "file", pos->file,
	    sizeof(pos->file)) ||
	    store_column_u64(st, s, 2, "offset", INT64_MAX, &pos->offset) ||
	    store_column_u64(st, s, 3, "server_id", UINT32_MAX, &server_id) ||
	    store_column_text(st, s, 4, "server_uuid", pos->server_uuid,
	    sizeof(pos->server_uuid)) ||
	    store_column_u64(st, s, 5, "event_ts", INT64_MAX, &pos->ts) ||
	    store_column_u64(st, s, 6, "rows_done", INT64_MAX,
	    &pos->rows_done))
		return -1;
	pos->server_id = (uint32_t)server_id;
	return 0;
}

static int
store_snap_row(struct store *st, struct snap_progress *p)
{
	sqlite3_stmt *s = st->snap_load;

	if (store_column_u64(st, s, 0, "snapshot id", INT64_MAX, &p->id) ||
	    store_column_text(st, s, 1, "snapshot kind", p->kind,
	    sizeof(p->kind)) ||
	    store_column_text(st, s, 2, "snapshot state", p->state,
	    sizeof(p->state)) ||
	    store_column_text(st, s, 3, "snapshot table_schema", p->db,
	    sizeof(p->db)) ||
	    store_column_text(st, s, 4, "snapshot table_name", p->table,
	    sizeof(p->table)) ||
	    store_column_text(st, s, 5, "snapshot last_key", p->last_key,
	    sizeof(p->last_key)) ||
	    store_column_u64(st, s, 6, "snapshot rows_done", INT64_MAX,
	    &p->rows) ||
	    store_column_text(st, s, 7, "snapshot condition", p->cond,
	    sizeof(p->cond)))
		return -1;
	return 0;
}

/* The running snapshot, if any, into p (id 0 when none). */
static int
store_snap_load(struct store *st, struct snap_progress *p)
{
	int rc, ret = 0;

	memset(p, 0, sizeof(*p));
	rc = sqlite3_step(st->snap_load);
	if (rc == SQLITE_ROW)
		ret = store_snap_row(st, p);
	else if (rc != SQLITE_DONE)
		ret = store_sqlfail(st, "loading the snapshot's progress");
	sqlite3_reset(st->snap_load);
	return ret;
}

int
store_load(struct store *st, struct position *pos, bool *found)
{
	int rc, ret = 0;

	memset(pos, 0, sizeof(*pos));
	*found = false;
	rc = sqlite3_step(st->load);
	if (rc == SQLITE_ROW) {
		*found = true;
		ret = store_load_row(st, pos);
	} else if (rc != SQLITE_DONE)
		ret = store_sqlfail(st, "loading the checkpoint");
	sqlite3_reset(st->load);
	if (ret == 0 && *found)
		ret = store_snap_load(st, &pos->snap);
	return ret;
}

static int
store_bind(struct store *st, const struct position *pos)
{
	sqlite3_stmt *s = st->save;

	if (pos->offset > INT64_MAX || pos->ts > INT64_MAX ||
	    pos->rows_done > INT64_MAX)
		return store_fail(st, "checkpoint database %s: position has "
		    "an offset, ts or rows_done above 2^63", st->path);
	if (sqlite3_bind_text(s, 1, pos->gtid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 2, pos->file, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64)pos->offset) ||
	    sqlite3_bind_int64(s, 4, pos->server_id) ||
	    sqlite3_bind_text(s, 5, pos->server_uuid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 6, (sqlite3_int64)pos->ts) ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64)pos->rows_done))
		return store_sqlfail(st, "binding the position");
	return 0;
}

static int
store_bind_snap(struct store *st, const struct position *pos)
{
	const struct snap_progress *p = &pos->snap;
	sqlite3_stmt *s = st->snap;

	if (p->id > INT64_MAX || p->rows > INT64_MAX)
		return store_fail(st, "checkpoint database %s: snapshot id or "
		    "rows above 2^63", st->path);
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)p->id) ||
	    sqlite3_bind_text(s, 2, p->kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 3, p->state, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 4, p->db, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 5, p->table, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 6, p->last_key, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64)p->rows) ||
	    sqlite3_bind_text(s, 8, pos->file, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 9, (sqlite3_int64)pos->offset) ||
	    sqlite3_bind_text(s, 10, pos->gtid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 11, p->cond, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st->snap_supersede, 1, (sqlite3_int64)p->id))
		return store_sqlfail(st, "binding the snapshot's progress");
	return 0;
}

/* Runs a bound INSERT to its end; its bindings are kept for a retry. */
static int
store_step(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE)
		store_sqlfail(st, what);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
store_bind_version(struct store *st, const struct version *v)
{
	sqlite3_stmt *s = st->version;

	if (v->offset > INT64_MAX)
		return store_fail(st, "checkpoint database %s: version offset "
		    "above 2^63", st->path);
	if (sqlite3_bind_text(s, 1, v->db, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 2, v->table, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 3, v->kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 4, v->columns, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 5, v->source, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 6, v->statement, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 7, v->file, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 8, (sqlite3_int64)v->offset) ||
	    sqlite3_bind_text(s, 9, v->gtid, -1, SQLITE_STATIC))
		return store_sqlfail(st, "binding a table version");
	return 0;
}

static int
store_versions(struct store *st, const struct version *v, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = store_bind_version(st, &v[i]) == -1 ? -1 :
		    store_step(st, st->version, "recording a table version");
	sqlite3_clear_bindings(st->version);
	return rc;
}

static int store_trim(struct store *, const struct position *);

/* The position, the snapshot's progress when there is one, the table
 * versions that belong to it and, for an operator's set (audit: the
 * position set), the audit row and the trim of later versions, in one
 * transaction: all reach the disk or none does.  An operator's position
 * stops a running snapshot. */
static int
store_write(struct store *st, bool snap, const struct position *audit,
    const struct version *v, size_t n)
{
	if (store_exec(st, "BEGIN IMMEDIATE", "starting a save") == -1)
		return -1;
	if (store_step(st, st->save, "saving the position") == -1 ||
	    (snap && store_step(st, st->snap, "saving the snapshot's "
	    "progress") == -1) ||
	    (snap && store_step(st, st->snap_supersede, "stopping the "
	    "incremental snapshot an initial one replaces") == -1) ||
	    (audit != NULL && store_step(st, st->snap_stop, "stopping the "
	    "running snapshot") == -1) ||
	    (audit != NULL && store_trim(st, audit) == -1) ||
	    store_versions(st, v, n) == -1 ||
	    (audit != NULL && store_step(st, st->audit, "recording the change "
	    "in the audit table") == -1)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (store_exec(st, "COMMIT", "committing the position") == -1) {
		/* A failed COMMIT may leave the transaction open. */
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int
store_save(struct store *st, const struct position *pos,
    const struct version *v, size_t n)
{
	bool snap = pos->snap.id != 0;
	int rc = -1;

	if (store_bind(st, pos) == 0 &&
	    (!snap || store_bind_snap(st, pos) == 0))
		rc = store_write(st, snap, NULL, v, n);
	sqlite3_clear_bindings(st->save);
	sqlite3_clear_bindings(st->snap);
	sqlite3_clear_bindings(st->snap_supersede);
	return rc;
}

static int
store_bind_audit(struct store *st, const struct position *from,
    const struct position *to, long uid, const char *reason,
    const char *action)
{
	sqlite3_stmt *s = st->audit;

	if (sqlite3_bind_text(s, 1, from->file, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)from->offset) ||
	    sqlite3_bind_text(s, 3, from->gtid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 4, to->file, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64)to->offset) ||
	    sqlite3_bind_text(s, 6, to->gtid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 7, uid) ||
	    sqlite3_bind_text(s, 8, reason, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 9, action, -1, SQLITE_STATIC))
		return store_sqlfail(st, "binding the audit row");
	return 0;
}

/* Versions valid after the new position are dropped with the move (in
 * store_write's transaction, as its one version row is a retake's). */
static int
store_trim(struct store *st, const struct position *to)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(st->db, store_trim_sql, -1, &stmt, NULL) !=
	    SQLITE_OK)
		return store_sqlfail(st, "trimming the schema history");
	sqlite3_bind_text(stmt, 1, to->file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)to->offset);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_sqlfail(st, "trimming the "
	    "schema history");
}

int
store_set(struct store *st, const struct position *from,
    const struct position *to, long uid, const char *action,
    const char *reason, const struct version *retake)
{
	int rc = -1;

	if (from->offset > INT64_MAX)
		store_fail(st, "checkpoint database %s: saved offset above "
		    "2^63", st->path);
	else if (store_bind(st, to) == 0 &&
	    store_bind_audit(st, from, to, uid, reason, action) == 0)
		rc = store_write(st, false, to, retake, retake != NULL);
	sqlite3_clear_bindings(st->save);
	sqlite3_clear_bindings(st->audit);
	return rc;
}

static int
store_bind_gap(struct store *st, const struct gap *g)
{
	sqlite3_stmt *s = st->gap;

	if (g->from.offset > INT64_MAX || g->to.offset > INT64_MAX)
		return store_fail(st, "checkpoint database %s: gap offset "
		    "above 2^63", st->path);
	if (sqlite3_bind_text(s, 1, g->from.file, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)g->from.offset) ||
	    sqlite3_bind_text(s, 3, g->from.gtid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 4, g->to.file, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64)g->to.offset) ||
	    sqlite3_bind_text(s, 6, g->to.gtid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 7, g->reason, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 8, g->server, -1, SQLITE_STATIC))
		return store_sqlfail(st, "binding the gap");
	return 0;
}

/* One autocommit INSERT: a transaction of its own, synchronous=FULL. */
int
store_gap(struct store *st, const struct gap *g)
{
	int rc;

	if (store_bind_gap(st, g) == -1) {
		sqlite3_clear_bindings(st->gap);
		return -1;
	}
	rc = sqlite3_step(st->gap);
	if (rc != SQLITE_DONE)
		store_sqlfail(st, "recording a gap");
	sqlite3_reset(st->gap);
	sqlite3_clear_bindings(st->gap);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_gaps(struct store *st, uint64_t *count, char *last, size_t size)
{
	int rc;

	*count = 0;
	last[0] = '\0';
	rc = sqlite3_step(st->gaps);
	if (rc == SQLITE_ROW) {
		*count = (uint64_t)sqlite3_column_int64(st->gaps, 0);
		strlcpy_(last, (const char *)sqlite3_column_text(st->gaps, 1),
		    size);
	} else
		store_sqlfail(st, "counting gaps");
	sqlite3_reset(st->gaps);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Steps a prepared "count, line" query to its end: the lines, one per
 * row, into buf; finalizes it. */
static int
store_lines(struct store *st, sqlite3_stmt *stmt, uint64_t *count,
    char *buf, size_t size, const char *what)
{
	size_t len = 0;
	int rc;

	*count = 0;
	buf[0] = '\0';
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*count = (uint64_t)sqlite3_column_int64(stmt, 0);
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    len ? "\n" : "", sqlite3_column_text(stmt, 1));
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_sqlfail(st, what);
}

int
store_list(struct store *st, enum store_list which, uint64_t *count,
    char *buf, size_t size)
{
	sqlite3_stmt *stmt;

	*count = 0;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(st->db, store_list_sql[which], -1, &stmt,
	    NULL) != SQLITE_OK)
		return store_sqlfail(st, "listing gaps or audit rows");
	return store_lines(st, stmt, count, buf, size, "listing gaps or "
	    "audit rows");
}

int
store_saved_at(struct store *st, char *iso, size_t size, uint64_t *epoch)
{
	sqlite3_stmt *stmt;
	int rc;

	iso[0] = '\0';
	*epoch = 0;
	if (sqlite3_prepare_v2(st->db, store_saved_at_sql, -1, &stmt,
	    NULL) != SQLITE_OK)
		return store_sqlfail(st, "reading saved_at");
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		strlcpy_(iso, (const char *)sqlite3_column_text(stmt, 0),
		    size);
		*epoch = (uint64_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store_sqlfail(st, "reading saved_at");
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	/* Folds the WAL into the main file, so that a backup of the main
	 * file alone is complete after a clean stop. */
	if (sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	    NULL, NULL) != SQLITE_OK)
		log_errx("checkpoint database %s: final checkpoint: %s",
		    st->path, sqlite3_errmsg(st->db));
	store_free(st);
}

int
store_history(struct store *st, store_version_cb cb, void *arg,
    uint64_t *count)
{
	sqlite3_stmt *stmt;
	int rc;

	*count = 0;
	if (sqlite3_prepare_v2(st->db, store_history_sql, -1, &stmt, NULL) !=
	    SQLITE_OK)
		return store_sqlfail(st, "reading the schema history");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (cb != NULL)
			cb(arg, (const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1),
		    (const char *)sqlite3_column_text(stmt, 2),
		    (const char *)sqlite3_column_text(stmt, 3));
		(*count)++;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_sqlfail(st, "reading the schema "
	    "history");
}

int
store_history_list(struct store *st, const char *db, const char *table,
    uint64_t *count, char *buf, size_t size)
{
	sqlite3_stmt *stmt;

	*count = 0;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(st->db, store_versions_sql, -1, &stmt, NULL) !=
	    SQLITE_OK)
		return store_sqlfail(st, "listing a table's versions");
	sqlite3_bind_text(stmt, 1, db, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, table, -1, SQLITE_STATIC);
	return store_lines(st, stmt, count, buf, size, "listing a table's "
	    "versions");
}
