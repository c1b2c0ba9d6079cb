"""The migrate phase of `run` (wait -> generate -> migrate -> app), against a real PostgreSQL and the
real Prisma 6.19 CLI (the fixture app's prisma/migrations; npm_app.py installs the CLI).

Whether `prisma migrate deploy` ran is proven by the call-recording wrapper (npm_app.install_wrapper);
what it did, by the rows of _prisma_migrations and the tables it made. Every test migrates a
database of its own (created empty, owned by the app role). In this test setup a deploy that has
work to do finishes it in about 0.2 s and then lingers about 10 s on an open handle (see
../shared/notes/environment.md), so tests deploy as rarely as they can.

The app is `/bin/sh -c 'echo ran >> MARKER'`, so each test can tell whether it was started.
"""

import hashlib
import os
import re
import shlex
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import pg as pgm
from conftest import timeout, wait_until
from npm_app import copy_app, install_wrapper, read_calls, remove_node_modules

INIT = "20261121151118_init"  # the fixture's one migration
LOCK_KEY = 0x70652D6D  # the advisory lock prisma-entrypoint takes while it checks and migrates
PRISMA_LOCK_KEY = 72707369  # the one prisma migrate deploy takes while it works
ADD_AGE = ("20270101000000_add_age", 'ALTER TABLE "User" ADD COLUMN "age" INTEGER;\n')
BROKEN = ("20270202000000_broken", 'ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\nSELECT * FROM "NoSuchTable";\n')


class App:
    """A copy of the fixture app with its own database, as the runner's working directory."""

    def __init__(self, runner, root: Path, cluster, database: str):
        self.pe = runner
        self.root = root
        self.pg = cluster
        self.database = database
        self.calls_log = runner.tmp / "prisma-calls.log"
        self.marker = runner.tmp / "app-ran"
        install_wrapper(root, self.calls_log)

    @property
    def url(self) -> str:
        return self.pg.url(database=self.database)

    def add_migration(self, name: str, sql: str):
        folder = self.root / "prisma" / "migrations" / name
        folder.mkdir()
        (folder / "migration.sql").write_text(sql)

    def deploys(self) -> list:
        return [c for c in read_calls(self.calls_log) if c["args"][:2] == ["migrate", "deploy"]]

    def args(self, *opts, generate: bool = False) -> list:
        return [
            *([] if generate else ["--no-generate"]),
            *opts,
            "--",
            "/bin/sh",
            "-c",
            'echo ran >> "$0"',
            str(self.marker),
        ]

    def env(self, extra=None) -> dict:
        return {"DATABASE_URL": self.url, "CHECKPOINT_DISABLE": None, "NVM_DIR": None, **(extra or {})}

    def run(self, *opts, env=None, generate: bool = False, seconds: float = 90):
        self.marker.unlink(missing_ok=True)
        return self.pe.run(self.args(*opts, generate=generate), env=self.env(env), seconds=seconds)

    def start(self, *opts, env=None):
        self.marker.unlink(missing_ok=True)
        return self.pe.start(self.args(*opts), env=self.env(env))

    @property
    def app_ran(self) -> bool:
        return self.marker.exists()

    def rows(self) -> list:
        """(migration_name, finished, rolled back) of every row, in the order they were started."""
        out = self.pg.psql(
            "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL FROM _prisma_migrations "
            "ORDER BY started_at",
            database=self.database,
        )
        return [tuple(line.split("|")) for line in out.split()]

    def has_table(self, name: str) -> bool:
        return (
            self.pg.psql(f"SELECT to_regclass('public.\"{name}\"') IS NOT NULL", database=self.database).strip() == "t"
        )

    def columns(self, table: str) -> set:
        out = self.pg.psql(
            f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'", database=self.database
        )
        return set(out.split())


def new_database(cluster) -> str:
    name = "mig_" + uuid.uuid4().hex[:10]
    cluster.create_database(name)
    return name


@pytest.fixture
def app(pe_plain, pg, npm_node_modules):
    a = App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, new_database(pg))
    yield a
    remove_node_modules(a.root)


def prisma_cli(app, *args, url=None) -> subprocess.CompletedProcess:
    """The real Prisma CLI in the app's folder (not through the call-recording wrapper), for checks of
    what a start left."""
    env = {
        **os.environ,
        "DATABASE_URL": url or app.url,
        "CHECKPOINT_DISABLE": "1",
        "PRISMA_HIDE_UPDATE_MESSAGE": "1",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        ["node", "node_modules/prisma/build/index.js", *args],
        cwd=app.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def held_lock(cluster, database: str, key: int = LOCK_KEY) -> subprocess.Popen:
    """A psql session in database that holds advisory lock key (prisma-entrypoint's migrate lock by
    default) until release(); more SQL can be sent to it with send()."""
    p = cluster.psql_session(database)
    send(p, f"SELECT pg_advisory_lock({key});")
    deadline = time.monotonic() + 10
    while (
        cluster.psql(
            f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {key} " "AND granted",
            database=database,
        ).strip()
        != "1"
    ):
        assert p.poll() is None and time.monotonic() < deadline, "the psql session did not take the lock"
        time.sleep(0.02)
    return p


send = pgm.send_sql


def entrypoint_sent(app, words: str) -> bool:
    """Whether the entrypoint's connection to the app's database has sent (last) a query with words."""
    return words in app.pg.psql(
        "SELECT query FROM pg_stat_activity WHERE application_name = 'prisma-entrypoint' "
        f"AND datname = '{app.database}'"
    )


def migration_checksum(app, name: str) -> str:
    """What Prisma records as the checksum of migration name: the SHA-256 of its migration.sql (a
    placeholder when this image has no such migration)."""
    script = app.root / "prisma" / "migrations" / name / "migration.sql"
    return hashlib.sha256(script.read_bytes()).hexdigest() if script.exists() else "x"


def insert_migrations_sql(app, *rows) -> str:
    """The INSERT of rows (name, finished) or (name, finished, logs) into _prisma_migrations, each
    with the checksum of the migration's file as it is now."""

    def value(name, finished, logs=None):
        return (
            f"('{uuid.uuid4()}', '{migration_checksum(app, name)}', {'now()' if finished else 'NULL'}, "
            f"{pgm.sql_literal(name)}, {pgm.sql_literal(logs) if logs else 'NULL'})"
        )

    return (
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs) "
        f"VALUES {', '.join(value(*row) for row in rows)};"
    )


def create_migrations_table(app, *rows):
    """_prisma_migrations as Prisma makes it, owned by the app role, with rows (name, finished) or
    (name, finished, logs)."""
    app.pg.psql(
        "SET ROLE app; CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) "
        "NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at "
        "timestamptz, started_at timestamptz NOT NULL DEFAULT clock_timestamp(), applied_steps_count integer "
        f"NOT NULL DEFAULT 0); {insert_migrations_sql(app, *rows) if rows else ''}",
        database=app.database,
    )


def release(p: subprocess.Popen):
    p.stdin.close()
    p.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# deploy exactly when something is pending
# ---------------------------------------------------------------------------------------------


