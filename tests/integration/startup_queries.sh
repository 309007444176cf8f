#!/bin/bash
# startup_queries.sh: the dump connection asks its start-up questions (the
# server's settings, the grants, the session variables, the previous
# streamer's dump thread) in one round trip.  The server's general log is
# the witness: after a restart the dump connection's first query holds
# them all, and it sends at most 2 queries before its Binlog Dump (that
# one, then the GTID to resume from with the KILL of the stale dump
# thread) where one by one they were 11, and 5 while mariadb_rpl_open
# sent the dump (it asks two questions of its own first).  A failing
# question ends the batch and is asked again on its own, with its own
# error: server_checks.sh's missing grants.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table
BL_HEARTBEAT=60s BL_READ_TIMEOUT=300s
binlogd_start
binlogd_stop
sql "TRUNCATE mysql.general_log; SET GLOBAL log_output = 'TABLE';
    SET GLOBAL general_log = 1"
binlogd_start
wait_for_log 'ended dump thread' 1
sql "SET GLOBAL general_log = 0"

dump=$(sql "SELECT thread_id FROM mysql.general_log
    WHERE command_type = 'Binlog Dump'")
assert_match "$dump" '^[0-9]+$' "the one dump connection in the general log"
queries=$(sql "SELECT COUNT(*) FROM mysql.general_log
    WHERE thread_id = $dump AND command_type = 'Query'")
first=$(sql "SELECT argument FROM mysql.general_log
    WHERE thread_id = $dump AND command_type = 'Query'
    ORDER BY event_time LIMIT 1" | tr '\n' ' ')
for q in 'SELECT @@version' 'SET @master_binlog_checksum' \
    'SHOW MASTER STATUS' 'information_schema.USER_PRIVILEGES' \
    'information_schema.GLOBAL_STATUS' 'information_schema.PROCESSLIST'; do
	case $first in
	*"$q"*) ;;
	*) fail "the dump connection's first query lacks '$q': $first" ;;
	esac
done
assert_le "$queries" 2 "queries the dump connection sent before its dump"
note "ok: $queries queries before the dump, the first: ${first:0:120}..."
