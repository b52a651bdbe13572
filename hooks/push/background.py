"""Background verification's shared state: what is queued, running and found, per repository.

A ``post-commit`` hook asks for each new commit to be checked in the background, as a push of it
would check it (:mod:`hooks.push.runner` runs it), so that the push finds its verdict ready. The
state lives under ``<git common dir>/guardrail/background``, shared by every worktree:

- ``queue/<slot>.json``: the newest commit asked for on one branch (the slot is the branch, or
  a detached HEAD's worktree), with the environment and hook arguments of the commit that asked
  (the file is private to the user, as ``.git`` is). A newer commit on the same branch replaces
  it: it supersedes the queued one, and cancels a running one.
- ``current.json``: the verification running now: commit, tree, slot, the runner's process.
- ``status/<sha>.json``: per commit: queued, running, green, red, error, cancelled or
  superseded; the summary and a one-line cause once it is known.
- ``pushes/<pid>.json``: a push in progress, when it began, and the trees it sends. While one
  lives, the runner starts nothing, and cancels (and queues again) a run of other content, or
  one that started after the push began; a run of pushed content that started before it goes
  on, and the push waits for it (:func:`join`) instead of starting another.
- ``runner.lock``: held by the one runner of the repository.

Verdicts themselves go to the verdict cache, written by the checking process only when its run
completes: a run that is cancelled, killed or dies with the machine leaves none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hooks import atomic, git
from hooks.findings import CheckResult, Status
from hooks.push.snapshot import REPO_ENV

STATE_DIR = "guardrail/background"
POLL = 0.1
NOTIFY_EVERY = 5.0
KEEP_STATUS = 256
FINAL = ("green", "red", "error", "cancelled", "superseded")


def folder(repo: Path) -> Path | None:
    common = git.common_dir(repo)
    return None if common is None else common / STATE_DIR


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def process_started(pid: int) -> float | None:
    """When the process ``pid`` started (psutil's create time); None when there is none."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def alive(pid: object, started: object) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (not a reused pid)."""
    if not isinstance(pid, int) or not isinstance(started, int | float):
        return False
    now = process_started(pid)
    return now is not None and abs(now - float(started)) < 0.5


@dataclass(frozen=True, slots=True)
class Request:
    """One commit to verify: the newest asked for on its branch."""

    sha: str
    tree: str
    slot: str
    label: str
    worktree: str
    requested_at: float
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Request | None:
        if data is None:
            return None
        try:
            return cls(
                sha=str(data["sha"]),
                tree=str(data["tree"]),
                slot=str(data["slot"]),
                label=str(data["label"]),
                worktree=str(data["worktree"]),
                requested_at=float(data["requested_at"]),
                args=tuple(str(a) for a in data.get("args") or ()),
                env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "args": list(self.args), "env": dict(self.env)}


def slot_of(repo: Path) -> tuple[str, str]:
    """The queue slot of a commit made in ``repo`` now, and its label: the branch, or a detached
    HEAD's worktree (a rebase commits there, one commit superseding the last)."""
    branch = git.output(repo, "symbolic-ref", "--quiet", "HEAD")
    if branch is not None and branch.strip():
        ref = branch.strip()
        return ref, ref.removeprefix("refs/heads/")
    gitdir = git.output(repo, "rev-parse", "--absolute-git-dir") or str(repo)
    return f"detached:{gitdir.strip()}", "detached HEAD"


def slot_file(state: Path, slot: str) -> Path:
    return state / "queue" / (hashlib.sha256(slot.encode()).hexdigest()[:24] + ".json")


def queued(state: Path) -> list[Request]:
    """Every queued request, oldest first."""
    found = []
    for path in sorted((state / "queue").glob("[!.]*.json")):
        request = Request.from_json(read_json(path))
        if request is not None:
            found.append(request)
    return sorted(found, key=lambda r: r.requested_at)


def enqueue(state: Path, request: Request) -> None:
    """Queue ``request``, replacing (superseding) what its branch had queued."""
    atomic.write_json(slot_file(state, request.slot), request.to_json())
    write_status(state, request.sha, state_name="queued", label=request.label, tree=request.tree)


# --- per-commit status ---------------------------------------------------------------------


def status_path(state: Path, sha: str) -> Path:
    return state / "status" / f"{sha}.json"


def write_status(state: Path, sha: str, *, state_name: str, **extra: object) -> None:
    data = {"sha": sha, "state": state_name, "at": time.time(), **extra}
    if atomic.write_json(status_path(state, sha), data) and state_name in FINAL:
        atomic.prune(state / "status", KEEP_STATUS)


@dataclass(frozen=True, slots=True)
class CommitStatus:
    """What the background knows of one commit, as ``guardrail status`` shows it."""

    sha: str
    state: str  # green, red, error, running, queued, or "not verified"
    since: float | None = None
    cause: str = ""
    summary: str = ""


def commit_status(state: Path | None, sha: str) -> CommitStatus:
    """The status of ``sha``: a final verdict, a live run or queue entry, else not verified (a
    run whose runner died, or one cancelled or superseded, verified nothing)."""
    data = read_json(status_path(state, sha)) if state is not None else None
    if state is None or data is None:
        return CommitStatus(sha, "not verified")
    name = str(data.get("state", ""))
    at = data.get("at")
    when = float(at) if isinstance(at, int | float) else None
    if name in ("green", "red", "error"):
        return CommitStatus(
            sha, name, when, str(data.get("cause", "")), str(data.get("summary", ""))
        )
    if name == "running":
        current = running(state)
        if current is not None and current.get("sha") == sha:
            return CommitStatus(sha, "running", float(current["started_at"]))
        return CommitStatus(sha, "not verified", cause="its background run was interrupted")
    if name == "queued":
        if any(r.sha == sha for r in queued(state)):
            return CommitStatus(sha, "queued", when)
        return CommitStatus(sha, "not verified", cause="its queued run was dropped")
    return CommitStatus(sha, "not verified", cause=str(data.get("cause", "")))


def cause_line(results: Sequence[CheckResult]) -> str:
    """One line: the first blocking failure, its count and first location, and how many more."""
    bad = [r for r in results if r.status.blocks and r.blocking]
    if not bad:
        return ""
    first = bad[0]
    where = "" if first.project == "." else f" ({first.project})"
    verb = "could not run" if first.status is Status.ERROR else "failed"
    detail = first.counts or next(iter(first.message.splitlines()), "")
    text = f"{first.check}{where} {verb}" + (f": {detail}" if detail else "")
    located = first.blocking_findings
    if located and located[0].path is not None:
        text += f", first at {located[0].location()}"
    if len(bad) > 1:
        text += f"; {len(bad) - 1} more check{'s' if len(bad) > 2 else ''} failed"
    return text


# --- the running verification --------------------------------------------------------------


def running(state: Path) -> dict[str, Any] | None:
    """``current.json`` when its runner is alive; None otherwise."""
    data = read_json(state / "current.json")
    if data is None or not alive(data.get("pid"), data.get("pid_started")):
        return None
    if not isinstance(data.get("started_at"), int | float):
        return None
    return data


def join(repo: Path, tree: str, notify: Callable[[str], None], since: float | None = None) -> bool:
    """Wait for a background run of the content ``tree``, if one is running: True once it has
    finished (its verdict, if its key is this push's, is then in the cache).

    A run that started at or after ``since`` (when the push began) is not joined: it is no
    further along than the push, and niced; the push checks the content itself, and the runner
    cancels that run for the time of the push (:func:`outranked`).
    """
    state = folder(repo)
    current = running(state) if state is not None and state.is_dir() else None
    if state is None or current is None or current.get("tree") != tree:
        return False
    if since is not None and float(current["started_at"]) >= since:
        return False
    sha = str(current.get("sha"))
    started = float(current["started_at"])
    told = 0.0
    while True:
        now = time.time()
        if now - told >= NOTIFY_EVERY:
            notify(
                f"guardrail: verifying since {now - started:.0f} s… (the background run on "
                f"{sha[:7]}, same content; the push waits for it instead of starting another)"
            )
            told = now
        again = running(state)
        if again is None or again.get("sha") != sha or again.get("started_at") != started:
            break
        time.sleep(POLL)
    data = read_json(status_path(state, sha))
    return data is not None and data.get("state") in ("green", "red")


def push_started() -> float | None:
    """When the push this process checks began, on the clock of ``time.time()``: the start of
    the nearest ``git`` process above it (``git push`` runs the pre-push hook, directly or
    through a hook manager), else of this process itself."""
    import psutil

    try:
        me = psutil.Process()
        began = next((p for p in me.parents() if p.name() in ("git", "git.exe")), me)
        created = float(began.create_time())
        boot = float(psutil.boot_time())
    except (psutil.Error, OSError, ValueError):
        return None
    return _wall_clock(created, boot)


def _wall_clock(created: float, boot: float) -> float:
    """psutil's start time of a process on the clock of ``time.time()``. On Linux psutil adds the
    process's start (exact, since boot) to the boot time, which the kernel gives in whole
    seconds: up to a second off. Measured back from the time since boot instead, it is exact to
    the kernel's clock tick (10 ms)."""
    if not sys.platform.startswith("linux"):
        return created
    try:
        uptime = float(Path("/proc/uptime").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return created
    return time.time() - (uptime - (created - boot))


@contextlib.contextmanager
def outranking(repo: Path, trees: set[str]) -> Iterator[float | None]:
    """For the time of a push: the background starts nothing new, and cancels a run of content
    the push does not send, or one that started after the push began (it is queued again); one
    of pushed content that started earlier goes on, to be joined. Yields when the push began."""
    since = push_started()
    state = folder(repo)
    if state is None or not state.is_dir():
        yield since
        return
    me = os.getpid()
    marker = state / "pushes" / f"{me}.json"
    started = process_started(me)
    data = {"pid": me, "pid_started": started, "since": since, "trees": sorted(trees)}
    atomic.write_json(marker, data)
    try:
        yield since
    finally:
        with contextlib.suppress(OSError):
            marker.unlink()


@dataclass(frozen=True, slots=True)
class LivePush:
    """A push in progress: the trees it sends, and when it began (None: not known)."""

    trees: frozenset[str]
    since: float | None = None


def live_pushes(state: Path) -> list[LivePush]:
    """Each push in progress (markers of pushes that died are removed)."""
    found = []
    for path in (state / "pushes").glob("[!.]*.json"):
        data = read_json(path)
        if data is None or not alive(data.get("pid"), data.get("pid_started")):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        trees = data.get("trees")
        since = data.get("since")
        found.append(
            LivePush(
                frozenset(str(t) for t in trees) if isinstance(trees, list) else frozenset(),
                float(since) if isinstance(since, int | float) else None,
            )
        )
    return found


def outranked(pushes: Sequence[LivePush], tree: str, started: float) -> str | None:
    """Why a background run of ``tree`` that started at ``started`` must give way to the pushes
    in progress, or None. It goes on while some push will join it: one that sends the same
    content and began before the run did. Otherwise a push of other content outranks it, and
    so does a push of the same content that began first (that push does not join it)."""
    if not pushes:
        return None
    if any(tree in p.trees and (p.since is None or started < p.since) for p in pushes):
        return None
    if any(tree in p.trees for p in pushes):
        return "a push of the same content, begun before it, outranked it"
    return "a push of other content outranked it"


def request_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a background run gets: the committing process's, without what points git
    at the user's repository (so its index is never written)."""
    return {k: v for k, v in environ.items() if k not in REPO_ENV}
