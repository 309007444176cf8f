#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# kill9.sh: during a steady workload of one-row transactions, kill -9 the
# streamer 20 times at random moments, then checkpointd, then the
# supervisor itself.  The supervisor restarts the streamer each time; when
# checkpointd dies the streamer stops and checkpointd is restarted before
# the streamer; when the supervisor dies both children save and exit, and
# binlogd started again resumes exactly where they stopped.  In the end
# every committed row has arrived, in commit order, and the only repeats
# start after a position the streamer resumed from.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

KILLS=20
TOTAL=6000

mariadb_start
numbered_table

resumed() {
	log_count 'resuming from checkpoint'
}

# One client in the background, paced so that the kills land mid-workload.
numbered_rows 1 "$TOTAL" 0.004 >"$TMP/workload.sql"

# The supervisor's backoff would reach a minute after 20 quick deaths.
BL_EXTRA_DAEMON="restart_backoff_max = 1s"
binlogd_start
sql <"$TMP/workload.sql" &
WORKLOAD=$!
PIDS="$PIDS $WORKLOAD"

# --- the streamer, 20 times
for ((k = 1; k <= KILLS; k++)); do
	before=$(resumed)
	wait_until 60 "more rows to commit" committed_at_least \
	    $(($(committed) + 20 + RANDOM % 60))
	kill_child streamer >/dev/null
	wait_for_log 'resuming from checkpoint' $((before + 1)) 60
done
note "$KILLS streamer kills done with $(committed) rows committed"

# --- checkpointd: the streamer stops, checkpointd comes back first
before=$(resumed)
sc=$(log_count 'started checkpointd')
ss=$(log_count 'started streamer')
kill_child checkpointd >/dev/null
wait_for_log 'resuming from checkpoint' $((before + 1)) 60
assert_le 1 "$(log_count 'checkpointd went away: stopping')" \
    "the streamer's line when checkpointd died"
order=$(grep -Eo 'started (checkpointd|streamer)' "$BL_LOG" |
    tail -n +$((sc + ss + 1)) | head -n 2 | tr '\n' ,)
assert_eq "started checkpointd,started streamer," "$order" \
    "restart order after checkpointd died"

# --- the supervisor: both children save and exit by themselves
wait_until 60 "more rows to commit" committed_at_least $(($(committed) + 50))
kill_supervisor
assert_le 1 "$(log_count 'supervisor went away: saving and stopping')" \
    "the streamer's line when the supervisor died"
assert_le 1 "$(log_count 'exiting: the supervisor is gone; last position')" \
    "checkpointd's line when the supervisor died"
written=$(record_count)
binlogd_start
wait_for_records $((written + 1)) 60
# The final save covered every record written: nothing repeats.
next_id() {
	sed -n "${1}p" "$RECORDS" | grep -Eo '"id": ?[0-9]+' | head -n 1 |
	    grep -Eo '[0-9]+'
}
assert_eq $(($(next_id "$written") + 1)) "$(next_id $((written + 1)))" \
    "the first row after restarting a killed supervisor"

wait "$WORKLOAD" || hard_error "the workload's client failed"
lib_forget "$WORKLOAD"
last_is_in() {
	tail -n 1 "$RECORDS" | grep -Eq "\"id\": ?${TOTAL}[,}]"
}
wait_until 120 "the record of row $TOTAL" last_is_in
binlogd_stop

sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
python_check "$TMP/expected.jsonl" "$RECORDS" "$BL_LOG" $((KILLS + 2)) <<'PY'
import sys
from records import check_delivery
kills = int(sys.argv[4])
n, rows, rewinds = check_delivery(sys.argv[1], sys.argv[2], sys.argv[3],
                                  kills)
print(f"kill9.sh: {n} records for {rows} rows; {rewinds} redeliveries "
      f"after {kills} kills", file=sys.stderr)
PY
