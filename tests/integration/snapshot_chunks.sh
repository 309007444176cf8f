#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# snapshot_chunks.sh: where snapshot = initial resumes, on keys that make
# it hard: a composite key of text (quotes, backslashes, a newline,
# non-ASCII, a case-insensitive collation, trailing spaces) and an
# integer; a VARBINARY key of every byte; DECIMAL and DATETIME(6) in the
# reverse of their column order; and, read whole, a FLOAT key and none.
# First a whole snapshot (chunks of 3 rows): each table's bootstrap-
# inserts are its SELECT, each row once, and the log says which tables
# were read by key.  Then, binlogd stopped, the progress row is set back
# to running in a table after a given key (a JSON array, as the streamer
# saves it) and binlogd started: it resumes there, with no bootstrap-
# start for that table, and its rows are those the server's own
# comparison puts after the key.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
sql "CREATE DATABASE ck;
    CREATE TABLE ck.txt (s VARCHAR(20) COLLATE utf8mb4_general_ci,
        n INT, v INT, PRIMARY KEY (s, n)) DEFAULT CHARSET = utf8mb4;
    INSERT INTO ck.txt VALUES ('a', 1, 1), ('a', 2, 2), ('A b', 1, 3),
        ('it''s', 1, 4), ('back\\\\slash', 1, 5), ('new\\nline', 1, 6),
        ('Ωmega', 1, 7), ('ü', 2, 8), ('z  ', 1, 9), ('🚀', 1, 10);
    CREATE TABLE ck.bin (b VARBINARY(4) PRIMARY KEY, v INT);
    INSERT INTO ck.bin SELECT UNHEX(LPAD(HEX(seq), 2, '0')), seq
        FROM ck.seq_0_to_255;
    INSERT INTO ck.bin VALUES (UNHEX('0000'), 300), (UNHEX('FF00'), 301);
    CREATE TABLE ck.dt (d DATETIME(6), x DECIMAL(10,3), v INT,
        PRIMARY KEY (x, d));
    INSERT INTO ck.dt SELECT '2024-01-01 00:00:00' + INTERVAL seq SECOND
        + INTERVAL seq MICROSECOND, seq % 3 - 1.5, seq FROM ck.seq_1_to_20;
    CREATE TABLE ck.fl (f FLOAT PRIMARY KEY, v INT);
    INSERT INTO ck.fl SELECT seq / 10, seq FROM ck.seq_1_to_10;
    CREATE TABLE ck.nokey (v INT);
    INSERT INTO ck.nokey SELECT seq FROM ck.seq_1_to_10;"

BL_EXTRA_STREAM="snapshot = initial
snapshot_chunk_size = 3" binlogd_start
# snapshot_values TABLE: the v of ck.TABLE's bootstrap-inserts in
# $RECORDS, sorted, one a line
snapshot_values() {
	grep "\"table\":\"$1\",\"type\":\"bootstrap-insert\"" "$RECORDS" |
	    python3 -c 'import json, sys
print("\n".join(str(v) for v in sorted(json.loads(l)["data"]["v"] for l in sys.stdin)))'
}

wait_for_log 'snapshot: done'
binlogd_stop
for t in txt bin dt fl nokey; do
	sql "SELECT v FROM ck.$t ORDER BY v" >"$TMP/$t.want"
	snapshot_values "$t" >"$TMP/$t.got"
	diff -u "$TMP/$t.want" "$TMP/$t.got" ||
	    fail "ck.$t: the snapshot's rows differ from the SELECT"
	note "ck.$t: $(wc -l <"$TMP/$t.got") rows, each once"
done
for t in txt bin dt; do
	assert_eq 1 "$(log_count "snapshot: ck\.$t: [0-9]+ rows, by key")" \
	    "log lines: ck.$t read by key"
done
for t in fl nokey; do
	assert_eq 1 "$(log_count "snapshot: ck\.$t: [0-9]+ rows, read whole")" \
	    "log lines: ck.$t read whole"
done

# resume TABLE KEY WHERE: the snapshot resumed in ck.TABLE after KEY
# writes the rows WHERE selects
resume() {
	local done
	done=$(log_count 'snapshot: done')
	sqlite3 "$TMP/checkpoint.db" "UPDATE snapshot_progress SET
	    state = 'running', table_name = '$1', last_key = '$2'"
	: >"$RECORDS"
	BL_EXTRA_STREAM="snapshot = initial" binlogd_start
	wait_for_log 'snapshot: done' $((done + 1))
	binlogd_stop
	assert_eq 0 "$(grep -c "\"table\":\"$1\",\"type\":\"bootstrap-start\"" \
	    "$RECORDS")" "bootstrap-start records of the resumed ck.$1"
	sql "SELECT v FROM ck.$1 WHERE $3 ORDER BY v" >"$TMP/want"
	snapshot_values "$1" >"$TMP/got"
	diff -u "$TMP/want" "$TMP/got" ||
	    fail "ck.$1 resumed after $2: rows differ from WHERE $3"
	note "ck.$1 resumed after $2: $(grep -c . "$TMP/got") rows"
}
resume txt '["a",1]' "s > 'a' OR (s = 'a' AND n > 1)"
resume txt '["new\nline",0]' "s > 'new\\nline' OR (s = 'new\\nline' AND n > 0)"
resume bin '["fw=="]' "b > X'7f'"
resume dt '[-0.500,"2024-01-01 00:00:07.000007"]' \
    "x > -0.5 OR (x = -0.5 AND d > '2024-01-01 00:00:07.000007')"
