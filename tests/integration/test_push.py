"""migrate-mode = push: `prisma db push --skip-generate` when the schema changed since the last push to
that database, against a real PostgreSQL and the real Prisma 6.19 CLI (the fixture app); and SQLite
`file:` URLs resolved as Prisma resolves them.

In this offline setup `prisma db push` against PostgreSQL fails with "Column type 'char' could not be
deserialized" (adapter-pg 7.10 has no mapping for PostgreSQL's internal "char", OID 18, which the
schema engine's catalog queries return). The test's own copy of the app gets a shim in its
prisma.config.ts that rewrites that type to text in each result (SHIM); the committed fixture is left
as it is. A push that has done its work lingers about 60 s here: deploy-linger (2 s) ends it, and its
work counts.

The app is `/bin/sh -c 'echo ran >> MARKER'`, so each test can tell whether it was started.
"""

import json
import os
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

import test_migrate
from conftest import wait_until
from npm_app import SQLITE_APP, copy_app, install_wrapper, read_calls, remove_node_modules
from pg import APP_PASSWORD

RECORD_DIR = Path("node_modules/.cache/prisma-entrypoint")


def push_records(root: Path) -> list:
    """The push records (not their lock files) of the project at root."""
    folder = root / RECORD_DIR
    return sorted(p for p in folder.glob("push-*") if not p.name.endswith(".lock")) if folder.exists() else []


# Prepended to the copy's prisma.config.ts (see the module's docstring): both the promise and the
# callback forms of pg.Client.prototype.query, and every result of a multi-statement query.
SHIM = """import pg from "pg";
const fixTypes = (result: any) => {
  for (const one of Array.isArray(result) ? result : [result])
    for (const field of one?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
  return result;
};
const originalQuery = (pg.Client.prototype as any).query;
(pg.Client.prototype as any).query = function (...args: any[]) {
  const last = args[args.length - 1];
  if (typeof last === "function")
    return originalQuery.call(this, ...args.slice(0, -1), (err: any, res: any) => last(err, err ? res : fixTypes(res)));
  const out = originalQuery.apply(this, args);
  return out && typeof out.then === "function" ? out.then(fixTypes) : out;
};
"""

SCHEMA = Path("prisma/schema.prisma")


class PushApp(test_migrate.App):
    """test_migrate's App (a copy of the fixture app and a database of its own) in push mode, with the
    shim in its prisma.config.ts."""

    def __init__(self, runner, root: Path, cluster, database: str):
        config = root / "prisma.config.ts"
        config.write_text(SHIM + config.read_text())
        super().__init__(runner, root, cluster, database)

    def env(self, extra=None) -> dict:
        return super().env({"PRISMA_ENTRYPOINT_MIGRATE_MODE": "push", **(extra or {})})

    def start(self, *opts, env=None, stdin=subprocess.DEVNULL):
        self.marker.unlink(missing_ok=True)
        return self.pe.start(self.args(*opts), env=self.env(env), stdin=stdin)

    def pushes(self) -> list:
        return [c for c in read_calls(self.calls_log) if c["args"][:2] == ["db", "push"]]

    def sql(self, query: str) -> str:
        return self.pg.psql(query, database=self.database).strip()

    def edit_schema(self, old: str, new: str):
        path = self.root / SCHEMA
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    def records(self) -> list:
        return push_records(self.root)


@pytest.fixture
def app(pe_plain, pg, npm_node_modules):
    name = "push_" + uuid.uuid4().hex[:10]
    pg.create_database(name)
    a = PushApp(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, name)
    yield a
    remove_node_modules(a.root)


