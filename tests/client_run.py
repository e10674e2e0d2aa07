#!/usr/bin/env python3
"""`tcpcheck run` playing the server for clients (`role server` scripts), end
to end, against the seed-article clients in corpus/clients/.

  client_run.py --tcpcheck BIN --corpus DIR

Each scenario runs tcpcheck once and checks its exit code and what it says:
the correct seed 004 client passes under whole, bytewise and merged
delivery; the naive one (a header read with one recv(4)) dies under
bytewise and is reported as the client dying; a client that exits before it
connects ends the run at once; one that never exits is stopped after
--client-timeout; --listen waits for a client started separately; scripts
and options that do not fit together are usage errors. Last, `tcpcheck
client` gives up on a silent server after its --silence.
"""
import argparse
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class scenarios:
    def __init__(self, tcpcheck, corpus):
        self.tcpcheck = tcpcheck
        self.corpus = corpus
        self.problems = []

    def script(self, name):
        return f"{self.corpus}/scripts/clients/{name}.tcs"

    def client(self, name):
        return f"python3 {self.corpus}/clients/{name}.py {{port}}"

    def run(self, what, args, want_exit, says=(), within=None):
        print("+", what, flush=True)
        started = time.monotonic()
        done = subprocess.run([self.tcpcheck, "run"] + args, capture_output=True, text=True,
                              timeout=120)
        took = time.monotonic() - started
        out = done.stdout + done.stderr
        if done.returncode != want_exit:
            self.problems.append(f"{what}: exit {done.returncode}, expected {want_exit}\n{out}")
        for text in says:
            if text not in out:
                self.problems.append(f"{what}: output lacks {text!r}\n{out}")
        if within is not None and took > within:
            self.problems.append(f"{what}: took {took:.1f} s, expected under {within} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--corpus", required=True)
    args = parser.parse_args()
    s = scenarios(args.tcpcheck, args.corpus)
    lenprefix = s.script("seed004-lenprefix")

    for plan in ("whole", "bytewise", "merged"):
        s.run(f"framed seed 004 client, {plan}",
              [lenprefix, "--client", s.client("seed004_lenprefix_framed"), "--plan", plan],
              0, says=["PASS"])
    s.run("naive seed 004 client, bytewise: its recv(4) comes back short",
          [lenprefix, "--client", s.client("seed004_lenprefix_naive"), "--plan", "bytewise"],
          1, says=["FAIL", "the client died: exited with status 1", "struct.error"])
    s.run("a client that exits before it connects ends the run at once",
          [lenprefix, "--client", "sh -c 'exit 3' sh {port}"],
          1, says=["the client exited with status 3 before the conversation ended"], within=4)
    s.run("a client that never exits is stopped after --client-timeout",
          [lenprefix, "--client", "sleep 60 {port}", "--timeout", "300",
           "--client-timeout", "300"],
          1, says=["still running 300 ms later (stopped)"], within=10)

    port = free_port()
    print(f"+ --listen 127.0.0.1:{port}, the client started separately", flush=True)
    tcpcheck = subprocess.Popen([args.tcpcheck, "run", lenprefix, "--listen",
                                 f"127.0.0.1:{port}", "--timeout", "10000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = tcpcheck.stderr.readline()
    if "listening on 127.0.0.1:" not in said:
        s.problems.append(f"--listen: no 'listening on' line first; got {said!r}")
    client = subprocess.run(["python3", f"{args.corpus}/clients/seed004_lenprefix_framed.py",
                             str(port)], capture_output=True, text=True, timeout=30)
    out, _ = tcpcheck.communicate(timeout=30)
    if tcpcheck.returncode != 0 or client.returncode != 0:
        s.problems.append(f"--listen: tcpcheck exit {tcpcheck.returncode}, client exit "
                          f"{client.returncode}, both expected 0\n{out}{client.stderr}")

    s.run("a role server script with --target", [lenprefix, "--target", "127.0.0.1:9"], 2,
          says=["give the client with --client"])
    s.run("a role server script with nothing", [lenprefix], 2, says=["--client"])
    s.run("a client's script with --client",
          [f"{args.corpus}/scripts/hello.tcs", "--client", "true {port}"], 2,
          says=["are for scripts that say 'role server'"])
    s.run("a client command that cannot run",
          [lenprefix, "--client", "/nonexistent/client {port}"], 3,
          says=["cannot start the client", "/nonexistent/client"], within=4)
    s.run("--listen on an address that is not loopback",
          [lenprefix, "--listen", "192.0.2.1:4000"], 3, says=["not a loopback address"])

    # `tcpcheck client` itself: a server that accepts and says nothing is
    # given up on after --silence, not after the default 4 s.
    print("+ tcpcheck client greeting --silence 300 against a silent server", flush=True)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        done = subprocess.run([args.tcpcheck, "client", "greeting", "--silence", "300", "--port",
                               str(silent.getsockname()[1])],
                              capture_output=True, text=True, timeout=30)
        took = time.monotonic() - started
    if done.returncode != 1 or "the server sent nothing for 300 ms" not in done.stderr:
        s.problems.append(f"client --silence 300: exit {done.returncode}, expected 1 with "
                          f"'the server sent nothing for 300 ms'\n{done.stderr}")
    if took > 3:
        s.problems.append(f"client --silence 300: gave up after {took:.1f} s, expected under 3 s")

    for p in s.problems:
        print("FAIL:", p)
    if not s.problems:
        print("ok")
    return 1 if s.problems else 0


if __name__ == "__main__":
    sys.exit(main())
