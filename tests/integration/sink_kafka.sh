#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# sink_kafka.sh: [stream] sink = kafka against librdkafka's mock cluster
# (tests/kafkamock, a real broker protocol peer).  Every row change is one
# message in topic binlogd.DB.TABLE, keyed by its primary key as JSON (from
# information_schema, and from the TABLE_MAP with binlog_row_metadata =
# FULL), in the partition librdkafka's default partitioner gives that key
# (CRC32 of the key bytes modulo the partitions); replaying each key's
# messages in order gives the server's own final rows.  Produce requests
# failing at the broker hold the checkpoint back until delivery succeeds;
# a streamer killed -9 while the broker is down loses no row.  A queue too
# small for one message is a configuration error.  librdkafka's threads
# run as SCHED_OTHER, in a streamer started as SCHED_BATCH.  With more
# transactions awaiting delivery than the sink keeps positions for, or
# more messages than librdkafka's queue holds (the reader waits), the
# last one's position is saved once all are delivered.
# shellcheck source=SCRIPTDIR/../lib.sh
KAFKAMOCK=$PWD/kafkamock
. "$(dirname "$0")/../lib.sh"

kafkamock_start
# the streamer under a policy that is not librdkafka's: its threads'
# policy is then the sink's doing
streamer_wrapped "$TMP/libexec-batch" chrt -b 0
export BINLOGD_LIBEXECDIR=$TMP/libexec-batch

mariadb_start
sql "CREATE DATABASE shop;
    CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20));
    CREATE TABLE shop.pairs (a INT, b VARCHAR(5), v INT, PRIMARY KEY (a, b));
    CREATE TABLE shop.nokey (v INT);"

# --- a producer queue that holds no message of message.max.bytes (it
# would wait for room for ever) is refused, with the size it needs
BL_EXTRA_STREAM="sink = kafka
[sink]
brokers = $BROKERS
kafka.message.max.bytes = 3000000
kafka.queue.buffering.max.kbytes = 2048" binlogd_config
rc=0
out=$(timeout 60 binlogd -f -c "$BL_CONF" 2>&1) || rc=$?
assert_eq 78 "$rc" "exit status of binlogd, a queue below one message"
assert_match "$out" 'kafka.queue.buffering.max.kbytes = 2048 holds no message of kafka.message.max.bytes = 3000000: raise it to 2930 ' \
    "binlogd's message, a queue below one message"
note "ok: $(grep -o 'kafka.queue.buffering.max.kbytes = .*' <<<"$out" | head -n 1)"

MPORT=$(lib_free_port)
BL_EXTRA_DAEMON="restart_backoff_max = 1s
metrics_listen = $MPORT"
BL_EXTRA_STREAM="sink = kafka
[sink]
brokers = $BROKERS
topic = binlogd.%{database}.%{table}
kafka.retry.backoff.ms = 200
kafka.queue.buffering.max.messages = 30"
binlogd_start

# --- topics, partitions, keys, order per key
for ((id = 1; id <= 20; id++)); do
	echo "INSERT INTO shop.items VALUES ($id, 'item-$id');"
done | sql
sql "UPDATE shop.items SET name = CONCAT(name, '!') WHERE id <= 5;
    UPDATE shop.items SET name = 'twice' WHERE id = 2;
    DELETE FROM shop.items WHERE id > 17;
    INSERT INTO shop.nokey VALUES (1), (2);"
sql "SET GLOBAL binlog_row_metadata = FULL"
sql "INSERT INTO shop.pairs VALUES (1, 'x', 10), (1, 'y', 11), (2, 'x', 12);
    UPDATE shop.pairs SET v = v + 100 WHERE a = 1;
    DELETE FROM shop.pairs WHERE a = 2 AND b = 'x';"

for t in items pairs nokey; do
	km_ask '^end$' "consume binlogd.shop.$t 1" >"$TMP/$t.msgs"
	sql "SELECT JSON_OBJECT($(case $t in
	    items) echo "'id', id, 'name', name" ;;
	    pairs) echo "'a', a, 'b', b, 'v', v" ;;
	    nokey) echo "'v', v" ;; esac)) FROM shop.$t" >"$TMP/$t.rows"
done
python_check "$TMP" <<'PY'
import json, sys, zlib
from records import fail, kafka_messages
tmp = sys.argv[1]
def rows(t):
    return sorted(json.dumps(json.loads(l), sort_keys=True)
                  for l in open(f"{tmp}/{t}.rows"))
# a delete is followed by its key's tombstone (kafka_tombstones = yes)
for t, pk, want_n in (("items", ["id"], 20 + 6 + 3 + 3),
                      ("pairs", ["a", "b"], 3 + 2 + 1 + 1),
                      ("nokey", [], 2)):
    parts, ms = kafka_messages(f"{tmp}/{t}.msgs")
    if len(ms) != want_n:
        fail(f"binlogd.shop.{t}: {len(ms)} messages, the SQL made {want_n}")
    state = {}
    for n, (p, key, rec, _) in enumerate(ms, 1):
        if rec is None:
            if json.dumps(json.loads(key), sort_keys=True) in state:
                fail(f"{t} message {n}: tombstone of {key}, a live row")
            continue
        if (rec["database"], rec["table"]) != ("shop", t):
            fail(f"{t} message {n} is a record of another table: {rec}")
        data = rec["data"]
        if not pk:
            if key is not None:
                fail(f"{t} message {n}: a table without a primary key "
                     f"has no key, got {key!r}")
            state[json.dumps(data, sort_keys=True)] = data
            continue
        want_key = {c: data[c] for c in pk}
        if json.loads(key) != want_key:
            fail(f"{t} message {n}: key {key!r}, the row's primary key is "
                 f"{want_key}")
        if p != zlib.crc32(key.encode()) % parts:
            fail(f"{t} message {n}: key {key} in partition {p} of {parts}, "
                 f"expected {zlib.crc32(key.encode()) % parts}")
        k = json.dumps(want_key, sort_keys=True)
        if rec["type"] == "delete":
            state.pop(k, None)
        else:
            state[k] = data
    got = sorted(json.dumps(v, sort_keys=True) for v in state.values())
    if got != rows(t):
        fail(f"{t}: replaying the messages per key gives {got}, the "
             f"server has {rows(t)}")
