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
    """The positions of the streamer's "resuming from checkpoint" lines."""
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "backslashreplace")
    return [position(m.group(1), f"log line {m.group(0)!r}")
            for m in re.finditer(r"resuming from checkpoint (\S+)", text)]
