"""testdata.py: binlogcat's records against mariadb-binlog's rows, for
the binlogs testdata.sh gathers (mariadb-test-data's, two of the test
server's, the fixtures) and has run both tools on.

    python3 testdata.py DIR

DIR/files lists "N<TAB>path"; DIR/N.rc and DIR/N.err are binlogcat's exit
status and stderr, DIR/N.jsonl its records, DIR/N.mb the output of
`mariadb-binlog --print-table-metadata --base64-output=decode-rows -vv`
and DIR/N.mberr its stderr.  The ### lines of that output are the rows,
its "# Columns(...)" lines what each TABLE_MAP says of its columns.

Both sides are reduced to binlogd-records(7)'s value forms, statement by
statement (a record's position is the offset of its rows event, mariadb-
binlog's "# at"), and every row mariadb-binlog shows must be binlogcat's.
Where the two print one value differently, the notation is normalised
here: mariadb-binlog's integers signed with the unsigned reading after a
negative one ("-1 (4294967295)"; UNSIGNED from "# Columns"), DECIMAL and
DOUBLE compared as numbers, FLOAT in %g, BIT as b'...', DATE with colons,
YEAR 0 as 1900, TIMESTAMP as seconds, ENUM and SET as numbers (names when
the metadata has them), strings quoted with bytes below 0x20 as \\xNN and
BINARY(n) without its trailing zero bytes (binlogd pads the value back),
text in the column's collation read from the TABLE_MAP's bytes (mariadb-
binlog prints a collation it does not know, MySQL 8's 255, as binary),
and U+FFFD once per invalid byte (binlogd-records(7); Python's "replace"
puts one per maximal subpart).  A value on which they disagree is a
mismatch, to be decided from the bytes and the server's source, and
fixed in the decoder or listed in MISMATCHES with the reason.  A file
binlogcat refuses (exit 85) must be one mariadb-binlog refuses at the
same offset, or be listed in REFUSED.

Prints a line of counts per file and the refusals; exits 1 on anything
unexplained."""
import base64
import codecs
import datetime
import json
import os
import re
import sys
from decimal import Decimal

# (file, rows event offset) -> why mariadb-binlog, not binlogcat, is
# wrong there.  Empty: every disagreement found so far was binlogcat's
# (fixed) or a notation (normalised).
MISMATCHES = {}

# file -> (binlogcat's error, why it refuses the file).  Files both tools
# refuse at the same offset need no entry.
REFUSED = {
    "binlog_before_20574.bin": (
        r"START_ENCRYPTION .*:256: the file is encrypted",
        "an encrypted binlog; mariadb-binlog cannot read it either "
        "(\"Event decryption failure\")"),
    "bug11747416_32228_binlog.000001": (
        r"event at offset 316 claims 65567 bytes",
        "the file is cut at 8 KiB; mariadb-binlog: \"Event truncated\""),
    # event.c (the lead's): formats mariadb-binlog reads and binlogcat
    # does not decode yet
    "bug47142_master-bin.000001": (
        r"START_V3 event \(type 1\) at \S+:4: a binlog of format v1 or v3",
        "binlog v3 (MySQL 4.x): START_V3, statements only"),
    "master-bin.000001": (
        r"START_V3 event \(type 1\) at \S+:4: a binlog of format v1 or v3",
        "binlog v1/v3 (MySQL 3.23/4.x): START_V3, statements only"),
    "trunc_binlog.000001": (
        r"START_V3 event \(type 1\) at \S+:4: a binlog of format v1 or v3",
        "binlog v3 (MySQL 4.x): START_V3, statements only"),
    "binlog_old_version_4_1.000001": (
        r"START_V3 event \(type 1\) at \S+:4: a binlog of format v1 or v3",
        "binlog v3 (MySQL 4.1): START_V3, statements only"),
    "mdev-4645-binlog_checksum.binlog": (
        r"FORMAT_DESCRIPTION .*:4: unexpected common header length",
        "a common header of 23 bytes (Google's MySQL 5.1.63: "
        "a checksum in every header)"),
    "mdev-4645-binlog_group_id.binlog": (
        r"FORMAT_DESCRIPTION .*:4: unexpected common header length",
        "a common header of 27 bytes (Google's group ids)"),
    "mdev-4645-binlog_group_id_checksum.binlog": (
        r"FORMAT_DESCRIPTION .*:4: unexpected common header length",
        "a common header of 31 bytes (group ids and checksums)"),
    "bug32407.001": (
        r"PRE_GA_WRITE_ROWS event \(type 20\) at \S+:242: rows events of MySQL 5.1 before",
        "MySQL 5.1.15's pre-GA rows events (mariadb-binlog prints them "
        "as Write_rows_old with \"Number of rows: 0\", no values)"),
    "ver_5_1-telco.001": (
        r"PRE_GA_WRITE_ROWS event \(type 20\) at \S+:461: rows events of MySQL 5.1 before",
        "MySQL 5.1.17's pre-GA rows events (as bug32407.001)"),
    "ver_5_1_17.001": (
        r"PRE_GA_WRITE_ROWS event \(type 20\) at \S+:461: rows events of MySQL 5.1 before",
        "MySQL 5.1.17's pre-GA rows events (as bug32407.001)"),
    # an INCIDENT makes the status 85 by design (binlogcat(1))
    "bug40482-bin.000001": (
        r"and 1 incident\(s\)",
        "an INCIDENT event: the server says it lost changes here"),
}

