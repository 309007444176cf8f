#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# schema_history_live.sh: schema_chain.sh's chain of DDL with rows between
# the steps, for binlog_row_metadata NO_LOG, MINIMAL and FULL, while
# binlogd runs: caught up (each row out before the next step; each DDL's
# result is compared with information_schema at once: the parser and the
# server agree, no mismatch is logged), and with kill -9 of the streamer or checkpointd
# after every step (a crash never leaves the history and the position out
# of step: every row still has the names it was written with).
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
# shellcheck source=SCRIPTDIR/schema_chain.sh
. "$(dirname "$0")/schema_chain.sh"
BL_EXTRA_DAEMON="restart_backoff_max = 1s"

# Caught up: each row's record out before the next step.  (Without the
# wait, MariaDB 10.11.19 was seen to crash once with SIGSEGV while the
# streamer read information_schema.COLUMNS during the next ALTER TABLE.)
chain_caught_up() {
	wait_until 60 "the record of the row just written" chain_has \
	    "$(wc -l <"$TMP/expected")"
}

# Each kill once binlogd is streaming again after the last (binlogd
# logs one "ready: streaming" per start of the pair or the streamer).
KILLS=0
READY=0
chain_kill() {
	wait_for_log 'ready: streaming' "$READY" 60
	READY=$((READY + 1))
	KILLS=$((KILLS + 1))
	if ((KILLS % 3 == 0)); then
		kill_child checkpointd >/dev/null
	else
		kill_child streamer >/dev/null
	fi
}

for mode in NO_LOG MINIMAL FULL; do
	chain_begin "$mode"
	binlogd_start
	CHAIN_STEP=chain_caught_up chain_run
	chain_check "$mode, binlogd running"
	binlogd_stop
	assert_eq 0 "$(log_count 'schema history and information_schema differ')" \
	    "mismatches between the parser's schema and the server's"

	chain_begin "$mode"
	binlogd_start
	READY=$(log_count 'ready: streaming')
	CHAIN_STEP=chain_kill chain_run
	chain_check "$mode, kill -9 after every step"
	binlogd_stop
done
note "$KILLS kills"
