"""`prisma-entrypoint status`: the database, the generated client and the migrations, read once, against
a real PostgreSQL and the real Prisma 6.19 CLI (the fixture app; npm_app.py installs it).

Each state is checked with its exit code, its text line and its JSON. The client is generated for real
(`run --no-wait --no-migrate -- /bin/true`, which leaves the generate record); migrations are set up
by writing _prisma_migrations as Prisma does (a real deploy lingers 10 s in this setup). status
itself must never start Node nor write a file: the prisma CLI is a recording wrapper, and the tree is
compared before and after.
"""

import json
import os
import re
import time
import uuid
from pathlib import Path

import pytest

import pg as pgm
import test_migrate as mig
from npm_app import copy_app, install_wrapper, read_calls, remove_node_modules
from test_migrate import ADD_AGE, INIT

BROKEN = "20270202000000_broken"
PRISMA_LOCK_KEY = 72707369  # the advisory lock prisma migrate deploy holds while it works
BROKEN_LOGS = 'A migration failed to apply.\n\nDatabase error:\nrelation "NoSuchTable" does not exist\n'
EXIT_OUT_OF_SYNC, EXIT_FAILED_MIGRATION, EXIT_DATABASE_UNUSABLE = 10, 11, 12


class App(mig.App):
    """test_migrate's app (a copy of the fixture app with its own empty database), with what status
    tests need."""

    def env(self, extra=None, url=None) -> dict:
        return {**super().env(), "DATABASE_URL": url or self.url, **(extra or {})}

    def generate(self):
        """A real prisma generate, through run, which leaves the record status reads."""
        res = self.pe.run(["--no-wait", "--no-migrate", "--", "/bin/true"], env=self.env(), seconds=90)
        assert res.returncode == 0 and "prisma client generated" in res.stderr, str(res)
        self.calls_log.unlink(missing_ok=True)

    def status(self, *args, url=None, env=None):
        """(text result, JSON result, parsed JSON) of status with args; both must agree on the exit code,
        and neither may start the prisma CLI."""
        text = self.pe.run(["status", *args], env=self.env(env, url=url))
        js = self.pe.run(["status", "--json", *args], env=self.env(env, url=url))
        assert text.returncode == js.returncode, f"{text}\n{js}"
        assert read_calls(self.calls_log) == [], f"status started the prisma CLI: {read_calls(self.calls_log)}"
        lines = js.stdout.splitlines()
        assert len(lines) == 1, f"--json should print one line: {js}"
        return text, js, json.loads(lines[0])

    def migrations_table(self, *rows):
        """_prisma_migrations as Prisma makes it, with rows (name, finished, logs)."""
        mig.create_migrations_table(self, *rows)

    def digest(self) -> str:
        res = self.pe.run(["hash"], env=self.env())
        assert res.returncode == 0, str(res)
        return res.stdout.splitlines()[0]


@pytest.fixture
def app(pe_plain, pg, npm_node_modules):
    a = App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, mig.new_database(pg))
    yield a
    remove_node_modules(a.root)


def line(res, item: str) -> str:
    found = [x for x in res.stdout.splitlines() if x.startswith(item + ": ")]
    assert len(found) == 1, f"no single {item} line: {res}"
    return found[0]


def server_version(app) -> str:
    return app.pg.psql("SHOW server_version").split()[0]


# ---------------------------------------------------------------------------------------------
# each state, with its exit code, its line and its JSON
# ---------------------------------------------------------------------------------------------


def test_in_sync(app):
    app.generate()
    app.migrations_table((INIT, True, None))
    text, js, doc = app.status()
    assert text.returncode == 0, str(text)
    assert text.stdout.splitlines() == [
        f"database: ready (PostgreSQL {server_version(app)})",
        f"client: current ({app.digest()})",
        "engine: client, none needed (this platform: debian-openssl-3.0.x)",
        "migrations: up to date (1 applied)",
    ], str(text)
    assert text.stderr == "", str(text)
    assert doc == {
        "status": "in-sync",
        "database": {"state": "ready", "version": server_version(app)},
        "client": {
            "state": "current",
            "digest": app.digest(),
            "engine": {"type": "client", "target": "debian-openssl-3.0.x"},
        },
        "migrations": {"state": "up-to-date", "applied": 1},
    }, js.stdout


