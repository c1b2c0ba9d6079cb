"""Test helper: make orphans and check that our parent (the entrypoint) reaps them.

Usage: orphans.py COUNT SLEEP_SECONDS EXIT_CODE

Starts COUNT processes `sleep SLEEP_SECONDS` by double fork: the middle process exits at once, so
each sleep is orphaned and re-parented to the nearest child subreaper or PID 1, which must be our
parent, the entrypoint. Checks that each sleep still alive has our parent as its parent, then waits
until every sleep has been reaped: its /proc entry is gone. A sleep that stays a zombie ('Z') was
not reaped. Prints a one-line report on stdout and exits EXIT_CODE when all went well, 1 otherwise.
"""

import os
import sys
import time


def stat(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    comm = data[data.index("(") + 1 : data.rindex(")")]
    rest = data[data.rindex(")") + 2 :].split()
    return comm, rest[0], int(rest[1])


def main():
    count, secs, code = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    parent = os.getppid()
    sleeps = []
    for _ in range(count):
        r, w = os.pipe()
        middle = os.fork()
        if middle == 0:
            os.close(r)
            grandchild = os.fork()
            if grandchild == 0:
                os.close(w)
                os.execvp("sleep", ["sleep", secs])
            os.write(w, b"%d\n" % grandchild)
            os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            sleeps.append(int(f.read()))
        os.waitpid(middle, 0)

    reparented, wrong_parent, early = 0, [], 0
    for pid in sleeps:
        st = stat(pid)
        if st is None or st[1] == "Z":
            early += 1
        elif st[2] == parent:
            reparented += 1
        else:
            wrong_parent.append((pid, st[2]))

    deadline = time.monotonic() + 20
    while True:
        left = []
        for pid in sleeps:
            st = stat(pid)
            if st is not None and st[0] == "sleep":
                left.append((pid, st[1]))
        if not left:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)

    zombies = [pid for pid, state in left if state == "Z"]
    print(
        f"count={count} reparented={reparented} early={early} wrong_parent={wrong_parent} "
        f"left={len(left)} zombies={zombies}",
        flush=True,
    )
    ok = not wrong_parent and not left and reparented > 0
    sys.exit(code if ok else 1)


main()