def test_push_creates_the_tables_then_skips_until_the_schema_changes(app):
    res = app.run()
    assert res.returncode == 0, str(res)
    assert app.columns("User") == {"id", "email", "name"}, str(res)
    assert (
        f"running prisma db push to postgresql {app.pg.host}:{app.pg.port}/{app.database} schema public" in res.stderr
    )
    assert "no push recorded for this database yet" in res.stderr, str(res)
    assert len(app.pushes()) == 1 and "--accept-data-loss" not in app.pushes()[0]["args"]
    assert "--skip-generate" in app.pushes()[0]["args"]
    assert app.app_ran
    # its record names the database, never the password
    (record,) = app.records()
    text = record.read_text()
    assert f"database postgresql {app.pg.host}:{app.pg.port}/{app.database} schema public" in text, text
    assert APP_PASSWORD not in text

    # the same schema: nothing spawned
    res = app.run()
    assert res.returncode == 0, str(res)
    assert "schema unchanged since the last prisma db push to postgresql" in res.stderr, str(res)
    assert len(app.pushes()) == 1 and app.app_ran

    # a change: pushed again
    app.edit_schema("  name  String?\n", "  name  String?\n  age   Int?\n")
    res = app.run()
    assert res.returncode == 0, str(res)
    assert "the schema changed since the last push" in res.stderr, str(res)
    assert app.columns("User") == {"id", "email", "name", "age"}
    assert len(app.pushes()) == 2 and app.app_ran


def test_a_push_that_would_lose_data_stops_and_the_setting_accepts_it(app):
    assert app.run().returncode == 0
    app.sql("INSERT INTO \"User\" (email, name) VALUES ('a@example.com', 'Ann')")
    app.edit_schema("  name  String?\n", "")
    before = [p.read_text() for p in app.records()]

    res = app.run()
    assert res.returncode == 81, str(res)
    # Prisma's own warning and advice are relayed, then one line of ours
    assert "You are about to drop the column `name` on the `User` table" in res.stdout + res.stderr, str(res)
    assert "Use the --accept-data-loss flag" in res.stdout + res.stderr, str(res)
    ours = [line for line in res.stderr.splitlines() if line.startswith("prisma-entrypoint: error:")]
    assert ours == [
        f"prisma-entrypoint: error: prisma db push would lose data in postgresql {app.pg.host}:{app.pg.port}/"
        f"{app.database} schema public (its warnings above): nothing was pushed and the app was not started; keep "
        "the data (undo the schema change, or move the data first), or set push-accept-data-loss = true to let the "
        "push drop it"
    ], str(res)
    assert app.sql('SELECT name FROM "User"') == "Ann"
    assert not app.app_ran
    assert [p.read_text() for p in app.records()] == before  # not recorded: the next start tries again

    res = app.run(env={"PRISMA_ENTRYPOINT_PUSH_ACCEPT_DATA_LOSS": "true"})
    assert res.returncode == 0, str(res)
    assert app.pushes()[-1]["args"][-1] == "--accept-data-loss"
    assert app.columns("User") == {"id", "email"}
    assert app.sql('SELECT email FROM "User"') == "a@example.com"
    assert app.app_ran


def test_a_push_that_would_lose_data_never_asks_on_a_terminal(app):
    # On a terminal (and not in CI), Prisma asks "Do you want to ignore the warning(s)?" and waits
    # for an answer: the start must stop with 81 instead, whoever is at the keyboard.
    assert app.run().returncode == 0
    app.sql("INSERT INTO \"User\" (email, name) VALUES ('a@example.com', 'Ann')")
    app.edit_schema("  name  String?\n", "")
    leader, follower = os.openpty()
    try:
        proc = app.start(env={"CI": None, "TERM": "xterm"}, stdin=follower)
        res = proc.wait(60)
    finally:
        os.close(follower)
        os.close(leader)
    assert res.returncode == 81, str(res)
    assert "prisma db push would lose data" in res.stderr, str(res)
    assert app.sql('SELECT name FROM "User"') == "Ann"


def test_sigterm_during_push_stops_it_and_records_nothing(app):
    install_wrapper(app.root, app.calls_log, before_exec="sleep 60")
    proc = app.start()
    wait_until(lambda: app.pushes(), 30, "prisma db push", proc)
    proc.signal(signal.SIGTERM)
    res = proc.wait(20)
    assert res.returncode == 143, str(res)
    assert "stopped by SIGTERM during prisma db push" in res.stderr, str(res)
    assert app.records() == [] and not app.app_ran


