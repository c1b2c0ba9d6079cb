#!/usr/bin/python3
"""Detection latency of `prisma-entrypoint wait` against wait-for-it and pg_isready loops (1 s, 0.1 s).

Each trial starts one waiter while PostgreSQL is down (port refused), starts the server at a random
moment 1-5 s later (pg_ctl start, no -w) and measures, in one run on one machine:
  (a) detection latency = the moment the waiter exits - the moment the server accepts connections.
      "Accepts connections" is the timestamp of the server's own log line "database system is ready
      to accept connections" (log_line_prefix '%m', log_timezone UTC: wall clock, millisecond
      resolution); the postmaster writes it right after it switches to accepting logins, before it
      serves any. The waiter's exit is time.time() as soon as waitpid() returns. Negative means the
      waiter returned while logins were still refused (57P03 "starting up": the port was open,
      the database was not);
  (b) connection attempts per second while the server is down: connect() calls to the port counted
      with strace -f over a fixed window with the port closed (every tool the same way), and for
      prisma-entrypoint also its own -vv "attempt N" lines in the trials over the time until ready
      (split by kind: "connect probe: ..." while the port is closed, "login: ..." once it accepts).

The same random delays are used for every tool (trial i has one delay, the tools' order rotates),
and the one cluster is stopped between trials with pg_ctl -m immediate, so every start runs crash
recovery first, as a container's database often does.

Prints a table and writes build/bench/wait.json. The issue's targets (median under 30 ms, p95 under
60 ms, at most 10 attempts per second) are reported, not enforced. Exit status: 0 when every trial
ran, 1 when one failed (a waiter exited non-zero or hung, the server did not start), 2 when a tool is
missing.

Usage: tests/bench/wait.py [--binary PATH] [--trials N] [--delay-min S] [--delay-max S]
                           [--rate-seconds S] [--seed N] [--out FILE]
"""

import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tests" / "bench"))
import benchlib  # noqa: E402  (tests/bench/benchlib.py: what the benchmarks share)
import pg  # noqa: E402  (tests/integration/pg.py: throwaway PostgreSQL clusters)
from benchlib import BenchError, say  # noqa: E402

HOST = "127.0.0.1"
WAIT_FOR_IT = "/usr/bin/wait-for-it"
TIMEOUT = "/usr/bin/timeout"
# The same waiter with backoff-max 30ms: what a lower latency costs in attempts.
PE_FAST = "prisma-entrypoint 30ms"
TARGET_MEDIAN_MS = 30
TARGET_P95_MS = 60
TARGET_ATTEMPTS_PER_S = 10
WAITER_TIMEOUT_S = 30  # each tool's own timeout; a trial taking longer fails

LOG_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[\d+\] (\w+):\s+(.*)$")
READY_MSG = "database system is ready to accept connections"
LISTEN_MSG = f'listening on IPv4 address "{HOST}"'
ATTEMPT_RE = re.compile(r": attempt (\d+): (.*)$")
READY_LINE_RE = re.compile(r"ready after ([\d.]+) s, (\d+) attempts?")


def clean_env():
    """Nothing that would change a waiter's behaviour: no settings of ours, no DATABASE_URL, no PG*."""
    return {**benchlib.clean_env(drop=("PG",)), "LC_ALL": "C"}


def tool_version(argv):
    return benchlib.tool_version(argv, timeout=10)


def find_pg_isready():
    for path in (pg.PG_BIN / "pg_isready", Path("/usr/bin/pg_isready")):
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def check_tools(binary):
    missing = benchlib.missing_tools(binary)
    if not os.access(WAIT_FOR_IT, os.X_OK):
        missing.append(f"{WAIT_FOR_IT} (apt-get install -y wait-for-it)")
    isready = find_pg_isready()
    if isready is None:
        missing.append("pg_isready (apt-get install -y postgresql-client)")
    if not os.access(TIMEOUT, os.X_OK):
        missing.append(f"{TIMEOUT} (apt-get install -y coreutils)")
    reason = pg.unavailable_reason()
    if reason:
        missing.append(reason)
    benchlib.require(missing)
    return isready


