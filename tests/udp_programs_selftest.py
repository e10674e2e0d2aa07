#!/usr/bin/env python3
"""Self-test of the UDP test programs (stdlib only, loopback only).

Usage: python3 tests/udp_programs_selftest.py --source-dir /work/main

Starts each program as a subprocess (servers on port 0, the port read from
their first line of stdout), talks to it over UDP on 127.0.0.1 and checks
its documented behaviour:
  tests/planted/udp_planted_server.py   every --bug's effect, and that
                                        --bug none does not show it
  corpus/servers/seed001_udpserver.py   the fixed answer, the empty datagram
                                        ignored, the cut at 4096 bytes
  corpus/clients/seed001_udpclient.py   against a responder in this test, a
                                        silent one, and a port nobody holds
Prints one line per check (PASS/FAIL), exits 0 only if all pass, else 1.
Every wait is bounded (2 s socket timeouts); subprocesses are always killed.
"""
import argparse
import os
import select
import signal
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 2.0
QUIET = 0.3  # how long "no answer" is waited for

results = []
procs = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    line = ("PASS " if ok else "FAIL ") + name
    if not ok and detail:
        line += ": " + (detail if len(detail) <= 300 else detail[:300] + "...")
    print(line, flush=True)
    return ok


def short(b, n=60):
    r = repr(b)
    return r if len(r) <= n else r[:n] + "...(%d bytes)" % len(b)


