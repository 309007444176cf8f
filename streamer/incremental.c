/* incremental.c: binlogctl snapshot DB.TABLE [WHERE] -- a table's
 * existing rows while the stream goes on, by the DBLog method (Debezium's
 * and Flink CDC's incremental snapshots).
 *
 * The reader thread does it all, between the events it decodes, so that
 * the stream and the chunks meet in the one order the records go out in.
 * A chunk is snapshot_chunk_size rows in primary-key order after the last
 * chunk's last key, read on a connection of its own (autocommit: one
 * statement, one read view) between two watermarks: rows binlogd writes
 * into its own table ([stream] snapshot_watermark_table), so that the
 * low mark, then the high mark, pass through the stream.  The chunk is
 * held in memory until the stream reaches them.  Between the low and the
 * high mark, every row the stream changes in the table drops its keys
 * (before and after) from the chunk: the stream's record of that row is
 * newer than, or as new as, what the chunk read.  At the high mark the
 * rows left go out as snapshot records, read while the stream was there.
 *
 * One commit per chunk, one chunk ahead.  A low mark only has to be
 * committed before the chunk's SELECT starts: then every change before
 * it in the binlog is in the rows read (commits become visible in binlog
 * order), and every change the rows miss comes after it, inside the
 * window.  The high mark of chunk n is such a mark for chunk n + 1, whose
 * SELECT runs after that INSERT returned: chunk n + 1's window is (high
 * n, high n + 1), and only the first chunk (of a start or a resume)
 * writes a low mark.  So chunk n + 1 need not wait for the stream: it is
 * read, and its high mark written, right after chunk n's, while the
 * stream goes on to high n; the stream's changes before high n are in
 * its rows already and drop nothing from it.  When the stream reaches
 * high n, chunk n goes out, chunk n + 1's window opens, and chunk n + 2
 * is read.  Two chunks in memory, never more; per chunk one SELECT and
 * one small commit, and the trip of a mark through the stream overlaps
 * the next chunk's reading (bench/snapshot: 300,000 rows of 1,024-row
 * chunks 1.73 s with a low and a high mark each and no read-ahead, 1.14 s
 * so).  And a chunk's size adapts (incr_adapt): those costs are per
 * chunk, not per row.
 *
 * Why a watermark table rather than the GTID set read before and after
 * the chunk (Debezium's read-only variant): MariaDB sets
 * gtid_binlog_pos when a transaction is written to the binlog, before
 * the engine commits it, so a GTID read can count as before the chunk a
 * change the chunk's SELECT did not yet see -- and the chunk's older
 * value would then go out after the stream's newer one.  A watermark
 * INSERT returns only after its own commit, and MariaDB commits in binlog
 * order, so everything before the low mark in the binlog is visible to
 * the SELECT that follows it.  The price: the user needs INSERT and
 * UPDATE on that table (and CREATE, for binlogd to create it), and each
 * chunk writes two small transactions.
 *
 * While a snapshot runs, rows events are decoded on the reader thread
 * (no parallel formatting): a chunk's keys are dropped in binlog order.
 * A failure of the snapshot's own SQL stops the snapshot, not the
 * stream, and binlogctl status says so; the loss of its connection only
 * pauses it (incr_failed).
 *
 * Resuming.  The progress (struct snap_progress, kind incremental: the
 * table, the condition, the last key of the last chunk out) rides on
 * the position of the first commit after it changed -- the high mark's
 * transaction, after the chunk's records -- so checkpointd saves it only
 * once they are durable, and on every later position (position_advance).
 * A reconnect (or the loss of the snapshot's own connection) pauses the
 * snapshot, a restart finds it in the checkpoint;
 * either way, once the stream runs, the next chunk is read after that
 * key in new windows (incr_resume says why that stays consistent).
 * The end (done, or stopped by binlogctl snapshot stop or a failure)
 * rides the same way, so a finished or stopped snapshot is not resumed.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <event2/event.h>

#include "exitcode.h"
#include "log.h"
#include "msg.h"
#include "output.h"
#include "peer.h"
#include "streamer.h"
#include "util.h"

#define INCR_WHERE_MAX	POS_COND_MAX
#define INCR_MSG_MAX	1024
#define INCR_CUR	(&incr.ck[incr.cur])
/* A chunk grows (doubles) while reading it and committing its mark take
 * under INCR_CHUNK_MS, and shrinks (halves) above twice that, between
 * snapshot_chunk_size rows and INCR_GROW times that, or INCR_ROWS_MAX
 * if less (and the configured size is less). */
#define INCR_CHUNK_MS	20
#define INCR_GROW	16
#define INCR_ROWS_MAX	65536

/* A request from binlogctl, from the main thread to the reader, and its
 * answer back.  Under mu. */
struct incr_req {
	char		 db[65];
	char		 table[65];
	char		 where[INCR_WHERE_MAX];
	bool		 stop;
	uint32_t	 id;		/* the supervisor's SNAPSHOT */
};

static struct {
	pthread_mutex_t	 mu;
	int		 ask[2];	/* main -> reader: a request waits */
	int		 answer[2];	/* reader -> main: it is answered */
	atomic_bool	 asked;
	struct incr_req	 req;
	bool		 answered;
	uint32_t	 answer_id;
	int		 answer_result;	/* enum ctl_result */
	char		 answer_msg[INCR_MSG_MAX];
	struct peer	**sup;
	struct event	*ev;
} io = { .mu = PTHREAD_MUTEX_INITIALIZER, .ask = { -1, -1 } };

/* A chunk read: row i's values are vals[row_at[i], row_at[i + 1])
 * placed by spans[i * ncols ...] (offsets from row_at[i]), its key
 * keys[key_at[i], key_at[i + 1]). */
struct incr_chunk {
	char		 token[40];	/* its marks' prefix */
	size_t		 nrows;
	bool		 last;		/* fewer rows than a chunk: the end */
	struct obuf	 vals, keys;
	size_t		*row_at, *key_at;
	struct span	*spans;
	bool		*gone;
	size_t		 cap;		/* rows the arrays hold */
	uint32_t	 ncols;		/* ... of ncols columns */
};

