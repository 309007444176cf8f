# ctl_proto.py: speaks binlogd's control protocol by hand (a minimal
# msgpack written from the msgpack spec, not from binlogd's code), so that
# tests can send what binlogctl never would: a wrong protocol version, a
# wrong field type, bytes that are not msgpack at all.
#
# usage: ctl_proto.py SOCKET request TYPE PROTOCOL  -> prints "result message"
#        ctl_proto.py SOCKET raw HEX                -> prints "closed" when
#                                                      binlogd hangs up
import socket
import struct
import sys


def pack(v):
    if isinstance(v, bool):
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        return b"\xcf" + struct.pack(">Q", v)
    if isinstance(v, str):
        b = v.encode()
        return bytes([0xa0 | len(b)]) + b if len(b) < 32 else \
            b"\xd9" + bytes([len(b)]) + b
    if isinstance(v, list):
        return bytes([0x90 | len(v)]) + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        return bytes([0x80 | len(v)]) + b"".join(
            pack(k) + pack(x) for k, x in v.items())
    raise TypeError(v)


def unpack(buf, i=0):
    """Returns (value, next index); raises IndexError when incomplete."""
    t = buf[i]
    if t < 0x80:
        return t, i + 1
    if 0x80 <= t <= 0x8f or t in (0xde, 0xdf):
        n, i = (t & 0x0f, i + 1) if t <= 0x8f else (
            struct.unpack(">H" if t == 0xde else ">I",
                          buf[i + 1:i + (3 if t == 0xde else 5)])[0],
            i + (3 if t == 0xde else 5))
        d = {}
        for _ in range(n):
            k, i = unpack(buf, i)
            d[k], i = unpack(buf, i)
        return d, i
    if 0x90 <= t <= 0x9f:
        out, i = [], i + 1
        for _ in range(t & 0x0f):
            x, i = unpack(buf, i)
            out.append(x)
        return out, i
    if 0xa0 <= t <= 0xbf or t in (0xd9, 0xda, 0xdb):
        if t <= 0xbf:
            n, i = t & 0x1f, i + 1
        else:
            w = {0xd9: 1, 0xda: 2, 0xdb: 4}[t]
            n = int.from_bytes(buf[i + 1:i + 1 + w], "big")
            i += 1 + w
        if i + n > len(buf):
            raise IndexError
        return buf[i:i + n].decode(), i + n
    if t in (0xcc, 0xcd, 0xce, 0xcf):
        w = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}[t]
        if i + 1 + w > len(buf):
            raise IndexError
        return int.from_bytes(buf[i + 1:i + 1 + w], "big"), i + 1 + w
    if t in (0xc2, 0xc3):
        return t == 0xc3, i + 1
    raise ValueError(f"msgpack type 0x{t:02x} not handled")


def exchange(path, data):
    """Sends data; returns the first reply, or None when binlogd closes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(data)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return None
        buf += chunk
        try:
            return unpack(buf)[0]
        except IndexError:
            continue


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "request":
        reply = exchange(path, pack([int(sys.argv[3]), 1,
                                     {"protocol": int(sys.argv[4])}]))
    else:
        reply = exchange(path, bytes.fromhex(sys.argv[3]))
    if reply is None:
        print("closed")
        return
    body = reply[2]
    print(body["result"], body["message"])


if __name__ == "__main__":
    main()
