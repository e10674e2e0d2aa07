#!/usr/bin/env python3
"""`tcpcheck check --client` end to end: the conformance matrix run against
clients, tcpcheck playing their server.

  client_check.py --tcpcheck BIN --corpus DIR --group seed
  client_check.py --tcpcheck BIN --planted-client BIN --script TCS --group planted

Group `seed`: the seed articles' clients (corpus/clients/). The correct
twins pass every case; the naive ones are caught by the segmentation cases,
each with the reason the article's bug gives.

Group `planted`: tests/planted/planted_client, a C++ client with one bug at
a time. `none` passes every case; each bug is caught by the case made for
it, with a clear message: one recv taken as one reply (the output changes
under cut replies), a header read with a single recv (a cut inside the
header), no timeout on a silent server (hanging, stopped), death on a reset
(SIGABRT), an allocation as large as a length header says (memory bound).
Then the arguments that do not fit a client's check.

Every run is bounded: --only narrows the slow matrices, and each tcpcheck
run has a timeout of its own.
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile


class checker:
    def __init__(self, tcpcheck):
        self.tcpcheck = tcpcheck
        self.problems = []
        self.scratch = tempfile.mkdtemp(prefix="tcpcheck-client-check-")

    def fail(self, text):
        self.problems.append(text)

    def check(self, what, script, client, args=(), want_exit=0, failing=(), reasons=(),
              all_pass=False):
        """Runs one check. `failing`: case ids (globs) that must each match a
        failed case; `reasons`: (id glob, text) pairs, text in the JSON of a
        failed case matching the glob; `all_pass`: every case passed."""
        print("+", what, flush=True)
        report = os.path.join(self.scratch, "report.json")
        if os.path.exists(report):
            os.remove(report)
        command = [self.tcpcheck, "check", script, "--client", client, "--no-progress",
                   "--json", report, "--out", os.path.join(self.scratch, "replays")] + list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        out = done.stdout + done.stderr
        if done.returncode != want_exit:
            self.fail(f"{what}: exit {done.returncode}, expected {want_exit}\n{out}")
            return
        with open(report) as f:
            cases = json.load(f)["cases"]
        failed = [c for c in cases if c["status"] in ("FAIL", "FLAKY")]
        if all_pass and (failed or any(c["status"] != "pass" for c in cases)):
            self.fail(f"{what}: not every case passed\n{out}")
        for pattern in failing:
            if not any(fnmatch.fnmatchcase(c["id"], pattern) for c in failed):
                self.fail(f"{what}: no failed case matches {pattern!r}\n{out}")
        for pattern, text in reasons:
            matching = [c for c in failed if fnmatch.fnmatchcase(c["id"], pattern)]
            if not any(text in json.dumps(c) for c in matching):
                self.fail(f"{what}: no failed case {pattern!r} says {text!r}\n{out}")

    def usage(self, what, args, want_exit, says):
        print("+", what, flush=True)
        done = subprocess.run([self.tcpcheck, "check"] + args, capture_output=True, text=True,
                              timeout=60)
        out = done.stdout + done.stderr
        if done.returncode != want_exit:
            self.fail(f"{what}: exit {done.returncode}, expected {want_exit}\n{out}")
        if says not in out:
            self.fail(f"{what}: output lacks {says!r}\n{out}")


def seed_group(c, corpus):
    def script(name):
        return f"{corpus}/scripts/clients/{name}.tcs"

    def client(name):
        return f"python3 {corpus}/clients/{name}.py {{port}}"

    # The correct twins: every case (the silent ones of the longer
    # conversations left out here, for time: each waits out the client's 2 s).
    c.check("seed 000's framed client, every case", script("seed000-reply"),
            client("seed000_reply_framed"), all_pass=True)
    c.check("seed 004's framed client, every case", script("seed004-lenprefix"),
            client("seed004_lenprefix_framed"), all_pass=True)
    for name, twin in (("seed001-welcome", "seed001_welcome_framed"),
                       ("seed003-hello", "seed003_hello_framed")):
        c.check(f"{twin}, every case but silences", script(name), client(twin),
                ["--exclude", "faults/*/silent"], all_pass=True)

    # The naive clients: one recv() taken as the server's whole answer.
    c.check("seed 000's naive client, cut replies", script("seed000-reply"),
            client("seed000_reply_naive"), ["--only", "segmentation"], 1,
            failing=["segmentation/bytewise"],
            reasons=[("segmentation/bytewise", "output differs from the baseline")])
    c.check("seed 001's naive client, a slow server", script("seed001-welcome"),
            client("seed001_welcome_naive"), ["--only", "segmentation"], 1,
            failing=["segmentation/slow-server"],
            reasons=[("segmentation/slow-server", "output differs from the baseline")])
    c.check("seed 003's naive client (sleeps instead of framing), cut replies",
            script("seed003-hello"), client("seed003_hello_naive"),
            ["--only", "segmentation"], 1, failing=["segmentation/bytewise"],
            reasons=[("segmentation/bytewise", "output differs from the baseline")])
    c.check("seed 004's naive client, a header cut (recv(4) comes back short)",
            script("seed004-lenprefix"), client("seed004_lenprefix_naive"),
            ["--only", "segmentation/split-header"], 1,
            failing=["segmentation/split-header"],
            reasons=[("segmentation/split-header", "struct.error")])


def planted_group(c, planted, script):
    def client(bug):
        return f"{planted} --bug {bug} --port {{port}}"

    c.check("planted client without a bug, every case", script, client("none"), all_pass=True)
    c.check("one recv taken as one reply", script, client("one-recv"),
            ["--only", "segmentation"], 1, failing=["segmentation/bytewise"],
            reasons=[("segmentation/bytewise", "output differs from the baseline")])
    c.check("a header read with a single recv(4)", script, client("short-header"),
            ["--only", "segmentation/split-header"], 1, failing=["segmentation/split-header"],
            reasons=[("segmentation/split-header", "planted_client: reply")])
    c.check("no timeout on a silent server", script, client("no-timeout"),
            ["--only", "faults/line-10/silent", "--retries", "0", "--client-timeout", "3000"], 1,
            failing=["faults/line-10/silent"],
            reasons=[("faults/line-10/silent", "nothing within 3s")])
    c.check("death on a reset", script, client("dies-on-reset"),
            ["--only", "faults/*/rst", "--retries", "0"], 1,
            failing=["faults/line-10/rst"],
            reasons=[("faults/line-10/rst", "killed by signal 6")])
    c.check("an allocation as large as the length header says", script, client("huge-alloc"),
            ["--only", "boundary/length-max", "--retries", "0", "--client-memory", "64"], 1,
            failing=["boundary/length-max"],
            reasons=[("boundary/length-max", "resident memory reached")])
    # The same case passes a client that refuses the length.
    c.check("the correct client refuses the length", script, client("none"),
            ["--only", "boundary/length-max", "--client-memory", "64"], 0, all_pass=True)

    c.usage("a role server script without --client", [script], 2, "--client")
    c.usage("a role server script with --target", [script, "--target", "127.0.0.1:9"], 2,
            "not a server with --target")
    c.usage("a client command that cannot run",
            [script, "--client", "/nonexistent/client {port}"], 3, "cannot start the client")
    c.usage("--list needs no client", [script, "--list"], 0, "segmentation/slow-server")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--group", choices=["seed", "planted"], required=True)
    parser.add_argument("--corpus")
    parser.add_argument("--planted-client")
    parser.add_argument("--script")
    args = parser.parse_args()
    c = checker(args.tcpcheck)
    if args.group == "seed":
        seed_group(c, args.corpus)
    else:
        planted_group(c, args.planted_client, args.script)
    for p in c.problems:
        print("FAIL:", p)
    if not c.problems:
        print("ok")
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main())
