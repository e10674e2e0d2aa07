#!/usr/bin/env python3
"""Runs `tcpcheck check` against a server it spawns and judges the JSON report.

The real-server tests (redis-server, memcached, the seed articles' Python
servers) are end to end: the tcpcheck executable starts the server on a
free loopback port, runs the whole matrix, stops the server. This driver
only says what must come out:

  check_server.py --tcpcheck BIN --script S --spawn CMD --expect-pass
      every case passes (warnings allowed), exit code 0
  check_server.py ... --expect-failure GLOB [--expect-failure GLOB ...]
      exit code 1, and for each GLOB some failing (or flaky) case matches it
  check_server.py ... --expect-one-connection
      also: the report says the server serves one connection, and no case
      calls its clean exits a death

Anything after `--` goes to `tcpcheck check` as it is.
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--spawn", required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--expect-pass", action="store_true")
    group.add_argument("--expect-failure", action="append", metavar="GLOB")
    parser.add_argument("--expect-one-connection", action="store_true")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    extra = args.rest[1:] if args.rest[:1] == ["--"] else args.rest

    with tempfile.TemporaryDirectory(prefix="tcpcheck-test-") as tmp:
        report_path = os.path.join(tmp, "report.json")
        command = [args.tcpcheck, "check", args.script, "--spawn", args.spawn,
                   "--json", report_path, "--out", os.path.join(tmp, "replay"),
                   "--no-progress"] + extra
        print("+", " ".join(command), flush=True)
        # The check bounds every wait itself; this limit only stops a
        # tcpcheck bug from hanging the test suite.
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=600)
        print(done.stdout)
        if not os.path.exists(report_path):
            print(f"FAIL: no JSON report (exit code {done.returncode})")
            return 1
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)

    cases = report["cases"]
    failing = [c["id"] for c in cases if c["status"] in ("FAIL", "FLAKY")]
    not_run = [c["id"] for c in cases if c["status"] == "not run"]
    if args.expect_pass:
        problems = []
        if done.returncode != 0:
            problems.append(f"exit code {done.returncode}, expected 0")
        if failing:
            problems.append("failing cases: " + ", ".join(failing))
        if not_run:
            problems.append("cases not run: " + ", ".join(not_run))
        if not cases:
            problems.append("no cases at all")
        for p in problems:
            print("FAIL:", p)
        return 1 if problems else 0

    problems = []
    if args.expect_one_connection:
        if not report["check"].get("serves_one_connection"):
            problems.append("the report does not say the server serves one connection")
        died = [c["id"] for c in cases if "the server died" in json.dumps(c)]
        if died:
            problems.append("cases that call the server's exit a death: " + ", ".join(died))
    if done.returncode != 1:
        problems.append(f"exit code {done.returncode}, expected 1 (failures found)")
    for glob in args.expect_failure:
        if not any(fnmatch.fnmatchcase(i, glob) for i in failing):
            problems.append(f"no failing case matches {glob!r}; failing: {failing}")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print(f"ok: {len(failing)} failing cases, as expected: {', '.join(failing)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
