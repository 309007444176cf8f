# shellcheck shell=bash
# tests/lib.sh: the setup shared by every integration test and ./quickstart --
# a private temp dir, a throw-away MariaDB server on a free loopback port, the
# installed binlogd, bounded waits and assertions that print both values.
#
# Source it from bash; it sets -eu.  An EXIT trap stops every process the
# script started (by pid, escalating to SIGKILL), prints the logs when the
# script fails, and removes the temp dir.  Exit codes follow automake's test
# driver: 0 pass, 1 fail, 77 skip, 99 hard error (the setup itself broke).
#
# Environment (set by tests/Makefile.am, see install-for-check):
#   BINLOGD_TEST_SBINDIR     where the installed binlogd is
#   BINLOGD_TEST_LIBEXECDIR  where the installed children are
#   BINLOGD_TEST_SYSCONFDIR  where the installed binlogd.conf.sample is
#   BINLOGD_TEST_CACHE       where the MariaDB datadir template is kept
set -eu

if [ -n "${BINLOGD_TEST_SBINDIR:-}" ]; then
	PATH=$BINLOGD_TEST_SBINDIR:$PATH
fi
if [ -n "${BINLOGD_TEST_LIBEXECDIR:-}" ]; then
	export BINLOGD_LIBEXECDIR=$BINLOGD_TEST_LIBEXECDIR
fi
# The installed children, whatever a test later points binlogd at.
LIB_LIBEXECDIR=${BINLOGD_LIBEXECDIR:-}
# mariadbd and mariadb-install-db's helpers live in sbin on Debian.
PATH=$PATH:/usr/sbin:/usr/local/sbin
export PATH
# Never let a developer's ~/.my.cnf or MYSQL_* variables steer a test.
unset MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MYSQL_PWD

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/binlogd-test.XXXXXX")
RECORDS=$TMP/records.jsonl	# binlogd's stdout, across restarts
BL_LOG=$TMP/binlogd.log		# binlogd's stderr, across restarts
DB_ERRLOG=$TMP/mariadb.err
PIDS=""				# every process started here, for lib_cleanup
BL_PID=""
DB_PID=""
: >"$RECORDS"
: >"$BL_LOG"

# ---------------------------------------------------------------- reporting

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# The test could not be set up: not binlogd's fault, but not a pass either.
hard_error() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 99
}

skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

note() {
	printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected '$1', got '$2'"
}

# assert_match STRING ERE [what]
assert_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" ||
	    fail "${3:-no match}: '$1' does not match /$2/"
}

# assert_le A B [what]: integers, A <= B
assert_le() {
	[ "$1" -le "$2" ] || fail "${3:-out of bounds}: expected $1 <= $2"
}

lib_tail() {
	[ -s "$1" ] || return 0
	printf -- '--- last lines of %s ---\n' "$1" >&2
	tail -n "${2:-40}" "$1" >&2
}

lib_dump_logs() {
	printf -- "--- %s records in %s ---\n" "$(record_count)" "$RECORDS" >&2
	lib_tail "$BL_LOG" 60
	lib_tail "$RECORDS" 10
	lib_tail "$DB_ERRLOG" 20
}

# python_check ARGS... <<'PY' ... PY: a check in Python, with the helpers
# of tests/integration/records.py importable.
python_check() {
	PYTHONPATH=$LIB_DIR/integration python3 - "$@"
}

# ---------------------------------------------------------------- processes

lib_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

lib_gone() {
	! lib_alive "$1"
}

lib_forget() {
	local p keep=""
	for p in $PIDS; do
		[ "$p" = "$1" ] || keep="$keep $p"
	done
	PIDS=$keep
}

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every 0.1 s until it
# succeeds; the test fails after SECONDS, naming WHAT it waited for.
wait_until() {
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + limit))
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] ||
		    fail "timed out after ${limit}s waiting for $what"
		sleep 0.1
	done
}

# Stops pid and its children: SIGTERM, then SIGKILL after 10 s.  Used by the
# trap, so it never fails.
lib_stop_tree() {
	local pid=$1 kids deadline
	kids=$(pgrep -P "$pid" || true)
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + 10))
	while lib_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	# shellcheck disable=SC2086 # kids is a list of pids
	kill -KILL "$pid" $kids 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

