"""This platform's native Prisma engine (Prisma 6 with engineType "library"): a client generated
on another platform is generated again, or, with no-generate, stops the start with the
binaryTargets entry to add; a client with no native engine (engineType "client") is not looked at.

This machine is Debian x86-64 with OpenSSL 3: its target is debian-openssl-3.0.x. Prisma's real
engines cannot be downloaded here, so every engine file is a stand-in of a few bytes: the real
`prisma generate` (6.19, engineType "library") copies the file PRISMA_QUERY_ENGINE_LIBRARY names
into the generated client instead of downloading one. That variable is set by the recording wrapper
for the CLI only (the entrypoint never sees it), so what the entrypoint judges is the folder.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from npm_app import remove_node_modules
from test_generate import App, make_app

TARGET = "debian-openssl-3.0.x"
OTHER = "linux-musl-openssl-3.0.x"
SCHEMA = "prisma/schema.prisma"
LIBRARY = 'engineType      = "library"'
CLIENT = 'engineType      = "client"'


def engine_name(target: str) -> str:
    return f"libquery_engine-{target}.so.node"


def binary_targets_line(target: str) -> str:
    return f'binaryTargets = ["native", "{target}"]'


@pytest.fixture
def app(pe_plain, npm_node_modules):
    a = make_app(pe_plain, npm_node_modules)
    yield a
    remove_node_modules(a.root)


def use_library_engine(app: App, provided: str = TARGET) -> Path:
    """engineType "library" in the schema, and a wrapper whose prisma generate copies a stand-in
    engine for `provided` into the client (as it would copy a downloaded one). Returns the file."""
    if CLIENT in (app.root / SCHEMA).read_text():
        app.edit(SCHEMA, CLIENT, LIBRARY)
    stand_in = app.pe.tmp / "engines" / engine_name(provided)
    stand_in.parent.mkdir(exist_ok=True)
    stand_in.write_bytes(b"not a real engine\n")
    app.wrap(before_exec=f"export PRISMA_QUERY_ENGINE_LIBRARY='{stand_in}'")
    return stand_in


def as_if_generated_elsewhere(app: App):
    """The client folder holds another platform's engine instead of this one's."""
    (app.client / engine_name(TARGET)).unlink()
    (app.client / engine_name(OTHER)).write_bytes(b"another platform's engine\n")


def test_a_library_client_is_generated_with_this_platforms_engine_and_then_skipped(app):
    use_library_engine(app)
    res = app.run()
    digest = app.assert_generated(res, calls=1)
    assert (app.client / engine_name(TARGET)).is_file(), sorted(p.name for p in app.client.iterdir())
    # current, with its engine there: no prisma, no Node
    res = app.run()
    app.assert_skipped(res, digest, calls=1)


def test_a_client_with_another_platforms_engine_is_generated_again(app):
    use_library_engine(app)
    app.assert_generated(app.run(), calls=1)
    as_if_generated_elsewhere(app)
    res = app.run()
    assert res.returncode == 0, str(res)
    assert len(app.calls()) == 2, f"prisma generate did not run again: {app.calls()}\n{res}"
    assert re.search(
        rf"generating the prisma client: the generated client at node_modules/\.prisma/client has no query engine "
        rf"for this platform, {re.escape(TARGET)} \(.*{re.escape(engine_name(TARGET))} is missing\)",
        res.stderr,
    ), str(res)
    assert (app.client / engine_name(TARGET)).is_file()
    assert app.app_ran, str(res)


def test_the_target_joins_the_digest_only_for_a_client_with_a_native_engine(app):
    plain = app.hash()
    res = app.pe.run(["hash"], env=app.env())
    assert "engine client (no native engine)" in res.stdout, str(res)
    assert f"target {TARGET}, not an input" in res.stdout, str(res)
    # the same inputs with the library engine (PRISMA_CLIENT_ENGINE_TYPE decides, as in Prisma)
    res = app.pe.run(["hash"], env=app.env({"PRISMA_CLIENT_ENGINE_TYPE": "library"}))
    assert res.returncode == 0, str(res)
    assert "engine library" in res.stdout and f"target {TARGET} (libssl 3.0.x" in res.stdout, str(res)
    assert res.stdout.splitlines()[0] != plain, "the platform is not part of a library client's digest"


def test_no_generate_stops_before_the_app_and_names_the_binary_targets_entry(app):
    use_library_engine(app)
    app.assert_generated(app.run(), calls=1)
    as_if_generated_elsewhere(app)
    res = app.run("--no-generate")
    assert res.returncode == 80, str(res)
    assert not app.app_ran, str(res)
    assert len(app.calls()) == 1, f"prisma ran with no-generate: {app.calls()}"
    errors = [x for x in res.stderr.splitlines() if "has no query engine for this platform" in x]
    assert len(errors) == 1, str(res)
    assert binary_targets_line(TARGET) in errors[0], errors[0]
    assert f'Prisma Client could not locate the Query Engine for runtime "{TARGET}";' in errors[0], errors[0]
    assert f"it holds {OTHER}" in errors[0], errors[0]
    # hash --check and the engine line of status say the same
    res = app.check()
    assert res.returncode == 1 and "has no query engine for this platform" in res.stdout, str(res)


def test_no_generate_with_this_platforms_engine_starts_the_app(app):
    use_library_engine(app)
    app.assert_generated(app.run(), calls=1)
    res = app.run("--no-generate")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert len(app.calls()) == 1


def test_no_generate_passes_a_client_with_no_engine_at_all(app):
    # generated with --no-engine (Accelerate), or never generated: nothing says which platform it was for
    use_library_engine(app)
    app.assert_generated(app.run(), calls=1)
    (app.client / engine_name(TARGET)).unlink()
    res = app.run("--no-generate")
    assert res.returncode == 0 and app.app_ran, str(res)
    shutil.rmtree(app.client)
    res = app.run("--no-generate")
    assert res.returncode == 0 and app.app_ran, str(res)


def test_an_override_that_exists_counts_as_present(app):
    stand_in = use_library_engine(app)
    app.assert_generated(app.run(), calls=1)
    as_if_generated_elsewhere(app)
    res = app.run("--no-generate", env={"PRISMA_QUERY_ENGINE_LIBRARY": str(stand_in)})
    assert res.returncode == 0 and app.app_ran, str(res)
    res = app.run("--no-generate", env={"PRISMA_QUERY_ENGINE_LIBRARY": str(stand_in) + ".gone"})
    assert res.returncode == 80 and not app.app_ran, str(res)


def test_a_generate_that_leaves_no_engine_for_this_platform_fails_without_a_record(app):
    # binaryTargets without this platform: generate succeeds with another platform's engine only
    use_library_engine(app, provided=OTHER)
    res = app.run()
    assert res.returncode == 80, str(res)
    assert len(app.calls()) == 1, str(res)
    assert "prisma generate ran, but the generated Prisma client" in res.stderr, str(res)
    assert binary_targets_line(TARGET) in res.stderr, str(res)
    assert not app.record.exists(), "a record vouches for a client that cannot run here"
    assert not app.app_ran, str(res)


def as_alpine(app: App):
    """argv= for App.start(): the binary in a mount namespace of its own whose /etc/os-release says
    Alpine (the library folders stay Debian's: libssl.so.3 is then found through ld.so.cache, as
    Prisma's ldconfig step finds it), so it names this platform linux-musl-openssl-3.0.x."""
    os_release = app.pe.tmp / "os-release-alpine"
    os_release.write_text('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n')
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/os-release', str(os_release)], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here (unshare -m: {probe.stderr.decode().strip()})")
    return (
        lambda argv: ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/os-release && exec "$@"', str(os_release)]
        + argv
    )


def test_a_client_generated_in_a_debian_stage_on_an_alpine_base(app):
    """The issue's own case: generated in a Debian build stage, run on Alpine."""
    use_library_engine(app)
    app.assert_generated(app.run(), calls=1)
    alpine = as_alpine(app)
    res = app.start("--no-generate", argv=alpine).wait(60)
    assert res.returncode == 80 and not app.app_ran, str(res)
    assert f"no query engine for this platform, {OTHER}" in res.stderr, str(res)
    assert f"it holds {TARGET}" in res.stderr and binary_targets_line(OTHER) in res.stderr, str(res)
    # generate on: the platform is one of the inputs, so the client is generated again, here with
    # the engine binaryTargets = ["native", ...] gives it
    use_library_engine(app, provided=OTHER)
    res = app.start(argv=alpine).wait(60)
    assert res.returncode == 0 and app.app_ran, str(res)
    assert len(app.calls()) == 2, str(res)
    assert "generating the prisma client: the inputs changed since the last generate" in res.stderr, str(res)
    assert (app.client / engine_name(OTHER)).is_file()


def test_a_client_with_no_native_engine_is_not_looked_at(app):
    app.wrap()
    app.assert_generated(app.run(), calls=1)
    # another platform's engine file lying about changes nothing for engineType "client"
    (app.client / engine_name(OTHER)).write_bytes(b"x\n")
    res = app.run("--no-generate")
    assert res.returncode == 0 and app.app_ran, str(res)
    res = app.run()
    assert res.returncode == 0 and "generate skipped" in res.stderr, str(res)
    assert len(app.calls()) == 1, str(res)


# ---------------------------------------------------------------------------------------------
# the CLI's schema engine, before a deploy
# ---------------------------------------------------------------------------------------------

SCHEMA_ENGINE_WARNING = "the Prisma CLI has no schema engine for this platform"


@pytest.fixture
def mig_app(pe_plain, pg, npm_node_modules):
    import test_migrate as mig
    from npm_app import copy_app

    a = mig.App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg, mig.new_database(pg))
    yield a
    remove_node_modules(a.root)


