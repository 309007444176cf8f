/* test_dump.c: the COM_BINLOG_DUMP_GTID packet against bytes written by
 * MySQL servers: the GTID set encoding is the one of PREVIOUS_GTIDS
 * events (Gtid_set::encode), so a fixture file's PREVIOUS_GTIDS body and
 * the tagged bodies of tests/fixtures/vectors/events.tsv are the expected
 * encodings of the sets MANIFEST.md names; the header fields are checked
 * against the layout computed by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "dump.h"

#define FIXTURES	TOP_SRCDIR "/tests/fixtures/"
#define BUF_MAX		4096

static struct gtid_set *
set_of(const char *text)
{
	struct gtid_set *set = gtid_set_new(GTID_FLAVOR_MYSQL);
	char err[256];

	if (!CHECK(gtid_set_parse(set, text, err, sizeof(err)) == 0))
		printf("# %s: %s\n", text, err);
	return set;
}

/* The encoding equals want[0, wantlen), printed in hex when not. */
static void
check_encoding(const char *text, const uint8_t *want, size_t wantlen)
{
	struct gtid_set *set = set_of(text);
	uint8_t got[BUF_MAX];
	size_t n = dump_gtid_encode(set, got, sizeof(got)), i;

	if (!CHECK_U64(n, wantlen) || !CHECK(memcmp(got, want, n) == 0)) {
		printf("# %s:\n#   got:  ", text);
		for (i = 0; i < n && i < sizeof(got); i++)
			printf("%02x", got[i]);
		printf("\n");
	}
	gtid_set_free(set);
}

/* The body of the first PREVIOUS_GTIDS (35) event of a binlog file with
 * CRC32 checksums: after the 19-byte header, before the 4-byte CRC. */
static size_t
prev_gtids_body(const char *path, uint8_t *out, size_t cap)
{
	static uint8_t file[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n, at = 4, len;

	if (!CHECK(f != NULL))
		return 0;
	n = fread(file, 1, sizeof(file), f);
	fclose(f);
	while (at + 19 <= n) {
		len = file[at + 9] | file[at + 10] << 8 |
		    (size_t)file[at + 11] << 16 | (size_t)file[at + 12] << 24;
		if (len < 23 || at + len > n)
			break;
		if (file[at + 4] == 35 && len - 23 <= cap) {
			memcpy(out, file + at + 19, len - 23);
			return len - 23;
		}
		at += len;
	}
	CHECK(!"no PREVIOUS_GTIDS event");
	return 0;
}

/* MANIFEST.md, file 14: PREV 87cee3a4-6b31-11e7-bdfd-0d98d6698870:1-14916,
 * written by Percona Server 5.7.24 (untagged format). */
static void
test_untagged_from_server(void)
{
	uint8_t want[BUF_MAX];
	size_t n = prev_gtids_body(FIXTURES
	    "files/percona-5.7.24-gtid-decimal.binlog", want, sizeof(want));

	check_encoding("87cee3a4-6b31-11e7-bdfd-0d98d6698870:1-14916", want, n);
}

/* A tag: a letter or '_' right after a ':'. */
static int
has_tag(const char *text)
{
	const char *p;

	for (p = text; (p = strchr(p, ':')) != NULL; p++)
		if ((p[1] >= 'a' && p[1] <= 'z') || p[1] == '_')
			return 1;
	return 0;
}

/* events.tsv's PREVIOUS_GTIDS rows: the tagged 8.4 encoding of the sets
 * in the expected column, for the sets that hold a tag (a set without
 * one is sent in the old format, which every server reads). */
static void
test_tagged_from_vectors(void)
{
	static char line[1 << 14];
	uint8_t want[BUF_MAX];
	char *hex, *exp, *tab;
	FILE *f = fopen(FIXTURES "vectors/events.tsv", "r");
	int checked = 0;

	if (!CHECK(f != NULL))
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "PREVIOUS_GTIDS", 14) != 0 ||
		    (hex = strchr(line, '\t')) == NULL ||
		    (hex = strchr(hex + 1, '\t')) == NULL ||
		    (exp = strchr(++hex, '\t')) == NULL)
			continue;
		*exp++ = '\0';
		if (strncmp(exp, "gtid_set=", 9) != 0)
			continue;
		exp += 9;
		if ((tab = strchr(exp, '\t')) != NULL)
			*tab = '\0';
		if (!has_tag(exp))
			continue;
		check_encoding(exp, want, tap_unhex(hex, want, sizeof(want)));
		checked++;
	}
	fclose(f);
	CHECK(checked >= 3);
}

/* The whole argument, computed by hand from the layout in dump.c. */
static void
test_packet_layout(void)
{
	struct gtid_set *set = set_of("87cee3a4-6b31-11e7-bdfd-0d98d6698870:"
	    "1-14916:14918");
	uint8_t got[BUF_MAX], want[BUF_MAX];
	size_t n, wn = tap_unhex(
	    "0400"			/* flags: BINLOG_THROUGH_GTID */
	    "e9030000"			/* server_id 1001 */
	    "00000000"			/* no binlog name */
	    "0400000000000000"		/* position 4 */
	    "40000000"			/* 64 bytes of GTID set */
	    "0100000000000000"		/* one sid */
	    "87cee3a46b3111e7bdfd0d98d6698870"
	    "0200000000000000"		/* two intervals */
	    "0100000000000000" "453a000000000000"	/* [1, 14917) */
	    "463a000000000000" "473a000000000000",	/* [14918, 14919) */
	    want, sizeof(want));

	n = dump_gtid_packet(set, 1001, got, sizeof(got));
	CHECK_U64(n, wn);
	CHECK(memcmp(got, want, wn) == 0);
	/* sizing with a short buffer: the length, nothing past size */
	memset(got, 0xaa, sizeof(got));
	CHECK_U64(dump_gtid_packet(set, 1001, got, 10), wn);
	CHECK(memcmp(got, want, 10) == 0 && got[10] == 0xaa);
	gtid_set_free(set);
}

/* The empty set: eight zero bytes, as MySQL encodes it. */
static void
test_empty(void)
{
	static const uint8_t zero[8];

	check_encoding("", zero, sizeof(zero));
}

/* PREVIOUS_GTIDS adds to the start set instead of replacing it. */
static void
test_merge(void)
{
	struct gtid_set *set = set_of("87cee3a4-6b31-11e7-bdfd-0d98d6698870:"
	    "1-10:20");
	char err[256], buf[256];

	CHECK_INT(gtid_set_merge(set, "87cee3a4-6b31-11e7-bdfd-0d98d6698870:"
	    "1-5:11-15,896e7882-18fe-11ef-ab88-22222d34d411:aaaa:1", err,
	    sizeof(err)), 0);
	gtid_set_format(set, buf, sizeof(buf));
	CHECK_STR(buf, "87cee3a4-6b31-11e7-bdfd-0d98d6698870:1-15:20,"
	    "896e7882-18fe-11ef-ab88-22222d34d411:aaaa:1");
	CHECK_INT(gtid_set_merge(set, "87cee3a4:1", err, sizeof(err)), -1);
	gtid_set_free(set);
}

int
main(void)
{
	RUN(test_untagged_from_server);
	RUN(test_tagged_from_vectors);
	RUN(test_packet_layout);
	RUN(test_empty);
	RUN(test_merge);
	return tap_done();
}