def test_deploys_what_is_pending_and_skips_when_nothing_is(app):
    # first start against an empty database: the whole flow, generate included
    res = app.run(generate=True)
    assert res.returncode == 0, str(res)
    assert "running prisma migrate deploy: 1 migration pending, no _prisma_migrations table yet" in res.stderr, str(res)
    assert len(app.deploys()) == 1 and app.deploys()[0]["args"] == [
        "migrate",
        "deploy",
        "--schema",
        "prisma/schema.prisma",
    ], app.deploys()
    assert app.deploys()[0]["DATABASE_URL"] == app.url
    assert app.rows() == [(INIT, "t", "f")], app.rows()
    assert app.has_table("User") and app.app_ran
    lines = res.stderr_lines()
    order = [
        next(i for i, line in enumerate(lines) if word in line)
        for word in ("ready after", "prisma client generated", "running prisma migrate deploy", "started")
    ]
    assert order == sorted(order), f"phases out of order: wait, generate, migrate, app\n{res}"

    # nothing pending: Node is not even started
    res = app.run()
    assert res.returncode == 0, str(res)
    assert "database is up to date (1 migration applied, none pending): migrate skipped" in res.stderr, str(res)
    assert len(app.deploys()) == 1, app.deploys()
    assert app.app_ran

    # a new migration folder: deployed, and only it
    app.add_migration(*ADD_AGE)
    res = app.run()
    assert res.returncode == 0, str(res)
    assert f"running prisma migrate deploy: 1 migration pending, first {ADD_AGE[0]}" in res.stderr, str(res)
    assert len(app.deploys()) == 2
    assert app.rows() == [(INIT, "t", "f"), (ADD_AGE[0], "t", "f")], app.rows()
    assert "age" in app.columns("User") and app.app_ran


def test_no_migrate_leaves_the_database_alone(app):
    res = app.run("--no-migrate")
    assert res.returncode == 0, str(res)
    assert app.deploys() == [] and app.app_ran
    assert not app.has_table("_prisma_migrations") and not app.has_table("User")


def test_migrations_setting_names_the_folder(app):
    moved = app.root / "db-migrations"
    (app.root / "prisma" / "migrations").rename(moved)
    res = app.run("--migrations", "nowhere")
    assert res.returncode == 78, str(res)
    assert len(res.stderr_lines()) >= 1 and "nowhere" in res.stderr and "migrations" in res.stderr, str(res)
    assert not app.app_ran and app.deploys() == []

    # without the setting there is no folder to apply: the app starts, nothing is migrated
    res = app.run()
    assert res.returncode == 0 and app.app_ran and app.deploys() == [], str(res)

    create_migrations_table(app, (INIT, True))
    res = app.run("--migrations", "db-migrations")
    assert res.returncode == 0, str(res)
    assert "database is up to date (1 migration applied, none pending)" in res.stderr, str(res)
    assert app.deploys() == []


@pytest.mark.supervisor  # and so under valgrind: connect, read, judge
def test_a_failed_migration_blocks_with_the_command_that_unblocks(app):
    app.add_migration(*BROKEN)
    res = app.run()
    assert res.returncode == 81, str(res)
    assert "prisma migrate deploy failed (exit status 1)" in res.stderr, str(res)
    assert not app.app_ran
    assert app.rows() == [(INIT, "t", "f"), (BROKEN[0], "f", "f")], app.rows()

    # the next start knows without Node: one line naming the migration and the way out
    res = app.run()
    assert res.returncode == 81, str(res)
    assert len(app.deploys()) == 1, "deploy ran again although a failed migration blocks it"
    assert not app.app_ran
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert len(errors) == 1, str(res)
    assert BROKEN[0] in errors[0] and f"prisma migrate resolve --rolled-back {BROKEN[0]}" in errors[0], errors[0]
    assert "NoSuchTable" in errors[0], f"the line does not say why it failed: {errors[0]}"

    # resolved as the message says (what `prisma migrate resolve --rolled-back` writes: that command
    # needs the native schema engine, which this test setup cannot download), and the folder fixed
    app.pg.psql(
        "SET ROLE app; UPDATE _prisma_migrations SET rolled_back_at = now() "
        f"WHERE migration_name = '{BROKEN[0]}' AND finished_at IS NULL",
        database=app.database,
    )
    app.pg.psql('SET ROLE app; ALTER TABLE "User" DROP COLUMN "nickname"', database=app.database)
    (app.root / "prisma" / "migrations" / BROKEN[0] / "migration.sql").write_text(
        'ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n'
    )
    res = app.run()
    assert res.returncode == 0 and app.app_ran, str(res)
    assert len(app.deploys()) == 2
    assert "nickname" in app.columns("User")


# ---------------------------------------------------------------------------------------------
# one start at a time per database
# ---------------------------------------------------------------------------------------------


def test_two_starts_migrate_once(app):
    first = app.start()
    wait_until(lambda: app.deploys(), 30, "the first start's prisma migrate deploy", first)
    second = app.start()
    res2 = second.wait(90)
    res1 = first.wait(90)
    assert res1.returncode == 0 and res2.returncode == 0, f"{res1}\n{res2}"
    assert len(app.deploys()) == 1, f"two deploys: {app.deploys()}\n{res1}\n{res2}"
    # the holder, as the same user sees it: every column of pg_stat_activity
    assert re.search(
        rf'another process is migrating database "{app.database}" \(held by pid \d+, '
        r"prisma-entrypoint from 127\.0\.0\.1, connected at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, "
        r"[a-z ()]+ for \d+ s\): waiting for it",
        res2.stderr,
    ), str(res2)
    assert "migrations were applied by another process meanwhile" in res2.stderr, str(res2)
    assert app.rows() == [(INIT, "t", "f")]


def test_a_migration_being_applied_is_waited_for_not_called_failed(app):
    """A deploy that does not go through prisma-entrypoint (by hand, from CI) holds Prisma's lock and
    has written its row without finished_at: that is work in progress, not a failed migration."""
    app.add_migration(*ADD_AGE)
    app.pg.psql('SET ROLE app; CREATE TABLE "User" (id serial PRIMARY KEY)', database=app.database)
    create_migrations_table(app, (INIT, True), (ADD_AGE[0], False))
    deployer = held_lock(app.pg, app.database, PRISMA_LOCK_KEY)
    try:
        proc = app.start()
        # it saw the unfinished row and asked whether Prisma's lock is held
        wait_until(lambda: entrypoint_sent(app, "pg_locks"), timeout(30), "the look at Prisma's lock", proc)
        time.sleep(0.3)
        assert proc.popen.poll() is None, "the start did not wait for the deploy in progress"
        # the other deploy finishes its migration and lets go of Prisma's lock
        send(
            deployer,
            'ALTER TABLE "User" ADD COLUMN "age" INTEGER; UPDATE _prisma_migrations SET finished_at = '
            f"now() WHERE migration_name = '{ADD_AGE[0]}';",
        )
    finally:
        release(deployer)
    res = proc.wait(30)
    assert res.returncode == 0, str(res)
    assert f"migration {ADD_AGE[0]} is being applied by another process" in res.stderr, str(res)
    assert "migrations were applied by another process meanwhile" in res.stderr, str(res)
    assert "failed earlier" not in res.stderr, str(res)
    assert app.deploys() == [] and app.app_ran


