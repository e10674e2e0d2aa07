#!/usr/bin/env python3
"""Seed 004 ("TCP protocol" / socket and sticky packets), the struct fix: recv(4) header, then recv(length).

Usage: python3 seed004_struct_header.py PORT   (binds 127.0.0.1; PORT 0 = any
free port; the bound port is printed as the first line of stdout)

A rewrite of the article's "struct module solving the problem of sticking
package" server: accept one client, header = recv(4), length =
struct.unpack('i', header)[0] (4-byte signed, native order: little-endian on
x86, i.e. tcpcheck framing len:i32le), data = recv(length), print it, close,
end. It sends nothing. The fix is still one bug short: recv(n) returns *at
most* n bytes, and the code never loops to collect the rest, so
  * a header that arrives in pieces makes recv(4) return fewer than 4 bytes
    and struct.unpack raises struct.error ("unpack requires a buffer of 4
    bytes"): the server dies with a traceback;
  * a body that arrives in pieces is printed cut short (the first piece), and
    the socket is closed with the rest unread, which Linux answers with an
    RST;
  * a negative length (sign bit set) makes recv() raise ValueError.
Script: corpus/scripts/seeds/seed004-struct-header.tcs.
"""
import socket
import struct
import sys

if len(sys.argv) != 2:
    sys.exit("usage: seed004_struct_header.py PORT")

server = socket.socket()
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(5)
print(server.getsockname()[1], flush=True)
conn, client = server.accept()
header = conn.recv(4)
header_len = struct.unpack("i", header)[0]
re_data = conn.recv(header_len)
print(re_data.decode("utf-8"), flush=True)
conn.close()
server.close()
