"""install = auto: the lockfile's frozen install (`npm ci`) before generate, exactly when package.json
or the lockfile changed since the last install (or node_modules is empty), against the real npm.

Each test works in a copy of the fixture app (test_generate.App). npm is found in PATH through a
call-recording wrapper (npm_app.install_npm_wrapper), so that a test can prove an install ran, or
that nothing was spawned. The installs that do run are real `npm ci`s of the fixture's own lock
file, satisfied offline from the tests' npm cache (npm_app.offline_npm_env). Two of them here.
"""

import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import wait_until
from npm_app import (
    RECORD,
    SHARED_PACKAGES,
    install_npm_wrapper,
    offline_npm_env,
    read_calls,
    read_record,
    remove_node_modules,
)
from test_generate import GENERATED, HEX64, make_app

INSTALL_RECORD = RECORD.parent / "install-record"
EXIT_INSTALL = 83
HIDDEN_LOCK = "node_modules/.package-lock.json"  # what npm itself wrote after its install


class InstallApp:
    """test_generate's App with npm behind a recording wrapper in PATH."""

    def __init__(self, app):
        self.app = app
        self.root = app.root
        self.npm_log = app.pe.tmp / "npm-calls.log"
        self.bin = app.pe.tmp / "bin"
        install_npm_wrapper(self.bin, self.npm_log)
        self.record = self.root / INSTALL_RECORD

    def env(self, extra=None) -> dict:
        return {
            **offline_npm_env(self.app.pe.tmp / "npm-logs"),
            "PATH": f"{self.bin}:{os.environ.get('PATH', '')}",
            "PRISMA_ENTRYPOINT_INSTALL": "auto",
            **(extra or {}),
        }

    def run(self, *opts, env=None, seconds: float = 300):
        return self.app.run(*opts, env=self.env(env), seconds=seconds)

    def start(self, *opts, env=None):
        """A start of its own (the app's marker is shared: app_ran says whether any start ran it)."""
        return self.app.pe.start(self.app.args(*opts), env=self.app.env(self.env(env)))

    def npm_calls(self) -> list:
        return read_calls(self.npm_log)

    def set_mtime(self, rel: str, when: float):
        os.utime(self.root / rel, (when, when))

    def lockfile_pulled(self):
        """package-lock.json as a git pull leaves it: newer than npm's last install."""
        self.set_mtime("package-lock.json", time.time() + 5)

    def inputs_older_than_install(self):
        """package.json and the lockfile as an image build leaves them: older than npm's install."""
        old = os.stat(self.root / HIDDEN_LOCK).st_mtime - 60
        self.set_mtime("package.json", old)
        self.set_mtime("package-lock.json", old)

    def unshare_shared_packages(self):
        """copy_app symlinks a few packages into the tests' cache: an install must remove links of
        its own, never touch the cache, so they go before one runs (npm ci installs them again)."""
        for name in SHARED_PACKAGES:
            link = self.root / "node_modules" / name
            if link.is_symlink():
                link.unlink()


@pytest.fixture
def iapp(pe_plain, npm_node_modules):
    a = make_app(pe_plain, npm_node_modules)
    yield InstallApp(a)
    remove_node_modules(a.root)


def test_in_sync_by_npms_own_record_spawns_nothing(iapp):
    iapp.inputs_older_than_install()
    res = iapp.run()
    assert res.returncode == 0, str(res)
    assert "node_modules is in sync with package-lock.json (npm's): install skipped" in res.stderr, str(res)
    assert iapp.npm_calls() == [], f"npm ran although node_modules is in sync\n{res}"
    assert not iapp.record.exists(), str(res)
    assert iapp.app.app_ran, str(res)


def test_install_off_never_looks(iapp):
    iapp.lockfile_pulled()
    res = iapp.run(env={"PRISMA_ENTRYPOINT_INSTALL": "off"})
    assert res.returncode == 0, str(res)
    assert iapp.npm_calls() == [] and "install" not in res.stderr, str(res)