# The lock waits end at wait-timeout, or at migrate-lock-timeout when it is set (here with a
# wait-timeout far beyond it, so the one that ended the wait is the one the line names).
LOCK_LIMITS = [
    pytest.param(["--wait-timeout", "1s"], "wait-timeout", id="wait-timeout"),
    pytest.param(["--wait-timeout", "5m", "--migrate-lock-timeout", "1s"], "migrate-lock-timeout", id="lock-timeout"),
]


@pytest.mark.parametrize("limit, setting", LOCK_LIMITS)
def test_a_deploy_at_work_past_the_lock_limit_ends_the_wait(app, limit, setting):
    app.add_migration(*ADD_AGE)
    create_migrations_table(app, (INIT, True), (ADD_AGE[0], False))
    deployer = held_lock(app.pg, app.database, PRISMA_LOCK_KEY)
    try:
        res = app.run(*limit)
    finally:
        release(deployer)
    assert res.returncode == 124, str(res)
    assert [line for line in res.stderr_lines() if "error:" in line] == [
        f"prisma-entrypoint: error: migration {ADD_AGE[0]} is still being applied by another process after 1s "
        f"({setting}): the app was not started"
    ], str(res)
    assert app.deploys() == [] and not app.app_ran


@pytest.mark.supervisor  # and so under valgrind: the lock loop and its stop
def test_sigterm_while_waiting_for_the_lock(app):
    """The wait names who holds the lock (pid, application, address, since when, state), read from
    pg_stat_activity; SIGTERM ends it at once."""
    holder = held_lock(app.pg, app.database)
    holder_pid = app.pg.psql(
        f"SELECT pid FROM pg_stat_activity WHERE application_name = 'psql' AND datname = '{app.database}'"
    ).split()
    try:
        proc = app.start()
        # trying the lock (every 100 ms): its query shows in pg_stat_activity
        wait_until(lambda: entrypoint_sent(app, "pg_try_advisory_lock"), timeout(30), "the lock's first try", proc)
        time.sleep(timeout(0.3))  # past the first try's answer, which says so
        sent = time.monotonic()
        proc.signal(signal.SIGTERM)
        res = proc.wait(10)
        took = time.monotonic() - sent
    finally:
        release(holder)
    assert res.returncode == 143, str(res)
    assert len(holder_pid) == 1, holder_pid
    assert re.search(
        # another user's session (psql as the superuser): pg_stat_activity shows its pid and application
        rf'another process is migrating database "{app.database}" \(held by pid {holder_pid[0]}, psql\): '
        "waiting for it",
        res.stderr,
    ), str(res)
    assert f'stopped by SIGTERM while waiting for the migrate lock (database "{app.database}")' in res.stderr, str(res)
    assert took < timeout(2), f"took {took:.2f} s to stop"
    assert app.deploys() == [] and not app.app_ran


@pytest.mark.parametrize("limit, setting", LOCK_LIMITS)
def test_a_lock_held_past_the_lock_limit_ends_the_wait_naming_the_holder(app, limit, setting):
    """A stray session holding the migrate lock does not strand a start: at wait-timeout (or
    migrate-lock-timeout) it exits 124 with the holder named."""
    app.add_migration(*ADD_AGE)
    holder = held_lock(app.pg, app.database)
    holder_pid = app.pg.psql(
        f"SELECT pid FROM pg_stat_activity WHERE application_name = 'psql' AND datname = '{app.database}'"
    ).split()
    try:
        res = app.run(*limit)
    finally:
        release(holder)
    assert res.returncode == 124, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert errors == [
        f'prisma-entrypoint: error: the migrate lock (database "{app.database}"), held by pid {holder_pid[0]}, psql '
        f"still held after 1s ({setting}): the app was not started"
    ], str(res)
    assert app.deploys() == [] and not app.app_ran


def test_sigterm_during_deploy_stops_it(app):
    install_wrapper(app.root, app.calls_log, before_exec="sleep 60")
    proc = app.start()
    wait_until(lambda: app.deploys(), 30, "prisma migrate deploy", proc)
    proc.signal(signal.SIGTERM)
    res = proc.wait(20)
    assert res.returncode == 143, str(res)
    assert "stopped by SIGTERM during prisma migrate deploy" in res.stderr, str(res)
    assert not app.app_ran


# ---------------------------------------------------------------------------------------------
# a missing database, and databases that are not read natively
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def createdb(app):
    """The app role may create databases (CREATEDB), as Prisma's own engine needs it to create one."""
    app.pg.psql("ALTER ROLE app CREATEDB")
    yield
    app.pg.psql("ALTER ROLE app NOCREATEDB")


def test_missing_database_is_created_and_migrated(app, createdb):
    app.database = "nodb_" + uuid.uuid4().hex[:8]
    res = app.run()
    assert res.returncode == 0, str(res)
    assert f'database "{app.database}" does not exist yet: the migrate phase creates it' in res.stderr, str(res)
    assert f'database "{app.database}" does not exist yet: creating it' in res.stderr, str(res)
    assert "running prisma migrate deploy: 1 migration pending, no _prisma_migrations table yet" in res.stderr
    assert len(app.deploys()) == 1, str(res)
    assert app.rows() == [(INIT, "t", "f")] and app.app_ran
    owner = app.pg.psql(
        f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = {pgm.sql_literal(app.database)}"
    )
    assert owner.strip() == "app", owner


def test_replicas_on_a_missing_database_create_and_deploy_once(app, createdb):
    """Replicas started at once while the database does not exist yet: one creates and migrates it
    under the create lock (in the maintenance database); the others wait (naming the holder: the
    create lock, or the migrate lock when they come after the CREATE DATABASE), then find the database
    up to date and start their app. Neither a second CREATE DATABASE nor a second deploy."""
    app.database = "nodb_" + uuid.uuid4().hex[:8]
    results = [p.wait(90) for p in [app.start() for _ in range(3)]]
    assert [r.returncode for r in results] == [0, 0, 0], "\n".join(map(str, results))
    creators = [r for r in results if f'database "{app.database}" does not exist yet: creating it' in r.stderr]
    assert len(creators) == 1 and len(app.deploys()) == 1, "\n".join(map(str, results))
    for res in results:
        if res is creators[0]:
            continue
        assert re.search(
            rf'another process is (creating and )?migrating database "{app.database}" \(held by pid \d+, '
            r"prisma-entrypoint from 127\.0\.0\.1, .*\): waiting for it",
            res.stderr,
        ), str(res)
        assert re.search(
            r"(database is up to date|applied by another process meanwhile) \(1 (migration )?applied", res.stderr
        ), str(res)
    assert app.rows() == [(INIT, "t", "f")]
    assert app.marker.read_text().split() == ["ran"] * 3


def create_database_in_deploy(app):
    """Prisma's native schema engine creates a missing database; the WebAssembly one this test setup
    runs does not ("Database `...` does not exist"). The CLI's wrapper does it in its place (as the
    server's superuser, so that the app role needs no CREATEDB), just before the real CLI runs, so
    that the rest of the deploy is real."""
    create = shlex.join(
        pgm._as_postgres(
            [
                pgm.PG_BIN / "psql",
                "-X",
                "-q",
                "-h",
                app.pg.socket_dir,
                "-p",
                app.pg.port,
                "-d",
                "postgres",
                "-c",
                f"CREATE DATABASE {app.database} OWNER app",
            ]
        )
    )
    install_wrapper(app.root, app.calls_log, before_exec=f"{create} 2>/dev/null")


