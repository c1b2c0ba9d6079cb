"""The wait phase (contract: issue 3): `prisma-entrypoint wait` and the wait before `run`'s CMD.

Everything goes through the real binary against real servers on loopback: throwaway PostgreSQL 15
clusters (pg.py; fixtures pg, pg_tls, pg_fresh in conftest.py), plain TCP and unix listeners in
this process, and files that appear. The fake PostgreSQL (helpers/fake_pg.py, fixture fake_pg) is
used only for what a real server cannot be made to do on demand: 57P03 "starting up" and 53300
"too many clients" for as long as a test likes.

Exit codes: 0 all ready, 124 timeout, 69 permanent error, 78 bad URL/config, 143 SIGTERM.
Every run is checked for passwords in any output line (stdout and stderr, text and JSON), and
test_passwords_never_appear_in_any_output runs the main scenarios at -vv as well.

Network rules: only 127.0.0.1 and ::1. A silent server is a loopback listener that accepts and never
answers; a refusing one is a closed loopback port. Name resolution (a host that resolves only later)
is not tested: it would send queries to the non-loopback resolver.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest

import pg as pgm
from conftest import WRAPPER, timeout, wait_until

WRONG_PASSWORD = "Wr0ngPw-z81q"
MALFORMED_SECRET = "S3crMalf-7yq"
SQLSERVER_SECRET = "SqlSrvPw-4kd"
RAW_AT_SECRET = "RawAt@Pw-3jd"  # a raw '@' in the password (a common mistake; Prisma splits at the last '@')
RAW_SLASH_SECRET = "Sl/ashPw-6hc"  # a raw '/' in the password: malformed
QUERY_SECRET = "QryPw-8ntv"  # ?password=... (libpq reads it)
SSLPASSWORD_SECRET = "SslIdPw-5mz"  # Prisma's ?sslpassword= (the PKCS#12 identity's password)
# Every secret, in the forms it could leak in: raw, percent-encoded, JSON-escaped, and distinctive
# fragments (a leak of half a password is still a leak).
LEAKY_SECRET = "LeakPw-4qz"  # issue 10's shapes: '@' then '#', wait URLs, non-URL forms, api keys
SECRETS = sorted(
    {
        LEAKY_SECRET,
        "LeakPw",
        *pgm.ALL_PASSWORDS,
        WRONG_PASSWORD,
        MALFORMED_SECRET,
        SQLSERVER_SECRET,
        RAW_AT_SECRET,
        RAW_SLASH_SECRET,
        QUERY_SECRET,
        SSLPASSWORD_SECRET,
        *(quote(p, safe="") for p in (*pgm.ALL_PASSWORDS, WRONG_PASSWORD)),
        *(json.dumps(p)[1:-1] for p in pgm.ALL_PASSWORDS),
        "Pw4app",
        "9f3kQz",
        "Od@d:pw",
        "Od%40d",
        "pw/%41",
        "pw%2F",
        "Wr0ngPw",
        "S3crMalf",
        "SqlSrvPw",
        "RawAt",
        "Pw-3jd",
        "Sl/ash",
        "ashPw-6hc",
        "QryPw",
        "SslIdPw",
    }
)

NUM = r"(\d+(?:\.\d+)?)"
SLOW_RUN = bool(WRAPPER)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def assert_no_secrets(res):
    """No password (or a fragment of one) in any line of stdout or stderr, JSON-decoded or not."""
    for stream, text in (("stdout", res.stdout), ("stderr", res.stderr)):
        for line in text.splitlines():
            candidates = [line]
            try:
                obj = json.loads(line)
                candidates.append(json.dumps(obj, ensure_ascii=False))
                if isinstance(obj, dict):
                    candidates += [str(v) for v in obj.values()]
            except ValueError:
                pass
            for c in candidates:
                for secret in SECRETS:
                    assert secret not in c, f"a password ({secret!r}) appears on {stream}: {line!r}\n{res}"


def wait(runner, *args, url: str | None = None, env: dict | None = None, seconds: float = 30):
    """`prisma-entrypoint wait ARGS` with DATABASE_URL=url (when given); checks for secrets."""
    env = dict(env or {})
    if url is not None:
        env["DATABASE_URL"] = url
    res = runner.run(["wait", *args], env=env, seconds=seconds)
    assert_no_secrets(res)
    return res


def lines(res, *needles: str, pattern: str | None = None) -> list[str]:
    """stderr lines containing every needle (case-insensitive) and matching pattern (if given)."""
    out = []
    for line in res.stderr_lines():
        low = line.lower()
        if all(n.lower() in low for n in needles) and (pattern is None or re.search(pattern, line, re.I)):
            out.append(line)
    return out


def one_line(res, *needles: str, pattern: str | None = None, what: str = "") -> str:
    found = lines(res, *needles, pattern=pattern)
    assert found, f"no stderr line {what or ''} with {needles} {pattern or ''}\n{res}"
    return found[0]


def ready_line(res, target: str):
    """(seconds, attempts) from "... at TARGET ready after 1.42 s, 9 attempts"."""
    line = one_line(res, target, pattern=rf"ready after {NUM} ?s\b", what="saying it is ready")
    m = re.search(rf"ready after {NUM} ?s\b", line)
    a = re.search(r"(\d+) attempts?\b", line)
    assert a, f"the ready line does not count the attempts: {line!r}\n{res}"
    return float(m.group(1)), int(a.group(1))


def not_ready_lines(res) -> list[str]:
    return lines(res, pattern=r"not ready after")


def limit(seconds: float) -> float:
    """A timing bound: as stated for the plain or sanitized binary, scaled under a wrapper."""
    return timeout(seconds) if SLOW_RUN else seconds


def closed_port() -> int:
    """A loopback port nothing listens on (connect: refused)."""
    return pgm.free_port()


class TcpListener:
    """A loopback TCP socket bound at once; listening now or when listen() is called. Accepted
    connections are held open and never answered (mode "hold") or closed at once (mode "close").
    A bound socket that does not listen refuses connections, so the port cannot be taken meanwhile."""

    def __init__(self, host: str = "127.0.0.1", listen: bool = True, mode: str = "hold"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.host, self.port = host, self.sock.getsockname()[1]
        self.mode = mode
        self.accepted = 0
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = None
        if listen:
            self.listen()

    def listen(self):
        self.sock.listen(64)
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "hold":
                self.held.append(conn)
            else:
                conn.close()

    def close(self):
        self._stop.set()
        if self._thread:
            self._thread.join(2)
        for c in self.held:
            c.close()
        self.sock.close()


class UnixListener(TcpListener):
    def __init__(self, path: Path, listen: bool = True, mode: str = "close"):
        self.path = Path(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.mode = mode
        self.accepted = 0
        self.held = []
        self._stop = threading.Event()
        self._thread = None
        if listen:
            self.listen()


@pytest.fixture
def listeners():
    made = []

    def make(kind="tcp", **kw):
        lst = UnixListener(**kw) if kind == "unix" else TcpListener(**kw)
        made.append(lst)
        return lst

    yield make
    for lst in made:
        lst.close()


@pytest.fixture
def short_tmp():
    """A short directory path (unix socket paths are limited to 107 bytes)."""
    d = Path(tempfile.mkdtemp(prefix="pe-w-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def later():
    """later(delay, fn): run fn in a thread after delay seconds; an exception there fails the test."""
    timers, errors = [], []

    def schedule(delay: float, fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported at teardown
                errors.append(e)

        t = threading.Timer(delay, run)
        t.start()
        timers.append(t)
        return t

    yield schedule
    for t in timers:
        t.join(60)
    if errors:
        raise errors[0]


def touch(path: Path):
    def f():
        path.write_text("ready\n")

    return f


# ---------------------------------------------------------------------------------------------
# PostgreSQL ready
# ---------------------------------------------------------------------------------------------


def test_database_already_up_is_ready_at_once(pe_plain, pg):
    res = wait(pe_plain, "--wait-timeout", "10s", url=pg.url())
    assert res.returncode == 0, str(res)
    assert res.elapsed < limit(1.0), f"an up database took {res.elapsed:.2f} s\n{res}"
    secs, attempts = ready_line(res, f"127.0.0.1:{pg.port}")
    assert attempts == 1 and secs < 1.0, str(res)


def test_database_url_from_flag_is_used(pe_plain, pg):
    res = wait(pe_plain, "--database-url", pg.url(), "--wait-timeout", "10s")
    assert res.returncode == 0, str(res)
    ready_line(res, f"127.0.0.1:{pg.port}")


def test_postgres_scheme_alias_is_ready(pe_plain, pg):
    res = wait(pe_plain, "--wait-timeout", "10s", url=pg.url(scheme="postgres"))
    assert res.returncode == 0, str(res)


def test_database_started_two_seconds_into_the_wait(pe_plain, pg_fresh, later):
    started = {}

    def start():
        pg_fresh.start()
        started["at"] = time.monotonic()

    p = pe_plain.start(["wait", "--wait-timeout", "20s"], env={"DATABASE_URL": pg_fresh.url()})
    timer = later(2.0, start)
    res = p.wait(40)
    timer.join(30)  # the wait may end before pg_ctl -w has noticed the server is up
    assert_no_secrets(res)
    assert res.returncode == 0, str(res)
    start_line = one_line(res, "waiting for postgres", f"127.0.0.1:{pg_fresh.port}", what="announcing the wait")
    assert "appdb" in start_line and re.search(r"\(timeout 20(\.0)? ?s\)", start_line), start_line
    secs, attempts = ready_line(res, f"127.0.0.1:{pg_fresh.port}")
    assert secs >= 1.9, f"ready after {secs} s although the server started 2 s in\n{res}"
    # a closed port is probed every 100 ms by default (backoff-max): a 2 s wait is ~20 attempts, not 2 or 3
    assert attempts >= 15, f"only {attempts} attempts in {secs} s: the backoff does not look capped\n{res}"
    assert "at" in started, "the server was not started"
    late = p.started + res.elapsed - started["at"]
    assert late < limit(0.6), f"the wait ended {late:.2f} s after pg_ctl reported the server up\n{res}"


def test_backoff_max_caps_the_retry_interval_from_above(pe_plain, pg_fresh, later):
    p = pe_plain.start(
        ["wait", "--wait-timeout", "20s", "--backoff-max", "500ms"], env={"DATABASE_URL": pg_fresh.url()}
    )
    later(1.5, pg_fresh.start)
    res = p.wait(40)
    assert res.returncode == 0, str(res)
    secs, attempts = ready_line(res, f"127.0.0.1:{pg_fresh.port}")
    # a closed port probed every 500-550 ms is 3-4 attempts in 1.6 s, then a login or a few (57P03
    # from 10 ms, growing); 100 ms steps would be ~17
    assert 3 <= attempts <= 16, f"{attempts} attempts in {secs} s with --backoff-max 500ms\n{res}"


def test_database_stopped_and_restarted_during_the_wait(pe_plain, pg_fresh):
    """A real server in smart shutdown refuses new connections with 57P03 "the database system is
    shutting down" while a session is open; it then stops (refused) and is started again."""
    pg_fresh.start()
    session = pg_fresh.open_session()
    try:
        pg_fresh.stop(mode="smart", wait=False)
        time.sleep(0.2)
        p = pe_plain.start(["wait", "--wait-timeout", "20s"], env={"DATABASE_URL": pg_fresh.url()})
        time.sleep(0.8)
        assert p.popen.poll() is None, f"the wait ended while the server was shutting down\n{p.wait()}"
    finally:
        pgm.close_session(session)
    pg_fresh.wait_stopped()
    time.sleep(0.3)
    assert p.popen.poll() is None, f"the wait ended while the server was down\n{p.wait()}"
    pg_fresh.start()
    res = p.wait(40)
    assert_no_secrets(res)
    assert res.returncode == 0, str(res)
    secs, attempts = ready_line(res, f"127.0.0.1:{pg_fresh.port}")
    assert secs >= 1.0 and attempts >= 3, str(res)


