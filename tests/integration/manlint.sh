#!/bin/bash
# manlint.sh: every installed man page is clean under mandoc -Tlint -W
# warning; binlogd's and binlogctl's usage() match their SYNOPSIS, options
# and commands; every option of the table in common/config.c is in
# binlogd.conf(5) and every option there is in the table.
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v mandoc >/dev/null || skip "mandoc is not installed (Debian: mandoc)"
mandir=$(cd "$(dirname "$(command -v binlogd)")/../share/man" 2>/dev/null &&
    pwd) || hard_error "no share/man beside the installed binlogd"

for page in man8/binlogd.8 man8/binlogctl.8 man5/binlogd.conf.5; do
	[ -f "$mandir/$page" ] || fail "$page is not installed in $mandir"
done
n=0
for page in "$mandir"/man*/*; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1) ||
	    fail "mandoc -Tlint -W warning $page: $out"
	assert_eq "" "$out" "mandoc -Tlint -W warning $page"
	n=$((n + 1))
done
note "$n pages lint clean"

# Quotes as rendered: mandoc -Tlint does not see an enclosure macro (Dq,
# Qq) opened inside another one on the same line, which piles the closing
# quotes up at the end ("gtid, "file, ... in seconds"""").  Each paragraph
# must close every quote before opening the next and never print two
# closing quotes in a row.
for page in "$mandir"/man*/*; do
	mandoc -Tutf8 "$page" | python3 -c 'import re, sys
text = re.sub(".\b", "", sys.stdin.read())
bad = []
for para in re.split(r"\n\s*\n", text):
    flat = " ".join(para.split())
    for pattern in (r"[\"\u201d]{2,}", r"\u201c[^\u201d]*\u201c"):
        bad += [m.group(0)[:60] for m in re.finditer(pattern, flat)]
if bad:
    sys.exit(sys.argv[1] + ": broken quotes in the rendered page: " +
        " | ".join(bad))' "$page" || fail "quotes in $page as rendered"
done

# synopsis PAGE: the SYNOPSIS section as rendered, on one line.
synopsis() {
	mandoc -Tascii -O width=300 "$mandir/$1" | python3 -c 'import re, sys
text = re.sub(".\b", "", sys.stdin.read())
m = re.search(r"^SYNOPSIS\n(.*?)\n\n", text, re.S | re.M)
print(" ".join(m.group(1).split()))'
}
# options PAGE: the flags the page lists, as "-x" lines, sorted.
page_flags() {
	sed -n 's/^\.It Fl \([a-zA-Z]\).*/-\1/p' "$mandir/$1" | sort -u
}
usage_flags() {
	"$@" -h | sed -n 's/^  \(-[a-zA-Z]\) .*/\1/p' | sort -u
}

assert_eq "usage: $(synopsis man8/binlogd.8)" "$(binlogd -h | head -1)" \
    "binlogd usage() against binlogd(8) SYNOPSIS"
assert_eq "usage: $(synopsis man8/binlogctl.8)" "$(binlogctl -h | head -1)" \
    "binlogctl usage() against binlogctl(8) SYNOPSIS"
assert_eq "$(page_flags man8/binlogd.8)" "$(usage_flags binlogd)" \
    "binlogd's options in usage() and binlogd(8)"
assert_eq "$(page_flags man8/binlogctl.8)" "$(usage_flags binlogctl)" \
    "binlogctl's options in usage() and binlogctl(8)"
assert_eq "$(sed -n 's/^\.It Cm \([a-z-]*\)$/\1/p' "$mandir/man8/binlogctl.8" |
    sort)" "$(binlogctl -h | sed -n '/^commands:/,$s/^  \([a-z-]*\) .*/\1/p' |
    sort)" "binlogctl's commands in usage() and binlogctl(8)"

# The option table against binlogd.conf(5), as section.name lines.
python3 - "$SRC/common/config.c" "$mandir/man5/binlogd.conf.5" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
table = src[src.index("opts[] = {"):]
table = table[:table.index("\n};")]
code = {f"{s}.{n}" for s, n in re.findall(r'[({]\s*"(\w+)",\s*"(\w+)"', table)}
page, section = set(), None
for line in open(sys.argv[2]):
    m = re.match(r"\.Sh (\w+) SECTION", line)
    if m:
        section = m.group(1).lower()
    elif line.startswith(".Sh"):
        section = None
    elif section and line.startswith(".It Cm "):
        names = line[len(".It Cm "):].split(" No ")[0]
        page |= {f"{section}.{n}" for n in re.split(r"[ ,]+", names) if n}
if code != page:
    sys.exit(f"FAIL: only in common/config.c: {sorted(code - page)}; "
             f"only in binlogd.conf(5): {sorted(page - code)}")
print(f"{len(code)} options, the same in the table and the page")
PY
