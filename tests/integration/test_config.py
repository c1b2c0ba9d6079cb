"""Settings: the four layers (default < INI < env < flag), where the INI file comes from, every kind
of bad input (exit 78, or 64 for an unknown flag; all errors listed; nothing runs), and the
database URL secret (DATABASE_URL, PRISMA_ENTRYPOINT_DATABASE_URL, their _FILE variants, redaction).

What is checked is what a user sees: `prisma-entrypoint config` output (value + "; <source>"),
exit codes, stderr lines, and whether CMD ran (it would create a file).
"""

import itertools
import os
import re

import pytest

from conftest import timeout

CREATES_FILE = ["--", "sh", "-c", "touch ran"]


# ---------------------------------------------------------------------------------------------
# reading `config` output
# ---------------------------------------------------------------------------------------------


def parse_config(text: str) -> dict:
    """{key: (section, value, source)} from `config` output: `key = value ; source` lines."""
    settings, section = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        m = re.fullmatch(r"\[([^\]]+)\]", line)
        if m:
            section = m.group(1).strip()
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*;\s*([^;]*)", line)
        assert m, f"config output line is not 'key = value ; source': {raw!r}"
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        settings[m.group(1)] = (section, value, m.group(3).strip())
    return settings


def duration_ms(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text)
    assert m, f"not a duration: {text!r}"
    return float(m.group(1)) * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, None: 1000}[m.group(2)]


def source_kind(source: str) -> str:
    if ".ini" in source:
        return "ini"
    if "PRISMA_ENTRYPOINT_" in source or "DATABASE_URL" in source or re.search(r"\benv", source.lower()):
        return "env"
    if "--" in source or re.search(r"\bflag", source.lower()) or re.search(r"(^|\s)-[a-z]\b", source):
        return "flag"
    if "default" in source.lower():
        return "default"
    return f"unknown source {source!r}"


def truthy(value: str) -> bool:
    v = value.lower()
    assert v in ("true", "false", "yes", "no", "on", "off", "1", "0"), f"not a boolean: {value!r}"
    return v in ("true", "yes", "on", "1")


def config(pe, args=(), env=None):
    res = pe.run([*args, "config"], env=env)
    assert res.returncode == 0, str(res)
    return parse_config(res.stdout), res


# ---------------------------------------------------------------------------------------------
# precedence
# ---------------------------------------------------------------------------------------------

LAYERS = {  # layer -> (stop-timeout, log-level)
    "ini": ("3s", "verbose"),
    "env": ("4s", "debug"),
    "flag": ("5s", "quiet"),
}
SUBSETS = [c for n in range(4) for c in itertools.combinations(["ini", "env", "flag"], n)]


@pytest.mark.parametrize("layers", SUBSETS, ids=lambda c: "+".join(c) or "default-only")
def test_precedence_of_the_four_layers(pe_plain, layers):
    args, env = [], {}
    if "ini" in layers:
        st, ll = LAYERS["ini"]
        pe_plain.path("prisma-entrypoint.ini").write_text(f"[log]\nlog-level = {ll}\n\n[run]\nstop-timeout = {st}\n")
    if "env" in layers:
        st, ll = LAYERS["env"]
        env = {"PRISMA_ENTRYPOINT_STOP_TIMEOUT": st, "PRISMA_ENTRYPOINT_LOG_LEVEL": ll}
    if "flag" in layers:
        st, ll = LAYERS["flag"]
        args = ["--stop-timeout", st, "--log-level", ll]
    settings, res = config(pe_plain, args, env)
    winner = layers[-1] if layers else "default"
    want_st, want_ll = LAYERS.get(winner, ("8s", "info"))

    section, value, source = settings["stop-timeout"]
    assert section == "run"
    assert duration_ms(value) == duration_ms(want_st), res.stdout
    assert source_kind(source) == winner, res.stdout

    section, value, source = settings["log-level"]
    assert section == "log"
    assert value.lower() == want_ll, res.stdout
    assert source_kind(source) == winner, res.stdout


