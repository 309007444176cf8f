#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# types.sh: a table with a column of every MariaDB type, rows at each type's
# boundaries (min/max integers, DECIMAL(65,30), zero dates, negative TIME,
# 4-byte UTF-8 in three charsets, empty and 1 MB BLOBs, NULLs) inserted,
# updated and deleted: every record value equals what the server's own
# SELECT says (each column cast or HEXed to a canonical text, TIMESTAMPs in a
# UTC session after inserting them at -07:00), and mariadb-binlog -vv agrees
# on a sample of columns.  TYPES_METADATA (types_full.sh) sets
# binlog_row_metadata; TYPES_COMPRESS (compress.sh) turns log_bin_compress on.
# The reader formats every row itself here (decode_threads = 1); those two
# run with binlogd's default, a second thread (parallel.c).
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

opts=(--binlog-row-metadata="${TYPES_METADATA:-MINIMAL}")
if [ -n "${TYPES_COMPRESS:-}" ]; then
	opts+=(--log-bin-compress=ON --log-bin-compress-min-len=10)
fi
mariadb_start "${opts[@]}"
# information_schema holds ENUM names in utf8mb3 (an emoji reads as "?"):
# names outside the BMP are right only when the TABLE_MAP carries them.
big="large Ω"
[ "${TYPES_METADATA:-}" = FULL ] && big="large 🚀"

# name, SQL type (_ for spaces), canonical form: num (CAST(x + 0 AS
# CHAR), for BIT and YEAR), chr (CAST AS CHAR), flt/dbl (a float32/float64 compared by value), hex (the bytes),
# utf (the text's UTF-8 bytes), set (the members, comma-separated).
COLUMNS="id INT_PRIMARY_KEY chr
ti TINYINT chr
tu TINYINT_UNSIGNED chr
si SMALLINT chr
su SMALLINT_UNSIGNED chr
mi MEDIUMINT chr
mu MEDIUMINT_UNSIGNED chr
i INT chr
iu INT_UNSIGNED chr
bi BIGINT chr
bu BIGINT_UNSIGNED chr
d65 DECIMAL(65,30) chr
d52 DECIMAL(5,2) chr
d10 DECIMAL(10,0)_UNSIGNED chr
f FLOAT flt
db DOUBLE dbl
b1 BIT(1) num
b64 BIT(64) num
y YEAR num
dt DATE chr"
for n in 0 1 2 3 4 5 6; do
	COLUMNS+="
t$n TIME($n) chr
dt$n DATETIME($n) chr
ts$n TIMESTAMP($n)_NULL chr"
done
COLUMNS+="
c4 VARCHAR(50)_CHARACTER_SET_utf8mb4 utf
c3 VARCHAR(50)_CHARACTER_SET_utf8mb3 utf
cl VARCHAR(50)_CHARACTER_SET_latin1 utf
ch CHAR(10)_CHARACTER_SET_utf8mb4 utf
ch255 CHAR(255)_CHARACTER_SET_utf8mb4 utf
tx TEXT_CHARACTER_SET_utf8mb4 utf
tl TEXT_CHARACTER_SET_latin1 utf
bn BINARY(8) hex
vb VARBINARY(300) hex
tb TINYBLOB hex
mb MEDIUMBLOB hex
e ENUM('small','médium','${big// /_}') chr
s SET('a','b','c','d') set
j JSON utf
g POINT hex
ip INET6 chr
u UUID chr"

ddl="" canon="" ncols=0
while read -r name type form; do
	type=${type//_/ }
	ddl+="${ddl:+, }$name $type"
	case $form in
	num) canon+="'$name', CAST($name + 0 AS CHAR), " ;;
	chr|flt|dbl|set) canon+="'$name', CAST($name AS CHAR), " ;;
	hex) canon+="'$name', HEX($name), " ;;
	utf) canon+="'$name', HEX(CONVERT($name USING utf8mb4)), " ;;
	esac
	ncols=$((ncols + 1))
done <<<"$COLUMNS"
IMG="JSON_OBJECT(${canon%, })"
printf '%s\n' "$COLUMNS" >"$TMP/columns"

sql "SET sql_mode = ''; CREATE DATABASE ty;
    CREATE TABLE ty.t ($ddl) DEFAULT CHARSET = utf8mb4"

if [ -z "${TYPES_METADATA:-}${TYPES_COMPRESS:-}" ]; then
	BL_EXTRA_STREAM="decode_threads = 1" binlogd_start
else
	binlogd_start
fi

# The SQL that prints the expected records "type<TAB>image" of the rows
# matching WHERE: images are taken in a UTC session (TIMESTAMPs in UTC),
# the change runs at -07:00 with zero dates allowed.
EXPECTED=$TMP/expected.tsv
utc="SET time_zone = '+00:00';"
local_tz="SET time_zone = '-07:00';"
change() { # type where statement
	local q="SET sql_mode = '';"
	[ "$1" = delete ] &&
	    q+="$utc SELECT 'delete', $IMG FROM ty.t WHERE $2 ORDER BY id;"
	q+="$local_tz $3; $utc"
	[ "$1" = delete ] ||
	    q+="SELECT '$1', $IMG FROM ty.t WHERE $2 ORDER BY id;"
	sql "$q" >>"$EXPECTED"
}

