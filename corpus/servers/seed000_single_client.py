#!/usr/bin/env python3
"""Seed 000 ("TCP and Concurrent Server"), first server: one client, one reply per recv().

Usage: python3 seed000_single_client.py PORT   (binds 127.0.0.1; PORT 0 = any free
port; the bound port is printed as the first line of stdout)

A Python 3 rewrite of the article's first server. Like the article's code it
  * listens with a backlog of 1 and calls accept() once: it serves a single
    client and then the program ends (a second client is never served);
  * treats every recv(2048) as one message and answers each with
    "I am a server" (13 bytes, no delimiter): the sticky-packet bug. A message
    that arrives in pieces gets one answer per piece, two messages that arrive
    together get one answer;
  * never checks for an empty recv(): when the client closes, recv() returns
    b"" and the loop answers it, again and again, until send() fails; after
    a half-close (shutdown(SHUT_WR)) the sends keep succeeding and the server
    floods the client with "I am a server";
  * decodes each piece as UTF-8, so a multi-byte character cut between two
    reads raises, and the bare except ends the server.
Scripts: corpus/scripts/seeds/seed000-single-client.tcs, seed000-eof.tcs.
"""
import socket
import sys

if len(sys.argv) != 2:
    sys.exit("usage: seed000_single_client.py PORT")

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.bind(("127.0.0.1", int(sys.argv[1])))
server_socket.listen(1)
print(server_socket.getsockname()[1], flush=True)

client_socket, address = server_socket.accept()
while True:
    try:
        data = client_socket.recv(2048).decode("UTF-8")
        print("Data accepted by the server:", data, flush=True)
        client_socket.send("I am a server".encode("UTF-8"))
    except Exception:  # the article's bare except: any error ends the loop
        break
