#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# schema_history.sh: for binlog_row_metadata NO_LOG, MINIMAL and FULL, a
# chain of DDL with a row written between each step (drop, add in the
# middle, change name and type, modify, rename column, reorder with
# FIRST/AFTER, primary key change, rename the table away and create a new
# one under its name, drop and re-create, an INSTANT add with a default),
# run while binlogd is stopped (it was started once before, at latest:
# the schema history seeded from information_schema).  binlogd started
# after the chain gives every row the names and values of the row as it
# was written: the server's own JSON_OBJECT of the row, taken right after
# it was written, with the columns information_schema listed then.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

mariadb_start
# shellcheck source=SCRIPTDIR/schema_chain.sh
. "$(dirname "$0")/schema_chain.sh"

for mode in NO_LOG MINIMAL FULL; do
	chain_begin "$mode"
	binlogd_start
	binlogd_stop
	assert_match "$(grep 'schema history seeded' "$BL_LOG" | tail -1)" \
	    'seeded from information_schema at' "the first start seeds"
	chain_run
	binlogd_start
	chain_check "$mode, binlogd started after the chain"
	binlogd_stop
done
