#!/usr/bin/python3
"""What `prisma-entrypoint status` costs with the database up, against `npx prisma migrate status`, the
check a compose healthcheck or a Makefile `status` target would otherwise run.

Measures, in one run on one machine, start-to-exit time with hyperfine -N, side by side in one call,
in a copy of tests/fixtures/app (installed with npm, tests/integration/npm_app.py's cache) against a
database of a throwaway PostgreSQL cluster (tests/integration/pg.py) that is in sync: a first
`prisma-entrypoint run --no-wait -- /bin/true` generated the client and deployed the fixture's one
migration, so status must say all three lines are fine and exit 0:
    prisma-entrypoint status             (one login: server version and _prisma_migrations; the
                                          client's inputs hashed and compared with the record)
    sh -c 'npx prisma migrate status'    (the migrations only, through Node)
both with DATABASE_URL = the bench database, CHECKPOINT_DISABLE=1 and PRISMA_HIDE_UPDATE_MESSAGE=1.

Reports mean, median and p90 of each, and the ratios npx / prisma-entrypoint (medians and p90s).
Target (issue 12): median under 30 ms for status with the database up; the result says whether it
was met. Before the measurement, 20 status runs must leave every file and folder of the app as it
was (npx, which may write caches, is not run between those snapshots); after it, status must still
find the app in sync.

Prints a table and writes build/bench/status.json. Exit status: 0 when every measurement ran (target
met or not: it is reported), 1 when one failed (a command exited non-zero, status did not find the
app in sync, the npm install or the cluster failed), 2 when a tool is missing.

Usage: tests/bench/status.py [--binary PATH] [--runs N] [--warmup N] [--out FILE]
"""

import os
import platform
import shlex
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
from benchlib import BenchError, hyperfine_results, ms, p90, run_checked, say, time_stats, tool_version  # noqa: E402

TRUE = "/bin/true"
DATABASE = "bench_status"
TARGET_MEDIAN_S = 0.030
READ_ONLY_RUNS = 20  # status runs between two snapshots of the app's files, before the measurement
IN_SYNC = ["database: ready", "client: current", "migrations: up to date (1 applied)"]
STATUS_UP_TO_DATE = "Database schema is up to date"  # `prisma migrate status` with nothing pending


def tree_snapshot(root):
    """(path, size, mtime) of every file and folder of the app."""
    snap = []
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            st = os.lstat(os.path.join(folder, name))
            snap.append((os.path.join(folder, name), st.st_size, st.st_mtime_ns))
    return sorted(snap)


def check_in_sync(binary, env, app, what):
    res = run_checked([str(binary), "status"], env, app, what)
    lines = res.stdout.splitlines()
    if len(lines) != 3 or any(not line.startswith(want) for line, want in zip(lines, IN_SYNC)):
        raise BenchError(f"{what}: status does not say the app is in sync:\n{res.stdout}{res.stderr}")
    return res.stdout


def measure(binary, work, runs, warmup):
    with benchlib.fixture_app_with_database(work, DATABASE) as (app, cluster):
        env = benchlib.prisma_db_env(cluster.url(database=DATABASE))
        say("one start to generate the client and deploy the migration (about 12 s here: deploy lingers) ...")
        run_checked([str(binary), "run", "--no-wait", "--", TRUE], env, app, "the first start", timeout=180)
        before = check_in_sync(binary, env, app, "status after the first start")
        status = ["/bin/sh", "-c", "npx prisma migrate status"]
        out = run_checked(status, env, app, "npx prisma migrate status")
        if STATUS_UP_TO_DATE not in out.stdout + out.stderr:
            raise BenchError(
                f"`npx prisma migrate status` does not say '{STATUS_UP_TO_DATE}':\n"
                f"{(out.stdout + out.stderr).strip()[-2000:]}"
            )
        files = tree_snapshot(app)
        for i in range(READ_ONLY_RUNS):
            check_in_sync(binary, env, app, f"status run {i + 1} of the read-only check")
        if tree_snapshot(app) != files:
            raise BenchError("status changed a file or folder of the app")

        commands = [("prisma-entrypoint status", [str(binary), "status"]), ("npx prisma migrate status", status)]
        say(f"hyperfine: {' vs '.join(shlex.join(c) for _, c in commands)} in {app}")
        timing = {}
        for res in hyperfine_results(commands, env, app, runs, warmup):
            row = time_stats(dict(commands)[res["command"]], res["times"])
            row["p90_s"] = p90(res["times"])
            timing[res["command"]] = row

        after = check_in_sync(binary, env, app, "status after the measurement")
        versions = {**benchlib.node_versions(app, env), "postgresql": cluster.psql("SHOW server_version").strip()}
        checks = {"status_before": before, "status_after": after, "files_unchanged": True}
        return timing, versions, checks, str(npm_app.cache_root())


