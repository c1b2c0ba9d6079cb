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


def run_demo(images):  # noqa: F811 (the fixture imported above)
    started = time.monotonic()
    p = subprocess.Popen(
        [str(REPO / "docker" / "demo.sh"), "--no-build"],
        env=images.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = p.communicate(timeout=DEMO_TIMEOUT)
    except subprocess.TimeoutExpired:
        # SIGTERM first: the demo's trap takes its project down and ends its engine; SIGKILL would not.
        p.terminate()
        try:
            stdout, stderr = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            stdout, stderr = p.communicate()
        pytest.fail(f"the demo did not end within {DEMO_TIMEOUT} s:\n{stdout}{stderr}")
    print(f"demo: {time.monotonic() - started:.0f} s\n{stdout}")
    return p, stdout + stderr


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
    proc = subprocess.Popen(
        [str(REPO / "docker" / "demo.sh"), "--no-build"],
        env=images.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's foreground job has
    )
    out = ""
    try:
        for line in proc.stdout:
            out += line
            if "containers started" in line:
                os.killpg(proc.pid, signal.SIGINT)
                break
        out += proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.terminate()  # the trap cleans up; SIGKILL only if it hangs
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130, out
    m = re.search(r"compose project (\S+) in (\S+)/app:", out)
    assert m, out
    assert leftovers(images, m.group(1)) == {}, out
    assert not Path(m.group(2)).exists(), out
