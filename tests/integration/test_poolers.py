"""Connection poolers: a real PgBouncer (Debian's) in transaction pool mode in front of the test's
PostgreSQL (pgbouncer.py), the real Prisma 6.19 CLI (the fixture app, as test_migrate.py runs it).

The app's DATABASE_URL goes through PgBouncer; migrations go around it through the direct URL (the
DIRECT_URL variable, or directUrl in the schema), or, with none, a warning says what to set. A login
PgBouncer refuses stops the wait at once, without retrying into the pooler.
"""

import re
import uuid

import pytest

import pg as pgm
import pgbouncer as pgb
from npm_app import copy_app, install_wrapper, remove_node_modules
from test_migrate import INIT, App, create_migrations_table, new_database

# The app prints the DATABASE_URL it was given: it must stay the pooled one.
PRINT_URL = ["--", "/bin/sh", "-c", 'printf "%s\\n" "$DATABASE_URL" >> "$0"']


@pytest.fixture
def bouncer(pg_factory, pg):
    reason = pgb.unavailable_reason()
    if reason:
        pytest.skip(reason)
    b = pgb.PgBouncer(pg_factory, pg, {pgm.APP_USER: pgm.APP_PASSWORD}).start()
    yield b
    b.stop()


@pytest.fixture
def app(pe_plain, pg, npm_node_modules):
    a = App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, new_database(pg))
    yield a
    remove_node_modules(a.root)


def warnings(res) -> list:
    return [line for line in res.stderr_lines() if "warning:" in line]


def test_direct_url_variable_takes_migrations_past_the_pooler(app, bouncer):
    pooled = bouncer.url(app.database, params="pgbouncer=true")
    out = app.pe.tmp / "app-url"
    res = app.pe.run(
        ["--no-generate", "-v", *PRINT_URL, str(out)], env=app.env({"DATABASE_URL": pooled, "DIRECT_URL": app.url})
    )
    assert res.returncode == 0, str(res)
    assert "migrations go through the direct URL from DIRECT_URL" in res.stderr, str(res)
    assert "running prisma migrate deploy: 1 migration pending" in res.stderr, str(res)
    assert warnings(res) == [] or all("has not exited" in w for w in warnings(res)), str(res)
    # the CLI deployed through the direct URL; the app was given the pooled one
    assert [d["DATABASE_URL"] for d in app.deploys()] == [app.url]
    assert out.read_text().split() == [pooled]
    assert app.rows() == [(INIT, "t", "f")] and app.has_table("User")
    # status reads the migrations where the migrate phase does: the pooled URL names an empty database
    empty = new_database(app.pg)
    res = app.pe.run(["status"], env=app.env({"DATABASE_URL": bouncer.url(empty), "DIRECT_URL": app.url}))
    assert res.returncode == 10, str(res)  # out of sync only for the client, never generated here
    assert "database: ready" in res.stdout and "migrations: up to date (1 applied)" in res.stdout, str(res)


def test_direct_url_in_the_schema_datasource(app, bouncer):
    schema = app.root / "prisma" / "schema.prisma"
    schema.write_text(
        schema.read_text().replace(
            '  url      = env("DATABASE_URL")\n',
            '  url       = env("DATABASE_URL")\n  directUrl = env("POSTGRES_URL_NON_POOLING")\n',
        )
    )
    # with generate: the migrate phase takes the schema's directUrl from what generate read
    res = app.run(
        "-v", generate=True, env={"DATABASE_URL": bouncer.url(app.database), "POSTGRES_URL_NON_POOLING": app.url}
    )
    assert res.returncode == 0 and app.app_ran, str(res)
    assert (
        "migrations go through the direct URL from directUrl in prisma/schema.prisma (POSTGRES_URL_NON_POOLING)"
        in res.stderr
    ), str(res)
    assert [d["DATABASE_URL"] for d in app.deploys()] == [app.url]
    assert app.rows() == [(INIT, "t", "f")]
    # the variable unset: one warning, and migrations go through database-url (nothing pending now)
    res = app.run(env={"DATABASE_URL": bouncer.url(app.database)})
    assert res.returncode == 0 and app.app_ran, str(res)
    assert len(warnings(res)) == 1, str(res)
    assert (
        "directUrl in prisma/schema.prisma reads the variable POSTGRES_URL_NON_POOLING, which is not set: "
        "migrations go through database-url" in warnings(res)[0]
    ), str(res)
    assert "database is up to date (1 migration applied, none pending)" in res.stderr, str(res)


