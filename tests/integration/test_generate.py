"""The generate phase of `run` (wait -> generate -> app), against the real Prisma 6.19 CLI and, for
the tests that take `any_app` (ids [prisma6] and [prisma7]) or `app7`, the real Prisma 7 CLI
(tests/fixtures/app7: the `prisma-client` generator writing TypeScript to src/generated/prisma, the
URL in prisma.config.ts, a tsconfig.json; its generate runs offline with
PRISMA_SCHEMA_ENGINE_BINARY=/bin/false, npm_app.APP7.env).

Each test works in a copy of tests/fixtures/app (or app7) with a real copy of node_modules installed by npm
once per lock file (npm_app.py: a session fixture, cached outside the repository between runs; a
missing npm or a failed install fails these tests). Whether prisma ran is proven by a call-recording
wrapper put in place of node_modules/.bin/prisma: it logs every call (arguments, cwd and the
variables the entrypoint sets for the child) and then execs node on the real CLI.

The app is `/bin/sh -c 'echo ran >> MARKER'`, so each test can tell whether the app was started.
Every run has DATABASE_URL set to a dummy URL (prisma needs one even for generate) and --no-wait.
One real `prisma generate` takes about 1-1.5 s; tests share generates where it is natural.
"""

import json
import os
import random
import re
import shlex
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, SANITIZER_REPORT, all_pids, children_of, pid_alive, proc_cmdline, timeout, wait_until
from npm_app import (
    APP,
    APP7,
    DUMMY_DATABASE_URL,
    RECORD,
    copy_app,
    install_wrapper,
    read_calls,
    read_record,
    real_cli,
    remove_node_modules,
    write_wrapper,
)

# The entrypoint must set CHECKPOINT_DISABLE and PRISMA_HIDE_UPDATE_MESSAGE itself, and nothing of
# the caller's nvm setup may leak in: removed unless a test sets them.
BASE_ENV = {
    "DATABASE_URL": DUMMY_DATABASE_URL,
    "CHECKPOINT_DISABLE": None,
    "PRISMA_HIDE_UPDATE_MESSAGE": None,
    "NVM_DIR": None,
    "NODE_OPTIONS": None,
    # The fixture has migrations, and the dummy URL no database: the migrate phase has its own tests.
    "PRISMA_ENTRYPOINT_NO_MIGRATE": "1",
}
OTHER_DATABASE_URL = "postgresql://other:pw@127.0.0.1:1/otherdb"

HEX64 = re.compile(r"^[0-9a-f]{64}$")
GENERATED = re.compile(r"prisma client generated in .+? \(inputs ([0-9a-f]{12})\)")
SCHEMA = "prisma/schema.prisma"
USER_FIELD = "name  String?"  # the last field of the fixture's User model
POST_MODEL = """// a second schema file, in a subfolder
model Post {
  id    Int    @id @default(autoincrement())
  title String
}
"""


def snapshot(path: Path):
    """Bytes and mtime of a file (None when absent), to prove it was not written."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return path.read_bytes(), st.st_mtime_ns


def folder_state(folder: Path) -> dict:
    """name -> (size, mtime_ns) of every entry of a folder ({} when absent)."""
    if not folder.is_dir():
        return {}
    out = {}
    for entry in folder.iterdir():
        st = entry.lstat()
        out[entry.name] = (st.st_size, st.st_mtime_ns)
    return out


def same_path(a, b) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


class App:
    """A copy of the fixture app as the runner's working directory, and what a test asks of it."""

    def __init__(self, runner, root: Path, fixture=APP):
        self.pe = runner
        self.root = root
        self.fixture = fixture
        self.calls_log = runner.tmp / "prisma-calls.log"
        self.marker = runner.tmp / "app-ran"
        self.record = root / RECORD
        self.client = root / fixture.client_dir

    # -- files -------------------------------------------------------------------------------

    def edit(self, rel: str, old: str, new: str):
        path = self.root / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1))

    def set_config_schema(self, schema: str):
        self.edit("prisma.config.ts", 'schema: "prisma/schema.prisma"', f'schema: "{schema}"')

    def set_version(self, package: str, version: str):
        pj = self.root / "node_modules" / package / "package.json"
        text = pj.read_text()
        new = re.sub(r'("version"\s*:\s*")[^"]*(")', rf"\g<1>{version}\g<2>", text, count=1)
        assert new != text, f"no version changed in {pj}"
        pj.write_text(new)

    def dts(self) -> str:
        """The text of the generated client's type declarations (every .ts file of a folder)."""
        parts = []
        for name in self.fixture.client_types:
            path = self.client / name
            files = sorted(path.rglob("*.ts")) if path.is_dir() else [path]
            parts.extend(f.read_text() for f in files)
        return "\n".join(parts)

    def has_model(self, name: str) -> bool:
        return f"export type {name} = " in self.dts()

    # -- the wrapper -------------------------------------------------------------------------

    def wrap(self, before_exec: str = "", node_args=()):
        install_wrapper(self.root, self.calls_log, before_exec, node_args)

    def calls(self) -> list:
        return read_calls(self.calls_log)

    # -- running -----------------------------------------------------------------------------

    def args(self, *opts, status: int = 0) -> list:
        return ["--no-wait", *opts, "--", "/bin/sh", "-c", f'echo ran >> "$0"; exit {status}', str(self.marker)]

    def env(self, extra=None) -> dict:
        return {**BASE_ENV, **self.fixture.env, **(extra or {})}

    def run(self, *opts, env=None, status: int = 0, seconds: float = 60):
        self.marker.unlink(missing_ok=True)
        return self.pe.run(self.args(*opts, status=status), env=self.env(env), seconds=seconds)

    def start(self, *opts, env=None, argv=None):
        self.marker.unlink(missing_ok=True)
        args = self.args(*opts)
        return self.pe.start(args, env=self.env(env), argv=argv(self.pe.argv(args)) if argv else None)

    @property
    def app_ran(self) -> bool:
        return self.marker.exists()

    def hash(self, *opts) -> str:
        res = self.pe.run(["hash", *opts], env=self.env())
        assert res.returncode == 0, str(res)
        digest = res.stdout.splitlines()[0]
        assert HEX64.match(digest), str(res)
        return digest

    def check(self, *opts):
        return self.pe.run(["hash", "--check", *opts], env=self.env())

    def record_digest(self) -> str:
        digest = read_record(self.record).get("digest", "")
        assert HEX64.match(digest), f"no `digest <64 hex>` line in {self.record}: {self.record.read_text()!r}"
        return digest

    # -- what a run must have shown ----------------------------------------------------------

    def assert_generated(self, res, calls: int):
        """prisma ran (the wrapper's call count is now `calls`), the app ran, the record holds the
        digest `hash` prints and the success line names it. Returns the digest."""
        assert res.returncode == 0, str(res)
        assert len(self.calls()) == calls, f"expected {calls} prisma call(s), got {self.calls()}\n{res}"
        client_file = self.client / self.fixture.client_file
        assert client_file.is_file(), f"no generated client at {client_file}\n{res}"
        digest = self.hash()
        assert self.record_digest() == digest, f"record {self.record.read_text()!r} vs hash {digest}\n{res}"
        m = GENERATED.search(res.stderr)
        assert m, f"no 'prisma client generated in ... (inputs ...)' line\n{res}"
        assert m.group(1) == digest[:12], str(res)
        assert self.app_ran, f"the app did not run\n{res}"
        self.assert_no_temp_files(res)
        return digest

    def assert_skipped(self, res, digest: str, calls: int):
        assert res.returncode == 0, str(res)
        assert f"prisma client is current (inputs {digest[:12]}): generate skipped" in res.stderr, str(res)
        assert len(self.calls()) == calls, f"prisma ran although the client is current: {self.calls()}\n{res}"
        assert not GENERATED.search(res.stderr), str(res)
        assert self.app_ran, f"the app did not run\n{res}"

    def assert_no_temp_files(self, res=None, folder: Path | None = None):
        folder = folder or self.record.parent
        left = set(folder_state(folder)) - {self.record.name, self.record.name + ".lock"}
        assert not left, f"files left next to the generate record in {folder}: {sorted(left)}\n{res or ''}"


