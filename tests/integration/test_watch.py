"""Watch mode (--watch, PRISMA_ENTRYPOINT_WATCH=1): a change to the schema files, the Prisma config
file or the migrations restarts the app as `prisma-entrypoint restart` does (stop, generate and
migrate as needed, start); a burst of edits makes one restart; other files never restart it.

As in test_restart.py, the supervisor is PID 1 of a PID namespace of its own and the app appends its
pid to a `starts` file on each start. The real Prisma CLI runs where the generated client or the
database matters (an edit, a broken then fixed schema, a new migration against a real PostgreSQL,
SIGTERM during a generate); counting restarts uses the stand-in CLI of test_restart.py.
"""

from __future__ import annotations

import os
import re
import shlex
import time

import pytest

import test_generate as gen
import test_migrate as mig
from conftest import wait_until
from npm_app import copy_app, read_record, remove_node_modules
from test_restart import (
    ADDED_FIELD,
    FAKE_ENV,
    app_argv,
    app_running,
    fake_calls,
    fake_cli,
    outer_pid,
    schema_app,
    started,
    stop,
    wait_starts,
)

QUIET = 1.0  # how long a test waits to see that nothing (more) happens


def restarting_lines(stderr: str) -> list:
    return [line for line in stderr.splitlines() if "restarting sh (" in line]


def append(path, text: str):
    with open(path, "a") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------------
# an edit of the schema, with the real Prisma CLI
# ---------------------------------------------------------------------------------------------


def test_schema_edit_restarts_once_with_the_new_client(pe_pid1, real_app):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start(["--no-wait", "--watch", "--", *app_argv(starts)], env=real_app.env())
    [first] = wait_starts(starts, 1, p, seconds=60)
    assert len(real_app.calls()) == 1 and "hostname" not in real_app.dts()

    real_app.edit(gen.SCHEMA, gen.USER_FIELD, gen.USER_FIELD + "\n  " + ADDED_FIELD)
    [_, second] = wait_starts(starts, 2, p, seconds=60)
    assert outer_pid(p, second) is not None
    assert len(real_app.calls()) == 2, real_app.calls()
    assert "hostname" in real_app.dts(), "the new field is not in the generated client"
    assert real_app.record_digest() == real_app.hash()
    time.sleep(QUIET)
    assert len(started(starts)) == 2, "more than one restart for one edit"

    out = stop(p)
    lines = restarting_lines(out.stderr)
    assert len(lines) == 1, str(out)
    assert re.fullmatch(
        rf"prisma-entrypoint: restarting sh \((\S*/)?prisma/schema\.prisma changed\): stopping it \(pid {first}\)",
        lines[0],
    ), str(out)
    assert f"prisma-entrypoint: sh restarted (pid {second})" in out.stderr, str(out)


def test_prisma7_tsconfig_edit_restarts_with_a_client_for_the_new_module_format(pe_pid1, npm_node_modules7):
    """Prisma 7's prisma-client generator reads the nearest tsconfig.json above its output: an edit
    of it is an edit of the client's inputs."""
    app = gen.make_app(pe_pid1, npm_node_modules7, gen.APP7)
    app.wrap()
    try:
        starts = pe_pid1.tmp / "starts"
        p = pe_pid1.start(["--no-wait", "--watch", "--", *app_argv(starts)], env=app.env())
        wait_starts(starts, 1, p, seconds=60)
        assert "import.meta.url" in (app.client / "client.ts").read_text()

        app.edit("tsconfig.json", '"module": "ESNext"', '"module": "CommonJS"')
        wait_starts(starts, 2, p, seconds=60)
        assert len(app.calls()) == 2, app.calls()
        assert "import.meta.url" not in (app.client / "client.ts").read_text(), "not generated for CommonJS"
        out = stop(p)
        lines = restarting_lines(out.stderr)
        assert len(lines) == 1 and "tsconfig.json changed" in lines[0], str(out)
    finally:
        remove_node_modules(app.root)