def test_two_starts_push_once(app):
    install_wrapper(app.root, app.calls_log, before_exec="sleep 5")
    first = app.start()
    wait_until(lambda: app.pushes(), 30, "prisma db push", first)
    second = app.start()
    assert first.wait(120).returncode == 0
    res = second.wait(120)
    assert res.returncode == 0, str(res)
    assert "another process is pushing the schema" in res.stderr, str(res)
    assert "schema unchanged since the last prisma db push" in res.stderr, str(res)
    assert len(app.pushes()) == 1


# ---------------------------------------------------------------------------------------------
# SQLite file: URLs (no Prisma CLI needed: what the wait and the record resolve them to)
# ---------------------------------------------------------------------------------------------


def sqlite_project(root: Path, schema_at: str = "prisma/schema.prisma", config: str | None = None):
    schema = root / schema_at
    schema.parent.mkdir(parents=True, exist_ok=True)
    schema.write_text('datasource db {\n  provider = "sqlite"\n  url      = env("DATABASE_URL")\n}\n')
    if config is not None:
        (root / "prisma.config.ts").write_text(config)


def fake_cli(root: Path, out: str, status: int = 0) -> Path:
    """A stand-in for the Prisma CLI that prints what db push prints and records its arguments."""
    cli = root / "fake-prisma"
    cli.write_text(f'#!/bin/sh\necho "$@" >> "{root}/fake-calls"\nprintf "%s\\n" "{out}"\nexit {status}\n')
    cli.chmod(0o755)
    return cli


def test_sqlite_relative_file_is_waited_for_beside_the_schema(pe_plain):
    sqlite_project(pe_plain.cwd)
    data = pe_plain.cwd / "prisma" / "data"
    p = pe_plain.start(["wait", "-v", "--wait-timeout", "10s"], env={"DATABASE_URL": "file:./data/dev.db"})
    threading.Timer(0.5, data.mkdir).start()
    res = p.wait(20)
    assert res.returncode == 0, str(res)
    assert res.elapsed >= 0.5, str(res)
    assert f"database-url names the SQLite file {data}/dev.db" in res.stderr, str(res)
    assert f"sqlite directory {data} (of {data}/dev.db) ready" in res.stderr, str(res)


def test_sqlite_with_a_driver_adapter_resolves_from_the_working_directory(pe_plain):
    # engine: "js" (a driver adapter): the adapter opens the path as the process sees it
    sqlite_project(pe_plain.cwd, config='export default { engine: "js", schema: "prisma/schema.prisma" };\n')
    res = pe_plain.run(["wait", "-v", "--wait-timeout", "5s"], env={"DATABASE_URL": "file:./dev.db"})
    assert res.returncode == 0, str(res)
    assert f"database-url names the SQLite file {pe_plain.cwd}/dev.db" in res.stderr, str(res)


def test_sqlite_push_record_is_keyed_by_the_absolute_file(pe_plain):
    sqlite_project(pe_plain.cwd, schema_at="prisma/schema.sqlite.prisma")
    cli = fake_cli(pe_plain.cwd, "Your database is now in sync with your Prisma schema. Done in 5ms")
    args = ["sync", "--no-generate", "--no-wait", "--migrate-mode", "push", "--schema", "prisma/schema.sqlite.prisma"]
    env = {"DATABASE_URL": "file:./dev.db", "PRISMA_ENTRYPOINT_PRISMA_CLI": str(cli)}
    res = pe_plain.run(args, env=env)
    assert res.returncode == 0, str(res)
    expected = pe_plain.cwd / "prisma" / "dev.db"
    assert f"running prisma db push to sqlite {expected}: the SQLite file {expected} does not exist yet" in res.stderr
    (record,) = push_records(pe_plain.cwd)
    assert f"database sqlite {expected}\n" in record.read_text()
    calls = (pe_plain.cwd / "fake-calls").read_text().splitlines()
    assert calls == ["db push --schema prisma/schema.sqlite.prisma --skip-generate"]
    # the same file by another spelling: the same record, and once the file exists, no push
    expected.write_bytes(b"")
    res = pe_plain.run(args, env={**env, "DATABASE_URL": f"file:{pe_plain.cwd}/prisma/../prisma/dev.db"})
    assert res.returncode == 0, str(res)
    assert f"schema unchanged since the last prisma db push to sqlite {expected}: push skipped" in res.stderr
    assert len((pe_plain.cwd / "fake-calls").read_text().splitlines()) == 1
    # the file gone (a new volume): pushed again whatever the record says
    expected.unlink()
    res = pe_plain.run(args, env=env)
    assert res.returncode == 0, str(res)
    assert "does not exist yet" in res.stderr
    assert len((pe_plain.cwd / "fake-calls").read_text().splitlines()) == 2