/* The running snapshot: the reader thread's alone. */
static struct {
	atomic_bool	 active;	/* rows decoded on the reader */
	bool		 paused;	/* by a reconnect: resumed after it */
	double		 retry_at;	/* its own connection lost: when to
					 * resume while the stream runs (0:
					 * at the stream's next start) */
	MYSQL		*m;
	struct tablemap	 tm;		/* the table, as snapshot_map made it */
	uint32_t	 pk[SNAP_KEY_MAX];	/* its primary key's columns */
	uint32_t	 nkey;
	/* what checkpointd saves (kind incremental): cond the WHERE, state
	 * running, done or stopped, last_key the last chunk out's */
	struct snap_progress p;
	bool		 stamp_due;	/* p changed: onto the next commit */
	struct obuf	 cursor;	/* the next chunk read starts after it */
	struct obuf	 done_key;	/* the last chunk out's last key */
	char		 wm_db[65], wm_table[65];
	/* the chunk whose window is next or open, ck[cur]; ck[!cur] read
	 * ahead when ahead */
	struct incr_chunk ck[2];
	int		 cur;
	bool		 ahead;
	enum { INCR_LOW, INCR_WINDOW, INCR_HIGH } phase;
	bool		 started;	/* its start mark went out */
	uint64_t	 chunks, rows, dropped;
	double		 t0;		/* when it began or resumed */
	uint64_t	 estimate;	/* information_schema's TABLE_ROWS */
	uint32_t	 limit;		/* rows of the next chunk read */
	uint32_t	 sent_limit;	/* ... of the chunk whose query is sent */
	struct obuf	 key;		/* a stream row's key */
	struct obuf	 q;
	char		 error[INCR_MSG_MAX];
} incr;

/* --- the main thread ----------------------------------------------- */

static void
incr_reply(uint32_t id, int result, const char *text)
{
	struct msg_out m;

	if (*io.sup == NULL)
		return;
	msg_out_begin(&m, MSG_SNAPSHOT_DONE, id);
	msg_put_u64(&m, "result", (uint64_t)result);
	msg_put_str(&m, "message", text);
	peer_send(*io.sup, &m);
	msg_out_free(&m);
}

static void
incr_answered(evutil_socket_t fd, short ev UNUSED, void *arg UNUSED)
{
	char buf[64], text[INCR_MSG_MAX];
	uint32_t id;
	int result;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&io.mu);
	if (!io.answered) {
		pthread_mutex_unlock(&io.mu);
		return;
	}
	io.answered = false;
	id = io.answer_id;
	result = io.answer_result;
	strlcpy_(text, io.answer_msg, sizeof(text));
	pthread_mutex_unlock(&io.mu);
	incr_reply(id, result, text);
}

void
incr_setup(struct event_base *base, struct peer **sup)
{
	int i;

	if (pipe(io.ask) == -1 || pipe(io.answer) == -1)
		fatal("incr_setup");
	for (i = 0; i < 2; i++) {
		fd_nonblock(io.ask[i], 1);
		fd_nonblock(io.answer[i], 1);
		fd_cloexec(io.ask[i], 1);
		fd_cloexec(io.answer[i], 1);
	}
	io.sup = sup;
	if ((io.ev = event_new(base, io.answer[0], EV_READ | EV_PERSIST,
	    incr_answered, NULL)) == NULL || event_add(io.ev, NULL) == -1)
		fatalx("cannot set up the snapshot requests' event");
}

/* "db.table" into its two names: false unless each has 1 to 64 bytes. */
static bool
incr_split(const char *s, size_t len, char *db, char *table)
{
	const char *dot = memchr(s, '.', len);
	size_t dl, tl;

	if (dot == NULL)
		return false;
	dl = (size_t)(dot - s);
	tl = len - dl - 1;
	if (dl == 0 || tl == 0 || dl > 64 || tl > 64 ||
	    memchr(s, '\0', len) != NULL)
		return false;
	memcpy(db, s, dl);
	db[dl] = '\0';
	memcpy(table, dot + 1, tl);
	table[tl] = '\0';
	return true;
}

/* The supervisor's SNAPSHOT: checked for form here, handed to the
 * reader, which answers once it has looked at the table. */
void
incr_request(struct msg_in *msg)
{
	struct incr_req req;
	const char *table, *where;
	size_t tlen, wlen;
	uint64_t uid;

	memset(&req, 0, sizeof(req));
	msg_get_str(msg, "table", &table, &tlen);
	msg_get_str(msg, "where", &where, &wlen);
	msg_get_u64(msg, "uid", &uid);
	msg_sibling_end("supervisor", msg);
	req.id = msg->id;
	req.stop = tlen == 4 && memcmp(table, "stop", 4) == 0;
	if (!req.stop && !incr_split(table, tlen, req.db, req.table)) {
		incr_reply(req.id, CTL_INVALID, "give the table as "
		    "DATABASE.TABLE (or stop)");
		return;
	}
	if (wlen >= sizeof(req.where) || memchr(where, '\0', wlen) != NULL) {
		incr_reply(req.id, CTL_INVALID, "the WHERE condition is "
		    "longer than 4095 bytes");
		return;
	}
	memcpy(req.where, where, wlen);
	pthread_mutex_lock(&io.mu);
	if (atomic_load(&io.asked)) {
		pthread_mutex_unlock(&io.mu);
		incr_reply(req.id, CTL_FAILED, "another snapshot request is "
		    "being answered; try again");
		return;
	}
	io.req = req;
	atomic_store(&io.asked, true);
	pthread_mutex_unlock(&io.mu);
	log_info("snapshot request from uid %llu: %s%s%s%s%s",
	    (unsigned long long)uid, req.stop ? "stop" : req.db,
	    req.stop ? "" : ".", req.table, wlen ? " where " : "", req.where);
	(void)write(io.ask[1], "a", 1);
}

/* --- the reader thread ----------------------------------------------- */

int
incr_wake_fd(void)
{
	return io.ask[0];
}

static void
incr_answer(uint32_t id, int result, const char *text)
{
	pthread_mutex_lock(&io.mu);
	io.answered = true;
	io.answer_id = id;
	io.answer_result = result;
	strlcpy_(io.answer_msg, text, sizeof(io.answer_msg));
	atomic_store(&io.asked, false);
	pthread_mutex_unlock(&io.mu);
	(void)write(io.answer[1], "a", 1);
}

