#!/bin/bash
# fixtures.sh: binlogcat on the real MySQL/MariaDB binlogs of tests/fixtures
# prints the values tests/fixtures/MANIFEST.md states for each file (values
# from the upstream tests and from mariadb-binlog / connector-java, never
# from our output), and refuses corrupt or truncated files with exit 85.
. "$(dirname "$0")/../lib.sh"

FIX=$LIB_DIR/fixtures/files
CAT=${BINLOGD_TEST_SBINDIR:+$BINLOGD_TEST_SBINDIR/../bin/}binlogcat
command -v "$CAT" >/dev/null || hard_error "binlogcat not installed ($CAT)"

for f in "$FIX"/*.binlog; do
	"$CAT" "$f" >"$TMP/$(basename "$f" .binlog).jsonl" 2>"$TMP/err" ||
	    fail "binlogcat $(basename "$f"): $(cat "$TMP/err")"
done

python_check "$TMP" "$FIX" <<'PY'
import base64, json, re, sys
from decimal import Decimal
from records import fail

tmp, fix = sys.argv[1], sys.argv[2]

def recs(name):
    with open(f"{tmp}/{name}.jsonl") as f:
        return [json.loads(l, parse_float=Decimal) for l in f]

def eq(what, got, want):
    if got != want:
        fail(f"{what}: got {got!r}, want {want!r}")

def rows(name, typ=None):
    return [r for r in recs(name) if typ is None or r["type"] == typ]

# 1. JSON documents, the generated columns, the U2 and the partial update
r = rows("mysql-8.0.22-json-partial-update")
people = [("Joe", 24, "x"), ("Sue", 32, "y"), ("Pete", 40, "z")] * 2
ins = [x for x in r if x["type"] == "insert"]
eq("json inserts", len(ins), 6)
for i, (x, (name, age, ch)) in enumerate(zip(ins, people)):
    eq(f"insert {i+1}", x["data"], {"@1": i + 1, "@2": {"age": age,
       "data": ch * 10, "name": name}, "@3": name, "@4": age})
upd = [x for x in r if x["type"] == "update"]
eq("updates", len(upd), 12)
for i, (x, (name, age, ch)) in enumerate(zip(upd[:6], people)):
    eq(f"U2 {i+1}", x["data"]["@2"], {"age": age + 1, "data": ch * 10,
       "name": name})
    eq(f"U2 {i+1} old", x["old"]["@4"], age)
for i, (x, (name, age, ch)) in enumerate(zip(upd[6:], people)):
    eq(f"partial {i+1} id", x["data"]["@1"], i + 1)
    eq(f"partial {i+1} age", x["data"]["@4"], age + 2)
    eq(f"partial {i+1} diffs", x["json_diffs"], {"@2": [{"op": "replace",
       "path": "$.age", "value": age + 2}]})
    if "@2" in x["data"]:
        fail("a partial JSON column without its before document is in data")

# 2. JSON opaques, in MySQL's text form: compare the raw text
raw = [l for l in open(f"{tmp}/mysql-9.0.1-json-opaque.jsonl")]
want = ['{"a": "base64:type15:VQ=="}', '{"b": "2012-03-18"}',
        '{"c": "2012-03-18 11:30:45.000000"}', '{"c": "87:31:46.654321"}',
        '{"d": 123.456}', '{"e": 9.00}', '{"e": [0, 1, true, false]}',
        '{"e": null}']
eq("opaque rows", len(raw), 8)
for l, w in zip(raw, want):
    if '"data":{"a":' + w + '}' not in l:
        fail(f"opaque: want {w} in {l}")

# 3, 4. TRANSACTION_PAYLOAD
r = rows("mysql-8.0.32-transaction-compression")
eq("payload rows", [(x["type"], x["data"], x.get("xid")) for x in r],
   [("insert", {"@1": 1}, 462)])
eq("payload position", r[0]["position"],
   "mysql-8.0.32-transaction-compression.binlog:274")
r = rows("mysql-8.0.28-transaction-compression-update")
eq("payload update", len(r), 1)
d = r[0]["data"]
eq("movie", (d["@1"], d["@2"], d["@3"], d["@4"], d["@5"]),
   (1, "Once Upon a Time in the West", 1968, "Italy", "Western|Action"))
eq("movie old", r[0]["old"], {"@5": "Western"})

# 5. GTIDs, ROWS_QUERY, ENUM/SET numbers (MINIMAL), DATE, TIMESTAMP, JSON
r = rows("mysql-8.0.31-gtid-compressed-rowsquery")
eq("gtids", [x["gtid"] for x in r], ["76f3e7be-6720-11ed-9cad-0242ac110002:"
   + n for n in ("12", "13", "13")])
eq("query", r[0]["query"], "insert into b values(1)")
u = r[1]
if not u["query"].startswith("update test_table_3 set enum_field='large'"):
    fail(f"query {u['query']!r}")
eq("55555", (u["data"]["@1"], u["data"]["@7"], u["data"]["@8"],
   u["data"]["@11"], u["data"]["@10"]),
   (55555, 4, 4, "product_3_value", {"c": 1}))
eq("55555 old", (u["old"]["@8"], u["old"]["@11"]), (8, "product_item_2_value"))
i = r[2]["data"]
eq("6666", (i["@1"], i["@3"], i["@6"], i["@10"]),
   (6666, "2022-11-20", "2022-11-20 13:53:32", {"c": 1}))

# 6. FULL metadata: names, ENUM and SET by name
r = rows("mysql-8.0.28-gtid-full-metadata-enum-set")
eq("enum-set types", [x["type"] for x in r], ["insert", "update", "delete"])
d = r[0]["data"]
eq("f1", d["f1"], ("0123456789" * 10))
# MANIFEST says "a 300-char string"; mariadb-binlog's text has 298
f2 = re.search(r"@2='([0-9]+)'", open(f"{fix}/expected/mysql-8.0.28-gtid-"
    "full-metadata-enum-set.mariadb-binlog.txt").read()).group(1)
eq("f2", d["f2"], f2)
eq("f3 f4 f5", (d["f3"], d["f4"], d["f5"]), ("var1", ["one", "three"],
   "0123456789"))
d = r[1]["data"]
eq("updated", (d["f1"], d["f2"], d["f3"], d["f4"], d["f5"]),
   ("field1", "field_2", "variant2", ["two", "four"], f2))
eq("deleted", r[2]["data"], r[1]["data"])
eq("gtid", r[0]["gtid"], "93e95066-a2f4-11ec-9b69-9657f0ae95e2:3")

# 7. invisible columns, unsigned, BLOB as base64, NULLs
r = rows("mysql-8.0.26-full-metadata-invisible-columns")
b64 = lambda b: base64.b64encode(b).decode()
eq("invisible 1", r[0]["data"], {"f1": 1, "f2": 2, "f3": -3, "f4": "4",
   "f5": b64(b"\x05"), "f6": 6000000000})
eq("invisible 2", r[1]["data"], {"f1": None, "f2": None, "f3": -33,
   "f4": "44", "f5": b64(b"\x55"), "f6": None})
eq("invisible 3", r[2]["data"], {"f1": 111, "f2": 222, "f3": -333,
   "f4": "444", "f5": b64(b"\x55"), "f6": None})

# 8. BIT as its number
eq("bit", rows("mysql-8.0.26-full-metadata-bit")[0]["data"],
   {"a": 0b100, "b": "foo", "c": 0b00100000})

# 9, 10. negative TIME2; MINIMAL image and SIGNEDNESS
eq("time", rows("mysql-8.0.40-time-negative")[0]["data"], {"@1": "-507:48:27"})
eq("minimal", rows("mysql-8.0.40-minimal-metadata-unsigned")[0]["data"],
   {"@1": 1, "@3": "a", "@5": 3230202323})

# 11. tagged GTID, DECIMAL
r = rows("mysql-9.6.0-gtid-tagged-decimal")
eq("tagged gtid", r[0]["gtid"], "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3")
eq("orders", r[0]["data"], {"@1": 3, "@2": 100, "@3": Decimal("250.00")})
eq("orders scale", str(r[0]["data"]["@3"]), "250.00")

# 12. VECTOR as an array of float32
r = rows("mysql-9.0.1-vector-full-metadata")
foo = [x["data"] for x in r if x["table"] == "foo" and x["type"] == "insert"]
eq("vector", [(d["id"], [float(v) for v in d["vector_column"]]) for d in foo[:2]],
   [(1, [1.1, 2.2, 3.3]), (2, [1.0, -1.0, 0.0])])
# bar (id, VECTOR(2), TEXT, VECTOR(4)): MySQL 9 gives VECTOR a slot in the
# charset metadata, so foo's utf8mb4 is the second slot's, not binary
bar = [x["data"] for x in r if x["table"] == "bar" and x["type"] == "insert"]
eq("vector text", [d["foo"] for d in bar[:2]], [None, "bar"])

# 13. MySQL 5.7
r = rows("mysql-5.7.40-gtid")
eq("5.7", [(x["type"], x["table"], x["data"]) for x in r],
   [("delete", "b", {"@1": 12})] * 4 + [("insert", "b", {"@1": 12})] * 2 +
   [("insert", "emoji", {"@1": 2, "@2": ""})])
eq("5.7 gtid", r[0]["gtid"], "58cf6502-63db-11ed-8079-0242ac110002:53")

# 14. Percona 5.7
r = rows("percona-5.7.24-gtid-decimal")
eq("percona", [(x["data"]["@1"], str(x["data"]["@2"]), x["data"]["@3"])
   for x in r], [(1, "0.10000", "zero point one"), (2, "1.00000",
   "one point zero")])
eq("percona gtid", (r[0]["gtid"], r[0]["ts"]),
   ("87cee3a4-6b31-11e7-bdfd-0d98d6698870:14918", 1550192291))

# 15. every DECIMAL of 17 rows against mariadb-binlog -vv's text (expected/)
want, row = [], None
for l in open(f"{fix}/expected/percona-5.6.16-decimal.mariadb-binlog.txt"):
    m = re.match(r"###   @(\d+)=(\S+)", l)
    if m:
        if m.group(1) == "1":
            row = {}
            want.append(row)
        row["@" + m.group(1)] = m.group(2)
r = rows("percona-5.6.16-decimal")
eq("decimal rows", len(r), len(want))
eq("decimal rows count", len(r), 17)
for x, w in zip(r, want):
    eq(f"decimal row {w['@1']}", {k: format(v, "f") if isinstance(v,
       Decimal) else str(v) for k, v in x["data"].items()}, w)

# 16. MariaDB 10.5, FULL metadata, ANNOTATE_ROWS, WRITE_ROWS v1
r = rows("mariadb-10.5.15-gtid-full-metadata")
eq("mariadb", [(x["gtid"], x["data"]["id"], x["data"]["topic"],
   x["data"]["event_type"], base64.b64decode(x["data"]["event"]),
   x["data"]["created"]) for x in r],
   [("0-1-1", 62, "foo", "JSON", b'{"foo":1}', "2022-04-20 22:18:04"),
    ("0-1-2", 63, "foo", "JSON", b'{"foo":1}', "2022-04-20 22:19:55")])
eq("annotate", r[0]["query"], "insert into outbox (topic, event_type, "
   "event) values ('foo', 'JSON', '{\"foo\":1}')")
PY

# A flipped byte inside an event is a CRC error naming the position; a cut
# file is an error naming the offset; both exit 85 (BX_DECODE).
f=$FIX/mysql-8.0.40-time-negative.binlog
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[400]^=1; open(sys.argv[2],"wb").write(d)' "$f" "$TMP/bad.binlog"
rc=0; "$CAT" "$TMP/bad.binlog" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq 85 "$rc" "exit code on a CRC mismatch"
assert_match "$(cat "$TMP/err")" "CRC32 mismatch" "CRC error message"
head -c 420 "$f" >"$TMP/cut.binlog"
rc=0; "$CAT" "$TMP/cut.binlog" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq 85 "$rc" "exit code on a truncated file"
assert_match "$(cat "$TMP/err")" "offset [0-9]+ claims" "truncation message"
# A flipped byte in the file's last rows event: the same error naming
# that event, every transaction committed before it written whole, and
# none of its own transaction's records.
vf=$FIX/mysql-9.0.1-vector-full-metadata.binlog
mkdir "$TMP/badrows"  # the same name: records carry the file's name
rows_at=$(python3 - "$vf" <<'PY'
import sys
d, off, last = open(sys.argv[1], "rb").read(), 4, None
while off + 13 <= len(d):
    if d[off + 4] in (23, 24, 25, 30, 31, 32, 39):
        last = off
    off += int.from_bytes(d[off + 9:off + 13], "little")
print(last)
PY
)
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[int(sys.argv[3])+25]^=1; open(sys.argv[2],"wb").write(d)' "$vf" "$TMP/badrows/${vf##*/}" "$rows_at"
"$CAT" "$vf" >"$TMP/goodrows.jsonl" || fail "binlogcat on $vf"
python3 - "$TMP/goodrows.jsonl" >"$TMP/badrows.want" <<'PY'
import json, sys
lines = open(sys.argv[1]).readlines()
ends = [i for i, l in enumerate(lines) if json.loads(l).get("commit")]
assert ends[-1] == len(lines) - 1
sys.stdout.write("".join(lines[:ends[-2] + 1]))
PY
[ -s "$TMP/badrows.want" ] || fail "no transaction before the last in $vf"
rc=0; "$CAT" "$TMP/badrows/${vf##*/}" >"$TMP/badrows.jsonl" 2>"$TMP/err" || rc=$?
assert_eq 85 "$rc" "exit code on a CRC mismatch in a rows event"
assert_match "$(cat "$TMP/err")" \
    "ROWS event \(type [0-9]+\) at ${vf##*/}:$rows_at: CRC32 mismatch" \
    "the rows event's CRC error names it"