def test_server_shutting_down_for_the_whole_wait_times_out_saying_so(pe_plain, pg_fresh):
    pg_fresh.start()
    session = pg_fresh.open_session()
    try:
        pg_fresh.stop(mode="smart", wait=False)
        time.sleep(0.2)
        res = wait(pe_plain, "--wait-timeout", "1s", "--attempt-timeout", "500ms", url=pg_fresh.url())
    finally:
        pgm.close_session(session)
    assert res.returncode == 124, str(res)
    line = one_line(res, f"127.0.0.1:{pg_fresh.port}", pattern=r"not ready after")
    assert "shutting down" in line.lower(), f"the timeout line does not say what was last seen: {line!r}"


def test_unix_socket_url_with_host_parameter(pe_plain, pg):
    res = wait(pe_plain, "--wait-timeout", "10s", url=pg.socket_url())
    assert res.returncode == 0, str(res)
    assert lines(res, pattern=rf"ready after {NUM} ?s"), str(res)


def test_ipv6_loopback_in_brackets(pe_plain, pg):
    if not pg.ipv6:
        pytest.skip("::1 is not usable here")
    res = wait(pe_plain, "--wait-timeout", "10s", url=pg.url(host="::1"))
    assert res.returncode == 0, str(res)
    ready_line(res, "::1")


def test_percent_encoded_password_with_at_colon_slash(pe_plain, pg):
    url = pg.url(user=pgm.ODD_USER, password=pgm.ODD_PASSWORD)
    assert "%40" in url and "%3A" in url and "%2F" in url and "%25" in url, url
    res = wait(pe_plain, "--wait-timeout", "10s", url=url)
    assert res.returncode == 0, str(res)
    ready_line(res, f"127.0.0.1:{pg.port}")


PRISMA_PARAMS = {
    "schema": "public",
    "connection_limit": "5",
    "pool_timeout": "10",
    "pgbouncer": "true",
    "statement_cache_size": "0",
    "socket_timeout": "5",
    "sslaccept": "accept_invalid_certs",
    "connect_timeout": "5",
}


def test_every_prisma_query_parameter_at_once_is_accepted(pe_plain, pg):
    res = wait(pe_plain, "--wait-timeout", "10s", url=pg.url(params=PRISMA_PARAMS))
    assert res.returncode == 0, str(res)


@pytest.mark.parametrize("param", list(PRISMA_PARAMS))
def test_prisma_query_parameter_is_accepted(pe_plain, pg, param):
    res = wait(pe_plain, "--wait-timeout", "10s", url=pg.url(params={param: PRISMA_PARAMS[param]}))
    assert res.returncode == 0, str(res)


def test_tls_required_against_a_tls_server(pe_plain, pg_tls):
    res = wait(pe_plain, "--wait-timeout", "10s", url=pg_tls.url(params="sslmode=require"))
    assert res.returncode == 0, str(res)
    ready_line(res, f"127.0.0.1:{pg_tls.port}")


