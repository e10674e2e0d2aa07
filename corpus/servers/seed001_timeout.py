#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), the server behind "welcome to server!" / "please go out!".

Usage: python3 seed001_timeout.py PORT   (binds 127.0.0.1; PORT 0 = any free
port; the bound port is printed as the first line of stdout)

The seed keeps only this server's description ("Server.py / Python code" --
the code block itself is lost): a client that sends '1' gets "welcome to
server!", any other value gets "please go out!", and a client that waits
more than 5 seconds before sending makes the server time out. This is a
reimplementation of that behaviour in the classic form the description
matches: serve clients one at a time; give each connection a 5 s timeout;
recv(1024) once; answer (no delimiter); on timeout print "time out" and send
nothing; close the connection either way.
Bugs:
  * one recv() is taken as the whole message: '1' is one byte so it cannot be
    cut, but anything longer ('10', '1\r\n' from telnet) is compared as it
    happens to arrive;
  * clients are served one at a time, so one idle client holds every other
    one up for 5 seconds.
Script: corpus/scripts/seeds/seed001-timeout.tcs.
"""
import socket
import sys

if len(sys.argv) != 2:
    sys.exit("usage: seed001_timeout.py PORT")

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen(5)
print(sock.getsockname()[1], flush=True)
while True:
    connection, address = sock.accept()
    try:
        connection.settimeout(5)
        buf = connection.recv(1024)
        if buf == b"1":
            connection.send(b"welcome to server!")
        else:
            connection.send(b"please go out!")
    except socket.timeout:
        print("time out", flush=True)
    connection.close()
