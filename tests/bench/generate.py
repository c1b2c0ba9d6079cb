#!/usr/bin/python3
"""What the generate phase costs when there is nothing to generate, against running `prisma generate`
on every start, and how long the digest of a big schema takes.

Measures, in one run on one machine:
  (a) start-to-exit time, with hyperfine -N side by side, in a copy of tests/fixtures/app (installed
      with npm, tests/integration/npm_app.py's cache) whose client is current (the entrypoint ran
      once and generated it):
        prisma-entrypoint run --no-wait --no-migrate -- /bin/true (digest, record matches: skip, run the app)
        sh -c 'npx prisma generate && /bin/true'          (what an entrypoint script does on every start)
      both with DATABASE_URL (a dummy: generate never connects), CHECKPOINT_DISABLE=1 and
      PRISMA_HIDE_UPDATE_MESSAGE=1. Ratio = mean(npx) / mean(prisma-entrypoint). The record's bytes
      and mtime are compared before and after, so a run that generated instead of skipping is an
      error, not a fast number;
  (b) `prisma-entrypoint hash --schema FOLDER` on a generated multi-file schema of about 2 MB
      (--schema-files files of models) against `hash --schema FILE` on the fixture's small
      schema, in the same empty folder: digest time = the difference of the means;
  (c) what install = auto costs when node_modules is in sync: in another copy of the app, one real
      `npm ci` (offline, from the npm cache) run by prisma-entrypoint writes the install record, then
        prisma-entrypoint run --install auto --no-wait --no-migrate -- /bin/true
        prisma-entrypoint run --install off  --no-wait --no-migrate -- /bin/true
      side by side (client current in both); cost = the difference of the means. A start that
      installed during the measurement (the install record rewritten) is an error.

Prints a table and writes build/bench/generate.json. The issues' targets (the skip at least 100x
faster than npx prisma generate; the 2 MB digest under 20 ms; install = auto in sync under 2 ms) are
reported, not enforced. Exit status: 0 when every measurement ran, 1 when one failed (a command
exited non-zero, the client was generated or the packages installed during the measurement, the npm
install failed), 2 when a tool is missing.

Usage: tests/bench/generate.py [--binary PATH] [--runs N] [--warmup N] [--schema-files N]
                               [--schema-kib N] [--out FILE]
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
from benchlib import BenchError, hyperfine, ms, run_checked, say, tool_version  # noqa: E402

TRUE = "/bin/true"
TARGET_RATIO_MIN = 100  # npx prisma generate mean / prisma-entrypoint mean
TARGET_DIGEST_MS = 20  # digest of a ~2 MB schema
TARGET_INSTALL_MS = 2  # install = auto with node_modules in sync, over install = off
INSTALL_SKIPPED = "install skipped"
INSTALLED = "installed in"
SKIPPED = "prisma client is current"
GENERATED = "prisma client generated"


def snapshot(path):
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns


# ------------------------------------------------------------------------------------------------
# (a) skip vs npx prisma generate
# ------------------------------------------------------------------------------------------------


def measure_skip(binary, env, work, runs, warmup):
    node_modules = benchlib.fixture_node_modules()
    app = npm_app.copy_app(work / "app", node_modules)
    pe_run = [str(binary), "run", "--no-wait", "--no-migrate", "--", TRUE]
    first = run_checked(pe_run, env, app, "the first start (generate)")
    if GENERATED not in first.stderr:
        raise BenchError(
            f"the first start did not generate the client (no '{GENERATED}' line): is the generate "
            f"phase built in?\n{first.stderr.strip()[-2000:]}"
        )
    second = run_checked(pe_run, env, app, "the second start (skip)")
    if SKIPPED not in second.stderr:
        raise BenchError(f"the second start did not skip (no '{SKIPPED}' line):\n{second.stderr.strip()[-2000:]}")
    record = app / npm_app.RECORD
    before = snapshot(record)
    npx = ["/bin/sh", "-c", f"npx prisma generate && {TRUE}"]
    run_checked(npx, env, app, "npx prisma generate")
    commands = [("prisma-entrypoint (client current)", pe_run), ("npx prisma generate", npx)]
    say(f"hyperfine: {' vs '.join(shlex.join(c) for _, c in commands)} in {app}")
    timing = hyperfine(commands, env, app, runs, warmup)
    after = snapshot(record)
    if after != before:
        raise BenchError(f"{record} changed during the measurement: prisma-entrypoint generated instead of skipping")
    third = run_checked(pe_run, env, app, "the start after the measurement")
    if SKIPPED not in third.stderr:
        raise BenchError(f"the start after the measurement did not skip:\n{third.stderr.strip()[-2000:]}")
    versions = benchlib.node_versions(app, env)
    npm_app.remove_node_modules(app)
    return timing, versions, str(node_modules)


# ------------------------------------------------------------------------------------------------
# (c) install = auto, node_modules in sync, vs install = off
# ------------------------------------------------------------------------------------------------


def measure_install(binary, env, work, runs, warmup):
    app = npm_app.copy_app(work / "install-app", benchlib.fixture_node_modules())
    for name in npm_app.SHARED_PACKAGES:  # links into the cache: npm ci must not see them (see copy_app)
        (app / "node_modules" / name).unlink()
    env = {**env, **npm_app.offline_npm_env(work / "npm-logs")}
    os.utime(app / "package-lock.json")  # newer than npm's own install: as after a pull
    run = [str(binary), "run", "--no-wait", "--no-migrate", "--install"]
    first = run_checked([*run, "auto", "--", TRUE], env, app, "the first start (npm ci, generate)")
    if INSTALLED not in first.stderr:
        raise BenchError(f"the first start did not install (no '{INSTALLED}' line):\n{first.stderr.strip()[-2000:]}")
    second = run_checked([*run, "auto", "--", TRUE], env, app, "the second start (in sync)")
    if INSTALL_SKIPPED not in second.stderr or SKIPPED not in second.stderr:
        raise BenchError(f"the second start did not skip install and generate:\n{second.stderr.strip()[-2000:]}")
    record = app / npm_app.RECORD.parent / "install-record"
    before = snapshot(record)
    commands = [("install = auto, in sync", [*run, "auto", "--", TRUE]), ("install = off", [*run, "off", "--", TRUE])]
    say(f"hyperfine: {' vs '.join(shlex.join(c) for _, c in commands)} in {app}")
    timing = hyperfine(commands, env, app, runs, warmup)
    if snapshot(record) != before:
        raise BenchError(f"{record} changed during the measurement: prisma-entrypoint installed instead of skipping")
    npm_app.remove_node_modules(app)
    return timing


# ------------------------------------------------------------------------------------------------
# (b) the digest of a big schema
# ------------------------------------------------------------------------------------------------

HEADER = """generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["driverAdapters"]
  engineType      = "client"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
