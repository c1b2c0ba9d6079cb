#!/usr/bin/python3
"""A cold start of many replicas at once against a database that does not exist yet, against one
start, and against the usual entrypoint script run by as many replicas.

Measures, in one run on one machine, in a copy of tests/fixtures/app (installed with npm,
tests/integration/npm_app.py's cache) against a throwaway PostgreSQL cluster (tests/integration/pg.py)
whose role `app` may create databases (CREATEDB), each round with databases of its own:
    many    --replicas (20) x `prisma-entrypoint run --no-generate -- /bin/true`, started at once
            against a database that does not exist yet: one of them creates it under the create lock
            (in the maintenance database), deploys the fixture's migration, and the others wait for
            that, then find it up to date and run their app;
    one     the same start alone against a database that does not exist yet;
    script  --replicas x `sh -c 'npx prisma migrate deploy && /bin/true'` at once (what entrypoint
            scripts run) against an empty database created first: in this test setup prisma migrate
            deploy does not create a missing database (its WebAssembly engine), and a native engine
            would; so the script gets that step for free.
all with DATABASE_URL = that round's database, CHECKPOINT_DISABLE=1 and PRISMA_HIDE_UPDATE_MESSAGE=1.
The clock runs from the first launch to the last exit (each replica's app is /bin/true, which exits
at once: its exit is its app's start), read with a blocking waitpid(). The three take turns in an
order that rotates from round to round.

Checks, or the benchmark fails rather than giving a number: every prisma-entrypoint replica exits 0;
across `many`, exactly one says `running prisma migrate deploy` and exactly one `creating it`;
after `many` and `one`, _prisma_migrations holds exactly the fixture's migration, finished. For
`script`, replicas that fail are counted, not fatal: how many exited non-zero, and the Prisma error
codes (P1002, the lock timeout, ...) their output names, are the result; the rows it left are
recorded.

Reported: the median over the rounds (--rounds, default 3) of each wall time, min and max, and the
ratios many / one and script / many (from medians). In this setup prisma migrate deploy lingers about
10 s after its work (see migrate.py); the entrypoint stops it deploy-linger (2 s) after the work is
done, and the script waits for it. Prints a table and writes build/bench/replicas.json. Exit status:
0 when every measurement ran, 1 when one failed (a check above, the npm install or the cluster), 2
when a tool is missing.

Usage: tests/bench/replicas.py [--binary PATH] [--replicas N] [--rounds N] [--out FILE]
"""

import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tests" / "bench"))
import benchlib  # noqa: E402  (tests/bench/benchlib.py: what the benchmarks share)
import npm_app  # noqa: E402  (tests/integration/npm_app.py: the fixture app installed with npm, cached)
import pg  # noqa: E402  (tests/integration/pg.py: throwaway PostgreSQL clusters)
from benchlib import BenchError, say, tool_version  # noqa: E402

TRUE = "/bin/true"
UNUSED_DATABASE = "bench_replicas"  # fixture_app_with_database() makes one; every round makes its own
DEPLOYED = "running prisma migrate deploy"
CREATED = "does not exist yet: creating it"
NOTHING_TO_DO = "No pending migrations to apply"  # a script deploy that found another one's work done
PRISMA_ERROR = re.compile(r"\bP\d{4}\b")
ROWS_SQL = "SELECT migration_name, finished_at IS NOT NULL FROM _prisma_migrations ORDER BY started_at, id"
KINDS = ("many", "one", "script")
TIMEOUT_S = 600


