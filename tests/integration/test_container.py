"""prisma-entrypoint as PID 1 of a real container (podman + runc, FROM scratch image).

The image (docker/Containerfile.test) holds only the binary, the shared libraries `ldd` lists for it
(plus the dynamic loader) at their own paths, and a static test program
(tests/integration/helpers/static-app.c). What is checked here is what only a real container shows:
`podman stop` delivers SIGTERM to PID 1 of a new PID namespace, which the kernel drops unless PID 1
takes it; the container's exit code is whatever prisma-entrypoint exits with; orphans re-parented to
PID 1 get reaped.

Podman needs a private containers.conf here (see shared notes/environment.md): this sandbox forbids
raising RLIMIT_NOFILE, and crun rejects its cgroup layout, hence `--runtime runc`. When podman cannot
run a trivial scratch container at all, every test here is skipped with the reason.

PRISMA_ENTRYPOINT_BIN selects another binary (e.g. build/asan/prisma-entrypoint). Marked `container`
as well as `supervisor`: the sanitizer and valgrind passes leave these out (-m 'not container'), and
under PRISMA_ENTRYPOINT_WRAPPER they skip, since a wrapper cannot follow the binary into the image.
"""

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.supervisor, pytest.mark.container]

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "docker" / "Containerfile.test"
STATIC_APP_SRC = Path(__file__).resolve().parent / "helpers" / "static-app.c"
IMAGE_BIN = "usr/local/bin/prisma-entrypoint"

PODMAN_TIMEOUT = 120  # seconds for any single podman command, so a wedged podman fails, not hangs
STOP_GRACE = 10  # podman stop -t: podman's own SIGKILL fallback
STOP_LIMIT = 5.0  # a stop that forwards SIGTERM finishes far below podman's fallback


def binary_path():
    env = os.environ.get("PRISMA_ENTRYPOINT_BIN")
    return Path(env).resolve() if env else REPO / "build" / "prisma-entrypoint"


def unique(prefix):
    return f"pe-test-{prefix}-{uuid.uuid4().hex[:10]}"


class Podman:
    """podman with the private containers.conf and the runc runtime, for every call."""

    def __init__(self, conf_dir):
        self.env = dict(os.environ)
        conf = Path(conf_dir) / "containers.conf"
        conf.write_text("[containers]\ndefault_ulimits = []\n")
        self.env["CONTAINERS_CONF"] = str(conf)

    def __call__(self, *args, check=True, timeout=PODMAN_TIMEOUT):
        cmd = ["podman", "--runtime", "runc", *args]
        try:
            p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"{' '.join(cmd)} took more than {timeout}s: {e.stderr!r}") from e
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return p