AT = re.compile(rb"^# at (\d+)$")
HEADER = re.compile(rb"^#\d{6} [ \d]\d:\d\d:\d\d server id \d+ ")
TABLE_MAP = re.compile(rb"\tTable_map: `((?:[^`]|``)*)`\.`((?:[^`]|``)*)` "
                       rb"mapped to number (\d+)")
ROWS = re.compile(rb"\t(\w+)_rows\w*: table id (\d+)")
ROW = re.compile(rb"^### (INSERT INTO|UPDATE|DELETE FROM) "
                 rb"`((?:[^`]|``)*)`\.`((?:[^`]|``)*)`$")
VALUE = re.compile(rb"^###   @(\d+)=(.*) /\* (.*?) ?meta=(\d+) "
                   rb"nullable=(\d) is_null=(\d) \*/$", re.S)
KIND = {b"INSERT INTO": "insert", b"UPDATE": "update",
        b"DELETE FROM": "delete"}


class Col:
    """One column as the "# Columns(" line describes it."""

    def __init__(self, text):
        self.name = None
        m = re.match(r"`((?:[^`]|``)*)` ", text)
        if m:
            self.name = m.group(1).replace("``", "`")
            text = text[m.end():]
        self.text = text
        self.unsigned = " UNSIGNED" in text
        self.collation = None	# with_charsets: from the TABLE_MAP
        m = re.search(r" CHARSET (\w+)", text)
        self.charset = m.group(1) if m else None
        self.names = None
        m = re.match(r"(ENUM|SET)\((.*)\)", text)
        if m:
            self.names = [s.replace("''", "'") for s in
                          re.findall(r"'((?:[^']|'')*)'", m.group(2))]


def lenenc(b, i):
    if b[i] < 251:
        return b[i], i + 1
    n = {252: 2, 253: 3, 254: 8}[b[i]]
    return int.from_bytes(b[i + 1:i + 1 + n], "little"), i + 1 + n