def test_config_output_names_env_variable_and_flag(pe_plain):
    settings, res = config(pe_plain, ["--log-level", "verbose"], {"PRISMA_ENTRYPOINT_STOP_TIMEOUT": "2s"})
    assert "PRISMA_ENTRYPOINT_STOP_TIMEOUT" in settings["stop-timeout"][2], res.stdout
    assert "--log-level" in settings["log-level"][2], res.stdout


def test_defaults(pe_plain):
    settings, res = config(pe_plain)
    expected = {"log-level": "info", "log-format": "text", "signal-target": "auto"}
    for key, value in expected.items():
        assert settings[key][1].lower() == value and source_kind(settings[key][2]) == "default", res.stdout
    assert duration_ms(settings["stop-timeout"][1]) == 8000
    assert not truthy(settings["exec"][1])
    assert res.stderr == "", "config with defaults should print nothing on stderr"


def test_print_config_flag_is_the_config_command(pe_plain):
    a = pe_plain.run(["config"])
    b = pe_plain.run(["--print-config"])
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


@pytest.mark.parametrize(
    "args,level",
    [
        (["-q"], "quiet"),
        (["-v"], "verbose"),
        (["-vv"], "debug"),
        (["-v", "-v"], "debug"),
        (["--quiet"], "quiet"),
        (["--verbose"], "verbose"),
    ],
)
def test_short_log_level_flags(pe_plain, args, level):
    settings, res = config(pe_plain, args, {"PRISMA_ENTRYPOINT_LOG_LEVEL": "info"})
    assert settings["log-level"][1].lower() == level, res.stdout
    assert source_kind(settings["log-level"][2]) == "flag", res.stdout


@pytest.mark.parametrize(
    "args,env,ini,expected",
    [
        (["--exec"], {}, None, True),
        (["--no-exec"], {"PRISMA_ENTRYPOINT_EXEC": "true"}, None, False),
        (["--exec=false"], {}, None, False),
        (["--exec=yes"], {}, None, True),
        ([], {"PRISMA_ENTRYPOINT_EXEC": "on"}, None, True),
        ([], {"PRISMA_ENTRYPOINT_EXEC": "0"}, "yes", False),
        ([], {}, "1", True),
        ([], {}, "off", False),
    ],
)
def test_boolean_forms(pe_plain, args, env, ini, expected):
    if ini is not None:
        pe_plain.path("prisma-entrypoint.ini").write_text(f"[run]\nexec = {ini}\n")
    settings, res = config(pe_plain, args, env)
    assert truthy(settings["exec"][1]) is expected, res.stdout


@pytest.mark.parametrize("value,ms", [("500ms", 500), ("2s", 2000), ("1m", 60000), ("3", 3000), ("1h", 3600000)])
def test_duration_forms(pe_plain, value, ms):
    settings, res = config(pe_plain, ["--stop-timeout", value])
    assert duration_ms(settings["stop-timeout"][1]) == ms, res.stdout


# ---------------------------------------------------------------------------------------------
# where the INI file comes from
# ---------------------------------------------------------------------------------------------


def write_ini(pe, name, stop_timeout):
    path = pe.path(name)
    path.write_text(f"[run]\nstop-timeout = {stop_timeout}\n")
    return path


def test_ini_in_cwd_is_picked_up(pe_plain):
    write_ini(pe_plain, "prisma-entrypoint.ini", "11s")
    settings, res = config(pe_plain)
    assert duration_ms(settings["stop-timeout"][1]) == 11000, res.stdout
    assert "prisma-entrypoint.ini" in settings["stop-timeout"][2], res.stdout


