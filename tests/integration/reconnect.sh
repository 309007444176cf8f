#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# reconnect.sh: during a steady workload of one-row transactions, binlogd
# (through a TCP proxy) loses its connection three ways -- the proxy resets
# it and refuses new ones for a while, the server KILLs the replica thread,
# the server is restarted mid-workload, and the proxy stalls (nothing
# forwarded, nothing closed) until the 3 s read timeout fires.  The streamer reconnects by
# itself from the last durable position (one streamer process throughout,
# no restart by the supervisor), and every committed row arrives, in commit
# order, repeats only after a resume position.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
numbered_table

# start_chunk FIRST LAST: one autocommit transaction per row, from one
# client in the background (it dies with the server on a restart).
start_chunk() {
	numbered_rows "$1" "$2" >"$TMP/chunk.sql"
	sql <"$TMP/chunk.sql" 2>/dev/null &
	WORKLOAD=$!
	PIDS="$PIDS $WORKLOAD"
}

end_chunk() {
	wait "$WORKLOAD" || ${1:-hard_error "the workload's client failed"}
	lib_forget "$WORKLOAD"
}

reconnects() {
	log_count 'reconnecting in [0-9]+ s'
}

reconnects_at_least() {
	[ "$(reconnects)" -ge "$1" ]
}

reconnected() {
	wait_for_log 'reconnected: streaming from' "$1" 60
}

proxy_start "$DB_PORT"
BL_PORT=$PROXY_PORT
BL_READ_TIMEOUT=3s
binlogd_start

# 1. TCP reset, and refused connections for two attempts
start_chunk 1 2000
wait_until 60 "row 500 to commit" committed_at_least 500
proxy_cut
wait_until 30 "two failed reconnects" reconnects_at_least 2
proxy_restore
reconnected 1
end_chunk
n1=$(reconnects)

# 2. the server kills the dump thread
start_chunk 2001 4000
wait_until 60 "row 2500 to commit" committed_at_least 2500
dump=$(sql "SELECT ID FROM information_schema.PROCESSLIST WHERE
    COMMAND LIKE 'Binlog Dump%'")
[ -n "$dump" ] || fail "no Binlog Dump thread on the server"
sql "KILL $dump"
wait_until 30 "a reconnect after KILL" reconnects_at_least $((n1 + 1))
reconnected 2
end_chunk

# 3. the server restarts mid-workload
start_chunk 4001 6000
wait_until 60 "row 4500 to commit" committed_at_least 4500
mariadb_restart
end_chunk true
reconnected 3
n3=$(reconnects)

# 4. a stalled connection: the read timeout (heartbeats every second)
start_chunk 6001 6300
wait_until 60 "row 6100 to commit" committed_at_least 6100
proxy_freeze
wait_until 30 "a reconnect after the read timeout" reconnects_at_least \
    $((n3 + 1))
proxy_restore
reconnected 4
end_chunk

last_is_in() {
	tail -n 1 "$RECORDS" | grep -Eq '"id": ?6300[,}]'
}
wait_until 120 "the record of row 6300" last_is_in
binlogd_stop

assert_eq 1 "$(log_count 'started streamer')" \
    "streamer processes (reconnects must not restart it)"
sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
python_check "$TMP/expected.jsonl" "$RECORDS" "$BL_LOG" "$(reconnects)" <<'PY'
import sys
from records import check_delivery
n, rows, rewinds = check_delivery(sys.argv[1], sys.argv[2], sys.argv[3], 3)
print(f"reconnect.sh: {n} records for {rows} rows; {rewinds} "
      f"redeliveries after {sys.argv[4]} reconnect attempts", file=sys.stderr)
PY