def test_broken_schema_keeps_the_app_down_and_the_fix_starts_it(pe_pid1, real_app):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start(["--no-wait", "--watch", "--", *app_argv(starts)], env=real_app.env())
    [first] = wait_starts(starts, 1, p, seconds=60)

    real_app.edit(gen.SCHEMA, gen.USER_FIELD, gen.USER_FIELD + "\n  " + gen.BAD_FIELD)
    wait_until(lambda: len(real_app.calls()) == 2, 30, "the generate of the broken schema", p)
    wait_until(lambda: not app_running(p), 30, "the failed generate to end with no app running", p)
    time.sleep(QUIET)
    assert not app_running(p) and started(starts) == [first], "the app runs although generate failed"
    assert p.popen.poll() is None, "the container ended"

    real_app.edit(gen.SCHEMA, gen.BAD_FIELD, ADDED_FIELD)
    [_, second] = wait_starts(starts, 2, p, seconds=60)
    assert outer_pid(p, second) is not None, "the app does not run after the fix"
    assert len(real_app.calls()) == 3
    assert "hostname" in real_app.dts() and real_app.record_digest() == real_app.hash()

    out = stop(p)
    assert "Strng" in out.stdout + out.stderr, f"prisma's error should be in the container's log\n{out}"
    assert "prisma generate failed" in out.stderr and "sh stays down until the next restart" in out.stderr, str(out)


def test_sigterm_during_a_watch_generate_ends_it_and_the_record_keeps_the_old_schema(pe_pid1, real_app):
    starts = pe_pid1.tmp / "starts"
    p = pe_pid1.start(["--no-wait", "--watch", "--stop-timeout", "1s", "--", *app_argv(starts)], env=real_app.env())
    wait_starts(starts, 1, p, seconds=60)
    old = real_app.record_digest()
    assert real_app.check().returncode == 0

    began = pe_pid1.tmp / "generate-began"
    hang = pe_pid1.tmp / "hang.js"
    hang.write_text(gen.HANG_JS)  # keeps prisma's node busy until it is stopped
    real_app.wrap(before_exec=f": > {shlex.quote(str(began))}\n", node_args=["--require", str(hang)])
    real_app.edit(gen.SCHEMA, gen.USER_FIELD, gen.USER_FIELD + "\n  " + ADDED_FIELD)
    wait_until(began.exists, 30, "the generate the edit starts", p)

    res = stop(p)
    assert len(started(starts)) == 1, f"the app was started again\n{res}"
    assert "restarting sh (" in res.stderr, str(res)
    check = real_app.check()
    assert check.returncode == 1 and "stale:" in check.stdout + check.stderr, str(check)
    if real_app.record.exists():
        assert read_record(real_app.record).get("digest") == old, "the record vouches for the interrupted generate"
    real_app.assert_no_temp_files(res)


# ---------------------------------------------------------------------------------------------
# what counts as a change, and how many restarts it makes (the stand-in CLI)
# ---------------------------------------------------------------------------------------------


def start_fake(pe, *opts, env=None, prepare=None):
    cli = fake_cli(pe.tmp / "cli")
    starts = pe.tmp / "starts"
    args = schema_app(pe, cli)
    if prepare:
        prepare()
    p = pe.start([*args, *opts, "--", *app_argv(starts)], env={**FAKE_ENV, **(env or {})})
    wait_starts(starts, 1, p)
    assert len(fake_calls(cli)) == 1
    return p, cli, starts


@pytest.mark.parametrize("how", ["five-writes", "write-temp-then-rename"])
def test_a_burst_of_edits_makes_one_restart(pe_pid1, how):
    p, cli, starts = start_fake(pe_pid1, env={"PRISMA_ENTRYPOINT_WATCH": "1"})
    schema = pe_pid1.cwd / gen.SCHEMA
    if how == "five-writes":
        for i in range(5):
            append(schema, f"// edit {i}\n")
            time.sleep(0.02)
    else:  # an editor's save: a temporary file renamed over the schema
        tmp = schema.with_name("schema.prisma.tmp~")
        tmp.write_text(schema.read_text() + "// saved\n")
        os.rename(tmp, schema)
    wait_starts(starts, 2, p)
    time.sleep(QUIET)
    assert len(started(starts)) == 2, "more than one restart for one burst"
    assert len(fake_calls(cli)) == 2, fake_calls(cli)
    out = stop(p)
    assert len(restarting_lines(out.stderr)) == 1, str(out)