maxes="1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
    9223372036854775807, 18446744073709551615,
    '99999999999999999999999999999999999.999999999999999999999999999999',
    999.99, 9999999999, 3.40282e38, 1.7976931348623157e308, b'1',
    b'1111111111111111111111111111111111111111111111111111111111111111',
    2155, '9999-12-31'"
mins="2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
    -9223372036854775808, 0,
    '-99999999999999999999999999999999999.999999999999999999999999999999',
    -999.99, 0, -1.17549e-38, -2.2250738585072014e-308, b'0', b'0', 0,
    '0000-00-00'"
mids="4, 0, 1, -1, 2, -3, 4, -5, 6, -7, 8,
    '-12345.678901234567890123456789012345', -0.5, 42, 0.1, 0.1, b'1',
    b'1000000000000000000000000000000000000000000000000000000000000001',
    1901, '2024-02-29'"
for n in 0 1 2 3 4 5 6; do
	maxes+=", '838:59:59.999999', '9999-12-31 23:59:59.999999',
	    '2038-01-18 20:14:07.999999'"
	mins+=", '-838:59:59.999999', '0000-00-00 00:00:00',
	    '0000-00-00 00:00:00'"
	mids+=", '-00:00:01.500001', '1000-01-01 00:00:00.000001',
	    '1969-12-31 17:00:01.5'"
done
maxes+=", 'Grüße 東京 🚀', 'Ωmega ü', 'naïve café ÿ', '🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀',
    REPEAT('é', 255), 'two\nlines, \"quoted\" \\\\ back', 'Ærø ß',
    x'0102030405060708', REPEAT(x'FF', 300), REPEAT(x'AB', 255),
    REPEAT(x'00FF80', 340000), '$big', 'a,b,c,d',
    '{\"k\": [1, 2.5, \"x\", null, true], \"🚀\": {}}', POINT(1, 2),
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    'ffffffff-ffff-ffff-ffff-ffffffffffff'"
mins+=", '', '', '', '', '', '', '', x'00', '', '', '', 'small', '', '[]',
    POINT(-1.5, 2.25), '::', '00000000-0000-0000-0000-000000000000'"
mids+=", 'a', 'b', 'c', ' x ', 'y', 'z', 'w', x'01', x'00', x'00', x'00',
    'médium', 'b,d', '{}', POINT(0, 0), '2001:db8::ff00:42:8329',
    '123e4567-e89b-12d3-a456-426614174000'"
nulls="3$(printf ', NULL%.0s' $(seq 2 "$ncols"))"

change insert "id = 1" "INSERT INTO ty.t VALUES ($maxes)"
change insert "id IN (2, 3, 4)" "INSERT INTO ty.t VALUES ($mins), ($nulls),
    ($mids)"
change update "id = 4" "UPDATE ty.t SET mb = REPEAT(x'7F', 1000000),
    ts3 = '2001-02-03 04:05:06.789', c4 = 'ça va 🙂', s = '', e = '$big',
    ip = '::ffff:192.0.2.1', u = 'abcdef01-2345-6789-abcd-ef0123456789',
    d65 = -0.000000000000000000000000000001, t6 = '-00:00:00.000001'
    WHERE id = 4"
change update "id IN (1, 3)" "UPDATE ty.t SET c4 = NULL, ti = 5, tb = NULL
    WHERE id IN (1, 3)"
change delete "id = 2" "DELETE FROM ty.t WHERE id = 2"
change delete "id IN (1, 3, 4)" "DELETE FROM ty.t"

# 1 + 3 + 1 + 2 + 1 + 3 rows
wait_for_records 11
binlogd_stop
read -r binlog_file _ <<<"$(master_position)"
mariadb-binlog --no-defaults --base64-output=decode-rows -vv \
    "$DB_DIR/$binlog_file" >"$TMP/mariadb-binlog.txt" ||
    fail "mariadb-binlog could not read $binlog_file"
if [ -n "${TYPES_COMPRESS:-}" ]; then
	# the server's own reading: the rows and the DDL were compressed
	assert_match "$(grep -c '_compressed_rows: table id' \
	    "$TMP/mariadb-binlog.txt")" '^([4-9]|[1-9][0-9]+)$' \
	    "compressed ROWS events in $binlog_file"
	assert_match "$(grep -c 'Query_compressed' "$TMP/mariadb-binlog.txt")" \
	    '^[1-9]' "compressed QUERY events in $binlog_file"
fi

python_check "$EXPECTED" "$RECORDS" "$TMP/columns" "$TMP/mariadb-binlog.txt" \
    <<'EOF'
