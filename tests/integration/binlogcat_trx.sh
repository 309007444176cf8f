#!/bin/bash
# binlogcat_trx.sh: transactions in binlogs nobody here wrote, from
# MariaDB's own test suite (Debian package mariadb-test-data), against
# mariadb-binlog's reading of the same files.
#  1. mdev6020-mysql-bin.000001 (SAVEPOINTs inside transactions): one
#     commit mark per XID event, every row with its transaction's GTID.
#  2. ver_5_1_23.001 (LOAD DATA as BEGIN_LOAD_QUERY/EXECUTE_LOAD_QUERY,
#     statement-logged DML): exit 0, one warning per statement-logged
#     change; with -s exit 85.
#  3. bug40482-bin.000001 (an INCIDENT event): a warning naming it, exit 85.
#  4. invalid_row_v2_tag.001: the failure named is the first failing
#     event's, in 200 runs of two racing formatting threads.
#  5. the records of mdev6020's 1,340 transactions go out in blocks of at
#     least 64 KiB (one write(2) or writev(2) each, strace), not one per
#     transaction;
#     into a full disk, exit 1 naming the failure; and so when only the
#     last block, written at the end of the file, fails (a file size
#     limit a few bytes short): every byte before the limit written.
#  6. mdev6020 cut inside a transaction past its middle: exit 85 naming
#     the event, and every record of the transactions committed before
#     (mariadb-binlog's XIDs), though they wait to fill a block; of the
#     one cut, at most some rows without the commit mark.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

BINLOGCAT=${BINLOGD_TEST_SBINDIR:+$BINLOGD_TEST_SBINDIR/../bin/}binlogcat
command -v "$BINLOGCAT" >/dev/null ||
    hard_error "binlogcat not installed ($BINLOGCAT)"
TD=/usr/share/mysql/mysql-test
[ -d "$TD" ] || hard_error "$TD missing: install mariadb-test-data" \
    "(contrib/debian-deps install)"
find_file() {
	find "$TD" -name "$1" -print -quit
}

# --- 1. SAVEPOINTs
f=$(find_file mdev6020-mysql-bin.000001)
"$BINLOGCAT" "$f" >"$TMP/mdev6020.jsonl" 2>"$TMP/mdev6020.err" ||
    fail "binlogcat $f: $(cat "$TMP/mdev6020.err")"
mariadb-binlog "$f" 2>/dev/null >"$TMP/mdev6020.txt"
xids=$(grep -c 'Xid = ' "$TMP/mdev6020.txt")
assert_le 1000 "$xids" "XID events mariadb-binlog shows"
python_check "$TMP/mdev6020.jsonl" "$TMP/mdev6020.txt" <<'PY'
import re, sys
from records import load_records, fail
recs = load_records(sys.argv[1])
text = open(sys.argv[2], errors="replace").read()
xids = [int(x) for x in re.findall(r"Xid = (\d+)", text)]
gtids = set(re.findall(r"GTID (\d+-\d+-\d+)", text))
marks = [r["xid"] for r in recs if r.get("commit")]
# transactions with rows, each marked once, with the XID that ended it
if len(marks) != len(set(marks)) or not set(marks) <= set(xids):
    fail(f"{len(marks)} commit marks, not one per XID of {len(xids)}")
if len(marks) < len(xids) * 9 // 10:
    fail(f"{len(marks)} commit marks for {len(xids)} XID events")
bad = [r for r in recs if r.get("gtid") not in gtids]
if bad:
    fail(f"{len(bad)} records without one of the file's GTIDs: {bad[0]}")
print(f"binlogcat_trx.sh: {len(recs)} records, {len(marks)} commit marks, "
      f"{len(xids)} XIDs", file=sys.stderr)
PY

# --- 2. statement-logged changes
f=$(find_file ver_5_1_23.001)
rc=0
"$BINLOGCAT" "$f" >/dev/null 2>"$TMP/v51.err" || rc=$?
assert_eq 0 "$rc" "binlogcat's status for a file with statement-logged changes"
# the DML Query and Execute_load_query events mariadb-binlog shows
want=$(mariadb-binlog "$f" 2>/dev/null | grep -ciE \
    '^(insert|update|delete|replace|load data)')
assert_le 1 "$want" "statement-logged changes mariadb-binlog shows"
assert_eq "$want" "$(grep -c 'warning: statement-logged' "$TMP/v51.err")" \
    "warnings, one per statement-logged change"
rc=0
"$BINLOGCAT" -s "$f" >/dev/null 2>&1 || rc=$?
assert_eq 85 "$rc" "binlogcat -s's status for it"

# --- 3. INCIDENT
f=$(find_file bug40482-bin.000001)
rc=0
"$BINLOGCAT" "$f" >/dev/null 2>"$TMP/incident.err" || rc=$?
assert_eq 85 "$rc" "binlogcat's status for a file with an INCIDENT"
assert_match "$(cat "$TMP/incident.err")" "warning: incident at" \
    "the INCIDENT's warning"

# --- 4. the first failure reported is the first failing event's, however
# the two formatting threads race: invalid_row_v2_tag.001's rows events at
# 256, 287 and 320 all lack their TABLE_MAP (before the fix, 1 run in 150
# named 287)
f=$(find_file invalid_row_v2_tag.001)
for ((i = 0; i < 200; i++)); do
	"$BINLOGCAT" "$f" 2>&1 >/dev/null | grep -oE 'invalid_row_v2_tag[.]001:[0-9]+' || true
