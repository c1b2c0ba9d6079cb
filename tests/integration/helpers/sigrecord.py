"""Test helper: record every signal this process receives.

Usage: sigrecord.py --out FILE [--ready FILE] [--until SIGS] [--ignore SIGS]
                    [--linger SECONDS] [--timeout SECONDS] [--exit CODE]

SIGS is a comma-separated list of numbers or names (TERM, SIGUSR1, RTMIN+3, RTMAX).

A handler is installed for every catchable signal: 1..31 except SIGKILL and SIGSTOP (SIGTSTP,
SIGTTIN, SIGTTOU, SIGCHLD, fault signals included) and every real-time signal. Each received
signal's number is appended as one line to --out. Signals in --ignore are set to SIG_IGN instead.
Once the handlers are in place the pid is written to --ready (atomically, via rename). The process
exits with --exit (default 0) once every signal of --until has arrived (after --linger seconds, to
catch stragglers), or with 3 when --timeout (default 60 s) passes first. Without --until it just
records until the timeout (or until something kills it).
"""

import argparse
import os
import signal
import sys
import time


def parse_sig(text):
    text = text.strip().upper()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if text.startswith("SIG"):
        text = text[3:]
    if text.startswith("RTMIN"):
        return signal.SIGRTMIN + int(text[5:] or 0)
    if text.startswith("RTMAX"):
        return signal.SIGRTMAX + int(text[5:] or 0)
    return int(getattr(signal, "SIG" + text))


def parse_sigs(text):
    return {s for s in (parse_sig(t) for t in (text or "").split(",")) if s is not None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--ready")
    ap.add_argument("--until", default="")
    ap.add_argument("--ignore", default="")
    ap.add_argument("--linger", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--exit", type=int, default=0)
    args = ap.parse_args()

    until = parse_sigs(args.until)
    ignore = parse_sigs(args.ignore)
    received = set()
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def handler(signum, _frame):
        os.write(fd, b"%d\n" % signum)
        received.add(signum)

    catchable = [s for s in range(1, 32) if s not in (signal.SIGKILL, signal.SIGSTOP)]
    catchable += list(range(signal.SIGRTMIN, signal.SIGRTMAX + 1))
    for s in catchable:
        signal.signal(s, signal.SIG_IGN if s in ignore else handler)

    if args.ready:
        tmp = args.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{os.getpid()}\n")
        os.rename(tmp, args.ready)

    deadline = time.monotonic() + args.timeout
    while not (until and until <= received):
        if time.monotonic() > deadline:
            sys.stderr.write(f"sigrecord: timed out; received {sorted(received)}\n")
            os._exit(3)
        time.sleep(0.01)
    if args.linger:
        time.sleep(args.linger)
    os._exit(args.exit)


main()
