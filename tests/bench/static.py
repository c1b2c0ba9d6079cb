#!/usr/bin/python3
"""The static binary (make static) against the dynamic one and tini-static: size and start cost.

Measures, in one run on one machine:
  (a) size in bytes of build/static/prisma-entrypoint and build/prisma-entrypoint (and how many
      shared objects `ldd` lists for each);
  (b) start-to-exit time of `X -q --no-wait -- /bin/true` for both builds and of
      `tini-static -s -- /bin/true`, with /bin/true alone as the baseline, side by side in one
      `hyperfine -N` call; overhead = mean - baseline mean, and the static build's overhead as a
      ratio of tini-static's and of the dynamic build's;
  (c) the warm start of the fixture app: a copy of tests/fixtures/app (tests/integration/npm_app.py's
      npm cache) against a database of a throwaway PostgreSQL cluster, with the database up, the
      client generated and the one migration applied, `X run -- /bin/true` with every phase on (a
      real login and SELECT 1, the digest against the record, _prisma_migrations read natively),
      both builds side by side, and the instructions one such start executes (callgrind). Before
      and after, each build must say "generate skipped" and "migrate skipped" for that start, so a
      start that did work fails the benchmark.

Prints a table and writes build/bench/static.json. Targets from issue 9, reported on the last lines
and in the JSON, not enforced: size under 5 MB (stretch 4 MB); (b) no slower than the dynamic build
and within 1.2x of tini-static; (c) faster than the dynamic build. Exit status: 0 when every
measurement ran, 1 when one failed, 2 when a tool is missing.

Usage: tests/bench/static.py [--binary PATH] [--static PATH] [--runs N] [--warmup N]
                             [--app-runs N] [--out FILE]
"""

import os
import platform
import re
import shutil
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
import pg  # noqa: E402  (tests/integration/pg.py: throwaway PostgreSQL clusters)
from benchlib import BenchError, hyperfine, ms, run_checked, say, tool_version  # noqa: E402

TRUE = "/bin/true"
TINI_STATIC = "/usr/bin/tini-static"
DATABASE = "bench_static"
SIZE_TARGET = 5 * 1000 * 1000
SIZE_STRETCH = 4 * 1000 * 1000
TINI_RATIO_TARGET = 1.2
SKIPPED = ("generate skipped", "migrate skipped")


def shared_objects(path):
    p = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
    if p.returncode != 0:
        return 0  # "not a dynamic executable"
    return sum(1 for line in p.stdout.splitlines() if "=>" in line or line.strip().startswith("/"))


def check_tools(dynamic, static):
    missing = benchlib.missing_tools(dynamic, hyperfine=True, node=True)
    if not (static.is_file() and os.access(static, os.X_OK)):
        missing.append(f"{static} (run `make static`)")
    if not os.access(TINI_STATIC, os.X_OK):
        missing.append(f"{TINI_STATIC} (apt-get install -y tini)")
    reason = pg.unavailable_reason()
    if reason:
        missing.append(reason)
    benchlib.require(missing)


def measure_true(dynamic, static, runs, warmup, cwd):
    env = benchlib.clean_env()
    commands = [
        ("/bin/true", [TRUE]),
        ("tini-static", [TINI_STATIC, "-s", "--", TRUE]),
        ("prisma-entrypoint dynamic", [str(dynamic), "-q", "--no-wait", "--", TRUE]),
        ("prisma-entrypoint static", [str(static), "-q", "--no-wait", "--", TRUE]),
    ]
    for name, argv in commands:
        run_checked(argv, env, cwd, name)
    say(f"hyperfine: X -- /bin/true, {benchlib.runs_text(runs)} per command")
    return hyperfine(commands, env, cwd, runs, warmup)


def assert_skipped(argv, env, app, what):
    out = run_checked(argv, env, app, what)
    missing = [s for s in SKIPPED if s not in out.stderr]
    if missing or "ready after" not in out.stderr:
        raise BenchError(
            f"{what}: not a warm start (no {', '.join(missing) or 'ready line'}):\n" f"{out.stderr.strip()[-2000:]}"
        )


