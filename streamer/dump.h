/* dump.h: the dump commands binlogd sends itself: MySQL's
 * COM_BINLOG_DUMP_GTID, which libmariadb does not send, and
 * COM_BINLOG_DUMP without mariadb_rpl_open's queries. */
#ifndef BINLOGD_DUMP_H
#define BINLOGD_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "gtid.h"

#define DUMP_COM_BINLOG_DUMP_GTID	0x1e
/* The flag that makes the server read the GTID set (rpl_source.cc). */
#define DUMP_THROUGH_GTID		0x04

/* MySQL's binary GTID set (Gtid_set::encode); returns the length, which
 * may exceed size (then only a prefix is written), as snprintf does. */
size_t	dump_gtid_encode(const struct gtid_set *, uint8_t *buf, size_t size);
/* The command's argument, after the command byte; length as above. */
size_t	dump_gtid_packet(const struct gtid_set *, uint32_t server_id,
	    uint8_t *buf, size_t size);
/* COM_BINLOG_DUMP from file:pos ("" and 4 with @slave_connect_state set:
 * MariaDB's GTID dump); the answer is the reader's, as after
 * mariadb_rpl_open.  0, or -1 with mysql_error. */
int	dump_file_send(MYSQL *, const char *file, uint32_t pos,
	    uint32_t server_id);
/* Sends the command on a connected handle; 0, or -1 with mysql_error. */
int	dump_gtid_send(MYSQL *, const struct gtid_set *, uint32_t server_id);

#endif
