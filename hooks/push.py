"""What is being pushed, and a clean snapshot of it to check.

A pre-push check that looks at the working tree checks something other than what lands on the
remote: a staged-but-uncommitted fix, another branch that happens to be checked out, ignored files
CI's fresh checkout does not have. So at push time the guardrail checks each pushed commit in a
``git worktree`` of exactly that commit, kept under the git common dir and reused between pushes
(checked out anew each time) so that tool caches such as ``.mypy_cache`` stay warm.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hooks import proc
from hooks.config import ProjectConfig
from hooks.errors import GuardrailError
from hooks.findings import CheckResult
from hooks.gate import RunOptions, RunOutcome, run_tree
from hooks.projects import discover

LEGACY_SNAPSHOT_DIR = "guardrail/snapshots"
SLOTS = 4
KEEP_WARM = (".mypy_cache", ".ruff_cache", ".pytest_cache")
_REPO_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
)


@dataclass(frozen=True, slots=True)
class PushedRef:
    """One line of git's pre-push input: ``<local ref> <local sha> <remote ref> <remote sha>``."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletion(self) -> bool:
        return _zero(self.local_sha)

    @property
    def new_branch(self) -> bool:
        return _zero(self.remote_sha)


@dataclass(frozen=True, slots=True)
class Push:
    """A push: the remote (its name, or its URL when pushed to a URL) and the refs it updates."""

    remote: str
    refs: tuple[PushedRef, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """One distinct commit to check, the refs that push it, and the paths the push changes.

    ``changed`` is ``None`` when every project must be checked: the push contains the root commit,
    or what the remote already has is unknown.
    """

    sha: str
    refs: tuple[PushedRef, ...]
    changed: frozenset[str] | None

    def wants(self, rel: str, config: ProjectConfig) -> bool:
        """Whether the project at ``rel`` is checked for this push (CI-style path filters)."""
        return config.always or self.changed is None or touches(rel, self.changed)


def _zero(sha: str) -> bool:
    return bool(sha) and set(sha) == {"0"}


def touches(rel: str, changed: frozenset[str]) -> bool:
    """Whether any changed path lies inside the project folder ``rel`` (``.`` holds them all)."""
    if rel == ".":
        return bool(changed)
    prefix = rel.rstrip("/") + "/"
    return any(path.startswith(prefix) for path in changed)


def parse_pre_push(text: str) -> tuple[PushedRef, ...]:
    """git's pre-push stdin, one ref per line; a malformed line is an error, never skipped."""
    refs: list[PushedRef] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            raise GuardrailError(
                f"pre-push input line {number} is not '<local ref> <local sha> <remote ref> "
                f"<remote sha>': {line!r}. Run this command only as git's pre-push hook."
            )
        refs.append(PushedRef(*parts))
    return tuple(refs)


def _git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    res = proc.run(["git", *args], cwd=repo, env=env, timeout=300)
    if res.missing:
        raise GuardrailError("git is not installed or not on PATH; the push cannot be checked")
    if res.returncode != 0:
        detail = (res.stderr or res.stdout).strip().splitlines()
        raise GuardrailError(
            f"git {' '.join(args)} failed in {repo}: {detail[-1] if detail else res.returncode}"
        )
    return res.stdout


def _has_commit(repo: Path, sha: str) -> bool:
    res = proc.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=repo, timeout=60)
    return res.returncode == 0


def from_pre_commit(env: Mapping[str, str], repo: Path) -> Push | None:
    """The push pre-commit (or prek) describes in its environment, or None outside a push.

    pre-commit hands a hook one ref only (the first one it pushes): ``FROM_REF``/``TO_REF``
    (``ORIGIN``/``SOURCE`` before pre-commit 2.0), or, when the push contains the root commit,
    just the local branch.
    """
    to_ref = env.get("PRE_COMMIT_TO_REF") or env.get("PRE_COMMIT_SOURCE")
    remote = env.get("PRE_COMMIT_REMOTE_NAME") or env.get("PRE_COMMIT_REMOTE_URL") or ""
    local = env.get("PRE_COMMIT_LOCAL_BRANCH") or ""
    remote_ref = env.get("PRE_COMMIT_REMOTE_BRANCH") or ""
    if to_ref:
        from_ref = env.get("PRE_COMMIT_FROM_REF") or env.get("PRE_COMMIT_ORIGIN") or ""
        local_sha = _rev(repo, to_ref)
        base = _rev(repo, from_ref) if from_ref else "0" * len(local_sha)
        ref = PushedRef(local or to_ref, local_sha, remote_ref, base)
        return Push(remote, (ref,))
    if local and remote:
        return Push(remote, (PushedRef(local, _rev(repo, local), remote_ref, "0" * 40),))
    return None


def _rev(repo: Path, name: str) -> str:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}").strip()