def test_direct_url_in_the_prisma_config_and_the_setting_first(app, bouncer):
    # status runs no Node: the config file's directUrl is read, not run
    config = app.root / "prisma.config.ts"
    config.write_text(
        config.read_text().replace(
            '  schema: "prisma/schema.prisma",\n',
            '  schema: "prisma/schema.prisma",\n  datasource: { directUrl: process.env.MIGRATE_URL },\n',
        )
    )
    create_migrations_table(app, (INIT, True))
    empty = new_database(app.pg)
    pooled = bouncer.url(empty, params="pgbouncer=true")
    res = app.pe.run(["status"], env=app.env({"DATABASE_URL": pooled, "MIGRATE_URL": app.url}))
    assert "database: ready" in res.stdout and "migrations: up to date (1 applied)" in res.stdout, str(res)
    # DIRECT_URL wins over what the schema and the config file say
    res = app.pe.run(
        ["status"],
        env=app.env({"DATABASE_URL": pooled, "MIGRATE_URL": app.url, "DIRECT_URL": app.pg.url(database=empty)}),
    )
    assert "migrations: 1 pending (" + INIT + ")" in res.stdout, str(res)


def test_a_database_missing_behind_the_pooler_is_created_through_the_direct_url(app, bouncer):
    # PgBouncer passes the server's 3D000 on as 08P01: still a database the migrate phase creates
    app.database = "nodb_" + uuid.uuid4().hex[:8]
    app.pg.psql("ALTER ROLE app CREATEDB")
    try:
        res = app.run(env={"DATABASE_URL": bouncer.url(app.database, params="pgbouncer=true"), "DIRECT_URL": app.url})
    finally:
        app.pg.psql("ALTER ROLE app NOCREATEDB")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f'database "{app.database}" does not exist yet: the migrate phase creates it' in res.stderr, str(res)
    assert f'database "{app.database}" does not exist yet: creating it' in res.stderr, str(res)
    assert [d["DATABASE_URL"] for d in app.deploys()] == [app.url]
    assert app.rows() == [(INIT, "t", "f")]


def test_a_pooled_url_without_a_direct_url_warns_before_deploy(app, bouncer):
    install_wrapper(app.root, app.calls_log, before_exec="exit 0")  # the call is what counts here
    pooled = bouncer.url(app.database, params="pgbouncer=true")
    res = app.run(env={"DATABASE_URL": pooled})
    assert res.returncode == 0, str(res)
    assert len(warnings(res)) == 1, str(res)
    assert re.search(
        r"warning: database-url looks like a connection pooler's \(pgbouncer=true\) and no direct URL is set: "
        r"prisma migrate deploy through a transaction pooler can hang or fail .*; set DIRECT_URL",
        warnings(res)[0],
    ), str(res)
    assert len(app.deploys()) == 1
    # nothing to deploy: nothing to warn about
    install_wrapper(app.root, app.calls_log)
    assert app.run(env={"DATABASE_URL": app.url}).returncode == 0
    res = app.run(env={"DATABASE_URL": pooled})
    assert res.returncode == 0 and app.app_ran, str(res)
    assert warnings(res) == [], str(res)
    assert "database is up to date" in res.stderr, str(res)


def test_a_login_the_pooler_refuses_stops_the_wait_at_once(app, bouncer):
    url = bouncer.url(app.database, password="not-" + pgm.APP_PASSWORD)
    res = app.run("--wait-timeout", "60s", env={"DATABASE_URL": url})
    assert res.returncode == 69 and not app.app_ran, str(res)
    assert "SASL authentication failed (08P01)" in res.stderr, str(res)
    assert "the connection pooler refused the login: check the password in DATABASE_URL" in res.stderr, str(res)
    assert pgm.APP_PASSWORD not in res.stderr
    # one login, not a retry loop until wait-timeout
    assert bouncer.log_text().count("closing because: SASL authentication failed") == 1, bouncer.log_text()
