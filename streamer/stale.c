/* stale.c: ends the dump thread a previous streamer left on the server.
 *
 * A dump thread that is waiting for new events does not notice that its
 * replica went away until it next writes (an event or a heartbeat).  When
 * a replica with the same server id asks for a new dump, the server kills
 * the old thread itself, but the new dump's first event then comes ~100 ms
 * later (measured on MariaDB 10.11: 0.3 ms without a stale thread, 102-111
 * ms with one).  Nothing on the server links a dump thread to a replica
 * id that our user may read, so the streamer notes its own dump
 * connection's id, with the server's identity and boot time, in a small
 * file beside the checkpoint database; the next streamer ends exactly
 * that thread, and only if it is still our user's binlog dump on the same
 * server life.  The dump command may follow the KILL at once: the killed
 * thread wakes from its wait and the new dump's first event still comes
 * in ~1 ms (bench/startup), so the KILL goes in the same round trip as
 * the GTID to resume from; polling PROCESSLIST until it is gone would add
 * round trips, and one run of bench/run saw MariaDB 10.11 crash on a
 * PROCESSLIST query while a dump thread was ending.  The note is
 * advisory: missing, unreadable or stale, it costs the ~100 ms and
 * nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "log.h"
#include "util.h"
#include "streamer.h"

/* The server's start, read before the dump (the dump connection answers
 * no queries once it streams); -1 when unknown. */
static long long	 stale_server_booted = -1;

struct stale_note {
	unsigned long	 server_id;
	long long	 booted;	/* the server's start, Unix seconds */
	unsigned long	 thread_id;
};

static void
stale_path(const struct config *conf, char *buf, size_t size)
{
	snprintf(buf, size, "%s.dumpthread", conf->database);
}

/* The first value of the first row as a number; false if there is none. */
static bool
stale_number(MYSQL *m, const char *sql, long long *v)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok;

	if (query_run(m, sql, &res) == -1 || res == NULL)
		return false;
	ok = (row = mysql_fetch_row(res)) != NULL && row[0] != NULL;
	if (ok)
		*v = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	return ok;
}

/* When the server started: seconds are enough to tell two lives apart. */
static const char *
stale_booted_sql(bool mariadb)
{
	return mariadb ?
	    "SELECT UNIX_TIMESTAMP() - VARIABLE_VALUE FROM "
	    "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'" :
	    "SELECT UNIX_TIMESTAMP() - VARIABLE_VALUE FROM "
	    "performance_schema.global_status WHERE VARIABLE_NAME = 'Uptime'";
}

/* Whether thread id is still our user's binlog dump. */
static void
stale_alive_sql(unsigned long id, char *buf, size_t size)
{
	snprintf(buf, size, "SELECT COUNT(*) FROM "
	    "information_schema.PROCESSLIST WHERE ID = %lu AND COMMAND LIKE "
	    "'Binlog Dump%%' AND USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)",
	    id);
}

static bool
stale_alive(MYSQL *m, unsigned long id)
{
	char sql[256];
	long long n;

	stale_alive_sql(id, sql, sizeof(sql));
	return stale_number(m, sql, &n) && n > 0;
}

static bool
stale_read(const struct config *conf, struct stale_note *n)
{
	char path[CONF_STR_MAX + 16];
	FILE *f;
	int got;

	stale_path(conf, path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL)
		return false;
	got = fscanf(f, "%lu %lld %lu", &n->server_id, &n->booted,
	    &n->thread_id);
	fclose(f);
	return got == 3;
}

bool
stale_dump_kill(MYSQL *m, const struct config *conf, bool mariadb,
    uint32_t server_id, char *sql, size_t size)
{
	struct stale_note n;

	if (!stale_number(m, stale_booted_sql(mariadb), &stale_server_booted))
		stale_server_booted = -1;
	if (stale_server_booted == -1 || !stale_read(conf, &n) ||
	    n.server_id != server_id ||
	    llabs(stale_server_booted - n.booted) > 2 ||
	    !stale_alive(m, n.thread_id))
		return false;
	snprintf(sql, size, "KILL CONNECTION %lu", n.thread_id);
	return true;
}

void
stale_dump_end(MYSQL *m, const char *kill)
{
	MYSQL_RES *res;

	if (query_run(m, kill, &res) == -1) {
		log_debug("%s: %s", kill, mysql_error(m));
		return;
	}
	if (res != NULL)
		mysql_free_result(res);
	log_info("ended dump thread %s, left on the server by the previous "
	    "streamer", kill + strlen("KILL CONNECTION "));
}

size_t
stale_ahead(const struct config *conf, bool mariadb, const char **sql,
    char *buf, size_t size)
{
	struct stale_note n;

	sql[0] = stale_booted_sql(mariadb);
	if (!stale_read(conf, &n))
		return 1;
	stale_alive_sql(n.thread_id, buf, size);
	sql[1] = buf;
	return 2;
}

void
stale_dump_note(MYSQL *m, const struct config *conf, uint32_t server_id)
{
	char path[CONF_STR_MAX + 16];
	FILE *f;

	if (stale_server_booted == -1)
		return;
	stale_path(conf, path, sizeof(path));
	if ((f = fopen(path, "w")) == NULL) {
		log_debug("%s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%lu %lld %lu\n", (unsigned long)server_id,
	    stale_server_booted, mysql_thread_id(m));
	if (fclose(f) != 0)
		log_debug("%s: %s", path, strerror(errno));
}
