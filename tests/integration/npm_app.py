"""The fixture apps installed with npm, for the generate tests and the generate benchmark:
tests/fixtures/app (Prisma 6.19, APP, the default everywhere) and tests/fixtures/app7 (Prisma 7 with the
`prisma-client` generator, APP7). Every function that installs or copies takes the fixture as a
parameter (a Fixture); both are cached and copied the same way.

Installing
----------
`npm ci` runs once per package-lock.json, not once per test or per session: the result is kept in
a cache folder outside the repository,

    ${PE_TESTS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/prisma-entrypoint-tests}/
        app-<sha12>/node_modules   the installed packages; <sha12> = first 12 hex digits of the SHA-256
                                   of the fixture's package.json and package-lock.json (app7-<sha12>
                                   for APP7: the folder is named after the fixture)
        npm/                       npm's own download cache (`npm ci --cache`), so that a new lock file
                                   mostly installs from it
        install.lock               flock()ed while one session checks or installs, so that
                                   concurrent sessions install once and never see half a tree

An install runs `npm ci --ignore-scripts --include=dev --prefer-offline --no-audit --no-fund
--cache <cache>/npm` (no install scripts: @prisma/engines would try to download engines) in a
temporary folder next to the final one, checks the result, and renames it into place, so that
app-<sha12>/ either is complete or does not exist. Delete the cache folder to force a reinstall;
installs for other lock files are left alone (another checkout may use them).

When npm or node is missing, or the install fails, NpmAppError says why; node_modules_or_fail(), for
a session fixture, turns it into a failure (not a skip): CI must prove the generate tests.

Per test, copy_app() copies the fixture (without node_modules) into the test's folder and the
cached node_modules with `cp -a` (a real copy, never hard links: tests edit files in node_modules,
and prisma writes the client into node_modules/.prisma), except big read-only libraries (the
fixture's shared_packages: for APP effect, fast-check, pure-rand, 4000 of the 5400 files), which are
symlinks into the cache: copying them took three quarters of the copy's time. remove_node_modules() drops the
copy again after the test (175 MB each; pytest keeps the folders of the last three sessions).

Calls of the Prisma CLI are recorded by install_wrapper(): node_modules/.bin/prisma (npm's symlink
to ../prisma/build/index.js) becomes a shell script that appends one line per call to a log and then
execs node on the real CLI. read_calls() parses that log.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
import dataclasses
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LOCK_INPUTS = ("package.json", "package-lock.json")

# Every prisma command needs DATABASE_URL, even generate; nothing listens on port 1.
DUMMY_DATABASE_URL = "postgresql://u:p@127.0.0.1:1/db"
# What a plain `prisma generate` needs here (the benchmark's npx side).
PRISMA_ENV = {"DATABASE_URL": DUMMY_DATABASE_URL, "CHECKPOINT_DISABLE": "1", "PRISMA_HIDE_UPDATE_MESSAGE": "1"}

CLIENT_DIR = Path("node_modules/.prisma/client")  # where prisma-client-js generates, from the app root
RECORD = Path("node_modules/.cache/prisma-entrypoint/generate-record")  # the default generate record

# Big read-only libraries (4000 of the 5400 files; the copy takes a quarter of the time without
# them) that are symlinked into the cache instead of copied. Node resolves a symlinked package to
# its real path, so only packages that nothing writes to, that no test edits and whose location
# does not matter may be listed: never prisma, @prisma/client (the client is generated next to its
# real path) or anything under @prisma.
SHARED_PACKAGES = frozenset({"effect", "fast-check", "pure-rand"})


@dataclass(frozen=True)
class Fixture:
    """One fixture app under tests/fixtures, and what differs between them."""

    name: str  # its folder under tests/fixtures; also names its cache folder
    client_dir: Path  # where its generator writes the client, from the app root
    client_file: str  # a file the generator always writes into client_dir
    client_types: tuple  # the files (in client_dir) whose text declares the models
    shared_packages: frozenset  # symlinked into the cache by copy_app(), see SHARED_PACKAGES
    env: dict = dataclasses.field(default_factory=dict)  # what its CLI needs here to run offline
    min_node: tuple = (0,)  # the oldest Node.js its prisma runs on (package.json "engines")

    @property
    def path(self) -> Path:
        return REPO / "tests" / "fixtures" / self.name

    @property
    def prisma_major(self) -> int:
        return int(_locked_versions(self)["prisma"].split(".")[0])


APP = Fixture(
    "app",
    client_dir=CLIENT_DIR,
    client_file="index.js",
    client_types=("index.d.ts",),
    shared_packages=SHARED_PACKAGES,
)
# Prisma 7: the `prisma-client` generator writes TypeScript to its required output. Installed with
# --ignore-scripts, the CLI asks Prisma's server for the schema engine before generate unless
# PRISMA_SCHEMA_ENGINE_BINARY names a file; generate never runs it. The extra shared packages are
# the libraries of Prisma Studio and `prisma dev` (110 of its 305 MB), which generate never loads.
APP7 = Fixture(
    "app7",
    client_dir=Path("src/generated/prisma"),
    client_file="client.ts",
    client_types=("client.ts", "models"),
    shared_packages=SHARED_PACKAGES | {"@electric-sql", "react-dom", "elkjs", "@visx", "lodash", "remeda"},
    env={"PRISMA_SCHEMA_ENGINE_BINARY": "/bin/false"},
    min_node=(20, 19),  # prisma 7.10: "^20.19 || ^22.12 || >=24.0"
)
# Prisma 6.19 on SQLite through the libsql driver adapter, whose native part is an npm package: a
# real `prisma db push` (migrate-mode = push)
SQLITE_APP = Fixture(
    "sqlite-app",
    client_dir=CLIENT_DIR,
    client_file="index.js",
    client_types=("index.d.ts",),
    shared_packages=SHARED_PACKAGES,
)
# pnpm 9, yarn 1 and yarn 4 (an npm alias), pinned: the package managers install = auto runs for real
PACKAGE_MANAGERS = Fixture(
    "package-managers", client_dir=Path("."), client_file="", client_types=(), shared_packages=frozenset()
)

NPM_TIMEOUT_S = 900
FIELD_SEP = "\037"  # between the arguments of one call in the wrapper's log


class NpmAppError(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# the cached install
# ------------------------------------------------------------------------------------------------


def cache_root() -> Path:
    explicit = os.environ.get("PE_TESTS_CACHE")
    if explicit:
        return Path(explicit).absolute()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).absolute() / "prisma-entrypoint-tests"


def install_key(fixture: Fixture = APP) -> str:
    h = hashlib.sha256()
    for name in LOCK_INPUTS:
        data = (fixture.path / name).read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()[:12]


def _locked_versions(fixture: Fixture) -> dict:
    """package name -> version as package-lock.json pins it, for the fixture's direct dependencies."""
    lock = json.loads((fixture.path / "package-lock.json").read_text())
    packages = lock.get("packages", {})
    root = packages.get("", {})
    want = {}
    for name in (*root.get("dependencies", {}), *root.get("devDependencies", {})):
        entry = packages.get(f"node_modules/{name}")
        if not entry or "version" not in entry:
            raise NpmAppError(f"{fixture.path / 'package-lock.json'} pins no version of {name}")
        want[name] = entry["version"]
    return want


