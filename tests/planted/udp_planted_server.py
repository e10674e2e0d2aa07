#!/usr/bin/env python3
"""udp_planted_server: a UDP server with one planted bug, chosen on the command line.

Usage: udp_planted_server.py [--bug none|empty-dies|small-buffer|other-port|per-ip-state|amplify|large-crash]
                             [--port N]      (N = 0, the default: any free port)

Binds 127.0.0.1:N (UDP), prints "listening on 127.0.0.1:PORT" (flushed) as
its first line of stdout, then serves datagrams in a single-threaded loop
over one socket. SIGTERM and SIGINT end it with status 0; bad arguments exit
with status 2. Each request is one datagram; each answer is one datagram to
the request's source address and port, sent from the bound socket.

Protocol (--bug none):
  hello          -> hi
  echo:P         -> P (the receive buffer is 65535 bytes: nothing is cut)
  set:V          -> ok, V stored for the sender's (ip, port)
  get            -> the value this (ip, port) set, or none
  info           -> v1
  empty datagram -> no answer
  anything else  -> ?

Bugs (each changes only what is named): see tests/planted/README.md.
  empty-dies    an empty datagram raises an uncaught exception (exit 1, traceback)
  small-buffer  recvfrom(1024): longer datagrams are cut to 1024 bytes, silently
  other-port    answers go out from a second socket bound to 127.0.0.1:0
  per-ip-state  set/get keyed by the sender's IP only
  amplify       info is answered with a 4096-byte listing (1024 x the request)
  large-crash   a datagram over 4096 bytes: "udp_planted: large datagram" on
                stderr, then os.abort() (SIGABRT)
"""
import argparse
import os
import signal
import socket
import sys

BUGS = ("none", "empty-dies", "small-buffer", "other-port", "per-ip-state", "amplify", "large-crash")
HOST = "127.0.0.1"

# 256 lines of 16 bytes: 4096 bytes, 1024 times the 4 bytes of "info".
# It starts as the correct answer does, so the normal conversation
# (`expect prefix "v1"`) passes and only the amplification case sees it.
LISTING = (b"v1\n" + b"".join(b"key%04d=val%04d\n" % (i, i) for i in range(256)))[:4096]
assert len(LISTING) == 4096


def parse_args():
    parser = argparse.ArgumentParser(prog="udp_planted_server.py",
                                     description="A UDP server with one planted bug.")
    parser.add_argument("--bug", choices=BUGS, default="none")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()  # exits 2 on a bad argument
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0 to 65535")
    return args


def answer(data, addr, bug, store):
    """The reply to one non-empty datagram (bytes), or None for no reply."""
    if data == b"hello":
        return b"hi"
    if data.startswith(b"echo:"):
        return data[5:]
    key = addr[0] if bug == "per-ip-state" else addr
    if data.startswith(b"set:"):
        store[key] = data[4:]
        return b"ok"
    if data == b"get":
        return store.get(key, b"none")
    if data == b"info":
        return LISTING if bug == "amplify" else b"v1"
    return b"?"


def main():
    args = parse_args()
    bug = args.bug

    def stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, args.port))
    out = sock
    if bug == "other-port":
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out.bind((HOST, 0))
    bufsize = 1024 if bug == "small-buffer" else 65535
    store = {}
    print("listening on %s:%d" % (HOST, sock.getsockname()[1]), flush=True)

    while True:
        try:
            data, addr = sock.recvfrom(bufsize)
        except ConnectionRefusedError:
            continue  # an ICMP error for an earlier answer: not this request's business
        if not data:
            if bug == "empty-dies":
                # The planted bug: the command is looked up by its first byte.
                command = data[0]  # IndexError, uncaught: exit 1 with a traceback
                del command
            continue  # an empty datagram is ignored
        if bug == "large-crash" and len(data) > 4096:
            sys.stderr.write("udp_planted: large datagram\n")
            sys.stderr.flush()
            os.abort()
        reply = answer(data, addr, bug, store)
        if reply is not None:
            try:
                out.sendto(reply, addr)
            except OSError as e:
                print("udp_planted: sendto %s:%d: %s" % (addr[0], addr[1], e), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
