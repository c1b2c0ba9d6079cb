"""`prisma-entrypoint restart`: run inside the container (here through `nsenter -p -m` into the
supervisor's PID and mount namespaces, as `docker exec` does), it asks the supervising prisma-entrypoint to stop
the app, generate and migrate as needed, and start it again, without the container ending.

Every supervisor runs as PID 1 of a PID namespace of its own (the pid1 runner): the control socket is
named after the PID namespace, so each test has its own. The app appends its pid (as seen inside
the namespace, the pid the messages name) to a `starts` file each time it starts, which is how a
test counts starts while the supervisor runs; the supervisor's own log is read once it has ended.

The real Prisma CLI (npm_app.py, the fixture app of test_generate.py) runs where generate matters:
a schema edited before a restart, a generate that fails during one. Elsewhere the phases are off
(--no-generate --no-migrate) or a stand-in CLI (a shell script) plays prisma.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import test_generate as gen
from conftest import BIN, SANITIZER_REPORT, Runner, children_of, pid_alive, reset_signals, timeout, wait_until
from npm_app import DUMMY_DATABASE_URL

NOBODY = 65534
PHASES_OFF = ["--no-wait", "--no-generate", "--no-migrate"]
RESTARTED = "prisma-entrypoint: sh restarted (pid {})"
ADDED_FIELD = "hostname String?"

# The stand-in CLI: logs each call; `generate` fails (exit 1) while a file named `fail` is next to it.
FAKE_PRISMA = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/calls"
echo "fake prisma $*" >&2
if [ -e "$(dirname "$0")/fail" ]; then echo "fake prisma: schema error here" >&2; exit 1; fi
exit 0
"""


# ---------------------------------------------------------------------------------------------
# helpers shared with test_watch.py
# ---------------------------------------------------------------------------------------------


def app_argv(starts: Path, on_term: str | None = None) -> list:
    """argv of an app that appends its pid to `starts` once it is ready (signal traps in place) and
    then runs until stopped. on_term: shell code its SIGTERM trap runs (default: SIGTERM kills it).
    SIGUSR1 and SIGHUP are recorded in `starts`.PID.sigs."""
    traps = f"trap {shlex.quote(on_term)} TERM; " if on_term else ""
    script = (
        f"{traps}"
        "trap 'echo USR1 >> \"$0.$$.sigs\"' USR1; trap 'echo HUP >> \"$0.$$.sigs\"' HUP; "
        'echo $$ >> "$0"; while :; do sleep 0.05; done'
    )
    return ["sh", "-c", script, str(starts)]


def started(starts: Path) -> list:
    """The pids the app has started with, in order."""
    if not starts.exists():
        return []
    return [int(x) for x in starts.read_text().split()]


def wait_starts(starts: Path, count: int, p, seconds: float = 30) -> list:
    wait_until(lambda: len(started(starts)) >= count, seconds, f"{count} start(s) of the app", p)
    pids = started(starts)
    assert len(pids) == count, f"expected {count} start(s) of the app, got {pids}"
    return pids


def outer_pid(p, inner: int) -> int | None:
    """Our pid of the process that is `inner` inside the supervisor's PID namespace (None if gone)."""
    for kid in os.listdir("/proc"):
        if not kid.isdigit():
            continue
        try:
            with open(f"/proc/{kid}/status") as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        ids = [int(x) for x in line.split()[1:]]
                        if len(ids) == 2 and ids[1] == inner and app_of(p, int(kid)):
                            return int(kid)
        except OSError:
            continue
    return None