import base64, json, re, struct, sys
from records import fail, load_records
expected_path, records_path, columns_path, verbose_path = sys.argv[1:]

forms = {}
names = []
for line in open(columns_path, encoding="utf-8"):
    name, _, form = line.split()
    forms[name] = form
    names.append(name)

def raw(line):
    """A record with every number as its text, to compare digits."""
    return json.loads(line, parse_int=str, parse_float=str)

def canon(name, v):
    """Our value in the form the server's canonical SELECT gives."""
    form = forms[name]
    if v is None:
        return None
    if form == "hex":
        return base64.b64decode(v, validate=True).hex().upper()
    if form == "utf":
        return v.encode("utf-8").hex().upper()
    if form == "set":
        return ",".join(v) if isinstance(v, list) else f"bitmap {v}"
    if form == "flt":
        return struct.pack("<f", float(v))
    if form == "dbl":
        return struct.pack("<d", float(v))
    return v

def server(name, v):
    form = forms[name]
    if v is None:
        return None
    if form == "flt":
        return struct.pack("<f", float(v))
    if form == "dbl":
        return struct.pack("<d", float(v))
    return v

want = []
for line in open(expected_path, encoding="utf-8"):
    kind, img = line.rstrip("\n").split("\t", 1)
    want.append((kind, json.loads(img)))
with open(records_path, encoding="utf-8") as f:
    got = [raw(l) for l in f]
if len(got) != len(want):
    fail(f"expected {len(want)} records, got {len(got)}")

bad = 0
for n, ((kind, img), rec) in enumerate(zip(want, got), 1):
    if (rec.get("database"), rec.get("table"), rec.get("type")) != \
            ("ty", "t", kind):
        fail(f"record {n}: expected a {kind} on ty.t, got {rec}")
    data = rec.get("data") or {}
    if sorted(data) != sorted(names):
        fail(f"record {n}: columns {sorted(data)}, expected {sorted(names)}")
    for name in names:
        e, g = server(name, img[name]), canon(name, data[name])
        if e != g:
            bad += 1
            print(f"record {n} ({kind} id {img['id']}) column {name} "
                  f"({forms[name]}): server {str(e)[:120]!r}, "
                  f"binlogd {str(g)[:120]!r} (raw {str(data[name])[:80]!r})",
                  file=sys.stderr)
if bad:
    fail(f"{bad} values differ from the server's")

# mariadb-binlog -vv: "### INSERT INTO ...", "### SET"/"### WHERE", then
# "###   @N=value /* TYPE meta=... */" per column.
images, cur = [], None
for line in open(verbose_path, encoding="utf-8", errors="replace"):
    m = re.match(r"### (INSERT INTO|UPDATE|DELETE FROM) `ty`.`t`", line)
    if m:
        kind = {"INSERT INTO": "insert", "UPDATE": "update",
                "DELETE FROM": "delete"}[m.group(1)]
        continue
    if line.startswith("### SET") or line.startswith("### WHERE"):
        cur = {}
        # an update's WHERE is the before image: keep the SET one
        if not (kind == "update" and line.startswith("### WHERE")):
            images.append((kind, cur))
        continue
    m = re.match(r"###   @(\d+)=(.*?)(?: /\* .* \*/)?$", line.rstrip("\n"))
    if m and cur is not None:
        cur[int(m.group(1))] = m.group(2)
if len(images) != len(got):
    fail(f"mariadb-binlog shows {len(images)} row images, we wrote "
         f"{len(got)} records")

def mb(name, v):
    """mariadb-binlog's text: a negative integer as "-1 (255)", the
    unsigned reading in parentheses; dates 'Y:M:D'."""
    m = re.fullmatch(r"(-?\d+) \((\d+)\)", v)
    if m:
        return m.group(2 if name in ("tu", "su", "mu", "iu", "bu") else 1)
    if v == "NULL":
        return None
    if re.fullmatch(r"'\d{4}:\d\d:\d\d'", v):
        return v.strip("'").replace(":", "-")
    return v.strip("'")

sample = ["id", "ti", "tu", "su", "mu", "iu", "bi", "bu", "d65", "d52",
          "dt", "t0", "t6", "dt0", "dt6"]
checked = 0
for n, ((kind, img), rec) in enumerate(zip(images, got), 1):
    if kind != rec["type"]:
        fail(f"row {n}: mariadb-binlog has a {kind}, we a {rec['type']}")
    for name in sample:
        v = img.get(names.index(name) + 1)
        ours = rec["data"][name]
        if v is None:
            fail(f"row {n}: mariadb-binlog has no @{names.index(name) + 1}")
        if mb(name, v) != ours:
            fail(f"row {n} column {name}: mariadb-binlog says {v!r}, "
                 f"we {ours!r}")
        checked += 1
print(f"{len(got)} records x {len(names)} columns equal the server's "
      f"SELECT; {checked} values agree with mariadb-binlog -vv")
EOF
