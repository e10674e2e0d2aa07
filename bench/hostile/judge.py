#!/usr/bin/env python3
"""Judge one run of the hostile peer matrix (called by run_matrix.sh).

Reads tcpcheck's exit code, its --json and --junit reports and /usr/bin/time's
'%M %e' output, decides whether the reports agree with the exit code, and prints
one markdown table row; appends the same facts as one JSON line to --results.
Standard library only.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

PROBLEM = {"FAIL", "FLAKY", "not run"}  # docs/reports.md: these count as failures


def cell(text):
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def short(text, n=110):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def read_time(path):
    """Peak RSS (KiB) and wall seconds from the last line of GNU time's -o file."""
    try:
        with open(path) as f:
            lines = [l.split() for l in f.read().splitlines() if l.strip()]
        for parts in reversed(lines):
            if len(parts) == 2:
                return int(parts[0]), float(parts[1])
    except (OSError, ValueError):
        pass
    return None, None


def read_hwm(path):
    """tcpcheck's VmHWM in MiB as run_matrix.sh sampled it, or None."""
    try:
        with open(path) as f:
            text = f.read().strip()
        return int(text) / 1024.0 if text else None
    except (OSError, ValueError):
        return None


def load_json(path):
    if not os.path.exists(path):
        return None, "JSON missing"
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8")), None
    except (ValueError, UnicodeDecodeError) as e:
        return None, "JSON invalid: " + short(e, 80)


def load_junit(path):
    if not os.path.exists(path):
        return None, "JUnit missing"
    try:
        return ET.parse(path).getroot(), None
    except ET.ParseError as e:
        return None, "JUnit malformed: " + short(e, 80)


def json_facts(doc):
    cases = doc.get("cases", []) or []
    problems = [c for c in cases if c.get("status") in PROBLEM]
    unreachable = None
    for key in ("check", "fuzz"):
        if isinstance(doc.get(key), dict) and "unreachable" in doc[key]:
            unreachable = bool(doc[key]["unreachable"])
    runs = doc.get("runs", []) or []  # run/replay: the script runs, each with "passed"
    for r in runs:
        if "unreachable" in r:
            unreachable = bool(unreachable) or bool(r["unreachable"])
    failed_runs = sum(1 for r in runs if r.get("passed") is False)
    return cases, problems, unreachable, runs, failed_runs


