#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# snapshot_purged.sh: snapshot = when_needed.  The first start (no
# checkpoint) takes a snapshot like initial.  Then, while binlogd is
# stopped, an update, a delete and an insert land only in binlogs that
# are purged: the next start finds its saved position gone (1236) and,
# although on_purged = fail, takes a new snapshot instead of stopping or
# recording a gap, then streams from its position.  Replaying every
# record (a table emptied at bootstrap-start, the rest by key) equals
# the server's SELECT; no gap is recorded; the checkpoint database holds
# both snapshots, done.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table
numbered_rows 1 3 | sql
BL_EXTRA_STREAM="snapshot = when_needed
on_purged = fail"
binlogd_start
numbered_rows 4 5 | sql
wait_for_records 7	# start, 3 rows, complete, 2 inserts
binlogd_stop
assert_eq 1 "$(log_count 'snapshot: done')" "snapshots on the first start"

sql "UPDATE shop.n SET v = 'changed' WHERE id = 2;
    DELETE FROM shop.n WHERE id = 3;
    INSERT INTO shop.n VALUES (6, 'row-6');
    FLUSH BINARY LOGS"
purged() {
	sql "PURGE BINARY LOGS TO '$(master_position | cut -d' ' -f1)'"
	[ "$(sql 'SHOW BINARY LOGS' | wc -l)" = 1 ]
}
wait_until 30 "the binlogs before the server's current one to go" purged

binlogd_start
numbered_rows 7 7 | sql
wait_for_records 15	# 7, start, rows 1 2 4 5 6, complete, insert 7
binlogd_stop
assert_eq 1 "$(log_count 'snapshot = when_needed: taking a new snapshot')" \
    "the streamer's line about the purged position"
assert_eq 2 "$(log_count 'snapshot: done')" "snapshots in all"
assert_eq 0 "$(sqlite3 "$TMP/checkpoint.db" 'SELECT count(*) FROM gaps')" \
    "gaps recorded"
assert_eq 2 "$(sqlite3 "$TMP/checkpoint.db" "SELECT count(*) FROM
    snapshot_progress WHERE state = 'done'")" "snapshots done in the database"

sql "SELECT id, v FROM shop.n ORDER BY id" >"$TMP/select.tsv"
python_check "$RECORDS" "$TMP/select.tsv" <<'PY'
import json, sys
from records import fail
rows, kinds = {}, []
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    kinds.append(r["type"])
    d = r["data"]
    if r["type"] == "bootstrap-start":
        rows = {}
    elif r["type"] in ("bootstrap-insert", "insert", "update"):
        rows[d["id"]] = d
    elif r["type"] == "delete":
        rows.pop(d["id"], None)
want = {}
for line in open(sys.argv[2], encoding="utf-8"):
    i, v = line.rstrip("\n").split("\t")
    want[int(i)] = {"id": int(i), "v": v}
if rows != want:
    fail(f"replay != SELECT: {rows} != {want}")
if kinds.count("bootstrap-start") != 2:
    fail(f"record types {kinds}")
print(f"replay of {len(kinds)} records equals SELECT ({len(want)} rows)")
PY
