#!/usr/bin/env python3
"""Seed 004 ("TCP protocol" / socket and sticky packets), "Phenomenon 2": two recv(5) calls for two longer sends.

Usage: python3 seed004_recv5.py PORT   (binds 127.0.0.1; PORT 0 = any free
port; the bound port is printed as the first line of stdout)

A rewrite of the article's second demonstration server: accept one client,
recv(5) twice and decode each as UTF-8, print them, close, end. The
article's client sends b'hello world!' and b'lift is smart!' (26 bytes); the
server reads "hello" and " worl" and never sees the rest. It sends nothing.
Bugs, as in the article:
  * a fixed recv size is taken as a message boundary: the messages are cut
    and run together ("hello", " worl");
  * it closes with 16 bytes unread, which Linux answers with an RST instead
    of a FIN, so the client sees a reset;
  * a multi-byte UTF-8 character cut by recv(5) raises UnicodeDecodeError.
Script: corpus/scripts/seeds/seed004-recv5.tcs.
"""
import socket
import sys
from socket import SO_REUSEADDR, SOL_SOCKET

if len(sys.argv) != 2:
    sys.exit("usage: seed004_recv5.py PORT")

server = socket.socket()
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(5)
print(server.getsockname()[1], flush=True)
conn, client = server.accept()
re_data1 = conn.recv(5).decode("utf-8")
re_data2 = conn.recv(5).decode("utf-8")
print(re_data1, flush=True)
print(re_data2, flush=True)
conn.close()
server.close()
