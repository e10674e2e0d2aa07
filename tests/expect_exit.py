#!/usr/bin/env python3
"""Runs a command and passes when it exits with the given code.

  expect_exit.py CODE -- COMMAND ARGS...

For commands whose failure is the point (replaying a finding against the
server that has the bug must exit 1), where ctest's WILL_FAIL would also
accept a crash or a usage error.
"""
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__)
        return 2
    want = int(sys.argv[1])
    command = sys.argv[3:]
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, timeout=600)
    if done.returncode != want:
        print(f"FAIL: exit code {done.returncode}, expected {want}")
        return 1
    print(f"ok: exit code {want}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
