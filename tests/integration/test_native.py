"""migrate-engine = native: pending migrations applied over libpq, with no Prisma CLI, against a real
PostgreSQL, and cross-checked with the real Prisma 6.19 CLI both ways: `prisma migrate status` and
`prisma migrate deploy` read what the native engine wrote, and the native engine reads what Prisma
wrote, failed migrations included.

The app, its database and the helpers are test_migrate's.
"""

import re
import signal
import time
import uuid

import pytest

import test_migrate as mig
from conftest import wait_until
from npm_app import copy_app, remove_node_modules
from test_migrate import ADD_AGE, BROKEN, INIT, PRISMA_LOCK_KEY
from test_migrate import prisma_cli as prisma

NATIVE = "--migrate-engine=native"
UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SLEEPY = ("20270303000000_sleepy", 'CREATE TABLE "Slow" (id int);\nSELECT pg_sleep(60);\n')
CONCURRENT = ("20270404000000_concurrent_index", 'CREATE INDEX CONCURRENTLY "User_name_idx" ON "User"("name");\n')
OWN_TRANSACTION = (
    "20270505000000_own_transaction",
    'BEGIN;\nCREATE TABLE "Own" (id int);\nCOMMIT;\nINSERT INTO "Own" VALUES (1);\n',
)


def full_rows(app, database=None, schema="public") -> list:
    """Every column of _prisma_migrations that Prisma writes, as text, oldest first."""
    out = app.pg.psql(
        "SELECT id, checksum, migration_name, finished_at IS NOT NULL, finished_at >= started_at, "
        "rolled_back_at IS NULL, applied_steps_count, replace(coalesce(logs, ''), E'\\n', ' ') "
        f"FROM {schema}._prisma_migrations ORDER BY started_at",
        database=database or app.database,
    )
    return [line.split("|", 7) for line in out.split("\n") if line and "|" in line]


def table_definition(app, database, schema="public") -> list:
    return app.pg.psql(
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM "
        f"information_schema.columns WHERE table_schema = '{schema}' AND table_name = '_prisma_migrations' "
        "ORDER BY ordinal_position",
        database=database,
    ).split("\n")


def prisma_reads_up_to_date(app, url=None):
    status = prisma(app, "migrate", "status", url=url)
    assert status.returncode == 0 and "Database schema is up to date" in status.stdout, status.stdout + status.stderr
    deploy = prisma(app, "migrate", "deploy", url=url)
    assert deploy.returncode == 0 and "No pending migrations to apply" in deploy.stdout, deploy


@pytest.fixture
def app(pe_plain, pg, npm_node_modules):
    a = mig.App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, mig.new_database(pg))
    yield a
    remove_node_modules(a.root)


def test_native_applies_and_prisma_reads_it_as_its_own(app):
    app.add_migration(*ADD_AGE)
    res = app.run(NATIVE)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "applying migrations natively: 2 migrations pending, no _prisma_migrations table yet" in res.stderr, res
    assert f"migration {INIT} applied in" in res.stderr and f"migration {ADD_AGE[0]} applied in" in res.stderr
    assert "2 migrations applied natively in" in res.stderr, str(res)
    assert app.deploys() == [], "the native engine started the prisma CLI"
    assert "age" in app.columns("User")
    rows = full_rows(app)
    assert [r[2] for r in rows] == [INIT, ADD_AGE[0]], rows
    for r in rows:
        assert UUID_V4.match(r[0]), r
        assert r[1] == mig.migration_checksum(app, r[2]), r
        assert r[3:] == ["t", "t", "t", "1", ""], r

    # the table is Prisma's: the same definition as the one prisma migrate deploy makes
    other = mig.new_database(app.pg)
    deployed = prisma(app, "migrate", "deploy", url=app.pg.url(database=other))
    assert deployed.returncode == 0, deployed
    assert table_definition(app, app.database) == table_definition(app, other)

    prisma_reads_up_to_date(app)
    # and the next start has nothing to do
    res = app.run(NATIVE)
    assert res.returncode == 0 and "database is up to date (2 migrations applied, none pending)" in res.stderr, res


