#!/bin/bash
# run.sh: builds the decoder's libFuzzer target with clang, ASan and UBSan,
# and fuzzes it for a bounded time from the fixture binlogs; any crash,
# leak or sanitizer report fails.  Skips (77) without clang.
# FUZZ_SECONDS sets the length of the run (default 30).
. "$(dirname "$0")/../lib.sh"

command -v clang >/dev/null || skip "clang is not installed (contrib/debian-deps)"
SRC=$LIB_DIR/..
BUILD=$(cd .. && pwd)		# make check runs us in the build's tests/
[ -f "$BUILD/common/libcommon.a" ] || hard_error "no libcommon.a in $BUILD"

# the decoder's sources, as streamer/Makefile.am lists them for libdecode.a
DECODE_SRC=$(sed -n '/^libdecode_a_SOURCES/,/[^\\]$/p' "$SRC/streamer/Makefile.am" |
    grep -oE '[a-z0-9_]+\.c' | sed "s|^|$SRC/streamer/|")
[ -n "$DECODE_SRC" ] || hard_error "no libdecode_a_SOURCES in streamer/Makefile.am"

# shellcheck disable=SC2086 # one word per file and flag
clang -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$BUILD" -I"$SRC/common" \
    -I"$SRC/streamer" $(pkg-config --cflags libmariadb) \
    -o "$TMP/fuzz_decode" "$LIB_DIR/fuzz/fuzz_decode.c" \
    $DECODE_SRC "$SRC/streamer/offline.c" \
    "$BUILD/common/libcommon.a" $(pkg-config --libs libmariadb zlib libzstd) 2>"$TMP/cc.err" ||
    hard_error "building the fuzz target: $(cat "$TMP/cc.err")"

mkdir "$TMP/corpus"
cp "$LIB_DIR"/fixtures/files/*.binlog "$TMP/corpus/"
# -rss_limit_mb bounds what a corrupt size field may make us allocate,
# -timeout makes a slow input (work out of proportion to its size) a failure
"$TMP/fuzz_decode" -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 "$TMP/corpus" >"$TMP/fuzz.log" 2>&1 ||
    fail "fuzzing found a problem: $(grep -m5 -E 'ERROR|SUMMARY|runtime error' "$TMP/fuzz.log")"
grep -q "runtime error" "$TMP/fuzz.log" &&
    fail "UBSan: $(grep -m3 'runtime error' "$TMP/fuzz.log")"
note "$(grep -E 'stat::number_of_executed_units' "$TMP/fuzz.log")"
