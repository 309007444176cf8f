#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# ops_user.sh: started as root with [daemon] user = nobody, binlogd and its
# helpers run as nobody, the control socket belongs to nobody (so the
# daemon's own user may restart it while another non-root uid may only
# look), and rows flow into a checkpoint database nobody can write, made
# with mode 0640.  The pid file and the socket go in a directory binlogd
# makes for nobody, so that the clean stop, no longer as root, removes both.
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
chown nobody "$TMP/db"
BL_EXTRA_DAEMON="user = nobody" binlogd_config
sed -i -e "s|^control_socket = .*|control_socket = $TMP/run/binlogd.sock|" \
    -e "s|^pid_file = .*|pid_file = $TMP/run/binlogd.pid|" \
    -e "s|^database = .*|database = $TMP/db/checkpoint.db|" "$BL_CONF"
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

binlogd_stop
assert_eq "nobody 640" "$(stat -c '%U %a' "$TMP/db/checkpoint.db")" \
    "owner and mode of the checkpoint database"
[ ! -e "$TMP/run/binlogd.pid" ] || fail "the pid file is left after the stop"
[ ! -e "$SOCK" ] || fail "the control socket is left after the stop"
