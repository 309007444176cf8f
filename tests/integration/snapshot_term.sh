#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# snapshot_term.sh: SIGTERM to binlogd in the middle of its initial
# snapshot (snapshot = initial, 100,000 rows, its records read slowly):
# binlogd exits 0 with the progress saved (state running, some chunks),
# the next start resumes after the saved key ("resuming" in the log,
# no second bootstrap-start), and changes made while binlogd was down
# come from the stream, which starts at the first snapshot's position:
# replaying the records equals SELECT.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

ROWS=100000
mariadb_start
sql "CREATE DATABASE big;
    CREATE TABLE big.t (id INT PRIMARY KEY, v INT NOT NULL,
        pad VARCHAR(200) NOT NULL);
    INSERT INTO big.t SELECT seq, seq, REPEAT(CHAR(65 + seq % 26), 150)
        FROM big.seq_1_to_$ROWS"

BL_EXTRA_STREAM="snapshot = initial"
binlogd_config
slow_records
binlogd -f -c "$BL_CONF" >"$TMP/out" 2>>"$BL_LOG" &
BL_PID=$!
PIDS="$PIDS $BL_PID"
saved() {
	sqlite3 "$TMP/checkpoint.db" "SELECT rows_done FROM snapshot_progress
	    WHERE kind = 'initial' AND state = 'running'" 2>/dev/null
}
saved_some() { [ "$(saved)" -ge 4096 ] 2>/dev/null; }
wait_until 60 "4 chunks of progress in the checkpoint database" saved_some
binlogd_stop
wait "$SLOW"
lib_forget "$SLOW"
assert_eq 1 "$(log_count 'streamer \(pid [0-9]+\) exited normally')" \
    "the streamer's exit on SIGTERM mid-snapshot"
assert_eq 0 "$(log_count 'snapshot: done')" "snapshots finished before"
stopped_at=$(saved)
note "stopped with $stopped_at rows saved of $ROWS"
assert_le "$stopped_at" $((ROWS - 1)) "rows saved when stopped"

# While binlogd is down: changes after the snapshot's position, before
# and after the saved key.
sql "UPDATE big.t SET v = -1 WHERE id IN (1, $ROWS);
    DELETE FROM big.t WHERE id IN (2, $((ROWS - 1)));
    UPDATE big.t SET id = $((ROWS + 5)) WHERE id = 3;
    INSERT INTO big.t VALUES ($((ROWS + 1)), 0, 'new')"
binlogd_start
assert_eq 1 "$(log_count 'snapshot: resuming the snapshot')" \
    "snapshots resumed"
wait_for_log 'snapshot: done' 1 60
wait_for_checkpoint
binlogd_stop

sql "SELECT id, v, pad FROM big.t ORDER BY id" >"$TMP/select.tsv"
python_check "$RECORDS" "$TMP/select.tsv" <<'EOF'
import sys
from records import check_churned
ops, n = check_churned(sys.argv[1], "big", "t", sys.argv[2], marks=1)
print(f"replay of {sum(ops.values())} records {ops} equals SELECT "
      f"({n} rows) after a SIGTERM mid-snapshot")
EOF
