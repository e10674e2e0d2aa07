#!/usr/bin/env python3
"""`tcpcheck proxy` end to end, between real programs on loopback.

  proxy_e2e.py --tcpcheck BIN CASE

Cases:
  redis-record     redis-cli through the proxy to redis-server, recorded; the
                   recording replays with `run`, passes `check` and is fuzzed
                   by `fuzz` (30 runs, no finding) against the same server; the proxy->server leg is captured with
                   tcpdump meanwhile, imported, and gives the same steps
  seed001-sticky   the seed article's one-recv-one-message tcpServer behind
                   the proxy: `--up plan=bytewise` draws one answer per byte,
                   `--up plan=merged` one answer for three messages
  seed004-client   the seed article's naive length-prefix client through
                   the proxy to `tcpcheck serve lenprefix`: `--down
                   plan=bytewise` makes its recv(4) come back short and it
                   dies; its framed twin passes the same way
  generalize       a client that echoes a value redis gives it (an INCR),
                   recorded twice through the proxy and generalized: the
                   first recording fails on replay, the generalized passes
  hostile          a flood toward a server that never reads, a server that
                   floods a client that never reads, a 4 GiB length field:
                   the proxy's resident memory grows by under 48 MiB, the
                   senders are held back, the decode error is told
  seeded           `--up plan=random:SEED` twice with the same seed cuts the
                   same way (the writes the proxy's -v shows), another seed
                   cuts otherwise

Every process is started here on free loopback ports and stopped in the end;
every wait is bounded.
"""
import argparse
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, limit=10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port} after {limit} s")


class Lines:
    """A process's stdout lines, read on a thread, waited for with a limit."""

    def __init__(self, process):
        self.queue = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def wait_for(self, pattern, limit=10.0):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise RuntimeError(f"no line matching {pattern!r}; seen: {self.seen}")

    def rest(self, limit=10.0):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
        return self.seen


class Processes:
    """Everything a case starts, stopped at the end whatever happened."""

    def __init__(self):
        self.started = []

    def start(self, argv, **kwargs):
        print("+", " ".join(argv), flush=True)
        p = subprocess.Popen(argv, **kwargs)
        self.started.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.started):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def start_proxy(procs, tcpcheck, upstream_port, *args, env=None):
    p = procs.start([tcpcheck, "proxy", "--upstream", f"127.0.0.1:{upstream_port}", *args],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = Lines(p)
    port = int(lines.wait_for(r"^proxy on 127\.0\.0\.1:(\d+)").group(1))
    return p, lines, port


def finish(p, lines, limit=20.0):
    """Waits for a proxy started with --connections to stop by itself."""
    try:
        code = p.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        raise RuntimeError("the proxy did not stop after its --connections")
    return code, lines.rest(2)


def run(argv, limit=300, expect=0):
    print("+", " ".join(argv), flush=True)
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=limit)
    print(done.stdout)
    if expect is not None and done.returncode != expect:
        raise AssertionError(f"exit code {done.returncode}, expected {expect}: {' '.join(argv)}")
    return done


def steps_of(path):
    """A script's steps, without comments, blank lines and the header lines."""
    steps = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith(("framing ", "timeout ")):
                continue
            steps.append(line)
    return steps


