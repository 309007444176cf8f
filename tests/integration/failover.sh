#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# failover.sh: a primary and a replica (GTID, log_slave_updates, strict
# mode; the replica's binlog starts in another file so that file:offset
# positions differ).  binlogd streams from the primary; the primary is
# stopped; binlogd's configuration is pointed at the replica and reloaded
# with SIGHUP; the replica is promoted and written to.  Every row, from
# before and after the switch, arrives exactly once and in commit order,
# the resume on the replica is by GTID, no gap is recorded, and the
# checkpoint ends on the replica's server_id and GTID position.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start --gtid-strict-mode=1
replica_start --gtid-strict-mode=1
rsql "FLUSH BINARY LOGS"
numbered_table

replica_has() {
	[ "$(rsql "SELECT @@gtid_slave_pos")" = "$1" ]
}

binlogd_start
numbered_rows 1 500 | sql
wait_for_records 200
# Async replication: the failover itself must not lose a transaction.
primary_gtid=$(sql "SELECT @@gtid_binlog_pos")
wait_until 60 "the replica to apply $primary_gtid" replica_has "$primary_gtid"
mariadb_stop
note "primary stopped at $primary_gtid with $(record_count) records out"

# Point binlogd at the replica and reload; promote the replica.
sed -i "s|^port = .*|port = $R_PORT|" "$BL_CONF"
before=$(log_count 'resuming from checkpoint')
kill -HUP "$BL_PID"
wait_for_log 'resuming from checkpoint' $((before + 1)) 60
rsql "STOP SLAVE; RESET SLAVE ALL"
numbered_rows 501 800 | rsql
last_is_in() {
	tail -n 1 "$RECORDS" | grep -Eq '"id": ?800[,}]'
}
wait_until 120 "the record of row 800" last_is_in
binlogd_stop

assert_match "$(grep 'resuming from checkpoint' "$BL_LOG" | tail -n 1)" \
    "gtid 0-1-[0-9]+" "the resume on the replica"
assert_eq 1 "$(log_count 'server .*MariaDB.*server_id 2')" \
    "connections to the replica (server_id 2)"
assert_eq 0 "$(sqlite3 "$TMP/checkpoint.db" 'SELECT count(*) FROM gaps')" \
    "gaps recorded"
read -r rfile roff <<<"$(DB_SOCK=$R_SOCK master_position)"
assert_eq "2|$rfile|$roff|$(rsql 'SELECT @@gtid_binlog_pos')" \
    "$(sqlite3 "$TMP/checkpoint.db" "SELECT server_id || '|' || file ||
    '|' || offset || '|' || gtid FROM checkpoint")" \
    "the checkpoint (server_id|file|offset|gtid) after the failover"

rsql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
python_check "$TMP/expected.jsonl" "$RECORDS" <<'PY'
import json, sys
from records import fail, load_records
expected = [json.loads(l) for l in open(sys.argv[1])]
got = [r.get("data") for r in load_records(sys.argv[2])
       if (r.get("database"), r.get("table"), r.get("type")) ==
       ("shop", "n", "insert")]
if len(expected) != 800:
    fail(f"the replica has {len(expected)} rows, expected 800")
if got != expected:
    ids = [d.get("id") for d in got]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    fail(f"{len(got)} records for {len(expected)} rows; repeated: "
         f"{dups[:10]}; missing: "
         f"{sorted(set(range(1, 801)) - set(ids))[:10]}")
print(f"failover.sh: {len(got)} records for 800 rows, exactly once "
      f"across the switch", file=sys.stderr)
PY
