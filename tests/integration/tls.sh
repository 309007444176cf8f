#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# tls.sh: ssl_mode = preferred (the default) encrypts when the server offers
# TLS -- an account that REQUIRE SSL streams -- and still streams from a
# server without TLS; required refuses that server.  verify_ca with a CA
# that did not sign the server's certificate stops binlogd with a
# configuration error naming the file, and binlogd -n refuses verify_ca
# without a CA and a missing CA file, naming it.  The certificates:
# tls_certs (tests/lib.sh) and a second CA that signed nothing.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

T=$TMP/tls
tls_certs "$T"
lib_ossl "$T" req -x509 -newkey rsa:2048 -nodes -days 2 \
    -subj "/CN=another CA" -keyout "$T/other.key" -out "$T/other.pem"
mariadb_start "${mariadb_tls_opts[@]}"
assert_eq YES "$(sql "SELECT @@have_ssl")" "the test server's TLS"
sql "ALTER USER binlogd@'%' REQUIRE SSL;
    CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY);"

# The default ssl_mode: TLS, or the account would be refused.
binlogd_start
sql "INSERT INTO shop.t SELECT seq FROM shop.seq_1_to_5"
wait_for_records 5
binlogd_stop

# verify_ca against the right CA streams; against another CA it is a
# configuration error that names the file, and binlogd stops.
BL_EXTRA_SERVER="ssl_mode = verify_ca
ssl_ca = $T/ca.pem" binlogd_start
binlogd_stop
BL_EXTRA_SERVER="ssl_mode = verify_ca
ssl_ca = $T/other.pem" binlogd_spawn
wait_until 60 "binlogd to stop on a CA that did not sign" lib_gone "$BL_PID"
rc=0
wait "$BL_PID" || rc=$?
lib_forget "$BL_PID"
assert_eq 78 "$rc" "binlogd's exit status with the wrong CA"
line=$(grep -m1 'streamer.*ssl_ca' "$BL_LOG" || true)
assert_match "$line" "ssl_ca $T/other.pem" "the error names the CA file"

# binlogd -n: verify_ca without a CA, a CA file that is not there.
check() {
	BL_EXTRA_SERVER=$1 binlogd_config
	rc=0
	out=$(binlogd -n -f -c "$BL_CONF" 2>&1) || rc=$?
}
check "ssl_mode = verify_ca"
assert_eq 78 "$rc" "binlogd -n with verify_ca and no CA ($out)"
assert_match "$out" 'verify_ca needs ssl_ca' "binlogd -n with verify_ca and no CA"
check "ssl_ca = $T/missing.pem"
assert_eq 78 "$rc" "binlogd -n with a missing CA file ($out)"
assert_match "$out" "ssl_ca $T/missing.pem: No such file" \
    "binlogd -n with a missing CA file"

# A server without TLS: preferred falls back to plaintext, required
# refuses it and says why.
sql "ALTER USER binlogd@'%' REQUIRE NONE"
DB_OPTS=()
mariadb_restart
assert_eq DISABLED "$(sql "SELECT @@have_ssl")" "the restarted server's TLS"
binlogd_start
sql "INSERT INTO shop.t SELECT seq FROM shop.seq_6_to_8"
wait_for_records 8
binlogd_stop
BL_EXTRA_SERVER="ssl_mode = required" binlogd_spawn
wait_for_log 'ssl_mode = required but the server offers no TLS'
binlogd_stop
