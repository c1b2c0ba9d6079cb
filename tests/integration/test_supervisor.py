"""The run supervisor: exit status, signal forwarding, reaping, stopping, stdio, environment, tty.

Every test runs twice through the `pe` fixture: as an ordinary process ("plain": the binary must
register itself as a child subreaper for orphans to come to it) and as PID 1 of a fresh PID
namespace ("pid1"). See conftest.py for what the fixture checks after each test (processes left
behind, valgrind logs).
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from npm_app import write_wrapper
from conftest import (
    IS_VALGRIND,
    WRAPPER,
    children_of,
    helper,
    pid_alive,
    proc_comm,
    proc_stat,
    read_signals,
    signame,
    timeout,
    wait_until,
    with_reset_signals,
)

pytestmark = pytest.mark.supervisor

RTMIN3 = signal.SIGRTMIN + 3
UNCATCHABLE = {signal.SIGKILL, signal.SIGSTOP}
# every signal 1..31 the entrypoint must forward (all catchable ones but SIGCHLD), and real-time ones
FORWARDED = [s for s in range(1, 32) if s not in UNCATCHABLE | {signal.SIGCHLD}] + [RTMIN3, signal.SIGRTMAX]


def recorder(*args) -> str:
    """Shell words running the signal recorder helper (for use inside a sh -c script)."""
    return shlex.join(helper("sigrecord.py", *args))


def without_cont(sigs):
    """Leftovers may get a SIGCONT with their SIGTERM (so that a stopped one can act on it)."""
    return [s for s in sigs if s != signal.SIGCONT]


# ---------------------------------------------------------------------------------------------
# exit status
# ---------------------------------------------------------------------------------------------


def test_exit_codes_0_to_255_pass_through(pe):
    # all 256 normally; under valgrind (which looks for memory errors, not for these statuses, and
    # takes ~0.4 s a run) a spread of them
    codes = (
        range(256) if not IS_VALGRIND else sorted({0, 1, 2, 64, 78, 126, 127, 128, 129, 254, 255, *range(3, 256, 17)})
    )
    got = {code: pe.run(["-q", "--", "sh", "-c", f"exit {code}"]).returncode for code in codes}
    wrong = {code: status for code, status in got.items() if status != code}
    assert not wrong, f"exit status not passed through (expected -> got): {wrong}"


# signals whose default action terminates the process (sent by the app to itself)
KILLING = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 25, 26, 27, 29, 30, 31]


@pytest.mark.parametrize("sig", KILLING, ids=signame)
def test_app_killed_by_signal_gives_128_plus_n(pe, sig):
    res = pe.run(["--", "sh", "-c", f"ulimit -c 0; kill -{sig} $$; exit 99"])
    assert res.returncode == 128 + sig, str(res)


# ---------------------------------------------------------------------------------------------
# exec failures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    ["no-such-command-pe-test", "/nonexistent/dir/pe-cmd", "./missing-here"],
    ids=["path-lookup", "absolute", "relative"],
)
def test_missing_command_exits_127(pe, cmd):
    res = pe.run([cmd, "arg"])
    assert res.returncode == 127, str(res)
    lines = [line for line in res.stderr_lines() if "cannot run" in line]
    assert len(lines) == 1, f"expected one 'cannot run' line\n{res}"
    assert "not found" in lines[0] and cmd in lines[0], str(res)
    assert lines[0].startswith("prisma-entrypoint:"), str(res)


def test_missing_command_message_even_with_quiet(pe):
    res = pe.run(["-q", "--", "no-such-command-pe-test"])
    assert res.returncode == 127, str(res)
    assert "cannot run" in res.stderr and "not found" in res.stderr, str(res)


@pytest.mark.parametrize("kind", ["no-exec-bit", "directory"])
def test_not_executable_exits_126(pe, kind):
    target = pe.path("script.sh")
    if kind == "no-exec-bit":
        target.write_text("#!/bin/sh\ntouch ran\n")
        target.chmod(0o644)
    else:
        target.mkdir()
    res = pe.run(["./script.sh"])
    assert res.returncode == 126, str(res)
    lines = [line for line in res.stderr_lines() if "cannot run" in line]
    assert len(lines) == 1 and "script.sh" in lines[0], str(res)
    assert not pe.path("ran").exists()


# ---------------------------------------------------------------------------------------------
# signal forwarding
# ---------------------------------------------------------------------------------------------


FORWARD_STATUS = [
    (signal.SIGTERM, 143),
    (signal.SIGUSR1, 138),
    (signal.SIGUSR2, 140),
    (signal.SIGHUP, 129),
    (signal.SIGINT, 130),
]


@pytest.mark.parametrize("sig,status", FORWARD_STATUS, ids=[f"{signame(s)}-{c}" for s, c in FORWARD_STATUS])
def test_forwarded_signal_kills_app_with_128_plus_n(pe, sig, status):
    p = pe.start(["--stop-timeout", "30s", "--", "sh", "-c", "touch ready; exec sleep 1000"])
    pe.wait_file("ready", p)
    p.signal(sig)
    res = p.wait()
    assert res.returncode == status, str(res)


@pytest.mark.parametrize("sig", FORWARDED, ids=signame)
def test_every_catchable_signal_reaches_the_app(pe, sig):
    if IS_VALGRIND and sig == signal.SIGRTMAX:
        pytest.skip("valgrind keeps SIGRTMAX for itself")
    p = pe.start(
        ["--stop-timeout", "30s", "--", *helper("sigrecord.py", "--out", "got", "--ready", "ready", "--until", sig)]
    )
    pe.wait_file("ready", p)
    p.signal(sig)
    res = p.wait()
    assert read_signals(pe.path("got")) == [sig], f"the app did not get exactly {signame(sig)}\n{res}"
    assert res.returncode == 0, str(res)


def test_sigchld_is_not_forwarded(pe):
    p = pe.start(
        ["--", *helper("sigrecord.py", "--out", "got", "--ready", "ready", "--until", RTMIN3, "--linger", "0.2")]
    )
    pe.wait_file("ready", p)
    p.signal(signal.SIGCHLD)
    p.signal(RTMIN3)  # standard signals are delivered before real-time ones
    res = p.wait()
    assert res.returncode == 0, str(res)
    assert read_signals(pe.path("got")) == [RTMIN3], str(res)


def test_several_signals_in_a_row_all_arrive(pe):
    sigs = [signal.SIGHUP, signal.SIGUSR1, signal.SIGWINCH, RTMIN3, signal.SIGUSR2, signal.SIGTERM]
    p = pe.start(
        [
            "--stop-timeout",
            "30s",
            "--",
            *helper("sigrecord.py", "--out", "got", "--ready", "ready", "--until", ",".join(map(str, sigs))),
        ]
    )
    pe.wait_file("ready", p)
    for i, sig in enumerate(sigs):
        p.signal(sig)
        wait_until(lambda: len(read_signals(pe.path("got"))) > i, 10, f"{signame(sig)} at the app", p)
    res = p.wait()
    assert read_signals(pe.path("got")) == sigs, str(res)
    assert res.returncode == 0, str(res)


def test_sigterm_to_entrypoint_is_honoured_quickly(pe):
    p = pe.start(["--", "sh", "-c", "touch ready; exec sleep 1000"])
    pe.wait_file("ready", p)
    t0 = time.monotonic()
    p.signal(signal.SIGTERM)
    res = p.wait()
    took = time.monotonic() - t0
    assert res.returncode == 143, str(res)
    limit = 2.0 if not WRAPPER else timeout(2.0)
    assert took < limit, f"SIGTERM took {took:.2f} s to end the app (limit {limit} s)\n{res}"


def test_tstp_stops_the_app_and_cont_resumes_it(pe):
    p = pe.start(["--", "sh", "-c", "touch ready; exec sleep 1000"])
    pe.wait_file("ready", p)
    app = p.app_pid()
    wait_until(lambda: proc_stat(app)[0] == "sleep", 10, "the app to exec sleep", p)
    p.signal(signal.SIGTSTP)
    wait_until(lambda: proc_stat(app)[1] == "T", 10, "the app to be stopped by the forwarded SIGTSTP", p)
    assert p.popen.poll() is None, "the entrypoint exited when the app stopped"
    assert proc_stat(p.epid())[1] != "T", "the entrypoint stopped itself"
    p.signal(signal.SIGCONT)
    wait_until(lambda: proc_stat(app)[1] in "SR", 10, "the app to resume after the forwarded SIGCONT", p)
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 143, str(res)


def test_signal_target_group_reaches_a_grandchild(pe):
    # sh ignores USR1 and waits for its background recorder, which exits 0 on USR1
    script = f'trap "" USR1; {recorder("--out", "got", "--ready", "ready", "--until", "USR1")} & wait $!'
    p = pe.start(["--signal-target", "group", "--stop-timeout", "30s", "--", "sh", "-c", script])
    pe.wait_file("ready", p)
    p.signal(signal.SIGUSR1)
    res = p.wait()
    assert read_signals(pe.path("got")) == [signal.SIGUSR1], f"the grandchild did not get SIGUSR1\n{res}"
    assert res.returncode == 0, str(res)


def test_signal_target_group_from_env_reaches_a_grandchild(pe):
    script = f'trap "" HUP; {recorder("--out", "got", "--ready", "ready", "--until", "HUP")} & wait $!'
    p = pe.start(["--", "sh", "-c", script], env={"PRISMA_ENTRYPOINT_SIGNAL_TARGET": "group"})
    pe.wait_file("ready", p)
    p.signal(signal.SIGHUP)
    res = p.wait()
    assert read_signals(pe.path("got")) == [signal.SIGHUP], str(res)
    assert res.returncode == 0, str(res)


def test_signal_target_child_does_not_reach_a_grandchild(pe):
    script = f'trap "" USR1; {recorder("--out", "got", "--ready", "ready", "--until", "TERM")} & wait $!'
    p = pe.start(["--stop-timeout", "30s", "--", "sh", "-c", script])
    pe.wait_file("ready", p)
    p.signal(signal.SIGUSR1)  # to sh only: ignored there
    p.signal(signal.SIGTERM)  # kills sh; the recorder is then a leftover and gets SIGTERM
    res = p.wait()
    assert res.returncode == 143, str(res)
    got = read_signals(pe.path("got"))
    assert signal.SIGUSR1 not in got, f"SIGUSR1 reached the grandchild with signal-target child\n{res}"
    assert without_cont(got) == [signal.SIGTERM], str(res)


# ---------------------------------------------------------------------------------------------
# a package manager as the app: `npm run dev`
# ---------------------------------------------------------------------------------------------

# the dev script: traps SIGTERM and exits with the status given in its environment
DEV_APP_JS = """
const fs = require("fs");
process.on("SIGTERM", () => {
  fs.writeFileSync("got-term", "");
  process.exit(Number(process.env.STATUS_ON_TERM));
});
fs.writeFileSync("ready", String(process.pid));
setInterval(() => {}, 1000);
"""


def npm_project(pe):
    pe.path("package.json").write_text('{"name": "dev-app", "version": "1.0.0", "scripts": {"dev": "node app.js"}}\n')
    pe.path("app.js").write_text(DEV_APP_JS)
    # npm's own chatter (update notices, logs) stays out of the test's folder and output
    return {"npm_config_update_notifier": "false", "npm_config_cache": str(pe.tmp / "npm-cache")}


def dev_command(pe, env: dict, manager: str, package_managers) -> list:
    """How a user starts the dev script with manager (npm from PATH; pnpm, yarn 1 and yarn 4 from
    the tests' pinned install, through a PATH entry named as users name them)."""
    if manager == "npm":
        if shutil.which("npm") is None:
            pytest.fail("npm not found on PATH: this test runs a real `npm run dev` (apt-get install -y npm)")
        return ["npm", "run", "dev"]
    env.update({"YARN_ENABLE_TELEMETRY": "0", "CI": None, "YARN_GLOBAL_FOLDER": str(pe.tmp / "yarn-global")})
    program = "pnpm" if manager == "pnpm" else "yarn"
    bin_dir = pe.tmp / "bin"
    write_wrapper(bin_dir / program, pe.tmp / "calls.log", package_managers[manager])
    env["PATH"] = f"{bin_dir}:{os.environ.get('PATH', '')}"
    if manager == "berry":  # yarn 4 runs scripts of installed projects only (no dependencies here)
        pe.path(".yarnrc.yml").write_text("nodeLinker: node-modules\n")
        installed = subprocess.run([program, "install"], cwd=pe.cwd, env=pe.env(env), capture_output=True, text=True)
        assert installed.returncode == 0, installed.stdout + installed.stderr
    return [program, "dev"]


@pytest.mark.parametrize("status", [0, 3])
@pytest.mark.parametrize("manager", ["npm", "pnpm", "yarn", "berry"])
def test_a_dev_script_stopped_ends_with_the_scripts_status(pe, package_managers, manager, status):
    env = {**npm_project(pe), "STATUS_ON_TERM": status}
    command = dev_command(pe, env, manager, package_managers)
    p = pe.start(["-v", "--stop-timeout", "30s", "--", *command], env=env)
    pe.wait_file("ready", p, seconds=30)
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert pe.path("got-term").exists(), f"the script never got SIGTERM\n{res}"
    # a launcher alone on SIGTERM passes it to its shell and then dies of it: 143, the script orphaned
    assert res.returncode == status, str(res)
    assert "package-manager launcher" in res.stderr, str(res)
    assert "SIGKILL" not in res.stderr, str(res)


def test_npm_with_signal_target_child_gets_the_signal_itself(pe):
    if shutil.which("npm") is None:
        pytest.fail("npm not found on PATH: this test runs a real `npm run dev` (apt-get install -y npm)")
    env = {**npm_project(pe), "STATUS_ON_TERM": 0}
    p = pe.start(["--signal-target", "child", "--stop-timeout", "30s", "--", "npm", "run", "dev"], env=env)
    pe.wait_file("ready", p, seconds=30)
    p.signal(signal.SIGTERM)
    res = p.wait()
    # what npm does with a stop of its own, and why auto spares it
    assert res.returncode == 143, str(res)


# ---------------------------------------------------------------------------------------------
# stopping: grace period, SIGKILL, leftovers
# ---------------------------------------------------------------------------------------------

IGNORES_TERM = 'trap "" TERM; sleep 1000 & touch ready; wait'  # sh and its background sleep ignore TERM


def test_app_ignoring_sigterm_is_killed_after_grace(pe):
    p = pe.start(["--stop-timeout", "500ms", "--", "sh", "-c", IGNORES_TERM])
    pe.wait_file("ready", p)
    t0 = time.monotonic()
    p.signal(signal.SIGTERM)
    res = p.wait()
    took = time.monotonic() - t0
    assert res.returncode == 137, str(res)
    assert "SIGKILL" in res.stderr, str(res)
    assert took >= 0.45, f"SIGKILL came after {took:.3f} s, before the 500ms stop-timeout\n{res}"
    assert took < 0.5 + timeout(5), str(res)


@pytest.mark.parametrize(
    "how,value,seconds",
    [("flag", "600ms", 0.6), ("flag", "1", 1.0), ("env", "400ms", 0.4), ("ini", "0.3s", 0.3)],
    ids=["flag-ms", "flag-bare-seconds", "env", "ini"],
)
def test_stop_timeout_is_honoured(pe, how, value, seconds):
    args, env = [], {}
    if how == "flag":
        args = ["--stop-timeout", value]
    elif how == "env":
        env = {"PRISMA_ENTRYPOINT_STOP_TIMEOUT": value}
    else:
        pe.path("prisma-entrypoint.ini").write_text(f"[run]\nstop-timeout = {value}\n")
    p = pe.start([*args, "--", "sh", "-c", IGNORES_TERM], env=env)
    pe.wait_file("ready", p)
    t0 = time.monotonic()
    p.signal(signal.SIGTERM)
    res = p.wait()
    took = time.monotonic() - t0
    assert res.returncode == 137, str(res)
    assert took >= seconds * 0.95, f"killed after {took:.3f} s, stop-timeout was {value}\n{res}"
    assert took < seconds + timeout(5), f"killed only after {took:.3f} s, stop-timeout was {value}\n{res}"


def test_leftover_in_group_gets_sigterm_when_app_exits(pe):
    script = (
        f'{recorder("--out", "got", "--ready", "ready", "--until", "TERM")} & '
        "while [ ! -e ready ]; do sleep 0.01; done; exit 5"
    )
    # a long grace: the leftover must go because of SIGTERM, not because of a SIGKILL much later
    p = pe.start(["--stop-timeout", "60s", "--", "sh", "-c", script])
    res = p.wait(seconds=30)
    assert res.returncode == 5, str(res)
    assert without_cont(read_signals(pe.path("got"))) == [signal.SIGTERM], f"the leftover did not get SIGTERM\n{res}"
    if not pe.pid1:
        leftover = int(pe.path("ready").read_text())
        assert not pid_alive(leftover), "the leftover is still running"


def test_leftover_ignoring_sigterm_is_killed_after_grace(pe):
    script = f'{recorder("--out", "got", "--ready", "ready")} & ' "while [ ! -e ready ]; do sleep 0.01; done; exit 6"
    p = pe.start(["--stop-timeout", "500ms", "--", "sh", "-c", script])
    res = p.wait(seconds=30)
    assert res.returncode == 6, str(res)
    assert without_cont(read_signals(pe.path("got"))) == [
        signal.SIGTERM
    ], f"the leftover did not get SIGTERM first\n{res}"
    assert res.elapsed >= 0.45, str(res)
    if not pe.pid1:
        leftover = int(pe.path("ready").read_text())
        assert not pid_alive(leftover), "the leftover is still running"


# ---------------------------------------------------------------------------------------------
# reaping orphans
# ---------------------------------------------------------------------------------------------


def test_100_orphaned_sleeps_are_reaped_app_reports(pe):
    p = pe.start(["--", *helper("orphans.py", 100, "0.8", 42)])
    res = p.wait(seconds=60)
    assert res.returncode == 42, f"the app found orphans not re-parented or not reaped\n{res}"
    m = re.search(r"reparented=(\d+)", res.stdout)
    assert m and int(m.group(1)) >= 50, f"too few orphans were re-parented to the entrypoint\n{res}"


ORPHANS_SH = r"""
i=0
while [ $i -lt 100 ]; do (sleep 0.5 &); i=$((i+1)); done
count() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v pp="$PPID" -v st="$1" '$2 == "(sleep)" && $4 == pp && (st == "" || $3 == st)' | wc -l; }
echo "reparented=$(count)" > report
n=0
while [ "$(count)" -gt 0 ]; do
    n=$((n+1))
    if [ $n -gt 150 ]; then echo "left=$(count) zombies=$(count Z)" >> report; exit 1; fi
    sleep 0.1
done
echo done >> report
exit 7
"""  # noqa: E501


def test_100_orphaned_sleeps_from_a_shell_leave_no_zombies(pe):
    res = pe.run(["--", "sh", "-c", ORPHANS_SH], seconds=60)
    report = pe.path("report").read_text() if pe.path("report").exists() else ""
    assert res.returncode == 7, f"{report}\n{res}"
    m = re.search(r"reparented=(\d+)", report)
    assert m and int(m.group(1)) >= 50, f"orphans were not re-parented to the entrypoint: {report}"
    assert "done" in report


def test_orphans_left_running_when_app_exits_are_terminated_and_reaped(pe):
    script = "i=0; while [ $i -lt 100 ]; do (sleep 1000 &); i=$((i+1)); done; exit 3"
    res = pe.run(["--stop-timeout", "60s", "--", "sh", "-c", script], seconds=30)
    assert res.returncode == 3, str(res)
    # plain mode: the fixture fails the test if any of the sleeps is left behind (alive or zombie)


# ---------------------------------------------------------------------------------------------
# what the app inherits: signal mask, ignored signals, stdio, environment
# ---------------------------------------------------------------------------------------------

SIGSTATUS = ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]


