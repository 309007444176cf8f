#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# snapshot_types.sh: [stream] snapshot = initial formats every value as the
# binlog path does.  types.sh's table (a column of every MariaDB type) gets
# its boundary rows; binlogd reads their inserts from the binlog (the path
# types.sh holds to the server's SELECT), then, started afresh with
# snapshot = initial, snapshots them: each bootstrap-insert's data equals,
# byte for byte per value, the insert record's data of the same id.  Then
# the Debezium format's snapshot records: op "r", source.snapshot true on
# all but the last row, "last" on it.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
# shellcheck disable=SC2034 # types.sh's values name it
big="large Ω"
# types.sh's columns and its rows' values, as it defines them
types=$(dirname "$0")/types.sh
eval "$(sed -n '/^COLUMNS="id INT_PRIMARY_KEY/,/^u UUID chr"$/p' "$types")"
ddl="" ncols=0
while read -r name type _; do
	ddl+="${ddl:+, }$name ${type//_/ }"
	ncols=$((ncols + 1))
done <<<"$COLUMNS"
eval "$(sed -n '/^maxes=/,/^nulls=/p' "$types")"
# shellcheck disable=SC2154 # maxes, mins, nulls, mids: from types.sh
sql "SET sql_mode = ''; CREATE DATABASE ty;
    CREATE TABLE ty.t ($ddl) DEFAULT CHARSET = utf8mb4;
    SET time_zone = '-07:00';
    INSERT INTO ty.t VALUES ($maxes), ($mins), ($nulls), ($mids)"

# the binlog's records of the four inserts
BL_START_POSITION=earliest binlogd_start
four_inserts() { [ "$(grep -c '"type":"insert"' "$RECORDS")" -ge 4 ]; }
wait_until 60 "the four inserts' records" four_inserts
binlogd_stop
mv "$RECORDS" "$TMP/binlog.jsonl"
rm -f "$TMP/checkpoint.db"*

check() { # records format
	python_check "$TMP/binlog.jsonl" "$1" "$2" <<'EOF'
import json, sys
from records import fail
binlog_path, snap_path, fmt = sys.argv[1:]

def pairs(line, key):
    """The record's image with each value as its exact JSON text."""
    return json.loads(line, parse_int=str, parse_float=str,
                      object_pairs_hook=lambda p: p)

def image(rec, key):
    for k, v in rec:
        if k == key:
            return dict(v)
    fail(f"no {key} in {rec}")

want = {}
for line in open(binlog_path, encoding="utf-8"):
    rec = pairs(line, "data")
    if dict(rec).get("type") == "insert":
        d = image(rec, "data")
        want[d["id"]] = d
if len(want) != 4:
    fail(f"expected the 4 inserts in the binlog records, got {len(want)}")
got, kinds = {}, []
for line in open(snap_path, encoding="utf-8"):
    rec = pairs(line, "data")
    r = dict(rec)
    if fmt == "maxwell":
        kinds.append(r["type"])
        if r["type"] == "bootstrap-insert":
            got[image(rec, "data")["id"]] = image(rec, "data")
    elif r.get("op") == "r":
        kinds.append(dict(r["source"])["snapshot"])
        got[image(rec, "after")["id"]] = image(rec, "after")
if fmt == "maxwell" and kinds != ["bootstrap-start"] + ["bootstrap-insert"] * 4 + ["bootstrap-complete"]:
    fail(f"maxwell snapshot record types: {kinds}")
if fmt == "debezium" and kinds != ["true", "true", "true", "last"]:
    fail(f"debezium source.snapshot values: {kinds}")
if sorted(got) != sorted(want):
    fail(f"snapshot ids {sorted(got)} != binlog ids {sorted(want)}")
for i in want:
    for col in want[i]:
        if got[i].get(col) != want[i][col]:
            fail(f"id {i} column {col}: snapshot {str(got[i].get(col))[:200]}"
                 f" != binlog {str(want[i][col])[:200]}")
    if set(got[i]) != set(want[i]):
        fail(f"id {i}: columns differ: {set(got[i]) ^ set(want[i])}")
print(f"{fmt}: {len(want)} rows x {len(want[min(want)])} columns equal")
EOF
}

# The snapshot records' layout: per kind, its keys in order (source's
# after it, a dot between), against tests/golden: Maxwell's as its
# SynchronousBootstrapper and RowMap.toJSON write them (no position, xid
# or commit; data {} for start and complete).
layout() { # format
	python_check "$RECORDS" "$1" <<'EOF' >"$TMP/layout"
import json, sys
from records import record_keys
seen = {}
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    kind = r["type"] if sys.argv[2] == "maxwell" else \
        "r/" + r["source"]["snapshot"]
    seen.setdefault(kind, " ".join(record_keys(r)))
for k in sorted(seen):
    print(f"{k}: {seen[k]}")
EOF
	diff -u "$GOLDEN/snapshot-$1.keys" "$TMP/layout" ||
	    fail "the $1 snapshot records' layout differs from tests/golden"
}
GOLDEN=$(dirname "$0")/../golden

BL_EXTRA_STREAM="snapshot = initial" binlogd_start
wait_for_log 'snapshot: done'
binlogd_stop
check "$RECORDS" maxwell
layout maxwell
# a finished snapshot is not taken again
BL_EXTRA_STREAM="snapshot = initial" binlogd_start
binlogd_stop
assert_eq 1 "$(grep -c bootstrap-start "$RECORDS")" \
    "bootstrap-start records after a restart"

rm -f "$TMP/checkpoint.db"* "$RECORDS"
BL_EXTRA_STREAM="snapshot = initial
format = debezium" binlogd_start
wait_for_log 'snapshot: done'
binlogd_stop
check "$RECORDS" debezium
layout debezium
