/* test_decode.c: the column decoders against the byte-level vectors of
 * tests/fixtures/vectors (values from real MySQL servers and other
 * decoders' tests, see MANIFEST.md), and truncated values giving an error,
 * never an out-of-bounds read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "binlog_int.h"
#include "offline.h"
#include "output.h"

#define VECTORS	TOP_SRCDIR "/tests/fixtures/vectors/"

static struct offline_result st;
static struct reader rd;
static struct tablemap tm = { .db = "test", .table = "t" };

/* A vector's type column ("TIME2(19)", "NEWDECIMAL") and metadata. */
static void
vector_column(const char *type, const char *meta, struct column *col)
{
	const char *paren = strchr(type, '(');
	int p, s;

	memset(col, 0, sizeof(*col));
	strcpy(col->name, "c");
	col->type = paren ? (uint8_t)atoi(paren + 1) : COL_NEWDECIMAL;
	if (sscanf(meta, "precision=%d,scale=%d", &p, &s) == 2)
		col->meta = (uint16_t)(p << 8 | s);
	else if (sscanf(meta, "fsp=%d", &p) == 1)
		col->meta = (uint16_t)p;
	if (col->type == COL_JSON)
		col->meta = 4;
}

/* Decodes hex as one value of col; "" plus an error when it fails. */
static const char *
decode(struct column *col, const uint8_t *val, size_t n, int *err)
{
	static struct obuf o;
	static uint8_t buf[65536 + 4];
	struct cursor c;
	size_t len = n;

	if (col->type == COL_JSON) {	/* the vectors strip the length */
		buf[0] = (uint8_t)n;
		buf[1] = (uint8_t)(n >> 8);
		buf[2] = buf[3] = 0;
		memcpy(buf + 4, val, n);
		len = n + 4;
	} else
		memcpy(buf, val, n);
	o.len = 0;
	cursor_init(&c, buf, len);
	st.finished = false;
	*err = rows_value(&rd, &c, &tm, col, &o) == -1 || c.err ||
	    cursor_left(&c) != 0;
	obuf_add(&o, "", 1);
	return o.buf;
}

/* The expected text as our JSON form: temporals quoted, the vectors'
 * " UTC (epoch N)" notes dropped. */
static void
expected_json(const struct column *col, const char *want, char *out,
    size_t size)
{
	char tmp[4000];
	char *utc;

	snprintf(tmp, sizeof(tmp), "%.3990s", want);
	if ((utc = strstr(tmp, " UTC (epoch")) != NULL)
		*utc = '\0';
	switch (col->type) {
	case COL_DATE: case COL_NEWDATE: case COL_TIME: case COL_DATETIME:
	case COL_TIMESTAMP: case COL_TIME2: case COL_DATETIME2:
	case COL_TIMESTAMP2:
		snprintf(out, size, "\"%s\"", tmp);
		return;
	}
	snprintf(out, size, "%s", tmp);
}

static void
run_file(const char *name)
{
	char path[512], line[70000], want[4100];
	char *type, *meta, *hex, *exp, *rest;
	static uint8_t val[65536];
	struct column col;
	const char *got;
	int n = 0, err, cut;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), VECTORS "%s", name);
	if (!CHECK((f = fopen(path, "r")) != NULL))
		return;
	fgets(line, sizeof(line), f);		/* header */
	while (fgets(line, sizeof(line), f) != NULL) {
		rest = line;
		type = strsep(&rest, "\t");
		meta = strsep(&rest, "\t");
		hex = strsep(&rest, "\t");
		exp = strsep(&rest, "\t");
		if (type == NULL || meta == NULL || exp == NULL)
			continue;
		vector_column(type, meta, &col);
		len = tap_unhex(hex, val, sizeof(val));
		expected_json(&col, exp, want, sizeof(want));
		got = decode(&col, val, len, &err);
		if (!CHECK_STR(got, want) || !CHECK(!err))
			printf("#   vector %s %s %s\n", type, meta, hex);
		/* every proper prefix is an error, not a read past it */
		for (cut = 0; len > 0 && cut < (int)len; cut++) {
			decode(&col, val, (size_t)cut, &err);
			if (col.type != COL_JSON && !CHECK(err))
				printf("#   prefix %d of %s accepted\n", cut, hex);
		}
		n++;
	}
	fclose(f);
	printf("# %s: %d vectors\n", name, n);
	CHECK(n > 50);
}

static void
test_decimal(void)
{
	run_file("decimal.tsv");
}

static void
test_temporal(void)
{
	run_file("temporal.tsv");
}

/* TIMESTAMP2 against gmtime: every day from 1970 to 2106 (the end of a
 * 32-bit time), each at two times in turn, so that the decoder's day of
 * the last value is both taken again and left behind. */