def launch_all(argvs, env, cwd, logdir):
    """Start every argv at once (each in a session of its own, its output in a file of logdir) and
    wait for all. Returns (seconds from the first launch to the last exit, [(exit status, seconds to
    its exit, output)])."""
    procs = []
    t0 = time.monotonic()
    for i, argv in enumerate(argvs):
        log = open(logdir / f"{i}.log", "w+")
        p = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        procs.append((p, log))
    exits = {}

    def kill():
        for p, _ in procs:
            if p.returncode is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass

    watchdog = threading.Timer(TIMEOUT_S, kill)
    watchdog.start()
    try:
        while len(exits) < len(procs):
            # a blocking waitpid(), so that an exit is read when it happens (Popen.wait(timeout) polls)
            pid, status = os.waitpid(-1, 0)
            now = time.monotonic()
            for i, (p, _) in enumerate(procs):
                if p.pid == pid:
                    p.returncode = os.waitstatus_to_exitcode(status)
                    exits[i] = now - t0
    finally:
        watchdog.cancel()
    if max(exits.values()) >= TIMEOUT_S:
        raise BenchError(f"replicas still running after {TIMEOUT_S} s: killed")
    results = []
    for i, (p, log) in enumerate(procs):
        log.seek(0)
        results.append((p.returncode, exits[i], log.read()))
        log.close()
    return max(exits.values()), results


def rows(cluster, database):
    return [tuple(line.split("|")) for line in cluster.psql(ROWS_SQL, database=database).split()]


def check_entrypoints(kind, results, cluster, database, expect_one):
    """The checks of `many` and `one` (see the docstring)."""
    for rc, _, out in results:
        if rc != 0:
            raise BenchError(f"{kind}: a replica exited {rc}:\n{out.strip()[-3000:]}")
    deploys = sum(DEPLOYED in out for _, _, out in results)
    creates = sum(CREATED in out for _, _, out in results)
    if deploys != 1 or creates != 1:
        raise BenchError(f"{kind}: {deploys} replicas deployed and {creates} created the database (expected 1 and 1)")
    found = rows(cluster, database)
    if found != [(expect_one, "t")]:
        raise BenchError(f"{kind}: _prisma_migrations holds {found}, expected [({expect_one!r}, 't')]")


def one_round(kind, index, binary, app, cluster, replicas, migration, logdir):
    database = f"bench_{kind}_{index}"
    env = benchlib.prisma_db_env(cluster.url(database=database))
    logdir = logdir / f"{kind}-{index}"
    logdir.mkdir()
    if kind == "script":
        cluster.create_database(database)
        argv = ["/bin/sh", "-c", f"npx prisma migrate deploy && {TRUE}"]
        wall, results = launch_all([argv] * replicas, env, app, logdir)
        failed = [(rc, out) for rc, _, out in results if rc != 0]
        codes = {}
        for _, out in failed:
            for code in sorted(set(PRISMA_ERROR.findall(out))) or ["none"]:
                codes[code] = codes.get(code, 0) + 1
        return {
            "wall_s": wall,
            "failed": len(failed),
            "found_nothing_to_do": sum(NOTHING_TO_DO in out for _, _, out in results),
            "error_codes": codes,
            "rows_left": rows(cluster, database),
            "a_failure": failed[0][1].strip()[-1500:] if failed else "",
        }
    argv = [str(binary), "run", "--no-generate", "--", TRUE]
    wall, results = launch_all([argv] * (replicas if kind == "many" else 1), env, app, logdir)
    check_entrypoints(kind, results, cluster, database, migration)
    deployer = next(t for _, t, out in results if DEPLOYED in out)
    return {"wall_s": wall, "deployer_exit_s": deployer, "exits_s": sorted(t for _, t, _ in results)}


def measure(binary, work, replicas, rounds):
    with benchlib.fixture_app_with_database(work, UNUSED_DATABASE) as (app, cluster):
        cluster.psql("ALTER ROLE app CREATEDB")  # as Prisma's own engine needs to create a database
        migration = sorted(p.name for p in (app / "prisma" / "migrations").iterdir() if p.is_dir())[0]
        logdir = Path(work) / "logs"
        logdir.mkdir()
        samples = {kind: [] for kind in KINDS}
        for r in range(rounds):
            order = KINDS[r % len(KINDS) :] + KINDS[: r % len(KINDS)]
            for kind in order:
                say(f"round {r + 1}/{rounds}: {kind} ...")
                samples[kind].append(one_round(kind, r, binary, app, cluster, replicas, migration, logdir))
                say(f"  {samples[kind][-1]['wall_s']:.2f} s")
        env = benchlib.prisma_db_env(npm_app.DUMMY_DATABASE_URL)
        versions = {**benchlib.node_versions(app, env), "postgresql": cluster.psql("SHOW server_version").strip()}
        return samples, versions, str(npm_app.cache_root())