def test_tls_required_with_prisma_sslaccept_against_a_tls_server(pe_plain, pg_tls):
    res = wait(
        pe_plain, "--wait-timeout", "10s", url=pg_tls.url(params="sslmode=require&sslaccept=accept_invalid_certs")
    )
    assert res.returncode == 0, str(res)


# ---------------------------------------------------------------------------------------------
# PostgreSQL permanent errors: 69 at once, one line that says what and what to do
# ---------------------------------------------------------------------------------------------


def permanent(runner, url: str, port: int):
    res = wait(runner, "--wait-timeout", "5s", url=url)
    assert res.returncode == 69, str(res)
    assert res.elapsed < limit(1.0), f"a permanent error took {res.elapsed:.2f} s to be reported\n{res}"
    return res


def test_wrong_password_fails_at_once(pe_plain, pg):
    res = permanent(pe_plain, pg.url(password=WRONG_PASSWORD), pg.port)
    assert res.elapsed < limit(0.75), f"a wrong password took {res.elapsed:.2f} s\n{res}"
    line = one_line(res, f"127.0.0.1:{pg.port}", "password authentication failed", what="naming the problem")
    assert "28P01" in line, line
    assert re.search(r"check|DATABASE_URL", line), f"the line does not say what to do: {line!r}"
    # the usual cause with the official image: a volume made with another POSTGRES_PASSWORD
    assert "POSTGRES_PASSWORD" in line and "volume is first created" in line, line


def test_missing_role_over_tcp_fails_at_once(pe_plain, pg):
    # with password authentication the server hides that the role is missing: 28P01 on the wire
    res = permanent(pe_plain, pg.url(user=pgm.MISSING_USER), pg.port)
    one_line(res, f"127.0.0.1:{pg.port}", pgm.MISSING_USER, pattern=r"28P01|28000")


def test_missing_role_over_unix_socket_fails_at_once(pe_plain, pg):
    # trust on the socket: the server says 28000 role "ghost" does not exist
    res = permanent(pe_plain, pg.socket_url(user=pgm.MISSING_USER), pg.port)
    line = one_line(res, pgm.MISSING_USER, "28000")
    assert "does not exist" in line, line


def test_missing_database_fails_at_once(pe_plain, pg):
    # no Prisma schema here, so no migrations that would create it
    res = permanent(pe_plain, pg.url(database=pgm.MISSING_DB), pg.port)
    line = one_line(res, f"127.0.0.1:{pg.port}", pgm.MISSING_DB, "3D000")
    assert "does not exist" in line, line


def write_prisma_project(cwd: Path, migrations: bool):
    """prisma/schema.prisma, and prisma/migrations with one migration when asked (else empty)."""
    (cwd / "prisma" / "migrations").mkdir(parents=True)
    (cwd / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    )
    if migrations:
        init = cwd / "prisma" / "migrations" / "20260101000000_init"
        init.mkdir()
        (init / "migration.sql").write_text('CREATE TABLE "T" (id INTEGER PRIMARY KEY);\n')


@pytest.mark.parametrize("mode", ["migrations", "no-migrate", "no-migrations-yet"])
def test_missing_database_in_both_modes(pe_plain, pg, mode):
    """With migrations enabled (a migrations folder with migrations, migrate not turned off), prisma
    migrate deploy will create a missing database: it counts as ready. Otherwise it is permanent."""
    write_prisma_project(pe_plain.cwd, migrations=mode != "no-migrations-yet")
    opts = ["--no-migrate"] if mode == "no-migrate" else []
    res = wait(pe_plain, *opts, "--wait-timeout", "5s", url=pg.url(database=pgm.MISSING_DB))
    assert res.elapsed < limit(1.0), str(res)
    if mode != "migrations":
        assert res.returncode == 69, str(res)
        one_line(res, f"127.0.0.1:{pg.port}", pgm.MISSING_DB, "3D000")
        return
    assert res.returncode == 0, str(res)
    line = one_line(res, f"127.0.0.1:{pg.port}", "ready after")
    assert (
        f'database "{pgm.MISSING_DB}" does not exist yet: the migrate phase creates it and applies '
        "prisma/migrations" in line
    ), line
    assert not lines(res, "error"), str(res)


def test_pg_hba_rejection_fails_at_once(pe_plain, pg):
    res = permanent(pe_plain, pg.url(user=pgm.REJECTED_USER), pg.port)
    line = one_line(res, f"127.0.0.1:{pg.port}", "28000")
    assert "pg_hba" in line, line
    # this server has no TLS at all: telling the user to require TLS sends them the wrong way
    assert "sslmode=require" not in line, f"misleading advice for a pg_hba reject line: {line!r}"


def test_pg_hba_rejection_on_a_tls_server_does_not_blame_encryption(pe_plain, pg_tls):
    # sslmode=prefer: the connection was tried with TLS and rejected, then without TLS and rejected
    res = permanent(pe_plain, pg_tls.url(user=pgm.REJECTED_USER), pg_tls.port)
    line = one_line(res, f"127.0.0.1:{pg_tls.port}", "28000")
    assert "pg_hba" in line, line
    assert "sslmode=require" not in line, f"misleading advice: TLS was tried and rejected too: {line!r}"


def test_tls_required_against_a_server_without_tls_fails_at_once(pe_plain, pg):
    res = permanent(pe_plain, pg.url(params="sslmode=require"), pg.port)
    one_line(res, f"127.0.0.1:{pg.port}", pattern=r"SSL|TLS")


def test_tls_required_by_the_server_and_disabled_in_the_url_fails_at_once(pe_plain, pg_tls):
    res = permanent(pe_plain, pg_tls.url(user=pgm.TLSONLY_USER, params="sslmode=disable"), pg_tls.port)
    line = one_line(res, f"127.0.0.1:{pg_tls.port}", "28000")
    # the URL itself turned TLS off (sslmode=disable) and the server says "no encryption": the advice
    # should at least mention TLS/sslmode as a way out, next to pg_hba.conf
    assert "sslmode" in line, f"TLS was disabled by the URL: the advice should mention sslmode: {line!r}"


def test_unsupported_database_scheme_fails(pe_plain):
    res = wait(pe_plain, "--wait-timeout", "2s", url=f"redis://app:{MALFORMED_SECRET}@127.0.0.1:6379/0")
    assert res.returncode == 69, str(res)
    one_line(res, "redis")


# ---------------------------------------------------------------------------------------------
# PostgreSQL transient conditions until the deadline: 124 with what was last seen
# ---------------------------------------------------------------------------------------------


def test_silent_listener_times_out_each_attempt_and_the_wait_ends_on_time(pe_plain, listeners):
    silent = listeners("tcp", mode="hold")  # accepts, never answers
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{silent.port}/appdb"
    res = wait(pe_plain, "--attempt-timeout", "300ms", "--wait-timeout", "2s", url=url)
    assert res.returncode == 124, str(res)
    assert 1.9 <= res.elapsed < limit(2.6), f"a 2 s wait took {res.elapsed:.2f} s\n{res}"
    assert silent.accepted >= 3, (
        f"only {silent.accepted} connection(s) in 2 s with a 300 ms attempt timeout: an attempt was not "
        f"cut at 300 ms\n{res}"
    )
    line = one_line(res, f"127.0.0.1:{silent.port}", pattern=r"not ready after")
    assert re.search(r"no response|time", line, re.I), line


