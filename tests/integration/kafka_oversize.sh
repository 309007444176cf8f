#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# kafka_oversize.sh: a row whose record is larger than Kafka's message
# limit (a 1.1 MB MEDIUMBLOB, librdkafka's message.max.bytes 1000000),
# through librdkafka's mock cluster.  on_oversize = fail (the default):
# the streamer exits 86 once, binlogd holds it instead of restarting it
# into the same row, and binlogctl status shows an error naming the table,
# the key, the size, the limit and the remedies; no row from it on is
# delivered.  Then on_oversize = skip, reload and
# start-streamer: the row is recorded as a gap in the checkpoint database
# (reason oversize, with its table, key and size, at its event's
# position), counted in binlogd_oversize_skipped_total, and the rows after
# it, and new ones, arrive.  A broker that refuses a message as too large
# (a topic's limit below the producer's) also stops it with 86, held.
# shellcheck source=SCRIPTDIR/../lib.sh
KAFKAMOCK=$PWD/kafkamock
. "$(dirname "$0")/../lib.sh"

kafkamock_start 3
mariadb_start
sql "CREATE DATABASE shop;
    CREATE TABLE shop.blobs (id INT PRIMARY KEY, b MEDIUMBLOB);"

MPORT=$(lib_free_port)
BL_EXTRA_DAEMON="restart_backoff_max = 1s
metrics_listen = $MPORT"
sink_conf() {
	BL_EXTRA_STREAM="sink = kafka
[sink]
brokers = $BROKERS
topic = t.%{database}.%{table}
kafka_tombstones = no
$1"
}
sink_conf ""
binlogd_start
ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }
status() {
	ctl -j status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["state"], d["children"]["streamer"]["state"],
      d["children"]["streamer"]["last_exit"], "|", d["stream"]["last_error"])'
}

sql "INSERT INTO shop.blobs VALUES (1, 'small');
    INSERT INTO shop.blobs VALUES (2, REPEAT('x', 1100000));
    INSERT INTO shop.blobs VALUES (3, 'after');"
read -r _ end <<<"$(master_position)"
the_size=$(sql "SELECT CEIL(LENGTH(b) / 3) * 4 FROM shop.blobs WHERE id = 2")

# --- fail: exit 86 once, held, the error in status
held() { status | grep -q '^held down '; }
wait_until 30 "binlogd to hold the streamer after its exit" held
st=$(status)
assert_match "$st" 'exited with code 86' "the streamer's last exit"
assert_match "$st" 'shop\.blobs key \{"id":2\}' "the table and key"
assert_match "$st" 'a message of [0-9]+ bytes' "the size"
assert_match "$st" 'message\.max\.bytes = 1000000' "the limit"
assert_match "$st" 'kafka\.message\.max\.bytes.*max\.message\.bytes' \
    "the remedy of raising the limits"
assert_match "$st" 'drop_columns' "the remedy of dropping the column"
size=$(sed -n 's/.*a message of \([0-9]*\) bytes.*/\1/p' <<<"$st")
# the record holds the value in base64, plus the rest of the record
assert_le "$the_size" "$size" "the size named against the value's"
assert_le "$size" $((the_size + 1000)) "the size named"
ctl status | grep -q '^last error .*shop\.blobs key {"id":2}' ||
    fail "binlogctl status (text) does not show the error: $(ctl status)"
assert_eq 1 "$(log_count 'streamer \(pid [0-9]+\) exited with code 86')" \
    "streamer exits with code 86"
assert_eq "" "$(child_pid streamer)" "streamer process while held"
km_ask '^end$' "consume t.shop.blobs 0" >"$TMP/fail.msgs"
! grep -q '"id":[23]' "$TMP/fail.msgs" ||
    fail "a row from the oversize one on is in Kafka: $(cut -c1-80 \
    "$TMP/fail.msgs")"
assert_eq 0 "$(sqlite3 "$TMP/checkpoint.db" 'SELECT count(*) FROM gaps')" \
    "gaps recorded with on_oversize = fail"

# --- skip: a gap, a metric, and the rows after it
sink_conf "on_oversize = skip"
binlogd_config
ctl reload >/dev/null
ctl start-streamer >/dev/null
wait_for_log 'ready: streaming' 2
sql "INSERT INTO shop.blobs VALUES (4, 'later')"
km_ask '^end$' "consume t.shop.blobs 3" >"$TMP/skip.msgs"
python_check "$TMP/skip.msgs" <<'PY'
import sys
from records import fail, kafka_messages
_, ms = kafka_messages(sys.argv[1])
# at least once: row 1 may come again after the restart; the rows are in
# their keys' partitions, so in no order across them
ids = [rec["data"]["id"] for _, _, rec, _ in ms]
if sorted(set(ids)) != [1, 3, 4]:
    fail(f"rows in Kafka: {ids}, expected 1, 3, 4 (2 skipped)")
PY
gap=$(sqlite3 -separator ' ' "$TMP/checkpoint.db" \
    "SELECT from_offset, to_offset, reason FROM gaps")
assert_match "$gap" '^[0-9]+ [0-9]+ oversize: shop\.blobs key \{"id":2\}: a message of [0-9]+ bytes .*message\.max\.bytes = 1000000$' \
    "the gap recorded"
read -r from to _ <<<"$gap"
assert_le "$from" "$to" "the gap's range"
assert_le "$to" "$end" "the gap's end against the server's position"
metric() {
	python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	    "http://127.0.0.1:$MPORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2 }'
}
counted() { [ "$(metric binlogd_oversize_skipped_total)" = 1 ]; }
wait_until 10 "binlogd_oversize_skipped_total to be 1" counted

# --- a broker that refuses a message as too large (the topic's
# max.message.bytes below the producer's limit): exit 86 and held too,
# not restarted into the same message
km_ask '^ok$' 'errors 1 0 10' >/dev/null
sql "INSERT INTO shop.blobs VALUES (5, 'refused')"
wait_until 30 "binlogd to hold the streamer after the broker's refusal" held
st=$(status)
assert_match "$st" 'exited with code 86' "the streamer's last exit"
assert_match "$st" 'broker refused a message of [0-9]+ bytes for topic t\.shop\.blobs, key \{"id":5\}' \
    "the refused message"
assert_match "$st" "the topic's max\.message\.bytes" "the remedy"
assert_eq 2 "$(log_count 'streamer \(pid [0-9]+\) exited with code 86')" \
    "streamer exits with code 86"
binlogd_stop
