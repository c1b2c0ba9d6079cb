"""The `user` setting: the Prisma CLI and the app run as another user while the entrypoint stays root.

The suite runs as root. A throwaway user (useradd, with a home folder and a supplementary group of
its own) is made once per session and removed after it; ids without a passwd entry (4242:4343) and
nobody (65534) stand for a host user the image does not know. Each test works in a project folder of
its own under /tmp (pytest's own folders are 0700, closed to other users), owned by the user the
test switches to, as a bind-mounted project belongs to the host's user; the runner's cwd is pointed
at it.

What the app is, it says itself: the app prints `id -u`, `id -g`, `id -G`, $HOME, $USER and $LOGNAME,
and creates a file; the owner of that file, of the generated client (a real `prisma generate` of the
fixture app) and of the generate record shows who wrote them. Running the entrypoint as a non-root
user uses setpriv (util-linux); a refused switch is a root without CAP_SETUID/CAP_SETGID (setpriv
--bounding-set).
"""

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import helper, read_signals
import test_migrate
import test_restart as rs
from npm_app import CLIENT_DIR, RECORD, copy_app, install_wrapper, read_calls
from test_generate import BASE_ENV, GENERATED

UNREACHABLE_URL = "postgresql://u:p@127.0.0.1:1/db"  # nothing listens on port 1
NO_ENTRY = (4242, 4343)  # a uid and a gid that no passwd or group entry names
NOBODY = 65534
# Prints who the app is, one item a line, then leaves a file behind.
WHO = (
    'id -u; id -g; id -G; echo "home=$HOME"; echo "user=${USER-<unset>}"; echo "logname=${LOGNAME-<unset>}"; '
    "touch by-app"
)


@dataclass
class User:
    name: str
    uid: int
    gid: int
    groups: set  # its primary group and the supplementary one
    extra_gid: int  # the supplementary one: /etc/group lists the user as its member
    home: str


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def named_user():
    """A user made for this session: its own primary group, a supplementary one, a home folder."""
    if os.geteuid() != 0:
        pytest.skip("the user tests switch users: they need root (useradd, setuid)")
    name, extra = f"pe-u{os.getpid()}", f"pe-g{os.getpid()}"
    sh("groupadd", extra)
    try:
        sh("useradd", "--create-home", "--user-group", "--groups", extra, "--shell", "/bin/sh", name)
        try:
            import grp
            import pwd

            pw = pwd.getpwnam(name)
            extra_gid = grp.getgrnam(extra).gr_gid
            yield User(name, pw.pw_uid, pw.pw_gid, {pw.pw_gid, extra_gid}, extra_gid, pw.pw_dir)
        finally:
            sh("userdel", "--remove", name)
    finally:
        sh("groupdel", extra)


@pytest.fixture
def project():
    """make(uid, gid): a fresh folder under /tmp owned by uid:gid; all removed after the test."""
    made = []

    def make(uid: int, gid: int) -> Path:
        folder = Path(tempfile.mkdtemp(prefix="pe-user-", dir="/tmp"))
        made.append(folder)
        folder.chmod(0o755)
        os.chown(folder, uid, gid)
        return folder

    yield make
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


def chown_tree(root: Path, uid: int, gid: int):
    subprocess.run(["chown", "-R", "--no-dereference", f"{uid}:{gid}", str(root)], check=True)


def who(res) -> dict:
    """What the WHO app printed (its last six lines: prisma's output may come first)."""
    lines = res.stdout.splitlines()[-6:]
    assert len(lines) == 6, str(res)
    out = {"uid": int(lines[0]), "gid": int(lines[1]), "groups": set(map(int, lines[2].split()))}
    for line in lines[3:]:
        key, _, value = line.partition("=")
        out[key] = value
    return out


def owner(path: Path) -> tuple:
    st = path.lstat()
    return st.st_uid, st.st_gid


