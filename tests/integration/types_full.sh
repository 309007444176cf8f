#!/bin/bash
# types_full.sh: types.sh with binlog_row_metadata=FULL -- names, signedness,
# charsets and ENUM/SET names from the TABLE_MAP instead of information_schema.
export TYPES_METADATA=FULL
exec "$(dirname "$0")/types.sh"
