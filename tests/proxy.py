#!/usr/bin/env python3
"""proxy.py: a TCP proxy between binlogd and a test server, for cutting the
connection and restoring it.

usage: proxy.py TARGET_PORT PORT_FILE

Listens on a free loopback port (written to PORT_FILE once listening) and
forwards every connection to 127.0.0.1:TARGET_PORT.  SIGUSR1 cuts: every
open connection is reset (RST, as a dead router or a killed peer would)
and new ones are reset at once.  SIGHUP freezes: connections stay open but
nothing is forwarded (a stalled network: the reader's timeout must fire).
SIGUSR2 restores: connections are forwarded again.  SIGTERM ends it.
"""
import os
import selectors
import signal
import socket
import struct
import sys

target_port, port_file = int(sys.argv[1]), sys.argv[2]
cut = False
frozen = False
pairs = {}          # socket -> its peer
sel = selectors.DefaultSelector()


def reset(s):
    """Close with RST instead of FIN."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sel.unregister(s)
    except (KeyError, ValueError):
        pass
    s.close()


def drop(s):
    peer = pairs.pop(s, None)
    reset(s)
    if peer is not None:
        pairs.pop(peer, None)
        reset(peer)


def on_usr1(signum, frame):
    global cut
    cut = True
    for s in list(pairs):
        if s in pairs:
            drop(s)


def on_hup(signum, frame):
    global frozen
    frozen = True
    for s in pairs:
        sel.unregister(s)


def on_usr2(signum, frame):
    global cut, frozen
    cut = False
    if frozen:
        frozen = False
        for s in pairs:
            sel.register(s, selectors.EVENT_READ)


def accept(listener):
    client, _ = listener.accept()
    if cut:
        reset(client)
        return
    try:
        server = socket.create_connection(("127.0.0.1", target_port), 5)
    except OSError:
        reset(client)
        return
    pairs[client], pairs[server] = server, client
    if not frozen:
        sel.register(client, selectors.EVENT_READ)
        sel.register(server, selectors.EVENT_READ)


def forward(s):
    try:
        data = s.recv(65536)
    except OSError:
        data = b""
    if not data:
        drop(s)
        return
    try:
        pairs[s].sendall(data)
    except (OSError, KeyError):
        drop(s)


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    sel.register(listener, selectors.EVENT_READ)
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGUSR2, on_usr2)
    signal.signal(signal.SIGHUP, on_hup)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{listener.getsockname()[1]}\n")
    os.rename(tmp, port_file)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is listener:
                accept(listener)
            elif s in pairs and not frozen:
                forward(s)


main()
