#!/usr/bin/env python3
"""Seed 004 ("TCP protocol" / socket and sticky packets), "Phenomenon 1": three recv(1024) calls for three sends.

Usage: python3 seed004_three_recvs.py PORT   (binds 127.0.0.1; PORT 0 = any
free port; the bound port is printed as the first line of stdout)

A rewrite of the article's sticky-packet demonstration server: accept one
client, call recv(1024) three times expecting the client's three
send(b"hello"), print the three results, close, end. It sends nothing.
The bug it demonstrates: when the three sends arrive together, the first
recv() returns b'hellohellohello' and the other two wait for more data (and
return b'' once the client closes) -- the article's output is
"b'hellohellohello' b'' b''". When the sends arrive in pieces, the three
recv() calls return the first three pieces and the server closes with the
rest unread, which Linux answers with an RST. From the client's side:
  * three separate arrivals -> an orderly close (FIN) right after the third;
  * merged -> no close until the client closes first;
  * cut into pieces -> a reset (or a close too early).
Scripts: corpus/scripts/seeds/seed004-three-recvs.tcs (paced sends),
seed004-three-recvs-burst.tcs (the article's back-to-back sends).
"""
import socket
import sys
from socket import SO_REUSEADDR, SOL_SOCKET

if len(sys.argv) != 2:
    sys.exit("usage: seed004_three_recvs.py PORT")

server = socket.socket()
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(5)
print(server.getsockname()[1], flush=True)
conn, client = server.accept()
data1 = conn.recv(1024)
data2 = conn.recv(1024)
data3 = conn.recv(1024)
print(data1, flush=True)
print(data2, flush=True)
print(data3, flush=True)
conn.close()
server.close()
