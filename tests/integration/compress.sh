#!/bin/bash
# compress.sh: types.sh on a server with log_bin_compress=ON: compressed
# QUERY and ROWS events give the same records, equal to the server's rows.
export TYPES_COMPRESS=1
exec "$(dirname "$0")/types.sh"