lib_cleanup() {
	local status=$? pid
	set +e
	# Ignored, not reset: a second ^C or a SIGTERM that arrived during a
	# builtin must not cut the cleanup short and leave processes behind.
	trap - EXIT
	trap '' INT TERM PIPE HUP
	if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
		lib_dump_logs
	fi
	for pid in $PIDS; do
		lib_stop_tree "$pid"
	done
	rm -rf "$TMP"
	exit "$status"
}
trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# A closed output pipe (`test | head`) or a hangup must clean up too.
trap 'exit 141' PIPE
trap 'exit 129' HUP

# ---------------------------------------------------------------- MariaDB

# A loopback port nobody listens on now; mariadb_start retries on a race.
lib_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# mariadb-install-db once per cache dir (per build tree), then cp -a per
# test: a fresh datadir in a fraction of the time.  flock serialises tests
# run in parallel by make -j.
lib_mariadb_template() {
	local cache=${BINLOGD_TEST_CACHE:-${TMPDIR:-/tmp}/binlogd-test-cache}
	local version
	command -v mariadbd >/dev/null ||
	    skip "mariadbd not found: apt-get install mariadb-server"
	version=$(mariadbd --version | md5sum | cut -c1-8)
	DB_TEMPLATE=$cache/datadir-$version
	mkdir -p "$cache"
	(
		flock 9
		[ -d "$DB_TEMPLATE" ] && exit 0
		rm -rf "$DB_TEMPLATE.tmp"
		mariadb-install-db --no-defaults --user="$(id -un)" \
		    --datadir="$DB_TEMPLATE.tmp" --skip-test-db \
		    --auth-root-authentication-method=normal \
		    --innodb-log-file-size=8M \
		    >"$cache/install-db.log" 2>&1 || {
			cat "$cache/install-db.log" >&2
			exit 1
		}
		mv "$DB_TEMPLATE.tmp" "$DB_TEMPLATE"
	) 9>"$cache/lock" || hard_error "mariadb-install-db failed (see above)"
}

lib_mariadb_admin() {
	mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot \
	    --connect-timeout=2 "$@"
}

# 0: up; 1: died of a port collision; 2: died otherwise or never came up.
lib_mariadb_wait() {
	local deadline=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$deadline" ]; do
		lib_mariadb_admin ping >/dev/null 2>&1 && return 0
		if lib_gone "$DB_PID"; then
			grep -q 'Address already in use' "$DB_ERRLOG" 2>/dev/null &&
			    return 1
			return 2
		fi
		sleep 0.1
	done
	return 2
}

# Starts mariadbd on $DB_DIR, $DB_PORT and $DB_SOCK in the background; the
# options are remembered for mariadb_restart.  Its temporary files go to
# a directory of its own, not the /tmp every test's server shares (a run
# of tests/run lost a query to "Error on delete of
# '/tmp/#sql-temptable-633d-16-c.MAI' (Errcode: 2)").
lib_mariadbd() {
	DB_OPTS=("$@")
	mkdir -p "$DB_DIR.tmp"
	mariadbd --no-defaults --user="$(id -un)" --datadir="$DB_DIR" \
	    --tmpdir="$DB_DIR.tmp" \
	    --bind-address=127.0.0.1 --port="$DB_PORT" \
	    --socket="$DB_SOCK" --pid-file="$DB_DIR.pid" \
	    --log-error="$DB_ERRLOG" --log-bin=mariadb-bin \
	    --binlog-format=ROW --server-id=1 --skip-name-resolve \
	    --innodb-log-file-size=8M --innodb-buffer-pool-size=32M \
	    "$@" >>"$DB_ERRLOG" 2>&1 &
	DB_PID=$!
	PIDS="$PIDS $DB_PID"
}