def collations(binlog, at):
    """The collation id of each column of the TABLE_MAP at offset at
    (None where its metadata names none), read from the bytes by the
    format's description: mariadb-binlog prints a character set it does
    not know (MySQL 8's 255) and binary alike, as BINARY or BLOB."""
    d = binlog
    size = int.from_bytes(d[at + 9:at + 13], "little")
    end = at + size - (4 if binlog_checksum(d) else 0)
    post = 6 if len(d) > 4 + 19 + 57 + 19 and d[4 + 19 + 57 + 18] == 6 else 8
    i = at + 19 + post
    i += 1 + d[i] + 1
    i += 1 + d[i] + 1
    n, i = lenenc(d, i)
    types = list(d[i:i + n])
    i += n
    mlen, i = lenenc(d, i)
    meta, i = d[i:i + mlen], i + mlen
    i += (n + 7) // 8
    # the real type of a STRING column is in its metadata's first byte
    k, real = 0, []
    for t in types:
        size = {4: 1, 5: 1, 252: 1, 249: 1, 250: 1, 251: 1, 255: 1,
                245: 1, 242: 1, 17: 1, 18: 1, 19: 1, 15: 2, 253: 2,
                254: 2, 246: 2, 16: 2, 247: 2, 248: 2}.get(t, 0)
        if t == 254 and (meta[k] & 0x30) == 0x30:
            t = meta[k]
        real.append(t)
        k += size
    # the columns with a slot in the charset fields: MariaDB's GEOMETRY
    # is a BLOB (its Field_geom); MySQL 9's VECTOR has one, its GEOMETRY
    # none (sql/log_event.cc, is_character_type)
    extra = 255 if b"MariaDB" in d[4 + 19 + 2:4 + 19 + 52] else 242
    text_cols = [c for c, t in enumerate(real)
                 if t in (254, 15, 253, 252, 249, 250, 251, extra)]
    coll = [None] * n
    while i < end:
        kind = d[i]
        length, i = lenenc(d, i + 1)
        f, fend, i = i, i + length, i + length
        if kind == 2:		# DEFAULT_CHARSET: default, then exceptions
            dflt, f = lenenc(d, f)
            for c in text_cols:
                coll[c] = dflt
            while f < fend:
                idx, f = lenenc(d, f)
                cs, f = lenenc(d, f)
                coll[text_cols[idx]] = cs
        elif kind == 3:		# COLUMN_CHARSET: one per text column
            for c in text_cols:
                coll[c], f = lenenc(d, f)
    return coll


def binlog_checksum(d):
    """Whether the FORMAT_DESCRIPTION (at 4) declares CRC32 checksums."""
    size = int.from_bytes(d[4 + 9:4 + 13], "little")
    return d[4 + 4] == 15 and size >= 19 + 57 + 5 and d[4 + size - 5] == 1


def collation_codec(cid):
    """A collation id's Python codec (None: binary; "?": not known)."""
    if cid == 63:
        return None
    if cid in (5, 8, 15, 31, 47, 48, 49, 94):
        return "cp1252"		# latin1, which is the server's cp1252
    if cid in (33, 83) or 192 <= cid <= 223 or 576 <= cid <= 671:
        return "utf-8"		# utf8mb3
    if cid in (45, 46) or 224 <= cid <= 247 or 255 <= cid <= 323 or \
            cid >= 2048:
        return "utf-8"		# utf8mb4
    if cid in (11, 65):
        return "ascii"
    return "?"


def with_charsets(cols, binlog, at):
    if cols is None:
        return None
    try:
        coll = collations(binlog, at)
    except (IndexError, KeyError):
        coll = [None] * len(cols)
    for col, cid in zip(cols, coll):
        col.collation = cid
    return cols


def columns(lines, i):
    """The "# Columns(...)" description after a Table_map line, if any:
    (cols, next line)."""
    if i >= len(lines) or not lines[i].startswith(b"# Columns("):
        return None, i
    text = lines[i][len(b"# Columns("):]
    i += 1
    while not text.endswith(b")") and i < len(lines) and \
            lines[i].startswith(b"#         "):
        text += b"\n" + lines[i][len(b"#         "):]
        i += 1
    parts = text[:-1].decode("utf-8", "replace").split(",\n")
    return [Col(p) for p in parts], i


