#!/bin/bash
# config.sh: binlogd -n accepts the shipped sample configuration, and
# rejects a misspelt option name and a bad value with "file:line:" pointing
# at the right line and exit code 78 (BX_CONFIG).
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

sample=${BINLOGD_TEST_SYSCONFDIR:-/usr/local/etc}/binlogd.conf.sample
[ -f "$sample" ] || hard_error "$sample is not installed"

rc=0
out=$(binlogd -n -c "$sample" 2>&1) || rc=$?
assert_eq 0 "$rc" "exit status of binlogd -n on the sample config ($out)"
assert_match "$out" '^configuration OK$' "binlogd -n output on the sample"

# shellcheck disable=SC2034 # read by binlogd_config
DB_PORT=3307	# never connected to: -n only reads the file
binlogd_config
rc=0
out=$(binlogd -n -c "$BL_CONF" 2>&1) || rc=$?
assert_eq 0 "$rc" "exit status of binlogd -n on the tests' config ($out)"

# check_bad SED-EXPR ERE: applies SED-EXPR to a copy of the good config
# (it must change exactly one line) and expects binlogd -n to reject that
# line with a message matching ERE.
check_bad() {
	local bad=$TMP/bad.conf line rc=0 out
	sed "$1" "$BL_CONF" >"$bad"
	line=$(diff "$BL_CONF" "$bad" | sed -n 's/^\([0-9]*\)c[0-9]*$/\1/p')
	assert_match "$line" '^[0-9]+$' "the edit '$1' changed one line"
	out=$(binlogd -n -c "$bad" 2>&1) || rc=$?
	assert_eq 78 "$rc" "exit status of binlogd -n after '$1' ($out)"
	# "binlogd: " may come first, as err(3) writes it.
	assert_match "$out" "^(binlogd: )?$bad:$line: .*$2" \
	    "binlogd -n message after '$1'"
	note "ok: $out"
}

check_bad 's/^port = /prot = /' 'unknown option "prot".*did you mean "port"'
check_bad 's/^heartbeat_period = .*/heartbeat_period = soon/' \
    'heartbeat_period must be a duration.*"soon"'
check_bad 's/^replica_server_id = .*/replica_server_id = 0/' \
    'replica_server_id must be an integer'

# The streamer's own options are checked by binlogd -n too: a [filter]
# pattern with too many dots names the option and exits 78.
cp "$BL_CONF" "$TMP/filter.conf"
printf '[filter]\ninclude = shop.orders.extra\n' >>"$TMP/filter.conf"
rc=0
out=$(binlogd -n -c "$TMP/filter.conf" 2>&1) || rc=$?
assert_eq 78 "$rc" "exit status of binlogd -n with a bad [filter] ($out)"
assert_match "$out" 'include' "binlogd -n message for a bad [filter]"
note "ok: $out"