def test_history_unknown_and_edited_migrations(app):
    """Applied migrations this folder lacks, and an applied migration.sql edited since: one history line
    (and two JSON lists) on top of the state, which they do not change."""
    app.generate()
    newer = ["20280101000000_newer_a", "20280102000000_newer_b", "20280103000000_newer_c", "20280104000000_newer_d"]
    app.migrations_table((INIT, True, None), *((name, True, None) for name in newer))
    script = app.root / "prisma" / "migrations" / INIT / "migration.sql"
    script.write_text(script.read_text() + "-- edited\n")
    text, js, doc = app.status()
    assert text.returncode == 0, str(text)
    assert line(text, "migrations") == "migrations: up to date (1 applied)", str(text)
    assert line(text, "history") == (
        f"history: 4 applied migrations not in prisma/migrations ({newer[0]}, {newer[1]}, {newer[2]} and 1 more); "
        f"1 applied migration changed since ({INIT})"
    ), str(text)
    assert doc["migrations"] == {
        "state": "up-to-date",
        "applied": 1,
        "unknown": {"count": 4, "first": newer[:3]},
        "edited": {"count": 1, "first": [INIT]},
    }, doc


def test_stale_client_after_a_schema_edit(app):
    app.generate()
    app.migrations_table((INIT, True, None))
    schema = app.root / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("name  String?", "name  String?\n  hostname String?"))
    text, js, doc = app.status()
    assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
    assert line(text, "client").startswith("client: stale: the inputs changed since the last generate"), str(text)
    assert line(text, "migrations") == "migrations: up to date (1 applied)"
    assert doc["status"] == "out-of-sync" and doc["client"]["state"] == "stale", doc
    assert doc["client"]["reason"].startswith("the inputs changed since the last generate"), doc
    assert doc["migrations"] == {"state": "up-to-date", "applied": 1}, doc


def test_never_generated_and_output_missing(app):
    app.migrations_table((INIT, True, None))
    text, js, doc = app.status()
    assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
    assert "client: stale: no record of an earlier generate" in text.stdout, str(text)
    assert doc["status"] == "out-of-sync" and "no record of an earlier generate" in doc["client"]["reason"], doc

    app.generate()
    assert app.status()[0].returncode == 0
    client = app.root / "node_modules" / ".prisma" / "client"
    client.rename(client.with_name("client-gone"))
    text, js, doc = app.status()
    assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
    assert "client: stale: the generated client is missing" in text.stdout, str(text)
    assert doc["client"]["state"] == "stale" and "missing" in doc["client"]["reason"], doc


def test_a_library_client_without_this_platforms_engine(app):
    """engineType "library": the engine line names this platform's target, and a client that holds
    only another platform's engine is stale (test_engines.py has the rest)."""
    target, engine = "debian-openssl-3.0.x", "libquery_engine-debian-openssl-3.0.x.so.node"
    schema = app.root / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace('engineType      = "client"', 'engineType      = "library"'))
    stand_in = app.pe.tmp / engine
    stand_in.write_bytes(b"not a real engine\n")
    # the real prisma generate copies the file this names instead of downloading an engine
    install_wrapper(app.root, app.calls_log, before_exec=f"export PRISMA_QUERY_ENGINE_LIBRARY='{stand_in}'")
    app.migrations_table((INIT, True, None))
    app.generate()
    text, js, doc = app.status()
    assert text.returncode == 0, str(text)
    assert line(text, "engine") == f"engine: library for {target}: present", str(text)
    assert doc["client"]["engine"] == {"type": "library", "target": target, "present": True}, doc

    client = app.root / "node_modules" / ".prisma" / "client"
    (client / engine).rename(client / "libquery_engine-linux-musl-openssl-3.0.x.so.node")
    text, js, doc = app.status()
    assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
    assert line(text, "client").startswith(
        f"client: stale: the generated client at node_modules/.prisma/client has no query engine for this platform, "
        f"{target}"
    ), str(text)
    assert line(text, "engine") == f'engine: library for {target}: missing (binaryTargets = ["native", "{target}"])'
    assert doc["client"]["engine"] == {"type": "library", "target": target, "present": False}, doc


