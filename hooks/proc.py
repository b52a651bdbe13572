"""The one subprocess wrapper: output to temp files, timeout, and the child's whole tree killed.

A timeout or an interrupt ends the whole tree a child spawned (pytest workers, mypy daemons), not
only the child. On POSIX every child starts in a new session, so its tree is one process group
to signal, even the grandchildren that outlive it; psutil adds the descendants that left the
group. Windows has no process groups to signal: the tree is the descendants psutil finds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

TAIL_BYTES = 64 * 1024
POLL = 0.05

_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ProcResult:
    """What a child did. ``missing`` means the executable could not be started."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    missing: bool = False
    signal: int | None = None


def _read(f: IO[bytes], tail: bool) -> str:
    f.flush()
    size = f.seek(0, os.SEEK_END)
    if tail and size > TAIL_BYTES:
        f.seek(size - TAIL_BYTES)
    else:
        f.seek(0)
    return f.read().decode("utf-8", errors="replace")


def _descendants(pid: int) -> list[psutil.Process]:
    """The processes ``pid`` started, and theirs, while they are still linked to it."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except (psutil.Error, OSError):
        return []


def _end_tree(proc: subprocess.Popen[bytes], *, gently: bool = False) -> None:
    """End the child and every descendant: SIGKILL (SIGTERM when ``gently``) to its process
    group on POSIX, the child itself on Windows; then each descendant psutil finds, which
    covers Windows and the POSIX descendants that left the group."""
    import psutil

    tree = _descendants(proc.pid)  # first: once the child dies, its children are orphans
    if sys.platform == "win32":
        with contextlib.suppress(OSError):
            proc.terminate() if gently else proc.kill()
    else:
        _signal_group(proc, gently=gently)
    for process in tree:
        with contextlib.suppress(psutil.Error, OSError):
            process.terminate() if gently else process.kill()


def _signal_group(proc: subprocess.Popen[bytes], *, gently: bool = False) -> None:
    """SIGKILL (SIGTERM when ``gently``) the child's process group: POSIX only, where the child
    leads its own session.

    After a child exits this ends the grandchildren it left running; Windows keeps no group to
    find them by, so there a finished child's leftovers are not hunted.
    """
    if sys.platform != "win32":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM if gently else signal.SIGKILL)


def _wait(
    proc: subprocess.Popen[bytes], timeout: float | None, cancel: threading.Event | None
) -> bool:
    """Wait for the child; kill its tree on timeout or cancel. True when it timed out.

    The wait itself blocks, so a child's exit is seen the moment it happens (a polling wait adds
    up to 50 ms per check); a watcher thread ends the child on cancel or timeout.
    """
    if cancel is None and timeout is None:
        proc.wait()
        return False
    finished = threading.Event()
    timed_out = threading.Event()
    deadline = None if timeout is None else time.monotonic() + timeout

    def watch() -> None:
        while True:
            step = POLL if deadline is None else min(POLL, max(deadline - time.monotonic(), 0))
            if finished.wait(step):
                return
            if cancel is not None and cancel.is_set():
                _end_tree(proc)
                return
            if deadline is not None and time.monotonic() >= deadline:
                timed_out.set()
                _end_tree(proc)
                return

    watcher = threading.Thread(target=watch, name="guardrail-watch", daemon=True)
    watcher.start()
    try:
        proc.wait()
    finally:
        finished.set()
        watcher.join()
    return timed_out.is_set()


def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdout_tail_only: bool = False,
    stdin: bytes | None = None,
    cancel: threading.Event | None = None,
) -> ProcResult:
    """Run ``argv`` (never through a shell) and wait; never raises for the child's failures."""
    start = time.monotonic()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=sys.platform != "win32",
            )
        except OSError as exc:
            # Not found, not executable, or not a program for this machine (ENOEXEC: a venv
            # copied from another platform): the child never started.
            return ProcResult(
                tuple(argv), 127, "", str(exc), time.monotonic() - start, missing=True
            )
        with _live_lock:
            _live.add(proc)
        timed_out = False
        try:
            if stdin is not None and proc.stdin is not None:
                try:
                    proc.stdin.write(stdin)
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
            timed_out = _wait(proc, timeout, cancel)
        except BaseException:
            _end_tree(proc)
            proc.wait()
            raise
        finally:
            with _live_lock:
                _live.discard(proc)
        # Grandchildren may outlive a finished child; a check leaves nothing behind.
        _signal_group(proc)
        rc = proc.returncode
        return ProcResult(
            argv=tuple(argv),
            returncode=rc,
            stdout=_read(out, stdout_tail_only),
            stderr=_read(err, True),
            duration=time.monotonic() - start,
            timed_out=timed_out,
            signal=-rc if rc < 0 else None,
        )


def terminate_all(grace: float = 1.0) -> None:
    """End every live child's tree: SIGTERM, then SIGKILL after ``grace`` seconds (on Windows,
    where a process cannot be asked to stop, both end it at once)."""
    with _live_lock:
        procs = list(_live)
    for p in procs:
        _end_tree(p, gently=True)
    deadline = time.monotonic() + grace
    for p in procs:
        remaining = deadline - time.monotonic()
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(remaining, 0.01))
        _end_tree(p)