def _custom_mask():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)


def _bits(hexmask: str) -> set:
    value = int(hexmask, 16)
    return {n + 1 for n in range(64) if value >> n & 1}


@pytest.mark.parametrize("inherited", ["custom", "default"])
def test_signal_mask_and_ignored_signals_restored_in_grandchild(pe, inherited, forkexec):
    # CMD is forkexec (forks, execs grep, touches no signal state): grep is the grandchild. The
    # baseline starts the same forkexec directly, with the same inherited mask and dispositions.
    preexec = _custom_mask if inherited == "custom" else None
    prefix = ["unshare", "--pid", "--fork", "--mount-proc"] if pe.pid1 else []
    baseline = subprocess.run(
        [*prefix, forkexec, *SIGSTATUS],
        capture_output=True,
        text=True,
        preexec_fn=with_reset_signals(preexec),
        env=pe.env(),
        cwd=pe.cwd,
        timeout=30,
    )
    assert baseline.returncode == 0, baseline
    if inherited == "custom":  # the baseline itself must show what we set up
        blk = re.search(r"SigBlk:\s*(\w+)", baseline.stdout).group(1)
        ign = re.search(r"SigIgn:\s*(\w+)", baseline.stdout).group(1)
        assert signal.SIGUSR1 in _bits(blk) and {signal.SIGUSR2, signal.SIGTTOU} <= _bits(ign), baseline.stdout
    res = pe.run(["-q", "--", forkexec, *SIGSTATUS], preexec_fn=preexec)
    assert res.returncode == 0, str(res)
    assert res.stdout == baseline.stdout, (
        f"the grandchild's signal state differs from a direct start\n"
        f"direct:\n{baseline.stdout}via prisma-entrypoint:\n{res.stdout}"
    )