def test_pending_migrations(app):
    app.generate()
    # no _prisma_migrations table yet: everything is pending
    text, js, doc = app.status()
    assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
    assert line(text, "migrations") == f"migrations: 1 pending ({INIT})", str(text)
    assert doc["status"] == "out-of-sync" and doc["migrations"] == {"state": "pending", "pending": [INIT]}, doc

    app.migrations_table((INIT, True, None))
    app.add_migration(*ADD_AGE)
    app.add_migration("20270303000000_add_city", 'ALTER TABLE "User" ADD COLUMN "city" TEXT;\n')
    text, js, doc = app.status()
    assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
    assert line(text, "migrations") == f"migrations: 2 pending ({ADD_AGE[0]}, 20270303000000_add_city)", str(text)
    assert doc["migrations"] == {"state": "pending", "pending": [ADD_AGE[0], "20270303000000_add_city"]}, doc
    assert doc["client"]["state"] == "current", doc


def test_failed_migration(app):
    app.generate()
    app.add_migration(BROKEN, 'SELECT * FROM "NoSuchTable";\n')
    app.migrations_table((INIT, True, None), (BROKEN, False, BROKEN_LOGS))
    text, js, doc = app.status()
    assert text.returncode == EXIT_FAILED_MIGRATION, str(text)
    migrations = line(text, "migrations")
    assert migrations.startswith(f'migrations: failed: {BROKEN} (relation "NoSuchTable" does not exist)'), str(text)
    assert f"prisma migrate resolve --rolled-back {BROKEN}" in migrations, migrations
    assert doc["status"] == "failed-migration", doc
    assert doc["migrations"] == {
        "state": "failed",
        "migration": BROKEN,
        "reason": 'relation "NoSuchTable" does not exist',
        "resolve": f"prisma migrate resolve --rolled-back {BROKEN}",
    }, doc


def test_tables_without_history_need_a_baseline(app):
    """Prisma's P3005: deploy refuses a schema that has tables but no _prisma_migrations."""
    app.generate()
    app.pg.psql(
        'SET ROLE app; CREATE TABLE "User" (id serial PRIMARY KEY); CREATE TABLE "Post" (id int)', database=app.database
    )
    text, js, doc = app.status()
    assert text.returncode == EXIT_FAILED_MIGRATION, str(text)
    assert line(text, "migrations").startswith(
        "migrations: baseline needed: the schema has 2 tables (Post, User) but no _prisma_migrations"
    ), str(text)
    assert doc["status"] == "failed-migration", doc
    assert doc["migrations"] == {
        "state": "baseline-needed",
        "reason": "2 tables (Post, User) but no _prisma_migrations",
    }, doc


def test_a_migration_being_applied_is_not_called_failed(app):
    """An unfinished row while Prisma's lock is held is a deploy at work (by hand, from CI)."""
    app.generate()
    app.add_migration(*ADD_AGE)
    app.migrations_table((INIT, True, None), (ADD_AGE[0], False, None))
    deployer = app.pg.psql_session(app.database)
    try:
        pgm.send_sql(deployer, f"SELECT pg_advisory_lock({PRISMA_LOCK_KEY});")
        deadline = time.monotonic() + 10
        while (
            app.pg.psql(
                f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {PRISMA_LOCK_KEY} AND granted",
                database=app.database,
            ).strip()
            != "1"
        ):
            assert time.monotonic() < deadline, "the psql session did not take Prisma's lock"
            time.sleep(0.02)
        text, js, doc = app.status()
    finally:
        deployer.stdin.close()
        deployer.wait(timeout=10)
    assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
    assert line(text, "migrations").startswith(f"migrations: applying {ADD_AGE[0]}"), str(text)
    assert doc["migrations"] == {"state": "applying", "migration": ADD_AGE[0]}, doc


