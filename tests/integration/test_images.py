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
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from pg import free_port
from test_container import Containers, podman  # noqa: F401 (podman is a fixture)
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
    p = subprocess.run(
        ["make", "-C", str(REPO), "image"], env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )
    if p.returncode != 0:
        pytest.fail(
            f"make image failed ({p.returncode}) after {time.monotonic() - started:.0f} s:\n"
            f"{p.stdout[-4000:]}\n{p.stderr[-4000:]}"
        )
    print(f"make image: {time.monotonic() - started:.0f} s")
    return podman


@pytest.fixture
def example(images, pg):
    """Containers of the example image against a fresh database of the session's cluster."""
    database = f"example_{uuid.uuid4().hex[:8]}"
    pg.create_database(database)
    containers = Containers(images, EXAMPLE_IMAGE)
    containers.database = database
    containers.env = {"DATABASE_URL": pg.url(database=database)}
    yield containers
    containers.cleanup()


def start_example(containers, options=()):
    """One container of the example app on a port of its own (the network is the host's)."""
    return containers.start(env={**containers.env, "PORT": str(free_port())}, options=options)


def test_binary_image_is_small_and_runs(images):
    inspect = json.loads(images("image", "inspect", BINARY_IMAGE).stdout)[0]
    size = inspect["Size"]
    assert size < SIZE_LIMIT, f"the binary's image is {size} bytes"
    labels = inspect["Config"]["Labels"]
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert labels["org.opencontainers.image.version"] == makefile_version(), labels
    assert labels["org.opencontainers.image.revision"] == head, labels
    assert "org.opencontainers.image.source" in labels, labels  # empty in a clone without a remote
    assert "Apache-2.0" in labels["org.opencontainers.image.licenses"], labels  # OpenSSL is inside
    out = images("run", "--rm", "--pull=never", BINARY_IMAGE, "version", "-v").stdout
    assert out.startswith("prisma-entrypoint "), out
    assert "build: static" in out, out
    assert inspect["Config"]["Entrypoint"] == ["/prisma-entrypoint"], inspect["Config"]
    # FROM scratch with one file: a container's file system holds nothing else.
    name = f"pe-binary-{uuid.uuid4().hex[:10]}"
    images("create", "--name", name, BINARY_IMAGE)
    try:
        exported = subprocess.run(
            ["podman", "--runtime", "runc", "export", name],
            env=images.env,
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout
    finally:
        images("rm", "-f", name, check=False)
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        files = [member.name for member in tar.getmembers() if not member.isdir()]
    assert files == ["prisma-entrypoint"], files


def test_example_waits_generates_nothing_migrates_runs_and_stops(example, pg):
    name = start_example(example)
    logs = example.wait_for_log(name, "app: listening", timeout=90)
    assert "postgres at 127.0.0.1:" in logs and "ready after" in logs, logs
    assert "generate skipped" in logs, logs  # generated at build time, with the record beside it
    assert "running prisma migrate deploy" in logs, logs
    assert "app: connected, 0 user(s)" in logs, logs
    # The entrypoint's own lines (podman logs gives them apart from the app's stdout) in phase order.
    order = [
        logs.index(s) for s in ("ready after", "generate skipped", "running prisma migrate deploy", "started node")
    ]
    assert order == sorted(order), logs
    applied = pg.psql(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL", database=example.database
    )
    assert applied.split() == ["20261121151118_init"], applied
    took = example.stop(name)
    assert example.exit_code(name) == 0, example.logs(name)  # the app's own status, from its SIGTERM handler
    assert took < STOP_LIMIT, f"podman stop took {took:.2f} s"
    assert "app: SIGTERM received" in example.logs(name)

    again = start_example(example)
    logs = example.wait_for_log(again, "app: listening", timeout=60)
    assert "migrate skipped" in logs and "running prisma migrate deploy" not in logs, logs

    read_only = start_example(example, options=["--read-only"])
    logs = example.wait_for_log(read_only, "app: listening", timeout=60)
    assert "generate skipped" in logs and "migrate skipped" in logs, logs


def test_example_read_only_root_deploys_on_a_fresh_database(example, pg):
    """compose-examples/production and kubernetes: a read-only root file system, the image's non-root
    user and a tmpfs on /tmp are enough for the start to apply migrations (not only to skip them)."""
    name = start_example(example, options=["--read-only", "--tmpfs", "/tmp"])
    logs = example.wait_for_log(name, "app: listening", timeout=90)
    assert "generate skipped" in logs and "running prisma migrate deploy" in logs, logs
    user = example.podman("inspect", "--format", "{{.Config.User}}", name).stdout.strip()
    assert user == "node", user
    applied = pg.psql(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL", database=example.database
    )
    assert applied.split() == ["20261121151118_init"], (applied, logs)


def test_example_started_before_postgresql_waits(images, pg_fresh):
    containers = Containers(images, EXAMPLE_IMAGE)
    containers.env = {"DATABASE_URL": pg_fresh.url()}
    try:
        name = start_example(containers)
        containers.wait_for_log(name, "waiting for postgres")
        time.sleep(1.0)
        pg_fresh.start()
        logs = containers.wait_for_log(name, "app: listening", timeout=90)
        assert "ready after" in logs and "app: connected" in logs, logs
    finally:
        containers.cleanup()


# ---------------------------------------------------------------------------------------------
# what the images are built from stays in step (no podman needed)
# ---------------------------------------------------------------------------------------------


def makefile_version() -> str:
    return re.search(r"^VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M).group(1)


def test_dockerfile_default_version_is_the_makefiles():
    """A plain `docker build` (without make's --build-arg) labels the image with the right version."""
    text = (REPO / "docker" / "Dockerfile").read_text()
    defaults = re.findall(r"^ARG VERSION=(\S+)$", text, re.M)
    assert defaults and set(defaults) == {makefile_version()}, defaults


def test_example_app_pins_what_the_fixture_app_pins():
    """docker/example is the app users copy, tests/fixtures/app the one the suites run: the same
    packages at the same versions, the same migrations."""

    def packages(app):
        lock = json.loads((app / "package-lock.json").read_text())
        return {k: v for k, v in lock["packages"].items() if k}

    def migrations(app):
        folder = app / "prisma" / "migrations"
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    example, fixture = REPO / "docker" / "example", REPO / "tests" / "fixtures" / "app"
    assert packages(example) == packages(fixture)
    assert migrations(example) == migrations(fixture)


def readme_compose_snippets() -> list:
    """Every compose file in the README: indented blocks and ```yaml blocks that start with services:."""
    readme = (REPO / "README.md").read_text()
    indented = [
        "\n".join(line[4:] for line in m.group(0).strip("\n").splitlines())
        for m in re.finditer(r"\n    services:\n(?:    .*\n|\n)+", readme)
    ]
    fenced = re.findall(r"```yaml\n(services:\n.*?)```", readme, re.S)
    return indented + fenced


def test_readme_compose_snippets_are_valid():
    """The Quick start's compose lines, the status healthcheck and the development loop's compose
    file, as docker-compose reads them."""
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    snippets = readme_compose_snippets()
    assert len(snippets) >= 3, f"expected the README's compose snippets, found {len(snippets)}"
    for text in snippets:
        with tempfile.TemporaryDirectory() as tmp:
            compose = Path(tmp) / "compose.yml"
            compose.write_text(text.rstrip("\n") + "\n")
            p = subprocess.run(["docker-compose", "-f", str(compose), "config", "-q"], capture_output=True, text=True)
        assert p.returncode == 0, f"{p.stderr}\n{text}"
