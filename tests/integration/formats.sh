#!/bin/bash
# formats.sh: every record format of the registry (binlogcat --help lists
# them), through binlogcat -F on the real binlogs of tests/fixtures.
#  1. The names: binlogcat's list, what binlogd -n accepts for [stream]
#     format, and binlogd.conf(5)'s list are the same.
#  2. Each format says the same thing as Maxwell's records, which
#     fixtures.sh checks against the fixtures' MANIFEST: one record per
#     row in the same order, the same change, images, position, GTID and
#     commit time; a format with transaction marks puts them on the same
#     rows.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"

CAT=${BINLOGD_TEST_SBINDIR:+$BINLOGD_TEST_SBINDIR/../bin/}binlogcat
command -v "$CAT" >/dev/null || hard_error "binlogcat not installed ($CAT)"
FIX=$LIB_DIR/fixtures/files
MAN=$LIB_DIR/../man/binlogd.conf.5.in

# --- 1. one list of names
names=$("$CAT" --help | sed -n 's/.*the record format: \(.*\) (default.*/\1/p')
assert_match "$names" "^maxwell( |$)" "binlogcat's format list"
BL_PORT=3306
for f in $names nosuchformat; do
	BL_EXTRA_STREAM="format = $f" binlogd_config
	rc=0
	binlogd -n -f -c "$BL_CONF" >"$TMP/n.out" 2>&1 || rc=$?
	if [ "$f" = nosuchformat ]; then
		assert_eq 78 "$rc" "binlogd -n with format = $f"
	else
		assert_eq 0 "$rc" "binlogd -n with format = $f: $(cat "$TMP/n.out")"
	fi
done
# ".It Cm format No = Cm maxwell | debezium"
documented=$(grep -E '^\.It Cm format No = ' "$MAN" |
    sed 's/^\.It Cm format No = Cm //' | tr -d '|' | tr -s ' ' '\n' |
    sort -u | tr '\n' ' ')
assert_eq "$(echo "$names" | tr ' ' '\n' | sort -u | tr '\n' ' ')" \
    "$documented" "formats binlogd.conf(5) lists"

# --- 2. each format against Maxwell's records
for f in "$FIX"/*.binlog; do
	base=$(basename "$f" .binlog)
	"$CAT" "$f" >"$TMP/$base.maxwell" 2>/dev/null ||
	    fail "binlogcat $base"
	for fmt in $names; do
		"$CAT" -F "$fmt" "$f" >"$TMP/$base.$fmt" 2>/dev/null ||
		    fail "binlogcat -F $fmt $base"
	done
done
python_check "$TMP" "$names" <<'PY'
import glob, json, os, sys
from records import fail
tmp, names = sys.argv[1], sys.argv[2].split()

def maxwell(r):
    """An update's "old" holds only the changed columns of the before
    image, which may itself hold only some (binlog_row_image MINIMAL):
    the before image is then what a column's value was, where known."""
    change = r["type"]
    after = None if change == "delete" else r["data"]
    before = r["data"] if change == "delete" else None
    if change == "update":
        before = Before(r["data"], r.get("old", {}))
    return (change, before, after, r["position"], r.get("gtid"),
            r["ts"], r.get("commit", False))

class Before:
    """Equal to a before image that has every changed column's old value
    and, for the others it has, the unchanged value."""
    def __init__(self, data, old):
        self.data, self.old = data, old
    def __eq__(self, image):
        if isinstance(image, Before):
            return (self.data, self.old) == (image.data, image.old)
        return isinstance(image, dict) and set(self.old) <= set(image) and \
            all(v == (self.old[k] if k in self.old else self.data.get(k))
                for k, v in image.items())
    def __repr__(self):
        return f"Before(data={self.data}, old={self.old})"

def debezium(r):
    s = r["source"]
    change = {"c": "insert", "u": "update", "d": "delete"}[r["op"]]
    return (change, r["before"], r["after"], f"{s['file']}:{s['pos']}",
            s["gtid"], s["ts_ms"] // 1000, None)

views = {"maxwell": maxwell, "debezium": debezium}
for fmt in names:
    if fmt not in views:
        fail(f"format {fmt} has no view in formats.sh: add one")
files = sorted(glob.glob(f"{tmp}/*.maxwell"))
if len(files) < 10:
    fail(f"only {len(files)} fixtures read")
rows = 0
for mf in files:
    base = mf[:-len(".maxwell")]
    want = [maxwell(json.loads(l)) for l in open(mf)]
    rows += len(want)
    for fmt in names:
        got = [views[fmt](json.loads(l)) for l in open(f"{base}.{fmt}")]
        if len(got) != len(want):
            fail(f"{os.path.basename(base)}: {len(got)} {fmt} records, "
                 f"{len(want)} Maxwell records")
        for n, (g, w) in enumerate(zip(got, want), 1):
            g = g[:6] + ((w[6],) if g[6] is None else g[6:])
            if w != g:
                fail(f"{os.path.basename(base)} record {n}: {fmt} says "
                     f"{g}, Maxwell {w}")
print(f"formats.sh: {rows} rows of {len(files)} fixtures in "
      f"{len(names)} formats agree", file=sys.stderr)
PY
