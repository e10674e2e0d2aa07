#!/usr/bin/env python3
"""Seed 003 ("How to implement TCP connection and communication with Python?"): Welcome / What's your name? / Hello NAME!

Usage: python3 seed003_hello.py PORT   (binds 127.0.0.1; PORT 0 = any free
port; the bound port is printed as the first line of stdout)

A rewrite of the article's combined server example (tcplink, one thread per
client). It sends "Server: Welcome!\n", then loops: send "Server: What's your
name?" (no newline), recv(1024), on exactly b"exit" send "Server: Good bye!\n"
and leave the loop, otherwise send "Server: Hello <data>!\n". After the loop
it sleeps 5 seconds and closes. Bugs, as in the article:
  * every recv() is taken as one name: a name that arrives in pieces is
    greeted piece by piece ("Server: Hello M!"), names that arrive together
    are greeted as one ("Server: Hello MichaelTracy!"), and "exit" is only
    recognised alone in one read;
  * there is no check for an empty recv(): when the client closes or
    half-closes, recv() returns b"" and the server answers "Server: Hello !"
    and asks again, forever -- until a send fails (client gone; the thread
    dies with BrokenPipeError) or, after a half-close, without end;
  * the prompt has no newline, so on the wire it runs into the next reply.
The reference server "tcpcheck serve hello" (corpus/scripts/hello.tcs) is a
line-framed fix of this protocol; this one is the article's.
Scripts: corpus/scripts/seeds/seed003-hello.tcs, seed003-eof.tcs, seed003-two-clients.tcs.
"""
import socket
import sys
import threading
import time

if len(sys.argv) != 2:
    sys.exit("usage: seed003_hello.py PORT")


def tcplink(conn, addr):
    print("Accept new connection from %s:%s" % addr, flush=True)
    conn.send(b"Server: Welcome!\n")
    while True:
        conn.send(b"Server: What's your name?")
        data = conn.recv(1024)
        if data == b"exit":
            conn.send(b"Server: Good bye!\n")
            break
        conn.send(b"Server: Hello %s!\n" % data)
    time.sleep(5)
    conn.close()
    print("Connection from %s:%s is closed" % addr, flush=True)


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
print(s.getsockname()[1], flush=True)
print("Waiting for connection...", flush=True)
while True:
    conn, addr = s.accept()
    t = threading.Thread(target=tcplink, args=(conn, addr))
    t.start()