def mariadb_rows(path, binlog):
    """[(rows event offsets, [(kind, db, table, after-or-only image,
    before image, columns)])]: mariadb-binlog prints the rows of a
    statement's events together, after the one marked STMT_END_F.  An
    image is {column number: (value text, type, meta)}."""
    lines = open(path, "rb").read().split(b"\n")
    groups, maps, names = [], {}, {}
    at, row, image, group, ats = None, None, None, None, []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = AT.match(line)
        if m:
            ats.append(int(m.group(1)))
            continue
        if HEADER.match(line):
            # "# at" comes first; the header of a rows event waits with
            # its rows until the statement's last event
            at = ats.pop(0) if ats else None
        m = TABLE_MAP.search(line)
        if m:
            cols, i = columns(lines, i)
            table = (m.group(1).decode(), m.group(2).decode())
            maps[int(m.group(3))] = table
            names[table] = with_charsets(cols, binlog, at)
            continue
        m = ROWS.search(line)
        if m:
            if group is None or group[2]:
                group = ([], [], False)
                groups.append(group)
            group[0].append(at)
            if b"STMT_END_F" in line:
                group = (group[0], group[1], True)
                groups[-1] = group
            continue
        m = ROW.match(line)
        if m:
            table = (m.group(2).decode(), m.group(3).decode())
            row = (KIND[m.group(1)], table[0], table[1], {}, {},
                   names.get(table))
            group[1].append(row)
            image = row[4] if row[0] == "update" else row[3]
            continue
        if line == b"### SET":
            image = row[3]
        elif line == b"### WHERE":
            image = row[4] if row[0] == "update" else row[3]
        elif line.startswith(b"###   @"):
            m = VALUE.match(line)
            if not m:
                raise SystemExit(f"FAIL: {path}: unparsed value line "
                                 f"{line[:200]!r}")
            image[int(m.group(1))] = (m.group(2), m.group(3).decode(),
                                      int(m.group(4)))
    return [(g[0], g[1]) for g in groups]


def unquote(text):
    """mariadb-binlog's quoted bytes: '...' with bytes below 0x20 as \\xNN
    (my_b_write_quoted; ' and \\ themselves are not escaped)."""
    if len(text) < 2 or text[:1] != b"'" or text[-1:] != b"'":
        raise ValueError(f"not a quoted string: {text[:80]!r}")
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  text[1:-1])


# mariadb-binlog's names of the character sets the table above lacks,
# where Python's differ
PY_CODECS = {"utf16": "utf-16-be", "utf16le": "utf-16-le",
             "utf32": "utf-32-be", "ucs2": "utf-16-be", "sjis": "cp932",
             "cp932": "cp932", "ujis": "euc-jp", "eucjpms": "euc-jp",
             "euckr": "euc-kr", "koi8r": "koi8-r", "koi8u": "koi8-u",
             "greek": "iso8859-7", "hebrew": "iso8859-8",
             "latin2": "iso8859-2", "latin5": "iso8859-9",
             "latin7": "iso8859-13", "macroman": "mac-roman",
             "tis620": "tis-620", "hp8": "hp-roman8", "binary": None}


class Unknown(Exception):
    """A value this comparator cannot read: counted, not compared."""


def one_per_byte(e):
    """binlogd-records(7): each byte that is not valid in the column's
    character set becomes U+FFFD (Python: one per maximal subpart)."""
    return "\ufffd", e.start + 1


codecs.register_error("binlogd", one_per_byte)


def utc(seconds, frac=""):
    if seconds == 0 and frac.strip("0") == "":
        return "0000-00-00 00:00:00" + ("." + frac if frac else "")
    t = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S") + ("." + frac if frac else "")


