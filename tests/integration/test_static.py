"""The static binary (`make static`) alone in an empty root.

Each test makes a root holding nothing but the binary, a static test app (helpers/static-app.c) and
etc/hosts, and starts the binary as PID 1 of a new PID namespace chrooted there (`unshare --pid
--fork --root`): no shared library, no /etc/passwd, no CA bundle, no /proc, no resolv.conf. What it
needs from a system it must carry inside. The host names used are known only to the root's
etc/hosts. These tests run in the static pass of `make test` and are skipped for the dynamic build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, is_static, timeout
from pg import free_port, make_self_signed

ROOT_HOST = "pg.test"  # in the root's etc/hosts only, and in the test certificate's names
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
APP = Path(os.environ.get("PRISMA_ENTRYPOINT_HELPERS") or BIN.parent / "helpers") / "static-app"


pytestmark = pytest.mark.skipif(not is_static(BIN), reason="the binary under test is dynamic (make static)")


class EmptyRoot:
    def __init__(self, path: Path):
        self.path = path
        (path / "etc").mkdir(parents=True)
        (path / "etc" / "hosts").write_text(f"127.0.0.1 localhost {ROOT_HOST}\n")
        shutil.copy2(BIN, path / "prisma-entrypoint")
        shutil.copy2(APP, path / "app")

    def add(self, relative: str, source: Path):
        dest = self.path / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)

    def run(self, *args: str, env: dict | None = None, seconds: float = 30) -> subprocess.CompletedProcess:
        argv = [UNSHARE, "--pid", "--fork", "--root", str(self.path), "/prisma-entrypoint", *args]
        return subprocess.run(
            argv,
            env={"PATH": "/", **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout(seconds),
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def root(tmp_path):
    if not APP.exists():
        pytest.fail(f"{APP} is missing: build the helpers (make build/helpers/static-app)")
    return EmptyRoot(tmp_path / "root")


@pytest.fixture(scope="module")
def ca_file(pg_tls, pg_factory) -> Path:
    """The test certificate, self-signed, so it is its own CA."""
    return pg_factory.certdir / "server.crt"


@pytest.fixture
def https_server(pg_tls, pg_factory):
    """An HTTPS server on loopback (openssl s_server -www) with the test certificate."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "openssl",
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            str(pg_factory.certdir / "server.crt"),
            "-key",
            str(pg_factory.certdir / "server.key"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while subprocess.run(["ss", "-Htln", f"sport = :{port}"], capture_output=True, text=True).stdout == "":
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("openssl s_server did not start")
        time.sleep(0.02)
    try:
        yield f"https://{ROOT_HOST}:{port}/"
    finally:
        proc.kill()
        proc.wait()


def test_the_root_is_empty(root):
    """What the other tests prove rests on this: no library, no passwd, no CA bundle, no /proc."""
    found = sorted(str(p.relative_to(root.path)) for p in root.path.rglob("*") if p.is_file())
    assert found == ["app", "etc/hosts", "prisma-entrypoint"]


def test_supervises_the_app_as_pid_1_and_exits_with_its_status(root):
    res = root.run("--no-wait", "--", "/app", "exit", "7")
    assert res.returncode == 7, res.stderr
    assert "static-app: ready mode=exit pid=2 ppid=1" in res.stdout, res.stdout


def test_resolves_the_database_host_from_etc_hosts_and_waits(root, pg):
    url = pg.url(host=ROOT_HOST)
    res = root.run("--", "/app", "exit", "0", env={"DATABASE_URL": url})
    assert res.returncode == 0, res.stderr
    assert f"postgres at {ROOT_HOST}:{pg.port} ready" in res.stderr


@pytest.mark.parametrize(
    "params",
    ["sslmode=require", "sslmode=verify-full&sslrootcert=/ca.pem", "sslmode=require&sslaccept=strict&sslcert=/ca.pem"],
    ids=["require", "verify-full", "prisma-strict"],
)
def test_waits_for_postgresql_over_tls(root, pg_tls, ca_file, params):
    root.add("ca.pem", ca_file)
    res = root.run("wait", env={"DATABASE_URL": pg_tls.url(host=ROOT_HOST, params=params)})
    assert res.returncode == 0, res.stderr
    assert f"postgres at {ROOT_HOST}:{pg_tls.port} ready" in res.stderr


def test_verify_full_rejects_a_certificate_it_cannot_check(root, pg_tls, tmp_path):
    """verify-full is really checked: another CA is not accepted."""
    other = tmp_path / "other"
    other.mkdir()
    make_self_signed(other / "k", other / "ca.pem", "other")
    root.add("ca.pem", other / "ca.pem")
    url = pg_tls.url(host=ROOT_HOST, params="sslmode=verify-full&sslrootcert=/ca.pem")
    res = root.run("wait", "--wait-timeout", "3s", env={"DATABASE_URL": url})
    assert res.returncode == 69, res.stderr
    assert "certificate verify failed" in res.stderr


def test_a_wrong_password_is_exit_69(root, pg):
    res = root.run("wait", env={"DATABASE_URL": pg.url(host=ROOT_HOST, password="wrong")})
    assert res.returncode == 69, res.stderr
    assert "password authentication failed" in res.stderr
    assert "wrong" not in res.stderr


def test_a_url_without_user_in_a_root_without_passwd_says_what_to_do(root, pg):
    """libpq takes a missing user name from /etc/passwd, which the root does not have."""
    url = f"postgresql://{ROOT_HOST}:{pg.port}/appdb"
    res = root.run("wait", env={"DATABASE_URL": url})
    assert res.returncode == 69, res.stderr
    assert "put the user in DATABASE_URL" in res.stderr, res.stderr


def test_https_wait_with_http_ca_file(root, https_server, ca_file):
    root.add("ca.pem", ca_file)
    res = root.run("wait", "--wait", https_server, "--http-ca-file", "/ca.pem")
    assert res.returncode == 0, res.stderr
    assert f"{https_server} ready after" in res.stderr, res.stderr


def test_https_wait_without_any_ca_bundle_says_so_in_one_line(root, https_server):
    res = root.run("wait", "--wait", https_server, "--wait-timeout", "5s")
    assert res.returncode == 69, res.stderr
    lines = [line for line in res.stderr.splitlines() if "CA certificates" in line]
    assert len(lines) == 1, res.stderr
    assert "no CA certificates to verify" in lines[0] and "http-ca-file" in res.stderr


@pytest.mark.parametrize(
    "place",
    [
        "etc/ssl/certs/ca-certificates.crt",
        "etc/ssl/cert.pem",
        "etc/pki/tls/certs/ca-bundle.crt",
        "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "etc/ssl/ca-bundle.pem",
    ],
    ids=["debian", "alpine", "rhel", "rhel-extracted", "opensuse"],
)
def test_https_wait_finds_the_image_ca_bundle(root, https_server, ca_file, place):
    root.add(place, ca_file)
    res = root.run("wait", "--wait", https_server)
    assert res.returncode == 0, res.stderr


def test_https_wait_takes_ssl_cert_file_first(root, https_server, ca_file, tmp_path):
    """SSL_CERT_FILE wins over a bundle at the usual place (here one that cannot verify the server)."""
    other = tmp_path / "other.pem"
    make_self_signed(tmp_path / "k", other, "other")
    root.add("etc/ssl/certs/ca-certificates.crt", other)
    root.add("ca.pem", ca_file)
    res = root.run("wait", "--wait", https_server, env={"SSL_CERT_FILE": "/ca.pem"})
    assert res.returncode == 0, res.stderr
    res = root.run("wait", "--wait", https_server)
    assert res.returncode == 69 and "certificate verify failed" in res.stderr, res.stderr


def test_https_wait_with_an_unreadable_ssl_cert_file_says_so(root, https_server, ca_file):
    root.add("etc/ssl/certs/ca-certificates.crt", ca_file)
    res = root.run("wait", "--wait", https_server, env={"SSL_CERT_FILE": "/missing.pem"})
    assert res.returncode == 69, res.stderr
    assert "SSL_CERT_FILE names /missing.pem, which cannot be read" in res.stderr, res.stderr