def test_the_wait_deadline_cuts_an_attempt_in_progress(pe_plain, listeners):
    """An attempt timeout longer than the whole wait: the one deadline still ends the wait on time,
    and the timeout line says what the attempt in progress saw (no response), not a placeholder."""
    silent = listeners("tcp", mode="hold")
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{silent.port}/appdb"
    res = wait(pe_plain, "--attempt-timeout", "10s", "--wait-timeout", "1s", url=url)
    assert res.returncode == 124, str(res)
    assert 0.9 <= res.elapsed < limit(1.5), f"a 1 s wait took {res.elapsed:.2f} s\n{res}"
    line = one_line(res, f"127.0.0.1:{silent.port}", pattern=r"not ready after")
    assert re.search(r"no response|time", line, re.I), line


def test_closed_port_times_out_saying_connection_refused(pe_plain):
    port = closed_port()
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{port}/appdb"
    res = wait(pe_plain, "--wait-timeout", "5500ms", url=url)
    assert res.returncode == 124, str(res)
    assert 5.4 <= res.elapsed < limit(6.3), str(res)
    start = one_line(res, "waiting for postgres", f"127.0.0.1:{port}")
    assert "appdb" in start, start
    still = one_line(res, "still waiting", f"127.0.0.1:{port}", what="of progress after ~5 s")
    assert "connection refused" in still.lower(), still
    line = one_line(res, f"127.0.0.1:{port}", pattern=r"not ready after")
    assert "connection refused" in line.lower(), line
    assert len(not_ready_lines(res)) == 1, str(res)


def test_server_starting_up_forever_times_out_saying_starting_up(pe_plain, fake_pg):
    fake = fake_pg("57P03")  # FAKE: a real server cannot be held in "starting up"
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{fake.port}/appdb"
    res = wait(pe_plain, "--wait-timeout", "1s", url=url)
    assert res.returncode == 124, str(res)
    assert fake.connections >= 3, f"57P03 was not retried ({fake.connections} connections)\n{res}"
    line = one_line(res, f"127.0.0.1:{fake.port}", pattern=r"not ready after")
    assert "starting up" in line.lower(), line


def test_too_many_clients_forever_times_out_saying_too_many(pe_plain, fake_pg):
    fake = fake_pg("53300")  # FAKE: a real server cannot be held at max_connections cheaply
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{fake.port}/appdb"
    res = wait(pe_plain, "--wait-timeout", "1s", url=url)
    assert res.returncode == 124, str(res)
    assert fake.connections >= 3, f"53300 was not retried ({fake.connections} connections)\n{res}"
    line = one_line(res, f"127.0.0.1:{fake.port}", pattern=r"not ready after")
    assert "too many" in line.lower(), line


def test_starting_up_then_refused_is_still_transient(pe_plain, fake_pg):
    fake = fake_pg("57P03", count=3, after="refuse")  # FAKE
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{fake.port}/appdb"
    res = wait(pe_plain, "--wait-timeout", "1s", url=url)
    assert res.returncode == 124, str(res)
    line = one_line(res, f"127.0.0.1:{fake.port}", pattern=r"not ready after")
    assert "refused" in line.lower(), f"the timeout line should show the last thing seen: {line!r}"


# ---------------------------------------------------------------------------------------------
# The connect probe (issue 15): a closed port costs a bare connect, not a login; a port that
# accepts is logged in to; a server that answers "starting up" is logged in to again, not probed
# ---------------------------------------------------------------------------------------------

ATTEMPT_LINE = re.compile(r": attempt (\d+): (.*)$")


def attempt_lines(res, target: str) -> list[tuple[int, str]]:
    """(N, what) of the -vv "TARGET: attempt N: what" lines (failed attempts), in order."""
    out = []
    for line in lines(res, target):
        m = ATTEMPT_LINE.search(line)
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out


def port_open_lines(res, target: str) -> list[str]:
    return lines(res, target, "accepts a connection: logging in")


def test_closed_port_is_probed_with_a_connect_not_a_login(pe_plain):
    port = closed_port()
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{port}/appdb"
    res = wait(pe_plain, "-vv", "--wait-timeout", "1s", url=url)
    assert res.returncode == 124, str(res)
    tried = attempt_lines(res, f"127.0.0.1:{port}")
    assert tried, f"no -vv attempt lines\n{res}"
    assert all(what == "connect probe: connection refused" for _, what in tried), f"{tried}\n{res}"
    # pauses of at least backoff-max (100 ms) between probes: at most 11 in a 1 s wait (logins backing
    # off from 10 ms to the former 60 ms cap were ~20)
    assert len(tried) <= 11, f"{len(tried)} probes in a 1 s wait\n{res}"
    assert not port_open_lines(res, f"127.0.0.1:{port}"), str(res)
    line = one_line(res, f"127.0.0.1:{port}", pattern=r"not ready after")
    assert line.endswith(": connection refused"), line


def test_backoff_max_sets_the_probe_interval_of_a_closed_port(pe_plain):
    port = closed_port()
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{port}/appdb"
    res = wait(pe_plain, "-vv", "--wait-timeout", "1s", "--backoff-max", "400ms", url=url)
    assert res.returncode == 124, str(res)
    tried = attempt_lines(res, f"127.0.0.1:{port}")
    # probes at 0, 400-440, 800-880 ms: 2 or 3 (the first pause is the cap, not 10 ms)
    assert 1 <= len(tried) <= 3, f"{len(tried)} probes in 1 s with backoff-max 400ms\n{res}"


def test_starting_up_is_logged_in_to_again_without_probing_the_port_each_time(pe_plain, fake_pg):
    fake = fake_pg("57P03")  # FAKE: a real server cannot be held in "starting up"
    target = f"127.0.0.1:{fake.port}"
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@{target}/appdb"
    res = wait(pe_plain, "-vv", "--wait-timeout", "1s", url=url)
    assert res.returncode == 124, str(res)
    # one probe found the port open; every attempt after it was a login the server turned away
    assert len(port_open_lines(res, target)) == 1, str(res)
    tried = attempt_lines(res, target)
    assert len(tried) >= 3, f"57P03 was not retried\n{res}"
    assert all(what == "login: the database system is starting up (57P03)" for _, what in tried), str(res)
    # the fake saw the one bare connect (no startup packet) and then logins only
    assert len(fake.startups) >= len(tried), f"{len(fake.startups)} logins for {len(tried)} attempts\n{res}"
    assert fake.connections <= len(fake.startups) + 2, (
        f"{fake.connections} connections for {len(fake.startups)} logins: the port was probed before each login"
        f"\n{res}"
    )


