#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# trx_shapes.sh: transactions as ORMs and mixed-format sessions write them.
#  1. Nested transactions (SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT, as
#     Django's atomic() and Rails' requires_new write them) are one
#     transaction: every row carries the GTID the server gave it
#     (@@last_gtid), one commit mark on the last row, the rows rolled back
#     to a savepoint absent, and no position saved inside it.
#  2. Every record's ts is the commit's time: a transaction that sleeps
#     between its statements stores NOW() in its last row; its first row's
#     ts equals that, not the time its own statement ran.
#  3. A session with binlog_format = STATEMENT: its change has no rows, so
#     it is a gap of reason statement-logged (checkpoint database,
#     binlogctl checkpoint), a count in the metrics, an error line in the
#     log; other sessions' rows arrive as before.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY);
    CREATE TABLE d.ts (id INT PRIMARY KEY, at DATETIME NULL);
    CREATE TABLE d.after (id INT PRIMARY KEY);"
binlogd_start
ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }

# --- 1. nested transactions
gtid=$(sql "BEGIN; INSERT INTO d.t VALUES (1); SAVEPOINT s1;
    INSERT INTO d.t VALUES (2); SAVEPOINT s2; INSERT INTO d.t VALUES (3);
    ROLLBACK TO SAVEPOINT s2; INSERT INTO d.t VALUES (4);
    SAVEPOINT s3; INSERT INTO d.t VALUES (5); RELEASE SAVEPOINT s3;
    COMMIT; SELECT @@last_gtid;")
want_ids=$(sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM d.t")
assert_eq "1,2,4,5" "$want_ids" "the rows the server kept"
wait_for_records 4
# No checkpoint may name the transaction's GTID before its end: a
# checkpoint_interval of 1 s and a forced save at any DDL would show it.
python_check "$RECORDS" "$gtid" "$want_ids" <<'PY'
import sys
from records import load_records, fail
recs, gtid, want = load_records(sys.argv[1]), sys.argv[2], sys.argv[3]
ids = ",".join(str(r["data"]["id"]) for r in recs)
if ids != want:
    fail(f"ids {ids}, expected {want}")
for r in recs:
    if r.get("gtid") != gtid:
        fail(f"record {r} lacks the transaction's GTID {gtid}")
marks = [i for i, r in enumerate(recs) if r.get("commit")]
if marks != [len(recs) - 1]:
    fail(f"commit marks on records {marks}, expected only the last")
if "xid" not in recs[-1]:
    fail(f"the last record has no xid: {recs[-1]}")
if len({r["ts"] for r in recs}) != 1:
    fail(f"records of one transaction with different ts: {recs}")
PY
assert_eq 0 "$(log_count 'DDL at')" "QUERY events taken for DDL"

# --- 2. ts is the commit's time
sql "BEGIN; INSERT INTO d.ts VALUES (1, NULL); DO SLEEP(2);
    INSERT INTO d.ts VALUES (2, NOW()); COMMIT;"
stored=$(sql "SELECT UNIX_TIMESTAMP(at) FROM d.ts WHERE id = 2")
wait_for_records 6
python_check "$RECORDS" "$stored" <<'PY'
import sys
from records import load_records, fail
recs = [r for r in load_records(sys.argv[1]) if r["table"] == "ts"]
stored = int(sys.argv[2])
# NOW() is the last statement's start; COMMIT follows it at once
for r in recs:
    if not stored <= r["ts"] <= stored + 1:
        fail(f"row {r['data']['id']}: ts {r['ts']}, the commit was at "
             f"{stored} (+1 s at most)")
PY

# --- 3. a statement-logged change
sql "SET SESSION binlog_format = STATEMENT;
    INSERT INTO d.t VALUES (100), (101);
    BEGIN; INSERT INTO d.t VALUES (102); UPDATE d.t SET id = 103
    WHERE id = 102; COMMIT;"
sql "INSERT INTO d.after VALUES (1)"
wait_for_records 7
tail -n 1 "$RECORDS" | grep -q '"table":"after"' ||
    fail "the row after the statement-logged changes: $(tail -n 1 "$RECORDS")"
gaps() {
	sqlite3 "$TMP/checkpoint.db" "SELECT count(*) FROM gaps
	    WHERE reason LIKE 'statement-logged: %'"
}
two_gaps() { [ "$(gaps)" -eq 2 ]; }
# one per transaction: the autocommit INSERT, then BEGIN .. COMMIT
wait_until 10 "two statement-logged gaps in the checkpoint database" \
    two_gaps
assert_match "$(sqlite3 "$TMP/checkpoint.db" "SELECT reason FROM gaps
    ORDER BY id LIMIT 1")" "^statement-logged: INSERT INTO d.t VALUES \(100\)" \
    "the first gap's reason"
assert_match "$(ctl checkpoint)" "statement-logged: INSERT INTO d.t" \
    "binlogctl checkpoint lists the gap"
metric() {
	ctl metrics | sed -n "s/^binlogd_statement_logged_total //p"
}
three() { [ "$(metric)" = 3 ]; }
wait_until 10 "binlogd_statement_logged_total to reach 3" three
assert_eq 2 "$(log_count 'logged as a statement, not as rows')" \
    "error lines: one per transaction"
binlogd_stop
