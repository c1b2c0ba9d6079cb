"""Shared machinery for the prisma-entrypoint integration suite.

Fixtures
--------
pe        a Runner, parametrized over two modes: "plain" (the binary is an ordinary process, so it
          has to make itself a child subreaper) and "pid1" (the binary is PID 1 of a fresh PID
          namespace: `unshare --pid --fork --mount-proc <bin> ...`).
pe_plain  a Runner in plain mode only, for tests where PID 1 makes no difference (CLI, config).
pe_pid1   a Runner in pid1 mode only (restart and watch need a PID namespace of their own).
forkexec  helpers/forkexec.c built once per session (a middle process that touches no signal state).

A Runner starts the binary with
  * PRISMA_ENTRYPOINT_WRAPPER (if set) put right before the binary;
  * a clean environment: every PRISMA_ENTRYPOINT_* and DATABASE_URL* variable of os.environ is
    dropped, then the test's own variables are added (a value of None removes a variable);
  * cwd in a fresh temporary directory (Runner.cwd), stdin from /dev/null unless given, and its own
    session (so no controlling terminal is involved unless a test asks for a pty);
  * default signal dispositions and an empty signal mask, whatever pytest inherited (the binary
    hands its own on to the app), before the test's own preexec_fn if any.

After every test the fixture
  * kills whatever the test left running;
  * fails the test if the binary left processes behind. While a test runs, the pytest process is
    a child subreaper, so anything the binary did not reap (zombies) or did not kill is re-parented
    to pytest when the binary exits, where it is found, reported, killed and reaped. (In pid1 mode
    the kernel kills the whole namespace with its PID 1, so this bites in plain mode.);
  * fails the test on an AddressSanitizer/UBSan report on the binary's stderr (ASan build);
  * when the wrapper is valgrind, reads every valgrind log of the test and fails it on any error
    ("ERROR SUMMARY" not 0) or any "definitely lost" bytes. The fixture itself adds
    --log-file=<tmp>/valgrind/runN/vg.%p.log and --leak-check=full and drops -q/--quiet (quiet mode
    hides the summaries), so a test author never has to think about valgrind.
"""

from __future__ import annotations

import ctypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HELPERS = HERE / "helpers"
BIN = Path(os.environ.get("PRISMA_ENTRYPOINT_BIN") or REPO / "build" / "prisma-entrypoint").absolute()
WRAPPER = shlex.split(os.environ.get("PRISMA_ENTRYPOINT_WRAPPER", ""))
if WRAPPER:  # absolute, so that tests may set their own PATH
    WRAPPER[0] = shutil.which(WRAPPER[0]) or WRAPPER[0]
IS_VALGRIND = bool(WRAPPER) and os.path.basename(WRAPPER[0]).startswith("valgrind")
SLOW = float(os.environ.get("PRISMA_ENTRYPOINT_TIMEOUT_FACTOR") or (10 if WRAPPER else 1))
PY = sys.executable  # the interpreter running pytest (/usr/bin/python3), used for the helpers
UNSHARE = [shutil.which("unshare") or "unshare", "--pid", "--fork", "--mount-proc"]
STRIP_PREFIXES = ("PRISMA_ENTRYPOINT_", "DATABASE_URL")
MODES = ["plain", "pid1"]

PR_SET_CHILD_SUBREAPER = 36
SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "supervisor: exercises the run supervisor; the valgrind pass runs -m supervisor",
    )


# --------------------------------------------------------------------------------------------
# small /proc and timing helpers (importable from the test modules: `from conftest import ...`)
# --------------------------------------------------------------------------------------------


def timeout(seconds: float) -> float:
    """A generous timeout scaled for slow runs (valgrind)."""
    return seconds * SLOW


