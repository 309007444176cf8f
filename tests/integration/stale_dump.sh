#!/bin/bash
# stale_dump.sh: a restarted streamer ends the dump thread its predecessor
# left on the server (which would otherwise delay the new dump's first
# event by ~100 ms), and only that one.  The heartbeat is 60 s, so a stale
# thread does not end on its own.  A second binlogd (own database, own
# replica id, same user) streams beside it: its dump thread is never
# touched, through a kill -9 of the first streamer, a binlogctl restart
# and a clean stop and start of the first binlogd.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table
BL_HEARTBEAT=60s BL_READ_TIMEOUT=300s
binlogd_start
A_PID=$BL_PID A_LOG=$BL_LOG A_CONF=$BL_CONF

# dump_ids: the server's binlog dump threads of user binlogd, one per line.
dump_ids() {
	sql "SELECT ID FROM information_schema.PROCESSLIST WHERE USER =
	    'binlogd' AND COMMAND LIKE 'Binlog Dump%' ORDER BY ID"
}
dumps_are() { [ "$(dump_ids | grep -c .)" -eq "$1" ]; }
wait_until 30 "binlogd's dump thread on the server" dumps_are 1
A_OLD=$(dump_ids)

# the second instance
sed -e "s|^pid_file = .*|pid_file = $TMP/b.pid|" \
    -e "s|^control_socket = .*|control_socket = $TMP/b.sock|" \
    -e "s|^database = .*|database = $TMP/b.db|" \
    -e "s|^replica_server_id = .*|replica_server_id = 4343|" \
    "$A_CONF" >"$TMP/b.conf"
binlogd -f -c "$TMP/b.conf" >"$TMP/b.out" 2>"$TMP/b.log" &
B_PID=$!
PIDS="$PIDS $B_PID"
wait_until 30 "the second binlogd's dump thread" dumps_are 2
B_DUMP=$(dump_ids | grep -vx "$A_OLD")

# ended_after N THREAD: binlogd A's log has N "ended" lines, the last for
# THREAD, and the server lists B's thread and one new thread of A's.
ended_after() {
	wait_for_log "ended dump thread [0-9]+" "$1"
	assert_match "$(grep 'ended dump thread' "$A_LOG" | tail -1)" \
	    "ended dump thread $2, left on the server by the previous" \
	    "the thread binlogd ended"
	wait_until 30 "two dump threads again" dumps_are 2
	dump_ids | grep -qx "$B_DUMP" ||
	    fail "the second binlogd's dump thread $B_DUMP was ended"
	dump_ids | grep -qx "$2" && fail "dump thread $2 is still there"
	A_OLD=$(dump_ids | grep -vx "$B_DUMP")
}

kill_child streamer >/dev/null
ended_after 1 "$A_OLD"
binlogctl -s "$TMP/binlogd.sock" restart >/dev/null
ended_after 2 "$A_OLD"
binlogd_stop
binlogd_start
ended_after 3 "$A_OLD"

numbered_rows 1 20 | sql
inserts_in() { [ "$(grep -c '"type":"insert"' "$1")" -ge 20 ]; }
wait_until 30 "20 records from the first binlogd" inserts_in "$RECORDS"
b_has() { inserts_in "$TMP/b.out"; }
wait_until 30 "20 records from the second binlogd" b_has
grep -q 'ended dump thread' "$TMP/b.log" &&
    fail "the second binlogd ended a dump thread: $(grep 'ended' "$TMP/b.log")"
binlogd_stop
kill -TERM "$B_PID"
wait_until 30 "the second binlogd to exit" lib_gone "$B_PID"
