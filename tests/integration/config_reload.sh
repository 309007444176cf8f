#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# config_reload.sh: binlogd checks the whole file before it accepts it and
# hands its helpers what it accepted.  A reload with a bad [filter] pattern
# is refused (binlogctl exits 1 and names the pattern) and the streamer
# goes on; with the file left invalid, binlogctl restart, SIGHUP and a
# killed streamer all go on with the accepted configuration.  A reload
# that changes metrics_listen says it needs a restart of binlogd; the
# password is the first line of password_file; a second binlogd on the
# held pid file exits 78, which systemd does not retry.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"
binlogd_config
# The password file's first line is the password; what follows is not.
printf 'secret\nthe line below the password\n' >"$TMP/password"
chmod 600 "$TMP/password"
sed -i "s|^password = .*|password_file = $TMP/password|" "$BL_CONF"
cp "$BL_CONF" "$TMP/good.conf"
binlogd -f -c "$BL_CONF" >>"$RECORDS" 2>>"$BL_LOG" &
BL_PID=$!
PIDS="$PIDS $BL_PID"
wait_for_log 'ready: streaming'

ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }
# rows FIRST LAST: inserts them; every row so far must reach the records.
rows() {
	sql "INSERT INTO shop.t SELECT seq FROM shop.seq_$1_to_$2"
	wait_for_records "$2" 30
}
rows 1 5

# A reload of a file the streamer would refuse is refused.
printf '[filter]\ninclude = shop.t.extra\n' >>"$BL_CONF"
streamer=$(child_pid streamer)
rc=0
out=$(ctl reload 2>&1) || rc=$?
assert_eq 1 "$rc" "binlogctl reload with a bad [filter] ($out)"
assert_match "$out" 'include.*shop\.t\.extra' "binlogctl reload's message"
wait_for_log 'reload failed, keeping the running configuration: .*include'
rows 6 10
assert_eq "$streamer" "$(child_pid streamer)" "the streamer after the refusal"

# The file stays invalid: a restart uses the configuration accepted.
ready=$(log_count 'ready: streaming')
ctl restart >/dev/null
wait_for_log 'ready: streaming' $((ready + 1))
[ "$(child_pid streamer)" != "$streamer" ] ||
    fail "binlogctl restart did not restart the streamer ($streamer)"
rows 11 15

kill -HUP "$BL_PID"
wait_for_log 'reload failed, keeping the running configuration' 2
streamer=$(child_pid streamer)
kill_child streamer >/dev/null
wait_for_log 'ready: streaming' $((ready + 2))
[ "$(child_pid streamer)" != "$streamer" ] ||
    fail "the killed streamer ($streamer) was not started again"
rows 16 20
assert_eq 0 "$(log_count 'exited with code 78')" "helpers exiting 78"

# A valid reload that changes what binlogd set up at start says so.
cp "$TMP/good.conf" "$BL_CONF"
sed -i "s|^\\[daemon\\]$|&\\nmetrics_listen = 127.0.0.1:$(lib_free_port)|" \
    "$BL_CONF"
rc=0
out=$(ctl reload 2>&1) || rc=$?
assert_eq 0 "$rc" "binlogctl reload changing metrics_listen ($out)"
assert_match "$out" \
    '^reloaded; restart binlogd for \[daemon\] metrics_listen to take effect$' \
    "binlogctl reload's message"
wait_for_log 'restart binlogd for \[daemon\] metrics_listen'
wait_for_log 'ready: streaming' $((ready + 3))
rows 21 25

# A second binlogd on the same pid file: a configuration error, 78.
rc=0
out=$(timeout 30 binlogd -f -c "$BL_CONF" 2>&1) || rc=$?
assert_eq 78 "$rc" "exit status of a second binlogd ($out)"
assert_match "$out" "another binlogd \\(pid $BL_PID\\) holds the pid file" \
    "a second binlogd's message"

binlogd_stop
# At least once: a killed streamer may repeat records, never lose one.
assert_eq "$(seq 1 25 | tr '\n' ' ')" "$(python3 -c 'import json, sys
ids = {json.loads(l)["data"]["id"] for l in open(sys.argv[1])}
print(" ".join(map(str, sorted(ids))), end=" ")' "$RECORDS")" \
    "the rows in the records"
assert_eq 0 "$(grep -c secret "$BL_LOG" || true)" "log lines with the password"