def proc_stat(pid: int):
    """(comm, state, ppid, pgrp) of a process, or None if it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    lpar, rpar = data.index("("), data.rindex(")")
    comm = data[lpar + 1 : rpar]
    rest = data[rpar + 2 :].split()
    return comm, rest[0], int(rest[1]), int(rest[2])


# The comm of the child that runs the phases while PID 1 waits (entrypoint/phase-sequence.c).
PHASES_COMM = "pe-phases"


def proc_comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def proc_cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return " ".join(a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a)
    except OSError:
        return "?"


def all_pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def children_of(pid: int):
    kids = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[2] == pid:
            kids.append(p)
    return kids


def pid_alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[1] != "Z"


def wait_until(predicate, seconds: float, what: str, proc: "Proc | None" = None, interval=0.005):
    """Poll predicate() until it returns a truthy value (returned). Fails with `what` after the
    (scaled) timeout, or at once if `proc` exits in the meantime."""
    deadline = time.monotonic() + timeout(seconds)
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.popen.poll() is not None:
            res = proc.wait()
            raise AssertionError(
                f"the entrypoint exited (status {res.returncode}) while waiting for {what}\n"
                f"stdout: {res.stdout!r}\nstderr: {res.stderr!r}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout(seconds):.1f} s waiting for {what}")
        time.sleep(interval)


def reset_signals():
    """Default dispositions and an empty signal mask (for use in a preexec_fn).

    The binary passes the signal state it inherits on to the app, so the tests must not depend on
    how pytest itself was started (a background job of a non-interactive shell inherits SIGINT and
    SIGQUIT ignored, nohup ignores SIGHUP, Python ignores SIGPIPE and SIGXFSZ)."""
    for sig in [*range(1, 32), *range(signal.SIGRTMIN, signal.SIGRTMAX + 1)]:
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def with_reset_signals(preexec_fn=None):
    """A preexec_fn: reset_signals(), then the test's own preexec_fn."""

    def preexec():
        reset_signals()
        if preexec_fn is not None:
            preexec_fn()

    return preexec


def is_static(binary: Path) -> bool:
    """True for the static build (`make static`): ldd finds no dynamic section. The static pass of
    `make test` sets PRISMA_ENTRYPOINT_STATIC=1, and then a binary that is not static fails every
    test that asks, rather than letting the static-only tests skip."""
    p = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    static = "not a dynamic executable" in p.stdout + p.stderr
    if os.environ.get("PRISMA_ENTRYPOINT_STATIC") == "1" and not static:
        pytest.fail(f"PRISMA_ENTRYPOINT_STATIC=1 but {binary} is not static: ldd says {p.stdout.strip()!r}")
    return static


def signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        if signal.SIGRTMIN <= sig <= signal.SIGRTMAX:
            return f"SIGRTMIN+{sig - signal.SIGRTMIN}"
        return f"SIG{sig}"


def helper(name: str, *args) -> list[str]:
    """argv running one of the Python helpers in helpers/."""
    return [PY, "-S", str(HELPERS / name), *map(str, args)]


_built = {}