# mariadb_start [mariadbd options]: a server with ROW binlogs on a free
# loopback port, root without a password on its socket, and the replication
# user binlogd/secret.  Later options override the defaults given here.
mariadb_start() {
	local attempt rc
	lib_mariadb_template
	DB_DIR=$TMP/mariadb
	DB_SOCK=$TMP/mariadb.sock
	for attempt in 1 2 3 4 5; do
		rm -rf "$DB_DIR"
		cp -a "$DB_TEMPLATE" "$DB_DIR"
		: >"$DB_ERRLOG"
		DB_PORT=$(lib_free_port)
		lib_mariadbd "$@"
		rc=0
		lib_mariadb_wait || rc=$?
		[ "$rc" -eq 0 ] && break
		lib_stop_tree "$DB_PID"
		lib_forget "$DB_PID"
		[ "$rc" -eq 1 ] ||
		    { lib_tail "$DB_ERRLOG"; hard_error "mariadbd did not start"; }
		note "port $DB_PORT was taken (attempt $attempt), trying another"
	done
	[ "$rc" -eq 0 ] || hard_error "no free port for mariadbd after 5 tries"
	# Not binlogged: a stream from the earliest position starts clean.
	sql "SET sql_log_bin = 0;
	    DELETE FROM mysql.global_priv WHERE User = '';
	    CREATE USER binlogd@'%' IDENTIFIED BY 'secret';
	    GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO binlogd@'%';
	    FLUSH PRIVILEGES;" || hard_error "could not create the binlogd user"
}

mariadb_stop() {
	[ -n "$DB_PID" ] || return 0
	lib_mariadb_admin shutdown >/dev/null 2>&1 || kill -TERM "$DB_PID" 2>/dev/null || true
	wait_until 60 "mariadbd (pid $DB_PID) to shut down" lib_gone "$DB_PID"
	wait "$DB_PID" 2>/dev/null || true
	lib_forget "$DB_PID"
	DB_PID=""
}

# mariadb_restart: a clean shutdown, then the same server (data, port,
# options) again.
mariadb_restart() {
	mariadb_stop
	lib_mariadbd "${DB_OPTS[@]}"
	lib_mariadb_wait || hard_error "mariadbd did not restart"
}

# tls_certs DIR: made with openssl in DIR, a CA (ca.pem, ca.key) and a
# server certificate it signs for 127.0.0.1 (server.pem, server.key); and
# mariadb_tls_opts the options that give a test server those.
tls_certs() {
	local d=$1
	command -v openssl >/dev/null ||
	    skip "openssl not found: apt-get install openssl"
	mkdir -p "$d"
	lib_ossl "$d" req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj "/CN=binlogd test CA" -keyout "$d/ca.key" -out "$d/ca.pem"
	lib_ossl "$d" req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout "$d/server.key" -out "$d/server.csr"
	printf 'subjectAltName = IP:127.0.0.1\n' >"$d/san.ext"
	lib_ossl "$d" x509 -req -days 2 -in "$d/server.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca.key" -CAcreateserial -extfile "$d/san.ext" \
	    -out "$d/server.pem"
	mariadb_tls_opts=(--ssl-ca="$d/ca.pem" --ssl-cert="$d/server.pem"
	    --ssl-key="$d/server.key")
}

# lib_ossl DIR ARGS...: openssl ARGS, its messages to DIR/openssl.log
lib_ossl() {
	local d=$1
	shift
	openssl "$@" 2>>"$d/openssl.log" || hard_error "openssl $1 failed"
}

# replica_start [mariadbd options]: a second server, server_id 2 with
# log_slave_updates, replicating from the test server by GTID (slave_pos);
# sets R_PORT, R_SOCK and R_PID, and rsql runs statements on it.  The
# binlogd user exists on both, outside the binlog.
replica_start() {
	local p_dir=$DB_DIR p_sock=$DB_SOCK p_port=$DB_PORT p_pid=$DB_PID \
	    p_err=$DB_ERRLOG p_opts=("${DB_OPTS[@]}")
	DB_DIR=$TMP/replica DB_SOCK=$TMP/replica.sock DB_ERRLOG=$TMP/replica.err
	cp -a "$DB_TEMPLATE" "$DB_DIR"
	DB_PORT=$(lib_free_port)
	lib_mariadbd --server-id=2 --log-slave-updates "$@"
	lib_mariadb_wait || { lib_tail "$DB_ERRLOG"; hard_error "the replica did not start"; }
	R_PORT=$DB_PORT R_SOCK=$DB_SOCK R_PID=$DB_PID
	DB_DIR=$p_dir DB_SOCK=$p_sock DB_PORT=$p_port DB_PID=$p_pid
	DB_ERRLOG=$p_err DB_OPTS=("${p_opts[@]}")
	rsql "SET sql_log_bin = 0;
	    DELETE FROM mysql.global_priv WHERE User = '';
	    CREATE USER binlogd@'%' IDENTIFIED BY 'secret';
	    GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO binlogd@'%';
	    FLUSH PRIVILEGES;
	    CHANGE MASTER TO master_host = '127.0.0.1', master_port = $DB_PORT,
	        master_user = 'binlogd', master_password = 'secret',
	        master_use_gtid = slave_pos;
	    START SLAVE;" || hard_error "could not set up the replica"
}

