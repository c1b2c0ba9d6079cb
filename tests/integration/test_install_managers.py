"""install = auto with pnpm, yarn 1 (classic) and yarn 4 (berry), the real package managers.

test_install.py covers npm with the fixture app. Here each manager installs a one-package project
(tests/fixtures/install-projects/<manager>: package.json and the manager's own lockfile, as the
manager wrote it). The managers themselves come pinned from tests/fixtures/package-managers,
installed once per lock file into the tests' cache (conftest's package_managers). Each is found
in PATH through a call-recording wrapper, so that a test can prove which install ran, with which
arguments, or that nothing was spawned. The managers' download caches live in the tests' cache too.
"""

import json
import shutil
from pathlib import Path

import pytest

from npm_app import RECORD, cache_root, read_calls, read_record, write_wrapper

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "install-projects"
INSTALL_RECORD = RECORD.parent / "install-record"
EXIT_INSTALL = 83
APP = ["--no-wait", "--no-generate", "--no-migrate", "--", "node", "-e", "require('is-number')"]

# manager -> (program in PATH, the lockfile, the frozen install's arguments, the file the manager writes
# into node_modules after an install)
MANAGERS = {
    "pnpm": ("pnpm", "pnpm-lock.yaml", ["install", "--frozen-lockfile"], ".pnpm/lock.yaml"),
    "yarn": ("yarn", "yarn.lock", ["install", "--frozen-lockfile"], ".yarn-integrity"),
    "berry": ("yarn", "yarn.lock", ["install", "--immutable"], ".yarn-state.yml"),
}


class ManagerProject:
    def __init__(self, pe, script: Path, manager: str):
        self.pe = pe
        self.manager = manager
        self.program, self.lockfile, self.args, self.installed = MANAGERS[manager]
        self.root = pe.cwd
        shutil.copytree(FIXTURES / manager, self.root, dirs_exist_ok=True)
        self.log = pe.tmp / "calls.log"
        self.bin = pe.tmp / "bin"
        write_wrapper(self.bin / self.program, self.log, script)
        self.record = self.root / INSTALL_RECORD
        caches = cache_root() / "package-manager-caches"
        self.env = {
            "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin",
            "PRISMA_ENTRYPOINT_INSTALL": "auto",
            "npm_config_store_dir": caches / "pnpm-store",  # pnpm reads npm_config_*
            "YARN_CACHE_FOLDER": caches / "yarn-classic",
            "YARN_GLOBAL_FOLDER": caches / "yarn-berry",
            "YARN_ENABLE_TELEMETRY": "0",
            "YARN_ENABLE_GLOBAL_CACHE": "1",
            "CI": "1",  # no prompts, no progress bars
        }

    def run(self, *args):
        return self.pe.run([*args, *APP], env=self.env, seconds=180)

    def calls(self) -> list:
        return [c["args"] for c in read_calls(self.log)]


@pytest.fixture(params=sorted(MANAGERS))
def project(request, pe_plain, package_managers):
    return ManagerProject(pe_plain, package_managers[request.param], request.param)


def test_the_managers_frozen_install_runs_once_then_nothing_is_spawned(project):
    res = project.run()
    assert res.returncode == 0, str(res)
    assert f"installing the packages of {project.lockfile}: " in res.stderr, str(res)
    assert f"packages of {project.lockfile} installed in" in res.stderr, str(res)
    assert project.calls() == [project.args], str(res)
    assert (project.root / "node_modules" / "is-number" / "package.json").is_file(), str(res)
    assert read_record(project.record).get("lockfile") == project.lockfile

    res = project.run()
    assert res.returncode == 0, str(res)
    assert f"node_modules is in sync with {project.lockfile} (install record): install skipped" in res.stderr
    assert project.calls() == [project.args], f"{project.manager} ran again although nothing changed\n{res}"


def test_an_install_made_by_the_manager_itself_is_trusted_without_a_record(project):
    """node_modules as an image's build leaves it: installed by the manager, no record of ours."""
    res = project.run()
    assert res.returncode == 0, str(res)
    project.record.unlink()
    assert (project.root / "node_modules" / project.installed).exists(), str(res)
    res = project.run()
    assert res.returncode == 0, str(res)
    who = "pnpm's" if project.manager == "pnpm" else "yarn's"
    assert f"node_modules is in sync with {project.lockfile} ({who}): install skipped" in res.stderr, str(res)
    assert len(project.calls()) == 1, str(res)


def test_a_lockfile_that_does_not_match_package_json_fails_with_83(project):
    pj = project.root / "package.json"
    data = json.loads(pj.read_text())
    data["dependencies"]["left-pad"] = "1.3.0"  # not in the lockfile: a frozen install refuses
    pj.write_text(json.dumps(data, indent=2) + "\n")
    res = project.run()
    assert res.returncode == EXIT_INSTALL, str(res)
    assert project.calls() == [project.args], str(res)
    assert f"{project.program} {' '.join(project.args)} failed (exit status" in res.stderr, str(res)
    assert "the app was not started, no install record was written" in res.stderr, str(res)
    assert not project.record.exists(), str(res)
