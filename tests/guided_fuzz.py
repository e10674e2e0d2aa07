#!/usr/bin/env python3
"""Runs `tcpcheck fuzz` once against a server it spawns and judges the guidance
in the JSON report (the guided-fuzzing tests, tests/planted/guided_server.c).

  guided_fuzz.py --tcpcheck BIN --script S --spawn CMD --expect-died --fixed CMD [checks] -- ARGS
      exit code 1, a finding of kind "died", confirmed; `tcpcheck replay` of
      each finding fails (exit 1) against a fresh CMD and passes (exit 0)
      against the server without the bug (--fixed CMD)
  guided_fuzz.py --tcpcheck BIN --script S --spawn CMD --expect-none [checks] -- ARGS
      exit code 0, no findings

  checks on the report's "guidance" object:
    --feedback KIND          "feedback" is KIND (coverage, responses or none)
    --why                    "why" is not empty (a fallback was explained)
    --edges                  "edges_covered" > 0
    --processes-above N      "server_processes" > N
    --command-word W         "command_words" holds W (a command learned)

Anything after `--` goes to `tcpcheck fuzz` as it is (--seed, --runs,
--feedback, ...). The report's numbers (runs, corpus, edges, words learned,
findings and the run that found each) are printed, so that a failing budget
shows how far the fuzzer got.
"""
import argparse
import sys
import tempfile

from fuzz_run import expect_exit, fuzz, replay_fails, run


def summary(report):
    fuzz = report["fuzz"]
    g = fuzz.get("guidance", {})
    lines = [f"runs {fuzz['runs']} in {fuzz['elapsed_ms']} ms, stopped: {fuzz['stopped']}",
             "guidance: " + ", ".join(f"{k} {g.get(k)!r}" for k in (
                 "feedback", "why", "edges_covered", "edges_total", "functions_reached",
                 "functions_total", "states", "transitions", "corpus", "learned_words",
                 "command_words", "server_processes", "attribution_runs", "attribution_ms"))]
    for f in report["findings"]:
        lines.append(f"finding: {f['signature']} (kind {f['kind']}, run {f.get('run')}, "
                     f"confirmed {f['confirmed']}, {f['sends_minimized']} sends)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--spawn", required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--expect-none", action="store_true")
    group.add_argument("--expect-died", action="store_true")
    parser.add_argument("--fixed", help="the server without the bug, for replays that must pass")
    parser.add_argument("--feedback", choices=["coverage", "responses", "none"])
    parser.add_argument("--why", action="store_true")
    parser.add_argument("--edges", action="store_true")
    parser.add_argument("--processes-above", type=int)
    parser.add_argument("--command-word")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    extra = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    if args.expect_died and not args.fixed:
        parser.error("--expect-died needs --fixed")

    problems = []
    with tempfile.TemporaryDirectory(prefix="tcpcheck-guided-test-") as tmp:
        code, report = fuzz(args.tcpcheck, args.script, args.spawn, extra, tmp)
        if report is None:
            print(f"FAIL: no JSON report (exit code {code})")
            return 1
        print(summary(report))
        findings = report["findings"]
        guidance = report["fuzz"].get("guidance")
        if report["fuzz"]["runs"] == 0:
            problems.append("no case ran: " + report["fuzz"]["stopped"])
        if guidance is None:
            problems.append("the report has no \"guidance\" object")
            guidance = {}

        if args.feedback and guidance.get("feedback") != args.feedback:
            problems.append(f"feedback {guidance.get('feedback')!r}, expected {args.feedback!r}")
        if args.why and not guidance.get("why"):
            problems.append("\"why\" is empty: the fallback is not explained")
        if args.edges and not guidance.get("edges_covered", 0) > 0:
            problems.append(f"edges_covered {guidance.get('edges_covered')!r}, expected > 0")
        if args.processes_above is not None and \
                not guidance.get("server_processes", 0) > args.processes_above:
            problems.append(f"server_processes {guidance.get('server_processes')!r}, "
                            f"expected > {args.processes_above}")

        if args.command_word and args.command_word not in guidance.get("command_words", []):
            problems.append(f"command_words {guidance.get('command_words')!r}, "
                            f"expected to hold {args.command_word!r}")

        problems += expect_exit(code, args.expect_none)
        if args.expect_none:
            for f in findings:
                problems.append(f"unexpected finding: {f['signature']}")
        else:
            died = [f for f in findings if f["kind"] == "died"]
            if not died:
                problems.append("no finding of kind 'died'; found " +
                                str([f["kind"] for f in findings]))
            for f in died:
                if not f["confirmed"]:
                    problems.append(f"{f['signature']}: not confirmed")
                # The written script reproduces the finding on a fresh server,
                # and passes on the server without the bug.
                problems += replay_fails(args.tcpcheck, f, args.spawn)
                fixed = run([args.tcpcheck, "replay", f["script_file"], "--spawn", args.fixed])
                if fixed != 0:
                    problems.append(f"{f['signature']}: replay exited {fixed} on the server "
                                    "without the bug, expected 0")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