def test_missing_database_without_the_privilege_is_left_to_deploy(app):
    app.database = "nodb_" + uuid.uuid4().hex[:8]
    create_database_in_deploy(app)
    res = app.run()
    assert res.returncode == 0, str(res)
    assert f'cannot create database "{app.database}" (' in res.stderr, str(res)
    assert "permission denied to create database" in res.stderr, str(res)
    assert f'running prisma migrate deploy: database "{app.database}" does not exist yet' in res.stderr, str(res)
    assert len(app.deploys()) == 1, str(res)
    assert app.rows() == [(INIT, "t", "f")] and app.app_ran


def test_missing_database_without_migrations_stops_the_start(app):
    app.database = "nodb_" + uuid.uuid4().hex[:8]
    res = app.run("--no-migrate")
    assert res.returncode == 69, str(res)
    assert f'database "{app.database}" does not exist (3D000)' in res.stderr, str(res)
    assert app.deploys() == [] and not app.app_ran


def test_tables_without_history_stop_with_the_baseline_steps(app):
    """Prisma's P3005, known without Node: a schema with tables and no _prisma_migrations would make
    deploy fail; the line says how to baseline, and nothing is applied, in deploy and in wait mode."""
    app.pg.psql('SET ROLE app; CREATE TABLE "User" (id serial PRIMARY KEY)', database=app.database)
    for mode in ("deploy", "wait"):
        res = app.run("--migrate-mode", mode)
        assert res.returncode == 81 and not app.app_ran, str(res)
        errors = [line for line in res.stderr_lines() if "error:" in line]
        assert errors == [
            "prisma-entrypoint: error: the database's schema has 1 table (User) but no _prisma_migrations, so "
            "prisma migrate deploy would stop (P3005): the app was not started; baseline it: for each migration "
            "whose changes the database already has, run `prisma migrate resolve --applied NAME` (the first in "
            f"the folder is {INIT}; see https://pris.ly/d/migrate-baseline)"
        ], str(res)
    assert app.deploys() == []
    assert app.pg.psql("SELECT to_regclass('public._prisma_migrations') IS NULL", database=app.database).strip() == "t"


def diff_stand_in(app, exit_status: int):
    """`prisma migrate diff` answering exit_status (0: no difference, 2: differences). The real one
    cannot describe a live database in this test setup (not with a driver adapter in prisma.config:
    see test_baseline_auto_with_a_diff_that_cannot_compare), so the CLI's wrapper answers for it; every
    other command runs the real CLI."""
    install_wrapper(
        app.root,
        app.calls_log,
        before_exec=(
            f'[ "$1 $2" = "migrate diff" ] && {{ echo "diff stand-in: exit {exit_status}"; exit {exit_status}; }}'
        ),
    )


def diffs(app) -> list:
    return [c["args"] for c in read_calls(app.calls_log) if c["args"][:2] == ["migrate", "diff"]]


def test_baseline_auto_records_the_migrations_when_the_schema_matches(app):
    """baseline = auto: tables but no history (P3005), and prisma migrate diff finds no difference
    between the database and the schema: every migration is recorded as applied, as prisma migrate
    resolve --applied records it, and the app starts; Prisma reads the history as up to date."""
    made = prisma_cli(app, "migrate", "deploy")  # the tables, by the real CLI, then the history dropped
    assert made.returncode == 0, made
    app.pg.psql("DROP TABLE _prisma_migrations", database=app.database)
    diff_stand_in(app, 0)
    res = app.run("--baseline", "auto")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert (
        "baseline = auto: the database's schema has 1 table (User) but no _prisma_migrations: comparing it with "
        "prisma/schema.prisma (prisma migrate diff)" in res.stderr
    ), str(res)
    assert "no difference: the 1 migration of prisma/migrations recorded as applied" in res.stderr, str(res)
    assert diffs(app) == [
        [
            "migrate",
            "diff",
            "--from-schema-datasource",
            "prisma/schema.prisma",
            "--to-schema-datamodel",
            "prisma/schema.prisma",
            "--exit-code",
        ]
    ]
    assert app.deploys() == []
    row = app.pg.psql(
        "SELECT migration_name, checksum, finished_at = started_at, logs, applied_steps_count, rolled_back_at IS NULL "
        "FROM _prisma_migrations",
        database=app.database,
    ).strip()
    assert row == f"{INIT}|{migration_checksum(app, INIT)}|t||0|t", row
    status = prisma_cli(app, "migrate", "status")
    assert status.returncode == 0 and "Database schema is up to date" in status.stdout, status
    res = app.run("--baseline", "auto")
    assert res.returncode == 0 and "database is up to date (1 migration applied" in res.stderr, str(res)


def test_baseline_auto_with_differences_records_nothing(app):
    app.pg.psql('SET ROLE app; CREATE TABLE "Legacy" (id serial PRIMARY KEY)', database=app.database)
    diff_stand_in(app, 2)
    res = app.run("--baseline", "auto")
    assert res.returncode == 81 and not app.app_ran, str(res)
    assert "diff stand-in: exit 2" in res.stdout + res.stderr, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert errors == [
        "prisma-entrypoint: error: baseline = auto: prisma migrate diff found differences between the database "
        "and prisma/schema.prisma (its output above): nothing was recorded and the app was not started; bring "
        "the database in line with the schema, or baseline it by hand (prisma migrate resolve --applied NAME)"
    ], str(res)
    assert app.pg.psql("SELECT to_regclass('public._prisma_migrations') IS NULL", database=app.database).strip() == "t"
    assert app.deploys() == []


def test_baseline_auto_with_a_diff_that_cannot_compare(app):
    """The real CLI of this test setup cannot describe the live database (a driver adapter in
    prisma.config): the diff fails, and nothing is recorded."""
    app.pg.psql('SET ROLE app; CREATE TABLE "User" (id serial PRIMARY KEY)', database=app.database)
    res = app.run("--baseline", "auto")
    assert res.returncode == 81 and not app.app_ran, str(res)
    assert (
        "baseline = auto: prisma migrate diff could not compare the database with prisma/schema.prisma (exit "
        "status 1; its output above says why): nothing was recorded" in res.stderr
    ), str(res)
    assert len(diffs(app)) == 1 and app.deploys() == []
    assert app.pg.psql("SELECT to_regclass('public._prisma_migrations') IS NULL", database=app.database).strip() == "t"
    # in wait mode, baseline = auto changes nothing: the P3005 steps, as without it
    res = app.run("--baseline", "auto", "--migrate-mode", "wait")
    assert res.returncode == 81 and "(P3005)" in res.stderr and len(diffs(app)) == 1, str(res)


