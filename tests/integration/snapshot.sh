#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# snapshot.sh: snapshot = initial on a table of 300,000 rows whose binlog
# is purged, while a writer goes on updating, deleting, inserting and
# changing primary keys.  The streamer is killed (-9) in the middle of
# the snapshot (its records read slowly until then, so that there is a
# middle) and restarted by the supervisor: it resumes the snapshot after
# the last chunk checkpointd saved (no second bootstrap-start), in a new
# consistent read, and the stream starts at the first read's position.
# Replaying the records (a table emptied at bootstrap-start, then its
# bootstrap-inserts, then the stream's changes, as upserts and deletes
# by key) equals the server's SELECT.  A restart after the snapshot
# does not take it again.  The writer's statements, timed by the server, are never held
# by the snapshot (no lock): its slowest is reported and bounded.  The
# streamer's peak RSS stays below the snapshot's size (rows are streamed).
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

ROWS=300000
WRITES=4000
mariadb_start
sql "CREATE DATABASE big;
    CREATE TABLE big.t (id INT PRIMARY KEY, v INT NOT NULL,
        pad VARCHAR(200) NOT NULL);
    CREATE TABLE big.lat (n INT PRIMARY KEY, us BIGINT NOT NULL);
    INSERT INTO big.t SELECT seq, seq, REPEAT(CHAR(65 + seq % 26), 150)
        FROM big.seq_1_to_$ROWS;
    FLUSH BINARY LOGS;"
# the old binlog goes once the server's binlog checkpoint has left it
purged() {
	sql "PURGE BINARY LOGS TO '$(master_position | cut -d' ' -f1)'"
	[ "$(sql 'SHOW BINARY LOGS' | wc -l)" = 1 ]
}
wait_until 30 "the binlog of the table's rows to be purged" purged

# The writer: WRITES changes, a few ms apart, each timed by the server
# (the time a statement spent, waiting for a lock included).
writer_sql() {
	local i id
	for ((i = 1; i <= WRITES; i++)); do
		id=$(( (i * 7919) % ROWS + 1 ))
		echo "SET @t = NOW(6);"
		case $((i % 4)) in
		0) echo "UPDATE big.t SET v = v + 1 WHERE id = $id;" ;;
		1) echo "DELETE FROM big.t WHERE id = $id;" ;;
		2) echo "INSERT INTO big.t VALUES ($((ROWS + i)), $i, 'new');" ;;
		3) echo "UPDATE big.t SET id = $((2 * ROWS + i)) WHERE id = $id;" ;;
		esac
		echo "INSERT INTO big.lat VALUES ($i,
		    TIMESTAMPDIFF(MICROSECOND, @t, NOW(6))); DO SLEEP(0.002);"
	done
}
writer_sql >"$TMP/writer.sql"
sql <"$TMP/writer.sql" &
WRITER=$!
PIDS="$PIDS $WRITER"
writing() { [ "$(sql "SELECT COUNT(*) FROM big.lat")" -ge 20 ]; }
wait_until 30 "the writer's first changes" writing

# binlogd's stdout read slowly until $TMP/fast exists: the first
# snapshot lasts long enough to be killed in its middle
BL_EXTRA_STREAM="snapshot = initial" binlogd_config
slow_records
binlogd -f -c "$BL_CONF" >"$TMP/out" 2>>"$BL_LOG" &
BL_PID=$!
PIDS="$PIDS $BL_PID"
inserts() { wc -l <"$RECORDS"; }
under_way() { [ "$(inserts)" -ge 20000 ]; }
wait_until 60 "the snapshot's first 20000 records" under_way
saved() {
	[ "$(sqlite3 "$TMP/checkpoint.db" "SELECT rows_done FROM snapshot_progress
	    WHERE state = 'running'")" -ge 8192 ] 2>/dev/null
}
wait_until 60 "8 chunks of progress in the checkpoint database" saved
# binlogctl status shows the progress: the table, its rows written of
# the server's estimate, its chunks
progress() {
	binlogctl -s "$TMP/binlogd.sock" -j status | python3 -c '
import json, sys
s = json.load(sys.stdin)["stream"]
ok = (s["snapshot"] == "running" and s["snapshot_table"] == "big.t" and
      s["snapshot_table_rows"] >= 1024 and s["snapshot_chunks"] >= 1 and
      s["snapshot_table_estimate"] > 100000)
print(s["snapshot_table_rows"], "of ~", s["snapshot_table_estimate"],
      s["snapshot_chunks"], "chunks", file=sys.stderr)
sys.exit(0 if ok else 1)'
}
wait_until 10 "the snapshot's progress in binlogctl status" progress
binlogctl -s "$TMP/binlogd.sock" status | grep -q '^snapshot     running, ' ||
    fail "no snapshot line in binlogctl status"
