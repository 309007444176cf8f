#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# two_instances.sh: a second binlogd from a copy of the configuration with
# its own pid file and control socket stops at once with status 78 (not
# retried), naming the running binlogd's pid -- first over the shared
# checkpoint database, then, with a database of its own, over the shared
# sink file -- and the first instance streams on undisturbed, its
# streamer never kicked off the server.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table
OUT=$TMP/records.out
BL_EXTRA_STREAM="sink = file
[sink]
path = $OUT"
binlogd_start

# second CONF WHAT: runs a second binlogd -f on CONF, which must exit 78 by
# itself with a message naming WHAT and the first binlogd's pid.
second() {
	local rc=0 pid
	binlogd -f -c "$1" >"$TMP/second.out" 2>"$TMP/second.err" &
	pid=$!
	PIDS="$PIDS $pid"
	wait_until 30 "the second binlogd to give up" lib_gone "$pid"
	wait "$pid" || rc=$?
	lib_forget "$pid"
	assert_eq 78 "$rc" "exit status of the second binlogd ($(cat \
	    "$TMP/second.err"))"
	assert_match "$(cat "$TMP/second.err")" \
	    "$2 .* is in use by another binlogd \\(pid $BL_PID\\)" \
	    "the second binlogd's message"
	[ ! -e "$TMP/second.pid" ] || fail "the second binlogd left its pid file"
	[ ! -e "$TMP/second.sock" ] || fail "the second binlogd left its socket"
}
sed -e "s|^pid_file = .*|pid_file = $TMP/second.pid|" \
    -e "s|^control_socket = .*|control_socket = $TMP/second.sock|" \
    "$BL_CONF" >"$TMP/second.conf"
second "$TMP/second.conf" '\[checkpoint\] database'
sed -i "s|^database = .*|database = $TMP/second.db|" "$TMP/second.conf"
second "$TMP/second.conf" '\[sink\] path'

numbered_rows 1 20 | sql
out_has() { [ -f "$OUT" ] && [ "$(grep -c . "$OUT")" -ge 20 ]; }
wait_until 30 "20 records in $OUT" out_has
binlogd_stop
assert_eq 1 "$(log_count 'started streamer')" "streamers the first binlogd ran"
assert_eq 0 "$(log_count 'reconnecting in')" "reconnects of the first binlogd"
assert_eq 20 "$(grep -c . "$OUT")" "records in $OUT"