def test_native_goes_on_from_a_history_prisma_wrote(app):
    deployed = prisma(app, "migrate", "deploy")
    assert deployed.returncode == 0, deployed
    app.add_migration(*ADD_AGE)
    res = app.run(NATIVE)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f"migration {ADD_AGE[0]} applied in" in res.stderr and f"migration {INIT} applied" not in res.stderr
    assert app.rows() == [(INIT, "t", "f"), (ADD_AGE[0], "t", "f")]
    prisma_reads_up_to_date(app)


def test_a_failing_migration_leaves_the_failed_row_prisma_leaves(app):
    app.add_migration(*BROKEN)
    res = app.run(NATIVE)
    assert res.returncode == 81 and not app.app_ran, str(res)
    assert (
        f"migration {BROKEN[0]} failed at line 2 of prisma/migrations/{BROKEN[0]}/migration.sql: "
        'relation "NoSuchTable" does not exist (SQLSTATE 42P01): the app was not started' in res.stderr
    ), str(res)
    assert f"prisma migrate resolve --rolled-back {BROKEN[0]}" in res.stderr
    assert app.rows() == [(INIT, "t", "f"), (BROKEN[0], "f", "f")]
    # the script's first statement was rolled back with it, as in Prisma's own transaction
    assert "nickname" not in app.columns("User")
    failed = full_rows(app)[1]
    assert failed[3] == "f" and failed[6] == "0" and 'relation "NoSuchTable" does not exist' in failed[7], failed

    # Prisma sees the failed migration and refuses to deploy (P3009)
    deploy = prisma(app, "migrate", "deploy")
    assert deploy.returncode != 0 and "P3009" in deploy.stdout + deploy.stderr, deploy
    status = prisma(app, "migrate", "status")
    said = status.stdout + status.stderr
    assert status.returncode != 0 and f"Following migration have failed:\n{BROKEN[0]}\n" in said, said
    # and so does the next native start, with the reason from the row's logs
    res = app.run(NATIVE)
    assert res.returncode == 81 and f"migration {BROKEN[0]} failed earlier" in res.stderr, str(res)
    assert 'relation "NoSuchTable" does not exist' in res.stderr, str(res)

    # resolved the way Prisma says, and fixed: the native engine applies it
    # (what `prisma migrate resolve --rolled-back` writes: it needs the native schema engine, which
    # cannot be downloaded here)
    app.pg.psql(
        f"UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '{BROKEN[0]}' "
        "AND finished_at IS NULL",
        database=app.database,
    )
    (app.root / "prisma" / "migrations" / BROKEN[0] / "migration.sql").write_text(
        'ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n'
    )
    res = app.run(NATIVE)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert app.rows() == [(INIT, "t", "f"), (BROKEN[0], "f", "t"), (BROKEN[0], "t", "f")]
    prisma_reads_up_to_date(app)


def test_a_migration_prisma_failed_blocks_the_native_engine(app):
    app.add_migration(*BROKEN)
    deploy = prisma(app, "migrate", "deploy")
    assert deploy.returncode != 0, deploy
    res = app.run(NATIVE)
    assert res.returncode == 81 and not app.app_ran, str(res)
    assert f"migration {BROKEN[0]} failed earlier" in res.stderr and "NoSuchTable" in res.stderr, str(res)
    assert app.rows() == [(INIT, "t", "f"), (BROKEN[0], "f", "f")]


def test_scripts_postgresql_runs_only_outside_a_transaction_with_their_own_or_with_copy(app):
    app.add_migration(*CONCURRENT)
    app.add_migration(*OWN_TRANSACTION)
    # rows a COPY sends to the client are drained, not waited on
    app.add_migration("20270606000000_copy_out", 'COPY (SELECT 1) TO STDOUT;\nCREATE TABLE "Out" (id int);\n')
    res = app.run(NATIVE)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert app.rows() == [
        (INIT, "t", "f"),
        (CONCURRENT[0], "t", "f"),
        (OWN_TRANSACTION[0], "t", "f"),
        ("20270606000000_copy_out", "t", "f"),
    ]
    assert app.has_table("Out")
    assert (
        app.pg.psql("SELECT to_regclass('public.\"User_name_idx\"') IS NOT NULL", database=app.database).strip() == "t"
    )
    assert app.pg.psql('SELECT count(*) FROM "Own"', database=app.database).strip() == "1"
    prisma_reads_up_to_date(app)


