#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# incremental.sh: binlogctl snapshot DB.TABLE [WHERE] while the stream
# goes on (incremental.c, the DBLog method).  A table of 10,000 rows is
# snapshotted in chunks of 100 while a writer updates, deletes, inserts
# and changes primary keys in it: replaying every record of the table in
# order (bootstrap-insert and insert as upserts, update, delete) equals
# the server's SELECT, with some chunk rows dropped for the stream's newer
# changes.  Refused with a reason and an exit status: a table without a
# primary key, a table that does not exist, a bad WHERE condition, and
# the watermark table binlogd may not write (until granted).  A WHERE
# condition snapshots exactly the rows it selects; a key of DATETIME,
# DECIMAL and VARBINARY parts resumes exactly; snapshot stop stops a
# running snapshot without its bootstrap-complete; binlogctl status
# shows the progress; no record of the watermark table goes out; in the
# Debezium format the rows are op "r", source.snapshot "incremental".
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

ROWS=10000
WRITES=40000
mariadb_start
sql "CREATE DATABASE inc;
    CREATE TABLE inc.t (id INT PRIMARY KEY, v INT NOT NULL,
        pad VARCHAR(100) NOT NULL);
    CREATE TABLE inc.w (a INT, b VARCHAR(10), c INT NOT NULL,
        PRIMARY KEY (a, b));
    CREATE TABLE inc.d (d DECIMAL(10, 2), t DATETIME(6), b VARBINARY(4),
        v INT, PRIMARY KEY (t, d, b));
    CREATE TABLE inc.nopk (a INT);
    INSERT INTO inc.t SELECT seq, seq, REPEAT(CHAR(65 + seq % 26), 40)
        FROM inc.seq_1_to_$ROWS;
    INSERT INTO inc.w SELECT seq % 50, CONCAT('k', seq), seq
        FROM inc.seq_1_to_3000;
    INSERT INTO inc.d SELECT seq / 7, '2026-01-01' + INTERVAL seq % 13 DAY
        + INTERVAL seq MICROSECOND, UNHEX(HEX(seq % 3)), seq
        FROM inc.seq_1_to_1000;
    INSERT INTO inc.nopk VALUES (1), (2);"

BL_EXTRA_STREAM="snapshot_chunk_size = 100" binlogd_start
ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }

# ctl_refused STATUS PATTERN ARGS...: binlogctl ARGS exits STATUS saying
# PATTERN.
ctl_refused() {
	local want=$1 pattern=$2 rc=0 out
	shift 2
	out=$(ctl "$@" 2>&1) || rc=$?
	assert_eq "$want" "$rc" "binlogctl $* exit status ($out)"
	assert_match "$out" "$pattern" "binlogctl $* says why"
}
ctl_refused 7 "has no primary key" snapshot inc.nopk
ctl_refused 7 "no such table" snapshot inc.nothere
ctl_refused 7 "WHERE condition: .*syntax" snapshot inc.t "id >>> 3"
ctl_refused 7 "DATABASE.TABLE" snapshot justatable
ctl_refused 1 "no snapshot is running" snapshot stop
ctl_refused 1 "grant the user CREATE on binlogd" snapshot inc.t
sql "GRANT CREATE, INSERT, UPDATE ON binlogd.* TO binlogd@'%'"

# The writer: changes to inc.t until the snapshot is done.
churn_start inc.t "$ROWS" "$WRITES"

# Each chunk's SELECT made slow by its condition, so that the writer's
# changes land inside the windows.
out=$(ctl snapshot inc.t "SLEEP(0.0003) = 0") ||
    fail "binlogctl snapshot inc.t: $out"
assert_match "$out" "snapshot of inc.t started" "binlogctl snapshot's answer"
# progress: "state table rows-written chunks" from binlogctl status
progress() {
	ctl -j status | jq -r '.stream | "\(.snapshot) \(.snapshot_table) " +
	    "\(.snapshot_table_rows) \(.snapshot_chunks)"'
}
shown() { progress | grep -q '^running inc\.t '; }
wait_until 30 "binlogctl status to show the snapshot" shown
note "status: $(progress)"
wait_for_log "snapshot: inc\\.t: .*; done" 1 60
churn_stop
dropped=$(sed -n 's/.*snapshot: inc\.t: .* (\([0-9]*\) dropped.*done$/\1/p' \
    "$BL_LOG")
note "chunk rows dropped for the stream's newer changes: $dropped"
assert_le 1 "$dropped" "chunk rows dropped for the stream's changes"
t_done() { progress | grep -Eq '^done inc\.t [0-9]+ [0-9]+$'; }
wait_until 10 "binlogctl status to show inc.t done" t_done

# A WHERE condition on a table with a two-column key: many chunks, the
# next one after the last (a, b).
out=$(ctl snapshot inc.w "c % 3 = 0 AND a < 40") ||
    fail "binlogctl snapshot inc.w: $out"
wait_for_log 'snapshot: inc\.w: .*; done' 1 60
# A key of DATETIME(6), DECIMAL and VARBINARY parts: each chunk after the
# last one's key, every row once.
# Its chunks are read in the key's order (t, d, b), not the columns'
# (d, t, b): the order the primary key's index is in.
sql "TRUNCATE mysql.general_log; SET GLOBAL log_output = 'TABLE';
    SET GLOBAL general_log = 1"
