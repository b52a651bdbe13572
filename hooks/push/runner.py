"""The background runner: each queued commit verified as a push of it would be, one at a time per
repository, niced, the newest commit of each branch only (state: :mod:`hooks.push.background`).

Three processes, each short-lived:

- ``guardrail background start`` (the post-commit hook): queues HEAD and starts a runner,
  detached, then returns;
- ``guardrail background run`` (the runner): takes the repository's runner lock, or exits at
  once when another runner holds it (that one takes the new request); runs the queue oldest
  first; exits when it is empty. It cancels a run that a newer commit of its branch supersedes,
  or that a push of other content outranks;
- ``guardrail background check`` (one verification, the runner's child, in its own process
  group): :func:`hooks.push.check.check_target` on the commit, exactly as a push checks it, so
  the verdict it records has the push's key; then the commit's status file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hooks import atomic, git, locks, proc
from hooks.errors import GuardrailError
from hooks.push import background as bg
from hooks.push.install import command

if TYPE_CHECKING:
    from hooks.engine.gate import RunOptions

NICE = 10


def _state(repo: Path) -> Path:
    state = bg.folder(repo)
    if state is None:
        raise GuardrailError(f"{repo} is not inside a git repository: nothing to verify")
    return state


def start(repo: Path, args: Sequence[str], environ: Mapping[str, str]) -> bg.Request:
    """Queue the commit HEAD names now (superseding what its branch had queued) and start a
    runner, detached; return at once."""
    state = _state(repo)
    sha = git.output(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if sha is None:
        raise GuardrailError(f"{repo}: HEAD names no commit yet; nothing to verify")
    tree = git.check_output(repo, "rev-parse", f"{sha.strip()}^{{tree}}").strip()
    slot, label = bg.slot_of(repo)
    request = bg.Request(
        sha=sha.strip(),
        tree=tree,
        slot=slot,
        label=label,
        worktree=str(repo),
        requested_at=time.time(),
        args=tuple(args),
        env=bg.request_env(environ),
    )
    bg.enqueue(state, request)
    spawn_runner(repo)
    return request


def spawn_runner(repo: Path) -> None:
    """A runner in a session of its own, its output nowhere: the hook (and a hook manager
    reading the hook's output) does not wait for it, and a Ctrl-C at the terminal misses it."""
    subprocess.Popen(
        [*command(), "background", "run"],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=bg.request_env(os.environ),
        start_new_session=sys.platform != "win32",
    )


def run_queue(repo: Path) -> None:
    """Be the repository's runner until its queue is empty (or return at once if another
    runner is)."""
    state = _state(repo)
    _lower_priority()
    stop = threading.Event()
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda signum, frame: stop.set())
    while not stop.is_set():
        lock = locks.acquire(state / "runner.lock", blocking=False)
        if lock is None:
            return
        try:
            _drain(state, stop)
        finally:
            lock.release()
        # A request queued while the lock was being released found it held; take it now.
        if not bg.queued(state):
            return


def _lower_priority() -> None:
    """Niced (below-normal priority on Windows); the checks it starts inherit it."""
    if sys.platform == "win32":
        import psutil

        with contextlib.suppress(psutil.Error, OSError):
            psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
        return
    with contextlib.suppress(OSError):
        os.nice(NICE)


def _drain(state: Path, stop: threading.Event) -> None:
    while not stop.is_set():
        if bg.live_pushes(state):
            time.sleep(bg.POLL)
            continue
        waiting = bg.queued(state)
        if not waiting:
            return
        request = _take(state, waiting[0])
        if request is not None:
            _verify(state, request, stop)


def _take(state: Path, request: bg.Request) -> bg.Request | None:
    """Move the request out of the queue (a rename, so a newer commit queued meanwhile is a new
    file, never lost) and read what was taken."""
    taken = state / "taken" / f"{os.getpid()}.json"
    taken.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(bg.slot_file(state, request.slot), taken)
    except OSError:
        return None
    found = bg.Request.from_json(bg.read_json(taken))
    with contextlib.suppress(OSError):
        taken.unlink()
    return found