rsql() {
	DB_SOCK=$R_SOCK sql "$@"
}

# proxy_start PORT: tests/proxy.py in front of 127.0.0.1:PORT; sets
# PROXY_PID and PROXY_PORT.  proxy_cut resets its connections and refuses
# new ones, proxy_freeze stops forwarding without closing anything, until
# proxy_restore.
proxy_start() {
	python3 "$LIB_DIR/proxy.py" "$1" "$TMP/proxy.port" &
	PROXY_PID=$!
	PIDS="$PIDS $PROXY_PID"
	wait_until 10 "the proxy to listen" test -s "$TMP/proxy.port"
	PROXY_PORT=$(cat "$TMP/proxy.port")
}

proxy_cut() {
	kill -USR1 "$PROXY_PID"
}

proxy_freeze() {
	kill -HUP "$PROXY_PID"
}

proxy_restore() {
	kill -USR2 "$PROXY_PID"
}

# sql "statements": runs them as root on the test server; with no argument,
# reads them from stdin.  Output: tab-separated rows, no header, unescaped.
# lib_sources DIR VAR: the .c files DIR/Makefile.am lists in its first
# assignment of VAR, with their paths.
lib_sources() {
	sed -n "/^$2 =/,/[^\\]\$/p" "$LIB_DIR/../$1/Makefile.am" |
	    grep -oE '[a-z0-9_]+\.c' | sed "s|^|$LIB_DIR/../$1/|"
}

# lib_build CC OUT SOURCES PKGS FLAGS...: SOURCES (a list) with
# libcommon.a and the pkg-config packages PKGS into OUT; compiler errors
# in $TMP/cc.err.  Run from the build's tests/, as make check does.
lib_build() {
	local cc=$1 out=$2 srcs=$3 pkgs=$4 src=$LIB_DIR/.. build
	shift 4
	build=$(cd .. && pwd)
	[ -f "$build/common/libcommon.a" ] ||
	    hard_error "no libcommon.a in $build"
	[ -n "${srcs// /}" ] || hard_error "no sources for $out"
	# shellcheck disable=SC2046,SC2086 # one word per file and flag
	"$cc" -g -O1 -I"$build" -I"$src/common" -I"$src/binlog" \
	    -I"$src/output" -I"$src/binlogcat" -I"$src/streamer" \
	    $(pkg-config --cflags $pkgs) -o "$out" "$@" $srcs \
	    "$build/common/libcommon.a" $(pkg-config --libs $pkgs) \
	    -lpthread 2>"$TMP/cc.err"
}

# lib_build_libs CC OUT PKGS SOURCES FLAGS...: lib_build with the
# decoder's and the output's sources added (the Kafka sink as a build has
# it in liboutput: sink_module.c, which loads the installed module).
lib_build_libs() {
	local cc=$1 out=$2 pkgs="$3 zlib libzstd" srcs=$4
	shift 4
	lib_build "$cc" "$out" "$(lib_sources binlog libbinlog_a_SOURCES)
	    $(lib_sources output liboutput_a_SOURCES) $srcs" "$pkgs" "$@"
}

# fuzz_run TARGET SECONDS CORPUS [LIBFUZZER OPTIONS...]: runs the
# libFuzzer program $TMP/TARGET for SECONDS over CORPUS; a crash, a
# sanitizer report or an input over the time or memory bounds fails
# (-rss_limit_mb bounds what a corrupt size field may make it allocate,
# -timeout makes work out of proportion to an input a failure); notes
# how many inputs ran.
fuzz_run() {
	local target=$1 seconds=$2 corpus=$3 log=$TMP/$1.log
	shift 3
	"$TMP/$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
	    -timeout=10 -print_final_stats=1 "$@" "$corpus" >"$log" 2>&1 ||
	    fail "$target found a problem: $(grep -m5 -E \
	        'ERROR|SUMMARY|runtime error|deadly' "$log")"
	! grep -q "runtime error" "$log" ||
	    fail "$target: UBSan: $(grep -m3 'runtime error' "$log")"
	note "$target: $(grep -E 'stat::number_of_executed_units' "$log")"
}

