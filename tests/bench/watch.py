#!/usr/bin/python3
"""Watch mode: from an edit of the schema to the app running on the new client, and how much of that
is prisma-entrypoint's own time rather than prisma generate's.

Measures, in one run on one machine, in a copy of tests/fixtures/app (installed with npm,
tests/integration/npm_app.py's cache) with the real Prisma CLI:
  prisma-entrypoint --watch --no-wait --no-migrate -- sh -c 'echo $$ > STARTED; exec sleep 1000'
is started once; then, N times, a field is added to a model of prisma/schema.prisma (written as an
editor does: a temporary file renamed into place), and the clock runs from just before the rename
to the moment STARTED holds a new pid (polled every millisecond). prisma generate's own duration
is the one prisma-entrypoint logs ("prisma client generated in ..."); own = total - generate. Own
includes the quiet period (watch-debounce, 150 ms by default: the price of one restart per burst),
stopping the old app, the lookup of the schema and the digest, and starting the app. Each edit also
checks that the generated client holds the new field, so a restart that skipped generate is an
error, not a fast number.

Prints a table and writes build/bench/watch.json. The issue's target (own time under 500 ms) is
reported, not enforced. Exit status: 0 when every measurement ran, 1 when one failed, 2 when a
tool is missing.

Usage: tests/bench/watch.py [--binary PATH] [--edits N] [--debounce DURATION] [--out FILE]
"""

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tests" / "bench"))
import benchlib  # noqa: E402  (tests/bench/benchlib.py: what the benchmarks share)
import npm_app  # noqa: E402  (tests/integration/npm_app.py: the fixture app installed with npm, cached)
from benchlib import BenchError, ms, say, tool_version  # noqa: E402

TARGET_OWN_MS = 500
GENERATED = re.compile(r"prisma client generated in ([0-9.]+)(ms|s)\b")


def wait_for(predicate, what, seconds, proc):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            raise BenchError(f"prisma-entrypoint exited ({proc.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise BenchError(f"no {what} within {seconds} s")
        time.sleep(0.001)


def started_pid(path):
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return text or None


def generate_seconds(log_text, index):
    """The duration of the index-th generate the log reports."""
    found = GENERATED.findall(log_text)
    if len(found) <= index:
        return None
    value, unit = found[index]
    return float(value) / (1000 if unit == "ms" else 1)


def edit(schema, field):
    """Adds `field Int?` to the first model, as an editor saves: a temporary file, then rename."""
    text = schema.read_text()
    at = text.index("{", text.index("model ")) + 1
    tmp = schema.with_name(".schema.prisma.swp")
    tmp.write_text(text[:at] + f"\n  {field} Int?" + text[at:])
    t0 = time.monotonic()
    os.rename(tmp, schema)
    return t0


def measure(binary, env, app, edits, debounce):
    started = app / "STARTED"
    log = app / "entrypoint.log"
    argv = [
        str(binary),
        "--watch",
        "--watch-debounce",
        debounce,
        "--no-wait",
        "--no-migrate",
        "--",
        "sh",
        "-c",
        f"echo $$ > {started}.tmp && mv {started}.tmp {started}; exec sleep 1000",
    ]
    rows = []
    with open(log, "w") as log_file:
        proc = subprocess.Popen(argv, cwd=app, env=env, stdout=log_file, stderr=log_file, start_new_session=True)
        try:
            pid = wait_for(lambda: started_pid(started), "the first start", 120, proc)
            for i in range(edits):
                field = f"benchField{i}"
                t0 = edit(app / "prisma" / "schema.prisma", field)
                new_pid = wait_for(
                    lambda: (p := started_pid(started)) != pid and p, f"the restart after edit {i}", 120, proc
                )
                total = time.monotonic() - t0
                pid = new_pid
                generated = generate_seconds(log.read_text(), i + 1)
                if generated is None:
                    raise BenchError(f"edit {i}: the app restarted without a generate:\n{log.read_text()[-2000:]}")
                client = (app / "node_modules" / ".prisma" / "client" / "schema.prisma").read_text()
                if field not in client:
                    raise BenchError(f"edit {i}: the generated client does not have {field}")
                rows.append({"total_s": total, "generate_s": generated, "own_s": total - generated})
                say(
                    f"  edit {i + 1}/{edits}: {ms(total)} ms total, {ms(generated)} ms generate, "
                    f"{ms(total - generated)} ms own"
                )
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return rows


def summarize(rows):
    def stats(key):
        values = sorted(r[key] for r in rows)
        return {"median_s": statistics.median(values), "max_s": values[-1], "min_s": values[0]}

    return {key: stats(key) for key in ("total_s", "generate_s", "own_s")}


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--edits", type=int, default=10, help="schema edits measured (default 10)")
    ap.add_argument("--debounce", default="150ms", help="watch-debounce (default 150ms, the default setting)")
    benchlib.add_out(ap, "watch")
    args = ap.parse_args()
    if args.edits < 1:
        ap.error("need --edits >= 1")
    binary = Path(args.binary).resolve()
    try:
        benchlib.require(benchlib.missing_tools(binary, node=True))
        env = benchlib.npm_env(npm_app.PRISMA_ENV)
        node_modules = benchlib.fixture_node_modules()
        with tempfile.TemporaryDirectory(prefix="pe-bench-watch-") as tmp:
            app = npm_app.copy_app(Path(tmp) / "app", node_modules)
            try:
                say(f"watch mode: {args.edits} schema edits, watch-debounce {args.debounce}")
                rows = measure(binary, env, app, args.edits, args.debounce)
                versions = benchlib.node_versions(app, env)
            finally:
                npm_app.remove_node_modules(app)
    except (BenchError, OSError, subprocess.SubprocessError, ValueError) as e:
        return benchlib.fail(e)
    summary = summarize(rows)
    own = summary["own_s"]
    say("")
    say(f"{'':24}{'median ms':>12}{'max ms':>10}")
    for key, label in (("total_s", "edit to app running"), ("generate_s", "prisma generate"), ("own_s", "own")):
        say(f"{label:24}{ms(summary[key]['median_s']):>12}{ms(summary[key]['max_s']):>10}")
    verdict = "met" if own["max_s"] * 1000 < TARGET_OWN_MS else "NOT met"
    say(f"target: own time under {TARGET_OWN_MS} ms on every edit: {verdict} (max {ms(own['max_s'])})")
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "edits": args.edits,
        "debounce": args.debounce,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "binary": str(binary),
        "versions": {"prisma-entrypoint": tool_version([str(binary), "--version"], env), **versions},
    }
    benchlib.write_json(args.out, {"meta": meta, "edits": rows, **summary, "target_own_ms": TARGET_OWN_MS})
    return 0


if __name__ == "__main__":
    sys.exit(main())
