"""A machine-wide lock by name, so that two guardrail runs never share a tool cache at once.

mypy's ``.mypy_cache`` is not safe for two mypy processes writing it together (a second run in
the same folder can crash with ``INTERNAL ERROR``): the runner holds the lock named for the
project folder while mypy runs. The lock is an ``flock``, which the kernel drops when a process
dies, so a killed run never leaves it held.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path


def _path(name: str) -> Path:
    folder = Path(tempfile.gettempdir()) / f"push-guardrail-locks-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")


@contextlib.contextmanager
def held(name: str, cancel: threading.Event | None = None) -> Iterator[bool]:
    """Hold the lock ``name``; yields False (without it) when ``cancel`` is set while waiting."""
    fd = os.open(_path(name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if cancel is not None and cancel.is_set():
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
