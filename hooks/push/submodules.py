"""The submodules of a snapshot, checked out as CI's recursive checkout has them.

``git worktree add`` leaves every submodule folder empty, so code the tests import from a
submodule is missing at push time although CI (``actions/checkout`` with ``submodules: true``,
``git clone --recursive``) has it. Each submodule is filled at the commit the pushed tree records,
from the repository's own ``.git/modules/<name>``: no network, and nothing of the user's is
written (git runs with a private index kept beside the snapshot slot, and ``--work-tree`` the
snapshot's folder, so the module's own index, HEAD and work tree are left alone).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from hooks import git
from hooks.errors import GuardrailError

GITLINK = "160000"


@dataclass(frozen=True, slots=True)
class Submodule:
    """One submodule of a tree: its path in the tree, the commit it records, its name."""

    path: str
    sha: str
    name: str


def state_dir(root: Path) -> Path:
    """Where the private indexes of the snapshot at ``root`` live: beside its slot, outside it."""
    return root.parent / f"{root.name}.modules"


def _git_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def _names(git_dir: Path, commit: str) -> dict[str, str]:
    """Path -> name, from the ``.gitmodules`` of ``commit``."""
    out = git.output(
        git_dir,
        f"--git-dir={git_dir}",
        "config",
        "-z",
        "--blob",
        f"{commit}:.gitmodules",
        "--get-regexp",
        r"^submodule\..*\.path$",
        env=_git_env(),
    )
    names: dict[str, str] = {}
    for entry in (out or "").split("\0"):
        key, _, path = entry.partition("\n")
        if key.startswith("submodule.") and key.endswith(".path") and path:
            names[path.strip("/")] = key[len("submodule.") : -len(".path")]
    return names


def listed(git_dir: Path, commit: str) -> list[Submodule]:
    """The submodules ``commit`` records (gitlinks), with their names from its .gitmodules."""
    tree = git.check_output(
        git_dir, f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit, env=_git_env()
    )
    links: list[tuple[str, str]] = []
    for entry in tree.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[0] == GITLINK:
            links.append((path, parts[2]))
    if not links:
        return []
    names = _names(git_dir, commit)
    return [Submodule(path, sha, names.get(path, path)) for path, sha in links]


def _module_dir(common: Path, repo_folder: Path | None, sub: Submodule) -> Path | None:
    """The submodule's git dir in the user's repository: ``<git dir>/modules/<name>``, or an
    older checkout's own ``<path>/.git`` folder; None when it was never initialised."""
    candidates = [common / "modules" / sub.name]
    if repo_folder is not None:
        candidates.append(repo_folder / sub.path / ".git")
    for candidate in candidates:
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def _has(git_dir: Path, sha: str) -> bool:
    return (
        git.output(git_dir, f"--git-dir={git_dir}", "cat-file", "-e", f"{sha}^{{commit}}")
        is not None
    )


def _fill(module: Path, dest: Path, sha: str, index: Path) -> None:
    """Make ``dest`` hold exactly ``sha``'s files, like ``git reset --hard`` plus ``git clean``,
    through a private index: unchanged files are kept, so a reused slot stays cheap."""
    dest.mkdir(parents=True, exist_ok=True)
    index.parent.mkdir(parents=True, exist_ok=True)
    env = {**_git_env(), "GIT_INDEX_FILE": str(index)}
    where = (f"--git-dir={module}", f"--work-tree={dest}", "-c", "core.hooksPath=/dev/null")
    git.check_output(dest, *where, "read-tree", "--reset", "-u", sha, env=env)
    git.check_output(dest, *where, "clean", "-q", "-ffdx", env=env)


def check_out(repo: Path, root: Path, commit: str) -> list[str]:
    """Fill every submodule (recursively) of the snapshot ``root`` of ``commit``; returns notes
    for the ones left empty because this repository never initialised them.

    A submodule whose git dir lacks the recorded commit is an error: the snapshot cannot be what
    CI checks out, and the message says how to fetch it.
    """
    if not (root / ".gitmodules").is_file():
        return []
    common = git.common_dir(repo)
    if common is None:
        raise GuardrailError(f"{repo}: not a git repository; its submodules cannot be read")
    state = state_dir(root)
    notes: list[str] = []
    pending: list[tuple[Path, Path, Path | None, str, str]] = [(common, root, repo, commit, "")]
    while pending:
        git_dir, folder, repo_folder, sha, prefix = pending.pop()
        for sub in listed(git_dir, sha):
            shown = prefix + sub.path
            module = _module_dir(git_dir, repo_folder, sub)
            if module is None:
                notes.append(
                    f"submodule {shown} is not initialised in this repository: it is empty in "
                    "the snapshot (`git submodule update --init` checks it out)"
                )
                continue
            if not _has(module, sub.sha):
                raise GuardrailError(
                    f"submodule {shown}: the pushed commit records {sub.sha[:12]}, which "
                    f"{module} does not have; run `git submodule update --init --recursive` "
                    "(it fetches the commit) and push again"
                )
            key = hashlib.sha256(shown.encode()).hexdigest()[:16]
            dest = folder / sub.path
            _fill(module, dest, sub.sha, state / f"{key}.index")
            if (dest / ".gitmodules").is_file():
                nested_repo = repo_folder / sub.path if repo_folder is not None else None
                pending.append((module, dest, nested_repo, sub.sha, shown + "/"))
    return notes


def forget(root: Path) -> None:
    """Drop the private indexes of the slot at ``root`` (its worktree is being made anew)."""
    shutil.rmtree(state_dir(root), ignore_errors=True)