def expected(text, typ, meta, col):
    """mariadb-binlog's value text in binlogd-records(7)'s form."""
    if text == b"NULL":
        return None
    base = typ.split("(")[0]
    if base in ("TINYINT", "SHORTINT", "MEDIUMINT", "INT", "LONGINT"):
        m = re.fullmatch(rb"(-?\d+)(?: \((\d+)\))?", text)
        signed, unsigned = int(m.group(1)), m.group(2)
        if col is not None and col.unsigned and unsigned is not None:
            return int(unsigned)
        return signed
    if base == "DECIMAL":
        return ("decimal", text.decode())
    if base == "FLOAT":
        return ("float", text.decode().strip())
    if base == "DOUBLE":
        return ("double", float(text))
    if base == "BIT":
        return int(re.fullmatch(rb"b'([01]*)'", text).group(1) or b"0", 2)
    if base == "TIMESTAMP":
        sec, _, frac = text.decode().partition(".")
        return utc(int(sec), frac)
    if base in ("DATETIME", "TIME"):
        return unquote(text).decode()
    if base == "DATE":
        return unquote(text).decode().replace(":", "-")
    if base == "YEAR":
        return 0 if int(text) == 1900 else int(text)	# byte 0: year 0
    if base == "ENUM":
        if col is not None and col.names:
            n = int(text)
            return col.names[n - 1] if 0 < n <= len(col.names) else ""
        return int(text)
    if base == "SET":
        bits = int(re.fullmatch(rb"b'([01]*)'", text).group(1), 2)
        if col is not None and col.names:
            return [s for k, s in enumerate(col.names) if bits >> k & 1]
        return bits
    b = unquote(text)
    # no collation in the TABLE_MAP: binlogcat takes text to be UTF-8
    codec = "utf-8"
    if col is not None and col.collation is not None:
        codec = collation_codec(col.collation)
    if base == "STRING" and codec is None:
        # BINARY(n): the server logs it without its trailing 0x00
        # padding, binlogcat writes the column's value, padded
        b = b.ljust(int(re.search(r"\((\d+)\)", typ).group(1)), b"\0")
    if base == "GEOMETRY" or codec is None:
        return base64.b64encode(b).decode()
    if codec == "?":
        codec = PY_CODECS.get(col.charset, col.charset)
    try:
        return b.decode(codec or "?", "binlogd")
    except LookupError:
        raise Unknown(f"collation {col.collation} ({col.charset}): "
                      f"no Python codec") from None


def same(want, got):
    if isinstance(want, tuple):
        kind, v = want
        if kind == "decimal":
            return not isinstance(got, (str, bool, float)) and \
                (str(got) if isinstance(got, int) else format(got, "f")) == v
        if kind == "float":
            return not isinstance(got, (str, bool)) and \
                "%g" % float(got) == v
        return not isinstance(got, (str, bool)) and float(got) == v
    if isinstance(want, int) and isinstance(got, Decimal):
        return False
    return want == got and type(want) is type(got)


class Compare:
    def __init__(self, name):
        self.name = name
        self.rows = self.values = self.excused = 0
        self.at = None		# the statement's first rows event
        self.skipped = []
        self.mismatches = []

    def bad(self, where, what):
        if (self.name, self.at) in MISMATCHES:
            self.excused += 1
        else:
            self.mismatches.append(f"{self.name} {where}: {what}")

    def image(self, where, mb, got, cols, drop=()):
        """mariadb-binlog's image mb against a record's values."""
        for n, (text, typ, meta) in sorted(mb.items()):
            col = cols[n - 1] if cols and n <= len(cols) else None
            key = col.name if col is not None and col.name else f"@{n}"
            if key in drop:
                continue
            if key not in got:
                self.bad(f"{where} {key}", f"missing, mariadb-binlog has "
                         f"{text[:80]!r} ({typ})")
                continue
            try:
                want = expected(text, typ, meta, col)
            except Unknown as e:
                self.skipped.append(f"{where} {key}: {e}")
                continue
            except (ValueError, AttributeError) as e:
                self.bad(f"{where} {key}", f"mariadb-binlog's {typ} "
                         f"{text[:80]!r} unread: {e}")
                continue
            self.values += 1
            if not same(want, got[key]):
                self.bad(f"{where} {key}", f"{typ} meta={meta}: binlogcat "
                         f"{got[key]!r}, mariadb-binlog {text[:120]!r} "
                         f"(expected {want!r})")

    def row(self, where, mb, rec):
        kind, db, table, data, before, cols = mb
        if (rec["type"], rec["database"], rec["table"]) != (kind, db, table):
            self.bad(where, f"binlogcat {rec['type']} {rec['database']}."
                     f"{rec['table']}, mariadb-binlog {kind} {db}.{table}")
            return
        self.rows += 1
        data_got, old = rec.get("data", {}), rec.get("old", {})
        if kind != "update":
            self.image(where, data, data_got, cols)
            extra = set(data_got) - {self.key(n, cols) for n in data}
        else:
            # data: the after image, and what only the before image has;
            # old: the before values of the columns that changed
            self.image(where + " after", data, data_got, cols)
            merged = {**data_got, **old}
            self.image(where + " before", before, merged, cols)
            keys = {self.key(n, cols) for n in list(data) + list(before)}
            extra = (set(data_got) | set(old)) - keys
        if extra:
            self.bad(where, f"binlogcat has columns mariadb-binlog does not: "
                     f"{sorted(extra)}")

    @staticmethod
    def key(n, cols):
        col = cols[n - 1] if cols and n <= len(cols) else None
        return col.name if col is not None and col.name else f"@{n}"