def waiters(binary, isready, port):
    """name -> argv(limit) for one port: each waiter gives up by itself after `limit` seconds.
    wait-for-it's 1 s between tries is built in (no option); the pg_isready loop runs at 1 s and 0.1 s."""

    def loop(pause):
        return f"until {isready} -h {HOST} -p {port} -q; do sleep {pause}; done"

    return {
        "prisma-entrypoint": lambda limit: [str(binary), "-vv", "wait", "--wait-timeout", f"{limit}s"],
        # What the latency costs in attempts: the closed port probed every 30 ms (about 33/s), not 100.
        PE_FAST: lambda limit: [str(binary), "-vv", "wait", "--wait-timeout", f"{limit}s", "--backoff-max", "30ms"],
        "wait-for-it": lambda limit: [WAIT_FOR_IT, "-q", "-h", HOST, "-p", str(port), "-t", str(limit)],
        "pg_isready 1s": lambda limit: [TIMEOUT, str(limit), "/bin/sh", "-c", loop(1)],
        "pg_isready 0.1s": lambda limit: [TIMEOUT, str(limit), "/bin/sh", "-c", loop(0.1)],
    }


def kill_group_only(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_group(proc):
    """The waiter ran in its own session: end whatever it left (a `sleep`, a subshell)."""
    kill_group_only(proc)
    if proc.poll() is None:
        proc.wait()


# ------------------------------------------------------------------------------------------------
# the server
# ------------------------------------------------------------------------------------------------


class Server:
    """One cluster from pg.py, started without waiting and stopped with -m immediate."""

    def __init__(self, factory):
        self.c = factory.cluster("bench", start=False)
        with open(self.c.data / "postgresql.conf", "a") as f:
            # appended by tests/bench/wait.py: millisecond UTC timestamps on every log line
            f.write("\nlog_line_prefix = '%m [%p] '\nlog_timezone = 'UTC'\n")
        self.c.start()  # -w: picks another port on a clash; proves the cluster works
        self.port = self.c.port
        self.url = self.c.url()

    def log_size(self):
        try:
            return self.c.log.stat().st_size
        except FileNotFoundError:
            return 0

    def start_nowait(self):
        with pg.not_a_subreaper():
            p = pg._run(
                pg._as_postgres([pg.PG_BIN / "pg_ctl", "-D", self.c.data, "-l", self.c.log, "-W", "-s", "start"]),
                cwd=self.c.dir,
                timeout=30,
                check=False,
            )
        self.c.running = True
        if p.returncode != 0:
            raise BenchError(f"pg_ctl start failed ({p.returncode}): {p.stderr.strip()}")

    def stop(self):
        self.c.stop(mode="immediate", timeout=30)
        pg.wait_port_closed(HOST, self.port)

    def events_since(self, offset, deadline):
        """Wall-clock times of the IPv4 listen and the ready lines logged after `offset`; waits for
        the ready line until `deadline` (monotonic)."""
        while True:
            with open(self.c.log, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
            listen = ready = None
            for line in text.splitlines():
                m = LOG_RE.match(line)
                if not m:
                    continue
                t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
                if m.group(3).startswith(LISTEN_MSG) and listen is None:
                    listen = t
                elif m.group(3).startswith(READY_MSG):
                    ready = t
                    break
            if ready is not None:
                return listen, ready
            if time.monotonic() > deadline:
                raise BenchError(f"the server did not log '{READY_MSG}' in time; log:\n{text[-2000:]}")
            time.sleep(0.02)


# ------------------------------------------------------------------------------------------------
# trials
# ------------------------------------------------------------------------------------------------


def pe_attempts(stderr_text):
    """From prisma-entrypoint's -vv output: failed attempts by what they saw, and its ready line."""
    kinds = {}
    failed = 0
    total = None
    for line in stderr_text.splitlines():
        m = ATTEMPT_RE.search(line)
        if m:
            failed += 1
            kind = m.group(2)
            kinds[kind] = kinds.get(kind, 0) + 1
            continue
        m = READY_LINE_RE.search(line)
        if m:
            total = int(m.group(2))
    return failed, total, kinds


def trial(name, argv, server, env, cwd, delay):
    offset = server.log_size()
    started = {}

    def start_server():  # in a thread, so that the main thread sees the waiter's exit at once
        try:
            started["t"] = time.time()
            server.start_nowait()
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            started["error"] = e

    with tempfile.TemporaryFile() as err:
        t_spawn = time.time()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        timer = threading.Timer(max(0.0, t_spawn + delay - time.time()), start_server)
        timer.start()
        hung = threading.Event()

        def watchdog():
            hung.set()
            kill_group_only(proc)

        # A plain blocking waitpid(): Popen.wait(timeout=...) polls with sleeps of up to 50 ms, which
        # would add to the measured latency. A watchdog thread ends a hung waiter instead.
        dog = threading.Timer(delay + WAITER_TIMEOUT_S + 5, watchdog)
        dog.start()
        try:
            code = proc.wait()
            t_exit = time.time()
        finally:
            dog.cancel()
            timer.cancel()
            kill_group(proc)
            timer.join()
            dog.join()
        err.seek(0)
        stderr_text = err.read().decode(errors="replace")
    if "error" in started:
        raise BenchError(f"starting the server: {started['error']}")
    if "t" not in started:
        raise BenchError(f"{name}: exited {code} before the server started: {stderr_text.strip()[-1500:]}")
    if hung.is_set():
        raise BenchError(f"{name}: still waiting {WAITER_TIMEOUT_S + 5} s after the server started")
    t_start = started["t"]
    if code != 0:
        raise BenchError(f"{name}: `{' '.join(argv)}` exited {code}: {stderr_text.strip()[-1500:]}")
    t_listen, t_ready = server.events_since(offset, time.monotonic() + 30)
    row = {
        "delay_s": round(delay, 4),
        "latency_ms": round((t_exit - t_ready) * 1000, 2),
        "exit_after_spawn_s": round(t_exit - t_spawn, 4),
        "server_start_to_ready_s": round(t_ready - t_start, 4),
        "listen_to_ready_ms": None if t_listen is None else round((t_ready - t_listen) * 1000, 1),
        "early": t_exit < t_ready,
    }
    if name.startswith("prisma-entrypoint"):
        failed, total, kinds = pe_attempts(stderr_text)
        row.update(
            {
                "failed_attempts": failed,
                "attempts": total,
                "failed_by_kind": kinds,
                "wait_until_ready_s": round(t_ready - t_spawn, 4),
            }
        )
    server.stop()
    return row


def run_trials(tools, server, env, cwd, trials, delays):
    names = list(tools)
    rows = {n: [] for n in names}
    for i in range(trials):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            row = trial(name, tools[name](WAITER_TIMEOUT_S), server, env, cwd, delays[i])
            rows[name].append(row)
        say(
            f"  trial {i + 1:>2}/{trials}: delay {delays[i]:.2f} s; latency ms: "
            + ", ".join(f"{n} {rows[n][-1]['latency_ms']:.1f}" for n in names)
        )
    return rows


# ------------------------------------------------------------------------------------------------
# attempt rates with strace (port closed)
# ------------------------------------------------------------------------------------------------


def strace_rate(name, argv, port, env, cwd, window):
    """connect() calls to HOST:port per second over the first `window` seconds after the tool's exec,
    with nothing listening. Returns (rate, count) or raises OSError when strace cannot trace here."""
    with tempfile.NamedTemporaryFile(prefix="pe-bench-strace-", suffix=".txt", delete=False) as f:
        out = f.name
    try:
        full = ["strace", "-f", "-qq", "-ttt", "-e", "trace=execve,connect", "-o", out, "--"] + argv
        proc = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            _, err = proc.communicate(timeout=window + 15)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{name} under strace: still running {window + 15} s later") from None
        finally:
            kill_group(proc)
        lines = Path(out).read_text(errors="replace").splitlines()
    finally:
        os.unlink(out)
    stamps = []
    for line in lines:
        parts = line.split(None, 2)
        if len(parts) == 3:
            try:
                stamps.append((float(parts[1]), parts[2]))
            except ValueError:
                pass
    if not stamps:
        raise OSError(f"strace traced nothing ({err.decode(errors='replace').strip()[-300:]})")
    t0 = stamps[0][0]  # the tool's execve
    needle = f"sin_port=htons({port}),"
    count = sum(1 for t, what in stamps if what.startswith("connect(") and needle in what and t - t0 < window)
    return count / window, count


def measure_rates(tools, port, env, cwd, window):
    if shutil.which("strace") is None:
        return None, "strace is not installed (apt-get install -y strace): rates not measured"
    limit = int(window) + 1  # each tool gives up by itself shortly after the window
    rates = {}
    for name, make in tools.items():
        try:
            rate, count = strace_rate(name, make(limit), port, env, cwd, window)
        except OSError as e:
            return None, f"strace cannot trace here ({e}): rates not measured"
        rates[name] = {"attempts_per_s": round(rate, 2), "connects": count, "window_s": window}
    return rates, None


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def percentile(xs, p):
    """Linear interpolation between the closest ranks (numpy's default)."""
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize(rows, rates):
    out = {}
    for name, rs in rows.items():
        lat = [r["latency_ms"] for r in rs]
        s = {
            "trials": len(rs),
            "median_ms": round(statistics.median(lat), 2),
            "p95_ms": round(percentile(lat, 95), 2),
            "min_ms": min(lat),
            "max_ms": max(lat),
            "early": sum(1 for r in rs if r["early"]),
            "strace_attempts_per_s": rates[name]["attempts_per_s"] if rates else None,
        }
        if name.startswith("prisma-entrypoint"):
            failed = sum(r["failed_attempts"] for r in rs)
            window = sum(r["wait_until_ready_s"] for r in rs)
            s["log_attempts_per_s"] = round(failed / window, 2) if window > 0 else None
            kinds = {}
            for r in rs:
                for k, v in r["failed_by_kind"].items():
                    kinds[k] = kinds.get(k, 0) + v
            s["failed_by_kind"] = kinds
        out[name] = s
    return out


def report(meta, summary, rows, rates_note):
    say(
        f"wait benchmark: {meta['trials']} trials per tool, server started {meta['delay_min_s']:g}-"
        f"{meta['delay_max_s']:g} s after the wait began (seed {meta['seed']}); {meta['cpus']} CPUs, "
        f"kernel {meta['kernel']}, {meta['postgres']}"
    )
    say(
        f"{'':<18} {'trials':>6} {'median ms':>9} {'p95 ms':>7} {'min':>7} {'max':>7} {'early':>5} "
        f"{'att/s':>6} {'(log)':>6}"
    )
    for name, s in summary.items():
        st = s["strace_attempts_per_s"]
        lg = s.get("log_attempts_per_s")
        say(
            f"{name:<18} {s['trials']:>6} {s['median_ms']:>9.1f} {s['p95_ms']:>7.1f} {s['min_ms']:>7.1f} "
            f"{s['max_ms']:>7.1f} {s['early']:>5} {('-' if st is None else f'{st:.1f}'):>6} "
            f"{('-' if lg is None else f'{lg:.1f}'):>6}"
        )
    pe = summary["prisma-entrypoint"]
    rate_seen = [r for r in (pe["strace_attempts_per_s"], pe.get("log_attempts_per_s")) if r is not None]
    worst_rate = max(rate_seen) if rate_seen else None
    targets = {
        "median_ms": {
            "target_max": TARGET_MEDIAN_MS,
            "measured": pe["median_ms"],
            "met": pe["median_ms"] < TARGET_MEDIAN_MS,
        },
        "p95_ms": {"target_max": TARGET_P95_MS, "measured": pe["p95_ms"], "met": pe["p95_ms"] < TARGET_P95_MS},
        "attempts_per_s": {
            "target_max": TARGET_ATTEMPTS_PER_S,
            "measured": worst_rate,
            "met": worst_rate is not None and worst_rate <= TARGET_ATTEMPTS_PER_S,
        },
    }

    def met(t):
        return "met" if t["met"] else "NOT met"

    t1, t2, t3 = targets["median_ms"], targets["p95_ms"], targets["attempts_per_s"]
    say(
        f"target: median < {TARGET_MEDIAN_MS} ms: {met(t1)} ({pe['median_ms']:.1f}); p95 < {TARGET_P95_MS} ms: "
        f"{met(t2)} ({pe['p95_ms']:.1f}); <= {TARGET_ATTEMPTS_PER_S} attempts/s: {met(t3)} "
        f"({'n/a' if worst_rate is None else f'{worst_rate:.1f}'})"
    )
    starts = [r["server_start_to_ready_s"] for rs in rows.values() for r in rs]
    gaps = [r["listen_to_ready_ms"] for rs in rows.values() for r in rs if r["listen_to_ready_ms"] is not None]
    say(
        f"(latency = waiter exit - the server's 'ready to accept connections' log time; early = returned before "
        f"it, while logins were refused; att/s = connect() calls per s with the port closed, strace -f over "
        f"{meta['rate_window_s']:g} s; (log) = prisma-entrypoint's -vv failed attempts per s until ready. "
        f"Server: start to ready median {statistics.median(starts) * 1000:.0f} ms, port open to ready median "
        f"{statistics.median(gaps) if gaps else float('nan'):.0f} ms)"
    )
    if gaps:
        # A closed port looked at every P ms, opening G ms before ready: the ready moment falls
        # anywhere in P - G ms after the last look that still found it closed.
        say(
            f"(bound: at 10 attempts/s the closed port is looked at every 100 ms; it opens "
            f"{statistics.median(gaps):.0f} ms before ready, so a waiter that respects the rate sees the port up to "
            f"{100 - statistics.median(gaps):.0f} ms late, half the time more than "
            f"{50 - statistics.median(gaps):.0f} ms, before its login; {PE_FAST}: every 30 ms)"
        )
    if rates_note:
        say(f"note: {rates_note}; wait-for-it and the pg_isready loops sleep 1 s / 0.1 s between attempts")
    return targets


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--trials", type=int, default=15, help="trials per tool (default 15)")
    ap.add_argument(
        "--delay-min", type=float, default=1.0, help="earliest server start after the wait began, s (default 1)"
    )
    ap.add_argument("--delay-max", type=float, default=5.0, help="latest server start, s (default 5)")
    ap.add_argument("--rate-seconds", type=float, default=4.0, help="strace window with the port closed, s (default 4)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the random delays (default: random, reported)")
    benchlib.add_out(ap, "wait")
    args = ap.parse_args()
    if args.trials < 1 or not 0 <= args.delay_min <= args.delay_max or args.rate_seconds <= 0:
        ap.error("need --trials >= 1, 0 <= --delay-min <= --delay-max, --rate-seconds > 0")
    binary = Path(args.binary).resolve()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    rng = random.Random(seed)
    delays = [rng.uniform(args.delay_min, args.delay_max) for _ in range(args.trials)]

    factory = None
    try:
        isready = check_tools(binary)
        env = clean_env()
        factory = pg.PgFactory()
        server = Server(factory)
        tools = waiters(binary, isready, server.port)
        wenv = {**env, "DATABASE_URL": server.url}  # only prisma-entrypoint reads it
        with tempfile.TemporaryDirectory(prefix="pe-bench-") as cwd:  # no ./prisma-entrypoint.ini here
            p = subprocess.run(
                tools["prisma-entrypoint"](10), capture_output=True, text=True, env=wenv, cwd=cwd, timeout=30
            )
            if p.returncode != 0:
                raise BenchError(
                    f"prisma-entrypoint wait against the running server exited {p.returncode}: "
                    f"{p.stderr.strip()[-1500:]}"
                )
            server.stop()
            say(f"PostgreSQL on {HOST}:{server.port}; {args.trials} trials per tool")
            rows = run_trials(tools, server, wenv, cwd, args.trials, delays)
            rates, rates_note = measure_rates(tools, server.port, wenv, cwd, args.rate_seconds)
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "trials": args.trials,
            "delay_min_s": args.delay_min,
            "delay_max_s": args.delay_max,
            "seed": seed,
            "rate_window_s": args.rate_seconds,
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "binary": str(binary),
            "postgres": tool_version([str(pg.PG_BIN / "postgres"), "--version"]),
            "versions": {
                "prisma-entrypoint": tool_version([str(binary), "--version"]),
                "wait-for-it": "Debian package "
                + tool_version(["dpkg-query", "-W", "-f", "${Version}", "wait-for-it"]),
                "pg_isready": tool_version([isready, "--version"]),
                "strace": tool_version(["strace", "-V"]) if shutil.which("strace") else None,
            },
            "commands": {name: make(WAITER_TIMEOUT_S) for name, make in tools.items()},
            "rates_note": rates_note,
        }
        summary = summarize(rows, rates)
        targets = report(meta, summary, rows, rates_note)
    except pg.PgUnavailable as e:
        return benchlib.fail(e, 2)
    except (BenchError, OSError, subprocess.SubprocessError, pg.PgCommandError, TimeoutError) as e:
        return benchlib.fail(e)
    finally:
        if factory is not None:
            factory.close()

    benchlib.write_json(
        args.out, {"meta": meta, "summary": summary, "targets": targets, "trials": rows, "strace_rates": rates}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