def case_redis_record(tcpcheck, procs, tmp):
    redis_port = free_port()
    procs.start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no"], stdout=subprocess.DEVNULL)
    wait_listening(redis_port)
    capture = os.path.join(tmp, "leg.pcap")
    tcpdump = procs.start(["tcpdump", "-i", "lo", "-U", "-s", "65600", "-B", "8192", "-n", "-w", capture,
                           f"tcp port {redis_port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    Lines(type("P", (), {"stdout": tcpdump.stderr})).wait_for("listening on")
    recording = os.path.join(tmp, "recorded.tcs")
    p, lines, port = start_proxy(procs, tcpcheck, redis_port, "--framing", "line,crlf",
                                 "--record", recording, "--record-timeout", "2000",
                                 "--description", "redis-cli SET and GET, recorded",
                                 "--connections", "2")
    # Commands on redis-cli's command line, one connection each (its
    # interactive mode would first fetch COMMAND DOCS, a reply of thousands
    # of lines): the recording has two connections, main and c2.
    for command, reply in ((["SET", "tcpcheck:proxy", "recorded"], "OK"),
                           (["GET", "tcpcheck:proxy"], "recorded")):
        done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *command],
                              stdout=subprocess.PIPE, text=True, timeout=30)
        assert done.stdout.strip() == reply, done.stdout
    code, seen = finish(p, lines)
    print("\n".join(seen))
    assert code == 0, f"proxy exit code {code}"
    with open(recording, encoding="utf-8") as f:
        text = f.read()
    print(text)
    for wanted in ['send "SET"', 'send "recorded"', 'expect "+OK"', 'c2: connect',
                   'c2: send "GET"', 'c2: expect "\\$8"', 'c2: expect "recorded"']:
        assert wanted in text, f"{wanted} missing from the recording"

    target = ["--target", f"127.0.0.1:{redis_port}"]
    run([tcpcheck, "run", recording, *target])
    run([tcpcheck, "check", recording, *target, "--no-progress", "--out",
         os.path.join(tmp, "replays")])

    # libpcap hands packets to tcpdump a block at a time, up to a second late
    # (not --immediate-mode, which made the kernel drop packets under load):
    # the recorded connections ended long before, and this lets their last
    # block be written.
    time.sleep(1.5)
    tcpdump.send_signal(signal.SIGINT)
    tcpdump.wait(timeout=10)
    imported = os.path.join(tmp, "imported.tcs")
    run([tcpcheck, "import", capture, "--port", str(redis_port), "--framing", "line,crlf",
         "-o", imported])
    # The capture holds the recording's two connections, then run's and
    # check's: its first two streams are the recorded ones.
    recorded_steps = steps_of(recording)
    imported_steps = steps_of(imported)
    assert imported_steps[:len(recorded_steps)] == recorded_steps, (
        f"imported:\n{imported_steps[:40]}\nrecorded:\n{recorded_steps}")

    # fuzz takes the recording as its baseline (bounded: 30 runs, 20 s).
    run([tcpcheck, "fuzz", recording, *target, "--runs", "30", "--max-time", "20",
         "--no-progress", "--corpus", os.path.join(tmp, "corpus"), "--out",
         os.path.join(tmp, "findings")])


class NaiveClient:
    """Sends messages (with a pause between them, or none) and counts what comes back."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def send_all(self, messages, pause):
        for m in messages:
            self.sock.sendall(m)
            time.sleep(pause)

    def read_for(self, seconds):
        self.sock.settimeout(0.1)
        got = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                part = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not part:
                break
            got += part
        self.sock.close()
        return got


ANSWER = b"tcpServer has received your message"


def seed001_answers(tcpcheck, procs, up, messages, pause):
    server = procs.start([sys.executable, os.path.join(ROOT, "corpus/servers/seed001_tcpserver.py"),
                          "0"], stdout=subprocess.PIPE, text=True)
    server_port = int(server.stdout.readline())
    p, lines, port = start_proxy(procs, tcpcheck, server_port, "--up", up, "--connections", "1")
    client = NaiveClient(port)
    client.send_all(messages, pause)
    got = client.read_for(1.5)
    finish(p, lines)
    server.terminate()
    server.wait(timeout=10)
    return got.count(ANSWER)


def case_seed001_sticky(tcpcheck, procs, tmp):
    # Unhindered, with a pause between messages: one answer per message.
    assert seed001_answers(tcpcheck, procs, "", [b"hello"], 0.2) == 1
    # Bytewise: the server answers every piece, five answers for "hello".
    answers = seed001_answers(tcpcheck, procs, "plan=bytewise", [b"hello"], 0.2)
    assert answers >= 4, f"bytewise drew {answers} answers for one message"
    # Merged: three messages sent 2 ms apart arrive as one, one answer.
    answers = seed001_answers(tcpcheck, procs, "plan=merged", [b"one", b"two", b"three"], 0.002)
    assert answers == 1, f"merged drew {answers} answers for three messages"


def case_seed004_client(tcpcheck, procs, tmp):
    server = procs.start([tcpcheck, "serve", "lenprefix"], stdout=subprocess.PIPE, text=True)
    server_port = int(Lines(server).wait_for(r"on 127\.0\.0\.1:(\d+)").group(1))
    clients = os.path.join(ROOT, "corpus/clients")

    def client_through(down, name):
        p, lines, port = start_proxy(procs, tcpcheck, server_port, "--framing", "len:i32le",
                                     "--down", down, "--connections", "1")
        done = subprocess.run([sys.executable, os.path.join(clients, name), str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=30)
        print(done.stdout)
        finish(p, lines)
        return done.returncode

    assert client_through("", "seed004_lenprefix_naive.py") == 0
    assert client_through("plan=bytewise", "seed004_lenprefix_naive.py") != 0
    assert client_through("plan=bytewise", "seed004_lenprefix_framed.py") == 0


def writes_seen(tcpcheck, procs, seed):
    """The sizes of the proxy's writes to the server (its -v lines) for one message."""
    echo = procs.start([tcpcheck, "serve", "echo"], stdout=subprocess.PIPE, text=True)
    echo_port = int(Lines(echo).wait_for(r"on 127\.0\.0\.1:(\d+)").group(1))
    p, lines, port = start_proxy(procs, tcpcheck, echo_port, "--up", f"plan=random:{seed}",
                                 "--connections", "1", "-v")
    message = b"The quick brown fox jumps over the lazy dog"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(message)
        got = b""
        while len(got) < len(message):
            part = s.recv(4096)
            if not part:
                break
            got += part
        assert got == message, got
    _, seen = finish(p, lines)
    echo.terminate()
    echo.wait(timeout=10)
    return [int(m.group(1)) for m in (re.search(r"\] up write of (\d+) bytes", l) for l in seen) if m]


