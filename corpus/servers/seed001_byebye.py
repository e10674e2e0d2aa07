#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), the "byebye" server: one client, one recv(512), then exit.

Usage: python3 seed001_byebye.py PORT   (binds 127.0.0.1; PORT 0 = any free
port; the bound port is printed as the first line of stdout)

A Python 3 rewrite of the article's server.py ("got connected from ...").
It accepts a single client, sends "byebye" (6 bytes, no delimiter), reads
once with recv(512), prints what it got, closes the client and the listening
socket, and ends. Bugs, as in the article:
  * one recv() is taken for the client's whole message: a message that
    arrives in pieces is printed cut short (the first piece only);
  * it closes the socket with the rest of the message still unread, and
    Linux then answers with an RST instead of a FIN (RFC 1122 4.2.2.13), so
    the client sees "connection reset" instead of an orderly close;
  * only one client is ever served.
Script: corpus/scripts/seeds/seed001-byebye.tcs.
"""
import socket
import sys

if len(sys.argv) != 2:
    sys.exit("usage: seed001_byebye.py PORT")

address = ("127.0.0.1", int(sys.argv[1]))
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(address)
s.listen(5)
print(s.getsockname()[1], flush=True)
ss, addr = s.accept()
print("got connected from", addr, flush=True)
ss.send(b"byebye")
ra = ss.recv(512)
print(ra, flush=True)
ss.close()
s.close()
