#!/usr/bin/env python3
"""Seed 003 ("How to implement TCP connection and communication with Python?"), the client, naive: works only because it sleeps.

Usage: python3 seed003_hello_naive.py PORT   (connects to 127.0.0.1:PORT)

A rewrite of the article's client code: print one recv() right after
connecting (the welcome), then for Michael, Tracy and Sarah send the name,
sleep, print one recv() (the reply), sleep; then sleep, send "exit", sleep,
print one recv() ("Good bye!") and close. The article adds the sleeps "to
ensure that the console can print smoothly": they are what makes it work.
Each recv() returns whatever has arrived, and the pause before it lets the
whole reply arrive first, so each print shows complete lines -- as long as
the server is quicker than the pause. The bug shows when it is not:
  * the first recv() has no pause before it: a welcome that arrives in
    pieces is printed cut ("S"), and the rest is printed with the next reply;
  * a reply still arriving when the pause ends (a slow or cut write) is
    printed in part, and its tail is printed as the next reply;
  * a server that has already sent everything (replies merged into one
    write) leaves the later recv() calls nothing: the client hangs until
    its timeout.
The protocol is the line-framed version of seed 003's that `tcpcheck serve
hello` speaks (corpus/scripts/hello.tcs): every message ends in "\\n", names
too. The article's own server (corpus/servers/seed003_hello.py) sends its
question without a newline and takes names without one, which no client
can read by framing. The pauses are a tenth of the article's (2 s, 1 s,
3 s), so that a run takes 1.4 s; each print drops the reply's last newline.
Correct twin: seed003_hello_framed.py. Script (tcpcheck plays the server):
corpus/scripts/clients/seed003-hello.tcs.
"""
import socket
import sys
import time

if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed003_hello_naive.py PORT", file=sys.stderr)
    sys.exit(2)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(2)  # the article's client would wait forever
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    print(s.recv(1024).decode().rstrip("\n"), flush=True)  # the welcome, and the question if it has come
    for data in [b"Michael", b"Tracy", b"Sarah"]:
        s.send(data + b"\n")
        time.sleep(0.2)  # the bug: trusts the reply to have arrived, whole, by now
        print(s.recv(1024).decode("utf-8").rstrip("\n"), flush=True)
        time.sleep(0.1)
    time.sleep(0.3)
    s.send(b"exit\n")
    time.sleep(0.2)
    print(s.recv(1024).decode("utf-8").rstrip("\n"), flush=True)
    s.close()
except socket.timeout:
    sys.exit("seed003_hello_naive.py: timed out waiting for the server")
