/* test_filter.c: [filter]'s rules, one case per documented rule of the
 * database.table pattern syntax (binlogd.conf(5)), event types, dropped
 * columns, and [sink]'s kafka.* pass-through lines in config.c. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "output.h"
#include "tap.h"

static struct config conf;
static char err[512];

static int
load(const char *include, const char *exclude)
{
	config_defaults(&conf);
	snprintf(conf.filter_include, sizeof(conf.filter_include), "%s",
	    include);
	snprintf(conf.filter_exclude, sizeof(conf.filter_exclude), "%s",
	    exclude);
	err[0] = '\0';
	return filter_load(&conf, err, sizeof(err));
}

/* No include pattern: every table is in. */
static void
test_no_include_all_in(void)
{
	CHECK_INT(load("", ""), 0);
	CHECK(filter_table("shop", "orders"));
	CHECK(filter_table("mysql", "user"));
}

/* With include patterns only matching tables are in. */
static void
test_include_only_matches(void)
{
	CHECK_INT(load("shop.orders, crm.*", ""), 0);
	CHECK(filter_table("shop", "orders"));
	CHECK(filter_table("crm", "people"));
	CHECK(!filter_table("shop", "items"));
	CHECK(!filter_table("other", "orders"));
}

/* Exclude wins over include. */
static void
test_exclude_wins(void)
{
	CHECK_INT(load("shop.*", "shop.secret*"), 0);
	CHECK(filter_table("shop", "orders"));
	CHECK(!filter_table("shop", "secrets"));
	CHECK_INT(load("", "*.tmp_*"), 0);
	CHECK(!filter_table("any", "tmp_x"));
	CHECK(filter_table("any", "x_tmp"));
}

/* Anchored: the whole name must match, not a part of it. */
static void
test_anchored(void)
{
	CHECK(filter_pattern_match("shop.order", "shop", "order"));
	CHECK(!filter_pattern_match("shop.order", "shop", "orders"));
	CHECK(!filter_pattern_match("shop.order", "myshop", "order"));
	CHECK(!filter_pattern_match("hop.order", "shop", "order"));
}

/* '*' any run (also empty), '?' one character, never the dot. */
static void
test_star_question(void)
{
	CHECK(filter_pattern_match("s*.o*", "shop", "orders"));
	CHECK(filter_pattern_match("shop*.orders", "shop", "orders"));
	CHECK(filter_pattern_match("shop.t?", "shop", "t1"));
	CHECK(!filter_pattern_match("shop.t?", "shop", "t12"));
	CHECK(!filter_pattern_match("shop*", "shop", "x"));
	CHECK(!filter_pattern_match("*", "a", "b"));
	/* a star in the database half does not reach into the table */
	CHECK(!filter_pattern_match("a*.c", "a", "b.c"));
}

/* [a-z] classes; a dot inside a class does not split. */
static void
test_class(void)
{
	CHECK(filter_pattern_match("db[0-9].t", "db7", "t"));
	CHECK(!filter_pattern_match("db[0-9].t", "dbx", "t"));
	CHECK(filter_pattern_match("d.t[.]x", "d", "t.x"));
}

/* '\' makes the next character literal: "\." a dot in a name. */
static void
test_escape(void)
{
	CHECK(filter_pattern_match("my\\.db.t", "my.db", "t"));
	CHECK(!filter_pattern_match("my\\.db.t", "my", "db.t"));
	CHECK(filter_pattern_match("d.a\\*", "d", "a*"));
	CHECK(!filter_pattern_match("d.a\\*", "d", "ab"));
}

/* Case-sensitive, as table names on a Linux server. */
static void
test_case(void)
{
	CHECK(!filter_pattern_match("shop.Orders", "shop", "orders"));
}

/* A pattern without both halves is refused with a message. */
static void
test_bad_patterns(void)
{
	CHECK_INT(load("shop", ""), -1);
	CHECK_HAS(err, "\"shop\" is not a database.table pattern");
	CHECK_INT(load("", ".t"), -1);
	CHECK_INT(load("", "d."), -1);
	CHECK_INT(load("a.b.c", ""), -1);
}

