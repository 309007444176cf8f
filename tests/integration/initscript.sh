#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# initscript.sh: the installed LSB init script, pointed at the test install
# through a defaults file, drives binlogd in daemon mode through status,
# start, reload and stop with the LSB exit codes (0, 1 dead with a pid file,
# 3 not running, 6 not configured, 7 reload while stopped, 2 usage); rows
# flow while it runs.  binlogd in daemon mode returns once it is ready: a
# start that fails (a corrupt checkpoint database) is reported at once
# with binlogd's error, and a relative -c still reaches the helpers after
# the daemon's chdir("/").  The installed systemd unit passes
# systemd-analyze.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
SBIN=$(dirname "$(command -v binlogd)")
PREFIX=$(dirname "$SBIN")
INIT=${BINLOGD_TEST_SYSCONFDIR:-$PREFIX/etc}/init.d/binlogd
UNIT=$PREFIX/lib/systemd/system/binlogd.service
[ -x "$INIT" ] || fail "the init script is not installed at $INIT"
[ -f "$UNIT" ] || fail "the systemd unit is not installed at $UNIT"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"
# A daemon has no stdout for records: a file sink, as in the sample.
BL_EXTRA_STREAM="sink = file" binlogd_config
printf '[sink]\npath = %s\n' "$RECORDS" >>"$BL_CONF"
export BINLOGD_DEFAULTS=$TMP/default-binlogd
cat >"$BINLOGD_DEFAULTS" <<EOF
DAEMON=$SBIN/binlogd
BINLOGCTL=$SBIN/binlogctl
CONFIG=$BL_CONF
START_TIMEOUT=30
STOP_TIMEOUT=30
EOF
init() { "$INIT" "$@"; }
# lsb ACTION EXPECTED: runs the init script, checks its exit status.
lsb() {
	local rc=0 out
	out=$(init "$1" 2>&1) || rc=$?
	assert_eq "$2" "$rc" "exit status of '$1' ($out)"
}
field() {
	binlogctl -s "$TMP/binlogd.sock" -j status | python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print(d)' "$1"
}

lsb status 3
lsb reload 7
lsb start 0
pid=$(cat "$TMP/binlogd.pid")
PIDS="$PIDS $pid"
assert_match "$(init status)" '^binlogd +running' "status output"
lsb status 0
lsb start 0
assert_eq "$pid" "$(cat "$TMP/binlogd.pid")" "pid after a second start"

n=$(sql "INSERT INTO shop.t SELECT seq FROM shop.seq_1_to_12; SELECT ROW_COUNT()")
rows_in() { [ "$(field stream.rows_insert)" = "$n" ]; }
wait_until 20 "binlogd in daemon mode to stream $n rows" rows_in

# reload restarts the streamer with the new file.
streamer=$(field children.streamer.pid)
lsb reload 0
new_streamer() {
	[ "$(field children.streamer.state)" = ready ] &&
	[ "$(field children.streamer.pid)" != "$streamer" ]
}
wait_until 30 "a new streamer after reload" new_streamer
# A broken file is refused before binlogd sees it: 6, still running.
cp "$BL_CONF" "$TMP/good.conf"
echo "no_such_option = 1" >>"$BL_CONF"
lsb reload 6
lsb start 0
cp "$TMP/good.conf" "$BL_CONF"
assert_eq "$pid" "$(cat "$TMP/binlogd.pid")" "pid after the refused reload"

lsb stop 0
lib_gone "$pid" || fail "binlogd (pid $pid) still runs after stop"
lsb status 3
lsb stop 0

# Killed without cleaning up: LSB status 1, then a clean start again.
lsb start 0
pid=$(cat "$TMP/binlogd.pid")
PIDS="$PIDS $pid"
kill -KILL "$pid"
wait_until 10 "binlogd (pid $pid) to die" lib_gone "$pid"
lsb status 1
lsb restart 0
pid=$(cat "$TMP/binlogd.pid")
PIDS="$PIDS $pid"
lsb status 0
lsb stop 0
lsb bogus 2

# A start that fails is known when binlogd returns, with its error, not
# after START_TIMEOUT (30 s) of asking the control socket.
cp "$BL_CONF" "$TMP/good.conf"
sed -i "s|^database = .*|database = $TMP/corrupt.db|" "$BL_CONF"
head -c 8192 /dev/urandom >"$TMP/corrupt.db"
t0=$SECONDS
rc=0
out=$(init start 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status of start on a corrupt database ($out)"
assert_le $((SECONDS - t0)) 10 "seconds until the failed start was reported"
assert_match "$out" 'checkpointd \(pid [0-9]+\) exited with code 82' \
    "the failed start's message"
lsb status 3
cp "$TMP/good.conf" "$BL_CONF"

# A relative -c: the helpers read the file after the daemon's chdir("/").
(cd "$TMP" && binlogd -c "$(basename "$BL_CONF")") ||
    fail "binlogd -c with a relative path did not start"
pid=$(cat "$TMP/binlogd.pid")
PIDS="$PIDS $pid"
streamer_ready() { [ "$(field children.streamer.state)" = ready ]; }
wait_until 30 "the streamer of binlogd -c relative.conf" streamer_ready
lsb stop 0

# The unit, with its binaries and pages where this test installed them.
sed "s|/[^ ]*/sbin/|$SBIN/|g" "$UNIT" >"$TMP/binlogd.service"
out=$(MANPATH=$PREFIX/share/man systemd-analyze verify \
    "$TMP/binlogd.service" 2>&1) || fail "systemd-analyze verify: $out"
assert_eq "" "$out" "systemd-analyze verify output"
assert_match "$(grep '^KillMode=' "$UNIT")" '^KillMode=mixed$' "KillMode"