PY

# --- librdkafka's threads run as SCHED_OTHER: a broker thread that
# polls without sleeping must not be real-time, nor SCHED_BATCH, whose
# threads woken late hold back every delivery report.  Field 41 of
# /proc/PID/task/TID/stat is the policy (0: other, 3: batch).
st=$(child_pid streamer)
rdk=0
for task in /proc/"$st"/task/*; do
	name=$(cat "$task/comm")
	policy=$(sed 's/.*) //' "$task/stat" | awk '{ print $39 }')
	case $name in
	rdk:*)
		assert_eq 0 "$policy" "scheduling policy of $name (SCHED_OTHER)"
		rdk=$((rdk + 1)) ;;
	binlogd-streame*)
		[ "$task" != /proc/"$st"/task/"$st" ] ||
		    assert_eq 3 "$policy" "the streamer's policy (chrt -b)" ;;
	esac
done
# the main thread, the internal one and one per broker (1 here), at
# least
assert_le 3 "$rdk" "librdkafka threads in the streamer"
note "ok: $rdk librdkafka threads, all SCHED_OTHER in a SCHED_BATCH streamer"

# --- a delivery failure holds the checkpoint back
checkpoint_offset() {
	sqlite3 "$TMP/checkpoint.db" "SELECT offset FROM checkpoint"
}
pending() {
	km_ask '^[0-9]+$' pending | tail -n 1
}
km_ask '^ok$' 'errors 3 1000' >/dev/null
sql "INSERT INTO shop.items VALUES (100, 'held')"
read -r _ end <<<"$(master_position)"
checks=0
while [ "$(pending)" -gt 0 ]; do
	at=$(checkpoint_offset)
	[ "$at" -lt "$end" ] || fail "checkpoint at $at, past the row" \
	    "ending at $end while its produce requests still fail"
	checks=$((checks + 1))
done
assert_le 1 "$checks" "checks made while produce requests failed"
delivered() {
	[ "$(checkpoint_offset)" -ge "$end" ]
}
wait_until 30 "the checkpoint to pass $end after delivery" delivered
km_ask '^end$' "consume binlogd.shop.items 30" | grep -q '"name":"held"' ||
    fail "row 100 is not in binlogd.shop.items after the errors"
note "checkpoint held back during $checks checks"

# --- kill -9 while the broker is down: nothing lost
km_ask '^ok$' down >/dev/null
for ((id = 200; id < 210; id++)); do
	echo "INSERT INTO shop.items VALUES ($id, 'down-$id');"
done | sql
read -r _ end <<<"$(master_position)"
inserts_read() {
	python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	    "http://127.0.0.1:$MPORT/metrics" |
	    awk '$1 == "binlogd_rows_total{type=\"insert\"}" { print $2 }'
}
read_all() {
	[ "$(inserts_read)" -ge 36 ]
}
# 20 + 2 + 3 + 1 inserts before, 10 now: all read, none delivered
wait_until 30 "the streamer to read the 10 rows" read_all
kill_child streamer >/dev/null
km_ask '^ok$' up >/dev/null
wait_until 60 "the checkpoint to pass $end after the restart" delivered
km_ask '^end$' "consume binlogd.shop.items 40" >"$TMP/after.msgs"
for ((id = 200; id < 210; id++)); do
	grep -q "\"name\":\"down-$id\"" "$TMP/after.msgs" ||
	    fail "row $id, inserted while the broker was down, is missing"
done

# --- transactions awaiting delivery: 25 (more than the 16 positions
# kept, the last without one of its own), then 40 (more than the queue's
# 30 messages: the reader waits)
queued() {
	local from=$1 to=$2 id at
	km_ask '^ok$' down >/dev/null
	read -r _ start <<<"$(master_position)"
	for ((id = from; id < to; id++)); do
		echo "INSERT INTO shop.items VALUES ($id, 'queued-$id');"
	done | sql
	read -r _ end <<<"$(master_position)"
	at=$(checkpoint_offset)
	[ "$at" -le "$start" ] || fail "checkpoint at $at, past $start while" \
	    "the broker is down"
	km_ask '^ok$' up >/dev/null
	wait_until 60 "the checkpoint to reach $end, the last one's end" \
	    delivered
	km_ask '^end$' "consume binlogd.shop.items 120" >"$TMP/queued.msgs"
	for ((id = from; id < to; id++)); do
		grep -q "\"name\":\"queued-$id\"" "$TMP/queued.msgs" ||
		    fail "row $id, one of $((to - from)) transactions queued," \
		    "is missing"
	done
}
queued 300 325
queued 400 440
binlogd_stop