done | sort | uniq -c >"$TMP/offsets.txt"
assert_eq "200 invalid_row_v2_tag.001:256" "$(sed 's/^ *//' "$TMP/offsets.txt")" \
    "the offsets named in 200 runs"

# --- 5. blocks of records: a write(2) costs microseconds in a VM, more
# than copying 64 KiB; the block is written when full and at the end
command -v strace >/dev/null ||
    hard_error "strace missing (contrib/debian-deps install)"
f=$(find_file mdev6020-mysql-bin.000001)
strace -f -e trace=write,writev -o "$TMP/strace.out" "$BINLOGCAT" "$f" \
    >"$TMP/blocks.jsonl" 2>"$TMP/blocks.err" ||
    fail "binlogcat $f under strace: $(cat "$TMP/blocks.err")"
cmp -s "$TMP/blocks.jsonl" "$TMP/mdev6020.jsonl" ||
    fail "binlogcat's records under strace differ from its records of 1."
bytes=$(wc -c <"$TMP/blocks.jsonl")
writes=$(grep -cE 'writev?\(1,' "$TMP/strace.out" || true)
assert_le 1 "$writes" "binlogcat's write(2)s to stdout"
assert_le "$writes" $((bytes / 65536 + 1)) \
    "binlogcat's write(2)s for $bytes bytes of records"
rc=0
"$BINLOGCAT" "$f" >/dev/full 2>"$TMP/full.err" || rc=$?
assert_eq 1 "$rc" "binlogcat's status writing into a full disk"
assert_match "$(cat "$TMP/full.err")" \
    "writing records to stdout: No space left on device" \
    "binlogcat's message for a full disk"
limit=$(((bytes - 1) / 1024))	# ulimit -f counts KiB
rc=0
(trap '' XFSZ; ulimit -f "$limit"; exec "$BINLOGCAT" "$f") \
    >"$TMP/limited.jsonl" 2>"$TMP/limited.err" || rc=$?
assert_eq 1 "$rc" "binlogcat's status when its last block fails"
assert_match "$(cat "$TMP/limited.err")" \
    "writing records to stdout: File too large" \
    "binlogcat's message when its last block fails"
assert_eq $((limit * 1024)) "$(wc -c <"$TMP/limited.jsonl")" \
    "bytes written up to the limit"
cmp -s "$TMP/limited.jsonl" <(head -c $((limit * 1024)) "$TMP/mdev6020.jsonl") ||
    fail "the records written up to the limit differ from those of 1."

# --- 6. a file cut inside a transaction
# the cut inside the last rows event of the first transaction past the
# middle, the XID before it and its GTID, from mariadb-binlog
read -r cut xid gtid < <(python3 - "$TMP/mdev6020.txt" <<'PY'
import re, sys
events = [(int(m[1]), m[2]) for m in re.finditer(
    r"end_log_pos (\d+)\s+(.*)", open(sys.argv[1], errors="replace").read())]
half = events[-1][0] // 2
xid = gtid = None
for i, (end, what) in enumerate(events):
    if what.startswith("Xid = "):
        xid = what.split()[2]
    elif what.startswith("GTID ") and xid is not None and end > half:
        gtid = what.split()[1]
        j = next(j for j in range(i + 1, len(events))
                 if "_rows: " in events[j][1])
        while "_rows: " in events[j + 1][1]:
            j += 1
        print((events[j - 1][0] + events[j][0]) // 2, xid, gtid)
        break
PY
)
[ -n "$gtid" ] || fail "no transaction found past the middle of $f"
mkdir "$TMP/cut"	# the same name: records name the file
head -c "$cut" "$f" >"$TMP/cut/${f##*/}"
rc=0
"$BINLOGCAT" "$TMP/cut/${f##*/}" >"$TMP/cutrecs.jsonl" 2>"$TMP/cutrecs.err" ||
    rc=$?
assert_eq 85 "$rc" "binlogcat's status for a file cut inside a transaction"
assert_match "$(cat "$TMP/cutrecs.err")" "claims [0-9]+ bytes" \
    "binlogcat's message for the cut"
python_check "$TMP/mdev6020.jsonl" "$TMP/cutrecs.jsonl" "$xid" "$gtid" <<'PY'
import sys
from records import fail
whole = open(sys.argv[1]).read().splitlines(True)
got = open(sys.argv[2]).read().splitlines(True)
xid, gtid = int(sys.argv[3]), sys.argv[4]
ends = [i for i, l in enumerate(whole) if f'"xid":{xid},"commit":true' in l]
if len(ends) != 1:
    fail(f"{len(ends)} records with the commit mark of XID {xid}")
want = whole[:ends[0] + 1]
if got[:len(want)] != want:
    fail(f"{len(got)} records of the cut file; the {len(want)} of the "
         f"transactions before the cut are not their first")
extra = [l for l in got[len(want):]
         if '"commit":true' in l or f'"gtid":"{gtid}"' not in l]
if extra:
    fail(f"after the committed records, not the cut transaction's: {extra[0]}")
print(f"binlogcat_trx.sh: cut at {sys.argv[3]}: {len(want)} records kept, "
      f"{len(got) - len(want)} of the cut transaction", file=sys.stderr)
PY
