/* exitcode.h: exit statuses shared by every binlogd process, and what the
 * supervisor does when a child exits with each of them.  Scripts may rely on
 * these values: they are documented in binlogd(8). */
#ifndef BINLOGD_EXITCODE_H
#define BINLOGD_EXITCODE_H

/*
 * code                 meaning                                   supervisor
 * BX_OK                clean stop after SHUTDOWN                 none
 * BX_FAILURE           transient: network, server gone, bug      restart, backoff
 * BX_USAGE             bad command line                          give up
 * BX_CONFIG            bad configuration file or option          give up
 * BX_SERVER_CONFIG     server unsuitable (binlog_format != ROW,  restart, slow
 *                      log_bin off, spill_dir unwritable):
 *                      an operator must act
 * BX_AUTH              access denied by the server: password    restart, slow
 *                      or a missing grant
 * BX_STORE             checkpoint database corrupt/unwritable    give up
 * BX_PURGED            on_purged=fail and the position is gone   give up
 * BX_PEER_LOST         a sibling or the supervisor went away     restart
 * BX_DECODE            an event could not be decoded             restart, backoff
 * BX_OVERSIZE          a record over the sink's message limit    hold the streamer
 *                      with on_oversize = fail: an operator
 *                      must raise the limit or drop the column
 * BX_SCHEMA            a TABLE_MAP's columns differ from the     hold the streamer
 *                      table's known schema: an operator must
 *                      act, and a restart would meet it again
 */
enum binlogd_exit {
	BX_OK = 0,
	BX_FAILURE = 1,
	BX_USAGE = 64,		/* sysexits EX_USAGE */
	BX_CONFIG = 78,		/* sysexits EX_CONFIG */
	BX_SERVER_CONFIG = 80,
	BX_AUTH = 81,
	BX_STORE = 82,
	BX_PURGED = 83,
	BX_PEER_LOST = 84,
	BX_DECODE = 85,
	BX_OVERSIZE = 86,
	BX_SCHEMA = 87,
};

/* "access denied by the server", and "auth" for labels and scripts */
const char *exit_code_name(int code);
const char *exit_code_key(int code);

#endif