static void
test_events(void)
{
	config_defaults(&conf);
	CHECK_INT(filter_load(&conf, err, sizeof(err)), 0);
	CHECK(filter_event(FILTER_INSERT) && filter_event(FILTER_UPDATE) &&
	    filter_event(FILTER_DELETE) && filter_event(FILTER_COMMIT));
	CHECK(!filter_event(FILTER_DDL));
	strcpy(conf.filter_events, "delete ,ddl");
	CHECK_INT(filter_load(&conf, err, sizeof(err)), 0);
	CHECK(!filter_event(FILTER_INSERT) && !filter_event(FILTER_UPDATE));
	CHECK(filter_event(FILTER_DELETE) && filter_event(FILTER_DDL));
	CHECK(!filter_event(FILTER_COMMIT));
	strcpy(conf.filter_events, "commit");
	CHECK_INT(filter_load(&conf, err, sizeof(err)), 0);
	CHECK(filter_event(FILTER_COMMIT) && !filter_event(FILTER_DELETE));
	strcpy(conf.filter_events, "insert,upsert");
	CHECK_INT(filter_load(&conf, err, sizeof(err)), -1);
	CHECK_HAS(err, "\"upsert\" is not one of insert, update, delete, ddl, "
	    "commit");
}

static void
test_drop_columns(void)
{
	struct column cols[3];
	struct tablemap tm;

	memset(&tm, 0, sizeof(tm));
	memset(cols, 0, sizeof(cols));
	strcpy(tm.db, "shop");
	strcpy(tm.table, "users");
	strcpy(cols[0].name, "id");
	strcpy(cols[1].name, "password");
	strcpy(cols[2].name, "pass_hint");
	tm.cols = cols;
	tm.ncols = 3;
	config_defaults(&conf);
	strcpy(conf.filter_drop_columns, "shop.users.password *.*.pass_*");
	CHECK_INT(filter_load(&conf, err, sizeof(err)), 0);
	filter_columns(&tm);
	CHECK(!cols[0].dropped && cols[1].dropped && cols[2].dropped);
	strcpy(tm.table, "admins");
	filter_columns(&tm);
	CHECK(!cols[0].dropped && !cols[1].dropped && cols[2].dropped);
	strcpy(conf.filter_drop_columns, "shop.users");
	CHECK_INT(filter_load(&conf, err, sizeof(err)), -1);
	CHECK_HAS(err, "not a database.table.column pattern");
}

/* kafka.<property> lines are collected in order as name=value lines. */
static void
test_passthrough(void)
{
	char path[] = "/tmp/test_filter.XXXXXX";
	FILE *fp;
	int fd = mkstemp(path);

	if (!CHECK(fd != -1) || !CHECK((fp = fdopen(fd, "w")) != NULL))
		return;
	fprintf(fp, "[sink]\nbrokers = a:9092\nkafka.compression.type = lz4\n"
	    "kafka.linger.ms = 5\n[filter]\ninclude = shop.*\n");
	fclose(fp);
	CHECK_INT(config_load(&conf, path, err, sizeof(err)), 0);
	CHECK_STR(conf.kafka_props, "compression.type=lz4\nlinger.ms=5\n");
	CHECK_STR(conf.kafka_brokers, "a:9092");
	CHECK_STR(conf.filter_include, "shop.*");
	fp = fopen(path, "w");
	fprintf(fp, "[sink]\nkafka. = x\n");
	fclose(fp);
	CHECK_INT(config_load(&conf, path, err, sizeof(err)), -1);
	CHECK_HAS(err, "needs a property name after its prefix");
	unlink(path);
}

int
main(void)
{
	RUN(test_no_include_all_in);
	RUN(test_include_only_matches);
	RUN(test_exclude_wins);
	RUN(test_anchored);
	RUN(test_star_question);
	RUN(test_class);
	RUN(test_escape);
	RUN(test_case);
	RUN(test_bad_patterns);
	RUN(test_events);
	RUN(test_drop_columns);
	RUN(test_passthrough);
	return tap_done();
}