/* What binlogctl status shows (stats.c, as for the initial snapshot):
 * state running, done, stopped or failed. */
static void
incr_progress(const char *state)
{
	static struct snap_progress p;

	p = incr.p;
	strlcpy_(p.state, state, sizeof(p.state));
	stats_snapshot(&p, incr.rows, incr.estimate, incr.chunks);
}

/* A statement of the snapshot's own: -1 with incr.error set. */
static int
incr_sql(const char *sql, const char *what)
{
	if (mysql_query(incr.m, sql) == 0)
		return 0;
	snprintf(incr.error, sizeof(incr.error), "%s: %s (%u)", what,
	    mysql_error(incr.m), mysql_errno(incr.m));
	return -1;
}

/* The snapshot's connection was lost (a server restart, a KILL, a
 * timeout), not refused by its SQL. */
static bool
incr_lost(void)
{
	unsigned e = incr.m != NULL ? mysql_errno(incr.m) : 0;

	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == 1053 /* ER_SERVER_SHUTDOWN */ ||
	    e == 1927 /* ER_CONNECTION_KILLED */;
}

/* The first row's first two values as numbers (NULL: 0); -1 on error. */
static int
incr_counts(const char *sql, unsigned long long v[2])
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	int i;

	if (incr_sql(sql, "information_schema") == -1 ||
	    (res = mysql_store_result(incr.m)) == NULL)
		return -1;
	v[0] = v[1] = 0;
	if ((row = mysql_fetch_row(res)) != NULL)
		for (i = 0; i < 2 && i < (int)mysql_num_fields(res); i++)
			v[i] = row[i] ? strtoull(row[i], NULL, 10) : 0;
	mysql_free_result(res);
	return 0;
}

/* Appends 'db' and 'table' as the string literals of "? AND ... = ?". */
static void
incr_names_sql(struct obuf *q, const char *db, const char *table)
{
	char esc[65 * 2 + 1];

	mysql_real_escape_string(incr.m, esc, db, strlen(db));
	obuf_lit(q, "TABLE_SCHEMA = '");
	obuf_str(q, esc);
	mysql_real_escape_string(incr.m, esc, table, strlen(table));
	obuf_lit(q, "' AND TABLE_NAME = '");
	obuf_str(q, esc);
	obuf_lit(q, "'");
	obuf_add(q, "", 1);
}

/* `db`.`table` */
static void
incr_qualified(struct obuf *q, const char *db, const char *table)
{
	snapshot_ident(q, db);
	obuf_lit(q, ".");
	snapshot_ident(q, table);
}

/* The table exists, has a primary key, and the condition is valid SQL;
 * else the refusal in incr.error.  1: refused, 0: fine, -1: failed. */
static int
incr_check(const struct incr_req *req)
{
	unsigned long long v[2];
	struct obuf *q = &incr.q;

	q->len = 0;
	obuf_lit(q, "SELECT COUNT(*), COALESCE(SUM(COLUMN_KEY = 'PRI'), 0) "
	    "FROM information_schema.COLUMNS WHERE ");
	incr_names_sql(q, req->db, req->table);
	if (incr_counts(q->buf, v) == -1)
		return -1;
	if (v[0] == 0) {
		snprintf(incr.error, sizeof(incr.error), "%s.%s: no such table "
		    "(or the user may not SELECT from it)", req->db,
		    req->table);
		return 1;
	}
	if (v[1] == 0) {
		snprintf(incr.error, sizeof(incr.error), "%s.%s has no primary "
		    "key: an incremental snapshot reads a table in primary-key "
		    "chunks; give it a primary key, or capture it with "
		    "[stream] snapshot = initial on a new checkpoint database",
		    req->db, req->table);
		return 1;
	}
	q->len = 0;
	obuf_lit(q, "SELECT COALESCE(TABLE_ROWS, 0) FROM "
	    "information_schema.TABLES WHERE ");
	incr_names_sql(q, req->db, req->table);
	if (incr_counts(q->buf, v) == -1)
		return -1;
	incr.estimate = v[0];
	if (req->where[0] == '\0')
		return 0;
	q->len = 0;
	obuf_lit(q, "SELECT 1 FROM ");
	incr_qualified(q, req->db, req->table);
	obuf_lit(q, " WHERE (");
	obuf_str(q, req->where);
	obuf_lit(q, ") LIMIT 0");
	obuf_add(q, "", 1);
	if (incr_sql(q->buf, "the WHERE condition") == -1)
		return 1;
	mysql_free_result(mysql_store_result(incr.m));
	return 0;
}