static void
test_timestamp_days(void)
{
	struct column col;
	uint8_t be[4];
	char want[40];
	const char *got;
	uint64_t day, t;
	struct tm g;
	time_t tt;
	int err, bad = 0, k;

	vector_column("TIMESTAMP2(17)", "fsp=0", &col);
	for (day = 0; day * 86400 <= UINT32_MAX; day++)
		for (k = 0; k < 2; k++) {
			t = day * 86400 + (k ? 86399 : 1);
			if (t > UINT32_MAX)
				break;
			be[0] = (uint8_t)(t >> 24);
			be[1] = (uint8_t)(t >> 16);
			be[2] = (uint8_t)(t >> 8);
			be[3] = (uint8_t)t;
			tt = (time_t)t;
			gmtime_r(&tt, &g);
			strftime(want, sizeof(want), "\"%Y-%m-%d %H:%M:%S\"", &g);
			got = decode(&col, be, 4, &err);
			bad += err || strcmp(got, want) != 0;
		}
	CHECK_INT(bad, 0);
}

static void
test_json_binary(void)
{
	run_file("json_binary.tsv");
}

/* PARTIAL_UPDATE's diffs applied to the previous document (both from
 * the vector's expected column) give the stated result. */
static void
test_json_diff(void)
{
	char line[8192], *f[5], *rest, *res, *prev, *end;
	static struct obuf o, w[3];
	static uint8_t buf[4096];
	struct column col = { .type = COL_JSON, .meta = 4 };
	struct cursor c;
	size_t n;
	int i, count = 0;
	FILE *fp = fopen(VECTORS "json_diff.tsv", "r");

	if (!CHECK(fp != NULL))
		return;
	fgets(line, sizeof(line), fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		rest = line;
		for (i = 0; i < 5; i++)
			f[i] = strsep(&rest, "\t");
		if (f[3] == NULL || (res = strstr(f[3], "=> ")) == NULL ||
		    (prev = strstr(res, " (previous doc ")) == NULL)
			continue;
		*prev = '\0';
		res += 3;
		prev += strlen(" (previous doc ");
		if ((end = strrchr(prev, ')')) != NULL)
			*end = '\0';
		n = tap_unhex(f[2], buf + 4, sizeof(buf) - 4);
		buf[0] = (uint8_t)n;
		buf[1] = (uint8_t)(n >> 8);
		buf[2] = buf[3] = 0;
		cursor_init(&c, buf, n + 4);
		o.len = 0;
		CHECK_INT(jsondiff_apply(&c, &col, prev, strlen(prev), &o, w), 0);
		obuf_add(&o, "", 1);
		CHECK_STR(o.buf, res);
		count++;
	}
	fclose(fp);
	CHECK_INT(count, 3);
}

/* Diffs of each kind on nested paths, against MySQL's documented
 * JSON_REPLACE / JSON_INSERT / JSON_ARRAY_INSERT / JSON_REMOVE results. */
static void
test_json_diff_ops(void)
{
	static const struct {
		const char *before, *hex, *want;
	} t[] = {
		/* JSON_REMOVE('{"a": 1, "b": [1, 2]}', '$.a') */
		{ "{\"a\": 1, \"b\": [1, 2]}", "0203242e61",
		  "{\"b\": [1, 2]}" },
		/* JSON_INSERT('{"a": 1}', '$.c', true) */
		{ "{\"a\": 1}", "0103242e63020401", "{\"a\": 1, \"c\": true}" },
		/* JSON_ARRAY_INSERT('{"b": [1, 2]}', '$.b[1]', 7) */
		{ "{\"b\": [1, 2]}", "0106242e625b315d03050700",
		  "{\"b\": [1, 7, 2]}" },
		/* JSON_REMOVE('[1, 2, 3]', '$[2]') */
		{ "[1, 2, 3]", "0204245b325d", "[1, 2]" },
	};
	static struct obuf o, w[3];
	static uint8_t buf[256];
	struct column col = { .type = COL_JSON, .meta = 4 };
	struct cursor c;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = tap_unhex(t[i].hex, buf + 4, sizeof(buf) - 4);
		memset(buf, 0, 4);
		buf[0] = (uint8_t)n;
		cursor_init(&c, buf, n + 4);
		o.len = 0;
		CHECK_INT(jsondiff_apply(&c, &col, t[i].before,
		    strlen(t[i].before), &o, w), 0);
		obuf_add(&o, "", 1);
		CHECK_STR(o.buf, t[i].want);
	}
}

int
main(void)
{
	offline_init(&rd, &st);
	RUN(test_decimal);
	RUN(test_temporal);
	RUN(test_timestamp_days);
	RUN(test_json_binary);
	RUN(test_json_diff);
	RUN(test_json_diff_ops);
	return tap_done();
}