# build_decoder CC OUT FLAGS... MAIN.c: the decoder and the records and
# binlogcat's offline.c compiled with CC and FLAGS into the program OUT
# around MAIN.c.
build_decoder() {
	local cc=$1 out=$2
	shift 2
	lib_build_libs "$cc" "$out" "" "$LIB_DIR/../binlogcat/offline.c" "$@"
}

# build_streamer CC OUT FLAGS...: binlogd-streamer from its sources and
# the libraries', with FLAGS.
build_streamer() {
	local cc=$1 out=$2
	shift 2
	lib_build_libs "$cc" "$out" "libmariadb libevent libevent_pthreads
	    msgpack" "$(lib_sources streamer binlogd_streamer_SOURCES)" "$@"
}

sql() {
	if [ $# -gt 0 ]; then
		set -- -e "$1"
	fi
	mariadb --no-defaults --socket="$DB_SOCK" -uroot --batch --raw \
	    --skip-column-names --default-character-set=utf8mb4 "$@"
}

# "file offset" of the server's current binlog position.
master_position() {
	sql "SHOW MASTER STATUS" | cut -f1,2 | tr '\t' ' '
}

# ------------------------------------------------ the numbered-rows workload
# The delivery tests write rows (id, 'row-<id>') into shop.n, one
# autocommit transaction per row, and check what arrives against them.

numbered_table() {
	sql "CREATE DATABASE shop;
	    CREATE TABLE shop.n (id INT PRIMARY KEY, v VARCHAR(20));"
}

# numbered_rows FIRST LAST [PACE]: prints the INSERTs, each followed by a
# server-side DO SLEEP(PACE) when PACE is given, so that a test's faults
# land mid-workload.
numbered_rows() {
	local id pace=${3:+ DO SLEEP($3);}
	for ((id = $1; id <= $2; id++)); do
		echo "INSERT INTO shop.n VALUES ($id, 'row-$id');$pace"
	done
}

# committed: the highest row id committed (0 while the server is down).
# Not a count: a client killed with its server leaves ids unused.
committed() {
	sql 'SELECT COALESCE(MAX(id), 0) FROM shop.n' 2>/dev/null || echo 0
}

committed_at_least() {
	[ "$(committed)" -ge "$1" ]
}

# ---------------------------------------------------------------- Kafka

# kafkamock_start [BROKERS]: tests/kafkamock (librdkafka's mock cluster,
# $KAFKAMOCK, set before sourcing this file) on fd 7, its bootstrap
# servers in $BROKERS; skips the test in a build without Kafka.
kafkamock_start() {
	[ -x "${KAFKAMOCK:-}" ] || skip "built without Kafka (librdkafka-dev)"
	mkfifo "$TMP/km.in"
	KM_OUT=$TMP/km.out
	"$KAFKAMOCK" "${1:-1}" <"$TMP/km.in" >"$KM_OUT" 2>"$TMP/km.err" &
	PIDS="$PIDS $!"
	exec 7>"$TMP/km.in"
	wait_until 10 "kafkamock's bootstrap line" lib_km_answered 0 \
	    '^bootstrap '
	BROKERS=$(sed -n 's/^bootstrap //p' "$KM_OUT")
}

lib_km_answered() {
	tail -n +$(($1 + 1)) "$KM_OUT" | grep -Eq "$2"
}

# km_ask END-ERE COMMAND: kafkamock's answer to COMMAND, up to END.
km_ask() {
	local before
	before=$(wc -l <"$KM_OUT")
	echo "$2" >&7
	wait_until 40 "kafkamock to answer \"$2\"" lib_km_answered "$before" \
	    "$1"
	tail -n +$((before + 1)) "$KM_OUT"
}

# ---------------------------------------------------------------- binlogd

# binlogd_config: writes $BL_CONF for the test server.  Tests steer it with
# BL_PASSWORD, BL_START_POSITION, BL_PORT (default $DB_PORT), BL_READ_TIMEOUT,
# BL_CHECKPOINT_INTERVAL (default 1s),
# BL_EXTRA_SERVER (lines for [server]),
# BL_EXTRA_DAEMON (lines for [daemon]) and BL_EXTRA_STREAM (for [stream]).
binlogd_config() {
	BL_CONF=$TMP/binlogd.conf
	cat >"$BL_CONF" <<EOF
# binlogd.conf written by tests/lib.sh
[daemon]
pid_file = $TMP/binlogd.pid
control_socket = $TMP/binlogd.sock
${BL_EXTRA_DAEMON:-}

[server]
host = 127.0.0.1
port = ${BL_PORT:-$DB_PORT}
user = binlogd
password = ${BL_PASSWORD:-secret}
replica_server_id = 4242
read_timeout = ${BL_READ_TIMEOUT:-30s}
heartbeat_period = ${BL_HEARTBEAT:-1s}
connect_timeout = 10s
${BL_EXTRA_SERVER:-}

[stream]
start_position = ${BL_START_POSITION:-latest}
${BL_EXTRA_STREAM:-}

[checkpoint]
database = $TMP/checkpoint.db
checkpoint_interval = ${BL_CHECKPOINT_INTERVAL:-1s}
EOF
}

# binlogd_spawn [options]: starts binlogd -f in the background, stdout
# appended to $RECORDS and stderr to $BL_LOG; does not wait.
binlogd_spawn() {
	binlogd_config
	command -v binlogd >/dev/null ||
	    hard_error "binlogd not found on PATH ($PATH)"
	binlogd -f -c "$BL_CONF" "$@" >>"$RECORDS" 2>>"$BL_LOG" &
	BL_PID=$!
	PIDS="$PIDS $BL_PID"
}

# as_nobody CMD...: CMD as uid and gid 65534, with a PATH where that uid
# can run binlogctl: the build tree may sit in a directory it cannot
# enter (a CI clone in a mode-0700 mktemp dir).  $TMP must be 0711.
as_nobody() {
	if [ ! -x "$TMP/nobody-bin/binlogctl" ]; then
		mkdir -p "$TMP/nobody-bin"
		cp "$(command -v binlogctl)" "$TMP/nobody-bin/"
		chmod -R a+rX "$TMP/nobody-bin"
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env PATH="$TMP/nobody-bin:/usr/bin:/bin" "$@"
}

# libexec_wrapped DIR HELPER COMMAND...: a libexec directory DIR whose
# HELPER (binlogd-streamer, binlogd-checkpointd) is COMMAND... running the
# real one with its arguments (a shim, a profiler); binlogd runs it given
# BINLOGD_LIBEXECDIR=DIR, where the other helpers and the sink modules
# are links to the installed ones.  The real one is always the installed
# one, so that a second wrapping does not wrap the first.
libexec_wrapped() {
	local dir=$1 helper=$2 real=${LIB_LIBEXECDIR:?no installed libexec directory} f
	shift 2
	mkdir -p "$dir"
	for f in "$real"/binlogd-*; do
		[ ! -e "$f" ] || ln -sf "$f" "$dir/${f##*/}"
	done
	rm -f "$dir/$helper"
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$*" "$real/$helper" \
	    >"$dir/$helper"
	chmod +x "$dir/$helper"
}

# streamer_wrapped DIR COMMAND...: libexec_wrapped for binlogd-streamer.
streamer_wrapped() {
	local dir=$1
	shift
	libexec_wrapped "$dir" binlogd-streamer "$@"
}

# fsync_log_child HELPER [DELAY_MS [FAIL_AT]]: from now on binlogd runs
# HELPER (binlogd-streamer, binlogd-checkpointd) with tests/fsync_log.c
# preloaded, which appends each fsync of a file to $FSYNC_LOG (when its
# bytes became durable, seen from outside) -- each DELAY_MS slower if
# given, as on a slow disk, and failing with EIO from the FAIL_AT'th on,
# as on a failing one.
fsync_log_child() {
	FSYNC_LOG=$TMP/fsync.log
	cc -shared -fPIC -O2 -o "$TMP/fsync_log.so" "$LIB_DIR/fsync_log.c" \
	    -ldl 2>"$TMP/cc.err" || { cat "$TMP/cc.err" >&2;
		hard_error "cannot build tests/fsync_log.c"; }
	libexec_wrapped "$TMP/libexec-fsync" "$1" env \
	    LD_PRELOAD="$TMP/fsync_log.so" FSYNC_LOG="$FSYNC_LOG" \
	    FSYNC_DELAY_MS="${2:-0}" FSYNC_FAIL_AT="${3:-0}"
	export BINLOGD_LIBEXECDIR=$TMP/libexec-fsync
}

# fsync_log_streamer [DELAY_MS [FAIL_AT]]: fsync_log_child for the
# streamer (FAIL_AT counts a streamer's calls).
fsync_log_streamer() {
	fsync_log_child binlogd-streamer "$@"
}

# fsynced FILE: how many bytes of FILE the last fsync that returned 0
# covered ($FSYNC_LOG), 0 if none did: what a power loss would keep.
fsynced() {
	awk -v ino="$(stat -c %i "$1")" '$1 == ino && $5 == 0 { n = $2 }
	    END { print n + 0 }' "$FSYNC_LOG"
}

# fsyncs FILE: how many fsyncs of FILE returned 0.
fsyncs() {
	awk -v ino="$(stat -c %i "$1")" '$1 == ino && $5 == 0 { n++ }
	    END { print n + 0 }' "$FSYNC_LOG"
}

# sysbench_replayed FILE: binlogd's records in FILE, replayed into empty
# tables (records.py), must equal SELECT of every sbtest table.
sysbench_replayed() {
	local t
	for ((t = 1; t <= ${SB_TABLES:-4}; t++)); do
		sql "SELECT JSON_OBJECT('id', id, 'k', k, 'c', c, 'pad', pad)
		    FROM sbtest.sbtest$t" >"$TMP/sbtest$t.jsonl"
	done
	python_check "$1" "$TMP" "${SB_TABLES:-4}" "$(basename "$0")" <<'PY'
import sys
from records import check_replay
out, tmp, tables, test = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = check_replay(out, "sbtest", {f"sbtest{t}": f"{tmp}/sbtest{t}.jsonl"
                                    for t in range(1, tables + 1)})
print(f"{test}: {rows} rows replayed from the records equal SELECT",
      file=sys.stderr)
PY
}

# sysbench_oltp ARGS...: sysbench's oltp_write_only on the test server,
# as root on its socket, with the tables of database sbtest (SB_TABLES
# tables of SB_ROWS rows, default 4 and 10000).
sysbench_oltp() {
	command -v sysbench >/dev/null ||
	    skip "sysbench not found: apt-get install sysbench"
	sysbench --db-driver=mysql --mysql-socket="$DB_SOCK" \
	    --mysql-user=root --mysql-db=sbtest --tables="${SB_TABLES:-4}" \
	    --table-size="${SB_ROWS:-10000}" oltp_write_only "$@"
}

lib_checkpoint_is() {
	[ "$(binlogctl -s "$TMP/binlogd.sock" -j status |
	    jq -r .checkpoint.gtid)" = "$1" ]
}

# wait_for_checkpoint [seconds]: until binlogd's saved position is the
# server's GTID position now (default 120 s).
wait_for_checkpoint() {
	local gtid
	gtid=$(sql "SELECT @@global.gtid_binlog_pos")
	wait_until "${1:-120}" "binlogd's checkpoint to reach GTID $gtid" \
	    lib_checkpoint_is "$gtid"
}

# log_count ERE: how many lines of binlogd's log match.
log_count() {
	grep -Ec -- "$1" "$BL_LOG" || true
}

lib_log_count_reached() {
	lib_alive "$BL_PID" || fail "binlogd (pid $BL_PID) exited while" \
	    "waiting for /$1/ in its log"
	[ "$(log_count "$1")" -ge "$2" ]
}

# wait_for_log ERE [count] [seconds]: until binlogd's log has count lines
# matching ERE (default 1, 30 s); fails at once if binlogd exits.
wait_for_log() {
	wait_until "${3:-30}" "${2:-1} log line(s) matching /$1/" \
	    lib_log_count_reached "$1" "${2:-1}"
}

# binlogd_start [options]: binlogd_spawn, then wait for the supervisor's
# "ready: streaming" line: the streamer has its start position and the
# server is sending.  (checkpointd's own "ready: database" line comes
# first: a test that changed data after it raced the streamer's choice of
# start_position = latest, and lost the rows.)
binlogd_start() {
	local before
	before=$(log_count 'ready: streaming')
	binlogd_spawn "$@"
	wait_for_log 'ready: streaming' $((before + 1)) 60
}

# binlogd_stop: SIGTERM; binlogd must exit 0 and its children with it.
binlogd_stop() {
	local kids rc=0 pid
	kids=$(pgrep -P "$BL_PID" || true)
	kill -TERM "$BL_PID"
	wait_until 30 "binlogd (pid $BL_PID) to exit after SIGTERM" \
	    lib_gone "$BL_PID"
	wait "$BL_PID" || rc=$?
	lib_forget "$BL_PID"
	assert_eq 0 "$rc" "binlogd's exit status after SIGTERM"
	for pid in $kids; do
		wait_until 10 "child $pid of binlogd to exit" lib_gone "$pid"
	done
}

# child_pid streamer|checkpointd: the running child's pid, or nothing.
child_pid() {
	pgrep -P "$BL_PID" -f "binlogd-$1" || true
}

lib_has_child() {
	[ -n "$(child_pid "$1")" ]
}

# kill_child streamer|checkpointd: SIGKILL that child of binlogd; prints
# its pid.
kill_child() {
	local pid
	wait_until 30 "a running binlogd-$1" lib_has_child "$1"
	pid=$(child_pid "$1")
	kill -KILL "$pid"
	echo "$pid"
}

# kill_supervisor: SIGKILL binlogd itself; waits for its children to
# exit by themselves (they save and stop when it is gone).
kill_supervisor() {
	local kids pid
	kids=$(pgrep -P "$BL_PID" || true)
	kill -KILL "$BL_PID"
	for pid in $kids; do
		wait_until 15 "child $pid to exit after the supervisor died" \
		    lib_gone "$pid"
	done
	wait "$BL_PID" 2>/dev/null || true
	lib_forget "$BL_PID"
}

# churn_sql TABLE ROWS WRITES: statements for a writer of TABLE (id INT
# PRIMARY KEY, v INT, pad) whose ids were 1..ROWS: updates, deletes,
# inserts and primary-key changes in turn, one per transaction, WRITES
# of them or until $TMP/done exists.
churn_sql() {
	local t=$1 rows=$2 i id
	for ((i = 1; i <= $3; i++)); do
		[ ! -e "$TMP/done" ] || break
		id=$(( (i * 7919) % rows + 1 ))
		case $((i % 4)) in
		0) echo "UPDATE $t SET v = v + 1 WHERE id = $id;" ;;
		1) echo "DELETE FROM $t WHERE id = $id;" ;;
		2) echo "INSERT INTO $t VALUES ($((rows + i)), $i, 'new');" ;;
		3) echo "UPDATE $t SET id = $((2 * rows + i)) WHERE id = $id;" ;;
		esac
	done
}

