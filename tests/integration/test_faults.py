"""Faults injected into real parts (issue 10): a full disk and a failing disk under the generate record
and its lock, PostgreSQL killed under the migrate phase, and 20 replicas started together.

Disks. The record's folder is a file system of the test's own, mounted in a private mount namespace
that a sleeping process holds open (MountNamespace): the entrypoint runs inside it (nsenter), and the
test reads what is left there through /proc/HOLDER/root after the entrypoint is gone.
  * ENOSPC: a tmpfs with a size (blocks) or nr_inodes limit, filled up by the prisma wrapper while
    `prisma generate` runs, or before the start.
  * EIO, two real kernel ways (this kernel has no device-mapper and no fault-injection framework,
    checked: CONFIG_BLK_DEV_DM and CONFIG_FAULT_INJECTION are off, no modules):
      - a thinly provisioned disk that runs out underneath: ext4 on a loop device whose backing file
        is sparse on a small tmpfs; once that tmpfs is full, writes of new blocks fail in the loop
        driver, and the file system reports it where it learns of it: fsync, with EIO (or ENOSPC);
      - a disk that goes away: the ext4 shutdown ioctl (EXT4_IOC_SHUTDOWN, what xfstests' `godown`
        uses), after which every operation on the file system fails with EIO until it is mounted
        again.
  Each needs root and a mount namespace (and a free loop device for EIO); without them the tests skip
  and say why.

PostgreSQL. A cluster of the test's own (pg_fresh) is killed (SIGKILL of the postmaster, or
`pg_ctl stop -m immediate`) at a point the test waits for with real server state, not sleeps: the
check blocked on a table lock the test holds, a replica trying the migrate lock another session holds,
a deploy whose migration waits for a table lock. Then PostgreSQL comes back and the next start must
do the right thing.

The real Prisma 6.19 CLI runs throughout (npm_app.py). Its deploys get helpers/deploy_exits.js
preloaded, which only keeps a 10 s lock-timeout timer of this test setup's WebAssembly engine from
holding the process open after its work (it still fires, so P1002 can still happen).
"""

import errno
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import test_generate as gen
import test_migrate as mig
from conftest import HELPERS, children_of, proc_stat, wait_until
from npm_app import copy_app, install_wrapper, remove_node_modules

DEPLOY_EXITS = HELPERS / "deploy_exits.js"
ERROR_LINE = re.compile(r"^prisma-entrypoint: error: ")
EXT4_IOC_SHUTDOWN = 0x8004587D  # _IOR('X', 125, __u32)
EXT4_GOING_FLAGS_NOLOGFLUSH = 2  # shut down now, as a disk that vanished would


def error_lines(res) -> list:
    return [line for line in res.stderr_lines() if ERROR_LINE.match(line)]


# strerror() as glibc (the dynamic build) and musl (the static one) say it
EIO_TEXT = ("Input/output error", "I/O error")
ENOSPC_TEXT = ("No space left on device",)


def assert_one_error(res, code: int, *words):
    """The documented exit code, exactly one error line, and that line says each of words (a tuple:
    one of its texts)."""
    assert res.returncode == code, str(res)
    errors = error_lines(res)
    assert len(errors) == 1, f"expected one error line, got {errors}\n{res}"
    for word in words:
        texts = word if isinstance(word, tuple) else (word,)
        assert any(t in errors[0] for t in texts), f"{word!r} not in the error line {errors[0]!r}\n{res}"
    return errors[0]


# ---------------------------------------------------------------------------------------------
# a private mount namespace the test can look into
# ---------------------------------------------------------------------------------------------


