#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# debezium.sh: [stream] format = debezium writes the Debezium MySQL
# connector's envelope.  For an insert of three rows, an update and a
# delete, every field is checked against the SQL: op c/u/d, before and
# after equal the server's SELECT of the row before and after the
# statement, source.{connector, name, snapshot, db, table, server_id,
# gtid (@@gtid_binlog_pos), file (SHOW MASTER STATUS), pos (inside the
# transaction, before its end), row (0, 1, 2 in a multi-row event)},
# ts_ms and source.ts_ms around the time of the test.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop;
    CREATE TABLE shop.t (id INT PRIMARY KEY, name VARCHAR(20), n INT,
        at DATETIME) DEFAULT CHARSET = utf8mb4;"
BL_EXTRA_STREAM="format = debezium
server_name = dbz1"
binlogd_start
t0=$(date +%s)

EXPECTED=$TMP/expected.tsv
row() {
	sql "SELECT JSON_OBJECT('id', id, 'name', name, 'n', n, 'at',
	    DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s')) FROM shop.t WHERE id = $1"
}
# expect OP ROWNO BEFORE AFTER: one line, with the transaction's GTID and
# end position
expect() {
	local file end
	read -r file end <<<"$(master_position)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" \
	    "$(sql 'SELECT @@gtid_binlog_pos')" "$file" "$end" >>"$EXPECTED"
}
sql "INSERT INTO shop.t VALUES (1, 'Grüße', 10, '2024-01-02 03:04:05'),
    (2, 'b', NULL, NULL), (3, 'c', -3, '1999-12-31 23:59:59')"
for id in 1 2 3; do
	expect c $((id - 1)) null "$(row $id)"
done
b=$(row 2)
sql "UPDATE shop.t SET name = 'bee', n = 22 WHERE id = 2"
expect u 0 "$b" "$(row 2)"
b=$(row 3)
sql "DELETE FROM shop.t WHERE id = 3"
expect d 0 "$b" null

wait_for_records 5
binlogd_stop
python_check "$EXPECTED" "$RECORDS" "$t0" "$(date +%s)" <<'PY'
import json, sys
from records import fail, load_records
t0, t1 = int(sys.argv[3]) * 1000, (int(sys.argv[4]) + 1) * 1000
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
got = load_records(sys.argv[2])
if len(got) != len(want):
    fail(f"{len(got)} records, expected {len(want)}")
prev_end = 0
for n, (w, r) in enumerate(zip(want, got), 1):
    op, rowno, before, after, gtid, file, end = w
    def check(what, g, e):
        if g != e:
            fail(f"record {n} ({op}): {what} is {g!r}, expected {e!r}: {r}")
    check("op", r.get("op"), op)
    check("before", r.get("before"), json.loads(before))
    check("after", r.get("after"), json.loads(after))
    s = r.get("source") or {}
    for k, v in (("connector", "mysql"), ("name", "dbz1"),
                 ("snapshot", "false"), ("db", "shop"), ("table", "t"),
                 ("server_id", 1), ("gtid", gtid), ("file", file),
                 ("row", int(rowno)), ("thread", None)):
        check(f"source.{k}", s.get(k), v)
    if not str(s.get("version", "")).startswith("binlogd-"):
        fail(f"record {n}: source.version {s.get('version')!r}")
    if not (isinstance(s.get("pos"), int) and s["pos"] < int(end)):
        fail(f"record {n}: source.pos {s.get('pos')!r} is not an offset "
             f"before the transaction's end {end}")
    for k, v in (("ts_ms", r.get("ts_ms")), ("source.ts_ms", s.get("ts_ms"))):
        if not (isinstance(v, int) and t0 - 1000 <= v <= t1):
            fail(f"record {n}: {k} {v!r} is not in [{t0}, {t1}]")
PY
