#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# schema_full.sh: binlog_row_metadata=FULL, tables of numbers only (no
# charset block in their TABLE_MAP) and of text only (no SIGNEDNESS
# block), rows written while binlogd is stopped, then a DDL that changes
# each table's columns, then more rows: binlogd started afterwards names
# every row's columns as they were when it was written, from the TABLE_MAP
# alone -- no "columns in the binlog but ... in information_schema" stop.
# Expected values: the server's JSON_OBJECT of the rows, taken before the
# DDL.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start --binlog-row-metadata=FULL
sql "CREATE DATABASE s;
    CREATE TABLE s.num (id INT PRIMARY KEY, a BIGINT UNSIGNED, b SMALLINT);
    CREATE TABLE s.str (k VARCHAR(20) PRIMARY KEY, t TEXT, c CHAR(3));"
binlogd_start
binlogd_stop

EXPECTED=$TMP/expected
# snapshot TABLE WHERE COLUMNS...: the rows as JSON, appended to EXPECTED
snapshot() {
	local t=$1 where=$2 cols="" c
	shift 2
	for c in "$@"; do
		cols+="${cols:+, }'$c', $c"
	done
	sql "SELECT '$t', JSON_OBJECT($cols) FROM s.$t WHERE $where
	    ORDER BY 1" >>"$EXPECTED"
}

sql "INSERT INTO s.num VALUES (1, 18446744073709551615, -32768), (2, 0, 7);
    INSERT INTO s.str VALUES ('k1', 'text one', 'abc'), ('k2', '', NULL);"
snapshot num "id <= 2" id a b
snapshot str "k <= 'k2'" k t c
sql "ALTER TABLE s.num DROP COLUMN b, ADD COLUMN c INT FIRST, ADD d TINYINT;
    ALTER TABLE s.str DROP COLUMN t, ADD COLUMN u VARCHAR(5) AFTER k;
    ALTER TABLE s.str DROP COLUMN c;
    INSERT INTO s.num VALUES (-5, 3, 9, -1);
    INSERT INTO s.str VALUES ('k3', 'u');"
snapshot num "id = 3" c id a d
snapshot str "k = 'k3'" k u

starts=$(log_count 'started (binlogd-)?streamer')
binlogd_start
wait_for_records 6
python_check "$EXPECTED" "$RECORDS" <<'PY'
import json, sys
from records import load_records, fail
want = [(l.split("\t", 1)[0], json.loads(l.split("\t", 1)[1]))
        for l in open(sys.argv[1])]
got = [(r["table"], r["data"]) for r in load_records(sys.argv[2])
       if r.get("type") == "insert"]
# per table, in order; the two tables' rows interleave by statement
for table in ("num", "str"):
    w = [list(d.items()) for t, d in want if t == table]
    g = [list(d.items()) for t, d in got if t == table]
    if g != w:
        fail(f"{table}: expected {w}, got {g}")
PY
assert_eq 0 "$(log_count 'in information_schema')" \
    "stops for a column count information_schema disagrees with"
assert_eq $((starts + 1)) "$(log_count 'started (binlogd-)?streamer')" \
    "streamer starts of the second binlogd"
binlogd_stop
