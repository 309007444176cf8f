#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# metrics.sh: with metrics_listen set to a bare port, binlogd serves
# Prometheus text on 127.0.0.1 only; rows by type equal the counts the SQL
# reports, events by type equal mariadb-binlog's own reading of the binlog;
# binlogctl metrics gives the same figures; a killed streamer shows up as a
# restart with cause "signal"; a POST is 405; 1,100 idle connections held
# by one user neither stop binlogctl status and /metrics nor flood the log
# nor make binlogd spin; out of descriptors it rests instead of spinning
# and recovers.
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

# Only GET and HEAD: anything else is 405 with the methods allowed.
python3 - "http://127.0.0.1:$port/metrics" >"$TMP/post.txt" <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], data=b"x", timeout=5)
    print("200")
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Allow"))
PY
assert_eq "405 GET, HEAD" "$(cat "$TMP/post.txt")" "POST to /metrics"

# flood N: a local client holding N idle connections to the metrics port
# (at most 60 s: the test kills it), in the background as $flood; returns
# once they are open.
flood() {
	rm -f "$TMP/flood.ready"
	python3 - "$port" "$TMP/flood.ready" "$1" <<'PY' &
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 2048)), hard))
held = []
for _ in range(int(sys.argv[3])):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        pass
    held.append(s)
open(sys.argv[2], "w").write("%d\n" % len(held))
time.sleep(60)  # held until the test kills it; bounded if it does not
PY
	flood=$!
	PIDS="$PIDS $flood"
	wait_until 60 "the flood to open its connections" \
	    test -s "$TMP/flood.ready"
}

# A flood: one local user holds 1,100 idle connections to the metrics
# port, more than binlogd's descriptor limit (lowered here so that this is
# quick).  binlogctl status and /metrics must still answer at once, the
# log take a few lines, not one per connection, and binlogd not spin.
prlimit --pid "$BL_PID" --nofile=256:256
lines0=$(wc -l <"$BL_LOG")
# cpu_ticks: binlogd's user + system time so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$BL_PID/stat"
}
flood 1100
ticks0=$(cpu_ticks)
t0=$(date +%s%N)
timeout 5 binlogctl -s "$TMP/binlogd.sock" status >/dev/null ||
    fail "binlogctl status did not answer during the flood"
status_ms=$((($(date +%s%N) - t0) / 1000000))
assert_le "$status_ms" 1000 "ms for binlogctl status during the flood"
# The scrape timed inside Python: its start-up is not binlogd's.
python3 - "http://127.0.0.1:$port/metrics" >"$TMP/scrape.txt" <<'PY' ||
import sys, time, urllib.request
t = time.monotonic()
body = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
print(int((time.monotonic() - t) * 1000))
print(body, end="")
PY
    fail "/metrics did not answer during the flood"
scrape_ms=$(head -1 "$TMP/scrape.txt")
grep -q '^binlogd_child_up{child="streamer"} 1$' "$TMP/scrape.txt" ||
    fail "/metrics during the flood lacks the streamer's state"
assert_le "$scrape_ms" 1000 "ms for a scrape of /metrics during the flood"
# A measurement window, not a synchronisation: binlogd must stay idle.
sleep 3
ticks=$(($(cpu_ticks) - ticks0))
assert_le "$ticks" 50 "binlogd's CPU ticks (1/100 s) in 3+ s of flood"
lines=$(($(wc -l <"$BL_LOG") - lines0))
assert_le "$lines" 5 "log lines written during the flood"
note "flood of 1,100 connections: status in $status_ms ms, scrape in" \
    "$scrape_ms ms, $ticks CPU ticks, $lines log lines"
kill "$flood"
wait "$flood" 2>/dev/null || true
lib_forget "$flood"

# Out of descriptors (the limit lowered to a few above what binlogd has
# open, below its 16 metrics slots): accept fails with EMFILE, and binlogd
# must rest, not spin, log it once, and serve again when the flood ends.
nfd=$(find "/proc/$BL_PID/fd" -mindepth 1 | wc -l)
prlimit --pid "$BL_PID" --nofile=$((nfd + 4)):$((nfd + 4))
lines0=$(wc -l <"$BL_LOG")
flood 40
wait_for_log 'metrics: accept: Too many open files'
ticks0=$(cpu_ticks)
# A measurement window, not a synchronisation: binlogd must stay idle.
sleep 3
ticks=$(($(cpu_ticks) - ticks0))
assert_le "$ticks" 50 "binlogd's CPU ticks (1/100 s) in 3 s out of descriptors"
lines=$(($(wc -l <"$BL_LOG") - lines0))
assert_le "$lines" 4 "log lines written while out of descriptors"
kill "$flood"
wait "$flood" 2>/dev/null || true
lib_forget "$flood"
status_back() { timeout 2 binlogctl -s "$TMP/binlogd.sock" status >/dev/null; }
wait_until 20 "binlogctl status to answer after the flood" status_back
note "out of descriptors: $ticks CPU ticks in 3 s, $lines log lines"

binlogd_stop
