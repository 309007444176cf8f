#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# startup_overlap.sh: the start-up's two slow parts overlap, and a new
# checkpoint database does not sync what no position depends on yet.
# checkpointd runs on a slow disk (tests/fsync_log.c, every fsync 300 ms
# late) and creates the database:
#  - before its "ready" line it made the three fsyncs of the switch to
#    WAL (its rollback journal twice, the database file), none for the
#    migrations (checkpointd/store.c; they made two more: the new WAL's
#    header, the commit);
#  - meanwhile the streamer connected and checked the server: its
#    "server ... server_id" line comes before its "no checkpoint" line,
#    which needs checkpointd's answer;
#  - the rows committed after the start arrive, and once saved, the
#    database cut back to what the fsyncs covered (a power loss) still
#    opens with that position: the first save made the migrations
#    durable with it.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v sqlite3 >/dev/null || hard_error "sqlite3 not installed"
mariadb_start
numbered_table
fsync_log_child binlogd-checkpointd 300
binlogd_start

# log_us ERE: the first matching log line's time, in microseconds.
log_us() {
	date -d "$(grep -Em1 -- "$1" "$BL_LOG" | cut -d' ' -f1)" +%s%6N
}
ready=$(log_us 'checkpointd\[[0-9]+\] info: ready: ')
early=$(awk -v t="$ready" '$3 < t { n++ } END { print n + 0 }' "$FSYNC_LOG")
assert_eq 3 "$early" "checkpointd's fsyncs before its ready line"

server=$(grep -Enm1 'streamer\[[0-9]+\] info: server .* server_id' "$BL_LOG" |
    cut -d: -f1)
position=$(grep -Enm1 'streamer\[[0-9]+\] info: no checkpoint' "$BL_LOG" |
    cut -d: -f1)
assert_match "$server" '^[0-9]+$' "the streamer's server line"
assert_match "$position" '^[0-9]+$' "the streamer's no-checkpoint line"
assert_le "$server" "$((position - 1))" \
    "the server line's number (checked while checkpointd was busy)"

numbered_rows 1 3 | sql
wait_for_records 3
assert_eq "row-1 row-2 row-3" "$(grep -o 'row-[0-9]*' "$RECORDS" | xargs)" \
    "the records of the rows committed after the start"
wait_for_checkpoint
saved=$(sql "SELECT @@global.gtid_binlog_pos")

db=$TMP/checkpoint.db
mkdir "$TMP/cut"
for f in "$db" "$db-wal"; do
	head -c "$(fsynced "$f")" "$f" >"$TMP/cut/${f##*/}"
done
after=$(sqlite3 "$TMP/cut/checkpoint.db" "SELECT gtid FROM checkpoint")
assert_eq "$saved" "$after" "the position in the database cut back to its fsyncs"
binlogd_stop
note "ok: ready after $early fsyncs (the switch to WAL's);" \
    "server checked at line $server, position at line $position"