def test_config_env_variable_names_the_file(pe_plain):
    write_ini(pe_plain, "prisma-entrypoint.ini", "11s")
    other = write_ini(pe_plain, "from-env.ini", "12s")
    settings, res = config(pe_plain, env={"PRISMA_ENTRYPOINT_CONFIG": str(other)})
    assert duration_ms(settings["stop-timeout"][1]) == 12000, res.stdout
    assert "from-env.ini" in settings["stop-timeout"][2], res.stdout


@pytest.mark.parametrize("form", ["--config", "-c", "--config="])
def test_config_flag_beats_env_variable(pe_plain, form):
    write_ini(pe_plain, "prisma-entrypoint.ini", "11s")
    env_file = write_ini(pe_plain, "from-env.ini", "12s")
    flag_file = write_ini(pe_plain, "from-flag.ini", "13s")
    args = [f"--config={flag_file}"] if form.endswith("=") else [form, str(flag_file)]
    settings, res = config(pe_plain, args, {"PRISMA_ENTRYPOINT_CONFIG": str(env_file)})
    assert duration_ms(settings["stop-timeout"][1]) == 13000, res.stdout
    assert "from-flag.ini" in settings["stop-timeout"][2], res.stdout


def test_ini_comments_and_blank_lines(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text(
        "; a comment\n\n[log]\n; another\nlog-format = json\n\n[run]\nsignal-target = group\n"
    )
    settings, res = config(pe_plain)
    assert settings["log-format"][1] == "json" and settings["signal-target"][1] == "group", res.stdout


# ---------------------------------------------------------------------------------------------
# bad input: exit 78 (64 for an unknown flag), one "prisma-entrypoint: error:" line each, nothing runs
# ---------------------------------------------------------------------------------------------


def run_bad(pe, args=(), env=None, status=78):
    res = pe.run([*args, *CREATES_FILE], env=env)
    assert res.returncode == status, str(res)
    assert not pe.path("ran").exists(), "CMD ran despite the error"
    errors = [line for line in res.stderr_lines() if line.startswith("prisma-entrypoint: error:")]
    assert errors, f"no 'prisma-entrypoint: error:' line\n{res}"
    return res, errors


def test_unknown_ini_key_has_file_line_and_did_you_mean(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[run]\nsignal-target = child\nstop-timout = 2s\n")
    res, errors = run_bad(pe_plain)
    line = next((e for e in errors if "stop-timout" in e), None)
    assert line, str(res)
    assert re.search(r"prisma-entrypoint\.ini:3\b", line), f"no file:line in {line!r}"
    assert "did you mean" in line and "stop-timeout" in line.replace("stop-timout", ""), line


def test_key_in_the_wrong_section(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[log]\nstop-timeout = 2s\n")
    res, errors = run_bad(pe_plain)
    assert any(re.search(r"prisma-entrypoint\.ini:2\b", e) and "stop-timeout" in e for e in errors), str(res)


def test_unknown_ini_section(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[run]\nexec = false\n\n[bogus]\nfoo = 1\n")
    res, errors = run_bad(pe_plain)
    assert any("bogus" in e and "prisma-entrypoint.ini:" in e for e in errors), str(res)


def test_unknown_ini_section_did_you_mean_points_at_its_header(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[run]\nexec = false\n[lgo]\nlog-level = info\n")
    res, errors = run_bad(pe_plain)
    line = next((e for e in errors if "lgo" in e), None)
    assert line and "did you mean" in line and "log" in line.replace("lgo", ""), str(res)
    assert re.search(
        r"prisma-entrypoint\.ini:3\b", line
    ), f"the error should point at line 3, the [lgo] header: {line!r}"


def test_empty_unknown_ini_section_is_an_error(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[run]\nexec = false\n[rnu]\n")
    res, errors = run_bad(pe_plain)
    assert any("rnu" in e for e in errors), str(res)


def test_ini_syntax_error(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[run]\nthis line has no equals sign\n")
    res, errors = run_bad(pe_plain)
    assert any(re.search(r"prisma-entrypoint\.ini:2\b", e) for e in errors), str(res)


def test_overlong_unknown_section_is_reported_once(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[" + "x" * 100 + "]\nfoo = 1\n")
    res, errors = run_bad(pe_plain)
    assert len([e for e in errors if "unknown section" in e]) == 1, str(res)
    assert any("xxx...]" in e for e in errors), str(res)


@pytest.mark.parametrize(
    "content, says",
    [
        (b"[run]\nexec = false\n\0\n", "prisma-entrypoint.ini:3: a NUL byte: not a text file"),
        ("[run]\nexec = false\n".encode("utf-16"), "is UTF-16 text: save it as UTF-8"),
    ],
    ids=["nul", "utf-16"],
)
def test_a_file_that_is_not_ini_text_says_what_it_is(pe_plain, content, says):
    pe_plain.path("prisma-entrypoint.ini").write_bytes(content)
    res, errors = run_bad(pe_plain)
    assert len(errors) == 1 and says in errors[0], str(res)
    assert "longer than" not in res.stderr, str(res)


@pytest.mark.parametrize("path", ["/dev/zero", "fifo"])
def test_a_config_that_is_not_a_regular_file_is_refused_at_once(pe_plain, path):
    """--config /dev/zero read forever; a FIFO nobody writes to blocked forever. So did a secret's
    _FILE variable."""
    if path == "fifo":
        os.mkfifo(pe_plain.path("fifo"))
    res = pe_plain.run(["--config", path, "config"], seconds=10)
    assert res.returncode == 78, str(res)
    assert f"config file '{path}' is not a regular file" in res.stderr, str(res)
    assert res.elapsed < timeout(2.0), str(res)
    res = pe_plain.run(["config"], env={"DATABASE_URL_FILE": path}, seconds=10)
    assert res.returncode == 78, str(res)
    assert f"DATABASE_URL_FILE '{path}' is not a regular file" in res.stderr, str(res)
    assert res.elapsed < timeout(2.0), str(res)


BAD_VALUES = [
    ("stop-timeout", "run", "soon"),
    ("stop-timeout", "run", "5x"),
    ("stop-timeout", "run", "-2s"),
    ("stop-timeout", "run", "1.5.2s"),
    ("stop-timeout", "run", "12abc"),
    ("log-level", "log", "loud"),
    ("log-format", "log", "xml"),
    ("signal-target", "run", "everyone"),
    ("exec", "run", "maybe"),
]


@pytest.mark.parametrize("layer", ["ini", "env", "flag"])
@pytest.mark.parametrize("key,section,value", BAD_VALUES, ids=[f"{k}={v}" for k, _, v in BAD_VALUES])
def test_bad_value(pe_plain, layer, key, section, value):
    args, env = [], {}
    var = "PRISMA_ENTRYPOINT_" + key.upper().replace("-", "_")
    if layer == "ini":
        pe_plain.path("prisma-entrypoint.ini").write_text(f"[{section}]\n{key} = {value}\n")
    elif layer == "env":
        env = {var: value}
    else:
        args = [f"--{key}={value}"]
    res, errors = run_bad(pe_plain, args, env)
    assert any(value in e and (key in e or var in e) for e in errors), f"no error naming {key} and {value!r}\n{res}"
    if layer == "ini":
        assert any("prisma-entrypoint.ini" in e for e in errors), f"the error should name the file\n{res}"
    if layer == "env":
        assert any(var in e for e in errors), f"the error should name {var}\n{res}"


def test_bad_duration_as_separate_flag_argument(pe_plain):
    res, errors = run_bad(pe_plain, ["--stop-timeout", "soon"])
    assert any("soon" in e for e in errors), str(res)


def test_missing_config_file_from_flag(pe_plain):
    res, errors = run_bad(pe_plain, ["--config", "nope.ini"])
    assert any("nope.ini" in e for e in errors), str(res)


def test_missing_config_file_from_env(pe_plain):
    res, errors = run_bad(pe_plain, env={"PRISMA_ENTRYPOINT_CONFIG": str(pe_plain.path("nope.ini"))})
    assert any("nope.ini" in e for e in errors), str(res)


@pytest.mark.parametrize("how", ["flag", "env", "cwd"])
def test_unreadable_config_file(pe_plain, how):
    # a directory where the file should be: unreadable even for root
    target = pe_plain.path("prisma-entrypoint.ini" if how == "cwd" else "conf.ini")
    target.mkdir()
    args = ["--config", str(target)] if how == "flag" else []
    env = {"PRISMA_ENTRYPOINT_CONFIG": str(target)} if how == "env" else {}
    res, errors = run_bad(pe_plain, args, env)
    assert any(target.name in e for e in errors), str(res)


def test_unknown_flag_is_a_usage_error(pe_plain):
    res, errors = run_bad(pe_plain, ["--no-such-flag"], status=64)
    assert any("--no-such-flag" in e for e in errors), str(res)


def test_unknown_flag_with_config_command(pe_plain):
    res = pe_plain.run(["--no-such-flag", "config"])
    assert res.returncode == 64, str(res)
    assert res.stdout == "", "no settings should be printed"


def test_several_errors_reported_together(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text(
        "[run]\nstop-timout = 2s\nsignal-target = everyone\n[log]\nlog-level = loud\n"
    )
    res, errors = run_bad(
        pe_plain,
        ["--stop-timeout=soon"],
        {"PRISMA_ENTRYPOINT_LOG_FORMAT": "xml", "PRISMA_ENTRYPOINT_EXEC": "maybe"},
    )
    for fragment in ["stop-timout", "everyone", "loud", "xml", "maybe", "soon"]:
        assert any(fragment in e for e in errors), f"no error line mentions {fragment!r}\n{res}"
    assert len(errors) >= 6, str(res)
    assert all(line.startswith("prisma-entrypoint: ") for line in res.stderr_lines()), str(res)


def test_errors_also_stop_the_config_command(pe_plain):
    res = pe_plain.run(["config"], env={"PRISMA_ENTRYPOINT_STOP_TIMEOUT": "soon"})
    assert res.returncode == 78, str(res)
    assert "soon" in res.stderr


# The items of a list are settings like any other: `--http-status abc config` exited 0 and
# `--http-status abc --no-wait -- app` ran the app, the items being read only by the wait phase.
BAD_ITEMS = {"http-status": ("200, abc", "600"), "wait": ("tcp://db:5432", "redis://cache:6379")}


def list_item_errors(res) -> list[str]:
    assert res.returncode == 78, str(res)
    errors = [line for line in res.stderr_lines() if line.startswith("prisma-entrypoint: error:")]
    assert len(errors) == len(res.stderr_lines()), f"a line that is not an error\n{res}"
    for fragment in ["http-status item 'abc'", "http-status item '600'", "wait item 'redis://cache:6379'", "soon"]:
        assert sum(fragment in e for e in errors) == 1, f"not one error line with {fragment!r}\n{res}"
    assert len(errors) == 4, str(res)
    return errors


@pytest.mark.parametrize("layer", ["ini", "env", "flag"])
def test_bad_list_items_are_settings_errors_reported_together(pe_plain, layer):
    args, env = [], {}
    if layer == "ini":
        lines = "".join(f"{key} = {item}\n" for key, items in BAD_ITEMS.items() for item in items)
        pe_plain.path("prisma-entrypoint.ini").write_text(f"[run]\nstop-timeout = soon\n[wait]\n{lines}")
    elif layer == "env":
        env = {
            "PRISMA_ENTRYPOINT_" + key.upper().replace("-", "_"): ",".join(items) for key, items in BAD_ITEMS.items()
        }
        env["PRISMA_ENTRYPOINT_STOP_TIMEOUT"] = "soon"
    else:
        args = [f"--{key}={item}" for key, items in BAD_ITEMS.items() for item in items] + ["--stop-timeout", "soon"]
    res = pe_plain.run([*args, "--no-wait", *CREATES_FILE], env=env)
    errors = list_item_errors(res)
    assert not pe_plain.path("ran").exists(), "CMD ran despite the errors"
    if layer == "ini":
        assert all("prisma-entrypoint.ini:" in e for e in errors), str(res)
    if layer == "env":
        assert any("PRISMA_ENTRYPOINT_HTTP_STATUS" in e for e in errors), str(res)
    res = pe_plain.run([*args, "config"], env=env)
    list_item_errors(res)
    assert res.stdout == "", "no settings should be printed"


@pytest.mark.parametrize("command", [["--no-wait", *CREATES_FILE], ["config"]], ids=["run", "config"])
@pytest.mark.parametrize("flag", [["--http-status", "abc"], ["--wait", "redis://cache:6379"]], ids=" ".join)
def test_one_bad_list_item_alone_stops_everything(pe_plain, flag, command):
    res = pe_plain.run([*flag, *command])
    assert res.returncode == 78, str(res)
    assert not pe_plain.path("ran").exists(), "CMD ran despite the error"
    assert res.stdout == "" and len(res.stderr_lines()) == 1 and flag[1] in res.stderr, str(res)


def test_bad_list_items_from_every_layer_at_once(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text("[wait]\nhttp-status = abc\n")
    res = pe_plain.run(
        ["--http-status", "600", "--stop-timeout", "soon", "--no-wait", *CREATES_FILE],
        env={"PRISMA_ENTRYPOINT_WAIT": "tcp://db:5432 redis://cache:6379"},
    )
    errors = list_item_errors(res)
    assert not pe_plain.path("ran").exists(), "CMD ran despite the errors"
    assert any("prisma-entrypoint.ini:2" in e and "'abc'" in e for e in errors), str(res)
    assert any(e.startswith("prisma-entrypoint: error: PRISMA_ENTRYPOINT_WAIT") for e in errors), str(res)


@pytest.mark.parametrize(
    "args", [["--http-status", "100,599 204"], ["--wait", "HTTP://db:1,Tcp://db:5432"]], ids=" ".join
)
def test_good_list_items_are_taken_as_before(pe_plain, args):
    res = pe_plain.run([*args, "--no-wait", *CREATES_FILE])
    assert res.returncode == 0, str(res)
    assert pe_plain.path("ran").exists()


# ---------------------------------------------------------------------------------------------
# database URL: sources, redaction, _FILE variants
# ---------------------------------------------------------------------------------------------

PASSWORD = "pw-S3cr3t-x9"


def url(host):
    return f"postgresql://app:{PASSWORD}@{host}:5432/appdb"


HOSTS = {
    "DATABASE_URL": "h-plain.test",
    "DATABASE_URL_FILE": "h-plain-file.test",
    "PRISMA_ENTRYPOINT_DATABASE_URL": "h-prefixed.test",
    "PRISMA_ENTRYPOINT_DATABASE_URL_FILE": "h-prefixed-file.test",
}


def db_env(pe, names):
    env = {}
    for name in names:
        if name.endswith("_FILE"):
            secret = pe.path(f"secret-{name}")
            secret.write_text(url(HOSTS[name]) + "\n")
            env[name] = str(secret)
        else:
            env[name] = url(HOSTS[name])
    return env


def assert_db_source(pe, settings, res, name):
    assert "database-url" in settings, f"no database-url line\n{res.stdout}"
    section, value, source = settings["database-url"]
    assert section == "database", res.stdout
    assert PASSWORD not in res.stdout + res.stderr, "the password was printed"
    assert re.search(rf"\b{name}\b", source), f"database-url should come from {name}: {source!r}"
    shown = [host for host in HOSTS.values() if host in value]
    assert shown in ([], [HOSTS[name]]), f"value of another variable shown: {value!r}"


@pytest.mark.parametrize("name", list(HOSTS))
def test_database_url_sources_and_redaction(pe_plain, name):
    settings, res = config(pe_plain, env=db_env(pe_plain, [name]))
    assert_db_source(pe_plain, settings, res, name)


@pytest.mark.parametrize(
    "names,winner",
    [
        (["DATABASE_URL", "PRISMA_ENTRYPOINT_DATABASE_URL"], "PRISMA_ENTRYPOINT_DATABASE_URL"),
        (["DATABASE_URL_FILE", "PRISMA_ENTRYPOINT_DATABASE_URL"], "PRISMA_ENTRYPOINT_DATABASE_URL"),
        (["DATABASE_URL", "PRISMA_ENTRYPOINT_DATABASE_URL_FILE"], "PRISMA_ENTRYPOINT_DATABASE_URL_FILE"),
    ],
)
def test_prefixed_database_url_wins(pe_plain, names, winner):
    settings, res = config(pe_plain, env=db_env(pe_plain, names))
    assert_db_source(pe_plain, settings, res, winner)


def test_database_url_from_ini_is_redacted(pe_plain):
    pe_plain.path("prisma-entrypoint.ini").write_text(f"[database]\ndatabase-url = {url('h-ini.test')}\n")
    settings, res = config(pe_plain)
    assert source_kind(settings["database-url"][2]) == "ini", res.stdout
    assert PASSWORD not in res.stdout + res.stderr


def test_password_not_printed_even_in_debug(pe_plain):
    env = db_env(pe_plain, ["DATABASE_URL"])
    res = pe_plain.run(["-vv", "config"], env=env)
    assert res.returncode == 0 and PASSWORD not in res.stdout + res.stderr, str(res)
    res = pe_plain.run(["-vv", "--no-wait", "--", "true"], env=env)
    assert res.returncode == 0 and PASSWORD not in res.stdout + res.stderr, str(res)


@pytest.mark.parametrize("var", ["DATABASE_URL", "PRISMA_ENTRYPOINT_DATABASE_URL"])
def test_variable_and_its_file_variant_both_set_is_an_error(pe_plain, var):
    env = {var: url("h.test"), **db_env(pe_plain, [var + "_FILE"])}
    res, errors = run_bad(pe_plain, env=env)
    assert any(var in e and var + "_FILE" in e for e in errors), str(res)
    assert PASSWORD not in res.stdout + res.stderr


def test_both_set_is_an_error_for_config_too(pe_plain):
    env = {"DATABASE_URL": url("h.test"), **db_env(pe_plain, ["DATABASE_URL_FILE"])}
    res = pe_plain.run(["config"], env=env)
    assert res.returncode == 78, str(res)


def test_missing_secret_file_is_an_error(pe_plain):
    res, errors = run_bad(pe_plain, env={"DATABASE_URL_FILE": str(pe_plain.path("no-such-secret"))})
    assert any("no-such-secret" in e for e in errors), str(res)


def test_secret_file_trailing_newline_is_stripped(pe_plain):
    secret = pe_plain.path("secret")
    secret.write_text(url("h-nl.test") + "\n")
    with_nl, res1 = config(pe_plain, env={"DATABASE_URL_FILE": str(secret)})
    secret.write_text(url("h-nl.test"))
    without_nl, res2 = config(pe_plain, env={"DATABASE_URL_FILE": str(secret)})
    _, direct, _ = config(pe_plain, env={"DATABASE_URL": url("h-nl.test")})[0]["database-url"]
    # parse_config already requires `key = value ; source` on one line: a kept newline breaks it
    assert with_nl["database-url"][1] == without_nl["database-url"][1] == direct, res1.stdout
    assert "\\n" not in with_nl["database-url"][1], res1.stdout
    if "appdb" in direct:
        assert with_nl["database-url"][1].endswith("appdb"), res1.stdout
