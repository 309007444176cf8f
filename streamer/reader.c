/* reader.c: the reader thread -- connects to the server, checks that it
 * can be streamed from, resolves where to start, sends the dump command,
 * feeds every event to the decoder, and reconnects from the last durable
 * position after transient errors or an on_purged reset.
 *
 * libmariadb connects and sends the dump; the events are then read by
 * packet.c straight from the socket (no malloc or copy per event), except
 * on TLS or compressed connections, whose bytes only libmariadb can
 * unwrap: there mariadb_rpl_fetch reads them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>
#include <mariadb_rpl.h>
#include <mariadb_version.h>
#include <mysqld_error.h>

#include "exitcode.h"
#include "log.h"
#include "dump.h"
#include "packet.h"
#include "spill.h"
#include "util.h"
#include "output.h"
#include "streamer.h"

#define READER_VAL_MAX	1024
#define READER_ENDPOINT_MAX	(CONF_STR_MAX + 96)	/* reader_endpoint() */
/* Reconnects in a row without an event in between before the streamer
 * exits and leaves the next try to the supervisor's backoff; the delay
 * doubles from 1 s up to READER_DELAY_MAX (1+2+4+8+8+8 = 31 s in all). */
#define READER_RETRIES		6
#define READER_DELAY_MAX	8
/* Reads of the schema at start_position = latest before giving up. */
#define READER_SEED_TRIES	10

static struct reader	 reader;
/* The replica: its connections and the process state the decoder's hooks
 * reach (reader.owner points here). */
struct replica {
	struct streamer	*st;
	MYSQL		*mysql;		/* the dump connection */
	MYSQL		*meta;		/* information_schema lookups */
	MARIADB_RPL	*rpl;
};
static struct replica	 rep;
static pthread_t	 reader_thread;
/* Where to start, from the main thread (reader_go); under st->mu until
 * reader_given, the reader's own after. */
static struct start	 reader_from;
static bool		 reader_given;
static pthread_cond_t	 reader_given_cv = PTHREAD_COND_INITIALIZER;
static bool		 reader_file_only;	/* after a reset: to is a file pos */
static struct position	 reader_req;		/* what the dump asked for */
static bool		 reader_reset_due;	/* on_purged: skip before opening */
static bool		 reader_snapshot_due;	/* snapshot = when_needed, purged */
static char		 reader_reset_why[512];
static int		 reader_resets;
static bool		 reader_got_event;	/* in this attempt */
static double		 reader_dump_sent;	/* mono_now() of the dump command */
static struct packet	 reader_pk;
static bool		 reader_own_packets;	/* else mariadb_rpl_fetch */
/* Under st->mu: a graceful stop waits for the open transaction's commit,
 * so that no row is written twice after the restart (positions exist only
 * at transaction boundaries; rows_done stays 0). */
static bool		 reader_trx_open;
static bool		 reader_at_commit;

/* Why the current attempt failed; the first reason counts. */
static struct {
	bool		 failed;
	bool		 transient;	/* the connection, worth a reconnect */
	bool		 purged;	/* 1236: the start position is gone */
	int		 code;
	char		 msg[1024];
} reader_err;

/* The first failure counts; the formatting thread (parallel.c) may fail
 * beside the reader. */
static void
reader_set_failure(int code, bool transient, const char *msg)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&mu);
	if (!reader_err.failed) {
		reader_err.failed = true;
		reader_err.transient = transient;
		reader_err.code = code;
		strlcpy_(reader_err.msg, msg, sizeof(reader_err.msg));
	}
	pthread_mutex_unlock(&mu);
}

/* reader_hooks.fail: a decoder's (or our own) failure, not transient. */
static void
reader_hook_fail(struct reader *r UNUSED, int code, const char *msg)
{
	reader_set_failure(code, false, msg);
}

