"""`prisma-entrypoint sync`: the phases of `run` (wait -> generate -> migrate) without an app, for a
Makefile's prisma-sync target, a CI step, an image build or a Kubernetes initContainer. Against a real
PostgreSQL and the real Prisma CLI (the fixture app of test_migrate.py, its call-recording wrapper
tells whether generate and deploy ran)."""

import pytest

import test_migrate as mig
from npm_app import DUMMY_DATABASE_URL, copy_app, read_calls, remove_node_modules
from test_migrate import ADD_AGE, BROKEN, INIT


@pytest.fixture
def app(pe_plain, pg, npm_node_modules):
    a = mig.App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, mig.new_database(pg))
    yield a
    remove_node_modules(a.root)


def sync(app, *opts, env=None, seconds: float = 90):
    return app.pe.run(["sync", *opts], env=app.env(env), seconds=seconds)


def generates(app) -> int:
    return sum(1 for c in read_calls(app.calls_log) if c["args"][:1] == ["generate"])


def test_sync_generates_and_migrates_then_exits_without_an_app(app):
    res = sync(app)
    assert res.returncode == 0, str(res)
    assert generates(app) == 1 and len(app.deploys()) == 1, read_calls(app.calls_log)
    assert app.rows() == [(INIT, "t", "f")], app.rows()
    assert res.stderr_lines()[-1] == "prisma-entrypoint: the Prisma client and the database are in sync", str(res)
    lines = res.stderr_lines()
    order = [
        next(i for i, line in enumerate(lines) if word in line)
        for word in ("ready after", "prisma client generated", "running prisma migrate deploy")
    ]
    assert order == sorted(order), f"phases out of order: wait, generate, migrate\n{res}"

    # in sync already: neither generate nor Node for migrate
    res = sync(app)
    assert res.returncode == 0, str(res)
    assert generates(app) == 1 and len(app.deploys()) == 1, read_calls(app.calls_log)
    assert "in sync" in res.stderr_lines()[-1], str(res)

    # a new migration: only it is deployed
    app.add_migration(*ADD_AGE)
    res = sync(app)
    assert res.returncode == 0, str(res)
    assert generates(app) == 1 and len(app.deploys()) == 2
    assert app.rows() == [(INIT, "t", "f"), (ADD_AGE[0], "t", "f")], app.rows()


def test_sync_force_generates_a_current_client_again(app):
    assert sync(app, "--no-migrate").returncode == 0
    res = sync(app, "--no-migrate", "--force")
    assert res.returncode == 0, str(res)
    assert generates(app) == 2, read_calls(app.calls_log)
    assert "force-generate is set" in res.stderr, str(res)


def test_sync_at_image_build_time_needs_no_database(app):
    """The README's build-time recipe: no database (an address nothing answers at), no `true` binary
    needed in the image."""
    res = sync(app, "--no-wait", "--no-migrate", env={"DATABASE_URL": DUMMY_DATABASE_URL})
    assert res.returncode == 0, str(res)
    assert generates(app) == 1 and app.deploys() == []
    assert (app.root / "node_modules" / ".prisma" / "client").is_dir()


def test_sync_stops_at_a_failed_migration_with_its_exit_code(app):
    app.add_migration(*BROKEN)
    assert sync(app).returncode == 81
    res = sync(app)
    assert res.returncode == 81, str(res)
    assert len(app.deploys()) == 1, "deploy ran again although a failed migration blocks it"
    assert f"prisma migrate resolve --rolled-back {BROKEN[0]}" in res.stderr, str(res)
    assert "in sync" not in res.stderr


def test_sync_takes_no_command(pe_plain):
    res = pe_plain.run(["sync", "--", "node", "server.js"])
    assert res.returncode == 64, str(res)
    assert res.stderr_lines() == [
        "prisma-entrypoint: error: sync takes no arguments, got 'node': sync starts no app; to run one, use run"
    ], str(res)
