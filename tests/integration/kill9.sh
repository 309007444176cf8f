#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# kill9.sh: kill -9 the streamer four times during a steady workload of
# 2000 one-row transactions; the supervisor restarts it, and in the end
# every committed row has arrived, in commit order, and the only repeats are
# of transactions after the position the streamer resumed from (redelivery
# after a crash, never loss).
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

CHUNK=400
CHUNKS=5
TOTAL=$((CHUNK * CHUNKS))

mariadb_start
sql "CREATE DATABASE shop;
    CREATE TABLE shop.n (id INT PRIMARY KEY, v VARCHAR(20));"

committed_at_least() {
	[ "$(sql 'SELECT COUNT(*) FROM shop.n')" -ge "$1" ]
}

# One autocommit transaction per row, from one client in the background.
start_chunk() {
	local id
	for ((id = $1; id <= $2; id++)); do
		echo "INSERT INTO shop.n VALUES ($id, 'row-$id');"
	done >"$TMP/chunk.sql"
	sql <"$TMP/chunk.sql" &
	WORKLOAD=$!
	PIDS="$PIDS $WORKLOAD"
}

binlogd_start
for ((c = 0; c < CHUNKS; c++)); do
	start_chunk $((c * CHUNK + 1)) $(((c + 1) * CHUNK))
	if ((c < CHUNKS - 1)); then
		# Mid-chunk when the poll is quick enough, else just after.
		wait_until 60 "row $((c * CHUNK + CHUNK / 2)) to commit" \
		    committed_at_least $((c * CHUNK + CHUNK / 2))
		resumed=$(log_count 'resuming from checkpoint')
		note "killed streamer pid $(kill_child streamer) with" \
		    "$(sql 'SELECT COUNT(*) FROM shop.n') rows committed"
		wait_for_log 'resuming from checkpoint' $((resumed + 1)) 90
	fi
	wait "$WORKLOAD" || hard_error "the workload's client failed"
	lib_forget "$WORKLOAD"
done

last_is_in() {
	tail -n 1 "$RECORDS" | grep -Eq "\"id\": ?${TOTAL}[,}]"
}
wait_until 120 "the record of row $TOTAL" last_is_in
binlogd_stop

sql "SELECT JSON_OBJECT('id', id, 'v', v) FROM shop.n ORDER BY id" \
    >"$TMP/expected.jsonl"
python_check "$TMP/expected.jsonl" "$RECORDS" "$BL_LOG" $((CHUNKS - 1)) <<'PY'
import json, sys
from records import fail, load_records, position, resume_positions
expected_path, records_path, log_path, kills = sys.argv[1:]

rows = {r["id"]: r for r in map(json.loads, open(expected_path))}
resumed = resume_positions(log_path)
if len(resumed) != int(kills):
    fail(f"{kills} kills but {len(resumed)} 'resuming from checkpoint' lines")

first_pos, prev, rewinds = {}, 0, 0
for n, rec in enumerate(load_records(records_path), 1):
    data = rec.get("data") or {}
    id = data.get("id")
    if (rec.get("database"), rec.get("table"), rec.get("type")) != \
            ("shop", "n", "insert") or data != rows.get(id):
        fail(f"record {n}: expected an insert into shop.n of a committed "
             f"row, got {rec}")
    pos = position(rec.get("position"), f"record {n}")
    if id == prev + 1 and id not in first_pos:
        first_pos[id] = pos
    elif id > prev + 1:
        fail(f"record {n}: row {id} follows row {prev}: rows "
             f"{prev + 1}..{id - 1} were lost")
    elif id != prev + 1:
        # A redelivery: it must start at the first transaction after a
        # position the streamer resumed from.
        rewinds += 1
        ok = [r for r in resumed
              if first_pos.get(id - 1, (r[0], -1)) <= r < first_pos[id]]
        if not ok:
            fail(f"record {n}: row {id} (at {pos}) repeated after row "
                 f"{prev}, but no resume position {resumed} lies between "
                 f"row {id - 1} and row {id}")
    prev = id

if prev != len(rows) or len(first_pos) != len(rows):
    fail(f"{len(rows)} rows committed, the records end at row {prev} "
         f"with {len(first_pos)} distinct rows")
if rewinds > int(kills):
    fail(f"{rewinds} redeliveries for {kills} kills")
print(f"{n} records for {len(rows)} rows; {rewinds} redeliveries after "
      f"{kills} kills, each from a resume position")
PY
