#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), the two-socket client, correct: reads the welcome by its length.

Usage: python3 seed001_welcome_framed.py PORT   (connects to 127.0.0.1:PORT)

The correct twin of seed001_welcome_naive.py: the same two connections, one
after the other with the first still open, each reading the welcome and
answering it. The welcome has no delimiter and no length field, and the
server keeps the connection open after it (it waits for the answer), so the
only framing a client can rely on is the welcome's size: the 23 bytes of
"helloiamserver, welcome" (tcpcheck framing fixed:23). The client reads
until it has all 23, however they are cut, and only then answers, with
sendall(). It exits 1, with the reason on stderr, if the server closes or
resets a connection early, or is silent for 2 s.
Script (tcpcheck plays the server): corpus/scripts/clients/seed001-welcome.tcs.
"""
import socket
import sys

WELCOME_SIZE = len(b"helloiamserver, welcome")  # 23: the only framing there is


def recv_exactly(sock, size):
    """Reads exactly size bytes: one recv() returns only what has arrived."""
    data = b""
    while len(data) < size:
        piece = sock.recv(size - len(data))
        if not piece:
            raise EOFError("server closed the connection after %d of %d bytes" % (len(data), size))
        data += piece
    return data


def talk(address, answer):
    """Opens a connection, prints the welcome, answers; returns the open socket."""
    sock = socket.socket()
    sock.settimeout(2)
    sock.connect(address)
    print(recv_exactly(sock, WELCOME_SIZE).decode("utf-8", "replace"), flush=True)
    sock.sendall(answer)
    return sock


if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed001_welcome_framed.py PORT", file=sys.stderr)
    sys.exit(2)
address = ("127.0.0.1", int(sys.argv[1]))

try:
    s = talk(address, b"hihiamclient")
    sock2 = talk(address, b"clientsendusesock2")  # while s is still open, as in the article
    sock2.close()
    s.close()
except socket.timeout:
    sys.exit("seed001_welcome_framed.py: timed out waiting for the server")
except (EOFError, OSError) as e:  # OSError: refused, reset, broken pipe
    sys.exit("seed001_welcome_framed.py: %s" % e)