def test_a_deploy_warns_when_the_cli_holds_only_another_platforms_schema_engine(mig_app):
    engines = mig_app.root / "node_modules" / "@prisma" / "engines"
    (engines / f"schema-engine-{OTHER}").write_bytes(b"another platform's engine\n")
    res = mig_app.run()
    # the fixture's CLI runs the schema engine as WebAssembly (engine "js"), so the deploy still works
    assert res.returncode == 0 and mig_app.app_ran, str(res)
    assert len(mig_app.deploys()) == 1, str(res)
    warnings = [x for x in res.stderr.splitlines() if SCHEMA_ENGINE_WARNING in x]
    assert len(warnings) == 1, str(res)
    assert f"{TARGET} (node_modules/@prisma/engines/schema-engine-{TARGET} is missing" in warnings[0], warnings[0]
    assert "PRISMA_SCHEMA_ENGINE_BINARY" in warnings[0], warnings[0]


def test_a_deploy_does_not_warn_with_this_platforms_schema_engine_or_none_at_all(mig_app):
    engines = mig_app.root / "node_modules" / "@prisma" / "engines"
    mig_app.add_migration("20270101000000_add_age", 'ALTER TABLE "User" ADD COLUMN "age" INTEGER;\n')
    res = mig_app.run()  # no native schema engine at all: nothing to compare
    assert res.returncode == 0 and len(mig_app.deploys()) == 1, str(res)
    assert SCHEMA_ENGINE_WARNING not in res.stderr, str(res)
    (engines / f"schema-engine-{OTHER}").write_bytes(b"x\n")
    (engines / f"schema-engine-{TARGET}").write_bytes(b"x\n")
    mig_app.add_migration("20270102000000_add_city", 'ALTER TABLE "User" ADD COLUMN "city" TEXT;\n')
    res = mig_app.run()
    assert res.returncode == 0 and len(mig_app.deploys()) == 2, str(res)
    assert SCHEMA_ENGINE_WARNING not in res.stderr, str(res)


def test_no_generate_with_a_schema_it_cannot_read_still_starts_the_app(app):
    # no-generate never needed the schema: one it cannot find only means no engine to look at
    app.set_config_schema('" + "prisma/schema.prisma')  # a computed path: not readable without Node
    res = app.run("--no-generate")
    assert res.returncode == 0 and app.app_ran, str(res)
    assert "error" not in res.stderr, str(res)