def test_unreadable_table_is_left_to_deploy(app):
    # a table the app's role may not read (made by another role): the native check cannot decide
    app.pg.psql(
        "CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64), "
        "migration_name varchar(255), finished_at timestamptz, rolled_back_at timestamptz, logs text, "
        "started_at timestamptz)",
        database=app.database,
    )
    install_wrapper(app.root, app.calls_log, before_exec="exit 0")  # the call is what counts here
    res = app.run()
    assert res.returncode == 0, str(res)
    warnings = [line for line in res.stderr_lines() if "warning:" in line]
    assert len(warnings) == 1 and "cannot read _prisma_migrations (permission denied" in warnings[0], str(res)
    assert "running prisma migrate deploy: the migrations table could not be read" in res.stderr, str(res)
    assert len(app.deploys()) == 1 and app.app_ran


def test_pgbouncer_urls_deploy_without_the_lock(app):
    # through a transaction pooler a session lock would outlive the connection: not taken, not waited for
    holder = held_lock(app.pg, app.database)
    try:
        install_wrapper(app.root, app.calls_log, before_exec="exit 0")
        res = app.run(env={"DATABASE_URL": app.pg.url(database=app.database, params="pgbouncer=true")})
    finally:
        release(holder)
    assert res.returncode == 0, str(res)
    assert "another process is migrating" not in res.stderr, str(res)
    assert len(app.deploys()) == 1 and app.app_ran


def test_other_databases_always_deploy(app):
    (app.root / "prisma" / "migrations" / "migration_lock.toml").write_text('provider = "mysql"\n')
    res = app.run("--no-wait", env={"DATABASE_URL": "mysql://u:p@127.0.0.1:1/db"})
    assert "running prisma migrate deploy: only PostgreSQL databases are checked first" in res.stderr, str(res)
    assert len(app.deploys()) == 1
    assert res.returncode == 81 and not app.app_ran, str(res)


# ---------------------------------------------------------------------------------------------
# a name lookup that hangs does not keep a stop request waiting
# ---------------------------------------------------------------------------------------------


def test_sigterm_while_the_database_host_name_is_looked_up(pe_plain, tmp_path):
    """With --no-wait the migrate phase is the first to look up the database's host name. libpq's own
    lookup blocked, deaf to SIGTERM, for as long as the resolver took (timeout x attempts: here a
    name server that never answers and 30 s); the lookup now runs beside a stop check. Runs in a
    private mount namespace whose /etc/resolv.conf names a silent name server on 127.0.0.153."""
    import socket
    from test_generate import need_mount_ns

    need_mount_ns()
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "app" / "prisma"
    subprocess.run(["cp", "-a", str(fixture), str(pe_plain.cwd / "prisma")], check=True)
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.153\noptions timeout:30 attempts:1\n")
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        silent.bind(("127.0.0.153", 53))
    except OSError as e:
        silent.close()
        pytest.skip(f"cannot listen on 127.0.0.153:53 for the silent name server: {e}")
    try:
        script = 'mount --bind "$0" /etc/resolv.conf || exit 90\nexec "$@"'
        argv = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            script,
            str(resolv),
            *pe_plain.argv(["--no-wait", "--no-generate", "--", "true"]),
        ]
        env = {"DATABASE_URL": "postgresql://app:pw@db.lookup-hangs.test:5432/app"}
        proc = pe_plain.start([], env=env, argv=argv)
        silent.settimeout(timeout(30))
        try:
            silent.recvfrom(512)  # the lookup's first question: the entrypoint is waiting for its answer
        except socket.timeout:
            proc.kill()
            pytest.fail(f"no name lookup reached the silent name server\n{proc.wait(10)}")
        proc.signal(signal.SIGTERM)
        res = proc.wait(10)
    finally:
        silent.close()
    assert res.returncode == 143, str(res)
    assert res.stderr_lines()[-1] == (
        "prisma-entrypoint: stopped by SIGTERM while connecting to read the " "migrations"
    ), str(res)


# ---------------------------------------------------------------------------------------------
# a deploy that lingers after its work
# ---------------------------------------------------------------------------------------------


def test_a_deploy_that_lingers_after_its_work_is_stopped_and_counts(app):
    """In this setup prisma migrate deploy stays about 10 s after its work (see the module's
    docstring), as it does elsewhere with engines that keep Node alive: once every migration is finished
    in _prisma_migrations and Prisma's lock is free, it gets deploy-linger (here 1 s), then it is
    stopped, and the deploy counts."""
    app.add_migration(*ADD_AGE)
    res = app.run("--deploy-linger", "1s")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "the prisma CLI finished its work 1s ago but has not exited: stopping it (its work counts)" in res.stderr
    assert "(its work was done; it was stopped after lingering for deploy-linger)" in res.stderr, str(res)
    assert app.rows() == [(INIT, "t", "f"), (ADD_AGE[0], "t", "f")], app.rows()
    assert "age" in app.columns("User")
    # the next start has nothing to do
    res = app.run()
    assert res.returncode == 0 and "database is up to date (2 migrations applied" in res.stderr, str(res)
    assert len(app.deploys()) == 1


def test_a_deploy_still_at_work_is_not_cut_short(app):
    slow = ("20270303000000_slow", 'SELECT pg_sleep(3);\nALTER TABLE "User" ADD COLUMN "slow" INTEGER;\n')
    app.add_migration(*slow)
    res = app.run("--deploy-linger", "200ms")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert app.rows()[-1] == (slow[0], "t", "f"), app.rows()
    assert "slow" in app.columns("User")


def test_a_failing_deploy_still_fails_with_linger_watch(app):
    app.add_migration(*BROKEN)
    res = app.run("--deploy-linger", "200ms")
    assert res.returncode == 81 and not app.app_ran, str(res)
    assert "has not exited: stopping it" not in res.stderr, str(res)
    assert app.rows()[-1] == (BROKEN[0], "f", "f"), app.rows()


# ---------------------------------------------------------------------------------------------
# migrate-mode = wait: another process (a Job, an initContainer) deploys; this one waits for it
# ---------------------------------------------------------------------------------------------

WAITING_FOR_THE_JOB = "waiting for another process (a migration Job, an initContainer) to apply"


def reading_the_rows(app) -> bool:
    return entrypoint_sent(app, "_prisma_migrations")


def test_wait_mode_starts_the_app_once_a_job_applied_everything(app):
    app.add_migration(*ADD_AGE)
    create_migrations_table(app, (INIT, True))
    proc = app.start("--migrate-mode", "wait", "--wait-timeout", "60s")
    wait_until(lambda: reading_the_rows(app), timeout(30), "the first read of _prisma_migrations", proc)
    time.sleep(1)
    assert proc.popen.poll() is None, "the start did not wait for the pending migration"
    job = app.pg.psql_session(app.database)  # the migration Job, finishing its work
    try:
        send(job, insert_migrations_sql(app, (ADD_AGE[0], True)))
    finally:
        release(job)
    res = proc.wait(30)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f"migrate-mode = wait: 1 migration pending, first {ADD_AGE[0]}: {WAITING_FOR_THE_JOB} it" in res.stderr, str(
        res
    )
    assert "migrations were applied by another process meanwhile (2 applied)" in res.stderr, str(res)
    assert app.deploys() == [], "wait mode ran the CLI"
    assert "warning:" not in res.stderr, str(res)