def summary(values):
    return {"median_s": statistics.median(values), "min_s": min(values), "max_s": max(values), "n": len(values)}


def report(meta, samples):
    n = meta["replicas"]
    say(
        f"replicas benchmark: {n} replicas at once, {meta['rounds']} rounds; {meta['cpus']} CPUs, kernel "
        f"{meta['kernel']}, node {meta['versions']['node']}, prisma {meta['versions']['prisma']}, PostgreSQL "
        f"{meta['versions']['postgresql']}"
    )
    names = {
        "many": f"{n} x prisma-entrypoint, no database yet",
        "one": "1 x prisma-entrypoint, no database yet",
        "script": f"{n} x npx prisma migrate deploy (db made)",
    }
    stats = {kind: summary([s["wall_s"] for s in samples[kind]]) for kind in KINDS}
    say(f"{'':<44} {'median s':>9} {'min':>8} {'max':>8}")
    for kind in KINDS:
        st = stats[kind]
        say(f"{names[kind]:<44} {st['median_s']:>9.2f} {st['min_s']:>8.2f} {st['max_s']:>8.2f}")
    ratios = {
        "many_vs_one": stats["many"]["median_s"] / stats["one"]["median_s"],
        "script_vs_many": stats["script"]["median_s"] / stats["many"]["median_s"],
    }
    failed = [s["failed"] for s in samples["script"]]
    codes = {}
    for s in samples["script"]:
        for code, count in s["error_codes"].items():
            codes[code] = codes.get(code, 0) + count
    say(
        f"{n} replicas: {ratios['many_vs_one']:.2f}x one start (medians), one deploy and one CREATE DATABASE each "
        f"round, every app started"
    )
    idle = [s["found_nothing_to_do"] for s in samples["script"]]
    say(
        f"the script: {ratios['script_vs_many']:.2f}x the {n} replicas' time; failed replicas per round: "
        f"{', '.join(map(str, failed))} of {n} (error codes in their output: "
        f"{', '.join(f'{c} x{k}' for c, k in sorted(codes.items())) or 'none'}); replicas that started Node to find "
        f"nothing to do: {', '.join(map(str, idle))}; its deploys linger ~10 s here"
    )
    return {"stats": stats, "ratios": ratios, "script_failed": failed, "script_error_codes": codes}


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--replicas", type=int, default=20, help="replicas started at once (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, each with the three (default 3)")
    benchlib.add_out(ap, "replicas")
    args = ap.parse_args()
    if args.replicas < 1 or args.rounds < 1:
        ap.error("need --replicas >= 1 and --rounds >= 1")
    binary = Path(args.binary).resolve()

    try:
        missing = benchlib.missing_tools(binary, node=True)
        reason = pg.unavailable_reason()
        benchlib.require(missing + ([reason] if reason else []))
        with tempfile.TemporaryDirectory(prefix="pe-bench-replicas-") as tmp:
            samples, versions, cache = measure(binary, Path(tmp), args.replicas, args.rounds)
        env = benchlib.prisma_db_env(npm_app.DUMMY_DATABASE_URL)
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "replicas": args.replicas,
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "binary": str(binary),
            "npm_cache": cache,
            "env": {
                k: ("<the round's database>" if k == "DATABASE_URL" else npm_app.PRISMA_ENV[k])
                for k in sorted(npm_app.PRISMA_ENV)
            },
            "versions": {"prisma-entrypoint": tool_version([str(binary), "--version"], env), **versions},
        }
        summary_ = report(meta, samples)
    except (BenchError, OSError, subprocess.SubprocessError, ValueError, pg.PgUnavailable, pg.PgCommandError) as e:
        return benchlib.fail(e)

    benchlib.write_json(args.out, {"meta": meta, "samples": samples, **summary_})
    return 0


if __name__ == "__main__":
    sys.exit(main())
