"""What the benchmarks of this folder (supervisor.py, wait.py, generate.py, migrate.py) share.

Not a benchmark: the scripts run as `/usr/bin/python3 tests/bench/NAME.py` (tests/bench/run), put
this folder on sys.path and import it. Only what works the same for every caller lives here: the
error that sets the exit status (1 a run failed, 2 a tool is missing) and how it is printed, the
command line's --binary and --out, writing the JSON result, the environment the measured commands
get, tool checks and versions, running a command that must succeed, and hyperfine -N with its
summary (mean/stddev/median/min/max per command) and table. What differs from one benchmark to the
next stays in its script.
"""

import argparse
import contextlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OURS = ("PRISMA_ENTRYPOINT_", "DATABASE_URL")  # our settings and the database, never from the caller
NPM_QUIET = {"npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}


class BenchError(Exception):
    """The benchmark cannot give a number; `code` is the exit status (1 a run failed, 2 a tool is
    missing)."""

    def __init__(self, msg, code=1):
        super().__init__(msg)
        self.code = code


def say(msg=""):
    print(msg, flush=True)


def fail(e, code=1):
    """Print the error that ended the benchmark; returns the exit status: a BenchError's own code,
    `code` for anything else."""
    print(f"bench: error: {e}", file=sys.stderr)
    return e.code if isinstance(e, BenchError) else code


# ------------------------------------------------------------------------------------------------
# command line and result
# ------------------------------------------------------------------------------------------------


def arg_parser(doc):
    """The parser with the first paragraph of the script's docstring and --binary (default
    build/prisma-entrypoint, or $PRISMA_ENTRYPOINT_BIN); the script adds its own options, then
    add_out()."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument(
        "--binary", default=os.environ.get("PRISMA_ENTRYPOINT_BIN", str(REPO / "build" / "prisma-entrypoint"))
    )
    return ap


def add_out(ap, name):
    """--out, default build/bench/NAME.json: the last option, as --help lists them."""
    ap.add_argument("--out", default=str(REPO / "build" / "bench" / f"{name}.json"))


def write_json(path, data):
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")
    say(f"wrote {out}")


# ------------------------------------------------------------------------------------------------
# environment, tools, commands
# ------------------------------------------------------------------------------------------------


def clean_env(drop=()):
    """The caller's environment without our settings and DATABASE_URL* (and variables starting with
    one of the prefixes `drop`), so that none changes a measured command."""
    prefixes = OURS + tuple(drop)
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def npm_env(prisma_env, drop=()):
    """clean_env() for npm, npx and prisma: also without NODE_OPTIONS and NVM_DIR, with `prisma_env`
    (what prisma needs), no npm chatter, LC_ALL=C."""
    env = {k: v for k, v in clean_env(drop).items() if k not in ("NODE_OPTIONS", "NVM_DIR")}
    env.update(prisma_env)
    env.update(NPM_QUIET)
    env["LC_ALL"] = "C"
    return env


def prisma_db_env(url):
    """npm_env() for prisma against the database at url: nothing of ours or libpq's (PG*) from the
    caller's environment, what prisma needs, and no npm chatter."""
    import npm_app

    return npm_env({**npm_app.PRISMA_ENV, "DATABASE_URL": url}, drop=("PG",))


def require_database_tools(binary):
    """require() the binary, hyperfine, node/npm/npx and a PostgreSQL the tests' pg.py can start."""
    import pg

    missing = missing_tools(binary, hyperfine=True, node=True)
    reason = pg.unavailable_reason()
    if reason:
        missing.append(reason)
    require(missing)


def missing_tools(binary, hyperfine=False, node=False):
    """What is missing, each with how to get it: the binary, and hyperfine, node/npm/npx if asked."""
    missing = []
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        missing.append(f"{binary} (run `make`)")
    if hyperfine and shutil.which("hyperfine") is None:
        missing.append("hyperfine (apt-get install -y hyperfine)")
    for tool in ("node", "npm", "npx") if node else ():
        if shutil.which(tool) is None:
            missing.append(f"{tool} (apt-get install -y nodejs npm)")
    return missing


def require(missing):
    if missing:
        raise BenchError("missing: " + "; ".join(missing), code=2)