def instruction_count(argv, env, cwd):
    """Instructions one run of argv executes (valgrind --tool=callgrind: the same count run after run,
    whatever else the machine does), or None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    p = run_checked(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], env, cwd, f"callgrind {argv[0]}"
    )
    found = re.search(r"Collected : (\d+)", p.stderr)
    if not found:
        raise BenchError(f"callgrind printed no count:\n{p.stderr.strip()[-1000:]}")
    return int(found.group(1))


def measure_app(dynamic, static, runs, warmup, work):
    with benchlib.fixture_app_with_database(work, DATABASE) as (app, cluster):
        env = benchlib.npm_env({**npm_app.PRISMA_ENV, "DATABASE_URL": cluster.url(database=DATABASE)}, drop=("PG",))
        say("the first start generates and deploys (about 12 s here: deploy lingers after its work) ...")
        run_checked([str(dynamic), "run", "--", TRUE], env, app, "the first start", timeout=180)
        commands = [
            (f"prisma-entrypoint {kind} (warm start)", [str(binary), "run", "--", TRUE])
            for kind, binary in (("dynamic", dynamic), ("static", static))
        ]
        for name, argv in commands:
            assert_skipped(argv, env, app, name)
        say(f"hyperfine: X run -- /bin/true in {app}, {benchlib.runs_text(runs)} per command")
        timing = hyperfine(commands, env, app, runs, warmup)
        for name, argv in commands:
            assert_skipped(argv, env, app, f"{name}, after the measurement")
        instructions = {name: instruction_count(argv, env, app) for name, argv in commands}
        versions = {**benchlib.node_versions(app, env), "postgresql": cluster.psql("SHOW server_version").strip()}
        return timing, instructions, versions


def ratio(a, b):
    return a / b if b > 0 else None


def report(sizes, true_timing, app_timing, instructions):
    say(
        f"size: static {sizes['static']['bytes']} bytes ({sizes['static']['shared_objects']} shared objects), "
        f"dynamic {sizes['dynamic']['bytes']} bytes + {sizes['dynamic']['shared_objects']} shared objects"
    )
    benchlib.timing_table(true_timing.items(), 32)
    base = true_timing["/bin/true"]["mean_s"]
    overhead = {name: row["mean_s"] - base for name, row in true_timing.items() if name != "/bin/true"}
    benchlib.timing_table(app_timing.items(), 40)
    static_over = overhead["prisma-entrypoint static"]
    results = {
        "overhead_s": overhead,
        "static_vs_tini_static": ratio(static_over, overhead["tini-static"]),
        "static_vs_dynamic_true": ratio(
            true_timing["prisma-entrypoint static"]["mean_s"], true_timing["prisma-entrypoint dynamic"]["mean_s"]
        ),
        "static_vs_dynamic_true_median": ratio(
            true_timing["prisma-entrypoint static"]["median_s"], true_timing["prisma-entrypoint dynamic"]["median_s"]
        ),
    }
    (_, dyn), (_, sta) = list(app_timing.items())
    results["static_vs_dynamic_warm_start"] = ratio(sta["mean_s"], dyn["mean_s"])
    results["static_vs_dynamic_warm_start_median"] = ratio(sta["median_s"], dyn["median_s"])
    say(
        f"-- /bin/true overhead: static {ms(static_over)} ms, dynamic "
        f"{ms(overhead['prisma-entrypoint dynamic'])} ms, tini-static {ms(overhead['tini-static'])} ms: static "
        f"{results['static_vs_tini_static']:.2f}x tini-static's; static/dynamic start-to-exit "
        f"{results['static_vs_dynamic_true']:.2f} (medians {results['static_vs_dynamic_true_median']:.2f})"
    )
    say(
        f"warm start of the fixture app: static {ms(sta['mean_s'])} ms, dynamic {ms(dyn['mean_s'])} ms: "
        f"static/dynamic {results['static_vs_dynamic_warm_start']:.2f} "
        f"(medians {results['static_vs_dynamic_warm_start_median']:.2f})"
    )
    (_, dyn_ir), (_, sta_ir) = list(instructions.items())
    if dyn_ir and sta_ir:
        results["static_vs_dynamic_warm_start_instructions"] = sta_ir / dyn_ir
        say(
            f"warm start, instructions (callgrind): static {sta_ir / 1e6:.1f} M, dynamic {dyn_ir / 1e6:.1f} M: "
            f"static/dynamic {sta_ir / dyn_ir:.2f}"
        )
    targets = {
        "size_under_5MB": sizes["static"]["bytes"] < SIZE_TARGET,
        "size_under_4MB": sizes["static"]["bytes"] < SIZE_STRETCH,
        "true_no_slower_than_dynamic": results["static_vs_dynamic_true"] <= 1.0,
        "true_within_1.2x_tini_static": results["static_vs_tini_static"] <= TINI_RATIO_TARGET,
        "warm_start_faster_than_dynamic": results["static_vs_dynamic_warm_start"] < 1.0,
    }
    say("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    benchlib.noisy([*true_timing.items(), *app_timing.items()])
    return {"results": results, "targets": targets}


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument(
        "--static",
        default=str(REPO / "build" / "static" / "prisma-entrypoint"),
        help="the static build (default build/static/prisma-entrypoint)",
    )
    ap.add_argument("--runs", type=int, default=1000, help="hyperfine runs of each `X -- /bin/true` (default 1000)")
    ap.add_argument("--warmup", type=int, default=20, help="hyperfine warmup runs (default 20)")
    ap.add_argument("--app-runs", type=int, default=200, help="hyperfine runs of each warm start (default 200)")
    benchlib.add_out(ap, "static")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0 or args.app_runs < 1:
        ap.error("need --runs >= 1, --warmup >= 0, --app-runs >= 1")
    dynamic, static = Path(args.binary).resolve(), Path(args.static).resolve()

    try:
        check_tools(dynamic, static)
        sizes = {
            kind: {"bytes": path.stat().st_size, "shared_objects": shared_objects(path)}
            for kind, path in (("static", static), ("dynamic", dynamic))
        }
        with tempfile.TemporaryDirectory(prefix="pe-bench-static-") as tmp:
            empty = Path(tmp) / "empty"
            empty.mkdir()
            true_timing = measure_true(dynamic, static, args.runs, args.warmup, empty)
            app_timing, instructions, versions = measure_app(dynamic, static, args.app_runs, args.warmup, Path(tmp))
        env = benchlib.clean_env()
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "runs": args.runs,
            "app_runs": args.app_runs,
            "warmup": args.warmup,
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "hyperfine": tool_version(["hyperfine", "--version"], env),
            "tini": tool_version([TINI_STATIC, "--version"], env),
            "binaries": {"dynamic": str(dynamic), "static": str(static)},
            "versions": {"prisma-entrypoint": tool_version([str(static), "--version"], env), **versions},
            "sizes": sizes,
        }
        summary = report(sizes, true_timing, app_timing, instructions)
    except (BenchError, OSError, subprocess.SubprocessError, ValueError, pg.PgUnavailable, pg.PgCommandError) as e:
        return benchlib.fail(e)

    benchlib.write_json(
        args.out, {"meta": meta, "timing": {**true_timing, **app_timing}, "instructions": instructions, **summary}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