def _problem(fixture: Fixture, node_modules: Path) -> str | None:
    """What is wrong with an installed tree, or None when it is usable."""
    versions = _locked_versions(fixture)
    for name, version in versions.items():
        pj = node_modules / name / "package.json"
        try:
            got = json.loads(pj.read_text()).get("version")
        except (OSError, ValueError) as e:
            return f"{pj}: {e}"
        if got != version:
            return f"{pj}: version {got}, package-lock.json pins {version}"
    cli = node_modules / ".bin" / "prisma"
    if "prisma" in versions and (not cli.is_symlink() or not cli.resolve().is_file()):
        return f"{cli} is not npm's symlink to the Prisma CLI"
    if (node_modules / ".prisma").exists():
        return f"{node_modules / '.prisma'} exists: the cached tree must not hold a generated client"
    if (node_modules / ".cache").exists():  # a prisma run in the cache itself: a record, jiti's cache
        return f"{node_modules / '.cache'} exists: the cached tree must not hold what a run leaves"
    return None


def _npm_env() -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "PRISMA_ENTRYPOINT_"))
        and k not in ("NODE_ENV",)
        and not k.lower().startswith(("npm_config_omit", "npm_config_production"))
    }
    env.update(
        {
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
            "CHECKPOINT_DISABLE": "1",
            "PRISMA_HIDE_UPDATE_MESSAGE": "1",
        }
    )
    return env


def _tail(text: str, n: int = 3000) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


def _check_node(fixture: Fixture):
    """A Node.js too old for the fixture's prisma is named, rather than left to a generate failing later."""
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
        version = tuple(int(part) for part in out.lstrip("v").split(".")[:2])
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        raise NpmAppError(f"cannot tell the version of `node`: {e}") from e
    if version < fixture.min_node:
        want = ".".join(map(str, fixture.min_node))
        raise NpmAppError(f"node {out} is older than {want}, the oldest the fixture {fixture.name}'s prisma runs on")


