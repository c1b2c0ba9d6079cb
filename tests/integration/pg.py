"""Throwaway PostgreSQL clusters for the integration tests (the wait phase and later the Prisma phases).

One `PgFactory` per test session:
  * runs initdb once (as the `postgres` user via runuser when we are root: initdb refuses root) into a
    template data directory, starts it once on its unix socket only to create the known roles and
    databases, and stops it; every cluster is then a copy of that directory (~0.1 s instead of initdb
    plus role creation);
  * makes one self-signed certificate (openssl) for the clusters that run with ssl = on;
  * gives each cluster its own temporary directory owned by postgres (data dir, unix socket dir, log),
    a free loopback port, listen_addresses '127.0.0.1,::1' (just '127.0.0.1' when ::1 is unusable);
  * stops every server it started at the end (session finalizer and atexit, pg_ctl -m immediate, then
    SIGKILL of the postmaster as a last resort) and removes the directories.

Authentication (pg_hba.conf of every cluster):
    local      all  all                       trust           (psql as postgres over the socket)
    host       all  rejected   loopback       reject          (28000 "pg_hba.conf rejects connection")
    hostnossl  all  tlsonly    loopback       reject          (TLS required by the server for one role)
    host       all  all        loopback       scram-sha-256   (password auth for everyone else)

Known roles (all LOGIN): app / APP_PASSWORD owning database appdb; rejected / APP_PASSWORD (exists,
but pg_hba rejects it over TCP); tlsonly / APP_PASSWORD; odd / ODD_PASSWORD (a password with the
characters that must be percent-encoded in a URL). Missing on purpose: role `ghost`, database `nodb`.

Servers are started with pg_ctl -w. The postmaster outlives pg_ctl, so it is re-parented: while a test
runs, pytest is a child subreaper (conftest.py) and would adopt it and later kill it as a "leftover of
the binary under test". Every start therefore runs with the subreaper flag cleared for the duration of
the pg_ctl call, so the postmaster goes to the real init instead and the test fixture never sees it.
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

PG_BIN = Path(os.environ.get("PE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"

APP_USER = "app"
APP_PASSWORD = "Pw4app-9f3kQz"  # distinctive, so that a leak is easy to grep for
APP_DB = "appdb"
REJECTED_USER = "rejected"
TLSONLY_USER = "tlsonly"
ODD_USER = "odd"
ODD_PASSWORD = "Od@d:pw/%41 x"  # '@', ':', '/', '%' (followed by hex digits) and a space
MISSING_USER = "ghost"
MISSING_DB = "nodb"
ALL_PASSWORDS = (APP_PASSWORD, ODD_PASSWORD)

PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37


class PgUnavailable(Exception):
    """PostgreSQL cannot be run here (tests skip with this reason)."""


def unavailable_reason() -> str | None:
    for tool in ("initdb", "pg_ctl", "psql", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL 15 is not installed ({PG_BIN / tool} missing; apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return f"no '{PG_USER}' user to run initdb as (initdb refuses root)"
        if not shutil.which("runuser"):
            return "runuser is missing (util-linux)"
    return None


def ipv6_loopback_usable() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
            s.listen(1)
            with socket.create_connection(("::1", s.getsockname()[1]), timeout=2):
                pass
        return True
    except OSError:
        return False


def free_port(ipv6: bool = False) -> int:
    """A TCP port free on 127.0.0.1 (and on ::1 when ipv6). Racy by nature; start() retries."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if ipv6:
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s6.bind(("::1", port))
            except OSError:
                continue
        return port
    raise OSError("no free loopback port found")


# ------------------------------------------------------------------------------------------------
# the subreaper dance (see the module docstring)
# ------------------------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_prctl_lock = threading.Lock()


@contextmanager
def not_a_subreaper():
    """Clear PR_SET_CHILD_SUBREAPER of this process for the duration of the block, then restore it,
    so that daemons started inside (the postmaster) are adopted by init, not by pytest."""
    with _prctl_lock:
        flag = ctypes.c_int(0)
        was = _libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0 and flag.value != 0
        if was:
            _libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        try:
            yield
        finally:
            if was:
                _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


