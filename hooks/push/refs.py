"""What is being pushed: git's pre-push lines or pre-commit's environment, in, the distinct
commits to check and the paths each push changes, out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hooks import git
from hooks.config import ProjectConfig
from hooks.errors import GuardrailError


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


Trigger = Callable[[str, frozenset[str]], bool]
"""Whether CI's own push trigger runs for the project at ``rel`` given the changed paths (GitHub's
``on.push.paths``/``paths-ignore``): the hook through which CI's definitions skip a project."""


@dataclass(frozen=True, slots=True)
class Target:
    """One distinct commit to check, the refs that push it, and the paths the push changes.

    ``changed`` is ``None`` when nothing may be skipped: the push contains the root commit, what
    the remote already has is unknown, or the push changes no file at all (CI still runs on the
    pushed tip: a new branch at a commit the remote has, or an update whose net diff is empty).
    """

    sha: str
    refs: tuple[PushedRef, ...]
    changed: frozenset[str] | None
    tree: str | None = None
    """The commit's tree id, when the caller found it already."""

    def skip_reason(
        self, rel: str, config: ProjectConfig, trigger: Trigger | None = None
    ) -> str | None:
        """Why the project at ``rel`` is not checked for this push; None when it is. Every
        project is, unless it sets ``push = "changed"`` and the push changes nothing in its
        folder, or CI's ``trigger`` would not run for these changes."""
        if self.changed is None:
            return None
        if config.push == "changed" and not touches(rel, self.changed):
            return 'push = "changed" and the push changes nothing in it'
        if trigger is not None and not trigger(rel, self.changed):
            return "CI's push trigger does not run for these changes"
        return None


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


def _has_commit(repo: Path, sha: str) -> bool:
    return git.output(repo, "cat-file", "-e", f"{sha}^{{commit}}") is not None


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
    return git.check_output(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}").strip()


def changed_paths(
    repo: Path, remote: str, ref: PushedRef, *, remote_has: bool | None = None
) -> frozenset[str] | None:
    """Paths the push of ``ref`` changes on the remote; ``None`` means check everything.

    An update of a branch the remote has: the diff from the remote's commit. A new branch: the
    files of the commits the remote's branches do not have yet, that is everything after the
    merge base with them; a range that holds a root commit changes everything, and so does a
    push that changes no file (CI runs on the pushed tip whatever the diff). ``remote_has`` says
    whether the remote's commit is in the repository, when the caller asked git already.
    """
    if remote_has is None:
        remote_has = not ref.new_branch and _has_commit(repo, ref.remote_sha)
    if not ref.new_branch and remote_has:
        out = git.check_output(
            repo, "diff", "--name-only", "-z", "--no-renames", ref.remote_sha, ref.local_sha
        )
        return frozenset(p for p in out.split("\0") if p) or None
    not_remote = (f"--remotes={remote}",) if remote else ("--remotes",)
    roots = git.check_output(
        repo, "rev-list", "--max-parents=0", ref.local_sha, "--not", *not_remote
    )
    if roots.strip():
        return None
    out = git.check_output(
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
    return frozenset(p.strip("\n") for p in out.split("\0") if p.strip("\n")) or None


def targets(repo: Path, push: Push) -> list[Target]:
    """Each distinct pushed commit once, in the order git listed them. Deletions are skipped,
    and so are refs that name no commit (a tag of a tree or blob); an annotated tag counts as the
    commit it tags."""
    by_sha: dict[str, list[PushedRef]] = {}
    changed: dict[str, frozenset[str] | None] = {}
    trees: dict[str, str | None] = {}
    live = [ref for ref in push.refs if not ref.deletion]
    # One git call for every name the push needs: each pushed commit, its tree, and whether the
    # remote's commit is here.
    names = [
        name
        for ref in live
        for name in (
            f"{ref.local_sha}^{{commit}}",
            f"{ref.local_sha}^{{tree}}",
            f"{ref.remote_sha}^{{commit}}",
        )
    ]
    found = git.resolve(repo, names)
    for i, ref in enumerate(live):
        peeled, tree, remote = found[3 * i : 3 * i + 3]
        if not peeled:
            if git.output(repo, "cat-file", "-e", ref.local_sha, timeout=None) is None:
                raise GuardrailError(
                    f"the push sends {ref.local_sha} ({ref.local_ref}), which is not in the "
                    f"repository at {repo}: there is nothing to check it against"
                )
            continue
        sha = peeled
        paths = changed_paths(repo, push.remote, ref, remote_has=remote is not None)
        if sha in by_sha:
            old = changed[sha]
            changed[sha] = None if old is None or paths is None else old | paths
        else:
            changed[sha] = paths
        trees[sha] = tree
        by_sha.setdefault(sha, []).append(ref)
    return [Target(sha, tuple(refs), changed[sha], trees[sha]) for sha, refs in by_sha.items()]


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
