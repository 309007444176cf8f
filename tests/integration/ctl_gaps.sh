#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# ctl_gaps.sh: after on_purged = earliest skips purged binlog, binlogctl
# status and the metrics show as many gaps as the checkpoint database's
# gaps table holds, and the newest one names the purged file.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"
binlogd_start
sql "INSERT INTO shop.t VALUES (1)"
wait_for_records 1
binlogd_stop
read -r lost _ <<<"$(master_position)"
sql "INSERT INTO shop.t VALUES (2); FLUSH BINARY LOGS"
read -r kept _ <<<"$(master_position)"
purged() {
	sql "PURGE BINARY LOGS TO '$kept'"
	[ "$(sql 'SHOW BINARY LOGS' | head -n 1 | cut -f1)" = "$kept" ]
}
wait_until 30 "the server to purge the binlogs before $kept" purged

BL_EXTRA_STREAM="on_purged = earliest" binlogd_start
sql "INSERT INTO shop.t VALUES (3)"
wait_for_records 2
field() {
	binlogctl -s "$TMP/binlogd.sock" -j status | python3 -c 'import json, sys
print(json.load(sys.stdin)["stream"][sys.argv[1]])' "$1"
}
want=$(sqlite3 "$TMP/checkpoint.db" "SELECT count(*) FROM gaps")
assert_eq 1 "$want" "gaps in the checkpoint database"
shows_gaps() { [ "$(field gaps)" = "$want" ]; }
wait_until 10 "status to show $want gap(s)" shows_gaps
assert_match "$(field last_gap)" "$lost" "the newest gap names $lost"
assert_match "$(binlogctl -s "$TMP/binlogd.sock" status)" \
    "^gaps +$want, the last: .*$lost" "the gaps line of status"
assert_match "$(binlogctl -s "$TMP/binlogd.sock" metrics)" \
    "binlogd_gaps_total $want" "binlogd_gaps_total"
binlogd_stop
