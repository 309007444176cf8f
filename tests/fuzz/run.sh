#!/bin/bash
# run.sh: builds the decoder's libFuzzer targets with clang, ASan and UBSan,
# and fuzzes each for a bounded time: fuzz_decode from the fixture binlogs,
# fuzz_obuf (obuf_simd.c's levels against each other) from the fixtures'
# bytes too; any crash, leak or sanitizer report fails.  Skips (77)
# without clang.  FUZZ_SECONDS sets the length of fuzz_decode's run
# (default 30), FUZZ_OBUF_SECONDS fuzz_obuf's (default 10).
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

build_decoder clang "$TMP/fuzz_obuf" -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined "$LIB_DIR/fuzz/fuzz_obuf.c" ||
    hard_error "building fuzz_obuf: $(cat "$TMP/cc.err")"
# -max_len: strings of a row are short; long ones are the same blocks
"$TMP/fuzz_obuf" -max_total_time="${FUZZ_OBUF_SECONDS:-10}" -max_len=512 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$TMP/corpus" \
    >"$TMP/fuzz_obuf.log" 2>&1 ||
    fail "fuzz_obuf: the levels differ or crash: $(grep -m5 -E 'ERROR|SUMMARY|runtime error|deadly' "$TMP/fuzz_obuf.log")"
grep -q "runtime error" "$TMP/fuzz_obuf.log" &&
    fail "UBSan: $(grep -m3 'runtime error' "$TMP/fuzz_obuf.log")"
note "fuzz_obuf: $(grep -E 'stat::number_of_executed_units' "$TMP/fuzz_obuf.log")"
