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
fuzz_run fuzz_decode "${FUZZ_SECONDS:-30}" "$TMP/corpus"

build_decoder clang "$TMP/fuzz_obuf" -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined "$LIB_DIR/fuzz/fuzz_obuf.c" ||
    hard_error "building fuzz_obuf: $(cat "$TMP/cc.err")"
# -max_len: strings of a row are short; long ones are the same blocks
fuzz_run fuzz_obuf "${FUZZ_OBUF_SECONDS:-10}" "$TMP/corpus" -max_len=512