def test_stdin_passes_through(pe):
    data = os.urandom(256 * 1024) + b"\nlast line\n"
    res = pe.start(["-q", "--", "cat"], input=data).wait()
    assert res.returncode == 0, str(res)
    assert res.stdout_bytes == data


def test_stdin_lines_reach_a_reading_app(pe):
    res = pe.run(["-q", "--", "sh", "-c", 'while read -r l; do echo "got:$l"; done'], input="alpha\nbeta\n")
    assert res.returncode == 0, str(res)
    assert res.stdout == "got:alpha\ngot:beta\n"


def test_stdout_and_stderr_pass_through_and_quiet_is_quiet(pe):
    res = pe.run(["-q", "--", "sh", "-c", "printf out; printf err >&2; exit 3"])
    assert res.returncode == 3
    assert res.stdout == "out"
    assert res.stderr == "err", "with -q, nothing but the app's own stderr should appear"


def test_environment_passes_through_untouched(pe):
    extra = {
        "PE_TEST_PLAIN": "value",
        "PE_TEST_SPACES": "  a b  c ",
        "PE_TEST_NEWLINE": "line1\nline2",
        "PE_TEST_EQUALS": "k=v=w",
        "PE_TEST_EMPTY": "",
        "PE_TEST_UNICODE": "z\u00fcrich \u2713",
        "PE_TEST_BYTES": os.fsdecode(b"\xff\xfe raw"),
        "PRISMA_ENTRYPOINT_STOP_TIMEOUT": "5s",  # our own settings are not stripped either
        "PWD": str(pe.cwd),  # so that a wrapper script (Debian's valgrind is one) keeps it as it is
    }
    res = pe.run(["--", "env", "-0"], env=extra)
    assert res.returncode == 0, str(res)
    got = {}
    for entry in res.stdout_bytes.split(b"\0"):
        if entry:
            k, _, v = entry.partition(b"=")
            got[os.fsdecode(k)] = os.fsdecode(v)
    expected = pe.env(extra)
    if IS_VALGRIND:  # what valgrind (and Debian's wrapper script) add for an untraced child
        vg_added = {"LD_PRELOAD", "LD_LIBRARY_PATH", "GLIBCPP_FORCE_NEW", "GLIBCXX_FORCE_NEW"}
        for k in list(got):
            if k not in expected and (k.startswith("VALGRIND") or k in vg_added):
                del got[k]
    missing = {k: v for k, v in expected.items() if got.get(k) != v}
    added = {k: v for k, v in got.items() if k not in expected}
    assert not missing and not added, f"changed or missing: {missing}\nadded: {added}"