def test_wait_mode_connects_again_when_its_connection_is_lost(app):
    """A long wait outlives its connection (the server restarted, an idle timeout): the next read
    connects again instead of failing until wait-timeout."""
    create_migrations_table(app)
    proc = app.start("--migrate-mode", "wait", "--wait-timeout", "60s")
    wait_until(lambda: reading_the_rows(app), timeout(30), "the first read of _prisma_migrations", proc)
    app.pg.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'prisma-entrypoint' "
        f"AND datname = '{app.database}'"
    )
    time.sleep(0.5)
    assert proc.popen.poll() is None, "the lost connection ended the wait"
    wait_until(lambda: reading_the_rows(app), timeout(30), "a read on a new connection", proc)
    app.pg.psql(insert_migrations_sql(app, (INIT, True)), database=app.database)
    res = proc.wait(30)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert app.deploys() == []


def test_wait_mode_up_to_date_starts_at_once(app):
    create_migrations_table(app, (INIT, True))
    res = app.run("--migrate-mode", "wait")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "database is up to date (1 migration applied, none pending): migrate skipped" in res.stderr, str(res)
    assert app.deploys() == []


def test_wait_mode_times_out_naming_what_is_pending(app):
    app.add_migration(*ADD_AGE)
    started = time.monotonic()
    res = app.run("--migrate-mode", "wait", "--wait-timeout", "1s")
    took = time.monotonic() - started
    assert res.returncode == 124, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert errors == [
        "prisma-entrypoint: error: migrate-mode = wait: 2 migrations still pending after 1s (wait-timeout): "
        f"{INIT}, {ADD_AGE[0]}; did the migration Job (or initContainer) run? the app was not started"
    ], str(res)
    assert took < timeout(10), f"took {took:.1f} s"
    assert app.deploys() == [] and not app.app_ran
    assert not app.has_table("_prisma_migrations")


def test_wait_mode_stops_at_once_on_a_failed_migration(app):
    app.add_migration(*BROKEN)
    create_migrations_table(
        app, (INIT, True), (BROKEN[0], False, 'Database error:\nERROR: relation "NoSuchTable" does not exist')
    )
    started = time.monotonic()
    res = app.run("--migrate-mode", "wait", "--wait-timeout", "60s")
    took = time.monotonic() - started
    assert res.returncode == 81, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert len(errors) == 1 and f"prisma migrate resolve --rolled-back {BROKEN[0]}" in errors[0], str(res)
    assert "NoSuchTable" in errors[0], str(res)
    assert took < timeout(10), f"took {took:.1f} s: a failed migration must not be waited for"
    assert app.deploys() == [] and not app.app_ran


def test_wait_mode_stops_when_the_job_fails_meanwhile(app):
    app.add_migration(*BROKEN)
    create_migrations_table(app, (INIT, True))
    proc = app.start("--migrate-mode", "wait", "--wait-timeout", "60s")
    wait_until(lambda: reading_the_rows(app), timeout(30), "the first read of _prisma_migrations", proc)
    app.pg.psql(insert_migrations_sql(app, (BROKEN[0], False, "Database error:\nERROR: boom")), database=app.database)
    res = proc.wait(30)
    assert res.returncode == 81, str(res)
    assert f"migration {BROKEN[0]} failed earlier (ERROR: boom)" in res.stderr, str(res)
    assert app.deploys() == [] and not app.app_ran


@pytest.mark.supervisor  # and so under valgrind: the rows' wait and its stop
def test_sigterm_during_the_wait_mode_wait(app):
    proc = app.start("--migrate-mode", "wait", "--wait-timeout", "0")
    wait_until(lambda: reading_the_rows(app), timeout(30), "the first read of _prisma_migrations", proc)
    time.sleep(timeout(0.3))
    sent = time.monotonic()
    proc.signal(signal.SIGTERM)
    res = proc.wait(10)
    took = time.monotonic() - sent
    assert res.returncode == 143, str(res)
    assert WAITING_FOR_THE_JOB in res.stderr, str(res)
    assert "stopped by SIGTERM while waiting for the migrations to be applied by another process" in res.stderr, str(
        res
    )
    assert took < timeout(2), f"took {took:.2f} s to stop"
    assert app.deploys() == [] and not app.app_ran


def test_wait_mode_needs_postgresql(app):
    (app.root / "prisma" / "migrations" / "migration_lock.toml").write_text('provider = "mysql"\n')
    res = app.run("--no-wait", "--migrate-mode", "wait", env={"DATABASE_URL": "mysql://u:p@127.0.0.1:1/db"})
    assert res.returncode == 78, str(res)
    assert "migrate-mode = wait reads _prisma_migrations itself" in res.stderr, str(res)
    assert app.deploys() == [] and not app.app_ran


# ---------------------------------------------------------------------------------------------
# migrate-mode = off, and no-migrate
# ---------------------------------------------------------------------------------------------


def test_off_mode_leaves_the_database_alone(app):
    res = app.run("--migrate-mode", "off", "-v")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "migrate skipped: migrate-mode is off" in res.stderr, str(res)
    assert app.deploys() == [] and not app.has_table("_prisma_migrations")


def test_no_migrate_wins_over_migrate_mode(app):
    res = app.run("--no-migrate", env={"PRISMA_ENTRYPOINT_MIGRATE_MODE": "wait"})
    assert res.returncode == 0 and app.app_ran, str(res)
    warnings = [line for line in res.stderr_lines() if "warning:" in line]
    assert warnings == [
        "prisma-entrypoint: warning: no-migrate = true and migrate-mode = wait (PRISMA_ENTRYPOINT_MIGRATE_MODE) "
        "disagree: no-migrate wins, migrate is off"
    ], str(res)
    assert app.deploys() == []


# ---------------------------------------------------------------------------------------------
# the history, read before anything is applied
# ---------------------------------------------------------------------------------------------

NEWER = ["20280101000000_newer_a", "20280102000000_newer_b", "20280103000000_newer_c", "20280104000000_newer_d"]


@pytest.mark.parametrize("mode", ["deploy", "wait"])
def test_unknown_applied_migrations_are_a_warning(app, mode):
    create_migrations_table(app, (INIT, True), *((name, True) for name in NEWER))
    res = app.run("--migrate-mode", mode)
    assert res.returncode == 0 and app.app_ran, str(res)
    warnings = [line for line in res.stderr_lines() if "warning:" in line]
    assert len(warnings) == 1, str(res)
    assert (
        f"the database has 4 applied migrations that prisma/migrations does not have: {NEWER[0]}, {NEWER[1]}, "
        f"{NEWER[2]} and 1 more (an older image on a newer database?)" in warnings[0]
    ), str(res)
    assert app.deploys() == []


def test_unknown_applied_migrations_can_be_an_error(app):
    app.add_migration(*ADD_AGE)
    create_migrations_table(app, (INIT, True), (NEWER[0], True))
    res = app.run("--unknown-migrations", "error")
    assert res.returncode == 81, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert len(errors) == 1, str(res)
    assert f"the database has 1 applied migration not in the migrations folder: {NEWER[0]}" in errors[0], str(res)
    assert "unknown-migrations = error" in errors[0]
    assert app.deploys() == [] and not app.app_ran, "something was applied before the error"
    assert "warning:" not in res.stderr, str(res)


