#!/usr/bin/env python3
"""Hostile TCP servers for the hostile peer matrix (bench/hostile/run_matrix.sh).

usage: hostile_server.py MODE [--port N] [--pidfile FILE] [--good-first N] [--count-file FILE]

Binds 127.0.0.1 (port 0 unless --port N is given: tcpcheck's --spawn passes {port}),
prints the port on the first line of stdout and serves every connection in a thread
of its own. Standard library only. SIGTERM (default action) ends the process.
--pidfile FILE appends the process id to FILE. --good-first N serves the first N
connections as the correct server of the mode's protocol (good, or good-len) and only the
later ones in MODE, so that check's baseline and fuzz's unmutated conversation pass and the
hostile behaviour meets the rest of the matrix (parallel, soak, mutated cases).
--count-file FILE counts the connections in FILE (one byte appended per connection), so
that a server restarted by tcpcheck --spawn goes on counting where the last one stopped
instead of being correct again for its first N connections.

Modes speaking the greeting conversation (corpus/scripts/greeting.tcs, framing line):
  good             the correct greeting server ("Welcome!", "Hello, NAME", "exit" ->
                   "Good bye!" and close)
  flood            "Welcome!\\n", then "\\n" forever, as fast as it can
  flood-lines      "Welcome!\\n", then 1 KiB lines forever
  silent           never sends and never closes (reads and discards; closes at the
                   peer's EOF, i.e. once the peer is gone)
  no-read          "Welcome!\\n", then never reads and never closes (waits, without
                   reading, for the peer's FIN or RST via poll(POLLRDHUP))
  reset            accepts and resets at once (SO_LINGER 0, close)
  trickle          the correct conversation, every reply one byte per 200 ms
  invalid          random bytes (a fixed seed; \\0 and \\xff included), 4 KiB per 10 ms,
                   forever; no welcome
  long-line        "Welcome!\\n", then one 10 MiB line without a newline, then keeps the
                   connection open (reads and discards until the peer is gone)
  close-mid-reply  "Welcome!\\n", reads one name, sends "Hel" and closes
  extra-frames     the correct conversation, with 3 unexpected lines after each reply
  dies             "Welcome!\\n", then the whole process exits (os._exit(1)) on the
                   first name
  refuse           nothing listens: binds port 0, notes the port, closes the socket,
                   prints the port and sleeps until killed (with --port it just sleeps)

Modes speaking the u32be length-prefixed echo (bench/hostile/lenprefix.tcs):
  good-len         the correct echo server ("bye" is echoed, then close; a frame above
                   the script's max=1M, header included, is closed on)
  huge-length      a 4-byte length 0xFFFFFFF0, then one payload byte per 50 ms forever
  empty-frames     zero-length frames (00 00 00 00) forever, as fast as it can
"""

import os
import random
import select
import socket
import struct
import sys
import threading
import time

GREETING_MODES = {
    "good", "flood", "flood-lines", "silent", "no-read", "reset", "trickle", "invalid",
    "long-line", "close-mid-reply", "extra-frames", "dies", "refuse",
}
LEN_MODES = {"good-len", "huge-length", "empty-frames"}
MODES = GREETING_MODES | LEN_MODES

LONG_LINE = b"A" * (10 << 20)  # one copy for all connections: the server stays small

PEER_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


# ---------------------------------------------------------------- helpers

class LineReader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        """The next line without its LF (and CR), or None at EOF."""
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
            if len(self.buf) > (1 << 20):  # keep ourselves bounded too
                return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        data = sock.recv(n - len(out))
        if not data:
            return None
        out += data
    return out


def drain_until_gone(sock):
    """Read and discard until the peer's EOF or reset."""
    while True:
        if not sock.recv(65536):
            return