out=$(ctl snapshot inc.d) || fail "binlogctl snapshot inc.d: $out"
wait_for_log 'snapshot: inc\.d: .*; done' 1 60
sql "SET GLOBAL general_log = 0"
orders=$(sql "SELECT DISTINCT REGEXP_SUBSTR(argument, 'ORDER BY [^L]*')
    FROM mysql.general_log WHERE command_type = 'Query'
    AND argument LIKE '%FROM \`inc\`.\`d\`%'")
assert_eq 'ORDER BY `t`, `d`, `b` ' "$orders" "inc.d's chunks' order"

# snapshot stop: a big table, each row slowed (chunks would grow to
# thousands of rows otherwise), takes seconds; stopped at
# once, no bootstrap-complete follows.
sql "CREATE TABLE inc.s (id INT PRIMARY KEY) SELECT seq AS id
    FROM inc.seq_1_to_200000"
out=$(ctl snapshot inc.s "SLEEP(0.0001) = 0") ||
    fail "binlogctl snapshot inc.s: $out"
s_going() { progress | grep -Eq '^running inc\.s [1-9][0-9]* '; }
wait_until 30 "binlogctl status to show rows of inc.s" s_going
out=$(ctl snapshot stop) || fail "binlogctl snapshot stop: $out"
assert_match "$out" "snapshot of inc.s stopped after" "snapshot stop's answer"
s_stopped() { progress | grep -q '^stopped inc\.s '; }
wait_until 10 "binlogctl status to show the stop" s_stopped
ctl_refused 1 "no snapshot is running" snapshot stop
wait_for_checkpoint
binlogd_stop
grep -h 'snapshot' "$BL_LOG" >&2

# The Debezium format: the same rows of inc.w as op "r" with
# source.snapshot "incremental", laid out as tests/golden says.
MAXWELL=$RECORDS
RECORDS=$TMP/debezium.jsonl
BL_EXTRA_STREAM="format = debezium" binlogd_start
out=$(ctl snapshot inc.w "c % 3 = 0 AND a < 40") ||
    fail "binlogctl snapshot inc.w (debezium): $out"
wait_for_log 'snapshot: inc\.w: .*; done' 2 60
binlogd_stop
python_check "$RECORDS" "$MAXWELL" \
    "$(dirname "$0")/../golden/snapshot-debezium.keys" <<'EOF'
import sys
from records import fail, load_records, record_keys
dbz, maxwell, golden = sys.argv[1:]
want = [line.split(": ", 1)[1].strip() for line in open(golden)
        if line.startswith("r/true: ")][0]
rows = []
for r in load_records(dbz):
    if r["op"] != "r" or r["source"]["snapshot"] != "incremental":
        fail(f"a record of the debezium run not an incremental read: {r}")
    if " ".join(record_keys(r)) != want:
        fail(f"layout {' '.join(record_keys(r))} differs from r/true's "
             f"{want}")
    rows.append(r["after"])
mw = [r["data"] for r in load_records(maxwell)
      if r["table"] == "w" and r["type"] == "bootstrap-insert"]
key = lambda d: (d["a"], d["b"])
if sorted(rows, key=key) != sorted(mw, key=key):
    fail(f"debezium's {len(rows)} rows differ from maxwell's {len(mw)}")
print(f"debezium: {len(rows)} op r records, source.snapshot incremental, "
      "the same rows as maxwell's")
EOF
RECORDS=$MAXWELL

sql "SELECT id, v, pad FROM inc.t ORDER BY id" >"$TMP/t.tsv"
sql "SELECT a, b, c FROM inc.w WHERE c % 3 = 0 AND a < 40" >"$TMP/w.tsv"
python_check "$RECORDS" "$TMP/t.tsv" "$TMP/w.tsv" <<'EOF'
import sys
from collections import Counter
from records import check_churned, fail, load_records
records_path, t_path, w_path = sys.argv[1:]
ops, n = check_churned(records_path, "inc", "t", t_path)
print(f"inc.t: replay of {sum(ops.values())} records {ops} equals SELECT "
      f"({n} rows)")

records = load_records(records_path)
per = Counter((r["database"], r["table"], r["type"]) for r in records)
if any(db != "inc" for db, _, _ in per):
    fail(f"records of another database (the watermark table?): {per}")
w = [r["data"] for r in records if r["table"] == "w" and
     r["type"] == "bootstrap-insert"]
w = sorted((d["a"], d["b"], d["c"]) for d in w)
want_w = []
for line in open(w_path, encoding="utf-8"):
    a, b, c = line.rstrip("\n").split("\t")
    want_w.append((int(a), b, int(c)))
if w != sorted(want_w):
    fail(f"inc.w where c % 3 = 0 AND a < 40: {len(w)} bootstrap-inserts, "
         f"SELECT {len(want_w)}; missing {sorted(set(want_w) - set(w))[:5]}"
         f", extra {sorted(set(w) - set(want_w))[:5]}")
print(f"inc.w: {len(w)} bootstrap-inserts equal the WHERE's SELECT")
d = sorted(r["data"]["v"] for r in records
           if r["table"] == "d" and r["type"] == "bootstrap-insert")
if d != list(range(1, 1001)):
    fail(f"inc.d: {len(d)} bootstrap-inserts, {len(set(d))} rows of 1000")
print("inc.d: 1000 rows by a DATETIME(6), DECIMAL, VARBINARY key, each once")
for table, complete in (("t", 1), ("w", 1), ("d", 1), ("s", 0)):
    got = (per[("inc", table, "bootstrap-start")],
           per[("inc", table, "bootstrap-complete")])
    if got != (1, complete):
        fail(f"inc.{table}: bootstrap-start, -complete {got}, want "
             f"(1, {complete})")
s = per[("inc", "s", "bootstrap-insert")]
if not 0 < s < 200000:
    fail(f"inc.s stopped: {s} bootstrap-inserts, want some, not all")
print(f"inc.s stopped after {s} of 200000 rows, no bootstrap-complete")
EOF
