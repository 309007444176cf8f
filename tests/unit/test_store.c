/* test_store.c: checkpointd's SQLite store against real database files in
 * a private temporary directory: round trips, migrations, and refusals of
 * corrupt, newer, unwritable and failing files. */
#include "build.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "checkpointd.h"
#include "log.h"
#include "tap.h"
#include "util.h"

/* Who owns the files of the permission tests when we run as root. */
#define NOBODY	65534

static char tmpdir[] = "/tmp/test_store.XXXXXX";

static const char *
tpath(const char *name)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", tmpdir, name);
	return buf[n];
}

static void
make_position(struct position *p, int seed)
{
	int i;

	memset(p, 0, sizeof(*p));
	snprintf(p->gtid, sizeof(p->gtid), "0-1-%d,1-2-%d", 100 + seed,
	    7 * seed);
	snprintf(p->file, sizeof(p->file), "mariadb-bin.%06d", seed);
	p->offset = 4294967296ULL + (uint64_t)seed;	/* above 32 bits */
	p->server_id = 4294967295U - (uint32_t)seed;
	snprintf(p->server_uuid, sizeof(p->server_uuid),
	    "3e11fa47-71ca-11e1-9e33-c80aa9429%03d", seed);
	p->ts = 1700000000ULL + (uint64_t)seed;
	p->rows_done = (uint64_t)seed * 3;
	/* The longest GTID set the struct can carry must survive too. */
	if (seed == 99) {
		for (i = 0; i < POS_GTID_MAX - 1; i++)
			p->gtid[i] = (char)('0' + i % 10);
		p->gtid[POS_GTID_MAX - 1] = '\0';
	}
}

static void
check_same_position(const struct position *got, const struct position *want)
{
	CHECK_STR(got->gtid, want->gtid);
	CHECK_STR(got->file, want->file);
	CHECK_U64(got->offset, want->offset);
	CHECK_U64(got->server_id, want->server_id);
	CHECK_STR(got->server_uuid, want->server_uuid);
	CHECK_U64(got->ts, want->ts);
	CHECK_U64(got->rows_done, want->rows_done);
}

/* Opens path with SQLite directly, as an operator's sqlite3 shell would. */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		printf("# raw open %s: %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	return db;
}

/* The first column of the first row of sql, as an integer. */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *stmt;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	else
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);

	if (!CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK))
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static struct store *
must_open(const char *path)
{
	char err[2048];
	struct store *st = store_open(path, err, sizeof(err));

	if (st == NULL) {
		printf("# store_open %s: %s\n", path, err);
		exit(1);
	}
	return st;
}

/* What st holds now is want. */
static void
check_loads(struct store *st, const struct position *want)
{
	struct position got;
	bool found = false;

	CHECK_INT(store_load(st, &got, &found), 0);
	CHECK(found);
	check_same_position(&got, want);
}

/* What a fresh open of path finds is want. */
static void
check_reopen_loads(const char *path, const struct position *want)
{
	struct store *st = must_open(path);

	check_loads(st, want);
	store_close(st);
}

static void
save_one(const char *path, const struct position *p)
{
	struct store *st = must_open(path);

	CHECK_INT(store_save(st, p, NULL, 0), 0);
	store_close(st);
}

/* The whole file, for byte comparisons; *len gets its size. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) < 0)
		return NULL;
	rewind(fp);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, fp);
	fclose(fp);
	return buf;
}

static void
spit(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		printf("# write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void
test_round_trip(void)
{
	const char *path = tpath("round.db");
	struct position want, got;
	struct store *st;
	bool found = true;

	st = must_open(path);
	CHECK_INT(store_load(st, &got, &found), 0);
	CHECK(!found);
	make_position(&want, 1);
	CHECK_INT(store_save(st, &want, NULL, 0), 0);
	make_position(&want, 2);		/* the latest save wins */
	CHECK_INT(store_save(st, &want, NULL, 0), 0);
	store_close(st);
	check_reopen_loads(path, &want);

	/* The file is readable by SQLite itself, one row, our numbers. */
	CHECK_INT(raw_int(path, "SELECT count(*) FROM checkpoint"), 1);
	CHECK_INT(raw_int(path, "SELECT offset FROM checkpoint"),
	    (int64_t)want.offset);
	CHECK_INT(raw_int(path, "SELECT server_id FROM checkpoint"),
	    (int64_t)want.server_id);
	CHECK_INT(raw_int(path, "SELECT length(saved_at) FROM checkpoint"),
	    (int64_t)strlen("2024-01-01T00:00:00.000Z"));
}

static void
test_longest_gtid(void)
{
	const char *path = tpath("long.db");
	struct position want;

	make_position(&want, 99);
	save_one(path, &want);
	check_reopen_loads(path, &want);
}

