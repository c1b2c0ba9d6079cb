"""A real PgBouncer (Debian's package) in transaction pool mode in front of a test cluster (pg.py).

It listens on a free loopback port, authenticates clients itself (auth_type scram-sha-256 against an
auth_file the test writes, holding the app role's password), and logs in to the cluster as the client's
role with that password. It runs as the postgres user (it refuses root) and as a daemon, started with
the subreaper flag cleared as pg.py starts the postmaster, so that pytest never adopts it; stop() ends
it by the pid in its pidfile.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pg as pgm

PGBOUNCER = os.environ.get("PE_TEST_PGBOUNCER", "/usr/sbin/pgbouncer")


def unavailable_reason() -> str | None:
    if not Path(PGBOUNCER).exists() and not shutil.which("pgbouncer"):
        return "pgbouncer is not installed (apt-get install pgbouncer; tests/install-deps.sh does)"
    return None


class PgBouncer:
    def __init__(self, factory: pgm.PgFactory, cluster: pgm.PgCluster, users: dict[str, str]):
        self.cluster = cluster
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-", dir=factory.base))
        self.port = pgm.free_port()
        self.pidfile = self.dir / "pgbouncer.pid"
        self.log = self.dir / "pgbouncer.log"
        auth = "".join(f'"{user}" "{password}"\n' for user, password in users.items())
        (self.dir / "users.txt").write_text(auth)
        (self.dir / "pgbouncer.ini").write_text(
            f"""[databases]
* = host=127.0.0.1 port={cluster.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {self.dir / "users.txt"}
pool_mode = transaction
logfile = {self.log}
pidfile = {self.pidfile}
ignore_startup_parameters = extra_float_digits,options
"""
        )
        factory.chown(self.dir)
        os.chmod(self.dir / "users.txt", 0o600)

    def start(self, timeout: float = 20) -> "PgBouncer":
        with pgm.not_a_subreaper():
            pgm._run(pgm._as_postgres([shutil.which("pgbouncer") or PGBOUNCER, "-d", self.dir / "pgbouncer.ini"]))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise pgm.PgCommandError(f"pgbouncer did not listen on {self.port}: {self.log_text()}")
                time.sleep(0.02)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"

    def url(self, database: str, password: str = pgm.APP_PASSWORD, params: str | None = None) -> str:
        return self.cluster.url(database=database, password=password, host="127.0.0.1", port=self.port, params=params)

    def stop(self):
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)  # pgbouncer's immediate shutdown
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