def test_pulled_lockfile_installs_once_then_generate_runs_and_the_next_start_spawns_nothing(iapp):
    iapp.unshare_shared_packages()
    iapp.lockfile_pulled()
    (iapp.root / "node_modules" / "stale-marker").write_text("left by an older install\n")
    iapp.app.marker.unlink(missing_ok=True)
    first = iapp.start("--prisma-output-prefix", "[npm] ")
    # A second container's start, once npm ci has emptied node_modules (the generate lock's file
    # with it): it must wait for the install, then find it done, and never run npm itself.
    lock_file = iapp.root / RECORD.parent / "generate-record.lock"
    wait_until(lambda: iapp.npm_calls() and not lock_file.exists(), 120, "npm ci emptying node_modules", first)
    second = iapp.start()
    res = first.wait(300)
    other = second.wait(300)
    assert other.returncode == 0, f"{other}\n{res}"
    assert "another process is installing into node_modules (lock node_modules): waiting" in other.stderr, str(other)
    assert (
        "packages of package-lock.json were installed by another process meanwhile" in other.stderr
    ), f"{other}\n{res}"
    assert res.returncode == 0, str(res)
    calls = iapp.npm_calls()
    assert [c["args"] for c in calls] == [["ci"]], f"expected one `npm ci`, got {calls}\n{res}"
    assert os.path.realpath(calls[0]["cwd"]) == os.path.realpath(iapp.root), calls
    assert "installing the packages of package-lock.json: no install record at" in res.stderr, str(res)
    assert "packages of package-lock.json installed in" in res.stderr, str(res)
    assert "[npm] " in res.stdout + res.stderr, f"npm's output should be relayed with the prefix\n{res}"
    assert not (iapp.root / "node_modules" / "stale-marker").exists(), "npm ci did not replace node_modules"
    record = read_record(iapp.record)
    assert HEX64.match(record.get("digest", "")) and record.get("lockfile") == "package-lock.json", record
    # the install emptied node_modules, the client with it: generate must have run after it, in one
    # of the two starts (the other finds it done, after waiting for the generate lock or not)
    generated = [r for r in (res, other) if GENERATED.search(r.stderr)]
    assert len(generated) == 1, f"generate did not run once after the install\n{res}\n{other}"
    assert "generate skipped" in (other if generated[0] is res else res).stderr, f"{res}\n{other}"
    assert (iapp.app.client / "index.js").is_file(), str(res)
    assert iapp.app.app_ran, str(res)

    before = iapp.record.read_bytes()
    res = iapp.run()
    assert res.returncode == 0, str(res)
    assert "node_modules is in sync with package-lock.json (install record): install skipped" in res.stderr, str(res)
    assert "generate skipped" in res.stderr and not GENERATED.search(res.stderr), str(res)
    assert len(iapp.npm_calls()) == 1, f"npm ran again although nothing changed: {iapp.npm_calls()}\n{res}"
    assert iapp.record.read_bytes() == before
    assert iapp.app.app_ran, str(res)

    # the record, not the times, decides from now on: package.json edited -> install again
    pj = iapp.root / "package.json"
    data = json.loads(pj.read_text())
    data["description"] += " (edited)"
    pj.write_text(json.dumps(data, indent=2) + "\n")
    iapp.inputs_older_than_install()
    res = iapp.run()
    assert res.returncode == 0, str(res)
    assert "package.json or package-lock.json changed since the last install" in res.stderr, str(res)
    assert len(iapp.npm_calls()) == 2, str(res)
    assert read_record(iapp.record)["digest"] != record["digest"], str(res)


def test_lockfile_that_does_not_match_package_json_fails_with_83_and_no_record(iapp):
    iapp.unshare_shared_packages()
    pj = iapp.root / "package.json"
    data = json.loads(pj.read_text())
    data["dependencies"]["left-pad"] = "1.3.0"  # not in package-lock.json: npm ci refuses
    pj.write_text(json.dumps(data, indent=2) + "\n")
    res = iapp.run()
    assert res.returncode == EXIT_INSTALL, str(res)
    assert [c["args"] for c in iapp.npm_calls()] == [["ci"]], str(res)
    assert "npm ci failed (exit status 1): the app was not started, no install record was written" in res.stderr
    assert not iapp.record.exists(), str(res)
    assert not iapp.app.app_ran, str(res)
    assert not GENERATED.search(res.stderr), str(res)


def test_no_npm_in_path_fails_with_83(iapp):
    iapp.lockfile_pulled()
    res = iapp.run(env={"PATH": "/nonexistent"})
    assert res.returncode == EXIT_INSTALL, str(res)
    assert "'npm' is not in PATH (/nonexistent)" in res.stderr, str(res)
    assert not iapp.app.app_ran, str(res)


def _mount_works() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    p = subprocess.run([unshare, "--mount", "sh", "-c", "mount -t tmpfs none /mnt"], capture_output=True)
    return p.returncode == 0


def run_with_empty_volume(iapp, env):
    """The entrypoint in a mount namespace of its own where an empty tmpfs hides node_modules, as
    an anonymous volume (`- /app/node_modules`) does in a container."""
    if not _mount_works():
        pytest.skip("cannot mount a tmpfs in a new mount namespace here (`unshare --mount` + mount failed)")
    app = iapp.app
    app.marker.unlink(missing_ok=True)
    args = app.args()
    proc = app.pe.start(
        args,
        env=app.env(iapp.env(env)),
        argv=[
            shutil.which("unshare"),
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount -t tmpfs none node_modules && exec "$@"',
            "sh",
            *app.pe.argv(args),
        ],
    )
    return proc.wait(120)


def test_empty_volume_over_node_modules_warns_with_install_off(iapp):
    res = run_with_empty_volume(iapp, {"PRISMA_ENTRYPOINT_INSTALL": "off", "PRISMA_ENTRYPOINT_NO_GENERATE": "1"})
    assert res.returncode == 0, str(res)
    lines = [line for line in res.stderr.splitlines() if "empty volume" in line]
    assert len(lines) == 1, str(res)
    assert "warning" in lines[0] and "set install = auto" in lines[0], lines
    assert iapp.npm_calls() == [], str(res)


def test_empty_volume_over_node_modules_says_so_then_installs_with_auto(iapp):
    pj = iapp.root / "package.json"
    data = json.loads(pj.read_text())
    data["dependencies"]["left-pad"] = "1.3.0"  # npm ci refuses at once: no 175 MB install into tmpfs
    pj.write_text(json.dumps(data, indent=2) + "\n")
    res = run_with_empty_volume(iapp, {})
    assert "'node_modules' is an empty volume mounted over the image's: installing the packages of " in res.stderr
    assert "installing the packages of package-lock.json: node_modules is empty" in res.stderr, str(res)
    assert [c["args"] for c in iapp.npm_calls()] == [["ci"]], str(res)
    assert res.returncode == EXIT_INSTALL, str(res)