def wait_gone_without_reading(sock):
    """Block, never reading, until the peer has sent FIN or RST."""
    p = select.poll()
    p.register(sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    while True:
        for _fd, ev in p.poll(1000):
            if ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                return


def reply_greeting(sock, reader, send, extra=False):
    """The greeting conversation, replies written with send(sock, bytes)."""
    send(sock, b"Welcome!\n")
    if extra:
        sock.sendall(b"extra 1\nextra 2\nextra 3\n")
    while True:
        name = reader.line()
        if name is None:
            return
        if name == b"exit":
            send(sock, b"Good bye!\n")
            if extra:
                sock.sendall(b"extra 1\nextra 2\nextra 3\n")
            return
        send(sock, b"Hello, " + name + b"\n")
        if extra:
            sock.sendall(b"extra 1\nextra 2\nextra 3\n")


def send_whole(sock, data):
    sock.sendall(data)


def send_trickle(sock, data):
    for i in range(len(data)):
        sock.sendall(data[i:i + 1])
        time.sleep(0.2)


# ---------------------------------------------------------------- modes

def serve(mode, sock):
    if mode == "good":
        reply_greeting(sock, LineReader(sock), send_whole)
    elif mode == "extra-frames":
        reply_greeting(sock, LineReader(sock), send_whole, extra=True)
    elif mode == "trickle":
        reply_greeting(sock, LineReader(sock), send_trickle)
    elif mode == "flood":
        sock.sendall(b"Welcome!\n")
        chunk = b"\n" * 65536
        while True:
            sock.sendall(chunk)
    elif mode == "flood-lines":
        sock.sendall(b"Welcome!\n")
        chunk = (b"x" * 1023 + b"\n") * 64
        while True:
            sock.sendall(chunk)
    elif mode == "silent":
        drain_until_gone(sock)
    elif mode == "no-read":
        sock.sendall(b"Welcome!\n")
        wait_gone_without_reading(sock)
    elif mode == "reset":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif mode == "invalid":
        rng = random.Random(1)
        while True:
            sock.sendall(rng.randbytes(4096))
            time.sleep(0.01)
    elif mode == "long-line":
        sock.sendall(b"Welcome!\n")
        sock.sendall(LONG_LINE)
        drain_until_gone(sock)
    elif mode == "close-mid-reply":
        reader = LineReader(sock)
        sock.sendall(b"Welcome!\n")
        if reader.line() is not None:
            sock.sendall(b"Hel")
    elif mode == "dies":
        reader = LineReader(sock)
        sock.sendall(b"Welcome!\n")
        if reader.line() is not None:
            sys.stdout.flush()
            os._exit(1)
    elif mode == "good-len":
        while True:
            header = recv_exact(sock, 4)
            if header is None:
                return
            (n,) = struct.unpack(">I", header)
            if n + 4 > (1 << 20):
                return  # above the script's max=1M (header included): close
            payload = recv_exact(sock, n)
            if payload is None:
                return
            sock.sendall(header + payload)
            if payload == b"bye":
                return
    elif mode == "huge-length":
        sock.sendall(struct.pack(">I", 0xFFFFFFF0))
        while True:
            sock.sendall(b"z")
            time.sleep(0.05)
    elif mode == "empty-frames":
        chunk = b"\0\0\0\0" * 16384
        while True:
            sock.sendall(chunk)


CONN_LOCK = threading.Lock()
CONN_COUNT = [0]
COUNT_FILE = [None]


def next_connection_index():
    with CONN_LOCK:
        if COUNT_FILE[0] is None:
            index = CONN_COUNT[0]
            CONN_COUNT[0] += 1
            return index
        fd = os.open(COUNT_FILE[0], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            index = os.fstat(fd).st_size
            os.write(fd, b".")
        finally:
            os.close(fd)
        return index


def handle(mode, sock, good_first=0):
    index = next_connection_index()
    if index < good_first:
        mode = "good-len" if mode in LEN_MODES else "good"
    try:
        serve(mode, sock)
    except PEER_GONE:
        pass
    except OSError:
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main(argv):
    args = argv[1:]
    if not args or args[0] not in MODES:
        sys.stderr.write(__doc__)
        return 2
    mode = args[0]
    port = 0
    pidfile = None
    good_first = 0
    i = 1
    while i < len(args):
        if args[i] == "--port" and i + 1 < len(args):
            port = int(args[i + 1])
            i += 2
        elif args[i] == "--count-file" and i + 1 < len(args):
            COUNT_FILE[0] = args[i + 1]
            i += 2
        elif args[i] == "--good-first" and i + 1 < len(args):
            good_first = int(args[i + 1])
            i += 2
        elif args[i] == "--pidfile" and i + 1 < len(args):
            pidfile = args[i + 1]
            i += 2
        else:
            sys.stderr.write("unknown argument: %s\n" % args[i])
            return 2
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % os.getpid())

    if mode == "refuse":
        if port == 0:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
        print(port, flush=True)
        while True:
            time.sleep(3600)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1024)
    print(srv.getsockname()[1], flush=True)
    while True:
        try:
            conn, _addr = srv.accept()
        except OSError:
            continue
        threading.Thread(target=handle, args=(mode, conn, good_first), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
