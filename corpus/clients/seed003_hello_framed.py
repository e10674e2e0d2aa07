#!/usr/bin/env python3
"""Seed 003 ("How to implement TCP connection and communication with Python?"), the client, correct: buffers and splits on the newline.

Usage: python3 seed003_hello_framed.py PORT   (connects to 127.0.0.1:PORT)

The correct twin of seed003_hello_naive.py, with no sleeps: read the
welcome and the question, then for Michael, Tracy and Sarah send the name
and read the greeting and the question again, then send "exit", read
"Good bye!" and close. Every message is a line (tcpcheck framing line, the
protocol of `tcpcheck serve hello`). Bytes are kept in a buffer and a
message is handed out only once its "\\n" has arrived, so lines cut into
pieces are joined and lines merged into one read are split; what follows a
line stays in the buffer for the next read. As tcpcheck's line framing does,
one "\\r" before the "\\n" is dropped. It exits 1, with the reason on stderr,
if the server closes or resets the connection early, sends a line longer
than 64 KiB, or is silent for 2 s.
Script (tcpcheck plays the server): corpus/scripts/clients/seed003-hello.tcs.
"""
import socket
import sys

MAX_LINE = 64 * 1024  # a server that never sends "\n" must not fill our memory


class LineReader:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def read_line(self):
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise ValueError("line longer than %d bytes" % MAX_LINE)
            piece = self.sock.recv(4096)
            if not piece:
                raise EOFError("server closed the connection (%d bytes of a line unread)" % len(self.buffer))
            self.buffer += piece
        line, _, self.buffer = self.buffer.partition(b"\n")
        if line.endswith(b"\r"):
            line = line[:-1]
        return line.decode("utf-8", "replace")


if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
    print("usage: python3 seed003_hello_framed.py PORT", file=sys.stderr)
    sys.exit(2)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(2)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    lines = LineReader(s)
    print(lines.read_line(), flush=True)  # "Server: Welcome!"
    print(lines.read_line(), flush=True)  # "What's your name?"
    for name in [b"Michael", b"Tracy", b"Sarah"]:
        s.sendall(name + b"\n")
        print(lines.read_line(), flush=True)  # "Hello NAME!"
        print(lines.read_line(), flush=True)  # the question again
    s.sendall(b"exit\n")
    print(lines.read_line(), flush=True)  # "Good bye!"
    s.close()
except socket.timeout:
    sys.exit("seed003_hello_framed.py: timed out waiting for the server")
except (EOFError, ValueError, OSError) as e:  # OSError: refused, reset, broken pipe
    sys.exit("seed003_hello_framed.py: %s" % e)
