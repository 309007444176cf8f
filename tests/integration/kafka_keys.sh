#!/bin/bash
# shellcheck disable=SC2119 # helpers called without arguments
# kafka_keys.sh: what a consumer of keyed, compacted topics relies on,
# through librdkafka's mock cluster (3 brokers, 4 partitions) read back
# partition by partition with a librdkafka consumer (tests/kafkamock).
# A random workload of inserts, updates, deletes and primary-key changes
# (single and composite keys, several rows per statement, several
# statements per transaction): every message is keyed by its row's key and
# sits in that key's partition; an update that changes the key is a delete
# of the old key (header __debezium.newkey) and an insert of the new one
# (header __debezium.oldkey) with the update's position and GTID; a
# delete is followed by its key's tombstone (kafka_tombstones = yes, the
# default).  Replaying every partition in order, per key, gives exactly
# the server's rows: no ghost of an old key.  Then, with
# kafka_tombstones = no and format = debezium, the same without
# tombstones, over a backlog: records made on both formatting threads.
# shellcheck source=SCRIPTDIR/../lib.sh
KAFKAMOCK=$PWD/kafkamock
. "$(dirname "$0")/../lib.sh"

kafkamock_start 3
mariadb_start
sql "CREATE DATABASE shop;
    CREATE TABLE shop.kv (id INT PRIMARY KEY, v INT, s VARCHAR(20));
    CREATE TABLE shop.pair (a INT, b VARCHAR(4), v INT, PRIMARY KEY (a, b));"

BL_EXTRA_STREAM="sink = kafka
[sink]
brokers = $BROKERS
topic = one.%{database}.%{table}"
binlogd_start

# workload SEED OPS OUT: the SQL on stdout; OUT.json the changes it makes
# per table: rows inserted, updated in place, deleted, and key changes;
# the keys it leaves, for the next workload, in $TMP/keys.json.
workload() {
	python3 - "$@" "$TMP/keys.json" <<'PY'
import json, random, sys
seed, nops, out, keys = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], \
    sys.argv[4]
rnd = random.Random(seed)
try:
    kv, pair = json.load(open(keys))
    kv = set(kv)
    pair = {tuple(p) for p in pair}
except FileNotFoundError:
    kv, pair = set(), set()
n = {t: dict(insert=0, update=0, delete=0, rekey=0) for t in ("kv", "pair")}
sql = []
def free_id():
    while True:
        i = rnd.randint(1, 400)
        if i not in kv:
            return i
def free_pair():
    while True:
        p = (rnd.randint(1, 30), rnd.choice("abcdefgh"))
        if p not in pair:
            return p
def pk(p):
    return f"a = {p[0]} AND b = '{p[1]}'"
def op():
    what = rnd.choice(["ins", "ins", "upd", "upd", "rekey", "rekey",
                       "rekeys", "del", "pins", "pupd", "prekey", "pdel"])
    if what == "ins" or (what in ("upd", "rekey", "del") and not kv) or \
            (what == "rekeys" and len(kv) < 3):
        i = free_id()
        kv.add(i)
        n["kv"]["insert"] += 1
        return f"INSERT INTO shop.kv VALUES ({i}, 0, 'r{i}')"
    if what == "upd":
        i = rnd.choice(sorted(kv))
        n["kv"]["update"] += 1
        return f"UPDATE shop.kv SET v = v + 1 WHERE id = {i}"
    if what == "rekey":
        i, j = rnd.choice(sorted(kv)), free_id()
        kv.discard(i)
        kv.add(j)
        n["kv"]["rekey"] += 1
        return f"UPDATE shop.kv SET id = {j}, v = v + 1 WHERE id = {i}"
    if what == "rekeys":
        olds = rnd.sample(sorted(kv), 3)
        d = next(d for d in range(500, 5000, 500)
                 if not any(o + d in kv for o in olds))
        for o in olds:
            kv.discard(o)
        for o in olds:
            kv.add(o + d)
        n["kv"]["rekey"] += 3
        return (f"UPDATE shop.kv SET id = id + {d} WHERE id IN "
                f"({', '.join(map(str, olds))})")
    if what == "del":
        i = rnd.choice(sorted(kv))
        kv.discard(i)
        n["kv"]["delete"] += 1
        return f"DELETE FROM shop.kv WHERE id = {i}"
    if what == "pins" or not pair:
        p = free_pair()
        pair.add(p)
        n["pair"]["insert"] += 1
        return f"INSERT INTO shop.pair VALUES ({p[0]}, '{p[1]}', 0)"
    p = rnd.choice(sorted(pair))
    if what == "pupd":
        n["pair"]["update"] += 1
        return f"UPDATE shop.pair SET v = v + 1 WHERE {pk(p)}"
    pair.discard(p)
    if what == "pdel":
        n["pair"]["delete"] += 1
        return f"DELETE FROM shop.pair WHERE {pk(p)}"
    q = free_pair()
    pair.add(q)
    n["pair"]["rekey"] += 1
    return (f"UPDATE shop.pair SET a = {q[0]}, b = '{q[1]}' "
            f"WHERE {pk(p)}")
