#!/usr/bin/env python3
"""`tcpcheck import` end to end: a real conversation captured and replayed.

  import_capture_test.py --tcpcheck BIN --script corpus/scripts/real-servers/redis-set-get.tcs

Starts redis-server on a free loopback port and tcpdump on lo for that port,
runs the script against redis with `tcpcheck run --json` (whose wire log is
the conversation as tcpcheck wrote and read it), stops tcpdump, imports the
capture with the script's framing, and checks that:
- the imported script's sends and expects are the conversation's frames, in
  the conversation's order (frames cut from the wire log with the framing);
- `tcpcheck run` of the imported script against the same redis passes.

Every process it starts is stopped in a finally block, and every wait is
bounded. Needs redis-server and tcpdump (ci/install-deps.sh), and the right
to capture on lo (root, or CAP_NET_RAW for tcpdump).
"""
import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

STEP = re.compile(r'^(send|expect)( raw)? "(.*)"$')


def unescape(text):
    """Bytes from tcpcheck's escapes: \\r \\n \\t \\0 \\xNN, and a backslash before any other character."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        e = text[i + 1]
        if e == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
            continue
        out += {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0"}.get(e, e.encode("utf-8"))
        i += 2
    return bytes(out)


def script_framing(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if len(words) == 2 and words[0] == "framing":
                return words[1]
    raise SystemExit(f"FAIL: {path} has no framing line")


class line_cutter:
    """Lines of a `line` or `line,crlf` stream, as tcpcheck's decoder cuts them."""

    def __init__(self, framing):
        if framing not in ("line", "line,crlf"):
            raise SystemExit(f"FAIL: this test cuts line framings only, not {framing!r}")
        self.pending = b""

    def feed(self, data):
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        return [l[:-1] if l.endswith(b"\r") else l for l in lines]


def conversation_frames(report_path, framing):
    """[(send|expect, frame)] in the order the wire log saw them complete."""
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    log = report["cases"][0]["wire_log"]
    cutters = {"write": line_cutter(framing), "read": line_cutter(framing)}
    frames = []
    for event in log:
        kind = event["event"]
        if kind in cutters:
            step = "send" if kind == "write" else "expect"
            frames += [(step, line) for line in cutters[kind].feed(unescape(event["bytes"]))]
    return frames


def imported_frames(path):
    frames = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = STEP.match(line.rstrip("\n"))
            if m:
                if m.group(2):
                    raise SystemExit(f"FAIL: a raw send in the import: {line.strip()}")
                frames.append((m.group(1), unescape(m.group(3))))
    return frames


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start_redis(tmp):
    """redis-server on a free port; a few tries, as another process may take the port first."""
    for _ in range(5):
        port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait_for_port(port, redis, 10):
            return redis, port
        stop(redis, signal.SIGTERM)
    raise SystemExit("FAIL: redis-server did not start")


def start_tcpdump(capture, port):
    """tcpdump on lo, once it says it is listening (its stderr read by a thread)."""
    # Not --immediate-mode: on a loaded machine it made the kernel drop up to
    # half of a conversation's packets (tcpdump's "dropped by kernel"). Without
    # it libpcap hands packets over a block at a time, up to a second late,
    # so the test waits until the conversation's FINs are written before it
    # stops tcpdump (wait_for_fins). -s: lo's MTU, not 256 KiB a slot; -B: a
    # ring that holds any burst of this test.
    command = ["tcpdump", "-i", "lo", "-U", "-s", "65600", "-B", "8192", "-n", "-w", capture]
    if os.geteuid() == 0:
        command += ["-Z", "root"]  # keep the right to write into a root-only directory
    command += ["tcp", "port", str(port)]
    print("+", " ".join(command), flush=True)
    tcpdump = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in tcpdump.stderr], daemon=True).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        print("tcpdump:", line.rstrip(), flush=True)
        if "listening on" in line:
            return tcpdump
    stop(tcpdump, signal.SIGINT)
    raise SystemExit("FAIL: tcpdump did not say it was listening within 10 s")


def fins_captured(path):
    """TCP segments with FIN in a pcap file tcpdump is still writing (link
    type Ethernet or raw IPv4, as on lo); a record cut short ends the count."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    if len(data) < 24:
        return 0
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    skip = 14 if link == 1 else 0
    fins, at = 0, 24
    while at + 16 <= len(data):
        length = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        packet = data[at + 16:at + 16 + length]
        at += 16 + length
        if len(packet) < length:
            break
        ip = packet[skip:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 0x0F) * 4:]
        if len(tcp) >= 14 and tcp[13] & 0x01:
            fins += 1
    return fins


def wait_for_fins(path, count, seconds=10.0):
    """Until the capture holds `count` FINs (both sides of the conversation
    closed: every segment before them written), or `seconds` passed; under
    load tcpdump writes late, and a SIGINT sent at once loses the end."""
    deadline = time.monotonic() + seconds
    while fins_captured(path) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # the last ACKs


def stop(process, sig):
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def run(command):
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)
    print(done.stdout, flush=True)
    return done.returncode


def check(args, tmp):
    framing = script_framing(args.script)
    redis = tcpdump = None
    try:
        redis, port = start_redis(tmp)
        capture = os.path.join(tmp, "conversation.pcap")
        tcpdump = start_tcpdump(capture, port)
        report = os.path.join(tmp, "run.json")
        target = f"127.0.0.1:{port}"
        if run([args.tcpcheck, "run", args.script, "--target", target, "--json", report]) != 0:
            return ["the recorded conversation did not pass"]
        wait_for_fins(capture, 2)
        stop(tcpdump, signal.SIGINT)

        imported = os.path.join(tmp, "imported.tcs")
        code = run([args.tcpcheck, "import", capture, "--port", str(port), "--framing", framing,
                    "-o", imported])
        if code != 0:
            return [f"tcpcheck import exited {code}"]
        with open(imported, encoding="utf-8") as f:
            print(f.read(), flush=True)

        problems = []
        expected, got = conversation_frames(report, framing), imported_frames(imported)
        if not expected:
            problems.append("the wire log holds no frames")
        if got != expected:
            problems.append(f"the imported frames differ from the conversation's:\n"
                            f"  expected {expected}\n  got      {got}")
        if run([args.tcpcheck, "run", imported, "--target", target]) != 0:
            problems.append("the imported script does not pass against the server it came from")
        return problems
    finally:
        stop(tcpdump, signal.SIGINT)
        stop(redis, signal.SIGTERM)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--script", required=True)
    args = parser.parse_args()
    for tool in ("redis-server", "tcpdump"):
        if shutil.which(tool) is None:
            print(f"FAIL: {tool} is not installed (ci/install-deps.sh installs it)")
            return 1
    tmp = tempfile.mkdtemp(prefix="tcpcheck-import-")
    try:
        problems = check(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("ok: the capture imported to the conversation's frames and replays")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
