#!/bin/bash
# config.sh: binlogd -n accepts the shipped sample configuration, and
# rejects a misspelt option name and a bad value with "file:line:" pointing
# at the right line and exit code 78 (BX_CONFIG), and what the run would
# then fail on: a metrics_listen it cannot bind, an unknown user, a sink or
# checkpoint database in a missing directory, a missing ssl_ca, an
# unreadable password file, a directory or binary data as the file, and
# the stdout sink in daemon mode; and that a start, in the background or
# the foreground, stops on the streamer's options with the same status.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

sample=${BINLOGD_TEST_SYSCONFDIR:-/usr/local/etc}/binlogd.conf.sample
[ -f "$sample" ] || hard_error "$sample is not installed"

# The sample's state directory, which a package creates, moved here.
mkdir "$TMP/lib"
sed "s|/var/lib/binlogd/|$TMP/lib/|" "$sample" >"$TMP/sample.conf"
grep -q "^database = $TMP/lib/" "$TMP/sample.conf" ||
    hard_error "the sample's database is not in /var/lib/binlogd/"
rc=0
out=$(binlogd -n -c "$TMP/sample.conf" 2>&1) || rc=$?
assert_eq 0 "$rc" "exit status of binlogd -n on the sample config ($out)"
assert_match "$out" '^configuration OK$' "binlogd -n output on the sample"
# In daemon mode records need a sink other than stdout: the sample has one.
assert_match "$(grep '^sink = ' "$sample")" '^sink = (file|kafka)$' \
    "the sample's sink"

# shellcheck disable=SC2034 # read by binlogd_config
DB_PORT=3307	# never connected to: -n only reads the file
BL_EXTRA_DAEMON="metrics_listen = 127.0.0.1:9" binlogd_config
rc=0
out=$(binlogd -n -f -c "$BL_CONF" 2>&1) || rc=$?
assert_eq 0 "$rc" "exit status of binlogd -n on the tests' config ($out)"

# check_bad SED-EXPR ERE: applies SED-EXPR to a copy of the good config
# (it must change exactly one line) and expects binlogd -n to reject that
# line with a message matching ERE.
check_bad() {
	local bad=$TMP/bad.conf line rc=0 out
	sed "$1" "$BL_CONF" >"$bad"
	line=$(diff "$BL_CONF" "$bad" | sed -n 's/^\([0-9]*\)c[0-9]*$/\1/p')
	assert_match "$line" '^[0-9]+$' "the edit '$1' changed one line"
	out=$(binlogd -n -f -c "$bad" 2>&1) || rc=$?
	assert_eq 78 "$rc" "exit status of binlogd -n after '$1' ($out)"
	# "binlogd: " may come first, as err(3) writes it.
	assert_match "$out" "^(binlogd: )?$bad:$line: .*$2" \
	    "binlogd -n message after '$1'"
	note "ok: $out"
}

check_bad 's/^port = /prot = /' 'unknown option "prot".*did you mean "port"'
check_bad 's/^heartbeat_period = .*/heartbeat_period = soon/' \
    'heartbeat_period must be a duration.*"soon"'
check_bad 's/^replica_server_id = .*/replica_server_id = 0/' \
    'replica_server_id must be an integer'
check_bad 's/^metrics_listen = .*/metrics_listen = abc/' \
    'metrics_listen must be a port.*"abc"'
check_bad 's/^metrics_listen = .*/metrics_listen = 99999/' \
    'metrics_listen must be a port.*"99999"'

# The streamer's own options are checked by binlogd -n too: a [filter]
# pattern with too many dots names the option and exits 78.
cp "$BL_CONF" "$TMP/filter.conf"
printf '[filter]\ninclude = shop.orders.extra\n' >>"$TMP/filter.conf"
rc=0
out=$(binlogd -n -f -c "$TMP/filter.conf" 2>&1) || rc=$?
assert_eq 78 "$rc" "exit status of binlogd -n with a bad [filter] ($out)"
assert_match "$out" 'include' "binlogd -n message for a bad [filter]"
note "ok: $out"

# Started with that file, binlogd exits 78 with the same message.  In the
# background the starting process says it before anything starts; in the
# foreground the streamer binlogd starts checks its own options first (no
# second exec of it on the way to the first event), and binlogd stops.
sed -e '/^metrics_listen = /d' -e 's/^\[stream\]$/&\nsink = file/' \
    "$TMP/filter.conf" >"$TMP/start.conf"
printf '[sink]\npath = %s\n' "$TMP/records.out" >>"$TMP/start.conf"
rc=0
out=$(binlogd -c "$TMP/start.conf" 2>&1) || rc=$?
assert_eq 78 "$rc" "exit status of a start with a bad [filter] ($out)"
assert_match "$out" '^binlogd: .*start.conf: \[filter\] include: ' \
    "the starting process's message for a bad [filter]"
