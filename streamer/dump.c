/* dump.c: the dump commands binlogd sends itself on libmariadb's
 * connection.  MySQL's COM_BINLOG_DUMP_GTID -- a binlog dump that starts
 * after a GTID set -- which mariadb_rpl_open does not know; and
 * COM_BINLOG_DUMP, which mariadb_rpl_open sends only after two queries of
 * its own (the checksum, semi-sync), each a round trip that a dump read
 * by packet.c does not need.
 *
 * Layout (MySQL rpl_source.cc, com_binlog_dump_gtid), little-endian:
 *   flags 2, server_id 4, binlog name length 4 + name, position 8,
 *   GTID data length 4 + the set as Gtid_set::encode writes it:
 *   n_sids 8, then per sid: uuid 16, n_intervals 8, intervals as
 *   start 8 / end 8 (end exclusive).
 * A set with a tagged GTID (8.4) uses the tagged format: the n_sids word
 * holds the format (1) in its lowest and highest byte and the count in
 * bytes 1..6, and each uuid is followed by its tag as a varint length
 * (len << 1 for the at most 32 bytes of a tag) and the tag's bytes.  Plain
 * sets keep the old format, which servers before 8.3 require. */
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "log.h"
#include "position.h"

#define DUMP_FORMAT_TAGGED	1

/* Output that counts past the end of buf, so that a first pass sizes. */
struct dump_out {
	uint8_t		*buf;
	size_t		 size;
	size_t		 len;
};

static void
dump_put(struct dump_out *o, const void *p, size_t n)
{
	if (o->len < o->size)
		memcpy(o->buf + o->len, p,
		    o->size - o->len < n ? o->size - o->len : n);
	o->len += n;
}

static void
dump_put_uint(struct dump_out *o, uint64_t v, int bytes)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	dump_put(o, b, (size_t)bytes);
}

static int
dump_tagged(const struct gtid_set *set)
{
	uint8_t uuid[16];
	size_t i, niv;

	for (i = 0; i < gtid_set_nsids(set); i++)
		if (gtid_set_sid(set, i, uuid, &niv)[0] != '\0')
			return 1;
	return 0;
}

static void
dump_put_sid(struct dump_out *o, const struct gtid_set *set, size_t i,
    int tagged)
{
	uint8_t uuid[16], len;
	const char *tag;
	uint64_t start, end;
	size_t j, niv;

	tag = gtid_set_sid(set, i, uuid, &niv);
	dump_put(o, uuid, sizeof(uuid));
	if (tagged) {
		len = (uint8_t)strlen(tag);	/* at most 32 (gtid.c) */
		dump_put_uint(o, (uint64_t)len << 1, 1);
		dump_put(o, tag, len);
	}
	dump_put_uint(o, niv, 8);
	for (j = 0; j < niv; j++) {
		gtid_set_interval(set, i, j, &start, &end);
		dump_put_uint(o, start, 8);
		dump_put_uint(o, end + 1, 8);
	}
}

static void
dump_put_set(struct dump_out *o, const struct gtid_set *set)
{
	uint64_t n = gtid_set_nsids(set);
	int tagged = dump_tagged(set);
	size_t i;

	if (tagged)
		n = (uint64_t)DUMP_FORMAT_TAGGED << 56 | n << 8 |
		    DUMP_FORMAT_TAGGED;
	dump_put_uint(o, n, 8);
	for (i = 0; i < gtid_set_nsids(set); i++)
		dump_put_sid(o, set, i, tagged);
}

size_t
dump_gtid_encode(const struct gtid_set *set, uint8_t *buf, size_t size)
{
	struct dump_out o = { buf, size, 0 };

	dump_put_set(&o, set);
	return o.len;
}

/* No binlog name and position 4: the server finds the first file whose
 * events are not all in the set, and says so in an artificial ROTATE. */
size_t
dump_gtid_packet(const struct gtid_set *set, uint32_t server_id,
    uint8_t *buf, size_t size)
{
	struct dump_out o = { buf, size, 0 };

	dump_put_uint(&o, DUMP_THROUGH_GTID, 2);
	dump_put_uint(&o, server_id, 4);
	dump_put_uint(&o, 0, 4);
	dump_put_uint(&o, 4, 8);
	dump_put_uint(&o, dump_gtid_encode(set, NULL, 0), 4);
	dump_put_set(&o, set);
	return o.len;
}

/* COM_BINLOG_DUMP: position 4, flags 2, server_id 4, the file's name. */
int
dump_file_send(MYSQL *mysql, const char *file, uint32_t pos,
    uint32_t server_id)
{
	size_t len = strlen(file);
	uint8_t buf[10 + POS_FILE_MAX];
	struct dump_out o = { buf, sizeof(buf), 0 };

	/* a position's name, which config.c keeps under the servers' limit
	 * (FN_REFLEN): cut, it would name another file */
	if (len >= POS_FILE_MAX)
		fatalx("COM_BINLOG_DUMP: a binlog file name of %zu bytes, "
		    "%d at most", len, POS_FILE_MAX - 1);
	dump_put_uint(&o, pos, 4);
	dump_put_uint(&o, 0, 2);
	dump_put_uint(&o, server_id, 4);
	dump_put(&o, file, len);
	return mysql->methods->db_command(mysql, COM_BINLOG_DUMP,
	    (const char *)buf, o.len, 1, NULL) == 0 ? 0 : -1;
}

/* mysql->methods->db_command is what mariadb_rpl_open's ma_simple_command
 * calls (ma_simple_command is not exported); 0x1e is the enum's
 * COM_UNSUPPORTED, a valid value, and skip_check 1 leaves the answer --
 * the event stream or an ERR packet -- to the reader, as after
 * mariadb_rpl_open. */
int
dump_gtid_send(MYSQL *mysql, const struct gtid_set *set, uint32_t server_id)
{
	size_t len = dump_gtid_packet(set, server_id, NULL, 0);
	uint8_t *buf;
	int rc;

	if ((buf = malloc(len)) == NULL)
		fatalx("COM_BINLOG_DUMP_GTID: out of memory");
	dump_gtid_packet(set, server_id, buf, len);
	rc = mysql->methods->db_command(mysql,
	    (enum enum_server_command)DUMP_COM_BINLOG_DUMP_GTID,
	    (const char *)buf, len, 1, NULL);
	free(buf);
	return rc == 0 ? 0 : -1;
}
