"""records.py: what the integration tests' Python checks share -- binlogd's
records and log read strictly, failures that name the record at fault."""
import json
import re
import sys


def fail(msg):
    sys.exit("FAIL: " + msg)


def load_records(path):
    """Every line of binlogd's stdout as a JSON object."""
    records = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                rec = json.loads(raw.decode("utf-8"))
            except ValueError as e:
                fail(f"record {n} is not UTF-8 JSON ({e}): {raw!r}")
            if not isinstance(rec, dict):
                fail(f"record {n} is not a JSON object: {raw!r}")
            records.append(rec)
    return records


def position(pos, where):
    """"binlog.000001:1234" -> ("binlog.000001", 1234)."""
    m = re.fullmatch(r"([\w.-]+\.[0-9]{6}):([0-9]+)", str(pos))
    if not m:
        fail(f"{where}: position {pos!r} is not <binlog file>:<offset>")
    return m.group(1), int(m.group(2))


def resume_positions(log_path):
    """The positions of the streamer's "resuming from checkpoint" (a
    restart) and "resuming from position" (a reconnect) lines."""
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "backslashreplace")
    return [position(m.group(1), f"log line {m.group(0)!r}")
            for m in re.finditer(r"resuming from (?:checkpoint|position) "
                                 r"(\S+)", text)]


def check_delivery(expected_path, records_path, log_path, kills):
    """The delivery contract for a workload of one-row inserts into shop.n
    committed in id order (expected: the server's rows as JSON lines):
    every row arrives, in commit order, and a row repeats only as part of
    a redelivery that starts at the first transaction after a position the
    streamer resumed from.  At most one redelivery per restart or
    reconnect.  Returns (records, rows, redeliveries)."""
    rows = {r["id"]: r for r in map(json.loads, open(expected_path))}
    # ids may skip numbers (a client cut off by a server restart): work
    # with the rank of each id in commit order.
    rank = {id: k for k, id in enumerate(sorted(rows), 1)}
    resumed = resume_positions(log_path)
    if len(resumed) < kills:
        fail(f"{kills} restarts or reconnects but only {len(resumed)} "
             f"'resuming from' lines")
    first_pos, prev, rewinds, n = {}, 0, 0, 0
    for n, rec in enumerate(load_records(records_path), 1):
        data = rec.get("data") or {}
        if (rec.get("database"), rec.get("table"), rec.get("type")) != \
                ("shop", "n", "insert") or data != rows.get(data.get("id")):
            fail(f"record {n}: expected an insert into shop.n of a "
                 f"committed row, got {rec}")
        id = rank[data["id"]]
        pos = position(rec.get("position"), f"record {n}")
        if id == prev + 1 and id not in first_pos:
            first_pos[id] = pos
        elif id > prev + 1:
            fail(f"record {n}: committed row #{id} follows row #{prev}: "
                 f"rows #{prev + 1}..#{id - 1} (in commit order) were lost")
        elif id != prev + 1:
            rewinds += 1
            ok = [r for r in resumed
                  if first_pos.get(id - 1, (r[0], -1)) <= r < first_pos[id]]
            if not ok:
                fail(f"record {n}: row #{id} (at {pos}) repeated after "
                     f"row #{prev}, but no resume position {resumed} lies "
                     f"between row {id - 1} and row {id}")
        prev = id
    if prev != len(rows) or len(first_pos) != len(rows):
        fail(f"{len(rows)} rows committed, the records end at row {prev} "
             f"with {len(first_pos)} distinct rows")
    if rewinds > len(resumed):
        fail(f"{rewinds} redeliveries for {len(resumed)} resumes")
    return n, len(rows), rewinds


def kafka_messages(path):
    """kafkamock's answer to "consume": (partitions, [(partition, key,
    value, headers)]), key None for no key, value None for a tombstone,
    else the record as a JSON object; headers a dict."""
    lines = open(path, encoding="utf-8").read().splitlines()
    if not lines or not lines[0].startswith("partitions ") or \
            lines[-1] != "end":
        fail(f"kafkamock's answer in {path}: {lines[:2]} ... {lines[-1:]}")
    out = []
    for n, line in enumerate(lines[1:-1], 1):
        p, key, value, *hdrs = line.split("\t")
        headers = dict(h.split("=", 1) for h in hdrs)
        try:
            rec = None if value == "-" else json.loads(value)
        except ValueError as e:
            fail(f"{path} message {n} is not JSON ({e}): {value!r}")
        out.append((int(p), None if key == "-" else key, rec, headers))
    return int(lines[0].split()[1]), out


