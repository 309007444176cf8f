#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# syslog_tags.sh: in daemon mode every process logs to syslog under its
# program's name -- binlogd, binlogd-checkpointd, binlogd-streamer -- not
# "streamer" or "checkpointd".  A python3 listener stands in for
# /dev/log in a private mount namespace (unshare), so nothing outside the
# test sees or changes the system's log.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
unshare --mount --propagation private true 2>/dev/null ||
    skip "unshare --mount is not allowed here"

mariadb_start
# A daemon has no stdout for records: a file sink, as in the sample.
BL_EXTRA_STREAM="sink = file" binlogd_config
printf '[sink]\npath = %s\n' "$RECORDS" >>"$BL_CONF"
LOG=$TMP/syslog.txt
: >"$LOG"
# Inside the namespace: a /dev of our own (the devices binlogd opens,
# bound from the real one) whose log socket is the listener's.
cat >"$TMP/inside.sh" <<EOS
set -eu
mkdir "$TMP/dev"
for n in null zero random urandom; do
	touch "$TMP/dev/\$n"
	mount --bind "/dev/\$n" "$TMP/dev/\$n"
done
mount --rbind "$TMP/dev" /dev
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "a")
out.write("LISTENING\n")
out.flush()
while True:
    out.write(s.recv(8192).decode(errors="replace").rstrip("\n") + "\n")
    out.flush()' "$LOG" &
listener=\$!
trap 'kill \$listener 2>/dev/null; [ -s "$TMP/binlogd.pid" ] &&
    kill "\$(cat "$TMP/binlogd.pid")" 2>/dev/null' EXIT
while ! grep -q LISTENING "$LOG"; do sleep 0.1; done
binlogd -c "$BL_CONF"
n=600
until grep -q 'ready: streaming' "$LOG"; do
	n=\$((n - 1)); [ "\$n" -gt 0 ] || exit 1; sleep 0.1
done
pid=\$(cat "$TMP/binlogd.pid")
kill -TERM "\$pid"
n=600
while kill -0 "\$pid" 2>/dev/null; do
	n=\$((n - 1)); [ "\$n" -gt 0 ] || exit 1; sleep 0.1
done
EOS
unshare --mount --propagation private bash "$TMP/inside.sh" \
    >>"$BL_LOG" 2>&1 &
inside=$!
PIDS="$PIDS $inside"
wait "$inside" || fail "binlogd in daemon mode did not stream and stop" \
    "(syslog: $(tail -n 5 "$LOG"))"
lib_forget "$inside"
cat "$LOG" >>"$BL_LOG"

# "<30>Dec  5 09:00:00 binlogd-streamer[123]: info: ..." -> the tags.
tags=$(sed -n 's/^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} \([^[]*\)\[[0-9]*\]: .*/\1/p' \
    "$LOG" | sort -u | tr '\n' ' ')
assert_eq "binlogd binlogd-checkpointd binlogd-streamer " "$tags" \
    "the syslog tags of binlogd's processes"
