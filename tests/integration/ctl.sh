#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# ctl.sh: binlogctl against a running binlogd: status and -j report the
# server's own figures (version, server_id, binlog position, GTID set, the
# rows the SQL changed) in the shapes of tests/golden; a non-root uid may
# look but not change; a wrong protocol version, an unknown request and
# garbage get a result code or a closed connection and disturb nothing;
# a user who may only look cannot take every slot from root, and idle or
# half-sent requests lose theirs after 10 s;
# status answers in well under a second while the streamer is busy.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
GOLDEN=$HERE/../golden
PROTOCOL=$(sed -n 's/^#define MSG_PROTOCOL_VERSION[[:space:]]*//p' \
    "$HERE/../../common/msg.h")

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v INT);"
binlogd_start
SOCK=$TMP/binlogd.sock
ctl() { binlogctl -s "$SOCK" "$@"; }
# field NAME: one of the streamer's figures from binlogctl -j status.
field() {
	ctl -j status | python3 -c 'import json, sys
print(json.load(sys.stdin)["stream"][sys.argv[1]])' "$1"
}

# The workload; the server's ROW_COUNT() says how many rows each changed.
ins=$(sql "INSERT INTO shop.t SELECT seq, seq FROM shop.seq_1_to_25;
    SELECT ROW_COUNT()")
upd=$(sql "UPDATE shop.t SET v = v + 1 WHERE id <= 7; SELECT ROW_COUNT()")
del=$(sql "DELETE FROM shop.t WHERE id > 20; SELECT ROW_COUNT()")
last_trx_at=$(date +%s)
wait_for_records $((ins + upd + del))
read -r file offset <<<"$(master_position)"

status_caught_up() {
	[ "$(field rows_insert) $(field rows_update) $(field rows_delete)" = \
	    "$ins $upd $del" ] && [ "$(field offset)" = "$offset" ]
}
wait_until 10 "status to show $ins/$upd/$del rows at $file:$offset" \
    status_caught_up
assert_eq "$(sql 'SELECT @@version')" "$(field server_version)" \
    "server_version"
assert_eq "$(sql 'SELECT @@server_id')" "$(field server_id)" "server_id"
assert_eq "MariaDB" "$(field server_flavour)" "server_flavour"
assert_eq "127.0.0.1:$DB_PORT" "$(field server_host)" "server_host"
assert_eq "$file" "$(field file)" "position file"
assert_eq "$(sql 'SELECT @@gtid_binlog_pos')" "$(field gtid)" "GTID set"
assert_le "$(field seconds_behind)" 5 "seconds behind when caught up"
# One row event per statement here, one GTID and one commit each.
assert_eq 3 "$(field events_rows)" "row events"
# The saved position (checkpointd's), against the server and the file.
saved() {
	ctl -j status | python3 -c 'import json, sys
c = json.load(sys.stdin)["checkpoint"]
print(c["file"], c["offset"], c["gtid"], c["age"])'
}
saved_caught_up() { [ "$(saved | cut -d' ' -f1,2)" = "$file $offset" ]; }
wait_until 10 "the saved position to reach $file:$offset" saved_caught_up
read -r sfile soffset sgtid sage <<<"$(saved)"
assert_eq "$(sql 'SELECT @@gtid_binlog_pos')" "$sgtid" "saved GTID set"
assert_eq "$sfile|$soffset|$sgtid" "$(sqlite3 "$TMP/checkpoint.db" \
    "SELECT file || '|' || offset || '|' || gtid FROM checkpoint")" \
    "saved position against the checkpoint database"
# saved after the last transaction, however long the checks above took
assert_le "$sage" $(($(date +%s) - last_trx_at + 1)) \
    "checkpoint age: seconds since the last transaction's save"

# The shapes, against golden files written from binlogctl(8).
ctl -j status | python3 -c 'import json, sys
def walk(v, path):
    if isinstance(v, dict):
        for k in sorted(v):
            walk(v[k], path + "." + k)
    else:
        print(path, type(v).__name__)
walk(json.load(sys.stdin), "")' >"$TMP/status.shape"
diff -u "$GOLDEN/ctl-status-json.shape" "$TMP/status.shape" ||
    fail "binlogctl -j status shape differs from the golden file"
ctl status | sed -e "s|$(sql 'SELECT @@version')|VERSION|" \
    -e "s|127.0.0.1:$DB_PORT|HOST|" -e "s|$file|FILE|" \
    -e "s|$(sql 'SELECT @@gtid_binlog_pos')|GTID|" \
    -e 's/[0-9][0-9.]*/N/g' -e 's/  */ /g' >"$TMP/status.txt"
diff -u "$GOLDEN/ctl-status.txt" "$TMP/status.txt" ||
    fail "binlogctl status text differs from the golden file"

# A non-root uid in the socket's group may look, not change.
chmod 711 "$TMP"
chgrp 65534 "$SOCK"
as_nobody binlogctl -s "$SOCK" status >/dev/null ||
    fail "uid 65534 in the socket's group cannot run status"
rc=0
out=$(as_nobody binlogctl -s "$SOCK" restart 2>&1) || rc=$?
assert_eq 3 "$rc" "exit status of restart as uid 65534 ($out)"
assert_match "$out" 'permission denied' "restart as uid 65534"
rc=0
as_nobody binlogctl -s "$SOCK" stop 2>/dev/null || rc=$?
assert_eq 3 "$rc" "exit status of stop as uid 65534"

# Protocol checks, spoken by hand.
streamer=$(child_pid streamer)
assert_eq "4 binlogctl and binlogd are from different versions" \
    "$(python3 "$HERE/ctl_proto.py" "$SOCK" request 500 999)" \
    "a status request with protocol 999"
assert_eq "5 unknown request" \
    "$(python3 "$HERE/ctl_proto.py" "$SOCK" request 599 "$PROTOCOL")" \
    "request type 599"
# 0xc1 is never valid msgpack; then [500, 1, {"protocol": "x"}].
assert_eq closed "$(python3 "$HERE/ctl_proto.py" "$SOCK" raw c1c1c1)" \
    "bytes that are not msgpack"
assert_eq closed "$(python3 "$HERE/ctl_proto.py" "$SOCK" raw \
    93cd01f40181a870726f746f636f6ca178)" "protocol of the wrong type"
wait_for_log 'control: malformed CTL_STATUS'
sql "INSERT INTO shop.t SELECT seq, seq FROM shop.seq_101_to_105"
wait_for_records $((ins + upd + del + 5))
assert_eq "$streamer" "$(child_pid streamer)" \
    "streamer pid after the garbage (it must not have restarted)"

# Slots: a user who may only look holds every connection it can get,
# idle or with half a request; root still gets an answer from a slot kept
# for it, and the squatter's connections are closed after the idle
# timeout (10 s), after which that user is served again.
lines0=$(wc -l <"$BL_LOG")
# Debian's python3: a developer's own (pyenv, a venv) may be out of
# uid 65534's reach.
as_nobody /usr/bin/python3 - "$SOCK" >"$TMP/squat.txt" <<'PY' &
import select, socket, sys, time
held = []
for _ in range(40):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])  # blocking: a full backlog waits, not EAGAIN
    held.append(s)
