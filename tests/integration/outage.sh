#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# outage.sh: with the server stopped, binlogctl status and the metrics show
# it -- the connection reconnecting (then down, then connecting again as
# streamers give up and are restarted), the last error and when it
# happened, the seconds since the last event and a lag that grows -- and
# binlogctl(8)'s "wait until caught up" example, run as the page prints
# it, no longer passes; the server, position and error survive the
# streamer's restart.  With the server back, streaming resumes and the
# example passes again.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || skip "jq is not installed (Debian: jq)"
mandir=$(cd "$(dirname "$(command -v binlogd)")/../share/man" && pwd)

mariadb_start
numbered_table
BL_EXTRA_DAEMON="restart_backoff_max = 1s"
binlogd_start
ctl() { binlogctl -s "$TMP/binlogd.sock" "$@"; }
field() { ctl -j status | jq -r ".stream.$1"; }
metric() { ctl metrics | awk -v n="binlogd_$1" '$1 == n { print $2 }'; }
# binlogctl(8)'s example, its jq filter taken from the installed page.
filter=$(sed -n "s/^until binlogctl -j status | jq -e '\(.*\)'; do\$/\1/p" \
    "$mandir/man8/binlogctl.8" | head -n 1)
[ -n "$filter" ] || hard_error "no 'wait until caught up' example in binlogctl(8)"
caught_up() { ctl -j status | jq -e "$filter" >/dev/null; }

numbered_rows 1 10 | sql
wait_for_records 10
wait_until 20 "the example to see binlogd caught up" caught_up
version=$(sql 'SELECT @@version')

t0=$(date +%s)
mariadb_stop
reconnecting() { [ "$(field connection)" = reconnecting ]; }
wait_until 20 "status to show the connection reconnecting" reconnecting
caught_up && fail "the caught-up example passes with the server down"
err=$(field last_error)
[ -n "$err" ] || fail "no last error with the server down"
at=$(field last_error_at)
assert_le "$t0" "$at" "last_error_at after the server stopped"
assert_le "$at" "$(date +%s)" "last_error_at before now"
line=$(ctl status | grep '^last error')
assert_match "$line" '^last error   [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z .' \
    "the last error line"
assert_le "$t0" "$(date -u -d "$(echo "$line" | cut -c14-33)" +%s)" \
    "the time in the last error line"
assert_eq 0 "$(metric connected)" "binlogd_connected with the server down"
b0=$(field seconds_behind)
grown() {
	[ "$(field seconds_behind)" -ge $((b0 + 3)) ] &&
	    [ "$(metric seconds_behind)" -ge $((b0 + 3)) ] &&
	    [ "$(field last_event_age)" -ge 3 ] &&
	    [ "$(metric last_event_age_seconds)" -ge 3 ]
}
wait_until 20 "the lag and the last event's age to grow past 3 s" grown
# A later reconnect's error may be newer than the one read above.
assert_le "$at" "$(metric last_error_timestamp_seconds)" \
    "binlogd_last_error_timestamp_seconds"
assert_le "$(metric last_error_timestamp_seconds)" "$(date +%s)" \
    "binlogd_last_error_timestamp_seconds against now"

# The streamer gives up after its reconnects (31 s) and a new one starts:
# what the first knew stays, and the lag keeps growing.
wait_for_log 'started streamer' 2 90
new_streamer_reports() {
	[ "$(ctl -j status | jq -r .children.streamer.state)" = starting ] &&
	[ "$(field connection)" != streaming ] && [ -n "$(field last_error)" ]
}
b1=$(field seconds_behind)
wait_until 20 "the new streamer's status" new_streamer_reports
assert_eq "$version" "$(field server_version)" "server_version after a restart"
assert_le "$b1" "$(field seconds_behind)" "the lag after a restart"
assert_le 1 "$(field offset)" "the position after a restart"
caught_up && fail "the caught-up example passes after a restart, server down"

# The server back: streaming resumes and the example passes again.
lib_mariadbd "${DB_OPTS[@]}"
lib_mariadb_wait || hard_error "mariadbd did not restart"
numbered_rows 11 15 | sql
wait_for_records 15 90
wait_until 60 "the example to see binlogd caught up again" caught_up
assert_eq 1 "$(metric connected)" "binlogd_connected with the server back"
binlogd_stop