def test_prisma_7_resolves_from_the_working_directory_and_gets_no_skip_generate(pe_plain):
    # Prisma 7 (the version in node_modules/prisma) reads file: paths from the working directory,
    # and its db push never generates: it rejects --skip-generate
    sqlite_project(pe_plain.cwd)
    package = pe_plain.cwd / "node_modules" / "prisma" / "package.json"
    package.parent.mkdir(parents=True)
    package.write_text('{"name": "prisma", "version": "7.1.0"}\n')
    cli = fake_cli(pe_plain.cwd, "Your database is now in sync with your Prisma schema. Done in 5ms")
    res = pe_plain.run(
        ["sync", "--no-generate", "--no-wait", "--migrate-mode", "push"],
        env={"DATABASE_URL": "file:./dev.db", "PRISMA_ENTRYPOINT_PRISMA_CLI": str(cli)},
    )
    assert res.returncode == 0, str(res)
    assert f"running prisma db push to sqlite {pe_plain.cwd}/dev.db:" in res.stderr, str(res)
    assert (pe_plain.cwd / "fake-calls").read_text().splitlines() == ["db push --schema prisma/schema.prisma"]


def test_status_says_whether_the_next_start_pushes(pe_plain):
    sqlite_project(pe_plain.cwd)
    cli = fake_cli(pe_plain.cwd, "Your database is now in sync with your Prisma schema. Done in 5ms")
    env = {
        "DATABASE_URL": "file:./dev.db",
        "PRISMA_ENTRYPOINT_PRISMA_CLI": str(cli),
        "PRISMA_ENTRYPOINT_MIGRATE_MODE": "push",
    }
    res = pe_plain.run(["status"], env=env)
    db = pe_plain.cwd / "prisma" / "dev.db"
    assert f"migrations: push pending (migrate-mode = push: the SQLite file {db} does not exist yet)" in res.stdout
    assert res.returncode == 10, str(res)
    assert pe_plain.run(["sync", "--no-generate", "--no-wait"], env=env).returncode == 0
    (pe_plain.cwd / "prisma" / "dev.db").write_bytes(b"")  # what the push would have made
    res = pe_plain.run(["status", "--json"], env=env)
    migrations = json.loads(res.stdout)["migrations"]
    assert migrations == {
        "state": "pushed",
        "reason": f"schema unchanged since the last prisma db push to sqlite {pe_plain.cwd}/prisma/dev.db",
    }, str(res)
    schema = pe_plain.cwd / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text() + "model A {\n  id Int @id\n}\n")
    res = pe_plain.run(["status"], env=env)
    assert "migrations: push pending (migrate-mode = push: the schema changed since the last push)" in res.stdout
    assert res.returncode == 10, str(res)
    assert len((pe_plain.cwd / "fake-calls").read_text().splitlines()) == 1  # status runs nothing


def test_prisma_7_resolves_from_the_config_files_folder(pe_plain):
    # prisma/prisma#28514 (Prisma 7): datasource paths are relative to the config file
    sqlite_project(pe_plain.cwd)
    (pe_plain.cwd / ".config").mkdir()
    (pe_plain.cwd / ".config" / "prisma.ts").write_text('export default { schema: "../prisma/schema.prisma" };\n')
    package = pe_plain.cwd / "node_modules" / "prisma" / "package.json"
    package.parent.mkdir(parents=True)
    package.write_text('{"name": "prisma", "version": "7.1.0"}\n')
    res = pe_plain.run(["wait", "-v", "--wait-timeout", "5s"], env={"DATABASE_URL": "file:./dev.db"})
    assert res.returncode == 0, str(res)
    assert f"database-url names the SQLite file {pe_plain.cwd}/.config/dev.db" in res.stderr, str(res)