class MountNamespace:
    """A private mount namespace held open by `sleep` (unshare --mount --propagation private). Mounts
    made in it (sh()) are seen only by what runs in it (argv()) and, through path(), by the test."""

    def __init__(self, runner):
        self.runner = runner
        self.holder = subprocess.Popen(
            [shutil.which("unshare"), "--mount", "--propagation", "private", "sleep", "infinity"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        runner.exclude = runner.exclude | {self.holder.pid}  # not a leftover of the binary under test
        ours = os.readlink("/proc/self/ns/mnt")

        def entered():
            try:
                return (
                    os.readlink(f"/proc/{self.holder.pid}/ns/mnt") != ours
                    and Path(f"/proc/{self.holder.pid}/comm").read_text().strip() == "sleep"
                )
            except OSError:
                return False

        deadline = time.monotonic() + 10
        while not entered():
            if self.holder.poll() is not None or time.monotonic() > deadline:
                err = self.holder.stderr.read().decode(errors="replace") if self.holder.poll() is not None else ""
                self.close()
                pytest.skip(f"cannot create a private mount namespace here (unshare --mount): {err.strip()}")
            time.sleep(0.01)

    def sh(self, script: str, *args, check: bool = True) -> subprocess.CompletedProcess:
        """Run a shell script inside the namespace (arguments as $1 ...)."""
        p = subprocess.run(
            [
                shutil.which("nsenter"),
                "-t",
                str(self.holder.pid),
                "-m",
                "--",
                "/bin/sh",
                "-ec",
                script,
                "sh",
                *map(str, args),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and p.returncode != 0:
            raise AssertionError(
                f"in the mount namespace: {script!r} {args} failed ({p.returncode}): " f"{p.stdout}{p.stderr}"
            )
        return p

    def path(self, inside: Path) -> Path:
        """The path the test uses for a path inside the namespace."""
        return Path(f"/proc/{self.holder.pid}/root") / Path(inside).relative_to("/")

    def argv(self, inner: list) -> list:
        """argv running inner inside the namespace, in the runner's working directory. (Not nsenter's
        --wd: it opens the folder before entering, so relative paths would miss the namespace's mounts.)"""
        return [
            shutil.which("nsenter"),
            "-t",
            str(self.holder.pid),
            "-m",
            "--",
            "/bin/sh",
            "-c",
            'cd "$0" && exec "$@"',
            str(self.runner.cwd),
            *inner,
        ]

    def close(self):
        if self.holder.poll() is None:
            self.holder.kill()
        self.holder.wait()
        self.holder.stderr.close()


@pytest.fixture
def mounts(pe_plain):
    if os.geteuid() != 0:
        pytest.skip("mounting a file system of the test's own needs root")
    for tool in ("unshare", "nsenter"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} (util-linux) is missing")
    ns = MountNamespace(pe_plain)
    try:
        yield ns
    finally:
        # unmount first (the loop device of an ext4 mount is freed with it), then end the namespace
        ns.sh(
            "for m in $(awk '{print $5}' /proc/self/mountinfo | grep -F \"$1\" | sort -r); do "
            'umount -l "$m" || true; done',
            pe_plain.tmp,
            check=False,
        )
        ns.close()


@pytest.fixture
def gapp(pe_plain, npm_node_modules):
    """test_generate's App: a copy of the fixture app as the working directory."""
    a = gen.make_app(pe_plain, npm_node_modules)
    yield a
    remove_node_modules(a.root)


class Disk:
    """The record's folder (app/rec) on a file system mounted in the namespace."""

    def __init__(self, app, ns: MountNamespace):
        self.app = app
        self.ns = ns
        self.folder = app.root / "rec"  # as the entrypoint sees it
        self.folder.mkdir()
        self.seen = ns.path(self.folder)  # as the test sees it
        self.record = self.seen / "generate-record"
        self.lock = self.seen / "generate-record.lock"
        self.backing = app.pe.tmp / "backing"

    def tmpfs(self, options: str):
        self.ns.sh('mount -t tmpfs -o "$2" tmpfs "$1"', self.folder, options)

    def ext4_on_loop(self, image_mb: int = 16, backing_kb: int = 8192):
        """ext4 on a loop device over a sparse image on a tmpfs of backing_kb: every block mkfs
        writes (inode tables, journal: no lazy init, no discard) is backed, new data blocks are not
        once the tmpfs is full (fill_backing_script)."""
        self.backing.mkdir()
        script = (
            'mount -t tmpfs -o size="$3"k tmpfs "$2"\n'
            'truncate -s "$4"M "$2/disk.img"\n'
            'mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 "$2/disk.img"\n'
            'mount -o loop "$2/disk.img" "$1"\n'
        )
        if not shutil.which("mkfs.ext4"):
            pytest.skip("mkfs.ext4 (e2fsprogs) is missing")
        p = self.ns.sh(script, self.folder, self.backing, backing_kb, image_mb, check=False)
        if p.returncode != 0:
            pytest.skip(f"cannot mount ext4 on a loop device here: {p.stderr.strip()}")

    def remount(self):
        self.ns.sh('umount "$1"; mount -o loop "$2/disk.img" "$1"', self.folder, self.backing)

    def fill_backing_script(self) -> str:
        return f'cat /dev/zero > "{self.backing}/filler" 2>/dev/null || true'

    def shut_down(self):
        fd = os.open(self.seen, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN, EXT4_GOING_FLAGS_NOLOGFLUSH.to_bytes(4, "little"))
        finally:
            os.close(fd)

    def leftovers(self) -> list:
        return sorted(e.name for e in self.seen.iterdir() if e.name.startswith("generate-record.tmp-"))

    # runs of the entrypoint inside the namespace, with the record on this disk
    def start(self, *opts):
        return self.app.start("--generate-record", "rec/generate-record", *opts, argv=self.ns.argv)

    def run(self, *opts, seconds: float = 60):
        return self.start(*opts).wait(seconds)

    def check(self):
        args = ["hash", "--check", "--generate-record", "rec/generate-record"]
        return self.app.pe.start(args, env=self.app.env(), argv=self.ns.argv(self.app.pe.argv(args))).wait(30)


NEW_FIELD = "shoeSize Int?"  # a name the generated client has nowhere else


def add_field(app):
    app.edit(gen.SCHEMA, gen.USER_FIELD, f"{gen.USER_FIELD}\n  {NEW_FIELD}")


def restore_schema(app):
    app.edit(gen.SCHEMA, f"{gen.USER_FIELD}\n  {NEW_FIELD}", gen.USER_FIELD)


def assert_stale(disk, res=None):
    check = disk.check()
    assert check.returncode == 1 and "stale:" in check.stdout, f"{check}\n{res or ''}"


# ---------------------------------------------------------------------------------------------
# ENOSPC
# ---------------------------------------------------------------------------------------------


def test_disk_full_while_the_record_is_written(gapp, mounts):
    disk = Disk(gapp, mounts)
    disk.tmpfs("size=256k,nr_inodes=1024")
    gapp.wrap()
    res = disk.run()
    assert res.returncode == 0 and gapp.app_ran, str(res)
    before = disk.record.read_bytes()

    # the schema changes, and the disk fills up while prisma generates for it
    add_field(gapp)
    gapp.wrap(before_exec=f'cat /dev/zero > "{disk.folder}/filler" 2>/dev/null || true')
    res = disk.run()
    assert_one_error(res, 73, "cannot write the generate record", ENOSPC_TEXT)
    assert not gapp.app_ran and len(gapp.calls()) == 2
    # the record of the old schema went before prisma ran (the client on disk is no longer that one's),
    # no new one vouches for a client that was not recorded, and no temporary file is left
    assert not disk.record.exists() and disk.leftovers() == [], str(res)
    assert "shoeSize" in gapp.dts(), "prisma did not write the new client"
    assert_stale(disk, res)
    restore_schema(gapp)  # the schema put back: the client on disk still has the field: still stale
    assert_stale(disk, res)

    # space again: the next start generates and records the same inputs as the first
    (disk.seen / "filler").unlink()
    gapp.wrap()
    res = disk.run()
    assert res.returncode == 0 and gapp.app_ran and len(gapp.calls()) == 3, str(res)
    assert disk.record.read_bytes() == before
    assert "shoeSize" not in gapp.dts()


def test_no_inode_left_for_the_lock_file(gapp, mounts):
    disk = Disk(gapp, mounts)
    disk.tmpfs("size=256k,nr_inodes=16")
    gapp.wrap()
    res = disk.run()
    assert res.returncode == 0, str(res)
    before = disk.record.read_bytes()
    # the record is there without its lock file (copied alone from a build stage), and the file
    # system has no inode left for one
    disk.lock.unlink()
    n = 0
    while True:
        try:
            (disk.seen / f"f{n}").touch()
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
            break
        n += 1
    add_field(gapp)
    res = disk.run()
    assert_one_error(res, 73, "cannot create the lock file", ENOSPC_TEXT)
    assert not gapp.app_ran and len(gapp.calls()) == 1, "prisma ran without the lock"
    assert disk.record.read_bytes() == before  # the previous record, byte for byte
    assert_stale(disk, res)  # the schema changed: not current
    restore_schema(gapp)
    check = disk.check()  # the client on disk was never touched: current, as the record says
    assert check.returncode == 0 and check.stdout.startswith("current "), str(check)


# ---------------------------------------------------------------------------------------------
# EIO
# ---------------------------------------------------------------------------------------------


def test_storage_runs_out_under_the_file_system(gapp, mounts):
    """A thinly provisioned disk that runs out: the record's write() lands in the page cache, and the
    kernel reports the failed write-back at fsync, as EIO or, when the loop driver's "no space" reaches
    the file system as such, ENOSPC (both seen here, depending on whether the journal or the data
    write fails first). ext4 may then abort its journal and go read-only, and the temporary file
    stay under its temporary name, which nothing reads as a record."""
    disk = Disk(gapp, mounts)
    disk.ext4_on_loop()
    gapp.wrap()
    res = disk.run()
    assert res.returncode == 0, str(res)

    add_field(gapp)
    gapp.wrap(before_exec=disk.fill_backing_script())
    res = disk.run()
    assert_one_error(res, 73, "cannot write the generate record", "fsync failed", EIO_TEXT + ENOSPC_TEXT)
    assert not gapp.app_ran
    assert not disk.record.exists(), str(res)
    assert_stale(disk, res)
    restore_schema(gapp)
    assert_stale(disk, res)


def shut_down_script(folder: Path) -> str:
    """Shell code (for the prisma wrapper) that shuts the disk holding folder down."""
    code = (
        f"import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
        f"fcntl.ioctl(fd, {EXT4_IOC_SHUTDOWN}, ({EXT4_GOING_FLAGS_NOLOGFLUSH}).to_bytes(4, 'little'))"
    )
    return f'{sys.executable} -c "{code}" "{folder}"'


def test_disk_gone_under_the_record_and_the_lock(gapp, mounts):
    disk = Disk(gapp, mounts)
    disk.ext4_on_loop()
    gapp.wrap()
    res = disk.run()
    assert res.returncode == 0, str(res)
    before = disk.record.read_bytes()

    # gone before the start: the record cannot be read
    add_field(gapp)
    disk.shut_down()
    res = disk.run()
    assert_one_error(res, 73, "generate record", EIO_TEXT)
    assert not gapp.app_ran and len(gapp.calls()) == 1
    disk.remount()  # the disk is back: the record is as it was
    assert disk.record.read_bytes() == before
    assert_stale(disk, res)

    # gone while prisma generates (a power cut, as far as the disk knows: what was not yet
    # committed is lost): the new record cannot be written, and the old one, removed before prisma
    # started, must not come back with the disk, or the schema put back would pass for current
    # with the new client on disk
    gapp.wrap(before_exec=shut_down_script(disk.folder))
    res = disk.run()
    assert_one_error(res, 73, "cannot write the generate record", EIO_TEXT)
    assert not gapp.app_ran and len(gapp.calls()) == 2 and "shoeSize" in gapp.dts()
    disk.remount()
    restore_schema(gapp)
    assert_stale(disk, res)
    assert not disk.record.exists(), "the record removed before prisma ran came back after the power cut"

    # a first start (no record, no lock file yet) on a disk that goes away: no lock
    for name in (disk.record, disk.lock):
        name.unlink(missing_ok=True)
    os.sync()
    disk.shut_down()
    gapp.wrap()
    res = disk.run()
    assert_one_error(res, 73, "cannot create the lock file", EIO_TEXT)
    assert not gapp.app_ran and len(gapp.calls()) == 2
    disk.remount()
    assert sorted(e.name for e in disk.seen.iterdir()) == ["lost+found"]


# ---------------------------------------------------------------------------------------------
# PostgreSQL killed under the migrate phase
# ---------------------------------------------------------------------------------------------

MIGRATE_FAILED = "prisma migrate deploy failed"
APP_TABLE = 'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL, name text)'


def deploy_faster(app):
    """test_migrate's recording wrapper, with helpers/deploy_exits.js preloaded (see the docstring)."""
    install_wrapper(app.root, app.calls_log, node_args=["--require", str(DEPLOY_EXITS)])


@pytest.fixture
def mapp(pe_plain, pg_fresh, npm_node_modules):
    """test_migrate's App on a cluster of the test's own (it gets killed), with INIT applied (as
    Prisma would have recorded it) and ADD_AGE pending."""
    crash_safe(pg_fresh)
    pg_fresh.start()
    a = mig.App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg_fresh, mig.new_database(pg_fresh))
    deploy_faster(a)
    a.pg.psql(f"SET ROLE app; {APP_TABLE}", database=a.database)
    mig.create_migrations_table(a, (mig.INIT, True))
    a.add_migration(*mig.ADD_AGE)
    yield a
    remove_node_modules(a.root)


def crash_safe(cluster, max_connections: int = 30):
    """The test clusters commit asynchronously (pg.py: fast throwaway servers), so a crash loses the
    last commits: here a commit must survive the server's death, as on a real server (fsync may stay
    off: the operating system keeps what a killed server wrote)."""
    with open(cluster.data / "postgresql.conf", "a") as f:
        f.write(f"\n# test_faults.py\nsynchronous_commit = on\nmax_connections = {max_connections}\n")


def kill_postgres(cluster, how: str):
    """SIGKILL of the postmaster (its backends notice and exit on their own), or an immediate stop
    (SIGQUIT to every process); returns once none of the server's processes is left."""
    pid = cluster.postmaster_pid()
    assert pid is not None, f"{cluster} is not running"
    backends = children_of(pid)
    if how == "sigkill":
        os.kill(pid, signal.SIGKILL)
    else:
        cluster.stop("immediate")
    # gone, not just dead: a postmaster that is still a zombie (until init reaps it) keeps the next start
    # from taking over the data directory
    wait_until(lambda: not any(proc_stat(p) for p in [pid, *backends]), 30, "PostgreSQL's processes to be reaped")
    cluster.running = False


def session(cluster, database: str, sql: str, held: str) -> subprocess.Popen:
    """A psql session that ran sql and stays open; returns once `held` (a query on pg_locks) is true."""
    p = cluster.psql_session(database)
    mig.send(p, sql)
    wait_until(
        lambda: p.poll() is None and cluster.psql(held, database=database).strip() == "t", 10, "the psql session's lock"
    )
    return p


def table_locked(cluster, database: str, table: str) -> subprocess.Popen:
    return session(
        cluster,
        database,
        f'BEGIN; LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE;',
        f"SELECT count(*) > 0 FROM pg_locks WHERE relation = '\"{table}\"'::regclass "
        "AND mode = 'AccessExclusiveLock' AND granted",
    )


def end_session(p: subprocess.Popen):
    """The psql session died with the server: collect it."""
    try:
        p.stdin.close()
    except OSError:
        pass
    p.wait(timeout=10)


def waiting_on_lock(app, query_words: str, ours: bool = True) -> bool:
    """Whether a query with query_words, sent by the entrypoint (ours) or by prisma (not ours), waits
    for a lock in the app's database."""
    who = "=" if ours else "<>"
    return (
        app.pg.psql(
            f"SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = '{app.database}' AND application_name {who} "
            f"'prisma-entrypoint' AND wait_event_type = 'Lock' AND position('{query_words}' in query) > 0"
        ).strip()
        == "t"
    )


def assert_next_start_deploys(app, deploys: int):
    res = app.run()
    assert res.returncode == 0 and app.app_ran, str(res)
    assert f"running prisma migrate deploy: 1 migration pending, first {mig.ADD_AGE[0]}" in res.stderr, str(res)
    assert len(app.deploys()) == deploys, app.deploys()
    assert app.rows() == [(mig.INIT, "t", "f"), (mig.ADD_AGE[0], "t", "f")], app.rows()
    assert "age" in app.columns("User")


def assert_migrate_failed(app, res):
    assert_one_error(res, 81, MIGRATE_FAILED)
    assert not app.app_ran
    assert "P1002" not in res.stdout + res.stderr, str(res)


def test_postgres_killed_while_the_check_reads(mapp):
    app = mapp
    # the check's read of _prisma_migrations waits behind a lock the test holds: the server dies then
    holder = table_locked(app.pg, app.database, "_prisma_migrations")
    proc = app.start()
    wait_until(lambda: waiting_on_lock(app, "_prisma_migrations"), 30, "the check's read of _prisma_migrations", proc)
    kill_postgres(app.pg, "sigkill")
    end_session(holder)
    res = proc.wait(60)
    # it says it could not read, tries prisma migrate deploy (the usual way to find out), which cannot
    # reach the server either: exit 81, the app not started
    assert_migrate_failed(app, res)
    assert "cannot read _prisma_migrations" in res.stderr, str(res)
    assert len(app.deploys()) == 1

    app.pg.start()
    assert_next_start_deploys(app, 2)


def test_postgres_stopped_while_a_replica_waits_for_the_lock(mapp):
    app = mapp
    holder = mig.held_lock(app.pg, app.database)  # another replica, migrating
    proc = app.start()
    wait_until(lambda: mig.entrypoint_sent(app, "pg_try_advisory_lock"), 30, "the migrate lock's first try", proc)
    kill_postgres(app.pg, "immediate")
    end_session(holder)
    res = proc.wait(60)
    assert_migrate_failed(app, res)
    assert f'another process is migrating database "{app.database}" (held by pid ' in res.stderr, str(res)

    app.pg.start()
    assert_next_start_deploys(app, len(app.deploys()) + 1)


def test_postgres_killed_during_deploy(mapp):
    app = mapp
    # the migration's ALTER TABLE waits behind a lock the test holds: prisma is mid-deploy
    holder = table_locked(app.pg, app.database, "User")
    proc = app.start()
    wait_until(lambda: waiting_on_lock(app, 'ALTER TABLE "User"', ours=False), 60, "the deploy's ALTER TABLE", proc)
    kill_postgres(app.pg, "sigkill")
    end_session(holder)
    res = proc.wait(60)
    assert_migrate_failed(app, res)
    assert len(app.deploys()) == 1

    # back: the migration the deploy had started shows as failed, with the way out (README: as after
    # any interrupted prisma migrate deploy), without Node
    app.pg.start()
    res = app.run()
    assert_one_error(
        res,
        81,
        # no logs when the server died under the deploy: "was started but never finished"
        (f"migration {mig.ADD_AGE[0]} failed earlier", f"migration {mig.ADD_AGE[0]} was started but never finished"),
        f"prisma migrate resolve --rolled-back {mig.ADD_AGE[0]}",
    )
    assert len(app.deploys()) == 1 and not app.app_ran
    # resolved as the message says (what `prisma migrate resolve --rolled-back` writes; that command
    # needs the native engine this setup lacks): the next start applies it
    app.pg.psql(
        "SET ROLE app; UPDATE _prisma_migrations SET rolled_back_at = now() "
        f"WHERE migration_name = '{mig.ADD_AGE[0]}' AND finished_at IS NULL",
        database=app.database,
    )
    res = app.run()
    assert res.returncode == 0 and app.app_ran and len(app.deploys()) == 2, str(res)
    assert app.rows() == [(mig.INIT, "t", "f"), (mig.ADD_AGE[0], "f", "t"), (mig.ADD_AGE[0], "t", "f")], app.rows()
    assert "age" in app.columns("User")


# ---------------------------------------------------------------------------------------------
# 20 replicas started together
# ---------------------------------------------------------------------------------------------

REPLICAS = 20
ROUNDS = 10


@pytest.fixture
def replicas(pe_plain, pg_fresh, npm_node_modules):
    """One copy of the fixture app that 20 replicas start from, against a cluster of its own with
    room for them all (100 connections, PostgreSQL's default)."""
    crash_safe(pg_fresh, max_connections=100)
    pg_fresh.start()
    a = mig.App(pe_plain, copy_app(pe_plain.cwd, npm_node_modules), pg_fresh, "none-yet")
    deploy_faster(a)
    yield a
    remove_node_modules(a.root)


def start_together(app) -> list:
    app.marker.unlink(missing_ok=True)
    procs = [app.pe.start(app.args(), env=app.env()) for _ in range(REPLICAS)]
    return [p.wait(120) for p in procs]


def round_report(results) -> str:
    return "\n".join(str(r) for r in results if r.returncode != 0) or "\n".join(map(str, results[:2]))


def test_replicas_started_together_deploy_once(replicas):
    app = replicas
    for n in range(ROUNDS):
        app.database = mig.new_database(app.pg)
        deploys = len(app.deploys())
        results = start_together(app)
        assert all(r.returncode == 0 for r in results), f"round {n}: a replica failed\n{round_report(results)}"
        assert not any("P1002" in r.stdout + r.stderr for r in results), f"round {n}\n{round_report(results)}"
        assert len(app.deploys()) - deploys == 1, f"round {n}: {len(app.deploys()) - deploys} deploys"
        assert app.rows() == [(mig.INIT, "t", "f")], f"round {n}: {app.rows()}"
        assert app.marker.read_text().split() == ["ran"] * REPLICAS, f"round {n}: not every app started"


def test_replicas_started_together_with_the_database_missing(replicas):
    """A database that does not exist yet: the replica that gets the create lock in the maintenance
    database creates it and deploys, the others wait for that and find it up to date. Every app
    starts, exactly one deploy a round, no replica runs into Prisma's lock timeout."""
    app = replicas
    app.pg.psql("ALTER ROLE app CREATEDB")
    for n in range(ROUNDS):
        app.database = "nodb_" + uuid.uuid4().hex[:10]
        deploys = len(app.deploys())
        results = start_together(app)
        assert all(r.returncode == 0 for r in results), f"round {n}: a replica failed\n{round_report(results)}"
        assert not any("P1002" in r.stdout + r.stderr for r in results), f"round {n}\n{round_report(results)}"
        creators = [r for r in results if "does not exist yet: creating it" in r.stderr]
        assert len(creators) == 1, f"round {n}: {len(creators)} replicas created the database"
        assert len(app.deploys()) - deploys == 1, f"round {n}: {len(app.deploys()) - deploys} deploys"
        assert app.rows() == [(mig.INIT, "t", "f")], f"round {n}: {app.rows()}"
        assert app.marker.read_text().split() == ["ran"] * REPLICAS, f"round {n}: not every app started"