/* A value no position can hold is reported, not truncated. */
static void
test_oversized_row(void)
{
	const char *path = tpath("oversized.db");
	struct position p;
	struct store *st;
	bool found = false;

	make_position(&p, 3);
	save_one(path, &p);
	raw_exec(path, "UPDATE checkpoint SET server_uuid = "
	    "printf('%0100d', 7)");
	st = must_open(path);
	CHECK_INT(store_load(st, &p, &found), -1);
	CHECK_HAS(store_error(st), "server_uuid");
	CHECK_HAS(store_error(st), path);
	store_close(st);
}

static void
test_schema_version(void)
{
	const char *path = tpath("schema.db");

	store_close(must_open(path));
	CHECK(store_schema_latest() >= 1);
	CHECK_INT(raw_int(path, "SELECT max(version) FROM schema_version"),
	    store_schema_latest());
	CHECK_INT(raw_int(path, "SELECT count(*) FROM schema_version"),
	    store_schema_latest());
	/* Reopening applies nothing twice. */
	store_close(must_open(path));
	CHECK_INT(raw_int(path, "SELECT count(*) FROM schema_version"),
	    store_schema_latest());
	CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'checkpoint'"), 1);
}

/* Gaps: none on a new file; each one recorded survives a reopen and the
 * summary names the newest; the same gap twice is one; a version-1 file
 * gains the table and keeps its position. */
static void
test_gaps(void)
{
	const char *path = tpath("gaps.db");
	struct position p;
	struct gap g;
	struct store *st;
	char last[1024];
	uint64_t n = 9;

	make_position(&p, 5);
	save_one(path, &p);
	raw_exec(path, "DROP TABLE gaps; DROP TABLE audit; DROP TABLE "
	    "snapshot_progress; DROP TABLE schema_history; DELETE FROM "
	    "schema_version WHERE version >= 2");
	st = must_open(path);
	check_loads(st, &p);
	CHECK_INT(store_gaps(st, &n, last, sizeof(last)), 0);
	CHECK_U64(n, 0);
	CHECK_STR(last, "");
	memset(&g, 0, sizeof(g));
	g.from = p;
	strcpy(g.to.file, "mariadb-bin.000007");
	g.to.offset = 4;
	strcpy(g.to.gtid, "0-1-200");
	strcpy(g.reason, "Could not find first log file name");
	strcpy(g.server, "127.0.0.1:3306 server_id 1");
	CHECK_INT(store_gap(st, &g), 0);
	g.to.offset = 5;
	CHECK_INT(store_gap(st, &g), 0);
	/* the same gap again, as a restarted streamer finds it: kept once */
	CHECK_INT(store_gap(st, &g), 0);
	store_close(st);

	st = must_open(path);
	CHECK_INT(store_gaps(st, &n, last, sizeof(last)), 0);
	CHECK_U64(n, 2);
	CHECK_HAS(last, "mariadb-bin.000005:4294967301 -> "
	    "mariadb-bin.000007:5 (Could not find first log file name)");
	store_close(st);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM gaps WHERE from_file = "
	    "'mariadb-bin.000005' AND from_offset = 4294967301 AND from_gtid = "
	    "'0-1-105,1-2-35' AND to_file = 'mariadb-bin.000007' AND to_offset "
	    "= 4 AND to_gtid = '0-1-200' AND server = '127.0.0.1:3306 "
	    "server_id 1'"), 1);
}