def test_starting_up_is_asked_again_every_10_ms_for_a_second_then_less_often(pe_plain, fake_pg):
    """A server replaying its WAL takes logins the moment it is done: asked every 10 ms during the first
    second of "starting up" answers (not with the growing pause), then with the growth again, so that a
    standby that never takes logins is not asked a hundred times a second for ever."""
    fake = fake_pg("57P03")  # FAKE: a real server cannot be held in "starting up"
    target = f"127.0.0.1:{fake.port}"
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@{target}/appdb"
    res = wait(pe_plain, "-vv", "--log-format", "json", "--wait-timeout", "3s", "--backoff-max", "400ms", url=url)
    assert res.returncode == 124, str(res)
    times = []  # seconds (the log's own clock) of each login turned away with 57P03
    for line in res.stderr.splitlines():
        entry = json.loads(line)
        if re.search(r": attempt \d+: login: .*\(57P03\)$", entry["msg"]):
            times.append(datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp())
    assert times, str(res)
    first = [t for t in times if t - times[0] < 0.9]
    # growing pauses (10, 15, 22 ... ms) make 8 logins in the first 0.9 s; every 10 ms, 40 or more
    assert len(first) >= 20, f"{len(first)} logins in the first 0.9 s: not asked every 10 ms\n{res}"
    # after the first second the pauses grow again from 10 ms: past 2 s they are 250 ms and more
    late = [t for t in times if t - times[0] >= 2.0]
    gaps = [round((b - a) * 1000) for a, b in zip(late, late[1:])]
    assert late and all(gap >= 150 for gap in gaps), f"gaps after 2 s: {gaps} ms: the pause did not grow\n{res}"


def test_database_started_during_the_wait_is_probed_then_logged_in_to(pe_plain, pg_fresh, later):
    p = pe_plain.start(["-vv", "wait", "--wait-timeout", "20s"], env={"DATABASE_URL": pg_fresh.url()})
    later(1.0, pg_fresh.start)
    res = p.wait(40)
    assert_no_secrets(res)
    assert res.returncode == 0, str(res)
    target = f"127.0.0.1:{pg_fresh.port}"
    tried = attempt_lines(res, target)
    probes = [n for n, what in tried if what.startswith("connect probe: ")]
    logins = [what for _, what in tried if what.startswith("login: ")]
    assert len(probes) >= 5, f"the closed port was not probed\n{res}"
    assert all(re.search(r"\(57P03\)$", what) for what in logins), f"a login failed otherwise: {logins}\n{res}"
    opened = port_open_lines(res, target)
    assert opened, f"no line says the port accepted\n{res}"
    # logins only after the port accepted: the last probe comes before the first login
    assert all(n < int(re.search(r"attempt (\d+)", opened[0]).group(1)) for n in probes), str(res)
    ready_line(res, target)


def test_unix_socket_database_started_during_the_wait(pe_plain, pg_fresh, later):
    p = pe_plain.start(["-vv", "wait", "--wait-timeout", "20s"], env={"DATABASE_URL": pg_fresh.socket_url()})
    later(1.0, pg_fresh.start)
    res = p.wait(40)
    assert_no_secrets(res)
    assert res.returncode == 0, str(res)
    sock = f"{pg_fresh.socket_dir}/.s.PGSQL.{pg_fresh.port}"
    tried = attempt_lines(res, sock)
    assert any(what == f"connect probe: socket {sock} does not exist" for _, what in tried), str(res)
    assert port_open_lines(res, sock), str(res)
    one_line(res, sock, pattern=r"ready after")


def test_several_hosts_one_closed_is_ready_through_the_other(pe_plain, pg):
    closed = closed_port()
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{closed},127.0.0.1:{pg.port}/{pgm.APP_DB}"
    res = wait(pe_plain, "-vv", "--wait-timeout", "10s", url=url)
    assert res.returncode == 0, str(res)
    opened = lines(res, f"127.0.0.1:{pg.port} accepts a connection: logging in")
    assert opened, str(res)
    one_line(res, pattern=r"ready after .* 1 attempt\b")


# ---------------------------------------------------------------------------------------------
# other dependencies: tcp://, unix://, file://, several at once
# ---------------------------------------------------------------------------------------------


def test_tcp_dependency_is_ready_once_a_listener_exists(pe_plain, listeners, later):
    lst = listeners("tcp", listen=False)  # bound, not listening: refused
    p = pe_plain.start(["wait", "--wait", f"tcp://127.0.0.1:{lst.port}", "--wait-timeout", "10s"])
    later(0.5, lst.listen)
    res = p.wait(20)
    assert res.returncode == 0, str(res)
    assert res.elapsed >= 0.5, f"ready before anything listened\n{res}"
    assert res.elapsed < limit(1.5), str(res)
    one_line(res, f"127.0.0.1:{lst.port}", pattern=r"ready after")


def test_file_dependency_is_ready_when_the_file_appears(pe_plain, later):
    flag = pe_plain.path("flag")
    p = pe_plain.start(["wait", "--wait", f"file://{flag}", "--wait-timeout", "10s"])
    later(0.5, touch(flag))
    res = p.wait(20)
    assert res.returncode == 0, str(res)
    assert 0.5 <= res.elapsed < limit(1.5), str(res)
    one_line(res, str(flag), pattern=r"ready after")


def test_unix_dependency_is_ready_when_the_socket_accepts(pe_plain, listeners, short_tmp, later):
    path = short_tmp / "app.sock"
    lst = listeners("unix", path=path, listen=False)  # the socket file exists but refuses
    p = pe_plain.start(["wait", "--wait", f"unix://{path}", "--wait-timeout", "10s"])
    later(0.5, lst.listen)
    res = p.wait(20)
    assert res.returncode == 0, str(res)
    assert 0.5 <= res.elapsed < limit(1.5), f"ready before the socket accepted\n{res}"
    one_line(res, str(path), pattern=r"ready after")


def test_unix_dependency_whose_socket_appears_later(pe_plain, listeners, short_tmp, later):
    path = short_tmp / "late.sock"
    p = pe_plain.start(["wait", "--wait", f"unix://{path}", "--wait-timeout", "10s"])
    later(0.5, lambda: listeners("unix", path=path))
    res = p.wait(20)
    assert res.returncode == 0, str(res)
    assert 0.5 <= res.elapsed < limit(1.5), str(res)


def test_several_dependencies_time_out_with_one_line_each(pe_plain, short_tmp):
    db_port, tcp_port = closed_port(), closed_port()
    flag, sock = short_tmp / "missing.flag", short_tmp / "missing.sock"
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{db_port}/appdb"
    res = wait(
        pe_plain,
        "--wait",
        f"tcp://127.0.0.1:{tcp_port}",
        "--wait",
        f"file://{flag}",
        "--wait",
        f"unix://{sock}",
        "--wait-timeout",
        "1s",
        url=url,
    )
    assert res.returncode == 124, str(res)
    assert res.elapsed < limit(1.6), f"one overall deadline of 1 s, not one per dependency\n{res}"
    start = one_line(res, "waiting for")
    for what in (f"127.0.0.1:{db_port}", f"127.0.0.1:{tcp_port}", str(flag), str(sock)):
        assert what in start, f"the start line does not name {what}: {start!r}"
    nr = not_ready_lines(res)
    assert len(nr) == 4, f"expected one 'not ready' line per dependency\n{res}"
    for what in (f"127.0.0.1:{db_port}", f"127.0.0.1:{tcp_port}", str(flag), str(sock)):
        assert sum(what in line for line in nr) == 1, f"no single 'not ready' line for {what}\n{res}"


def test_only_the_dependencies_not_ready_are_reported(pe_plain, pg, listeners, short_tmp):
    lst = listeners("tcp", mode="close")
    flag, sock = short_tmp / "missing.flag", short_tmp / "missing.sock"
    res = wait(
        pe_plain,
        "--wait",
        f"tcp://127.0.0.1:{lst.port}",
        "--wait",
        f"file://{flag}",
        "--wait",
        f"unix://{sock}",
        "--wait-timeout",
        "1s",
        url=pg.url(),
    )
    assert res.returncode == 124, str(res)
    nr = not_ready_lines(res)
    assert len(nr) == 2, str(res)
    assert any(str(flag) in line for line in nr) and any(str(sock) in line for line in nr), str(res)
    assert not any(f":{pg.port}" in line or f":{lst.port}" in line for line in nr), str(res)