def start(args):
    """Start a program; return (proc, first stdout line), bounded by TIMEOUT."""
    p = subprocess.Popen([sys.executable] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(p)
    fd = p.stdout.fileno()
    os.set_blocking(fd, False)
    buf = b""
    deadline = time.monotonic() + TIMEOUT
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("no first line from %s within %.0f s" % (args, TIMEOUT))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("%s exited before its first line (status %s)" % (args, p.wait(TIMEOUT)))
            buf += chunk
    line, rest = buf.split(b"\n", 1)
    p.early_stdout = rest
    return p, line.decode()


def finish(p, timeout=TIMEOUT):
    """Wait for p (bounded); return (returncode, stdout, stderr). Kills it on timeout."""
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(TIMEOUT)
    os.set_blocking(p.stdout.fileno(), True)
    out = getattr(p, "early_stdout", b"") + p.stdout.read()
    err = p.stderr.read()
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def terminate(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    return finish(p)


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    s.settimeout(TIMEOUT)
    procs.append(s)
    return s


def ask(s, port, data, timeout=TIMEOUT):
    """Send data to port, return (reply, (ip, port) it came from) or (None, None)."""
    s.sendto(data, (HOST, port))
    s.settimeout(timeout)
    try:
        return s.recvfrom(65535)
    except socket.timeout:
        return None, None
    finally:
        s.settimeout(TIMEOUT)


def start_planted(src, bug):
    p, line = start([os.path.join(src, "tests/planted/udp_planted_server.py"), "--bug", bug, "--port", "0"])
    prefix = "listening on 127.0.0.1:"
    if not line.startswith(prefix):
        raise RuntimeError("unexpected first line %r" % line)
    return p, int(line[len(prefix):])


PAYLOAD = bytes(i % 251 for i in range(2000))


def test_planted_arguments(src):
    path = os.path.join(src, "tests/planted/udp_planted_server.py")
    for bad in (["--bug", "bogus"], ["--port", "70000"], ["--port", "x"], ["extra"]):
        r = subprocess.run([sys.executable, path] + bad, capture_output=True, timeout=10)
        check("planted: bad arguments %s exit 2" % " ".join(bad), r.returncode == 2, "status %d" % r.returncode)


def test_planted_none(src):
    """--bug none: the whole protocol, and none of the bugs."""
    payload = PAYLOAD
    p, port = start_planted(src, "none")
    a, b = udp(), udp()
    check("none: first line names the bound port", port > 0)
    reply, src_addr = ask(a, port, b"hello")
    check("none: hello -> hi", reply == b"hi", short(reply))
    check("none: reply comes from the bound port", src_addr == (HOST, port), repr(src_addr))
    reply, _ = ask(a, port, b"echo:abc")
    check("none: echo:abc -> abc", reply == b"abc", short(reply))
    reply, _ = ask(a, port, b"echo:")
    check("none: echo: -> empty datagram", reply == b"", short(reply))
    reply, _ = ask(a, port, b"echo:" + payload)
    check("none: echo: + 2000 bytes comes back whole", reply == payload,
          "%s bytes" % (None if reply is None else len(reply)))
    big = b"x" * 5000
    reply, _ = ask(a, port, b"echo:" + big)
    check("none: echo: + 5000 bytes answered whole (no crash)", reply == big,
          "%s bytes" % (None if reply is None else len(reply)))
    reply, _ = ask(a, port, b"get")
    check("none: get before set -> none", reply == b"none", short(reply))
    reply, _ = ask(a, port, b"set:alpha")
    check("none: set:alpha -> ok", reply == b"ok", short(reply))
    reply, _ = ask(b, port, b"set:beta")
    check("none: second socket set:beta -> ok", reply == b"ok", short(reply))
    reply, _ = ask(a, port, b"get")
    check("none: per (ip, port) state: first socket still gets alpha", reply == b"alpha", short(reply))
    reply, _ = ask(b, port, b"get")
    check("none: second socket gets beta", reply == b"beta", short(reply))
    reply, _ = ask(a, port, b"info")
    check("none: info -> v1 (no amplification)", reply == b"v1", short(reply))
    reply, _ = ask(a, port, b"what")
    check("none: unknown request -> ?", reply == b"?", short(reply))
    reply, _ = ask(a, port, b"", timeout=QUIET)
    check("none: empty datagram gets no answer", reply is None, short(reply))
    check("none: still alive after an empty datagram", p.poll() is None, "status %s" % p.poll())
    reply, _ = ask(a, port, b"hello")
    check("none: answers hello after an empty datagram", reply == b"hi", short(reply))
    rc, _, err = terminate(p)
    check("none: SIGTERM ends it with status 0", rc == 0, "status %s, stderr %r" % (rc, err[-200:]))

    # SIGINT too.
    p, port = start_planted(src, "none")
    p.send_signal(signal.SIGINT)
    rc, _, err = finish(p)
    check("none: SIGINT ends it with status 0", rc == 0, "status %s, stderr %r" % (rc, err[-200:]))


def test_planted_empty_dies(src):
    p, port = start_planted(src, "empty-dies")
    s = udp()
    reply, _ = ask(s, port, b"hello")
    check("empty-dies: hello -> hi before the trigger", reply == b"hi", short(reply))
    s.sendto(b"", (HOST, port))
    rc, _, err = finish(p)
    check("empty-dies: an empty datagram: exit status 1", rc == 1, "status %s" % rc)
    check("empty-dies: traceback on stderr", "Traceback" in err, repr(err[-200:]))


def test_planted_small_buffer(src):
    payload = PAYLOAD
    p, port = start_planted(src, "small-buffer")
    s = udp()
    reply, _ = ask(s, port, b"echo:abc")
    check("small-buffer: short echo intact", reply == b"abc", short(reply))
    reply, _ = ask(s, port, b"echo:" + payload)
    check("small-buffer: echo: + 2000 bytes cut to 1019 bytes of payload",
          reply == payload[:1024 - 5], "%s bytes" % (None if reply is None else len(reply)))
    terminate(p)


def test_planted_other_port(src):
    p, port = start_planted(src, "other-port")
    s = udp()
    reply, src_addr = ask(s, port, b"hello")
    check("other-port: hello -> hi", reply == b"hi", short(reply))
    check("other-port: reply's source port differs from the bound port",
          src_addr is not None and src_addr[0] == HOST and src_addr[1] != port, repr(src_addr))
    terminate(p)


def test_planted_per_ip_state(src):
    p, port = start_planted(src, "per-ip-state")
    a, b = udp(), udp()
    r1, _ = ask(a, port, b"set:alpha")
    r2, _ = ask(b, port, b"set:beta")
    check("per-ip-state: both sets -> ok", r1 == b"ok" and r2 == b"ok", "%s %s" % (short(r1), short(r2)))
    reply, _ = ask(a, port, b"get")
    check("per-ip-state: first socket's get returns the second's value", reply == b"beta", short(reply))
    terminate(p)


def test_planted_amplify(src):
    p, port = start_planted(src, "amplify")
    s = udp()
    reply, _ = ask(s, port, b"info")
    check("amplify: info reply is 4096 bytes (1024 x 4)",
          reply is not None and len(reply) == 4096 == 1024 * len(b"info"),
          "%s bytes" % (None if reply is None else len(reply)))
    check("amplify: the reply is 'v1' then a key=value listing",
          reply is not None and reply.startswith(b"v1\n")
          and all(b"=" in l for l in reply.splitlines()[1:]),
          short(reply))
    reply, _ = ask(s, port, b"hello")
    check("amplify: hello still -> hi", reply == b"hi", short(reply))
    terminate(p)


def test_planted_large_crash(src):
    p, port = start_planted(src, "large-crash")
    s = udp()
    reply, _ = ask(s, port, b"echo:" + b"y" * 4000)
    check("large-crash: 4005 bytes still answered", reply == b"y" * 4000,
          "%s bytes" % (None if reply is None else len(reply)))
    s.sendto(b"z" * 5000, (HOST, port))
    rc, _, err = finish(p)
    check("large-crash: 5000 bytes: killed by SIGABRT (status -6)", rc == -signal.SIGABRT, "status %s" % rc)
    check("large-crash: 'udp_planted: large datagram' on stderr",
          "udp_planted: large datagram" in err, repr(err[-200:]))


def test_seed_server(src):
    path = os.path.join(src, "corpus/servers/seed001_udpserver.py")
    for bad in ([], ["x"], ["1", "2"], ["70000"]):
        r = subprocess.run([sys.executable, path] + bad, capture_output=True, timeout=10)
        check("seed001_udpserver: bad arguments %r exit 2" % bad, r.returncode == 2, "status %d" % r.returncode)

    p, line = start([path, "0"])
    port = int(line) if line.isdigit() else 0
    check("seed001_udpserver: first line is the bound port", port > 0, repr(line))
    s = udp()
    fixed = b"tcpServer has received your message"
    reply, src_addr = ask(s, port, b"hello")
    check("seed001_udpserver: hello -> the fixed text", reply == fixed, short(reply))
    check("seed001_udpserver: reply from the bound port", src_addr == (HOST, port), repr(src_addr))
    reply, _ = ask(s, port, b"", timeout=QUIET)
    check("seed001_udpserver: empty datagram: no answer within 300 ms", reply is None, short(reply))
    reply, _ = ask(s, port, b"again")
    check("seed001_udpserver: answers after an empty datagram", reply == fixed, short(reply))
    reply, _ = ask(s, port, b"x" * 5000)
    check("seed001_udpserver: 5000 bytes: the same fixed answer", reply == fixed, short(reply))
    rc, out, err = terminate(p)
    check("seed001_udpserver: SIGTERM ends it with status 0", rc == 0, "status %s, stderr %r" % (rc, err[-200:]))
    lines = out.splitlines()
    me = s.getsockname()[1]
    said = [l for l in lines if l.startswith("[Client 127.0.0.1:%d said]:" % me)]
    check("seed001_udpserver: one '[Client ... said]' line per answered datagram (3)",
          len(said) == 3, repr(lines[:6]))
    check("seed001_udpserver: prints what it received", len(said) >= 1 and said[0].endswith("said]:b'hello'"),
          repr(said[:1]))
    check("seed001_udpserver: 5000-byte datagram cut to 4096 silently",
          len(said) == 3 and said[2].count("x") == 4096, "%s x" % (said[2].count("x") if len(said) == 3 else "?"))


def run_client(path, port):
    return subprocess.Popen([sys.executable, path, str(port)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def client_result(c, timeout=5):
    try:
        out, err = c.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        c.kill()
        out, err = c.communicate(timeout=TIMEOUT)
    return c.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def test_seed_client(src):
    path = os.path.join(src, "corpus/clients/seed001_udpclient.py")
    for bad in ([], ["x"], ["0"], ["1", "2"]):
        r = subprocess.run([sys.executable, path] + bad, capture_output=True, timeout=10)
        check("seed001_udpclient: bad arguments %r exit 2" % bad, r.returncode == 2, "status %d" % r.returncode)

    # A responder that answers once, with a byte that is not UTF-8.
    resp = udp()
    port = resp.getsockname()[1]
    c = run_client(path, port)
    procs.append(c)
    try:
        data, addr = resp.recvfrom(65535)
    except socket.timeout:
        data, addr = None, None
    check("seed001_udpclient: sends 'hello, tcpServer!'", data == b"hello, tcpServer!", short(data))
    if addr:
        resp.sendto(b"pong \xff", addr)
    rc, out, err = client_result(c)
    check("seed001_udpclient: prints the reply (backslashreplace)", out == "[tcpServer said]: pong \\xff\n",
          repr(out) + " " + repr(err[-200:]))
    check("seed001_udpclient: exit 0 after a reply", rc == 0, "status %s" % rc)

    # The naive bug: a 5000-byte reply is cut to 4096, silently.
    c = run_client(path, port)
    procs.append(c)
    try:
        data, addr = resp.recvfrom(65535)
    except socket.timeout:
        addr = None
    if addr:
        resp.sendto(b"r" * 5000, addr)
    rc, out, err = client_result(c)
    check("seed001_udpclient: 5000-byte reply printed cut to 4096 bytes, exit 0",
          rc == 0 and out == "[tcpServer said]: " + "r" * 4096 + "\n",
          "status %s, %d chars" % (rc, len(out)))

    # A silent responder: timeout after 2 s, exit 1.
    c = run_client(path, port)
    procs.append(c)
    t0 = time.monotonic()
    rc, out, err = client_result(c)
    elapsed = time.monotonic() - t0
    check("seed001_udpclient: no reply: exit 1 with the reason on stderr, after ~2 s",
          rc == 1 and "timed out" in err and 1.5 <= elapsed <= 4.5,
          "status %s, %.1f s, stderr %r" % (rc, elapsed, err[-200:]))
    resp.close()

    # Nothing listening: the port of a socket just closed.
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.bind((HOST, 0))
    dead = t.getsockname()[1]
    t.close()
    c = run_client(path, dead)
    procs.append(c)
    rc, out, err = client_result(c)
    check("seed001_udpclient: nothing listening: exit 1, 'nothing is listening on 127.0.0.1:%d'" % dead,
          rc == 1 and ("nothing is listening on 127.0.0.1:%d" % dead) in err,
          "status %s, stderr %r" % (rc, err[-200:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    src = os.path.abspath(args.source_dir)
    t0 = time.monotonic()
    try:
        tests = (test_planted_arguments, test_planted_none, test_planted_empty_dies,
                 test_planted_small_buffer, test_planted_other_port, test_planted_per_ip_state,
                 test_planted_amplify, test_planted_large_crash, test_seed_server, test_seed_client)
        for test in tests:
            try:
                test(src)
            except Exception as e:  # a broken program must not stop the other tests
                check("%s ran to the end" % test.__name__, False, "%s: %s" % (type(e).__name__, e))
    finally:
        for p in procs:
            if isinstance(p, socket.socket):
                p.close()
            elif p.poll() is None:
                p.kill()
                try:
                    p.wait(TIMEOUT)
                except subprocess.TimeoutExpired:
                    pass
    passed = sum(results)
    print("%d of %d checks passed in %.1f s" % (passed, len(results), time.monotonic() - t0), flush=True)
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
