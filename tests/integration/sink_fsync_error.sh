#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# sink_fsync_error.sh: a disk whose fsync fails.  From each streamer's
# 30th fsync of the file sink on, fsync fails with EIO
# (tests/fsync_log.c), during a paced workload of one-row transactions:
# the streamer stops with a message that names the file and the error,
# reports no position after the failed fsync, and is restarted, writing
# again from the last position saved.  In the end every committed row is
# in the file, in commit order, repeated only after a resume.  Then an
# fsync that fails while the server stays idle stops the streamer at once.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

TOTAL=300
OUT=$TMP/sink.jsonl

mariadb_start
numbered_table
numbered_rows 1 "$TOTAL" 0.01 >"$TMP/workload.sql"
fsync_log_streamer 0 30
BL_EXTRA_DAEMON="restart_backoff_max = 1s"
BL_EXTRA_STREAM="sink = file
[sink]
path = $OUT"
binlogd_start
sql <"$TMP/workload.sql"
FAILED="file sink: fsync of $OUT: Input/output error; what was written since the last fsync may be lost"
wait_for_log "$FAILED" 3 120
wait_for_checkpoint
binlogd_stop

failures=$(log_count "$FAILED")
note "$failures streamers stopped by a failed fsync"
sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
python_check "$TMP/expected.jsonl" "$OUT" "$BL_LOG" "$failures" <<'PY'
import sys
from records import check_delivery
n, rows, rewinds = check_delivery(sys.argv[1], sys.argv[2], sys.argv[3],
                                  int(sys.argv[4]))
print(f"sink_fsync_error.sh: {n} lines for {rows} rows; {rewinds} "
      f"redeliveries", file=sys.stderr)
PY

# An fsync that fails while the server then stays idle: the streamer
# stops at once, not at a next commit that may never come.
fsync_log_streamer 0 1
before=$(log_count "$FAILED")
binlogd_start
sql "INSERT INTO shop.n (id, v) VALUES ($((TOTAL + 1)), 'idle')"
wait_for_log "$FAILED" $((before + 1)) 30
binlogd_stop
note "a failed fsync with no later transaction stopped the streamer"