@pytest.mark.parametrize("how", ["flags", "env", "ini"])
def test_several_dependencies_all_ready(pe_plain, pg, listeners, short_tmp, later, how):
    lst = listeners("tcp", mode="close")
    flag, sock = short_tmp / "ready.flag", short_tmp / "ready.sock"
    ulst = listeners("unix", path=sock, listen=False)
    urls = [f"tcp://127.0.0.1:{lst.port}", f"file://{flag}", f"unix://{sock}"]
    args, env = ["--wait-timeout", "10s"], {"DATABASE_URL": pg.url()}
    if how == "flags":
        for u in urls:
            args += ["--wait", u]
    elif how == "env":
        env["PRISMA_ENTRYPOINT_WAIT"] = f"{urls[0]}, {urls[1]} {urls[2]}"  # commas and spaces
    else:
        pe_plain.path("prisma-entrypoint.ini").write_text("[wait]\nwait = " + ", ".join(urls) + "\n")
    p = pe_plain.start(["wait", *args], env=env)
    later(0.3, touch(flag))
    later(0.5, ulst.listen)
    res = p.wait(20)
    assert_no_secrets(res)
    assert res.returncode == 0, str(res)
    assert 0.5 <= res.elapsed < limit(1.5), str(res)
    for what in (f"127.0.0.1:{pg.port}", f"127.0.0.1:{lst.port}", str(flag), str(sock)):
        one_line(res, what, pattern=r"ready after", what=f"saying {what} is ready")


def test_mysql_url_waits_for_the_tcp_port_only(pe_plain, listeners):
    lst = listeners("tcp", mode="close")
    res = wait(pe_plain, "--wait-timeout", "5s", url=f"mysql://app:{MALFORMED_SECRET}@127.0.0.1:{lst.port}/appdb")
    assert res.returncode == 0, str(res)
    assert lines(res, str(lst.port), pattern=r"port|tcp"), f"it should say only the port is checked\n{res}"


def test_sqlserver_url_waits_for_the_tcp_port_and_hides_its_password(pe_plain, listeners):
    lst = listeners("tcp", mode="close")
    url = f"sqlserver://127.0.0.1:{lst.port};database=appdb;user=sa;password={SQLSERVER_SECRET};encrypt=true"
    res = wait(pe_plain, "-vv", "--wait-timeout", "5s", url=url)
    assert res.returncode == 0, str(res)
    assert lines(res, str(lst.port)), str(res)


def test_sqlite_file_url_is_ready_when_its_directory_is_writable(pe_plain):
    res = wait(pe_plain, "--wait-timeout", "5s", url="file:./dev.db")
    assert res.returncode == 0, str(res)


def test_sqlite_file_url_waits_for_its_directory_to_appear(pe_plain, short_tmp, later):
    directory = short_tmp / "data"
    p = pe_plain.start(["wait", "--wait-timeout", "10s"], env={"DATABASE_URL": f"file:{directory}/dev.db"})
    later(0.5, directory.mkdir)
    res = p.wait(20)
    assert res.returncode == 0, str(res)
    assert 0.5 <= res.elapsed < limit(1.5), str(res)


def test_wait_timeout_0_waits_until_ready(pe_plain, later):
    flag = pe_plain.path("flag")
    p = pe_plain.start(["wait", "--wait", f"file://{flag}", "--wait-timeout", "0"])
    later(0.7, touch(flag))
    res = p.wait(20)
    assert res.returncode == 0, str(res)
    assert res.elapsed >= 0.7, str(res)


# ---------------------------------------------------------------------------------------------
# nothing to wait for, bad URLs, signals
# ---------------------------------------------------------------------------------------------


def test_nothing_to_wait_for_exits_0_at_once(pe_plain):
    res = wait(pe_plain)
    assert res.returncode == 0, str(res)
    assert res.elapsed < limit(0.5), str(res)
    assert not [line for line in res.stderr_lines() if re.search(r"error|warning", line, re.I)], str(res)
    verbose = wait(pe_plain, "-v")
    assert verbose.returncode == 0, str(verbose)
    assert len(verbose.stderr_lines()) >= 1, f"-v should say there is nothing to wait for\n{verbose}"


MALFORMED = [
    f"postgresql://app:{MALFORMED_SECRET}@127.0.0.1:notaport/appdb",
    f"postgresql://app:{MALFORMED_SECRET}@127.0.0.1:99999/appdb",
    f"postgresql://app:{MALFORMED_SECRET}@[::1/appdb",
]
# A '%' not followed by two hex digits is kept as it is, as Prisma's URL parser (WHATWG rules) keeps it:
# "app%zzdb" is a database name Prisma would ask for, so it is not a malformed URL here either.


@pytest.mark.parametrize("url", MALFORMED, ids=["port-not-a-number", "port-out-of-range", "unclosed-bracket"])
def test_malformed_database_url_is_a_config_error_with_the_password_redacted(pe_plain, url):
    res = wait(pe_plain, "--wait-timeout", "2s", url=url)
    assert res.returncode == 78, str(res)
    assert res.elapsed < limit(0.5), str(res)
    assert re.search(r"postgresql://app:[^@\s]*@", res.stderr), f"the URL should be shown, redacted\n{res}"


@pytest.mark.parametrize("url", ["tcp://127.0.0.1", "tcp://127.0.0.1:notaport", "tcp://:80"])
def test_malformed_wait_url_is_a_config_error(pe_plain, url):
    res = wait(pe_plain, "--wait", url, "--wait-timeout", "2s")
    assert res.returncode == 78, str(res)
    assert url in res.stderr, str(res)


def sigterm_during_wait(pe, fake_pg, args):
    fake = fake_pg("57P03")  # keeps the wait going; its connection count shows the wait has begun
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{fake.port}/appdb"
    p = pe.start([*args, "--wait-timeout", "30s"], env={"DATABASE_URL": url})
    wait_until(lambda: fake.connections >= 1, 10, "the first connection attempt", p)
    t0 = time.monotonic()
    p.signal(signal.SIGTERM)
    res = p.wait(20)
    took = time.monotonic() - t0
    assert_no_secrets(res)
    assert res.returncode == 143, str(res)
    assert took < limit(1.0), f"SIGTERM took {took:.2f} s to end the wait\n{res}"
    return res


def test_sigterm_during_the_wait_exits_143_at_once(pe, fake_pg):
    sigterm_during_wait(pe, fake_pg, ["wait"])


def test_sigterm_during_the_wait_of_sync_exits_143(pe, fake_pg):
    res = sigterm_during_wait(pe, fake_pg, ["sync"])
    assert "in sync" not in res.stderr, str(res)


def test_sigterm_during_the_wait_before_run_exits_143_without_running_the_command(pe, fake_pg):
    sigterm_during_wait(pe, fake_pg, ["run", "--", "sh", "-c", "touch ran"])
    assert not pe.path("ran").exists(), "the command ran after SIGTERM during the wait"


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------