/* The watermark table, created when it is not there yet. */
static int
incr_watermark_table(void)
{
	unsigned long long v[2];
	struct obuf *q = &incr.q;

	q->len = 0;
	obuf_lit(q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE ");
	incr_names_sql(q, incr.wm_db, incr.wm_table);
	if (incr_counts(q->buf, v) == -1)
		return -1;
	if (v[0] > 0)
		return 0;
	q->len = 0;
	obuf_lit(q, "CREATE DATABASE IF NOT EXISTS ");
	snapshot_ident(q, incr.wm_db);
	obuf_add(q, "", 1);
	if (incr_sql(q->buf, "creating the watermark table's database") == -1)
		goto denied;
	q->len = 0;
	obuf_lit(q, "CREATE TABLE IF NOT EXISTS ");
	incr_qualified(q, incr.wm_db, incr.wm_table);
	obuf_lit(q, " (instance INT UNSIGNED NOT NULL PRIMARY KEY, "
	    "mark VARCHAR(64) NOT NULL) ENGINE=InnoDB");
	obuf_add(q, "", 1);
	if (incr_sql(q->buf, "creating the watermark table") == 0)
		return 0;
denied:
	strcatf_(incr.error, sizeof(incr.error), "; create it (see "
	    "binlogd.conf(5), snapshot_watermark_table) or grant the user "
	    "CREATE on %s", incr.wm_db);
	return -1;
}

/* A watermark into the table: the stream will pass it. */
static int
incr_mark_write(const struct reader *r, const char *token, const char *which)
{
	struct obuf *q = &incr.q;

	q->len = 0;
	obuf_lit(q, "INSERT INTO ");
	incr_qualified(q, incr.wm_db, incr.wm_table);
	obuf_lit(q, " (instance, mark) VALUES (");
	obuf_uint(q, r->conf->replica_server_id);
	obuf_lit(q, ", '");
	obuf_str(q, token);
	obuf_str(q, which);
	obuf_lit(q, "') ON DUPLICATE KEY UPDATE mark = VALUES(mark)");
	obuf_add(q, "", 1);
	if (incr_sql(q->buf, "writing the watermark") == -1) {
		if (!incr_lost())
			strcatf_(incr.error, sizeof(incr.error), "; grant the "
			    "user INSERT and UPDATE on %s.%s ([stream] "
			    "snapshot_watermark_table)", incr.wm_db,
			    incr.wm_table);
		return -1;
	}
	return 0;
}

/* Room in the chunk's arrays for rows rows of the table's columns (what
 * it holds kept). */
static void
incr_room(struct incr_chunk *ck, size_t rows)
{
	uint32_t n = incr.tm.ncols;

	if (rows <= ck->cap && n == ck->ncols)
		return;
	if ((ck->row_at = reallocarray(ck->row_at, rows + 1,
	    sizeof(*ck->row_at))) == NULL ||
	    (ck->key_at = reallocarray(ck->key_at, rows + 1,
	    sizeof(*ck->key_at))) == NULL ||
	    (ck->spans = reallocarray(ck->spans, rows * n,
	    sizeof(*ck->spans))) == NULL ||
	    (ck->gone = reallocarray(ck->gone, rows, sizeof(*ck->gone))) ==
	    NULL)
		fatal("snapshot chunk");
	ck->cap = rows;
	ck->ncols = n;
}

/* The next chunk's size after one that took secs (INCR_CHUNK_MS says
 * why): the costs of a chunk -- a query, a commit, a mark's trip
 * through the stream -- spread over more rows, while the stream, which
 * waits while a chunk is read, waits little longer than that. */
static void
incr_adapt(const struct config *conf, double secs)
{
	uint32_t min = conf->snapshot_chunk_size, max;

	max = min <= INCR_ROWS_MAX / INCR_GROW ? min * INCR_GROW :
	    min > INCR_ROWS_MAX ? min : INCR_ROWS_MAX;
	if (secs * 1000 < INCR_CHUNK_MS && incr.limit <= max / 2)
		incr.limit *= 2;
	else if (secs * 1000 > 2 * INCR_CHUNK_MS && incr.limit >= min * 2)
		incr.limit /= 2;
}

/* The key of image which (0 before, 1 after) in r's spans: its primary
 * key columns' JSON values in the key's order (incr.pk, as the saved key
 * snapshot_after reads), each ended by 0x1f, which JSON text never
 * holds raw.  An after image without a key column (binlog_row_image =
 * MINIMAL: the key did not change) takes the before image's. */
static void
incr_key(const struct reader *r, int which, struct obuf *key)
{
	const struct obuf *b;
	const struct span *sp;
	uint32_t i, k;

	key->len = 0;
	for (k = 0; k < incr.nkey; k++) {
		i = incr.pk[k];
		sp = &r->spans[which][i];
		b = &r->img[which];
		if (which == 1 && !sp->present) {
			sp = &r->spans[0][i];
			b = &r->img[0];
		}
		if (sp->present)
			obuf_add(key, b->buf + sp->off, sp->len);
		obuf_lit(key, "\x1f");
	}
}

/* The row snapshot_image put in r->img[0], kept as the chunk's next. */
static void
incr_keep(const struct reader *r, struct incr_chunk *ck)
{
	uint32_t i, n = incr.tm.ncols;
	struct span *sp = &ck->spans[ck->nrows * n];

	ck->row_at[ck->nrows] = ck->vals.len;
	obuf_add(&ck->vals, r->img[0].buf, r->img[0].len);
	for (i = 0; i < n; i++)
		sp[i] = r->spans[0][i];
	incr_key(r, 0, &incr.key);
	ck->key_at[ck->nrows] = ck->keys.len;
	obuf_add(&ck->keys, incr.key.buf, incr.key.len);
	ck->gone[ck->nrows] = false;
	ck->nrows++;
	ck->row_at[ck->nrows] = ck->vals.len;
	ck->key_at[ck->nrows] = ck->keys.len;
}

/* o set to the n bytes at s, NUL-terminated. */
static void
incr_set(struct obuf *o, const char *s, size_t n)
{
	o->len = 0;
	obuf_add(o, s, n);
	obuf_add(o, "", 1);
	o->len--;
}

/* The chunk's last row's key as a JSON array of the key's values as
 * records write them (the form checkpointd saves), into o. */
static void
incr_last_key(const struct incr_chunk *ck, struct obuf *o)
{
	const char *k = ck->keys.buf + ck->key_at[ck->nrows - 1];
	size_t i, n = ck->key_at[ck->nrows] - ck->key_at[ck->nrows - 1];

	o->len = 0;
	obuf_lit(o, "[");
	for (i = 0; i + 1 < n; i++)
		obuf_add(o, k[i] == '\x1f' ? "," : &k[i], 1);
	obuf_lit(o, "]");
	obuf_add(o, "", 1);
	o->len--;
}

/* The chunk's condition: the operator's, and after the last chunk's
 * key (snapshot.c's snapshot_after, which also resumes an initial
 * snapshot: the key is the one checkpointd saves).  -1 with incr.error
 * set when the key does not fit the table's. */
static int
incr_cond(struct obuf *c)
{
	uint32_t i;

	c->len = 0;
	if (incr.p.cond[0] != '\0') {
		obuf_lit(c, " WHERE (");
		obuf_str(c, incr.p.cond);
		obuf_lit(c, ")");
	}
	if (incr.cursor.len > 0) {
		obuf_str(c, c->len > 0 ? " AND (" : " WHERE (");
		if (snapshot_after(incr.m, &incr.tm, incr.pk, incr.nkey,
		    incr.cursor.buf, c) == -1) {
			snprintf(incr.error, sizeof(incr.error), "the saved key "
			    "%.200s does not fit the table's primary key "
			    "(changed since?)", incr.cursor.buf);
			return -1;
		}
		obuf_lit(c, ")");
	}
	for (i = 0; i < incr.nkey; i++) {
		obuf_str(c, i > 0 ? ", " : " ORDER BY ");
		snapshot_ident(c, incr.tm.cols[incr.pk[i]].name);
	}
	return 0;
}

/* Sends the query for the chunk after the cursor, incr.limit rows;
 * incr_fetch reads them.  -1 with incr.error set. */
static int
incr_send(void)
{
	static struct obuf cond;

	if (incr_cond(&cond) == -1)
		return -1;
	snapshot_columns(&incr.tm, &incr.q);
	obuf_add(&incr.q, cond.buf, cond.len);
	obuf_printf(&incr.q, " LIMIT %u", incr.limit);
	incr.sent_limit = incr.limit;
	if (mysql_send_query(incr.m, incr.q.buf, incr.q.len) == 0)
		return 0;
	snprintf(incr.error, sizeof(incr.error), "reading a chunk: %s (%u)",
	    mysql_error(incr.m), mysql_errno(incr.m));
	return -1;
}

/* The sent query's rows into ck, the cursor moved to its last row; -1
 * with incr.error set. */
static int
incr_fetch(struct reader *r, struct incr_chunk *ck)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;

	incr_room(ck, incr.sent_limit);
	ck->nrows = 0;
	ck->vals.len = ck->keys.len = 0;
	if (mysql_read_query_result(incr.m) == 0 &&
	    (res = mysql_use_result(incr.m)) != NULL) {
		while (ck->nrows < ck->cap &&
		    (row = mysql_fetch_row(res)) != NULL) {
			snapshot_image(r, &incr.tm, row,
			    mysql_fetch_lengths(res));
			incr_keep(r, ck);
		}
		mysql_free_result(res);
	}
	if (res == NULL || mysql_errno(incr.m) != 0) {
		snprintf(incr.error, sizeof(incr.error), "reading a chunk: "
		    "%s (%u)", mysql_error(incr.m), mysql_errno(incr.m));
		return -1;
	}
	ck->last = ck->nrows < incr.sent_limit;
	if (ck->nrows > 0)
		incr_last_key(ck, &incr.cursor);
	return 0;
}