# ---------------------------------------------------------------------------------------------
# terminal: foreground process group, Ctrl-C
# ---------------------------------------------------------------------------------------------


def test_pty_app_gets_the_foreground_and_ctrl_c_gives_130(pe):
    import pexpect

    child = pe.spawn_pty(["--", *helper("ttyreader.py")])
    child.expect(r"FG=(\w+)")
    assert child.match.group(1) == "yes", f"the app is not the terminal's foreground group: {child.before}{child.after}"
    child.expect_exact("ready> ")
    child.sendline("hello there")
    child.expect_exact("got:hello there")
    child.expect_exact("ready> ")
    child.send("\x03")
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None and child.exitstatus == 130, (child.exitstatus, child.signalstatus, child.before)


def test_pty_interactive_shell_ctrl_c_gives_130(pe):
    import pexpect

    script = 'echo "pg=$(ps -o pgid= -p $$) tpgid=$(ps -o tpgid= -p $$)"; while read -r l; do echo "got:$l"; done'
    child = pe.spawn_pty(["--", "sh", "-c", script])
    child.expect(r"pg=\s*(\d+) tpgid=\s*(\d+)")
    assert child.match.group(1) == child.match.group(2), "the shell is not in the terminal's foreground group"
    child.sendline("one")
    child.expect_exact("got:one")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, (child.exitstatus, child.signalstatus, child.before)