touch "$TMP/fast"
kill_child streamer >/dev/null
partial=$(inserts)
note "streamer killed after $partial records"
assert_eq 0 "$(log_count 'snapshot: done')" \
    "finished snapshots when the streamer was killed"
wait_for_log 'snapshot: done' 1 120
assert_eq 1 "$(log_count 'snapshot: resuming the snapshot')" \
    "snapshots resumed after the kill"
# "done" is saved with the position after the last records are durable,
# a moment after the log line
snapshots_done() {
	sqlite3 "$TMP/checkpoint.db" "SELECT COUNT(*) FROM snapshot_progress
	    WHERE kind = 'initial' AND state = 'done' AND table_name = 't'"
}
snapshot_saved_done() { [ "$(snapshots_done)" -ge 1 ]; }
wait_until 30 "the snapshot saved as done" snapshot_saved_done
assert_eq 1 "$(snapshots_done)" "snapshots done in the checkpoint database"
wait "$WRITER" || fail "the writer failed"
lib_forget "$WRITER"
wait_for_checkpoint
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$(child_pid streamer)/status")
binlogd_stop
wait "$SLOW"
lib_forget "$SLOW"
size=$(grep '"type":"bootstrap-insert"' "$RECORDS" | tail -n "$ROWS" |
    wc -c)
note "streamer's peak RSS ${hwm} kB; the snapshot's records $((size / 1024)) kB"
assert_le "$hwm" $((size / 1024 / 2)) \
    "the streamer's peak RSS (kB), under half the snapshot's records"

assert_eq 1 "$(grep -c '"table":"t","type":"bootstrap-start"' "$RECORDS")" \
    "bootstrap-start records (the resumed snapshot has none)"
assert_eq 1 "$(grep -c '"table":"t","type":"bootstrap-complete"' "$RECORDS")" \
    "bootstrap-complete records"
note "writer's slowest statement: $(sql 'SELECT MAX(us) FROM big.lat') us"
assert_le "$(sql 'SELECT MAX(us) FROM big.lat')" 1000000 \
    "the writer's slowest statement (us) during the snapshot"
grep -h 'snapshot: ' "$BL_LOG" >&2

sql "SELECT id, v, pad FROM big.t ORDER BY id" >"$TMP/select.tsv"
python_check "$RECORDS" "$TMP/select.tsv" <<'EOF'
import json, sys
from records import fail
records_path, select_path = sys.argv[1:]
rows, ops, cut = {}, {}, 0
for line in open(records_path, encoding="utf-8"):
    try:
        r = json.loads(line)
    except ValueError:
        # the record the kill cut in the middle of its write to the
        # pipe (the stdout sink), the restart's first one after it
        cut += 1
        if cut > 1:
            fail(f"a second malformed line: {line[:200]}")
        r = json.loads(line[line.rindex('{"database"'):])
    if (r["database"], r["table"]) != ("big", "t"):
        continue
    kind = r["type"]
    ops[kind] = ops.get(kind, 0) + 1
    d = r["data"]
    if kind == "bootstrap-start":
        rows = {}
    elif kind in ("bootstrap-insert", "insert"):
        rows[d["id"]] = d
    elif kind == "update":
        rows.pop(r.get("old", {}).get("id", d["id"]), None)
        rows[d["id"]] = d
    elif kind == "delete":
        rows.pop(d["id"], None)
want = {}
for line in open(select_path, encoding="utf-8"):
    i, v, pad = line.rstrip("\n").split("\t")
    want[int(i)] = {"id": int(i), "v": int(v), "pad": pad}
for k in ("update", "delete", "insert"):
    if ops.get(k, 0) == 0:
        fail(f"no {k} records from the stream: {ops}")
if rows != want:
    missing = sorted(set(want) - set(rows))[:5]
    extra = sorted(set(rows) - set(want))[:5]
    diff = [k for k in want if k in rows and rows[k] != want[k]][:5]
    fail(f"replay != SELECT: missing {missing} extra {extra} differ {diff}")
print(f"replay of {sum(ops.values())} records {ops} equals SELECT "
      f"({len(want)} rows)")
EOF