/* The rows of the chunk read ahead (their query sent sent_secs ago),
 * then its high mark: its low mark is the chunk before's high mark (the
 * opening comment says why).  The stream passes the mark later; until
 * then the chunk waits in memory. */
static int
incr_ahead_done(struct reader *r, double sent_secs)
{
	static uint64_t n;
	struct incr_chunk *ck = &incr.ck[!incr.cur];
	double t0 = mono_now();

	snprintf(ck->token, sizeof(ck->token), "%08lx%08lx-%llu-",
	    (unsigned long)random(), (unsigned long)random(),
	    (unsigned long long)n++);
	if (incr_fetch(r, ck) == -1 || incr_mark_write(r, ck->token,
	    "high") == -1)
		return -1;
	incr.ahead = true;
	incr_adapt(r->conf, sent_secs + mono_now() - t0);
	return 0;
}

/* The chunk after the current one, read now, while the stream goes on
 * to the current one's high mark: its rows are as new as that mark
 * (read after it was written), so the stream's changes before it are in
 * them and need not drop any. */
static int
incr_read_ahead(struct reader *r)
{
	double t0 = mono_now();

	if (INCR_CUR->last || incr.ahead)
		return 0;
	if (incr_send() == -1)
		return -1;
	return incr_ahead_done(r, mono_now() - t0);
}

/* The first chunk of a start or resume, after a low mark (the stream is
 * anywhere before it), and the one after it. */
static int
incr_first(struct reader *r)
{
	incr.cur = 0;
	incr.ahead = false;
	incr.phase = INCR_LOW;
	snprintf(INCR_CUR->token, sizeof(INCR_CUR->token), "%08lx%08lx-s-",
	    (unsigned long)random(), (unsigned long)random());
	if (incr_mark_write(r, INCR_CUR->token, "low") == -1 ||
	    incr_send() == -1 || incr_fetch(r, INCR_CUR) == -1 ||
	    incr_mark_write(r, INCR_CUR->token, "high") == -1)
		return -1;
	return incr_read_ahead(r);
}

/* The snapshot ends: state for binlogctl status (done, stopped or
 * failed), why for the log.  checkpointd keeps done, or stopped for
 * good: the next commit's position carries it, and a mark is written
 * so that one comes. */
static void
incr_end(struct reader *r, const char *state, const char *why)
{
	atomic_store(&incr.active, false);
	incr.paused = false;
	strlcpy_(incr.p.state, strcmp(state, "done") == 0 ? "done" :
	    "stopped", sizeof(incr.p.state));
	incr.stamp_due = true;
	if (incr.m != NULL && strcmp(state, "done") != 0)
		(void)incr_mark_write(r, INCR_CUR->token, "end");
	if (incr.m != NULL)
		mysql_close(incr.m);
	incr.m = NULL;
	incr_progress(state);
	log_info("snapshot: %s.%s: %llu rows in %llu chunks, %.2f s (%llu "
	    "dropped for the stream's newer changes); %s", incr.tm.db,
	    incr.tm.table, (unsigned long long)incr.rows,
	    (unsigned long long)incr.chunks, mono_now() - incr.t0,
	    (unsigned long long)incr.dropped, why);
}

/* A snapshot's SQL failed: it stops, the stream goes on; a lost
 * connection only pauses it (incr_poll takes it up again). */
static void
incr_failed(struct reader *r)
{
	if (incr_lost()) {
		log_warning("snapshot: %s.%s: %s; paused, to go on after the "
		    "last chunk out in a second, or when the stream "
		    "reconnects", incr.tm.db, incr.tm.table, incr.error);
		incr_abandon();
		incr.retry_at = mono_now() + 1;
		incr_progress("paused");
		return;
	}
	log_errx("snapshot: %s.%s: %s; the snapshot stopped, the stream goes "
	    "on; ask again with binlogctl snapshot", incr.tm.db,
	    incr.tm.table, incr.error);
	incr_end(r, "failed", "failed");
}

