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
import threading
import time
import uuid
from pathlib import Path

import pytest

import pg as pgm
import test_generate as gen
import test_migrate as mig
from conftest import HELPERS, children_of, pid_alive, timeout, wait_until
from npm_app import copy_app, install_wrapper, node_modules_or_fail, remove_node_modules

DEPLOY_EXITS = HELPERS / "deploy_exits.js"
ERROR_LINE = re.compile(r"^prisma-entrypoint: error: ")
EXT4_IOC_SHUTDOWN = 0x8004587D  # _IOR('X', 125, __u32)
EXT4_GOING_FLAGS_NOLOGFLUSH = 2  # shut down now, as a disk that vanished would


@pytest.fixture(scope="session")
def npm_node_modules():
    return node_modules_or_fail()


def error_lines(res) -> list:
    return [line for line in res.stderr_lines() if ERROR_LINE.match(line)]


def assert_one_error(res, code: int, *words):
    """The documented exit code, exactly one error line, and that line says each of words."""
    assert res.returncode == code, str(res)
    errors = error_lines(res)
    assert len(errors) == 1, f"expected one error line, got {errors}\n{res}"
    for word in words:
        assert word in errors[0], f"{word!r} not in the error line {errors[0]!r}\n{res}"
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
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        runner.exclude = runner.exclude | {self.holder.pid}  # not a leftover of the binary under test
        ours = os.readlink("/proc/self/ns/mnt")

        def entered():
            try:
                return (os.readlink(f"/proc/{self.holder.pid}/ns/mnt") != ours
                        and Path(f"/proc/{self.holder.pid}/comm").read_text().strip() == "sleep")
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
        p = subprocess.run([shutil.which("nsenter"), "-t", str(self.holder.pid), "-m", "--", "/bin/sh", "-ec",
                            script, "sh", *map(str, args)], capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"in the mount namespace: {script!r} {args} failed ({p.returncode}): "
                                 f"{p.stdout}{p.stderr}")
        return p

    def path(self, inside: Path) -> Path:
        """The path the test uses for a path inside the namespace."""
        return Path(f"/proc/{self.holder.pid}/root") / Path(inside).relative_to("/")

    def argv(self, inner: list) -> list:
        """argv running inner inside the namespace, in the runner's working directory. (Not nsenter's
        --wd: it opens the folder before entering, so relative paths would miss the namespace's mounts.)"""
        return [shutil.which("nsenter"), "-t", str(self.holder.pid), "-m", "--", "/bin/sh", "-c", 'cd "$0" && exec "$@"',
                str(self.runner.cwd), *inner]

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
        ns.sh("for m in $(awk '{print $5}' /proc/self/mountinfo | grep -F \"$1\" | sort -r); do "
              "umount -l \"$m\" || true; done", pe_plain.tmp, check=False)
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
        once fill_backing() has run."""
        self.backing.mkdir()
        script = ('mount -t tmpfs -o size="$3"k tmpfs "$2"\n'
                  'truncate -s "$4"M "$2/disk.img"\n'
                  'mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 "$2/disk.img"\n'
                  'mount -o loop "$2/disk.img" "$1"\n')
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
    assert_one_error(res, 73, "cannot write the generate record", "No space left on device")
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
    assert_one_error(res, 73, "cannot create the lock file", "No space left on device")
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
    write fails first). ext4 then aborts its journal and goes read-only, so the temporary file cannot
    be removed: it is left under its temporary name, which nothing reads as a record."""
    disk = Disk(gapp, mounts)
    disk.ext4_on_loop()
    gapp.wrap()
    res = disk.run()
    assert res.returncode == 0, str(res)

    add_field(gapp)
    gapp.wrap(before_exec=disk.fill_backing_script())
    res = disk.run()
    line = assert_one_error(res, 73, "cannot write the generate record", "fsync failed")
    assert "Input/output error" in line or "No space left on device" in line, line
    assert not gapp.app_ran
    assert not disk.record.exists(), str(res)
    assert all(name.startswith("generate-record.tmp-") for name in disk.leftovers()), disk.leftovers()
    assert_stale(disk, res)
    restore_schema(gapp)
    assert_stale(disk, res)


def shut_down_script(folder: Path) -> str:
    """Shell code (for the prisma wrapper) that shuts the disk holding folder down."""
    code = (f"import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
            f"fcntl.ioctl(fd, {EXT4_IOC_SHUTDOWN}, ({EXT4_GOING_FLAGS_NOLOGFLUSH}).to_bytes(4, 'little'))")
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
    assert_one_error(res, 73, "generate record", "Input/output error")
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
    assert_one_error(res, 73, "cannot write the generate record", "Input/output error")
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
    assert_one_error(res, 73, "cannot create the lock file", "Input/output error")
    assert not gapp.app_ran and len(gapp.calls()) == 2
    disk.remount()
    assert sorted(e.name for e in disk.seen.iterdir()) == ["lost+found"]
