#!/usr/bin/env python3
"""Seed 000 ("TCP and Concurrent Server"), the client, naive: one recv() is taken as the server's whole answer.

Usage: python3 seed000_reply_naive.py PORT   (connects to 127.0.0.1:PORT)

A Python 3 rewrite of the article's client: send "I am a client", print what
recv(2048) returns as the server's answer ("I am a server", 13 bytes, no
delimiter). The article's client sends once and then reads in an endless
loop; this one does two rounds, as corpus/scripts/seeds/seed000-single-client.tcs
does against the article's server, and closes, so that a run ends. The bug,
as in the article: recv() returns whatever has arrived, not one message, so
  * an answer that arrives in pieces is printed piece by piece ("I", then
    " am a s..."), and the second round reads the rest of the first answer;
  * two answers that arrive together are printed as one line ("I am a
    serverI am a server"), and the second recv() waits for an answer that
    has already come: the client hangs until its timeout.
It works when each answer arrives as one write of its own.
Correct twin: seed000_reply_framed.py. Script (tcpcheck plays the server):
corpus/scripts/clients/seed000-reply.tcs. The article's server:
corpus/servers/seed000_single_client.py.
"""
import socket
import sys

if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed000_reply_naive.py PORT", file=sys.stderr)
    sys.exit(2)

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_socket.settimeout(2)  # the article's client would wait forever
try:
    client_socket.connect(("127.0.0.1", int(sys.argv[1])))
    for _ in range(2):
        client_socket.send("I am a client".encode("UTF-8"))
        data = client_socket.recv(2048).decode("UTF-8")  # the bug: one recv() = one answer
        print(data, flush=True)
except socket.timeout:
    sys.exit("seed000_reply_naive.py: timed out waiting for the server")
client_socket.close()