/* Whether the next chunk can start after a key of the table: each key
 * column's text is its value exactly (snapshot.c's rows_text_keyed).
 * The key's columns into incr.pk in the key's order, so that a chunk's
 * ORDER BY is the index's.  0, CTL_INVALID with the refusal in msg, or
 * CTL_FAILED with the error in incr.error. */
static int
incr_keyed(char *msg, size_t size)
{
	uint32_t i;
	bool whole;
	int rc;

	if ((rc = snapshot_pk_columns(incr.m, &incr.q, &incr.tm, incr.pk,
	    &incr.nkey, &whole)) == -1) {
		snprintf(incr.error, sizeof(incr.error), "reading the primary "
		    "key: %s (%u)", mysql_error(incr.m), mysql_errno(incr.m));
		return CTL_FAILED;
	}
	if (rc == 1 || incr.nkey == 0) {
		snprintf(msg, size, "%s.%s changed while it was checked; ask "
		    "again", incr.tm.db, incr.tm.table);
		return CTL_INVALID;
	}
	for (i = 0; i < incr.nkey; i++) {
		if (rows_text_keyed(&incr.tm.cols[incr.pk[i]]))
			continue;
		snprintf(msg, size, "%s.%s: its primary key column %s is of a "
		    "type whose text is not its exact value (FLOAT, ENUM, SET, "
		    "BIT, ...): an incremental snapshot cannot read it in "
		    "chunks; capture the table with [stream] snapshot = "
		    "initial instead", incr.tm.db, incr.tm.table,
		    incr.tm.cols[incr.pk[i]].name);
		return CTL_INVALID;
	}
	return 0;
}

/* The snapshot's connection, its table checked (a refusal in msg) and
 * mapped.  Returns 0, the answer's result, or -1 when the stream fails
 * (reader_fail). */
static int
incr_open(struct reader *r, const struct incr_req *req, char *msg,
    size_t size)
{
	int rc;

	if (par_sync(r) == -1 ||
	    (incr.m = reader_connect(r, "snapshot")) == NULL ||
	    snapshot_session(r, incr.m) == -1)
		return -1;
	incr.error[0] = '\0';
	if ((rc = incr_check(req)) != 0 || incr_watermark_table() == -1) {
		snprintf(msg, size, "%s", incr.error);
		rc = rc == 1 ? CTL_INVALID : CTL_FAILED;
	} else {
		strlcpy_(incr.tm.db, req->db, sizeof(incr.tm.db));
		strlcpy_(incr.tm.table, req->table, sizeof(incr.tm.table));
		if (snapshot_map(r, &incr.tm) == -1)
			rc = -1;
		else if ((rc = incr_keyed(msg, size)) == CTL_FAILED)
			snprintf(msg, size, "%s", incr.error);
	}
	if (rc != 0) {
		mysql_close(incr.m);
		incr.m = NULL;
	}
	return rc;
}

/* The first chunk (after the key in incr.cursor, if any): the snapshot
 * runs.  -1 when it failed (incr_failed). */
static int
incr_run(struct reader *r)
{
	incr.chunks = incr.dropped = 0;
	incr.t0 = mono_now();
	incr.stamp_due = true;
	incr.limit = r->conf->snapshot_chunk_size;
	atomic_store(&incr.active, true);
	incr_set(&incr.cursor, incr.done_key.buf, incr.done_key.len);
	if (incr_first(r) == -1) {
		incr_failed(r);
		return -1;
	}
	incr_progress("running");
	return 0;
}

/* binlogctl snapshot DB.TABLE: checked, the first chunk read.  Returns
 * the answer's result; -1 when the stream fails (reader_fail). */
static int
incr_begin(struct reader *r, const struct incr_req *req, char *msg,
    size_t size)
{
	struct timespec ts;
	int rc;

	if (atomic_load(&incr.active) || incr.paused) {
		snprintf(msg, size, "a snapshot of %s.%s is running (chunk "
		    "%llu); binlogctl snapshot stop first", incr.tm.db,
		    incr.tm.table, (unsigned long long)incr.chunks);
		return CTL_FAILED;
	}
	if ((rc = incr_open(r, req, msg, size)) != 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &ts);
	memset(&incr.p, 0, sizeof(incr.p));
	incr.p.id = (uint64_t)ts.tv_sec * 1000000 +
	    (uint64_t)ts.tv_nsec / 1000;
	strlcpy_(incr.p.kind, "incremental", sizeof(incr.p.kind));
	strlcpy_(incr.p.state, "running", sizeof(incr.p.state));
	strlcpy_(incr.p.db, req->db, sizeof(incr.p.db));
	strlcpy_(incr.p.table, req->table, sizeof(incr.p.table));
	strlcpy_(incr.p.cond, req->where, sizeof(incr.p.cond));
	incr.done_key.len = 0;
	incr.rows = 0;
	incr.started = false;
	if (incr_run(r) == -1) {
		snprintf(msg, size, "%s", incr.error);
		return CTL_FAILED;
	}
	log_info("snapshot: %s.%s%s%s: started, chunks of %u rows (then "
	    "adapting) between watermarks in %s.%s", incr.tm.db, incr.tm.table,
	    incr.p.cond[0] ? " where " : "", incr.p.cond,
	    r->conf->snapshot_chunk_size, incr.wm_db, incr.wm_table);
	snprintf(msg, size, "snapshot of %s.%s started; binlogctl status "
	    "shows its progress", incr.tm.db, incr.tm.table);
	return CTL_OK;
}

/* A snapshot paused by its own lost connection, the stream running:
 * it goes on after its last chunk out.  If the server does not answer,
 * the stream fails too, and the next streamer resumes the snapshot from
 * the checkpoint. */
static int
incr_retry(struct reader *r)
{
	static const struct snap_progress none;

	incr.retry_at = 0;
	return incr_resume(r, &none);
}

/* Between events: a request from binlogctl is served.  -1 when the
 * stream fails. */
