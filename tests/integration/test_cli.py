"""Command line: version, help, help topics, `run` implicit and explicit, `--`, no CMD (64), and
the README blocks generated from `help --markdown` (a drift test)."""

import os
import re
import subprocess

import pytest

from conftest import BIN, REPO, is_static

SETTINGS = [
    "config",
    "log-level",
    "log-format",
    "stop-timeout",
    "signal-target",
    "exec",
    "database-url",
    "wait",
    "no-wait",
    "wait-timeout",
    "attempt-timeout",
    "backoff-max",
    "http-status",
    "http-ca-file",
    "http-insecure",
    "schema",
    "prisma-cli",
    "prisma-output-prefix",
    "no-generate",
    "force-generate",
    "generate-record",
    "generate-failure",
    "install",
    "no-migrate",
    "migrate-mode",
    "unknown-migrations",
    "migrations",
]


# ---------------------------------------------------------------------------------------------
# version and help
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["version"]], ids=" ".join)
def test_version(pe_plain, args):
    res = pe_plain.run(args)
    assert res.returncode == 0, str(res)
    lines = res.stdout.splitlines()
    assert len(lines) == 1 and "prisma-entrypoint" in lines[0] and re.search(r"\d+\.\d+", lines[0]), str(res)


def test_version_forms_agree(pe_plain):
    assert pe_plain.run(["--version"]).stdout == pe_plain.run(["version"]).stdout


@pytest.mark.parametrize("args", [["version", "-v"], ["-v", "version"], ["version", "--verbose"]], ids=" ".join)
def test_version_verbose_names_the_build_and_each_library(pe_plain, args):
    res = pe_plain.run(args)
    assert res.returncode == 0, str(res)
    lines = res.stdout.splitlines()
    static = is_static(BIN)
    assert lines[1].startswith("build: static (musl)" if static else "build: dynamic"), str(res)
    assert re.fullmatch(r"libpq: libpq \d+\.\d+", lines[2]), str(res)
    assert re.fullmatch(r"libcurl: libcurl/\d+\.\d+\.\d+ OpenSSL/3\S*( .*)?", lines[3]), str(res)
    assert re.fullmatch(r"libcrypto: OpenSSL 3\.\S+ .*", lines[4]), str(res)
    assert len(lines) == 5, str(res)


def test_version_takes_no_other_argument(pe_plain):
    res = pe_plain.run(["version", "--libraries"])
    assert res.returncode == 64, str(res)
    assert "version: unexpected argument '--libraries' (it takes only -v)" in res.stderr, str(res)


@pytest.mark.skipif(is_static(BIN), reason="the static build loads nothing")
def test_version_verbose_says_which_library_cannot_be_loaded(tmp_path):
    """libpq hidden from the dynamic loader (a private mount namespace binds an empty file over it)."""
    found = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    path = re.search(r"libpq\.so\.5 \(libc6,x86-64\) => (\S+)", found)
    assert path, found
    empty = tmp_path / "empty"
    empty.write_text("")
    script = f'mount --bind {empty} {os.path.realpath(path.group(1))} && exec "$@"'
    p = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(BIN), "version", "-v"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    line = next(line for line in p.stdout.splitlines() if line.startswith("libpq:"))
    assert line.startswith("libpq: not loadable, needed for waiting for PostgreSQL") and "libpq.so.5" in line, line
    assert line.endswith("(Debian package libpq5)"), line
    assert re.search(r"^libcurl: libcurl/", p.stdout, re.M), p.stdout


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["help"]], ids=" ".join)
def test_help(pe_plain, args):
    res = pe_plain.run(args)
    assert res.returncode == 0, str(res)
    text = res.stdout
    assert re.search(r"usage", text, re.I), text
    for word in ["run", "config", "help", "version", "--stop-timeout", "--config"]:
        assert word in text, f"help does not mention {word}"


def test_help_forms_agree(pe_plain):
    assert pe_plain.run(["-h"]).stdout == pe_plain.run(["--help"]).stdout


