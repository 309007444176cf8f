#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# versions.sh: every installed program answers --version with the version
# configure.ac gives; binlogctl status (text and -j) and the metrics carry
# the running binlogd's version (binlogd_build_info).  No server is needed:
# binlogd answers while its streamer tries to connect.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -n 's/^AC_INIT(\[binlogd\], \[\([^]]*\)\].*/\1/p' \
    "$SRC/configure.ac")
[ -n "$VERSION" ] || hard_error "no version in configure.ac's AC_INIT"
PREFIX=$(dirname "$(dirname "$(command -v binlogd)")")
LIBEXEC=${BINLOGD_LIBEXECDIR:-$PREFIX/libexec}

for prog in binlogd binlogctl "$PREFIX/bin/binlogcat" \
    "$LIBEXEC/binlogd-streamer" \
    "$LIBEXEC/binlogd-checkpointd"; do
	rc=0
	out=$("$prog" --version 2>&1) || rc=$?
	assert_eq 0 "$rc" "exit status of $prog --version ($out)"
	assert_eq "$(basename "$prog") (binlogd) $VERSION" "$out" \
	    "$prog --version"
done

BL_PORT=$(lib_free_port)	# nobody listens: the streamer keeps trying
binlogd_spawn
wait_for_log 'checkpointd \(pid [0-9]+\) is ready'
ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }
assert_match "$(ctl status | head -n 1)" \
    "^binlogd +[a-z]+ +pid [0-9]+ +up +[0-9]+s +version $VERSION\$" \
    "the first line of binlogctl status"
assert_eq "$VERSION" "$(ctl -j status | python3 -c 'import json, sys
print(json.load(sys.stdin)["version"])')" "version in binlogctl -j status"
assert_eq "binlogd_build_info{version=\"$VERSION\"} 1" \
    "$(ctl metrics | grep '^binlogd_build_info')" "the build_info metric"
binlogd_stop
