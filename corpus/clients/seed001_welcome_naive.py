#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), the two-socket client, naive: one recv() is taken as the whole welcome.

Usage: python3 seed001_welcome_naive.py PORT   (connects to 127.0.0.1:PORT)

A Python 3 rewrite of the article's client.py "test whether two sockets exist
in one program", written for its looping server (corpus/servers/
seed001_welcome_loop.py): connect, recv(512) the welcome
("helloiamserver, welcome", 23 bytes, no delimiter), print it, send
"hihiamclient"; then open a second socket while the first is still open and
do the same with "clientsendusesock2"; close both. The bug, as in the
article: recv(512) returns whatever has arrived, so a welcome that arrives
in pieces is printed cut short ("h"), and the client answers before the
server has finished talking; the rest of the welcome is never read, and
closing with it unread makes Linux send an RST. Each connection carries a
single message from the server, so there is nothing to merge: only cut
delivery shows the bug.
Correct twin: seed001_welcome_framed.py. Script (tcpcheck plays the server):
corpus/scripts/clients/seed001-welcome.tcs.
"""
import socket
import sys

if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed001_welcome_naive.py PORT", file=sys.stderr)
    sys.exit(2)
address = ("127.0.0.1", int(sys.argv[1]))

try:
    s = socket.socket()
    s.settimeout(2)  # the article's client would wait forever
    s.connect(address)
    data = s.recv(512)  # the bug: one recv() = the whole welcome
    print(data.decode(), flush=True)
    s.send(b"hihiamclient")
    sock2 = socket.socket()
    sock2.settimeout(2)
    sock2.connect(address)
    data2 = sock2.recv(512)
    print(data2.decode(), flush=True)
    sock2.send(b"clientsendusesock2")
    sock2.close()
    s.close()
except socket.timeout:
    sys.exit("seed001_welcome_naive.py: timed out waiting for the server")
