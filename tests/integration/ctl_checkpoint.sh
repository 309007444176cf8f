#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# ctl_checkpoint.sh: binlogctl checkpoint shows what the SQLite file holds
# (read back with sqlite3) at the server's own position; set-position is
# refused while the streamer runs, to another uid and for what is not a
# position; while held it writes the position and an audit row, and
# start-streamer resumes from there (file:offset, then a GTID set) so the
# rows after it arrive again, in order; the metrics show the checkpoint age.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"
binlogd_start
SOCK=$TMP/binlogd.sock
DB=$TMP/checkpoint.db
ctl() { binlogctl -s "$SOCK" "$@"; }
db() { sqlite3 "$DB" "$1"; }
# ckpt KEY...: fields of binlogctl -j checkpoint, space-separated.
ckpt() {
	ctl -j checkpoint | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(str(d[k]) for k in sys.argv[1:]))' "$@"
}
state() {
	ctl -j status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["state"], d["children"]["streamer"]["state"])'
}
held() { [ "$(state)" = "held down" ]; }
# expect_rc N WHAT CMD...: runs CMD, asserts its exit status; $out keeps
# what it printed.
expect_rc() {
	local want=$1 what=$2 rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	assert_eq "$want" "$rc" "exit status of $what ($out)"
}

# Two transactions: rows 1-5, then rows 6-9; the position between them is
# where set-position goes back to.
sql "INSERT INTO shop.t SELECT seq FROM shop.seq_1_to_5"
read -r file1 offset1 <<<"$(master_position)"
gtid1=$(sql 'SELECT @@gtid_binlog_pos')
sql "INSERT INTO shop.t SELECT seq FROM shop.seq_6_to_9"
read -r file2 offset2 <<<"$(master_position)"
gtid2=$(sql 'SELECT @@gtid_binlog_pos')
wait_for_records 9

# checkpoint against the server's position and the file itself.
at_end() { [ "$(ckpt file offset)" = "$file2 $offset2" ]; }
wait_until 10 "binlogctl checkpoint to show $file2:$offset2" at_end
assert_eq "$gtid2" "$(ckpt gtid)" "checkpoint GTID set"
assert_eq "$(sql 'SELECT @@server_id')" "$(ckpt server_id)" \
    "checkpoint server_id"
assert_eq "$(db "SELECT file || ' ' || offset || ' ' || gtid || ' ' ||
    event_ts || ' ' || saved_at FROM checkpoint")" \
    "$(ckpt file offset gtid ts saved_at)" \
    "checkpoint against the checkpoint database"
assert_eq "True 0 0 [] []" "$(ckpt found gaps audits gap_list audit_list)" \
    "gaps and audit rows on a new database"
assert_match "$(ctl checkpoint)" "position     $file2:$offset2" \
    "binlogctl checkpoint text"

# Clients that leave before checkpointd answers: the replies are dropped,
# binlogd keeps serving.
sup=$BL_PID
python3 - "$SOCK" "$(sed -n 's/^#define MSG_PROTOCOL_VERSION[[:space:]]*//p' \
    "$(dirname "$0")/../../common/msg.h")" <<'PY'
import socket, sys
req = bytes([0x93, 0xcd, 507 >> 8, 507 & 0xff, 1, 0x81, 0xa8]) + \
    b"protocol" + bytes([int(sys.argv[2])])
for _ in range(50):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(req)
    s.close()
PY
assert_match "$(ckpt file offset)" "^$file2 $offset2\$" \
    "checkpoint after 50 clients left early"
lib_alive "$sup" || fail "binlogd died after clients left early"
wait_for_log 'CKPT_SHOWN for a client that has gone'

# Refused while the streamer runs: exit 6, nothing written.
expect_rc 6 "set-position while streaming" ctl set-position "$file1:$offset1"
assert_match "$out" 'stop-streamer' "the refusal names what to do"
assert_eq "$file2 $offset2 0" "$(db "SELECT file || ' ' || offset || ' ' ||
    (SELECT count(*) FROM audit) FROM checkpoint")" \
    "the file after a refused set-position"

ctl stop-streamer >/dev/null
wait_until 30 "binlogd held with the streamer down" held

# Another uid may look, not set.
chmod 711 "$TMP"
chgrp 65534 "$SOCK"
expect_rc 0 "checkpoint as uid 65534" as_nobody binlogctl -s "$SOCK" \
    checkpoint
