#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# ops_user.sh: started as root with [daemon] user = nobody, binlogd and its
# helpers run as nobody, the control socket belongs to nobody (so the
# daemon's own user may restart it while another non-root uid may only
# look), and rows flow into a checkpoint database nobody can write, made
# with mode 0640.  The pid file and the socket go in a directory binlogd
# makes for nobody, so that the clean stop, no longer as root, removes both.
# The password file only root may read is read before the drop and handed
# on (restarts and reloads keep working, the password in no argv, environ
# or log); binlogd -n checks the database directory as nobody.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to drop privileges"
nobody=$(id -u nobody) || skip "no user nobody"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"
chmod 711 "$TMP"
# The build tree may sit in a directory nobody cannot enter (a CI clone in
# a mode-0700 mktemp dir): give the helpers a copy nobody can execute.
cp -r "$BINLOGD_LIBEXECDIR" "$TMP/libexec"
chmod -R a+rX "$TMP/libexec"
export BINLOGD_LIBEXECDIR=$TMP/libexec
mkdir "$TMP/db"
BL_EXTRA_DAEMON="user = nobody" binlogd_config
# The password in a file only root may read, the file nobody may only
# read through its group: binlogd reads both before it drops root.
printf 'secret\n' >"$TMP/password"
chmod 600 "$TMP/password"
chgrp "$(id -g nobody)" "$BL_CONF"
chmod 640 "$BL_CONF"
sed -i -e "s|^control_socket = .*|control_socket = $TMP/run/binlogd.sock|" \
    -e "s|^pid_file = .*|pid_file = $TMP/run/binlogd.pid|" \
    -e "s|^database = .*|database = $TMP/db/checkpoint.db|" \
    -e "s|^password = .*|password_file = $TMP/password|" "$BL_CONF"
# binlogd -n checks the files the helpers open as the user they run as.
rc=0
out=$(binlogd -n -f -c "$BL_CONF" 2>&1) || rc=$?
assert_eq 82 "$rc" "binlogd -n with a database nobody cannot write ($out)"
assert_match "$out" "database $TMP/db/checkpoint.db: the directory $TMP/db: Permission denied" \
    "binlogd -n message for a database nobody cannot write"
chown nobody "$TMP/db"
# binlogd_start rewrites the file: start it the same way by hand.
binlogd -f -c "$BL_CONF" >>"$RECORDS" 2>>"$BL_LOG" &
BL_PID=$!
PIDS="$PIDS $BL_PID"
wait_for_log 'ready: streaming'
SOCK=$TMP/run/binlogd.sock

for pid in "$BL_PID" $(pgrep -P "$BL_PID"); do
	assert_eq "$nobody" "$(ps -o uid= -p "$pid" | tr -d ' ')" \
	    "uid of pid $pid ($(ps -o comm= -p "$pid"))"
done
assert_eq "nobody 660" "$(stat -c '%U %a' "$SOCK")" \
    "owner and mode of the control socket"

n=$(sql "INSERT INTO shop.t SELECT seq FROM shop.seq_1_to_9; SELECT ROW_COUNT()")
wait_for_records "$n"

# uid 1 (daemon), given the socket's group, may look but not change;
# nobody, binlogd's own user, may restart.
chgrp daemon "$SOCK"
rc=0
setpriv --reuid=1 --regid="$(getent group daemon | cut -d: -f3)" \
    --clear-groups binlogctl -s "$SOCK" status >/dev/null ||
    fail "uid 1 in the socket's group cannot run status"
setpriv --reuid=1 --regid="$(getent group daemon | cut -d: -f3)" \
    --clear-groups binlogctl -s "$SOCK" restart 2>/dev/null || rc=$?
assert_eq 3 "$rc" "restart as uid 1"
streamer=$(child_pid streamer)
setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
    binlogctl -s "$SOCK" restart >/dev/null ||
    fail "binlogd's own user may not restart it"
wait_for_log 'ready: streaming' 2
[ "$(child_pid streamer)" != "$streamer" ] ||
    fail "the streamer (pid $streamer) was not restarted"

# A reload by nobody keeps the password it cannot read any more.
setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
    binlogctl -s "$SOCK" reload >/dev/null || fail "reload as nobody"
wait_for_log 'ready: streaming' 3
n2=$(sql "INSERT INTO shop.t SELECT seq FROM shop.seq_10_to_14; SELECT ROW_COUNT()")
wait_for_records $((n + n2))
# The password went to the helpers in a memfd: not in argv, environ, logs.
for pid in $(pgrep -P "$BL_PID"); do
	for f in cmdline environ; do
		! grep -qa secret "/proc/$pid/$f" ||
		    fail "the password is in /proc/$pid/$f"
	done
done
assert_eq 0 "$(grep -c secret "$BL_LOG" || true)" "log lines with the password"

binlogd_stop
assert_eq "nobody 640" "$(stat -c '%U %a' "$TMP/db/checkpoint.db")" \
    "owner and mode of the checkpoint database"
[ ! -e "$TMP/run/binlogd.pid" ] || fail "the pid file is left after the stop"
[ ! -e "$SOCK" ] || fail "the control socket is left after the stop"
