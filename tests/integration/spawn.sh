#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# spawn.sh: binlogd starts its helpers with posix_spawn.  Each gets its
# links at the fixed numbers (fd 3 the supervisor, 4 checkpointd for the
# streamer; fd 5, the configuration, is closed once read), and neither a
# copy of one (those binlogd made to put them there, which a fork left
# at 10 and up) nor one of binlogd's own sockets; a daemon's helpers
# write no stderr to the starter's.  A helper that cannot be executed stops binlogd
# with status 1, a message naming the program and the remedy, nothing
# left running and its pid file and socket gone -- checkpointd missing
# (nothing started yet) and the streamer missing (checkpointd stopped).
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
binlogd_start
# fd N of process P: what it points to, "socket" for any socket
fd_kind() {
	case $(readlink "/proc/$1/fd/$2" 2>/dev/null) in
	socket:*) echo socket ;;
	'') echo none ;;
	*) echo file ;;
	esac
}
# the sockets binlogd holds, so that no helper holds a copy of one
sup_socks=$(find "/proc/$BL_PID/fd" -lname 'socket:*' -printf '%l\n' |
    sort)
for role in streamer checkpointd; do
	pid=$(child_pid "$role")
	[ -n "$pid" ] || fail "no $role running"
	assert_eq socket "$(fd_kind "$pid" 3)" "$role's fd 3 (the supervisor)"
	shared=$(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' |
	    sort | comm -12 - <(echo "$sup_socks"))
	assert_eq "" "$shared" "sockets $role shares with binlogd"
	for fd in 3 4; do
		target=$(readlink "/proc/$pid/fd/$fd" || true)
		[ -n "$target" ] || continue
		assert_eq 1 "$(find "/proc/$pid/fd" -printf '%l\n' |
		    grep -cxF "$target")" \
		    "the fds of $role that are its fd $fd ($target)"
	done
done
assert_eq socket "$(fd_kind "$(child_pid streamer)" 4)" \
    "the streamer's fd 4 (checkpointd)"
binlogd_stop

# spawn_fails HELPER: binlogd with HELPER missing from its libexec
# directory; its status, messages, leftovers.
spawn_fails() {
	local dir=$TMP/libexec-$1 rc=0
	mkdir "$dir"
	ln -s "${LIB_LIBEXECDIR:?no installed libexec directory}"/binlogd-* \
	    "$dir/"
	rm "$dir/$1"
	: >"$BL_LOG"
	BINLOGD_LIBEXECDIR=$dir binlogd_spawn
	wait_until 30 "binlogd without $1 to stop" lib_gone "$BL_PID"
	wait "$BL_PID" || rc=$?
	lib_forget "$BL_PID"
	assert_eq 1 "$rc" "binlogd's status without $1"
	assert_match "$(cat "$BL_LOG")" "cannot execute $dir/$1: No such file or directory \\(is binlogd installed\\? BINLOGD_LIBEXECDIR" \
	    "the message without $1"
	[ ! -e "$TMP/binlogd.pid" ] || fail "pid file left without $1"
	[ ! -e "$TMP/binlogd.sock" ] || fail "control socket left without $1"
	sed -n 's/.*started [a-z]* (pid \([0-9]*\)).*/\1/p' "$BL_LOG" |
	    while read -r pid; do
		lib_gone "$pid" || fail "helper $pid still runs without $1"
	done
}
spawn_fails binlogd-checkpointd
spawn_fails binlogd-streamer
assert_match "$(cat "$BL_LOG")" 'stopping checkpointd' \
    "checkpointd stopped when the streamer cannot start"

# A daemon (a file sink: it has no stdout): $(binlogd) returns once it is
# ready, its helpers holding nothing of the starter's stderr.
BL_EXTRA_STREAM="sink = file" binlogd_config
printf '[sink]\npath = %s\n' "$RECORDS" >>"$BL_CONF"
out=$(timeout 60 binlogd -c "$BL_CONF" 2>&1) ||
    fail "the daemon did not start: $out"
pid=$(cat "$TMP/binlogd.pid")
PIDS="$PIDS $pid"
wait_until 30 "the daemon's streamer" pgrep -P "$pid" -f binlogd-streamer
for role in streamer checkpointd; do
	assert_eq /dev/null "$(readlink "/proc/$(pgrep -P "$pid" -f \
	    "binlogd-$role")/fd/2")" "the daemon's $role's stderr"
done
kill -TERM "$pid"
wait_until 30 "the daemon to stop" lib_gone "$pid"
