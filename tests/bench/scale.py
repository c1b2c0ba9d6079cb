#!/usr/bin/python3
"""What the number of migrations adds to a start: an up-to-date database with 10, 100, 1000 and 5000
applied migrations, the migrate phase's check alone (no wait, no generate, no Node).

For each size, a throwaway PostgreSQL cluster (tests/integration/pg.py) gets a database of its own
and a project folder gets a schema and a migrations folder of that many migrations (each a
`migration.sql` of one statement). The first migration is applied by prisma-entrypoint itself
(migrate-engine = native, which creates _prisma_migrations as Prisma does); the rows of the others
are inserted as Prisma writes them (name, SHA-256 checksum of migration.sql, finished_at,
applied_steps_count 1), so that every start finds the database up to date. Then one `hyperfine -N`
call times, side by side,
    prisma-entrypoint run --no-wait --no-generate --schema DIR/prisma/schema.prisma -- /bin/true
for every size (and the same with --compare BINARY, another build, for a before/after in one run).
A start must say the database is up to date, before and after the measurement.

Reports mean, median and p90 per size and what each size adds to the 10-migration start (medians).
Target (issue 15): 5000 migrations add under 10 ms. Prints a table and writes build/bench/scale.json.
Exit status: 0 when every measurement ran (target met or not: it is reported), 1 when one failed, 2
when a tool is missing.

Usage: tests/bench/scale.py [--binary PATH] [--compare PATH] [--sizes 10,100,1000,5000] [--runs N]
                            [--warmup N] [--out FILE]
"""

import hashlib
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tests" / "bench"))
import benchlib  # noqa: E402  (tests/bench/benchlib.py: what the benchmarks share)
import pg  # noqa: E402  (tests/integration/pg.py: throwaway PostgreSQL clusters)
from benchlib import BenchError, hyperfine_results, ms, p90, run_checked, say, time_stats, tool_version  # noqa: E402

TRUE = "/bin/true"
UP_TO_DATE = "database is up to date"
TARGET_ADDED_MS = 10.0
SCHEMA = """datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
"""


def migration_name(i: int) -> str:
    return f"2024{i:010d}_step"