def app_of(p, pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == p.epid()
    except (OSError, ValueError, IndexError):
        return False


def app_running(p) -> bool:
    """Whether the supervisor has a live child (the app, or a prisma it runs)."""
    return any(pid_alive(k) for k in children_of(p.epid()))


def restart_argv(p, uid: int | None = None) -> list:
    # the mount namespace too, as docker exec joins it: the /proc mounted for the PID namespace is
    # the one whose pids the command sees (LeakSanitizer reads /proc/<its pid>/task)
    argv = ["nsenter", "-t", str(p.epid()), "-p", "-m"]
    if uid is not None:
        argv += ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups"]
    return [*argv, str(BIN), "restart"]


def start_restart(p, uid: int | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        restart_argv(p, uid),
        cwd=p.runner.cwd,
        env=Runner.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=reset_signals,
    )


def finish_restart(r: subprocess.Popen, seconds: float = 60) -> subprocess.CompletedProcess:
    try:
        out, err = r.communicate(timeout=timeout(seconds))
    except subprocess.TimeoutExpired:
        r.kill()
        out, err = r.communicate()
        raise AssertionError(f"the restart command did not end within {timeout(seconds)} s\n{err}") from None
    res = subprocess.CompletedProcess(r.args, r.returncode, out, err)
    assert not SANITIZER_REPORT.search(err), f"sanitizer report from the restart command:\n{err}"
    return res


def restart(p, uid: int | None = None, seconds: float = 60) -> subprocess.CompletedProcess:
    """Run `prisma-entrypoint restart` inside p's PID namespace and wait for it."""
    return finish_restart(start_restart(p, uid), seconds)


def show(res) -> str:
    return f"status {res.returncode}\nstdout: {res.stdout!r}\nstderr: {res.stderr!r}"


def stop(p, expect: int = 128 + signal.SIGTERM):
    """SIGTERM the supervisor (docker stop) and return its result, checking its exit status."""
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == expect, str(res)
    return res


def fake_cli(folder: Path) -> Path:
    """The stand-in Prisma CLI (FAKE_PRISMA) in folder; its calls go to folder/calls."""
    folder.mkdir(parents=True, exist_ok=True)
    cli = folder / "prisma"
    cli.write_text(FAKE_PRISMA)
    cli.chmod(0o755)
    return cli


def fake_calls(cli: Path) -> list:
    calls = cli.parent / "calls"
    return calls.read_text().splitlines() if calls.exists() else []


def schema_app(pe, cli: Path) -> list:
    """A schema in pe's cwd and the options that make generate run the stand-in CLI on it."""
    (pe.cwd / "prisma").mkdir(exist_ok=True)
    (pe.cwd / gen.SCHEMA).write_text((gen.REPO / "tests" / "fixtures" / "app" / gen.SCHEMA).read_text())
    return ["--no-wait", "--no-migrate", "--prisma-cli", str(cli)]


FAKE_ENV = {"DATABASE_URL": DUMMY_DATABASE_URL, "NVM_DIR": None, "NODE_OPTIONS": None}


# ---------------------------------------------------------------------------------------------
# restarts that work
# ---------------------------------------------------------------------------------------------


def test_restart_starts_a_new_app_and_the_supervisor_stays(pe_pid1):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start([*PHASES_OFF, "--", *app_argv(starts)])
    [first] = wait_starts(starts, 1, p)
    outer_first = outer_pid(p, first)
    assert outer_first is not None

    res = restart(p)
    assert res.returncode == 0, show(res)
    [_, second] = wait_starts(starts, 2, p)
    assert second != first
    assert res.stderr.splitlines() == [RESTARTED.format(second)], show(res)
    assert not pid_alive(outer_first), "the old app still runs"
    assert p.popen.poll() is None, "the supervisor ended"
    assert outer_pid(p, second) is not None, "the new app does not run"

    # and again: each restart is a new app
    res = restart(p)
    assert res.returncode == 0, show(res)
    third = wait_starts(starts, 3, p)[-1]
    assert res.stderr.splitlines() == [RESTARTED.format(third)], show(res)

    out = stop(p)
    for old, new in ((first, second), (second, third)):
        assert f"prisma-entrypoint: restarting sh (asked for by uid 0): stopping it (pid {old})" in out.stderr, str(out)
        assert f"prisma-entrypoint: started sh (pid {new})" in out.stderr, str(out)
        assert f"prisma-entrypoint: sh restarted (pid {new})" in out.stderr, str(out)


def test_restart_after_a_schema_edit_generates_the_new_client(pe_pid1, real_app):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start(["--no-wait", "--", *app_argv(starts)], env=real_app.env())
    wait_starts(starts, 1, p, seconds=60)
    assert len(real_app.calls()) == 1
    first = real_app.record_digest()
    assert "hostname" not in real_app.dts()

    real_app.edit(gen.SCHEMA, gen.USER_FIELD, gen.USER_FIELD + "\n  " + ADDED_FIELD)
    res = restart(p)
    assert res.returncode == 0, show(res)
    [_, second] = wait_starts(starts, 2, p)
    assert res.stderr.splitlines() == [RESTARTED.format(second)], show(res)
    assert len(real_app.calls()) == 2, real_app.calls()
    assert real_app.calls()[1]["args"][:1] == ["generate"], real_app.calls()
    assert "hostname" in real_app.dts(), "the new field is not in the generated client"
    assert "hostname" in (real_app.client / "schema.prisma").read_text()
    digest = real_app.hash()
    assert real_app.record_digest() == digest != first

    # nothing changed since: the next restart skips generate
    res = restart(p)
    assert res.returncode == 0, show(res)
    wait_starts(starts, 3, p)
    assert len(real_app.calls()) == 2, real_app.calls()
    out = stop(p)
    assert f"prisma client is current (inputs {digest[:12]}): generate skipped" in out.stderr, str(out)


# ---------------------------------------------------------------------------------------------
# restarts that fail: the app stays down, the supervisor stays up
# ---------------------------------------------------------------------------------------------


def test_failed_generate_keeps_the_app_down_until_a_fixed_restart(pe_pid1, real_app):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start(["--no-wait", "--", *app_argv(starts)], env=real_app.env())
    [first] = wait_starts(starts, 1, p, seconds=60)

    real_app.edit(gen.SCHEMA, gen.USER_FIELD, gen.USER_FIELD + "\n  " + gen.BAD_FIELD)
    res = restart(p)
    assert res.returncode == 80, show(res)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("prisma-entrypoint: error: restart failed: "), show(res)
    assert lines[0].endswith(": sh is not running; fix it and restart again (exit 80)"), show(res)
    assert "prisma generate failed" in lines[0], show(res)
    assert len(real_app.calls()) == 2
    time.sleep(0.3)
    assert started(starts) == [first], "the app started although generate failed"
    assert not app_running(p), "the app (or prisma) still runs"
    assert p.popen.poll() is None, "the supervisor ended"
    assert not real_app.record.exists(), "a failed generate left a record"

    real_app.edit(gen.SCHEMA, gen.BAD_FIELD, ADDED_FIELD)
    res = restart(p)
    assert res.returncode == 0, show(res)
    [_, second] = wait_starts(starts, 2, p)
    assert res.stderr.splitlines() == [RESTARTED.format(second)], show(res)
    assert outer_pid(p, second) is not None, "the app does not run"
    assert "hostname" in real_app.dts()
    assert real_app.record_digest() == real_app.hash()

    out = stop(p)
    assert "sh stays down until the next restart" in out.stderr, str(out)
    assert "Strng" in out.stdout + out.stderr, f"prisma's own error should be in the container's log\n{out}"


def test_sigterm_while_the_app_is_down_ends_the_supervisor(pe_pid1):
    cli = fake_cli(pe_pid1.tmp / "cli")
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start([*schema_app(pe_pid1, cli), "--", *app_argv(starts)], env=FAKE_ENV)
    wait_starts(starts, 1, p)
    (cli.parent / "fail").touch()
    res = restart(p)
    assert res.returncode == 80, show(res)
    assert "fake prisma: schema error here" in res.stderr or "prisma generate failed" in res.stderr, show(res)
    assert not app_running(p) and p.popen.poll() is None

    out = stop(p)
    assert out.stderr_lines()[-1] == "prisma-entrypoint: stopped by SIGTERM while sh was down", str(out)
    assert len(started(starts)) == 1


# ---------------------------------------------------------------------------------------------
# who may ask, and when there is nobody to ask
# ---------------------------------------------------------------------------------------------


def test_another_user_is_refused_with_77(pe_pid1):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start([*PHASES_OFF, "--", *app_argv(starts)])
    [first] = wait_starts(starts, 1, p)
    for _ in range(3):  # the refusal races the request being written: it must win every time
        res = restart(p, uid=NOBODY)
        assert res.returncode == 77, show(res)
        assert res.stderr.splitlines() == [
            "prisma-entrypoint: error: restart refused: only root and uid 0 (the supervisor's user) may ask for a "
            "restart"
        ], show(res)
    assert started(starts) == [first], "a refused request restarted the app"
    out = stop(p)
    assert "refused a restart request from uid 65534" in out.stderr, str(out)
    assert "restarting" not in out.stderr, str(out)


def test_no_supervisor_is_69(pe_pid1):
    res = pe_pid1.run(["restart"])  # in a PID namespace of its own, where nothing supervises
    assert res.returncode == 69, str(res)
    assert res.stderr.startswith(
        "prisma-entrypoint: error: nothing to restart: no prisma-entrypoint supervises an app in this container ("
    ), str(res)


def test_exec_mode_has_nothing_to_restart_69(pe_pid1):
    p = pe_pid1.start([*PHASES_OFF, "--exec", "--", "sleep", "1000"])
    ep = p.epid()
    wait_until(lambda: os.path.basename(os.readlink(f"/proc/{ep}/exe")) == "sleep", 10, "the app replacing it", p)
    res = restart(p)
    assert res.returncode == 69, show(res)
    assert "nothing to restart" in res.stderr and "with exec = true the app replaced it" in res.stderr, show(res)
    assert pid_alive(ep) and os.path.basename(os.readlink(f"/proc/{ep}/exe")) == "sleep"
    os.kill(ep, signal.SIGKILL)  # sleep as PID 1 ignores SIGTERM; unshare then ends with it
    p.wait()


# ---------------------------------------------------------------------------------------------
# requests that meet a restart under way, stop signals, other signals
# ---------------------------------------------------------------------------------------------


def test_two_requests_at_once_make_one_restart(pe_pid1):
    starts = pe_pid1.tmp / "starts"
    stopping = pe_pid1.tmp / "stopping"
    p = pe_pid1.start(
        [*PHASES_OFF, "--", *app_argv(starts, on_term=f": > {shlex.quote(str(stopping))}; sleep 0.5; exit")]
    )
    [first] = wait_starts(starts, 1, p)
    r1 = start_restart(p)
    wait_until(stopping.exists, 10, "the app to begin stopping", p)
    r2 = start_restart(p)
    res1, res2 = finish_restart(r1), finish_restart(r2)
    [_, second] = wait_starts(starts, 2, p)
    for res in (res1, res2):
        assert res.returncode == 0, show(res)
        assert res.stderr.splitlines() == [RESTARTED.format(second)], show(res)
    time.sleep(0.3)
    assert started(starts) == [first, second], "more than one restart"
    out = stop(p, expect=0)  # the app's trap exits 0: its status is the container's
    assert out.stderr.count("restarting sh (") == 1, str(out)
    assert "restart asked for by uid 0: joins the restart under way" in out.stderr, str(out)


def test_sigterm_during_a_restart_ends_the_supervisor(pe_pid1):
    starts = pe_pid1.tmp / "starts"
    stopping = pe_pid1.tmp / "stopping"
    # a graceful app: it takes its time, then ends as SIGTERM would have ended it
    on_term = f": > {shlex.quote(str(stopping))}; sleep 0.5; trap - TERM; kill -TERM $$"
    p = pe_pid1.start([*PHASES_OFF, "--", *app_argv(starts, on_term=on_term)])
    [first] = wait_starts(starts, 1, p)
    r = start_restart(p)
    wait_until(stopping.exists, 10, "the app to begin stopping", p)
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 143, str(res)
    assert started(starts) == [first], f"the app was started again\n{res}"
    assert "started sh" not in res.stderr.split("restarting sh", 1)[1], str(res)
    req = finish_restart(r)
    # the requester learns that the supervisor ended, or ends with the container (SIGKILL)
    assert req.returncode != 0, show(req)


def test_other_signals_still_reach_the_app_after_a_restart(pe_pid1):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start([*PHASES_OFF, "--", *app_argv(starts)])
    [first] = wait_starts(starts, 1, p)
    p.signal(signal.SIGUSR1)
    sigs = Path(f"{starts}.{first}.sigs")
    wait_until(lambda: sigs.exists() and "USR1" in sigs.read_text(), 10, "SIGUSR1 at the first app", p)

    assert restart(p).returncode == 0
    [_, second] = wait_starts(starts, 2, p)
    p.signal(signal.SIGUSR1)
    p.signal(signal.SIGHUP)
    new = Path(f"{starts}.{second}.sigs")
    wait_until(
        lambda: new.exists() and sorted(new.read_text().split()) == ["HUP", "USR1"],
        10,
        "both signals at the new app",
        p,
    )
    assert sigs.read_text().split() == ["USR1"], "a signal went to the old app"
    assert p.popen.poll() is None
    stop(p)