def tool_version(argv, env=None, cwd=None, timeout=30):
    """The first line argv prints, or "unknown (why)"."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"
    text = (p.stdout + p.stderr).strip()
    return text.splitlines()[0] if text else f"unknown (exit {p.returncode})"


def run_checked(argv, env, cwd, what, timeout=120):
    p = subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if p.returncode != 0:
        raise BenchError(
            f"{what}: `{shlex.join(argv)}` exited {p.returncode}:\n{(p.stdout + p.stderr).strip()[-3000:]}"
        )
    return p


# ------------------------------------------------------------------------------------------------
# hyperfine
# ------------------------------------------------------------------------------------------------

DEFAULT_RUNS = "at least 10 runs and 3 s"  # hyperfine's own when --runs is not given


def hyperfine_results(commands, env, cwd, runs, warmup):
    """commands: [(name, argv)], timed by one `hyperfine -N` call, so that they run side by side;
    returns the "results" of its --export-json. Without runs (0) hyperfine runs each command
    DEFAULT_RUNS."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        export = f.name
    try:
        argv = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--export-json", export]
        if runs:
            argv += ["--runs", str(runs)]
        for name, cmd in commands:
            argv += ["-n", name, shlex.join(cmd)]
        p = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
        if p.returncode != 0:
            raise BenchError(f"hyperfine failed (exit {p.returncode}):\n{p.stdout}{p.stderr}")
        return json.loads(Path(export).read_text())["results"]
    finally:
        os.unlink(export)


def p90(times):
    """The 90th percentile of run times (the one time when there is one)."""
    return statistics.quantiles(times, n=10, method="inclusive")[-1] if len(times) > 1 else times[0]


def time_stats(command, times):
    """The summary of one command's run times (seconds), as the JSON results hold it."""
    return {
        "command": command,
        "mean_s": statistics.fmean(times),
        "stddev_s": statistics.stdev(times) if len(times) > 1 else 0.0,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs": len(times),
    }


def hyperfine(commands, env, cwd, runs, warmup):
    """hyperfine_results() summarised: name -> time_stats()."""
    argv = dict(commands)
    return {
        res["command"]: time_stats(argv[res["command"]], res["times"])
        for res in hyperfine_results(commands, env, cwd, runs, warmup)
    }


def runs_text(runs):
    return f"{runs} runs" if runs else DEFAULT_RUNS


def ms(seconds):
    return f"{seconds * 1000:.2f}"


def timing_table(rows, width):
    """rows: [(name, time_stats())], a line each under a header; names padded to `width`."""
    say(f"{'':<{width}} {'mean ms':>9} {'± sd':>8} {'median':>9} {'min':>9} {'max':>9} {'runs':>5}")
    for name, row in rows:
        say(
            f"{name:<{width}} {ms(row['mean_s']):>9} {ms(row['stddev_s']):>8} {ms(row['median_s']):>9} "
            f"{ms(row['min_s']):>9} {ms(row['max_s']):>9} {row['runs']:>5}"
        )


def noisy(rows, trust="the medians"):
    """The names of the rows ([(name, time_stats())]) whose sd is over half their mean, with a
    warning that says to trust `trust` when there are any."""
    names = [name for name, row in rows if row["stddev_s"] > 0.5 * row["mean_s"]]
    if names:
        say(
            f"warning: noisy timings (sd > half the mean) for {', '.join(names)}: other load on this machine? "
            f"Trust {trust}, or run again."
        )
    return names


# ------------------------------------------------------------------------------------------------
# the fixture app (generate.py, migrate.py: they import tests/integration/npm_app.py first)
# ------------------------------------------------------------------------------------------------


def fixture_node_modules():
    """The fixture app's node_modules from the tests' npm cache, installed first if need be."""
    import npm_app

    say("installing the fixture app (npm ci, cached between runs) ...")
    try:
        return npm_app.installed_node_modules(say=say)
    except npm_app.NpmAppError as e:
        raise BenchError(str(e)) from e


@contextlib.contextmanager
def fixture_app_with_database(work, database):
    """The fixture app copied into work/app (node_modules from the tests' npm cache) and `database`
    created in a throwaway cluster (tests/integration/pg.py); yields (app, cluster). The copy's
    node_modules and the cluster are removed afterwards."""
    import npm_app
    import pg

    node_modules = fixture_node_modules()
    say("starting a throwaway PostgreSQL cluster (tests/integration/pg.py) ...")
    factory = pg.PgFactory()
    app = None
    try:
        cluster = factory.cluster("bench")
        cluster.create_database(database)
        app = npm_app.copy_app(Path(work) / "app", node_modules)
        yield app, cluster
    finally:
        if app is not None:
            npm_app.remove_node_modules(app)
        factory.close()


def node_versions(app, env):
    return {
        "node": tool_version(["node", "--version"], env),
        "npm": tool_version(["npm", "--version"], env),
        "prisma": json.loads((app / "node_modules" / "prisma" / "package.json").read_text())["version"],
    }
