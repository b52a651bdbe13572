"""A clean snapshot of a pushed commit to check.

A pre-push check that looks at the working tree checks something other than what lands on the
remote: a staged-but-uncommitted fix, another branch that happens to be checked out, ignored files
CI's fresh checkout does not have. So at push time the guardrail checks each pushed commit in a
``git worktree`` of exactly that commit, kept under the git common dir and reused between pushes
(checked out anew each time) so that tool caches such as ``.mypy_cache`` stay warm.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from hooks import git, locks, xdg
from hooks.errors import GuardrailError
from hooks.push import submodules

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from hooks.engine.gate import Copied

LEGACY_SNAPSHOT_DIR = "guardrail/snapshots"
SLOTS = 4
KEEP_WARM = (".mypy_cache", ".ruff_cache", ".pytest_cache")
REPO_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
)
"""What git sets for a hook that points at the user's repository: never passed to what runs in
a snapshot (nor to a background verification, which must not write the user's index)."""


def _clean_env() -> dict[str, str]:
    """The environment without variables that point git at the user's repository."""
    return {k: v for k, v in os.environ.items() if k not in REPO_ENV}


@contextlib.contextmanager
def repo_env_removed() -> Iterator[None]:
    """Within the block, tools started in the snapshot do not see git variables that name the
    user's repository (git sets some for hooks); a test suite calling git must see the snapshot."""
    saved = {k: os.environ.pop(k) for k in REPO_ENV if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def common_dir(repo: Path) -> Path:
    found = git.common_dir(repo)
    if found is None:
        raise GuardrailError(
            f"git rev-parse --git-common-dir failed in {repo}: not a git repository, or git is "
            "not on PATH; the push cannot be checked"
        )
    return found


def snapshot_base(repo: Path) -> Path:
    """Where ``repo``'s snapshot worktrees live: a per-user cache folder outside the repository.

    Never under the repository: ruff and pytest look for their config in every parent folder,
    so from a snapshot inside ``.git`` they would climb into the user's working tree and read an
    untracked or uncommitted ``ruff.toml``/``pytest.ini`` the pushed commit does not have.
    """
    ident = hashlib.sha256(str(common_dir(repo).resolve()).encode()).hexdigest()[:16]
    return xdg.cache_folder("snapshots", ident)


def _snapshot_git(path: Path, *args: str) -> str:
    """git inside the snapshot, with the user's hooks off: checking out fires post-checkout."""
    return git.check_output(path, "-c", "core.hooksPath=/dev/null", *args, env=_clean_env())


def _lock_slot(base: Path) -> tuple[int, BaseFileLock]:
    """Take a free snapshot slot (one worktree each), so concurrent pushes do not collide.

    The lock is an OS file lock on a file beside the worktree (:mod:`hooks.locks`): it is dropped
    when the process dies, so an interrupted or killed run never leaves a slot locked.
    """
    base.mkdir(parents=True, exist_ok=True)
    for blocking in (False, True):
        for slot in range(SLOTS):
            lock = locks.acquire(base / f"{slot}.lock", blocking=blocking)
            if lock is not None:
                return slot, lock
    raise GuardrailError(f"{base}: no snapshot slot could be locked")


def _git_dir(path: Path) -> Path | None:
    """The git dir a worktree's ``.git`` file names (``gitdir: <path>``), read without git."""
    try:
        text = (path / ".git").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    first = text.splitlines()[0] if text.strip() else ""
    if not first.startswith("gitdir: "):
        return None
    found = Path(first.removeprefix("gitdir: ").strip())
    return (path / found).resolve()


def _reuse(repo: Path, path: Path, sha: str) -> bool:
    """Check ``sha`` out in an existing snapshot worktree of ``repo``; False when it must be made
    anew (it is missing, half made, or registered in no worktree of ``repo``)."""
    git_dir = _git_dir(path)
    if git_dir is None or not git_dir.is_dir() or git_dir.parent.parent != common_dir(repo):
        return False
    try:
        # A run killed mid-checkout leaves git's lock behind; the slot lock makes it ours.
        (git_dir / "index.lock").unlink(missing_ok=True)
        _snapshot_git(path, "checkout", "-q", "--detach", "--force", sha)
        excludes = [arg for name in KEEP_WARM for arg in ("-e", name)]
        _snapshot_git(path, "clean", "-q", "-ffdx", *excludes)
    except (GuardrailError, OSError):
        return False
    return True


def _create(repo: Path, path: Path, sha: str) -> None:
    if path.exists() or path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    submodules.forget(path)
    _snapshot_git(repo, "worktree", "prune")
    _snapshot_git(repo, "worktree", "add", "-q", "--force", "--detach", str(path), sha)


@contextlib.contextmanager
def snapshot(repo: Path, sha: str) -> Iterator[Path]:
    """A clean checkout of ``sha`` (tracked files only, as CI's fresh clone has them).

    The worktree stays registered after the block, whatever the outcome, to be checked out anew
    by the next push; its slot lock is released on the way out.
    """
    base = snapshot_base(repo)
    try:
        slot, lock = _lock_slot(base)
    except OSError as exc:
        raise GuardrailError(
            f"{base}: cannot make the folder for the push snapshot ({exc.strerror}); "
            "set XDG_CACHE_HOME to a writable folder"
        ) from exc
    try:
        path = base / str(slot)
        if not _reuse(repo, path, sha):
            _create(repo, path, sha)
        # The slot is a worktree of the repository: its common dir is the repository's.
        git.remember_common_dir(path, common_dir(repo))
        yield path
    finally:
        lock.release()


@contextlib.contextmanager
def worktree_snapshot(repo: Path) -> Iterator[Copied]:
    """A throwaway copy of the working tree as it is now, in a snapshot slot, for a run whose CI
    command rewrites files (ruff's fixes).

    The content is what the verdict cache keys (tracked files as edited, untracked files that are
    not ignored): the slot is a snapshot of HEAD, and the working tree's tree is read into it
    through a throwaway index, so neither the user's index nor the slot's changes. Submodules are
    filled at the commits HEAD records.
    """
    # Imported here: the background hooks import this module and need none of the engine.
    from hooks.engine.cache import staged
    from hooks.engine.gate import Copied

    head = git.output(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head is None:
        raise GuardrailError(
            f"{repo}: CI's ruff check rewrites files here, so the checks run on a snapshot of the "
            "working tree, and a snapshot needs a first commit: commit, then run again"
        )
    with staged(repo) as content:
        if content is None:
            raise GuardrailError(f"{repo}: the working tree could not be read into a snapshot")
        with snapshot(repo, head.strip()) as path, tempfile.TemporaryDirectory() as tmp:
            own = Path(_snapshot_git(path, "rev-parse", "--git-path", "index").strip())
            index = Path(tmp) / "index"
            shutil.copyfile(own if own.is_absolute() else path / own, index)
            env = {**_clean_env(), **content.env, "GIT_INDEX_FILE": str(index)}
            git.check_output(path, "read-tree", "--reset", "-u", content.top, env=env)
            notes = submodules.check_out(repo, path, head.strip())
            yield Copied(path, content.tree, tuple(notes))


def remove_snapshots(repo: Path) -> int:
    """Remove every snapshot worktree (they are only warm caches); returns how many were known.

    Slots in use by a running check are left alone.
    """
    bases = (snapshot_base(repo), (common_dir(repo) / LEGACY_SNAPSHOT_DIR).resolve())
    out = git.check_output(repo, "worktree", "list", "--porcelain")
    paths = [Path(line[9:]) for line in out.splitlines() if line.startswith("worktree ")]
    removed = 0
    for path in paths:
        base = path.resolve().parent
        if base not in bases or not base.is_dir():
            continue
        lock = locks.acquire(base / f"{path.name}.lock", blocking=False)
        if lock is None:
            continue
        try:
            _snapshot_git(repo, "worktree", "remove", "--force", str(path))
            submodules.forget(path)
            removed += 1
        finally:
            lock.release()
    _snapshot_git(repo, "worktree", "prune")
    return removed
