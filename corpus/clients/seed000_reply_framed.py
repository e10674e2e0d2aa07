#!/usr/bin/env python3
"""Seed 000 ("TCP and Concurrent Server"), the client, correct: reads each answer by its length.

Usage: python3 seed000_reply_framed.py PORT   (connects to 127.0.0.1:PORT)

The correct twin of seed000_reply_naive.py: the same two rounds of "I am a
client" / "I am a server". The protocol has no delimiter and no length
field; the only framing a client can rely on is that every answer is the
13 bytes of "I am a server" (tcpcheck framing fixed:13). So the client reads
until it has exactly 13 bytes, however they are cut or merged, and leaves
anything after them for the next round. It exits 1, with the reason on
stderr, if the server closes or resets the connection early, or is silent
for 2 s.
Script (tcpcheck plays the server): corpus/scripts/clients/seed000-reply.tcs.
"""
import socket
import sys

ANSWER_SIZE = len(b"I am a server")  # 13: fixed-size answers are the only framing


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
    print("usage: python3 seed000_reply_framed.py PORT", file=sys.stderr)
    sys.exit(2)

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_socket.settimeout(2)
try:
    client_socket.connect(("127.0.0.1", int(sys.argv[1])))
    for _ in range(2):
        client_socket.sendall(b"I am a client")
        print(recv_exactly(client_socket, ANSWER_SIZE).decode("UTF-8", "replace"), flush=True)
except socket.timeout:
    sys.exit("seed000_reply_framed.py: timed out waiting for the server")
except (EOFError, OSError) as e:  # OSError: refused, reset, broken pipe
    sys.exit("seed000_reply_framed.py: %s" % e)
client_socket.close()
