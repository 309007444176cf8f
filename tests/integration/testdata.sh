#!/bin/bash
# testdata.sh: binlogcat over every binlog file of the Debian package
# mariadb-test-data (MySQL and MariaDB, 3.23 to 10.x, some corrupt on
# purpose).  Each run exits 0 or 85 within TESTDATA_TIMEOUT seconds, never
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

ASAN=""
if command -v clang >/dev/null; then
	build_decoder clang "$TMP/binlogcat_asan" \
	    -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    "$LIB_DIR/../streamer/binlogcat.c" ||
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
	mariadb-binlog --print-table-metadata --base64-output=decode-rows -vv \
	    "$f" >"$D/$n.mb" 2>"$D/$n.mberr" ||
	    [ $? -lt 128 ] ||
	    mariadb-binlog --base64-output=decode-rows -vv "$f" >"$D/$n.mb" \
	        2>"$D/$n.mberr" || true
done <"$TMP/list"

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
note "$nfiles files: $(tail -1 "$TMP/report")"