def case_seeded(tcpcheck, procs, tmp):
    first = writes_seen(tcpcheck, procs, 7)
    again = writes_seen(tcpcheck, procs, 7)
    other = writes_seen(tcpcheck, procs, 8)
    assert len(first) > 1 and sum(first) == 43, first
    assert first == again, f"{first} != {again}"
    assert first != other, "another seed cut the same way"


def resp(*words):
    """A redis command as RESP, as redis-cli writes it."""
    out = f"*{len(words)}\r\n"
    for w in words:
        out += f"${len(w)}\r\n{w}\r\n"
    return out.encode()


def read_line(sock):
    line = b""
    while not line.endswith(b"\r\n"):
        part = sock.recv(1)
        if not part:
            raise RuntimeError(f"the server closed after {line!r}")
        line += part
    return line[:-2].decode()


def echoing_client(port):
    """INCR a counter, then SET another key to the value the server gave:
    a value that changes from run to run, echoed back by the client."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(resp("INCR", "tcpcheck:counter"))
        value = read_line(s)[1:]
        s.sendall(resp("SET", "tcpcheck:last", value))
        assert read_line(s) == "+OK"
        s.shutdown(socket.SHUT_WR)
        assert s.recv(1) == b""
    return value


def case_generalize(tcpcheck, procs, tmp):
    redis_port = free_port()
    procs.start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no"], stdout=subprocess.DEVNULL)
    wait_listening(redis_port)
    with socket.create_connection(("127.0.0.1", redis_port), timeout=5) as s:
        s.sendall(resp("SET", "tcpcheck:counter", "100"))  # three digits for a while
        assert read_line(s) == "+OK"
    recordings = []
    for name in ("first.tcs", "second.tcs"):
        path = os.path.join(tmp, name)
        p, lines, port = start_proxy(procs, tcpcheck, redis_port, "--framing", "line,crlf",
                                     "--record", path, "--connections", "1",
                                     "--record-timeout", "2000")
        echoing_client(port)
        code, _ = finish(p, lines)
        assert code == 0
        recordings.append(path)
    general = os.path.join(tmp, "general.tcs")
    run([tcpcheck, "generalize", *recordings, "-o", general])
    with open(general, encoding="utf-8") as f:
        text = f.read()
    print(text)
    assert 'expect regex "^:([0-9]{3})$" as ' in text, "the counter's reply is not captured"
    assert "${" in text, "the echoed value is not a variable"
    # The first recording fails against the server now (the counter moved
    # on); the generalized script passes, twice.
    target = ["--target", f"127.0.0.1:{redis_port}"]
    run([tcpcheck, "run", recordings[0], *target], expect=1)
    run([tcpcheck, "run", general, *target])
    run([tcpcheck, "run", general, *target])


def rss_mib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class HostileServer:
    """Accepts connections on a thread; never reads them, and floods each
    with bytes for `flood_seconds` when told to (a peer that never reads,
    toward a client that never reads either)."""

    def __init__(self, flood_seconds=0.0):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.flood_seconds = flood_seconds
        self.sent = 0
        self.stop = False
        self.held = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            self.held.append(conn)
            if self.flood_seconds:
                conn.settimeout(0.05)
                block = b"f" * 65536
                deadline = time.monotonic() + self.flood_seconds
                while time.monotonic() < deadline and not self.stop:
                    try:
                        self.sent += conn.send(block)
                    except socket.timeout:
                        continue
                    except OSError:
                        break

    def close(self):
        self.stop = True
        self.thread.join(timeout=10)
        for c in self.held:
            c.close()
        self.listener.close()


def flood_into(port, seconds):
    """Writes as much as the proxy takes for `seconds`; returns the bytes taken."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(0.05)
    block = b"z" * 65536
    taken = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            taken += s.send(block)
        except socket.timeout:
            continue
    return s, taken


