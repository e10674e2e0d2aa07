"""Runs the steps of a composite GitHub Action (action.yml) the way GitHub's
runner does, for tests/action_steps_test.sh, without GitHub.

    python3 tests/action_runner.py run ACTION_DIR WORKSPACE RESULT.json [INPUT=VALUE...]
    python3 tests/action_runner.py lint ACTION_DIR

`run` reads ACTION_DIR/action.yml, fills in the inputs (defaults for those not
given), and runs each step in WORKSPACE as the runner would:

- a `run:` step's text goes into a file run by `bash --noprofile --norc -eo
  pipefail FILE`, GitHub's `shell: bash`, with the step's `env:` evaluated and
  GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY set (a
  fresh file each per step);
- after the step, its GITHUB_OUTPUT becomes steps.ID.outputs and its
  GITHUB_PATH lines are put before PATH for the steps after it;
- workflow commands on its stdout (`::error ...::`) become annotations, except
  between `::stop-commands::TOKEN` and `::TOKEN::`;
- `if:` is success() unless given; a step that fails skips the steps after it
  whose `if:` does not hold;
- a `uses:` step is not run: its evaluated `with:` is recorded.

The result (each step's outcome, exit status, outputs, annotations and log
file, and the action's outputs) is written to RESULT.json. Only the expressions
action.yml uses are known: ${{ inputs.X }}, ${{ steps.ID.outputs.X }},
${{ github.action_repository }} (ACTION_RUNNER_ACTION_REPOSITORY, else empty as
for a local action), always(),
success(), failure(), !cancelled(); any other fails loudly.

`lint` checks the action's wiring: a composite action; no ${{ }} inside a
run: text (inputs reach the scripts through env only); each run step runs an
existing script under $GITHUB_ACTION_PATH and gives it every TCPCHECK_*
variable it reads; the outputs name existing steps.

action.yml is read with PyYAML (Debian's python3-yaml, from ci/install-deps.sh).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml


class RunnerError(Exception):
    """What the runner cannot do: an unknown expression, input or shell."""


def read_yaml(path):
    """action.yml as PyYAML reads it, every scalar as the string GitHub sees
    (required: true is "true", an empty value "")."""
    with open(path, encoding="utf-8") as f:
        return _as_strings(yaml.safe_load(f))


# --- expressions -------------------------------------------------------------

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(expr, ctx):
    """The value of one expression, from the few forms action.yml uses."""
    m = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expr)
    if m:
        if m.group(1) not in ctx["inputs"]:
            raise RunnerError(f"${{{{ {expr} }}}}: no such input")
        return ctx["inputs"][m.group(1)]
    m = re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expr)
    if m:
        return ctx["steps"].get(m.group(1), {}).get("outputs", {}).get(m.group(2), "")
    if expr == "github.action_repository":
        # Empty, as for a local action (uses: ./), unless the test names one.
        return os.environ.get("ACTION_RUNNER_ACTION_REPOSITORY", "")
    raise RunnerError(f"the test's runner does not know the expression ${{{{ {expr} }}}}")


def substitute(text, ctx):
    return EXPR.sub(lambda m: evaluate(m.group(1), ctx), text)


def condition_holds(cond, failed):
    cond = cond.strip()
    m = EXPR.fullmatch(cond)
    if m:
        cond = m.group(1).strip()
    known = {"always()": True, "success()": not failed, "failure()": failed,
             "!cancelled()": True, "cancelled()": False}
    if cond not in known:
        raise RunnerError(f"the test's runner does not know the condition {cond!r}")
    return known[cond]


# --- the runner ----------------------------------------------------------------

def parse_outputs(path):
    """GITHUB_OUTPUT: NAME=VALUE lines and NAME<<DELIMITER blocks."""
    outputs = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delimiter:
                value.append(lines[i])
                i += 1
            if i >= len(lines):
                raise RunnerError(f"GITHUB_OUTPUT: {name}<<{delimiter} has no end")
            i += 1
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        else:
            raise RunnerError(f"GITHUB_OUTPUT: a line that is neither NAME=VALUE nor NAME<<EOF: {line!r}")
    return outputs


def workflow_commands(stdout):
    """The annotations a step's stdout makes, honouring stop-commands."""
    annotations = []
    stop = None
    for line in stdout.split("\n"):
        if stop is not None:
            if line.strip() == f"::{stop}::":
                stop = None
            continue
        m = re.match(r"^::stop-commands::(.+)$", line.strip())
        if m:
            stop = m.group(1)
            continue
        m = re.match(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$", line)
        if m:
            props = dict(p.split("=", 1) for p in (m.group(2) or "").split(",") if "=" in p)
            unescape = lambda s: s.replace("%0A", "\n").replace("%0D", "\r").replace(
                "%3A", ":").replace("%2C", ",").replace("%25", "%")
            annotations.append({"level": m.group(1),
                                "title": unescape(props.get("title", "")),
                                "message": unescape(m.group(3))})
    return annotations, stop


def run_action(action_dir, workspace, result_path, inputs_given):
    action = read_yaml(os.path.join(action_dir, "action.yml"))
    inputs = {}
    for name, spec in (action.get("inputs") or {}).items():
        inputs[name] = (spec or {}).get("default", "")
    for name, value in inputs_given.items():
        if name not in inputs:
            raise RunnerError(f"the action has no input '{name}'")
        inputs[name] = value
    for name, spec in (action.get("inputs") or {}).items():
        if str((spec or {}).get("required", "false")) == "true" and inputs[name] == "":
            # GitHub only warns; the scripts must cope, so go on.
            print(f"runner: warning: required input '{name}' is empty")

    ctx = {"inputs": inputs, "steps": {}}
    env = dict(os.environ)
    env["GITHUB_ACTIONS"] = "true"
    env["GITHUB_WORKSPACE"] = workspace
    env["GITHUB_ACTION_PATH"] = action_dir
    env.pop("GITHUB_ACTION_REPOSITORY", None)
    files = tempfile.mkdtemp(prefix="runner-", dir=workspace)
    failed = False
    results = []
    for n, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {n}")
        record = {"name": name, "id": step.get("id", ""), "outcome": "skipped"}
        results.append(record)
        if not condition_holds(step.get("if", "success()"), failed):
            print(f"runner: == {name}: skipped")
            continue
        if "uses" in step:
            record["uses"] = step["uses"]
            record["with"] = {k: substitute(v, ctx) for k, v in (step.get("with") or {}).items()}
            record["outcome"] = "success"
            print(f"runner: == {name}: uses {step['uses']} (not run)")
            continue
        if step.get("shell") != "bash":
            raise RunnerError(f"step '{name}': the test's runner knows only shell: bash")
        step_env = dict(env)
        for key, value in (step.get("env") or {}).items():
            step_env[key] = substitute(value, ctx)
        paths = {}
        for var in ("GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"):
            paths[var] = os.path.join(files, f"{n}-{var.lower()}")
            open(paths[var], "w").close()
            step_env[var] = paths[var]
        script = os.path.join(files, f"{n}-run.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write(step["run"])
        log = os.path.join(files, f"{n}.log")
        print(f"runner: == {name}: {step['run'].strip()}", flush=True)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                              cwd=workspace, env=step_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)
        with open(log, "w", encoding="utf-8") as f:
            f.write(done.stdout)
        annotations, open_stop = workflow_commands(done.stdout)
        record.update({"exit": done.returncode, "log": log, "annotations": annotations,
                       "outputs": parse_outputs(paths["GITHUB_OUTPUT"]),
                       "outcome": "success" if done.returncode == 0 else "failure",
                       "stop_commands_left_open": open_stop is not None})
        with open(paths["GITHUB_STEP_SUMMARY"], encoding="utf-8") as f:
            record["summary"] = f.read()
        if record["id"]:
            ctx["steps"][record["id"]] = {"outputs": record["outputs"]}
        with open(paths["GITHUB_PATH"], encoding="utf-8") as f:
            for entry in f.read().split("\n"):
                if entry:
                    env["PATH"] = entry + os.pathsep + env["PATH"]
        print(f"runner:    exit {done.returncode}, outputs {record['outputs']}, log {log}")
        if done.returncode != 0:
            failed = True

    outputs = {name: substitute(spec.get("value", ""), ctx)
               for name, spec in (action.get("outputs") or {}).items()}
    result = {"steps": results, "outputs": outputs, "failed": failed, "PATH": env["PATH"],
              "inputs": inputs}
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    return 0


def _as_strings(node):
    if isinstance(node, dict):
        return {str(k): _as_strings(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_strings(v) for v in node]
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def lint(action_dir):
    problems = []
    action = read_yaml(os.path.join(action_dir, "action.yml"))
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        problems.append("runs.using is not composite")
    ids = set()
    for step in runs.get("steps") or []:
        name = step.get("name", "?")
        if step.get("id"):
            ids.add(step["id"])
        if "run" not in step:
            continue
        text = step["run"]
        if "${{" in text:
            problems.append(f"step '{name}': ${{{{ }}}} inside run: (pass inputs through env)")
        m = re.fullmatch(r'\s*bash "\$GITHUB_ACTION_PATH/([A-Za-z0-9_./-]+\.sh)"\s*', text)
        if not m:
            problems.append(f"step '{name}': run: is not one script under $GITHUB_ACTION_PATH")
            continue
        path = os.path.join(action_dir, m.group(1))
        if not os.path.isfile(path):
            problems.append(f"step '{name}': {m.group(1)} does not exist")
            continue
        with open(path, encoding="utf-8") as f:
            source = f.read()
        read = set(re.findall(r"\$\{?(TCPCHECK_[A-Z_]+)", source))
        given = set((step.get("env") or {}).keys())
        # TCPCHECK_INSTALL_ROOT is the user's (env: on the step that uses the action).
        missing = sorted(read - given - {"TCPCHECK_INSTALL_ROOT"})
        if missing:
            problems.append(f"step '{name}': {m.group(1)} reads {', '.join(missing)}, "
                            "which its env: does not give")
    for name, spec in (action.get("outputs") or {}).items():
        for m in re.finditer(r"steps\.([A-Za-z0-9_-]+)\.", spec.get("value", "")):
            if m.group(1) not in ids:
                problems.append(f"output '{name}' names step '{m.group(1)}', which has no such id")
    for p in problems:
        print(f"lint: {p}")
    return 1 if problems else 0


def main(argv):
    try:
        if len(argv) >= 4 and argv[0] == "run":
            inputs = dict(a.split("=", 1) for a in argv[4:])
            return run_action(os.path.abspath(argv[1]), os.path.abspath(argv[2]), argv[3], inputs)
        if len(argv) == 2 and argv[0] == "lint":
            return lint(os.path.abspath(argv[1]))
    except (RunnerError, yaml.YAMLError) as e:
        print(f"action_runner: {e}", file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
