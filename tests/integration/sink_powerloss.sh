#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# sink_powerloss.sh: the group commit never reports a position before an
# fsync has made its records durable.  sysbench oltp_write_only streams
# into the file sink on a slow disk (each fsync 200 ms: tests/fsync_log.c)
# with every position checkpointed (checkpoint_interval = 0); three
# times, binlogd's three processes are killed -9 at once and the file is
# cut back to what the last fsync that returned covered -- what a power
# loss may leave -- before binlogd starts again.  A position saved before
# its fsync returned would lie past the cut and its records would be
# lost: replayed into empty tables, the records must equal SELECT.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

OUT=$TMP/sink.jsonl
SB_TABLES=2
SB_ROWS=1000
LOSSES=3

mariadb_start
sql "CREATE DATABASE sbtest"
fsync_log_streamer 200
BL_START_POSITION=earliest
BL_CHECKPOINT_INTERVAL=0
BL_EXTRA_DAEMON="restart_backoff_max = 1s"
BL_EXTRA_STREAM="sink = file
[sink]
path = $OUT"
binlogd_start
sysbench_oltp prepare >/dev/null
sysbench_oltp run --threads=4 --time=20 >"$TMP/sysbench.out" &
SYSBENCH=$!
PIDS="$PIDS $SYSBENCH"

sink_bytes() {
	stat -c %s "$OUT" 2>/dev/null || echo 0
}
sink_grew() {
	[ "$(sink_bytes)" -ge "$1" ]
}
cut_total=0
for ((k = 1; k <= LOSSES; k++)); do
	wait_until 60 "$OUT to grow" sink_grew $(($(sink_bytes) + 200000))
	wait_until 30 "binlogd-streamer" lib_has_child streamer
	pids="$(child_pid checkpointd) $(child_pid streamer) $BL_PID"
	# shellcheck disable=SC2086 # checkpointd first: it saves no more
	kill -KILL $pids
	for pid in $pids; do
		wait_until 10 "pid $pid to die" lib_gone "$pid"
	done
	wait "$BL_PID" 2>/dev/null || true
	lib_forget "$BL_PID"
	size=$(sink_bytes)
	cut=$(fsynced "$OUT")
	truncate -s "$cut" "$OUT"
	note "power loss $k: $((size - cut)) bytes not yet fsynced are gone"
	cut_total=$((cut_total + size - cut))
	binlogd_start
done
# a loss that took nothing away tests nothing
assert_le 1 "$cut_total" "bytes written but not yet durable at the losses"
wait "$SYSBENCH" || hard_error "sysbench failed"
lib_forget "$SYSBENCH"

wait_for_checkpoint
binlogd_stop

sysbench_replayed "$OUT"