@pytest.mark.parametrize(
    "args, wanted",
    [
        (["run", "--help"], "usage"),
        (["config", "-h"], "usage"),
        (["help", "--version"], "prisma-entrypoint "),
        (["version", "--help"], "usage"),
        (["version", "--version"], "prisma-entrypoint "),
        (["help", "--help"], "usage"),
        (["--stop-timeout", "1s", "run", "--version"], "prisma-entrypoint "),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_help_and_version_work_after_every_command(pe_plain, args, wanted):
    res = pe_plain.run(args)
    assert res.returncode == 0, str(res)
    assert res.stdout.startswith(wanted), str(res)


def test_help_settings(pe_plain):
    res = pe_plain.run(["help", "settings"])
    assert res.returncode == 0, str(res)
    for name in SETTINGS:
        assert name in res.stdout, f"help settings does not list {name}"
    for var in ["PRISMA_ENTRYPOINT_STOP_TIMEOUT", "PRISMA_ENTRYPOINT_LOG_LEVEL", "DATABASE_URL"]:
        assert var in res.stdout
    assert "8s" in res.stdout, "the stop-timeout default should be shown"


def test_help_exit_codes(pe_plain):
    res = pe_plain.run(["help", "exit-codes"])
    assert res.returncode == 0, str(res)
    for code in ["64", "71", "78", "126", "127", "128"]:
        assert re.search(rf"\b{code}\b", res.stdout), f"help exit-codes does not list {code}"


@pytest.mark.parametrize("topic", ["settings", "exit-codes"])
def test_help_markdown_is_a_table(pe_plain, topic):
    res = pe_plain.run(["help", "--markdown", topic])
    assert res.returncode == 0, str(res)
    rows = [line for line in res.stdout.splitlines() if line.startswith("|")]
    assert len(rows) >= 3 and re.match(r"\|\s*:?-+", rows[1]), res.stdout


def test_help_unknown_topic_is_a_usage_error(pe_plain):
    res = pe_plain.run(["help", "no-such-topic"])
    assert res.returncode == 64, str(res)
    assert "no-such-topic" in res.stderr


# ---------------------------------------------------------------------------------------------
# run: implicit, explicit, `--`, options
# ---------------------------------------------------------------------------------------------


@pytest.mark.supervisor
@pytest.mark.parametrize(
    "args",
    [
        ["sh", "-c", "exit 3"],
        ["run", "sh", "-c", "exit 3"],
        ["run", "--", "sh", "-c", "exit 3"],
        ["--", "sh", "-c", "exit 3"],
        ["-q", "sh", "-c", "exit 3"],
        ["--stop-timeout", "1s", "run", "--", "sh", "-c", "exit 3"],
        ["run", "--stop-timeout", "1s", "--", "sh", "-c", "exit 3"],
        ["run", "-q", "sh", "-c", "exit 3"],
    ],
    ids=" ".join,
)
def test_run_implicit_and_explicit(pe_plain, args):
    res = pe_plain.run(args)
    assert res.returncode == 3, str(res)


@pytest.mark.supervisor
def test_options_after_cmd_belong_to_cmd(pe_plain):
    # the first non-option starts CMD: -c here is sh's, --version and -v are echo's arguments
    res = pe_plain.run(["-q", "sh", "-c", 'echo "$@"', "x", "--version", "-v", "--", "--stop-timeout"])
    assert res.returncode == 0, str(res)
    assert res.stdout == "--version -v -- --stop-timeout\n"


@pytest.mark.supervisor
@pytest.mark.parametrize("name", ["help", "version", "config", "run"])
def test_double_dash_runs_a_command_named_like_a_subcommand(pe_plain, name):
    # no such executable in PATH: what counts is that it was tried as CMD
    res = pe_plain.run(["--", name], env={"PATH": str(pe_plain.cwd)})
    assert res.returncode == 127, str(res)
    assert "cannot run" in res.stderr and name in res.stderr, str(res)


@pytest.mark.supervisor
def test_double_dash_runs_a_cmd_named_help_from_path(pe_plain):
    bindir = pe_plain.path("bin")
    bindir.mkdir()
    script = bindir / "help"
    script.write_text("#!/bin/sh\necho i-am-the-app-called-help\nexit 4\n")
    script.chmod(0o755)
    res = pe_plain.run(["-q", "--", "help"], env={"PATH": f"{bindir}:/usr/bin:/bin"})
    assert res.returncode == 4, str(res)
    assert res.stdout == "i-am-the-app-called-help\n"
    res = pe_plain.run(["-q", "run", "--", "help"], env={"PATH": f"{bindir}:/usr/bin:/bin"})
    assert res.returncode == 4, str(res)


@pytest.mark.supervisor
def test_run_double_dash_then_option_like_cmd(pe_plain):
    res = pe_plain.run(["run", "--", "--version"])
    assert res.returncode == 127, str(res)
    assert "cannot run" in res.stderr and "--version" in res.stderr


# ---------------------------------------------------------------------------------------------
# CMD looked up before any phase runs
# ---------------------------------------------------------------------------------------------

# nothing listens on port 1: without the early look-up, the wait would go on for its 30 s
UNREACHABLE = {"DATABASE_URL": "postgresql://app:secret@127.0.0.1:1/app"}


def no_phase_ran(res):
    assert not [line for line in res.stderr_lines() if "waiting for" in line], f"the wait started\n{res}"
    assert res.elapsed < 30, str(res)


@pytest.mark.supervisor
@pytest.mark.parametrize("cmd", ["no-such-command-pe-test", "./missing-here"], ids=["path-lookup", "relative"])
def test_missing_command_fails_before_the_wait(pe_plain, cmd):
    res = pe_plain.run(["--wait-timeout", "30s", "--", cmd, "arg"], env=UNREACHABLE)
    assert res.returncode == 127, str(res)
    lines = [line for line in res.stderr_lines() if "cannot run" in line]
    assert len(lines) == 1 and "not found" in lines[0] and cmd in lines[0], str(res)
    no_phase_ran(res)


@pytest.mark.supervisor
@pytest.mark.parametrize("kind", ["no-exec-bit", "directory", "in-path-no-exec-bit"])
def test_command_that_cannot_run_fails_before_the_wait(pe_plain, kind):
    bindir = pe_plain.path("bin")
    bindir.mkdir()
    cmd = "./script.sh"
    target = pe_plain.path("script.sh")
    if kind == "directory":
        target.mkdir()
    else:
        if kind == "in-path-no-exec-bit":
            cmd, target = "pe-test-script", bindir / "pe-test-script"
        target.write_text("#!/bin/sh\ntouch ran\n")
        target.chmod(0o644)
    res = pe_plain.run(["--wait-timeout", "30s", "--", cmd], env={**UNREACHABLE, "PATH": f"{bindir}:/usr/bin:/bin"})
    assert res.returncode == 126, str(res)
    lines = [line for line in res.stderr_lines() if "cannot run" in line]
    assert len(lines) == 1 and cmd in lines[0], str(res)
    if kind == "directory":
        assert "is a directory" in lines[0], str(res)
    no_phase_ran(res)
    assert not pe_plain.path("ran").exists()


@pytest.mark.supervisor
@pytest.mark.parametrize(
    "word,how",
    [
        ("wait", "prisma-entrypoint's wait command"),
        ("status", "prisma-entrypoint's status command"),
        ("-v", "PRISMA_ENTRYPOINT_LOG_LEVEL=verbose"),
        ("--no-wait", "PRISMA_ENTRYPOINT_NO_WAIT=true"),
        ("--stop-timeout=3s", "PRISMA_ENTRYPOINT_STOP_TIMEOUT=3s"),
    ],
)
def test_app_command_that_looks_like_ours_gets_a_warning_and_still_runs(pe_plain, word, how):
    # a real program of that name in PATH: it is run, as given
    bindir = pe_plain.path("bin")
    bindir.mkdir()
    script = bindir / word
    script.write_text('#!/bin/sh\necho "the app ran: $0 $*"\nexit 5\n')
    script.chmod(0o755)
    res = pe_plain.run(["--no-wait", "--", word, "x"], env={"PATH": f"{bindir}:/usr/bin:/bin"})
    assert res.returncode == 5, str(res)
    assert res.stdout == f"the app ran: {script} x\n", str(res)
    warnings = [line for line in res.stderr_lines() if "warning:" in line]
    assert len(warnings) == 1, str(res)
    assert f"'{word}'" in warnings[0] and ("before '--'" in warnings[0] or "without '--'" in warnings[0]), str(res)
    assert how in warnings[0], str(res)


@pytest.mark.supervisor
def test_ordinary_app_command_gets_no_warning(pe_plain):
    res = pe_plain.run(["--no-wait", "--", "sh", "-c", "exit 0"])
    assert res.returncode == 0 and "warning" not in res.stderr, str(res)


@pytest.mark.parametrize(
    "args",
    [[], ["run"], ["--"], ["run", "--"], ["-q"], ["--stop-timeout", "1s"], ["-q", "run", "--"]],
    ids=lambda a: " ".join(a) or "nothing",
)
def test_no_cmd_is_a_usage_error(pe_plain, args):
    res = pe_plain.run(args)
    assert res.returncode == 64, str(res)
    lines = res.stderr_lines()
    assert len(lines) == 1 and lines[0].startswith("prisma-entrypoint: error:"), str(res)
    assert res.stdout == ""


# ---------------------------------------------------------------------------------------------
# README drift
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["settings", "exit-codes"])
def test_readme_block_matches_help_markdown(pe_plain, topic):
    readme = (REPO / "README.md").read_text()
    m = re.search(rf"<!-- {topic}:begin[^>]*-->\n(.*?)<!-- {topic}:end -->", readme, re.S)
    assert m, f"README.md has no <!-- {topic}:begin ... --> ... <!-- {topic}:end --> block"
    res = pe_plain.run(["help", "--markdown", topic])
    assert res.returncode == 0, str(res)
    assert m.group(1).strip("\n") == res.stdout.strip(
        "\n"
    ), f"README.md's {topic} block differs from `prisma-entrypoint help --markdown {topic}`: run `make readme`"