def test_an_edited_applied_migration_is_a_warning(app):
    create_migrations_table(app, (INIT, True))
    script = app.root / "prisma" / "migrations" / INIT / "migration.sql"
    original = script.read_bytes()

    # the same script checked out with CRLF line ends: Prisma accepts it, so does this
    script.write_bytes(original.replace(b"\n", b"\r\n"))
    res = app.run()
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "warning:" not in res.stderr, str(res)

    script.write_bytes(original + b'\nCREATE INDEX "User_email_idx" ON "User"("email");\n')
    res = app.run()
    assert res.returncode == 0 and app.app_ran, str(res)
    warnings = [line for line in res.stderr_lines() if "warning:" in line]
    assert len(warnings) == 1, str(res)
    assert f"prisma/migrations/{INIT}/migration.sql changed since it was applied" in warnings[0], str(res)
    assert app.deploys() == []


RECORD_DIR = Path("node_modules/.cache/prisma-entrypoint")  # next to the generate record


def verified_record(app):
    """The verified-migrations record of the app's migrations folder, or None."""
    found = sorted((app.root / RECORD_DIR).glob("verified-migrations-*"))
    assert len(found) <= 1, found
    return found[0] if found else None


def settle(path: Path):
    """Waits until path last changed over 2 s ago: a file changed since is hashed at every start and not
    recorded (it could change again within the same timestamp tick without its stat showing it)."""
    wait = os.stat(path).st_ctime + 2.2 - time.time()
    if wait > 0:
        time.sleep(wait)


def record_line(app, name: str, checksum: str) -> str:
    """The record's line vouching that migration name's migration.sql, as it is now, matched checksum."""
    st = os.stat(app.root / "prisma" / "migrations" / name / "migration.sql")
    return f"{checksum} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {name}"


def edited_warnings(res) -> list:
    return [line for line in res.stderr_lines() if "warning:" in line and "changed since it was applied" in line]


def test_verified_migrations_are_recorded_and_an_edit_is_still_found(app):
    create_migrations_table(app, (INIT, True))
    script = app.root / "prisma" / "migrations" / INIT / "migration.sql"
    original = script.read_bytes()
    settle(script)
    res = app.run()
    assert res.returncode == 0 and app.app_ran and "warning:" not in res.stderr, str(res)
    record = verified_record(app)
    assert record is not None, f"no verified-migrations record in {RECORD_DIR}\n{res}"
    assert record.read_text().splitlines()[1:] == [record_line(app, INIT, migration_checksum(app, INIT))]

    # a start that vouched for every file leaves the record as it was
    before = os.stat(record)
    res = app.run()
    assert res.returncode == 0 and "warning:" not in res.stderr, str(res)
    after = os.stat(record)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "record rewritten"

    # the same size and the old mtime put back: the ctime tells, the file is hashed again
    old = os.stat(script)
    edited = original.replace(b"CREATE TABLE", b"create table", 1)
    assert len(edited) == len(original) and edited != original
    script.write_bytes(edited)
    os.utime(script, ns=(old.st_atime_ns, old.st_mtime_ns))
    for _ in range(2):  # and on the next start too: a file that does not match is never recorded
        res = app.run()
        assert res.returncode == 0 and app.app_ran, str(res)
        assert len(edited_warnings(res)) == 1, str(res)
        assert f"prisma/migrations/{INIT}/migration.sql changed since it was applied" in edited_warnings(res)[0]

    # restored, then the database's checksum changes (a reset, another history): compared again
    script.write_bytes(original)
    settle(script)
    res = app.run()
    assert res.returncode == 0 and "warning:" not in res.stderr, str(res)
    assert record.read_text().splitlines()[1:] == [record_line(app, INIT, migration_checksum(app, INIT))]
    app.pg.psql("UPDATE _prisma_migrations SET checksum = repeat('0', 64)", database=app.database)
    res = app.run()
    assert res.returncode == 0 and len(edited_warnings(res)) == 1, str(res)


def test_hundreds_of_migrations_are_scanned_beside_the_query_and_each_edit_is_found(app):
    """From a few hundred migrations the files are stat'ed in two threads while the rows are read
    (src/migration-scan.h): a start that changed nothing vouches for every file, and an edit in
    either half of the folder is still found."""
    names = [f"2026010100{i:04d}_step" for i in range(300)]
    for i, name in enumerate(names):
        app.add_migration(name, f"SELECT {i};\n")
    create_migrations_table(app, (INIT, True), *[(name, True) for name in names])
    settle(app.root / "prisma" / "migrations" / names[-1] / "migration.sql")
    res = app.run()
    assert res.returncode == 0 and app.app_ran and "warning:" not in res.stderr, str(res)
    assert "301 migrations applied, none pending" in res.stderr, str(res)
    record = verified_record(app)
    assert record is not None and len(record.read_text().splitlines()) == 1 + 301

    before = os.stat(record)
    res = app.run()
    assert res.returncode == 0 and "warning:" not in res.stderr, str(res)
    after = os.stat(record)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "record rewritten"

    # the same size and the old mtime put back, one in each half: the ctime tells
    for name in (names[5], names[-5]):
        script = app.root / "prisma" / "migrations" / name / "migration.sql"
        old = os.stat(script)
        script.write_bytes(script.read_bytes().replace(b"SELECT", b"select"))
        os.utime(script, ns=(old.st_atime_ns, old.st_mtime_ns))
    res = app.run()
    assert res.returncode == 0 and app.app_ran, str(res)
    warned = [line for line in res.stderr_lines() if "changed since they were applied" in line]
    assert len(warned) == 1 and "warning:" in warned[0], str(res)
    assert f"prisma/migrations/{names[5]}/migration.sql, prisma/migrations/{names[-5]}/migration.sql" in warned[0]


def test_a_record_that_cannot_be_used_is_ignored(app):
    create_migrations_table(app, (INIT, True))
    script = app.root / "prisma" / "migrations" / INIT / "migration.sql"
    checksum = migration_checksum(app, INIT)
    settle(script)
    assert app.run().returncode == 0
    record = verified_record(app)
    assert record is not None

    # what the record vouches for is not hashed: a line forged for an edited file hides the edit ...
    header = record.read_text().splitlines()[0]
    script.write_bytes(script.read_bytes() + b"-- edited\n")
    settle(script)
    record.write_text(f"{header}\n{record_line(app, INIT, checksum)}\n")
    res = app.run()
    assert res.returncode == 0 and "warning:" not in res.stderr, str(res)

    # ... but not once any part of it is broken: then everything is hashed, and nothing else is said
    for broken in (
        f"{header}\n{record_line(app, INIT, checksum)}",  # torn: no newline at the end
        f"{header}\n{record_line(app, INIT, checksum)}\ngarbage\n",
        "garbage\n",
        "",
    ):
        record.write_text(broken)
        res = app.run()
        assert res.returncode == 0 and app.app_ran, str(res)
        assert len(edited_warnings(res)) == 1, str(res)
        assert [line for line in res.stderr_lines() if "warning:" in line or "error:" in line] == edited_warnings(
            res
        ), str(res)

    # a folder in the record's place: the same, and the start goes on
    record.unlink()
    record.mkdir()
    res = app.run()
    assert res.returncode == 0 and app.app_ran and len(edited_warnings(res)) == 1, str(res)


