#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# metrics.sh: with metrics_listen set to a bare port, binlogd serves
# Prometheus text on 127.0.0.1 only; rows by type equal the counts the SQL
# reports, events by type equal mariadb-binlog's own reading of the binlog;
# binlogctl metrics gives the same figures; a killed streamer shows up as a
# restart with cause "signal".
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v INT);"
read -r file start <<<"$(master_position)"
port=$(lib_free_port)
BL_EXTRA_DAEMON="metrics_listen = $port" binlogd_start
wait_for_log "metrics on http://127.0.0.1:$port/metrics"
listening=$(ss -Hltn "sport = :$port" | awk '{print $4}')
assert_eq "127.0.0.1:$port" "$listening" "the metrics listener's address"

ins=$(sql "INSERT INTO shop.t SELECT seq, seq FROM shop.seq_1_to_40;
    SELECT ROW_COUNT()")
ins2=$(sql "INSERT INTO shop.t VALUES (100, 1), (101, 2); SELECT ROW_COUNT()")
upd=$(sql "UPDATE shop.t SET v = 0 WHERE id % 3 = 0; SELECT ROW_COUNT()")
del=$(sql "DELETE FROM shop.t WHERE id > 30; SELECT ROW_COUNT()")
ins=$((ins + ins2))
wait_for_records $((ins + upd + del))

scrape() {
	python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")' \
	    "http://127.0.0.1:$port/metrics"
}
# metric TEXT NAME{LABELS}: the value of one sample.
metric() {
	awk -v k="$2" '$1 == k { print $2 }' <<<"$1"
}
rows_counted() {
	local m
	m=$(scrape)
	[ "$(metric "$m" 'binlogd_rows_total{type="insert"}')" = "$ins" ] &&
	[ "$(metric "$m" 'binlogd_rows_total{type="update"}')" = "$upd" ] &&
	[ "$(metric "$m" 'binlogd_rows_total{type="delete"}')" = "$del" ]
}
wait_until 10 "/metrics to count $ins/$upd/$del rows" rows_counted

# Events by type, as mariadb-binlog reads them from where binlogd started.
mariadb-binlog --no-defaults --start-position="$start" "$DB_DIR/$file" \
    >"$TMP/binlog.txt"
m=$(scrape)
assert_eq "$(grep -cE '(Write|Update|Delete)_rows: table id' "$TMP/binlog.txt")" \
    "$(metric "$m" 'binlogd_events_total{type="rows"}')" "row events"
assert_eq "$(grep -c 'Table_map: ' "$TMP/binlog.txt")" \
    "$(metric "$m" 'binlogd_events_total{type="table_map"}')" \
    "table map events"
assert_eq "$(grep -c 'Xid = ' "$TMP/binlog.txt")" \
    "$(metric "$m" 'binlogd_events_total{type="xid"}')" "commit events"
assert_eq "$(grep -cE 'GTID [0-9]+-[0-9]+-[0-9]+' "$TMP/binlog.txt")" \
    "$(metric "$m" 'binlogd_events_total{type="gtid"}')" "GTID events"
assert_eq 1 "$(metric "$m" 'binlogd_child_up{child="streamer"}')" \
    "streamer up"
bytes=$(metric "$m" 'binlogd_bytes_read_total')
assert_le 1 "$bytes" "bytes read"
info="binlogd_server_info{flavour=\"MariaDB\",version=\"$(sql \
    'SELECT @@version')\",server_id=\"$(sql 'SELECT @@server_id')\"} 1"
grep -qxF "$info" <<<"$m" || fail "no line $info in /metrics"

# binlogctl metrics: the same exposition over the control socket.
c=$(binlogctl -s "$TMP/binlogd.sock" metrics)
for k in 'binlogd_rows_total{type="insert"}' 'binlogd_rows_total{type="update"}' \
    'binlogd_rows_total{type="delete"}' 'binlogd_events_total{type="rows"}'; do
	assert_eq "$(metric "$m" "$k")" "$(metric "$c" "$k")" "binlogctl metrics $k"
done

# A killed streamer is a restart caused by a signal.
kill_child streamer >/dev/null
restarted() {
	[ "$(metric "$(scrape)" \
	    'binlogd_restarts_total{child="streamer",cause="signal"}')" = 1 ]
}
wait_until 30 "restarts_total{cause=signal} = 1" restarted
wait_for_log 'ready: streaming' 2

binlogd_stop