def test_the_urls_schema_holds_the_tables_and_the_history(app):
    url = app.url + "?schema=tenant_a"
    # The driver adapter the CLI runs on here does not read ?schema=: it is told the schema, and its
    # connections get the search path Prisma's own engine sets from ?schema=.
    config = app.root / "prisma.config.ts"
    text = config.read_text()
    assert "idleTimeoutMillis: 1 })" in text
    config.write_text(
        text.replace(
            "idleTimeoutMillis: 1 })",
            'idleTimeoutMillis: 1, options: "-c search_path=tenant_a" }, { schema: "tenant_a" })',
        )
    )
    res = app.run(NATIVE, env={"DATABASE_URL": url})
    assert res.returncode == 0 and app.app_ran, str(res)
    assert [r[2] for r in full_rows(app, schema="tenant_a")] == [INIT]
    assert app.pg.psql("SELECT to_regclass('tenant_a.\"User\"') IS NOT NULL", database=app.database).strip() == "t"
    assert app.pg.psql("SELECT to_regclass('public._prisma_migrations') IS NULL", database=app.database).strip() == "t"
    prisma_reads_up_to_date(app, url=url)


def test_a_missing_migration_sql_stops_before_anything_is_applied(app):
    app.add_migration(*ADD_AGE)
    (app.root / "prisma" / "migrations" / "20270606000000_empty").mkdir()
    res = app.run(NATIVE)
    assert res.returncode == 81 and not app.app_ran, str(res)
    assert "migration 20270606000000_empty cannot be applied: cannot read" in res.stderr, str(res)
    assert "(Prisma's P3015): nothing was applied" in res.stderr, str(res)
    assert not app.has_table("_prisma_migrations") and not app.has_table("User")


def test_sigterm_cancels_the_script_and_records_nothing(app):
    app.add_migration(*SLEEPY)
    proc = app.start(NATIVE)
    wait_until(lambda: mig.entrypoint_sent(app, "pg_sleep"), 60, "the sleepy migration", proc)
    proc.signal(signal.SIGTERM)
    res = proc.wait(20)
    assert res.returncode == 143 and not app.app_ran, str(res)
    assert "stopped by SIGTERM while applying a migration (it was cancelled and not recorded" in res.stderr, res
    # cancelled on the server, not left running; rolled back; no row; both locks free
    assert not mig.entrypoint_sent(app, "pg_sleep")
    assert app.rows() == [(INIT, "t", "f")] and not app.has_table("Slow")
    locks = app.pg.psql(
        f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid IN ({PRISMA_LOCK_KEY}, {mig.LOCK_KEY})",
        database=app.database,
    )
    assert locks.strip() == "0", locks
    # the next start applies it
    (app.root / "prisma" / "migrations" / SLEEPY[0] / "migration.sql").write_text('CREATE TABLE "Slow" (id int);\n')
    res = app.run(NATIVE)
    assert res.returncode == 0 and app.has_table("Slow"), str(res)


def test_a_prisma_deploy_elsewhere_is_waited_for(app):
    """Prisma's own lock, held as a deploy elsewhere holds it: the native engine waits for it, naming
    the holder, and ends the wait at wait-timeout."""
    holder = mig.held_lock(app.pg, app.database, PRISMA_LOCK_KEY)
    try:
        res = app.run(NATIVE, "--wait-timeout", "1s")
    finally:
        mig.release(holder)
    assert res.returncode == 124 and not app.app_ran, str(res)
    assert re.search(
        rf"error: prisma's migrate lock \(database \"{app.database}\"\), held by pid \d+, psql still held after 1s "
        r"\(wait-timeout\)",
        res.stderr,
    ), str(res)
    assert not app.has_table("_prisma_migrations")
    res = app.run(NATIVE)
    assert res.returncode == 0 and app.rows() == [(INIT, "t", "f")], str(res)