def compare(name, binlog_path, records_path, mb_path):
    """The rows of one file: a Compare with its counts and mismatches."""
    by_event = {}
    with open(records_path, "rb") as f:
        for raw in f:
            rec = json.loads(raw, parse_float=Decimal)
            off = int(rec["position"].rsplit(":", 1)[1])
            by_event.setdefault(off, []).append(rec)
    groups = mariadb_rows(mb_path, open(binlog_path, "rb").read())
    c = Compare(name)
    last = max(by_event) if by_event else -1
    c.unreached = 0
    for offsets, rows in groups:
        recs = [r for at in offsets for r in by_event.pop(at, [])]
        c.at = offsets[0]
        where = f"event at {offsets[0]}"
        if not recs and offsets[0] > last:
            c.unreached += len(rows)	# binlogcat stopped before them
            continue
        if len(recs) != len(rows):
            c.bad(where, f"binlogcat {len(recs)} rows, mariadb-binlog "
                  f"{len(rows)}")
            continue
        for k, (mb, rec) in enumerate(zip(rows, recs)):
            c.row(f"{where} row {k + 1}", mb, rec)
    c.unseen = sum(len(v) for v in by_event.values())
    return c


def refusal(name, path, err, mberr):
    """Why binlogcat's exit 85 on this file is right, or None.  Its error
    names the path; warnings before it (statement-logged changes) and
    the count after it do not."""
    errors = [l for l in err.splitlines()
              if l.startswith(f"binlogcat: {path}: ")]
    err = errors[0] if errors else err
    m = re.search(r"(?:at \S+:|at offset )(\d+)", err)
    both = re.search(r"Could not read entry at offset (\d+)", mberr)
    if m and both and m.group(1) == both.group(1):
        return f"mariadb-binlog refuses the event at {m.group(1)} too"
    if name in REFUSED and re.search(REFUSED[name][0], err):
        return REFUSED[name][1]
    return None


def main():
    d = sys.argv[1]
    bad, refused, total = [], [], [0, 0]
    for line in open(os.path.join(d, "files")):
        n, path = line.rstrip("\n").split("\t")
        name = os.path.basename(path)
        base = os.path.join(d, n)
        rc = int(open(base + ".rc").read())
        err = open(base + ".err", errors="replace").read().strip()
        mberr = open(base + ".mberr", errors="replace").read()
        c = compare(name, path, base + ".jsonl", base + ".mb")
        total[0] += c.rows
        total[1] += len(c.mismatches)
        print(f"{name}: exit {rc}, {c.rows} rows compared ({c.values} "
              f"values), {len(c.mismatches)} mismatches"
              + (f" ({c.excused} listed)" if c.excused else "")
              + (f"; {c.unseen} rows mariadb-binlog does not show"
                 if c.unseen else "")
              + (f"; {c.unreached} after binlogcat stopped"
                 if c.unreached else "")
              + (f"; {len(c.skipped)} values not compared"
                 if c.skipped else ""))
        for k in c.skipped[:3]:
            print(f"  not compared: {k}")
        bad += c.mismatches
        if rc == 85:
            why = refusal(name, path, err, mberr)
            errors = [l for l in err.splitlines() if path in l] or \
                err.splitlines()[-1:]
            refused.append(f"  {name}: {errors[0] if errors else ''}"
                           f"\n      ({why or 'NOT EXPLAINED'})")
            if why is None:
                bad.append(f"{name}: exit 85 not explained: {err}")
        elif name in REFUSED:
            print(f"  note: {name} is read now; its REFUSED entry can go")
    print(f"{len(refused)} files exit 85:")
    print("\n".join(refused))
    print(f"total: {total[0]} rows compared, {total[1]} mismatches")
    for m in bad[:40]:
        print("FAIL: " + m, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
