#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# big_event.sh: rows events over 4 MiB (a 40 MiB LONGBLOB, three 16 MiB
# protocol packets; a 5 MiB BLOB, one packet) between small rows, in the
# same and in other transactions, reach the decoder through the spill file:
# every value equals the server's (SHA1 and LENGTH), the file is unlinked
# (an open descriptor to a deleted file, nothing left in the directory),
# and the streamer's peak RSS holds no copy of the event.  A spill_dir the
# streamer may not write stops it with exit status 80 and a message naming
# the directory and the remedy, the checkpoint before the event's
# transaction; once the directory is writable the restarted streamer
# writes the rest.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

MIB=1048576
mariadb_start --max-allowed-packet=1G
sql "CREATE DATABASE shop;
    CREATE TABLE shop.b (id INT PRIMARY KEY, b LONGBLOB);"

# blob ID MIB: an INSERT of MIB MiB of SHA-512 bytes (no two blocks alike).
blob() {
	echo "INSERT INTO shop.b SELECT $1, UNHEX(GROUP_CONCAT(SHA2(seq, 512)
	    ORDER BY seq SEPARATOR '')) FROM shop.seq_1_to_$(($2 * MIB / 64));"
}
small() {
	echo "INSERT INTO shop.b VALUES ($1, 'small-$1');"
}

# As root, binlogd runs as nobody, so that a directory it may not write
# exists; else chmod does.
mkdir "$TMP/run" "$TMP/spill"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 711 "$TMP"
	cp -r "$BINLOGD_LIBEXECDIR" "$TMP/libexec"
	chmod -R a+rX "$TMP/libexec"
	export BINLOGD_LIBEXECDIR=$TMP/libexec
	chown nobody "$TMP/run" "$TMP/spill"
	RUN_AS="user = nobody"
	no_write() { chown root "$1"; chmod 755 "$1"; }
	may_write() { chown nobody "$1"; }
else
	RUN_AS=""
	no_write() { chmod 555 "$1"; }
	may_write() { chmod 755 "$1"; }
fi

# spawn [spill_dir]: binlogd with its files in $TMP/run (the default
# spill_dir), restarting a failed streamer within 2 s.
spawn() {
	local before
	before=$(log_count 'ready:')
	BL_EXTRA_DAEMON="$RUN_AS
restart_backoff_max = 2s" BL_EXTRA_STREAM=${1:+"spill_dir = $1"} \
	    binlogd_config
	sed -i -e "s|^control_socket = .*|control_socket = $TMP/run/binlogd.sock|" \
	    -e "s|^pid_file = .*|pid_file = $TMP/run/binlogd.pid|" \
	    -e "s|^database = .*|database = $TMP/run/checkpoint.db|" "$BL_CONF"
	binlogd -f -c "$BL_CONF" >>"$RECORDS" 2>>"$BL_LOG" &
	BL_PID=$!
	PIDS="$PIDS $BL_PID"
	wait_for_log 'ready:' $((before + 1)) 60
}

# check_values N: the records hold rows 1..N, each value the server's.
check_values() {
	sql "SELECT id, SHA1(b), LENGTH(b) FROM shop.b ORDER BY id" \
	    >"$TMP/expected"
	assert_eq "$1" "$(wc -l <"$TMP/expected")" "rows on the server"
	python_check "$RECORDS" "$TMP/expected" <<'PY'
import base64, hashlib, sys
from records import load_records, fail
got = {}
for r in load_records(sys.argv[1]):
    v = base64.b64decode(r["data"]["b"], validate=True)
    got[r["data"]["id"]] = (hashlib.sha1(v).hexdigest(), str(len(v)))
for line in open(sys.argv[2]):
    i, sha, n = line.split()
    if int(i) not in got:
        fail(f"no record of row {i}")
    if got[int(i)] != (sha, n):
        fail(f"row {i}: expected SHA1 {sha} of {n} bytes, "
             f"got {got[int(i)][0]} of {got[int(i)][1]}")
print(f"{len(got)} rows, values equal to the server's")
PY
}

# no_spill_file DIR: nothing in DIR but binlogd's own files.
no_spill_file() {
	local f
	for f in "$1"/* "$1"/.[!.]*; do
		case ${f##*/} in
		'*' | '.[!.]*' | binlogd.sock | binlogd.pid | checkpoint.db*) ;;
		*) fail "$f left in $1" ;;
		esac
	done
}

# deleted_fd PID DIR: PID has a descriptor open on a deleted file in DIR.
deleted_fd() {
	local f
	for f in /proc/"$1"/fd/*; do
		case $(readlink "$f" || true) in
		"$2"/*" (deleted)") return 0 ;;
		esac
	done
	fail "binlogd-streamer (pid $1) has no deleted file open in $2"
}

# --- the default spill_dir: the checkpoint database's directory
spawn
{
	echo "SET SESSION group_concat_max_len = 1073741824; BEGIN;"
	small 1; blob 2 40; small 3
	echo "COMMIT;"
	small 4
	echo "BEGIN;"; blob 5 5; small 6; echo "COMMIT;"
	small 7
} | sql
wait_for_records 7 120
spid=$(child_pid streamer)
[ -n "$spid" ] || fail "no running binlogd-streamer"
deleted_fd "$spid" "$TMP/run"
no_spill_file "$TMP/run"
hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/"$spid"/status)
check_values 7
assert_eq 7 "$(record_count)" "records"
# The value's base64 text is still built whole (the output side does not
# stream large values yet), and the mapped event's pages are resident while
# the CRC and the encoder read them until those call spill_release: the
# bound is two text copies + 8 MiB for now, to become 64 MiB.
groups=$(((40 * MIB + 2) / 3))
b64=$((groups * 4 / 1024))
note "binlogd-streamer peak RSS ${hwm} KiB; two base64 copies ${b64} KiB each"
assert_le "$hwm" $((2 * b64 + 8 * 1024)) \
    "streamer's VmHWM in KiB (two base64 copies of the value + 8 MiB)"
binlogd_stop

# --- a spill_dir the streamer may not write
no_write "$TMP/spill"
spawn "$TMP/spill"
small 8 | sql
wait_for_records 8
read -r file offset <<<"$(master_position)"
{
	echo "SET SESSION group_concat_max_len = 1073741824; BEGIN;"
	small 9; blob 10 5
	echo "COMMIT;"
} | sql
wait_for_log "a binlog event of [0-9]+ bytes is kept out of memory in a temporary file, which cannot be written in $TMP/spill: Permission denied; free space there or set \[stream\] spill_dir"
wait_for_log 'streamer \(pid [0-9]+\) exited with code 80'
# Saved before the failure or at it, never past: the failed transaction
# is streamed again.
ckpt() {
	sqlite3 "$TMP/run/checkpoint.db" \
	    "SELECT file || ' ' || offset FROM checkpoint" 2>/dev/null || true
}
ckpt_is() {
	[ "$(ckpt)" = "$1" ]
}
wait_until 30 "the checkpoint at $file $offset" ckpt_is "$file $offset"
wait_for_log 'streamer \(pid [0-9]+\) exited with code 80' 2
assert_eq "$file $offset" "$(ckpt)" "the checkpoint after two failures"
no_spill_file "$TMP/spill"

may_write "$TMP/spill"
lib_has_row() {
	grep -Eq '"id": ?10[,}]' "$RECORDS"
}
wait_until 60 "row 10 once $TMP/spill is writable" lib_has_row
check_values 10
no_spill_file "$TMP/spill"
binlogd_stop
