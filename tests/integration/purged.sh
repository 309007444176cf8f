#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# purged.sh: PURGE BINARY LOGS past the saved position while binlogd is
# stopped, once per on_purged policy.  fail: binlogd exits 83 with a message
# naming the policy, nothing is recorded and the checkpoint is untouched.
# earliest: streaming resumes at the oldest binlog the server still has
# (rows there arrive, rows only in the purged file do not) and a gap from
# the saved position to that file's start is recorded.  latest: streaming
# resumes at the server's position and the gap ends there.  The bounds are
# the server's own SHOW MASTER STATUS / SHOW BINARY LOGS / BINLOG_GTID_POS.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table

# "id id id ..." of the records from line $1 on.
ids_from() {
	tail -n +"$1" "$RECORDS" | python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["data"]["id"]) for l in sys.stdin))'
}

# The server's position now, as "file|offset|gtid".
server_now() {
	read -r file offset <<<"$(master_position)"
	echo "$file|$offset|$(sql 'SELECT @@gtid_binlog_pos')"
}

gaps() {
	sqlite3 "$TMP/checkpoint.db" "SELECT from_file || ':' || from_offset ||
	    '|' || from_gtid || '|' || to_file || ':' || to_offset || '|' ||
	    to_gtid FROM gaps ORDER BY id" 2>/dev/null || true
}

# The server keeps a binlog InnoDB may still need for crash recovery: PURGE
# until it has let go of everything before $1.
lib_purged_to() {
	sql "PURGE BINARY LOGS TO '$1'"
	[ "$(sql 'SHOW BINARY LOGS' | head -n 1 | cut -f1)" = "$1" ]
}

purge_to() {
	wait_until 30 "the server to purge the binlogs before $1" \
	    lib_purged_to "$1"
}

saved() {
	sqlite3 "$TMP/checkpoint.db" "SELECT file || '|' || offset || '|' ||
	    gtid FROM checkpoint"
}

# --- a checkpoint after rows 1..5, then rows 6..7 in a file we purge
binlogd_start
numbered_rows 1 5 | sql
wait_for_records 5
binlogd_stop
P0=$(server_now)
assert_eq "$P0" "$(saved)" "checkpoint after the first stop"
numbered_rows 6 7 | sql
sql "FLUSH BINARY LOGS"
numbered_rows 8 9 | sql
sql "FLUSH BINARY LOGS"
first=$(sql "SHOW BINARY LOGS" | sed -n 2p | cut -f1)
purge_to "$first"
numbered_rows 10 11 | sql

# --- fail: exit 83, clear message, nothing recorded, checkpoint kept
BL_EXTRA_STREAM="on_purged = fail"
binlogd_spawn
wait_until 60 "binlogd to give up with on_purged = fail" lib_gone "$BL_PID"
rc=0
wait "$BL_PID" || rc=$?
lib_forget "$BL_PID"
assert_eq 83 "$rc" "binlogd's exit status with on_purged = fail"
assert_le 1 "$(log_count 'binary log position not available on the server.*on_purged = fail: restore the purged binlogs')" \
    "lines explaining on_purged = fail"
assert_le 1 "$(log_count 'streamer \(pid [0-9]+\) exited with code 83')" \
    "streamer exit 83 in the supervisor's log"
assert_eq 5 "$(record_count)" "records after on_purged = fail"
assert_eq "" "$(gaps)" "gaps after on_purged = fail"
assert_eq "$P0" "$(saved)" "checkpoint after on_purged = fail"

# --- earliest: from the start of $first, a gap from P0 to there
BL_EXTRA_STREAM="on_purged = earliest"
binlogd_start
wait_for_records 9
binlogd_stop
assert_eq "8 9 10 11" "$(ids_from 6)" "rows after the earliest reset"
to_gtid=$(sql "SELECT BINLOG_GTID_POS('$first', 4)")
IFS='|' read -r f o g <<<"$P0"
assert_eq "$f:$o|$g|$first:4|$to_gtid" "$(gaps)" "the gap of earliest"
assert_le 1 "$(log_count 'on_purged = earliest: rows between .* are lost')" \
    "the streamer's error line for earliest"
assert_le 1 "$(log_count 'recorded a gap from')" "checkpointd's gap line"
P1=$(server_now)
assert_eq "$P1" "$(saved)" "checkpoint after the earliest reset"

# --- latest: rows 12..13 only in purged files; resume at the end
numbered_rows 12 13 | sql
sql "FLUSH BINARY LOGS"
purge_to "$(master_position | cut -d' ' -f1)"
L=$(server_now)
BL_EXTRA_STREAM="on_purged = latest"
binlogd_start
wait_for_log 'on_purged = latest'
wait_for_log 'streaming from'
numbered_rows 14 14 | sql
wait_for_records 10
binlogd_stop
assert_eq "14" "$(ids_from 10)" "rows after the latest reset"
IFS='|' read -r f o g <<<"$P1"
IFS='|' read -r lf lo lg <<<"$L"
assert_eq "$f:$o|$g|$lf:$lo|$lg" "$(gaps | sed -n 2p)" "the gap of latest"
assert_eq 2 "$(gaps | wc -l)" "gaps recorded in all"
# The next start tells the operator again.
binlogd_start
wait_for_log "2 gap\\(s\\) recorded in the checkpoint database, the last: .* $f:$o -> $lf:$lo "
binlogd_stop
note "fail exited 83; earliest skipped rows 6-7, latest rows 12-13; 2 gaps"
