"""The images a team uses: docker/Dockerfile (the static binary, FROM scratch) and docker/example (a
Node + Prisma app image with the binary copied in), built by `make image` with podman, run for real.

Nothing can be pulled here: `make image` makes the base images it cannot pull
(docker/offline/base-images.sh: a debootstrap root imported as debian:bookworm-slim, a stand-in for
node:22-bookworm-slim with Debian's nodejs). The Dockerfiles are built unmodified. The example image
runs against a real PostgreSQL on loopback (--network host) with the real Prisma CLI inside.

These tests run in the static pass of `make test` (the image holds the static build), marked
`container`; they skip with the reason when podman cannot run containers here.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from pg import free_port
from test_container import STOP_GRACE, podman  # noqa: F401 (podman is a fixture)
from conftest import BIN, is_static

pytestmark = [
    pytest.mark.container,
    pytest.mark.skipif(not is_static(BIN), reason="the images hold the static build: tested in its pass"),
]

REPO = Path(__file__).resolve().parents[2]
BINARY_IMAGE = "localhost/prisma-entrypoint:latest"
EXAMPLE_IMAGE = "localhost/prisma-entrypoint-example:latest"
BUILD_TIMEOUT = 1800  # a cold build compiles OpenSSL, libpq and libcurl, and makes two base images
SIZE_LIMIT = 5 * 1000 * 1000
STOP_LIMIT = 2.0


@pytest.fixture(scope="module")
def images(podman):  # noqa: F811 (the fixture imported above)
    """`make image`, as a user runs it, with podman (the build log is kept for a failure)."""
    env = dict(podman.env, ENGINE="podman", IMAGE_BUILD_FLAGS="--runtime runc --network host")
    started = time.monotonic()
    p = subprocess.run(["make", "-C", str(REPO), "image"], env=env, capture_output=True, text=True,
                       timeout=BUILD_TIMEOUT)
    if p.returncode != 0:
        pytest.fail(f"make image failed ({p.returncode}) after {time.monotonic() - started:.0f} s:\n"
                    f"{p.stdout[-4000:]}\n{p.stderr[-4000:]}")
    print(f"make image: {time.monotonic() - started:.0f} s")
    return podman


class Example:
    """Containers of the example image, removed after the test."""

    def __init__(self, podman, database_url: str):
        self.podman = podman
        self.database_url = database_url
        self.names = []

    def start(self, *extra: str) -> str:
        name = f"pe-example-{uuid.uuid4().hex[:10]}"
        self.names.append(name)
        self.podman("run", "-d", "--pull=never", "--name", name, "--network", "host", "--log-driver", "k8s-file",
                    "-e", f"DATABASE_URL={self.database_url}", "-e", f"PORT={free_port()}", *extra,
                    EXAMPLE_IMAGE)
        return name

    def logs(self, name: str) -> str:
        p = self.podman("logs", name, check=False)
        return p.stdout + p.stderr

    def wait_for(self, name: str, text: str, seconds: float = 90) -> str:
        deadline = time.monotonic() + seconds
        while True:
            logs = self.logs(name)
            if text in logs:
                return logs
            status = self.podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
            if status == "exited" or time.monotonic() > deadline:
                pytest.fail(f"{name}: no {text!r} ({status}); logs:\n{logs}")
            time.sleep(0.2)

    def stop(self, name: str) -> tuple[float, int]:
        started = time.monotonic()
        self.podman("stop", "-t", str(STOP_GRACE), name, timeout=STOP_GRACE + 60)
        took = time.monotonic() - started
        code = int(self.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip())
        return took, code

    def cleanup(self):
        for name in self.names:
            self.podman("rm", "-f", "-t", "0", name, check=False)


@pytest.fixture
def example(images, pg_factory, pg):
    database = f"example_{uuid.uuid4().hex[:8]}"
    pg.create_database(database)
    runner = Example(images, pg.url(database=database))
    runner.database = database
    yield runner
    runner.cleanup()


def test_binary_image_is_small_and_runs(images):
    inspect = json.loads(images("image", "inspect", BINARY_IMAGE).stdout)[0]
    size = inspect["Size"]
    assert size < SIZE_LIMIT, f"the binary's image is {size} bytes"
    labels = inspect["Config"]["Labels"]
    for label in ("version", "source", "licenses", "revision"):
        assert f"org.opencontainers.image.{label}" in labels, labels
    out = images("run", "--rm", "--pull=never", BINARY_IMAGE, "version", "-v").stdout
    assert out.startswith("prisma-entrypoint "), out
    assert "build: static" in out, out
    assert inspect["Config"]["Entrypoint"] == ["/prisma-entrypoint"], inspect["Config"]
    # FROM scratch with one file: a container's file system holds nothing else.
    name = f"pe-binary-{uuid.uuid4().hex[:10]}"
    images("create", "--name", name, BINARY_IMAGE)
    try:
        exported = subprocess.run(["podman", "--runtime", "runc", "export", name], env=images.env,
                                  capture_output=True, timeout=120, check=True).stdout
    finally:
        images("rm", "-f", name, check=False)
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        files = [member.name for member in tar.getmembers() if not member.isdir()]
    assert files == ["prisma-entrypoint"], files


def test_example_waits_generates_nothing_migrates_runs_and_stops(example, pg):
    name = example.start()
    logs = example.wait_for(name, "app: listening")
    assert "postgres at 127.0.0.1:" in logs and "ready after" in logs, logs
    assert "generate skipped" in logs, logs  # generated at build time, with the record beside it
    assert "running prisma migrate deploy" in logs, logs
    assert "app: connected, 0 user(s)" in logs, logs
    # The entrypoint's own lines (podman logs gives them apart from the app's stdout) in phase order.
    order = [logs.index(s) for s in ("ready after", "generate skipped", "running prisma migrate deploy",
                                     "started node")]
    assert order == sorted(order), logs
    applied = pg.psql("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL",
                      database=example.database)
    assert applied.split() == ["20261121151118_init"], applied
    took, code = example.stop(name)
    assert code == 0, example.logs(name)  # the app's own exit status, after its SIGTERM handler
    assert took < STOP_LIMIT, f"podman stop took {took:.2f} s"
    assert "app: SIGTERM received" in example.logs(name)

    again = example.start()
    logs = example.wait_for(again, "app: listening")
    assert "migrate skipped" in logs and "running prisma migrate deploy" not in logs, logs

    read_only = example.start("--read-only")
    logs = example.wait_for(read_only, "app: listening")
    assert "generate skipped" in logs and "migrate skipped" in logs, logs


def test_example_started_before_postgresql_waits(images, pg_fresh):
    runner = Example(images, pg_fresh.url())
    try:
        name = runner.start()
        runner.wait_for(name, "waiting for postgres")
        time.sleep(1.0)
        pg_fresh.start()
        logs = runner.wait_for(name, "app: listening")
        assert "ready after" in logs and "app: connected" in logs, logs
    finally:
        runner.cleanup()