[ ! -e "$TMP/checkpoint.db" ] && [ ! -e "$TMP/binlogd.pid" ] ||
    fail "a start refused by the check left a database or a pid file"
binlogd -f -c "$TMP/start.conf" >>"$RECORDS" 2>>"$BL_LOG" &
BL_PID=$!
PIDS="$PIDS $BL_PID"
wait_until 30 "binlogd -f to stop on a bad [filter]" lib_gone "$BL_PID"
rc=0
wait "$BL_PID" || rc=$?
lib_forget "$BL_PID"
assert_eq 78 "$rc" "exit status of binlogd -f with a bad [filter]"
assert_eq 1 "$(log_count 'streamer.*start.conf: \[filter\] include: ')" \
    "the streamer's message for a bad [filter]"
assert_eq 1 "$(log_count 'streamer cannot run until the problem above')" \
    "binlogd's line on the streamer's configuration error"
[ ! -e "$TMP/binlogd.pid" ] || fail "binlogd -f left its pid file"
# A start in the foreground as the helpers' user checks the paths in
# binlogd itself (nobody to become), with the same message and status.
sed -e '/^metrics_listen = /d' \
    -e "s|^database = .*|database = $TMP/missing/ck.db|" "$BL_CONF" \
    >"$TMP/nodir.conf"
rc=0
out=$(binlogd -f -c "$TMP/nodir.conf" 2>&1) || rc=$?
assert_eq 78 "$rc" "exit status of binlogd -f, database in a missing directory"
assert_match "$out" "^binlogd: $TMP/nodir.conf: checkpoint database $TMP/missing/ck.db: $TMP/missing does not exist" \
    "binlogd -f's message, database in a missing directory"


# check_run WHAT ERE [binlogd options]: binlogd -n on $TMP/run.conf exits
# 78 with a message naming the problem (ERE), before anything starts.
check_run() {
	local rc=0 out
	out=$(binlogd -n "${@:3}" -c "$TMP/run.conf" 2>&1) || rc=$?
	assert_eq 78 "$rc" "exit status of binlogd -n with $1 ($out)"
	assert_match "$out" "$2" "binlogd -n message with $1"
	note "ok: $out"
}
# run_conf [section-lines...]: the tests' config plus these lines.
run_conf() {
	cp "$BL_CONF" "$TMP/run.conf"
	printf '%s\n' "$@" >>"$TMP/run.conf"
}

run_conf '[sink]' "path = $TMP/records.jsonl"
sed -i 's/^\[stream\]$/&\nsink = file/' "$TMP/run.conf"
rc=0
out=$(binlogd -n -c "$TMP/run.conf" 2>&1) || rc=$?
assert_eq 0 "$rc" "binlogd -n, daemon mode, file sink ($out)"

run_conf
check_run "sink = stdout in daemon mode" \
    'sink = stdout.*daemon.*set sink = file.*or run binlogd -f'
sed -i "s|^user = binlogd$|&\npassword_file = $TMP|; /^password = /d" \
    "$TMP/run.conf"
check_run "a directory as password_file" \
    "password_file: $TMP is a directory" -f
printf '\n' >"$TMP/empty-password"
sed -i "s|^password_file = .*|password_file = $TMP/empty-password|" \
    "$TMP/run.conf"
check_run "an empty password_file" "password_file.*first line is empty" -f
run_conf
sed -i 's|^\[daemon\]$|&\nuser = no-such-user-here|' "$TMP/run.conf"
check_run "an unknown user" '\[daemon\] user no-such-user-here does not exist' -f
run_conf
sed -i "s|^database = .*|database = $TMP/missing/ck.db|" "$TMP/run.conf"
check_run "the checkpoint database in a missing directory" \
    "database $TMP/missing/ck.db: $TMP/missing does not exist" -f
run_conf '[sink]' "path = $TMP/missing/records.jsonl"
sed -i 's/^\[stream\]$/&\nsink = file/' "$TMP/run.conf"
check_run "the sink file in a missing directory" \
    "path $TMP/missing/records.jsonl: $TMP/missing does not exist" -f
run_conf
sed -i "s|^\[server\]$|&\nssl_ca = $TMP/missing-ca.pem|" "$TMP/run.conf"
check_run "a missing ssl_ca" "ssl_ca $TMP/missing-ca.pem: No such file" -f

# Not a configuration file at all.
rc=0
out=$(binlogd -n -f -c "$TMP" 2>&1) || rc=$?
assert_eq 78 "$rc" "binlogd -n with a directory as the file ($out)"
assert_match "$out" "$TMP is a directory" "message for a directory"
head -c 4096 "$(command -v binlogd)" >"$TMP/binary.conf"
rc=0
out=$(binlogd -n -f -c "$TMP/binary.conf" 2>&1) || rc=$?
assert_eq 78 "$rc" "binlogd -n with binary data as the file ($out)"
assert_match "$out" "binary.conf:1: .*(NUL|binary)" "message for binary data"