expect_rc 3 "set-position as uid 65534" as_nobody binlogctl -s "$SOCK" \
    set-position "$file1:$offset1"
assert_match "$out" 'permission denied' "set-position as uid 65534"

# Not positions: exit 7 with the parser's message; a missing argument is
# binlogctl's usage error.
expect_rc 7 "set-position latest" ctl set-position latest
assert_match "$out" 'file:offset or a GTID set' "set-position latest"
expect_rc 7 "set-position of garbage" ctl set-position 'no such thing'
assert_match "$out" 'is not latest, earliest, file:offset or a GTID set' \
    "set-position of garbage"
expect_rc 64 "set-position without a position" ctl set-position
assert_eq 0 "$(db 'SELECT count(*) FROM audit')" "audit rows after refusals"

# file:offset: the position and its audit row, one transaction.
ctl set-position "$file1:$offset1" >/dev/null
assert_eq "$file1|$offset1|" "$(db "SELECT file || '|' || offset || '|' ||
    gtid FROM checkpoint")" "the position set by file:offset"
assert_eq "1|set-position|$file2|$offset2|$gtid2|$file1|$offset1||0|set by operator (uid 0)" \
    "$(db "SELECT count(*) OVER () || '|' || action || '|' || from_file ||
    '|' || from_offset || '|' || from_gtid || '|' || to_file || '|' ||
    to_offset || '|' || to_gtid || '|' || uid || '|' || reason FROM audit")" \
    "the audit row"
wait_for_log 'checkpointd\[[0-9]*\] [a-z]*: position .* by uid 0; it was'
assert_eq "1" "$(ckpt audits)" "binlogctl checkpoint counts the audit row"

# check_ids N: the records after the first N are rows 6-9 in order.
check_ids() {
	sql "SELECT id FROM shop.t WHERE id > 5 ORDER BY id" >"$TMP/expected"
	python_check "$TMP/expected" "$RECORDS" "$1" <<'PY'
import sys
from records import load_records
want = [int(l) for l in open(sys.argv[1])]
got = [r["data"]["id"] for r in load_records(sys.argv[2])][int(sys.argv[3]):]
if got != want:
    sys.exit(f"FAIL: after record {sys.argv[3]} expected {want}, got {got}")
PY
}
ctl start-streamer >/dev/null
wait_for_records 13
check_ids 9

# A GTID set: the same rows once more.
ctl stop-streamer >/dev/null
wait_until 30 "binlogd held again" held
ctl set-position "$gtid1" >/dev/null
assert_eq "|0|$gtid1" "$(db "SELECT file || '|' || offset || '|' || gtid
    FROM checkpoint")" "the position set by GTID"
assert_eq "2|$gtid1" "$(db "SELECT count(*), (SELECT to_gtid FROM audit
    ORDER BY id DESC LIMIT 1) FROM audit")" "the second audit row"
ctl start-streamer >/dev/null
wait_for_records 17
check_ids 13

# The status and metrics show the saved position and its age.
back_at_end() {
	[ "$(ctl -j status | python3 -c 'import json, sys
c = json.load(sys.stdin)["checkpoint"]
print(c["file"], c["offset"])')" = "$file2 $offset2" ]
}
wait_until 10 "status to show the saved position $file2:$offset2" back_at_end
metrics=$(ctl metrics)
age=$(sed -n 's/^binlogd_checkpoint_age_seconds //p' <<<"$metrics")
assert_match "$age" '^[0-9]+$' "binlogd_checkpoint_age_seconds"
assert_le "$age" 10 "checkpoint age after a save"
assert_eq 0 "$(sed -n 's/^binlogd_sink_errors_total //p' <<<"$metrics")" \
    "binlogd_sink_errors_total"

# checkpointd that does not answer: a clear error after 5 s, not a hang.
ck=$(child_pid checkpointd)
kill -STOP "$ck"
expect_rc 1 "checkpoint while checkpointd is stopped" ctl checkpoint
kill -CONT "$ck"
assert_match "$out" 'checkpointd did not answer in time' \
    "checkpoint while checkpointd is stopped"
assert_match "$(ckpt file)" "^$file2\$" "checkpoint after checkpointd resumed"
binlogd_stop
