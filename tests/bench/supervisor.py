#!/usr/bin/python3
"""Side-by-side benchmark of prisma-entrypoint's supervisor against tini and dumb-init.

Measures, in one run on one machine:
  (a) start-to-exit time of `X -- /bin/true` with hyperfine (and /bin/true alone as the baseline);
      overhead = mean(X) - mean(/bin/true), and prisma-entrypoint's overhead as a ratio of tini's;
  (b) memory of the supervisor process while it supervises `sleep 5`: VmHWM (peak RSS), VmRSS and
      Pss from /proc/<pid>/status and /proc/<pid>/smaps_rollup, sampled once the child is running,
      and the shared objects it has mapped then (/proc/<pid>/maps);
  (c) the same with a database configured: prisma-entrypoint in the fixture app (tests/fixtures/app,
      npm cache of the tests) with DATABASE_URL pointing at a throwaway PostgreSQL cluster, every
      phase on (wait, generate current, migrate up to date) before `sleep 5`; with --compare, the
      same for another build (main before a change) in the same run. The phases load libpq,
      libcurl and OpenSSL: what the supervisor keeps of them is what the app pays for its whole
      life. --no-database skips it. The static build (--static, by default build/static's when
      built), without and with a database, against tini-static.

Prints a table and writes build/bench/supervisor.json. The issue's targets (overhead no worse than
1.2x tini's, peak RSS under 2 MiB) are reported, not enforced. Exit status: 0 when every measurement
ran, 1 when a run failed (a tool exited wrongly, hyperfine failed), 2 when a tool is missing.

Usage: tests/bench/supervisor.py [--binary PATH] [--runs N] [--warmup N] [--rounds N] [--rss-samples N]
                                 [--no-database] [--compare PATH] [--static PATH] [--out FILE]
"""

import os
import platform
import shlex
import shutil
import signal
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
import pg  # noqa: E402  (tests/integration/pg.py: throwaway PostgreSQL clusters)
from benchlib import BenchError, say  # noqa: E402

TRUE = "/bin/true"
SLEEP = "/bin/sleep"
TARGET_OVERHEAD_RATIO = 1.2  # prisma-entrypoint overhead / tini overhead
TARGET_PEAK_RSS_KB = 2048  # 2 MiB, as the kernel counts kB (KiB)


def shared_library_count(path):
    p = subprocess.run(["ldd", path], capture_output=True, text=True)
    if p.returncode != 0:
        return 0  # static: "not a dynamic executable"
    return sum(1 for line in p.stdout.splitlines() if "=>" in line or line.strip().startswith("/"))


def find_tools(binary):
    tools = [
        # name, argv prefix (CMD follows), version command
        ("tini", ["/usr/bin/tini", "-s", "--"], ["/usr/bin/tini", "--version"]),
        ("dumb-init", ["/usr/bin/dumb-init", "--"], ["/usr/bin/dumb-init", "--version"]),
        ("prisma-entrypoint", [str(binary), "--"], [str(binary), "--version"]),
    ]
    missing = []
    for exe in [TRUE, SLEEP] + [t[1][0] for t in tools]:
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            missing.append(exe)
    if shutil.which("hyperfine") is None:
        missing.append("hyperfine")
    if missing:
        hint = "apt-get install -y hyperfine tini dumb-init; `make` builds build/prisma-entrypoint"
        raise BenchError(f"missing: {', '.join(missing)} ({hint})", code=2)
    return tools


def check_runs(tools, env, cwd):
    """Each `X -- /bin/true` must run and exit 0, or timing it means nothing."""
    for name, prefix, _ in tools:
        p = subprocess.run(prefix + [TRUE], capture_output=True, text=True, env=env, cwd=cwd, timeout=30)
        if p.returncode != 0:
            raise BenchError(f"{name}: `{shlex.join(prefix + [TRUE])}` exited {p.returncode}: {p.stderr.strip()}")


def run_hyperfine(tools, runs, warmup, rounds, env, cwd):
    """Time every command with hyperfine in `rounds` rounds, rotating the order each round, so that a
    drift in machine load spreads over all commands instead of landing on one. The raw times of all
    rounds are pooled per command."""
    commands = [("/bin/true", [TRUE])] + [(name, prefix + [TRUE]) for name, prefix, _ in tools]
    per_round = max(1, runs // rounds)
    times = {name: [] for name, _ in commands}
    for r in range(rounds):
        k = r % len(commands)
        for res in benchlib.hyperfine_results(commands[k:] + commands[:k], env, cwd, per_round, warmup):
            times[res["command"]].extend(res["times"])
    return {name: benchlib.time_stats(cmd, times[name]) for name, cmd in commands}


def children_of(pid):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(x) for x in text.split()]
    except OSError:
        return []