# ---------------------------------------------------------------------------------------------
# modes and logging
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "env", "ini"])
def test_exec_mode_replaces_the_entrypoint(pe, how):
    args, env = [], {}
    if how == "flag":
        args = ["--exec"]
    elif how == "env":
        env = {"PRISMA_ENTRYPOINT_EXEC": "true"}
    else:
        pe.path("prisma-entrypoint.ini").write_text("[run]\nexec = yes\n")
    p = pe.start([*args, "--", "sh", "-c", "echo $$; exit 9"], env=env)
    res = p.wait()
    assert res.returncode == 9, str(res)
    expected = "1" if pe.pid1 else str(p.popen.pid)
    assert (
        res.stdout.strip() == expected
    ), f"CMD did not replace the entrypoint (pid {res.stdout.strip()}, expected {expected})"


def test_exec_mode_missing_command_exits_127(pe):
    res = pe.run(["--exec", "--", "no-such-command-pe-test"])
    assert res.returncode == 127, str(res)
    assert "cannot run" in res.stderr and "not found" in res.stderr, str(res)


def test_no_exec_supervises(pe):
    p = pe.start(["--exec=false", "--", "sh", "-c", "echo $$; exit 9"])
    res = p.wait()
    assert res.returncode == 9
    assert res.stdout.strip() not in ("1", str(p.popen.pid)), "--exec=false should supervise"


