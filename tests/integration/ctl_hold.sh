#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# ctl_hold.sh: binlogctl stop-streamer stops the streamer after saving the
# server's position (read back from the SQLite file) and keeps it stopped
# while rows are written and through a restart request; start-streamer
# resumes from there and every row written meanwhile arrives exactly once.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"
binlogd_start
ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }
state() {
	ctl -j status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["state"], d["children"]["streamer"]["state"])'
}
sql "INSERT INTO shop.t SELECT seq FROM shop.seq_1_to_5"
wait_for_records 5

ctl stop-streamer >/dev/null
held() { [ "$(state)" = "held down" ]; }
wait_until 30 "binlogd held with the streamer down" held
read -r file offset <<<"$(master_position)"
assert_eq "$file|$offset" "$(sqlite3 "$TMP/checkpoint.db" \
    "SELECT file || '|' || offset FROM checkpoint")" "the saved position"

sql "INSERT INTO shop.t SELECT seq FROM shop.seq_6_to_9"
rc=0
ctl restart 2>/dev/null || rc=$?
assert_eq 1 "$rc" "exit status of restart while held"
assert_eq "held down" "$(state)" "state after restart was refused"
assert_eq "" "$(child_pid streamer)" "streamer process while held"
assert_eq 5 "$(record_count)" "records while held"

ctl start-streamer >/dev/null
wait_for_log 'ready: streaming' 2
wait_for_records 9
sql "SELECT JSON_OBJECT('id', id) FROM shop.t ORDER BY id" >"$TMP/expected"
python_check "$TMP/expected" "$RECORDS" <<'PY'
import json, sys
from records import load_records
want = [json.loads(l) for l in open(sys.argv[1])]
got = [r["data"] for r in load_records(sys.argv[2])]
if got != want:
    sys.exit(f"FAIL: expected {want}, got {got}")
PY
binlogd_stop