def uid_of(pid: int) -> int:
    """The real uid of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


# ---------------------------------------------------------------------------------------------
# the app runs as the user
# ---------------------------------------------------------------------------------------------


def test_app_runs_as_the_named_user_with_its_groups_and_home(pe, named_user, project):
    pe.cwd = project(named_user.uid, named_user.gid)
    res = pe.run(["--user", named_user.name, "--no-wait", "--", "sh", "-c", WHO], env={"USER": "root"})
    assert res.returncode == 0, str(res)
    assert who(res) == {
        "uid": named_user.uid,
        "gid": named_user.gid,
        "groups": named_user.groups,
        "home": named_user.home,
        "user": named_user.name,
        "logname": named_user.name,
    }, str(res)
    assert owner(pe.cwd / "by-app") == (named_user.uid, named_user.gid), str(res)


@pytest.mark.parametrize("mode", ["supervised", "exec"])
def test_ids_without_an_entry_get_home_slash_and_no_user_name(pe_plain, project, mode):
    pe_plain.cwd = project(*NO_ENTRY)
    exec_flag = ["--exec"] if mode == "exec" else []
    res = pe_plain.run(
        ["--user", "%d:%d" % NO_ENTRY, *exec_flag, "--no-wait", "--", "sh", "-c", WHO],
        env={"USER": "root", "LOGNAME": "root", "HOME": "/root"},
    )
    assert res.returncode == 0, str(res)
    assert who(res) == {
        "uid": NO_ENTRY[0],
        "gid": NO_ENTRY[1],
        "groups": {NO_ENTRY[1]},
        "home": "/",
        "user": "<unset>",
        "logname": "<unset>",
    }, str(res)
    assert owner(pe_plain.cwd / "by-app") == NO_ENTRY, str(res)


def test_a_uid_alone_takes_its_entry_and_name_colon_group_its_group(pe_plain, named_user, project):
    pe_plain.cwd = project(named_user.uid, named_user.gid)
    res = pe_plain.run(["--user", str(named_user.uid), "--no-wait", "--", "sh", "-c", WHO])
    assert res.returncode == 0, str(res)
    got = who(res)
    assert (got["uid"], got["gid"], got["user"], got["home"]) == (
        named_user.uid,
        named_user.gid,
        named_user.name,
        named_user.home,
    ), str(res)
    res = pe_plain.run(["--user", f"{named_user.name}:nogroup", "--no-wait", "--", "sh", "-c", WHO])
    assert res.returncode == 0, str(res)
    got = who(res)
    assert (got["uid"], got["gid"]) == (named_user.uid, NOBODY), str(res)
    # the group given, and those /etc/group makes it a member of (as gosu and login do)
    assert got["groups"] == {NOBODY, named_user.extra_gid}, str(res)


def test_owner_is_the_owner_of_the_working_directory(pe_plain, named_user, project):
    pe_plain.cwd = project(named_user.uid, NO_ENTRY[1])
    res = pe_plain.run(["--no-wait", "--", "sh", "-c", WHO], env={"PRISMA_ENTRYPOINT_USER": "owner"})
    assert res.returncode == 0, str(res)
    got = who(res)
    # the folder's group, the user's name, home and supplementary groups
    assert (got["uid"], got["gid"], got["user"], got["home"]) == (
        named_user.uid,
        NO_ENTRY[1],
        named_user.name,
        named_user.home,
    ), str(res)
    pe_plain.cwd = project(*NO_ENTRY)
    (pe_plain.cwd / "prisma-entrypoint.ini").write_text("[run]\nuser = owner\n")
    res = pe_plain.run(["--no-wait", "--", "sh", "-c", WHO])
    assert res.returncode == 0, str(res)
    assert (who(res)["uid"], who(res)["gid"]) == NO_ENTRY, str(res)


# ---------------------------------------------------------------------------------------------
# what cannot be done is exit 78, before the wait
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "sync"])
@pytest.mark.parametrize(
    "spec, says",
    [
        ("pe-no-such-user", "no user named 'pe-no-such-user' in /etc/passwd"),
        ("nobody:pe-no-such-group", "no group named 'pe-no-such-group' in /etc/group"),
        ("nobody:", "expected a name or uid, optionally followed by ':' and a group or gid"),
    ],
)
def test_a_user_that_cannot_be_resolved_is_78_before_the_wait(pe_plain, project, command, spec, says):
    pe_plain.cwd = project(0, 0)
    app = ["--", "touch", "by-app"] if command == "run" else []
    # The database is unreachable and the wait would last ten minutes: the run ends long before.
    res = pe_plain.run(
        [*([] if command == "run" else ["sync"]), "--user", spec, "--wait-timeout", "10m", *app],
        env={"DATABASE_URL": UNREACHABLE_URL},
        seconds=60,
    )
    assert res.returncode == 78, str(res)
    lines = res.stderr_lines()
    assert len(lines) == 1, str(res)
    assert lines[0].startswith(f"prisma-entrypoint: error: cannot run as user '{spec}': {says}"), str(res)
    assert "waiting" not in res.stderr, str(res)
    assert not (pe_plain.cwd / "by-app").exists(), str(res)


SETPRIV = shutil.which("setpriv")
needs_setpriv = pytest.mark.skipif(SETPRIV is None, reason="setpriv (util-linux) is missing")


@needs_setpriv
def test_not_root_with_another_user_is_78_and_its_own_user_is_no_switch(pe_plain, project):
    pe_plain.cwd = project(NOBODY, NOBODY)
    as_nobody = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    args = ["--user", "root", "--wait-timeout", "10m", "--", "touch", "by-app"]
    res = pe_plain.start(args, env={"DATABASE_URL": UNREACHABLE_URL}, argv=as_nobody + pe_plain.argv(args)).wait(60)
    assert res.returncode == 78, str(res)
    assert (
        "cannot run as user 'root' (uid 0 'root', gid 0): prisma-entrypoint runs as uid 65534, gid 65534, not as "
        "root, and only root can switch users" in res.stderr
    ), str(res)
    assert "waiting" not in res.stderr and not (pe_plain.cwd / "by-app").exists(), str(res)
    # owner names nobody itself here: nothing to switch, the app runs
    args = ["--user", "owner", "--no-wait", "--", "sh", "-c", WHO]
    res = pe_plain.start(args, argv=as_nobody + pe_plain.argv(args)).wait(30)
    assert res.returncode == 0, str(res)
    assert (who(res)["uid"], who(res)["gid"]) == (NOBODY, NOBODY), str(res)


@needs_setpriv
def test_a_switch_the_container_refuses_is_78_before_the_wait(pe_plain, project):
    pe_plain.cwd = project(NOBODY, NOBODY)
    no_setuid = [SETPRIV, "--bounding-set=-setuid,-setgid"]
    args = ["--user", "nobody", "--wait-timeout", "10m", "--", "touch", "by-app"]
    res = pe_plain.start(args, env={"DATABASE_URL": UNREACHABLE_URL}, argv=no_setuid + pe_plain.argv(args)).wait(60)
    assert res.returncode == 78, str(res)
    assert (
        "cannot run as user 'nobody' (uid 65534 'nobody', gid 65534): the switch failed here: Operation not "
        "permitted; the container may lack CAP_SETUID/CAP_SETGID" in res.stderr
    ), str(res)
    assert "waiting" not in res.stderr and not (pe_plain.cwd / "by-app").exists(), str(res)


# ---------------------------------------------------------------------------------------------
# prisma generate as the user, and the files written for it
# ---------------------------------------------------------------------------------------------


def test_prisma_generate_runs_as_the_user_and_every_file_written_is_theirs(
    pe_plain, named_user, project, npm_node_modules
):
    ids = (named_user.uid, named_user.gid)
    root = copy_app(project(*ids), npm_node_modules, shared=False)
    chown_tree(root, *ids)
    pe_plain.cwd = root
    res = pe_plain.run(["--user", "owner", "--no-wait", "--", "sh", "-c", WHO], env=BASE_ENV, seconds=120)
    assert res.returncode == 0, str(res)
    assert GENERATED.search(res.stderr), str(res)
    assert who(res)["uid"] == named_user.uid, str(res)
    client = root / CLIENT_DIR / "index.js"
    record = root / RECORD
    written = [
        client,  # by prisma generate
        root / "by-app",  # by the app
        record,  # by the entrypoint, and the folders it made for it
        record.with_name(record.name + ".lock"),
        record.parent,
        record.parent.parent,
    ]
    assert {str(p.relative_to(root)): owner(p) for p in written} == {
        str(p.relative_to(root)): ids for p in written
    }, str(res)
    # A record in a folder that is not the user's stays root's.
    elsewhere = project(0, 0)
    res = pe_plain.run(
        [
            "--user",
            "owner",
            "--no-wait",
            "--force-generate",
            "--generate-record",
            str(elsewhere / "record"),
            "--",
            "true",
        ],
        env=BASE_ENV,
        seconds=120,
    )
    assert res.returncode == 0, str(res)
    assert owner(elsewhere / "record") == (0, 0), str(res)
    assert owner(client) == ids, str(res)


def test_migrate_deploy_runs_as_the_user_against_a_real_database(pe_plain, named_user, project, pg, npm_node_modules):
    ids = (named_user.uid, named_user.gid)
    root = copy_app(project(*ids), npm_node_modules, shared=False)
    pe_plain.cwd = root
    app = test_migrate.App(pe_plain, root, pg, test_migrate.new_database(pg))
    # what the wrapper writes must be in the project: the runner's own folder is closed to the user
    app.calls_log, app.marker = root / "prisma-calls.log", root / "app-ran"
    install_wrapper(root, app.calls_log, before_exec=f'id -u >> {root / "prisma-ran-as"}')
    chown_tree(root, *ids)
    res = app.run("--user", "owner", generate=True)
    assert res.returncode == 0, str(res)
    assert [c["args"][0] for c in read_calls(app.calls_log)] == ["generate", "migrate"], str(res)
    assert (root / "prisma-ran-as").read_text().split() == [str(named_user.uid)] * 2, str(res)
    assert app.rows() == [(test_migrate.INIT, "t", "f")], str(res)
    assert app.app_ran and owner(app.marker) == ids, str(res)


# ---------------------------------------------------------------------------------------------
# the supervisor stays root, and signals still reach the app
# ---------------------------------------------------------------------------------------------


def test_sigterm_reaches_the_app_and_its_status_is_passed_through(pe_pid1, named_user, project):
    pe_pid1.cwd = project(named_user.uid, named_user.gid)
    app = helper("sigrecord.py", "--out", "got", "--ready", "ready", "--until", "TERM", "--exit", "7")
    p = pe_pid1.start(["--user", named_user.name, "--no-wait", "--", *app])
    pe_pid1.wait_file("ready", p)
    assert uid_of(p.app_pid()) == named_user.uid
    assert uid_of(p.epid()) == 0, "the supervisor must stay root"
    p.signal(signal.SIGTERM)
    res = p.wait()
    assert res.returncode == 7, str(res)
    assert read_signals(pe_pid1.cwd / "got") == [signal.SIGTERM], str(res)


def test_a_restart_runs_the_cli_and_the_new_app_as_the_user_who_may_ask_for_it(pe_pid1, named_user, project):
    ids = (named_user.uid, named_user.gid)
    pe_pid1.cwd = project(*ids)
    cli = rs.fake_cli(pe_pid1.cwd / "fake")  # logs its calls next to itself
    opts = rs.schema_app(pe_pid1, cli)
    chown_tree(pe_pid1.cwd, *ids)
    starts = pe_pid1.cwd / "starts"
    p = pe_pid1.start(
        [*opts, "--force-generate", "--user", named_user.name, "--", *rs.app_argv(starts)], env=rs.FAKE_ENV
    )
    [first] = rs.wait_starts(starts, 1, p)
    res = rs.restart(p)  # as root, as `docker compose exec` is by default
    assert res.returncode == 0, rs.show(res)
    [_, second] = rs.wait_starts(starts, 2, p)
    assert uid_of(rs.outer_pid(p, second)) == named_user.uid
    assert len(rs.fake_calls(cli)) == 2 and owner(cli.parent / "calls") == ids
    assert owner(pe_pid1.cwd / RECORD) == ids
    # the app's user may ask too (docker compose exec -u), anyone else may not
    res = rs.restart(p, uid=named_user.uid)
    assert res.returncode == 0, rs.show(res)
    rs.wait_starts(starts, 3, p)
    res = rs.restart(p, uid=NOBODY)
    assert res.returncode == 77, rs.show(res)
    assert res.stderr.splitlines() == [
        "prisma-entrypoint: error: restart refused: only root, uid 0 (the supervisor's user) and "
        f"uid {named_user.uid} (the app's user) may ask for a restart"
    ], rs.show(res)
    rs.stop(p)


def test_a_watch_restart_runs_the_cli_and_the_new_app_as_the_user(pe_pid1, named_user, project):
    ids = (named_user.uid, named_user.gid)
    pe_pid1.cwd = project(*ids)
    cli = rs.fake_cli(pe_pid1.cwd / "fake")
    opts = rs.schema_app(pe_pid1, cli)
    chown_tree(pe_pid1.cwd, *ids)
    starts = pe_pid1.cwd / "starts"
    p = pe_pid1.start([*opts, "--watch", "--user", named_user.name, "--", *rs.app_argv(starts)], env=rs.FAKE_ENV)
    [first] = rs.wait_starts(starts, 1, p)
    assert uid_of(rs.outer_pid(p, first)) == named_user.uid
    with open(pe_pid1.cwd / "prisma" / "schema.prisma", "a") as schema:  # the host user's edit
        schema.write("// edited\n")
    [_, second] = rs.wait_starts(starts, 2, p)
    assert uid_of(rs.outer_pid(p, second)) == named_user.uid
    assert uid_of(p.epid()) == 0, "the supervisor must stay root"
    assert len(rs.fake_calls(cli)) == 2 and owner(cli.parent / "calls") == ids
    assert owner(pe_pid1.cwd / RECORD) == ids
    rs.stop(p)