def test_json_log_lines(pe):
    p = pe.start(["--log-format", "json", "-v", "--stop-timeout", "300ms", "--", "sh", "-c", IGNORES_TERM])
    pe.wait_file("ready", p)
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 137, str(res)
    lines = res.stderr_lines()
    assert lines, str(res)
    msgs = []
    for line in lines:
        obj = json.loads(line)
        assert {"time", "level", "msg"} <= set(obj), line
        msgs.append(obj["msg"])
    assert any("SIGKILL" in m for m in msgs), msgs


def test_text_log_lines_are_prefixed(pe):
    p = pe.start(["-v", "--stop-timeout", "300ms", "--", "sh", "-c", IGNORES_TERM])
    pe.wait_file("ready", p)
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 137
    assert res.stderr_lines() and all(line.startswith("prisma-entrypoint: ") for line in res.stderr_lines()), str(res)


@pytest.mark.supervisor
def test_plain_supervisor_loads_no_database_or_tls_library(pe_plain):
    # libpq, libcurl and libcrypto (with the thirty libraries behind them) are loaded on first use:
    # a start with nothing to wait for must not map them. The app reads its parent's memory map.
    res = pe_plain.run(["--", "sh", "-c", "cat /proc/$PPID/maps"])
    assert res.returncode == 0, str(res)
    maps = res.stdout
    assert "libc.so" in maps or "libc-" in maps or "prisma-entrypoint" in maps, "no map read"
    for library in ("libpq.so", "libcurl.so", "libcrypto.so", "libssl.so", "libgssapi"):
        assert library not in maps, f"{library} is mapped by a supervisor that did not need it"