def replay(records_path, db):
    """The tables of database db as binlogd's records rebuild them from
    nothing, in the file's order: {table: {id: row}}.  Each record must
    find the row its change starts from -- an insert no row with its id,
    an update or a delete the row of its before image -- so a record lost
    or out of order fails where it is, even when a later change to the
    row would hide it.  A transaction written again after a resume comes
    again whole: its records (the k-th of a GTID already applied) are the
    duplicates a consumer drops by position, and so are they here."""
    tables, seen, prev, k = {}, set(), None, 0
    for n, rec in enumerate(load_records(records_path), 1):
        kind, table = rec.get("type"), rec.get("table")
        if rec.get("database") != db or \
                kind not in ("insert", "update", "delete"):
            continue
        gtid = rec.get("gtid")
        k = k + 1 if gtid == prev else 0
        prev = gtid
        if (gtid, k) in seen:
            continue
        seen.add((gtid, k))
        data = rec.get("data")
        if not isinstance(data, dict) or "id" not in data:
            fail(f"record {n}: no data with an id: {rec}")
        rows = tables.setdefault(table, {})
        if kind == "insert":
            if data["id"] in rows:
                fail(f"record {n}: inserts {table} id {data['id']}, but "
                     f"the records before left {rows[data['id']]}")
        else:
            before = dict(data) if kind == "delete" else \
                {**data, **(rec.get("old") or {})}
            if rows.get(before["id"]) != before:
                fail(f"record {n}: {kind} of {table} id {before['id']} "
                     f"from {before}, but the records before left "
                     f"{rows.get(before['id'])}")
            del rows[before["id"]]
        if kind != "delete":
            rows[data["id"]] = data
    return tables


def replay_snapshot(records_path, db, table):
    """db.table as a consumer of an incremental snapshot rebuilds it from
    the records in the file's order, keyed by id: a bootstrap-insert or an
    insert sets the row, an update moves it from its old id, a delete
    removes it.  Lenient where replay() is strict: the stream may change
    a row before the snapshot reached it.  Returns (rows, {type: count})."""
    rows, ops = {}, {}
    for rec in load_records(records_path):
        if (rec.get("database"), rec.get("table")) != (db, table):
            continue
        kind, data = rec["type"], rec["data"]
        ops[kind] = ops.get(kind, 0) + 1
        if kind in ("bootstrap-insert", "insert"):
            rows[data["id"]] = data
        elif kind == "update":
            rows.pop((rec.get("old") or {}).get("id", data["id"]), None)
            rows[data["id"]] = data
        elif kind == "delete":
            rows.pop(data["id"], None)
    return rows, ops


def record_keys(rec, at=""):
    """A record's keys in order, source's after it as source.KEY: its
    layout, as tests/golden/snapshot-*.keys list them."""
    out = []
    for k, v in rec.items():
        out.append(at + k)
        if isinstance(v, dict) and k == "source":
            out += record_keys(v, at + k + ".")
    return out


def same_rows(got, want, what):
    """Fails unless the rows {id: row} got equal want, naming the first
    ids missing, too many and different."""
    if got != want:
        missing = sorted(set(want) - set(got))[:5]
        extra = sorted(set(got) - set(want))[:5]
        diff = [k for k in want if k in got and got[k] != want[k]][:5]
        fail(f"{what} != SELECT: missing {missing} extra {extra} "
             f"differ {diff}")


def check_churned(records_path, db, table, select_path, marks=None):
    """db.table, of lib.sh's churn_sql shape (id, v, pad), replayed from
    the records (replay_snapshot) must equal select_path's SELECT (id, v,
    pad tab-separated), with some records of every kind of change and,
    given marks, that many bootstrap-start and bootstrap-complete ones.
    Returns the record counts and the rows compared."""
    rows, ops = replay_snapshot(records_path, db, table)
    want = {}
    for line in open(select_path, encoding="utf-8"):
        i, v, pad = line.rstrip("\n").split("\t")
        want[int(i)] = {"id": int(i), "v": int(v), "pad": pad}
    for k in ("update", "delete", "insert", "bootstrap-insert"):
        if ops.get(k, 0) == 0:
            fail(f"no {k} records: {ops}")
    for k in ("bootstrap-start", "bootstrap-complete") if marks else ():
        if ops.get(k, 0) != marks:
            fail(f"{ops.get(k, 0)} {k} records, want {marks}: {ops}")
    same_rows(rows, want, f"{db}.{table} replayed")
    return ops, len(want)


def check_replay(records_path, db, expected):
    """replay() must equal expected: {table: path of the table's rows as
    JSON lines, from SELECT}.  Returns the rows compared."""
    got = replay(records_path, db)
    total = 0
    for table, path in sorted(expected.items()):
        want = {r["id"]: r for r in map(json.loads, open(path))}
        have = got.pop(table, {})
        total += len(want)
        lost = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        wrong = [i for i in sorted(want) if i in have and have[i] != want[i]]
        if lost or extra or wrong:
            fail(f"{db}.{table} replayed from the records differs from "
                 f"SELECT: {len(lost)} rows missing (ids {lost[:5]}), "
                 f"{len(extra)} rows too many (ids {extra[:5]}), "
                 f"{len(wrong)} rows differ"
                 + (f" (id {wrong[0]}: replayed {have[wrong[0]]}, "
                    f"SELECT {want[wrong[0]]})" if wrong else ""))
    if got:
        fail(f"records of tables SELECT did not list: {sorted(got)}")
    return total
