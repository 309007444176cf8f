#!/bin/bash
# ddl.sh: binlog/ddlschema.c under ASan and UBSan (clang, libFuzzer):
# first the CREATE/ALTER/RENAME/DROP TABLE statements of MariaDB's own
# test suite (the mariadb-test-data package), each applied, ignored or
# refused with a message and none crashing, the counts noted; then a
# bounded fuzzing run seeded with them.  Skips (77) without clang or the test suite's files.
# FUZZ_SECONDS sets the length of the fuzzing run (default 20).
. "$(dirname "$0")/../lib.sh"

SUITE=/usr/share/mysql/mysql-test
command -v clang >/dev/null || skip "clang is not installed (contrib/debian-deps)"
[ -d "$SUITE" ] || skip "no $SUITE (mariadb-test-data, contrib/debian-deps)"
lib_build clang "$TMP/fuzz_ddl" "$(lib_sources binlog libbinlog_a_SOURCES)
    $LIB_DIR/fuzz/fuzz_ddl.c" "zlib libzstd" \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined ||
    hard_error "building the fuzz target: $(cat "$TMP/cc.err")"

# each statement on one line: the DDL statements of the suite's *.test
# files, outside its DELIMITER blocks, the mysqltest commands and
# variables left in (refused, like any nonsense)
mkdir "$TMP/corpus"
python3 - "$SUITE" >"$TMP/statements" <<'PY'
import glob, re, sys
ddl = re.compile(r"\s*(create( or replace)?( temporary)? table|alter( online)?"
                 r"( ignore)? table|rename table|drop table|create database"
                 r"|truncate)\b", re.I)
for name in sorted(glob.glob(sys.argv[1] + "/**/*.test", recursive=True)):
    stmt, delim = None, ";"
    for line in open(name, encoding="utf-8", errors="replace"):
        line = line.strip()
        m = re.match(r"(?i)delimiter\s+(\S+)", line)
        if stmt is None and m:
            delim = m.group(1)
        elif stmt is None and (delim != ";" or not ddl.match(line)):
            continue
        elif line.startswith(("--", "#")):
            continue
        else:
            stmt = (stmt or []) + [line]
            if line.endswith(";"):
                print(" ".join(stmt)[:-1])
                stmt = None
PY
total=$(wc -l <"$TMP/statements")
[ "$total" -gt 10000 ] || fail "only $total statements from $SUITE"
split -l 2000 "$TMP/statements" "$TMP/corpus/part."

# each part once, in one process: a crash or sanitizer report fails
DDL_STATS=1 "$TMP/fuzz_ddl" -runs=0 "$TMP/corpus" >"$TMP/suite.log" 2>&1 ||
    fail "the test suite's statements: $(grep -m5 -E 'ERROR|SUMMARY|runtime error' "$TMP/suite.log")"
grep -q "runtime error" "$TMP/suite.log" &&
    fail "UBSan: $(grep -m3 'runtime error' "$TMP/suite.log")"
read -r applied ignored refused <<<"$(awk '/^applied/ {
    a += $2; i += $4; r += $6 } END { print a, i, r }' "$TMP/suite.log")"
assert_eq "$total" "$((applied + ignored + refused))" \
    "statements applied, ignored or refused"
note "$total statements of MariaDB's test suite: $applied applied," \
    "$ignored ignored, $refused refused with a message"

fuzz_run fuzz_ddl "${FUZZ_SECONDS:-20}" "$TMP/corpus" -max_len=4096
