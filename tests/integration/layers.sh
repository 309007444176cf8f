#!/bin/bash
# layers.sh: each library asks its owner through hooks, never by name.
# libbinlog.a (the decoder) uses only its own symbols, common/'s
# (libcommon.a) and libc's, libm's, zlib's and zstd's -- no threads, no
# client library (it starts no thread; its one lock, charset.c's, lets
# the owner's formatting threads call it); liboutput.a (formats, sinks, the ring) adds libbinlog's,
# threads and librdkafka's.  A call from either into the streamer
# (stats_rows, streamer_publish, reader_meta, a libmariadb query, ...)
# fails here, and so does binlogcat linked against libmariadb.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

BUILD=$(cd .. && pwd)
BINLOG=$BUILD/binlog/libbinlog.a
OUTPUT=$BUILD/output/liboutput.a
COMMON=$BUILD/common/libcommon.a
for f in "$BINLOG" "$OUTPUT" "$COMMON"; do
	[ -f "$f" ] || hard_error "no $f: build first"
done

# What these shared libraries define, by their dynamic symbol tables.
system_symbols() {
	local so path
	for so in "$@"; do
		path=$(ldconfig -p | awk -v so="$so" '$1 == so &&
		    /x86-64|64bit|AArch64/ { print $NF; exit }')
		[ -n "$path" ] || path=$(ldconfig -p | awk -v so="$so" \
		    '$1 == so { print $NF; exit }')
		[ -n "$path" ] || hard_error "$so not found by ldconfig"
		nm -D --defined-only "$path" |
		    awk '{ sub(/@.*/, "", $3); print $3 }'
	done | sort -u
}

# foreign LIB OWN... -- SO...: LIB's undefined symbols that none of the
# OWN archives nor the SO libraries define.
foreign() {
	local lib=$1 own=() so=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do own+=("$1"); shift; done
	shift
	so=("$@")
	nm -g --defined-only "$lib" "${own[@]}" 2>/dev/null |
	    awk 'NF == 3 { print $3 }' | sort -u >"$TMP/own.txt"
	system_symbols "${so[@]}" >"$TMP/system.txt"
	nm -u "$lib" 2>/dev/null | awk '$1 == "U" { print $2 }' | sort -u |
	    comm -23 - "$TMP/own.txt" | comm -23 - "$TMP/system.txt" |
	    grep -vE '^(_GLOBAL_OFFSET_TABLE_|__cpu_model|__cpu_indicator_init|__popcount[a-z0-9]*|__tls_get_addr)$' ||
	    true
}

BASE=(libc.so.6 libm.so.6 libz.so.1 libzstd.so.1 libgcc_s.so.1)
foreign "$BINLOG" "$COMMON" -- "${BASE[@]}" >"$TMP/binlog.txt"
[ -s "$TMP/binlog.txt" ] &&
    fail "libbinlog.a uses symbols from outside the decoder, common/ and" \
	"the system libraries: $(tr '\n' ' ' <"$TMP/binlog.txt")"
threads=$(nm -u "$BINLOG" | awk '$2 ~ /^(pthread_create|thrd_create|mysql_|mariadb_)/ {
    print $2 }' | sort -u | tr '\n' ' ')
[ -z "$threads" ] ||
    fail "libbinlog.a uses threads or the client library: $threads"
note "libbinlog.a: $(nm -u "$BINLOG" | awk '$1 == "U" {print $2}' |
    sort -u | wc -l) undefined symbols, all from itself, libcommon, libc," \
    "libm, zlib, zstd"

KAFKA=()
ldconfig -p | grep -q 'librdkafka.so.1 ' && KAFKA=(librdkafka.so.1)
foreign "$OUTPUT" "$BINLOG" "$COMMON" -- "${BASE[@]}" "${KAFKA[@]}" \
    >"$TMP/output.txt"
[ -s "$TMP/output.txt" ] &&
    fail "liboutput.a uses symbols from outside the output, the decoder," \
	"common/ and the system libraries: $(tr '\n' ' ' <"$TMP/output.txt")"

CAT=$BUILD/binlogcat/binlogcat
[ -x "$CAT" ] || hard_error "no $CAT"
if ldd "$CAT" | grep -q libmariadb; then
	fail "binlogcat links libmariadb: $(ldd "$CAT" | grep libmariadb)"
fi
note "liboutput.a and binlogcat: no streamer and no libmariadb symbols"
