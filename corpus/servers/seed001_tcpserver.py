#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), "tcpServer": one client at a time, one reply per recv().

Usage: python3 seed001_tcpserver.py PORT   (binds 127.0.0.1; PORT 0 = any free
port; the bound port is printed as the first line of stdout)

A Python 3 rewrite of the article's tcpServer (its code is Python 2 and sends
str; here the same text goes out as bytes). Like the article's code it
  * listens with backlog 0 and serves clients one after another: while one
    client is connected, a second one completes the TCP handshake (the kernel
    queues it) but is not read or answered until the first one leaves -- the
    single-client server;
  * answers every recv(4096) with "tcpServer has received your message"
    (35 bytes, no delimiter): the sticky-packet bug. A message that arrives in
    pieces gets one answer per piece, two that arrive together get one;
  * closes the client's socket when recv() returns b"" (this one does handle
    the end of the stream).
Scripts: corpus/scripts/seeds/seed001-tcpserver.tcs, seed001-tcpserver-two-clients.tcs,
seed001-tcpserver-serial.tcs.
"""
import socket
import sys

if len(sys.argv) != 2:
    sys.exit("usage: seed001_tcpserver.py PORT")

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
BUFFER = 4096
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind((HOST, PORT))
sock.listen(0)
print(sock.getsockname()[1], flush=True)
print("tcpServer listen at: %s:%s\n\r" % (HOST, sock.getsockname()[1]), flush=True)
while True:
    client_sock, client_addr = sock.accept()
    print("%s:%s connect" % client_addr, flush=True)
    while True:
        recv = client_sock.recv(BUFFER)
        if not recv:
            client_sock.close()
            break
        print("[Client %s:%s said]:%s" % (client_addr[0], client_addr[1], recv), flush=True)
        client_sock.send(b"tcpServer has received your message")
sock.close()
