#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# notify.sh: under systemd's Type=notify, binlogd -f sends READY=1 to
# $NOTIFY_SOCKET (a datagram socket, here a python3 listener) once its
# control socket answers and checkpointd has the database open, and
# STOPPING=1 when it begins to stop; the abstract form ("@name") works too.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

# listen ADDRESS FILE: every datagram to ADDRESS, one line each in FILE.
listen() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = sys.argv[1]
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
out = open(sys.argv[2], "a")
out.write("LISTENING\n")
out.flush()
while True:
    out.write(s.recv(4096).decode() + "\n")
    out.flush()' "$1" "$2" &
	PIDS="$PIDS $!"
	wait_until 10 "the notify listener on $1" grep -q LISTENING "$2"
}
got() { grep -qx "$1" "$2"; }

mariadb_start
for addr in "$TMP/notify.sock" "@binlogd-test-notify-$$"; do
	: >"$TMP/notes"
	listen "$addr" "$TMP/notes"
	NOTIFY_SOCKET=$addr binlogd_spawn
	wait_until 30 "READY=1 on $addr" got READY=1 "$TMP/notes"
	# Ready means it answers: status at once, with checkpointd ready.
	assert_eq ready "$(binlogctl -s "$TMP/binlogd.sock" -j status |
	    python3 -c 'import json, sys
print(json.load(sys.stdin)["children"]["checkpointd"]["state"])')" \
	    "checkpointd's state when READY=1 arrived"
	wait_for_log 'ready: streaming'
	binlogd_stop
	wait_until 10 "STOPPING=1 on $addr" got STOPPING=1 "$TMP/notes"
	assert_eq 1 "$(grep -c READY=1 "$TMP/notes")" "READY=1 datagrams"
done