static void
test_wal_mode(void)
{
	const char *path = tpath("wal.db");
	sqlite3 *db;
	sqlite3_stmt *stmt;

	store_close(must_open(path));
	db = raw_open(path);
	if (CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt,
	    NULL) == SQLITE_OK) && CHECK(sqlite3_step(stmt) == SQLITE_ROW))
		CHECK_STR((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* store_open refuses path with a message naming it and saying why and
 * what to do. */
static void
check_refused(const char *path, const char *why, const char *todo)
{
	char err[2048];

	err[0] = '\0';
	CHECK(store_open(path, err, sizeof(err)) == NULL);
	printf("# refused: %s\n", err);
	CHECK_HAS(err, path);
	CHECK_HAS(err, why);
	CHECK_HAS(err, todo);
}

static void
test_newer_schema(void)
{
	const char *path = tpath("newer.db");
	char sql[256], want[64];

	store_close(must_open(path));
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, "
	    "'2099-01-01T00:00:00Z', 'from the future')",
	    store_schema_latest() + 1);
	raw_exec(path, sql);
	snprintf(want, sizeof(want), "schema version %d",
	    store_schema_latest() + 1);
	check_refused(path, want, "newer binlogd");
}

/* Refused, explained, and the file left exactly as it was. */
static void
check_refused_untouched(const char *path, const char *why)
{
	char *before, *after;
	size_t blen, alen;

	before = slurp(path, &blen);
	check_refused(path, why, "move it away");
	after = slurp(path, &alen);
	if (CHECK(before != NULL && after != NULL)) {
		CHECK_U64(alen, blen);
		CHECK(alen == blen && memcmp(before, after, blen) == 0);
	}
	free(before);
	free(after);
}

static void
test_not_sqlite(void)
{
	const char *path = tpath("garbage.db");
	char text[8192];
	size_t i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = "binlogd checkpoint? no.\n"[i % 24];
	spit(path, text, sizeof(text));
	check_refused_untouched(path, "not a database");
}

static void
test_corrupt_pages(void)
{
	const char *path = tpath("corrupt.db");
	struct position p;
	char *data;
	size_t len, i;

	make_position(&p, 4);
	save_one(path, &p);
	data = slurp(path, &len);
	if (!CHECK(data != NULL && len > 4096))
		return;
	/* Keep page 1 (header and schema), scribble over every other. */
	for (i = 4096; i < len; i++)
		data[i] = (char)(0xa5 ^ (i & 0xff));
	spit(path, data, len);
	free(data);
	check_refused_untouched(path, "corrupt");
}

static void
test_missing_dir(void)
{
	const char *path = tpath("no/such/dir/ckpt.db");
	char why[600];

	snprintf(why, sizeof(why), "directory %s: No such file or directory",
	    tpath("no/such/dir"));
	check_refused(path, why, "create it");
	CHECK(access(tpath("no"), F_OK) == -1);
}

/* Runs in a child that cannot write where it is told to. */
static int
perm_child(void)
{
	check_refused(tpath("rodir/new.db"), "unable to open", "writable");
	check_refused(tpath("rodir/old.db"), "readonly database", "writable");
	check_refused(tpath("rwdir/ro.db"), "read-only", "writable");
	fflush(stdout);
	return tap_fails ? 1 : 0;
}

/* Drops to an unprivileged user when root, since root writes anywhere. */
static int
perm_drop(void)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
	    setuid(NOBODY) == -1)
		return -1;
	return 0;
}

static void
perm_setup(void)
{
	struct position p;
	uid_t uid = geteuid() == 0 ? NOBODY : geteuid();

	make_position(&p, 5);
	if (mkdir(tpath("rodir"), 0755) == -1 ||
	    mkdir(tpath("rwdir"), 0755) == -1)
		exit(1);
	save_one(tpath("rodir/old.db"), &p);
	save_one(tpath("rwdir/ro.db"), &p);
	/* The child must get through tmpdir, and own what it may not write,
	 * so that only the mode bits stop it. */
	if (chmod(tmpdir, 0711) == -1 ||
	    chown(tpath("rodir"), uid, uid) == -1 ||
	    chown(tpath("rodir/old.db"), uid, uid) == -1 ||
	    chown(tpath("rwdir"), uid, uid) == -1 ||
	    chown(tpath("rwdir/ro.db"), uid, uid) == -1 ||
	    chmod(tpath("rodir"), 0555) == -1 ||
	    chmod(tpath("rwdir/ro.db"), 0444) == -1)
		printf("# permission setup: %s\n", strerror(errno));
}

