#!/usr/bin/env python3
"""Runs `tcpcheck fuzz` against a server it spawns and judges the JSON report.

  fuzz_server.py --tcpcheck BIN --script S --spawn CMD --expect-none -- ARGS
      no findings, exit code 0
  fuzz_server.py ... --expect-none --expect-delays -- ARGS
      no findings, and at least one apparent hang found to be a delay
      (answered when replayed with longer timeouts)
  fuzz_server.py ... --expect-cut-short KIND --within SECONDS --no-delays -- ARGS
      the run over within SECONDS by the report's clock, no apparent hang
      called a delay, and any finding of KIND either confirmed or reported
      as not confirmed because --max-time ran out (whether the fuzzer gets
      to a suspect before the deadline depends on the machine's speed)
  fuzz_server.py ... --expect KIND [--expect KIND ...] [--most-sends N] -- ARGS
      exit code 1; a finding of each KIND ("died", "hang", ...), each
      minimized to at most N sends (default 2), each replayed with
      `tcpcheck replay` against a fresh server and failing again there

Anything after `--` goes to `tcpcheck fuzz` as it is (--seed, --runs, --dict, ...).
"""
import argparse
import json
import sys
import tempfile

from fuzz_run import expect_exit, fuzz, replay_fails


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcpcheck", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--spawn", required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--expect-none", action="store_true")
    group.add_argument("--expect", action="append", metavar="KIND")
    group.add_argument("--expect-cut-short", metavar="KIND")
    parser.add_argument("--most-sends", type=int, default=2)
    parser.add_argument("--expect-delays", action="store_true")
    parser.add_argument("--no-delays", action="store_true")
    parser.add_argument("--within", type=float, metavar="SECONDS")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    extra = args.rest[1:] if args.rest[:1] == ["--"] else args.rest

    problems = []
    with tempfile.TemporaryDirectory(prefix="tcpcheck-fuzz-test-") as tmp:
        code, report = fuzz(args.tcpcheck, args.script, args.spawn, extra, tmp)
        if report is None:
            print(f"FAIL: no JSON report (exit code {code})")
            return 1
        findings = report["findings"]
        if report["fuzz"]["runs"] == 0:
            problems.append("no case ran: " + report["fuzz"]["stopped"])
        if args.expect_cut_short:
            problems += expect_exit(code, not findings)
            for f in findings:
                if f["kind"] != args.expect_cut_short:
                    problems.append(f"unexpected finding: {f['signature']}")
                elif not f["confirmed"] and "--max-time ran out" not in json.dumps(f):
                    problems.append(f"{f['signature']}: not confirmed, and not for lack of time")
        elif args.expect_none:
            problems += expect_exit(code, True)
            for f in findings:
                problems.append(f"unexpected finding: {f['signature']}")
        else:
            problems += expect_exit(code, False)
            kinds = [f["kind"] for f in findings]
            for kind in args.expect:
                if kind not in kinds:
                    problems.append(f"no finding of kind {kind!r}; found {kinds}")
            for f in findings:
                if f["sends_minimized"] > args.most_sends:
                    problems.append(f"{f['signature']}: minimized to {f['sends_minimized']} "
                                    f"sends, more than {args.most_sends}")
                if not f["confirmed"]:
                    problems.append(f"{f['signature']}: not confirmed")
                # The written script reproduces the finding on a fresh server.
                problems += replay_fails(args.tcpcheck, f, args.spawn)
        if args.no_delays and report["fuzz"]["delays"] > 0:
            problems.append(f"{report['fuzz']['delays']} apparent hangs called delays")
        if args.within is not None and report["fuzz"]["elapsed_ms"] > args.within * 1000:
            problems.append(f"took {report['fuzz']['elapsed_ms']} ms, more than {args.within} s")
        if args.expect_delays and report["fuzz"]["delays"] < 1:
            problems.append("no apparent hang was found to be a delay: "
                            f"{report['fuzz']['delays']} delays")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
