"""seed = once: `prisma db seed` once per database, under the migrate lock, after the start that applied
its first migration, recorded in the database (prisma_entrypoint.seed) so that replicas and recreated
containers agree. Against a real PostgreSQL and the real Prisma 6.19 CLI (the fixture app of
test_migrate.py; its call-recording wrapper tells how often `prisma db seed` ran).

The seed script (prisma/seed.js, written here) inserts one row into "User" through the `pg` package
the fixture has, so the rows count the seed's runs; it fails while the file `seed-fails` exists.
"""

import shutil
import threading

import pytest

import test_migrate as mig
from npm_app import copy_app, install_wrapper, read_calls, remove_node_modules

SEED_JS = """\
const fs = require("fs");
const { Client } = require("pg");
async function main() {
  if (fs.existsSync("seed-fails")) {
    console.error("the seed script fails on purpose");
    process.exit(3);
  }
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query('INSERT INTO "User" (email, name) VALUES ($1, $2)', [`seed-${process.pid}@example.com`, "seed"]);
  await client.end();
}
main().catch((e) => { console.error(e); process.exit(1); });
"""
CONFIG_SCHEMA_LINE = '  schema: "prisma/schema.prisma",\n'


class SeedApp(mig.App):
    """The migrate tests' app, with a seed script and its command in prisma.config.ts."""

    def __init__(self, *args, seed: str | None = "node prisma/seed.js"):
        super().__init__(*args)
        self.set_up(seed)

    def set_up(self, seed: str | None):
        (self.root / "prisma" / "seed.js").write_text(SEED_JS)
        if seed is not None:
            self.set_config_seed(seed)

    def set_config_seed(self, seed: str):
        config = self.root / "prisma.config.ts"
        text = config.read_text()
        assert CONFIG_SCHEMA_LINE in text
        config.write_text(
            text.replace(CONFIG_SCHEMA_LINE, CONFIG_SCHEMA_LINE + f'  migrations: {{ seed: "{seed}" }},\n')
        )

    def recreate(self, node_modules):
        """A new container of the same image: a fresh copy of the app folder, the same database."""
        shutil.rmtree(self.root)
        copy_app(self.root, node_modules)
        install_wrapper(self.root, self.calls_log)
        self.set_up("node prisma/seed.js")

    def seeds(self) -> int:
        return sum(1 for c in read_calls(self.calls_log) if c["args"][:2] == ["db", "seed"])

    def seeded_rows(self) -> int:
        return int(self.pg.psql("SELECT count(*) FROM \"User\" WHERE name = 'seed'", database=self.database))

    def record(self) -> list:
        """(schema, seeded, attempts) of prisma_entrypoint.seed."""
        out = self.pg.psql(
            "SELECT schema_name, seeded_at IS NOT NULL, attempts FROM prisma_entrypoint.seed", database=self.database
        )
        return [tuple(line.split("|")) for line in out.split()]


@pytest.fixture
def app(pe_plain, pg, npm_node_modules):
    a = SeedApp(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, mig.new_database(pg))
    yield a
    remove_node_modules(a.root)


def test_seeds_once_on_the_start_that_applies_the_first_migration(app, npm_node_modules):
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f'running prisma db seed: database "{app.database}" is owed its seed' in res.stderr, str(res)
    assert "`node prisma/seed.js` from prisma.config.ts" in res.stderr, str(res)
    assert "prisma db seed finished in" in res.stderr, str(res)
    lines = res.stderr_lines()
    deploy = next(i for i, line in enumerate(lines) if "running prisma migrate deploy" in line)
    seed = next(i for i, line in enumerate(lines) if "running prisma db seed" in line)
    assert deploy < seed, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1
    assert app.record() == [("public", "t", "1")], app.record()
    # the seed's table is in a schema of its own, never among the app's tables
    assert not app.has_table("seed")

    # the next start: migrations up to date, the seed done
    res = app.run("--seed", "once", "-v")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f'database "{app.database}" was seeded at ' in res.stderr, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1

    # every container recreated: nothing in the app folder remembers, the database does
    app.recreate(npm_node_modules)
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1


def test_sync_seeds_like_run(app):
    res = app.pe.run(["sync", "--no-generate", "--seed", "once"], env=app.env(), seconds=90)
    assert res.returncode == 0, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1


def test_replicas_starting_together_seed_once(app):
    replicas = [app.start("--seed", "once") for _ in range(5)]
    results = [None] * len(replicas)

    def wait(i):
        results[i] = replicas[i].wait(180)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(len(replicas))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.returncode == 0 for r in results), "\n".join(map(str, results))
    assert len(app.deploys()) == 1, app.deploys()
    assert app.seeds() == 1 and app.seeded_rows() == 1, "\n".join(map(str, results))
    assert app.record() == [("public", "t", "1")], app.record()


