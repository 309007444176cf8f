#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# incremental_resume.sh: binlogctl snapshot of a table of 40,000 rows in
# chunks of 100, under a writer that updates, deletes, inserts and
# changes primary keys, survives a KILL of its own connection to the
# server, kill -9 of the streamer, of checkpointd and of the supervisor
# (then binlogd started again): each time the snapshot goes on after the
# last chunk checkpointd saved ("resuming after key"), with its WHERE
# condition.  In the end: one bootstrap-start,
# one bootstrap-complete, replaying the table's records in order equals
# SELECT (a lost chunk would leave its untouched rows missing), the
# progress row is done, and a restart does not take it up again.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

ROWS=40000
WRITES=100000
mariadb_start
sql "CREATE DATABASE inc;
    CREATE TABLE inc.t (id INT PRIMARY KEY, v INT NOT NULL,
        pad VARCHAR(100) NOT NULL);
    INSERT INTO inc.t SELECT seq, seq, REPEAT(CHAR(65 + seq % 26), 40)
        FROM inc.seq_1_to_$ROWS;
    GRANT CREATE, INSERT, UPDATE ON binlogd.* TO binlogd@'%'"

# The supervisor's backoff stays short after the kills.
BL_EXTRA_DAEMON="restart_backoff_max = 1s"
BL_EXTRA_STREAM="snapshot_chunk_size = 100"
binlogd_start
ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }

# The writer: changes to inc.t until the snapshot is done.
churn_start inc.t "$ROWS" "$WRITES"

# Each chunk's SELECT slowed by its condition (which a resume must keep):
# the snapshot lasts long enough to be killed three times.
out=$(ctl snapshot inc.t "SLEEP(0.0003) = 0") ||
    fail "binlogctl snapshot inc.t: $out"

# saved: the rows checkpointd has saved as done by the running snapshot
saved() {
	sqlite3 "$TMP/checkpoint.db" "SELECT rows_done FROM snapshot_progress
	    WHERE kind = 'incremental' AND state = 'running'" 2>/dev/null
}
saved_past() { [ "$(saved)" -ge "$1" ] 2>/dev/null; }
resumes() { log_count 'snapshot: inc\.t: resuming after key \['; }
# progress_then_kill WHAT: 2,000 more rows saved, then WHAT is killed
progress_then() {
	local from
	from=$(saved)
	wait_until 60 "2000 more snapshot rows saved after ${from:-0}" \
	    saved_past $((${from:-0} + 2000))
	note "killing $1 with $(saved) snapshot rows saved"
}

# The snapshot's own connection ended (as a timeout, a KILL or a server
# going away ends it) while the stream runs: the snapshot pauses and goes
# on by itself.
snapshot_connection() {
	sql "SELECT ID FROM information_schema.PROCESSLIST
	    WHERE INFO LIKE '%SLEEP(0.0003) = 0%' AND ID <> CONNECTION_ID()"
}
# The id is read once: a chunk's query can end between two looks.
kill_snapshot_connection() {
	local id
	id=$(snapshot_connection)
	[ -n "$id" ] && sql "KILL CONNECTION $id"
}
progress_then "the snapshot's connection"
wait_until 30 "the snapshot's connection in PROCESSLIST, killed" \
    kill_snapshot_connection
wait_for_log 'snapshot: inc\.t: .*; paused' 1 60
wait_for_log 'snapshot: inc\.t: resuming after key \[' 1 60

progress_then streamer
kill_child streamer >/dev/null
wait_for_log 'snapshot: inc\.t: resuming after key \[' 2 60

progress_then checkpointd
kill_child checkpointd >/dev/null
wait_for_log 'snapshot: inc\.t: resuming after key \[' 3 60

progress_then binlogd
kill_supervisor
binlogd_start
wait_for_log 'snapshot: inc\.t: resuming after key \[' 4 60

wait_for_log 'snapshot: inc\.t: .*; done$' 1 120
churn_stop
grep -h 'snapshot: ' "$BL_LOG" >&2
wait_for_checkpoint
progress_row() {
	sqlite3 "$TMP/checkpoint.db" "SELECT COUNT(*), MIN(state), MAX(state),
	    MIN(condition) FROM snapshot_progress WHERE kind = 'incremental'"
}
assert_eq "1|done|done|SLEEP(0.0003) = 0" "$(progress_row)" \
    "the snapshot's progress row (count|state|state|condition)"

# A finished snapshot is not taken up again by a restart.
binlogd_stop
binlogd_start
sql "UPDATE inc.t SET v = v + 1 ORDER BY id LIMIT 1"
wait_for_checkpoint
binlogd_stop
assert_eq 4 "$(resumes)" "resumed snapshots after the restart that followed"
assert_eq 0 "$(log_count 'snapshot: .*(failed|stopped)')" \
    "snapshots failed or stopped"

sql "SELECT id, v, pad FROM inc.t ORDER BY id" >"$TMP/t.tsv"
python_check "$RECORDS" "$TMP/t.tsv" <<'EOF'
import sys
from records import check_churned
ops, n = check_churned(sys.argv[1], "inc", "t", sys.argv[2], marks=1)
print(f"inc.t: replay of {sum(ops.values())} records {ops} equals SELECT "
      f"({n} rows) after four kills")
EOF
