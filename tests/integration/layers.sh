#!/bin/bash
# layers.sh: the decoder library (streamer/libdecode.a) asks its owner
# through struct reader_hooks and struct sink's callbacks, never by name:
# every symbol it uses is its own, common/'s (libcommon.a), or one of
# libc (with libm and libpthread), zlib, zstd and the compiler's
# runtime.  A call from the decoder to a process function (stats_rows,
# streamer_publish, reader_meta, a libmariadb query, ...) fails here.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

BUILD=$(cd .. && pwd)
LIB=$BUILD/streamer/libdecode.a
COMMON=$BUILD/common/libcommon.a
[ -f "$LIB" ] && [ -f "$COMMON" ] || hard_error "no $LIB or $COMMON"

# What the system libraries define, by their dynamic symbol tables.
for so in libc.so.6 libm.so.6 libz.so.1 libzstd.so.1 libgcc_s.so.1; do
	path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64|64bit|AArch64/ {
	    print $NF; exit }')
	[ -n "$path" ] || path=$(ldconfig -p | awk -v so="$so" '$1 == so {
	    print $NF; exit }')
	[ -n "$path" ] || hard_error "$so not found by ldconfig"
	nm -D --defined-only "$path" | awk '{ sub(/@.*/, "", $3); print $3 }'
done | sort -u >"$TMP/system.txt"
nm -g --defined-only "$LIB" "$COMMON" 2>/dev/null |
    awk 'NF == 3 { print $3 }' | sort -u >"$TMP/own.txt"
nm -u "$LIB" 2>/dev/null | awk '$1 == "U" { print $2 }' | sort -u |
    comm -23 - "$TMP/own.txt" | comm -23 - "$TMP/system.txt" |
    grep -vE '^(_GLOBAL_OFFSET_TABLE_|__cpu_model|__cpu_indicator_init|__popcount[a-z0-9]*)$' \
    >"$TMP/foreign.txt" || true
[ -s "$TMP/foreign.txt" ] &&
    fail "libdecode.a uses symbols from outside the decoder, common/ and" \
	"the system libraries: $(tr '\n' ' ' <"$TMP/foreign.txt")"
note "libdecode.a: $(nm -u "$LIB" | awk '$1 == "U" {print $2}' | sort -u |
    comm -23 - "$TMP/own.txt" | wc -l) symbols from libc, libm, zlib, zstd"
