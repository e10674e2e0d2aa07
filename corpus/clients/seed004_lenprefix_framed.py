#!/usr/bin/env python3
"""Seed 004 ("TCP protocol", sticky packets and the struct fix), the client, correct: reads exactly 4 header bytes, then exactly the body.

Usage: python3 seed004_lenprefix_framed.py PORT   (connects to 127.0.0.1:PORT)

The correct twin of seed004_lenprefix_naive.py: the same two messages to a
length-prefixed echo server, each read back whole. The header is pinned as
'<i' (4 bytes, little-endian, whatever the machine: tcpcheck framing
len:i32le) and counts the UTF-8 bytes of the body; header and body go out
together with sendall(). Reading loops until exactly 4 header bytes have
come, then until exactly `length` body bytes have, however they are cut;
bytes of the next message stay in the socket for the next read. A negative
length or one above 1 MiB (the reference server's max) is refused rather
than waited for. It exits 1, with the reason on stderr, if the server
closes or resets the connection early, sends such a length, or is silent
for 2 s.
Script (tcpcheck plays the server): corpus/scripts/clients/seed004-lenprefix.tcs.
"""
import socket
import struct
import sys

HEADER = struct.Struct("<i")  # struct.pack('i') on x86, without depending on the machine
MAX_BODY = 1024 * 1024


def recv_exactly(sock, size):
    """Reads exactly size bytes: one recv() returns only what has arrived."""
    data = b""
    while len(data) < size:
        piece = sock.recv(size - len(data))
        if not piece:
            raise EOFError("server closed the connection after %d of %d bytes" % (len(data), size))
        data += piece
    return data


if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed004_lenprefix_framed.py PORT", file=sys.stderr)
    sys.exit(2)

client = socket.socket()
client.settimeout(2)
try:
    client.connect(("127.0.0.1", int(sys.argv[1])))
    for msg in ["hello world!", "lift is smart!"]:
        body = msg.encode("utf-8")
        client.sendall(HEADER.pack(len(body)) + body)
        (length,) = HEADER.unpack(recv_exactly(client, HEADER.size))
        if not 0 <= length <= MAX_BODY:
            raise ValueError("reply length %d is outside 0..%d" % (length, MAX_BODY))
        print(recv_exactly(client, length).decode("utf-8", "replace"), flush=True)
    client.close()
except socket.timeout:
    sys.exit("seed004_lenprefix_framed.py: timed out waiting for the server")
except (EOFError, ValueError, OSError) as e:  # OSError: refused, reset, broken pipe
    sys.exit("seed004_lenprefix_framed.py: %s" % e)
