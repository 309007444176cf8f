#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# snapshot_chunks.sh: the chunk boundaries of snapshot = initial, with
# snapshot_chunk_size = 3 so that every table has several.  Each chunk
# after the first starts after the previous one's last key, written as
# the JSON array a saved progress holds and turned back into SQL: the
# path a resumed snapshot takes.  Keys that make it hard: a composite
# key of text (quotes, backslashes, a newline, non-ASCII, a case-
# insensitive collation, trailing spaces) and an integer; a VARBINARY key
# of every byte; DATETIME(6) and DECIMAL keys, a key in the opposite
# order of its columns; then a FLOAT key and no key, read whole.  Each
# table's bootstrap-inserts must be its SELECT, each row once; the log
# says which tables were chunked.
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
wait_for_log 'snapshot: done'
binlogd_stop
for t in txt bin dt fl nokey; do
	sql "SELECT v FROM ck.$t ORDER BY v" >"$TMP/$t.want"
	grep "\"table\":\"$t\",\"type\":\"bootstrap-insert\"" "$RECORDS" |
	    python3 -c 'import json, sys
print("\n".join(str(v) for v in sorted(json.loads(l)["data"]["v"] for l in sys.stdin)))' \
	    >"$TMP/$t.got"
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
