#!/usr/bin/env python3
"""A spawned server that never listens: run, check and fuzz still write their
reports, which say the target was unreachable, and exit 3.

  spawn_unreachable.py --tcpcheck PATH --script SCRIPT
"""
import argparse
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

# A server that starts but never listens on its port.
SILENT_SERVER = "python3 -c 'import time; time.sleep(60)' {port}"


def says_unreachable(node):
    """Whether an "unreachable": true stands anywhere in a JSON report."""
    if isinstance(node, dict):
        return node.get("unreachable") is True or any(map(says_unreachable, node.values()))
    if isinstance(node, list):
        return any(map(says_unreachable, node))
    return False


def run(tcpcheck, command, script, out, extra):
    json_path, junit_path = out / f"{command}.json", out / f"{command}.xml"
    argv = [tcpcheck, command, script, "--spawn", SILENT_SERVER, "--startup-timeout", "500",
            "--json", str(json_path), "--junit", str(junit_path)] + extra
    print("+", " ".join(argv), flush=True)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    problems = []
    if done.returncode != 3:
        problems.append(f"exit {done.returncode}, expected 3")
    if "did not listen" not in done.stderr:
        problems.append("stderr does not say the server did not listen")
    if not json_path.exists() or not junit_path.exists():
        return problems + ["a report is missing"]
    if not says_unreachable(json.loads(json_path.read_text())):
        problems.append("the JSON report does not say unreachable")
    suites = ET.parse(junit_path).getroot().iter("testsuite")
    if not any(int(s.get("failures", "0")) + int(s.get("errors", "0")) > 0 for s in suites):
        problems.append("the JUnit report counts no failure")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--script", required=True)
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for command, extra in (("run", []), ("check", ["--no-progress"]),
                               ("fuzz", ["--max-time", "10", "--no-progress"])):
            problems = run(args.tcpcheck, command, args.script, out, extra)
            for p in problems:
                print(f"FAIL {command}: {p}")
            failed = failed or bool(problems)
    if not failed:
        print("ok: run, check and fuzz report the unreachable target and exit 3")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
