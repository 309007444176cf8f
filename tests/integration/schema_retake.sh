#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# schema_retake.sh: a DDL the schema history cannot follow (an ENUM of
# hex literals) on a table binlogd streams, run while
# binlogd is stopped between two rows (binlog_row_metadata=NO_LOG): the
# streamer stops at the DDL with one message naming the table, the
# position, why and what to do, exit status 87, held -- the row before it
# out with its names, nothing after it.  binlogctl history shows the
# table's versions; binlogctl schema retake (refused unless held, audited
# like set-position) and start-streamer: the stream goes on and the row
# after the DDL has the columns information_schema lists, with its values.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start --binlog-row-metadata=NO_LOG
sql "CREATE DATABASE s;
    CREATE TABLE s.t (id INT PRIMARY KEY, a VARCHAR(10));"
SOCK=$TMP/binlogd.sock
ctl() { binlogctl -s "$SOCK" "$@"; }
status() { ctl -j status | jq -r "$1"; }
held() { [ "$(status '.state + "|" + .children.streamer.state')" = \
    "held|down" ]; }

binlogd_start
binlogd_stop
sql "INSERT INTO s.t VALUES (1, 'one');
    ALTER TABLE s.t ADD COLUMN e ENUM(x'61', x'62');"
read -r file1 _ <<<"$(master_position)"
sql "INSERT INTO s.t VALUES (2, 'two', 'b')"
columns=$(sql "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION)
    FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = 's' AND TABLE_NAME = 't'")
note "columns now: $columns"

binlogd_spawn
wait_until 60 "binlogd to hold the streamer" held
error=$(status .stream.last_error)
note "$error"
assert_match "$error" "^table s\.t at $file1:[0-9]+: binlogd cannot follow this DDL in the table's schema history \(.*\): ALTER TABLE s\.t ADD" \
    "the message names the table, the position and why"
assert_match "$error" 'binlogctl schema retake s\.t .* binlogctl start-streamer' \
    "the message says what to do"
assert_match "$(status .children.streamer.last_exit)" 'code 87 ' \
    "the streamer's exit status"
assert_eq 1 "$(record_count)" "records before the stop"
assert_eq '{"id":1,"a":"one"}' "$(jq -c .data "$RECORDS")" \
    "the row before the DDL"

history=$(ctl history s.t)
note "$history"
assert_match "$history" '^1 version\(s\)' "binlogctl history: the seed"
assert_match "$history" 'table from mariadb-bin\.[0-9]+:[0-9]+ .*\(seed, ' \
    "binlogctl history: the seed"
rc=0
ctl history s.nosuch >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "binlogctl history of a table without one"
rc=0
ctl schema retake s >/dev/null 2>&1 || rc=$?
assert_eq 7 "$rc" "binlogctl schema retake without DB.TABLE"

ctl schema retake s.t >/dev/null
assert_match "$(ctl checkpoint)" 'schema-retake .*retake s\.t by operator' \
    "the audit log names the retake"
ctl start-streamer >/dev/null
wait_for_records 2
assert_eq "$columns" "$(tail -1 "$RECORDS" | jq -r '.data | keys_unsorted |
    join(",")')" "the row after the DDL has information_schema's columns"
assert_eq '2|two|b' "$(tail -1 "$RECORDS" |
    jq -r '"\(.data.id)|\(.data.a)|\(.data.e)"')" \
    "the row after the DDL has its values"
# the retaken version is written with the next checkpoint
versions_are() { ctl history s.t | grep -q "^$1 version(s)"; }
wait_until 30 "the retaken version on disk" versions_are 3
history=$(ctl history s.t)
note "$history"
assert_match "$(echo "$history" | grep -c '(retake, ')" '^2$' \
    "the retake request and the retaken version"
rc=0
ctl schema retake s.t >/dev/null 2>&1 || rc=$?
assert_eq 6 "$rc" "binlogctl schema retake while the streamer runs"
binlogd_stop
