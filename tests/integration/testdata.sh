#!/bin/bash
# testdata.sh: binlogcat over every binlog file of the Debian package
# mariadb-test-data (MySQL and MariaDB, 3.23 to 10.x, some corrupt on
# purpose), two of this server's with every column type, and the
# fixtures.  Each run exits 0 or 85 within TESTDATA_TIMEOUT seconds, never
# by a signal, and the ASan/UBSan build reports nothing and prints the same
# records.  Every row mariadb-binlog -vv shows must be binlogcat's, value
# for value (testdata.py), and a file binlogcat refuses must be one that
# mariadb-binlog refuses at the same offset or one testdata.py lists with
# the reason.
. "$(dirname "$0")/../lib.sh"

CAT=${BINLOGD_TEST_SBINDIR:+$BINLOGD_TEST_SBINDIR/../bin/}binlogcat
command -v "$CAT" >/dev/null || hard_error "binlogcat not installed ($CAT)"
command -v mariadb-binlog >/dev/null ||
    hard_error "mariadb-binlog not found (contrib/debian-deps install)"
dpkg -L mariadb-test-data >"$TMP/pkg" 2>/dev/null ||
    hard_error "mariadb-test-data is not installed (contrib/debian-deps install)"
LIMIT=${TESTDATA_TIMEOUT:-20}

# the package's files that start with the binlog magic
python3 - "$TMP/pkg" >"$TMP/list" <<'PY'
import os, sys
for path in open(sys.argv[1]).read().split("\n"):
    if os.path.isfile(path) and not os.path.islink(path):
        with open(path, "rb") as f:
            if f.read(4) == b"\xfebin":
                print(path)
PY
nfiles=$(wc -l <"$TMP/list")
# 35 in 10.11's package: far fewer means the search broke, not the files
assert_le 30 "$nfiles" "binlog files found in mariadb-test-data"

# Those files hold few column types: a binlog of this server's with every
# type and edge values (zero dates, negative fractions of a second,
# utf16, cp1251, sjis, values over 64 KiB), without metadata and with
# FULL (names, charsets), full and MINIMAL row images; and the fixtures'
# MySQL binlogs.
types_sql() {
	cat <<SQL
CREATE DATABASE $1; USE $1;
SET time_zone = '+00:00';
CREATE TABLE t (id INT PRIMARY KEY,
    ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,
    mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
    bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE,
    d1 DECIMAL(10,3), d2 DECIMAL(30,10), d3 DECIMAL(5,0),
    b1 BIT(1), b9 BIT(9), b64 BIT(64), dt DATE, dtt DATETIME,
    dt6 DATETIME(6), ts TIMESTAMP NULL, ts3 TIMESTAMP(3) NULL, tm TIME,
    tm4 TIME(4), y YEAR, e ENUM('a','b','c'), s SET('x','y','z'),
    c CHAR(10), vc VARCHAR(100), l1 VARCHAR(50) CHARACTER SET latin1,
    bin BINARY(4), vb VARBINARY(20), bl BLOB, tx TEXT, lt LONGTEXT, j JSON,
    g GEOMETRY, u UUID, i6 INET6) DEFAULT CHARSET=utf8mb4;
INSERT INTO t VALUES (1, -128, 255, -32768, 65535, -8388608, 16777215,
    -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
    1.5, -2.25e-300, -1234567.891, 12345678901234567890.0123456789, -99999,
    b'1', b'101010101', ~0, '2024-02-29', '1000-01-01 00:00:00',
    '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01',
    '2038-01-19 03:14:07.123', '-838:59:59', '12:34:56.7891', 2155, 'b',
    'x,z', 'abc', 'héllo wörld 日本', 'café ÿ', 0x00010203, 0x0a0d5c27,
    0x00ff1f20, 'tab\there\nnl', REPEAT('é', 300),
    '{"a": [1, 2.5, "x"], "b": null}', ST_GeomFromText('POINT(1 2)'),
    '123e4567-e89b-12d3-a456-426614174000', '2001:db8::ff00:42:8329');
INSERT INTO t (id, y, e, s, f, d, dt, tm, b1)
    VALUES (2, 0, NULL, '', -0.0, 1e308, '0000-00-00', '00:00:00', b'0');
INSERT INTO t (id, ts, ts3, tm, dt6, f, d, d1) VALUES (3,
    '2001-02-03 04:05:06', '2001-02-03 04:05:06.789', '-00:00:01',
    '2001-02-03 04:05:06.000001', 3.40282e38, 0.1, 0.5);
INSERT INTO t (id) VALUES (4);
UPDATE t SET vc = 'changed', i = i + 1, f = 0.1 WHERE id = 1;
UPDATE t SET y = 1901, tm = '838:59:59' WHERE id = 2;
DELETE FROM t WHERE id = 3;
CREATE TABLE g (id INT PRIMARY KEY, g GEOMETRY, t1 TEXT CHARACTER SET latin1,
    t2 VARCHAR(10) CHARACTER SET utf8mb4, p POINT, b BLOB,
    t3 CHAR(5) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb3;
INSERT INTO g VALUES (1, ST_GeomFromText('POINT(3 4)'), 'ÿé', '日本',
    ST_GeomFromText('POINT(5 6)'), 0x0102, 'àb');
SET sql_mode = '';
CREATE TABLE x (id INT PRIMARY KEY, ts3 TIMESTAMP(3) NULL,
    ts6 TIMESTAMP(6) NULL, dt DATETIME, dt2 DATETIME(2), tm TIME(4),
    tm1 TIME(1), e ENUM('a','b'), emo VARCHAR(20) CHARACTER SET utf8mb4,
    u16 VARCHAR(20) CHARACTER SET utf16, cy VARCHAR(20) CHARACTER SET cp1251,
    sj VARCHAR(20) CHARACTER SET sjis, mb MEDIUMBLOB, mt MEDIUMTEXT,
    tb TINYBLOB, ch CHAR(3) CHARACTER SET utf8mb4, bi BINARY(3), f FLOAT,
    d DOUBLE, dz DECIMAL(65,30), dn DECIMAL(4,2), b BIT(7), y YEAR,
    s SET('a','b','c','d','e','f','g','h','i'), j JSON);
INSERT INTO x VALUES (1, '0000-00-00 00:00:00', '1970-01-01 00:00:01.000001',
    '0000-00-00 00:00:00', '2020-01-01 00:00:00.5', '-00:00:00.5',
    '-838:59:58.9', 'c', '😀 emoji', 'ünï', 'Привет', 'ｱｲ日本',
    REPEAT(0x00ff, 40000), REPEAT('ü', 70000), '', 'ab ', 0x61, 1.17549e-38,
    2.2250738585072014e-308, -0.000000000000000000000000000001, -0.01,
    b'1000000', 1901, 'a,i', '"str"');
INSERT INTO x (id, f, d, dn, tm, tm1) VALUES (2, 123456789,
    1.7976931348623157e308, 99.99, '00:00:00', '-00:00:00.1');
INSERT INTO x (id, f, d) VALUES (3, 0.000123457, -1e-5);
SET SESSION binlog_row_image = MINIMAL;
UPDATE t SET vc = 'minimal', s = 'y' WHERE id = 1;
UPDATE g SET t1 = 'x' WHERE id = 1;
DELETE FROM t WHERE id = 4;
SQL
}
mariadb_start
types_sql ty_none | sql || fail "the types SQL failed"
sql "FLUSH BINARY LOGS; SET GLOBAL binlog_row_metadata = FULL"
types_sql ty_full | sql || fail "the types SQL failed"
sql "FLUSH BINARY LOGS"
# a charset glibc's iconv cannot convert: refused, naming the TABLE_MAP
sql "CREATE DATABASE ty_k; CREATE TABLE ty_k.k (id INT PRIMARY KEY,
    kb VARCHAR(10) CHARACTER SET keybcs2); INSERT INTO ty_k.k VALUES (1, 'a');
    FLUSH BINARY LOGS"