/* A lost or refused connection: the reader reconnects before giving up. */
static int
reader_transient(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
reader_transient(const char *fmt, ...)
{
	char msg[sizeof(reader_err.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reader_set_failure(BX_FAILURE, true, msg);
	return -1;
}

static bool
reader_failed(const struct reader *r UNUSED)
{
	return reader_err.failed;
}

/* Where the connections go, for messages.  libmariadb takes host =
 * localhost to mean its default Unix socket, not TCP to 127.0.0.1. */
static const char *
reader_endpoint(const struct config *conf, char *buf, size_t size)
{
	const char *sock = getenv("MYSQL_UNIX_PORT");

	if (conf->socket[0])
		snprintf(buf, size, "socket %s", conf->socket);
	else if (strcmp(conf->host, "localhost") == 0)
		snprintf(buf, size, "socket %s (host = localhost means "
		    "the Unix socket; give 127.0.0.1 for TCP)",
		    sock ? sock : MARIADB_UNIX_ADDR);
	else if (strchr(conf->host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", conf->host,
		    (int)conf->port);
	else
		snprintf(buf, size, "%s:%d", conf->host, (int)conf->port);
	return buf;
}

static bool
reader_tls_verifies(const struct config *conf)
{
	return strncmp(conf->ssl_mode, "verify_", 7) == 0;
}

/* The TLS files must be there before a connection is tried: a missing
 * one is the configuration's fault, not the network's.  For -n too. */
int
reader_check_tls(const struct config *conf, char *err, size_t errlen)
{
	const struct { const char *name, *path; } files[] = {
		{ "ssl_ca", conf->ssl_ca },
		{ "ssl_cert", conf->ssl_cert },
		{ "ssl_key", conf->ssl_key },
	};
	size_t i;
	FILE *fp;

	if (strcmp(conf->ssl_mode, "disabled") == 0)
		return 0;
	if (reader_tls_verifies(conf) && conf->ssl_ca[0] == '\0' &&
	    conf->ssl_capath[0] == '\0') {
		snprintf(err, errlen, "ssl_mode = %s needs ssl_ca (or "
		    "ssl_capath): the CA that signed the server's certificate",
		    conf->ssl_mode);
		return -1;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i].path[0] == '\0')
			continue;
		if ((fp = fopen(files[i].path, "r")) == NULL) {
			snprintf(err, errlen, "%s %s: %s", files[i].name,
			    files[i].path, strerror(errno));
			return -1;
		}
		fclose(fp);
	}
	return 0;
}

/* Every mode but disabled asks for TLS.  libmariadb falls back to
 * plaintext when the server offers none unless it is to verify the
 * certificate; required is checked after the connect (reader_connect). */
static void
reader_tls(MYSQL *m, const struct config *conf)
{
	my_bool on = 1, verify = reader_tls_verifies(conf);

	if (strcmp(conf->ssl_mode, "disabled") == 0 || conf->ssl_mode[0] == '\0')
		return;
	if (conf->ssl_ca[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_CA, conf->ssl_ca);
	if (conf->ssl_capath[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_CAPATH, conf->ssl_capath);
	if (conf->ssl_cert[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_CERT, conf->ssl_cert);
	if (conf->ssl_key[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_KEY, conf->ssl_key);
	if (conf->ssl_cipher[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_CIPHER, conf->ssl_cipher);
	mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
	/* libmariadb checks the CA and the host name together */
	mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
}

/* A failed connect: access denied and TLS that cannot work are for an
 * operator to fix; anything else may pass. */
static void
reader_connect_fail(struct reader *r, MYSQL *m, const char *what)
{
	const struct config *conf = r->conf;
	unsigned e = mysql_errno(m);
	char ep[READER_ENDPOINT_MAX];

	reader_endpoint(conf, ep, sizeof(ep));
	if (e == ER_ACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR ||
	    e == 1698 /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */)
		reader_fail(r, BX_AUTH, "%s connection to %s: access denied "
		    "for user '%s': %s (%u); check user and password in %s",
		    what, ep, conf->user, mysql_error(m), e, conf->path);
	else if (e == CR_SSL_CONNECTION_ERROR &&
	    strstr(mysql_error(m), "does not support") != NULL)
		reader_fail(r, BX_SERVER_CONFIG, "%s connection to %s: %s (%u); "
		    "ssl_mode = %s needs a server with TLS (ssl_cert and "
		    "ssl_key in its my.cnf)", what, ep, mysql_error(m), e,
		    conf->ssl_mode);
	else if (e == CR_SSL_CONNECTION_ERROR && reader_tls_verifies(conf))
		reader_fail(r, BX_CONFIG, "%s connection to %s: %s (%u); with "
		    "ssl_mode = %s the server's certificate must be signed by "
		    "a CA in %s %s%s", what, ep, mysql_error(m), e,
		    conf->ssl_mode,
		    conf->ssl_ca[0] ? "ssl_ca" : "ssl_capath",
		    conf->ssl_ca[0] ? conf->ssl_ca : conf->ssl_capath,
		    strcmp(conf->ssl_mode, "verify_identity") == 0 ?
		    " and name the host connected to" : "");
	else
		reader_transient("%s connection to %s: %s (%u)", what, ep,
		    mysql_error(m), e);
}

/* Opens one connection with the configured options and the client flags
 * given; NULL after reader_fail() (reader_connect_fail() says with which
 * code). */
static MYSQL *
reader_connect_as(struct reader *r, const char *what, unsigned long flags)
{
	const struct config *conf = r->conf;
	unsigned ct = (unsigned)conf->connect_timeout;
	unsigned rt = (unsigned)conf->read_timeout;
	char ep[READER_ENDPOINT_MAX];
	MYSQL *m;

	if ((m = mysql_init(NULL)) == NULL)
		fatalx("mysql_init: out of memory");
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &rt);
	/* information_schema's names in full: utf8mb3 turns emoji into ? */
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	reader_tls(m, conf);
	if (mysql_real_connect(m, conf->socket[0] ? NULL : conf->host,
	    conf->user, conf->password, NULL, conf->port,
	    conf->socket[0] ? conf->socket : NULL, flags) == NULL) {
		reader_connect_fail(r, m, what);
		mysql_close(m);
		return NULL;
	}
	if (strcmp(conf->ssl_mode, "required") == 0 &&
	    mysql_get_ssl_cipher(m) == NULL) {
		reader_endpoint(conf, ep, sizeof(ep));
		reader_fail(r, BX_SERVER_CONFIG, "%s connection to %s: "
		    "ssl_mode = required but the server offers no TLS; give "
		    "the server ssl_cert and ssl_key, or set ssl_mode = "
		    "preferred", what, ep);
		mysql_close(m);
		return NULL;
	}
	return m;
}

MYSQL *
reader_connect(struct reader *r, const char *what)
{
	return reader_connect_as(r, what, 0);
}

MYSQL *
reader_meta(struct reader *r)
{
	if (rep.meta == NULL)
		rep.meta = reader_connect(r, "information_schema");
	return rep.meta;
}

/* What to grant; one message for every missing privilege. */
#define READER_GRANTS	"grant the user REPLICATION SLAVE, BINLOG MONITOR " \
	"(MySQL: REPLICATION CLIENT) and SELECT on the captured tables"

static bool
reader_denied(unsigned e)
{
	return e == ER_SPECIFIC_ACCESS_DENIED_ERROR ||
	    e == ER_DBACCESS_DENIED_ERROR || e == ER_TABLEACCESS_DENIED_ERROR;
}

static int
reader_query_fail(struct reader *r, MYSQL *m, const char *sql)
{
	unsigned e = mysql_errno(m);

	if (reader_denied(e))
		return reader_fail(r, BX_AUTH, "%s: %s (%u); " READER_GRANTS,
		    sql, mysql_error(m), e);
	return reader_transient("%s: %s (%u)", sql, mysql_error(m), e);
}

/* Runs sql and copies the first row's first n values into vals ("" for
 * NULL).  Returns 0, 1 when there is no row, -1 on error. */
static int
reader_select(struct reader *r, const char *sql, char vals[][READER_VAL_MAX],
    unsigned n)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned i;

	if (query_run(rep.mysql, sql, &res) == -1 || res == NULL)
		return reader_query_fail(r, rep.mysql, sql);
	if ((row = mysql_fetch_row(res)) == NULL ||
	    mysql_num_fields(res) < n) {
		mysql_free_result(res);
		return 1;
	}
	for (i = 0; i < n; i++)
		strlcpy_(vals[i], row[i] ? row[i] : "", READER_VAL_MAX);
	mysql_free_result(res);
	return 0;
}

static int
reader_exec(struct reader *r, const char *sql)
{
	MYSQL_RES *res;

	if (query_run(rep.mysql, sql, &res) == -1)
		return reader_query_fail(r, rep.mysql, sql);
	if (res != NULL)
		mysql_free_result(res);
	return 0;
}

/* The first row of a query that may fail (a variable or table this
 * server lacks): false then, and nothing is reported. */
static bool
reader_value(MYSQL *m, const char *sql, char vals[][READER_VAL_MAX],
    unsigned n)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned i;
	bool ok;

	if (query_run(m, sql, &res) == -1 || res == NULL)
		return false;
	ok = (row = mysql_fetch_row(res)) != NULL && mysql_num_fields(res) >= n;
	for (i = 0; ok && i < n; i++)
		strlcpy_(vals[i], row[i] ? row[i] : "", READER_VAL_MAX);
	mysql_free_result(res);
	return ok;
}

#define READER_CHECK_SQL	"SELECT @@version, @@global.binlog_format, " \
	"@@server_id, @@global.binlog_checksum, @@global.log_bin"
#define READER_UUID_SQL		"SELECT @@server_uuid"
#define READER_METADATA_SQL	"SELECT @@global.binlog_row_metadata"

/* The statement that shows where the binlog ends (and needs BINLOG
 * MONITOR / REPLICATION CLIENT): MySQL 8.4 renamed it. */
static const char *
reader_status_sql(const struct reader *r)
{
	if (!r->mariadb && mysql_get_server_version(rep.mysql) >= 80400)
		return "SHOW BINARY LOG STATUS";
	return "SHOW MASTER STATUS";
}

/* The user's own grants (or PUBLIC's) of the privileges binlogd needs,
 * and how many roles it has, whose grants these tables do not show. */
#define READER_PRIVS_SQL \
	"SELECT (SELECT COUNT(*) FROM information_schema.APPLICABLE_ROLES), " \
	"COALESCE(SUM(PRIVILEGE_TYPE = 'REPLICATION SLAVE'), 0), " \
	"COALESCE(SUM(PRIVILEGE_TYPE = 'SELECT'), 0) FROM (" \
	"SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES " \
	"UNION ALL SELECT GRANTEE, PRIVILEGE_TYPE " \
	"FROM information_schema.SCHEMA_PRIVILEGES " \
	"UNION ALL SELECT GRANTEE, PRIVILEGE_TYPE " \
	"FROM information_schema.TABLE_PRIVILEGES) p " \
	"WHERE GRANTEE IN ('PUBLIC', CONCAT('''', " \
	"SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', " \
	"SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''))"

/* Every privilege the stream will use, checked before it starts and
 * reported together: BINLOG MONITOR by trying SHOW MASTER STATUS, the
 * others from the privilege tables -- unless roles hide them; then their
 * first use says.  SELECT is for information_schema's column names,
 * needed unless the server logs them (binlog_row_metadata = FULL). */
static int
reader_grants(struct reader *r)
{
	char v[3][READER_VAL_MAX], missing[160] = "", ep[READER_ENDPOINT_MAX];
	const char *sql = reader_status_sql(r);
	MYSQL_RES *res;
	bool full;

	if (query_run(rep.mysql, sql, &res) == -1) {
		if (!reader_denied(mysql_errno(rep.mysql)))
			return reader_query_fail(r, rep.mysql, sql);
		strcat(missing, r->mariadb ? ", BINLOG MONITOR" :
		    ", REPLICATION CLIENT");
	} else if (res != NULL)
		mysql_free_result(res);
	full = reader_value(rep.mysql, READER_METADATA_SQL, v, 1) &&
	    strcasecmp(v[0], "FULL") == 0;
	if (reader_value(rep.mysql, READER_PRIVS_SQL, v, 3) &&
	    strcmp(v[0], "0") == 0) {
		if (strcmp(v[1], "0") == 0)
			strcat(missing, ", REPLICATION SLAVE");
		if (strcmp(v[2], "0") == 0 && !full)
			strcat(missing, ", SELECT");
	}
	if (missing[0] == '\0')
		return 0;
	return reader_fail(r, BX_AUTH, "the user '%s' lacks %s on the server "
	    "at %s; " READER_GRANTS, r->conf->user, missing + 2,
	    reader_endpoint(r->conf, ep, sizeof(ep)));
}

static void
reader_session_sql(const struct reader *r, char *sql, size_t size)
{
	double hb = r->conf->heartbeat_period;

	if (hb <= 0 || hb >= r->conf->read_timeout)
		hb = r->conf->read_timeout / 2;
	snprintf(sql, size, "SET @master_binlog_checksum = "
	    "@@global.binlog_checksum, @master_heartbeat_period = %llu, "
	    "SESSION net_write_timeout = 3600%s",
	    (unsigned long long)(hb * 1e9),
	    r->mariadb ? ", @mariadb_slave_capability = 4" : "");
}

/* What reader_check, reader_grants, reader_session and stale_dump_kill
 * will ask, sent in one round trip (query.c), those that may fail last;
 * until SELECT @@version answers, the flavour is the handshake's. */
static void
reader_ahead(struct reader *r)
{
	const char *sql[8];
	char session[256], alive[256];
	size_t n = 0;

	r->mariadb = strstr(mysql_get_server_info(rep.mysql), "MariaDB") !=
	    NULL;
	reader_session_sql(r, session, sizeof(session));
	sql[n++] = READER_CHECK_SQL;
	if (!r->mariadb)
		sql[n++] = READER_UUID_SQL;
	sql[n++] = session;
	sql[n++] = reader_status_sql(r);
	sql[n++] = READER_PRIVS_SQL;
	n += stale_ahead(r->conf, r->mariadb, sql + n, alive, sizeof(alive));
	sql[n++] = READER_METADATA_SQL;
	query_ahead(rep.mysql, sql, n);
}

/* The server must log rows; learn its flavour and identity. */
static int
reader_check(struct reader *r)
{
	char v[5][READER_VAL_MAX];

	reader_ahead(r);
	if (reader_select(r, READER_CHECK_SQL, v, 5) != 0)
		return reader_failed(r) ? -1 : reader_fail(r, BX_FAILURE,
		    "the server did not answer SELECT @@version");
	r->mariadb = strstr(v[0], "MariaDB") != NULL;
	if (strcmp(v[4], "1") != 0)
		return reader_fail(r, BX_SERVER_CONFIG, "binary logging is off "
		    "on the server (log_bin = OFF): put log_bin and "
		    "binlog_format=ROW in the [mysqld] section of its my.cnf "
		    "and restart it");
	if (strcasecmp(v[1], "ROW") != 0)
		return reader_fail(r, BX_SERVER_CONFIG, "the server has "
		    "binlog_format=%s but binlogd needs ROW: run SET GLOBAL "
		    "binlog_format=ROW and put binlog_format=ROW in the [mysqld] "
		    "section of my.cnf", v[1]);
	r->server_id = (uint32_t)strtoul(v[2], NULL, 10);
	/* the first (artificial) ROTATE comes before any FDE */
	r->checksum = strcasecmp(v[3], "CRC32") == 0;
	if (!r->mariadb && reader_select(r, READER_UUID_SQL, v, 1) == 0)
		strlcpy_(r->server_uuid, v[0], sizeof(r->server_uuid));
	log_info("server %s (%s), server_id %u", v[0],
	    r->mariadb ? "MariaDB" : "MySQL", r->server_id);
	stats_server(v[0], r->mariadb, r->server_id, r->server_uuid);
	return reader_failed(r) || reader_grants(r) == -1 ? -1 : 0;
}

static int
reader_session(struct reader *r)
{
	char sql[256];

	reader_session_sql(r, sql, sizeof(sql));
	return reader_exec(r, sql);
}

/* The connection and the checks need no position: they are made while
 * the main thread asks checkpointd for it.  false when stopped first. */
static bool
reader_await_start(void)
{
	bool given;

	pthread_mutex_lock(&rep.st->mu);
	while (!reader_given && !rep.st->stopping)
		pthread_cond_wait(&reader_given_cv, &rep.st->mu);
	given = reader_given && !rep.st->stopping;
	pthread_mutex_unlock(&rep.st->mu);
	return given;
}

/* Where the server's binlog ends now (start_position = latest). */
static int
reader_latest(struct reader *r, struct position *pos)
{
	char v[2][READER_VAL_MAX];
	const char *sql = "SHOW MASTER STATUS";
	unsigned long ver = mysql_get_server_version(rep.mysql);
	int rc;

	if (!r->mariadb && ver >= 80400)
		sql = "SHOW BINARY LOG STATUS";
	if ((rc = reader_select(r, sql, v, 2)) == 1)
		return reader_fail(r, BX_SERVER_CONFIG, "%s returned nothing: "
		    "binary logging is off; start the server with log_bin", sql);
	if (rc == -1)
		return -1;
	strlcpy_(pos->file, v[0], sizeof(pos->file));
	pos->offset = strtoull(v[1], NULL, 10);
	return 0;
}

/* Whether the binlog between a and b may hold a DDL statement: any
 * QUERY event but a transaction's own; 1 yes, 0 no, -1 on error. */
static int
reader_ddl_between(struct reader *r, const struct position *a,
    const struct position *b)
{
	static const char *const trx[] = { "BEGIN", "COMMIT", "ROLLBACK",
	    "XA ", "SAVEPOINT", NULL };
	char sql[POS_FILE_MAX * 2 + 96], esc[POS_FILE_MAX * 2 + 1];
	MYSQL_RES *res;
	MYSQL_ROW row;
	int found = 0, i;

	if (strcmp(a->file, b->file) == 0 && a->offset == b->offset)
		return 0;
	if (strcmp(a->file, b->file) != 0)
		return 1;
	mysql_real_escape_string(rep.mysql, esc, a->file, strlen(a->file));
	snprintf(sql, sizeof(sql), "SHOW BINLOG EVENTS IN '%s' FROM %llu",
	    esc, (unsigned long long)a->offset);
	if (mysql_query(rep.mysql, sql) != 0 ||
	    (res = mysql_store_result(rep.mysql)) == NULL)
		return reader_query_fail(r, rep.mysql, sql);
	while (!found && (row = mysql_fetch_row(res)) != NULL &&
	    row[1] != NULL && strtoull(row[1], NULL, 10) < b->offset) {
		if (row[2] == NULL || strcmp(row[2], "Query") != 0)
			continue;
		for (i = 0; trx[i] != NULL && (row[5] == NULL ||
		    strncasecmp(row[5], trx[i], strlen(trx[i])) != 0); i++)
			;
		found = trx[i] == NULL;
	}
	mysql_free_result(res);
	return found;
}

/* latest, with the schema history seeded from information_schema when
 * there is none: the read belongs to the position when no DDL came
 * between the position before it and the one after. */
static int
reader_latest_seeded(struct reader *r, struct position *pos)
{
	struct position after;
	int i, rc;

	if (!history_empty())
		return reader_latest(r, pos);
	for (i = 0; i < READER_SEED_TRIES; i++) {
		memset(&after, 0, sizeof(after));
		if (reader_latest(r, pos) == -1 ||
		    history_seed_read(r) == -1 ||
		    reader_latest(r, &after) == -1 ||
		    (rc = reader_ddl_between(r, pos, &after)) == -1)
			return -1;
		if (rc == 0) {
			history_seed_commit(r, pos);
			return 0;
		}
		log_info("DDL ran while binlogd read the schema at %s:%llu; "
		    "reading it again", pos->file,
		    (unsigned long long)pos->offset);
	}
	return reader_transient("DDL kept running on the server while "
	    "binlogd read the tables' schema (%d tries)", READER_SEED_TRIES);
}

static int
reader_earliest(struct reader *r, struct position *pos)
{
	char v[1][READER_VAL_MAX];
	int rc;

	if ((rc = reader_select(r, "SHOW BINARY LOGS", v, 1)) == 1)
		return reader_fail(r, BX_SERVER_CONFIG, "SHOW BINARY LOGS "
		    "returned nothing: binary logging is off; start the server "
		    "with log_bin");
	if (rc == -1)
		return -1;
	strlcpy_(pos->file, v[0], sizeof(pos->file));
	pos->offset = 4;
	return 0;
}

/* MariaDB knows the GTID state at any file position: the executed set
 * before the first event we will read. */
static int
reader_gtid_at(struct reader *r, struct position *pos)
{
	char sql[POS_FILE_MAX * 2 + 96], esc[POS_FILE_MAX * 2 + 1];
	char v[1][READER_VAL_MAX];

	if (!r->mariadb)
		return 0;
	mysql_real_escape_string(rep.mysql, esc, pos->file, strlen(pos->file));
	snprintf(sql, sizeof(sql), "SELECT BINLOG_GTID_POS('%s', %llu)", esc,
	    (unsigned long long)pos->offset);
	if (reader_select(r, sql, v, 1) == -1)
		return -1;
	strlcpy_(pos->gtid, v[0], sizeof(pos->gtid));
	return 0;
}

/*
 * No checkpoint yet: the start_position just resolved (the server's end,
 * for latest) is saved at once, as a checkpoint at a transaction
 * boundary.  Else a streamer that died before its first checkpoint
 * (checkpoint_interval) would resolve latest again when restarted, past
 * the rows committed in between.  After a snapshot the position goes
 * through the sink: saved once the snapshot's records are durable.
 */
static int
reader_first_start(struct reader *r, const struct position *pos,
    bool snapshot)
{
	struct position at = *pos;

	at.server_id = r->server_id;
	strlcpy_(at.server_uuid, r->server_uuid, sizeof(at.server_uuid));
	reader_from.pos = at;
	reader_from.saved = true;
	if (!snapshot) {
		streamer_publish(rep.st, &at, true);
		return 0;
	}
	if (record_close(r) == -1 || record_publish(r, &at, true) == -1 ||
	    record_settle(r) == -1) {
		reader_from.saved = false;
		return -1;
	}
	return 0;
}

/* The initial snapshot the checkpoint says was not finished, to be
 * resumed (snapshot.c); NULL when there is none. */
static const struct position *
reader_unfinished(const struct config *conf)
{
	const struct snap_progress *p = &reader_from.pos.snap;

	if (!reader_from.saved || p->id == 0 ||
	    strcmp(p->kind, "initial") != 0 || strcmp(p->state, "running") != 0)
		return NULL;
	if (strcmp(conf->snapshot, "never") != 0)
		return &reader_from.pos;
	log_warning("snapshot: the initial snapshot stopped in %s.%s is not "
	    "resumed: [stream] snapshot = never; streaming from its position, "
	    "the tables from %s.%s on are incomplete", p->db, p->table, p->db,
	    p->table);
	return NULL;
}

/* Decides file:offset or GTID; fills pos and says which. */
static int
reader_resolve(struct reader *r, struct position *pos, bool *by_gtid)
{
	const struct config *conf = r->conf;
	const struct position *resume = reader_unfinished(conf);
	bool snapshot = resume != NULL || reader_snapshot_due ||
	    (!reader_from.saved && strcmp(conf->snapshot, "never") != 0);

	*by_gtid = false;
	memset(pos, 0, sizeof(*pos));
	if (snapshot) {
		if (snapshot_take(r, pos, resume, &rep.st->stopping) == -1)
			return -1;
		reader_snapshot_due = false;
	} else if (reader_from.saved) {
		*pos = reader_from.pos;
		*by_gtid = pos->gtid[0] != '\0' && conf->gtid != GTID_USE_OFF &&
		    (r->mariadb || conf->gtid == GTID_USE_ON) &&
		    !reader_file_only;
		if (!*by_gtid && pos->file[0] == '\0')
			return reader_fail(r, BX_CONFIG, "the checkpoint has no "
			    "file position and gtid = off: reset the "
			    "checkpoint or allow GTID resume");
	} else if (conf->start_kind == START_GTID) {
		strlcpy_(pos->gtid, conf->start_gtid, sizeof(pos->gtid));
		*by_gtid = true;
	} else if (conf->start_kind == START_FILE_POS) {
		strlcpy_(pos->file, conf->start_file, sizeof(pos->file));
		pos->offset = conf->start_offset;
	} else if ((conf->start_kind == START_LATEST ?
	    reader_latest_seeded(r, pos) : reader_earliest(r, pos)) == -1)
		return -1;
	if (!*by_gtid && pos->gtid[0] == '\0' && reader_gtid_at(r, pos) == -1)
		return -1;
	if (!reader_from.saved || snapshot)
		return reader_first_start(r, pos, snapshot);
	return 0;
}

/* What the dump needs on its connection, in one round trip: the GTID
 * set to resume from (MariaDB's dump reads @slave_connect_state), and
 * the previous streamer's dump thread ended (stale.c). */
static int
reader_before_dump(struct reader *r, const char *gtid, bool by_gtid)
{
	char state[POS_GTID_MAX * 2 + 64], esc[POS_GTID_MAX * 2 + 1];
	char kill[64];
	const char *sql[2];
	size_t n = 0;
	bool stale;

	stale = stale_dump_kill(rep.mysql, r->conf, r->mariadb, r->server_id,
	    kill, sizeof(kill));
	if (by_gtid) {
		mysql_real_escape_string(rep.mysql, esc, gtid, strlen(gtid));
		snprintf(state, sizeof(state), "SET @slave_connect_state = "
		    "'%s'", esc);
		sql[n++] = state;
	}
	if (stale)
		sql[n++] = kill;	/* last: its failure ends the batch */
	if (n > 1)
		query_ahead(rep.mysql, sql, n);
	if (by_gtid && reader_exec(r, state) == -1)
		return -1;
	if (stale)
		stale_dump_end(rep.mysql, kill);
	return 0;
}

/* The dump command was refused or the connection lost. */
static int
reader_dump_fail(struct reader *r)
{
	unsigned e = mysql_errno(rep.mysql);

	if (reader_denied(e))
		return reader_fail(r, BX_AUTH, "binlog dump from %s refused: "
		    "%s (%u); " READER_GRANTS, rep.st->start_desc,
		    mysql_error(rep.mysql), e);
	return reader_transient("binlog dump from %s: %s (%u)",
	    rep.st->start_desc, mysql_error(rep.mysql), e);
}

/* The dump command.  When binlogd reads the packets itself, it sends
 * COM_BINLOG_DUMP itself too: mariadb_rpl_open first asks the server's
 * checksum and semi-sync settings, two round trips whose answers only its
 * own mariadb_rpl_fetch uses. */
static int
reader_dump_send(struct reader *r, const struct position *pos, bool by_gtid)
{
	uint32_t sid = r->conf->replica_server_id;
	const char *file = by_gtid ? "" : pos->file;
	uint32_t start = by_gtid ? 4 : (uint32_t)pos->offset;

	reader_own_packets = mysql_get_ssl_cipher(rep.mysql) == NULL &&
	    !rep.mysql->net.compress;
	if (!reader_own_packets) {
		if ((rep.rpl = mariadb_rpl_init(rep.mysql)) == NULL)
			fatalx("mariadb_rpl_init: out of memory");
		mariadb_rpl_optionsv(rep.rpl, MARIADB_RPL_FILENAME, file,
		    strlen(file));
		mariadb_rpl_optionsv(rep.rpl, MARIADB_RPL_START,
		    (unsigned long)start);
		mariadb_rpl_optionsv(rep.rpl, MARIADB_RPL_SERVER_ID, sid);
		mariadb_rpl_optionsv(rep.rpl, MARIADB_RPL_FLAGS, 0);
	}
	if (by_gtid && !r->mariadb)
		return dump_gtid_send(rep.mysql, r->gtids, sid);
	if (reader_own_packets)
		return dump_file_send(rep.mysql, file, start, sid);
	return mariadb_rpl_open(rep.rpl);
}

static int
reader_open(struct reader *r)
{
	struct position pos;
	bool by_gtid;
	char err[256];

	if (reader_resolve(r, &pos, &by_gtid) == -1)
		return -1;
	/* The set the positions grow from (MySQL's PREVIOUS_GTIDS adds to
	 * it: a GTID dump skips the set's transactions in the first file). */
	if (!r->mariadb) {
		gtid_set_free(r->gtids);
		if ((r->gtids = gtid_set_new(GTID_FLAVOR_MYSQL)) == NULL)
			fatalx("GTID set: out of memory");
	}
	if (gtid_set_parse(r->gtids, pos.gtid, err, sizeof(err)) == -1)
		return reader_fail(r, BX_CONFIG, "GTID set '%s': %s", pos.gtid,
		    err);
	if (reader_before_dump(r, pos.gtid, by_gtid) == -1)
		return -1;
	reader_req = pos;
	strlcpy_(r->file, pos.file, sizeof(r->file));
	if (by_gtid)
		snprintf(rep.st->start_desc, sizeof(rep.st->start_desc),
		    "gtid %s", pos.gtid);
	else
		snprintf(rep.st->start_desc, sizeof(rep.st->start_desc),
		    "%s:%llu", pos.file, (unsigned long long)pos.offset);
	reader_dump_sent = mono_now();
	if (reader_dump_send(r, &pos, by_gtid) != 0)
		return reader_dump_fail(r);
	stale_dump_note(rep.mysql, r->conf, r->server_id);
	pthread_mutex_lock(&rep.st->mu);
	rep.st->dump_fd = mysql_get_socket(rep.mysql);
	pthread_mutex_unlock(&rep.st->mu);
	/* packet.c hands on formatted records before it waits for more */
	r->sync_before_wait = reader_own_packets;
	if (reader_own_packets)
		packet_init(&reader_pk, r, rep.st->dump_fd,
		    (int)(r->conf->read_timeout * 1000));
	log_debug("dump from %s read by %s", rep.st->start_desc,
	    reader_own_packets ? "binlogd" : "libmariadb (TLS or compression)");
	return 0;
}

/* The stream ended without an event: say why.  1236 means the position
 * we asked for is not on the server (purged, past the end, unknown GTID),
 * except for an oversized event, which a reset would not cure. */
static void
reader_fetch_error(struct reader *r, unsigned e, const char *text)
{
	if (rep.st->stopping)
		return;
	if (e == 1236 && strstr(text, "max_allowed_packet") != NULL)
		reader_fail(r, BX_SERVER_CONFIG, "reading the binlog at %s:%llu: "
		    "%s (%u); raise max_allowed_packet on the server",
		    r->file, (unsigned long long)r->offset, text, e);
	else if (e == 1236) {
		reader_fail(r, BX_PURGED, "binary log position not available on "
		    "the server (requested %s, last read %s:%llu): %s",
		    rep.st->start_desc, r->file[0] ? r->file : "-",
		    (unsigned long long)r->offset, text);
		reader_err.purged = true;
	} else if (reader_denied(e))
		reader_fail(r, BX_AUTH, "binlog dump refused: %s (%u); "
		    READER_GRANTS, text, e);
	else
		reader_transient("reading the binlog at %s:%llu: %s (%u)",
		    r->file, (unsigned long long)r->offset,
		    e ? text : "server closed the stream", e);
}

/* Publishes whether a transaction is open; true when the reader is to
 * stop before the next fetch. */
static bool
reader_stop_here(struct reader *r)
{
	bool stop;

	pthread_mutex_lock(&rep.st->mu);
	reader_trx_open = r->in_trx;
	stop = rep.st->stopping && !(reader_at_commit && r->in_trx);
	pthread_mutex_unlock(&rep.st->mu);
	return stop;
}

/* The next event's bytes, valid until the next call; -1 after
 * reader_fetch_error(). */
static int
reader_fetch(struct reader *r, MARIADB_RPL_EVENT **ev, const uint8_t **p,
    size_t *len)
{
	if (reader_own_packets) {
		if (packet_next(&reader_pk, p, len) == 1)
			return 0;
		reader_fetch_error(r, reader_pk.err, reader_pk.errmsg);
		return -1;
	}
	if ((*ev = mariadb_rpl_fetch(rep.rpl, *ev)) == NULL) {
		reader_fetch_error(r, mysql_errno(rep.mysql),
		    mysql_error(rep.mysql));
		return -1;
	}
	*p = (*ev)->raw_data + (*ev)->raw_data_ofs;
	*len = (*ev)->event_length;
	return 0;
}

static void
reader_loop(struct reader *r)
{
	MARIADB_RPL_EVENT *ev = NULL;
	const uint8_t *p;
	size_t len;

	if (incr_resume(r, &reader_from.pos.snap) == -1)
		return;
	while (!reader_stop_here(r)) {
		if (incr_poll(r) == -1 || reader_fetch(r, &ev, &p, &len) == -1)
			break;
		if (!reader_got_event)
			log_debug("first event %.1f ms after the dump command",
			    (mono_now() - reader_dump_sent) * 1e3);
		if (!reader_got_event && r->seen_event)
			log_info("reconnected: streaming from %s",
			    rep.st->start_desc);
		reader_got_event = true;
		if (!r->seen_event) {
			r->seen_event = true;
			streamer_started(rep.st, rep.st->start_desc);
		}
		if (event_decode(r, p, len) == -1)
			break;
	}
	/* what was formatted before the stop or failure goes out, and is
	 * reported before the reader rewinds or the streamer saves */
	par_sync(r);
	record_settle(r);
	if (ev != NULL)
		mariadb_free_rpl_event(ev);
}

static void
reader_cleanup(struct reader *r)
{
	pthread_mutex_lock(&rep.st->mu);
	rep.st->dump_fd = -1;
	pthread_mutex_unlock(&rep.st->mu);
	if (reader_own_packets)
		packet_free(&reader_pk);
	reader_own_packets = false;
	par_release();		/* the next attempt starts with an empty ring */
	incr_abandon();
	if (rep.rpl != NULL)
		mariadb_rpl_close(rep.rpl);
	else if (rep.mysql != NULL)
		mysql_close(rep.mysql);
	if (rep.meta != NULL)
		mysql_close(rep.meta);
	rep.rpl = NULL;
	rep.mysql = rep.meta = NULL;
	query_forget();
	event_release(r);
}

/* The server a gap was found on, for the gap's record. */
static void
reader_gap_server(const struct reader *r, struct gap *g)
{
	const struct config *conf = r->conf;

	snprintf(g->server, sizeof(g->server), "%.200s:%u server_id %u",
	    conf->socket[0] ? conf->socket : conf->host, conf->port,
	    r->server_id);
}


/* The event being decoded, from its start to its end, as a gap for
 * checkpointd (sent before any position after it: the link keeps the
 * order). */
static void
reader_gap_here(struct reader *r, const char *reason)
{
	struct gap g;

	memset(&g, 0, sizeof(g));
	event_position_at(r, r->offset, &g.from);
	event_position_at(r, r->offset + r->hdr.size, &g.to);
	strlcpy_(g.reason, reason, sizeof(g.reason));
	reader_gap_server(r, &g);
	streamer_gap(rep.st, &g);
}

/*
 * A change the server wrote without rows.  The first of a transaction
 * goes to checkpointd as a gap and to the log; every one is counted.
 */
static void
reader_unrowed(struct reader *r, const char *kind, const char *text,
    bool first)
{
	bool incident = strcmp(kind, "incident") == 0;
	char reason[sizeof(((struct gap *)0)->reason)];

	stats_unrowed(incident);
	if (!first)
		return;
	snprintf(reason, sizeof(reason), "%s: %s", kind, text);
	log_errx("%s at %s:%llu%s%s: %s; recorded as a gap in the "
	    "checkpoint database", incident ? "INCIDENT: the server lost "
	    "changes" : "a change logged as a statement, not as rows",
	    r->file, (unsigned long long)r->offset, r->have_gtid ?
	    ", GTID " : "", r->have_gtid ? r->gtid_text : "", incident ?
	    reason : "binlogd writes no records for it (and warns once per "
	    "transaction); have every client write rows: SET GLOBAL "
	    "binlog_format = ROW, and no SET SESSION binlog_format");
	reader_gap_here(r, reason);
}

/* A row's record too big for the sink, skipped by on_oversize = skip. */
static void
reader_skipped(struct reader *r, const char *what)
{
	stats_oversize();
	log_errx("%s at %s:%llu%s%s; on_oversize = skip: no record written, "
	    "recorded as a gap in the checkpoint database", what, r->file,
	    (unsigned long long)r->offset, r->have_gtid ? ", GTID " : "",
	    r->have_gtid ? r->gtid_text : "");
	reader_gap_here(r, what);
}

/* The policy's new start: the oldest binlog or the current end, recorded
 * as a gap before anything after it is saved (the link keeps the order). */
static int
reader_reset(struct reader *r)
{
	struct gap g;
	const struct config *conf = r->conf;
	bool latest = strcmp(conf->on_purged, "latest") == 0;
	char a[POS_GTID_MAX + POS_FILE_MAX + 16], b[sizeof(a)];

	memset(&g, 0, sizeof(g));
	g.from = reader_req;
	if ((latest ? reader_latest(r, &g.to) : reader_earliest(r, &g.to)) ==
	    -1 || reader_gtid_at(r, &g.to) == -1)
		return -1;
	g.to.server_id = r->server_id;
	strlcpy_(g.to.server_uuid, r->server_uuid, sizeof(g.to.server_uuid));
	strlcpy_(g.reason, reader_reset_why, sizeof(g.reason));
	reader_gap_server(r, &g);
	log_errx("on_purged = %s: rows between %s and %s are lost; "
	    "resuming from there", conf->on_purged,
	    position_str(&g.from, a, sizeof(a)),
	    position_str(&g.to, b, sizeof(b)));
	streamer_gap(rep.st, &g);
	reader_from.pos = g.to;
	reader_from.saved = true;
	reader_file_only = true;
	reader_reset_due = false;
	return 0;
}

static void
reader_attempt(struct reader *r)
{
	memset(&reader_err, 0, sizeof(reader_err));
	reader_got_event = false;
	r->gtids = gtid_set_new(GTID_FLAVOR_MARIADB);
	event_trx_reset(r);
	r->row_pending = false;
	r->out.len = 0;
	if ((rep.mysql = reader_connect_as(r, "replication",
	    CLIENT_MULTI_STATEMENTS)) != NULL &&
	    reader_check(r) == 0 && reader_session(r) == 0 &&
	    reader_await_start() && (!reader_reset_due || reader_reset(r) == 0) &&
	    reader_open(r) == 0)
		reader_loop(r);
	reader_cleanup(r);
}

/* The next attempt starts after the last transaction whose records are
 * out: never the server's position, never further back than needed. */
static void
reader_rewind(void)
{
	char buf[POS_GTID_MAX + POS_FILE_MAX + 16];

	pthread_mutex_lock(&rep.st->mu);
	if (rep.st->have_durable) {
		reader_from.pos = rep.st->durable;
		reader_from.saved = true;
		reader_file_only = false;
	}
	pthread_mutex_unlock(&rep.st->mu);
	if (reader_from.saved)
		log_info("resuming from position %s",
		    position_str(&reader_from.pos, buf, sizeof(buf)));
}

/* The saved position is gone: with snapshot = when_needed a new
 * snapshot replaces what was missed (its bootstrap-start empties the
 * consumer's copy of each table); else on_purged skips, a gap. */
static bool
reader_purged(struct reader *r)
{
	bool snapshot = strcmp(r->conf->snapshot, "when_needed") == 0;

	if (!snapshot && strcmp(r->conf->on_purged, "fail") == 0) {
		strcatf_(reader_err.msg, sizeof(reader_err.msg), "; on_purged "
		    "= fail: restore the purged binlogs, or set [stream] "
		    "on_purged = earliest or latest to skip to a position the "
		    "server has (the skipped range is recorded as a gap)");
		return false;
	}
	if (reader_resets++ > 0) {
		strcatf_(reader_err.msg, sizeof(reader_err.msg), " (again "
		    "right after an on_purged reset: stopping)");
		return false;
	}
	strlcpy_(reader_reset_why, reader_err.msg, sizeof(reader_reset_why));
	reader_rewind();
	if (snapshot)
		log_errx("%s; [stream] snapshot = when_needed: taking a new "
		    "snapshot, then streaming from its position (no gap)",
		    reader_err.msg);
	reader_snapshot_due = snapshot;
	reader_reset_due = !snapshot;
	return true;
}

/* Sleeps up to s seconds; false when asked to stop meanwhile. */
static bool
reader_sleep(int s)
{
	int i;

	for (i = 0; i < s * 10 && !rep.st->stopping; i++)
		usleep(100000);
	return !rep.st->stopping;
}

static bool
reader_retry(struct reader *r, int *attempt)
{
	int delay;

	if (rep.st->stopping || !reader_err.failed)
		return false;
	if (reader_err.purged)
		return reader_purged(r);
	if (!reader_err.transient)
		return false;
	if (reader_got_event)
		*attempt = 0;
	if (++*attempt > READER_RETRIES) {
		strcatf_(reader_err.msg, sizeof(reader_err.msg), " (gave up "
		    "after %d reconnects)", READER_RETRIES);
		return false;
	}
	delay = 1 << (*attempt - 1);
	if (delay > READER_DELAY_MAX)
		delay = READER_DELAY_MAX;
	log_errx("%s; reconnecting in %d s (attempt %d of %d)",
	    reader_err.msg, delay, *attempt, READER_RETRIES);
	stats_reconnecting(reader_err.msg);
	if (!reader_sleep(delay))
		return false;
	reader_rewind();
	return true;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	int attempt = 0;

	mysql_thread_init();
	do
		reader_attempt(r);
	while (reader_retry(r, &attempt));
	mysql_thread_end();
	if (reader_err.failed)
		streamer_finish(rep.st, reader_err.code, "%s", reader_err.msg);
	else
		streamer_finish(rep.st, BX_OK, "reader stopped");
	return NULL;
}

int
reader_start(struct streamer *st, const struct config *conf)
{
	static struct reader_hooks hooks = {
		.fail = reader_hook_fail,
		.unrowed = reader_unrowed,
		.skipped = reader_skipped,
		.schema = schema_lookup,
		.schema_ddl = schema_ddl,
		READER_OUTPUT_HOOKS,
		.release = spill_release,
		.event_seen = stats_event,
		.rows_seen = stats_rows,
	};

	incr_hooks(&hooks, conf);
	memset(&reader, 0, sizeof(reader));
	memset(&rep, 0, sizeof(rep));
	rep.st = st;
	reader.owner = &rep;
	reader.conf = conf;
	reader.hooks = &hooks;
	if (pthread_create(&reader_thread, NULL, reader_main, &reader) != 0)
		fatalx("cannot start the reader thread");
	return 0;
}

void
reader_go(const struct start *from)
{
	pthread_mutex_lock(&rep.st->mu);
	reader_from = *from;
	reader_given = true;
	pthread_cond_signal(&reader_given_cv);
	pthread_mutex_unlock(&rep.st->mu);
}

/* Breaks a blocking fetch: the flag, then the socket -- at once, or
 * (at_commit) only when no transaction is open, else the reader stops
 * after its commit. */
void
reader_stop(struct streamer *st, bool at_commit)
{
	pthread_mutex_lock(&st->mu);
	st->stopping = true;
	pthread_cond_broadcast(&st->gap_room);
	pthread_cond_signal(&reader_given_cv);
	reader_at_commit = at_commit;
	if (st->dump_fd >= 0 && !(at_commit && reader_trx_open))
		shutdown(st->dump_fd, SHUT_RDWR);
	pthread_mutex_unlock(&st->mu);
}

int
reader_wait(void)
{
	return pthread_join(reader_thread, NULL);
}
