#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# rows.sh: every row change of a workload (boundary integers, non-ASCII
# UTF-8, text, NULLs; inserts, multi-row inserts, updates, deletes, two
# databases, several transactions) becomes one record, in commit order, whose
# fields match what the server itself says the rows were: each transaction
# also SELECTs its rows as JSON_OBJECTs, before and after each change, and
# its @@last_gtid.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE DATABASE crm;
CREATE TABLE shop.t (id INT PRIMARY KEY,
    ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,
    mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
    bi BIGINT, bu BIGINT UNSIGNED, vc VARCHAR(40), tx TEXT)
    DEFAULT CHARSET = utf8mb4;
CREATE TABLE crm.notes (id INT PRIMARY KEY, body VARCHAR(100))
    DEFAULT CHARSET = utf8mb4;"

# image DB.TABLE: a JSON_OBJECT of every column of a row, by name.
image() {
	local cols
	cols=$(sql "SELECT GROUP_CONCAT(CONCAT('''', column_name, ''',',
	    column_name) ORDER BY ordinal_position) FROM information_schema.columns
	    WHERE CONCAT(table_schema, '.', table_name) = '$1'")
	echo "JSON_OBJECT($cols)"
}
T_IMG=$(image shop.t)
N_IMG=$(image crm.notes)

# The SQL that prints one expected line "type<TAB>db<TAB>table<TAB>rows
# <TAB>old rows" for the rows of DB.TABLE matching WHERE, in id order:
# before_images runs before the change, after_images after it.
before_images() {
	echo "SELECT JSON_ARRAYAGG($2 ORDER BY id) INTO @before FROM $1 WHERE $3;"
}
after_images() { # type db.table image where
	local db=${2%.*} tbl=${2#*.}
	case $1 in
	insert) echo "SELECT 'insert', '$db', '$tbl',
	    JSON_ARRAYAGG($3 ORDER BY id), NULL FROM $2 WHERE $4;" ;;
	update) echo "SELECT 'update', '$db', '$tbl',
	    JSON_ARRAYAGG($3 ORDER BY id), @before FROM $2 WHERE $4;" ;;
	delete) echo "SELECT 'delete', '$db', '$tbl', @before, NULL;" ;;
	esac
}

# A transaction is begin, one change per statement, commit:
#   change TYPE DB.TABLE WHERE STATEMENT
# runs STATEMENT and prints the expected records of the rows matching WHERE.
EXPECTED=$TMP/expected.tsv
begin() {
	TXN="BEGIN;"
}
change() {
	local img=$T_IMG
	[ "$2" = crm.notes ] && img=$N_IMG
	[ "$1" = insert ] || TXN+=$(before_images "$2" "$img" "$3")
	TXN+="$4;"
	TXN+=$(after_images "$1" "$2" "$img" "$3")
}
commit() {
	TXN+="COMMIT; SELECT 'commit', @@last_gtid;"
	sql "$TXN" >>"$EXPECTED"
}

# two formatting threads (parallel.c): the records' order is checked below
BL_EXTRA_STREAM="decode_threads = 2" binlogd_start
t_start=$(date +%s)

begin
change insert shop.t "id = 1" "INSERT INTO shop.t VALUES (1, 127, 255,
    32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
    9223372036854775807, 18446744073709551615, 'Grüße, 東京 🚀',
    'two\nlines, \"quoted\" \\\\ back')"
commit

begin
change insert shop.t "id IN (2, 3, 4)" "INSERT INTO shop.t VALUES
    (2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
     -9223372036854775808, 0, '', ''),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, 0, 1, -1, 2, -3, 4, -5, 6, -7, 8, 'a', 'b')"
change insert crm.notes "id = 1" "INSERT INTO crm.notes VALUES (1, 'naïve café')"
commit

begin
change update shop.t "id = 4" "UPDATE shop.t SET ti = -1, vc = 'ça va'
    WHERE id = 4"
change update crm.notes "id = 1" "UPDATE crm.notes SET body = NULL
    WHERE id = 1"
commit

begin
change update shop.t "id IN (1, 2, 3)" "UPDATE shop.t
    SET tx = CONCAT(COALESCE(tx, ''), '+'), bu = 42 WHERE id IN (1, 2, 3)
    ORDER BY id"
commit

begin
change delete shop.t "id IN (2, 3)" "DELETE FROM shop.t WHERE id IN (2, 3)
    ORDER BY id"
change insert shop.t "id = 5" "INSERT INTO shop.t (id, vc) VALUES (5, 'Ωmega')"
commit

begin
change delete crm.notes "id = 1" "DELETE FROM crm.notes WHERE id = 1"
commit

# 1 + (3 + 1) + 2 + 3 + (2 + 1) + 1 rows
wait_for_records 14
binlogd_stop
read -r binlog_file _ <<<"$(master_position)"

python_check "$EXPECTED" "$RECORDS" "$binlog_file" "$t_start" <<'EOF'
import json, sys, time
from records import fail, load_records, position
expected_path, records_path, binlog_file, t_start = sys.argv[1:]

# Expected transactions: lists of (type, db, table, data, old).
txns, rows = [], []
for line in open(expected_path, encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if f[0] == "commit":
        txns.append((f[1], rows))
        rows = []
        continue
    kind, db, table, after, before = f
    after = json.loads(after)
    before = json.loads(before) if before != "NULL" else None
    for i, data in enumerate(after):
        old = None
        if kind == "update":
            old = {k: v for k, v in before[i].items() if v != data[k]}
        rows.append((kind, db, table, data, old))

records = load_records(records_path)
want = sum(len(r) for _, r in txns)
if len(records) != want:
    fail(f"expected {want} records, got {len(records)}")

n, xids = 0, []
for t, (gtid, rows) in enumerate(txns):
    for i, (kind, db, table, data, old) in enumerate(rows):
        rec = records[n]
        where = f"record {n + 1} (transaction {t + 1}, row {i + 1})"
        n += 1
        for key, value in (("database", db), ("table", table),
                           ("type", kind), ("data", data), ("gtid", gtid),
                           ("server_id", 1)):
            if rec.get(key) != value:
                fail(f"{where}: {key}: expected {value!r}, "
                     f"got {rec.get(key)!r}\n{rec}")
        if kind == "update" and rec.get("old") != old:
            fail(f"{where}: old: expected {old!r}, got {rec.get('old')!r}")
        if kind != "update" and rec.get("old") not in (None, {}):
            fail(f"{where}: a {kind} has old {rec['old']!r}")
        last = i == len(rows) - 1
        if (rec.get("commit") is True) != last:
            fail(f"{where}: commit is {rec.get('commit')!r}; Maxwell puts "
                 "commit: true on the last row of a transaction only")
        file, _ = position(rec.get("position"), where)
        if file != binlog_file:
            fail(f"{where}: position {rec['position']!r} is not in "
                 f"{binlog_file}, the server's binlog")
        ts = rec.get("ts")
        if not isinstance(ts, int) or not int(t_start) - 5 <= ts <= time.time() + 5:
            fail(f"{where}: ts {ts!r} is not the time of the workload")
        # binlogd-records(7): the XID is known only at the commit, so it
        # is on the last row of a transaction, as commit: true is.
        xid = rec.get("xid")
        if last and (not isinstance(xid, int) or xid in xids):
            fail(f"{where}: the last row's xid {xid!r} is not a new integer")
        if not last and "xid" in rec:
            fail(f"{where}: xid {xid!r} on a row that is not the last")
        if last:
            xids.append(xid)
print(f"{n} records in {len(txns)} transactions match the server's rows")
EOF