def changed_paths(repo: Path, remote: str, ref: PushedRef) -> frozenset[str] | None:
    """Paths the push of ``ref`` changes on the remote; ``None`` means check everything.

    An update of a branch the remote has: the diff from the remote's commit. A new branch: the
    files of the commits the remote's branches do not have yet, that is everything after the
    merge base with them; a range that holds a root commit changes everything.
    """
    if not ref.new_branch and _has_commit(repo, ref.remote_sha):
        out = _git(repo, "diff", "--name-only", "-z", "--no-renames", ref.remote_sha, ref.local_sha)
        return frozenset(p for p in out.split("\0") if p)
    not_remote = (f"--remotes={remote}",) if remote else ("--remotes",)
    roots = _git(repo, "rev-list", "--max-parents=0", ref.local_sha, "--not", *not_remote)
    if roots.strip():
        return None
    out = _git(
        repo,
        "log",
        "-m",
        "--name-only",
        "-z",
        "--no-renames",
        "--format=",
        ref.local_sha,
        "--not",
        *not_remote,
    )
    return frozenset(p.strip("\n") for p in out.split("\0") if p.strip("\n"))


def targets(repo: Path, push: Push) -> list[Target]:
    """Each distinct pushed commit once, in the order git listed them. Deletions are skipped,
    and so are refs that name no commit (a tag of a tree or blob); an annotated tag counts as the
    commit it tags."""
    by_sha: dict[str, list[PushedRef]] = {}
    changed: dict[str, frozenset[str] | None] = {}
    for ref in push.refs:
        if ref.deletion:
            continue
        peeled = proc.output(
            ["git", "rev-parse", "--verify", "-q", f"{ref.local_sha}^{{commit}}"], cwd=repo
        )
        if not peeled:
            if proc.run(["git", "cat-file", "-e", ref.local_sha], cwd=repo).returncode != 0:
                raise GuardrailError(
                    f"the push sends {ref.local_sha} ({ref.local_ref}), which is not in the "
                    f"repository at {repo}: there is nothing to check it against"
                )
            continue
        sha = peeled.strip()
        paths = changed_paths(repo, push.remote, ref)
        if sha in by_sha:
            old = changed[sha]
            changed[sha] = None if old is None or paths is None else old | paths
        else:
            changed[sha] = paths
        by_sha.setdefault(sha, []).append(ref)
    return [Target(sha, tuple(refs), changed[sha]) for sha, refs in by_sha.items()]