def test_failed_migration_outranks_a_stale_client(app):
    app.add_migration(BROKEN, 'SELECT * FROM "NoSuchTable";\n')
    app.migrations_table((INIT, True, None), (BROKEN, False, BROKEN_LOGS))
    text, js, doc = app.status()
    assert text.returncode == EXIT_FAILED_MIGRATION, str(text)
    assert doc["status"] == "failed-migration" and doc["client"]["state"] == "stale", doc


def test_database_not_reachable(app):
    app.generate()
    url = app.pg.url(database=app.database, port=pgm.free_port())
    text, js, doc = app.status(url=url)
    assert text.returncode == EXIT_DATABASE_UNUSABLE, str(text)
    assert re.fullmatch(
        r"database: not reachable: cannot connect to 127\.0\.0\.1:\d+: connection refused", line(text, "database")
    ), str(text)
    assert line(text, "client") == f"client: current ({app.digest()})", "the client line should still print"
    assert line(text, "migrations") == "migrations: unknown (the database is not usable)", str(text)
    assert doc["status"] == "database-unusable", doc
    assert doc["database"]["state"] == "not-reachable" and "connection refused" in doc["database"]["reason"], doc
    assert doc["client"]["state"] == "current", doc
    assert doc["migrations"] == {"state": "unknown", "reason": "the database is not usable"}, doc


def test_database_refused_wrong_password(app):
    app.generate()
    url = app.pg.url(database=app.database, password="wrong-" + pgm.APP_PASSWORD[::-1])
    text, js, doc = app.status(url=url)
    assert text.returncode == EXIT_DATABASE_UNUSABLE, str(text)
    database = line(text, "database")
    assert database.startswith("database: refused: ") and "28P01" in database, str(text)
    assert "check the password" in database, f"no advice as the wait gives it: {database}"
    assert "wrong-" not in text.stdout + text.stderr + js.stdout + js.stderr, "the password leaked"
    assert doc["database"]["state"] == "refused" and "28P01" in doc["database"]["reason"], doc
    assert doc["status"] == "database-unusable" and doc["migrations"]["state"] == "unknown", doc


def test_missing_database_is_refused(app):
    app.generate()
    text, js, doc = app.status(url=app.pg.url(database="nope_" + uuid.uuid4().hex[:8]))
    assert text.returncode == EXIT_DATABASE_UNUSABLE, str(text)
    assert doc["database"]["state"] == "refused" and "3D000" in doc["database"]["reason"], doc


def test_migrations_not_used(app):
    app.generate()
    text, js, doc = app.status("--no-migrate")
    assert text.returncode == 0, str(text)
    assert line(text, "migrations") == "migrations: not used (no-migrate is set)", str(text)
    assert doc["status"] == "in-sync" and doc["migrations"] == {"state": "not-used", "reason": "no-migrate is set"}

    text, js, doc = app.status("--migrate-mode", "off")
    assert line(text, "migrations") == "migrations: not used (migrate-mode is off)", str(text)

    (app.root / "prisma" / "migrations").rename(app.root / "old-migrations")
    text, js, doc = app.status()
    assert text.returncode == 0, str(text)
    assert line(text, "migrations") == "migrations: not used (no migrations folder)", str(text)
    assert doc["migrations"] == {"state": "not-used", "reason": "no migrations folder"}, doc
    assert doc["database"]["state"] == "ready", doc


def test_no_database_url(app):
    app.generate()
    text, js, doc = app.status(env={"DATABASE_URL": None})
    assert text.returncode == EXIT_DATABASE_UNUSABLE, str(text)
    assert line(text, "database") == "database: not checked: database-url is not set", str(text)
    assert doc["database"] == {"state": "unchecked", "reason": "database-url is not set"}, doc
    assert doc["migrations"] == {"state": "unknown", "reason": "the database is not checked"}, doc
    # without migrations there is nothing the database has to be checked for
    text, js, doc = app.status("--no-migrate", env={"DATABASE_URL": None})
    assert text.returncode == 0 and doc["status"] == "in-sync", str(text)


# ---------------------------------------------------------------------------------------------
# read-only: nothing written, nothing spawned
# ---------------------------------------------------------------------------------------------