# ------------------------------------------------------------------------------------------------
# running things
# ------------------------------------------------------------------------------------------------


class PgCommandError(RuntimeError):
    pass


def _as_postgres(argv: list) -> list[str]:
    argv = [str(a) for a in argv]
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_USER, "--", *argv]
    return argv


def _run(argv, *, cwd=None, timeout=60, check=True, env=None, input=None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
    e.update({"LC_ALL": "C", "TZ": "UTC"})
    e.update(env or {})
    p = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=e,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    if check and p.returncode != 0:
        raise PgCommandError(
            f"{' '.join(map(str, argv))} failed with status {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
        )
    return p


def _chown_tree(path: Path, uid: int, gid: int):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def sql_literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def sql_ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------------------
# one cluster
# ------------------------------------------------------------------------------------------------


class PgCluster:
    """One PostgreSQL server: its own directory, port, socket directory and log."""

    def __init__(self, factory: "PgFactory", name: str, tls: bool):
        self.factory = factory
        self.name = name
        self.tls = tls
        self.ipv6 = factory.ipv6
        self.dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=factory.base))
        self.data = self.dir / "data"
        self.socket_dir = self.dir / "sock"
        self.log = self.dir / "server.log"
        self.port = 0
        self.host = "127.0.0.1"
        self.running = False
        self._lock = threading.Lock()
        # cp -a keeps the owner (postgres) and modes and is several times faster than copytree
        _run(["cp", "-a", factory.template, self.data], timeout=60)
        self.socket_dir.mkdir()
        if tls:
            for f in ("server.crt", "server.key"):
                shutil.copy2(factory.certdir / f, self.data / f)
            os.chmod(self.data / "server.key", 0o600)
        factory.chown_one(self.dir, self.socket_dir, *(self.data / f for f in ("server.crt", "server.key") if tls))
        self._configure(free_port(self.ipv6))

    def __repr__(self):
        return f"<PgCluster {self.name} port {self.port} {'tls' if self.tls else 'no-tls'}>"

    # -- configuration ---------------------------------------------------------------------------

    def _configure(self, port: int):
        self.port = port
        listen = "127.0.0.1,::1" if self.ipv6 else "127.0.0.1"
        lines = [
            f"port = {port}",
            f"listen_addresses = '{listen}'",
            f"unix_socket_directories = '{self.socket_dir}'",
            f"ssl = {'on' if self.tls else 'off'}",
        ]
        if self.tls:
            lines += ["ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"]
        # postgresql.auto.conf is read after postgresql.conf and is ours alone (nothing runs ALTER SYSTEM)
        auto = self.data / "postgresql.auto.conf"
        auto.write_text("# written by tests/integration/pg.py\n" + "\n".join(lines) + "\n")
        self.factory.chown(auto)

    # -- start / stop ------------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> "PgCluster":
        """Start the server and return once it accepts connections (pg_ctl -w). On a port clash (the
        free port was taken meanwhile) picks another port and retries."""
        with self._lock:
            if self.running:
                return self
            for attempt in range(5):
                with not_a_subreaper():
                    p = _run(
                        _as_postgres(
                            [
                                PG_BIN / "pg_ctl",
                                "-D",
                                self.data,
                                "-l",
                                self.log,
                                "-w",
                                "-t",
                                str(int(timeout)),
                                "-s",
                                "start",
                            ]
                        ),
                        cwd=self.dir,
                        timeout=timeout + 10,
                        check=False,
                    )
                if p.returncode == 0:
                    self.running = True
                    self.factory._register(self)
                    return self
                log = self.log.read_text(errors="replace") if self.log.exists() else ""
                if "Address already in use" in log or "could not bind" in log or "could not create any" in log:
                    self._stop_quietly()
                    self._configure(free_port(self.ipv6))
                    continue
                raise PgCommandError(f"pg_ctl start of {self} failed ({p.returncode})\n{p.stderr}\nlog:\n{log[-3000:]}")
            raise PgCommandError(f"cannot start {self}: no usable port after 5 attempts")

    def stop(self, mode: str = "fast", wait: bool = True, timeout: float = 30):
        """pg_ctl stop -m MODE. With wait=False (pg_ctl -W) returns at once: with mode 'smart' and a
        session open, the server then refuses new connections with 57P03 "the database system is
        shutting down" until that session ends."""
        with self._lock:
            if not self.running and wait:
                return
            argv = [PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-s"]
            argv += ["-w", "-t", str(int(timeout))] if wait else ["-W"]
            p = _run(_as_postgres([*argv, "stop"]), cwd=self.dir, timeout=timeout + 10, check=False)
            if p.returncode != 0 and self.postmaster_pid() is not None:
                raise PgCommandError(f"pg_ctl stop of {self} failed: {p.stderr}")
            if wait:
                self.running = False

    def wait_stopped(self, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while self.postmaster_pid() is not None:
            if time.monotonic() > deadline:
                raise PgCommandError(f"{self} did not stop within {timeout} s")
            time.sleep(0.02)
        self.running = False

    def restart(self, timeout: float = 30):
        self.stop(timeout=timeout)
        self.start(timeout=timeout)

    def postmaster_pid(self) -> int | None:
        """PID of the running postmaster, or None."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def _stop_quietly(self):
        """Best effort, for teardown: immediate shutdown, then SIGKILL of the postmaster."""
        if self.postmaster_pid() is None:
            self.running = False
            return
        try:
            _run(
                _as_postgres([PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-t", "10", "-s", "stop"]),
                cwd=self.dir,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            pass
        pid = self.postmaster_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)  # its backends exit when the postmaster dies
            except OSError:
                pass
            deadline = time.monotonic() + 5
            while self.postmaster_pid() is not None and time.monotonic() < deadline:
                time.sleep(0.02)
        self.running = False

    def destroy(self):
        self._stop_quietly()
        self.factory._unregister(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- SQL -----------------------------------------------------------------------------------------

    def psql(self, sql: str, database: str = "postgres", check: bool = True) -> str:
        """Run SQL as the superuser over the unix socket (trust) and return the unaligned output."""
        p = _run(
            [
                PG_BIN / "psql",
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.socket_dir,
                "-p",
                self.port,
                "-U",
                PG_USER,
                "-d",
                database,
                "-c",
                sql,
            ],
            timeout=30,
            check=check,
        )
        return p.stdout

    def create_role(self, name: str, password: str | None = None, login: bool = True):
        opts = " LOGIN" if login else ""
        if password is not None:
            opts += f" PASSWORD {sql_literal(password)}"
        self.psql(f"CREATE ROLE {sql_ident(name)}{opts}")

    def create_database(self, name: str, owner: str = APP_USER):
        self.psql(f"CREATE DATABASE {sql_ident(name)} OWNER {sql_ident(owner)}")

    def psql_session(self, database: str = "postgres") -> subprocess.Popen:
        """psql on database with stdin a text pipe, for SQL sent line by line (send_sql); it lives
        until its stdin is closed (close_session). The caller must close it before the test ends (it
        is a child of pytest)."""
        return subprocess.Popen(
            [str(PG_BIN / "psql"), "-X", "-q", "-h", str(self.socket_dir), "-p", str(self.port), "-U", PG_USER]
            + ["-d", database],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("PG")}, "LC_ALL": "C"},
            text=True,
        )

    def open_session(self) -> subprocess.Popen:
        """A psql session held open until close_session(), returned once the server has it."""
        p = self.psql_session()
        # make sure the session is established before returning
        deadline = time.monotonic() + 10
        while True:
            n = self.psql(
                f"SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                f"AND usename = '{PG_USER}' AND backend_type = 'client backend'"
            ).strip()
            if n and int(n) >= 1:
                return p
            if p.poll() is not None or time.monotonic() > deadline:
                close_session(p)
                raise PgCommandError("the held psql session did not come up")
            time.sleep(0.02)

    # -- URLs ------------------------------------------------------------------------------------------

    def url(
        self,
        user: str = APP_USER,
        password: str | None = APP_PASSWORD,
        database: str = APP_DB,
        host: str | None = None,
        port: int | None = None,
        params: str | dict | None = None,
        scheme: str = "postgresql",
    ) -> str:
        """A Prisma-style URL with user and password percent-encoded."""
        host = host or self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        auth = quote(user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        u = f"{scheme}://{auth}@{host}:{port or self.port}/{quote(database, safe='')}"
        if isinstance(params, dict):
            params = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
        if params:
            u += "?" + params
        return u

    def socket_url(self, user: str = APP_USER, password: str | None = APP_PASSWORD, database: str = APP_DB) -> str:
        """The unix socket form Prisma documents: host=/dir in the query (the authority host is ignored)."""
        auth = quote(user, safe="") + ("" if password is None else ":" + quote(password, safe=""))
        return f"postgresql://{auth}@localhost:{self.port}/{database}?host={self.socket_dir}"


def send_sql(p: subprocess.Popen, sql: str):
    """Sends sql to a psql_session()."""
    p.stdin.write(sql + "\n")
    p.stdin.flush()


def close_session(p: subprocess.Popen):
    try:
        if p.stdin:
            p.stdin.close()
    except OSError:
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


# ------------------------------------------------------------------------------------------------
# the factory (one per session)
# ------------------------------------------------------------------------------------------------

HBA = """\
# written by tests/integration/pg.py
local      all  all                       trust
host       all  rejected   127.0.0.1/32   reject
host       all  rejected   ::1/128        reject
hostnossl  all  tlsonly    127.0.0.1/32   reject
hostnossl  all  tlsonly    ::1/128        reject
host       all  all        127.0.0.1/32   scram-sha-256
host       all  all        ::1/128        scram-sha-256
"""

CONF = """
# appended by tests/integration/pg.py: fast and small throwaway servers
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 30
max_wal_senders = 0
wal_level = minimal
password_encryption = 'scram-sha-256'
log_min_messages = warning
log_connections = off
"""


def make_self_signed(key: Path, cert: Path, common_name: str, days: int = 1, alt_names: str | None = None):
    """A self-signed EC (P-256) certificate for common_name, and its key, written with openssl."""
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    argv += ["-keyout", str(key), "-out", str(cert), "-days", str(days), "-subj", f"/CN={common_name}"]
    if alt_names:
        argv += ["-addext", f"subjectAltName={alt_names}"]
    _run(argv, timeout=60)


class PgFactory:
    def __init__(self):
        reason = unavailable_reason()
        if reason:
            raise PgUnavailable(reason)
        self.ipv6 = ipv6_loopback_usable()
        self.base = Path(tempfile.mkdtemp(prefix="pe-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            pw = pwd.getpwnam(PG_USER)
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        self.chown(self.base)
        os.chmod(self.base, 0o711)
        self.template = self.base / "template"
        self.certdir = self.base / "cert"
        self._clusters: list[PgCluster] = []
        self._lock = threading.Lock()
        self._template_ready = False
        self._cert_ready = False
        self._closed = False
        atexit.register(self.close)
        self._old_sigterm = None
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            # A SIGTERM to pytest (`timeout 900 pytest ...`, CI cancelling) would kill it without running
            # atexit or finalizers, leaving the servers behind: make it an interrupt, so pytest tears the
            # session down (stopping them) and exits.
            def on_sigterm(signum, frame):
                raise KeyboardInterrupt(f"signal {signum}")

            self._old_sigterm = signal.signal(signal.SIGTERM, on_sigterm)

    def chown_one(self, *paths):
        """chown these paths (not recursively) to the postgres user."""
        if os.geteuid() == 0:
            for p in paths:
                os.chown(p, self.uid, self.gid)

    def chown(self, path: Path):
        if os.geteuid() == 0:
            _chown_tree(Path(path), self.uid, self.gid) if Path(path).is_dir() else os.chown(path, self.uid, self.gid)

    def _register(self, c: PgCluster):
        with self._lock:
            if c not in self._clusters:
                self._clusters.append(c)

    def _unregister(self, c: PgCluster):
        with self._lock:
            if c in self._clusters:
                self._clusters.remove(c)

    # -- template -----------------------------------------------------------------------------------

    def _make_template(self):
        if self._template_ready:
            return
        _run(
            _as_postgres(
                [
                    PG_BIN / "initdb",
                    "-D",
                    self.template,
                    "-U",
                    PG_USER,
                    "-A",
                    "trust",
                    "-N",
                    "--no-instructions",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]
            ),
            cwd=self.base,
            timeout=120,
        )
        with open(self.template / "postgresql.conf", "a") as f:
            f.write(CONF)
        (self.template / "pg_hba.conf").write_text(HBA)
        self.chown(self.template)
        # start it once on a socket only, to create the known roles and databases, then stop it
        boot = self.template.parent / "boot-sock"
        boot.mkdir(exist_ok=True)
        self.chown(boot)
        port = free_port()
        opts = f"-c listen_addresses='' -c unix_socket_directories='{boot}' -c port={port}"
        log = self.base / "template.log"
        with not_a_subreaper():
            p = _run(
                _as_postgres(
                    [PG_BIN / "pg_ctl", "-D", self.template, "-l", log, "-o", opts, "-w", "-t", "60", "-s", "start"]
                ),
                cwd=self.base,
                timeout=90,
                check=False,
            )
        if p.returncode != 0:
            raise PgCommandError(f"template server did not start: {p.stderr}\n{log.read_text(errors='replace')}")
        try:
            sql = (
                ";\n".join(
                    [
                        f"CREATE ROLE {APP_USER} LOGIN PASSWORD {sql_literal(APP_PASSWORD)}",
                        f"CREATE ROLE {REJECTED_USER} LOGIN PASSWORD {sql_literal(APP_PASSWORD)}",
                        f"CREATE ROLE {TLSONLY_USER} LOGIN PASSWORD {sql_literal(APP_PASSWORD)}",
                        f"CREATE ROLE {ODD_USER} LOGIN PASSWORD {sql_literal(ODD_PASSWORD)}",
                        f"CREATE DATABASE {APP_DB} OWNER {APP_USER}",
                    ]
                )
                + ";"
            )
            _run(
                [
                    PG_BIN / "psql",
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    boot,
                    "-p",
                    port,
                    "-U",
                    PG_USER,
                    "-d",
                    "postgres",
                    "-f",
                    "-",
                ],
                input=sql,
                timeout=60,
            )
        finally:
            _run(
                _as_postgres([PG_BIN / "pg_ctl", "-D", self.template, "-m", "fast", "-w", "-t", "60", "-s", "stop"]),
                cwd=self.base,
                timeout=90,
                check=False,
            )
        for f in ("postmaster.pid", "postmaster.opts"):
            (self.template / f).unlink(missing_ok=True)
        self._template_ready = True

    def _make_cert(self):
        if self._cert_ready:
            return
        self.certdir.mkdir(exist_ok=True)
        make_self_signed(
            self.certdir / "server.key",
            self.certdir / "server.crt",
            "localhost",
            days=2,
            alt_names="DNS:localhost,DNS:pg.test,IP:127.0.0.1,IP:::1",
        )
        self._cert_ready = True

    # -- clusters ------------------------------------------------------------------------------------

    def cluster(self, name: str = "pg", tls: bool = False, start: bool = True) -> PgCluster:
        """A new cluster (a copy of the template); started unless start=False."""
        with self._lock:
            if self._closed:
                raise PgCommandError("the PostgreSQL factory is closed")
            self._make_template()
            if tls:
                self._make_cert()
        c = PgCluster(self, name, tls)
        self._register(c)
        if start:
            c.start()
        return c

    def close(self):
        """Stop every server and remove every directory. Safe to call twice (finalizer and atexit)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            clusters = list(self._clusters)
        if self._old_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None
        for c in clusters:
            try:
                c._stop_quietly()
            except Exception:  # noqa: BLE001 - keep going: never leave servers behind
                pass
        shutil.rmtree(self.base, ignore_errors=True)


def wait_port_closed(host: str, port: int, timeout: float = 10):
    """Until nothing accepts on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                pass
        except OSError as e:
            if e.errno == errno.ECONNREFUSED:
                return
        time.sleep(0.02)
    raise TimeoutError(f"{host}:{port} still accepts connections")
