"""`make demo` (docker/demo.sh): the development example of compose-examples/dev started for real with
compose, on podman's Docker API here, and taken through what a user does by hand: the first start,
an edit of the schema on the host, a migration dropped in, `status` after each, then `down`.

This is also the dev example's end-to-end test: it starts, the app answers, a schema edit on the host
reaches the app without a manual restart, and `down` ends everything with the documented exit codes
(the app exits 0 on SIGTERM), leaving no container, volume, network or folder behind.

Runs in the static pass of `make test` after `make image` (the `images` fixture of test_images), with
`--no-build`; the dev image's own build reaches npm's registry (builds may use the host's network).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, is_static
from test_container import podman  # noqa: F401 (a fixture)
from test_images import images  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.container,
    pytest.mark.skipif(not is_static(BIN), reason="the images hold the static build: tested in its pass"),
]

REPO = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT = 900  # a cold dev image build runs npm ci against the registry


def as_a_terminals_job():
    """In the child before the exec: SIGINT back to its default. A test run started in the background
    (`make test &`, nohup) has it ignored, that is inherited, and bash cannot trap a signal ignored when
    it started: Ctrl-C at a terminal never comes to a job that ignores it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_demo(images):  # noqa: F811 (the fixture imported above)
    """docker/demo.sh --no-build in a process group of its own, as a terminal's foreground job."""
    return subprocess.Popen(
        [str(REPO / "docker" / "demo.sh"), "--no-build"],
        env=images.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=as_a_terminals_job,
    )


def end_demo(proc, timeout):
    """Its output once it has ended by itself within timeout, else None once it is ended: SIGTERM first,
    for the demo's trap to take its project down and end its engine (SIGKILL would not)."""
    try:
        return proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        return None


def run_demo(images):  # noqa: F811
    started = time.monotonic()
    p = start_demo(images)
    out = end_demo(p, DEMO_TIMEOUT)
    if out is None:
        pytest.fail(f"the demo did not end within {DEMO_TIMEOUT} s")
    print(f"demo: {time.monotonic() - started:.0f} s\n{out}")
    return p, out


def step(out, number):
    """The narration of one step: from its line to the next step's."""
    start = out.index(f"step {number}:")
    end = out.find(f"step {number + 1}:", start)
    return out[start : end if end >= 0 else len(out)]


def leftovers(images, project):  # noqa: F811
    label = f"label=com.docker.compose.project={project}"
    found = {}
    for kind, cmd in {
        "containers": ["ps", "-a", "-q", "--filter", label],
        "volumes": ["volume", "ls", "-q", "--filter", label],
        "networks": ["network", "ls", "-q", "--filter", label],
    }.items():
        ids = images(*cmd).stdout.split()
        if ids:
            found[kind] = ids
    return found


def test_demo_runs_the_dev_loop_and_leaves_nothing(images):  # noqa: F811
    p, out = run_demo(images)
    assert p.returncode == 0, out
    m = re.search(r"compose project (\S+) in (\S+)/app:", out)
    assert m, out
    project, scratch = m.group(1), Path(m.group(2))

    first = step(out, 1)
    assert 'the app answers: {"users":0,"fields":["id","email","name"]}' in first, first
    assert "postgres at db:5432 ready after" in first, first
    # The image installed and generated: the volume starts as its copy, and the start skips both.
    assert "install skipped" in first and "generate skipped" in first, first
    assert "npm ci" not in first and "generating the prisma client" not in first, first
    assert "running prisma migrate deploy: 1 migration pending" in first, first
    assert "status: exit 0" in first and "migrations: up to date (1 applied)" in first, first

    edit = step(out, 2)
    assert "restarting node (prisma/schema.prisma changed)" in edit, edit
    assert "generating the prisma client: the inputs changed" in edit, edit
    assert '"fields":["id","email","name","hostname"]' in edit, edit
    assert "status: exit 0" in edit, edit

    migration = step(out, 3)
    assert "restarting node (prisma/migrations/20261207120000_add_hostname/migration.sql changed)" in migration
    assert "1 migration pending, first 20261207120000_add_hostname" in migration, migration
    assert "the User table's columns in PostgreSQL: id,email,name,hostname" in migration, migration
    assert "status: exit 0" in migration and "migrations: up to date (2 applied)" in migration, migration

    down = step(out, 4)
    assert "app exited 0, db exited 0" in down, down  # both stop cleanly on SIGTERM
    assert "no container, volume or network of the project is left" in down, down
    assert leftovers(images, project) == {}
    assert not scratch.exists(), scratch


def test_demo_interrupted_leaves_nothing(images):  # noqa: F811
    """Ctrl-C in the middle of the first start: the trap takes everything down. Ctrl-C is SIGINT to the
    terminal's foreground process group, the demo and the command it runs (curl, compose) alike: bash
    runs its INT trap once that command has died of it (a SIGINT to bash alone, while a command it waits
    for exits normally, bash may take as handled by that command)."""
    proc = start_demo(images)
    out = ""
    for line in proc.stdout:
        out += line
        if "containers started" in line:
            os.killpg(proc.pid, signal.SIGINT)
            break
    rest = end_demo(proc, 120)
    assert rest is not None, f"the demo did not end within 120 s of Ctrl-C\n{out}"
    out += rest
    assert proc.returncode == 130, out
    m = re.search(r"compose project (\S+) in (\S+)/app:", out)
    assert m, out
    assert leftovers(images, m.group(1)) == {}, out
    assert not Path(m.group(2)).exists(), out