def test_a_failed_push_that_is_not_data_loss_exits_81(pe_plain):
    sqlite_project(pe_plain.cwd)
    cli = fake_cli(pe_plain.cwd, "Error: P1012 schema validation failed", status=1)
    res = pe_plain.run(
        ["sync", "--no-generate", "--no-wait", "--migrate-mode", "push"],
        env={"DATABASE_URL": "file:./dev.db", "PRISMA_ENTRYPOINT_PRISMA_CLI": str(cli)},
    )
    assert res.returncode == 81, str(res)
    assert "prisma-entrypoint: error: prisma db push failed (exit status 1): the app was not started" in res.stderr
    assert push_records(pe_plain.cwd) == [], str(res)


def test_deploy_names_the_migrations_folder(pe_plain):
    sqlite_project(pe_plain.cwd)
    folder = pe_plain.cwd / "prisma" / "migrations" / "20260101000000_init"
    folder.mkdir(parents=True)
    (folder / "migration.sql").write_text("CREATE TABLE a (id INTEGER);\n")
    cli = fake_cli(pe_plain.cwd, "All migrations have been successfully applied.")
    res = pe_plain.run(
        ["sync", "--no-generate", "--no-wait"],
        env={"DATABASE_URL": "file:./dev.db", "PRISMA_ENTRYPOINT_PRISMA_CLI": str(cli)},
    )
    assert res.returncode == 0, str(res)
    assert (
        "running prisma migrate deploy: only PostgreSQL databases are checked first (migrations from "
        "prisma/migrations)" in res.stderr
    ), str(res)


# ---------------------------------------------------------------------------------------------
# a real push to SQLite: tests/fixtures/sqlite-app (Prisma 6.19, @prisma/adapter-libsql, whose
# @libsql/client has its native part on npm), installed once per lock file like the app fixture
# (npm_app.SQLITE_APP)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_app(pe_plain, npm_node_modules_sqlite):
    copy_app(pe_plain.cwd, npm_node_modules_sqlite, fixture=SQLITE_APP)
    yield pe_plain
    remove_node_modules(pe_plain.cwd)


def sqlite_rows(path: Path, query: str) -> list:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute(query).fetchall()


def test_sqlite_push_for_real(sqlite_app):
    pe = sqlite_app
    marker = pe.tmp / "app-ran"
    args = ["--no-generate", "--", "/bin/sh", "-c", 'echo ran >> "$0"', str(marker)]
    # the adapter opens ./data/dev.db from the working directory (engine: "js")
    env = {"DATABASE_URL": "file:./data/dev.db", "PRISMA_ENTRYPOINT_MIGRATE_MODE": "push", "CHECKPOINT_DISABLE": None}
    (pe.cwd / "data").mkdir()
    db = pe.cwd / "data" / "dev.db"

    res = pe.run(args, env=env, seconds=120)
    assert res.returncode == 0, str(res)
    assert f"running prisma db push to sqlite {db}: the SQLite file {db} does not exist yet" in res.stderr, str(res)
    assert sqlite_rows(db, "SELECT name FROM pragma_table_info('User') ORDER BY cid") == [("id",), ("name",)]
    assert marker.exists()

    res = pe.run(args, env=env)
    assert res.returncode == 0, str(res)
    assert f"schema unchanged since the last prisma db push to sqlite {db}: push skipped" in res.stderr, str(res)

    # a column with data dropped: refused, the row kept
    sqlite_rows(db, "INSERT INTO User (name) VALUES ('Ann')")
    schema = pe.cwd / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("  name String?\n", "  nick String?\n"))
    marker.unlink()
    res = pe.run(args, env=env, seconds=120)
    assert res.returncode == 81, str(res)
    assert "You are about to drop the column `name` on the `User` table" in res.stdout + res.stderr, str(res)
    assert f"prisma db push would lose data in sqlite {db}" in res.stderr, str(res)
    assert sqlite_rows(db, "SELECT name FROM User") == [("Ann",)] and not marker.exists()

    res = pe.run(args, env={**env, "PRISMA_ENTRYPOINT_PUSH_ACCEPT_DATA_LOSS": "1"}, seconds=120)
    assert res.returncode == 0, str(res)
    assert sqlite_rows(db, "SELECT nick FROM User") == [(None,)]