cmp -s "$TMP/badrows.want" "$TMP/badrows.jsonl" ||
    fail "records beside a bad rows event: $(diff "$TMP/badrows.want" \
        "$TMP/badrows.jsonl" | head -5)"
rc=0; "$CAT" "$LIB_DIR/lib.sh" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq 85 "$rc" "exit code on a file that is not a binlog"
# Several files: a bad one is reported and the rest still read; the
# status is the first failure's.  Each error names the file and where in
# it the failing event starts, found here by walking the event sizes.
event_at() {
	python3 - "$1" "$2" <<'PY'
import sys
d, want, off = open(sys.argv[1], "rb").read(), int(sys.argv[2]), 4
while off + 13 <= len(d):
    size = int.from_bytes(d[off + 9:off + 13], "little")
    if off <= want < off + size:
        print(off)
        break
    off += size
PY
}
good=$FIX/mysql-5.7.40-gtid.binlog
good2=$FIX/percona-5.7.24-gtid-decimal.binlog
"$CAT" "$good" "$good2" >"$TMP/two.jsonl" || fail "binlogcat on two good files"
rc=0
"$CAT" "$TMP/bad.binlog" "$good" "$TMP/missing.binlog" "$TMP/cut.binlog" \
    "$good2" >"$TMP/five.jsonl" 2>"$TMP/err" || rc=$?
assert_eq 85 "$rc" "exit code: the first failure's (a CRC mismatch)"
cmp -s "$TMP/two.jsonl" "$TMP/five.jsonl" ||
    fail "the good files' records differ beside bad files: $(diff \
        "$TMP/two.jsonl" "$TMP/five.jsonl" | head -5)"
assert_eq 3 "$(wc -l <"$TMP/err")" "one error line per bad file"
at=$(event_at "$TMP/bad.binlog" 400)
assert_match "$(sed -n 1p "$TMP/err")" \
    "^binlogcat: $TMP/bad.binlog: .* at bad.binlog:$at: CRC32 mismatch" \
    "the CRC error names the file and the event"
assert_match "$(sed -n 2p "$TMP/err")" "^binlogcat: $TMP/missing.binlog: " \
    "a missing file is named"
at=$(event_at "$f" 419)
assert_match "$(sed -n 3p "$TMP/err")" \
    "^binlogcat: $TMP/cut.binlog: event at offset $at claims" \
    "the truncation names the file and the event"
rc=0; "$CAT" "$TMP/missing.binlog" "$TMP/cut.binlog" >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "exit code: the first failure's (a missing file)"
note "16 fixture files decode to their manifest's values"