def make_app(runner, node_modules, fixture=APP):
    root = copy_app(runner.cwd, node_modules, fixture=fixture)
    return App(runner, root, fixture)


@pytest.fixture
def app(pe_plain, npm_node_modules):
    a = make_app(pe_plain, npm_node_modules)
    yield a
    remove_node_modules(a.root)


@pytest.fixture(params=[APP, APP7], ids=lambda f: f"prisma{f.prisma_major}")
def any_app(request, pe_plain):
    """The app of either fixture: Prisma 6.19 (prisma-client-js into node_modules/.prisma/client) or
    Prisma 7 (prisma-client, TypeScript into src/generated/prisma), for the tests that hold for both."""
    node_modules = request.getfixturevalue("npm_node_modules7" if request.param is APP7 else "npm_node_modules")
    a = make_app(pe_plain, node_modules, request.param)
    yield a
    remove_node_modules(a.root)


@pytest.fixture
def app7(pe_plain, npm_node_modules7):
    a = make_app(pe_plain, npm_node_modules7, APP7)
    yield a
    remove_node_modules(a.root)


@pytest.fixture
def app_pe(pe, npm_node_modules):
    """The same, for tests that run in both modes (plain and PID 1)."""
    a = make_app(pe, npm_node_modules)
    yield a
    remove_node_modules(a.root)


def schema_arg(call) -> str:
    args = call["args"]
    assert args[:1] == ["generate"] and "--schema" in args, f"not `generate --schema PATH`: {args}"
    path = args[args.index("--schema") + 1]
    return os.path.join(call["cwd"], path)


# ---------------------------------------------------------------------------------------------
# generate when needed, skip when current
# ---------------------------------------------------------------------------------------------


def test_first_start_generates_and_the_next_one_skips(any_app):
    app = any_app
    app.wrap()
    assert not app.client.exists() and not app.record.exists()
    res = app.run()
    digest = app.assert_generated(res, calls=1)
    call = app.calls()[0]
    assert same_path(schema_arg(call), app.root / SCHEMA), call
    assert same_path(call["cwd"], app.root), call
    # not set by the test: set by the entrypoint for prisma
    assert call["CHECKPOINT_DISABLE"] == "1" and call["PRISMA_HIDE_UPDATE_MESSAGE"] == "1", call
    assert call["DATABASE_URL"] == DUMMY_DATABASE_URL, call
    assert "placeholder" not in res.stderr, f"a database URL is set: no placeholder\n{res}"
    assert "Generated Prisma Client" in res.stdout, f"prisma's own output should pass through\n{res}"

    record, folder = snapshot(app.record), folder_state(app.record.parent)
    res = app.run()
    app.assert_skipped(res, digest, calls=1)
    assert snapshot(app.record) == record, "the skip path rewrote the record"
    assert folder_state(app.record.parent) == folder, "the skip path wrote next to the record"
    assert "Generated Prisma Client" not in res.stdout, str(res)


def test_prisma_sees_variables_already_set_and_the_effective_database_url(app):
    app.wrap()
    res = app.run(
        env={
            "CHECKPOINT_DISABLE": "0",
            "PRISMA_HIDE_UPDATE_MESSAGE": "0",
            "PRISMA_ENTRYPOINT_DATABASE_URL": OTHER_DATABASE_URL,
        }
    )
    app.assert_generated(res, calls=1)
    call = app.calls()[0]
    assert call["CHECKPOINT_DISABLE"] == "0" and call["PRISMA_HIDE_UPDATE_MESSAGE"] == "0", call
    # the prefixed variable wins over DATABASE_URL, and prisma gets the effective one
    assert call["DATABASE_URL"] == OTHER_DATABASE_URL, call


def test_schema_edit_regenerates_with_the_new_field(any_app):
    app = any_app
    app.wrap()
    first = app.assert_generated(app.run(), calls=1)
    assert not re.search(r"\bhostname\b", app.dts())
    app.edit(SCHEMA, USER_FIELD, USER_FIELD + "\n  hostname String?")
    res = app.run()
    second = app.assert_generated(res, calls=2)
    assert second != first
    assert re.search(r"\bhostname\b", app.dts()), "the new field is not in the generated client"


