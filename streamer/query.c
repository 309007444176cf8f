/* query.c: the start-up queries of the dump connection in one round trip.
 *
 * Before its dump command the reader asks the server a handful of small
 * questions (its identity and binlog settings, the grants, the session
 * variables, the previous streamer's dump thread).  Asked one by one each
 * costs a round trip, and a round trip to a loaded server is the better
 * part of a millisecond.  query_ahead() sends them together as one
 * multi-statement query and keeps the results; query_run() then answers
 * from them, or asks the server when the question was not sent ahead.
 * The first statement that fails ends the batch (the server runs none
 * after it): that one and the rest are asked again when their turn comes,
 * so that an error is met, reported and classified exactly where it
 * would be without the batch. */
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "log.h"
#include "util.h"
#include "streamer.h"

#define QUERY_AHEAD_MAX	12

static struct {
	MYSQL		*m;
	size_t		 n;
	char		*sql[QUERY_AHEAD_MAX];	/* copies */
	MYSQL_RES	*res[QUERY_AHEAD_MAX];	/* NULL: a statement without rows */
	bool		 taken[QUERY_AHEAD_MAX];
} ahead;

void
query_forget(void)
{
	size_t i;

	for (i = 0; i < ahead.n; i++) {
		if (!ahead.taken[i] && ahead.res[i] != NULL)
			mysql_free_result(ahead.res[i]);
		free(ahead.sql[i]);
	}
	memset(&ahead, 0, sizeof(ahead));
}

/* The results up to the first failure, in order; whatever the server
 * still has after a result that could not be stored is drained. */
static void
query_collect(MYSQL *m, size_t n)
{
	MYSQL_RES *res;

	do {
		res = mysql_store_result(m);
		if (res == NULL && mysql_field_count(m) != 0)
			break;
		ahead.res[ahead.n++] = res;
	} while (ahead.n < n && mysql_next_result(m) == 0);
	while (mysql_more_results(m) && mysql_next_result(m) == 0)
		if ((res = mysql_store_result(m)) != NULL)
			mysql_free_result(res);
}

/* sql joined by ';' */
static char *
query_join(const char *const *sql, size_t n, size_t *len)
{
	size_t i, size = 1, off = 0, l;
	char *text;

	for (i = 0; i < n; i++)
		size += strlen(sql[i]) + 1;
	if ((text = malloc(size)) == NULL)
		fatal("query_ahead");
	for (i = 0; i < n; i++) {
		l = strlen(sql[i]);
		memcpy(text + off, sql[i], l);
		off += l;
		text[off++] = ';';
	}
	*len = off > 0 ? off - 1 : 0;
	return text;
}

void
query_ahead(MYSQL *m, const char *const *sql, size_t n)
{
	size_t i, len;
	char *text;
	int rc;

	query_forget();
	if (n > QUERY_AHEAD_MAX)
		n = QUERY_AHEAD_MAX;
	if (n == 0)
		return;
	text = query_join(sql, n, &len);
	rc = mysql_real_query(m, text, len);
	free(text);
	if (rc != 0)
		return;		/* each asked on its own, when its turn comes */
	query_collect(m, n);
	for (i = 0; i < ahead.n; i++)
		if ((ahead.sql[i] = strdup(sql[i])) == NULL)
			fatal("query_ahead");
	ahead.m = m;
	log_debug("%zu of %zu start-up queries answered in one round trip",
	    ahead.n, n);
}

int
query_run(MYSQL *m, const char *sql, MYSQL_RES **res)
{
	size_t i;

	for (i = 0; m == ahead.m && i < ahead.n; i++)
		if (!ahead.taken[i] && strcmp(ahead.sql[i], sql) == 0) {
			ahead.taken[i] = true;
			*res = ahead.res[i];
			return 0;
		}
	if (mysql_query(m, sql) != 0)
		return -1;
	*res = mysql_store_result(m);
	return *res == NULL && mysql_field_count(m) != 0 ? -1 : 0;
}
