#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# static_mariadb.sh: ./configure --enable-static-mariadb links libmariadb
# and OpenSSL into binlogd-streamer, position-dependent: it needs no
# libmariadb, libssl or libcrypto at exec and exports none of their
# symbols (a sink module's or an auth plugin's own libcrypto.so must not
# bind to the static copy).  That streamer, built here beside the tree,
# streams over TLS (the account REQUIRE SSL) as an ed25519 account, whose
# client plugin libmariadb loads with the shared libcrypto beside the
# static one.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ ! -f "$SRC/config.status" ] ||
    skip "$SRC is configured in place; this test builds beside it"
[ -f /usr/lib/mysql/plugin/auth_ed25519.so ] ||
    skip "the server's ed25519 plugin is not installed (Debian: mariadb-server)"

# Only what the streamer needs is built.
mkdir "$TMP/build"
(cd "$TMP/build" && "$SRC/configure" -q --enable-static-mariadb \
    --without-kafka && for d in common binlog output streamer; do
	make -s -j2 -C "$d" || exit 1; done) >"$TMP/build.log" 2>&1 ||
    { tail -n 30 "$TMP/build.log" >&2;
    hard_error "the --enable-static-mariadb build failed"; }
ST=$TMP/build/streamer/binlogd-streamer

needed=$(readelf -d "$ST" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    tr '\n' ' ')
case " $needed" in
*" libmariadb"*|*" libssl"*|*" libcrypto"*)
	fail "the static streamer still needs shared libraries: $needed" ;;
esac
assert_match "$(readelf -h "$ST")" 'Type: +EXEC ' \
    "the static streamer's ELF type (position-dependent)"
exported=$(nm -D --defined-only "$ST" |
    grep -c -E ' (SSL_|EVP_|OPENSSL_|mysql_|mariadb_)' || true)
assert_eq 0 "$exported" "OpenSSL and libmariadb symbols the streamer exports"

# The installed helpers, the streamer the one built here.
mkdir "$TMP/libexec"
ln -s "${LIB_LIBEXECDIR:?no installed libexec directory}"/binlogd-* \
    "$TMP/libexec/"
rm "$TMP/libexec/binlogd-streamer"
cp "$ST" "$TMP/libexec/"
export BINLOGD_LIBEXECDIR=$TMP/libexec

tls_certs "$TMP/tls"
mariadb_start "${mariadb_tls_opts[@]}" --plugin-load-add=auth_ed25519
sql "SET sql_log_bin = 0;
    ALTER USER binlogd@'%' IDENTIFIED VIA ed25519 USING PASSWORD('secret')
    REQUIRE SSL;
    CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"

BL_EXTRA_SERVER="ssl_mode = verify_identity
ssl_ca = $TMP/tls/ca.pem" binlogd_start
sql "INSERT INTO shop.t SELECT seq FROM shop.seq_1_to_5"
wait_for_records 5
st=$(pgrep -P "$BL_PID" -f binlogd-streamer)
maps=$(cat "/proc/$st/maps")
assert_match "$maps" "$TMP/libexec/binlogd-streamer" \
    "the streamer running is the one built here"
assert_match "$maps" 'client_ed25519\.so' \
    "libmariadb's ed25519 plugin loaded in the static streamer"
binlogd_stop
assert_eq "1 2 3 4 5" "$(jq -r '.data.id' "$RECORDS" | tr '\n' ' ' |
    sed 's/ $//')" "the rows streamed by the static streamer"
