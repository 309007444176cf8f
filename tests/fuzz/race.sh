#!/bin/bash
# race.sh: binlogcat built with ThreadSanitizer decodes, on its two
# formatting threads (parallel.c, as binlogd does by default), a binlog of
# 40 transactions over two tables -- inserts, updates and deletes in
# statements of many rows events, a DDL midway -- and the fixture binlogs.
# Any data race report fails; there is one record per row the SQL changed
# (the sum of its ROW_COUNT()s), and the records are byte for byte those of
# the plain build.  Then the daemon's threads: binlogd runs a TSan-built
# binlogd-streamer (main loop, reader, formatting thread, stats) over the
# same binlog from the start and over more transactions written live, with
# a binlogctl status and a restart between, into the durable file sink
# (its group commit thread); no race, every record.
# Skips (77) when the compiler cannot build with TSan.
. "$(dirname "$0")/../lib.sh"

echo 'int main(void) { return 0; }' >"$TMP/t.c"
cc -fsanitize=thread -o "$TMP/t" "$TMP/t.c" 2>/dev/null && "$TMP/t" ||
    skip "cc cannot build and run with -fsanitize=thread"
build_decoder cc "$TMP/binlogcat_tsan" -fsanitize=thread \
    "$LIB_DIR/../binlogcat/binlogcat.c" ||
    hard_error "building binlogcat with TSan: $(cat "$TMP/cc.err")"
PLAIN=$(cd .. && pwd)/binlogcat/binlogcat
[ -x "$PLAIN" ] || hard_error "no $PLAIN"

mariadb_start
# FULL: binlogd reads these rows after the ALTER below, and the columns
# of the rows before it are named in-band (no schema history yet)
sql "SET GLOBAL binlog_row_metadata = FULL"
sql "CREATE DATABASE r;
    CREATE TABLE r.a (id INT PRIMARY KEY, v VARCHAR(64), d DOUBLE);
    CREATE TABLE r.b (id INT PRIMARY KEY, t DATETIME(6), n DECIMAL(12,3),
        s TEXT CHARACTER SET utf8mb4)"
# trx N: 300 + 300 inserts, 100 updates, 50 deletes; each statement's
# ROW_COUNT() printed
trx() {
	local base=$(($1 * 1000))
	cat <<EOF
BEGIN;
INSERT INTO r.a (id, v, d) SELECT $base + seq, CONCAT('a-', seq), seq / 7
    FROM seq_1_to_300; SELECT ROW_COUNT();
INSERT INTO r.b SELECT $base + seq, '2024-02-29 12:34:56.789012' +
    INTERVAL seq SECOND, seq * 1.5, REPEAT('日本€', seq % 20)
    FROM seq_1_to_300; SELECT ROW_COUNT();
UPDATE r.a SET v = CONCAT(v, '-x'), d = -d
    WHERE id BETWEEN $base + 1 AND $base + 100; SELECT ROW_COUNT();
DELETE FROM r.b WHERE id BETWEEN $base + 1 AND $base + 50;
    SELECT ROW_COUNT();
COMMIT;
EOF
}
{
	echo "USE r;"
	for ((t = 1; t <= 40; t++)); do
		trx "$t"
		[ "$t" -ne 20 ] || echo "ALTER TABLE r.a ADD COLUMN w INT;"
	done
	echo "FLUSH BINARY LOGS;"
} | sql >"$TMP/counts"
expect=$(awk '{ s += $1 } END { print s }' "$TMP/counts")
assert_eq 30000 "$expect" "row changes by ROW_COUNT() (40 x 750)"

# checks FILE: the TSan build's records of FILE, no race, same as plain
checks() {
	local name=${1##*/}
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
	    "$TMP/binlogcat_tsan" "$1" >"$TMP/$name.tsan" 2>"$TMP/$name.err" ||
	    true
	! grep -q ThreadSanitizer "$TMP/$name.err" ||
	    fail "$name: $(grep -m1 -A12 'WARNING: ThreadSanitizer' \
	        "$TMP/$name.err")"
	"$PLAIN" "$1" >"$TMP/$name.plain" 2>/dev/null || true
	cmp -s "$TMP/$name.tsan" "$TMP/$name.plain" ||
	    fail "$name: the TSan build's records differ from binlogcat's"
}
checks "$DB_DIR/mariadb-bin.000001"
got=$(grep -c '"database":"r"' "$TMP/mariadb-bin.000001.tsan" || true)
assert_eq "$expect" "$got" "records of database r"
for f in "$LIB_DIR"/fixtures/files/*.binlog; do
	checks "$f"
done
# the daemon: the TSan streamer beside the installed checkpointd
mkdir "$TMP/libexec"
build_streamer cc "$TMP/libexec/binlogd-streamer" -fsanitize=thread ||
    hard_error "building binlogd-streamer with TSan: $(cat "$TMP/cc.err")"
ln -s "${BINLOGD_LIBEXECDIR:?}/binlogd-checkpointd" "$TMP/libexec/"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
OUT=$TMP/out.jsonl
BL_EXTRA_STREAM="sink = file
[sink]
path = $OUT
fsync = yes"
BINLOGD_LIBEXECDIR=$TMP/libexec BL_START_POSITION=earliest binlogd_start
assert_eq "$TMP/libexec/binlogd-streamer" \
    "$(readlink "/proc/$(child_pid streamer)/exe")" "the streamer run"
out_rows() {
	[ "$(grep -c '"database":"r"' "$OUT" || true)" -ge "$1" ]
}
wait_until 120 "$expect records in $OUT" out_rows "$expect"
binlogctl -c "$BL_CONF" status >/dev/null ||
    fail "binlogctl status beside the TSan streamer"
binlogctl -c "$BL_CONF" restart >/dev/null || fail "binlogctl restart"
wait_for_log 'ready: streaming' 2 60
{
	echo "USE r;"
	for ((t = 41; t <= 44; t++)); do
		trx "$t"
	done
} | sql >"$TMP/counts2"
more=$(awk '{ s += $1 } END { print s }' "$TMP/counts2")
wait_until 120 "$((expect + more)) records in $OUT" out_rows \
    $((expect + more))
binlogd_stop
! grep -q ThreadSanitizer "$BL_LOG" ||
    fail "binlogd-streamer: $(grep -m1 -A16 'WARNING: ThreadSanitizer' \
        "$BL_LOG")"
got=$(grep -c '"database":"r"' "$OUT" || true)
assert_eq $((expect + more)) "$got" "binlogd's records of database r"

note "$expect records and $(find "$LIB_DIR"/fixtures/files -name '*.binlog' |
    wc -l) fixtures decoded on two threads under TSan, and binlogd's
    $((expect + more)) records: no race"
