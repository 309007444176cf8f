#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# sink_sysbench.sh: a real OLTP workload into the durable file sink --
# sysbench oltp_write_only, 4 threads for 5 s, streamed from the server's
# first event with fsync = yes on a disk whose every fsync takes 20 ms
# (tests/fsync_log.c): one fsync per transaction could not keep up, the
# group commit must.  Once binlogd's checkpoint holds the server's last
# GTID, the records replayed into empty tables equal SELECT of every
# sbtest table, the transactions come in commit order, and the fsyncs
# binlogd counts are those the kernel was asked for, each covering
# several transactions.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

OUT=$TMP/sink.jsonl
SB_TABLES=2
SB_ROWS=1000

mariadb_start
sql "CREATE DATABASE sbtest"
fsync_log_streamer 20
BL_START_POSITION=earliest
BL_EXTRA_STREAM="sink = file
[sink]
path = $OUT"
binlogd_start
sysbench_oltp prepare >/dev/null
sysbench_oltp run --threads=4 --time=5 >"$TMP/sysbench.out"
trx=$(sed -n 's/^ *transactions: *\([0-9]*\) .*/\1/p' "$TMP/sysbench.out")
note "sysbench committed $trx transactions"

wait_for_checkpoint

# The streamer pushes its figures every second: they come to count the
# fsyncs the kernel saw.
metric() {
	binlogctl -s "$TMP/binlogd.sock" metrics | sed -n "s/^binlogd_$1 //p"
}
metric_is() {
	[ "$(metric "$1")" = "$2" ]
}
seen=$(fsyncs "$OUT")
wait_until 10 "binlogd_sink_fsyncs_total to count the $seen fsyncs of $OUT" \
    metric_is sink_fsyncs_total "$seen"
durable=$(metric sink_fsync_transactions_total)
note "$seen fsyncs for $durable transactions"
# every transaction of the binlog went through the sink (the sysbench
# ones and those before: the schema, prepare's inserts)
assert_le "$((trx + SB_TABLES))" "$durable" \
    "transactions made durable (binlogd_sink_fsync_transactions_total)"
assert_le "$((3 * seen))" "$durable" \
    "3 transactions per fsync or more ($seen fsyncs for $durable)"
binlogd_stop

sysbench_replayed "$OUT"
# one stream, never resumed: no GTID comes after a later one
python_check "$OUT" <<'PY'
import sys
from records import fail, load_records
prev = 0
for n, rec in enumerate(load_records(sys.argv[1]), 1):
    seq = int(rec["gtid"].split("-")[2])
    if seq < prev:
        fail(f"record {n}: GTID {rec['gtid']} after 0-1-{prev}")
    prev = seq
PY