held[0].send(b"\x93")  # the start of a request, and nothing more
time.sleep(0.5)  # binlogd closes at once those it has no slot for
t0 = time.monotonic()
live = [s for s in held if not select.select([s], [], [], 0)[0]]
print("held", len(live), flush=True)
while live and time.monotonic() - t0 < 30:
    ready = select.select(live, [], [], 1)[0]
    live = [s for s in live if s not in ready or s.recv(1) != b""]
print("left", len(live), "after", round(time.monotonic() - t0))
PY
squat=$!
PIDS="$PIDS $squat"
wait_until 30 "the squatter to hold its connections" grep -q held "$TMP/squat.txt"
assert_eq "held 30" "$(head -1 "$TMP/squat.txt")" \
    "connections uid 65534 may hold (32 slots, 2 kept for root)"
rc=0
as_nobody timeout 5 binlogctl -s "$SOCK" status >/dev/null 2>&1 || rc=$?
assert_eq 8 "$rc" "status as uid 65534 with its slots all taken (no answer)"
t0=$(date +%s%N)
timeout 5 binlogctl -s "$SOCK" status >/dev/null ||
    fail "root's binlogctl status got no answer while the slots were held"
assert_le $((($(date +%s%N) - t0) / 1000000)) 1000 \
    "ms for root's status while the slots were held"
wait_until 40 "the squatter to see its connections closed" lib_gone "$squat"
lib_forget "$squat"
read -r _ left _ after <<<"$(tail -1 "$TMP/squat.txt")"
assert_eq 0 "$left" "squatting connections still open after 30 s"
assert_le "$after" 13 "seconds before the idle connections were closed"
assert_le 8 "$after" "seconds before the idle connections were closed"
as_nobody binlogctl -s "$SOCK" status >/dev/null ||
    fail "uid 65534 is not served again after the idle timeout"
assert_le "$(($(wc -l <"$BL_LOG") - lines0))" 4 \
    "log lines about 40 squatting connections"

# Status while the streamer is busy with a large transaction: a million
# rows, some 0.3 s of streaming on the bench machine.  The calls go on
# from before the transaction's commit until its last record is out, so
# that some fall while its records flow however fast they go: five calls
# made once wait_until saw the first records had none among them in a CI
# run of session 11.  The records file's size says whether records
# flowed during a call (counting its lines would take longer than the
# stream); the slowest of those calls must answer within a second.
big=1000000
before=$(record_count)
status_calls() {
	local n0 t0 rc
	while [ ! -e "$TMP/calls.stop" ]; do
		n0=$(stat -c %s "$RECORDS")
		t0=$(date +%s%N)
		rc=0
		ctl status >/dev/null || rc=$?
		echo "$rc $((($(date +%s%N) - t0) / 1000000)) $n0" \
		    "$(stat -c %s "$RECORDS")" >>"$TMP/calls"
	done
}
status_calls &
calls=$!
PIDS="$PIDS $calls"
sql "INSERT INTO shop.t SELECT seq, seq FROM shop.seq_1000_to_$((999 + big))"
wait_for_records $((before + big)) 120
touch "$TMP/calls.stop"
wait "$calls"
lib_forget "$calls"
read -r n failed busy worst <<<"$(awk '{ n++; if ($1 != 0) failed++
    if ($4 > $3) { busy++; if ($2 > worst) worst = $2 } }
    END { print n, failed + 0, busy + 0, worst + 0 }' "$TMP/calls")"
assert_eq 0 "$failed" "binlogctl status calls that failed under load"
assert_le 1 "$busy" "status calls made while records were flowing"
assert_le "$worst" 999 "slowest binlogctl status (ms) while records flowed"
note "binlogctl status under load: $busy of $n calls while records" \
    "flowed, the slowest in ${worst} ms"

binlogd_stop