"""


def model_text(name, fields):
    lines = [f"model {name} {{", "  id        Int      @id @default(autoincrement())"]
    for i in range(fields):
        kind = ("String?", "Int?", "DateTime?", "Boolean?", "Float?")[i % 5]
        lines.append(f"  field{i:03d}_{name.lower():<20} {kind:<9} // generated for the benchmark")
    lines.append("}")
    return "\n".join(lines) + "\n\n"


def write_big_schema(folder, files, kib):
    """A valid multi-file schema: main.prisma (generator, datasource) and models/NNN.prisma, about
    `kib` KiB in all. Returns (file count, bytes)."""
    (folder / "models").mkdir(parents=True)
    (folder / "main.prisma").write_text(HEADER)
    total = len(HEADER)
    for f in range(files):
        want = (kib * 1024 - total) / (files - f)  # what is left, spread over the files left
        parts, size, m = [], 0, 0
        while True:
            text = model_text(f"M{f:03d}x{m:02d}", 20)
            if parts and size + len(text) / 2 > want:  # the nearest whole number of models
                break
            parts.append(text)
            size += len(text)
            m += 1
        data = "".join(parts)
        (folder / "models" / f"{f:03d}.prisma").write_text(data)
        total += len(data)
    return files + 1, total


def measure_digest(binary, env, work, runs, warmup, files, kib):
    big = work / "big-schema"
    count, size = write_big_schema(big, files, kib)
    small = npm_app.APP.path / "prisma" / "schema.prisma"
    empty = work / "empty"  # no prisma.config.ts, no node_modules: only the schema is read
    empty.mkdir()
    cmd_big = [str(binary), "hash", "--schema", str(big)]
    cmd_small = [str(binary), "hash", "--schema", str(small)]
    out = run_checked(cmd_big, env, empty, "hash of the big schema").stdout
    listed = sum(1 for line in out.splitlines() if line.startswith("file "))
    if listed != count:
        raise BenchError(f"`hash` of the big schema lists {listed} files, {count} were written:\n{out[-2000:]}")
    run_checked(cmd_small, env, empty, "hash of the fixture schema")
    commands = [
        (f"hash, {size / 1e6:.1f} MB in {count} files", cmd_big),
        (f"hash, fixture schema ({small.stat().st_size} bytes)", cmd_small),
    ]
    say(f"hyperfine: {' vs '.join(shlex.join(c) for _, c in commands)}")
    timing = hyperfine(commands, env, empty, runs, warmup)
    return timing, {"files": count, "bytes": size, "folder_layout": "main.prisma + models/NNN.prisma"}


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def report_install(install):
    (auto_name, auto), (off_name, off) = list(install.items())
    cost_s = auto["mean_s"] - off["mean_s"]
    cost_med_s = auto["median_s"] - off["median_s"]
    target = {
        "target_max": TARGET_INSTALL_MS,
        "measured": round(cost_s * 1000, 3),
        "met": cost_s * 1000 < TARGET_INSTALL_MS,
    }
    say(
        f"install = auto with node_modules in sync: {ms(auto['mean_s'])} ms vs install = off {ms(off['mean_s'])} ms: "
        f"{cost_s * 1000:+.2f} ms (medians: {cost_med_s * 1000:+.2f} ms); target < {TARGET_INSTALL_MS} ms: "
        f"{'met' if target['met'] else 'NOT met'}"
    )
    return {"install_cost_s": cost_s, "install_cost_median_s": cost_med_s, "target": target}


def report(meta, skip, digest, schema):
    say(
        f"generate benchmark: hyperfine -N, {meta['warmup']} warmup, "
        f"{benchlib.runs_text(meta['runs'])} per command; {meta['cpus']} CPUs, "
        f"kernel {meta['kernel']}, node {meta['versions']['node']}, prisma {meta['versions']['prisma']}"
    )
    benchlib.timing_table([*skip.items(), *digest.items()], 44)
    (pe_name, pe), (npx_name, npx) = list(skip.items())
    ratio = npx["mean_s"] / pe["mean_s"] if pe["mean_s"] > 0 else None
    mratio = npx["median_s"] / pe["median_s"] if pe["median_s"] > 0 else None
    (big_name, big), (small_name, small) = list(digest.items())
    digest_s = big["mean_s"] - small["mean_s"]
    digest_med_s = big["median_s"] - small["median_s"]
    targets = {
        "skip_vs_npx_ratio": {
            "target_min": TARGET_RATIO_MIN,
            "measured": ratio,
            "met": ratio is not None and ratio >= TARGET_RATIO_MIN,
        },
        "digest_2mb_ms": {
            "target_max": TARGET_DIGEST_MS,
            "measured": round(digest_s * 1000, 3),
            "met": digest_s * 1000 < TARGET_DIGEST_MS,
        },
    }

    def met(t):
        return "met" if t["met"] else "NOT met"

    t1, t2 = targets["skip_vs_npx_ratio"], targets["digest_2mb_ms"]
    say(
        f"start with a current client: {ms(pe['mean_s'])} ms vs npx prisma generate {ms(npx['mean_s'])} ms: "
        f"{'n/a' if ratio is None else f'{ratio:.0f}x'} faster (medians: "
        f"{'n/a' if mratio is None else f'{mratio:.0f}x'})"
    )
    say(
        f"digest of {schema['bytes'] / 1e6:.1f} MB in {schema['files']} files: {ms(digest_s)} ms "
        f"(mean of the big hash {ms(big['mean_s'])} ms - small {ms(small['mean_s'])} ms; medians: "
        f"{ms(digest_med_s)} ms)"
    )
    say(
        f"target: >= {TARGET_RATIO_MIN}x faster than npx prisma generate: {met(t1)} "
        f"({'n/a' if ratio is None else f'{ratio:.0f}x'}); 2 MB digest < {TARGET_DIGEST_MS} ms: {met(t2)} "
        f"({digest_s * 1000:.2f} ms; the whole `hash` run {ms(big['mean_s'])} ms)"
    )
    noisy = benchlib.noisy([*skip.items(), *digest.items()])
    return {
        "skip_vs_npx_ratio": ratio,
        "skip_vs_npx_median_ratio": mratio,
        "digest_s": digest_s,
        "digest_median_s": digest_med_s,
        "noisy": noisy,
        "targets": targets,
    }


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument(
        "--runs",
        type=int,
        default=0,
        help=f"hyperfine runs per command (default: hyperfine's own, {benchlib.DEFAULT_RUNS})",
    )
    ap.add_argument("--warmup", type=int, default=2, help="hyperfine warmup runs per command (default 2)")
    ap.add_argument("--schema-files", type=int, default=200, help="model files of the big schema (default 200)")
    ap.add_argument("--schema-kib", type=int, default=2048, help="size of the big schema in KiB (default 2048)")
    benchlib.add_out(ap, "generate")
    args = ap.parse_args()
    if args.runs < 0 or args.warmup < 0 or args.schema_files < 1 or args.schema_kib < 1:
        ap.error("need --runs >= 0, --warmup >= 0, --schema-files >= 1, --schema-kib >= 1")
    binary = Path(args.binary).resolve()

    try:
        benchlib.require(benchlib.missing_tools(binary, hyperfine=True, node=True))
        env = benchlib.npm_env(npm_app.PRISMA_ENV)
        with tempfile.TemporaryDirectory(prefix="pe-bench-generate-") as tmp:
            work = Path(tmp)
            skip, versions, cache = measure_skip(binary, env, work, args.runs, args.warmup)
            digest, schema = measure_digest(
                binary, env, work, args.runs, args.warmup, args.schema_files, args.schema_kib
            )
            install = measure_install(binary, env, work, args.runs, args.warmup)
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "runs": args.runs,
            "warmup": args.warmup,
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "hyperfine": tool_version(["hyperfine", "--version"], env),
            "binary": str(binary),
            "npm_cache": cache,
            "env": {k: npm_app.PRISMA_ENV[k] for k in sorted(npm_app.PRISMA_ENV)},
            "versions": {"prisma-entrypoint": tool_version([str(binary), "--version"], env), **versions},
            "big_schema": schema,
        }
        summary = report(meta, skip, digest, schema)
        benchlib.timing_table(list(install.items()), 44)
        install_summary = report_install(install)
    except (BenchError, OSError, subprocess.SubprocessError, ValueError) as e:
        return benchlib.fail(e)

    summary["targets"]["install_in_sync_ms"] = install_summary.pop("target")
    benchlib.write_json(
        args.out, {"meta": meta, "skip": skip, "digest": digest, "install": install, **summary, **install_summary}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
