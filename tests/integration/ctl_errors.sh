#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# ctl_errors.sh: binlogctl tells apart why it got no answer -- no socket or
# nobody listening (2, "not running"), a socket it may not open (3,
# "permission denied"), a binlogd that closes the connection unanswered (8)
# -- and -c reads control_socket from a file whose other lines binlogd
# would reject.  What the operator reads: status before the server was
# reached names the server and says "not connected yet"; a refused
# set-position does not repeat its name; checkpoint's event time is
# ISO 8601 UTC; a streamer restart is announced once in the log.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
SOCK=$TMP/binlogd.sock
# expect_rc RC WHAT COMMAND...: runs COMMAND, checks its status; output in $out.
expect_rc() {
	local want=$1 what=$2 rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	assert_eq "$want" "$rc" "exit status of $what ($out)"
}

# Not running: no socket, then a socket file nobody listens on.
expect_rc 2 "status without a socket" binlogctl -s "$SOCK" status
assert_match "$out" "not running.*$SOCK" "status without a socket"
python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TMP/stale.sock"
expect_rc 2 "status on a stale socket" binlogctl -s "$TMP/stale.sock" status
assert_match "$out" "not running" "status on a stale socket"

# Refused: a listener that closes every connection unanswered.
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").close()
while True:
    s.accept()[0].close()' "$TMP/refuse.sock" "$TMP/refuse.up" &
PIDS="$PIDS $!"
wait_until 10 "the refusing listener" test -e "$TMP/refuse.up"
expect_rc 8 "status refused" binlogctl -s "$TMP/refuse.sock" status
assert_match "$out" "closed the connection without answering" \
    "status refused"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"

# Before the server is reached: binlogd pointed at a port nobody uses.
BL_PORT=$(lib_free_port)
binlogd_spawn
wait_for_log 'reconnecting in [0-9]+ s'
server_line() {
	[ "$(binlogctl -s "$SOCK" status | grep '^server')" = \
	    "server       127.0.0.1:$BL_PORT, not connected yet" ]
}
wait_until 10 "status to name 127.0.0.1:$BL_PORT, not connected yet" \
    server_line
binlogd_stop
BL_PORT=""

BL_EXTRA_DAEMON="restart_backoff_max = 1s"
binlogd_start
ctl() { binlogctl -s "$SOCK" "$@"; }

# -c needs only control_socket: a file binlogd -n rejects still serves.
cp "$BL_CONF" "$TMP/broken.conf"
printf '[server]\nno_such_option = 1\n' >>"$TMP/broken.conf"
binlogd -n -c "$TMP/broken.conf" >/dev/null 2>&1 &&
    fail "binlogd -n accepts the broken file"
expect_rc 0 "status -c with an unrelated error" \
    binlogctl -c "$TMP/broken.conf" status
expect_rc 64 "status -c with a missing file" \
    binlogctl -c "$TMP/no.conf" status
assert_match "$out" "$TMP/no.conf" "status -c with a missing file"

# Permission: the socket (root's, 0660) as another uid.
chmod 711 "$TMP"
expect_rc 3 "status as uid 65534" as_nobody binlogctl -s "$SOCK" status
assert_match "$out" "permission denied" "status as uid 65534"

# A refused set-position says why once, not "set-position: set-position".
expect_rc 6 "set-position while streaming" ctl set-position x:4
assert_match "$out" '^binlogctl: set-position: the streamer must be held' \
    "the refusal of set-position"

# The checkpoint's event time, as the server's commit time in UTC.
sql "INSERT INTO shop.t VALUES (1)"
wait_for_records 1
ts_saved() {
	ctl -j checkpoint | python3 -c 'import json, sys
sys.exit(json.load(sys.stdin)["ts"] == 0)'
}
wait_until 20 "a saved position with an event time" ts_saved
ts=$(ctl -j checkpoint | python3 -c 'import json, sys
print(json.load(sys.stdin)["ts"])')
assert_eq "event time   $(date -u -d "@$ts" +%Y-%m-%dT%H:%M:%SZ)" \
    "$(ctl checkpoint | grep '^event time')" "checkpoint's event time"

# A restart after a failure: one log line says when.
kill_child streamer >/dev/null
wait_for_log 'ready: streaming' 2 60
assert_eq 1 "$(log_count 'restarting streamer in [0-9.]+s \(failure 1\)')" \
    "log lines announcing the streamer's restart"
binlogd_stop