def compile_static_app(dest):
    out = Path(dest) / "static-app"
    cmd = ["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(out), str(STATIC_APP_SRC)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        pytest.fail(f"cannot build the static test app: {' '.join(cmd)}\n{p.stderr}")
    return out


def shared_libraries(binary):
    """Absolute paths of the shared objects the binary loads, the dynamic loader included.

    An empty list for a static binary."""
    p = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    text = p.stdout + p.stderr
    if p.returncode != 0 or "statically linked" in text:
        if "not a dynamic executable" in text or "statically linked" in text:
            return []
        pytest.fail(f"ldd {binary} failed: {text}")
    paths = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            pytest.fail(f"ldd {binary}: a library is missing on this host: {line}")
        m = re.match(r"^\S+ => (/\S+) \(0x[0-9a-f]+\)$", line) or re.match(r"^(/\S+) \(0x[0-9a-f]+\)$", line)
        if m:  # linux-vdso.so.1 has no file and matches neither form
            paths.append(m.group(1))
    return paths


def copy_at_same_path(src, rootfs):
    """Copy the file (its contents, symlinks followed) to rootfs + its absolute path."""
    dest = Path(rootfs) / src.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(os.path.realpath(src), dest)


# ---------------------------------------------------------------------------------------------- #
# fixtures


@pytest.fixture(scope="session")
def podman(tmp_path_factory):
    """A usable podman, probed once: build a scratch image with the static app and run it."""
    if os.environ.get("PRISMA_ENTRYPOINT_WRAPPER"):
        pytest.skip("container tests run the bare binary as PID 1; a PRISMA_ENTRYPOINT_WRAPPER cannot apply")
    if shutil.which("podman") is None:
        pytest.skip("podman unusable here: podman is not installed (apt-get install podman runc)")
    if shutil.which("runc") is None:
        pytest.skip("podman unusable here: runc is not installed (apt-get install runc)")
    work = tmp_path_factory.mktemp("podman-probe")
    pm = Podman(work)
    ctx = work / "ctx"
    ctx.mkdir()
    compile_static_app(ctx)
    (ctx / "Containerfile").write_text('FROM scratch\nCOPY static-app /static-app\nENTRYPOINT ["/static-app"]\n')
    image = f"localhost/{unique('probe')}"
    try:
        b = pm("build", "--pull=never", "-t", image, str(ctx), check=False)
        if b.returncode != 0:
            pytest.skip(f"podman unusable here: cannot build a FROM scratch image: {b.stderr.strip()[-500:]}")
        r = pm("run", "--rm", "--pull=never", "--network", "host", image, "exit", "0", check=False)
        if r.returncode != 0 or "static-app: ready" not in r.stdout:
            pytest.skip(
                f"podman unusable here: a trivial scratch container failed (exit {r.returncode}): "
                f"{(r.stdout + r.stderr).strip()[-500:]}"
            )
    except AssertionError as e:  # a timeout
        pytest.skip(f"podman unusable here: {e}")
    finally:
        pm("rmi", "-f", image, check=False)
    return pm


@pytest.fixture(scope="module")
def image(podman, tmp_path_factory):
    """The test image: prisma-entrypoint as ENTRYPOINT, the static app as CMD."""
    binary = binary_path()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is not built: run `make` in {REPO} (or set PRISMA_ENTRYPOINT_BIN)")
    ctx = tmp_path_factory.mktemp("image-ctx")
    rootfs = ctx / "rootfs"
    (rootfs / IMAGE_BIN).parent.mkdir(parents=True)
    shutil.copy2(binary, rootfs / IMAGE_BIN)
    for lib in shared_libraries(binary):
        copy_at_same_path(lib, rootfs)
    compile_static_app(rootfs)
    (rootfs / "not-executable").write_text("just text\n")
    (rootfs / "not-executable").chmod(0o644)
    (rootfs / "script.sh").write_text("#!/bin/sh\necho never\n")  # scratch has no /bin/sh
    (rootfs / "script.sh").chmod(0o755)

    name = f"localhost/{unique('image')}"
    podman("build", "--pull=never", "-f", str(CONTAINERFILE), "-t", name, str(ctx))
    yield name
    podman("rmi", "-f", name, check=False)


class Containers:
    """Runs containers of the test image under unique names and removes them all afterwards."""

    def __init__(self, podman, image):
        self.podman = podman
        self.image = image
        self.names = []

    def _new(self):
        name = unique("ctr")
        self.names.append(name)
        return name

    def _run_args(self, name, env, options=()):
        args = ["run", "--pull=never", "--name", name, "--network", "host", "--log-driver", "k8s-file", *options]
        for k, v in (env or {}).items():
            args += ["-e", f"{k}={v}"]
        return args

    def start(self, *cmd, env=None, options=()):
        """Start a container detached; cmd replaces the image's CMD when given; options go to
        `podman run` (say --read-only)."""
        name = self._new()
        self.podman(*self._run_args(name, env, options), "-d", self.image, *cmd)
        return name

    def run(self, *cmd, env=None, timeout=60):
        """Run a container to its end; returns (name, completed process of `podman run`)."""
        name = self._new()
        p = self.podman(*self._run_args(name, env), self.image, *cmd, check=False, timeout=timeout)
        return name, p

    def logs(self, name):
        p = self.podman("logs", name, check=False)
        return p.stdout + p.stderr

    def state(self, name, field):
        return self.podman("inspect", "--format", "{{.State.%s}}" % field, name).stdout.strip()

    def exit_code(self, name):
        return int(self.state(name, "ExitCode"))

    def wait_for_log(self, name, text, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            logs = self.logs(name)
            if text in logs:
                return logs
            if self.state(name, "Status") == "exited":
                logs = self.logs(name)
                if text in logs:
                    return logs
                pytest.fail(f"container exited before printing {text!r}; logs:\n{logs}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} within {timeout}s; logs:\n{logs}")
            time.sleep(0.1)

    def stop(self, name, grace=STOP_GRACE):
        """podman stop -t grace; returns the seconds it took."""
        t0 = time.monotonic()
        self.podman("stop", "-t", str(grace), name, timeout=grace + 60)
        return time.monotonic() - t0

    def cleanup(self):
        for name in self.names:
            self.podman("rm", "-f", "-t", "0", name, check=False)


@pytest.fixture
def containers(podman, image):
    c = Containers(podman, image)
    yield c
    c.cleanup()


def parse_ready(logs):
    m = re.search(r"static-app: ready mode=\S+ pid=(\d+) ppid=(\d+) pid1=(\S+)", logs)
    assert m, f"no ready line in:\n{logs}"
    return int(m.group(1)), int(m.group(2)), m.group(3)


# ---------------------------------------------------------------------------------------------- #
# tests


def test_pid1_forwards_podman_stop_sigterm_and_exits_with_app_status(containers):
    name = containers.start("/static-app", "wait")
    logs = containers.wait_for_log(name, "static-app: ready")
    pid, ppid, pid1 = parse_ready(logs)
    # /proc/1/comm holds the first 15 bytes of the executable's name
    assert pid1 == "prisma-entrypoint"[:15], f"PID 1 is {pid1!r}, not prisma-entrypoint:\n{logs}"
    assert pid != 1 and ppid == 1, f"the app should be PID 1's child:\n{logs}"

    elapsed = containers.stop(name)
    logs = containers.logs(name)
    assert "static-app: got SIGTERM" in logs, f"SIGTERM never reached the app:\n{logs}"
    assert containers.exit_code(name) == 42, f"container exit code is not the app's own:\n{logs}"
    assert elapsed < STOP_LIMIT, (
        f"podman stop took {elapsed:.2f}s: SIGTERM was not forwarded and podman fell back to "
        f"SIGKILL after {STOP_GRACE}s\n{logs}"
    )


def test_other_signals_are_forwarded_and_app_keeps_running(containers):
    name = containers.start("/static-app", "wait")
    containers.wait_for_log(name, "static-app: ready")
    for sig in ("USR1", "HUP", "USR2"):
        containers.podman("kill", "--signal", sig, name)
        containers.wait_for_log(name, f"static-app: got SIG{sig}", timeout=10)
    assert containers.state(name, "Status") == "running", containers.logs(name)
    containers.stop(name)
    assert containers.exit_code(name) == 42, containers.logs(name)


def test_sigint_forwarded_status_passes_through(containers):
    name = containers.start("/static-app", "wait")
    containers.wait_for_log(name, "static-app: ready")
    containers.podman("kill", "--signal", "INT", name)
    containers.podman("wait", name, timeout=30)
    logs = containers.logs(name)
    assert "static-app: got SIGINT" in logs, logs
    assert containers.exit_code(name) == 43, logs


@pytest.mark.parametrize("code", [0, 1, 7, 113, 255])
def test_container_exit_code_is_app_exit_code(containers, code):
    name, p = containers.run("/static-app", "exit", str(code))
    out = p.stdout + p.stderr
    assert "static-app: ready mode=exit" in out, out
    assert p.returncode == code, out
    assert containers.exit_code(name) == code, out


@pytest.mark.parametrize("sig", [10, 15])  # SIGUSR1, SIGTERM
def test_app_killed_by_signal_gives_128_plus_signal(containers, sig):
    name, p = containers.run("/static-app", "raise", str(sig))
    out = p.stdout + p.stderr
    assert "static-app: ready mode=raise" in out, out
    assert containers.exit_code(name) == 128 + sig, out


def test_stop_timeout_kills_app_that_ignores_sigterm(containers):
    # The app ignores SIGTERM: prisma-entrypoint's own grace (1s here) must end it with SIGKILL long
    # before podman's 10 s fallback, and the exit code is the app's death by SIGKILL.
    name = containers.start("/static-app", "ignore-term", env={"PRISMA_ENTRYPOINT_STOP_TIMEOUT": "1s"})
    containers.wait_for_log(name, "static-app: ready mode=ignore-term")
    elapsed = containers.stop(name)
    logs = containers.logs(name)
    assert containers.exit_code(name) == 128 + 9, logs
    assert 0.9 <= elapsed < STOP_LIMIT, f"stop took {elapsed:.2f}s with stop-timeout=1s:\n{logs}"


def test_pid1_reaps_orphans(containers):
    # The app makes 20 processes whose parent exits first: they are re-parented to PID 1, exit, and
    # must not stay zombies. (The same program as PID 1 itself leaves 20 zombies.)
    name, p = containers.run("/static-app", "orphans", "20")
    out = p.stdout + p.stderr
    assert "static-app: zombies=0" in out, out
    assert p.returncode == 0, out
    assert containers.exit_code(name) == 0, out


def test_command_not_found_in_container_exits_127(containers):
    name, p = containers.run("/no-such-program")
    out = p.stdout + p.stderr
    assert containers.exit_code(name) == 127, out
    assert "cannot run '/no-such-program': file not found" in out, out


def test_command_not_executable_in_container_exits_126(containers):
    name, p = containers.run("/not-executable")
    out = p.stdout + p.stderr
    assert containers.exit_code(name) == 126, out
    assert "cannot run '/not-executable'" in out, out


def test_script_without_interpreter_in_scratch_exits_127(containers):
    # The classic scratch-image mistake: an entrypoint script whose #! interpreter is not in the image.
    # execve says ENOENT although the file exists; the message must not claim the file is missing.
    name, p = containers.run("/script.sh")
    out = p.stdout + p.stderr
    assert containers.exit_code(name) == 127, out
    assert "cannot run '/script.sh'" in out and "interpreter" in out, out


def test_restart_through_podman_exec_on_a_read_only_root(containers):
    """`podman exec CTR prisma-entrypoint restart`, as `docker compose exec app prisma-entrypoint
    restart`: the app is stopped and started again inside the running container (read-only root: the
    request goes through an abstract socket, no file), and the command says so."""
    name = containers.start("/static-app", "wait", options=("--read-only",))
    first, _, _ = parse_ready(containers.wait_for_log(name, "static-app: ready"))
    p = containers.podman("exec", name, "/" + IMAGE_BIN, "restart", check=False)
    logs = containers.logs(name)
    assert p.returncode == 0, f"restart exited {p.returncode}: {p.stderr}\n{logs}"
    assert "static-app: got SIGTERM" in logs, logs
    starts = re.findall(r"static-app: ready mode=\S+ pid=(\d+) ppid=1 ", logs)
    assert len(starts) == 2 and int(starts[0]) == first and starts[1] != starts[0], logs
    assert p.stderr.strip() == f"prisma-entrypoint: /static-app restarted (pid {starts[1]})", p.stderr
    assert containers.state(name, "Status") == "running", logs
    containers.stop(name)
    assert containers.exit_code(name) == 42, containers.logs(name)


def test_restart_in_a_container_without_a_supervisor_says_so(containers):
    name = containers.start("/static-app", "wait", env={"PRISMA_ENTRYPOINT_EXEC": "true"})
    containers.wait_for_log(name, "static-app: ready")
    p = containers.podman("exec", name, "/" + IMAGE_BIN, "restart", check=False)
    assert p.returncode == 69, p.stderr
    assert "nothing to restart: no prisma-entrypoint supervises an app in this container" in p.stderr, p.stderr
    containers.stop(name)
