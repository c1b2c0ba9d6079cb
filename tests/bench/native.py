#!/usr/bin/python3
"""A start with one pending migration: migrate-engine = prisma (`prisma migrate deploy`, Node) against
migrate-engine = native (the migration applied over libpq), and a plain `npx prisma migrate deploy`.

Each round gets a fresh database of a throwaway PostgreSQL cluster (tests/integration/pg.py) holding
the fixture's first migration, applied natively from a folder that has only it (--migrations), so
that prisma/migrations (the first migration and one more, an ALTER TABLE) has exactly one pending
migration. Then, in a copy of tests/fixtures/app (installed with npm, tests/integration/npm_app.py's
cache), one of these runs from start to exit:
    prisma-entrypoint run --no-wait --no-generate --migrate-engine=prisma -- /bin/true
                               (prisma migrate deploy; deploy-linger at its default 2 s: in this test
                                setup the CLI lingers ~10 s after its work, and is stopped 2 s after
                                the work shows as done in the database)
    prisma-entrypoint run --no-wait --no-generate --migrate-engine=native -- /bin/true
    sh -c 'npx prisma migrate deploy && /bin/true'   (what entrypoint scripts run; it lingers here)
The rounds alternate the three, --rounds times each; every run must leave the migration applied
(two finished rows). Ratios of medians and means against the native engine are printed, and written
to build/bench/native.json with the times. Exit status 0, 1 when a run failed, 2 a tool is missing.

Usage: tests/bench/native.py [--binary PATH] [--rounds N] [--out FILE]
"""

import os
import platform
import shutil
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
from benchlib import BenchError, ms, say  # noqa: E402

PENDING = ("20270101000000_add_age", 'ALTER TABLE "User" ADD COLUMN "age" INTEGER;\n')
FINISHED_SQL = "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"


def one_run(argv, env, cwd, what):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    took = time.monotonic() - t0
    if p.returncode != 0:
        raise BenchError(f"{what} exited {p.returncode}:\n{(p.stdout + p.stderr).strip()[-2000:]}")
    return took


def measure(binary, work, rounds):
    with benchlib.fixture_app_with_database(work, "bench_native_setup") as (app, cluster):
        migrations = app / "prisma" / "migrations"
        first_only = Path(work) / "first-migration-only"
        shutil.copytree(migrations, first_only)
        (migrations / PENDING[0]).mkdir()
        (migrations / PENDING[0] / "migration.sql").write_text(PENDING[1])
        base = [str(binary), "run", "--no-wait", "--no-generate"]
        commands = {
            "prisma-entrypoint, migrate-engine = prisma": [*base, "--migrate-engine=prisma", "--", "/bin/true"],
            "prisma-entrypoint, migrate-engine = native": [*base, "--migrate-engine=native", "--", "/bin/true"],
            "npx prisma migrate deploy": ["/bin/sh", "-c", "npx prisma migrate deploy && /bin/true"],
        }
        times = {name: [] for name in commands}
        for r in range(rounds):
            for name, argv in commands.items():
                database = f"bench_native_{r}_{len(times[name])}_{abs(hash(name)) % 10000}"
                cluster.create_database(database)
                env = benchlib.prisma_db_env(cluster.url(database=database))
                setup = [*base, "--migrate-engine=native", f"--migrations={first_only}", "--", "/bin/true"]
                one_run(setup, env, app, "the set-up start (first migration)")
                took = one_run(argv, env, app, name)
                finished = int(cluster.psql(FINISHED_SQL, database=database).strip())
                if finished != 2:
                    raise BenchError(f"{name}: {finished} finished migrations after the run, not 2")
                times[name].append(took)
                say(f"round {r + 1}/{rounds}: {name}: {ms(took)} ms")
        versions = {**benchlib.node_versions(app, env), "postgresql": cluster.psql("SHOW server_version").strip()}
        return times, versions


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--rounds", type=int, default=5, help="runs of each command (default 5)")
    benchlib.add_out(ap, "native")
    args = ap.parse_args()
    binary = Path(args.binary).resolve()
    try:
        benchlib.require_database_tools(binary)
        with tempfile.TemporaryDirectory(prefix="pe-bench-native-") as work:
            times, versions = measure(binary, work, args.rounds)
    except Exception as e:  # noqa: BLE001  (every failure ends the benchmark with a message)
        return benchlib.fail(e)
    native = times["prisma-entrypoint, migrate-engine = native"]
    summary = {}
    say(
        f"\none pending migration, start to exit, {args.rounds} rounds; {os.cpu_count()} CPUs, kernel "
        f"{platform.release()}, node {versions['node']}, prisma {versions['prisma']}, PostgreSQL "
        f"{versions['postgresql']}"
    )
    for name, ts in times.items():
        med, mean = statistics.median(ts), statistics.mean(ts)
        summary[name] = {
            "times_s": ts,
            "median_s": med,
            "mean_s": mean,
            "median_vs_native": med / statistics.median(native),
            "mean_vs_native": mean / statistics.mean(native),
        }
        say(
            f"  {name:44} median {ms(med):>10} ms  mean {ms(mean):>10} ms  "
            f"{summary[name]['median_vs_native']:.0f}x native (medians)"
        )
    meta = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "kernel": platform.release(), **versions}
    benchlib.write_json(args.out, {"meta": meta, "rounds": args.rounds, "results": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
