"""`prisma-entrypoint hash`: the digest of what changes the generated Prisma client, and the files it
covers, from a copy of tests/fixtures/app (no npm install needed: versions come from
node_modules/*/package.json, written here by hand)."""

import json
import re
import shutil

import pytest

from conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "app"


@pytest.fixture
def app(pe_plain):
    """A copy of the fixture app as the working directory."""
    root = pe_plain.path(".")
    for item in FIXTURE.iterdir():
        if item.name == "node_modules":
            continue
        if item.is_dir():
            shutil.copytree(item, root / item.name)
        else:
            shutil.copy2(item, root / item.name)
    return root


def install(root, package, version):
    folder = root / "node_modules" / package
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": package, "version": version}))


def hash_of(pe, *args):
    res = pe.run(["hash", *args])
    assert res.returncode == 0, str(res)
    digest = res.stdout.splitlines()[0]
    assert re.fullmatch(r"[0-9a-f]{64}", digest), res.stdout
    return digest, res.stdout


def test_hash_names_the_schema_the_config_and_the_versions(pe_plain, app):
    install(app, "prisma", "6.19.3")
    install(app, "@prisma/client", "6.19.3")
    _, out = hash_of(pe_plain)
    assert "schema prisma/schema.prisma (found by prisma.config.ts)" in out, out
    assert "file prisma/schema.prisma" in out, out
    assert "config prisma.config.ts" in out, out
    assert "prisma 6.19.3" in out and "@prisma/client 6.19.3" in out, out
    assert "client output node_modules/.prisma/client" in out, out


def test_hash_is_stable_and_ignores_unrelated_files(pe_plain, app):
    first, _ = hash_of(pe_plain)
    (app / "server.js").write_text("// edited\n")
    (app / "prisma" / "notes.txt").write_text("not a schema\n")
    assert hash_of(pe_plain)[0] == first


def test_hash_changes_with_the_schema_the_config_and_the_versions(pe_plain, app):
    install(app, "prisma", "6.19.3")
    install(app, "@prisma/client", "6.19.3")
    seen = {hash_of(pe_plain)[0]}
    schema = app / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("name  String?", "name  String?\n  hostname String?"))
    seen.add(hash_of(pe_plain)[0])
    config = app / "prisma.config.ts"
    config.write_text(config.read_text() + "\n// a comment changes the config's bytes\n")
    seen.add(hash_of(pe_plain)[0])
    install(app, "prisma", "6.19.4")
    seen.add(hash_of(pe_plain)[0])
    install(app, "@prisma/client", "6.19.4")
    seen.add(hash_of(pe_plain)[0])
    assert len(seen) == 5, "each change should give a new digest"


def test_hash_covers_every_file_of_a_schema_folder(pe_plain, app):
    folder = app / "schema"
    (folder / "models").mkdir(parents=True)
    shutil.move(str(app / "prisma" / "schema.prisma"), folder / "main.prisma")
    (folder / "models" / "post.prisma").write_text("model Post {\n  id Int @id\n}\n")
    (app / "prisma.config.ts").unlink()
    _, out = hash_of(pe_plain, "--schema", "schema")
    assert "file schema/main.prisma" in out and "file schema/models/post.prisma" in out, out
    assert "found by the schema setting" in out, out


def test_configured_schema_that_does_not_exist_is_a_config_error(pe_plain, app):
    res = pe_plain.run(["hash", "--schema", "nope/schema.prisma"])
    assert res.returncode == 78, str(res)
    assert "nope/schema.prisma" in res.stderr, str(res)


def test_computed_schema_path_in_the_config_needs_the_setting(pe_plain, app):
    (app / "prisma.config.ts").write_text(
        'import path from "node:path";\nexport default { schema: path.join("prisma", "schema.prisma") };\n'
    )
    res = pe_plain.run(["hash"])
    assert res.returncode == 78, str(res)
    assert "schema" in res.stderr and "plain string" in res.stderr, str(res)


def test_no_schema_anywhere_is_a_config_error(pe_plain):
    res = pe_plain.run(["hash"])
    assert res.returncode == 78, str(res)
    assert "no Prisma schema" in res.stderr, str(res)