def tree_snapshot(root: Path) -> dict:
    """Every path under root with its type, size, mode and modification time (folders too, whose
    mtime changes when an entry is created or removed in them)."""
    snap = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files, "."]:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            snap[os.path.normpath(path)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return snap


def test_writes_nothing_and_never_starts_node(app):
    marker = app.pe.tmp / "node-ran"
    stand_in = app.pe.tmp / "fake-prisma"
    stand_in.write_text(f"#!/bin/sh\necho ran >> {marker}\n")
    stand_in.chmod(0o755)
    app.generate()
    # stale client, pending migration: what a run would generate and deploy for
    schema = app.root / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text() + "\n// edited\n")
    app.add_migration(*ADD_AGE)
    app.migrations_table((INIT, True, None))
    rows_before = app.pg.psql("SELECT count(*) FROM _prisma_migrations", database=app.database)
    before = tree_snapshot(app.root)
    bin_dir = app.pe.tmp / "bin"
    bin_dir.mkdir()
    for tool in ("sh",):  # a PATH with no node in it
        (bin_dir / tool).symlink_to("/bin/" + tool)
    for args in ((), ("--wait",)):
        text, js, doc = app.status(*args, env={"PRISMA_ENTRYPOINT_PRISMA_CLI": str(stand_in), "PATH": str(bin_dir)})
        assert text.returncode == EXIT_OUT_OF_SYNC, str(text)
        assert doc["client"]["state"] == "stale" and doc["migrations"]["state"] == "pending", doc
    assert not marker.exists(), "status ran the prisma CLI"
    assert tree_snapshot(app.root) == before, "status changed the app's files"
    assert app.pg.psql("SELECT count(*) FROM _prisma_migrations", database=app.database) == rows_before
    assert "age" not in app.pg.psql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'User'", database=app.database
    )


def test_one_login_per_status(app):
    """One connection: the database probe and the migrations read share it (pg_stat_database counts
    every session of the database)."""
    app.generate()
    app.migrations_table((INIT, True, None))

    def sessions() -> int:
        return int(
            app.pg.psql(f"SELECT sessions FROM pg_stat_database WHERE datname = {pgm.sql_literal(app.database)}")
        )

    def settled() -> int:
        """The count once it has stopped moving: a session is counted when its backend exits."""
        last = sessions()
        while True:
            time.sleep(0.3)
            now = sessions()
            if now == last:
                return now
            last = now

    before = settled()
    res = app.pe.run(["status"], env=app.env())
    assert res.returncode == 0, str(res)
    assert settled() - before == 1, "status should log in once"


# ---------------------------------------------------------------------------------------------
# --wait, and the settings as run takes them
# ---------------------------------------------------------------------------------------------


def test_wait_first_then_one_look(app):
    app.generate()
    app.migrations_table((INIT, True, None))
    res = app.pe.run(["status", "--wait"], env=app.env())
    assert res.returncode == 0, str(res)
    assert "ready after" in res.stderr, f"--wait should wait as run does: {res}"
    assert res.stdout.splitlines()[0].startswith("database: ready"), str(res)

    url = app.pg.url(database=app.database, port=pgm.free_port())
    res = app.pe.run(["--wait-timeout", "300ms", "status", "--wait"], env=app.env(url=url))
    assert res.returncode == 124, str(res)
    assert res.stdout == "", "a wait that times out reports as the wait does, with no status"


def test_arguments_and_bad_settings(app):
    res = app.pe.run(["status", "extra"], env=app.env())
    assert res.returncode == 64 and "status takes no arguments" in res.stderr, str(res)
    res = app.pe.run(["status", "--migrations", "nowhere"], env=app.env())
    assert res.returncode == 78 and "nowhere" in res.stderr and res.stdout == "", str(res)
    res = app.pe.run(["status"], env=app.env(url="mysql://u:p@127.0.0.1:1/x"))
    assert "database: not checked: only PostgreSQL databases are checked" in res.stdout, str(res)


def test_no_schema_is_a_config_error(pe_plain):
    res = pe_plain.run(["status"])
    assert res.returncode == 78 and "no Prisma schema" in res.stderr and res.stdout == "", str(res)