lib_churned() { [ "$(sql "SELECT COUNT(*) FROM $1 WHERE v <> id")" -ge 20 ]; }

# churn_start TABLE ROWS WRITES: churn_sql's writer in the background
# ($WRITER), once its first changes are in; churn_stop ends it.
churn_start() {
	churn_sql "$@" | sql &
	WRITER=$!
	PIDS="$PIDS $WRITER"
	wait_until 30 "the writer's first changes" lib_churned "$1"
}

churn_stop() {
	touch "$TMP/done"
	wait "$WRITER" || fail "the writer failed"
	lib_forget "$WRITER"
}

# slow_records: a FIFO, $TMP/out, for binlogd's stdout, read by a process
# ($SLOW) that appends 8 KiB per 5 ms to $RECORDS until $TMP/fast exists
# (then as fast as it comes), and ends with the FIFO's writers.
slow_records() {
	mkfifo "$TMP/out"
	python3 - "$TMP/out" "$RECORDS" "$TMP/fast" <<'EOF' &
import os, sys, time
fifo, out, fast = sys.argv[1:]
fd = os.open(fifo, os.O_RDONLY)
with open(out, "ab") as o:
    while True:
        b = os.read(fd, 8192)
        if not b:
            break
        o.write(b)
        o.flush()
        if not os.path.exists(fast):
            time.sleep(0.005)
EOF
	SLOW=$!
	PIDS="$PIDS $SLOW"
}

record_count() {
	wc -l <"$RECORDS"
}

lib_records_reached() {
	[ "$(record_count)" -ge "$1" ]
}

# wait_for_records N [seconds]: until $RECORDS has N lines (default 60 s).
wait_for_records() {
	wait_until "${2:-60}" "$1 records in $RECORDS" \
	    lib_records_reached "$1"
}