cp "$DB_DIR/mariadb-bin.000001" "$TMP/mariadb-no-metadata.000001"
cp "$DB_DIR/mariadb-bin.000002" "$TMP/mariadb-full-metadata.000002"
mariadb_stop
k=$TMP/mariadb-keybcs2.000003
cp "$DB_DIR/mariadb-bin.000003" "$k"
at=$(mariadb-binlog --base64-output=decode-rows "$k" | awk '/^# at / { at = $3 }
    /Table_map: `ty_k`.`k`/ { print at; exit }')
rc=0; "$CAT" "$k" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq 85 "$rc" "exit status on a keybcs2 column"
assert_match "$(cat "$TMP/err")" "^binlogcat: $k: column kb of ty_k.k .*keybcs2.* \
\(TABLE_MAP at ${k##*/}:$at\)$" "the charset error names the file and the TABLE_MAP"
ls "$TMP"/mariadb-*-metadata.00000? "$LIB_DIR"/fixtures/files/*.binlog \
    >>"$TMP/list"

ASAN=""
if command -v clang >/dev/null; then
	build_decoder clang "$TMP/binlogcat_asan" \
	    -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    "$LIB_DIR/../binlogcat/binlogcat.c" ||
	    hard_error "building binlogcat with ASan: $(cat "$TMP/cc.err")"
	ASAN=$TMP/binlogcat_asan
else
	note "no clang: the sanitizer runs are skipped (contrib/debian-deps)"
fi

# run BIN FILE OUT: BIN's exit status on FILE, with stdout in OUT.jsonl
# and stderr in OUT.err; fails on a hang, a signal or another status.
run() {
	local rc=0
	timeout -k 5 "$LIMIT" "$1" "$2" >"$3.jsonl" 2>"$3.err" || rc=$?
	case $rc in
	0 | 85) ;;
	124 | 137) fail "$1 $2: still running after ${LIMIT}s" ;;
	*) [ "$rc" -lt 128 ] ||
	       fail "$1 $2: killed by signal $((rc - 128)): $(tail -5 "$3.err")"
	   fail "$1 $2: exit $rc (0 or 85 expected): $(tail -5 "$3.err")" ;;
	esac
	echo "$rc" >"$3.rc"
}

mkdir "$TMP/d"
D=$TMP/d
n=0
while read -r f; do
	n=$((n + 1))
	printf '%s\t%s\n' "$n" "$f" >>"$D/files"
	run "$CAT" "$f" "$D/$n"
	if [ -n "$ASAN" ]; then
		ASAN_OPTIONS=detect_leaks=1:exitcode=66 UBSAN_OPTIONS=exitcode=66 \
		    run "$ASAN" "$f" "$D/$n.asan"
		! grep -qE 'Sanitizer|runtime error' "$D/$n.asan.err" ||
		    fail "sanitizer on $f: $(grep -m3 -E 'ERROR|runtime error' \
		        "$D/$n.asan.err")"
		cmp -s "$D/$n.jsonl" "$D/$n.asan.jsonl" ||
		    fail "$f: the ASan build's records differ from binlogcat's"
	fi
	# mariadb-binlog 10.11 crashes printing the metadata of a 5.1.17
	# TABLE_MAP (it has none): then the rows without it
	{ mariadb-binlog --print-table-metadata --base64-output=decode-rows \
	    -vv "$f" >"$D/$n.mb" 2>"$D/$n.mberr"; } 2>/dev/null ||
	    [ $? -lt 128 ] ||
	    mariadb-binlog --base64-output=decode-rows -vv "$f" >"$D/$n.mb" \
	        2>"$D/$n.mberr" || true
done <"$TMP/list"

# A rows event that does not decode, formatted on the second thread
# (parallel.c) while the reader goes on: the error names the file and
# that event's offset.  The 50th rows event of mdev6020 (no checksums)
# with its last 8 bytes overwritten.
bad=$TMP/mdev6020-bad-rows.000001
at=$(python3 - "$(grep -m1 mdev6020-mysql-bin "$TMP/list")" "$bad" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
off, n = 4, 0
while off + 19 <= len(d):
    size = int.from_bytes(d[off + 9:off + 13], "little")
    if d[off + 4] in (23, 30):
        n += 1
        if n == 50:
            d[off + size - 8:off + size] = b"\xff" * 8
            print(off)
            break
    off += size
open(sys.argv[2], "wb").write(d)
PY
)
[ -n "$at" ] || hard_error "no 50th rows event in mdev6020-mysql-bin.000001"
rc=0; "$CAT" "$bad" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq 85 "$rc" "exit status on a rows event that does not decode"
assert_match "$(cat "$TMP/err")" "^binlogcat: $bad: .* at ${bad##*/}:$at: " \
    "the rows error names the file and the event"

# the comparator notices a wrong value: one digit changed in a record
f=$(grep -m1 mdev6020-mysql-bin "$D/files" | cut -f1)
[ -n "$f" ] || hard_error "no mdev6020-mysql-bin.000001 in mariadb-test-data"
mkdir "$TMP/self"
grep mdev6020-mysql-bin "$D/files" >"$TMP/self/files"
cp "$D/$f.rc" "$D/$f.err" "$D/$f.mb" "$D/$f.mberr" "$TMP/self/"
python3 - "$D/$f.jsonl" >"$TMP/self/$f.jsonl" <<'PY'
import json, sys
done = False
for line in open(sys.argv[1]):
    r = json.loads(line)
    for k, v in r["data"].items():
        if not done and type(v) is int:
            r["data"][k], done = v + 1, True
    print(json.dumps(r))
PY
! cmp -s "$D/$f.jsonl" "$TMP/self/$f.jsonl" ||
    hard_error "the self-check's edit changed nothing"
python3 "$LIB_DIR/integration/testdata.py" "$TMP/self" >/dev/null 2>&1 &&
    fail "testdata.py passed a record with a changed value"

python3 "$LIB_DIR/integration/testdata.py" "$D" >"$TMP/report" ||
    { cat "$TMP/report" >&2; fail "binlogcat and mariadb-binlog disagree"; }
cat "$TMP/report" >&2
note "$(wc -l <"$TMP/list") files: $(tail -1 "$TMP/report")"
