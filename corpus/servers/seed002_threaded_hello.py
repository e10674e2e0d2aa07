#!/usr/bin/env python3
"""Seed 002 ("TCP--python", in Chinese): a thread per client, welcome notice, then "Hello, <data>" per recv().

Usage: python3 seed002_threaded_hello.py PORT   (binds 127.0.0.1; PORT 0 =
any free port; the bound port is printed as the first line of stdout)

A rewrite of the article's server (tcp_link). For each client, in a thread
of its own, it sends the notice "【您已成功连接服务器】" ("you are connected to
the server", 33 bytes of UTF-8, no delimiter), then loops: recv(1024),
time.sleep(1), stop on b"" or on exactly "exit", otherwise send
"Hello, <what was read>" (no delimiter). Bugs, as in the article:
  * every recv() is taken as one message: a message that arrives in pieces
    is greeted piece by piece ("Hello, M" then "Hello, ichael"), and because
    of the sleep(1) after each recv() everything a client sends within that
    second is read, and greeted, as one message;
  * "exit" is only recognised when it arrives alone in one read;
  * each read is decoded as UTF-8 and only ConnectionError is caught, so a
    multi-byte character cut between two reads raises UnicodeDecodeError,
    which kills the client's thread with a traceback; the socket is not
    closed then (the dead thread's traceback keeps it alive until Python's
    cycle collector runs), so the client is left hanging, connected to
    nobody;
  * the protocol has no framing at all: replies carry no delimiter or length,
    so a client can only tell them apart by timing.
Script: corpus/scripts/seeds/seed002-hello.tcs.
"""
import socket
import sys
import threading
import time

if len(sys.argv) != 2:
    sys.exit("usage: seed002_threaded_hello.py PORT")


def tcp_link(sock, addr):
    print("【客户端[%s:%s]已连接】" % addr, flush=True)
    sock.send("【您已成功连接服务器】".encode("utf-8"))
    while True:
        try:
            data = sock.recv(1024)
            time.sleep(1)
            if not data or data.decode("utf-8") == "exit":
                break
            print("Client: %s" % data.decode("utf-8"), flush=True)
            sock.send(("Hello, %s" % data.decode("utf-8")).encode("utf-8"))
        except ConnectionError as e:
            print(e, flush=True)
            break
    sock.close()
    print("【客户端[%s:%s]已断开】" % addr, flush=True)


address = ("127.0.0.1", int(sys.argv[1]))
s = socket.socket()
s.bind(address)
s.listen(5)
print(s.getsockname()[1], flush=True)
print("【服务器已启动,主机:%s,端口:%s】" % s.getsockname(), flush=True)
print("【等待连接中...】", flush=True)
while True:
    sock, addr = s.accept()
    t = threading.Thread(target=tcp_link, args=(sock, addr))
    t.start()
