#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# schema_stop.sh: binlog_row_metadata=NO_LOG, no schema history (binlogd
# first started at a file:offset, not latest, so none is seeded: it says
# so), rows written while binlogd is stopped, then a DDL: a column whose
# type changed under the same column count (CHANGE b bee BIGINT), and a
# column added, each stop the
# streamer at the first event of the older schema with one message naming
# the table, the position and what differs (never a record with wrong
# names), exit status 87, and binlogd holds the streamer instead of
# restarting it into the same event: binlogctl status shows "held" and
# the message.  The operator skips the event (set-position) and
# start-streamer goes on with the rows written after the DDL.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start --binlog-row-metadata=NO_LOG
sql "CREATE DATABASE s;
    CREATE TABLE s.t (id INT PRIMARY KEY, a VARCHAR(10), b INT);
    CREATE TABLE s.u (id INT PRIMARY KEY, v INT);"
SOCK=$TMP/binlogd.sock
ctl() { binlogctl -s "$SOCK" "$@"; }
# status KEY...: fields of binlogctl -j status, by dotted path (nothing
# before binlogd listens)
status() {
	{ ctl -j status 2>/dev/null || true; } | python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
out = []
for k in sys.argv[1:]:
    v = d
    for p in k.split("."):
        v = v[p]
    out.append(str(v))
print("|".join(out))' "$@"
}
held() { [ "$(status state children.streamer.state)" = "held|down" ]; }
STARTED='started (binlogd-)?streamer'

read -r file0 offset0 <<<"$(master_position)"
BL_START_POSITION=$file0:$offset0
binlogd_start
binlogd_stop
assert_eq 1 "$(log_count 'no schema history in the checkpoint database')" \
    "binlogd says it has no schema history"

# the type of a column changed, the count the same
read -r file0 offset0 <<<"$(master_position)"
sql "INSERT INTO s.t VALUES (1, 'one', 10)"
read -r file1 offset1 <<<"$(master_position)"
sql "ALTER TABLE s.t CHANGE b bee BIGINT;
    INSERT INTO s.t VALUES (2, 'two', 20);"
sql "SELECT JSON_OBJECT('id', id, 'a', a, 'bee', bee) FROM s.t WHERE id = 2" \
    >"$TMP/expected"

starts=$(log_count "$STARTED")
binlogd_spawn
wait_until 60 "binlogd to hold the streamer" held
line=$(grep -m1 'streamer.*table s\.t at' "$BL_LOG")
note "$line"
assert_match "$line" "table s\.t at $file0:[0-9]+: column 3 is INT in the binlog but bee \(BIGINT\) in information_schema" \
    "the message names the table, the position and what differs"
assert_match "$line" 'binlogctl set-position.*start-streamer' \
    "the message says what to do"
assert_match "$(status children.streamer.last_exit)" 'code 87 ' \
    "the streamer's exit status"
assert_match "$(status stream.last_error)" 'column 3 is INT in the binlog' \
    "binlogctl status shows the message"
assert_eq $((starts + 1)) "$(log_count "$STARTED")" \
    "streamer starts while held"
assert_eq 0 "$(record_count)" "records written with the wrong schema"

ctl set-position "$file1:$offset1" >/dev/null
ctl start-streamer >/dev/null
wait_for_records 1
python_check "$TMP/expected" "$RECORDS" <<'PY'
import json, sys
from records import load_records, fail
want = [list(json.loads(l).items()) for l in open(sys.argv[1])]
got = [list(r["data"].items()) for r in load_records(sys.argv[2])
       if r.get("type") == "insert"]
if got != want:
    fail(f"expected {want}, got {got}")
PY
binlogd_stop

# a column added: the count differs
sql "INSERT INTO s.u VALUES (1, 5);
    ALTER TABLE s.u ADD COLUMN w INT;"
binlogd_spawn
wait_until 60 "binlogd to hold the streamer" held
assert_match "$(status stream.last_error)" \
    'table s\.u at .*: 2 columns in the binlog but 3 in information_schema' \
    "binlogctl status shows the column counts"
assert_eq 1 "$(record_count)" "records written with the wrong schema"
binlogd_stop