def make_project(root: Path, count: int) -> Path:
    """root/prisma/schema.prisma and `count` migration folders; returns the schema's path."""
    migrations = root / "prisma" / "migrations"
    migrations.mkdir(parents=True)
    (root / "prisma" / "schema.prisma").write_text(SCHEMA)
    (migrations / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for i in range(count):
        folder = migrations / migration_name(i)
        folder.mkdir()
        (folder / "migration.sql").write_text(f"-- step {i}\nSELECT {i};\n")
    return root / "prisma" / "schema.prisma"


def record_rows(cluster, database: str, root: Path, count: int):
    """The rows of migrations 1..count-1, as Prisma writes them after applying each."""
    values = []
    for i in range(1, count):
        name = migration_name(i)
        sql = (root / "prisma" / "migrations" / name / "migration.sql").read_bytes()
        values.append(f"('{name}', '{hashlib.sha256(sql).hexdigest()}')")
    for start in range(0, len(values), 1000):
        cluster.psql(
            "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, "
            "applied_steps_count) SELECT gen_random_uuid()::text, c, now(), n, now(), 1 FROM (VALUES "
            + ", ".join(values[start : start + 1000])
            + ") AS v(n, c)",
            database=database,
        )


def start_argv(binary, url: str, schema: Path) -> list:
    return [
        str(binary),
        "run",
        "--no-wait",
        "--no-generate",
        "--database-url",
        url,
        "--schema",
        str(schema),
        "--",
        TRUE,
    ]


def measure(binaries, sizes, work, runs, warmup):
    env = benchlib.clean_env(drop=("PG",))
    env["LC_ALL"] = "C"
    say("starting a throwaway PostgreSQL cluster (tests/integration/pg.py) ...")
    factory = pg.PgFactory()
    try:
        cluster = factory.cluster("scale")
        commands = []
        for count in sizes:
            database = f"bench_scale_{count}"
            cluster.create_database(database)
            url = cluster.url(database=database)
            root = Path(work) / str(count)
            say(f"{count} migrations: the project, the first migration applied natively, {count - 1} rows ...")
            # the first migration alone: the native engine creates the table and its row
            schema = make_project(root, 1)
            first = run_checked(
                [*start_argv(binaries[0][1], url, schema)[:-2], "--migrate-engine", "native", "--", TRUE],
                env,
                root,
                f"the first start ({count})",
            )
            if "applied" not in first.stderr:
                raise BenchError(f"the first start applied nothing:\n{first.stderr.strip()[-2000:]}")
            for i in range(1, count):
                folder = root / "prisma" / "migrations" / migration_name(i)
                folder.mkdir()
                (folder / "migration.sql").write_text(f"-- step {i}\nSELECT {i};\n")
            record_rows(cluster, database, root, count)
            for name, binary in binaries:
                check = run_checked(start_argv(binary, url, schema), env, root, f"{name}, {count} migrations")
                if UP_TO_DATE not in check.stderr:
                    raise BenchError(
                        f"{name} with {count} migrations does not find the database up to date:\n"
                        f"{check.stderr.strip()[-2000:]}"
                    )
                commands.append((f"{name} {count}", start_argv(binary, url, schema)))
        say(f"hyperfine: {len(commands)} commands, side by side")
        results = hyperfine_results(commands, env, work, runs, warmup)
        argv = dict(commands)
        timing = {}
        for res in results:
            row = time_stats(argv[res["command"]], res["times"])
            row["p90_s"] = p90(res["times"])
            timing[res["command"]] = row
        for name, cmd in commands:
            after = run_checked(cmd, env, work, f"{name} after the measurement")
            if UP_TO_DATE not in after.stderr:
                raise BenchError(f"{name} after the measurement:\n{after.stderr.strip()[-2000:]}")
        return timing, cluster.psql("SHOW server_version").strip()
    finally:
        factory.close()


def report(meta, binaries, sizes, timing):
    say()
    say(f"prisma-entrypoint, a start with N applied migrations ({meta['runs']}):")
    width = max(len(name) for name in timing) + 2
    say(f"{'':<{width}} {'mean ms':>9} {'median':>9} {'p90':>9} {'+ vs ' + str(sizes[0]):>10}")
    added = {}
    for name, _ in binaries:
        base = timing[f"{name} {sizes[0]}"]["median_s"]
        for count in sizes:
            row = timing[f"{name} {count}"]
            add = row["median_s"] - base
            added[f"{name} {count}"] = round(add * 1000, 3)
            say(
                f"{name + ' ' + str(count):<{width}} {ms(row['mean_s']):>9} {ms(row['median_s']):>9} "
                f"{ms(row['p90_s']):>9} {add * 1000:>+10.2f}"
            )
    ours = f"{binaries[0][0]} {sizes[-1]}"
    met = added[ours] < TARGET_ADDED_MS
    say()
    say(
        f"Target (issue 15): {sizes[-1]} migrations add under {TARGET_ADDED_MS:.0f} ms to a start: "
        f"{added[ours]:+.2f} ms, {'met' if met else 'NOT met'}"
    )
    benchlib.noisy(list(timing.items()))
    return {"added_ms": added, "target": {"added_ms": TARGET_ADDED_MS, "size": sizes[-1], "met": met}}


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--compare", help="another build of prisma-entrypoint, timed beside --binary")
    ap.add_argument("--sizes", default="10,100,1000,5000", help="migration counts (default 10,100,1000,5000)")
    ap.add_argument("--runs", type=int, default=30, help="hyperfine runs per command (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="hyperfine warmup runs per command (default 3)")
    benchlib.add_out(ap, "scale")
    args = ap.parse_args()
    try:
        binaries = [("prisma-entrypoint", Path(args.binary).resolve())]
        if args.compare:
            binaries.append(("compared", Path(args.compare).resolve()))
        missing = []
        for _, binary in binaries:
            missing += benchlib.missing_tools(binary, hyperfine=True)
        reason = pg.unavailable_reason()
        if reason:
            missing.append(reason)
        benchlib.require(missing)
        sizes = sorted({int(s) for s in args.sizes.split(",")})
        if not sizes or sizes[0] < 1:
            raise BenchError("--sizes: counts of 1 or more")
        started = time.time()
        with tempfile.TemporaryDirectory(prefix="pe-bench-scale-") as work:
            timing, server = measure(binaries, sizes, work, args.runs, args.warmup)
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "binaries": {name: str(b) for name, b in binaries},
            "versions": {name: tool_version([str(b), "--version"]) for name, b in binaries},
            "postgresql": server,
            "runs": benchlib.runs_text(args.runs),
            "command": shlex.join(start_argv("prisma-entrypoint", "URL", Path("DIR/prisma/schema.prisma"))),
        }
        result = report(meta, binaries, sizes, timing)
        benchlib.write_json(args.out, {"meta": meta, "timing": timing, **result})
    except BenchError as e:
        return benchlib.fail(e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
