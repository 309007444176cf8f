#!/bin/sh
# autogen.sh: generate ./configure from configure.ac (needs autoconf,
# automake, pkg-config; Debian: apt-get install autoconf automake pkg-config).
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi
