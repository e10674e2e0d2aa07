#!/usr/bin/env python3
"""Seed 004 ("TCP protocol", sticky packets and the struct fix), the client, naive: recv(4) for the header, recv(length) for the body.

Usage: python3 seed004_lenprefix_naive.py PORT   (connects to 127.0.0.1:PORT)

The article's struct-header client, talking to a length-prefixed echo
server (`tcpcheck serve lenprefix`, corpus/scripts/lenprefix.tcs): for
"hello world!" and "lift is smart!" it sends struct.pack('i', len(msg)) and
the body in two send() calls, as the article does, then reads the echo the
way the article's server reads: header = recv(4), length =
struct.unpack('i', header)[0], body = recv(length). The bug: recv(n)
returns *at most* n bytes and is never looped, so
  * a header that arrives in pieces makes recv(4) return fewer than 4 bytes
    and struct.unpack raises struct.error: the client dies with a traceback;
  * a body that arrives in pieces is printed cut short, and its tail is read
    as the next header.
Replies merged into one write are read correctly (recv(n) never returns
more than n bytes): only cut delivery shows the bug. Also as in the article:
'i' is the native int (4 bytes, little-endian on x86 and ARM: tcpcheck
framing len:i32le), and len(msg) counts characters, not the UTF-8 bytes
sent (the same for these ASCII messages).
Correct twin: seed004_lenprefix_framed.py. Script (tcpcheck plays the
server): corpus/scripts/clients/seed004-lenprefix.tcs.
"""
import socket
import struct
import sys

if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed004_lenprefix_naive.py PORT", file=sys.stderr)
    sys.exit(2)

client = socket.socket()
client.settimeout(2)  # the article's code would wait forever
try:
    client.connect(("127.0.0.1", int(sys.argv[1])))
    for msg in ["hello world!", "lift is smart!"]:
        header = struct.pack("i", len(msg))
        client.send(header)  # the header first
        client.send(msg.encode("utf-8"))  # then the real data
        header = client.recv(4)  # the bug: at most 4 bytes, maybe fewer
        header_len = struct.unpack("i", header)[0]
        re_data = client.recv(header_len)  # the bug: at most header_len bytes
        print(re_data.decode("utf-8"), flush=True)
    client.close()
except socket.timeout:
    sys.exit("seed004_lenprefix_naive.py: timed out waiting for the server")
