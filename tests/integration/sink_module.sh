#!/bin/bash
# sink_module.sh: the Kafka sink is a module (binlogd-sink-kafka.so) that
# the streamer loads only for sink = kafka, so that the other sinks'
# streamers do not pay librdkafka's start-up: a streamer writing to
# stdout never maps librdkafka, one writing to Kafka maps the module and
# the library (sink_kafka.sh streams through it), and without the module
# sink = kafka stops binlogd with status 78 and a message naming the file.
# shellcheck source=SCRIPTDIR/../lib.sh
KAFKAMOCK=$PWD/kafkamock
. "$(dirname "$0")/../lib.sh"

kafkamock_start
mariadb_start
numbered_table

streamer_maps() {
	cat "/proc/$(child_pid streamer)/maps"
}

binlogd_start
if streamer_maps | grep -q librdkafka; then
	fail "a streamer with sink = stdout mapped librdkafka"
fi
binlogd_stop

BL_EXTRA_STREAM="sink = kafka
[sink]
brokers = $BROKERS
topic = binlogd.%{database}.%{table}"
binlogd_start
maps=$(streamer_maps)
assert_match "$maps" '/binlogd-sink-kafka\.so$' "the module in the streamer"
assert_match "$maps" '/librdkafka\.so' "librdkafka in the streamer"
binlogd_stop

cp -r "$BINLOGD_LIBEXECDIR" "$TMP/libexec"
rm "$TMP/libexec/binlogd-sink-kafka.so"
export BINLOGD_LIBEXECDIR=$TMP/libexec
binlogd_spawn
wait_until 30 "binlogd to stop without the Kafka module" lib_gone "$BL_PID"
rc=0
wait "$BL_PID" || rc=$?
lib_forget "$BL_PID"
assert_eq 78 "$rc" "binlogd's exit status without the Kafka module"
assert_eq 1 "$(log_count "streamer.*sink = kafka: $TMP/libexec/binlogd-sink-kafka.so: .*No such file.*BINLOGD_LIBEXECDIR")" \
    "the streamer's message without the Kafka module"
