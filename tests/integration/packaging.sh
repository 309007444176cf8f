#!/bin/bash
# packaging.sh: the documented packaging build, ./configure --prefix=/usr
# --sysconfdir=/etc and make install DESTDIR=, puts binlogd's runtime
# files under /run/binlogd and its state under /var/lib/binlogd -- the
# compiled-in defaults, the sample configuration, the man pages, the init
# script and the systemd unit (RuntimeDirectory=, StateDirectory=, User=
# with its sysusers.d entry) all agree -- never /usr/var; the staged unit
# passes systemd-analyze verify.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v systemd-analyze >/dev/null ||
    skip "systemd-analyze is not installed (Debian: systemd)"
[ ! -f "$SRC/config.status" ] ||
    skip "$SRC is configured in place; this test builds beside it"
STAGE=$TMP/stage
mkdir "$TMP/build"
(cd "$TMP/build" && "$SRC/configure" -q --prefix=/usr --sysconfdir=/etc \
    --without-kafka && make -s -j2 install DESTDIR="$STAGE") \
    >"$TMP/build.log" 2>&1 || { tail -n 30 "$TMP/build.log" >&2;
    hard_error "the packaging build failed"; }

RUN=/run/binlogd STATE=/var/lib/binlogd
unit=$STAGE/usr/lib/systemd/system/binlogd.service
[ -f "$unit" ] || fail "no unit at /usr/lib/systemd/system"
key() { sed -n "s/^$1=//p" "$unit"; }
assert_eq "$RUN" "/run/$(key RuntimeDirectory)" "the unit's RuntimeDirectory"
assert_eq "$STATE" "/var/lib/$(key StateDirectory)" \
    "the unit's StateDirectory"
assert_eq notify "$(key Type)" "the unit's Type"
user=$(key User)
[ -n "$user" ] || fail "the unit names no User="
assert_eq "u $user - \"binlogd change data capture\" $STATE" \
    "$(grep -v '^#' "$STAGE/usr/lib/sysusers.d/binlogd.conf")" \
    "the sysusers.d entry for User=$user"
for p in $(key ReadWritePaths); do
	case ${p#-} in
	"$RUN"*|"$STATE"*) ;;
	*) fail "ReadWritePaths=$p lies outside $RUN and $STATE" ;;
	esac
done
# systemd-analyze verify checks that the binaries exist: the staged ones.
sed "s|/usr/sbin/|$STAGE/usr/sbin/|g" "$unit" >"$TMP/binlogd.service"
out=$(MANPATH=$STAGE/usr/share/man systemd-analyze verify \
    "$TMP/binlogd.service" 2>&1) || fail "systemd-analyze verify: $out"
assert_eq "" "$out" "systemd-analyze verify output"

# The compiled-in defaults: binlogctl names the socket it looked for.
printf '[server]\nhost = 127.0.0.1\n' >"$TMP/minimal.conf"
out=$("$STAGE/usr/sbin/binlogctl" -c "$TMP/minimal.conf" status 2>&1) || true
assert_match "$out" "nothing listens on $RUN/binlogd.sock\\b" \
    "binlogctl's default control socket"
grep -qa "$STATE/checkpoint.db" "$STAGE/usr/sbin/binlogd" ||
    fail "binlogd was not compiled with $STATE/checkpoint.db"
# The sample, the pages and the init script say the same.
sample=$STAGE/etc/binlogd.conf.sample
assert_eq "$RUN/binlogd.pid $RUN/binlogd.sock $STATE/checkpoint.db" \
    "$(sed -n 's/^\(pid_file\|control_socket\|database\) = //p' "$sample" |
    tr '\n' ' ' | sed 's/ $//')" "the sample's pid_file, socket, database"
for page in man8/binlogd.8 man5/binlogd.conf.5; do
	for f in "$RUN/binlogd.pid" "$RUN/binlogd.sock" "$STATE/checkpoint.db"; do
		grep -q "$f" "$STAGE/usr/share/man/$page" ||
		    fail "$page does not name $f"
	done
done
grep -q "$RUN/binlogd.pid" "$STAGE/etc/init.d/binlogd" ||
    fail "the init script's default pid file is not $RUN/binlogd.pid"
if grep -rlaF /usr/var "$STAGE" >"$TMP/usrvar"; then
	fail "/usr/var in $(tr '\n' ' ' <"$TMP/usrvar")"
fi