def junit_facts(root):
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    attr = sum(int(s.get("failures", "0") or 0) + int(s.get("errors", "0") or 0) for s in suites)
    elems = len(list(root.iter("failure"))) + len(list(root.iter("error")))
    tests = len(list(root.iter("testcase")))
    return attr, elems, tests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--cmd", required=True)
    ap.add_argument("--rc", type=int, required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--junit", required=True)
    ap.add_argument("--time", required=True)
    ap.add_argument("--hwm", default="", help="file with tcpcheck's sampled VmHWM, KiB")
    ap.add_argument("--spawned", default="false", help="true: tcpcheck spawned the server")
    ap.add_argument("--bound", type=float, default=0.0, help="documented wall bound, s (0: none)")
    ap.add_argument("--bound-name", default="")
    ap.add_argument("--tolerance", type=float, default=2.0)
    ap.add_argument("--outer", type=float, required=True)
    ap.add_argument("--memory-mib", type=float, default=0.0, help="tcpcheck's --memory default")
    ap.add_argument("--rss-flag-mib", type=float, default=300.0)
    ap.add_argument("--leftover", type=int, default=0, help="spawned servers still alive after tcpcheck ended")
    ap.add_argument("--repro", default="")
    ap.add_argument("--results", required=True)
    a = ap.parse_args()

    notes, flags = [], []
    time_kib, wall = read_time(a.time)
    time_mib = None if time_kib is None else time_kib / 1024.0
    hwm_mib = read_hwm(a.hwm)
    # Without --spawn, %M is tcpcheck's own peak (timeout itself is ~1 MiB). With --spawn it
    # is the largest peak among tcpcheck and the servers it reaped, so tcpcheck's sampled
    # VmHWM is used, and %M noted when it differs.
    rss_mib = time_mib
    if a.spawned == "true" and hwm_mib is not None:
        rss_mib = hwm_mib
        if time_mib is not None and abs(time_mib - hwm_mib) > 5:
            notes.append("/usr/bin/time %%M %.1f MiB (a spawned server's peak)" % time_mib)
    rc = a.rc

    killed = None
    if rc == 124:
        killed = "OUTER TIMEOUT fired (%gs): tcpcheck killed by SIGTERM" % a.outer
    elif rc == 137:
        killed = "killed by SIGKILL (outer timeout's -k, or the OOM killer)"
    elif rc > 128:
        killed = "tcpcheck died of signal %d" % (rc - 128)
    if killed:
        flags.append("outer-timeout" if rc in (124, 137) else "killed")
        notes.append(killed)
    elif rc == 2:
        flags.append("exit-2")
        notes.append("EXIT 2: tcpcheck rejected its arguments, script or spec (a harness error?)")
    elif rc == 4:
        flags.append("exit-4")
        notes.append("EXIT 4: tcpcheck reported an internal error")
    elif rc not in (0, 1, 3):
        flags.append("exit-%d" % rc)
        notes.append("undocumented exit code %d" % rc)

    doc, jerr = load_json(a.json)
    root, xerr = load_junit(a.junit)
    problems = []
    unreachable = None
    cases = []
    runs, failed_runs = [], 0
    if doc is not None:
        cases, problems, unreachable, runs, failed_runs = json_facts(doc)
    jattr = jelems = jtests = None
    if root is not None:
        jattr, jelems, jtests = junit_facts(root)

    # agreement
    why = []
    if rc in (0, 1, 3):
        if jerr:
            why.append(jerr)
        if xerr:
            why.append(xerr)
    if rc == 0:
        if doc is not None and problems:
            why.append("exit 0 but JSON has %d failing case(s)" % len(problems))
        if doc is not None and unreachable:
            why.append("exit 0 but JSON says unreachable")
        if failed_runs:
            why.append("exit 0 but JSON runs[] has %d run(s) with passed=false" % failed_runs)
        if root is not None and (jattr or jelems):
            why.append("exit 0 but JUnit failures=%d, <failure> elements=%d" % (jattr, jelems))
    elif rc == 1:
        if doc is not None and not problems:
            why.append("exit 1 but JSON has no failing case")
        if runs and not failed_runs:
            why.append("exit 1 but every JSON runs[] entry has passed=true")
        if root is not None and not jattr:
            why.append("exit 1 but JUnit failures=0")
        if root is not None and not jelems:
            why.append("exit 1 but JUnit has no <failure> element")
    elif rc == 3:
        if doc is not None and unreachable is not True:
            why.append("exit 3 but JSON unreachable=%s" % unreachable)
        if doc is not None and not problems:
            notes.append("JSON records no failing case")
        if root is not None and not jelems:
            notes.append("JUnit has no <failure> (failures=%s)" % jattr)
    if rc in (0, 1, 3):
        agree = "yes" if not why else "no: " + "; ".join(why)
    else:
        present = [n for n, p in (("JSON", a.json), ("JUnit", a.junit)) if os.path.exists(p)]
        agree = "n/a (exit %d; reports written: %s)" % (rc, ", ".join(present) or "none")
    if agree.startswith("no"):
        flags.append("disagree")

    # what happened
    if doc is not None:
        if isinstance(doc.get("check"), dict):
            c = doc["check"]
            notes.append("baseline %s; pass %s fail %s flaky %s warn %s not-run %s" % (
                c.get("baseline"), c.get("pass"), c.get("fail"), c.get("flaky"), c.get("warn"),
                c.get("not_run")))
        if isinstance(doc.get("fuzz"), dict):
            f = doc["fuzz"]
            kinds = {}
            for x in doc.get("findings", []):
                kinds[x.get("kind", "?")] = kinds.get(x.get("kind", "?"), 0) + 1
            notes.append("fuzz runs %s in %s ms, stopped: %s, findings %s" % (
                f.get("runs"), f.get("elapsed_ms"), short(f.get("stopped", ""), 60),
                ", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "0"))
        if problems:
            p = problems[0]
            what = p.get("reason") or p.get("summary") or ""
            got = p.get("got")
            text = "%s [%s]: %s" % (p.get("id"), p.get("status"), what)
            if got:
                text += " (got %s)" % short(got, 50)
            notes.append(short(text, 170))
        elif doc.get("cases") is not None and rc in (0, 1):
            warns = [c for c in cases if c.get("status") == "warn"]
            if warns:
                notes.append("warn: %s" % short(warns[0].get("summary", ""), 100))
    for n, p in (("JSON", a.json), ("JUnit", a.junit)):
        if os.path.exists(p) and os.path.getsize(p) >= (1 << 20):
            notes.append("%s report %.1f MiB" % (n, os.path.getsize(p) / 1048576.0))

    if rss_mib is not None and rss_mib >= a.rss_flag_mib:
        flags.append("rss")
        notes.append("PEAK RSS ≥ %d MiB" % a.rss_flag_mib)
    if rss_mib is not None and a.memory_mib and rss_mib > a.memory_mib:
        notes.append("RSS above --memory default (%d MiB)" % a.memory_mib)
    if wall is not None and a.bound and wall > a.bound + a.tolerance:
        flags.append("over-bound")
        notes.append("OVER documented bound: %.1fs > %s %gs" % (wall, a.bound_name, a.bound))
    if a.leftover:
        flags.append("leftover")
        notes.append("%d spawned server(s) still alive after tcpcheck ended" % a.leftover)

    row = "| %s | %s | %d | %s | %s | %s | %s |" % (
        a.mode, a.cmd, rc,
        "?" if rss_mib is None else "%.1f" % rss_mib,
        "?" if wall is None else "%.2f" % wall,
        cell(agree), cell("; ".join(notes)))
    print(row)
    with open(a.results, "a") as f:
        f.write(json.dumps({
            "mode": a.mode, "cmd": a.cmd, "rc": rc, "rss_mib": rss_mib, "wall_s": wall,
            "time_maxrss_mib": time_mib, "sampled_vmhwm_mib": hwm_mib,
            "agree": agree, "notes": notes, "flags": flags, "repro": a.repro,
            "json_failing": len(problems) if doc is not None else None,
            "junit_failures_attr": jattr, "junit_failure_elements": jelems,
            "unreachable": unreachable}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
