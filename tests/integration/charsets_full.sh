#!/bin/bash
# charsets_full.sh: charsets.sh with binlog_row_metadata=FULL -- the column
# charsets from the TABLE_MAP's collation ids instead of information_schema.
export CHARSETS_METADATA=FULL
exec "$(dirname "$0")/charsets.sh"
