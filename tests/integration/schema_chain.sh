# shellcheck shell=bash
# schema_chain.sh: the chain of DDL the schema history tests run (sourced
# after lib.sh and mariadb_start).  chain_begin MODE sets
# binlog_row_metadata, a fresh checkpoint database and records file and
# the database name; chain_run runs the chain, with after each step
# CHAIN_STEP (a command, default none: kill -9 between steps, say); and
# chain_check says whether binlogd's inserts are the rows as written.

CHAIN_N=0

chain_begin() {
	CHAIN_N=$((CHAIN_N + 1))
	CDB=h$CHAIN_N
	sql "SET GLOBAL binlog_row_metadata = '$1'"
	rm -f "$TMP/checkpoint.db" "$TMP/checkpoint.db-wal" \
	    "$TMP/checkpoint.db-shm"
	: >"$RECORDS"
	: >"$TMP/expected"
	sql "CREATE DATABASE $CDB;
	    CREATE TABLE $CDB.t (id INT PRIMARY KEY, a VARCHAR(10), b INT,
	        c INT);"
}

# chain_row TABLE WHERE: the row as written, as the server's JSON_OBJECT
# of the columns information_schema lists now, in their order.
chain_row() {
	local cols
	cols=$(sql "SELECT GROUP_CONCAT(CONCAT(QUOTE(COLUMN_NAME), ', \`',
	    COLUMN_NAME, '\`') ORDER BY ORDINAL_POSITION)
	    FROM information_schema.COLUMNS
	    WHERE TABLE_SCHEMA = '$CDB' AND TABLE_NAME = '$1'")
	sql "SELECT JSON_OBJECT('table', '$1', 'data',
	    JSON_OBJECT($cols)) FROM \`$CDB\`.\`$1\` WHERE $2" >>"$TMP/expected"
}

# chain_step DDL INSERT TABLE WHERE
chain_step() {
	[ -z "$1" ] || sql "$1"
	sql "$2"
	chain_row "$3" "$4"
	[ -z "${CHAIN_STEP:-}" ] || $CHAIN_STEP
}

chain_run() {
	local t=$CDB.t
	chain_step "" "INSERT INTO $t VALUES (1, 'one', 10, 100)" t "id = 1"
	chain_step "ALTER TABLE $t DROP COLUMN a" \
	    "INSERT INTO $t VALUES (2, 20, 200)" t "id = 2"
	chain_step "ALTER TABLE $t ADD COLUMN a2 VARCHAR(10) AFTER id" \
	    "INSERT INTO $t VALUES (3, 'three', 30, 300)" t "id = 3"
	chain_step "ALTER TABLE $t CHANGE b bee BIGINT" \
	    "INSERT INTO $t VALUES (4, 'four', 40, 400)" t "id = 4"
	chain_step "ALTER TABLE $t MODIFY c VARCHAR(20)" \
	    "INSERT INTO $t VALUES (5, 'five', 50, 'fifty')" t "id = 5"
	chain_step "ALTER TABLE $t RENAME COLUMN c TO cee" \
	    "INSERT INTO $t VALUES (6, 'six', 60, 'sixty')" t "id = 6"
	chain_step "ALTER TABLE $t MODIFY cee VARCHAR(20) FIRST" \
	    "INSERT INTO $t VALUES ('seventy', 7, 'seven', 70)" t "id = 7"
	chain_step "ALTER TABLE $t MODIFY bee BIGINT AFTER cee" \
	    "INSERT INTO $t VALUES ('eighty', 80, 8, 'eight')" t "id = 8"
	chain_step "ALTER TABLE $t DROP PRIMARY KEY, ADD PRIMARY KEY (bee)" \
	    "INSERT INTO $t VALUES ('ninety', 90, 9, 'nine')" t "id = 9"
	chain_step "RENAME TABLE $t TO $CDB.t_old;
	        CREATE TABLE $t (k INT PRIMARY KEY, name VARCHAR(10))" \
	    "INSERT INTO $CDB.t_old VALUES ('hundred', 100, 10, 'ten')" \
	    t_old "id = 10"
	chain_step "" "INSERT INTO $t VALUES (1, 'k-one')" t "k = 1"
	chain_step "DROP TABLE $t;
	        CREATE TABLE $t (x VARCHAR(5), y SMALLINT UNSIGNED)" \
	    "INSERT INTO $t VALUES ('x1', 65000)" t "x = 'x1'"
	chain_step "ALTER TABLE $t ADD COLUMN z INT DEFAULT 7,
	        ALGORITHM=INSTANT" \
	    "INSERT INTO $t (x, y) VALUES ('x2', 2)" t "x = 'x2'"
	chain_step "" "INSERT INTO $CDB.t_old VALUES ('last', 110, 11, 'el')" \
	    t_old "id = 11"
}

# The inserts of this chain's database, a replay's repeats left out
# (kill -9 delivers at least once: a record and its position again).
chain_check() {
	local want
	want=$(wc -l <"$TMP/expected")
	wait_until 60 "$want records of $CDB" chain_has "$want"
	python_check "$TMP/expected" "$RECORDS" "$CDB" "$1" <<'PY'
import json, sys
from records import load_records, fail
want = [json.loads(l) for l in open(sys.argv[1])]
want = [(w["table"], list(w["data"].items())) for w in want]
seen, got = set(), []
for r in load_records(sys.argv[2]):
    if r.get("type") != "insert" or r.get("database") != sys.argv[3]:
        continue
    key = (r["position"], json.dumps(r["data"]))
    if key in seen:
        continue
    seen.add(key)
    got.append((r["table"], list(r["data"].items())))
for i, (w, g) in enumerate(zip(want, got)):
    if w != g:
        fail(f"{sys.argv[4]}: row {i + 1}: expected {w}, got {g}")
if len(want) != len(got):
    fail(f"{sys.argv[4]}: {len(want)} rows written, {len(got)} records")
print(f"ok: {sys.argv[4]}: {len(got)} rows with their names as written")
PY
}

chain_has() {
	[ "$(grep -c "\"database\":\"$CDB\".*\"type\":\"insert\"" \
	    "$RECORDS")" -ge "$1" ]
}