def installed_node_modules(say=None, fixture: Fixture = APP) -> Path:
    """The cached node_modules of a fixture app (installed first if needed, see the docstring)."""
    say = say or (lambda msg: None)
    for tool in ("npm", "node"):
        if shutil.which(tool) is None:
            raise NpmAppError(
                f"`{tool}` not found on PATH ({os.environ.get('PATH', '')}): the generate tests "
                "need Node.js and npm (Debian: apt-get install -y nodejs npm)"
            )
    _check_node(fixture)
    root = cache_root()
    final = root / f"{fixture.name}-{install_key(fixture)}"
    node_modules = final / "node_modules"
    if final.is_dir() and _problem(fixture, node_modules) is None:  # the common case, no lock needed
        return node_modules
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NpmAppError(f"cannot create the test cache folder {root}: {e} (set PE_TESTS_CACHE)") from e
    with open(root / "install.lock", "a") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)  # another session may be installing: wait for it
        # whatever tmp-* is here now belongs to a session that died while installing
        for stale in root.glob("tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.is_dir():
            problem = _problem(fixture, node_modules)
            if problem is None:
                return node_modules
            say(f"npm_app: cached install {final} is unusable ({problem}): installing again")
            trash = Path(tempfile.mkdtemp(prefix="tmp-broken-", dir=root))
            final.rename(trash / "app")
            shutil.rmtree(trash, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix="tmp-app-", dir=root))
        try:
            for name in LOCK_INPUTS:
                shutil.copy2(fixture.path / name, work / name)
            argv = [
                "npm",
                "ci",
                "--ignore-scripts",
                "--include=dev",
                "--prefer-offline",
                "--no-audit",
                "--no-fund",
                "--cache",
                str(root / "npm"),
            ]
            say(f"npm_app: installing the fixture {fixture.name} into {final} ({shlex.join(argv)})")
            t0 = time.monotonic()
            try:
                p = subprocess.run(
                    argv,
                    cwd=work,
                    env=_npm_env(),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=NPM_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired as e:
                raise NpmAppError(f"`{shlex.join(argv)}` in {work} did not finish within {NPM_TIMEOUT_S} s") from e
            except OSError as e:
                raise NpmAppError(f"cannot run npm: {e}") from e
            if p.returncode != 0:
                raise NpmAppError(
                    f"`{shlex.join(argv)}` failed (exit {p.returncode}) installing "
                    f"{fixture.path / 'package-lock.json'}:\n{_tail(p.stdout + p.stderr)}"
                )
            problem = _problem(fixture, work / "node_modules")
            if problem is not None:
                raise NpmAppError(
                    f"`{shlex.join(argv)}` exited 0 but left an unusable tree: {problem}\n"
                    f"{_tail(p.stdout + p.stderr)}"
                )
            work.chmod(0o755)  # mkdtemp made it 0700
            work.rename(final)  # atomic: final/ appears complete or not at all
            say(f"npm_app: installed in {time.monotonic() - t0:.1f} s")
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return node_modules


# ------------------------------------------------------------------------------------------------
# per-test copies
# ------------------------------------------------------------------------------------------------


def copy_app(dest: Path, node_modules: Path | None, shared: bool = True, fixture: Fixture = APP) -> Path:
    """Copy a fixture app into dest (created if needed; may already exist, empty) and, unless
    node_modules is None, node_modules (fixture's, from installed_node_modules()): a real copy
    (`cp -a`) of every package except the fixture's shared_packages, which are symlinks into the
    cache. shared=False copies those too: for a copy that another user runs (the cache may be in a
    home folder only its owner can enter). Returns dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in fixture.path.iterdir():
        if item.name == "node_modules":
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, symlinks=True)
        else:
            shutil.copy2(item, dest / item.name)
    if node_modules is not None:
        target = dest / "node_modules"
        target.mkdir()
        entries = sorted(os.listdir(node_modules))
        linked = fixture.shared_packages if shared else frozenset()
        copied = [node_modules / e for e in entries if e not in linked]
        p = subprocess.run(["cp", "-a", "--", *map(str, copied), str(target)], capture_output=True, text=True)
        if p.returncode != 0:
            raise NpmAppError(f"cp -a {node_modules}/* {target} failed: {p.stderr.strip()}")
        for e in entries:
            if e in linked:
                (target / e).symlink_to(node_modules / e)
    return dest


def remove_node_modules(app: Path):
    shutil.rmtree(app / "node_modules", ignore_errors=True)


def real_cli(app: Path) -> Path:
    """The real Prisma CLI script of an app copy (what npm's node_modules/.bin/prisma points at)."""
    cli = app / "node_modules" / "prisma" / "build" / "index.js"
    if not cli.is_file():
        raise NpmAppError(f"{cli} not found: the Prisma CLI is not installed in {app}")
    return cli


def wrapper_script(log: Path, cli: Path, before_exec: str = "", node_args=()) -> str:
    """A /bin/sh script that logs its call to `log`, runs `before_exec` (shell code), then execs
    `node [node_args] cli "$@"`. One log line per call, written with one write():
        call<TAB>cwd=...<TAB>CHECKPOINT_DISABLE=...<TAB>PRISMA_HIDE_UPDATE_MESSAGE=...<TAB>DATABASE_URL=...
        <TAB>args=ARG1<US>ARG2<US>...
    with <unset> for a variable that is not set and <US> = \\037."""
    node = " ".join(shlex.quote(str(a)) for a in node_args)
    return f"""#!/bin/sh
# prisma CLI call recorder written by tests/integration/npm_app.py
us=$(printf '\\037')
args=
for a in "$@"; do args="$args$a$us"; done
line=$(printf 'call\\tcwd=%s\\tCHECKPOINT_DISABLE=%s\\tPRISMA_HIDE_UPDATE_MESSAGE=%s\\tDATABASE_URL=%s\\targs=%s' \\
    "$(pwd)" "${{CHECKPOINT_DISABLE-<unset>}}" "${{PRISMA_HIDE_UPDATE_MESSAGE-<unset>}}" "${{DATABASE_URL-<unset>}}" "$args")
printf '%s\\n' "$line" >> {shlex.quote(str(log))}
{before_exec}
exec node {node} {shlex.quote(str(cli))} "$@"
"""  # noqa: E501


def write_wrapper(path: Path, log: Path, cli: Path, before_exec: str = "", node_args=()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    path.write_text(wrapper_script(log, cli, before_exec, node_args))
    path.chmod(0o755)
    return path


def install_wrapper(app: Path, log: Path, before_exec: str = "", node_args=()) -> Path:
    """Replace the app's node_modules/.bin/prisma (npm's symlink) with a recording wrapper of the
    real CLI. Returns the wrapper's path."""
    return write_wrapper(app / "node_modules" / ".bin" / "prisma", log, real_cli(app), before_exec, node_args)


def install_npm_wrapper(bin_dir: Path, log: Path) -> Path:
    """A recording wrapper (wrapper_script()) named npm in bin_dir, around the real npm's CLI script:
    put bin_dir first in PATH and every npm the entrypoint starts is logged. Returns its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise NpmAppError("`npm` not found on PATH: the install tests need it")
    return write_wrapper(bin_dir / "npm", log, Path(os.path.realpath(npm)))


def offline_npm_env(logs: Path) -> dict:
    """npm_config_* variables that make an `npm ci` of the fixture's lock file install from the
    tests' npm cache without a download, and without install scripts (as installed_node_modules()
    installs); npm's logs go to `logs`, not into the cache."""
    return {
        "npm_config_cache": str(cache_root() / "npm"),
        "npm_config_logs_dir": str(logs),
        "npm_config_prefer_offline": "true",
        "npm_config_ignore_scripts": "true",
        "npm_config_include": "dev",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
    }


def read_calls(log: Path) -> list[dict]:
    """The calls a wrapper logged: dicts with cwd, the variables (None when unset) and args (a list)."""
    if not log.exists():
        return []
    calls = []
    for line in log.read_text().splitlines():
        fields = line.split("\t")
        if not fields or fields[0] != "call":
            raise AssertionError(f"unexpected line in {log}: {line!r}")
        call = {}
        for field in fields[1:]:
            key, _, value = field.partition("=")
            call[key] = value
        call["args"] = call.get("args", "").split(FIELD_SEP)[:-1]
        for key in ("CHECKPOINT_DISABLE", "PRISMA_HIDE_UPDATE_MESSAGE", "DATABASE_URL"):
            if call.get(key) == "<unset>":
                call[key] = None
        calls.append(call)
    return calls


def read_record(path: Path) -> dict:
    """The generate record's `key value` lines as a dict (the digest under "digest")."""
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if key:
            out[key] = value.strip()
    return out


# ------------------------------------------------------------------------------------------------
# pytest
# ------------------------------------------------------------------------------------------------


def node_modules_or_fail(say=None, fixture: Fixture = APP) -> Path:
    """installed_node_modules() for a pytest fixture: a missing npm or a failed install fails the
    test that needs it (pytest.fail), never skips it."""
    import pytest  # only here: the benchmark imports this module without pytest

    try:
        return installed_node_modules(say=say or (lambda msg: print(msg, flush=True)), fixture=fixture)
    except NpmAppError as e:
        problem = str(e)
    pytest.fail(f"cannot install the fixture {fixture.name} with npm: {problem}", pytrace=False)