# ---------------------------------------------------------------------------------------------
# what the review of the push found (a stand-in CLI where the real one cannot show it)
# ---------------------------------------------------------------------------------------------

IN_SYNC = "Your database is now in sync with your Prisma schema. Done in 5ms"


def push_env(cli: Path, url: str = "file:./dev.db", **extra) -> dict:
    return {
        "DATABASE_URL": url,
        "PRISMA_ENTRYPOINT_PRISMA_CLI": str(cli),
        "PRISMA_ENTRYPOINT_MIGRATE_MODE": "push",
        **extra,
    }


def test_an_unchanged_schema_starts_even_where_no_lock_can_be_made(pe_plain):
    sqlite_project(pe_plain.cwd)
    cli = fake_cli(pe_plain.cwd, IN_SYNC)
    args = ["--no-generate", "--no-wait", "--", "true"]
    assert pe_plain.run(args, env=push_env(cli)).returncode == 0
    (pe_plain.cwd / "prisma" / "dev.db").write_bytes(b"")  # what the push would have made
    (record,) = push_records(pe_plain.cwd)
    lock = record.with_name(record.name + ".lock")
    lock.unlink(missing_ok=True)
    lock.mkdir()  # in the lock file's way, as a read-only folder would be
    res = pe_plain.run(args, env=push_env(cli))
    assert res.returncode == 0, str(res)
    assert "push skipped" in res.stderr, str(res)
    assert (pe_plain.cwd / "fake-calls").read_text().count("db push") == 1


def test_a_missing_postgres_database_passes_the_wait_for_the_push_to_create(pe_plain, pg):
    sqlite_project(pe_plain.cwd)
    schema = pe_plain.cwd / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace('"sqlite"', '"postgresql"'))
    cli = fake_cli(pe_plain.cwd, IN_SYNC)
    database = f"push_missing_{uuid.uuid4().hex[:8]}"
    res = pe_plain.run(["--no-generate", "--", "true"], env=push_env(cli, pg.url(database=database)))
    assert res.returncode == 0, str(res)
    assert f'database "{database}" does not exist yet: prisma db push creates it' in res.stderr, str(res)
    assert (pe_plain.cwd / "fake-calls").read_text().count("db push") == 1


def test_seed_once_in_push_mode_says_it_is_not_run(pe_plain):
    sqlite_project(pe_plain.cwd)
    cli = fake_cli(pe_plain.cwd, IN_SYNC)
    res = pe_plain.run(["--no-generate", "--no-wait", "--seed", "once", "--", "true"], env=push_env(cli))
    assert res.returncode == 0, str(res)
    assert "seed = once seeds after the migrations are deployed, and migrate-mode = push deploys none" in res.stderr


def test_sigterm_while_the_push_lingers_records_nothing(pe_plain):
    sqlite_project(pe_plain.cwd)
    cli = pe_plain.cwd / "fake-prisma"
    cli.write_text(f'#!/bin/sh\necho "$CI" > "{pe_plain.cwd}/ci-seen"\necho "{IN_SYNC}"\nexec sleep 60\n')
    cli.chmod(0o755)
    proc = pe_plain.start(
        ["--no-generate", "--no-wait", "--deploy-linger", "30s", "--", "true"], env=push_env(cli, CI="false")
    )
    wait_until(lambda: (pe_plain.cwd / "ci-seen").exists(), 30, "the push", proc)
    proc.signal(signal.SIGTERM)
    res = proc.wait(20)
    assert res.returncode == 143, str(res)
    assert push_records(pe_plain.cwd) == [], str(res)
    # CI=false would let Prisma prompt on a terminal: the push always gets CI=1
    assert (pe_plain.cwd / "ci-seen").read_text().strip() == "1"
