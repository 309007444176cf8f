#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# kafka_late.sh: delivery reports that arrive after the load stopped,
# through librdkafka's mock cluster (3 brokers, 4 partitions).  A burst
# of transactions of several rows each, their keys over every partition,
# is read while broker 1 is down: the other brokers' reports come while
# the streamer waits for the server, broker 1's only once it is back,
# after the last transaction.  The checkpoint stays behind the server
# while any report is due, then reaches the server's own GTID position
# without a further transaction (no poller waiting for a write to wake
# it), and every row is in its topic.
# shellcheck source=SCRIPTDIR/../lib.sh
KAFKAMOCK=$PWD/kafkamock
. "$(dirname "$0")/../lib.sh"

kafkamock_start 3
mariadb_start
sql "CREATE DATABASE shop;
    CREATE TABLE shop.kv (id INT PRIMARY KEY, v VARCHAR(20));"

BL_EXTRA_STREAM="sink = kafka
[sink]
brokers = $BROKERS"
binlogd_start

# the topic's metadata known before the broker goes down
sql "INSERT INTO shop.kv VALUES (0, 'first')"
wait_for_checkpoint 60

km_ask '^ok$' down >/dev/null
# 50 transactions of 6 rows: ids 1-300, each transaction's keys spread
for ((t = 0; t < 50; t++)); do
	echo "BEGIN;"
	for ((r = 0; r < 6; r++)); do
		echo "INSERT INTO shop.kv VALUES ($((r * 50 + t + 1)), 'late');"
	done
	echo "COMMIT;"
done | sql
gtid=$(sql "SELECT @@global.gtid_binlog_pos")
read_all() {
	[ "$(binlogctl -s "$TMP/binlogd.sock" -j status |
	    jq -r .stream.rows_insert)" -ge 301 ]
}
wait_until 30 "the streamer to read the burst's 300 rows" read_all
lib_checkpoint_is "$gtid" &&
    fail "checkpoint at $gtid while broker 1's messages are undelivered"

km_ask '^ok$' up >/dev/null
wait_until 60 "the checkpoint to reach GTID $gtid once broker 1 is back" \
    lib_checkpoint_is "$gtid"
km_ask '^end$' "consume binlogd.shop.kv 301" >"$TMP/kv.msgs"
assert_eq 300 "$(grep -c '"v":"late"' "$TMP/kv.msgs")" \
    "rows of the burst in binlogd.shop.kv"
assert_eq 4 "$(grep '"v":"late"' "$TMP/kv.msgs" | cut -f1 | sort -u |
    wc -l)" "partitions the burst's rows are in"
binlogd_stop
