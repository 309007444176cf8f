#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# first_start.sh: start_position = latest on a first start is saved as the
# checkpoint at once.  On a quiet server the streamer is killed -9 before
# any transaction gave it a position to save; rows are committed while
# the supervisor is held (SIGSTOP), so that they land before the restart;
# the restarted streamer resumes from the saved start, not from a new
# "latest" past those rows: every row arrives.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table
binlogd_config
sed -i 's/^checkpoint_interval = .*/checkpoint_interval = 1h/' "$BL_CONF"
binlogd -f -c "$BL_CONF" >>"$RECORDS" 2>>"$BL_LOG" &
BL_PID=$!
PIDS="$PIDS $BL_PID"
wait_for_log 'ready: streaming' 1 60

kill -STOP "$BL_PID"
# a zombie while its parent is stopped: dead, not yet reaped
dead() { [ "$(ps -o stat= -p "$1" | cut -c1)" = Z ] || lib_gone "$1"; }
pid=$(pgrep -P "$BL_PID" -f binlogd-streamer)
kill -KILL "$pid"
wait_until 10 "the streamer (pid $pid) to die" dead "$pid"
numbered_rows 1 5 | sql
kill -CONT "$BL_PID"
wait_for_log 'ready: streaming' 2 60
# a row after the restart: its record says the stream got past the others
numbered_rows 6 6 | sql
last_is_6() { tail -n 1 "$RECORDS" | grep -Eq '"id": ?6[,}]'; }
wait_until 60 "the record of row 6" last_is_6
binlogd_stop
assert_eq 1 "$(log_count 'resuming from checkpoint')" \
    "restarts that resumed from the saved start"

sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
python_check "$TMP/expected.jsonl" "$RECORDS" <<'PY'
import json, sys
from records import load_records, fail
want = {json.loads(l)["id"] for l in open(sys.argv[1])}
got = {r["data"]["id"] for r in load_records(sys.argv[2])}
if want - got:
    fail(f"rows never delivered: {sorted(want - got)}")
PY