def test_a_provider_mismatch_stops_before_anything_runs(app):
    (app.root / "prisma" / "migrations" / "migration_lock.toml").write_text('provider = "mysql"\n')
    res = app.run()
    assert res.returncode == 78, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert len(errors) == 1, str(res)
    assert 'were made for provider "mysql"' in errors[0] and "names a PostgreSQL database" in errors[0], str(res)
    assert app.deploys() == [] and not app.app_ran

    # no migration_lock.toml at all is fine
    (app.root / "prisma" / "migrations" / "migration_lock.toml").unlink()
    create_migrations_table(app, (INIT, True))
    res = app.run()
    assert res.returncode == 0 and app.app_ran, str(res)


# ---------------------------------------------------------------------------------------------
# a replica killed mid-deploy
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def app_pid1(pe_pid1, pg, npm_node_modules):
    """The app run as a container runs it: the entrypoint is PID 1 of a PID namespace of its own, so
    that SIGKILL of it ends the whole namespace, the Prisma CLI included."""
    a = App(pe_pid1, copy_app(pe_pid1.cwd, npm_node_modules), pg, new_database(pg))
    yield a
    remove_node_modules(a.root)


def backends(app, where: str) -> list:
    """The pids of the app database's backends that match where (a condition on pg_stat_activity)."""
    return app.pg.psql(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{app.database}' AND pid <> pg_backend_pid() AND {where}"
    ).split()


def test_a_replica_killed_mid_deploy_strands_no_one(app_pid1):
    """Replica A is SIGKILLed (its whole PID namespace, the Prisma CLI with it, as a container is)
    while prisma migrate deploy runs a slow migration; replica B waits on the migrate lock meanwhile.
    What B sees with PostgreSQL 15 (measured; no timing is asserted):
    - our lock goes with A's connection at once: that backend is idle, waiting for A, and sees
      the connection close;
    - the backend running Prisma's statement (Prisma's lock is on that connection) does not notice
      its client is gone until it writes to it, so the statement runs to its end and only then is
      Prisma's lock released (at once when the server checks the connection while a statement runs,
      client_connection_check_interval); B waits for that (`being applied by another process`);
    - this setup's Prisma (the WebAssembly engine through the pg driver adapter) sends a script's
      statements one by one, each committed on its own: the CREATE TABLE before the sleep stays,
      and finished_at is never written. B then stops with the P3009 diagnosis (exit 81): honest,
      the history does not call finished what was cut short, and since the row has no logs (no
      failure was recorded) the line says so and tells to check which changes are there before
      choosing --applied or --rolled-back. migrate-engine = native applies each script in one
      transaction with its row, which ends this (test_native.py)."""
    app = app_pid1
    slow = ("20270303000000_slow", 'CREATE TABLE "Slow" (id INTEGER);\nSELECT pg_sleep(4);\n')
    app.add_migration(*slow)
    a = app.start()
    ours_a = wait_until(lambda: backends(app, "application_name = 'prisma-entrypoint'"), 30, "A's session", a)
    wait_until(lambda: backends(app, "state = 'active' AND query LIKE '%pg_sleep(4)%'"), 60, "the slow migration", a)
    b = app.start()
    wait_until(
        lambda: backends(app, f"pid <> {ours_a[0]} AND query LIKE '%pg_try_advisory_lock%'"), 30, "B's first try", b
    )
    time.sleep(timeout(0.3))  # past the first try's answer and the read of its holder
    os.kill(a.epid(), signal.SIGKILL)  # the namespace's PID 1: the kernel ends every process in it
    a.wait(10)
    res = b.wait(60)

    assert re.search(
        rf'another process is migrating database "{app.database}" \(held by pid {ours_a[0]}, prisma-entrypoint ',
        res.stderr,
    ), str(res)
    assert f"migration {slow[0]} is being applied by another process (it holds prisma's lock)" in res.stderr
    assert res.returncode == 81, str(res)
    assert [line for line in res.stderr_lines() if "error:" in line] == [
        f"prisma-entrypoint: error: migration {slow[0]} was started but never finished (no error was recorded: "
        "the process applying it was killed?) and blocks every later prisma migrate deploy: the app was not "
        "started; check which of its changes the database has: all of them, run `prisma migrate resolve "
        f"--applied {slow[0]}`; none, run `prisma migrate resolve --rolled-back {slow[0]}`; some, finish or undo "
        "them by hand first"
    ], str(res)
    # finished only what is there; the slow one unfinished although its statements were committed
    assert app.rows() == [(INIT, "t", "f"), (slow[0], "f", "f")], app.rows()
    assert app.has_table("User") and app.has_table("Slow")
    # neither lock outlives its holder
    assert backends(app, "true") == []
    held = app.pg.psql(
        f"SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND objid IN ({LOCK_KEY}, " f"{PRISMA_LOCK_KEY})"
    )
    assert held.split() == [], held
    assert len(app.deploys()) == 1 and not app.app_ran


# ---------------------------------------------------------------------------------------------
# one login per start: the wait's connection reads the migrations
# ---------------------------------------------------------------------------------------------


def logins(app) -> int:
    """Sessions ever opened to the app's database (pg_stat_database.sessions), once the count is
    steady: a backend counts its session when it exits, a moment after its client left."""
    query = f"SELECT sessions FROM pg_stat_database WHERE datname = '{app.database}'"
    last, steady_since = None, time.monotonic()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = int(app.pg.psql(query).strip() or 0)
        if now != last:
            last, steady_since = now, time.monotonic()
        elif time.monotonic() - steady_since > 0.5:
            break
        time.sleep(0.05)
    return last


def test_a_start_logs_in_once(app):
    assert app.run().returncode == 0  # deploys: the CLI's own sessions are not counted below
    before = logins(app)
    res = app.run("-v")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "reading the migrations through the wait's connection" in res.stderr, str(res)
    assert "database is up to date" in res.stderr, str(res)
    assert logins(app) - before == 1, f"the wait and the migrate phase logged in {logins(app) - before} times\n{res}"


def test_a_wait_connection_closed_meanwhile_is_replaced_by_a_new_login(app):
    """The server (or a pooler) may close the wait's connection while generate runs: the migrate phase
    logs in again instead of failing."""
    terminate = shlex.join(
        [
            str(pgm.PG_BIN / "psql"),
            "-X",
            "-q",
            "-h",
            str(app.pg.socket_dir),
            "-p",
            str(app.pg.port),
            "-U",
            pgm.PG_USER,
            "-d",
            "postgres",
            "-c",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
            f"'prisma-entrypoint' AND datname = '{app.database}'",
        ]
    )
    install_wrapper(app.root, app.calls_log, before_exec=f"{terminate} >/dev/null")
    res = app.run("-v", "--force-generate", generate=True, seconds=120)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "the wait's connection no longer works" in res.stderr, str(res)
    assert app.rows() == [(INIT, "t", "f")], str(res)