def _why_stop(
    state: Path, request: bg.Request, stop: threading.Event, started: float
) -> tuple[str, str] | None:
    """Why the running verification must end now: (status, cause), else None."""
    newer = bg.Request.from_json(bg.read_json(bg.slot_file(state, request.slot)))
    if newer is not None and newer.sha != request.sha:
        return "superseded", f"superseded by {newer.sha[:7]} on {newer.label}"
    if stop.is_set():
        return "cancelled", "the background runner was stopped"
    outranked = bg.outranked(bg.live_pushes(state), request.tree, started)
    return None if outranked is None else ("queued", outranked)


def _verify(state: Path, request: bg.Request, stop: threading.Event) -> None:
    started = time.time()
    me = os.getpid()
    current = {
        "sha": request.sha,
        "tree": request.tree,
        "slot": request.slot,
        "label": request.label,
        "started_at": started,
        "pid": me,
        "pid_started": bg.process_started(me),
    }
    atomic.write_json(state / "current.json", current)
    bg.write_status(
        state, request.sha, state_name="running", label=request.label, started_at=started
    )
    argv = [*command(), "background", "check", "--sha", request.sha, "--label", request.label]
    cancel = threading.Event()
    done: list[proc.ProcResult] = []
    worker = threading.Thread(
        target=lambda: done.append(
            proc.run(
                [*argv, *request.args],
                cwd=request.worktree,
                env=request.env or None,
                cancel=cancel,
            )
        ),
        name="guardrail-background-check",
    )
    worker.start()
    why = None
    while worker.is_alive():
        worker.join(bg.POLL)
        if why is None and worker.is_alive():
            why = _why_stop(state, request, stop, started)
            if why is not None:
                cancel.set()
    with contextlib.suppress(OSError):
        (state / "current.json").unlink()
    final = bg.read_json(bg.status_path(state, request.sha))
    if final is not None and final.get("state") in ("green", "red", "error"):
        return
    if why is not None:
        if why[0] == "queued" and not bg.slot_file(state, request.slot).exists():
            bg.enqueue(state, request)
        else:
            state_name = "cancelled" if why[0] == "queued" else why[0]
            bg.write_status(state, request.sha, state_name=state_name, cause=why[1])
        return
    if done and done[0].signal is not None:
        cause = f"the check was killed (signal {done[0].signal}): no verdict"
        bg.write_status(state, request.sha, state_name="cancelled", cause=cause)
        return
    tail = (done[0].stderr or done[0].stdout).strip().splitlines() if done else []
    cause = tail[-1] if tail else "the background check ended without a verdict"
    bg.write_status(state, request.sha, state_name="error", label=request.label, cause=cause)


def verify(
    repo: Path,
    sha: str,
    label: str,
    options: RunOptions,
    *,
    prepare: Callable[[Path], None] | None = None,
) -> int:
    """Check ``sha`` exactly as a push of it would (every project: what the push will leave out
    is not known yet), record its status; the run's exit code."""
    # Imported here: ``start`` and the runner are short-lived processes that check nothing.
    from hooks.push.check import check_target
    from hooks.push.refs import Target
    from hooks.report import terminal

    state = _state(repo)
    target = Target(sha, (), None)
    outcome, _ = check_target(
        repo,
        target,
        options,
        target_line=f"checked {sha[:7]} {label} in the background",
        prepare=prepare,
    )
    code = outcome.exit_code
    name = "green" if code == 0 else "red" if code == 1 else "error"
    bg.write_status(
        state,
        sha,
        state_name=name,
        label=label,
        exit_code=code,
        cause=bg.cause_line(outcome.results),
        summary=terminal.render(outcome.info, outcome.results),
    )
    return code


def record_error(repo: Path, sha: str, label: str, message: str) -> None:
    """A verification that could not start (bad configuration): its status says why."""
    state = bg.folder(repo)
    if state is not None:
        bg.write_status(state, sha, state_name="error", label=label, cause=message)