def test_run_waits_then_runs_the_command(pe, pg, later):
    flag = pe.path("flag")
    p = pe.start(
        [
            "run",
            "--wait",
            f"file://{flag}",
            "--wait-timeout",
            "10s",
            "--",
            "sh",
            "-c",
            "test -e flag || exit 99; echo ran; exit 7",
        ],
        env={"DATABASE_URL": pg.url()},
    )
    later(0.5, touch(flag))
    res = p.wait(20)
    assert_no_secrets(res)
    assert res.returncode == 7, f"the command ran before the wait was over (99) or not at all\n{res}"
    assert res.stdout.strip() == "ran", str(res)
    assert res.elapsed >= 0.5, str(res)
    ready_line(res, f"127.0.0.1:{pg.port}")


@pytest.mark.parametrize("cmd", [["run", "--"], ["--"], []], ids=["run", "implicit-run-dashdash", "implicit-run"])
def test_run_does_not_start_the_command_when_the_wait_fails(pe_plain, pg, cmd):
    res = pe_plain.run([*cmd, "sh", "-c", "touch ran"], env={"DATABASE_URL": pg.url(password=WRONG_PASSWORD)})
    assert_no_secrets(res)
    assert res.returncode == 69, str(res)
    assert not pe_plain.path("ran").exists(), "the command ran although the wait failed"


def test_run_does_not_start_the_command_after_a_timeout(pe_plain):
    res = pe_plain.run(
        ["run", "--wait", f"tcp://127.0.0.1:{closed_port()}", "--wait-timeout", "500ms", "--", "sh", "-c", "touch ran"]
    )
    assert res.returncode == 124, str(res)
    assert not pe_plain.path("ran").exists(), "the command ran although the wait timed out"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_run_no_wait_runs_the_command_at_once_with_the_database_down(pe_plain, how):
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{closed_port()}/appdb"
    args, env = ["run"], {"DATABASE_URL": url}
    if how == "flag":
        args.append("--no-wait")
    else:
        env["PRISMA_ENTRYPOINT_NO_WAIT"] = "true"
    res = pe_plain.run([*args, "--wait-timeout", "10s", "--", "sh", "-c", "exit 5"], env=env)
    assert_no_secrets(res)
    assert res.returncode == 5, str(res)
    assert res.elapsed < limit(1.0), str(res)


# ---------------------------------------------------------------------------------------------
# passwords never appear, at any log level
# ---------------------------------------------------------------------------------------------

SCENARIOS = {
    "ready": lambda c: (c["pg"].url(), [], 0),
    "odd-password-ready": lambda c: (c["pg"].url(user=pgm.ODD_USER, password=pgm.ODD_PASSWORD), [], 0),
    "socket-ready": lambda c: (c["pg"].socket_url(), [], 0),
    "wrong-password": lambda c: (c["pg"].url(password=WRONG_PASSWORD), [], 69),
    "odd-user-wrong-password": lambda c: (c["pg"].url(user=pgm.ODD_USER, password=WRONG_PASSWORD), [], 69),
    "missing-database": lambda c: (c["pg"].url(database=pgm.MISSING_DB), [], 69),
    "pg-hba-reject": lambda c: (c["pg"].url(user=pgm.REJECTED_USER), [], 69),
    "tls-refused": lambda c: (c["pg"].url(params="sslmode=require"), [], 69),
    "starting-up": lambda c: (
        f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:{c['fake'].port}/appdb",
        ["--wait-timeout", "300ms"],
        124,
    ),
    "refused": lambda c: (
        f"postgresql://odd:{quote(pgm.ODD_PASSWORD, safe='')}@127.0.0.1:{closed_port()}/appdb",
        ["--wait-timeout", "300ms"],
        124,
    ),
    "malformed": lambda c: (f"postgresql://app:{quote(pgm.APP_PASSWORD)}@127.0.0.1:notaport/appdb", [], 78),
    "malformed-encoded-password": lambda c: (
        f"postgresql://odd:{quote(pgm.ODD_PASSWORD, safe='')}@127.0.0.1:notaport/appdb",
        [],
        78,
    ),
    "malformed-raw-slash-in-password": lambda c: (f"postgresql://app:{RAW_SLASH_SECRET}@127.0.0.1:5432/appdb", [], 78),
    "malformed-with-sslpassword": lambda c: (
        f"postgresql://app:{MALFORMED_SECRET}@127.0.0.1:notaport/appdb?sslidentity=id.p12"
        f"&sslpassword={SSLPASSWORD_SECRET}",
        [],
        78,
    ),
    "malformed-with-query-password": lambda c: (
        f"postgresql://app@127.0.0.1:notaport/appdb?password={QUERY_SECRET}",
        [],
        78,
    ),
    "raw-at-in-password-refused": lambda c: (
        f"postgresql://app:{RAW_AT_SECRET}@127.0.0.1:{closed_port()}/appdb",
        ["--wait-timeout", "300ms"],
        124,
    ),
    "query-password-refused": lambda c: (
        f"postgresql://app@127.0.0.1:{closed_port()}/appdb?password={QUERY_SECRET}&sslpassword={SSLPASSWORD_SECRET}",
        ["--wait-timeout", "300ms"],
        124,
    ),
}
LEVELS = {"debug": ["-vv"], "debug-json": ["--log-format", "json", "-vv"], "quiet": ["-q"]}


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_passwords_never_appear_in_any_output(pe_plain, pg, fake_pg, scenario, level):
    url, extra, status = SCENARIOS[scenario]({"pg": pg, "fake": fake_pg("57P03")})
    if "--wait-timeout" not in extra:
        extra = [*extra, "--wait-timeout", "5s"]
    res = wait(pe_plain, *LEVELS[level], *extra, url=url)  # wait() checks every line
    assert res.returncode == status, str(res)
    if level.startswith("debug"):
        assert res.stderr_lines(), f"-vv printed nothing\n{res}"
    if level == "debug-json":
        for line in res.stderr_lines():
            json.loads(line)


def test_password_from_database_url_file_never_appears(pe_plain, pg):
    secret_file = pe_plain.path("db-url")
    secret_file.write_text(pg.url(password=WRONG_PASSWORD) + "\n")
    res = wait(pe_plain, "-vv", "--wait-timeout", "5s", env={"DATABASE_URL_FILE": str(secret_file)})
    assert res.returncode == 69, str(res)


# ---------------------------------------------------------------------------------------------
# the settings and the command are documented by the binary
# ---------------------------------------------------------------------------------------------


def test_help_lists_the_wait_command_and_its_exit_codes(pe_plain):
    res = pe_plain.run(["help"])
    assert res.returncode == 0 and re.search(r"^\s+wait\b", res.stdout, re.M), str(res)
    codes = pe_plain.run(["help", "exit-codes"])
    for code in ("69", "124"):
        assert re.search(rf"\b{code}\b", codes.stdout), f"help exit-codes does not list {code}\n{codes}"


def test_config_shows_the_wait_settings_and_their_defaults(pe_plain):
    res = pe_plain.run(["config"])
    assert res.returncode == 0, str(res)
    assert re.search(r"^\[wait\]", res.stdout, re.M), res.stdout
    for key, value in (
        ("no-wait", "false"),
        ("wait-timeout", "60s"),
        ("attempt-timeout", "5s"),
        ("backoff-max", "100ms"),
    ):
        assert re.search(rf"^{key} = {value}\b", res.stdout, re.M), f"{key} should default to {value}\n{res.stdout}"


# ---------------------------------------------------------------------------------------------
# A name that does not resolve yet (a compose service that does not exist yet)
# ---------------------------------------------------------------------------------------------