static void
test_unwritable(void)
{
	pid_t pid;
	int status;

	perm_setup();
	fflush(stdout);
	if ((pid = fork()) == -1)
		exit(1);
	if (pid == 0) {
		if (perm_drop() == -1) {
			printf("# cannot drop root to uid %d: %s\n", NOBODY,
			    strerror(errno));
			_exit(77);
		}
		_exit(perm_child());
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		printf("# SKIP: no unprivileged user to test permissions "
		    "with\n");
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	chmod(tpath("rodir"), 0755);
	chmod(tmpdir, 0700);
}

/*
 * A save that cannot be written (here: the file size limit stands in for a
 * full disk, without privileges) fails, and the last committed position is
 * what a reader and a later open see.
 */
static void
test_failed_save(void)
{
	const char *path = tpath("full.db");
	struct position old, new;
	struct rlimit rl, tiny;
	struct store *st;
	int rc;

	make_position(&old, 6);
	make_position(&new, 7);
	st = must_open(path);
	CHECK_INT(store_save(st, &old, NULL, 0), 0);
	if (getrlimit(RLIMIT_FSIZE, &rl) == -1)
		exit(1);
	signal(SIGXFSZ, SIG_IGN);
	tiny = rl;
	tiny.rlim_cur = 1;
	fflush(stdout);
	/* Nothing may be printed while the limit is set. */
	if (setrlimit(RLIMIT_FSIZE, &tiny) == -1)
		exit(1);
	rc = store_save(st, &new, NULL, 0);
	setrlimit(RLIMIT_FSIZE, &rl);
	CHECK_INT(rc, -1);
	printf("# failed save: %s\n", store_error(st));
	CHECK_HAS(store_error(st), path);
	check_loads(st, &old);
	store_close(st);
	check_reopen_loads(path, &old);
}

/* A snapshot's progress goes with its position and comes back while it
 * runs; done, or stopped by an operator's position, it does not. */
static void
test_snapshot_progress(void)
{
	const char *path = tpath("snap.db");
	struct position p, got;
	struct store *st = must_open(path);
	bool found;

	make_position(&p, 3);
	p.snap.id = 1700000000123456ULL;
	strcpy(p.snap.kind, "initial");
	strcpy(p.snap.state, "running");
	strcpy(p.snap.db, "shop");
	strcpy(p.snap.table, "orders");
	strcpy(p.snap.last_key, "[42,\"a\\\"b\"]");
	p.snap.rows = 2048;
	CHECK_INT(store_save(st, &p, NULL, 0), 0);
	make_position(&p, 4);	/* the stream's next: no progress */
	p.snap.id = 0;
	CHECK_INT(store_save(st, &p, NULL, 0), 0);
	CHECK_INT(store_load(st, &got, &found), 0);
	CHECK_U64(got.snap.id, 1700000000123456ULL);
	CHECK_STR(got.snap.state, "running");
	CHECK_STR(got.snap.table, "orders");
	CHECK_STR(got.snap.last_key, "[42,\"a\\\"b\"]");
	CHECK_U64(got.snap.rows, 2048);
	check_same_position(&got, &p);
	CHECK_INT(raw_int(path, "SELECT from_offset FROM snapshot_progress"),
	    4294967296LL + 3);
	CHECK_INT(store_set(st, &p, &p, 0, "set-position", "test", NULL), 0);
	CHECK_INT(store_load(st, &got, &found), 0);
	CHECK_U64(got.snap.id, 0);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM snapshot_progress "
	    "WHERE state = 'stopped'"), 1);
	store_close(st);
}

/* An incremental snapshot's condition comes back with it; a running one
 * never hides an unfinished initial one, and an initial one begun after
 * it stops it. */
static void
test_snapshot_kinds(void)
{
	const char *path = tpath("kinds.db");
	struct position p, got;
	struct store *st = must_open(path);
	bool found;

	make_position(&p, 5);
	p.snap.id = 1000;
	strcpy(p.snap.kind, "incremental");
	strcpy(p.snap.state, "running");
	strcpy(p.snap.db, "shop");
	strcpy(p.snap.table, "b");
	strcpy(p.snap.last_key, "[7]");
	strcpy(p.snap.cond, "c > 'x'");
	CHECK_INT(store_save(st, &p, NULL, 0), 0);
	p.snap.id = 2000;	/* snapshot = when_needed, after it */
	strcpy(p.snap.kind, "initial");
	strcpy(p.snap.table, "a");
	CHECK_INT(store_save(st, &p, NULL, 0), 0);
	CHECK_INT(raw_int(path, "SELECT count(*) FROM snapshot_progress "
	    "WHERE state = 'running'"), 1);
	p.snap.id = 3000;	/* a newer incremental one does not hide it */
	strcpy(p.snap.kind, "incremental");
	strcpy(p.snap.table, "b");
	CHECK_INT(store_save(st, &p, NULL, 0), 0);
	CHECK_INT(store_load(st, &got, &found), 0);
	CHECK_STR(got.snap.kind, "initial");
	CHECK_U64(got.snap.id, 2000);
	p.snap.id = 2000;
	strcpy(p.snap.kind, "initial");
	strcpy(p.snap.state, "done");
	p.snap.cond[0] = '\0';
	CHECK_INT(store_save(st, &p, NULL, 0), 0);
	CHECK_INT(store_load(st, &got, &found), 0);
	CHECK_STR(got.snap.kind, "incremental");
	CHECK_U64(got.snap.id, 3000);
	CHECK_STR(got.snap.cond, "c > 'x'");
	CHECK_STR(got.snap.last_key, "[7]");
	store_close(st);
}

static int
rm_one(const char *path, const struct stat *sb UNUSED, int flag UNUSED,
    struct FTW *ftw UNUSED)
{
	return remove(path);
}

int
main(void)
{
	log_init("test_store", LOG_TO_STDERR, 0);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_round_trip);
	RUN(test_longest_gtid);
	RUN(test_oversized_row);
	RUN(test_schema_version);
	RUN(test_gaps);
	RUN(test_snapshot_progress);
	RUN(test_snapshot_kinds);
	RUN(test_wal_mode);
	RUN(test_newer_schema);
	RUN(test_not_sqlite);
	RUN(test_corrupt_pages);
	RUN(test_missing_dir);
	RUN(test_unwritable);
	RUN(test_failed_save);
	if (tap_fails == 0)
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("# files kept in %s\n", tmpdir);
	return tap_done();
}