def test_multi_file_schema_folder(app):
    folder = app.root / "prisma" / "schema"
    (folder / "models").mkdir(parents=True)
    shutil.move(str(app.root / SCHEMA), folder / "schema.prisma")
    (folder / "models" / "post.prisma").write_text(POST_MODEL)
    app.set_config_schema("prisma/schema")
    app.wrap()
    first = app.assert_generated(app.run(), calls=1)
    assert same_path(schema_arg(app.calls()[0]), folder)
    assert app.has_model("Post") and app.has_model("User")
    assert not re.search(r"\bsubtitle\b", app.dts())

    app.edit("prisma/schema/models/post.prisma", "title String", "title String\n  subtitle String?")
    second = app.assert_generated(app.run(), calls=2)
    assert second != first
    assert re.search(r"\bsubtitle\b", app.dts()), "the edit of the second file is not in the client"
    app.assert_skipped(app.run(), second, calls=2)


def test_verbose_names_the_rule_and_a_configured_schema_that_is_missing_is_exit_78(app):
    app.wrap()
    res = app.run("-v")
    assert res.returncode == 0, str(res)
    assert "prisma schema prisma/schema.prisma (found by prisma.config.ts)" in res.stderr, str(res)
    res = app.run("--schema", "prisma/missing.prisma")
    assert res.returncode == 78, str(res)
    errors = [line for line in res.stderr_lines() if "error" in line]
    assert len(errors) == 1 and "prisma/missing.prisma" in errors[0] and "does not exist" in errors[0], str(res)
    assert not app.app_ran, str(res)
    assert len(app.calls()) == 1, "prisma ran for a schema that does not exist"


def test_config_file_names_a_schema_elsewhere(any_app):
    app = any_app
    (app.root / "db").mkdir()
    shutil.move(str(app.root / SCHEMA), app.root / "db" / "main.prisma")
    shutil.rmtree(app.root / "prisma")  # nothing at the default places
    with open(app.root / "db" / "main.prisma", "a") as f:
        f.write("\nmodel Tenant {\n  id   Int    @id\n  slug String @unique\n}\n")
    app.set_config_schema("db/main.prisma")
    app.wrap()
    app.assert_generated(app.run(), calls=1)
    assert same_path(schema_arg(app.calls()[0]), app.root / "db" / "main.prisma")
    assert app.has_model("Tenant") and app.has_model("User")


def test_a_deleted_or_emptied_client_output_folder_regenerates(any_app):
    """Prisma 6: node_modules/.prisma/client; Prisma 7: the generator's own output (src/generated/prisma)."""
    app = any_app
    app.wrap()
    first = app.assert_generated(app.run(), calls=1)
    shutil.rmtree(app.client)
    res = app.run()
    assert app.assert_generated(res, calls=2) == first
    assert f"the generated client is missing at {app.fixture.client_dir}" in res.stderr, str(res)
    shutil.rmtree(app.client)
    app.client.mkdir()
    assert app.assert_generated(app.run(), calls=3) == first
    app.assert_skipped(app.run(), first, calls=3)


def test_prisma7_client_without_its_entry_point_is_not_taken_for_current(app7):
    """What an interrupted generate or a careless cleanup leaves: models/ and internal/ without
    client.ts are no client. prisma runs (and, as Prisma 7 does for such a folder, refuses to write
    into it: its own message), the app does not start on a broken client."""
    app7.wrap()
    first = app7.assert_generated(app7.run(), calls=1)
    (app7.client / "client.ts").unlink()
    assert (app7.client / "models").is_dir()
    res = app7.run()
    assert res.returncode == 80 and len(app7.calls()) == 2 and not app7.app_ran, str(res)
    assert "the generated client is missing at src/generated/prisma" in res.stderr, str(res)
    assert "doesn't look like a generated Prisma Client" in res.stdout + res.stderr, str(res)
    shutil.rmtree(app7.client)
    assert app7.assert_generated(app7.run(), calls=3) == first


def test_prisma7_the_nearest_tsconfig_above_the_output_is_an_input(app7):
    """The prisma-client generator reads the nearest tsconfig.json above its output folder
    (compilerOptions.module: ESM or CommonJS output)."""
    app7.wrap()
    first = app7.assert_generated(app7.run(), calls=1)
    assert "import.meta.url" in (app7.client / "client.ts").read_text()
    assert "tsconfig tsconfig.json" in app7.pe.run(["hash"], env=app7.env()).stdout.splitlines()

    app7.edit("tsconfig.json", '"module": "ESNext"', '"module": "CommonJS"')
    res = app7.run()
    second = app7.assert_generated(res, calls=2)
    assert second != first
    assert "import.meta.url" not in (app7.client / "client.ts").read_text(), "not generated for CommonJS"
    app7.assert_skipped(app7.run(), second, calls=2)

    # a nearer one (src/) takes over; the root one then no longer counts
    shutil.copy(app7.root / "tsconfig.json", app7.root / "src" / "tsconfig.json")
    third = app7.assert_generated(app7.run(), calls=3)
    assert third != second
    assert "tsconfig src/tsconfig.json" in app7.pe.run(["hash"], env=app7.env()).stdout.splitlines()
    app7.edit("tsconfig.json", '"strict": true', '"strict": false')
    app7.assert_skipped(app7.run(), third, calls=3)


def test_prisma7_generate_without_a_database_url_gets_a_placeholder(app7):
    """Prisma 7 evaluates prisma.config.ts even for generate, and env("DATABASE_URL") throws when
    it is unset (an image build): the generate child gets a placeholder, said in one line."""
    app7.wrap()
    res = app7.run(env={"DATABASE_URL": None})
    app7.assert_generated(res, calls=1)
    url = app7.calls()[0]["DATABASE_URL"]
    assert url and "placeholder.invalid" in url, app7.calls()
    lines = [line for line in res.stderr_lines() if "placeholder" in line]
    assert len(lines) == 1 and "database-url is not set" in lines[0] and url in lines[0], str(res)
    assert "PrismaConfigEnvError" not in res.stdout + res.stderr, str(res)


def test_a_schema_path_computed_by_the_config_file_is_one_clear_error(any_app):
    app = any_app
    text = (app.root / "prisma.config.ts").read_text()
    text = 'import path from "node:path";\n' + text.replace(
        'schema: "prisma/schema.prisma"', 'schema: path.join("prisma", "schema.prisma")'
    )
    (app.root / "prisma.config.ts").write_text(text)
    app.wrap()
    res = app.run()
    assert res.returncode == 78, str(res)
    errors = [line for line in res.stderr_lines() if "error" in line]
    assert len(errors) == 1, str(res)
    assert "prisma.config.ts computes the schema's path" in errors[0], str(res)
    assert "--schema PATH, PRISMA_ENTRYPOINT_SCHEMA=PATH" in errors[0], str(res)
    assert not app.app_ran and not app.calls(), str(res)
    # given the path, Prisma itself evaluates the config file
    res = app.run(env={"PRISMA_ENTRYPOINT_SCHEMA": SCHEMA})
    assert res.returncode == 0 and len(app.calls()) == 1 and app.app_ran, str(res)
    assert GENERATED.search(res.stderr) and (app.client / app.fixture.client_file).is_file(), str(res)


