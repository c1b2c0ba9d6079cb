"""Three compose examples run for real: compose-examples/replicas, compose-examples/healthcheck and
compose-examples/makefile, with docker-compose (1.29) against an engine; replicas' compose.yaml exactly
as users copy it (plus an override of its images), healthcheck's without its published port (see
healthcheck_files); makefile's targets run with make in a scratch project as its README has users make
it (see MakefileProject), each target's effect checked.

The engine is docker/offline/compose-engine.sh's: Docker when it answers, else podman's Docker API on a
socket. The containers talk on the projects' own bridge networks. Podman's service stays in the host's
network namespace: podman's name server for those networks (one aardvark-dns for every podman user of
the machine) answers only in the namespace it was started in, so a service in a namespace of its own
finds `db` unresolvable whenever another podman user's network is up (seen: "no answer in time
resolving 'db'"), and its own name server would leave theirs without answers.

The images are `make image`'s (the `images` fixture of test_images) and base-images.sh's stand-ins under
the official names (postgres:16, node:22-bookworm-slim): podman's API resolves the examples' short names
to the local images (localhost/prisma-entrypoint-example, docker.io/library/postgres), nothing is pulled.
The tests still run them by ID, pinned right after `make image` (Engine.pin_images), through an override
file (replicas) or the copy (healthcheck): other worktrees on one machine tag their builds alike.

Podman here runs no healthcheck by itself (it schedules them with systemd timers, and there is no
systemd): the test is the timer, running `podman healthcheck run` (the container's own check) every
half second. docker-compose's `condition: service_healthy` reads the container's State.Health.Status
through podman's API and waits for it as it does on Docker.

In the static pass of `make test` (the images hold the static build), marked `container`.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from conftest import BIN, is_static
from test_container import podman  # noqa: F401 (a fixture: the one images uses)
from test_images import images  # noqa: F401 (a fixture: make image with podman)

pytestmark = [
    pytest.mark.container,
    pytest.mark.skipif(not is_static(BIN), reason="the images hold the static build: tested in its pass"),
]

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "compose-examples"
COMPOSE_ENGINE = REPO / "docker" / "offline" / "compose-engine.sh"
COMMAND_TIMEOUT = 180  # any one compose or engine command: a wedged engine fails the test, not hangs it
MIGRATION = "20261121151118_init"  # docker/example's one migration
HEALTH_TIMER = 0.5  # seconds between two healthchecks when the test is podman's timer


class Engine:
    """The engine compose-engine.sh gave, its CLI (docker or podman) and docker-compose's environment."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = dict(os.environ)
        self.env.pop("COMPOSE_FILE", None)
        self.projects = []  # (project name, compose files) of every project not yet down, for the teardown
        p = subprocess.run([str(COMPOSE_ENGINE), "start", str(folder)], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            self.stop()  # compose-engine.sh ends what it started; this makes sure
            pytest.skip(f"no compose engine here: {p.stderr.strip()}")
        exports = p.stdout.strip()
        assert exports.startswith("export "), exports
        for pair in exports.removeprefix("export ").split():
            key, value = pair.split("=", 1)
            self.env[key] = value
        self.docker = self.env["PE_ENGINE"] == "docker"
        self.cli = "docker" if self.docker else "podman"

    def pin_images(self):
        """The IDs of the images the examples name, as built now: another worktree's `make image` on
        this machine may tag other builds with the same names while the tests run (seen: an app
        answering with fields this repository's does not have)."""
        self.pinned = {}
        for name in (
            "prisma-entrypoint-example:latest",
            "prisma-entrypoint:latest",
            "postgres:16",
            "node:22-bookworm-slim",
        ):
            self.pinned[name] = self("image", "inspect", "--format", "{{.Id}}", name).stdout.strip()

    def with_pinned_images(self, services):
        """The services' `image:` swapped for the pinned IDs."""
        return {name: dict(service, image=self.pinned[service["image"]]) for name, service in services.items()}

    def stop(self):
        subprocess.run([str(COMPOSE_ENGINE), "stop", str(self.folder)], timeout=60, check=False)

    def __call__(self, *args, check=True, timeout=COMMAND_TIMEOUT):
        """The engine's CLI (podman with the service's containers.conf: runc, no default ulimits)."""
        p = subprocess.run([self.cli, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{self.cli} {' '.join(args)} exited {p.returncode}: {p.stdout}{p.stderr}")
        return p

    def compose(self, project, files, *args, check=True, timeout=COMMAND_TIMEOUT):
        command = ["docker-compose", *(a for f in files for a in ("-f", str(f))), *args]
        env = dict(self.env, COMPOSE_PROJECT_NAME=project)
        p = subprocess.run(command, env=env, cwd=files[0].parent, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
        return p

    def start_project(self, prefix, files):
        """A project name of this test's own; `down -v` for it whatever happens next."""
        project = f"pe-e2e-{prefix}-{uuid.uuid4().hex[:8]}"
        self.projects.append((project, files))
        return project

    def down(self, project, files):
        self.compose(project, files, "down", "-v", "--remove-orphans")
        self.projects.remove((project, files))

    def everything(self, project, files):
        """Every service's log and the containers' states, for a failure's message."""
        logs = self.compose(project, files, "logs", "--no-color", check=False).stdout
        states = {name: self.inspect(name)["State"] for name in self.containers(project)}
        return f"{logs}\n{json.dumps(states, indent=1)}"

    def containers(self, project, service=None):
        """Names of the project's containers (of one service), stopped ones included."""
        filters = ["--filter", f"label=com.docker.compose.project={project}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        names = self("ps", "-a", *filters, "--format", "{{.Names}}").stdout.split()
        return sorted(names)

    def inspect(self, name):
        return json.loads(self("inspect", name).stdout)[0]

    def logs(self, name):
        p = subprocess.run(
            [self.cli, "logs", name],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        return p.stdout


@pytest.fixture(scope="module")
def engine(request, tmp_path_factory):
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    started = Engine(tmp_path_factory.mktemp("compose-engine"))
    try:
        if started.docker:
            built = subprocess.run(
                ["make", "-C", str(REPO), "image", "ENGINE=docker"], capture_output=True, text=True, timeout=1800
            )
            assert built.returncode == 0, f"make image ENGINE=docker:\n{built.stdout[-4000:]}{built.stderr[-4000:]}"
        else:
            request.getfixturevalue("images")  # make image with podman, as test_images runs it
        started.pin_images()
        yield started
    finally:
        for project, files in started.projects:
            started.compose(project, files, "down", "-v", "--remove-orphans", "-t", "5", check=False)
        started.stop()


def timestamp(text):
    """An engine's RFC 3339 time (nanoseconds, Z or an offset) as a datetime."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    assert m, text
    fraction = (m.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}.{fraction}{zone}")


def lap(what, since):
    print(f"  {what}: {time.monotonic() - since:.1f} s")


def wait_until(what, condition, timeout, every=0.5):
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(every)


def test_replicas_migrate_once_and_stop_with_0(engine, tmp_path):
    began = time.monotonic()
    example = EXAMPLES / "replicas" / "compose.yaml"
    # The example's file untouched; an override swaps its images for the builds of this run (JSON is YAML).
    named = {"db": {"image": "postgres:16"}, "app": {"image": "prisma-entrypoint-example:latest"}}
    assert all(f"image: {service['image']}" in example.read_text() for service in named.values())
    override = tmp_path / "images.yaml"
    override.write_text(json.dumps({"services": engine.with_pinned_images(named)}))
    files = [example, override]
    project = engine.start_project("replicas", files)
    engine.compose(project, files, "up", "-d")
    lap("up -d", began)
    apps = engine.containers(project, "app")
    assert len(apps) == 3, apps  # deploy.replicas

    def all_listening():
        logs = {name: engine.logs(name) for name in apps}
        return logs if all("app: listening" in text for text in logs.values()) else None

    try:
        logs = wait_until("three replicas listening", all_listening, timeout=120)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{engine.everything(project, files)}") from e
    lap("all listening", began)

    everything = engine.compose(project, files, "logs", "--no-color").stdout
    lap("logs", began)
    assert "P1002" not in everything, everything
    deployed = [name for name, text in logs.items() if "running prisma migrate deploy" in text]
    assert len(deployed) == 1, everything
    assert "prisma migrate deploy finished" in logs[deployed[0]], everything
    for name, text in logs.items():
        assert "started node" in text and "app: connected" in text, text
        if name not in deployed:  # waited for the deploy, or came after it
            assert "migrate skipped" in text, text
            assert "running prisma migrate deploy" not in text, text

    rows = engine.compose(
        project,
        files,
        "exec",
        "-T",
        "db",
        "psql",
        "-U",
        "app",
        "-d",
        "app",
        "-Atc",
        'SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NULL FROM "_prisma_migrations"',
    ).stdout.split()
    lap("psql", began)
    assert rows == [f"{MIGRATION}|t|t"], rows
    status = engine.compose(project, files, "exec", "-T", "--index=2", "app", "prisma-entrypoint", "status")
    assert "migrations: up to date (1 applied)" in status.stdout, status.stdout

    volumes = [m["Name"] for c in engine.containers(project) for m in engine.inspect(c)["Mounts"] if m.get("Name")]
    engine.compose(project, files, "stop")  # what down does first: SIGTERM, then the exit codes are there
    lap("stop", began)
    for name in apps:
        state = engine.inspect(name)["State"]
        assert state["ExitCode"] == 0, (state, engine.logs(name))  # the app's own, from its SIGTERM handler
        assert "app: SIGTERM received" in engine.logs(name)
    engine.down(project, files)
    lap("down", began)
    assert engine.containers(project) == []
    for volume in volumes:  # the database's anonymous volume (VOLUME in the postgres image) went with -v
        assert engine("volume", "inspect", volume, check=False).returncode != 0, volume
    print(f"replicas: {time.monotonic() - began:.1f} s")


def healthcheck_files(engine, tmp_path):
    """A copy of the example's file without the app's published port 3000, which would be the host's
    (every address, a port someone else may hold): smoke-test reaches the app on the project's network.
    A compose override cannot do it: docker-compose 1.29 adds an override's ports to the file's, and
    has no `!reset`. Its images are the pinned builds."""
    import yaml  # docker-compose's own dependency (python3-yaml)

    example = yaml.safe_load((EXAMPLES / "healthcheck" / "compose.yaml").read_text())
    assert example["services"]["app"].pop("ports") == ["3000:3000"], example
    example["services"] = engine.with_pinned_images(example["services"])
    # Each name by /etc/hosts too, as the makefile test and docker/demo.sh have them: podman's name
    # server at times answers nothing for a new project's network for over 30 s (seen about one run in
    # eight: app's node stuck on its lookup of `db`, then smoke-test's "getaddrinfo ENOTFOUND app").
    address, example["networks"] = fixed_network(engine, "db", "app")
    services = example["services"]
    services["db"]["networks"] = {"default": {"ipv4_address": address["db"]}}
    services["app"]["networks"] = {"default": {"ipv4_address": address["app"]}}
    services["app"]["extra_hosts"] = [f"db:{address['db']}"]
    services["smoke-test"]["extra_hosts"] = [f"app:{address['app']}"]
    copy = tmp_path / "compose.yaml"
    copy.write_text(yaml.safe_dump(example, sort_keys=False))
    return [copy]


def test_healthcheck_holds_the_smoke_test_until_healthy(engine, tmp_path):
    began = time.monotonic()
    files = healthcheck_files(engine, tmp_path)
    project = engine.start_project("healthcheck", files)
    # `up -d` waits for the app's health before it creates smoke-test: it runs while the test watches.
    env = dict(engine.env, COMPOSE_PROJECT_NAME=project)
    up = subprocess.Popen(
        ["docker-compose", *(a for f in files for a in ("-f", str(f))), "up", "-d"],
        cwd=files[0].parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app = wait_until("the app's container", lambda: engine.containers(project, "app"), timeout=60)[0]
        checks = 0

        def healthy():
            nonlocal checks
            early = engine.containers(project, "smoke-test")
            assert early == [], f"smoke-test created before the app was healthy: {engine.inspect(app)['State']}"
            if not engine.docker:  # podman has no timer here: this is it
                engine("healthcheck", "run", app, check=False)
                checks += 1
            return engine.inspect(app)["State"]["Health"]["Status"] == "healthy"

        try:
            wait_until("the app healthy", healthy, timeout=120, every=HEALTH_TIMER)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{engine.everything(project, files)}") from e
        health = engine.inspect(app)["State"]["Health"]
        first_healthy = min(timestamp(entry["End"]) for entry in health["Log"] if entry["ExitCode"] == 0)
        # status said 12 (database not usable) or 10 (migration pending or being applied) first: a status
        # that always said 0 would make the app healthy at once, and the order below prove nothing
        unhealthy = [entry for entry in health["Log"] if entry["ExitCode"] != 0]
        assert unhealthy and min(timestamp(entry["End"]) for entry in unhealthy) < first_healthy, health
        # (podman records any failing check as 1; its output says which)
        not_yet = re.compile(r"database: not reachable|migrations: (\d+ pending|applying)")
        assert all(not_yet.search(entry["Output"]) for entry in unhealthy), health
        output, _ = up.communicate(timeout=COMMAND_TIMEOUT)
        assert up.returncode == 0, output
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()

    smoke = engine.containers(project, "smoke-test")
    assert len(smoke) == 1, (smoke, output)

    def smoke_ended():
        state = engine.inspect(smoke[0])["State"]
        return state if state["Status"] == "exited" else None

    state = wait_until("smoke-test done", smoke_ended, timeout=60)
    logs = engine.logs(smoke[0])
    assert state["ExitCode"] == 0, engine.everything(project, files)
    assert re.search(r'smoke-test: the app answered \{"users":\d+,', logs), logs
    created = timestamp(engine.inspect(smoke[0])["Created"])
    started = timestamp(state["StartedAt"])
    assert first_healthy <= created <= started, (first_healthy, created, started)
    app_logs = engine.logs(app)
    assert "running prisma migrate deploy" in app_logs and "app: listening" in app_logs, app_logs

    engine.down(project, files)
    assert engine.containers(project) == []
    print(f"healthcheck: {time.monotonic() - began:.1f} s, {checks} healthcheck(s) run by the test")


MAKEFILE_DEV_IMAGE = "prisma-entrypoint-dev-makefile:latest"  # built by docker-up; every run's build is cached
HOSTNAME_MIGRATION = "20261207120000_add_hostname"


class MakefileProject:
    """A scratch project as the makefile example's README has users make it: docker/example's app with
    the example's Makefile, compose.yaml and Dockerfile.dev, plus an override of what this machine needs
    (the database's pinned image, the dev image's name and base, the build on the host's network: the
    build's npm ci reaches the registry)."""

    def __init__(self, engine, tmp_path):
        self.engine = engine
        self.folder = tmp_path / "app"
        shutil.copytree(REPO / "docker" / "example", self.folder)
        (self.folder / "Dockerfile").unlink()  # the production image's
        for name in ("Makefile", "compose.yaml", "Dockerfile.dev"):
            shutil.copy(EXAMPLES / "makefile" / name, self.folder)
        # db's address by /etc/hosts too, as docker/demo.sh has it: podman's name server, one for every
        # user of the machine, at times left `db` unresolvable (seen: status's "'db': name does not
        # resolve" between two targets that had reached it).
        address, networks = fixed_network(engine, "db")
        db_address = address["db"]
        override = {
            "services": {
                "db": {"image": engine.pinned["postgres:16"], "networks": {"default": {"ipv4_address": db_address}}},
                "app": {
                    "image": MAKEFILE_DEV_IMAGE,
                    "build": {
                        "network": "host",
                        "args": {"PRISMA_ENTRYPOINT_IMAGE": engine.pinned["prisma-entrypoint:latest"]},
                    },
                    "extra_hosts": [f"db:{db_address}"],
                },
            },
            "networks": networks,
        }
        (self.folder / "override.yaml").write_text(json.dumps(override))
        self.files = [self.folder / "compose.yaml", self.folder / "override.yaml"]
        self.project = engine.start_project("makefile", self.files)
        self.port = free_port()
        self.env = dict(engine.env, APP_PORT=str(self.port))
        self.env.pop("MAKEFLAGS", None)
        self.env.pop("MAKELEVEL", None)

    def make(self, target, *variables, timeout=COMMAND_TIMEOUT):
        """`make TARGET` with the Makefile's COMPOSE naming this project and its override."""
        began = time.monotonic()
        compose = f"docker-compose -p {self.project} -f compose.yaml -f override.yaml"
        p = subprocess.run(
            ["make", "-C", str(self.folder), target, f"COMPOSE={compose}", *variables],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        lap(f"make {target}: exit {p.returncode}", began)
        return p

    def compose(self, *args, check=True):
        return self.engine.compose(self.project, self.files, *args, check=check)

    def answer(self):
        """The app's answer through the published APP_PORT, None while nothing answers."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return None

    def wait_answer(self, expected, timeout=120):
        try:
            return wait_until(f"the app answers {expected}", lambda: self.answer() == expected, timeout, 0.2)
        except AssertionError as e:
            raise AssertionError(f"{e} (last: {self.answer()})\n{self.everything()}") from e

    def psql(self, sql):
        return self.compose("exec", "-T", "db", "psql", "-U", "app", "-d", "app", "-Atc", sql).stdout.split()

    def client_mtime(self):
        """The generated client's index.js modification time, in the app's container."""
        script = "console.log(require('fs').statSync('node_modules/.prisma/client/index.js').mtimeMs)"
        return float(self.compose("exec", "-T", "app", "node", "-e", script).stdout)

    def everything(self):
        return self.engine.everything(self.project, self.files)


def free_subnet(engine):
    """A /24 no network of the engine uses (any user's)."""
    ids = engine("network", "ls", "-q").stdout.split()
    used = set(re.findall(r"\d+\.\d+\.\d+\.\d+/\d+", engine("network", "inspect", *ids).stdout)) if ids else set()
    return next(
        s
        for s in (f"10.{random.randrange(200, 250)}.{random.randrange(250)}.0/24" for _ in range(100))
        if s not in used
    )


def ipam_options(engine):
    return {} if engine.docker else {"options": {"driver": "host-local"}}


def fixed_network(engine, *hosts):
    """A free subnet for a project's default network and an address on it for each of hosts (from .10):
    ({host: address}, the file's `networks:`), for names given by /etc/hosts (extra_hosts) where
    podman's name server cannot be counted on."""
    subnet = free_subnet(engine)
    address = {host: subnet.replace(".0/24", f".{10 + i}") for i, host in enumerate(hosts)}
    # podman reports its IPAM driver as an option, which docker-compose 1.x compares with the file's
    # before `run` (else: "needs to be recreated - IPAM option \"driver\" has changed").
    return address, {"default": {"ipam": {"config": [{"subnet": subnet}], **ipam_options(engine)}}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def restarted_pid(output):
    """The app's new pid in a restart's output."""
    m = re.search(r"node restarted \(pid (\d+)\)", output)
    assert m, output
    return int(m.group(1))


def test_makefile_targets_do_what_they_say(engine, tmp_path):
    began = time.monotonic()
    project = MakefileProject(engine, tmp_path)
    fields = ["id", "email", "name"]

    def ok(p):
        assert p.returncode == 0, f"{p.args} exited {p.returncode}:\n{p.stdout}{p.stderr}\n{project.everything()}"
        return p.stdout + p.stderr

    ok(project.make("docker-up", timeout=900))  # a cold build runs npm ci against the registry
    project.wait_answer({"users": 0, "fields": fields})
    lap("the app answers", began)
    log = project.compose("logs", "--no-color", "app").stdout
    assert "install skipped" in log and "generate skipped" in log, log  # the image did both

    status = ok(project.make("status"))
    assert "client: current" in status and "migrations: up to date (1 applied)" in status, status

    before = project.client_mtime()
    generated = ok(project.make("prisma-generate"))
    assert "generating the prisma client" in generated, generated
    assert project.client_mtime() > before

    # A schema edit on the host: prisma-sync regenerates and restarts the app, which knows the field.
    schema = project.folder / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("  name  String?\n", "  name  String?\n  hostname String?\n"))
    assert "hostname String?" in schema.read_text()
    stale = project.make("status")
    # make exits 2 when a command fails, naming the command's own code.
    assert stale.returncode == 2 and "status] Error 10" in stale.stderr and "client: stale" in stale.stdout, stale
    synced = ok(project.make("prisma-sync"))
    first_pid = restarted_pid(synced)
    fields.append("hostname")
    project.wait_answer({"users": 0, "fields": fields})

    # A new migration folder: db-migrate applies it.
    migration = project.folder / "prisma" / "migrations" / HOSTNAME_MIGRATION
    migration.mkdir()
    (migration / "migration.sql").write_text('ALTER TABLE "User" ADD COLUMN "hostname" TEXT;\n')
    ok(project.make("db-migrate"))
    applied = 'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY 1'
    assert project.psql(applied) == [MIGRATION, HOSTNAME_MIGRATION]
    status = ok(project.make("status"))
    assert "migrations: up to date (2 applied)" in status, status

    restarted = ok(project.make("docker-restart"))
    assert restarted_pid(restarted) != first_pid, restarted
    project.wait_answer({"users": 0, "fields": fields})

    # db-reset: a user inserted first is gone; every migration applied again to a new database.
    project.psql("INSERT INTO \"User\" (email, hostname) VALUES ('a@example.com', 'h')")
    project.wait_answer({"users": 1, "fields": fields})
    oid = project.psql("SELECT oid FROM pg_database WHERE datname = 'app'")
    mark = len(project.compose("logs", "--no-color", "app").stdout)
    reset = ok(project.make("db-reset"))
    restarted_pid(reset)
    project.wait_answer({"users": 0, "fields": fields})
    log = project.compose("logs", "--no-color", "app").stdout[mark:]
    # dropdb --force ended the app's connections; the app was still up for the restart, which stopped it
    # cleanly, created the database and applied both migrations.
    assert "node exited with status 0" in log and 'database "app" does not exist yet: creating it' in log, log
    assert "2 migrations pending, no _prisma_migrations table yet" in log, log
    assert project.psql("SELECT oid FROM pg_database WHERE datname = 'app'") != oid
    assert project.psql(applied) == [MIGRATION, HOSTNAME_MIGRATION]
    assert project.psql('SELECT count(*) FROM "User"') == ["0"]

    logs = ok(project.make("logs", "FOLLOW="))
    assert "app: listening on port 3000" in logs and "prisma-entrypoint:" in logs, logs
    assert logs.count("app: listening on port 3000") >= 4, logs  # the first start and three restarts

    # db-check in a new container: with the app's stopped (docker-compose 1.x links a one-off container
    # to the service's running ones, which podman's API refuses: "link is not supported"), then with the
    # database stopped too (no answer within its 10 s).
    project.compose("stop", "app")
    ok(project.make("db-check"))
    project.compose("stop", "db")
    unanswered = project.make("db-check")
    assert unanswered.returncode == 2 and "db-check] Error 124" in unanswered.stderr, unanswered  # make: 2

    engine.down(project.project, project.files)
    assert engine.containers(project.project) == []
    print(f"makefile: {time.monotonic() - began:.1f} s")