def short_ref(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref.removeprefix(prefix)
    return ref


def describe(target: Target, remote: str) -> str:
    """``abc1234 feature -> origin/feature``: what this part of the push sends where."""
    where = f"{remote}/" if remote and "/" not in remote and ":" not in remote else ""
    moves = ", ".join(
        f"{short_ref(r.local_ref)} -> {where}{short_ref(r.remote_ref)}"
        if r.remote_ref
        else short_ref(r.local_ref)
        for r in target.refs
    )
    return f"{target.sha[:7]} {moves}"


def working_tree_note(repo: Path, sha: str) -> str | None:
    """What in the working tree was not checked, when it differs from the pushed commit.

    ``--no-optional-locks`` keeps ``git status`` from refreshing (rewriting) the user's index.
    """
    head = proc.output(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=repo)
    if head is not None and head.strip() != sha:
        branch = proc.output(["git", "symbolic-ref", "--quiet", "--short", "HEAD"], cwd=repo)
        name = branch.strip() if branch else head.strip()[:7]
        return f"the working tree ({name}) is not the pushed commit and was not checked"
    status = proc.output(
        ["git", "--no-optional-locks", "status", "--porcelain=v1", "-z", "--no-renames", "-uall"],
        cwd=repo,
    )
    dirty = sum(1 for e in (status or "").split("\0") if len(e) > 3 and e[2] == " ")
    if dirty:
        noun = "change" if dirty == 1 else "changes"
        verb = "was" if dirty == 1 else "were"
        return f"{dirty} uncommitted {noun} in the working tree {verb} not checked"
    return None


def _clean_env() -> dict[str, str]:
    """The environment without variables that point git at the user's repository."""
    return {k: v for k, v in os.environ.items() if k not in _REPO_ENV}


@contextlib.contextmanager
def repo_env_removed() -> Iterator[None]:
    """Within the block, tools started in the snapshot do not see git variables that name the
    user's repository (git sets some for hooks); a test suite calling git must see the snapshot."""
    saved = {k: os.environ.pop(k) for k in _REPO_ENV if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def common_dir(repo: Path) -> Path:
    out = _git(repo, "rev-parse", "--git-common-dir").strip()
    path = Path(out)
    return path if path.is_absolute() else (repo / path).resolve()


def snapshot_base(repo: Path) -> Path:
    """Where ``repo``'s snapshot worktrees live: a per-user cache folder outside the repository.

    Never under the repository: ruff and pytest look for their config in every parent folder,
    so from a snapshot inside ``.git`` they would climb into the user's working tree and read an
    untracked or uncommitted ``ruff.toml``/``pytest.ini`` the pushed commit does not have.
    """
    cache = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(cache):
        cache = os.path.join(os.path.expanduser("~"), ".cache")
    ident = hashlib.sha256(str(common_dir(repo).resolve()).encode()).hexdigest()[:16]
    return Path(cache).resolve() / "push-guardrail" / "snapshots" / ident


def _snapshot_git(path: Path, *args: str) -> str:
    """git inside the snapshot, with the user's hooks off: checking out fires post-checkout."""
    return _git(path, "-c", "core.hooksPath=/dev/null", *args, env=_clean_env())


def _lock_slot(base: Path) -> tuple[int, int]:
    """Take a free snapshot slot (one worktree each), so concurrent pushes do not collide.

    The lock is an ``flock`` on a file beside the worktree: the kernel drops it when the process
    dies, so an interrupted or killed run never leaves a slot locked.
    """
    base.mkdir(parents=True, exist_ok=True)
    for blocking in (False, True):
        for slot in range(SLOTS):
            fd = os.open(base / f"{slot}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            return slot, fd
    raise GuardrailError(f"{base}: no snapshot slot could be locked")


def _reuse(path: Path, sha: str) -> bool:
    """Check ``sha`` out in an existing snapshot worktree; False when it must be made anew."""
    if not (path / ".git").is_file():
        return False
    try:
        git_dir = Path(_snapshot_git(path, "rev-parse", "--absolute-git-dir").strip())
        # A run killed mid-checkout leaves git's lock behind; the slot lock makes it ours.
        (git_dir / "index.lock").unlink(missing_ok=True)
        _snapshot_git(path, "checkout", "-q", "--detach", "--force", sha)
        excludes = [arg for name in KEEP_WARM for arg in ("-e", name)]
        _snapshot_git(path, "clean", "-q", "-ffdx", *excludes)
    except GuardrailError:
        return False
    return True


def _create(repo: Path, path: Path, sha: str) -> None:
    if path.exists() or path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
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
        slot, fd = _lock_slot(base)
    except OSError as exc:
        raise GuardrailError(
            f"{base}: cannot make the folder for the push snapshot ({exc.strerror}); "
            "set XDG_CACHE_HOME to a writable folder"
        ) from exc
    try:
        path = base / str(slot)
        if not _reuse(path, sha):
            _create(repo, path, sha)
        yield path
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def remove_snapshots(repo: Path) -> int:
    """Remove every snapshot worktree (they are only warm caches); returns how many were known.

    Slots in use by a running check are left alone.
    """
    bases = (snapshot_base(repo), (common_dir(repo) / LEGACY_SNAPSHOT_DIR).resolve())
    out = _git(repo, "worktree", "list", "--porcelain")
    paths = [Path(line[9:]) for line in out.splitlines() if line.startswith("worktree ")]
    removed = 0
    for path in paths:
        base = path.resolve().parent
        if base not in bases or not base.is_dir():
            continue
        fd = os.open(base / f"{path.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            _snapshot_git(repo, "worktree", "remove", "--force", str(path))
            removed += 1
        finally:
            os.close(fd)
    _snapshot_git(repo, "worktree", "prune")
    return removed


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """The checks of one pushed commit (no results: the push touched none of its projects)."""

    target: Target
    description: str
    outcome: RunOutcome
    unchecked: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code


def check_push(
    repo: Path,
    push: Push,
    options: RunOptions,
    *,
    notes: Sequence[str] = (),
    on_done: Callable[[CheckResult], None] | None = None,
    prepare: Callable[[Path], None] | None = None,
) -> list[TargetOutcome]:
    """Check every distinct pushed commit in its snapshot, one after another.

    ``repo`` is the user's working tree: where git runs and where the project interpreters live;
    nothing in it is written. ``prepare`` sees each snapshot before its checks run (the
    organisation's enforced settings are checked against the pushed config there).
    """
    done: list[TargetOutcome] = []
    for target in targets(repo, push):
        description = describe(target, push.remote)
        note = working_tree_note(repo, target.sha)
        with snapshot(repo, target.sha) as root, repo_env_removed():
            if prepare is not None:
                prepare(root)
            tree = _git(repo, "rev-parse", f"{target.sha}^{{tree}}").strip()
            outcome = run_tree(
                root,
                options,
                target=f"checked {description}" + (f"; {note}" if note else ""),
                notes=notes,
                tree=tree,
                select=target.wants,
                env_root=repo,
                on_done=on_done,
            )
            checked = {p.rel for p in outcome.info.projects}
            unchecked = tuple(rel for rel in discover(root) if rel not in checked)
        if unchecked and outcome.results:
            skipped = f"not checked, the push does not change them: {', '.join(unchecked)}"
            info = replace(outcome.info, notes=(*outcome.info.notes, skipped))
            outcome = RunOutcome(info, outcome.results)
        done.append(TargetOutcome(target, description, outcome, unchecked))
    return done


def exit_code(outcomes: Sequence[TargetOutcome]) -> int:
    codes = {o.exit_code for o in outcomes}
    return 2 if 2 in codes else 1 if 1 in codes else 0