def test_copy_from_stdin_fails_the_migration_instead_of_hanging(app):
    app.add_migration("20270707000000_copy", 'COPY "User" (email) FROM STDIN;\n')
    res = app.run(NATIVE, seconds=60)
    assert res.returncode == 81 and not app.app_ran, str(res)
    assert "migration 20270707000000_copy failed" in res.stderr, str(res)
    assert "COPY FROM STDIN has no data in a migration" in res.stderr, str(res)
    assert app.rows() == [(INIT, "t", "f"), ("20270707000000_copy", "f", "f")]


def test_an_unreadable_table_stops_the_native_engine(app):
    # a table the app's role may not read (made by another role): no CLI to fall back on
    app.pg.psql(
        "CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64), "
        "migration_name varchar(255), finished_at timestamptz, rolled_back_at timestamptz, logs text, "
        "started_at timestamptz)",
        database=app.database,
    )
    res = app.run(NATIVE)
    assert res.returncode == 81 and not app.app_ran, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line or "warning:" in line]
    assert len(errors) == 1 and "migrate-engine = native cannot read _prisma_migrations (permission denied" in (
        errors[0]
    ), str(res)
    assert app.deploys() == []


def test_a_pooled_url_without_a_direct_url_is_refused(app):
    app.add_migration(*ADD_AGE)
    res = app.run(NATIVE, env={"DATABASE_URL": app.url + "?pgbouncer=true"})
    assert res.returncode == 78 and not app.app_ran, str(res)
    assert "migrate-engine = native needs a direct connection to the database" in res.stderr, str(res)
    assert not app.has_table("_prisma_migrations")


def test_native_needs_postgresql(app):
    (app.root / "prisma" / "migrations" / "migration_lock.toml").write_text('provider = "mysql"\n')
    res = app.run(NATIVE, "--no-wait", env={"DATABASE_URL": "mysql://u:p@127.0.0.1:1/db"}, seconds=30)
    assert res.returncode == 78, str(res)
    assert "migrate-engine = native applies migrations on PostgreSQL only" in res.stderr, str(res)


def test_a_missing_database_is_created_and_migrated_natively(app, createdb):
    app.database = "nodb_" + uuid.uuid4().hex[:8]
    res = app.run(NATIVE)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f'database "{app.database}" does not exist yet: creating it' in res.stderr, str(res)
    assert app.deploys() == [] and app.rows() == [(INIT, "t", "f")]


createdb = mig.createdb


def test_a_replica_killed_mid_migration_leaves_nothing_and_the_next_applies_it(pe_pid1, pg, npm_node_modules):
    a = mig.App(pe_pid1, copy_app(pe_pid1.cwd, npm_node_modules), pg, mig.new_database(pg))
    try:
        a.add_migration(*SLEEPY)
        first = a.start(NATIVE)
        wait_until(lambda: mig.entrypoint_sent(a, "pg_sleep"), 60, "the sleepy migration", first)
        killed_at = time.monotonic()
        first.signal(signal.SIGKILL)  # PID 1 of its namespace: the whole "container" goes
        first.wait(20)
        # the server notices the dead client (client_connection_check_interval), rolls back, and frees
        # the locks; the next replica applies everything
        (a.root / "prisma" / "migrations" / SLEEPY[0] / "migration.sql").write_text('CREATE TABLE "Slow" (id int);\n')
        res = a.run(NATIVE, seconds=60)
        waited = time.monotonic() - killed_at
        assert res.returncode == 0 and a.app_ran, str(res)
        assert a.rows() == [(INIT, "t", "f"), (SLEEPY[0], "t", "f")] and a.has_table("Slow"), str(res)
        assert waited < 55, f"the next replica waited {waited:.1f} s: the killed one's script ran to its end"
    finally:
        remove_node_modules(a.root)
