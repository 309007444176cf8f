#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# stop_mid_trx.sh: SIGTERM while binlogd is in the middle of writing one
# 50000-row transaction (its stdout drained slowly through a pipe, so the
# stop lands mid-transaction): the streamer finishes that transaction, saves
# the position after its commit (the server's own position), and after a
# restart not one row is written twice.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

ROWS=50000
mariadb_start
sql "CREATE DATABASE shop;
    CREATE TABLE shop.n (id INT PRIMARY KEY, v VARCHAR(100));"

# binlogd -> fifo -> a reader that takes about 1.6 MB/s -> $RECORDS
binlogd_config
mkfifo "$TMP/out"
python3 -c 'import os, sys, time
out = open(sys.argv[1], "ab")
while True:
    b = os.read(0, 16384)
    if not b:
        break
    out.write(b)
    out.flush()
    time.sleep(0.01)' "$RECORDS" <"$TMP/out" &
DRAIN=$!
PIDS="$PIDS $DRAIN"
binlogd -f -c "$BL_CONF" >"$TMP/out" 2>>"$BL_LOG" &
BL_PID=$!
PIDS="$PIDS $BL_PID"
wait_for_log 'ready: streaming'

sql "INSERT INTO shop.n SELECT seq, REPEAT('x', 100) FROM shop.seq_1_to_$ROWS"
read -r file offset <<<"$(master_position)"
wait_for_records 1000
binlogd_stop
wait_until 30 "the drain to finish" lib_gone "$DRAIN"
lib_forget "$DRAIN"
written=$(record_count)
note "stopped with the transaction's rows written: $written of $ROWS"
assert_eq "$ROWS" "$written" "rows written by a stop mid-transaction"
assert_eq "$file|$offset|0" "$(sqlite3 "$TMP/checkpoint.db" \
    "SELECT file || '|' || offset || '|' || rows_done FROM checkpoint")" \
    "the checkpoint after the stop"

binlogd_start
sql "INSERT INTO shop.n VALUES ($((ROWS + 1)), 'after')"
wait_for_records $((ROWS + 1))
binlogd_stop
assert_eq $((ROWS + 1)) "$(grep -Eo '"id": ?[0-9]+' "$RECORDS" | sort -u | wc -l)" \
    "distinct rows"
assert_eq $((ROWS + 1)) "$(record_count)" "records in all"
