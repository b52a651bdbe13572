"""Machine-wide locks, so that two guardrail runs never share a tool cache or a snapshot at once.

mypy's ``.mypy_cache`` is not safe for two mypy processes writing it together (a second run in
the same folder can crash with ``INTERNAL ERROR``): the runner holds the lock named for the
project folder while mypy runs. The push snapshots take a lock per worktree slot.

The locks are the operating system's file locks through ``filelock`` (``flock`` on POSIX,
``LockFileEx`` on Windows), which the OS drops when a process dies, so a killed run never leaves
one held. ``filelock`` is imported on first use: a run that takes no lock never pays for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from filelock import BaseFileLock

POLL = 0.05


def _folder() -> Path:
    # Windows' %TEMP% is the user's own; /tmp is shared between users, so there the folder is
    # named for the user.
    name = "push-guardrail-locks"
    if sys.platform != "win32":
        name += f"-{os.getuid()}"
    folder = Path(tempfile.gettempdir()) / name
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _path(name: str) -> Path:
    return _folder() / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")


def acquire(path: Path, *, blocking: bool) -> BaseFileLock | None:
    """Lock the file ``path`` (created if missing) and return the held lock (``.release()``
    ends it); None when another holder has it and ``blocking`` is False."""
    from filelock import FileLock, Timeout

    lock = FileLock(path)
    try:
        lock.acquire(blocking=blocking, poll_interval=POLL)
    except Timeout:
        return None
    return lock


@contextlib.contextmanager
def held(name: str, cancel: threading.Event | None = None) -> Iterator[bool]:
    """Hold the lock ``name``; yields False (without it) when ``cancel`` is set while waiting."""
    from filelock import FileLock, Timeout

    lock = FileLock(_path(name))
    try:
        lock.acquire(poll_interval=POLL, cancel_check=None if cancel is None else cancel.is_set)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