def test_exec_mode_leaves_the_app_no_subreaper_attribute(pe_plain):
    # run becomes a child subreaper before its phases (to reap what the Prisma CLI leaves); the
    # attribute survives execve, and an exec'd app that is not an init would collect orphans it never
    # reaps. PR_GET_CHILD_SUBREAPER is 37.
    code = (
        "import ctypes, sys; v = ctypes.c_int(-1); "
        "ctypes.CDLL(None).prctl(37, ctypes.byref(v), 0, 0, 0); sys.exit(10 + v.value)"
    )
    res = pe_plain.run(["--exec", "--no-wait", "--", "/usr/bin/python3", "-c", code])
    assert res.returncode == 10, f"the exec'd app is a child subreaper\n{res}"


# ---------------------------------------------------------------------------------------------
# The phases run in a child: PID 1 keeps nothing they loaded, and loses no signal at the boundary
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("project", ["nothing", "package.json"])
def test_phases_with_nothing_to_do_take_no_child(pe_pid1, project):
    """No database-url, no --wait, no package.json and no schema: the phases run in PID 1 itself, and
    the app is the second process of the namespace; with a package.json (the install phase may have
    work) a pe-phases child comes before it."""
    if project == "package.json":
        pe_pid1.path("package.json").write_text('{"name": "app", "version": "1.0.0"}\n')
    res = pe_pid1.run(["--", "sh", "-c", "echo $$"])
    assert res.returncode == 0, str(res)
    pid = int(res.stdout)
    # (not exactly 3: LeakSanitizer's tracer, when the phases' child exits under ASan, is a pid too)
    assert pid == 2 if project == "nothing" else pid > 2, f"the app is pid {pid}\n{res}"


def test_supervisor_keeps_none_of_the_libraries_the_phases_loaded(pe, pg):
    """The wait logs in with libpq (OpenSSL under it) and reads the URL with libcurl: all of that
    stays in the phases' child, which is gone once the app runs; PID 1 is as small as without a
    database."""
    p = pe.start(["--", "sleep", "30"], env={"DATABASE_URL": pg.url()})
    # the child named sleep, not p.app_pid(): under valgrind the phases' child is not named pe-phases
    # at once, and that guess could take it for the app (seen: the test then waited for it in vain)
    apps = wait_until(
        lambda: [k for k in children_of(p.epid()) if proc_comm(k) == "sleep"], 10, "the app to exec sleep", p
    )
    app = apps[0]
    # the phases' child ended before the app started; its reaping may come a moment after
    wait_until(lambda: children_of(p.epid()) == [app], 2, "the phases' child gone while the app runs", p)
    maps = Path(f"/proc/{p.epid()}/maps").read_text()
    kept = sorted({lib for lib in ("libpq", "libcurl", "libcrypto", "libssl") if lib in maps})
    assert kept == [], f"the supervisor still maps {kept} while the app runs"
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 143, str(res)
    assert re.search(r"postgres at .* ready after", res.stderr), str(res)


def test_sigterm_at_any_moment_of_a_start_is_never_lost(pe, pg, tmp_path):
    """SIGTERM sent at moments spread over a start (during the wait, as the phases' child ends, as
    the app starts): the start always ends with 143, either before the app (one line saying so) or
    by the app's own end of the signal; it never hangs and the app never runs on."""
    marker = pe.path("started")
    log = tmp_path / "stderr"
    app = ["sh", "-c", f"echo started > {shlex.quote(str(marker))}; exec sleep 30"]
    env = {"DATABASE_URL": pg.url()}

    def start():
        """Started, and past its first line: its signals are its own (valgrind's included)."""
        marker.unlink(missing_ok=True)
        p = pe.start(["--", *app], env=env, stderr_path=log)
        wait_until(lambda: "waiting for postgres" in log.read_text(), 10, "the wait to begin", p)
        return p, time.monotonic()

    p, begun = start()
    wait_until(marker.exists, 10, "the app to start", p)
    start_s = time.monotonic() - begun
    p.signal(signal.SIGTERM)
    assert p.wait().returncode == 143
    outcomes = set()
    for i in range(16):
        p, _ = start()
        time.sleep(start_s * i / 10)
        p.signal(signal.SIGTERM)
        res = p.wait(15)
        assert res.returncode == 143, str(res)
        if re.search(r"started sh \(pid \d+\)", res.stderr):
            outcomes.add("app")
            assert re.search(r"sh (was killed by SIGTERM|exited with status 143)", res.stderr), str(res)
        else:
            outcomes.add("before")
            assert re.search(r"^prisma-entrypoint: stopped (by SIGTERM )?(before|while|during)", res.stderr, re.M), str(
                res
            )
            assert not marker.exists(), f"the app ran but the log does not say it started\n{res}"
    assert outcomes == {"app", "before"}, f"the signals all landed on one side of the start: {outcomes}"