def test_regenerates_when_the_client_is_gone_or_prisma_changes(app):
    app.wrap()
    first = app.assert_generated(app.run(), calls=1)
    record = snapshot(app.record)

    # the record still matches, but the client is gone (an `npm ci` wiped it)
    shutil.rmtree(app.root / "node_modules" / ".prisma")
    res = app.run()
    assert app.assert_generated(res, calls=2) == first
    assert "prisma client is current" not in res.stderr, str(res)

    # an empty client folder is no client either
    shutil.rmtree(app.client)
    app.client.mkdir()
    assert app.assert_generated(app.run(), calls=3) == first

    # only the placeholders @prisma/client's postinstall writes ("did not initialize yet")
    shutil.rmtree(app.client)
    app.client.mkdir()
    for name in ("index.js", "index.d.ts", "default.js", "default.d.ts", "edge.js", "wasm.js", "index-browser.js"):
        (app.client / name).write_text("throw new Error('@prisma/client did not initialize yet')\n")
    assert app.assert_generated(app.run(), calls=4) == first

    # a prisma upgrade (only its installed package.json changes)
    app.set_version("prisma", "6.19.4")
    res = app.run()
    bumped = app.assert_generated(res, calls=5)
    assert bumped != first and snapshot(app.record) != record
    app.assert_skipped(app.run(), bumped, calls=5)


def test_no_generate_skips_the_phase_and_force_generate_runs_it(app):
    app.wrap()
    for opts, env in [(["--no-generate"], None), ([], {"PRISMA_ENTRYPOINT_NO_GENERATE": "true"})]:
        res = app.run(*opts, env=env)
        assert res.returncode == 0, str(res)
        assert app.app_ran, str(res)
        assert app.calls() == [], f"prisma ran with no-generate\n{res}"
        assert not app.record.exists() and not (app.root / "node_modules" / ".cache").exists(), str(res)
        assert not app.client.exists(), str(res)

    digest = app.assert_generated(app.run(), calls=1)
    res = app.run("--force-generate")
    assert app.assert_generated(res, calls=2) == digest
    assert "prisma client is current" not in res.stderr, str(res)


# ---------------------------------------------------------------------------------------------
# prisma fails
# ---------------------------------------------------------------------------------------------

# An unknown field type: prisma reports a validation error (P1012). (A schema that does not parse
# at all makes prisma 6.19 fall back to the native engine and try to download it first, so its
# message depends on the network; the exit status is 1 either way.)
BAD_FIELD = "hostname Strng?"


def test_failed_generate_is_exit_80_and_warn_starts_the_app(app):
    app.wrap()
    digest = app.assert_generated(app.run(), calls=1)
    record = snapshot(app.record)
    app.edit(SCHEMA, USER_FIELD, USER_FIELD + "\n  " + BAD_FIELD)

    res = app.run()
    assert res.returncode == 80, str(res)
    assert "prisma generate failed" in res.stderr, str(res)
    both = res.stdout + res.stderr
    assert "Strng" in both and "P1012" in both, f"prisma's own error should be visible\n{res}"
    assert not app.app_ran, f"the app ran although generate failed\n{res}"
    assert len(app.calls()) == 2
    # A failed generate may have written part of the client: no record vouches for it any more.
    assert record is not None and not app.record.exists(), "a failed generate left a record"
    app.assert_no_temp_files(res)

    res = app.run("--generate-failure", "warn")
    assert res.returncode == 0, str(res)
    assert (
        "warning: PRISMA GENERATE FAILED" in res.stderr
        and "ANYWAY" in res.stderr
        and "Strng" in res.stdout + res.stderr
    ), str(res)
    assert app.app_ran, f"the app did not run with --generate-failure warn\n{res}"
    assert not app.record.exists(), "a failed generate left a record"

    res = app.run(env={"PRISMA_ENTRYPOINT_GENERATE_FAILURE": "warn"}, status=7)
    assert res.returncode == 7, f"with warn the exit status is the app's\n{res}"
    assert "warning: PRISMA GENERATE FAILED" in res.stderr and "ANYWAY" in res.stderr and app.app_ran, str(res)
    assert len(app.calls()) == 4

    # with the schema restored the client is generated again (the failed runs may have touched it)
    app.edit(SCHEMA, "\n  " + BAD_FIELD, "")
    assert app.assert_generated(app.run(), calls=5) == digest


def test_no_cli_anywhere_is_exit_78_naming_where_it_looked(app):
    (app.root / "node_modules" / ".bin" / "prisma").unlink()
    empty = app.pe.tmp / "empty-bin"
    empty.mkdir()
    res = app.run(env={"PATH": str(empty)})
    assert res.returncode == 78, str(res)
    lines = [line for line in res.stderr_lines() if "prisma CLI not found:" in line]
    assert len(lines) == 1, str(res)
    assert "node_modules/.bin/prisma" in lines[0], str(res)
    assert "PATH" in lines[0] or str(empty) in lines[0], f"the line should say PATH was searched\n{res}"
    assert not app.app_ran and not app.record.exists(), str(res)


# ---------------------------------------------------------------------------------------------
# where the CLI and node come from
# ---------------------------------------------------------------------------------------------


