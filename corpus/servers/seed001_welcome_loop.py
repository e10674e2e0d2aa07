#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), "allow the server to continuously accept connections".

Usage: python3 seed001_welcome_loop.py PORT   (binds 127.0.0.1; PORT 0 = any
free port; the bound port is printed as the first line of stdout)

A Python 3 rewrite of the article's looping server.py: accept a client, send
"helloiamserver, welcome" (23 bytes, no delimiter; the text as the seed
article prints it), recv(512) once, print it, close, and wait for the next
client. Bugs, as in the article:
  * one recv() is taken for the client's whole message (a message that
    arrives in pieces is printed cut short);
  * the socket is closed with the rest of the message unread, which Linux
    answers with an RST instead of a FIN;
  * clients are served one at a time.
Script: corpus/scripts/seeds/seed001-welcome-loop.tcs (which, like the article's
client.py, opens a second socket after the first conversation).
"""
import socket
import sys

if len(sys.argv) != 2:
    sys.exit("usage: seed001_welcome_loop.py PORT")

s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
print(s.getsockname()[1], flush=True)
while 1:
    cs, address = s.accept()
    print("got connected from", address, flush=True)
    cs.send(b"helloiamserver, welcome")
    ra = cs.recv(512)
    print(ra, flush=True)
    cs.close()