left = nops
while left > 0:
    k = min(left, rnd.randint(1, 4))
    left -= k
    stmts = [op() for _ in range(k)]
    print("BEGIN; " + "; ".join(stmts) + "; COMMIT;" if k > 1 else
          stmts[0] + ";")
json.dump(n, open(out + ".json", "w"))
json.dump([sorted(kv), sorted(pair)], open(keys, "w"))
PY
}

# consume PREFIX: both tables' topics, all their messages
consume() {
	local t want
	for t in kv pair; do
		want=$(python3 -c 'import json, sys
n = json.load(open(sys.argv[1]))[sys.argv[2]]
tomb = n["delete"] + n["rekey"] if sys.argv[3] == "yes" else 0
print(n["insert"] + n["update"] + n["delete"] + 2 * n["rekey"] + tomb)' \
		    "$TMP/$1.json" "$t" "$2")
		km_ask '^end$' "consume $1.shop.$t $want" >"$TMP/$1.$t.msgs"
	done
}

# Reads the rows back as the consumer's JSON: {"id":..,"v":..,"s":..}
server_rows() {
	sql "SELECT JSON_OBJECT('id', id, 'v', v, 's', s) FROM shop.kv" \
	    >"$TMP/kv.rows"
	sql "SELECT JSON_OBJECT('a', a, 'b', b, 'v', v) FROM shop.pair" \
	    >"$TMP/pair.rows"
}

workload 16 400 "$TMP/one" >"$TMP/one.sql"
sql <"$TMP/one.sql"
consume one yes

# The second workload is written while binlogd is stopped: read as a
# backlog, its rows events fill parallel.c's ring, so that records are
# formatted on both threads and handed to the sink as they are joined.
binlogd_stop
workload 61 600 "$TMP/two" >"$TMP/two.sql"
sql <"$TMP/two.sql"
BL_EXTRA_STREAM="sink = kafka
format = debezium
[sink]
brokers = $BROKERS
topic = two.%{database}.%{table}
kafka_tombstones = no"
binlogd_start
consume two no
server_rows

python_check "$TMP" <<'PY'
import json, sys, zlib
from records import fail, kafka_messages
tmp = sys.argv[1]
PK = {"kv": ["id"], "pair": ["a", "b"]}
OLD, NEW = "__debezium.oldkey", "__debezium.newkey"

def canon(key):
    return json.dumps(json.loads(key), sort_keys=True)

def change(rec):
    """(op, row, position, gtid) in either format."""
    if "op" in rec:
        src = rec["source"]
        op = {"c": "insert", "u": "update", "d": "delete"}[rec["op"]]
        row = rec["before"] if op == "delete" else rec["after"]
        return op, row, (src["file"], src["pos"]), src["gtid"]
    return rec["type"], rec["data"], rec["position"], rec.get("gtid")

def check(run, t, tombstones, state):
    n = json.load(open(f"{tmp}/{run}.json"))[t]
    parts, ms = kafka_messages(f"{tmp}/{run}.{t}.msgs")
    where = f"{run}.shop.{t}"
    if parts != 4:
        fail(f"{where} has {parts} partitions, the mock cluster makes 4")
    want = n["insert"] + n["update"] + n["delete"] + 2 * n["rekey"] + \
        (n["delete"] + n["rekey"] if tombstones else 0)
    if len(ms) != want:
        fail(f"{where}: {len(ms)} messages, the workload made {want} "
             f"({n}, tombstones {tombstones})")
    by_part = {}
    for m in ms:
        by_part.setdefault(m[0], []).append(m)
    pairs = {}                  # (old key, new key, position): [d, c]
    for p, seq in sorted(by_part.items()):
        last = None
        for i, (_, key, rec, hdr) in enumerate(seq):
            at = f"{where} partition {p} message {i + 1}"
            if key is None:
                fail(f"{at} has no key")
            if zlib.crc32(key.encode()) % parts != p:
                fail(f"{at}: key {key} belongs in partition "
                     f"{zlib.crc32(key.encode()) % parts}")
            k = canon(key)
            if rec is None:
                if not tombstones:
                    fail(f"{at}: a tombstone with kafka_tombstones = no")
                if last != ("delete", k):
                    fail(f"{at}: tombstone of {key} not right after its "
                         f"delete (after {last})")
                state.pop(k, None)
                last = ("tombstone", k)
                continue
            op, row, pos, gtid = change(rec)
            if canon(json.dumps({c: row[c] for c in PK[t]})) != k:
                fail(f"{at}: key {key}, the row's key is "
                     f"{ {c: row[c] for c in PK[t]} }")
            if gtid is None:
                fail(f"{at}: no GTID: {rec}")
            if NEW in hdr:
                if op != "delete" or OLD in hdr:
                    fail(f"{at}: {NEW} on a {op}: {hdr}")
                pairs.setdefault((k, canon(hdr[NEW]), json.dumps(pos),
                                  gtid), []).append("d")
            if OLD in hdr:
                if op != "insert":
                    fail(f"{at}: {OLD} on a {op}: {hdr}")
                pairs.setdefault((canon(hdr[OLD]), k, json.dumps(pos),
                                  gtid), []).append("c")
            if op == "delete":
                if k not in state:
                    fail(f"{at}: delete of {key}, which no message made")
                del state[k]
            else:
                if op == "insert" and k in state:
                    fail(f"{at}: insert of {key}, which is live")
                if op == "update" and k not in state:
                    fail(f"{at}: update of {key}, which no message made "
                         f"(a ghost)")
                state[k] = row
            last = (op, k)
    if sorted(sorted(v) for v in pairs.values()) != \
            [["c", "d"]] * n["rekey"]:
        odd = {k: v for k, v in pairs.items() if sorted(v) != ["c", "d"]}
        fail(f"{where}: {n['rekey']} key changes, {len(pairs)} pairs of "
             f"delete and insert naming each other with one position and "
             f"GTID; unmatched: {list(odd.items())[:3]}")

for t in ("kv", "pair"):
    state = {}
    check("one", t, True, state)
    check("two", t, False, state)
    got = sorted(json.dumps(v, sort_keys=True) for v in state.values())
    want = sorted(json.dumps(json.loads(l), sort_keys=True)
                  for l in open(f"{tmp}/{t}.rows"))
    if got != want:
        extra = sorted(set(got) - set(want))[:3]
        missing = sorted(set(want) - set(got))[:3]
        fail(f"shop.{t}: replaying the partitions gives {len(got)} rows, "
             f"the server has {len(want)}; only in Kafka: {extra}; only "
             f"on the server: {missing}")
    print(f"kafka_keys.sh: shop.{t}: {len(want)} rows replayed")
PY
binlogd_stop
