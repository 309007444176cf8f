#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# resume.sh: SIGTERM saves the final position (the server's own position
# after the workload, read back from the SQLite file); after a restart the
# rows written while binlogd was stopped arrive exactly once, and nothing
# delivered before the stop is sent again.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table

# insert_rows FIRST LAST: one transaction.
insert_rows() {
	sql "INSERT INTO shop.n SELECT seq, CONCAT('row-', seq)
	    FROM shop.seq_${1}_to_${2}"
}

# The checkpoint file must hold what the server reports now: its binlog
# position and executed GTID set, with no row of a transaction pending.
check_checkpoint() {
	local file offset saved
	read -r file offset <<<"$(master_position)"
	saved=$(sqlite3 "$TMP/checkpoint.db" "SELECT file, offset, rows_done,
	    gtid FROM checkpoint WHERE id = 1")
	assert_eq "$file|$offset|0|$(sql 'SELECT @@gtid_binlog_pos')" \
	    "$saved" "checkpoint (file|offset|rows_done|gtid) $1"
}

binlogd_start
insert_rows 1 4
insert_rows 5 8
sql "INSERT INTO shop.n VALUES (9, 'row-9'); INSERT INTO shop.n VALUES (10, 'row-10')"
wait_for_records 10
binlogd_stop
check_checkpoint "after the first SIGTERM"

insert_rows 11 15
insert_rows 16 20
binlogd_start
wait_for_log 'resuming from checkpoint'
wait_for_records 20
# Records come in commit order: once this one is in, any repeat of an
# earlier row would be in too.
insert_rows 21 21
wait_for_records 21
binlogd_stop
check_checkpoint "after the second SIGTERM"

sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
python_check "$TMP/expected.jsonl" "$RECORDS" <<'PY'
import json, sys
from records import load_records
expected = [json.loads(l) for l in open(sys.argv[1])]
records = load_records(sys.argv[2])
got = [(r.get("database"), r.get("table"), r.get("type"), r.get("data"))
       for r in records]
want = [("shop", "n", "insert", row) for row in expected]
if got != want:
    ids = [g[3].get("id") if isinstance(g[3], dict) else g for g in got]
    sys.exit(f"FAIL: expected ids 1..{len(want)} once each, in order; "
             f"got {ids}\nfirst difference: " +
             str(next(((w, g) for w, g in zip(want, got) if w != g),
                      "(lengths differ)")))
print(f"{len(got)} records, each row exactly once across the restart")
PY
