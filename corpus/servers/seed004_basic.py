#!/usr/bin/env python3
"""Seed 004 ("TCP protocol" / socket and sticky packets), first server.py: one recv, a reply typed on stdin, close.

Usage: printf 'REPLY\n' | python3 seed004_basic.py PORT   (binds 127.0.0.1;
PORT 0 = any free port; the bound port is printed as the first line of
stdout)

A rewrite of the article's first server: accept one client, recv(1024) and
print it as the client's message, read the answer from standard input
(input(), as the article does at the keyboard), send it, close, and end. Feed
the answer on stdin to run it unattended. Bugs, as in the article:
  * one recv() is taken for the whole message (a message in pieces is cut);
  * it then closes with the rest unread, which Linux answers with an RST;
  * one client only (and the article's client connects to 9527 while its
    server binds 8080).
Script: corpus/scripts/seeds/seed004-basic.tcs (expects the answer "ok").
"""
import socket
import sys

if len(sys.argv) != 2:
    sys.exit("usage: seed004_basic.py PORT")

server = socket.socket()
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(5)
print(server.getsockname()[1], flush=True)
conn, client = server.accept()
client_data = conn.recv(1024).decode("utf-8")
print(f"Message from client:{client_data}", flush=True)
send_msg = input("Please input the instruction>>>>>: ").strip().encode("utf-8")
conn.send(send_msg)
conn.close()
server.close()
