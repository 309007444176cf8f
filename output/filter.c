/* filter.c: which records are written -- tables by database.table
 * patterns, row event types, columns dropped per table -- decided once per
 * TABLE_MAP, so a filtered table's rows are skipped undecoded.
 *
 * Pattern syntax (binlogd.conf(5), [filter]): "database.table", each half
 * a shell glob matched against the whole name (anchored): '*' any run of
 * characters, '?' one character, '[a-z]' a class, '\' makes the next
 * character literal ("\." a dot inside a name).  '*' never crosses the
 * dot.  No include pattern: every table is in; with some, only the tables
 * matching one.  An exclude match always wins.  Names compare
 * case-sensitively, as on a Linux server. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "output.h"

#define FILTER_MAX	64
#define FILTER_PATLEN	200

struct filter_list {
	char	 pat[FILTER_MAX][FILTER_PATLEN];
	size_t	 n;
};

static struct filter_list filter_inc, filter_exc, filter_drop;
static unsigned filter_events = FILTER_INSERT | FILTER_UPDATE | FILTER_DELETE |
    FILTER_COMMIT;

/* Splits pattern at its unescaped dots (outside [...]) into at most
 * nparts globs; the number of parts, or -1 if there are more. */
static int
filter_split(const char *pattern, char part[][FILTER_PATLEN], int nparts)
{
	int k = 0;
	size_t n = 0;
	bool class = false;
	const char *p;

	for (p = pattern; *p != '\0'; p++) {
		if (*p == '.' && !class) {
			part[k][n] = '\0';
			if (++k == nparts)
				return -1;
			n = 0;
			continue;
		}
		if (*p == '[')
			class = true;
		else if (*p == ']')
			class = false;
		if (n + 2 >= FILTER_PATLEN)
			return -1;
		part[k][n++] = *p;
		if (*p == '\\' && p[1] != '\0')
			part[k][n++] = *++p;
	}
	part[k][n] = '\0';
	return k + 1;
}

/* Checks one pattern; -1 with err naming the problem. */
int
filter_pattern_check(const char *pattern, char *err, size_t errlen)
{
	char part[3][FILTER_PATLEN];

	if (strlen(pattern) >= FILTER_PATLEN || filter_split(pattern, part,
	    2) != 2 || part[0][0] == '\0' || part[1][0] == '\0') {
		snprintf(err, errlen, "\"%s\" is not a database.table pattern "
		    "(globs * ? [..], \\ escapes; e.g. shop.* or *.orders)",
		    pattern);
		return -1;
	}
	return 0;
}

bool
filter_pattern_match(const char *pattern, const char *db, const char *table)
{
	char part[3][FILTER_PATLEN];

	return filter_split(pattern, part, 2) == 2 &&
	    fnmatch(part[0], db, 0) == 0 && fnmatch(part[1], table, 0) == 0;
}

/* Splits a comma or space separated list into l; parts as in check. */
static int
filter_list(struct filter_list *l, const char *v, int nparts,
    const char *opt, char *err, size_t errlen)
{
	char word[FILTER_PATLEN], part[3][FILTER_PATLEN], why[300];
	size_t n;

	for (l->n = 0; *v != '\0'; v += n) {
		v += strspn(v, ", \t");
		if ((n = strcspn(v, ", \t")) == 0)
			break;
		if (l->n == FILTER_MAX || n >= sizeof(word)) {
			snprintf(err, errlen, "[filter] %s: at most %d "
			    "patterns of %d bytes", opt, FILTER_MAX,
			    FILTER_PATLEN - 1);
			return -1;
		}
		memcpy(word, v, n);
		word[n] = '\0';
		if (nparts == 2 && filter_pattern_check(word, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "[filter] %s: %s", opt, why);
			return -1;
		}
		if (nparts == 3 && filter_split(word, part, 3) != 3) {
			snprintf(err, errlen, "[filter] %s: \"%s\" is not a "
			    "database.table.column pattern", opt, word);
			return -1;
		}
		memcpy(l->pat[l->n++], word, n + 1);
	}
	return 0;
}

static int
filter_event_list(const char *v, char *err, size_t errlen)
{
	/* In the order of the FILTER_ bits. */
	static const char *names[] = { "insert", "update", "delete", "ddl",
	    "commit" };
	const size_t nnames = sizeof(names) / sizeof(names[0]);
	size_t n, i;

	for (filter_events = 0; *v != '\0'; v += n) {
		v += strspn(v, ", \t");
		if ((n = strcspn(v, ", \t")) == 0)
			break;
		for (i = 0; i < nnames; i++)
			if (strlen(names[i]) == n && strncmp(v, names[i], n) == 0)
				break;
		if (i == nnames) {
			snprintf(err, errlen, "[filter] events: \"%.*s\" is not "
			    "one of insert, update, delete, ddl, commit", (int)n,
			    v);
			return -1;
		}
		filter_events |= 1u << i;
	}
	return 0;
}

/* Reads [filter]; -1 with err naming the option and the problem. */
int
filter_load(const struct config *conf, char *err, size_t errlen)
{
	if (filter_list(&filter_inc, conf->filter_include, 2, "include", err,
	    errlen) == -1 || filter_list(&filter_exc, conf->filter_exclude, 2,
	    "exclude", err, errlen) == -1 || filter_list(&filter_drop,
	    conf->filter_drop_columns, 3, "drop_columns", err, errlen) == -1)
		return -1;
	return filter_event_list(conf->filter_events, err, errlen);
}

static bool
filter_any(const struct filter_list *l, const char *db, const char *table)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (filter_pattern_match(l->pat[i], db, table))
			return true;
	return false;
}

/* Whether the table's rows are written. */
bool
filter_table(const char *db, const char *table)
{
	if (filter_any(&filter_exc, db, table))
		return false;
	return filter_inc.n == 0 || filter_any(&filter_inc, db, table);
}

/* Whether records of this kind (FILTER_INSERT...) are written. */
bool
filter_event(unsigned what)
{
	return (filter_events & what) != 0;
}

/* Marks the columns drop_columns names for this table. */
void
filter_columns(struct tablemap *tm)
{
	char part[3][FILTER_PATLEN];
	uint32_t i;
	size_t k;

	for (i = 0; i < tm->ncols; i++)
		tm->cols[i].dropped = false;
	for (k = 0; k < filter_drop.n; k++) {
		filter_split(filter_drop.pat[k], part, 3);
		if (fnmatch(part[0], tm->db, 0) != 0 ||
		    fnmatch(part[1], tm->table, 0) != 0)
			continue;
		for (i = 0; i < tm->ncols; i++)
			if (fnmatch(part[2], tm->cols[i].name, 0) == 0)
				tm->cols[i].dropped = true;
	}
}