def fake_prisma_cli(pe, script: str) -> dict:
    """A schema with a client generator and a fake node_modules/.bin/prisma running script (sh), which
    the generate phase runs; the environment for a run without a database."""
    pe.path("schema.prisma").write_text(
        'generator client {\n  provider = "prisma-client-js"\n}\n'
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    )
    (pe.path("node_modules") / "prisma").mkdir(parents=True)
    (pe.path("node_modules") / "prisma" / "package.json").write_text('{"name":"prisma","version":"6.19.0"}')
    cli = pe.path("node_modules") / ".bin" / "prisma"
    cli.parent.mkdir()
    cli.write_text("#!/bin/sh\n" + script)
    cli.chmod(0o755)
    return {"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db", "PRISMA_ENTRYPOINT_NO_MIGRATE": "1"}


def test_processes_the_prisma_cli_leaves_are_reaped_by_the_phases_child_at_once(pe):
    """A Prisma CLI that leaves a process in its group: the phases' child kills it and hears it end
    (it is the subreaper of what it runs, as PID 1 was before the phases moved to a child), so the
    start neither waits out the 2 s after SIGKILL nor warns that the process survived it."""
    env = fake_prisma_cli(pe, "sleep 30 &\nexit 0\n")
    res = pe.run(["-v", "--no-wait", "--", "/bin/true"], env=env)
    assert res.returncode == 0, str(res)
    assert "the prisma CLI left processes in its group: sending them SIGKILL" in res.stderr, str(res)
    assert "survived SIGKILL" not in res.stderr, str(res)


def start_with_the_cli_running(pe):
    """A start whose phases' child runs a Prisma CLI that sleeps: (the entrypoint, the CLI's pid, the
    phases' child's pid), once the CLI runs. pe must not be PID 1 of its own namespace (the CLI's $$
    is a pid of this one)."""
    cli_pid = pe.path("cli.pid")
    env = fake_prisma_cli(pe, f"echo $$ > {shlex.quote(str(cli_pid))}\nexec sleep 30\n")
    p = pe.start(["--no-wait", "--", "/bin/true"], env=env)
    wait_until(lambda: cli_pid.exists() and cli_pid.read_text().strip(), 10, "the prisma CLI to start", p)
    phases = [k for k in children_of(p.epid()) if proc_comm(k) == "pe-phases"]
    assert len(phases) == 1, f"no phases' child among {children_of(p.epid())}"
    return p, int(cli_pid.read_text()), phases[0]


def test_a_killed_phases_child_leaves_no_prisma_cli_running(pe_plain):
    """SIGKILL for the phases' child (the out-of-memory killer) while the Prisma CLI runs: the CLI,
    in a process group of its own, does not run on after the entrypoint has said the phases were
    killed and exited 137."""
    p, cli, phases = start_with_the_cli_running(pe_plain)
    os.kill(phases, signal.SIGKILL)
    res = p.wait(15)
    assert res.returncode == 137, str(res)
    assert "the phases were killed by SIGKILL" in res.stderr, str(res)
    wait_until(lambda: not pid_alive(cli), 5, "the prisma CLI to be gone")


def test_a_killed_supervisor_leaves_no_phases_running(pe_plain):
    """SIGKILL for the entrypoint itself (not PID 1: the kernel does not end what it leaves) while the
    phases' child runs the Prisma CLI: the phases' child hears its parent's end (as a stop signal)
    and stops the CLI; nothing runs on."""
    p, cli, phases = start_with_the_cli_running(pe_plain)
    pe_plain.force_killed = True  # what it leaves comes to pytest, as zombies: checked here, reaped after
    os.kill(p.epid(), signal.SIGKILL)
    res = p.wait(15)
    assert res.returncode == -signal.SIGKILL or res.returncode == 137, str(res)
    wait_until(lambda: not pid_alive(phases), 10, "the phases' child to end")
    wait_until(lambda: not pid_alive(cli), 5, "the prisma CLI to be gone")


def test_the_supervisor_lets_go_of_its_start_pages_and_goes_on_supervising(pe, tmp_path):
    """0.2 s after the app's start, PID 1 drops the pages the start mapped of its own file (-vv says
    how many kB); what it runs afterwards faults back in: signals still reach the app."""
    log = tmp_path / "stderr"
    p = pe.start(["-vv", "--", "sleep", "30"], stderr_path=log)
    found = wait_until(
        lambda: re.search(r"dropped (\d+) kB of this program's file pages", log.read_text()), 10, "the drop", p
    )
    assert int(found.group(1)) > 0, log.read_text()
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 143, str(res)
    assert "sleep was killed by SIGTERM" in res.stderr, str(res)
