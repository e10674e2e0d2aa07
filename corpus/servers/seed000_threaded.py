#!/usr/bin/env python3
"""Seed 000 ("TCP and Concurrent Server"), second server: accept() in a thread, one recv per client.

Usage: python3 seed000_threaded.py PORT   (binds 127.0.0.1; PORT 0 = any free
port; the bound port is printed as the first line of stdout)

A Python 3 rewrite of the article's "concurrent" server. Despite the name it
runs one thread, which loops: accept() a client, recv(2048) once, print it,
send "I am a server" (13 bytes, no delimiter), and go back to accept(). So
  * each client gets exactly one answer, to whatever its first recv()
    returned (the first byte alone, if the message arrives in pieces); later
    messages are never read;
  * the client's socket is never closed: it stays open until the next
    accept() rebinds the variable and CPython frees the old socket, so a
    client's connection is closed when the *next* client connects (with an
    RST if unread data is left on it);
  * an error in recv/send (the bare except) ends the thread, and the server
    stops accepting.
Scripts: corpus/scripts/seeds/seed000-threaded.tcs, seed000-threaded-two-clients.tcs.
"""
import socket
import sys
from threading import Thread

if len(sys.argv) != 2:
    sys.exit("usage: seed000_threaded.py PORT")

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
address = ("127.0.0.1", int(sys.argv[1]))


def net_connect():
    try:
        server_socket.bind(address)
        server_socket.listen(5)
    except OSError:
        return
    print(server_socket.getsockname()[1], flush=True)
    th = Thread(target=recv_data)
    th.start()


def recv_data():
    while True:
        client_socket, address = server_socket.accept()
        try:
            data = client_socket.recv(2048).decode("UTF-8")
            print("Data accepted by the server:", data, flush=True)
            client_socket.send("I am a server".encode("UTF-8"))
        except Exception:  # the article's bare except
            break


net_connect()
