"""What the fuzzing end-to-end tests share (tests/fuzz_server.py and
tests/guided_fuzz.py): running a command with its output shown, one
`tcpcheck fuzz` run with its JSON report read back, and the checks every
finding must pass.
"""
import json
import os
import subprocess


def run(command):
    """Runs `command`, prints it and its output; returns its exit code."""
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=900)
    print(done.stdout)
    return done.returncode


def fuzz(tcpcheck, script, spawn, extra, tmp):
    """Runs `tcpcheck fuzz` with a JSON report and findings under `tmp`.
    Returns (exit code, the report), the report None when none was written."""
    report_path = os.path.join(tmp, "report.json")
    out = os.path.join(tmp, "findings")
    code = run([tcpcheck, "fuzz", script, "--spawn", spawn, "--json", report_path, "--out", out,
                "--no-progress"] + extra)
    if not os.path.exists(report_path):
        return code, None
    with open(report_path, encoding="utf-8") as f:
        return code, json.load(f)


def expect_exit(code, expect_none):
    """The problem with the exit code: 0 when nothing was expected, 1 else."""
    wanted = 0 if expect_none else 1
    return [] if code == wanted else [f"exit code {code}, expected {wanted}"]


def replay_fails(tcpcheck, finding, spawn):
    """The problem, if any, when the finding's script does not fail again
    (exit 1) on a fresh server started with `spawn`."""
    again = run([tcpcheck, "replay", finding["script_file"], "--spawn", spawn])
    if again == 1:
        return []
    return [f"{finding['signature']}: replay exited {again} on the server with the bug, "
            "expected 1"]
