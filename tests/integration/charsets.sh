#!/bin/bash
# charsets.sh: text columns in the server's other character sets (Cyrillic,
# Greek, Hebrew, Arabic, Baltic, Central European, Thai, Chinese, Japanese,
# Korean, UCS-2/UTF-16/UTF-32 with characters outside the BMP), written from
# a utf8mb4 session, inserted, updated and deleted: every record value
# equals the server's own CONVERT(col USING utf8mb4).  Then a keybcs2 column,
# which glibc's iconv cannot convert, stops the streamer with an error naming
# the column and charset instead of writing garbage.  CHARSETS_METADATA
# (charsets_full.sh) sets binlog_row_metadata.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start --binlog-row-metadata="${CHARSETS_METADATA:-MINIMAL}"

# name, SQL type (_ for spaces), a value in that charset's repertoire
COLUMNS="c1251 VARCHAR(40)_CHARACTER_SET_cp1251 Привет,_мир
cw1251 CHAR(12)_CHARACTER_SET_cp1251 Ёлка
k8r TEXT_CHARACTER_SET_koi8r Съешь_же_ещё
k8u CHAR(20)_CHARACTER_SET_koi8u Ґанок_їжак
el VARCHAR(40)_CHARACTER_SET_greek Καλημέρα_κόσμε
he VARCHAR(40)_CHARACTER_SET_hebrew שלום_עולם
l2 VARCHAR(40)_CHARACTER_SET_latin2 Zażółć_gęślą
w1250 TEXT_CHARACTER_SET_cp1250 Příliš_žluťoučký_kůň
ar VARCHAR(40)_CHARACTER_SET_cp1256 مرحبا_بالعالم
bal VARCHAR(40)_CHARACTER_SET_cp1257 Ąžuolas_ėglė
th VARCHAR(40)_CHARACTER_SET_tis620 ภาษาไทย
gbk VARCHAR(40)_CHARACTER_SET_gbk 中文测试_龘
gb VARCHAR(40)_CHARACTER_SET_gb2312 简体中文
b5 TEXT_CHARACTER_SET_big5 繁體中文_測試
sj VARCHAR(40)_CHARACTER_SET_sjis 日本語テキスト
w932 VARCHAR(40)_CHARACTER_SET_cp932 ①ＡＢＣ㈱
uj VARCHAR(40)_CHARACTER_SET_ujis ひらがなカタカナ
ems VARCHAR(40)_CHARACTER_SET_eucjpms 漢字かな
kr VARCHAR(40)_CHARACTER_SET_euckr 한국어_텍스트
u2 VARCHAR(40)_CHARACTER_SET_ucs2 Ωμέγα_ü_日本
u16 VARCHAR(40)_CHARACTER_SET_utf16 Grüße_🚀_𝄞
u16le TEXT_CHARACTER_SET_utf16le 🚀_x_é
u32 CHAR(10)_CHARACTER_SET_utf32 𝄞🚀é
as7 VARCHAR(40)_CHARACTER_SET_ascii plain_\"q\"_\\\\
sw VARCHAR(40)_CHARACTER_SET_swe7 ÅÄÖ_åäö
arm VARCHAR(40)_CHARACTER_SET_armscii8 Բարեւ"

ddl="" canon="" row1="" names=""
while read -r name type value; do
	ddl+=", $name ${type//_/ }"
	canon+=", '$name', HEX(CONVERT($name USING utf8mb4))"
	row1+=", '${value//_/ }'"
	names+=" $name"
done <<<"$COLUMNS"
IMG="JSON_OBJECT('id', id$canon)"
ncols=$(wc -l <<<"$COLUMNS")
empties=$(printf ", ''%.0s" $(seq "$ncols"))
nulls=$(printf ', NULL%.0s' $(seq "$ncols"))

sql "CREATE DATABASE cs; CREATE TABLE cs.t (id INT PRIMARY KEY$ddl)"
# two formatting threads: they share each charset's converter
BL_EXTRA_STREAM="decode_threads = 2" binlogd_start

EXPECTED=$TMP/expected.tsv
change() { # type where statement
	local q=""
	[ "$1" = delete ] && q+="SELECT 'delete', $IMG FROM cs.t WHERE $2;"
	q+="$3;"
	[ "$1" = delete ] || q+="SELECT '$1', $IMG FROM cs.t WHERE $2;"
	sql "$q" >>"$EXPECTED" || hard_error "the server refused: $3"
}
sets=""
for n in $names; do
	sets+="${sets:+, }$n = CONCAT($n, '!')"
done
change insert "id IN (1, 2, 3)" "INSERT INTO cs.t VALUES (1$row1),
    (2$empties), (3$nulls)"
change update "id = 1" "UPDATE cs.t SET $sets WHERE id = 1"
change update "id = 3" "UPDATE cs.t SET u16 = '𝄞', sj = 'ｶﾀｶﾅ', k8r = 'Я'
    WHERE id = 3"
change delete "id IN (1, 2, 3)" "DELETE FROM cs.t"
wait_for_records 8

python_check "$EXPECTED" "$RECORDS" <<'EOF'
import json, sys
from records import fail
expected_path, records_path = sys.argv[1:]
want = []
for line in open(expected_path, encoding="utf-8"):
    kind, img = line.rstrip("\n").split("\t", 1)
    want.append((kind, json.loads(img)))
got = [json.loads(l) for l in open(records_path, encoding="utf-8")]
if len(got) != len(want):
    fail(f"expected {len(want)} records, got {len(got)}")
bad = 0
for n, ((kind, img), rec) in enumerate(zip(want, got), 1):
    if (rec.get("table"), rec.get("type")) != ("t", kind):
        fail(f"record {n}: expected a {kind} on cs.t, got {rec}")
    data = rec["data"]
    if sorted(data) != sorted(img):
        fail(f"record {n}: columns {sorted(data)}, expected {sorted(img)}")
    for name, e in img.items():
        g = data[name]
        if name != "id" and g is not None:
            g = g.encode("utf-8").hex().upper()
        if e != g:
            bad += 1
            s = bytes.fromhex(e).decode("utf-8", "replace") \
                if isinstance(e, str) else e
            print(f"record {n} ({kind} id {img['id']}) column {name}: "
                  f"server {s!r} ({e}), binlogd {data[name]!r}",
                  file=sys.stderr)
if bad:
    fail(f"{bad} values differ from the server's CONVERT(... USING utf8mb4)")
print(f"{len(got)} records x {len(want[0][1])} columns equal the server's")
EOF

# A charset glibc cannot convert: an error naming the column, no record.
n=$(record_count)
sql "CREATE TABLE cs.k (id INT PRIMARY KEY,
    kb VARCHAR(10) CHARACTER SET keybcs2);
    INSERT INTO cs.k VALUES (1, 'abc')"
wait_for_log "column kb of cs.k is in character set keybcs2, which"
assert_eq "$(record_count)" "$n" "records after the keybcs2 row"
binlogd_stop