def ratio(a, b):
    return a / b if b > 0 else None


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.0f}x"


def report(meta, timing):
    say(
        f"status benchmark: hyperfine -N, {meta['warmup']} warmup, {benchlib.runs_text(meta['runs'])} per "
        f"command; {meta['cpus']} CPUs, kernel {meta['kernel']}, node {meta['versions']['node']}, prisma "
        f"{meta['versions']['prisma']}, PostgreSQL {meta['versions']['postgresql']}"
    )
    benchlib.timing_table(timing.items(), 28)
    (_, pe), (_, st) = list(timing.items())
    ratios = {
        "median": ratio(st["median_s"], pe["median_s"]),
        "p90": ratio(st["p90_s"], pe["p90_s"]),
        "mean": ratio(st["mean_s"], pe["mean_s"]),
    }
    met = pe["median_s"] < TARGET_MEDIAN_S
    say(
        f"prisma-entrypoint status: median {ms(pe['median_s'])} ms, p90 {ms(pe['p90_s'])} ms; npx prisma migrate "
        f"status: median {ms(st['median_s'])} ms, p90 {ms(st['p90_s'])} ms: {fmt_ratio(ratios['median'])} slower "
        f"(p90s: {fmt_ratio(ratios['p90'])}, means: {fmt_ratio(ratios['mean'])})"
    )
    say(f"target: median under {ms(TARGET_MEDIAN_S)} ms with the database up: {'met' if met else 'NOT met'}")
    noisy = benchlib.noisy(timing.items())
    return {"ratios": ratios, "target_median_s": TARGET_MEDIAN_S, "target_met": met, "noisy": noisy}


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--runs", type=int, default=30, help="hyperfine runs of each command (default 30)")
    ap.add_argument("--warmup", type=int, default=2, help="hyperfine warmup runs of each command (default 2)")
    benchlib.add_out(ap, "status")
    args = ap.parse_args()
    if args.runs < 2 or args.warmup < 0:
        ap.error("need --runs >= 2 and --warmup >= 0")
    binary = Path(args.binary).resolve()

    try:
        benchlib.require_database_tools(binary)
        with tempfile.TemporaryDirectory(prefix="pe-bench-status-") as tmp:
            timing, versions, checks, cache = measure(binary, Path(tmp), args.runs, args.warmup)
        env = benchlib.prisma_db_env(npm_app.DUMMY_DATABASE_URL)
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "runs": args.runs,
            "warmup": args.warmup,
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "hyperfine": tool_version(["hyperfine", "--version"], env),
            "binary": str(binary),
            "npm_cache": cache,
            "env": {
                k: ("<the bench database>" if k == "DATABASE_URL" else npm_app.PRISMA_ENV[k])
                for k in sorted(npm_app.PRISMA_ENV)
            },
            "versions": {"prisma-entrypoint": tool_version([str(binary), "--version"], env), **versions},
            "checks": checks,
        }
        summary = report(meta, timing)
    except (BenchError, OSError, subprocess.SubprocessError, ValueError, pg.PgUnavailable, pg.PgCommandError) as e:
        return benchlib.fail(e)

    benchlib.write_json(args.out, {"meta": meta, "timing": timing, **summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