def test_name_that_resolves_only_later_is_waited_for(pe_plain, pg, tmp_path, later):
    # A private mount namespace with its own /etc/hosts; name lookups use files only (nsswitch), so
    # no query ever leaves the machine. The name appears 1.5 s into the wait, as a compose service's
    # name does once its container exists.
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("hosts: files\n")
    mounts = f"mount --bind {hosts} /etc/hosts && mount --bind {nsswitch} /etc/nsswitch.conf && " 'exec "$@"'
    argv = ["unshare", "--mount", "sh", "-c", mounts, "sh", *pe_plain.argv(["-vv", "wait", "--wait-timeout", "20s"])]
    proc = pe_plain.start([], env={"DATABASE_URL": pg.url(host="db-later.test")}, argv=argv)
    later(1.5, lambda: hosts.write_text("127.0.0.1 localhost\n127.0.0.1 db-later.test\n"))
    res = proc.wait(30)
    assert_no_secrets(res)
    assert res.returncode == 0, str(res)
    assert lines(res, "db-later.test", "does not resolve"), f"no attempt saw the name missing\n{res}"
    one_line(res, "db-later.test", pattern=r"ready after [1-9]")


# ---------------------------------------------------------------------------------------------
# http:// dependencies
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def http_server():
    """http_server(statuses): a loopback HTTP server answering GET with statuses in turn (the last one
    repeats); .gets counts the requests."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    servers = []

    def make(statuses):
        state = {"gets": 0}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                state["gets"] += 1
                code = statuses[min(state["gets"], len(statuses)) - 1]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        srv.state = state
        srv.url = f"http://127.0.0.1:{srv.server_address[1]}/health"
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_http_dependency_ready_after_503s(pe_plain, http_server):
    srv = http_server([503, 503, 503, 200])
    res = wait(pe_plain, "--wait", srv.url, "--wait-timeout", "10s")
    assert res.returncode == 0, str(res)
    assert srv.state["gets"] == 4, f"{srv.state['gets']} requests for three 503s and a 200\n{res}"
    one_line(res, srv.url, pattern=r"ready after .*4 attempts")


def test_http_dependency_503_until_the_deadline_names_the_status(pe_plain, http_server):
    srv = http_server([503])
    res = wait(pe_plain, "--wait", srv.url, "--wait-timeout", "1s")
    assert res.returncode == 124, str(res)
    line = one_line(res, srv.url, pattern=r"not ready after")
    assert "HTTP 503" in line, line


def test_http_status_list_decides_what_is_ready(pe_plain, http_server):
    srv = http_server([503])
    res = wait(pe_plain, "--wait", srv.url, "--http-status", "200,503", "--wait-timeout", "5s")
    assert res.returncode == 0, str(res)


def test_http_status_list_that_is_not_numbers_is_a_config_error(pe_plain, http_server):
    srv = http_server([200])
    res = wait(pe_plain, "--wait", srv.url, "--http-status", "2xx")
    assert res.returncode == 78, str(res)
    one_line(res, "http-status", "2xx")
    assert srv.state["gets"] == 0, "nothing should be requested with bad settings"


def test_sigterm_while_a_name_lookup_hangs_exits_143_at_once(pe_plain, tmp_path):
    # A DNS server that never answers, on a loopback address, as the only name source of a private
    # mount namespace: getaddrinfo() blocks for seconds. The lookup runs off the event loop, so a
    # SIGTERM still ends the wait at once.
    silent_dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent_dns.bind(("127.0.0.2", 53))
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.2\noptions timeout:10 attempts:1\n")
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("hosts: dns\n")
    mounts = f"mount --bind {resolv} /etc/resolv.conf && mount --bind {nsswitch} /etc/nsswitch.conf && " 'exec "$@"'
    argv = ["unshare", "--mount", "sh", "-c", mounts, "sh", *pe_plain.argv(["wait", "--wait-timeout", "60s"])]
    url = f"postgresql://app:{quote(pgm.APP_PASSWORD)}@db.never.example:5432/appdb"
    try:
        p = pe_plain.start([], env={"DATABASE_URL": url}, argv=argv)
        silent_dns.settimeout(timeout(10))
        silent_dns.recvfrom(512)  # the lookup has begun and will hang
        t0 = time.monotonic()
        p.signal(signal.SIGTERM)
        res = p.wait(30)
        took = time.monotonic() - t0
    finally:
        silent_dns.close()
    assert_no_secrets(res)
    assert res.returncode == 143, str(res)
    assert took < limit(1.0), f"SIGTERM took {took:.2f} s while a lookup hung\n{res}"


# ---------------------------------------------------------------------------------------------
# secrets in every shape a value can take, in errors and in `config`
# ---------------------------------------------------------------------------------------------

LEAKY_DATABASE_URLS = [
    f"postgresql://u:pa@ss#{LEAKY_SECRET}@127.0.0.1:1/app",
    f"host=db user=app password={LEAKY_SECRET} dbname=app",
    LEAKY_SECRET,
    f"sqlserver://127.0.0.1:1;user=sa;password={LEAKY_SECRET};encrypt=true",
    f"prisma://accelerate.prisma-data.net/?api_key={LEAKY_SECRET}",
]
LEAKY_WAITS = [
    f"tcp://u:{LEAKY_SECRET}@db",  # no port: an error that names the URL
    f"redis://:{LEAKY_SECRET}@cache:6379",  # unsupported scheme
    f"unix://u:{LEAKY_SECRET}@run/x.sock",  # not an absolute path
    f"file://u:{LEAKY_SECRET}@tmp/ready",
    f"http://u:{LEAKY_SECRET}@127.0.0.1:1/health",
]


@pytest.mark.parametrize("url", LEAKY_DATABASE_URLS, ids=["at-then-hash", "conninfo", "bare", "sqlserver", "api-key"])
def test_no_database_url_shape_leaks_its_secret(pe_plain, url):
    wait(pe_plain, "--wait-timeout", "1s", "--attempt-timeout", "200ms", url=url)
    res = pe_plain.run(["config"], env={"DATABASE_URL": url})
    assert_no_secrets(res)
    assert "database-url = " in res.stdout, str(res)


@pytest.mark.parametrize("target", LEAKY_WAITS, ids=["tcp", "redis", "unix", "file", "http"])
def test_no_wait_url_leaks_its_secret(pe_plain, target):
    res = wait(pe_plain, "--wait", target, "--wait-timeout", "1s", "--attempt-timeout", "200ms")
    assert res.returncode != 0, str(res)
    res = pe_plain.run(["config", "--wait", target])
    assert_no_secrets(res)
    if target.startswith("redis:"):  # no scheme a wait takes: a settings error, the item shown redacted
        assert res.returncode == 78 and "wait item 'redis://:****@cache:6379'" in res.stderr, str(res)
    else:
        assert "wait = " in res.stdout and "****" in res.stdout, str(res)


@pytest.mark.parametrize("length", [64, 10_000])
def test_a_database_name_postgresql_cannot_take_is_a_configuration_error(pe_plain, pg, length):
    """Over 63 bytes the server would cut the name (another database) or refuse the startup packet
    (which reads like a server that went away): exit 78 before any attempt, saying why."""
    res = wait(pe_plain, "--wait-timeout", "20s", url=pg.url(database="d" * length))
    assert res.returncode == 78, str(res)
    assert f"the database name is {length} bytes long: PostgreSQL names have at most 63" in res.stderr, str(res)
    assert res.elapsed < timeout(2.0), f"took {res.elapsed:.2f} s\n{res}"
    assert len(res.stderr.splitlines()) == 1, str(res)
