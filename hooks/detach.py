"""``guardrail-background``: the post-commit hook's entry under pre-commit and prek.

It imports nothing of the guardrail: it starts ``guardrail background start`` in a session of
its own, its output going nowhere (a hook manager reads the hook's output until every writer has
closed it), and returns, so the commit waits only for an interpreter to start. The hook's
arguments are passed on.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    argv = [sys.executable, "-I", "-m", "hooks", "background", "start", *sys.argv[1:]]
    if sys.platform == "win32":
        import subprocess

        null = subprocess.DEVNULL
        flags = getattr(subprocess, "DETACHED_PROCESS", 0)
        subprocess.Popen(argv, stdin=null, stdout=null, stderr=null, creationflags=flags)
        return 0
    if os.fork() == 0:
        try:
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.execv(sys.executable, argv)
        finally:
            os._exit(127)  # exec failed: end the child, never return into the parent's code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
