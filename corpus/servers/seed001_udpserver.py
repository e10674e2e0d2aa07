#!/usr/bin/env python3
"""Seed 001 (Python socket server/client steps), "udpServer": one recvfrom(4096) per datagram, one fixed answer.

Usage: python3 seed001_udpserver.py PORT   (binds 127.0.0.1, UDP; PORT 0 = any
free port; the bound port is printed as the first line of stdout)

A Python 3 rewrite of the article's udpServer (its code is Python 2 and sends
str; here the same text goes out as bytes). Like the article's code it
  * neither listens nor accepts: it binds one datagram socket and loops over
    recvfrom(4096), answering each datagram with sendto() to the address it
    came from, from that same socket. There is no per-client state: any
    number of clients are served in the order their datagrams arrive;
  * answers every datagram with "tcpServer has received your message"
    (35 bytes, the same fixed text as its tcpServer). A datagram longer than
    4096 bytes is cut to 4096 by the kernel and the rest is discarded -- the
    article's warning "If the amount of data sent exceeds the recv limit,
    the data will be truncated", kept on purpose. The fixed answer makes the
    cut invisible to the client: only the printed line shows it;
  * ignores an empty datagram: `if not recv: break` leaves the inner loop
    (copied from the TCP server, where b"" meant the end of the stream) and
    the outer `while True` goes straight back to recvfrom(), so the sender
    of an empty datagram gets no answer at all.
It prints "[Client HOST:PORT said]:<the bytes received>" for each answered
datagram. SIGTERM ends it with status 0 (the article's server runs until
killed). A bad argument: a usage line, exit 2.
Client: corpus/clients/seed001_udpclient.py.
"""
import signal
import socket
import sys

if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 <= int(sys.argv[1]) < 65536:
    print("usage: python3 seed001_udpserver.py PORT", file=sys.stderr)
    sys.exit(2)

signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
BUFFER = 4096
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((HOST, PORT))
# sock.listen(0)
print(sock.getsockname()[1], flush=True)
print("tcpServer listen at: %s:%s\n\r" % (HOST, sock.getsockname()[1]), flush=True)
while True:
    # client_sock,client_addr=sock.accept()
    # print('%s:%s connect' %client_addr)
    while True:
        recv, client_addr = sock.recvfrom(BUFFER)  # a longer datagram: cut to 4096, silently
        if not recv:
            break  # an empty datagram: back to the outer loop, no answer
        print("[Client %s:%s said]:%s" % (client_addr[0], client_addr[1], recv), flush=True)
        sock.sendto(b"tcpServer has received your message", client_addr)
sock.close()