def test_other_files_never_restart(pe_pid1):
    p, cli, starts = start_fake(pe_pid1, "--watch")
    (pe_pid1.cwd / "prisma" / "seed.ts").write_text("console.log('seed')\n")
    (pe_pid1.cwd / "prisma" / ".schema.prisma.swp").write_text("swap\n")
    (pe_pid1.cwd / "README.md").write_text("# app\n")
    (pe_pid1.cwd / "server.js").write_text("// server\n")
    time.sleep(QUIET)
    assert len(started(starts)) == 1, "a file other than the schema restarted the app"
    assert len(fake_calls(cli)) == 1

    append(pe_pid1.cwd / gen.SCHEMA, "// now the schema\n")  # and the watch was on all along
    wait_starts(starts, 2, p)
    out = stop(p)
    assert len(restarting_lines(out.stderr)) == 1, str(out)


CONFIG_TS = """import { defineConfig } from "prisma/config";
export default defineConfig({ schema: "prisma/schema.prisma" });
"""


def test_an_edit_of_the_prisma_config_file_restarts(pe_pid1):
    config = pe_pid1.cwd / "prisma.config.ts"
    p, cli, starts = start_fake(pe_pid1, "--watch", prepare=lambda: config.write_text(CONFIG_TS))
    append(config, "// edited\n")
    wait_starts(starts, 2, p)
    out = stop(p)
    lines = restarting_lines(out.stderr)
    assert len(lines) == 1 and "prisma.config.ts changed" in lines[0], str(out)


def test_a_new_file_in_a_schema_folder_restarts_only_when_it_is_a_prisma_file(pe_pid1):
    folder = pe_pid1.cwd / "prisma" / "schema"

    def to_folder():
        folder.mkdir()
        os.rename(pe_pid1.cwd / gen.SCHEMA, folder / "schema.prisma")

    p, cli, starts = start_fake(pe_pid1, "--watch", "--schema", "prisma/schema", prepare=to_folder)
    (folder / "notes.md").write_text("not a schema file\n")
    time.sleep(QUIET)
    assert len(started(starts)) == 1, "a file that is not a .prisma file restarted the app"
    (folder / "models").mkdir()
    (folder / "models" / "post.prisma").write_text(gen.POST_MODEL)
    wait_starts(starts, 2, p)
    out = stop(p)
    lines = restarting_lines(out.stderr)
    assert len(lines) == 1 and "post.prisma changed" in lines[0], str(out)


def test_polling_sees_an_edit(pe_pid1):
    p, cli, starts = start_fake(pe_pid1, "--watch", "--watch-poll", "200ms")
    append(pe_pid1.cwd / gen.SCHEMA, "// polled\n")
    wait_starts(starts, 2, p)
    time.sleep(QUIET)
    assert len(started(starts)) == 2
    out = stop(p)
    assert len(restarting_lines(out.stderr)) == 1, str(out)


# ---------------------------------------------------------------------------------------------
# a new migration, against a real PostgreSQL
# ---------------------------------------------------------------------------------------------


def test_a_new_migration_restarts_the_app_and_is_deployed(pe_pid1, pg, npm_node_modules):
    app = mig.App(pe_pid1, copy_app(pe_pid1.cwd, npm_node_modules), pg, mig.new_database(pg))
    try:
        # the fixture's migration is applied already, so that the start deploys nothing (a deploy
        # with work to do lingers ~10 s here): only the new migration is
        init_sql = (app.root / "prisma" / "migrations" / mig.INIT / "migration.sql").read_text()
        pg.psql("SET ROLE app; " + init_sql, database=app.database)
        mig.create_migrations_table(app, (mig.INIT, True))
        starts = pe_pid1.tmp / "starts"
        p = pe_pid1.start(["--no-generate", "--watch", "--", *app_argv(starts)], env=app.env())
        wait_starts(starts, 1, p, seconds=60)
        assert app.deploys() == []

        app.add_migration(*mig.ADD_AGE)
        [_, second] = wait_starts(starts, 2, p, seconds=90)
        assert outer_pid(p, second) is not None
        assert len(app.deploys()) == 1, app.deploys()
        assert app.rows() == [(mig.INIT, "t", "f"), (mig.ADD_AGE[0], "t", "f")], app.rows()
        assert "age" in app.columns("User")

        out = stop(p)
        lines = restarting_lines(out.stderr)
        assert len(lines) == 1 and f"{mig.ADD_AGE[0]}/migration.sql changed" in lines[0], str(out)
    finally:
        remove_node_modules(app.root)
