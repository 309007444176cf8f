#!/bin/bash
# run.sh: builds the decoder's libFuzzer target with clang, ASan and UBSan,
# and fuzzes it for a bounded time from the fixture binlogs; any crash,
# leak or sanitizer report fails.  Skips (77) without clang.
# FUZZ_SECONDS sets the length of the run (default 30).
. "$(dirname "$0")/../lib.sh"

command -v clang >/dev/null || skip "clang is not installed (contrib/debian-deps)"
# shellcheck disable=SC2046 # one word per file and flag
build_decoder clang "$TMP/fuzz_decode" -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined "$LIB_DIR/fuzz/fuzz_decode.c" ||
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
