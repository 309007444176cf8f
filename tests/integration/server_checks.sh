#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# server_checks.sh: a server binlogd cannot use is reported clearly and
# retried slowly, never in a hot loop: binlog_format=STATEMENT names
# binlog_format, a wrong password says access denied and counts as a
# restart with cause "auth"; in both cases binlogd stays up and still stops
# cleanly on SIGTERM.  Connection errors name the endpoint (host:port, or
# the socket host = localhost means); missing grants are found at the
# start, all in one message, with status 81 (SELECT on one table at its
# first row event, also 81); binary logging off is
# reported as such (log_bin), with status 80, never as a network error.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

STARTED='started (binlogd-)?streamer'
WINDOW=6	# seconds; a hot loop restarts dozens of times in this
MAX_STARTS=3	# the first start and at most two slow retries

# expect_slow_retries WHAT: over WINDOW seconds, binlogd stays up and
# starts the streamer at most MAX_STARTS times.
expect_slow_retries() {
	local before=$1 starts
	# A measurement window, not a synchronisation: nothing to wait for.
	sleep "$WINDOW"
	lib_alive "$BL_PID" || fail "binlogd exited on $2 instead of retrying"
	starts=$(($(log_count "$STARTED") - before))
	assert_le "$starts" "$MAX_STARTS" \
	    "streamer starts within ${WINDOW}s of $2"
	note "ok: $starts streamer start(s) in ${WINDOW}s on $2"
}

mariadb_start --binlog-format=STATEMENT

before=$(log_count "$STARTED")
binlogd_spawn
wait_for_log 'binlog_format' 1 60
line=$(grep -m1 'binlog_format' "$BL_LOG")
assert_match "$line" 'binlog_format=STATEMENT.*ROW' \
    "the streamer's error names the setting and the value it needs"
assert_match "$line" 'streamer\[[0-9]+\] (error|fatal): ' \
    "the error is logged by the streamer at error level"
expect_slow_retries "$before" "binlog_format=STATEMENT"
binlogd_stop

sql "SET GLOBAL binlog_format = 'ROW'"
BL_PASSWORD=wrong-password
before=$(log_count "$STARTED")
binlogd_spawn
wait_for_log '[Aa]ccess denied' 1 60
line=$(grep -m1 '[Aa]ccess denied' "$BL_LOG")
assert_match "$line" "binlogd" "the access-denied error names the user"
expect_slow_retries "$before" "a wrong password"
# The restart's cause as a metric label: a key, as binlogd(8) lists them.
restarts=$(binlogctl -s "$TMP/binlogd.sock" metrics |
    grep '^binlogd_restarts_total{child="streamer"' || true)
assert_match "$restarts" '^binlogd_restarts_total\{child="streamer",cause="auth"\} [1-9]' \
    "the restart counted with cause auth"
binlogd_stop

# binlogd_spawn_with SED: binlogd_spawn on a configuration edited by SED;
# FROM is the log's length before, for first_line.
binlogd_spawn_with() {
	FROM=$(wc -l <"$BL_LOG")
	binlogd_config
	sed -i "$1" "$BL_CONF"
	binlogd -f -c "$BL_CONF" >>"$RECORDS" 2>>"$BL_LOG" &
	BL_PID=$!
	PIDS="$PIDS $BL_PID"
}

# first_line ERE: the first line matching ERE since binlogd_spawn_with.
first_line() {
	tail -n "+$((FROM + 1))" "$BL_LOG" | grep -m1 -E -- "$1" || true
}
# wait_for_new ERE: until a line matches ERE since binlogd_spawn_with.
wait_for_new() {
	wait_for_log "$1" $(($(head -n "$FROM" "$BL_LOG" | grep -Ec -- "$1") + 1)) 60
}

# Connection errors name the endpoint: address and port, or the socket
# that host = localhost means.
BL_PASSWORD=secret
closed=$(lib_free_port)
binlogd_spawn_with "s/^port = .*/port = $closed/"
wait_for_new 'replication connection to'
assert_match "$(first_line 'replication connection to')" \
    "connection to 127\\.0\\.0\\.1:$closed: " "the error names host and port"
binlogd_stop
binlogd_spawn_with "s/^host = .*/host = localhost/"
wait_for_new 'replication connection to'
assert_match "$(first_line 'replication connection to')" \
    'to socket /run/mysqld/mysqld.sock \(host = localhost means the Unix socket; give 127.0.0.1 for TCP\)' \
    "the error names the socket localhost means"
binlogd_stop

# Missing grants: all of them in one message at the start, and the
# access-denied status (81), retried slowly.
sql "REVOKE BINLOG MONITOR, SELECT ON *.* FROM binlogd@'%'"
before=$(log_count "$STARTED")
binlogd_spawn_with ""
wait_for_new 'streamer \(pid [0-9]+\) exited with code'
assert_match "$(first_line 'lacks')" \
    "user 'binlogd' lacks BINLOG MONITOR, SELECT on the server at 127\\.0\\.0\\.1:$DB_PORT" \
    "one message naming both missing grants"
assert_match "$(first_line 'streamer \(pid [0-9]+\) exited with code')" \
    'exited with code 81 ' "the streamer's exit status without the grants"
expect_slow_retries "$before" "missing grants"
binlogd_stop
sql "GRANT BINLOG MONITOR, SELECT ON *.* TO binlogd@'%'"

# SELECT on some tables but not on one that changes: found at its first
# row event, and the same access-denied status, not a decode error (85)
# restarted with backoff.
sql "CREATE DATABASE seen; CREATE DATABASE hidden;
    CREATE TABLE hidden.t (id INT PRIMARY KEY);
    REVOKE SELECT ON *.* FROM binlogd@'%';
    GRANT SELECT ON seen.* TO binlogd@'%'"
binlogd_spawn_with ""
wait_for_new 'ready: streaming'
sql "INSERT INTO hidden.t VALUES (1)"
wait_for_new 'streamer \(pid [0-9]+\) exited with code'
assert_match "$(first_line 'hidden\.t')" \
    "hidden\\.t .*user 'binlogd' none of its columns: grant it SELECT" \
    "the error names the table and the grant"
assert_match "$(first_line 'streamer \(pid [0-9]+\) exited with code')" \
    'exited with code 81 ' "the streamer's exit status without SELECT on a table"
binlogd_stop
sql "GRANT SELECT ON *.* TO binlogd@'%'"

# Binary logging off: the advice is log_bin, not binlog_format, and it is
# not retried as a network error (no reconnects), even from earliest.
mariadb_stop
DB_OPTS=(--skip-log-bin --binlog-format=MIXED)
mariadb_restart
assert_eq 0 "$(sql 'SELECT @@log_bin')" "log_bin on the restarted server"
before=$(log_count "$STARTED")
binlogd_spawn_with "s/^start_position = .*/start_position = earliest/"
wait_for_new 'streamer \(pid [0-9]+\) exited with code'
assert_match "$(first_line 'streamer\[[0-9]+\] .*log_bin')" \
    'binary logging is off.*put log_bin' \
    "the streamer's advice with binary logging off"
assert_eq "" "$(first_line 'binlog_format=MIXED|reconnecting')" \
    "a line advising binlog_format or reconnecting with log_bin off"
assert_match "$(first_line 'streamer \(pid [0-9]+\) exited with code')" \
    'exited with code 80 ' "the streamer's exit status with log_bin off"
expect_slow_retries "$before" "log_bin off"
binlogd_stop