def read_status_kb(pid, keys):
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in keys:
            values[k] = int(v.split()[0])
    return values


def read_pss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def mapped_libraries(pid):
    """The shared objects mapped into pid (each file once), the program itself not counted."""
    names = set()
    try:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            path = line.split(maxsplit=5)[5] if len(line.split(maxsplit=5)) == 6 else ""
            if ".so" in Path(path).name:
                names.add(path)
    except OSError:
        pass
    return len(names)


def sample_rss(name, prefix, env, cwd):
    """Start `X -- sleep 5`, wait until sleep runs, read the supervisor's memory, then stop it."""
    proc = subprocess.Popen(
        prefix + [SLEEP, "5"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    try:
        deadline = time.monotonic() + 3.0
        while True:
            kids = [k for k in children_of(proc.pid) if _comm(k) == "sleep"]
            if kids:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"{name}: `sleep 5` did not start under it (exit {proc.poll()})")
            time.sleep(0.01)
        time.sleep(0.5)  # let it settle into its wait loop (it lets go of its start's pages 0.2 s in)
        st = read_status_kb(proc.pid, {"VmHWM", "VmRSS"})
        sample = {
            "peak_rss_kb": st["VmHWM"],
            "rss_kb": st["VmRSS"],
            "pss_kb": read_pss_kb(proc.pid),
            "mapped_libraries": mapped_libraries(proc.pid),
        }
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{name}: still running 10 s after SIGTERM") from None
        if code != 128 + signal.SIGTERM:
            err = proc.stderr.read().decode(errors="replace").strip()
            raise BenchError(f"{name}: exited {code} after SIGTERM, expected 143 (sleep killed by it): {err}")
        return sample
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def measure_rss(tools, samples, env, cwd):
    out = {}
    for name, prefix, *_ in tools:
        got = [sample_rss(name, prefix, env, cwd) for _ in range(samples)]
        out[name] = {
            "samples": got,
            "peak_rss_kb": statistics.median(s["peak_rss_kb"] for s in got),
            "rss_kb": statistics.median(s["rss_kb"] for s in got),
            "mapped_libraries": statistics.median(s["mapped_libraries"] for s in got),
            "pss_kb": (
                statistics.median(s["pss_kb"] for s in got) if all(s["pss_kb"] is not None for s in got) else None
            ),
        }
    return out


def ms(seconds):
    return f"{seconds * 1000:.3f}"


DATABASE = "bench_supervisor"
DATABASE_ROW = "prisma-entrypoint, database configured"
DATABASE_COMPARED = "compared build, database configured"
STATIC_ROW = "static build, no database"
STATIC_DATABASE_ROW = "static build, database configured"
TINI_STATIC = "/usr/bin/tini-static"


def measure_database_rss(rows, samples, work):
    """(c): every phase on in the fixture app against a real database, then `sleep 5` supervised,
    for each (name, argv prefix) of rows."""
    with benchlib.fixture_app_with_database(work, DATABASE) as (app, cluster):
        env = benchlib.prisma_db_env(cluster.url(database=DATABASE))
        for name, prefix in rows:
            # the first start generates and deploys; the samples are warm starts, as a restart is
            benchlib.run_checked(prefix + [TRUE], env, app, f"{name}: the first start", timeout=180)
            again = benchlib.run_checked(prefix + [TRUE], env, app, f"{name}: the second start")
            if "up to date" not in again.stderr or "generate skipped" not in again.stderr:
                raise BenchError(f"{name}: a second start did not skip generate and migrate:\n{again.stderr[-2000:]}")
        return measure_rss(rows, samples, env, app)


def report_memory(title, rows, peer, peer_row, target_row):
    """One table of (c): rows (name -> memory) against peer's Pss; the targets for target_row."""
    peer_pss = peer_row["pss_kb"]
    say("")
    say(f"{title} (every phase before `sleep 5` where a database is configured; {peer}'s Pss: {peer_pss} kB):")
    say(f"{'':<40} {'peak RSS':>9} {'RSS':>8} {'Pss':>8} {'x ' + peer + ' Pss':>16} {'mapped libs':>11}")
    out = {}
    for name, row in rows:
        pss = row["pss_kb"]
        pss_ratio = pss / peer_pss if pss is not None and peer_pss else None
        out[name] = {**{k: v for k, v in row.items() if k != "samples"}, "pss_ratio": pss_ratio}
        say(
            f"{name:<40} {row['peak_rss_kb']:>6} kB {row['rss_kb']:>5} kB {(pss if pss is not None else '-'):>5} kB "
            f"{(f'{pss_ratio:.2f}' if pss_ratio is not None else 'n/a'):>16} {row['mapped_libraries']:>11}"
        )
    pe = dict(rows)[target_row]
    met_rss = pe["rss_kb"] < TARGET_PEAK_RSS_KB
    met_pss = bool(pe["pss_kb"] is not None and peer_pss and pe["pss_kb"] <= 1.5 * peer_pss)
    say(
        f"target ({target_row}): supervising RSS < {TARGET_PEAK_RSS_KB} kB: {'met' if met_rss else 'NOT met'} "
        f"({pe['rss_kb']} kB); Pss <= 1.5x {peer}'s: {'met' if met_pss else 'NOT met'}"
    )
    return {"peer": peer, "rows": out, "targets": {"rss_met": met_rss, "pss_met": met_pss}}


def report(meta, timing, rss):
    base = timing["/bin/true"]["mean_s"]
    overhead = {name: timing[name]["mean_s"] - base for name in rss}
    tini_oh = overhead["tini"]
    ratios = {name: (overhead[name] / tini_oh if tini_oh > 0 else None) for name in rss}
    # The same from medians: robust against the odd slow run that other load on the machine causes.
    mbase = timing["/bin/true"]["median_s"]
    moverhead = {name: timing[name]["median_s"] - mbase for name in rss}
    mratios = {name: (moverhead[name] / moverhead["tini"] if moverhead["tini"] > 0 else None) for name in rss}
    tini_rss = rss["tini"]["peak_rss_kb"]
    rss_ratios = {name: rss[name]["peak_rss_kb"] / tini_rss for name in rss}

    def ratio(r):
        return f"{r:.2f}" if r is not None else "n/a"

    say(
        f"supervisor benchmark: {meta['runs']} runs per command in {meta['rounds']} rounds (hyperfine -N, "
        f"{meta['warmup']} warmup each), {meta['rss_samples']} memory samples; {meta['cpus']} CPUs, "
        f"kernel {meta['kernel']}"
    )
    say(
        f"{'':<18} {'mean ms':>8} {'± sd':>6} {'median':>7} {'overhead':>9} {'x tini':>6} {'(med)':>6} "
        f"{'peak RSS':>9} {'RSS':>7} {'Pss':>7} {'x tini':>6} {'libs':>4}"
    )
    row = timing["/bin/true"]
    say(
        f"{'/bin/true':<18} {ms(row['mean_s']):>8} {ms(row['stddev_s']):>6} {ms(row['median_s']):>7} {'-':>9} "
        f"{'-':>6} {'-':>6} {'-':>9} {'-':>7} {'-':>7} {'-':>6} {'-':>4}"
    )
    for name in rss:
        row = timing[name]
        pss = rss[name]["pss_kb"]
        say(
            f"{name:<18} {ms(row['mean_s']):>8} {ms(row['stddev_s']):>6} {ms(row['median_s']):>7} "
            f"{ms(overhead[name]):>9} {ratio(ratios[name]):>6} {ratio(mratios[name]):>6} "
            f"{rss[name]['peak_rss_kb']:>6} kB {rss[name]['rss_kb']:>4} kB {(pss if pss is not None else '-'):>4} kB "
            f"{rss_ratios[name]:>6.2f} {meta['shared_libraries'][name]:>4}"
        )

    pe_ratio = ratios["prisma-entrypoint"]
    pe_peak = rss["prisma-entrypoint"]["peak_rss_kb"]
    targets = {
        "overhead_ratio_vs_tini": {
            "target_max": TARGET_OVERHEAD_RATIO,
            "measured": pe_ratio,
            "met": pe_ratio is not None and pe_ratio <= TARGET_OVERHEAD_RATIO,
        },
        "peak_rss_kb": {"target_max": TARGET_PEAK_RSS_KB, "measured": pe_peak, "met": pe_peak < TARGET_PEAK_RSS_KB},
    }
    t1, t2 = targets["overhead_ratio_vs_tini"], targets["peak_rss_kb"]
    say(
        f"target: overhead <= {TARGET_OVERHEAD_RATIO}x tini's: "
        f"{'met' if t1['met'] else 'NOT met'} ({'n/a' if pe_ratio is None else f'{pe_ratio:.2f}x'}); "
        f"peak RSS < {TARGET_PEAK_RSS_KB} kB: {'met' if t2['met'] else 'NOT met'} ({pe_peak} kB)"
    )
    say(
        "(overhead = mean - mean of /bin/true; (med) = the ratio from medians; peak RSS = VmHWM of the "
        "supervisor while it runs sleep 5; libs = shared objects ldd lists)"
    )
    noisy = benchlib.noisy(timing.items(), trust="the median ratio")
    return {
        "overhead_s": overhead,
        "overhead_ratio_vs_tini": ratios,
        "median_overhead_s": moverhead,
        "median_overhead_ratio_vs_tini": mratios,
        "peak_rss_ratio_vs_tini": rss_ratios,
        "noisy": noisy,
        "targets": targets,
    }


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--runs", type=int, default=1000, help="hyperfine runs per command (default 1000)")
    ap.add_argument("--warmup", type=int, default=20, help="hyperfine warmup runs per round (default 20)")
    ap.add_argument("--rounds", type=int, default=5, help="hyperfine rounds, order rotated (default 5)")
    ap.add_argument("--rss-samples", type=int, default=3, help="memory samples per tool, median kept (default 3)")
    ap.add_argument("--no-database", action="store_true", help="skip (c), the rows with a database configured")
    ap.add_argument("--compare", metavar="PATH", help="another build for (c), e.g. main's before a change")
    default_static = REPO / "build" / "static" / "prisma-entrypoint"
    ap.add_argument(
        "--static",
        metavar="PATH",
        default=str(default_static) if default_static.exists() else None,
        help="the static build, against tini-static in (c) (default build/static/prisma-entrypoint if built)",
    )
    benchlib.add_out(ap, "supervisor")
    args = ap.parse_args()
    binary = Path(args.binary).resolve()

    try:
        tools = find_tools(binary)
        env = benchlib.clean_env()  # nothing that changes our binary's settings (or makes it wait for a database)
        with tempfile.TemporaryDirectory(prefix="pe-bench-") as cwd:  # no ./prisma-entrypoint.ini here
            check_runs(tools, env, cwd)
            timing = run_hyperfine(tools, args.runs, args.warmup, max(1, args.rounds), env, cwd)
            rss = measure_rss(tools, args.rss_samples, env, cwd)
            db_rss = static_rss = None
            static = Path(args.static).resolve() if args.static else None
            if static and os.access(TINI_STATIC, os.X_OK):
                static_rss = measure_rss(
                    [("tini-static", [TINI_STATIC, "-s", "--"]), (STATIC_ROW, [str(static), "--"])],
                    args.rss_samples,
                    env,
                    cwd,
                )
            if not args.no_database:
                rows = [(DATABASE_ROW, [str(binary), "--"])]
                if args.compare:
                    rows.append((DATABASE_COMPARED, [str(Path(args.compare).resolve()), "--"]))
                if static_rss:
                    rows.append((STATIC_DATABASE_ROW, [str(static), "--"]))
                db_rss = measure_database_rss(rows, args.rss_samples, cwd)
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "runs": timing["/bin/true"]["runs"],
            "warmup": args.warmup,
            "rounds": max(1, args.rounds),
            "rss_samples": args.rss_samples,
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "hyperfine": benchlib.tool_version(["hyperfine", "--version"], env, timeout=10),
            "binary": str(binary),
            "versions": {name: benchlib.tool_version(vcmd, env, timeout=10) for name, _, vcmd in tools},
            "shared_libraries": {name: shared_library_count(prefix[0]) for name, prefix, _ in tools},
        }
        summary = report(meta, timing, rss)
        if db_rss is not None:
            rows = [("prisma-entrypoint, no database", rss["prisma-entrypoint"])]
            rows += [(name, db_rss[name]) for name in (DATABASE_ROW, DATABASE_COMPARED) if name in db_rss]
            summary["database"] = report_memory("memory, dynamic build", rows, "tini", rss["tini"], DATABASE_ROW)
        if static_rss is not None:
            rows = [(STATIC_ROW, static_rss[STATIC_ROW])]
            target = STATIC_ROW
            if db_rss is not None:
                rows.append((STATIC_DATABASE_ROW, db_rss[STATIC_DATABASE_ROW]))
                target = STATIC_DATABASE_ROW
            summary["static"] = report_memory(
                "memory, static build", rows, "tini-static", static_rss["tini-static"], target
            )
    except (BenchError, OSError, subprocess.SubprocessError, pg.PgUnavailable, pg.PgCommandError) as e:
        return benchlib.fail(e)

    memory = {**rss, **(static_rss or {}), **(db_rss or {})}
    benchlib.write_json(args.out, {"meta": meta, "timing": timing, "memory": memory, **summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
