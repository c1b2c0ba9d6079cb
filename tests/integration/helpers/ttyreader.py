"""Test helper: an interactive line reader for the pty tests.

Prints whether it owns the terminal's foreground ("FG=yes" when tcgetpgrp(0) == getpgrp()), then
loops: prints the prompt "ready> ", reads a line, prints "got:<line>". Exits 0 at end of input.
SIGINT keeps its default action, so Ctrl-C kills it with SIGINT (the entrypoint then exits 130).
"""

import os
import signal
import sys

signal.signal(signal.SIGINT, signal.SIG_DFL)
pgrp, fg = os.getpgrp(), os.tcgetpgrp(0)
print(f"FG={'yes' if fg == pgrp else 'no'} pgrp={pgrp} tpgid={fg}", flush=True)
while True:
    sys.stdout.write("ready> ")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    print("got:" + line.strip(), flush=True)
