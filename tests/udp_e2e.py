#!/usr/bin/env python3
"""UDP end to end: tcpcheck against UDP servers and clients it starts itself.

  udp_e2e.py --tcpcheck BIN --source-dir DIR CASE

CASE is one of
  check-<bug>   `tcpcheck check` of tests/planted/udp_planted.tcs against
                udp_planted_server.py --bug <bug>: the right cases fail, for
                the right reason, and nothing else does (none: all pass)
  fuzz-<bug>    `tcpcheck fuzz` finds the server's death (empty-dies,
                large-crash); the finding replays against that server and
                passes against a correct one
  seed001       seed 001's UDP server passes `check`; its client passes
                `run --client` and `check --client` catches it cutting
                replies over 4096 bytes, as the article warns
  serve-echo    `tcpcheck serve udp-echo` passes `run` and `check`
  unreachable   nothing listening: "nothing is listening", exit 3

Every server runs on a free loopback port and is stopped; every wait is
bounded.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

LIMIT = 300  # seconds: only stops a tcpcheck bug from hanging the suite

# What each planted bug must make fail, and a text its reason holds.
PLANTED = {
    "none": {},
    "empty-dies": {"size/empty": "exited with status 1"},
    "small-buffer": {f"size/{n}": "repeats its start but not its end"
                     for n in ("over-1k", "over-2k", "over-4k", "over-8k", "largest")},
    "other-port": {"segmentation/whole": "a reply came from 127.0.0.1:"},
    "per-ip-state": {"clients/interleaved": "client-b", "concurrency/parallel-64": ""},
    "amplify": {"amplification/exchanges": "1024.0x"},
    "large-crash": {f"size/{n}": "SIGABRT" for n in ("over-4k", "over-8k", "largest")},
}


def run(command, **kwargs):
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=LIMIT, **kwargs)
    print(done.stdout)
    return done


class Checks:
    def __init__(self):
        self.failed = 0

    def expect(self, what, ok, detail=""):
        print(("PASS " if ok else "FAIL ") + what + ("" if ok else f": {detail}"), flush=True)
        if not ok:
            self.failed += 1


def status(case):
    return case["status"].upper()  # the report writes "pass" and "warn" low, the rest high


def planted(src, bug):
    server = os.path.join(src, "tests", "planted", "udp_planted_server.py")
    return f"python3 {server} --bug {bug} --port {{port}}"


def check_report(args, script, target, extra, tmp):
    report = os.path.join(tmp, "report.json")
    done = run([args.tcpcheck, "check", script, *target, "--json", report, "--no-progress",
                "--out", os.path.join(tmp, "replay"), *extra])
    with open(report, encoding="utf-8") as f:
        return done, json.load(f)["cases"]


def case_check_planted(args, checks, bug, tmp):
    script = os.path.join(args.source_dir, "tests", "planted", "udp_planted.tcs")
    done, cases = check_report(args, script, ["--spawn", planted(args.source_dir, bug)],
                               ["--retries", "0"], tmp)
    expected = PLANTED[bug]
    failing = {c["id"]: c for c in cases if status(c) in ("FAIL", "FLAKY")}
    checks.expect("exit code", done.returncode == (1 if expected else 0), done.returncode)
    checks.expect("the failing cases are the bug's", set(failing) == set(expected),
                  sorted(failing))
    for case_id, text in expected.items():
        c = failing.get(case_id, {})
        said = " ".join(str(c.get(k, "")) for k in ("summary", "reason", "got", "server_died"))
        checks.expect(f"{case_id} says '{text}'", text in said, said)
    if bug == "none":
        amplification = [c for c in cases if c["id"] == "amplification/exchanges"]
        checks.expect("a get of 3 bytes answered with more warns",
                      amplification and status(amplification[0]) == "WARN", amplification)


def case_fuzz_planted(args, checks, bug, tmp):
    script = os.path.join(args.source_dir, "tests", "planted", "udp_planted.tcs")
    out = os.path.join(tmp, "findings")
    done = run([args.tcpcheck, "fuzz", script, "--spawn", planted(args.source_dir, bug),
                "--runs", "400", "--max-time", "90", "--max-findings", "1", "--out", out,
                "--no-progress"])
    checks.expect("fuzz exits 1 with findings", done.returncode == 1, done.returncode)
    died = sorted(f for f in os.listdir(out) if re.match(r"finding-\d+-died\.tcs$", f)) \
        if os.path.isdir(out) else []
    checks.expect("a finding of the server's death", bool(died), os.listdir(out)
                  if os.path.isdir(out) else "no --out directory")
    if not died:
        return
    finding = os.path.join(out, died[0])
    with open(finding, encoding="utf-8") as f:
        text = f.read()
    checks.expect("the finding is a UDP script", "\ntransport udp\n" in text, text[:300])
    again = run([args.tcpcheck, "replay", finding, "--spawn", planted(args.source_dir, bug)])
    checks.expect("it replays against the bug", again.returncode == 1, again.returncode)
    fixed = run([args.tcpcheck, "replay", finding, "--spawn", planted(args.source_dir, "none")])
    checks.expect("it passes once the bug is gone", fixed.returncode == 0, fixed.returncode)


def case_seed001(args, checks, tmp):
    src = args.source_dir
    scripts = os.path.join(src, "corpus", "scripts")
    server = f"python3 {os.path.join(src, 'corpus', 'servers', 'seed001_udpserver.py')} {{port}}"
    client = f"python3 {os.path.join(src, 'corpus', 'clients', 'seed001_udpclient.py')} {{port}}"
    done, cases = check_report(args, os.path.join(scripts, "seeds", "seed001-udpserver.tcs"),
                               ["--spawn", server], ["--retries", "0"], tmp)
    bad = [c["id"] for c in cases if status(c) not in ("PASS", "WARN")]
    checks.expect("seed 001's UDP server passes check", done.returncode == 0 and not bad, bad)
    client_script = os.path.join(scripts, "clients", "seed001-udpclient.tcs")
    done = run([args.tcpcheck, "run", client_script, "--client", client])
    checks.expect("its client passes run --client", done.returncode == 0, done.returncode)
    done, cases = check_report(args, client_script, ["--client", client], ["--retries", "0"], tmp)
    failing = sorted(c["id"] for c in cases if status(c) in ("FAIL", "FLAKY"))
    checks.expect("check --client: the replies over its 4096-byte buffer are cut",
                  failing == ["size/largest", "size/over-4k", "size/over-8k"], failing)
    said = " ".join(c.get("summary", "") for c in cases if c["id"] == "size/over-4k")
    checks.expect("the article's warning is quoted", "exceeds the recv limit" in said, said)


def case_serve_echo(args, checks, tmp):
    server = subprocess.Popen([args.tcpcheck, "serve", "udp-echo", "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        where = re.search(r"127\.0\.0\.1:\d+", line)
        checks.expect("serve udp-echo says where", where is not None and "UDP" in line, line)
        if not where:
            return
        script = os.path.join(args.source_dir, "corpus", "scripts", "udp-echo.tcs")
        done = run([args.tcpcheck, "run", script, "--target", where.group(0)])
        checks.expect("run passes", done.returncode == 0, done.returncode)
        done, cases = check_report(args, script, ["--target", where.group(0)], [], tmp)
        bad = [c["id"] for c in cases if status(c) != "PASS"]
        checks.expect("check passes every case", done.returncode == 0 and not bad, bad)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)


def case_unreachable(args, checks, tmp):
    import socket
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    script = os.path.join(args.source_dir, "corpus", "scripts", "udp-echo.tcs")
    done = run([args.tcpcheck, "run", script, "--target", f"127.0.0.1:{port}"])
    checks.expect("exit 3: the target is unreachable", done.returncode == 3, done.returncode)
    checks.expect("says nothing is listening", "nothing is listening on UDP" in done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("case")
    args = parser.parse_args()
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="tcpcheck-udp-") as tmp:
        kind, _, bug = args.case.partition("-")
        if kind == "check" and bug in PLANTED:
            case_check_planted(args, checks, bug, tmp)
        elif kind == "fuzz" and bug in ("empty-dies", "large-crash"):
            case_fuzz_planted(args, checks, bug, tmp)
        elif args.case == "seed001":
            case_seed001(args, checks, tmp)
        elif args.case == "serve-echo":
            case_serve_echo(args, checks, tmp)
        elif args.case == "unreachable":
            case_unreachable(args, checks, tmp)
        else:
            parser.error(f"unknown case '{args.case}'")
    print("OK" if checks.failed == 0 else f"{checks.failed} check(s) failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