def case_hostile(tcpcheck, procs, tmp):
    # What the proxy itself holds: its resident size beyond what it had once
    # listening. Under AddressSanitizer freed memory sits in a quarantine
    # (256 MiB by default) that would be counted too: it is kept small here.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
    growth_limit_mib = 48

    # A flood toward a server that never reads.
    server = HostileServer()
    p, lines, port = start_proxy(procs, tcpcheck, server.port, env=env)
    baseline = rss_mib(p.pid)
    client, taken = flood_into(port, 3.0)
    grown = rss_mib(p.pid) - baseline
    print(f"flood: the proxy took {taken >> 20} MiB in 3 s; resident +{grown:.1f} MiB")
    assert grown < growth_limit_mib, f"the proxy grew by {grown:.1f} MiB"
    assert taken < 64 << 20, f"{taken} bytes taken toward a server that never reads"
    client.close()
    p.terminate()
    p.wait(timeout=10)
    server.close()

    # A server that floods a client that never reads.
    server = HostileServer(flood_seconds=3.0)
    p, lines, port = start_proxy(procs, tcpcheck, server.port, env=env)
    baseline = rss_mib(p.pid)
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    time.sleep(3.0)
    grown = rss_mib(p.pid) - baseline
    print(f"never reads: the server got {server.sent >> 20} MiB out in 3 s; resident "
          f"+{grown:.1f} MiB")
    assert grown < growth_limit_mib, f"the proxy grew by {grown:.1f} MiB"
    assert server.sent < 64 << 20, f"{server.sent} bytes taken toward a client that never reads"
    client.close()
    p.terminate()
    p.wait(timeout=10)
    server.close()

    # A 4 GiB length field: told as a decode error with its offset, the bytes
    # still forwarded, nothing buffered for the frame; exit code 1.
    echo = procs.start([tcpcheck, "serve", "echo"], stdout=subprocess.PIPE, text=True)
    echo_port = int(Lines(echo).wait_for(r"on 127\.0\.0\.1:(\d+)").group(1))
    p, lines, port = start_proxy(procs, tcpcheck, echo_port, "--framing", "len:u32be",
                                 "--connections", "1", env=env)
    baseline = rss_mib(p.pid)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"\xff\xff\xff\xff" + b"x" * (1 << 20))
        got = 0
        while got < 4 + (1 << 20):
            part = s.recv(65536)
            if not part:
                break
            got += len(part)
        assert got == 4 + (1 << 20), got
        grown = rss_mib(p.pid) - baseline
    code, seen = finish(p, lines)
    print("\n".join(seen))
    assert code == 1, f"exit code {code} after a stream that stopped decoding"
    assert any("up stops decoding at offset 0" in l for l in seen), seen
    assert grown < growth_limit_mib, f"the proxy grew by {grown:.1f} MiB"


CASES = {
    "hostile": case_hostile,
    "generalize": case_generalize,
    "redis-record": case_redis_record,
    "seed001-sticky": case_seed001_sticky,
    "seed004-client": case_seed004_client,
    "seeded": case_seeded,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    procs = Processes()
    with tempfile.TemporaryDirectory(prefix="tcpcheck-proxy-") as tmp:
        try:
            CASES[args.case](args.tcpcheck, procs, tmp)
        finally:
            procs.stop_all()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
