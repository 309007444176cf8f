#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# kill9_savepoint.sh: a large transaction with SAVEPOINTs, as an ORM
# writes one (a row, SAVEPOINT, many rows, SAVEPOINT, a row rolled back
# to it, a row, COMMIT), killed with -9 while its rows stream: first the
# streamer, then the supervisor and the streamer together.  No position may be saved inside it, so
# the restart delivers it again from its start: every row the server
# kept arrives, and the only repeats are rows of the killed transaction.
# The kills land inside the transaction because a relay between binlogd's
# stdout and the records file stops reading there, not by timing.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

N=200000

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.big (id INT PRIMARY KEY,
    v VARCHAR(20));"
BL_EXTRA_DAEMON="restart_backoff_max = 1s"

# big_trx BASE: the ORM-shaped transaction, ids BASE .. BASE+N+1; the row
# BASE+N+2 is rolled back to its savepoint.
big_trx() {
	sql "USE shop; BEGIN; INSERT INTO shop.big VALUES ($1, 'first');
	    SAVEPOINT a; INSERT INTO shop.big SELECT $1 + seq, 'bulk'
	    FROM seq_1_to_$N; SAVEPOINT b;
	    INSERT INTO shop.big VALUES ($1 + $N + 2, 'rolled back');
	    ROLLBACK TO SAVEPOINT b; RELEASE SAVEPOINT a;
	    INSERT INTO shop.big VALUES ($1 + $N + 1, 'last'); COMMIT;"
}

commits() { grep -c '"commit":true' "$RECORDS" || true; }

# binlogd's stdout goes through a FIFO to a relay that appends it to
# $RECORDS and stops reading once $TMP/pause_at bytes are in: the
# streamer then blocks in its write, inside the transaction, however fast
# it is; the relay reads on once pause_at is removed.
FIFO=$TMP/stdout.fifo
mkfifo "$FIFO"
python3 - "$FIFO" "$RECORDS" "$TMP" <<'PY' &
import os, sys, time
fifo, records, tmp = sys.argv[1:]
pause_at, paused = f"{tmp}/pause_at", f"{tmp}/paused"
with open(records, "ab") as out:
    while not os.path.exists(f"{tmp}/relay_stop"):
        with open(fifo, "rb", buffering=0) as f:
            while chunk := f.read(4096):
                out.write(chunk)
                out.flush()
                try:
                    at = int(open(pause_at).read())
                except (OSError, ValueError):
                    continue
                if out.tell() >= at:
                    open(paused, "w").close()
                    while os.path.exists(pause_at):
                        time.sleep(0.01)
PY
RELAY=$!
PIDS="$PIDS $RELAY"

relay_start() {
	local before
	before=$(log_count 'ready: streaming')
	binlogd_config
	binlogd -f -c "$BL_CONF" >"$FIFO" 2>>"$BL_LOG" &
	BL_PID=$!
	PIDS="$PIDS $BL_PID"
	wait_for_log 'ready: streaming' $((before + 1)) 60
}

# pause_mid_trx COMMITS: once 1 MB more of records is out, the streamer
# blocks inside the big transaction (whose commit mark is not out).
pause_mid_trx() {
	rm -f "$TMP/paused"
	echo $(($(wc -c <"$RECORDS") + (1 << 20))) >"$TMP/pause_at"
	relay_start
	wait_until 90 "the relay to pause" test -e "$TMP/paused"
	assert_eq "$1" "$(commits)" "commit marks when the streamer blocked"
	note "paused at record $(record_count)"
}

resume() { rm -f "$TMP/pause_at"; }

# --- the streamer, killed inside the first transaction (a position saved
# before it)
relay_start
sql "INSERT INTO shop.big VALUES (1, 'before')"
wait_for_records 1
binlogd_stop
big_trx 1000000
pause_mid_trx 1
resumed=$(log_count 'resuming from checkpoint')
kill_child streamer >/dev/null
resume
wait_for_log 'resuming from checkpoint' $((resumed + 1)) 60
wait_until 120 "the first transaction's commit" \
    eval '[ "$(commits)" -ge 2 ]'

# --- the supervisor and the streamer, killed together inside the second
# (checkpointd, left alone, saves what it has and exits)
binlogd_stop
big_trx 2000000
pause_mid_trx 2
kids=$(pgrep -P "$BL_PID")
kill -KILL "$BL_PID" "$(child_pid streamer)"
resume
for k in $kids; do
	wait_until 30 "child $k to exit after the supervisor died" lib_gone "$k"
done
wait "$BL_PID" 2>/dev/null || true
lib_forget "$BL_PID"
relay_start
wait_until 120 "the second transaction's commit" \
    eval '[ "$(commits)" -ge 3 ]'
binlogd_stop
touch "$TMP/relay_stop"

sql "SELECT id FROM shop.big ORDER BY id" >"$TMP/expected.txt"
python_check "$RECORDS" "$TMP/expected.txt" "$N" <<'PY'
import json, sys
from collections import Counter
from records import fail
want = [int(l) for l in open(sys.argv[2])]
n = int(sys.argv[3])
# A process killed inside a write leaves a torn line on a stdout that is
# a pipe: at most one per kill, its rows delivered again after it.
recs, torn = [], 0
for line in open(sys.argv[1], "rb"):
    try:
        recs.append(json.loads(line))
    except ValueError:
        torn += 1
if torn > 2:
    fail(f"{torn} lines are not JSON records, after 2 kills")
seen = Counter(r["data"]["id"] for r in recs)
lost = sorted(set(want) - set(seen))
if lost:
    fail(f"{len(lost)} committed rows never delivered, the first {lost[:5]}")
extra = sorted(set(seen) - set(want))
if extra:
    fail(f"rows delivered that the server does not have: {extra[:5]}")
for base in (1000000, 2000000):
    trx = range(base, base + n + 2)
    twice = sum(1 for i in trx if seen[i] > 1)
    if twice == 0:
        fail(f"no row of the transaction at {base} came twice: the kill "
             f"did not land inside it")
    if any(seen[i] > 2 for i in trx):
        fail(f"a row of the transaction at {base} came more than twice")
print(f"kill9_savepoint.sh: {len(recs)} records, {len(want)} rows, "
      f"{sum(c - 1 for c in seen.values())} repeats, {torn} torn",
      file=sys.stderr)
PY
