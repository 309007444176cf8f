#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# filter.sh: [filter] include/exclude patterns, events and drop_columns.
# Of a workload over five tables in three databases, exactly the rows of
# the included, not excluded tables arrive, only inserts, deletes and the
# DDL statement (events = insert,delete,ddl), no transaction markers (no
# "commit" in events), never the dropped column;
# each record's data equals the server's own SELECT of that row.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE DATABASE crm; CREATE DATABASE other;
    CREATE TABLE shop.users (id INT PRIMARY KEY, name VARCHAR(20),
        password VARCHAR(20));
    CREATE TABLE shop.secrets (id INT PRIMARY KEY, v VARCHAR(20));
    CREATE TABLE crm.keep (id INT PRIMARY KEY, v VARCHAR(20));
    CREATE TABLE crm.other (id INT PRIMARY KEY, v VARCHAR(20));
    CREATE TABLE other.t (id INT PRIMARY KEY, v VARCHAR(20));"

BL_EXTRA_STREAM="[filter]
include = shop.*, crm.kee?
exclude = shop.secret*
events = insert,delete,ddl
drop_columns = shop.users.password"
binlogd_start

EXPECTED=$TMP/expected.tsv
# users_row ID: the server's row of shop.users without password.
users_row() {
	sql "SELECT JSON_OBJECT('id', id, 'name', name) FROM shop.users
	    WHERE id = $1"
}
sql "INSERT INTO shop.users VALUES (1, 'ann', 'pw1'), (2, 'bob', 'pw2');
    INSERT INTO shop.secrets VALUES (1, 'no');
    INSERT INTO crm.keep VALUES (1, 'yes');
    INSERT INTO crm.other VALUES (1, 'no');
    INSERT INTO other.t VALUES (1, 'no');"
for id in 1 2; do
	printf 'insert\tshop\tusers\t%s\n' "$(users_row $id)"
done >"$EXPECTED"
printf 'insert\tcrm\tkeep\t%s\n' \
    "$(sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM crm.keep")" >>"$EXPECTED"
sql "UPDATE shop.users SET name = 'anne' WHERE id = 1"
before=$(users_row 2)
sql "DELETE FROM shop.users WHERE id = 2"
printf 'delete\tshop\tusers\t%s\n' "$before" >>"$EXPECTED"
DDL="ALTER TABLE users ADD COLUMN note VARCHAR(5)"
sql "USE shop; $DDL"
printf 'table-alter\tshop\tusers\t%s\n' "$DDL" >>"$EXPECTED"
sql "INSERT INTO shop.users VALUES (3, 'cy', 'pw3', 'hi')"
printf 'insert\tshop\tusers\t%s\n' "$(sql "SELECT JSON_OBJECT('id', id,
    'name', name, 'note', note) FROM shop.users WHERE id = 3")" >>"$EXPECTED"
sql "INSERT INTO other.t VALUES (2, 'no'); INSERT INTO crm.keep VALUES (2, 'z')"
printf 'insert\tcrm\tkeep\t%s\n' "$(sql "SELECT JSON_OBJECT('id', id, 'v', v)
    FROM crm.keep WHERE id = 2")" >>"$EXPECTED"

wait_for_records "$(wc -l <"$EXPECTED")"
binlogd_stop
python_check "$EXPECTED" "$RECORDS" <<'PY'
import json, sys
from records import fail, load_records
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
got = load_records(sys.argv[2])
if len(got) != len(want):
    fail(f"{len(got)} records, expected {len(want)}: {got}")
for n, (w, r) in enumerate(zip(want, got), 1):
    kind, db, table, body = w
    if (r.get("type"), r.get("database")) != (kind, db):
        fail(f"record {n}: expected a {kind} in {db}, got {r}")
    if kind == "table-alter":
        if r.get("sql") != body or r.get("table") != table:
            fail(f"record {n}: sql {r.get('sql')!r} on "
                 f"{r.get('table')!r}, the statement was {body!r} on "
                 f"{table!r}")
        continue
    if r.get("table") != table or r.get("data") != json.loads(body):
        fail(f"record {n}: expected {table} {body}, got {r}")
    if "password" in r["data"]:
        fail(f"record {n}: the dropped column is there: {r}")
    if "commit" in r or "xid" in r:
        fail(f"record {n}: a transaction marker, but events has no "
             f"commit: {r}")
PY