def c_helper(name: str, build_dir: Path) -> str:
    """Path of helpers/NAME.c compiled (once per session) with gcc into build_dir."""
    if name not in _built:
        out = build_dir / name
        cmd = ["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(out), str(HELPERS / f"{name}.c")]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            pytest.fail(f"cannot build test helper {name}: {shlex.join(cmd)}\n{p.stderr}")
        _built[name] = str(out)
    return _built[name]


@pytest.fixture(scope="session")
def forkexec(tmp_path_factory) -> str:
    """The forkexec helper (helpers/forkexec.c), built for this session."""
    return c_helper("forkexec", tmp_path_factory.mktemp("helpers"))


def read_signals(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [int(x) for x in path.read_text().split()]


# --------------------------------------------------------------------------------------------
# running the binary
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    returncode: int
    stdout_bytes: bytes
    stderr_bytes: bytes
    elapsed: float
    argv: list

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", "replace")

    def stderr_lines(self):
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self):
        return (
            f"argv: {shlex.join(map(str, self.argv))}\nstatus: {self.returncode}\n"
            f"elapsed: {self.elapsed:.3f} s\nstdout: {self.stdout[:2000]!r}\n"
            f"stderr: {self.stderr[:4000]!r}"
        )


class Proc:
    """A started entrypoint (plain: the binary itself; pid1: the unshare process around it)."""

    def __init__(self, runner: "Runner", popen: subprocess.Popen, argv, input_bytes=None, stderr_path=None):
        self.runner = runner
        self.stderr_path = stderr_path
        self.popen = popen
        self.argv = argv
        self.started = time.monotonic()
        self._epid = None
        self._result = None
        self._input = input_bytes
        self._unshare_exe = None
        if runner.pid1:
            try:
                self._unshare_exe = os.readlink(f"/proc/{popen.pid}/exe")
            except OSError:
                pass

    def epid(self, seconds: float = 10) -> int:
        """PID (in our namespace) of the prisma-entrypoint process itself."""
        if not self.runner.pid1:
            return self.popen.pid
        if self._epid is None:

            def find():
                for kid in children_of(self.popen.pid):
                    try:
                        exe = os.readlink(f"/proc/{kid}/exe")
                    except OSError:
                        continue
                    if exe != self._unshare_exe:  # unshare's child has exec'd the binary
                        return kid
                return None

            self._epid = wait_until(find, seconds, "the entrypoint inside the PID namespace", self)
        return self._epid

    def signal(self, sig: int):
        os.kill(self.epid(), sig)

    def app_pid(self, seconds: float = 10) -> int:
        """PID (in our namespace) of the entrypoint's single child (the app), once the phases' child
        has gone and the app has exec'd: a child named pe-phases, or with the entrypoint's own
        command line (a fork not yet named or exec'd; under valgrind, which keeps the name to itself,
        the phases' child all along), or a zombie, is not the app."""
        ep = self.epid()
        own = proc_cmdline(ep)

        def phases(kid):
            stat = proc_stat(kid)  # None: gone (reaped) since it was listed; Z: exited, not reaped yet
            return stat is None or stat[1] == "Z" or stat[0] == PHASES_COMM or proc_cmdline(kid) == own

        def app():
            kids = children_of(ep)
            return kids if kids and not any(phases(k) for k in kids) else None

        kids = wait_until(app, seconds, "the app process", self)
        assert len(kids) == 1, f"expected one child of the entrypoint, found {kids}"
        return kids[0]

    def wait(self, seconds: float = 30) -> Result:
        if self._result is not None:
            return self._result
        try:
            out, err = self.popen.communicate(self._input, timeout=timeout(seconds))
        except subprocess.TimeoutExpired:
            exited = self.popen.poll() is not None
            if not exited:
                self.runner.force_killed = True
            self.kill()
            # processes left behind may hold our stdout/stderr pipes open: kill them too
            self.runner.kill_strays()
            try:
                out, err = self.popen.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                for f in (self.popen.stdout, self.popen.stderr):
                    f.close()
                self.popen.wait()
                out, err = b"", b""
            partial = Result(self.popen.returncode, out or b"", err or b"", 0.0, self.argv)
            if exited:
                raise AssertionError(
                    f"the entrypoint exited, but {timeout(seconds):.1f} s later its stdout/stderr were "
                    f"still held open by processes it left behind (killed now)\n{partial}"
                ) from None
            raise AssertionError(
                f"the entrypoint did not exit within {timeout(seconds):.1f} s (killed)\n{partial}"
            ) from None
        if self.stderr_path is not None:
            err = self.stderr_path.read_bytes()
        self._result = Result(self.popen.returncode, out or b"", err or b"", time.monotonic() - self.started, self.argv)
        with self.runner._lock:
            self.runner.results.append(self._result)
        return self._result

    def kill(self):
        """SIGKILL the entrypoint (and so, in pid1 mode, its whole namespace)."""
        if self.popen.poll() is not None:
            return
        targets = [self.popen.pid]
        if self.runner.pid1:
            targets = [k for k in children_of(self.popen.pid)] + targets
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Runner:
    def __init__(self, tmp_path: Path, mode: str):
        self.mode = mode
        self.tmp = tmp_path
        self.cwd = tmp_path / "cwd"
        self.cwd.mkdir()
        self.vgdir = tmp_path / "valgrind"
        self.procs: list[Proc] = []
        self.ptys = []
        self.force_killed = False
        self.exclude = frozenset()  # children of pytest that are not this test's
        self.leftovers: list[str] = []
        self.results: list[Result] = []
        self._lock = threading.Lock()
        self._runs = 0

    @property
    def pid1(self) -> bool:
        return self.mode == "pid1"

    def path(self, name: str) -> Path:
        return self.cwd / name

    # -- argv and environment --------------------------------------------------------------

    def _wrapper(self) -> list[str]:
        if not IS_VALGRIND:
            return list(WRAPPER)
        with self._lock:
            self._runs += 1
            logdir = self.vgdir / f"run{self._runs}"
        logdir.mkdir(parents=True)
        opts = [
            a
            for a in WRAPPER[1:]
            if a not in ("-q", "--quiet") and not a.startswith(("--log-file", "--log-fd", "--log-socket"))
        ]
        if not any(a.startswith("--leak-check") for a in opts):
            opts.insert(0, "--leak-check=full")
        return [WRAPPER[0], f"--log-file={logdir}/vg.%p.log", *opts]

    def argv(self, args, pid1: bool | None = None) -> list[str]:
        prefix = UNSHARE if (self.pid1 if pid1 is None else pid1) else []
        return [*prefix, *self._wrapper(), str(BIN), *map(str, args)]

    @staticmethod
    def env(extra: dict | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(STRIP_PREFIXES)}
        for k, v in (extra or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    # -- starting --------------------------------------------------------------------------

    def start(
        self,
        args,
        env=None,
        stdin=subprocess.DEVNULL,
        input: bytes | None = None,
        preexec_fn=None,
        argv=None,
        stderr_path: Path | None = None,
    ) -> Proc:
        """stderr_path: the binary's stderr goes to that file (which its children may read while it
        runs) instead of a pipe; the Result still holds it."""
        if not BIN.exists():
            pytest.fail(f"binary under test not found: {BIN} (build it, or set PRISMA_ENTRYPOINT_BIN)")
        argv = argv or self.argv(args)
        if input is not None:
            stdin = subprocess.PIPE
        err_file = open(stderr_path, "wb") if stderr_path is not None else None
        try:
            popen = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env=self.env(env),
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if err_file is None else err_file,
                start_new_session=True,
                preexec_fn=with_reset_signals(preexec_fn),
            )
        finally:
            if err_file is not None:
                err_file.close()  # the binary has its own copy
        proc = Proc(self, popen, argv, input, stderr_path)
        with self._lock:
            self.procs.append(proc)
        return proc

    def run(self, args, env=None, input: bytes | str | None = None, seconds: float = 30, preexec_fn=None) -> Result:
        if isinstance(input, str):
            input = input.encode()
        return self.start(args, env=env, input=input, preexec_fn=preexec_fn).wait(seconds)

    def spawn_pty(self, args, env=None, seconds: float = 10):
        import pexpect

        if not BIN.exists():
            pytest.fail(f"binary under test not found: {BIN}")
        argv = self.argv(args)
        child = pexpect.spawn(
            argv[0],
            argv[1:],
            cwd=str(self.cwd),
            env=self.env(env),
            timeout=timeout(seconds),
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(24, 120),
            preexec_fn=reset_signals,
        )
        self.ptys.append(child)
        return child

    def wait_file(self, name: str, proc: Proc | None = None, seconds: float = 10) -> str:
        p = self.path(name)
        wait_until(p.exists, seconds, f"file {name}", proc)
        return p.read_text()

    # -- teardown --------------------------------------------------------------------------

    def own_pids(self) -> set:
        return {p.popen.pid for p in self.procs} | {c.pid for c in self.ptys}

    def kill_strays(self):
        """Kill and reap the processes re-parented to pytest (the binary's leftovers); remembers
        them in self.leftovers."""
        self.leftovers += reap_strays(self.exclude | self.own_pids())

    def cleanup(self) -> list[str]:
        for proc in self.procs:
            if proc.popen.poll() is None:
                self.force_killed = True
                proc.kill()
                self.kill_strays()
                try:
                    proc.popen.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.popen.kill()
                    for f in (proc.popen.stdout, proc.popen.stderr, proc.popen.stdin):
                        if f:
                            f.close()
                    proc.popen.wait()
        for child in self.ptys:
            if child.isalive():
                self.force_killed = True
            try:
                child.close(force=True)
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass
        self.kill_strays()
        return self.leftovers

    def valgrind_problems(self) -> list[str]:
        problems = []
        if not self.vgdir.exists():
            return problems
        for log in sorted(self.vgdir.rglob("vg.*.log")):
            text = log.read_text(errors="replace")
            errors = re.search(r"ERROR SUMMARY: ([\d,]+) errors", text)
            lost = re.search(r"definitely lost: ([\d,]+) bytes", text)
            bad = []
            if errors and int(errors.group(1).replace(",", "")) != 0:
                bad.append(f"ERROR SUMMARY: {errors.group(1)} errors")
            if lost and int(lost.group(1).replace(",", "")) != 0:
                bad.append(f"definitely lost: {lost.group(1)} bytes")
            if not errors and re.search(r"^==\d+==\s+(at|by) 0x", text, re.M):
                # a process that exec'd (or was killed) has no summary: look for error stacks
                bad.append("error report in a log without summary")
            if bad:
                problems.append(f"valgrind: {log}: {', '.join(bad)}\n{text[-6000:]}")
        return problems


def reap_strays(exclude=frozenset()) -> list[str]:
    """Kill and reap every child of pytest that no Popen/pexpect owns any more.

    Called after every test's own processes have been waited for, so all remaining children of
    the pytest process are processes re-parented to it (it is a subreaper): leftovers of the
    binary under test. Returns a description of each."""
    found = []
    for _ in range(100):
        kids = [k for k in children_of(os.getpid()) if k not in exclude]
        if not kids:
            break
        for kid in kids:
            st = proc_stat(kid)
            found.append(f"pid {kid} state {st[1] if st else '?'}: {proc_cmdline(kid)}")
            try:
                os.kill(kid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(kid, 0)
            except ChildProcessError:
                pass
    return found


_unshare_ok = None


def unshare_works() -> bool:
    global _unshare_ok
    if _unshare_ok is None:
        try:
            _unshare_ok = subprocess.run(UNSHARE + ["true"], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _unshare_ok = False
    return _unshare_ok


def set_subreaper(on: bool):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _runner_fixture(tmp_path, mode):
    if mode == "pid1" and not unshare_works():
        pytest.skip("cannot create a PID namespace here (`unshare --pid --fork --mount-proc true` failed)")
    # While the test runs, pytest is a child subreaper: whatever the binary under test leaves
    # behind (unreaped zombies, processes it failed to kill) comes back to pytest, where it is
    # detected and cleaned up. Only during these tests, so that other suites (podman's conmon
    # daemonizes) are not affected.
    set_subreaper(True)
    try:
        runner = Runner(tmp_path, mode)
        runner.exclude = frozenset(children_of(os.getpid()))  # other fixtures' processes
        yield runner
        strays = runner.cleanup()
    finally:
        set_subreaper(False)
    problems = []
    if strays and not runner.force_killed:
        problems.append(
            "the entrypoint exited but left processes behind (unreaped or not killed):\n  " + "\n  ".join(strays)
        )
    if IS_VALGRIND:
        problems += runner.valgrind_problems()
    for res in runner.results:  # an ASan/UBSan build reports on stderr
        if SANITIZER_REPORT.search(res.stderr):
            problems.append(f"sanitizer report on stderr:\n{res}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(params=MODES)
def pe(request, tmp_path):
    yield from _runner_fixture(tmp_path, request.param)


@pytest.fixture
def pe_plain(tmp_path):
    yield from _runner_fixture(tmp_path, "plain")


@pytest.fixture
def pe_pid1(tmp_path):
    """A Runner in pid1 mode only: the binary is PID 1 of a PID namespace of its own (restart and
    watch: the control socket is named after the PID namespace, so each test has its own)."""
    yield from _runner_fixture(tmp_path, "pid1")


# --------------------------------------------------------------------------------------------
# PostgreSQL (pg.py) and the fake server (helpers/fake_pg.py), for the wait phase
# --------------------------------------------------------------------------------------------
#
# pg_factory  one per session: initdb once, then each cluster is a copy of the template data dir;
#             every server it started is stopped at the end (finalizer and atexit). Skips the
#             tests that use it when PostgreSQL 15 cannot run here.
# pg          a running cluster shared by the session, without TLS, started by the first test that
#             asks for it. Tests must not stop it or change it: use pg_fresh for that.
# pg_tls      the same with ssl = on (a self-signed certificate made with openssl).
# pg_fresh    a cluster of the test's own, configured but NOT started (start-later and restart
#             scenarios); stopped and removed after the test.
# fake_pg     a factory: fake_pg(sqlstate="57P03", count=None, after="close") starts a FakePg in a
#             thread of pytest (so it is no stray process); all are stopped after the test.


@pytest.fixture(scope="session")
def npm_node_modules():
    """The fixture app's node_modules, installed with npm once per lock file and cached between
    runs (npm_app.py). No npm, or a failed install, fails the tests: it never skips them."""
    from npm_app import node_modules_or_fail

    return node_modules_or_fail()


@pytest.fixture(scope="session")
def npm_node_modules7():
    """The same for the Prisma 7 fixture app (tests/fixtures/app7, npm_app.APP7)."""
    from npm_app import APP7, node_modules_or_fail

    return node_modules_or_fail(fixture=APP7)


@pytest.fixture(scope="session")
def npm_node_modules_sqlite():
    """The same for the SQLite fixture app (tests/fixtures/sqlite-app, npm_app.SQLITE_APP)."""
    from npm_app import SQLITE_APP, node_modules_or_fail

    return node_modules_or_fail(fixture=SQLITE_APP)


@pytest.fixture(scope="session")
def package_managers():
    """pnpm 9, yarn 1 (classic) and yarn 4 (berry), pinned by tests/fixtures/package-managers and
    installed once per lock file into the tests' cache (npm_app.py): name -> the manager's CLI script."""
    from npm_app import PACKAGE_MANAGERS, node_modules_or_fail

    node_modules = node_modules_or_fail(fixture=PACKAGE_MANAGERS)
    return {
        "pnpm": node_modules / "pnpm" / "bin" / "pnpm.cjs",
        "yarn": node_modules / "yarn" / "bin" / "yarn.js",
        "berry": node_modules / "yarn-berry" / "bin" / "yarn.js",
    }


@pytest.fixture
def real_app(pe_pid1, npm_node_modules):
    """test_generate.py's App (the fixture app with the real Prisma CLI behind a call-recording
    wrapper) in pe_pid1's cwd, for the restart and watch tests."""
    import test_generate
    from npm_app import remove_node_modules

    app = test_generate.make_app(pe_pid1, npm_node_modules)
    app.wrap()
    yield app
    remove_node_modules(app.root)


@pytest.fixture(scope="session")
def pg_factory():
    import pg as pgmod

    try:
        factory = pgmod.PgFactory()
    except pgmod.PgUnavailable as e:
        pytest.skip(str(e))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="session")
def pg(pg_factory):
    return pg_factory.cluster("pg", tls=False)


@pytest.fixture(scope="session")
def pg_tls(pg_factory):
    return pg_factory.cluster("pgtls", tls=True)


@pytest.fixture
def pg_fresh(pg_factory):
    cluster = pg_factory.cluster("fresh", start=False)
    try:
        yield cluster
    finally:
        cluster.destroy()


def _load_helper_module(name: str):
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HELPERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_pg():
    fake = _load_helper_module("fake_pg")
    servers = []

    def start(
        sqlstate: str = "57P03",
        message: str | None = None,
        count: int | None = None,
        after: str = "close",
        host: str = "127.0.0.1",
    ):
        srv = fake.FakePg(sqlstate, message, count, after, host).start()
        servers.append(srv)
        return srv

    try:
        yield start
    finally:
        for srv in servers:
            srv.stop()
