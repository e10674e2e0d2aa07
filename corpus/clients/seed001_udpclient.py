#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), the UDP client, naive: one recv(4096) is taken as the whole reply.

Usage: python3 seed001_udpclient.py PORT   (sends to 127.0.0.1:PORT over UDP)

A Python 3 rewrite of the article's UDP client, written for its udpServer
(corpus/servers/seed001_udpserver.py): a datagram socket, connect() to the
server (no handshake: it only fixes the peer address, so send() and recv()
need none and datagrams from anyone else are dropped), send
"hello, tcpServer!", recv(4096) the reply, print "[tcpServer said]: " and
the reply, close. The bug, as in the article: recv(4096) is the buffer size
for one datagram, and a reply longer than 4096 bytes is cut to 4096 by the
kernel and the rest discarded, silently (the article's "If the amount of
data sent exceeds the recv limit, the data will be truncated"; on UDP the
excess is not kept for a later recv()). A datagram is never split or
merged, so there is nothing else to get wrong: no correct twin is needed.
Unlike the article's client, which would wait forever for a lost datagram,
it waits 2 s (then the reason on stderr, exit 1), and an ICMP port
unreachable (ConnectionRefusedError on the connected socket) is reported as
"nothing is listening on 127.0.0.1:PORT" (exit 1). The reply is printed
decoded with errors="backslashreplace" (the article prints Python 2 str).
Script (tcpcheck plays the server): corpus/scripts/clients/seed001-udpclient.tcs.
"""
import socket
import sys

if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed001_udpclient.py PORT", file=sys.stderr)
    sys.exit(2)

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
BUFFER = 4096
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2)  # the article's client would wait forever
try:
    sock.connect((HOST, PORT))
    sock.send(b"hello, tcpServer!")
    recv = sock.recv(BUFFER)  # the bug: a reply over 4096 bytes is cut, silently
except socket.timeout:
    sys.exit("seed001_udpclient.py: timed out waiting for the server (2 s)")
except ConnectionRefusedError:
    sys.exit("seed001_udpclient.py: nothing is listening on %s:%s" % (HOST, PORT))
finally:
    sock.close()
print("[tcpServer said]: %s" % recv.decode(errors="backslashreplace"), flush=True)