def test_a_failed_seed_stops_the_start_and_the_next_start_runs_it_again(app):
    (app.root / "seed-fails").touch()
    res = app.run("--seed", "once")
    assert res.returncode == 82 and not app.app_ran, str(res)
    assert "the seed script fails on purpose" in res.stderr, str(res)
    errors = [line for line in res.stderr_lines() if "error:" in line]
    assert len(errors) == 1, str(res)
    assert "prisma db seed failed (exit status 1)" in errors[0], errors[0]
    assert f'"{app.database}" still owes its seed, and the next start (in any container) runs it again' in errors[0]
    assert app.rows() == [(mig.INIT, "t", "f")], app.rows()  # the migration stays applied
    assert app.record() == [("public", "f", "1")], app.record()

    # still failing: still owed, although the migrations are up to date now
    res = app.run("--seed", "once")
    assert res.returncode == 82 and not app.app_ran, str(res)
    assert app.seeds() == 2 and app.record() == [("public", "f", "2")], app.record()

    (app.root / "seed-fails").unlink()
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert app.seeds() == 3 and app.seeded_rows() == 1
    assert len(app.deploys()) == 1
    assert app.record() == [("public", "t", "3")], app.record()


def test_no_seed_command_fails_before_the_wait(app):
    config = app.root / "prisma.config.ts"
    config.write_text(config.read_text().replace('  migrations: { seed: "node prisma/seed.js" },\n', ""))
    # nothing listens on port 1: a start that waited would end only at wait-timeout
    res = app.run("--seed", "once", "--wait-timeout", "30s", env={"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db"})
    assert res.returncode == 78 and not app.app_ran, str(res)
    assert len(res.stderr_lines()) == 1, str(res)
    assert "seed = once, but no seed command is configured" in res.stderr, str(res)
    assert "waiting for" not in res.stderr and app.deploys() == []


def test_a_seed_program_that_is_not_installed_is_named_before_anything_runs(app):
    config = app.root / "prisma.config.ts"
    config.write_text(config.read_text().replace("node prisma/seed.js", "tsx prisma/seed.ts"))
    res = app.run("--seed", "once", env={"DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db"})
    assert res.returncode == 78 and not app.app_ran, str(res)
    assert (
        "seed = once: the seed command `tsx prisma/seed.ts` needs `tsx`, which is not installed (a devDependency "
        "left out of the image?)" in res.stderr
    ), str(res)
    assert len(res.stderr_lines()) == 1 and app.deploys() == [], str(res)


def test_package_json_seed_with_a_program_from_node_modules_bin(app):
    """package.json's prisma.seed (no seed in prisma.config.ts), and a program found, as npx finds it,
    in node_modules/.bin only: prisma db seed itself does not look there."""
    config = app.root / "prisma.config.ts"
    config.write_text(config.read_text().replace('  migrations: { seed: "node prisma/seed.js" },\n', ""))
    runner = app.root / "node_modules" / ".bin" / "seed-runner"
    runner.write_text('#!/bin/sh\nexec node "$@"\n')
    runner.chmod(0o755)
    package = app.root / "package.json"
    package.write_text(
        package.read_text().replace(
            '"private": true,', '"private": true,\n  "prisma": {"seed": "seed-runner prisma/seed.js"},'
        )
    )
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "`seed-runner prisma/seed.js` from package.json" in res.stderr, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1


def test_a_database_migrated_before_seed_was_turned_on_is_not_seeded(app):
    res = app.run()
    assert res.returncode == 0 and len(app.deploys()) == 1, str(res)
    res = app.run("--seed", "once", "-v")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert (
        f'seed = once: database "{app.database}" had its migrations applied before seed = once was set' in res.stderr
    ), str(res)
    assert app.seeds() == 0 and app.seeded_rows() == 0
    assert not app.has_table("seed")


def test_a_missing_database_is_created_migrated_and_seeded_once(app, createdb):
    app.database = "nodb_" + mig.uuid.uuid4().hex[:8]
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f'database "{app.database}" does not exist yet: creating it' in res.stderr, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1


def test_a_database_that_deploy_creates_is_seeded_once(app):
    """Without CREATEDB for the app role, prisma migrate deploy creates the database (here: the CLI's
    wrapper, in place of Prisma's native engine); the start still knows it made it, and seeds it."""
    app.database = "nodb_" + mig.uuid.uuid4().hex[:8]
    mig.create_database_in_deploy(app)
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f'cannot create database "{app.database}" (' in res.stderr, str(res)
    assert app.seeds() == 1 and app.seeded_rows() == 1
    assert app.record() == [("public", "t", "1")], app.record()
    res = app.run("--seed", "once")
    assert res.returncode == 0 and app.seeds() == 1, str(res)


createdb = mig.createdb