def test_cli_from_path_and_from_the_prisma_cli_setting(app):
    (app.root / "node_modules" / ".bin" / "prisma").unlink()
    bindir = app.pe.tmp / "bin"
    write_wrapper(bindir / "prisma", app.calls_log, real_cli(app.root))
    res = app.run(env={"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    app.assert_generated(res, calls=1)

    # the setting wins over PATH
    own_log = app.pe.tmp / "own-cli-calls.log"
    own = write_wrapper(app.pe.tmp / "tools" / "my-prisma", own_log, real_cli(app.root))
    res = app.run(
        "--prisma-cli",
        str(own),
        "--force-generate",
        env={"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
    )
    assert res.returncode == 0, str(res)
    assert len(read_calls(own_log)) == 1, f"the --prisma-cli program was not run\n{res}"
    assert len(app.calls()) == 1, f"prisma from PATH ran although --prisma-cli was given\n{res}"
    assert GENERATED.search(res.stderr) and app.app_ran, str(res)


def fake_nvm(tmp: Path) -> Path:
    """$NVM_DIR with two node versions: v20.20.2 (the real node) and v9.0.0, a node that fails.
    v9 sorts after v20 as text: the entrypoint must take the highest version, not the last name."""
    nvm = tmp / "nvm"
    good = nvm / "versions" / "node" / "v20.20.2" / "bin"
    bad = nvm / "versions" / "node" / "v9.0.0" / "bin"
    good.mkdir(parents=True)
    bad.mkdir(parents=True)
    (good / "node").symlink_to(os.path.realpath(shutil.which("node") or "/usr/bin/node"))
    (bad / "node").write_text("#!/bin/sh\necho 'fake node v9.0.0 from NVM_DIR was run' >&2\nexit 3\n")
    (bad / "node").chmod(0o755)
    return nvm


def test_node_and_the_cli_from_nvm_when_path_has_neither(app):
    nvm = fake_nvm(app.pe.tmp)
    env = {"PATH": "/nonexistent-bin", "NVM_DIR": str(nvm)}
    # npm's node_modules/.bin/prisma (#!/usr/bin/env node) with no node on PATH
    res = app.run(env=env)
    assert res.returncode == 0, str(res)
    assert "fake node v9.0.0" not in res.stderr, f"the lower nvm version was used\n{res}"
    assert GENERATED.search(res.stderr) and (app.client / "index.js").is_file(), str(res)
    assert app.record_digest() == app.hash() and app.app_ran, str(res)

    # a CLI installed globally with nvm (`npm i -g prisma`) and none in the project
    (app.root / "node_modules" / ".bin" / "prisma").unlink()
    (nvm / "versions" / "node" / "v20.20.2" / "bin" / "prisma").symlink_to(real_cli(app.root))
    shutil.rmtree(app.root / "node_modules" / ".prisma")
    res = app.run(env=env)
    assert res.returncode == 0, str(res)
    assert GENERATED.search(res.stderr) and (app.client / "index.js").is_file(), str(res)
    assert app.app_ran, str(res)


# ---------------------------------------------------------------------------------------------
# stopping during generate
# ---------------------------------------------------------------------------------------------

HANG_JS = "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300000);\n"


def sleepers(token: str) -> list:
    return [p for p in all_pids() if proc_cmdline(p) == f"sleep {token}" and pid_alive(p)]


@pytest.mark.supervisor
@pytest.mark.parametrize("ignore_term", [False, True], ids=["term", "ignores-term"])
def test_sigterm_during_generate_stops_prisma_and_its_group(app_pe, ignore_term):
    app = app_pe
    started = app.pe.tmp / "prisma-started"
    hang = app.pe.tmp / "hang.js"
    hang.write_text(HANG_JS)  # keeps the real CLI's node process busy before prisma does anything
    token = f"{random.randint(100000, 999999)}.{random.randint(1, 9)}"
    before = "trap '' TERM\n" if ignore_term else ""  # then only SIGKILL ends the background sleep
    before += f"sleep {token} &\n: > {shlex.quote(str(started))}\n"
    app.wrap(before_exec=before, node_args=["--require", str(hang)])
    p = app.start("--stop-timeout", "1s")
    wait_until(started.exists, 30, "prisma to start", p)
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 143, str(res)
    assert len(app.calls()) == 1, str(res)
    assert not app.app_ran, f"the app started after SIGTERM\n{res}"
    assert not app.record.exists(), f"a record was written for an interrupted generate\n{res}"
    app.assert_no_temp_files(res)
    assert not sleepers(token), f"prisma's background process survived\n{res}"


def test_interrupted_regenerate_of_current_inputs_is_not_skipped_next_time(app):
    """A forced generate (or one for a missing client) rewrites the output of inputs the record
    already vouches for: interrupted half-way, the next start must not trust that record."""
    started = app.pe.tmp / "prisma-started"
    app.wrap()
    first = app.assert_generated(app.run(), calls=1)
    hang = app.pe.tmp / "hang.js"
    hang.write_text(HANG_JS)
    app.wrap(before_exec=f": > {shlex.quote(str(started))}\n", node_args=["--require", str(hang)])
    p = app.start("--force-generate", "--stop-timeout", "1s")
    wait_until(started.exists, 30, "prisma to start", p)
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 143, str(res)
    assert not app.record.exists(), f"the record still vouches for an interrupted generate\n{res}"
    app.wrap()
    res = app.run()
    assert app.assert_generated(res, calls=3) == first, str(res)


def test_generate_on_a_terminal_does_not_hang(app):
    """docker run -it: the CLI runs in a process group of its own, which the kernel stops as soon as
    it touches the terminal unless that group has the terminal's foreground."""
    import pexpect

    app.wrap()
    child = app.pe.spawn_pty(app.args(), env=app.env(), seconds=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert len(app.calls()) == 1 and app.app_ran, child.before
    assert "prisma client generated" in child.before, child.before


def test_a_cli_that_cannot_be_executed_is_a_config_error_not_a_failed_generate(app):
    bad = app.pe.tmp / "not-a-program"
    bad.write_bytes(b"\x7fELF but not really\n")
    bad.chmod(0o755)
    res = app.run("--prisma-cli", str(bad), "--generate-failure", "warn")
    assert res.returncode == 78, str(res)
    assert "cannot run the prisma CLI" in res.stderr and "not-a-program" in res.stderr, str(res)
    assert not app.app_ran, f"generate-failure=warn is for prisma's failures, not a broken CLI\n{res}"


def test_a_local_cli_that_is_not_executable_is_named(app):
    local = app.root / "node_modules" / ".bin" / "prisma"
    target = local.resolve()
    local.unlink()
    shutil.copy(target, local)
    local.chmod(0o644)
    res = app.run()
    assert res.returncode == 78, str(res)
    assert "node_modules/.bin/prisma exists but is not executable" in res.stderr, str(res)


# ---------------------------------------------------------------------------------------------
# two starts at once
# ---------------------------------------------------------------------------------------------


def test_concurrent_starts_generate_once(app):
    started = app.pe.tmp / "prisma-started"
    go = app.pe.tmp / "go"
    # prisma waits for `go`, so that the second start certainly finds the lock taken
    q = shlex.quote
    app.wrap(before_exec=f": > {q(str(started))}\nwhile [ ! -e {q(str(go))} ]; do sleep 0.02; done\n")
    logs = [app.pe.tmp / "a.stderr", app.pe.tmp / "b.stderr"]

    def to(log):
        return lambda argv: ["/bin/sh", "-c", 'exec "$@" 2>"$0"', str(log), *argv]

    procs = [app.start(argv=to(log)) for log in logs]
    wait_until(started.exists, 30, "one of the starts to run prisma", procs[0])
    wait_until(
        lambda: any("waiting" in log.read_text() for log in logs if log.exists()),
        30,
        "the other start to say it is waiting for the lock",
    )
    go.touch()
    results = [p.wait(60) for p in procs]
    errs = [log.read_text() for log in logs]
    detail = "\n".join(f"{r}\nstderr file: {e!r}" for r, e in zip(results, errs))
    for e in errs:
        assert not SANITIZER_REPORT.search(e), detail
    assert [r.returncode for r in results] == [0, 0], detail
    assert len(app.calls()) == 1, f"prisma ran {len(app.calls())} times\n{detail}"
    waiter = [e for e in errs if "generated by another process" in e]
    assert len(waiter) == 1, f"one start should report 'generated by another process'\n{detail}"
    assert "waiting" in waiter[0], detail
    assert len([e for e in errs if GENERATED.search(e)]) == 1, detail
    assert app.record_digest() == app.hash()
    app.assert_no_temp_files(detail)


# ---------------------------------------------------------------------------------------------
# the record cannot be written
# ---------------------------------------------------------------------------------------------

_mount_ns_ok = None


def mount_ns_works() -> bool:
    global _mount_ns_ok
    if _mount_ns_ok is None:
        try:
            p = subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, timeout=30
            )
            _mount_ns_ok = p.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _mount_ns_ok = False
    return _mount_ns_ok


def read_only(folder: Path, writable_file: tuple | None = None):
    """argv transformer: run the binary in a private mount namespace where `folder` is a read-only
    bind mount of itself, and optionally (source, target) a writable file bind-mounted inside it."""
    script = 'mount --bind -o ro "$0" "$0" || exit 90\n'
    extra = []
    if writable_file:
        script += 'mount --bind "$1" "$2" || exit 91\nshift 2\n'
        extra = [str(writable_file[0]), str(writable_file[1])]
    script += 'exec "$@"'

    def argv(inner):
        return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, str(folder), *extra, *inner]

    return argv


def assert_record_error(app, res):
    assert res.returncode == 73, str(res)
    lines = [line for line in res.stderr_lines() if "generate record" in line]
    assert len(lines) == 1 and "error" in lines[0], f"one error line about the generate record expected\n{res}"
    assert not app.app_ran, f"the app ran although the record cannot be written\n{res}"


def need_mount_ns():
    if not mount_ns_works():
        pytest.skip("cannot create a mount namespace here (`unshare --mount --propagation private true` failed)")


def test_read_only_record_folder_is_exit_73_before_prisma_runs(app):
    need_mount_ns()
    folder = app.root / "ro-record"
    folder.mkdir()
    app.wrap()
    p = app.start("--generate-record", "ro-record/generate-record", argv=read_only(folder))
    res = p.wait()
    assert_record_error(app, res)
    assert app.calls() == [], f"prisma ran although the lock cannot be created\n{res}"
    assert list(folder.iterdir()) == [], str(res)


def test_record_folder_that_is_a_file_is_exit_73(app):
    blocker = app.root / "not-a-folder"
    blocker.write_text("a file where the record's folder should be\n")
    app.wrap()
    top = sorted(p.name for p in app.root.iterdir())
    res = app.run("--generate-record", str(blocker / "generate-record"))
    assert_record_error(app, res)
    assert app.calls() == [], f"prisma ran although the lock cannot be created\n{res}"
    assert blocker.read_text() == "a file where the record's folder should be\n"
    assert sorted(p.name for p in app.root.iterdir()) == top, str(res)


def test_record_that_cannot_be_replaced_is_exit_73(app):
    # the lock works (a writable file mounted over ro-record/generate-record.lock), but no temp file
    # can be created next to the record
    need_mount_ns()
    folder = app.root / "ro-record"
    folder.mkdir()
    (folder / "generate-record.lock").touch()
    lock_source = app.pe.tmp / "lock-source"
    lock_source.touch()
    app.wrap()
    p = app.start(
        "--generate-record",
        str(folder / "generate-record"),
        argv=read_only(folder, (lock_source, folder / "generate-record.lock")),
    )
    res = p.wait()
    assert_record_error(app, res)
    assert len(app.calls()) <= 1, str(res)
    assert sorted(e.name for e in folder.iterdir()) == ["generate-record.lock"], str(res)


# ---------------------------------------------------------------------------------------------
# hash --check, output prefix, no schema
# ---------------------------------------------------------------------------------------------


def test_hash_check_says_whether_the_client_is_current(app):
    app.wrap()
    res = app.check()
    assert res.returncode == 1 and "stale:" in res.stdout + res.stderr, str(res)
    digest = app.assert_generated(app.run(), calls=1)

    res = app.check()
    assert res.returncode == 0 and f"current {digest}" in res.stdout, str(res)

    app.edit(SCHEMA, USER_FIELD, USER_FIELD + "\n  hostname String?")
    res = app.check()
    assert res.returncode == 1 and "stale:" in res.stdout + res.stderr, str(res)
    app.edit(SCHEMA, "\n  hostname String?", "")
    res = app.check()
    assert res.returncode == 0 and f"current {digest}" in res.stdout, str(res)

    shutil.rmtree(app.root / "node_modules" / ".prisma")
    res = app.check()
    assert res.returncode == 1 and "stale:" in res.stdout + res.stderr, str(res)
    assert len(app.calls()) == 1, "hash --check ran prisma"


def test_hash_check_without_a_schema_is_a_config_error(pe_plain):
    res = pe_plain.run(["hash", "--check"])
    assert res.returncode == 78, str(res)


def test_output_prefix_marks_every_line_of_prisma(app):
    prefix = "[prisma] "
    app.wrap()
    res = app.run("--prisma-output-prefix", prefix)
    app.assert_generated(res, calls=1)
    out = res.stdout.splitlines()
    assert any(line.startswith(prefix) and "Generated Prisma Client" in line for line in out), str(res)
    bare = [line for line in out if not line.startswith(prefix.rstrip())]
    assert not bare, f"stdout lines without the prefix: {bare}\n{res}"
    err = res.stderr.splitlines()
    assert any(line.startswith(prefix) for line in err), f"prisma's stderr lines carry no prefix\n{res}"
    bare = [line for line in err if not line.startswith((prefix.rstrip(), "prisma-entrypoint:"))]
    assert not bare, f"stderr lines that are neither ours nor prefixed: {bare}\n{res}"


def split_line_around_our_log(app, err_log: Path) -> str:
    """Wrapper code: prisma's stderr gets "abc" without a newline; once the entrypoint's stderr (the
    file err_log) has it in text mode, a SIGUSR1 makes the entrypoint log a line (-vv: "ignoring SIGUSR1
    while the prisma CLI runs"), and once that line is there, the line's rest "def" follows; then the
    real CLI runs. (JSON mode holds "abc" back until its line is whole: no wait for it there.)"""
    q = shlex.quote(str(err_log))
    return (
        "printf abc >&2\n"
        f'if [ -z "$JSON" ]; then while ! grep -q abc {q}; do sleep 0.01; done; fi\n'
        "kill -USR1 $PPID\n"
        f"while ! grep -q 'ignoring SIGUSR1' {q}; do sleep 0.01; done\n"
        "printf 'def\\n' >&2\n"
    )


def test_our_lines_never_continue_a_line_of_prisma(app):
    err_log = app.pe.tmp / "stderr"
    app.wrap(before_exec=split_line_around_our_log(app, err_log))
    res = app.pe.start(app.args("-vv"), env=app.env(), stderr_path=err_log).wait(60)
    app.assert_generated(res, calls=1)
    lines = res.stderr.splitlines()
    ours = [line for line in lines if "prisma-entrypoint" in line]
    assert all(line.startswith("prisma-entrypoint: ") for line in ours), f"a line of ours mid-line\n{res}"
    assert "abc" in lines and "def" in lines, f"prisma's line was not ended before ours\n{res}"
    assert lines.index("abc") < lines.index("def"), str(res)
    between = lines[lines.index("abc") + 1 : lines.index("def")]
    assert any("ignoring SIGUSR1" in line for line in between), str(res)


def test_json_log_format_makes_every_line_of_prisma_an_object(app):
    err_log = app.pe.tmp / "stderr"
    app.wrap(before_exec=split_line_around_our_log(app, err_log))
    res = app.pe.start(app.args("-vv", "--log-format", "json"), env=app.env({"JSON": "1"}), stderr_path=err_log).wait(
        60
    )
    assert res.returncode == 0, str(res)
    assert app.app_ran, str(res)
    objects = {"stderr": [], "stdout": []}
    for stream, text in (("stderr", res.stderr), ("stdout", res.stdout)):
        for line in text.splitlines():
            try:
                objects[stream].append(json.loads(line))
            except ValueError:
                raise AssertionError(f"{stream} line is not JSON: {line!r}\n{res}") from None
    relayed = [o for o in objects["stderr"] + objects["stdout"] if o.get("source") == "prisma"]
    ours = [o for o in objects["stderr"] if "source" not in o]
    assert all(set(o) == {"time", "level", "source", "msg"} for o in relayed), relayed
    assert any("ignoring SIGUSR1" in o["msg"] for o in ours), str(res)
    # the line split around ours is one object, whole
    assert [o["msg"] for o in relayed if o["msg"].startswith("abc")] == ["abcdef"], str(res)
    assert any("Generated Prisma Client" in o["msg"] for o in relayed), str(res)


def test_no_schema_skips_generate_and_starts_the_app(pe_plain):
    log = pe_plain.tmp / "prisma-calls.log"
    bindir = pe_plain.tmp / "bin"
    write_wrapper(bindir / "prisma", log, Path("/nonexistent/prisma/build/index.js"))
    marker = pe_plain.tmp / "app-ran"
    res = pe_plain.run(
        ["--no-wait", "--", "/bin/sh", "-c", 'echo ran > "$0"', str(marker)],
        env={**BASE_ENV, "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
    )
    assert res.returncode == 0, str(res)
    assert "no Prisma schema found: generate skipped" in res.stderr, str(res)
    assert marker.exists(), str(res)
    assert read_calls(log) == [], str(res)
    assert list(pe_plain.cwd.iterdir()) == [], f"files written in the working directory\n{res}"


# ---------------------------------------------------------------------------------------------
# an interrupted generate, at random instants, is never taken for current
# ---------------------------------------------------------------------------------------------


def finish_orphans(app, seconds: float = 60):
    """Let a prisma orphaned by a killed entrypoint finish writing (it was re-parented to pytest, a
    subreaper), and reap it, so that the next start sees what an orphan really leaves."""
    deadline = time.monotonic() + seconds

    def orphans():
        return [k for k in children_of(os.getpid()) if k not in app.pe.exclude | app.pe.own_pids()]

    while orphans():
        for kid in orphans():
            try:
                os.waitpid(kid, os.WNOHANG)
            except ChildProcessError:
                pass
        assert time.monotonic() < deadline, f"orphans still running after {seconds} s: {orphans()}"
        time.sleep(0.05)


def interrupt(p, mode: str):
    """Stop a start: SIGKILL the entrypoint alone (prisma goes on as an orphan), SIGKILL it and the
    CLI's process group, or SIGTERM it (it stops prisma's group itself)."""
    ep = p.epid()
    groups = {os.getpgid(k) for k in children_of(ep) if pid_alive(k)}
    if mode == "term":
        os.kill(ep, signal.SIGTERM)
        return
    os.kill(ep, signal.SIGKILL)
    if mode == "kill-group":
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.parametrize("mode", ["kill-entrypoint", "kill-group", "term"])
def test_an_interrupted_generate_is_never_taken_for_current(app, mode):
    """Issue 10's driver: a generate for a new schema is interrupted at a random instant (uniform
    over a whole generate, and in its last 120 ms, while files are written), then the schema is put
    back. The next start must leave a client that matches the schema on disk, whatever the
    interruption left behind."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    schema = app.root / SCHEMA
    original = schema.read_text()
    changed = original + "\nmodel Post {\n  id    Int    @id @default(autoincrement())\n  title String\n}\n"
    assert app.run().returncode == 0
    schema.write_text(changed)
    res = app.run()
    assert res.returncode == 0 and app.has_model("Post"), str(res)
    full = res.elapsed  # one whole start that generates
    schema.write_text(original)
    assert app.run().returncode == 0 and not app.has_model("Post")

    for trial in range(4):
        late = trial % 2 == 1
        delay = max(0.0, full - rng.uniform(0.0, 0.12)) if late else rng.uniform(0.05, full)
        schema.write_text(changed)
        p = app.start()
        time.sleep(delay)
        if p.popen.poll() is None:
            interrupt(p, mode)
        p.wait(60)
        finish_orphans(app)
        schema.write_text(original)
        res = app.run()
        what = f"seed {seed}, trial {trial}, {mode} after {delay:.3f} s of {full:.3f} s"
        assert res.returncode == 0, f"{what}\n{res}"
        assert not app.has_model("Post"), f"{what}: the client still has the interrupted schema's model\n{res}"
        copied = app.client / "schema.prisma"
        assert copied.read_text() == original, f"{what}: the client was generated from another schema\n{res}"


@pytest.mark.parametrize("record", ["fifo", "/dev/zero", "/proc/self/fd/1"])
def test_a_record_that_is_not_a_regular_file_is_exit_73_at_once(pe_plain, record):
    """A FIFO waited for a writer forever, /dev/zero was read forever, and /proc/self/fd/1 (stdout,
    a pipe here) blocked: each is refused before anything is read from it."""
    (pe_plain.cwd / "prisma").mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "app" / SCHEMA, pe_plain.cwd / SCHEMA)
    if record == "fifo":
        os.mkfifo(pe_plain.cwd / "fifo")
    res = pe_plain.run(["--no-wait", "--generate-record", record, "--", "true"], seconds=10)
    assert res.returncode == 73, str(res)
    assert f"the generate record {record} is not a regular file" in res.stderr, str(res)
    assert res.elapsed < timeout(2.0), str(res)


# ---------------------------------------------------------------------------------------------
# what the schema lookup reads: regular files only, bounded, and a stop request honoured at once
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where,kind",
    [
        ("package.json", "fifo"),
        ("package.json", "/dev/zero"),
        ("node_modules/prisma/package.json", "/proc/self/fd/1"),
        ("prisma/schema.prisma", "fifo"),
    ],
)
def test_schema_lookup_refuses_what_is_not_a_regular_file(pe_plain, where, kind):
    """A FIFO in package.json's place kept the start waiting for a writer, /dev/zero was read until
    memory ran out, and stdout (a pipe) blocked: each is refused before it is read, one line, 78."""
    (pe_plain.cwd / "prisma").mkdir()
    if where != SCHEMA:
        shutil.copy(REPO / "tests" / "fixtures" / "app" / SCHEMA, pe_plain.cwd / SCHEMA)
    target = pe_plain.cwd / where
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to(kind)
    args = ["--no-wait", "--", "true"]
    if where == SCHEMA:  # a default location that is no file is passed over; a configured one is not
        args = ["--schema", SCHEMA] + args
    res = pe_plain.run(args, env=BASE_ENV, seconds=10)
    assert res.returncode == 78, str(res)
    expected = (
        f"the schema {SCHEMA} (from the schema setting) is neither a file nor a folder"
        if where == SCHEMA
        else f"cannot read {where}: not a regular file"
    )
    assert res.stderr_lines() == [f"prisma-entrypoint: error: {expected}"], str(res)
    assert res.elapsed < timeout(2.0), str(res)


def test_a_schema_file_over_16_mib_is_refused_before_it_is_read(pe_plain):
    (pe_plain.cwd / "prisma").mkdir()
    schema = pe_plain.cwd / SCHEMA
    shutil.copy(REPO / "tests" / "fixtures" / "app" / SCHEMA, schema)
    os.truncate(schema, 16 * 1024 * 1024 + 1)  # sparse: nothing is written
    res = pe_plain.run(["--no-wait", "--", "true"], env=BASE_ENV, seconds=10)
    assert res.returncode == 78, str(res)
    assert res.stderr_lines() == [
        f"prisma-entrypoint: error: cannot read {SCHEMA}: 16777217 bytes, more than the "
        "16 MiB prisma-entrypoint reads"
    ], str(res)


def reads_under(pid: int, folder: str) -> bool:
    """Whether process pid has a folder under folder open (the schema walk is there). Folders only:
    while the binary is still being loaded, the dynamic loader has libraries under /usr/lib open,
    before the entrypoint has set up its signal handling."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for name in names:
        try:
            fd_path = f"/proc/{pid}/fd/{name}"
            if os.readlink(fd_path).startswith(folder + "/") and stat.S_ISDIR(os.stat(fd_path).st_mode):
                return True
        except OSError:
            pass
    return False


@pytest.mark.parametrize("command", ["run", "run-no-generate", "hash"])
def test_sigterm_during_a_long_schema_walk_stops_it(pe_plain, command):
    """The schema setting names a folder that links to /usr: a walk of every file there takes
    seconds and ends with "holds no .prisma file". SIGTERM in the middle of it used to wait for
    that end; now the walk stops at the next file (within 100 ms: tests/bench/stop.py measures)."""
    (pe_plain.cwd / "schema").mkdir()
    (pe_plain.cwd / "schema" / "usr").symlink_to("/usr")
    args = {
        "run": ["--no-wait", "--", "true"],
        "run-no-generate": ["--no-wait", "--no-generate", "--", "true"],
        "hash": ["hash"],
    }[command]
    env = {**BASE_ENV, "PRISMA_ENTRYPOINT_SCHEMA": "schema"}
    if command == "run-no-generate":  # the migrate phase looks for the schema itself
        env["PRISMA_ENTRYPOINT_NO_MIGRATE"] = None
    p = pe_plain.start(args, env=env)
    # run walks in the phases' child, hash in the entrypoint itself
    walkers = lambda: [p.epid(), *children_of(p.epid())]  # noqa: E731
    wait_until(lambda: any(reads_under(pid, "/usr") for pid in walkers()), timeout(30), "the walk under /usr", p)
    p.signal(signal.SIGTERM)
    res = p.wait(30)
    assert res.returncode == 128 + signal.SIGTERM, str(res)
    assert res.stderr_lines() == ["prisma-entrypoint: stopped by SIGTERM while looking for the prisma schema"], str(res)