int
incr_poll(struct reader *r)
{
	char msg[INCR_MSG_MAX], buf[64];
	static struct incr_req req;
	int result;

	if (incr.paused && incr.retry_at > 0 && mono_now() >= incr.retry_at)
		return incr_retry(r);
	if (!atomic_load(&io.asked))
		return 0;
	while (read(io.ask[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&io.mu);
	req = io.req;
	pthread_mutex_unlock(&io.mu);
	if (!req.stop)
		result = incr_begin(r, &req, msg, sizeof(msg));
	else if (!atomic_load(&incr.active)) {
		snprintf(msg, sizeof(msg), "no snapshot is running");
		result = CTL_FAILED;
	} else {
		incr_end(r, "stopped", "stopped by binlogctl snapshot stop");
		snprintf(msg, sizeof(msg), "snapshot of %s.%s stopped after "
		    "%llu rows", incr.tm.db, incr.tm.table,
		    (unsigned long long)incr.rows);
		result = CTL_OK;
	}
	if (result == -1) {
		incr_answer(req.id, CTL_FAILED, "the snapshot's connection "
		    "failed; see binlogd's log");
		return -1;
	}
	incr_answer(req.id, result, msg);
	return 0;
}

/* The stream reconnects: the snapshot pauses, to go on after its last
 * chunk once the stream runs again (incr_resume). */
void
incr_abandon(void)
{
	if (!atomic_load(&incr.active))
		return;
	atomic_store(&incr.active, false);
	incr.paused = true;
	incr.retry_at = 0;
	if (incr.m != NULL)
		mysql_close(incr.m);
	incr.m = NULL;
}

/*
 * The stream runs (again): a snapshot paused by a reconnect, or the one
 * the checkpoint says was running, goes on after the last chunk whose
 * records went out -- read in new windows, so the DBLog argument holds
 * for every chunk from there, and whatever the stream replays from the
 * position it restarted at (at or before that chunk's high mark) comes
 * after the records it changes, as any replay does.  A saved snapshot
 * this streamer ended already (its end not yet saved when the stream
 * rewound) is not taken up again.  -1 when the stream fails.
 */
int
incr_resume(struct reader *r, const struct snap_progress *saved)
{
	char msg[INCR_MSG_MAX];
	struct incr_req req;
	int rc;

	if (!incr.paused && (saved->id == 0 || saved->id == incr.p.id ||
	    strcmp(saved->kind, "incremental") != 0 ||
	    strcmp(saved->state, "running") != 0))
		return 0;
	if (!incr.paused) {
		incr.p = *saved;
		incr_set(&incr.done_key, incr.p.last_key,
		    strlen(incr.p.last_key));
		incr.rows = incr.p.rows;
		incr.started = incr.p.last_key[0] != '\0';
	}
	incr.paused = false;
	memset(&req, 0, sizeof(req));
	strlcpy_(req.db, incr.p.db, sizeof(req.db));
	strlcpy_(req.table, incr.p.table, sizeof(req.table));
	strlcpy_(req.where, incr.p.cond, sizeof(req.where));
	if ((rc = incr_open(r, &req, msg, sizeof(msg))) == -1)
		return -1;
	if (rc != 0) {
		strlcpy_(incr.error, msg, sizeof(incr.error));
		incr_failed(r);
		return 0;
	}
	log_info("snapshot: %s.%s: resuming after key %s (%llu rows done)",
	    incr.tm.db, incr.tm.table, incr.done_key.len ? incr.done_key.buf :
	    "(none: from the start)", (unsigned long long)incr.rows);
	(void)incr_run(r);
	return 0;
}

static bool
incr_is(const struct tablemap *tm, const char *db, const char *table)
{
	return strcmp(tm->table, table) == 0 && strcmp(tm->db, db) == 0;
}

/* The watermark table's rows: binlogd's own, never records (its names
 * are set before the reader starts). */
static bool
incr_watermark(const struct tablemap *tm)
{
	return incr_is(tm, incr.wm_db, incr.wm_table);
}

/* Whether span sp of image which holds mark (the JSON string of this
 * chunk's token and which). */
static bool
incr_is_mark(const struct reader *r, int which, const struct span *sp,
    const char *mark)
{
	const char *token = INCR_CUR->token;
	size_t n = strlen(token), m = strlen(mark);
	const char *v = r->img[which].buf + sp->off;

	return sp->present && sp->len == n + m + 2 && v[0] == '"' &&
	    memcmp(v + 1, token, n) == 0 &&
	    memcmp(v + 1 + n, mark, m) == 0 && v[1 + n + m] == '"';
}

/* A watermark row passes in the stream: is it this chunk's? */
static void
incr_mark_seen(const struct reader *r, const struct tablemap *tm, int kind)
{
	int which = kind == EV_UPDATE_ROWS || kind == EV_UPDATE_ROWS_V1 ||
	    kind == EV_PARTIAL_UPDATE_ROWS ? 1 : 0;
	const struct span *sp;
	uint32_t i;

	for (i = 0; i < tm->ncols && strcmp(tm->cols[i].name, "mark"); i++)
		;
	if (i == tm->ncols)
		return;
	sp = &r->spans[which][i];
	if (incr.phase == INCR_LOW && incr_is_mark(r, which, sp, "low"))
		incr.phase = INCR_WINDOW;
	else if (incr.phase == INCR_WINDOW &&
	    incr_is_mark(r, which, sp, "high"))
		incr.phase = INCR_HIGH;
}

/* A row the stream changed inside the window: its keys leave the chunk. */
static void
incr_drop(const struct reader *r, int kind)
{
	bool upd = kind == EV_UPDATE_ROWS || kind == EV_UPDATE_ROWS_V1 ||
	    kind == EV_PARTIAL_UPDATE_ROWS;
	struct incr_chunk *ck = INCR_CUR;
	int which;
	size_t i;

	for (which = 0; which <= (upd ? 1 : 0); which++) {
		incr_key(r, which, &incr.key);
		for (i = 0; i < ck->nrows; i++)
			if (!ck->gone[i] && incr.key.len ==
			    ck->key_at[i + 1] - ck->key_at[i] &&
			    memcmp(ck->keys.buf + ck->key_at[i],
			    incr.key.buf, incr.key.len) == 0) {
				ck->gone[i] = true;
				incr.dropped++;
			}
	}
}

/* Whether this row is the snapshot's business (read on the reader only:
 * while a snapshot runs nothing is formatted on another thread). */
static bool
incr_window_row(const struct tablemap *tm)
{
	return atomic_load(&incr.active) && incr.phase == INCR_WINDOW &&
	    incr_is(tm, incr.tm.db, incr.tm.table);
}

/* reader_hooks.row_open: the rows incr_row must see go through r->img. */
static int
incr_row_open(struct reader *r, const struct tablemap *tm, int kind)
{
	if (incr_watermark(tm) || incr_window_row(tm))
		return 0;
	return record_row_open(r, tm, kind);
}

/* reader_hooks.row */
static int
incr_row(struct reader *r, const struct tablemap *tm, int kind)
{
	if (incr_watermark(tm)) {
		if (atomic_load(&incr.active))
			incr_mark_seen(r, tm, kind);
		return 0;
	}
	if (incr_window_row(tm) && tm->ncols != incr.tm.ncols) {
		snprintf(incr.error, sizeof(incr.error), "the table's columns "
		    "changed during the snapshot");
		incr_failed(r);
	} else if (incr_window_row(tm))
		incr_drop(r, kind);
	return record_row(r, tm, kind);
}

/* The chunk's rows the stream did not change, as snapshot records (a
 * row's spans are where its values lie from its own start). */
static int
incr_emit(struct reader *r)
{
	const struct incr_chunk *ck = INCR_CUR;
	uint32_t n = incr.tm.ncols, c;
	uint32_t ts = r->trx_ts;
	size_t i, at;
	int rc = 0;

	if (r->trx_ts == 0)
		r->trx_ts = r->hdr.ts;
	if (!incr.started)
		rc = record_snapshot_mark(r, &incr.tm, true);
	incr.started = true;
	snapshot_spans(r, n);
	for (i = 0; rc == 0 && i < ck->nrows; i++) {
		if (ck->gone[i])
			continue;
		at = ck->row_at[i];
		r->img[0].len = 0;
		obuf_add(&r->img[0], ck->vals.buf + at, ck->row_at[i + 1] - at);
		for (c = 0; c < n; c++)
			r->spans[0][c] = ck->spans[i * n + c];
		rc = record_snapshot_row(r, &incr.tm,
		    FORMAT_READ_INCREMENTAL);
		incr.rows++;
	}
	if (rc == 0 && ck->last)
		rc = record_snapshot_mark(r, &incr.tm, false);
	/* closed here, or the commit's mark would go on the last one */
	if (rc == 0)
		rc = record_close(r);
	r->trx_ts = ts;
	return rc;
}

/* The chunk is out: its last row's key (read, whether or not the
 * stream dropped it) is the progress. */
static void
incr_advance(void)
{
	const struct incr_chunk *ck = INCR_CUR;

	incr.chunks++;
	if (ck->nrows > 0)
		incr_last_key(ck, &incr.done_key);
	/* a key too long for the checkpoint keeps the last one that fit */
	if (incr.done_key.len < sizeof(incr.p.last_key))
		memcpy(incr.p.last_key, incr.done_key.buf,
		    incr.done_key.len + 1);
	incr.p.rows = incr.rows;
	incr.stamp_due = true;
}

/* reader_hooks.rows: while a snapshot runs, a rows event is decoded here,
 * in binlog order.  After the high mark's, the chunk goes out and the
 * one read ahead opens its window; the query for the one after that is
 * sent before the records are made, so that the server works on it
 * meanwhile, and its rows are read after them. */
static int
incr_rows(struct reader *r, struct cursor *c, int kind)
{
	bool more;
	double sent = 0;

	if (!atomic_load(&incr.active))
		return par_rows(r, c, kind);
	if (par_sync(r) == -1 || rows_decode(r, c, kind) == -1)
		return -1;
	if (!atomic_load(&incr.active) || incr.phase != INCR_HIGH)
		return 0;
	more = !INCR_CUR->last && !incr.ck[!incr.cur].last;
	if (more) {
		sent = mono_now();
		if (incr_send() == -1) {
			incr_failed(r);
			return 0;
		}
		sent = mono_now() - sent;
	}
	if (incr_emit(r) == -1)
		return -1;
	incr_advance();
	if (INCR_CUR->last) {
		incr_end(r, "done", "done");
		return 0;
	}
	incr.cur = !incr.cur;
	incr.ahead = false;
	incr.phase = INCR_WINDOW;
	if (more && incr_ahead_done(r, sent) == -1)
		incr_failed(r);
	else
		incr_progress("running");
	return 0;
}

/* reader_hooks.commit: a transaction's position carries the progress
 * when it changed, the first after a chunk's records: checkpointd saves
 * it once they are durable, with that position or a later one
 * (position_advance keeps it on those). */
static int
incr_commit(struct reader *r, const struct trx_end *e)
{
	static struct trx_end stamped;

	if (!incr.stamp_due || !e->have_pos)
		return par_commit(r, e);
	memcpy(&stamped, e, offsetof(struct trx_end, pos));
	position_copy(&stamped.pos, &e->pos);
	stamped.pos.snap = incr.p;
	incr.stamp_due = false;
	return par_commit(r, &stamped);
}

/* reader_hooks.table_wanted: the watermark table's rows are read
 * whatever [filter] says (incr_row keeps them from the records). */
static bool
incr_table_wanted(const char *db, const char *table)
{
	return filter_table(db, table) || (strcmp(table, incr.wm_table) == 0 &&
	    strcmp(db, incr.wm_db) == 0);
}

/* Puts the snapshot between the decoder and the output. */
void
incr_hooks(struct reader_hooks *h, const struct config *conf)
{
	if (!incr_split(conf->snapshot_watermark_table,
	    strlen(conf->snapshot_watermark_table), incr.wm_db,
	    incr.wm_table))
		fatalx("snapshot_watermark_table %s not checked",
		    conf->snapshot_watermark_table);
	h->rows = incr_rows;
	h->commit = incr_commit;
	h->row_open = incr_row_open;
	h->row = incr_row;
	h->table_wanted = incr_table_wanted;
}
