#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# sink_file.sh: [stream] sink = file appends the records to [sink] path,
# nothing to stdout.  A crash that left half a record at the end of the
# file (written here by hand, as a kill -9 between two write(2)s of one
# record would) is cut off on the next start, with a log line; the
# streamer killed -9 five times during a paced workload, then binlogd
# stopped and started again: every line of the file parses and every
# committed row is there, in commit order, repeats only after a resume.
# Renamed and followed by SIGHUP (logrotate), the file is opened anew at
# the path and the rows after go there.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

TOTAL=1500
KILLS=5
OUT=$TMP/out/records.jsonl
mkdir -p "$TMP/out"

mariadb_start
numbered_table
file_lines() {
	[ -f "$OUT" ] && [ "$(wc -l <"$OUT")" -ge "$1" ]
}

numbered_rows 1 "$TOTAL" 0.01 >"$TMP/workload.sql"

BL_EXTRA_DAEMON="restart_backoff_max = 1s"
BL_EXTRA_STREAM="sink = file
[sink]
path = $OUT
fsync = yes"
binlogd_start
sql <"$TMP/workload.sql" &
WORKLOAD=$!
PIDS="$PIDS $WORKLOAD"

for ((k = 1; k <= KILLS; k++)); do
	before=$(log_count 'resuming from checkpoint')
	wait_until 60 "more rows to commit" committed_at_least \
	    $(($(committed) + 30 + RANDOM % 60))
	kill_child streamer >/dev/null
	wait_for_log 'resuming from checkpoint' $((before + 1)) 60
done

# A record cut by a crash: half a line at the end of the file while
# binlogd is stopped.
wait_until 60 "more rows to commit" committed_at_least $(($(committed) + 50))
binlogd_stop
printf '{"database":"shop","table":"n","type":"ins' >>"$OUT"
binlogd_start
wait_for_log 'ends in a partial record \(42 bytes after the last newline, left by an interrupted write: a crash or a full disk\)'
wait "$WORKLOAD" || hard_error "the workload's client failed"
lib_forget "$WORKLOAD"
last_is_in() {
	tail -n 1 "$OUT" | grep -Eq "\"id\": ?${TOTAL}[,}]"
}
wait_until 120 "the record of row $TOTAL in $OUT" last_is_in

# logrotate: the file renamed, then SIGHUP; later rows go to a new file
# at the path.
mv "$OUT" "$OUT.1"
hups=$(log_count 'configuration reloaded')
kill -HUP "$BL_PID"
wait_for_log 'configuration reloaded' $((hups + 1))
for ((id = TOTAL + 1; id <= TOTAL + 20; id++)); do
	echo "INSERT INTO shop.n VALUES ($id, 'row-$id');"
done | sql
new_file_has_all() {
	[ -f "$OUT" ] && grep -Eq "\"id\": ?$((TOTAL + 20))[,}]" "$OUT"
}
wait_until 60 "row $((TOTAL + 20)) in the new $OUT" new_file_has_all
assert_le 1 "$(grep -c . "$OUT.1")" "records in the rotated file"
binlogd_stop

assert_eq 0 "$(record_count)" "records on stdout with sink = file"
sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
cat "$OUT.1" "$OUT" >"$TMP/all.jsonl"
python_check "$TMP/expected.jsonl" "$TMP/all.jsonl" "$BL_LOG" \
    $((KILLS + 1)) <<'PY'
import sys
from records import check_delivery
n, rows, rewinds = check_delivery(sys.argv[1], sys.argv[2], sys.argv[3],
                                  int(sys.argv[4]))
print(f"sink_file.sh: {n} lines for {rows} rows; {rewinds} redeliveries",
      file=sys.stderr)
PY

# A path that cannot be opened is a configuration error, named.
BL_EXTRA_STREAM="sink = file
[sink]
path = $TMP/no/such/dir/r.jsonl"
binlogd_spawn
log_has() {
	[ "$(log_count "$1")" -ge 1 ]
}
wait_until 30 "the log to name the unwritable path" log_has \
    "path $TMP/no/such/dir/r.jsonl: $TMP/no/such/dir does not exist"
wait_until 10 "binlogd to exit" lib_gone "$BL_PID"
rc=0
wait "$BL_PID" || rc=$?
lib_forget "$BL_PID"
assert_eq 78 "$rc" "binlogd's exit status with an unwritable sink path"
