#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# store_errors.sh: a checkpoint database binlogd cannot trust or cannot
# write stops it with exit status 82 (BX_STORE, which the supervisor does
# not restart) and a message naming the file, the problem and the remedy:
# a file that is not a database, a database with a damaged page (left
# exactly as it was: never "repaired"), and, running as nobody, a data
# directory nobody may write, with and without an existing database
# (found by binlogd's check of what its helpers will need, before it
# starts them).
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"
DB=$TMP/checkpoint.db

# expect_store_error ERE WHAT [binlogd]: binlogd, started with $BL_CONF as
# it is, exits 82 and its log says ERE; checkpointd found it, or binlogd's
# check of the configuration, before starting anything, with "binlogd".
expect_store_error() {
	local rc=0 before started
	before=$(log_count "$1")
	started=$(log_count 'started checkpointd')
	binlogd -f -c "$BL_CONF" >>"$RECORDS" 2>>"$BL_LOG" &
	BL_PID=$!
	PIDS="$PIDS $BL_PID"
	wait_until 30 "binlogd to stop ($2)" lib_gone "$BL_PID"
	wait "$BL_PID" || rc=$?
	lib_forget "$BL_PID"
	assert_eq 82 "$rc" "binlogd's exit status ($2)"
	assert_eq $((before + 1)) "$(log_count "$1")" "lines matching /$1/ ($2)"
	if [ "${3:-}" = binlogd ]; then
		assert_eq "$started" "$(log_count 'started checkpointd')" \
		    "checkpointd starts ($2)"
		return
	fi
	assert_le 1 "$(log_count 'checkpointd \(pid [0-9]+\) exited with code 82')" \
	    "checkpointd's exit 82 in the supervisor's log ($2)"
}

# A good database first, with rows behind it.
binlogd_start
sql "INSERT INTO shop.t VALUES (1), (2)"
wait_for_records 2
binlogd_stop
cp "$DB" "$TMP/good.db"

# --- not a database at all
head -c 8192 /dev/urandom >"$DB"
sum=$(md5sum <"$DB")
expect_store_error "checkpoint database $DB: .*file is not a database: restore it from a backup, or move it away" \
    "random bytes"
assert_eq "$sum" "$(md5sum <"$DB")" "the foreign file's bytes"

# --- a damaged page: the checkpoint table's root (page 2 onwards)
cp "$TMP/good.db" "$DB"
pages=$(($(stat -c %s "$DB") / 4096))
assert_le 2 "$pages" "pages in the good database"
printf 'binlogd-test-garbage%.0s' $(seq 1 400) |
    dd of="$DB" bs=4096 seek=1 count=1 conv=notrunc iflag=fullblock \
    2>/dev/null
sum=$(md5sum <"$DB")
expect_store_error "checkpoint database $DB(: .*malformed| is corrupt).*restore it from a backup" \
    "a damaged page"
assert_eq "$sum" "$(md5sum <"$DB")" "the damaged file's bytes"

# --- running as nobody, a directory nobody may write
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 711 "$TMP"
	cp -r "$BINLOGD_LIBEXECDIR" "$TMP/libexec"
	chmod -R a+rX "$TMP/libexec"
	export BINLOGD_LIBEXECDIR=$TMP/libexec
	mkdir -m 755 "$TMP/ro" "$TMP/run"
	chown nobody "$TMP/run"
	BL_EXTRA_DAEMON="user = nobody" binlogd_config
	sed -i -e "s|^control_socket = .*|control_socket = $TMP/run/binlogd.sock|" \
	    -e "s|^pid_file = .*|pid_file = $TMP/run/binlogd.pid|" \
	    -e "s|^database = .*|database = $TMP/ro/checkpoint.db|" "$BL_CONF"
	expect_store_error "checkpoint database $TMP/ro/checkpoint.db: .*make the file and its directory writable" \
	    "no database, read-only directory" binlogd
	cp "$TMP/good.db" "$TMP/ro/checkpoint.db"
	chown nobody "$TMP/ro/checkpoint.db"
	expect_store_error "checkpoint database $TMP/ro/checkpoint.db: .*make the file and its directory writable" \
	    "a database in a read-only directory" binlogd
	assert_eq "$(md5sum <"$TMP/good.db")" \
	    "$(md5sum <"$TMP/ro/checkpoint.db")" "the database's bytes"
else
	note "not root: the read-only directory cases were skipped"
fi
